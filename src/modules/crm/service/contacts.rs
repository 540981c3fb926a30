//! Contacts: people at customers (or on their own), archived rather than
//! deleted; one email per organization unless a write allows a duplicate.

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::{modules::crm::entities::contact, platform::prelude::*};

/// The contact `id` of the organization when one is named, or 422 naming
/// `field`.
pub async fn check_contact(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Option<Uuid>,
    field: &str,
) -> Result<Option<contact::Model>, AppError> {
    let Some(id) = id else { return Ok(None) };
    match tenant::find_optional::<contact::Entity>(conn, org, id).await? {
        Some(c) => Ok(Some(c)),
        None => Err(AppError::invalid_field(
            field,
            "not_found",
            "is not a contact of this organization",
        )),
    }
}
