//! The one application error, rendered as RFC 9457 `application/problem+json`.
//!
//! Every failure, whether raised by a service, an extractor or actix itself,
//! leaves the process in this shape: `{type, title, status, detail, code,
//! request_id, errors}`. 5xx bodies are opaque; their cause is logged once.

use std::borrow::Cow;

use actix_web::{
    HttpResponse, ResponseError,
    http::{StatusCode, header},
};
use serde::Serialize;
use utoipa::ToSchema;

use super::request_id::current_request_id;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid input field of a 422 response.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the field in the request (`lines[0].quantity`).
    #[schema(example = "email")]
    pub field: String,
    /// Machine-readable reason (`required`, `length`, `invalid_type`, ...).
    #[schema(example = "email")]
    pub code: String,
    /// Human-readable explanation.
    #[schema(example = "must be a valid email address")]
    pub message: String,
}

impl FieldError {
    /// Builds one field error.
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// RFC 9457 problem details, as sent on the wire.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "https://mainstay.dev/problems/validation_failed",
    "title": "Unprocessable Entity",
    "status": 422,
    "detail": "The request body failed validation.",
    "code": "validation_failed",
    "request_id": "0193a4f2-7c1e-7d33-9a51-2f0c7e1b9d10",
    "errors": [{"field": "email", "code": "email", "message": "must be a valid email address"}]
}))]
pub struct ProblemDetails {
    /// URI naming the problem type.
    #[serde(rename = "type")]
    pub type_url: String,
    /// Short summary of the status.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// What went wrong in this occurrence.
    pub detail: String,
    /// Stable machine-readable code (`not_found`, `insufficient_stock`, ...).
    pub code: String,
    /// The request id (also in the `X-Request-Id` header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Field errors (422, or a 409 about named lines).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// The application's error: a status, a stable code, a detail for the client
/// and, for 5xx, a private cause for the log. Boxed, so `Result<T, AppError>`
/// stays one pointer wide on the happy path.
#[derive(Debug)]
pub struct AppError(Box<Inner>);

#[derive(Debug)]
struct Inner {
    status: StatusCode,
    code: Cow<'static, str>,
    detail: Cow<'static, str>,
    errors: Vec<FieldError>,
    retry_after: Option<u64>,
    allow: Option<String>,
    /// `WWW-Authenticate` of a 401 when it is more than the bare scheme.
    challenge: Option<&'static str>,
    source: Option<anyhow::Error>,
}

impl AppError {
    /// An error with any status and code.
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        detail: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self(Box::new(Inner {
            status,
            code: code.into(),
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
            allow: None,
            challenge: None,
            source: None,
        }))
    }

