//! `Idempotency-Key` store with Stripe's semantics, scoped per organization.
//!
//! - First use of a key: the caller proceeds; the key is locked while it runs.
//! - Same key, same request (method, path, body): the stored response replays.
//! - Same key, other request: 422 `idempotency_key_reused`.
//! - Same key while the first request still runs: 409 `idempotency_request_in_progress`.
//! - Only outcomes of a request that ran are stored ([`is_stored`]): 2xx, and
//!   409 refusals of a business rule. A request refused before it ran
//!   (malformed 400, auth 401, permission 403, unknown 404, stale If-Match
//!   412, 413, 415, validation 422, 429) or that failed (5xx) stores nothing:
//!   the key is released, and a corrected retry under the same key runs.
//! - The fingerprint is taken over the parsed JSON body ([`canonical_body`]),
//!   so whitespace and key order do not make a retry "different".
//! - Keys expire after the configured TTL (24 h), deleted in batches by the
//!   retention task; a lock older than [`LOCK_TIMEOUT`] is abandoned (its
//!   process died) and may be taken over.

use actix_web::{
    Error, HttpResponse, ResponseError,
    body::{BoxBody, MessageBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::{Method, header},
    middleware::Next,
    web,
};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    sea_query::{Alias, OnConflict, Query},
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{error::AppError, state::AppState};

/// How long an unfinished request holds its key before another may take over.
pub const LOCK_TIMEOUT: Duration = Duration::seconds(60);
/// The request header.
pub const HEADER: &str = "Idempotency-Key";

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "idempotency_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub idempotency_key: String,
        pub request_hash: String,
        pub status: Option<i32>,
        pub response_body: Option<Vec<u8>>,
        pub response_content_type: Option<String>,
        pub response_headers: Option<String>,
        pub locked_at: DateTimeUtc,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{Column, Entity};

/// A response kept for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type` of the body.
    pub content_type: Option<String>,
    /// The body bytes.
    pub body: Vec<u8>,
    /// The representation headers ([`REPLAYED_HEADERS`]) as sent.
    pub headers: Vec<(String, String)>,
}

/// Headers of a stored response that a replay sends again: they describe
/// the outcome (the new resource's address and version), not the exchange.
/// `X-Request-Id`, rate-limit and date headers belong to each exchange.
pub const REPLAYED_HEADERS: [&str; 5] = [
    "location",
    "etag",
    "content-location",
    "last-modified",
    "retry-after",
];

/// The replayed headers of a response, in order.
fn kept_headers(headers: &actix_web::http::header::HeaderMap) -> Vec<(String, String)> {
    REPLAYED_HEADERS
        .iter()
        .flat_map(|name| {
            headers
                .get_all(*name)
                .filter_map(|v| v.to_str().ok())
                .map(|v| ((*name).to_string(), v.to_string()))
        })
        .collect()
}

/// What the caller should do with a keyed request.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Run the request, then [`complete`] (or [`release`] if it did not finish).
    Proceed,
    /// Send this stored response again; do not run the request.
    Replay(StoredResponse),
}

/// Fingerprint of a request: method, path and body (canonical JSON when the
/// body parses, its bytes otherwise).
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    match canonical_body(body) {
        Some(canonical) => h.update(canonical),
        None => h.update(body),
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A JSON body re-serialized with object keys sorted and no whitespace;
/// `None` if it is not JSON.
pub fn canonical_body(body: &[u8]) -> Option<Vec<u8>> {
    fn sort(v: serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match v {
            Value::Object(map) => {
                let mut entries: Vec<_> = map.into_iter().map(|(k, v)| (k, sort(v))).collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                Value::Object(entries.into_iter().collect())
            }
            Value::Array(items) => Value::Array(items.into_iter().map(sort).collect()),
            other => other,
        }
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Some(Vec::new());
    }
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    serde_json::to_vec(&sort(value)).ok()
}

/// True for the responses a key is bound to: the request ran and its outcome
/// would be the same on a retry (2xx, or a 409 business refusal).
pub fn is_stored(status: u16) -> bool {
    (200..300).contains(&status) || status == 409
}

/// Checks a client-supplied key: 1 to 255 visible ASCII characters.
pub fn validate_key(key: &str) -> Result<(), AppError> {
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::bad_request(
            "invalid_idempotency_key",
            "Idempotency-Key must be 1 to 255 visible ASCII characters.",
        ));
    }
    Ok(())
}

