//! The id of the request being served, carried in a task-local so that
//! error bodies, audit records and log lines written anywhere below the
//! request middleware carry it. A leaf: it imports nothing of the platform.

use actix_web::http::header::HeaderName;

/// The request id header, accepted and echoed.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    pub(crate) static REQUEST_ID: String;
}

/// The id of the request being served on this task, if any.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Runs `fut` as if serving request `id` (background jobs, tests): audit
/// records and error bodies written inside it carry the id.
pub async fn scope_request_id<F: std::future::Future>(id: String, fut: F) -> F::Output {
    REQUEST_ID.scope(id, fut).await
}

/// The request id, also kept in the request's extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The organization's rate-limit state for this request: the `Principal`
/// extractor records it, the request middleware turns it into `RateLimit-*`
/// headers.
#[derive(Debug, Clone, Copy)]
pub struct RateLimitInfo {
    /// Requests allowed per window.
    pub limit: u64,
    /// Requests left in the window.
    pub remaining: u64,
    /// Seconds until the window resets.
    pub reset_secs: u64,
}
