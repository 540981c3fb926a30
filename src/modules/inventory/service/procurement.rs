//! Procurement: suppliers and purchase orders.
//!
//! A purchase order moves `draft -> ordered -> partially_received ->
//! received`, or to `cancelled` from `draft` or `ordered`; anything else is a
//! 409 `invalid_state`. Each state change is one conditional UPDATE on the
//! current state, so two requests racing on the same order cannot both win.
//! Receiving posts receipt movements through the stock ledger in the same
//! transaction, and a line's received quantity only grows through a
//! conditional UPDATE that keeps it within the ordered quantity (a CHECK
//! constraint backs it).

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, Func},
};
use serde_json::json;
use uuid::Uuid;

use super::stock::{MoveContext, check_line_amounts, open_warehouse, post_receipts, stock_product};
use crate::{
    modules::inventory::{
        dto::*,
        entities::{PurchaseOrderStatus, product, purchase_order, purchase_order_line, supplier},
    },
    platform::{
        error::FieldError,
        money::{Amount, Quantity},
        numbering::next_number,
        pagination::{Page, after_key, decode_cursor},
        prelude::*,
    },
};

// ---- suppliers -------------------------------------------------------------

/// A supplier of the organization, or 404.
pub async fn find_supplier(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<supplier::Model, AppError> {
    tenant::find::<supplier::Entity>(conn, org, id).await
}

/// `GET /suppliers`: by name, filters q and active (default true).
pub async fn list_suppliers(
    conn: &impl ConnectionTrait,
    org: Uuid,
    f: &SupplierFilter,
) -> Result<Page<SupplierOut>, AppError> {
    let limit = f.limit.unwrap_or(50).clamp(1, 200);
    let mut cond = Condition::all()
        .add(supplier::Column::OrganizationId.eq(org))
        .add(supplier::Column::Active.eq(f.active.unwrap_or(true)));
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", q.to_lowercase().replace(['%', '_'], ""));
        cond = cond.add(Expr::expr(Func::lower(Expr::col(supplier::Column::Name))).like(pattern));
    }
    if let Some(c) = &f.cursor {
        cond = cond.add(after_key(
            supplier::Column::Name,
            supplier::Column::Id,
            decode_cursor::<(String, Uuid)>(c)?,
            false,
        ));
    }
    let rows = supplier::Entity::find()
        .filter(cond)
        .order_by_asc(supplier::Column::Name)
        .order_by_asc(supplier::Column::Id)
        .limit(limit + 1)
        .all(conn)
        .await?;
    Ok(Page::from_rows(rows, limit, |r| (r.name.clone(), r.id)).map(SupplierOut::from))
}

