//! Customers: master data, archived rather than deleted.

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::{modules::crm::entities::customer, platform::prelude::*};

/// The customer `id` of the organization when one is named, or 422 naming
/// `field` (another organization's customer is "not found" too).
pub async fn check_customer(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Option<Uuid>,
    field: &str,
) -> Result<Option<customer::Model>, AppError> {
    let Some(id) = id else { return Ok(None) };
    match tenant::find_optional::<customer::Entity>(conn, org, id).await? {
        Some(c) => Ok(Some(c)),
        None => Err(AppError::invalid_field(
            field,
            "not_found",
            "is not a customer of this organization",
        )),
    }
}
