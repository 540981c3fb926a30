//! Changes to a sales order after it is written: header edits (lines only
//! while draft), reserving backorders again, and cancelling (releasing what
//! is still reserved).

use chrono::Utc;
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, Set,
    sea_query::{Expr, ExprTrait},
};
use serde_json::json;
use uuid::Uuid;

use super::{
    lines,
    orders::{invalid_state_of, move_state, order_lines, origin, set_backordered, with_lines},
    quotes::check_links,
};
use crate::{
    modules::{
        crm::sales::{
            dto::*,
            entities::{SalesOrderStatus, order_line, sales_order},
        },
        inventory::api as stock,
    },
    platform::{money::Quantity, prelude::*},
};

/// `PATCH /sales-orders/{id}`: lines and warehouse while draft (re-priced),
/// contact, dates and notes until the order is fulfilled or cancelled.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn patch_order(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    patch: &SalesOrderPatch,
    if_match: Option<i32>,
) -> Result<SalesOrderOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let current = tenant::find::<sales_order::Entity>(&tx, org, id).await?;
    if let Some(v) = if_match.filter(|v| *v != current.version) {
        return Err(tenant::version_mismatch(current.version, v));
    }
    let draft_only = patch.lines.is_some() || patch.warehouse_id.is_some();
    let allowed: &[SalesOrderStatus] = if draft_only {
        &[SalesOrderStatus::Draft]
    } else {
        &[
            SalesOrderStatus::Draft,
            SalesOrderStatus::Confirmed,
            SalesOrderStatus::PartiallyFulfilled,
        ]
    };
    let what = if draft_only {
        "given new lines or a new warehouse (only drafts can)"
    } else {
        "changed"
    };
    if !allowed.contains(&current.status) {
        return Err(invalid_state_of(&current, what));
    }
    check_links(&tx, org, patch.contact_id.flatten(), None).await?;
    let mut changes = sales_order::ActiveModel::default();
    patch.apply_to(&mut changes);
    if let Some(w) = patch.warehouse_id {
        stock::open_warehouse(&tx, org, w, "warehouse_id").await?;
        changes.warehouse_id = Set(Some(w));
    }
    if let Some(input) = &patch.lines {
        let priced = lines::price(&tx, org, &current.currency, input).await?;
        if priced.lines.iter().any(|l| l.stocked)
            && patch.warehouse_id.or(current.warehouse_id).is_none()
        {
            return Err(AppError::invalid_field(
                "warehouse_id",
                "required",
                "is required: the order has stock lines",
            ));
        }
        order_line::Entity::delete_many()
            .filter(order_line::Column::OrganizationId.eq(org))
            .filter(order_line::Column::SalesOrderId.eq(id))
            .exec(&tx)
            .await?;
        super::orders::write_lines(&tx, &super::orders::line_rows(org, id, &priced, None)).await?;
        let t = priced.totals;
        changes.subtotal = Set(t.subtotal);
        changes.discount_total = Set(t.discount);
        changes.tax_total = Set(t.tax);
        changes.total = Set(t.total);
        changes.line_count = Set(priced.lines.len() as i32);
    }
    let statuses = allowed.to_vec();
    let guard = Guard::new(
        sales_order::Column::Status.is_in(statuses),
        move |o: &sales_order::Model| invalid_state_of(o, what),
    );
    let target = Target::new(org, id, if_match);
    let updated = tenant::update::<sales_order::Entity>(&tx, target, changes, Some(guard)).await?;
    audit::record(&tx, AuditEntry::by(p, "sales.order.updated", "sales_order", id, json!({
        "total": [current.total, updated.total],
        "requested_delivery_date": [current.requested_delivery_date, updated.requested_delivery_date],
        "lines_replaced": patch.lines.is_some(),
    })))
    .await?;
    let out = with_lines(&tx, updated).await?;
    tx.commit().await?;
    Ok(out)
}