/// Claims `key` for a request with fingerprint `request_hash`, or says to
/// replay. Run it outside the request's transaction so the lock is visible to
/// concurrent duplicates at once.
#[tracing::instrument(skip(conn, request_hash))]
pub async fn begin(
    conn: &impl ConnectionTrait,
    organization_id: Uuid,
    key: &str,
    request_hash: &str,
    ttl: Duration,
) -> Result<Outcome, AppError> {
    validate_key(key)?;
    for _ in 0..3 {
        let now = Utc::now();
        if try_insert(conn, organization_id, key, request_hash, now, ttl).await? {
            return Ok(Outcome::Proceed);
        }
        let Some(row) = Entity::find_by_id((organization_id, key.to_string()))
            .one(conn)
            .await?
        else {
            continue; // released between our insert and read: try again
        };
        if row.expires_at <= now {
            Entity::delete_many()
                .filter(Column::OrganizationId.eq(organization_id))
                .filter(Column::IdempotencyKey.eq(key))
                .filter(Column::ExpiresAt.lte(now))
                .exec(conn)
                .await?;
            continue;
        }
        if row.request_hash != request_hash {
            return Err(AppError::unprocessable(
                "idempotency_key_reused",
                "This Idempotency-Key was used with a different request; use a new key.",
            ));
        }
        if let Some(status) = row.status {
            return Ok(Outcome::Replay(StoredResponse {
                status: u16::try_from(status).unwrap_or(500),
                content_type: row.response_content_type,
                body: row.response_body.unwrap_or_default(),
                headers: row
                    .response_headers
                    .and_then(|h| serde_json::from_str(&h).ok())
                    .unwrap_or_default(),
            }));
        }
        if row.locked_at < now - LOCK_TIMEOUT && take_over(conn, &row, now).await? {
            return Ok(Outcome::Proceed);
        }
        return Err(AppError::conflict(
            "idempotency_request_in_progress",
            "A request with this Idempotency-Key is still being processed; retry later.",
        )
        .with_retry_after(1));
    }
    Err(AppError::conflict(
        "idempotency_request_in_progress",
        "A request with this Idempotency-Key is changing state; retry later.",
    )
    .with_retry_after(1))
}

