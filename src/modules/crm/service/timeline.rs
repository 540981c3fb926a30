//! The timelines of customers and contacts: what happened around them
//! (activities, deal stage changes, lead conversions), newest first. Other
//! topics append entries with [`super::record_timeline`].

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    modules::crm::{
        dto::{TimelineEntryOut, TimelineFilter},
        entities::{contact, customer, timeline},
    },
    platform::{
        pagination::{Keyset, Page, keyset_page},
        prelude::*,
    },
};

/// Whose timeline.
#[derive(Debug, Clone, Copy)]
pub enum Subject {
    /// A customer's.
    Customer(Uuid),
    /// A contact's.
    Contact(Uuid),
}

/// `GET /customers/{id}/timeline` and `GET /contacts/{id}/timeline`: 404
/// unless the subject is the organization's; then one page of its entries
/// by id, newest first (one scan of `(organization_id, customer_id|contact_id, id)`).
pub async fn list_timeline(
    conn: &impl ConnectionTrait,
    org: Uuid,
    subject: Subject,
    f: &TimelineFilter,
) -> Result<Page<TimelineEntryOut>, AppError> {
    let limit = f.limit.unwrap_or(50).clamp(1, 200);
    let of_subject = match subject {
        Subject::Customer(id) => {
            tenant::find::<customer::Entity>(conn, org, id).await?;
            timeline::Column::CustomerId.eq(id)
        }
        Subject::Contact(id) => {
            tenant::find::<contact::Entity>(conn, org, id).await?;
            timeline::Column::ContactId.eq(id)
        }
    };
    let query = timeline::Entity::find()
        .filter(timeline::Column::OrganizationId.eq(org))
        .filter(of_subject);
    let order = Keyset::<_, Uuid>::by_id(timeline::Column::Id, |r: &timeline::Model| r.id, true);
    Ok(keyset_page(conn, query, order, f.cursor.as_deref(), limit)
        .await?
        .map(TimelineEntryOut::from))
}
