//! The CRM module's door for the rest of the application. Every function
//! runs inside the caller's transaction or connection and never begins or
//! commits.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
};
use uuid::Uuid;

use super::entities::{contact, customer};
use crate::platform::{error::AppError, money::Amount, tenant};

pub use super::permissions::PERMISSIONS;

/// What billing and tickets need to know of a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRef {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Email.
    pub email: Option<String>,
    /// ISO 4217 currency the customer is invoiced in.
    pub currency: String,
    /// Days from invoice to payment.
    pub payment_terms_days: i32,
    /// Credit limit, if one is set.
    pub credit_limit: Option<Amount>,
    /// False once archived (new documents should refuse it).
    pub active: bool,
}

/// What billing and tickets need to know of a contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRef {
    /// Id.
    pub id: Uuid,
    /// The customer the contact works for.
    pub customer_id: Option<Uuid>,
    /// Full name (`first last`).
    pub name: String,
    /// Email.
    pub email: Option<String>,
    /// False once archived.
    pub active: bool,
}

/// True if `id` is a customer of the organization (archived ones too).
pub async fn customer_exists(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<bool, AppError> {
    Ok(customer::Entity::find()
        .filter(customer::Column::OrganizationId.eq(org))
        .filter(customer::Column::Id.eq(id))
        .count(conn)
        .await?
        > 0)
}

/// True if `id` is a contact of the organization (archived ones too).
pub async fn contact_exists(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<bool, AppError> {
    Ok(contact::Entity::find()
        .filter(contact::Column::OrganizationId.eq(org))
        .filter(contact::Column::Id.eq(id))
        .count(conn)
        .await?
        > 0)
}

/// The customer `id` of the organization, if there is one (another
/// organization's is `None`, like a missing one).
pub async fn customer(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<Option<CustomerRef>, AppError> {
    Ok(tenant::find_optional::<customer::Entity>(conn, org, id)
        .await?
        .map(|c| CustomerRef {
            id: c.id,
            name: c.name,
            email: c.email,
            currency: c.currency,
            payment_terms_days: c.payment_terms_days,
            credit_limit: c.credit_limit,
            active: c.active,
        }))
}

/// The contact `id` of the organization, if there is one.
pub async fn contact(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<Option<ContactRef>, AppError> {
    Ok(tenant::find_optional::<contact::Entity>(conn, org, id)
        .await?
        .map(|c| ContactRef {
            id: c.id,
            customer_id: c.customer_id,
            name: format!("{} {}", c.first_name, c.last_name)
                .trim()
                .to_string(),
            email: c.email,
            active: c.active,
        }))
}

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