    /// 400: the request cannot be understood.
    pub fn bad_request(
        code: impl Into<Cow<'static, str>>,
        detail: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// 401: missing or invalid credentials (`WWW-Authenticate: Bearer
    /// realm="mainstay"`).
    pub fn unauthorized(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    /// 401 for a bearer token that was presented and refused (invalid,
    /// expired, or its session ended): the challenge says `invalid_token`
    /// (RFC 6750), so a client knows to refresh or sign in again.
    pub fn invalid_token(detail: impl Into<Cow<'static, str>>) -> Self {
        let mut e = Self::unauthorized(detail);
        e.0.challenge = Some(INVALID_TOKEN_CHALLENGE);
        e
    }

    /// 403: authenticated but not allowed.
    pub fn forbidden(
        code: impl Into<Cow<'static, str>>,
        detail: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, detail)
    }

    /// 404: no such resource in the caller's organization.
    pub fn not_found(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    /// 405 with the `Allow` header.
    pub fn method_not_allowed(allow: Option<String>) -> Self {
        let mut e = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "This resource does not support that HTTP method.",
        );
        e.0.allow = allow;
        e
    }

    /// 409: conflicts with the resource's current state.
    pub fn conflict(
        code: impl Into<Cow<'static, str>>,
        detail: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    /// 412: `If-Match` did not match the current version.
    pub fn precondition_failed(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::PRECONDITION_FAILED, "version_mismatch", detail)
    }

    /// 413: body over the configured limit.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("The request body exceeds the limit of {limit} bytes."),
        )
    }

    /// 415: body is not JSON.
    pub fn unsupported_media_type(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            detail,
        )
    }

    /// 422 with the list of invalid fields.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "The request failed validation.",
        );
        e.0.errors = errors;
        e
    }

    /// The same error naming the fields it is about (a 409 listing each
    /// line that is short, say).
    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.0.errors = errors;
        self
    }

    /// 422 for a single field.
    pub fn invalid_field(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::validation(vec![FieldError::new(field, code, message)])
    }

    /// 422 without a field list (a rule across fields or a reused key).
    pub fn unprocessable(
        code: impl Into<Cow<'static, str>>,
        detail: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
    }

    /// 429 with `Retry-After`.
    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Too many requests; retry later.",
        );
        e.0.retry_after = Some(retry_after_secs.max(1));
        e
    }

    /// 503: a dependency is unavailable.
    pub fn service_unavailable(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            detail,
        )
    }

    /// 503 `database_unavailable` with `Retry-After`: the database cannot be
    /// reached. The lifecycle middleware sees it and fails fast until a probe
    /// finds the database again.
    pub fn database_unavailable(source: impl Into<anyhow::Error>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            DATABASE_UNAVAILABLE,
            "The database is unavailable; retry shortly.",
        )
        .with_retry_after(1)
        .with_source(source)
    }

    /// 408: the request body did not arrive in time.
    pub fn request_timeout(secs: u64) -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!("The request body did not arrive within {secs} s."),
        )
    }

    /// 500: the cause is logged, never sent.
    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "An unexpected error occurred. Quote the request id when reporting it.",
        );
        e.0.source = Some(source.into());
        e
    }

    /// Replaces the stable code.
    pub fn with_code(mut self, code: impl Into<Cow<'static, str>>) -> Self {
        self.0.code = code.into();
        self
    }

    /// Adds a `Retry-After` header (seconds).
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.0.retry_after = Some(secs.max(1));
        self
    }

    /// Attaches a private cause, logged for 5xx and never sent.
    pub fn with_source(mut self, source: impl Into<anyhow::Error>) -> Self {
        self.0.source = Some(source.into());
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// The stable code.
    pub fn code(&self) -> &str {
        &self.0.code
    }

    /// The field errors.
    pub fn field_errors(&self) -> &[FieldError] {
        &self.0.errors
    }

    /// The body sent to the client.
    pub fn problem(&self) -> ProblemDetails {
        problem_body(
            self.0.status,
            &self.0.code,
            &self.0.detail,
            self.0.errors.clone(),
            current_request_id(),
        )
    }
}

/// Builds a problem body; shared by [`AppError`] and the middleware that
/// normalizes errors produced outside handlers.
pub fn problem_body(
    status: StatusCode,
    code: &str,
    detail: &str,
    errors: Vec<FieldError>,
    request_id: Option<String>,
) -> ProblemDetails {
    ProblemDetails {
        type_url: format!("https://mainstay.dev/problems/{code}"),
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        status: status.as_u16(),
        detail: detail.to_string(),
        code: code.to_string(),
        request_id,
        errors,
    }
}

/// `WWW-Authenticate` of every 401 (RFC 9110 11.6.1, RFC 6750).
pub const BEARER_CHALLENGE: &str = r#"Bearer realm="mainstay""#;
/// `WWW-Authenticate` of a 401 refusing a presented token.
pub const INVALID_TOKEN_CHALLENGE: &str = r#"Bearer realm="mainstay", error="invalid_token""#;

/// Stable code for a bare status (errors raised outside our handlers).
pub fn code_for_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        406 => "not_acceptable",
        408 => "request_timeout",
        409 => "conflict",
        411 => "length_required",
        412 => "version_mismatch",
        413 => "payload_too_large",
        414 => "uri_too_long",
        415 => "unsupported_media_type",
        422 => "validation_failed",
        429 => "rate_limited",
        431 => "headers_too_large",
        503 => "service_unavailable",
        s if s >= 500 => "internal_error",
        _ => "error",
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.0.status.as_u16(),
            self.0.code,
            self.0.detail
        )
    }
}

