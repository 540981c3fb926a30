//! Sales orders: drafts priced line by line, confirmed by reserving every
//! stock line in the order's warehouse (all or none, or what is there with
//! the rest backordered), cancelled with their reservations released. Stock
//! moves only through `inventory::api`, inside the order's transaction, so
//! reservations and orders never disagree: a line's reserved quantity and
//! the warehouse's reserved stock change in the same commit.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
    sea_query::{Expr, ExprTrait, Query},
};
use serde_json::json;
use uuid::Uuid;

use super::{
    lines::{self, Priced, StoredLine},
    quotes::check_links,
};
use crate::platform::pricing::LineFigures;
use crate::{
    modules::{
        crm::{
            sales::{
                dto::*,
                entities::{SalesOrderStatus, order_line, sales_order},
            },
            service::customers::check_customer,
        },
        inventory::api::{self as stock, Origin},
    },
    platform::{
        error::FieldError,
        money::Quantity,
        numbering::next_number,
        pagination::{Keyset, Page, keyset_page},
        prelude::*,
    },
};

/// The header of a new order.
pub struct OrderHeader {
    /// Customer (checked by the caller).
    pub customer_id: Uuid,
    /// Contact (checked by the caller).
    pub contact_id: Option<Uuid>,
    /// The quote it comes from.
    pub quote_id: Option<Uuid>,
    /// Warehouse (default: the organization's default).
    pub warehouse_id: Option<Uuid>,
    /// Order date.
    pub order_date: NaiveDate,
    /// Requested delivery date.
    pub requested_delivery_date: Option<NaiveDate>,
    /// Currency.
    pub currency: String,
    /// Notes.
    pub notes: String,
}

pub(super) fn summary(o: sales_order::Model) -> SalesOrderSummary {
    SalesOrderSummary {
        id: o.id,
        number: o.number,
        status: o.status,
        customer_id: o.customer_id,
        contact_id: o.contact_id,
        quote_id: o.quote_id,
        warehouse_id: o.warehouse_id,
        order_date: o.order_date,
        requested_delivery_date: o.requested_delivery_date,
        currency: o.currency,
        notes: o.notes,
        subtotal: o.subtotal,
        discount_total: o.discount_total,
        tax_total: o.tax_total,
        total: o.total,
        backordered: o.backordered,
        line_count: o.line_count,
        created_by: o.created_by,
        confirmed_at: o.confirmed_at,
        fulfilled_at: o.fulfilled_at,
        cancelled_at: o.cancelled_at,
        created_at: o.created_at,
        updated_at: o.updated_at,
        version: o.version,
    }
}

/// An order's lines, by position.
pub async fn order_lines(
    conn: &impl ConnectionTrait,
    org: Uuid,
    order: Uuid,
) -> Result<Vec<order_line::Model>, AppError> {
    Ok(order_line::Entity::find()
        .filter(order_line::Column::OrganizationId.eq(org))
        .filter(order_line::Column::SalesOrderId.eq(order))
        .order_by_asc(order_line::Column::LineNo)
        .all(conn)
        .await?)
}

/// An order with its lines (two queries: lines, SKUs).
pub async fn with_lines(
    conn: &impl ConnectionTrait,
    o: sales_order::Model,
) -> Result<SalesOrderOut, AppError> {
    let rows = order_lines(conn, o.organization_id, o.id).await?;
    let skus = lines::skus(
        conn,
        o.organization_id,
        rows.iter().filter_map(|l| l.product_id),
    )
    .await?;
    Ok(order_out(o, &rows, &skus))
}

/// The response of an order and its lines (SKUs by product).
pub fn order_out(
    o: sales_order::Model,
    rows: &[order_line::Model],
    skus: &HashMap<Uuid, String>,
) -> SalesOrderOut {
    let lines = rows
        .iter()
        .map(|l| OrderLineOut {
            line: StoredLine {
                id: l.id,
                line_no: l.line_no,
                product_id: l.product_id,
                description: &l.description,
                quantity: l.quantity,
                unit_price: l.unit_price,
                discount_percent: l.discount_percent,
                tax_rate_id: l.tax_rate_id,
                tax_percent: l.tax_percent,
                figures: LineFigures {
                    subtotal: l.subtotal,
                    discount: l.discount,
                    tax: l.tax,
                    total: l.total,
                },
            }
            .out(skus),
            stocked: l.stocked,
            reserved_quantity: l.reserved_quantity,
            backordered_quantity: l.backordered_quantity,
            delivered_quantity: l.delivered_quantity,
            invoiced_quantity: l.invoiced_quantity,
        })
        .collect();
    SalesOrderOut {
        order: summary(o),
        lines,
    }
}