/// `POST /suppliers`.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn create_supplier(
    state: &AppState,
    p: &Principal,
    input: &SupplierIn,
) -> Result<SupplierOut, AppError> {
    let tx = begin_write(&state.db).await?;
    let now = Utc::now();
    let s = supplier::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(p.organization_id),
        name: Set(input.name.trim().to_string()),
        email: Set(input.email.clone()),
        phone: Set(input.phone.clone()),
        address: Set(input.address.clone()),
        tax_id: Set(input.tax_id.clone()),
        payment_terms_days: Set(input.payment_terms_days.unwrap_or(30)),
        currency: Set(input.currency.clone()),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "inventory.supplier.created",
            "supplier",
            s.id,
            json!({ "name": s.name, "currency": s.currency }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(s.into())
}

/// `PATCH /suppliers/{id}` and archiving (`active: false`).
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn patch_supplier(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    patch: &SupplierPatch,
    if_match: Option<i32>,
) -> Result<SupplierOut, AppError> {
    let tx = begin_write(&state.db).await?;
    let current = find_supplier(&tx, p.organization_id, id).await?;
    let target = Target::new(p.organization_id, id, if_match);
    let updated = tenant::update::<supplier::Entity>(&tx, target, patch.changes(), None).await?;
    let action = if patch.active == Some(false) {
        "inventory.supplier.archived"
    } else {
        "inventory.supplier.updated"
    };
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            action,
            "supplier",
            id,
            json!({
                "name": [current.name, updated.name],
                "currency": [current.currency, updated.currency],
                "active": [current.active, updated.active],
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(updated.into())
}

// ---- purchase orders -------------------------------------------------------

/// A purchase order of the organization, or 404.
async fn find_order(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<purchase_order::Model, AppError> {
    tenant::find::<purchase_order::Entity>(conn, org, id).await
}

/// The lines of the given orders with their products' SKU and name: two
/// queries for any number of orders.
async fn lines_of(
    conn: &impl ConnectionTrait,
    org: Uuid,
    orders: &[Uuid],
) -> Result<HashMap<Uuid, Vec<PurchaseOrderLineOut>>, AppError> {
    let lines = purchase_order_line::Entity::find()
        .filter(purchase_order_line::Column::OrganizationId.eq(org))
        .filter(purchase_order_line::Column::PurchaseOrderId.is_in(orders.iter().copied()))
        .order_by_asc(purchase_order_line::Column::PurchaseOrderId)
        .order_by_asc(purchase_order_line::Column::LineNo)
        .all(conn)
        .await?;
    let mut product_ids: Vec<Uuid> = lines.iter().map(|l| l.product_id).collect();
    product_ids.sort();
    product_ids.dedup();
    let products: HashMap<Uuid, product::Model> = product::Entity::find()
        .filter(product::Column::OrganizationId.eq(org))
        .filter(product::Column::Id.is_in(product_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut out: HashMap<Uuid, Vec<PurchaseOrderLineOut>> = HashMap::new();
    for l in lines {
        let (sku, name) = products
            .get(&l.product_id)
            .map(|p| (p.sku.clone(), p.name.clone()))
            .unwrap_or_default();
        out.entry(l.purchase_order_id)
            .or_default()
            .push(PurchaseOrderLineOut {
                id: l.id,
                line_no: l.line_no,
                product_id: l.product_id,
                sku,
                name,
                quantity: l.quantity,
                received_quantity: l.received_quantity,
                remaining_quantity: Quantity::from_units(
                    l.quantity.units() - l.received_quantity.units(),
                ),
                unit_cost: l.unit_cost,
                line_total: l.unit_cost.times(l.quantity).unwrap_or(Amount::ZERO),
            });
    }
    Ok(out)
}

fn order_out(o: purchase_order::Model, lines: Vec<PurchaseOrderLineOut>) -> PurchaseOrderOut {
    PurchaseOrderOut {
        id: o.id,
        number: o.number,
        supplier_id: o.supplier_id,
        status: o.status,
        currency: o.currency,
        warehouse_id: o.warehouse_id,
        expected_on: o.expected_on,
        notes: o.notes,
        total_amount: o.total_amount,
        lines,
        created_by: o.created_by,
        ordered_at: o.ordered_at,
        received_at: o.received_at,
        cancelled_at: o.cancelled_at,
        created_at: o.created_at,
        updated_at: o.updated_at,
        version: o.version,
    }
}

async fn with_lines(
    conn: &impl ConnectionTrait,
    o: purchase_order::Model,
) -> Result<PurchaseOrderOut, AppError> {
    let mut lines = lines_of(conn, o.organization_id, &[o.id]).await?;
    let mine = lines.remove(&o.id).unwrap_or_default();
    Ok(order_out(o, mine))
}

/// `GET /purchase-orders/{id}`.
pub async fn get_order(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<PurchaseOrderOut, AppError> {
    let o = find_order(conn, org, id).await?;
    with_lines(conn, o).await
}

/// `GET /purchase-orders`: newest first; filters status and supplier.
pub async fn list_orders(
    conn: &impl ConnectionTrait,
    org: Uuid,
    f: &PurchaseOrderFilter,
) -> Result<Page<PurchaseOrderOut>, AppError> {
    let limit = f.limit.unwrap_or(50).clamp(1, 200);
    let mut q =
        purchase_order::Entity::find().filter(purchase_order::Column::OrganizationId.eq(org));
    if let Some(s) = f.status {
        q = q.filter(purchase_order::Column::Status.eq(s));
    }
    if let Some(s) = f.supplier_id {
        q = q.filter(purchase_order::Column::SupplierId.eq(s));
    }
    if let Some(c) = &f.cursor {
        let before: Uuid = decode_cursor(c)?;
        q = q.filter(purchase_order::Column::Id.lt(before));
    }
    let rows = q
        .order_by_desc(purchase_order::Column::Id)
        .limit(limit + 1)
        .all(conn)
        .await?;
    let page = Page::from_rows(rows, limit, |r| r.id);
    let ids: Vec<Uuid> = page.data.iter().map(|o| o.id).collect();
    let mut lines = lines_of(conn, org, &ids).await?;
    Ok(page.map(|o| {
        let mine = lines.remove(&o.id).unwrap_or_default();
        order_out(o, mine)
    }))
}

/// An active supplier, or 422 on `supplier_id`.
async fn open_supplier(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<supplier::Model, AppError> {
    let s = find_supplier(conn, org, id).await.map_err(|_| {
        AppError::invalid_field(
            "supplier_id",
            "not_found",
            "is not a supplier of this organization",
        )
    })?;
    if !s.active {
        return Err(AppError::invalid_field(
            "supplier_id",
            "archived",
            "is archived",
        ));
    }
    Ok(s)
}

/// Checks the lines and writes them for `order`; returns the order total.
async fn write_lines(
    conn: &impl ConnectionTrait,
    org: Uuid,
    order: Uuid,
    lines: &[PurchaseOrderLineIn],
) -> Result<Amount, AppError> {
    check_line_amounts(lines.iter().map(|l| (l.quantity, l.unit_cost)))?;
    let overflow =
        || AppError::invalid_field("lines", "overflow", "the order total is out of range");
    let mut total = Amount::ZERO;
    let mut rows = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        let prod =
            stock_product(conn, org, l.product_id, &format!("lines[{i}].product_id")).await?;
        let unit_cost = l.unit_cost.unwrap_or(prod.standard_cost);
        let line_total = unit_cost.times(l.quantity).ok_or_else(overflow)?;
        total = total.checked_add(line_total).ok_or_else(overflow)?;
        rows.push(purchase_order_line::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(org),
            purchase_order_id: Set(order),
            line_no: Set(i as i32 + 1),
            product_id: Set(l.product_id),
            quantity: Set(l.quantity),
            received_quantity: Set(Quantity::ZERO),
            unit_cost: Set(unit_cost),
            billed_quantity: Set(Quantity::ZERO),
        });
    }
    purchase_order_line::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    Ok(total)
}

/// `POST /purchase-orders`: a draft numbered `PO-000001`, ...
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn create_order(
    state: &AppState,
    p: &Principal,
    input: &PurchaseOrderIn,
) -> Result<PurchaseOrderOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let supplier = open_supplier(&tx, org, input.supplier_id).await?;
    if let Some(w) = input.warehouse_id {
        open_warehouse(&tx, org, w, "warehouse_id").await?;
    }
    let id = Uuid::now_v7();
    let now = Utc::now();
    // The order row goes first: its lines reference it.
    let o = purchase_order::ActiveModel {
        id: Set(id),
        organization_id: Set(org),
        number: Set(next_number(&tx, org, "PO").await?),
        supplier_id: Set(supplier.id),
        status: Set(PurchaseOrderStatus::Draft),
        currency: Set(input.currency.clone().unwrap_or(supplier.currency)),
        warehouse_id: Set(input.warehouse_id),
        expected_on: Set(input.expected_on),
        notes: Set(input.notes.clone()),
        total_amount: Set(Amount::ZERO),
        created_by: Set(Some(p.user_id)),
        ordered_at: Set(None),
        received_at: Set(None),
        cancelled_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    let total = write_lines(&tx, org, id, &input.lines).await?;
    let mut am: purchase_order::ActiveModel = o.into();
    am.total_amount = Set(total);
    let o = am.update(&tx).await?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "inventory.purchase_order.created",
            "purchase_order",
            id,
            json!({ "number": o.number, "supplier_id": o.supplier_id, "total_amount": o.total_amount }),
        ),
    )
    .await?;
    let out = with_lines(&tx, o).await?;
    tx.commit().await?;
    Ok(out)
}

fn invalid_state(o: &purchase_order::Model, what: &str) -> AppError {
    AppError::conflict(
        "invalid_state",
        format!(
            "Purchase order {} is {}; it cannot be {what}.",
            o.number, o.status
        ),
    )
}

/// `PATCH /purchase-orders/{id}`: drafts only.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn patch_order(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    patch: &PurchaseOrderPatch,
    if_match: Option<i32>,
) -> Result<PurchaseOrderOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let current = find_order(&tx, org, id).await?;
    if current.status != PurchaseOrderStatus::Draft {
        return Err(invalid_state(&current, "changed (only drafts can)"));
    }
    let mut changes = patch.changes();
    if let Some(s) = patch.supplier_id {
        open_supplier(&tx, org, s).await?;
    }
    if let Some(Some(w)) = patch.warehouse_id {
        open_warehouse(&tx, org, w, "warehouse_id").await?;
    }
    if let Some(lines) = &patch.lines {
        purchase_order_line::Entity::delete_many()
            .filter(purchase_order_line::Column::OrganizationId.eq(org))
            .filter(purchase_order_line::Column::PurchaseOrderId.eq(id))
            .exec(&tx)
            .await?;
        changes.total_amount = Set(write_lines(&tx, org, id, lines).await?);
    }
    // Only a draft changes: the state is part of the write's condition.
    let guard = Guard::new(
        purchase_order::Column::Status.eq(PurchaseOrderStatus::Draft),
        |o: &purchase_order::Model| invalid_state(o, "changed (only drafts can)"),
    );
    let updated = tenant::update::<purchase_order::Entity>(
        &tx,
        Target::new(org, id, if_match),
        changes,
        Some(guard),
    )
    .await?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "inventory.purchase_order.updated",
            "purchase_order",
            id,
            json!({
                "supplier_id": [current.supplier_id, updated.supplier_id],
                "total_amount": [current.total_amount, updated.total_amount],
                "lines_replaced": patch.lines.is_some(),
            }),
        ),
    )
    .await?;
    let out = with_lines(&tx, updated).await?;
    tx.commit().await?;
    Ok(out)
}