/// `POST /sales-orders/{id}/reserve`: reserves what is now in stock of each
/// backordered line (what is still missing stays backordered).
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn reserve_backorders(
    state: &AppState,
    p: &Principal,
    id: Uuid,
) -> Result<SalesOrderOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    // Claims the order while it is open (only the version moves; its status
    // is left as it is): concurrent changes of one order queue here.
    let guard = Guard::new(
        sales_order::Column::Status.is_in(SalesOrderStatus::OPEN.to_vec()),
        |o: &sales_order::Model| invalid_state_of(o, "reserved (only open orders can)"),
    );
    let changes = sales_order::ActiveModel::default();
    let o = tenant::update::<sales_order::Entity>(
        &tx,
        Target::new(org, id, None),
        changes,
        Some(guard),
    )
    .await?;
    let Some(warehouse) = o.warehouse_id else {
        return Err(invalid_state_of(&o, "reserved (it has no warehouse)"));
    };
    let id_text = id.to_string();
    let from = origin(p, &id_text);
    let mut still_short = false;
    let mut reserved_now = Vec::new();
    for l in order_lines(&tx, org, id).await? {
        let (Some(product), true) = (l.product_id, l.backordered_quantity.units() > 0) else {
            continue;
        };
        let r = stock::reserve_available(
            &tx,
            &from,
            (product, warehouse),
            l.backordered_quantity,
            true,
        )
        .await?;
        let q = r.reserved.units();
        still_short |= q < l.backordered_quantity.units();
        if q == 0 {
            continue;
        }
        order_line::Entity::update_many()
            .col_expr(
                order_line::Column::ReservedQuantity,
                Expr::col(order_line::Column::ReservedQuantity).add(q),
            )
            .col_expr(
                order_line::Column::BackorderedQuantity,
                Expr::col(order_line::Column::BackorderedQuantity).sub(q),
            )
            .filter(order_line::Column::Id.eq(l.id))
            .exec(&tx)
            .await?;
        reserved_now.push(json!({ "line_id": l.id, "quantity": r.reserved }));
    }
    set_backordered(&tx, id, still_short).await?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "sales.order.reserved",
            "sales_order",
            id,
            json!({
                "number": o.number, "lines": reserved_now, "backordered": still_short,
            }),
        ),
    )
    .await?;
    let o = sales_order::Model {
        backordered: still_short,
        ..o
    };
    let out = with_lines(&tx, o).await?;
    tx.commit().await?;
    Ok(out)
}

/// `POST /sales-orders/{id}/cancel`: from draft, confirmed or partially
/// fulfilled; releases what each line still holds (never what shipped) and
/// clears its backorder.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn cancel(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    if_match: Option<i32>,
) -> Result<SalesOrderOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let claim = sales_order::ActiveModel {
        cancelled_at: Set(Some(Utc::now())),
        backordered: Set(false),
        ..Default::default()
    };
    let what = "cancelled (fulfilled and cancelled orders cannot)";
    let o = move_state(
        &tx,
        org,
        id,
        (claim, SalesOrderStatus::Cancelled),
        what,
        if_match,
    )
    .await?;
    let id_text = id.to_string();
    let from = origin(p, &id_text);
    let mut released = Vec::new();
    for l in order_lines(&tx, org, id).await? {
        if let (Some(product), Some(w), true) = (
            l.product_id,
            o.warehouse_id,
            l.reserved_quantity.units() > 0,
        ) {
            stock::release(&tx, &from, product, w, l.reserved_quantity).await?;
            released.push(json!({ "line_id": l.id, "quantity": l.reserved_quantity }));
        }
    }
    order_line::Entity::update_many()
        .col_expr(
            order_line::Column::ReservedQuantity,
            Expr::value(Quantity::ZERO),
        )
        .col_expr(
            order_line::Column::BackorderedQuantity,
            Expr::value(Quantity::ZERO),
        )
        .filter(order_line::Column::OrganizationId.eq(org))
        .filter(order_line::Column::SalesOrderId.eq(id))
        .exec(&tx)
        .await?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "sales.order.cancelled",
            "sales_order",
            id,
            json!({
                "number": o.number, "released": released,
            }),
        ),
    )
    .await?;
    let out = with_lines(&tx, o).await?;
    tx.commit().await?;
    Ok(out)
}