/// `GET /sales-orders/{id}`.
pub async fn get_order(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<SalesOrderOut, AppError> {
    let o = tenant::find::<sales_order::Entity>(conn, org, id).await?;
    with_lines(conn, o).await
}

/// A customer's order count and latest order date, cancelled orders aside
/// (one aggregate on the customer index).
pub async fn customer_orders(
    conn: &impl ConnectionTrait,
    org: Uuid,
    customer: Uuid,
) -> Result<(u64, Option<NaiveDate>), AppError> {
    let row: Option<(i64, Option<NaiveDate>)> = sales_order::Entity::find()
        .select_only()
        .column_as(Expr::col(sales_order::Column::Id).count(), "orders")
        .column_as(Expr::col(sales_order::Column::OrderDate).max(), "last")
        .filter(sales_order::Column::OrganizationId.eq(org))
        .filter(sales_order::Column::CustomerId.eq(customer))
        .filter(sales_order::Column::Status.ne(SalesOrderStatus::Cancelled))
        .into_tuple()
        .one(conn)
        .await?;
    let (n, last) = row.unwrap_or((0, None));
    Ok((u64::try_from(n).unwrap_or(0), last))
}

/// Whose orders a list shows.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    /// Every order of the organization.
    All,
    /// One customer's (`GET /customers/{id}/orders`).
    Customer(Uuid),
    /// Those with a line of one product (`GET /products/{id}/orders`).
    Product(Uuid),
}

/// `GET /sales-orders` (and a customer's or a product's orders): one query
/// of headers, on an index for every filter and sort.
pub async fn list_orders(
    conn: &impl ConnectionTrait,
    org: Uuid,
    scope: Scope,
    f: &SalesOrderFilter,
) -> Result<Page<SalesOrderSummary>, AppError> {
    let mut cond = Condition::all().add(sales_order::Column::OrganizationId.eq(org));
    let (customer, product) = match scope {
        Scope::All => (f.customer_id, f.product_id),
        Scope::Customer(c) => (Some(c), f.product_id),
        Scope::Product(p) => (f.customer_id, Some(p)),
    };
    if let Some(s) = f.status {
        cond = cond.add(sales_order::Column::Status.eq(s));
    }
    if let Some(c) = customer {
        cond = cond.add(sales_order::Column::CustomerId.eq(c));
    }
    if let Some(p) = product {
        cond = cond.add(
            sales_order::Column::Id.in_subquery(
                Query::select()
                    .column(order_line::Column::SalesOrderId)
                    .from(order_line::Entity)
                    .and_where(order_line::Column::OrganizationId.eq(org))
                    .and_where(order_line::Column::ProductId.eq(p))
                    .to_owned(),
            ),
        );
    }
    if let Some(d) = f.from {
        cond = cond.add(sales_order::Column::OrderDate.gte(d));
    }
    if let Some(d) = f.to {
        cond = cond.add(sales_order::Column::OrderDate.lte(d));
    }
    let limit = f.limit.unwrap_or(50).clamp(1, 200);
    let id = sales_order::Column::Id;
    let id_of = |r: &sales_order::Model| r.id;
    let by_date = |desc| {
        Keyset::by_key(
            id,
            id_of,
            sales_order::Column::OrderDate,
            |r: &sales_order::Model| r.order_date,
            desc,
        )
    };
    let order = match f.sort.unwrap_or_default() {
        OrderSort::NewestFirst => Keyset::by_id(id, id_of, true),
        OrderSort::OldestFirst => Keyset::by_id(id, id_of, false),
        OrderSort::LatestOrderDate => by_date(true),
        OrderSort::EarliestOrderDate => by_date(false),
    };
    let query = sales_order::Entity::find().filter(cond);
    Ok(keyset_page(conn, query, order, f.cursor.as_deref(), limit)
        .await?
        .map(summary))
}

/// The warehouse an order ships from: the one named (active, the
/// organization's) or the default; required when a line is stocked.
async fn order_warehouse(
    conn: &impl ConnectionTrait,
    org: Uuid,
    named: Option<Uuid>,
    needed: bool,
) -> Result<Option<Uuid>, AppError> {
    if let Some(w) = named {
        stock::open_warehouse(conn, org, w, "warehouse_id").await?;
        return Ok(Some(w));
    }
    let default = stock::default_warehouse(conn, org).await?;
    if needed && default.is_none() {
        return Err(AppError::invalid_field(
            "warehouse_id",
            "required",
            "is required: the order has stock lines and the organization has no default warehouse",
        ));
    }
    Ok(default)
}

