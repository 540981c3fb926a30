//! Fulfilments: deliveries against a sales order (`DN-000001`, ...). Each
//! ships given quantities of some lines: stock lines issue their reserved
//! stock through `inventory::api` (which posts the cost of goods sold), in
//! the order's transaction; a line's delivered quantity grows only through
//! a conditional UPDATE that keeps it within the ordered quantity and its
//! reservation (CHECK constraints back both).

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::{Expr, ExprTrait},
};
use serde_json::json;
use uuid::Uuid;

use super::orders::{move_state, order_lines, origin};
use crate::{
    modules::{
        crm::sales::{
            dto::*,
            entities::{SalesOrderStatus, fulfilment, fulfilment_line, order_line, sales_order},
        },
        inventory::api as stock,
    },
    platform::{
        error::FieldError, money::Quantity, numbering::next_number, pagination::Page, prelude::*,
    },
};

/// The request's lines checked against the order's: every problem at once
/// (422 naming `lines[i].line_id` or `lines[i].quantity`; 409
/// `insufficient_stock` for stock not reserved, a backorder).
fn check<'a>(
    input: &[FulfilmentLineIn],
    lines: &HashMap<Uuid, &'a order_line::Model>,
) -> Result<Vec<(&'a order_line::Model, Quantity)>, AppError> {
    let mut errors = Vec::new();
    let mut short = Vec::new();
    let mut out: Vec<(&order_line::Model, Quantity)> = Vec::with_capacity(input.len());
    for (i, r) in input.iter().enumerate() {
        let Some(line) = lines.get(&r.line_id) else {
            errors.push(FieldError::new(
                format!("lines[{i}].line_id"),
                "not_found",
                "is not a line of this sales order",
            ));
            continue;
        };
        if out.iter().any(|(l, _)| l.id == line.id) {
            errors.push(FieldError::new(
                format!("lines[{i}].line_id"),
                "duplicate",
                "appears more than once",
            ));
            continue;
        }
        let q = r.quantity.units();
        let remaining = line.quantity.units() - line.delivered_quantity.units();
        if q <= 0 {
            errors.push(FieldError::new(
                format!("lines[{i}].quantity"),
                "range",
                "must be more than zero",
            ));
        } else if q > remaining {
            errors.push(FieldError::new(
                format!("lines[{i}].quantity"),
                "over_fulfilment",
                format!(
                    "exceeds what remains to ship on line {}: {} of {} ordered",
                    line.line_no,
                    Quantity::from_units(remaining),
                    line.quantity
                ),
            ));
        } else if line.stocked && q > line.reserved_quantity.units() {
            short.push(FieldError::new(
                format!("lines[{i}].quantity"),
                "insufficient_stock",
                format!(
                    "line {} has {} reserved ({} backordered); reserve it first",
                    line.line_no, line.reserved_quantity, line.backordered_quantity
                ),
            ));
        }
        out.push((line, r.quantity));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    if !short.is_empty() {
        return Err(AppError::conflict(
            "insufficient_stock",
            "Some lines ship more than is reserved for them.",
        )
        .with_errors(short));
    }
    Ok(out)
}

/// Adds `q` to a line's delivered quantity (and takes it off its
/// reservation for stock), only while that stays within the order.
async fn deliver(
    conn: &impl ConnectionTrait,
    line: &order_line::Model,
    q: i64,
) -> Result<(), AppError> {
    let mut update = order_line::Entity::update_many()
        .col_expr(
            order_line::Column::DeliveredQuantity,
            Expr::col(order_line::Column::DeliveredQuantity).add(q),
        )
        .filter(order_line::Column::Id.eq(line.id))
        .filter(
            Expr::col(order_line::Column::DeliveredQuantity)
                .add(q)
                .lte(Expr::col(order_line::Column::Quantity)),
        );
    if line.stocked {
        update = update
            .col_expr(
                order_line::Column::ReservedQuantity,
                Expr::col(order_line::Column::ReservedQuantity).sub(q),
            )
            .filter(order_line::Column::ReservedQuantity.gte(q));
    }
    if update.exec(conn).await?.rows_affected == 1 {
        Ok(())
    } else {
        Err(AppError::invalid_field(
            "lines",
            "over_fulfilment",
            "exceeds what remains to ship",
        ))
    }
}

/// `POST /sales-orders/{id}/fulfilments`: one delivery; the order becomes
/// `partially_fulfilled`, or `fulfilled` when nothing remains to ship.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn create_fulfilment(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    input: &FulfilmentIn,
) -> Result<FulfilmentOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    // Claims the order first: concurrent deliveries of one order queue here.
    let what = "fulfilled (confirm it first; fulfilled and cancelled orders ship nothing)";
    let claim = (
        sales_order::ActiveModel::default(),
        SalesOrderStatus::PartiallyFulfilled,
    );
    let order = move_state(&tx, org, id, claim, what, None).await?;
    let all = order_lines(&tx, org, id).await?;
    let by_id: HashMap<Uuid, &order_line::Model> = all.iter().map(|l| (l.id, l)).collect();
    let shipping = check(&input.lines, &by_id)?;
    for (line, q) in &shipping {
        deliver(&tx, line, q.units()).await?;
    }
    let done = all.iter().all(|l| {
        let now = shipping
            .iter()
            .find(|(s, _)| s.id == l.id)
            .map_or(0, |(_, q)| q.units());
        l.delivered_quantity.units() + now == l.quantity.units()
    });
    let order = if done {
        let stamp = sales_order::ActiveModel {
            fulfilled_at: Set(Some(Utc::now())),
            ..Default::default()
        };
        let to = (stamp, SalesOrderStatus::Fulfilled);
        move_state(&tx, org, id, to, "fulfilled", None).await?
    } else {
        order
    };
    audit::record(&tx, AuditEntry::by(p, "sales.fulfilment.created", "sales_order", id, json!({
        "order": order.number, "status": order.status,
        "lines": shipping.iter().map(|(l, q)| json!({ "line_id": l.id, "quantity": q })).collect::<Vec<_>>(),
    })))
    .await?;
    // The organization-wide rows (the DN sequence, then the JE sequence the
    // cost posting takes) are locked last: deliveries of one organization
    // queue on them only until commit.
    let head = fulfilment::Model {
        id: Uuid::now_v7(),
        organization_id: org,
        number: next_number(&tx, org, "DN").await?,
        sales_order_id: id,
        warehouse_id: order.warehouse_id,
        notes: input.notes.clone(),
        created_by: Some(p.user_id),
        created_at: Utc::now(),
    };
    fulfilment::Entity::insert(fulfilment::ActiveModel::from(head.clone()))
        .exec_without_returning(&tx)
        .await?;
    let id_text = id.to_string();
    let from = origin(p, &id_text);
    // Every stock line in one issue: one movement each, one cost entry.
    let stock_lines: Vec<(Uuid, Quantity)> = shipping
        .iter()
        .filter(|(l, _)| l.stocked)
        .filter_map(|(l, q)| Some((l.product_id?, *q)))
        .collect();
    let mut movements = match (stock_lines.is_empty(), order.warehouse_id) {
        (false, Some(w)) => stock::issue_reserved_lines(&tx, &from, w, &stock_lines).await?,
        _ => Vec::new(),
    }
    .into_iter();
    let mut rows = Vec::with_capacity(shipping.len());
    for (line, q) in &shipping {
        let movement = match (line.stocked, line.product_id) {
            (true, Some(_)) => movements.next(),
            _ => None,
        };
        rows.push(fulfilment_line::Model {
            id: Uuid::now_v7(),
            organization_id: org,
            fulfilment_id: head.id,
            order_line_id: line.id,
            line_no: line.line_no,
            product_id: line.product_id,
            quantity: *q,
            movement_id: movement,
        });
    }
    fulfilment_line::Entity::insert_many(
        rows.iter().cloned().map(fulfilment_line::ActiveModel::from),
    )
    .exec_without_returning(&tx)
    .await?;
    tx.commit().await?;
    Ok(fulfilment_out(head, rows, order.status))
}