impl std::error::Error for AppError {}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.0.status
    }

    fn error_response(&self) -> HttpResponse {
        if self.0.status.is_server_error() {
            match &self.0.source {
                Some(cause) => {
                    tracing::error!(code = %self.0.code, error = ?cause, "request failed")
                }
                None => {
                    tracing::error!(code = %self.0.code, detail = %self.0.detail, "request failed")
                }
            }
        }
        let mut res = HttpResponse::build(self.0.status);
        res.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        if let Some(secs) = self.0.retry_after {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if let Some(allow) = &self.0.allow {
            res.insert_header((header::ALLOW, allow.clone()));
        }
        if self.0.status == StatusCode::UNAUTHORIZED {
            res.insert_header((
                header::WWW_AUTHENTICATE,
                self.0.challenge.unwrap_or(BEARER_CHALLENGE),
            ));
        }
        let mut res = res.body(serde_json::to_vec(&self.problem()).unwrap_or_default());
        if self.0.code == DATABASE_UNAVAILABLE {
            res.extensions_mut().insert(DatabaseDown);
        }
        res
    }
}

/// Marks a response that found the database unreachable (see
/// `platform::lifecycle`).
#[derive(Debug, Clone, Copy)]
pub struct DatabaseDown;

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        use sea_orm::{DbErr, SqlErr};
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Self::conflict(
                "already_exists",
                "A resource with the same key already exists.",
            ),
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => Self::conflict(
                "referenced_resource",
                "The change refers to, or is referred to by, another resource.",
            ),
            _ => match err {
                DbErr::RecordNotFound(_) => Self::not_found("The resource does not exist."),
                _ if is_connection_loss(&err) => Self::database_unavailable(err),
                other => Self::internal(other),
            },
        }
    }
}

/// The code of [`AppError::database_unavailable`].
pub const DATABASE_UNAVAILABLE: &str = "database_unavailable";

/// True when the database could not be reached or the connection broke:
/// pool timeouts, I/O and TLS errors, and PostgreSQL's connection-exception
/// (`08xxx`) and shutdown (`57P01`-`57P03`) codes. Such a failure says nothing
/// about the request, so it is a 503 the client may retry.
pub fn is_connection_loss(err: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr, sqlx::Error as Sqlx};
    let runtime = match err {
        DbErr::ConnectionAcquire(_) => return true,
        DbErr::Conn(e) | DbErr::Exec(e) | DbErr::Query(e) => e,
        _ => return false,
    };
    let RuntimeErr::SqlxError(sqlx) = runtime else {
        return false;
    };
    match sqlx.as_ref() {
        Sqlx::Io(_)
        | Sqlx::Tls(_)
        | Sqlx::PoolTimedOut
        | Sqlx::PoolClosed
        | Sqlx::WorkerCrashed
        | Sqlx::Protocol(_) => true,
        Sqlx::Database(db) => db.code().is_some_and(|c| {
            c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

impl<E: std::fmt::Display + std::fmt::Debug + Into<AppError>> From<sea_orm::TransactionError<E>>
    for AppError
{
    fn from(err: sea_orm::TransactionError<E>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(e) => e.into(),
        }
    }
}

/// Maps a unique-constraint violation to a named 409 (other errors as usual):
/// `.insert(conn).await.map_err(unique_violation("sku_taken", "..."))`.
pub fn unique_violation(
    code: &'static str,
    detail: &'static str,
) -> impl Fn(sea_orm::DbErr) -> AppError {
    move |e| conflict_as(code, detail)(e.into())
}

/// The same for an error already converted (from the tenant write path):
/// only the generic `already_exists` conflict is renamed.
pub fn conflict_as(code: &'static str, detail: &'static str) -> impl Fn(AppError) -> AppError {
    move |e| {
        if e.code() == "already_exists" {
            AppError::conflict(code, detail)
        } else {
            e
        }
    }
}

/// Shorthand for handler and service results.
pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_do_not_reveal_their_cause() {
        let err = AppError::internal(anyhow::anyhow!("password=hunter2 at db.rs:42"));
        let body = serde_json::to_string(&err.problem()).unwrap();
        assert!(!body.contains("hunter2"));
        assert!(body.contains("internal_error"));
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn validation_errors_list_their_fields() {
        let err = AppError::invalid_field("email", "email", "must be an email");
        let v = serde_json::to_value(err.problem()).unwrap();
        assert_eq!(v["status"], 422);
        assert_eq!(v["errors"][0]["field"], "email");
        assert_eq!(v["type"], "https://mainstay.dev/problems/validation_failed");
    }
}