/// An order's line rows for `priced`, with the quantities `reserved` holds
/// for stock lines (by line number; the rest of a stock line backordered).
pub(super) fn line_rows(
    org: Uuid,
    order: Uuid,
    priced: &Priced,
    reserved: Option<&HashMap<i32, Quantity>>,
) -> Vec<order_line::Model> {
    priced
        .lines
        .iter()
        .map(|l| {
            let held = match reserved {
                Some(r) if l.stocked => r.get(&l.line_no).copied().unwrap_or(l.quantity),
                _ => Quantity::ZERO,
            };
            let short = match reserved {
                Some(_) if l.stocked => l.quantity.units() - held.units(),
                _ => 0,
            };
            order_line::Model {
                id: Uuid::now_v7(),
                organization_id: org,
                sales_order_id: order,
                line_no: l.line_no,
                product_id: l.product_id,
                description: l.description.clone(),
                quantity: l.quantity,
                unit_price: l.unit_price,
                discount_percent: l.discount_percent,
                tax_rate_id: l.tax_rate_id,
                tax_percent: l.tax_percent,
                subtotal: l.figures.subtotal,
                discount: l.figures.discount,
                tax: l.figures.tax,
                total: l.figures.total,
                stocked: l.stocked,
                reserved_quantity: held,
                backordered_quantity: Quantity::from_units(short),
                delivered_quantity: Quantity::ZERO,
                invoiced_quantity: Quantity::ZERO,
            }
        })
        .collect()
}

