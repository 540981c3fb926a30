//! The inventory module's door for the rest of the application: stock
//! operations that run inside the caller's transaction (pass a
//! `DatabaseTransaction` started with `platform::db::begin_write`).

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{
    entities::{
        MovementKind, ProductKind, product, purchase_order, purchase_order_line, supplier,
        warehouse,
    },
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
    let m = take_and_record(conn, origin, (product_id, warehouse_id), qty, reserved).await?;
    let ctx = origin.context();
    stock::post_value(conn, &ctx, MovementKind::Issue, std::slice::from_ref(&m)).await?;
    Ok(m.id)
}

/// The level update and movement of one issue (its value not yet posted).
async fn take_and_record(
    conn: &impl ConnectionTrait,
    origin: &Origin<'_>,
    (product_id, warehouse_id): (Uuid, Uuid),
    qty: Quantity,
    reserved: bool,
) -> Result<super::entities::stock_movement::Model, AppError> {
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
    stock::write_movement(conn, &ctx, key, MovementKind::Issue, amounts, None).await
}

/// Issues reserved stock of several products from one warehouse (a
/// delivery of several lines): one movement per line, and their cost posted
/// to the ledger as one entry. Returns the movement ids, in line order.
pub async fn issue_reserved_lines(
    conn: &impl ConnectionTrait,
    origin: &Origin<'_>,
    warehouse_id: Uuid,
    lines: &[(Uuid, Quantity)],
) -> Result<Vec<Uuid>, AppError> {
    let mut movements = Vec::with_capacity(lines.len());
    for (product_id, qty) in lines {
        movements
            .push(take_and_record(conn, origin, (*product_id, warehouse_id), *qty, true).await?);
    }
    let ctx = origin.context();
    stock::post_value(conn, &ctx, MovementKind::Issue, &movements).await?;
    Ok(movements.into_iter().map(|m| m.id).collect())
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

/// What a selling document needs of a product.
#[derive(Debug, Clone)]
pub struct ProductRef {
    /// Id.
    pub id: Uuid,
    /// SKU.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Counted in warehouses (kind `stock`); services are not.
    pub stocked: bool,
    /// Default selling price.
    pub sale_price: Amount,
    /// Archived products take no new documents.
    pub active: bool,
}

/// The organization's products among `ids`, by id (one query); ids of
/// another organization or of nothing are simply absent.
pub async fn products(
    conn: &impl ConnectionTrait,
    org: Uuid,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, ProductRef>, AppError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(product::Entity::find()
        .filter(product::Column::OrganizationId.eq(org))
        .filter(product::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| {
            let r = ProductRef {
                id: p.id,
                sku: p.sku,
                name: p.name,
                stocked: p.kind == ProductKind::Stock,
                sale_price: p.sale_price,
                active: p.active,
            };
            (r.id, r)
        })
        .collect())
}

/// An active warehouse of the organization, or 422 naming `field`.
pub async fn open_warehouse(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
    field: &str,
) -> Result<(), AppError> {
    stock::open_warehouse(conn, org, id, field)
        .await
        .map(|_| ())
}

/// The organization's default warehouse, if it has an active one.
pub async fn default_warehouse(
    conn: &impl ConnectionTrait,
    org: Uuid,
) -> Result<Option<Uuid>, AppError> {
    Ok(warehouse::Entity::find()
        .filter(warehouse::Column::OrganizationId.eq(org))
        .filter(warehouse::Column::IsDefault.eq(true))
        .filter(warehouse::Column::Active.eq(true))
        .one(conn)
        .await?
        .map(|w| w.id))
}

/// The outcome of [`reserve_available`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reservation {
    /// What was reserved now.
    pub reserved: Quantity,
    /// What was available when the reservation fell short (else `qty`).
    pub available: Quantity,
}

/// Reserves `qty` for a document when that much is available. When it is
/// not, reserves nothing, or with `partial` what is available. Each attempt
/// is one conditional UPDATE, so no two callers can reserve the same unit.
pub async fn reserve_available(
    conn: &impl ConnectionTrait,
    origin: &Origin<'_>,
    (product_id, warehouse_id): (Uuid, Uuid),
    qty: Quantity,
    partial: bool,
) -> Result<Reservation, AppError> {
    let org = origin.organization_id;
    let mut want = qty;
    // A failed attempt means another reservation took stock meanwhile; each
    // retry asks for less, so the loop ends.
    for _ in 0..16 {
        if stock::try_reserve(conn, org, product_id, warehouse_id, want).await? {
            return Ok(Reservation {
                reserved: want,
                available: want,
            });
        }
        let available = stock::available(conn, org, product_id, warehouse_id).await?;
        if !partial || available.units() <= 0 {
            return Ok(Reservation {
                reserved: Quantity::ZERO,
                available: Quantity::from_units(available.units().max(0)),
            });
        }
        want = Quantity::from_units(available.units().min(qty.units()));
    }
    Ok(Reservation {
        reserved: Quantity::ZERO,
        available: Quantity::ZERO,
    })
}