fn fulfilment_out(
    f: fulfilment::Model,
    lines: Vec<fulfilment_line::Model>,
    status: SalesOrderStatus,
) -> FulfilmentOut {
    FulfilmentOut {
        id: f.id,
        number: f.number,
        sales_order_id: f.sales_order_id,
        warehouse_id: f.warehouse_id,
        notes: f.notes,
        lines: lines
            .into_iter()
            .map(|l| FulfilmentLineOut {
                id: l.id,
                order_line_id: l.order_line_id,
                line_no: l.line_no,
                product_id: l.product_id,
                quantity: l.quantity,
                movement_id: l.movement_id,
            })
            .collect(),
        sales_order_status: status,
        created_by: f.created_by,
        created_at: f.created_at,
    }
}

/// `GET /sales-orders/{id}/fulfilments`: every delivery of the order, oldest
/// first (three queries).
pub async fn list_fulfilments(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<Page<FulfilmentOut>, AppError> {
    let order = tenant::find::<sales_order::Entity>(conn, org, id).await?;
    let heads = fulfilment::Entity::find()
        .filter(fulfilment::Column::OrganizationId.eq(org))
        .filter(fulfilment::Column::SalesOrderId.eq(id))
        .order_by_asc(fulfilment::Column::Id)
        .all(conn)
        .await?;
    let mut lines: HashMap<Uuid, Vec<fulfilment_line::Model>> = HashMap::new();
    for l in fulfilment_line::Entity::find()
        .filter(fulfilment_line::Column::OrganizationId.eq(org))
        .filter(fulfilment_line::Column::FulfilmentId.is_in(heads.iter().map(|h| h.id)))
        .order_by_asc(fulfilment_line::Column::LineNo)
        .all(conn)
        .await?
    {
        lines.entry(l.fulfilment_id).or_default().push(l);
    }
    let data = heads
        .into_iter()
        .map(|h| {
            let mine = lines.remove(&h.id).unwrap_or_default();
            fulfilment_out(h, mine, order.status)
        })
        .collect();
    Ok(Page {
        data,
        next_cursor: None,
        has_more: false,
    })
}
