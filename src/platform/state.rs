//! The state shared by every request: built once at start, behind one
//! `web::Data<AppState>`.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use super::{cache::Cache, config::Settings, openapi::ApiSpec, telemetry::Metrics};

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
}
