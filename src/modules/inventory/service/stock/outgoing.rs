//! Stock leaving: issues (one statement on PostgreSQL), reservations and
//! the issue of reserved stock.

use super::*;

/// `POST /inventory/issues`: removes stock; all lines or none.
///
/// The hot path of the ledger, so it is optimistic: stock is taken by
/// conditional UPDATEs that also require the warehouse to be active (a level
/// row exists only for a stock product of the organization). Only when one
/// does not apply are the warehouse, the products and the stock examined (in
/// `issue_refused`), to answer 422 or 409 as precisely as an up-front check
/// would. PostgreSQL does the whole issue in one statement
/// (`issue_in_one_statement`); elsewhere each line is an UPDATE and an
/// INSERT in one transaction.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn issue(
    state: &AppState,
    p: &Principal,
    input: &StockMoveIn,
) -> Result<StockResultOut, AppError> {
    positive_lines(&input.lines)?;
    let org = p.organization_id;
    let reference = checked_reference(&state.db, org, input).await?;
    let ctx = MoveContext {
        org,
        actor: Some(p.user_id),
        reason: &input.reason,
        reference_type: reference.as_ref().map(|r| r.0),
        reference_id: reference.as_ref().map(|r| r.1.as_str()),
    };
    let mut lines: Vec<(Uuid, Quantity)> = input
        .lines
        .iter()
        .map(|l| (l.product_id, l.quantity))
        .collect();
    lines.sort_by_key(|l| l.0);
    let distinct = lines.windows(2).all(|w| w[0].0 != w[1].0);
    let backend = state.db.get_database_backend();
    if backend == DbBackend::Postgres && distinct {
        return issue_in_one_statement(state, p, &ctx, input, &lines).await;
    }
    let tx = begin_write(&state.db).await?;
    let open = Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(warehouse::Entity)
            .and_where(warehouse::Column::Id.eq(input.warehouse_id))
            .and_where(warehouse::Column::OrganizationId.eq(org))
            .and_where(warehouse::Column::Active.eq(true))
            .to_owned(),
    );
    let mut movements = Vec::with_capacity(lines.len());
    let mut levels = Vec::with_capacity(lines.len());
    for &(product, qty) in &lines {
        let key = (product, input.warehouse_id);
        let update = take_update(org, key.0, key.1, qty, backend).filter(open.clone());
        let Some(after) = apply_level_update(&tx, update, key).await? else {
            return Err(issue_refused(&tx, org, input, (product, qty)).await?);
        };
        let amounts = (neg(qty), after.avg_cost, neg_value(after.moved_value));
        levels.push(after);
        movements.push(write_movement(&tx, &ctx, key, MovementKind::Issue, amounts, None).await?);
    }
    post_value(&tx, &ctx, MovementKind::Issue, &movements).await?;
    finish(tx, p, "inventory.stock.issued", movements, levels).await
}

/// Why an issue did not apply: 422 when the warehouse is archived or not the
/// organization's, or a line is not one of its stock products; otherwise 409
/// `insufficient_stock` for `short` (a product and the quantity asked of it).
async fn issue_refused(
    conn: &impl ConnectionTrait,
    org: Uuid,
    input: &StockMoveIn,
    (product, qty): (Uuid, Quantity),
) -> Result<AppError, AppError> {
    open_warehouse(conn, org, input.warehouse_id, "warehouse_id").await?;
    for (i, l) in input.lines.iter().enumerate() {
        stock_product(conn, org, l.product_id, &format!("lines[{i}].product_id")).await?;
    }
    insufficient(conn, org, product, input.warehouse_id, qty).await
}