/// Writes an order's line rows (one statement).
pub(super) async fn write_lines(
    conn: &impl ConnectionTrait,
    rows: &[order_line::Model],
) -> Result<(), AppError> {
    order_line::Entity::insert_many(rows.iter().cloned().map(order_line::ActiveModel::from))
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// How a new order starts: a draft, or confirmed at once (with
/// `backorder`: what is short is backordered).
#[derive(Debug, Clone, Copy)]
pub enum Start {
    /// A draft.
    Draft,
    /// Confirmed in the same transaction.
    Confirmed {
        /// Reserve what is there and backorder the rest.
        backorder: bool,
    },
}

/// Inserts an order numbered `SO-000001`, ... with its lines, and answers
/// from what it wrote. A confirmed order's stock is reserved before any row
/// is written, so it is inserted confirmed with its lines' reservations in
/// place (no second write); the number is taken last, so the sequence row
/// is locked for as short a time as the transaction allows.
pub async fn insert_order(
    conn: &impl ConnectionTrait,
    p: &Principal,
    h: OrderHeader,
    priced: &Priced,
    start: Start,
) -> Result<SalesOrderOut, AppError> {
    let org = p.organization_id;
    let needed = priced.lines.iter().any(|l| l.stocked);
    let warehouse = order_warehouse(conn, org, h.warehouse_id, needed).await?;
    let now = Utc::now();
    let id = Uuid::now_v7();
    let reserved = match (start, warehouse) {
        (Start::Confirmed { backorder }, Some(w)) => {
            let id_text = id.to_string();
            let wanted = priced
                .lines
                .iter()
                .filter(|l| l.stocked)
                .filter_map(|l| l.product_id.map(|p| (l.line_no, p, l.quantity)));
            Some(reserve_lines(conn, &origin(p, &id_text), w, wanted, backorder).await?)
        }
        (Start::Confirmed { .. }, None) => Some(HashMap::new()),
        (Start::Draft, _) => None,
    };
    let rows = line_rows(org, id, priced, reserved.as_ref());
    let t = priced.totals;
    let o = sales_order::Model {
        id,
        organization_id: org,
        number: next_number(conn, org, "SO").await?,
        customer_id: h.customer_id,
        contact_id: h.contact_id,
        quote_id: h.quote_id,
        warehouse_id: warehouse,
        status: match start {
            Start::Draft => SalesOrderStatus::Draft,
            Start::Confirmed { .. } => SalesOrderStatus::Confirmed,
        },
        order_date: h.order_date,
        requested_delivery_date: h.requested_delivery_date,
        currency: h.currency,
        notes: h.notes,
        subtotal: t.subtotal,
        discount_total: t.discount,
        tax_total: t.tax,
        total: t.total,
        backordered: rows.iter().any(|l| l.backordered_quantity.units() > 0),
        line_count: priced.lines.len() as i32,
        created_by: Some(p.user_id),
        confirmed_at: reserved.is_some().then_some(now),
        fulfilled_at: None,
        cancelled_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    sales_order::Entity::insert(sales_order::ActiveModel::from(o.clone()))
        .exec_without_returning(conn)
        .await?;
    write_lines(conn, &rows).await?;
    let skus = priced
        .lines
        .iter()
        .filter_map(|l| Some((l.product_id?, l.sku.clone()?)))
        .collect();
    Ok(order_out(o, &rows, &skus))
}

/// `POST /sales-orders`: a draft, confirmed at once with `confirm`.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn create_order(
    state: &AppState,
    p: &Principal,
    input: &SalesOrderIn,
) -> Result<SalesOrderOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let customer = check_customer(&tx, org, Some(input.customer_id), "customer_id")
        .await?
        .ok_or_else(|| AppError::invalid_field("customer_id", "required", "is required"))?;
    check_links(&tx, org, input.contact_id, None).await?;
    let currency = input.currency.clone().unwrap_or(customer.currency);
    let priced = lines::price(&tx, org, &currency, &input.lines).await?;
    let header = OrderHeader {
        customer_id: customer.id,
        contact_id: input.contact_id,
        quote_id: None,
        warehouse_id: input.warehouse_id,
        order_date: input.order_date.unwrap_or_else(|| Utc::now().date_naive()),
        requested_delivery_date: input.requested_delivery_date,
        currency,
        notes: input.notes.clone(),
    };
    let start = if input.confirm {
        Start::Confirmed {
            backorder: input.allow_backorder,
        }
    } else {
        Start::Draft
    };
    let out = insert_order(&tx, p, header, &priced, start).await?;
    let o = &out.order;
    audit::record(&tx, AuditEntry::by(p, "sales.order.created", "sales_order", o.id, json!({
        "number": o.number, "customer_id": o.customer_id, "total": o.total, "status": o.status,
        "backordered": o.backordered,
    })))
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// Reserves each `(line number, product, quantity)` in `warehouse`: all in
/// full, or 409 `insufficient_stock` naming every short line (the caller's
/// rollback undoes what was reserved); with `backorder`, what is available.
/// Returns what each line holds.
async fn reserve_lines(
    conn: &impl ConnectionTrait,
    from: &Origin<'_>,
    warehouse: Uuid,
    wanted: impl Iterator<Item = (i32, Uuid, Quantity)>,
    backorder: bool,
) -> Result<HashMap<i32, Quantity>, AppError> {
    let mut held = HashMap::new();
    let mut short = Vec::new();
    for (line_no, product, qty) in wanted {
        let r = stock::reserve_available(conn, from, (product, warehouse), qty, backorder).await?;
        if r.reserved != qty && !backorder {
            short.push(FieldError::new(
                format!("lines[{}].quantity", line_no - 1),
                "insufficient_stock",
                format!(
                    "line {line_no} needs {qty} and {} is available",
                    r.available
                ),
            ));
        }
        held.insert(line_no, r.reserved);
    }
    if short.is_empty() {
        return Ok(held);
    }
    Err(AppError::conflict(
        "insufficient_stock",
        format!(
            "The order cannot be confirmed: {} line(s) short of stock in its warehouse.",
            short.len()
        ),
    )
    .with_errors(short))
}

pub(super) fn invalid_state_of(o: &sales_order::Model, what: &str) -> AppError {
    AppError::conflict(
        "invalid_state",
        format!(
            "Sales order {} is {}; it cannot be {what}.",
            o.number, o.status
        ),
    )
}

/// Moves an order to `to` with one conditional UPDATE on its current state
/// (which also takes the row lock on PostgreSQL, queueing concurrent
/// changes of one order); 404, 412 or 409 `invalid_state` otherwise.
pub(super) async fn move_state(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
    (mut changes, to): (sales_order::ActiveModel, SalesOrderStatus),
    what: &'static str,
    if_match: Option<i32>,
) -> Result<sales_order::Model, AppError> {
    changes.status = Set(to);
    let guard = Guard::new(
        sales_order::Column::Status.is_in(SalesOrderStatus::sources(to)),
        move |o: &sales_order::Model| invalid_state_of(o, what),
    );
    tenant::update::<sales_order::Entity>(
        conn,
        Target::new(org, id, if_match),
        changes,
        Some(guard),
    )
    .await
}

/// The stock origin of an order's movements and reservations.
pub(super) fn origin<'a>(p: &Principal, id: &'a str) -> Origin<'a> {
    Origin {
        organization_id: p.organization_id,
        actor: Some(p.user_id),
        document_type: "sales_order",
        document_id: id,
    }
}

