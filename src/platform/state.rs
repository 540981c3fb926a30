//! The state shared by every request: built once at start, behind one
//! `web::Data<AppState>`.

use std::sync::Arc;

use sea_orm::{DatabaseConnection, DatabaseTransaction};
use uuid::Uuid;

use tokio::sync::Semaphore;

use super::{
    auth::{AuthContext, Catalogue},
    cache::Cache,
    config::Settings,
    error::AppError,
    lifecycle::Lifecycle,
    openapi::ApiSpec,
    telemetry::Metrics,
};

/// Work a module does when an organization is founded, inside the
/// founding transaction (the accounting module seeds its chart). Modules
/// register theirs in `modules::FOUNDED`; `auth` runs them without knowing
/// the modules above it.
pub type FoundedHook =
    for<'a> fn(
        &'a DatabaseTransaction,
        Uuid,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<(), AppError>> + Send + 'a>>;

/// Everything a handler may need; cheap to clone (handles and `Arc`s).
#[derive(Clone)]
pub struct AppState {
    /// The one connection pool.
    pub db: DatabaseConnection,
    /// Sessions, rate limits, short-lived state.
    pub cache: Cache,
    /// The loaded configuration.
    pub settings: Arc<Settings>,
    /// Request metrics for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// The OpenAPI document, rendered once.
    pub spec: Arc<ApiSpec>,
    /// Every module's permissions.
    pub permissions: Catalogue,
    /// Token keys and session lookups for the `Principal` extractor.
    pub auth: AuthContext,
    /// Bounds CPU-heavy blocking work (password hashing) to cores minus one,
    /// so a login storm never takes every core from request handling.
    pub cpu_heavy: Arc<Semaphore>,
    /// In-flight requests, draining, and whether the database answers.
    pub lifecycle: Arc<Lifecycle>,
    /// What every module does for a new organization.
    pub founded: &'static [FoundedHook],
}
