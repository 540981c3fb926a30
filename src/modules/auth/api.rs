//! The auth module's door for the rest of the application.

use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use super::service::{identity, sessions::CachedSessions};
use crate::platform::{auth::SessionResolver, cache::Cache, error::AppError};

/// The resolver behind every authenticated request (cache first, then the database).
pub fn session_resolver(db: DatabaseConnection, cache: Cache) -> Arc<dyn SessionResolver> {
    Arc::new(CachedSessions::new(db, cache))
}

/// What a plan limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Active members.
    Seats,
    /// Products in the catalogue.
    Products,
}

/// 403 `plan_limit_exceeded` unless `in_use + adding` fits the organization's plan.
pub async fn check_plan_limit(
    conn: &impl ConnectionTrait,
    organization_id: Uuid,
    limit: Limit,
    in_use: u64,
    adding: u64,
) -> Result<(), AppError> {
    let plan = identity::current_plan(conn, organization_id).await?;
    let (max, what) = match limit {
        Limit::Seats => (plan.max_seats, "members"),
        Limit::Products => (plan.max_products, "products"),
    };
    match max {
        Some(max) if in_use + adding > max => Err(AppError::forbidden(
            "plan_limit_exceeded",
            format!(
                "The {} plan allows {max} {what}; upgrade to add more.",
                plan.name
            ),
        )),
        _ => Ok(()),
    }
}