/// Confirms a draft inside the caller's transaction: claims it (draft ->
/// confirmed), then reserves each stock line. Without `backorder` every
/// line is reserved in full or the whole call fails with 409
/// `insufficient_stock` naming each short line (the caller's rollback
/// undoes the lines already reserved).
pub async fn confirm_in(
    conn: &impl ConnectionTrait,
    p: &Principal,
    id: Uuid,
    backorder: bool,
    if_match: Option<i32>,
) -> Result<sales_order::Model, AppError> {
    let org = p.organization_id;
    let claim = sales_order::ActiveModel {
        confirmed_at: Set(Some(Utc::now())),
        ..Default::default()
    };
    let what = "confirmed (only drafts can)";
    let o = move_state(
        conn,
        org,
        id,
        (claim, SalesOrderStatus::Confirmed),
        what,
        if_match,
    )
    .await?;
    let Some(warehouse) = o.warehouse_id else {
        return Ok(o);
    };
    let lines = order_lines(conn, org, id).await?;
    let id_text = id.to_string();
    let wanted = lines
        .iter()
        .filter(|l| l.stocked)
        .filter_map(|l| l.product_id.map(|p| (l.line_no, p, l.quantity)));
    let held = reserve_lines(conn, &origin(p, &id_text), warehouse, wanted, backorder).await?;
    let partial: Vec<(Uuid, Quantity)> = lines
        .iter()
        .filter_map(|l| {
            let h = *held.get(&l.line_no)?;
            (h != l.quantity).then_some((l.id, h))
        })
        .collect();
    record_reservations(conn, org, id, &partial).await?;
    if partial.is_empty() {
        return Ok(o);
    }
    set_backordered(conn, id, true).await?;
    Ok(sales_order::Model {
        backordered: true,
        ..o
    })
}

/// Sets an order's `backordered` flag (inside a change that already holds
/// the order's row).
pub(super) async fn set_backordered(
    conn: &impl ConnectionTrait,
    id: Uuid,
    backordered: bool,
) -> Result<(), AppError> {
    sales_order::Entity::update_many()
        .col_expr(sales_order::Column::Backordered, Expr::value(backordered))
        .filter(sales_order::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Records a confirmation's reservations on the lines: every stock line
/// reserved in full in one UPDATE, then the lines reserved in part (the
/// rest backordered).
async fn record_reservations(
    conn: &impl ConnectionTrait,
    org: Uuid,
    order: Uuid,
    partial: &[(Uuid, Quantity)],
) -> Result<(), AppError> {
    order_line::Entity::update_many()
        .col_expr(
            order_line::Column::ReservedQuantity,
            Expr::col(order_line::Column::Quantity),
        )
        .filter(order_line::Column::OrganizationId.eq(org))
        .filter(order_line::Column::SalesOrderId.eq(order))
        .filter(order_line::Column::Stocked.eq(true))
        .filter(order_line::Column::Id.is_not_in(partial.iter().map(|(id, _)| *id)))
        .exec(conn)
        .await?;
    for (line, reserved) in partial {
        order_line::Entity::update_many()
            .col_expr(order_line::Column::ReservedQuantity, Expr::value(*reserved))
            .col_expr(
                order_line::Column::BackorderedQuantity,
                Expr::col(order_line::Column::Quantity).sub(reserved.units()),
            )
            .filter(order_line::Column::Id.eq(*line))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// `POST /sales-orders/{id}/confirm`.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn confirm(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    backorder: bool,
    if_match: Option<i32>,
) -> Result<SalesOrderOut, AppError> {
    let tx = begin_write(&state.db).await?;
    let o = confirm_in(&tx, p, id, backorder, if_match).await?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "sales.order.confirmed",
            "sales_order",
            id,
            json!({
                "number": o.number, "backordered": o.backordered, "allow_backorder": backorder,
            }),
        ),
    )
    .await?;
    let out = with_lines(&tx, o).await?;
    tx.commit().await?;
    Ok(out)
}
