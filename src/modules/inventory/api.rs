//! The inventory module's door for the rest of the application: stock
//! operations that run inside the caller's transaction (pass a
//! `DatabaseTransaction` started with `platform::db::begin_write`).

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::{
    entities::MovementKind,
    service::stock::{self, MoveContext},
};
use crate::platform::{
    error::AppError,
    money::{Amount, Quantity},
};

pub use super::permissions::PERMISSIONS;

/// Who moves stock, and for which document.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// The organization.
    pub organization_id: Uuid,
    /// The acting user, if any.
    pub actor: Option<Uuid>,
    /// Document type (`sales_order`, `purchase_order`, ...).
    pub document_type: &'a str,
    /// Document id.
    pub document_id: &'a str,
}

impl<'a> Origin<'a> {
    fn context(&self) -> MoveContext<'a> {
        MoveContext {
            org: self.organization_id,
            actor: self.actor,
            reason: "",
            reference_type: Some(self.document_type),
            reference_id: Some(self.document_id),
        }
    }
}

/// Issues `qty` of a product from a warehouse, or 409 `insufficient_stock`.
/// Returns the movement id.
pub async fn issue(
    conn: &impl ConnectionTrait,
    origin: &Origin<'_>,
    product_id: Uuid,
    warehouse_id: Uuid,
    qty: Quantity,
) -> Result<Uuid, AppError> {
    issue_from(conn, origin, (product_id, warehouse_id), qty, false).await
}

/// Takes `qty` off the level (available stock, or stock reserved before)
/// and records the issue movement at the level's average cost.
async fn issue_from(
    conn: &impl ConnectionTrait,
    origin: &Origin<'_>,
    (product_id, warehouse_id): (Uuid, Uuid),
    qty: Quantity,
    reserved: bool,
) -> Result<Uuid, AppError> {
    let org = origin.organization_id;
    let after = if reserved {
        stock::take_reserved(conn, org, product_id, warehouse_id, qty).await?
    } else {
        stock::take_stock(conn, org, product_id, warehouse_id, qty).await?
    };
    let key = (product_id, warehouse_id);
    let neg = Quantity::from_units(-qty.units());
    let amounts = (neg, after.avg_cost, stock::neg_value(after.moved_value));
    let ctx = origin.context();
    let m = stock::write_movement(conn, &ctx, key, MovementKind::Issue, amounts, None).await?;
    stock::post_value(conn, &ctx, MovementKind::Issue, std::slice::from_ref(&m)).await?;
    Ok(m.id)
}

/// Receives `qty` at `unit_cost`. Returns the movement id.
pub async fn receive(
    conn: &impl ConnectionTrait,
    origin: &Origin<'_>,
    product_id: Uuid,
    warehouse_id: Uuid,
    qty: Quantity,
    unit_cost: Amount,
) -> Result<Uuid, AppError> {
    let (movements, _) = stock::post_receipts(
        conn,
        &origin.context(),
        warehouse_id,
        &[(product_id, qty, unit_cost)],
    )
    .await?;
    Ok(movements.first().map(|m| m.id).unwrap_or_default())
}

/// Reserves available stock for a document, or 409 `insufficient_stock`.
pub async fn reserve(
    conn: &impl ConnectionTrait,
    origin: &Origin<'_>,
    product_id: Uuid,
    warehouse_id: Uuid,
    qty: Quantity,
) -> Result<(), AppError> {
    stock::reserve(conn, origin.organization_id, product_id, warehouse_id, qty).await
}

/// Releases a reservation, or 409 `reservation_exceeded`.
pub async fn release(
    conn: &impl ConnectionTrait,
    origin: &Origin<'_>,
    product_id: Uuid,
    warehouse_id: Uuid,
    qty: Quantity,
) -> Result<(), AppError> {
    stock::release(conn, origin.organization_id, product_id, warehouse_id, qty).await
}

/// Issues previously reserved stock (a shipment). Returns the movement id.
pub async fn issue_reserved(
    conn: &impl ConnectionTrait,
    origin: &Origin<'_>,
    product_id: Uuid,
    warehouse_id: Uuid,
    qty: Quantity,
) -> Result<Uuid, AppError> {
    issue_from(conn, origin, (product_id, warehouse_id), qty, true).await
}