/// Moves an order from one of `from` to `to` with one conditional UPDATE
/// (which also takes the row lock on PostgreSQL); 404, 412 or 409
/// `invalid_state` when it does not apply. `stamp` sets the state's timestamp.
async fn move_state(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
    (to, what): (PurchaseOrderStatus, &str),
    if_match: Option<i32>,
    stamp: Option<purchase_order::Column>,
) -> Result<purchase_order::Model, AppError> {
    let mut changes = purchase_order::ActiveModel {
        status: Set(to),
        ..Default::default()
    };
    if let Some(col) = stamp {
        changes.set(col, Utc::now().into());
    }
    let what = what.to_string();
    let guard = Guard::new(
        purchase_order::Column::Status.is_in(PurchaseOrderStatus::sources(to)),
        move |o: &purchase_order::Model| invalid_state(o, &what),
    );
    tenant::update::<purchase_order::Entity>(
        conn,
        Target::new(org, id, if_match),
        changes,
        Some(guard),
    )
    .await
}

/// `POST /purchase-orders/{id}/order` (draft -> ordered) and
/// `/cancel` (draft or ordered -> cancelled): one guarded compare-and-set
/// that also stamps the state's time.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn transition(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    if_match: Option<i32>,
    to: PurchaseOrderStatus,
) -> Result<PurchaseOrderOut, AppError> {
    let stamp = match to {
        PurchaseOrderStatus::Cancelled => purchase_order::Column::CancelledAt,
        PurchaseOrderStatus::Received => purchase_order::Column::ReceivedAt,
        _ => purchase_order::Column::OrderedAt,
    };
    let tx = begin_write(&state.db).await?;
    let rule = (to, to.as_str());
    let o = move_state(&tx, p.organization_id, id, rule, if_match, Some(stamp)).await?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            &format!("inventory.purchase_order.{to}"),
            "purchase_order",
            id,
            json!({ "number": o.number, "status": [PurchaseOrderStatus::sources(to), to] }),
        ),
    )
    .await?;
    let out = with_lines(&tx, o).await?;
    tx.commit().await?;
    Ok(out)
}

