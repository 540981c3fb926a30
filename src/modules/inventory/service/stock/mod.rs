//! The stock ledger. Every change of a level writes an immutable movement in
//! the same transaction. Stock leaves only through a conditional atomic UPDATE
//! (`on_hand - reserved >= q`), backed by CHECK constraints, so it can never go
//! negative and reserved never exceeds on hand. Rows are locked in one global
//! order (product, warehouse) before they change, so concurrent transfers in
//! opposite directions cannot deadlock on PostgreSQL; SQLite write
//! transactions start IMMEDIATE and are serialized anyway.

use chrono::{SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, Statement,
    sea_query::{Expr, ExprTrait, OnConflict, Query},
};
use serde_json::json;
use uuid::Uuid;

use super::catalogue::{find_product, find_warehouse};
use crate::{
    modules::inventory::{
        dto::*,
        entities::{
            MovementKind, ProductKind, product, purchase_order, stock_level, stock_movement,
            warehouse,
        },
    },
    platform::{
        error::FieldError,
        money::{Amount, Quantity},
        pagination::{Page, created_between, decode_cursor},
        prelude::*,
    },
};

mod incoming;
mod outgoing;
mod reads;

use incoming::checked_reference;
pub use incoming::*;
pub use outgoing::*;
pub use reads::*;

/// Who and why, for the movements of one operation.
pub struct MoveContext<'a> {
    /// Organization.
    pub org: Uuid,
    /// Acting user.
    pub actor: Option<Uuid>,
    /// Why.
    pub reason: &'a str,
    /// Document type.
    pub reference_type: Option<&'a str>,
    /// Document id.
    pub reference_id: Option<&'a str>,
}

/// A product that can hold stock, or 422 on `field`.
pub(crate) async fn stock_product(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
    field: &str,
) -> Result<product::Model, AppError> {
    let p = find_product(conn, org, id).await.map_err(|_| {
        AppError::invalid_field(field, "not_found", "is not a product of this organization")
    })?;
    if p.kind != ProductKind::Stock {
        return Err(AppError::invalid_field(
            field,
            "not_stocked",
            "is a service product; services hold no stock",
        ));
    }
    Ok(p)
}

/// An active warehouse, or 422 on `field`.
pub(crate) async fn open_warehouse(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
    field: &str,
) -> Result<warehouse::Model, AppError> {
    let w = find_warehouse(conn, org, id).await.map_err(|_| {
        AppError::invalid_field(
            field,
            "not_found",
            "is not a warehouse of this organization",
        )
    })?;
    if !w.active {
        return Err(AppError::invalid_field(field, "archived", "is archived"));
    }
    Ok(w)
}

fn positive_lines(lines: &[StockLineIn]) -> Result<(), AppError> {
    check_line_amounts(lines.iter().map(|l| (l.quantity, l.unit_cost)))
}

