//! Conditional GET: `If-None-Match` against the `ETag` a handler sent.
//!
//! A GET (or HEAD) whose 200 response carries an `ETag` matching one the
//! client names in `If-None-Match` (weak comparison, RFC 9110 13.1.2; `*`
//! matches any) becomes `304 Not Modified` with that `ETag` and no body. The
//! handler still runs: the ETag is the resource's version, read with it.

use actix_web::{
    Error, HttpResponse,
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{Method, StatusCode, header},
    middleware::Next,
};

/// True if `if_none_match` (a header value) names `etag`, weakly compared.
pub fn none_match_hits(if_none_match: &str, etag: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_string();
    let current = opaque(etag);
    if_none_match
        .split(',')
        .any(|tag| tag.trim() == "*" || opaque(tag) == current)
}

/// The middleware (on the `/api/v1` scope).
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let wanted = match *req.method() {
        Method::GET | Method::HEAD => req
            .headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        _ => None,
    };
    let res = next.call(req).await?;
    let Some(wanted) = wanted else {
        return Ok(res.map_into_left_body());
    };
    let etag = res
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .filter(|etag| res.status() == StatusCode::OK && none_match_hits(&wanted, etag))
        .map(str::to_string);
    match etag {
        Some(etag) => {
            let not_modified = HttpResponse::NotModified()
                .insert_header((header::ETAG, etag))
                .finish();
            Ok(res.into_response(not_modified).map_into_right_body())
        }
        None => Ok(res.map_into_left_body()),
    }
}

#[cfg(test)]
mod tests {
    use super::none_match_hits;

    #[test]
    fn weak_comparison_lists_and_star() {
        assert!(none_match_hits("\"3\"", "\"3\""));
        assert!(none_match_hits("W/\"3\"", "\"3\""));
        assert!(none_match_hits("\"1\", \"3\"", "\"3\""));
        assert!(none_match_hits("*", "\"7\""));
        assert!(!none_match_hits("\"2\"", "\"3\""));
        assert!(!none_match_hits("\"33\"", "\"3\""));
    }
}
