//! The auth module's door for the rest of the application.

use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use sea_orm::{EntityTrait, PaginatorTrait};

use super::{
    entities::organization,
    service::{
        identity, profile,
        security::random_token,
        sessions::{ClientInfo, DbSessions},
    },
};
use crate::platform::{
    auth::{Catalogue, SessionLoader},
    config::Environment,
    error::AppError,
    state::AppState,
};

pub use super::permissions::PERMISSIONS;

/// Loads sessions the shared cache does not hold (behind every authenticated
/// request), granting from `catalogue`.
pub fn session_loader(db: DatabaseConnection, catalogue: Catalogue) -> Arc<dyn SessionLoader> {
    Arc::new(DbSessions::new(db, catalogue))
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
    let plan = profile::current_plan(conn, organization_id).await?;
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

/// Sign-in details of the demo organization made on a first development start.
#[derive(Debug, Clone)]
pub struct DemoCredentials {
    /// Sign-in email.
    pub email: String,
    /// Generated password (shown once).
    pub password: String,
}

/// In development, with an empty database, creates a demo organization and
/// its owner and returns the credentials (to print once). Never in any other
/// environment, and never when an organization exists.
pub async fn ensure_demo_organization(
    state: &AppState,
) -> Result<Option<DemoCredentials>, AppError> {
    if state.settings.environment != Environment::Development
        || organization::Entity::find().count(&state.db).await? > 0
    {
        return Ok(None);
    }
    let creds = DemoCredentials {
        email: "demo@mainstay.local".into(),
        password: random_token()?[..20].to_string(),
    };
    identity::onboard(
        state,
        "Demo Company",
        &creds.email,
        &creds.password,
        "Demo Owner",
        &ClientInfo::default(),
    )
    .await?;
    Ok(Some(creds))
}

/// The current TOTP code of a base32 secret (for authenticator-less clients
/// such as tests and scripts).
pub fn totp_code(secret_b32: &str, unix_secs: i64) -> Option<String> {
    super::service::totp::code(secret_b32, unix_secs)
}

/// Retention: deletes sessions expired more than `keep` ago, in batches.
pub async fn purge_ended_sessions(
    db: &DatabaseConnection,
    keep: chrono::Duration,
    batch: u64,
) -> Result<u64, AppError> {
    super::service::sessions::purge_ended(db, keep, batch).await
}

/// Starts the task that delivers revocations recorded while the shared cache
/// was unreachable, once a second, as soon as it answers again.
pub fn spawn_revocation_delivery(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if state.lifecycle.database_down() {
                continue;
            }
            match super::service::sessions::deliver_pending(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sessions = n, "pending revocations delivered to the cache"),
                Err(e) => tracing::debug!(error = %e, "pending revocations not delivered yet"),
            }
        }
    });
}

/// Starts delivering the mail outbox over SMTP, if `smtp.url` is set.
pub fn spawn_mail_dispatcher(state: AppState) {
    super::service::outbox::spawn_dispatcher(state);
}

/// True if `user_id` is an active member of the organization (owners,
/// assignees and authors named in other modules' input must be).
pub async fn is_active_member(
    conn: &impl ConnectionTrait,
    organization_id: Uuid,
    user_id: Uuid,
) -> Result<bool, AppError> {
    use sea_orm::{ColumnTrait, QueryFilter};

    use super::entities::membership;
    Ok(membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::IsActive.eq(true))
        .count(conn)
        .await?
        > 0)
}

/// The organization's name (documents print it).
pub async fn organization_name(conn: &impl ConnectionTrait, org: Uuid) -> Result<String, AppError> {
    Ok(organization::Entity::find_by_id(org)
        .one(conn)
        .await?
        .map(|o| o.name)
        .unwrap_or_default())
}