/// 422 naming every `lines[i].quantity` that is not above zero and every
/// `lines[i].unit_cost` below zero.
pub(crate) fn check_line_amounts(
    lines: impl Iterator<Item = (Quantity, Option<Amount>)>,
) -> Result<(), AppError> {
    let mut errors = Vec::new();
    for (i, (quantity, unit_cost)) in lines.enumerate() {
        if quantity.units() <= 0 {
            errors.push(FieldError::new(
                format!("lines[{i}].quantity"),
                "range",
                "must be greater than zero",
            ));
        }
        if unit_cost.is_some_and(|c| c.is_negative()) {
            errors.push(FieldError::new(
                format!("lines[{i}].unit_cost"),
                "range",
                "must not be negative",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(errors))
    }
}

/// Makes sure level rows exist, then locks them in (product, warehouse) order.
async fn lock_levels(
    conn: &impl ConnectionTrait,
    org: Uuid,
    pairs: &mut Vec<(Uuid, Uuid)>,
) -> Result<(), AppError> {
    pairs.sort();
    pairs.dedup();
    let now = Utc::now();
    for (p, w) in pairs.iter() {
        stock_level::Entity::insert(stock_level::ActiveModel {
            organization_id: Set(org),
            product_id: Set(*p),
            warehouse_id: Set(*w),
            on_hand: Set(Quantity::ZERO),
            reserved: Set(Quantity::ZERO),
            avg_cost: Set(Amount::ZERO),
            updated_at: Set(now),
            value: Set(Amount::ZERO),
            moved_value: Set(Amount::ZERO),
        })
        .on_conflict(
            OnConflict::columns([
                stock_level::Column::ProductId,
                stock_level::Column::WarehouseId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    }
    lock_existing_levels(conn, org, pairs).await
}

/// Locks the level rows of `pairs` (sorted, distinct) in that order.
async fn lock_existing_levels(
    conn: &impl ConnectionTrait,
    org: Uuid,
    pairs: &[(Uuid, Uuid)],
) -> Result<(), AppError> {
    let mut any = Condition::any();
    for (p, w) in pairs {
        any = any.add(
            Condition::all()
                .add(stock_level::Column::ProductId.eq(*p))
                .add(stock_level::Column::WarehouseId.eq(*w)),
        );
    }
    stock_level::Entity::find()
        .filter(stock_level::Column::OrganizationId.eq(org))
        .filter(any)
        .order_by_asc(stock_level::Column::ProductId)
        .order_by_asc(stock_level::Column::WarehouseId)
        .lock_exclusive()
        .all(conn)
        .await?;
    Ok(())
}

async fn level(
    conn: &impl ConnectionTrait,
    product: Uuid,
    warehouse: Uuid,
) -> Result<stock_level::Model, AppError> {
    stock_level::Entity::find_by_id((product, warehouse))
        .one(conn)
        .await?
        .ok_or_else(|| {
            AppError::internal(anyhow::anyhow!(
                "stock level {product}/{warehouse} vanished"
            ))
        })
}

/// Adds `qty` worth exactly `value` (row locked): the level's value grows
/// by it and the displayed moving-average cost is value / on hand.
pub async fn add_stock(
    conn: &impl ConnectionTrait,
    product: Uuid,
    warehouse: Uuid,
    qty: Quantity,
    value: Amount,
) -> Result<stock_level::Model, AppError> {
    let current = level(conn, product, warehouse).await?;
    let on_hand = current.on_hand.checked_add(qty).ok_or_else(out_of_range)?;
    let total = current.value.checked_add(value).ok_or_else(out_of_range)?;
    let avg = if on_hand.units() > 0 {
        let (v, q) = (i128::from(total.units()), i128::from(on_hand.units()));
        let avg = (v * i128::from(crate::platform::money::ONE) + q / 2) / q;
        Amount::from_units(i64::try_from(avg).map_err(|_| out_of_range())?)
    } else {
        current.avg_cost
    };
    let mut am: stock_level::ActiveModel = current.into();
    am.on_hand = Set(on_hand);
    am.avg_cost = Set(avg);
    am.value = Set(total);
    am.moved_value = Set(value);
    am.updated_at = Set(Utc::now());
    Ok(am.update(conn).await?)
}

fn out_of_range() -> AppError {
    AppError::invalid_field(
        "quantity",
        "overflow",
        "the resulting stock or its value is out of range",
    )
}

/// The value `q` units take from a level, computed by the database from the
/// row as the UPDATE finds it (so concurrent issues each take their share of
/// the value they actually see): all of it when `q` empties the level, else
/// `value x q / on_hand` rounded half up. Exact integers on both backends
/// (numeric on PostgreSQL; on SQLite split so no product overflows).
fn taken_value_sql(backend: DbBackend, q: i64) -> String {
    if backend == DbBackend::Postgres {
        format!(
            r#"CASE WHEN "on_hand" = {q} THEN "value" ELSE round("value"::numeric * {q} / "on_hand")::bigint END"#
        )
    } else {
        format!(
            r#"CASE WHEN "on_hand" = {q} THEN "value" ELSE ("value" / "on_hand") * {q} + (("value" % "on_hand") * {q} * 2 + "on_hand") / (2 * "on_hand") END"#
        )
    }
}

/// Adds to a level UPDATE that takes `q` units: the value they carry leaves
/// the level and is kept in `moved_value` for the movement and the posting.
fn take_value(
    update: sea_orm::UpdateMany<stock_level::Entity>,
    backend: DbBackend,
    q: i64,
) -> sea_orm::UpdateMany<stock_level::Entity> {
    let taken = taken_value_sql(backend, q);
    update
        .col_expr(
            stock_level::Column::Value,
            Expr::cust(format!(r#""value" - ({taken})"#)),
        )
        .col_expr(stock_level::Column::MovedValue, Expr::cust(taken))
}

/// An UPDATE of one level row (also stamping `updated_at`); callers add the
/// change and the condition that keeps the invariants.
fn update_level(
    org: Uuid,
    product: Uuid,
    warehouse: Uuid,
) -> sea_orm::UpdateMany<stock_level::Entity> {
    stock_level::Entity::update_many()
        .col_expr(stock_level::Column::UpdatedAt, Utc::now().into())
        .filter(stock_level::Column::OrganizationId.eq(org))
        .filter(stock_level::Column::ProductId.eq(product))
        .filter(stock_level::Column::WarehouseId.eq(warehouse))
}

/// Runs a level UPDATE; `Some(row after)` when it applied, `None` when its
/// condition kept it from applying. One round trip where the database
/// supports `RETURNING`.
async fn apply_level_update(
    conn: &impl ConnectionTrait,
    update: sea_orm::UpdateMany<stock_level::Entity>,
    (product, warehouse): (Uuid, Uuid),
) -> Result<Option<stock_level::Model>, AppError> {
    if conn.support_returning() {
        return Ok(update.exec_with_returning(conn).await?.into_iter().next());
    }
    if update.exec(conn).await?.rows_affected == 1 {
        Ok(Some(level(conn, product, warehouse).await?))
    } else {
        Ok(None)
    }
}

/// Removes stock only if enough is available: one conditional UPDATE.
pub async fn take_stock(
    conn: &impl ConnectionTrait,
    org: Uuid,
    product: Uuid,
    warehouse: Uuid,
    qty: Quantity,
) -> Result<stock_level::Model, AppError> {
    let update = take_update(org, product, warehouse, qty, conn.get_database_backend());
    match apply_level_update(conn, update, (product, warehouse)).await? {
        Some(after) => Ok(after),
        None => Err(insufficient(conn, org, product, warehouse, qty).await?),
    }
}

/// The conditional UPDATE that removes `qty` only if that much is available.
fn take_update(
    org: Uuid,
    product: Uuid,
    warehouse: Uuid,
    qty: Quantity,
    backend: DbBackend,
) -> sea_orm::UpdateMany<stock_level::Entity> {
    let q = qty.units();
    take_value(update_level(org, product, warehouse), backend, q)
        .col_expr(
            stock_level::Column::OnHand,
            Expr::col(stock_level::Column::OnHand).sub(q),
        )
        .filter(
            Expr::col(stock_level::Column::OnHand)
                .sub(Expr::col(stock_level::Column::Reserved))
                .gte(q),
        )
}

/// The 409 `insufficient_stock` problem, naming product, warehouse and what
/// is available.
async fn insufficient(
    conn: &impl ConnectionTrait,
    org: Uuid,
    product: Uuid,
    warehouse: Uuid,
    qty: Quantity,
) -> Result<AppError, AppError> {
    let available = available(conn, org, product, warehouse).await?.units();
    let sku = product::Entity::find_by_id(product)
        .one(conn)
        .await?
        .map(|p| p.sku)
        .unwrap_or_default();
    let code = warehouse::Entity::find_by_id(warehouse)
        .one(conn)
        .await?
        .map(|w| w.code)
        .unwrap_or_default();
    Ok(AppError::conflict(
        "insufficient_stock",
        format!(
            "Insufficient stock of product {sku} ({product}) in warehouse {code} ({warehouse}): {} available, {} requested.",
            Quantity::from_units(available),
            qty
        ),
    ))
}

/// One ledger entry of `ctx`, stamped now.
fn new_movement(
    ctx: &MoveContext<'_>,
    (product, warehouse): (Uuid, Uuid),
    kind: MovementKind,
    (quantity, unit_cost, value): (Quantity, Amount, Amount),
    transfer_id: Option<Uuid>,
) -> stock_movement::Model {
    stock_movement::Model {
        id: Uuid::now_v7(),
        organization_id: ctx.org,
        product_id: product,
        warehouse_id: warehouse,
        kind,
        quantity,
        unit_cost,
        value,
        reason: ctx.reason.into(),
        reference_type: ctx.reference_type.map(str::to_string),
        reference_id: ctx.reference_id.map(str::to_string),
        transfer_id,
        actor_id: ctx.actor,
        // Microseconds, as the database keeps them, so the answer matches
        // what a later read returns.
        created_at: Utc::now().trunc_subsecs(6),
    }
}

/// Appends one ledger entry: `amounts` is (signed quantity, unit cost,
/// signed exact value).
pub async fn write_movement(
    conn: &impl ConnectionTrait,
    ctx: &MoveContext<'_>,
    key: (Uuid, Uuid),
    kind: MovementKind,
    amounts: (Quantity, Amount, Amount),
    transfer_id: Option<Uuid>,
) -> Result<stock_movement::Model, AppError> {
    let m = new_movement(ctx, key, kind, amounts, transfer_id);
    // No RETURNING: every column is known here (the ledger's hottest insert).
    stock_movement::Entity::insert(stock_movement::ActiveModel::from(m.clone()))
        .exec_without_returning(conn)
        .await?;
    Ok(m)
}

fn neg(q: Quantity) -> Quantity {
    Quantity::from_units(-q.units())
}

/// The signed value of an outgoing movement.
pub(crate) fn neg_value(v: Amount) -> Amount {
    Amount::from_units(-v.units())
}

/// Posts the value of one stock operation to the ledger (perpetual
/// inventory), in the caller's transaction: a receipt Dr inventory Cr goods
/// received not invoiced, an issue Dr cost of goods sold Cr inventory, an
/// adjustment Dr/Cr inventory against stock adjustment. Transfers move
/// value between levels only, and post nothing. The source document is the
/// operation's first movement, so it posts once.
pub(crate) async fn post_value(
    conn: &impl ConnectionTrait,
    ctx: &MoveContext<'_>,
    kind: MovementKind,
    movements: &[stock_movement::Model],
) -> Result<(), AppError> {
    use crate::modules::accounting::api::{self as ledger, AccountRef, DraftLine, Role};
    let Some(first) = movements.first() else {
        return Ok(());
    };
    let total = movements
        .iter()
        .try_fold(0i64, |acc, m| acc.checked_add(m.value.units()))
        .ok_or_else(out_of_range)?;
    let (source, debit, credit, amount) = match kind {
        MovementKind::Receipt => ("stock_receipt", Role::Inventory, Role::GoodsReceived, total),
        MovementKind::Issue => (
            "stock_issue",
            Role::CostOfGoodsSold,
            Role::Inventory,
            -total,
        ),
        MovementKind::Adjustment if total >= 0 => (
            "stock_adjustment",
            Role::Inventory,
            Role::StockAdjustment,
            total,
        ),
        MovementKind::Adjustment => (
            "stock_adjustment",
            Role::StockAdjustment,
            Role::Inventory,
            -total,
        ),
        MovementKind::TransferOut | MovementKind::TransferIn => return Ok(()),
    };
    let memo = match (ctx.reference_type, ctx.reference_id) {
        (Some(t), Some(id)) => format!("{} for {t} {id}", source.replace('_', " ")),
        _ => source.replace('_', " "),
    };
    let line = |role, units: i64| DraftLine {
        account: AccountRef::Role(role),
        amount: Amount::from_units(units),
        description: String::new(),
    };
    ledger::post(
        conn,
        ledger::EntryDraft {
            organization_id: ctx.org,
            actor: ctx.actor,
            date: first.created_at.date_naive(),
            memo,
            source_type: source,
            source_id: first.id.to_string(),
            lines: vec![line(debit, amount), line(credit, -amount)],
        },
    )
    .await?;
    Ok(())
}

/// The audit entry of one stock operation: its movements, in brief.
fn stock_audit(p: &Principal, action: &str, movements: &[stock_movement::Model]) -> AuditEntry {
    AuditEntry {
        organization_id: p.organization_id,
        actor_id: Some(p.user_id),
        action: action.into(),
        entity_type: "stock_movement".into(),
        entity_id: movements.first().map(|m| m.id.to_string()),
        changes: Some(json!({
            "movements": movements.iter().map(|m| json!({
                "id": m.id, "product_id": m.product_id, "warehouse_id": m.warehouse_id,
                "kind": m.kind, "quantity": m.quantity,
            })).collect::<Vec<_>>(),
        })),
    }
}

async fn finish(
    tx: sea_orm::DatabaseTransaction,
    p: &Principal,
    action: &str,
    movements: Vec<stock_movement::Model>,
    changed: Vec<stock_level::Model>,
) -> Result<StockResultOut, AppError> {
    // Each level as the operation last left it, by (product, warehouse).
    let mut latest: Vec<stock_level::Model> = Vec::with_capacity(changed.len());
    for l in changed.into_iter().rev() {
        if !latest
            .iter()
            .any(|k| (k.product_id, k.warehouse_id) == (l.product_id, l.warehouse_id))
        {
            latest.push(l);
        }
    }
    latest.sort_by_key(|l| (l.product_id, l.warehouse_id));
    let levels: Vec<StockLevelOut> = latest.iter().map(StockLevelOut::from).collect();
    audit::record(&tx, stock_audit(p, action, &movements)).await?;
    tx.commit().await?;
    Ok(StockResultOut {
        movements: movements.into_iter().map(MovementOut::from).collect(),
        levels,
    })
}

/// `POST /inventory/transfers`: both legs of every line, or nothing.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn transfer(
    state: &AppState,
    p: &Principal,
    input: &TransferIn,
) -> Result<StockResultOut, AppError> {
    positive_lines(&input.lines)?;
    if input.from_warehouse_id == input.to_warehouse_id {
        return Err(AppError::invalid_field(
            "to_warehouse_id",
            "same_warehouse",
            "must differ from from_warehouse_id",
        ));
    }
    let org = p.organization_id;
    let ctx = MoveContext {
        org,
        actor: Some(p.user_id),
        reason: &input.reason,
        reference_type: None,
        reference_id: None,
    };
    let tx = begin_write(&state.db).await?;
    open_warehouse(&tx, org, input.from_warehouse_id, "from_warehouse_id").await?;
    open_warehouse(&tx, org, input.to_warehouse_id, "to_warehouse_id").await?;
    for (i, l) in input.lines.iter().enumerate() {
        stock_product(&tx, org, l.product_id, &format!("lines[{i}].product_id")).await?;
    }
    let mut pairs: Vec<_> = input
        .lines
        .iter()
        .flat_map(|l| {
            [
                (l.product_id, input.from_warehouse_id),
                (l.product_id, input.to_warehouse_id),
            ]
        })
        .collect();
    lock_levels(&tx, org, &mut pairs).await?;
    let transfer_id = Uuid::now_v7();
    let mut movements = Vec::new();
    let mut levels = Vec::with_capacity(2 * input.lines.len());
    for l in &input.lines {
        let source =
            take_stock(&tx, org, l.product_id, input.from_warehouse_id, l.quantity).await?;
        // The value leaving the source arrives whole: the books do not move.
        let moved = source.moved_value;
        levels.push(source.clone());
        levels.push(add_stock(&tx, l.product_id, input.to_warehouse_id, l.quantity, moved).await?);
        movements.push(
            write_movement(
                &tx,
                &ctx,
                (l.product_id, input.from_warehouse_id),
                MovementKind::TransferOut,
                (neg(l.quantity), source.avg_cost, neg_value(moved)),
                Some(transfer_id),
            )
            .await?,
        );
        movements.push(
            write_movement(
                &tx,
                &ctx,
                (l.product_id, input.to_warehouse_id),
                MovementKind::TransferIn,
                (l.quantity, source.avg_cost, moved),
                Some(transfer_id),
            )
            .await?,
        );
    }
    finish(tx, p, "inventory.stock.transferred", movements, levels).await
}

/// `POST /inventory/adjust`: by a delta or to a counted quantity.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn adjust(
    state: &AppState,
    p: &Principal,
    input: &AdjustIn,
) -> Result<StockResultOut, AppError> {
    let org = p.organization_id;
    if input.quantity_delta.is_some() == input.counted_quantity.is_some() {
        return Err(AppError::invalid_field(
            "quantity_delta",
            "exactly_one",
            "send exactly one of quantity_delta or counted_quantity",
        ));
    }
    if input.counted_quantity.is_some_and(|c| c.is_negative()) {
        return Err(AppError::invalid_field(
            "counted_quantity",
            "range",
            "must not be negative",
        ));
    }
    let ctx = MoveContext {
        org,
        actor: Some(p.user_id),
        reason: &input.reason,
        reference_type: None,
        reference_id: None,
    };
    let tx = begin_write(&state.db).await?;
    open_warehouse(&tx, org, input.warehouse_id, "warehouse_id").await?;
    let prod = stock_product(&tx, org, input.product_id, "product_id").await?;
    let key = (input.product_id, input.warehouse_id);
    lock_levels(&tx, org, &mut vec![key]).await?;
    let current = level(&tx, key.0, key.1).await?;
    let delta = match (input.quantity_delta, input.counted_quantity) {
        (Some(d), _) => d.units(),
        (_, Some(c)) => c.units() - current.on_hand.units(),
        _ => 0,
    };
    let mut movements = Vec::new();
    let mut levels = Vec::with_capacity(1);
    if delta > 0 {
        let cost = if current.avg_cost.units() > 0 {
            current.avg_cost
        } else {
            prod.standard_cost
        };
        let qty = Quantity::from_units(delta);
        let value = cost.times(qty).ok_or_else(out_of_range)?;
        levels.push(add_stock(&tx, key.0, key.1, qty, value).await?);
        movements.push(
            write_movement(
                &tx,
                &ctx,
                key,
                MovementKind::Adjustment,
                (qty, cost, value),
                None,
            )
            .await?,
        );
    } else if delta < 0 {
        let after = take_stock(&tx, org, key.0, key.1, Quantity::from_units(-delta)).await?;
        let amounts = (
            Quantity::from_units(delta),
            after.avg_cost,
            neg_value(after.moved_value),
        );
        levels.push(after);
        movements
            .push(write_movement(&tx, &ctx, key, MovementKind::Adjustment, amounts, None).await?);
    }
    post_value(&tx, &ctx, MovementKind::Adjustment, &movements).await?;
    if movements.is_empty() {
        return Ok(StockResultOut {
            movements: Vec::new(),
            levels: vec![StockLevelOut::from(&current)],
        });
    }
    finish(tx, p, "inventory.stock.adjusted", movements, levels).await
}