/// A purchase order as billing sees it.
#[derive(Debug, Clone)]
pub struct PurchaseOrderRef {
    /// Id.
    pub id: Uuid,
    /// Number (`PO-000001`).
    pub number: String,
    /// Supplier.
    pub supplier_id: Uuid,
    /// Currency.
    pub currency: String,
}

/// A purchase-order line with what was ordered, received and billed.
#[derive(Debug, Clone)]
pub struct PurchaseLineRef {
    /// Id.
    pub id: Uuid,
    /// The order.
    pub purchase_order_id: Uuid,
    /// Product.
    pub product_id: Uuid,
    /// Ordered.
    pub quantity: Quantity,
    /// Received so far.
    pub received_quantity: Quantity,
    /// Billed so far.
    pub billed_quantity: Quantity,
    /// Agreed cost of one unit.
    pub unit_cost: Amount,
}

/// The purchase order `id` of the organization, if there is one.
pub async fn purchase_order(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<Option<PurchaseOrderRef>, AppError> {
    Ok(
        crate::platform::tenant::find_optional::<purchase_order::Entity>(conn, org, id)
            .await?
            .map(|o| PurchaseOrderRef {
                id: o.id,
                number: o.number,
                supplier_id: o.supplier_id,
                currency: o.currency,
            }),
    )
}

/// The organization's purchase-order lines among `ids` (one query).
pub async fn purchase_lines(
    conn: &impl ConnectionTrait,
    org: Uuid,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, PurchaseLineRef>, AppError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(purchase_order_line::Entity::find()
        .filter(purchase_order_line::Column::OrganizationId.eq(org))
        .filter(purchase_order_line::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|l| {
            let r = PurchaseLineRef {
                id: l.id,
                purchase_order_id: l.purchase_order_id,
                product_id: l.product_id,
                quantity: l.quantity,
                received_quantity: l.received_quantity,
                billed_quantity: l.billed_quantity,
                unit_cost: l.unit_cost,
            };
            (r.id, r)
        })
        .collect())
}

/// Adds `qty` to a purchase-order line's billed quantity inside the
/// caller's transaction (negative when a bill is voided or deleted), only
/// while it stays between zero and what was received: one conditional
/// UPDATE, so two bills racing for one receipt never bill it twice. False
/// when it would not.
pub async fn record_billed(
    conn: &impl ConnectionTrait,
    org: Uuid,
    line_id: Uuid,
    qty: Quantity,
) -> Result<bool, AppError> {
    use purchase_order_line::Column as C;
    use sea_orm::sea_query::{Expr, ExprTrait};
    let q = qty.units();
    Ok(purchase_order_line::Entity::update_many()
        .col_expr(C::BilledQuantity, Expr::col(C::BilledQuantity).add(q))
        .filter(C::OrganizationId.eq(org))
        .filter(C::Id.eq(line_id))
        .filter(Expr::col(C::BilledQuantity).lte(Expr::col(C::ReceivedQuantity).sub(q)))
        .filter(Expr::col(C::BilledQuantity).gte(q.saturating_neg()))
        .exec(conn)
        .await?
        .rows_affected
        == 1)
}

/// What billing needs to know of a supplier.
#[derive(Debug, Clone)]
pub struct SupplierRef {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Currency it bills in.
    pub currency: String,
    /// Days from bill to payment.
    pub payment_terms_days: i32,
    /// False once archived.
    pub active: bool,
}

/// The supplier `id` of the organization, if there is one.
pub async fn supplier(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<Option<SupplierRef>, AppError> {
    Ok(
        crate::platform::tenant::find_optional::<supplier::Entity>(conn, org, id)
            .await?
            .map(|s| SupplierRef {
                id: s.id,
                name: s.name,
                currency: s.currency,
                payment_terms_days: s.payment_terms_days,
                active: s.active,
            }),
    )
}

/// The names of the organization's suppliers among `ids` (one query).
pub async fn supplier_names(
    conn: &impl ConnectionTrait,
    org: Uuid,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, AppError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(supplier::Entity::find()
        .filter(supplier::Column::OrganizationId.eq(org))
        .filter(supplier::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect())
}