/// The issue on PostgreSQL (lines of distinct products), as one statement:
/// per product, the conditional UPDATE of `take_update` (plus the
/// active-warehouse condition), then the movements and the audit record,
/// written only if every product's UPDATE applied; then the posting of the
/// value taken, in the same transaction. An issue of several products first
/// locks their levels in product order (no deadlock with a concurrent issue
/// of the same products); the transaction is rolled back when a product
/// falls short.
async fn issue_in_one_statement(
    state: &AppState,
    p: &Principal,
    ctx: &MoveContext<'_>,
    input: &StockMoveIn,
    lines: &[(Uuid, Quantity)],
) -> Result<StockResultOut, AppError> {
    let warehouse = input.warehouse_id;
    let mut movements: Vec<_> = lines
        .iter()
        .map(|&(product, qty)| {
            new_movement(
                ctx,
                (product, warehouse),
                MovementKind::Issue,
                (neg(qty), Amount::ZERO, Amount::ZERO),
                None,
            )
        })
        .collect();
    // What each product gives (lines are sorted by product).
    let mut wanted: Vec<(Uuid, Quantity)> = Vec::with_capacity(lines.len());
    for &(product, qty) in lines {
        match wanted.last_mut() {
            Some((last, total)) if *last == product => {
                *total = total.checked_add(qty).ok_or_else(|| {
                    AppError::invalid_field("lines", "overflow", "the quantities are out of range")
                })?;
            }
            _ => wanted.push((product, qty)),
        }
    }
    // The record carries the movements' time (validation allows no empty issue).
    let at = movements.first().map_or_else(Utc::now, |m| m.created_at);
    let audit = stock_audit(p, "inventory.stock.issued", &movements).stamp(at);
    let statement = issue_statement(ctx, warehouse, &movements, wanted.len(), &audit);
    let tx = begin_write(&state.db).await?;
    if wanted.len() > 1 {
        let pairs: Vec<_> = wanted.iter().map(|w| (w.0, warehouse)).collect();
        lock_existing_levels(&tx, ctx.org, &pairs).await?;
    }
    let mut levels = take_all_or_refuse(&tx, statement, &wanted, ctx.org, input).await?;
    for m in &mut movements {
        if let Some(l) = levels.iter().find(|l| l.product_id == m.product_id) {
            m.unit_cost = l.avg_cost;
            m.value = neg_value(l.moved_value);
        }
    }
    post_value(&tx, ctx, MovementKind::Issue, &movements).await?;
    tx.commit().await?;
    levels.sort_by_key(|l| (l.product_id, l.warehouse_id));
    Ok(StockResultOut {
        movements: movements.into_iter().map(MovementOut::from).collect(),
        levels: levels.iter().map(StockLevelOut::from).collect(),
    })
}

/// Runs the issue statement through `conn`: the levels it changed, or why
/// it changed none (the first product short of stock, or a 422).
async fn take_all_or_refuse(
    conn: &impl ConnectionTrait,
    statement: Statement,
    wanted: &[(Uuid, Quantity)],
    org: Uuid,
    input: &StockMoveIn,
) -> Result<Vec<stock_level::Model>, AppError> {
    let levels = stock_level::Entity::find()
        .from_raw_sql(statement)
        .all(conn)
        .await?;
    match wanted
        .iter()
        .find(|(product, _)| !levels.iter().any(|l| l.product_id == *product))
    {
        Some(&short) => Err(issue_refused(conn, org, input, short).await?),
        None => Ok(levels),
    }
}

