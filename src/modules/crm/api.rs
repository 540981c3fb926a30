//! The CRM module's door for the rest of the application. Every function
//! runs inside the caller's transaction or connection and never begins or
//! commits.

use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use crate::platform::error::AppError;

pub use super::permissions::PERMISSIONS;

/// Seeds the default pipeline and lost reasons of a new organization (a
/// [`FoundedHook`](crate::platform::state::FoundedHook)).
pub fn organization_founded(
    tx: &DatabaseTransaction,
    org: Uuid,
) -> std::pin::Pin<Box<dyn Future<Output = Result<(), AppError>> + Send + '_>> {
    Box::pin(async move {
        migration::crm::seed(tx, org, chrono::Utc::now()).await?;
        Ok(())
    })
}