/// `POST /purchase-orders/{id}/receive`: receives part or all of some lines
/// into a warehouse, through the stock ledger; the order becomes
/// `partially_received` or, when nothing remains, `received`.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn receive(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    input: &ReceiveIn,
) -> Result<ReceiptOut, AppError> {
    check_line_amounts(input.lines.iter().map(|l| (l.quantity, l.unit_cost)))?;
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    // Claims the order first: concurrent receipts of one order queue here.
    let order = move_state(
        &tx,
        org,
        id,
        (
            PurchaseOrderStatus::PartiallyReceived,
            "received (order it first; received and cancelled orders take no receipts)",
        ),
        None,
        None,
    )
    .await?;
    let warehouse = input.warehouse_id.or(order.warehouse_id).ok_or_else(|| {
        AppError::invalid_field(
            "warehouse_id",
            "required",
            "is required: the order names no warehouse",
        )
    })?;
    open_warehouse(&tx, org, warehouse, "warehouse_id").await?;
    let lines: HashMap<Uuid, purchase_order_line::Model> = purchase_order_line::Entity::find()
        .filter(purchase_order_line::Column::OrganizationId.eq(org))
        .filter(purchase_order_line::Column::PurchaseOrderId.eq(id))
        .all(&tx)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let mut errors = Vec::new();
    let mut seen = Vec::with_capacity(input.lines.len());
    let mut receipts = Vec::with_capacity(input.lines.len());
    for (i, r) in input.lines.iter().enumerate() {
        let Some(line) = lines.get(&r.line_id) else {
            errors.push(FieldError::new(
                format!("lines[{i}].line_id"),
                "not_found",
                "is not a line of this purchase order",
            ));
            continue;
        };
        if seen.contains(&r.line_id) {
            errors.push(FieldError::new(
                format!("lines[{i}].line_id"),
                "duplicate",
                "appears more than once",
            ));
            continue;
        }
        seen.push(r.line_id);
        let remaining = line.quantity.units() - line.received_quantity.units();
        if r.quantity.units() > remaining {
            errors.push(FieldError::new(
                format!("lines[{i}].quantity"),
                "over_receipt",
                format!(
                    "exceeds what remains to receive on line {}: {} of {} ordered",
                    line.line_no,
                    Quantity::from_units(remaining),
                    line.quantity
                ),
            ));
            continue;
        }
        receipts.push((line, r));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    for (line, r) in &receipts {
        let q = r.quantity.units();
        // The service checked the remainder; the condition (and the CHECK
        // constraint) hold it even if that check were wrong.
        let done = purchase_order_line::Entity::update_many()
            .col_expr(
                purchase_order_line::Column::ReceivedQuantity,
                Expr::col(purchase_order_line::Column::ReceivedQuantity).add(q),
            )
            .filter(purchase_order_line::Column::Id.eq(line.id))
            .filter(
                Expr::col(purchase_order_line::Column::ReceivedQuantity)
                    .add(q)
                    .lte(Expr::col(purchase_order_line::Column::Quantity)),
            )
            .exec(&tx)
            .await?
            .rows_affected
            == 1;
        if !done {
            return Err(AppError::invalid_field(
                "lines",
                "over_receipt",
                "exceeds what remains to receive",
            ));
        }
    }
    let id_text = id.to_string();
    let ctx = MoveContext {
        org,
        actor: Some(p.user_id),
        reason: if input.reason.is_empty() {
            &order.number
        } else {
            &input.reason
        },
        reference_type: Some("purchase_order"),
        reference_id: Some(&id_text),
    };
    let stock_lines: Vec<_> = receipts
        .iter()
        .map(|(line, r)| {
            (
                line.product_id,
                r.quantity,
                r.unit_cost.unwrap_or(line.unit_cost),
            )
        })
        .collect();
    let (movements, _) = post_receipts(&tx, &ctx, warehouse, &stock_lines).await?;
    let complete = lines.values().all(|l| {
        let now = receipts
            .iter()
            .find(|(line, _)| line.id == l.id)
            .map_or(0, |(_, r)| r.quantity.units());
        l.received_quantity.units() + now == l.quantity.units()
    });
    let order = if complete {
        move_state(
            &tx,
            org,
            id,
            (PurchaseOrderStatus::Received, "received"),
            None,
            Some(purchase_order::Column::ReceivedAt),
        )
        .await?
    } else {
        order
    };
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "inventory.purchase_order.received",
            "purchase_order",
            id,
            json!({
                "number": order.number,
                "status": order.status,
                "warehouse_id": warehouse,
                "lines": receipts.iter().map(|(l, r)| json!({ "line_id": l.id, "quantity": r.quantity })).collect::<Vec<_>>(),
                "movements": movements.iter().map(|m| m.id).collect::<Vec<_>>(),
            }),
        ),
    )
    .await?;
    let out = with_lines(&tx, order).await?;
    tx.commit().await?;
    Ok(ReceiptOut {
        purchase_order: out,
        movements: movements.into_iter().map(MovementOut::from).collect(),
    })
}

#[cfg(test)]
mod tests {
    use sea_orm::Iterable;

    use super::PurchaseOrderStatus;

    #[test]
    fn the_statuses_match_the_database_check() {
        let migration =
            include_str!("../../../../migration/src/m20261121_000009_inventory_procurement.rs");
        for s in PurchaseOrderStatus::iter() {
            assert!(migration.contains(&format!("\"{s}\"")), "{s}");
        }
    }

    #[test]
    fn every_status_but_draft_is_reached_and_final_states_are_left_by_none() {
        use PurchaseOrderStatus::*;
        for s in PurchaseOrderStatus::iter().filter(|s| *s != Draft) {
            assert!(!PurchaseOrderStatus::sources(s).is_empty(), "{s}");
        }
        for (from, _) in PurchaseOrderStatus::TRANSITIONS {
            assert!(![Received, Cancelled].contains(from), "{from} is final");
        }
    }
}