async fn try_insert(
    conn: &impl ConnectionTrait,
    organization_id: Uuid,
    key: &str,
    request_hash: &str,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<bool, AppError> {
    let stmt = Query::insert()
        .into_table(Alias::new("idempotency_keys"))
        .columns([
            Column::OrganizationId,
            Column::IdempotencyKey,
            Column::RequestHash,
            Column::LockedAt,
            Column::CreatedAt,
            Column::ExpiresAt,
        ])
        .values_panic([
            organization_id.into(),
            key.into(),
            request_hash.into(),
            now.into(),
            now.into(),
            (now + ttl).into(),
        ])
        .on_conflict(
            OnConflict::columns([Column::OrganizationId, Column::IdempotencyKey])
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    Ok(conn.execute(&stmt).await?.rows_affected() == 1)
}

/// Takes over an abandoned lock, atomically: only one contender wins.
async fn take_over(
    conn: &impl ConnectionTrait,
    row: &entity::Model,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let res = Entity::update_many()
        .col_expr(Column::LockedAt, now.into())
        .filter(Column::OrganizationId.eq(row.organization_id))
        .filter(Column::IdempotencyKey.eq(row.idempotency_key.clone()))
        .filter(Column::Status.is_null())
        .filter(Column::LockedAt.eq(row.locked_at))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Stores the response of a finished request, or releases the key when the
/// outcome is not one a key is bound to ([`is_stored`]).
pub async fn complete(
    conn: &impl ConnectionTrait,
    organization_id: Uuid,
    key: &str,
    response: &StoredResponse,
) -> Result<(), AppError> {
    if !is_stored(response.status) {
        return release(conn, organization_id, key).await;
    }
    Entity::update_many()
        .col_expr(Column::Status, i32::from(response.status).into())
        .col_expr(Column::ResponseBody, response.body.clone().into())
        .col_expr(
            Column::ResponseContentType,
            response.content_type.clone().into(),
        )
        .col_expr(
            Column::ResponseHeaders,
            serde_json::to_string(&response.headers)
                .map_err(AppError::internal)?
                .into(),
        )
        .filter(Column::OrganizationId.eq(organization_id))
        .filter(Column::IdempotencyKey.eq(key))
        .exec(conn)
        .await?;
    Ok(())
}

/// Forgets a key whose request did not finish, so the client may retry.
pub async fn release(
    conn: &impl ConnectionTrait,
    organization_id: Uuid,
    key: &str,
) -> Result<(), AppError> {
    Entity::delete_many()
        .filter(Column::OrganizationId.eq(organization_id))
        .filter(Column::IdempotencyKey.eq(key))
        .filter(Column::Status.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Deletes expired keys, `batch` rows per statement; returns how many.
pub async fn purge_expired(conn: &impl ConnectionTrait, batch: u64) -> Result<u64, AppError> {
    Ok(super::db::delete_in_batches(
        conn,
        "idempotency_keys",
        "(organization_id, idempotency_key)",
        "expires_at <= $1",
        Utc::now(),
        batch,
    )
    .await?)
}

/// Response header set on a replayed response.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// Middleware for authenticated POSTs carrying `Idempotency-Key`: claims the
/// key for the caller's organization (from the token; an invalid token is
/// left for the handler to refuse), runs the request once, stores its
/// response, and replays it for the same key and body.
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let key = req
        .headers()
        .get(HEADER)
        .map(|v| v.to_str().unwrap_or("\u{0}").to_string());
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let (Some(key), Some(state), true) = (key, state, req.method() == Method::POST) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let org = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .and_then(|t| state.auth.tokens.verify(t.trim()).ok())
        .map(|claims| claims.org);
    let Some(org) = org else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    if let Err(e) = validate_key(&key) {
        return Ok(req.into_response(e.error_response()));
    }
    let body = match req.extract::<web::Bytes>().await {
        Ok(b) => b,
        Err(e) => {
            let limit = req
                .app_data::<super::extract::BodyLimit>()
                .map_or(super::extract::DEFAULT_BODY_LIMIT, |l| l.0);
            let problem = super::extract::body_error(&e, limit);
            return Ok(req.into_response(problem.error_response()));
        }
    };
    let path = req
        .uri()
        .path_and_query()
        .map_or(req.path(), |p| p.as_str())
        .to_string();
    let hash = fingerprint(req.method().as_str(), &path, &body);
    let ttl = Duration::hours(state.settings.idempotency.ttl_hours);
    match begin(&state.db, org, &key, &hash, ttl).await {
        Err(e) => Ok(req.into_response(e.error_response())),
        Ok(Outcome::Replay(stored)) => {
            let mut res = HttpResponse::build(
                actix_web::http::StatusCode::from_u16(stored.status)
                    .unwrap_or(actix_web::http::StatusCode::OK),
            );
            if let Some(ct) = stored.content_type {
                res.insert_header((header::CONTENT_TYPE, ct));
            }
            for (name, value) in stored.headers {
                res.append_header((name, value));
            }
            res.insert_header((REPLAYED_HEADER, "true"));
            Ok(req.into_response(res.body(stored.body)))
        }
        Ok(Outcome::Proceed) => {
            req.set_payload(Payload::from(body));
            let res = match next.call(req).await {
                Ok(res) => res.map_into_boxed_body(),
                Err(e) => {
                    release(&state.db, org, &key).await.ok();
                    return Err(e);
                }
            };
            let (http_req, res) = res.into_parts();
            let (head, body) = res.into_parts();
            let bytes = match actix_web::body::to_bytes(body).await {
                Ok(b) => b,
                Err(_) => {
                    release(&state.db, org, &key).await.ok();
                    let e = AppError::internal(anyhow::anyhow!("response body could not be read"));
                    return Ok(ServiceResponse::new(http_req, e.error_response()));
                }
            };
            let stored = StoredResponse {
                status: head.status().as_u16(),
                content_type: head
                    .headers()
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string),
                body: bytes.to_vec(),
                headers: kept_headers(head.headers()),
            };
            if let Err(e) = complete(&state.db, org, &key, &stored).await {
                tracing::error!(error = %e, "idempotency: storing the response failed");
            }
            Ok(ServiceResponse::new(
                http_req,
                head.set_body(BoxBody::new(bytes)),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_differ_by_body_method_and_path() {
        let a = fingerprint("POST", "/x", b"{}");
        assert_eq!(a.len(), 64);
        assert_eq!(a, fingerprint("POST", "/x", b"{}"));
        assert_ne!(a, fingerprint("POST", "/x", b"[]"));
        assert_ne!(a, fingerprint("PUT", "/x", b"{}"));
        assert_ne!(a, fingerprint("POST", "/y", b"{}"));
    }

    #[test]
    fn whitespace_and_key_order_do_not_change_a_fingerprint() {
        let a = fingerprint("POST", "/x", br#"{"a":1,"b":{"d":[1,2],"c":"x"}}"#);
        let b = fingerprint(
            "POST",
            "/x",
            b"{ \"b\": {\"c\": \"x\", \"d\": [1, 2]},\n \"a\": 1 }",
        );
        assert_eq!(a, b);
        assert_ne!(
            a,
            fingerprint("POST", "/x", br#"{"a":1,"b":{"d":[2,1],"c":"x"}}"#)
        );
    }

    #[test]
    fn only_outcomes_of_a_request_that_ran_are_stored() {
        for status in [200, 201, 202, 204, 409] {
            assert!(is_stored(status), "{status}");
        }
        for status in [400, 401, 403, 404, 412, 413, 415, 422, 429, 500, 503] {
            assert!(!is_stored(status), "{status}");
        }
    }

    #[test]
    fn keys_must_be_short_visible_ascii() {
        assert!(validate_key("order-123").is_ok());
        assert!(validate_key("").is_err());
        assert!(validate_key("has space").is_err());
        assert!(validate_key(&"k".repeat(256)).is_err());
    }
}