/// The statement of `issue_in_one_statement`: `movements` are the issue's
/// (cost still unknown), one per line, `products` how many distinct products
/// they name. Answers the levels it changed, all or none of them.
fn issue_statement(
    ctx: &MoveContext<'_>,
    warehouse: Uuid,
    movements: &[stock_movement::Model],
    products: usize,
    audit: &audit::Stamped,
) -> Statement {
    let at = audit.created_at;
    let mut values: Vec<sea_orm::Value> = vec![
        at.into(),
        ctx.org.into(),
        warehouse.into(),
        i64::try_from(products).unwrap_or(i64::MAX).into(),
        ctx.reason.into(),
        ctx.reference_type.map(str::to_string).into(),
        ctx.reference_id.map(str::to_string).into(),
        ctx.actor.into(),
        audit.id.into(),
        audit.entry.action.clone().into(),
        audit.entry.entity_type.clone().into(),
        audit.entry.entity_id.clone().into(),
        audit.entry.changes.clone().into(),
        audit.request_id.clone().into(),
    ];
    let mut rows = Vec::with_capacity(movements.len());
    for m in movements {
        let n = values.len();
        rows.push(format!(
            "(${}::uuid, ${}::uuid, ${}::bigint)",
            n + 1,
            n + 2,
            n + 3
        ));
        values.extend([
            m.id.into(),
            m.product_id.into(),
            (-m.quantity.units()).into(),
        ]);
    }
    let sql = format!(
        "WITH issue_line (id, product_id, quantity) AS (VALUES {}),
wanted AS (
    SELECT product_id, sum(quantity)::bigint AS quantity FROM issue_line GROUP BY product_id
),
taken AS (
    UPDATE stock_levels s SET on_hand = s.on_hand - wanted.quantity, updated_at = $1,
        value = s.value - CASE WHEN s.on_hand = wanted.quantity THEN s.value
            ELSE round(s.value::numeric * wanted.quantity / s.on_hand)::bigint END,
        moved_value = CASE WHEN s.on_hand = wanted.quantity THEN s.value
            ELSE round(s.value::numeric * wanted.quantity / s.on_hand)::bigint END
    FROM wanted
    WHERE s.organization_id = $2 AND s.warehouse_id = $3 AND s.product_id = wanted.product_id
      AND s.on_hand - s.reserved >= wanted.quantity
      AND EXISTS (SELECT 1 FROM warehouses w WHERE w.id = $3 AND w.organization_id = $2 AND w.active)
    RETURNING s.*
),
complete AS (SELECT count(*) = $4 AS every_product FROM taken),
moved AS (
    INSERT INTO stock_movements (id, organization_id, product_id, warehouse_id, kind, quantity,
        unit_cost, value, reason, reference_type, reference_id, transfer_id, actor_id, created_at)
    SELECT l.id, $2, l.product_id, $3, 'issue', -l.quantity, t.avg_cost, -t.moved_value, $5, $6,
        $7, NULL, $8, $1
    FROM issue_line l JOIN taken t ON t.product_id = l.product_id, complete
    WHERE complete.every_product
),
audited AS (
    INSERT INTO audit_logs (id, organization_id, actor_id, action, entity_type, entity_id,
        changes, request_id, created_at)
    SELECT $9, $2, $8, $10, $11, $12, $13, $14, $1 FROM complete WHERE complete.every_product
)
SELECT * FROM taken",
        rows.join(", ")
    );
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// Reserves available stock (no movement: nothing left the shelf), or 409
/// `insufficient_stock`.
pub async fn reserve(
    conn: &impl ConnectionTrait,
    org: Uuid,
    product: Uuid,
    warehouse: Uuid,
    qty: Quantity,
) -> Result<(), AppError> {
    if try_reserve(conn, org, product, warehouse, qty).await? {
        return Ok(());
    }
    Err(insufficient(conn, org, product, warehouse, qty).await?)
}

/// Reserves `qty` when that much is available: one conditional UPDATE
/// (which waits for a competing reservation's row lock on PostgreSQL and
/// then re-checks). `false` when the stock is not there.
pub async fn try_reserve(
    conn: &impl ConnectionTrait,
    org: Uuid,
    product: Uuid,
    warehouse: Uuid,
    qty: Quantity,
) -> Result<bool, AppError> {
    let q = qty.units();
    Ok(update_level(org, product, warehouse)
        .col_expr(
            stock_level::Column::Reserved,
            Expr::col(stock_level::Column::Reserved).add(q),
        )
        .filter(
            Expr::col(stock_level::Column::OnHand)
                .sub(Expr::col(stock_level::Column::Reserved))
                .gte(q),
        )
        .exec(conn)
        .await?
        .rows_affected
        == 1)
}

/// On hand minus reserved (zero where the product was never stocked).
pub async fn available(
    conn: &impl ConnectionTrait,
    org: Uuid,
    product: Uuid,
    warehouse: Uuid,
) -> Result<Quantity, AppError> {
    let level = stock_level::Entity::find_by_id((product, warehouse))
        .filter(stock_level::Column::OrganizationId.eq(org))
        .one(conn)
        .await?;
    Ok(Quantity::from_units(
        level.map_or(0, |l| l.on_hand.units() - l.reserved.units()),
    ))
}

/// Releases reserved stock, or 409 `reservation_exceeded`.
pub async fn release(
    conn: &impl ConnectionTrait,
    org: Uuid,
    product: Uuid,
    warehouse: Uuid,
    qty: Quantity,
) -> Result<(), AppError> {
    let q = qty.units();
    let done = update_level(org, product, warehouse)
        .col_expr(
            stock_level::Column::Reserved,
            Expr::col(stock_level::Column::Reserved).sub(q),
        )
        .filter(stock_level::Column::Reserved.gte(q))
        .exec(conn)
        .await?
        .rows_affected
        == 1;
    if done {
        Ok(())
    } else {
        Err(AppError::conflict(
            "reservation_exceeded",
            "Less stock is reserved than the release asks for.",
        ))
    }
}

/// Issues reserved stock: on hand and reserved fall together, or 409
/// `reservation_exceeded`.
pub async fn take_reserved(
    conn: &impl ConnectionTrait,
    org: Uuid,
    product: Uuid,
    warehouse: Uuid,
    qty: Quantity,
) -> Result<stock_level::Model, AppError> {
    let q = qty.units();
    let update = take_value(
        update_level(org, product, warehouse),
        conn.get_database_backend(),
        q,
    )
    .col_expr(
        stock_level::Column::OnHand,
        Expr::col(stock_level::Column::OnHand).sub(q),
    )
    .col_expr(
        stock_level::Column::Reserved,
        Expr::col(stock_level::Column::Reserved).sub(q),
    )
    .filter(stock_level::Column::Reserved.gte(q));
    apply_level_update(conn, update, (product, warehouse))
        .await?
        .ok_or_else(|| {
            AppError::conflict(
                "reservation_exceeded",
                "Less stock is reserved than the issue asks for.",
            )
        })
}
