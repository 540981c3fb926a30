//! Reading the stock ledger: levels, movements, low stock and valuation.

use super::*;

/// The level row's available quantity is at or below its product's positive
/// reorder point.
const BELOW_REORDER_SQL: &str = r#"EXISTS (SELECT 1 FROM "products" WHERE "products"."id" = "stock_levels"."product_id" AND "products"."reorder_point" > 0 AND "stock_levels"."on_hand" - "stock_levels"."reserved" <= "products"."reorder_point")"#;

/// `GET /inventory/stock`, by product then warehouse.
pub async fn list_levels(
    conn: &impl ConnectionTrait,
    org: Uuid,
    f: &StockFilter,
) -> Result<Page<StockLevelOut>, AppError> {
    let limit = f.limit.unwrap_or(50).clamp(1, 200);
    let mut q = stock_level::Entity::find().filter(stock_level::Column::OrganizationId.eq(org));
    if let Some(p) = f.product_id {
        q = q.filter(stock_level::Column::ProductId.eq(p));
    }
    if let Some(w) = f.warehouse_id {
        q = q.filter(stock_level::Column::WarehouseId.eq(w));
    }
    match f.below_reorder_point {
        Some(true) => q = q.filter(Expr::cust(BELOW_REORDER_SQL)),
        Some(false) => q = q.filter(Expr::cust(BELOW_REORDER_SQL).not()),
        None => {}
    }
    if let Some(c) = &f.cursor {
        let (p, w): (Uuid, Uuid) = decode_cursor(c)?;
        q = q.filter(
            Condition::any()
                .add(stock_level::Column::ProductId.gt(p))
                .add(
                    Condition::all()
                        .add(stock_level::Column::ProductId.eq(p))
                        .add(stock_level::Column::WarehouseId.gt(w)),
                ),
        );
    }
    let rows = q
        .order_by_asc(stock_level::Column::ProductId)
        .order_by_asc(stock_level::Column::WarehouseId)
        .limit(limit + 1)
        .all(conn)
        .await?;
    Ok(
        Page::from_rows(rows, limit, |r| (r.product_id, r.warehouse_id))
            .map(|r| StockLevelOut::from(&r)),
    )
}

/// `GET /products/{id}/inventory`.
pub async fn product_inventory(
    conn: &impl ConnectionTrait,
    org: Uuid,
    product_id: Uuid,
) -> Result<ProductInventoryOut, AppError> {
    find_product(conn, org, product_id).await?;
    let levels = stock_level::Entity::find()
        .filter(stock_level::Column::OrganizationId.eq(org))
        .filter(stock_level::Column::ProductId.eq(product_id))
        .order_by_asc(stock_level::Column::WarehouseId)
        .all(conn)
        .await?;
    let sum = |f: fn(&stock_level::Model) -> i64| Quantity::from_units(levels.iter().map(f).sum());
    Ok(ProductInventoryOut {
        product_id,
        on_hand: sum(|l| l.on_hand.units()),
        reserved: sum(|l| l.reserved.units()),
        available: sum(|l| l.on_hand.units() - l.reserved.units()),
        warehouses: levels.iter().map(StockLevelOut::from).collect(),
    })
}

/// `GET /inventory/movements`, newest first.
pub async fn list_movements(
    conn: &impl ConnectionTrait,
    org: Uuid,
    f: &MovementFilter,
) -> Result<Page<MovementOut>, AppError> {
    let limit = f.limit.unwrap_or(50).clamp(1, 200);
    let mut q =
        stock_movement::Entity::find().filter(stock_movement::Column::OrganizationId.eq(org));
    if let Some(p) = f.product_id {
        q = q.filter(stock_movement::Column::ProductId.eq(p));
    }
    if let Some(w) = f.warehouse_id {
        q = q.filter(stock_movement::Column::WarehouseId.eq(w));
    }
    if let Some(k) = &f.kind {
        q = q.filter(stock_movement::Column::Kind.eq(*k));
    }
    q = q.filter(created_between(
        stock_movement::Column::Id,
        stock_movement::Column::CreatedAt,
        f.from,
        f.to,
    ));
    if let Some(c) = &f.cursor {
        let before: Uuid = decode_cursor(c)?;
        q = q.filter(stock_movement::Column::Id.lt(before));
    }
    let rows = q
        .order_by_desc(stock_movement::Column::Id)
        .limit(limit + 1)
        .all(conn)
        .await?;
    Ok(Page::from_rows(rows, limit, |r| r.id).map(MovementOut::from))
}

/// `GET /inventory/low-stock`: active stock products whose total available
/// quantity is at or below a positive reorder point.
pub async fn low_stock(
    conn: &impl ConnectionTrait,
    org: Uuid,
) -> Result<Vec<LowStockOut>, AppError> {
    let products = product::Entity::find()
        .filter(product::Column::OrganizationId.eq(org))
        .filter(product::Column::Active.eq(true))
        .filter(product::Column::Kind.eq(ProductKind::Stock))
        .filter(product::Column::ReorderPoint.gt(0))
        .order_by_asc(product::Column::Sku)
        .all(conn)
        .await?;
    let levels = stock_level::Entity::find()
        .filter(stock_level::Column::OrganizationId.eq(org))
        .filter(stock_level::Column::ProductId.is_in(products.iter().map(|p| p.id)))
        .all(conn)
        .await?;
    Ok(products
        .into_iter()
        .filter_map(|p| {
            let available: i64 = levels
                .iter()
                .filter(|l| l.product_id == p.id)
                .map(|l| l.on_hand.units() - l.reserved.units())
                .sum();
            (available <= p.reorder_point.units()).then(|| LowStockOut {
                product_id: p.id,
                available: Quantity::from_units(available),
                suggested_quantity: Quantity::from_units(Ord::max(
                    p.reorder_quantity.units(),
                    p.reorder_point.units() - available,
                )),
                reorder_point: p.reorder_point,
                sku: p.sku,
                name: p.name,
            })
        })
        .collect())
}

/// `GET /inventory/valuation`: each level's exact value; the total equals
/// the inventory account's balance (every value change was posted).
pub async fn valuation(
    conn: &impl ConnectionTrait,
    org: Uuid,
    warehouse: Option<Uuid>,
) -> Result<ValuationOut, AppError> {
    let mut q = stock_level::Entity::find()
        .filter(stock_level::Column::OrganizationId.eq(org))
        .filter(stock_level::Column::OnHand.gt(0));
    if let Some(w) = warehouse {
        q = q.filter(stock_level::Column::WarehouseId.eq(w));
    }
    let levels = q
        .order_by_asc(stock_level::Column::ProductId)
        .order_by_asc(stock_level::Column::WarehouseId)
        .all(conn)
        .await?;
    let overflow = || {
        AppError::unprocessable(
            "valuation_overflow",
            "The stock value exceeds the representable range.",
        )
    };
    let mut rows = Vec::with_capacity(levels.len());
    let (mut total_value, mut total_on_hand) = (Amount::ZERO, Quantity::ZERO);
    for l in levels {
        let value = l.value;
        total_value = total_value.checked_add(value).ok_or_else(overflow)?;
        total_on_hand = total_on_hand.checked_add(l.on_hand).ok_or_else(overflow)?;
        rows.push(ValuationRowOut {
            product_id: l.product_id,
            warehouse_id: l.warehouse_id,
            on_hand: l.on_hand,
            avg_cost: l.avg_cost,
            value,
        });
    }
    Ok(ValuationOut {
        rows,
        total_value,
        total_on_hand,
        ledger_balance: Amount::ZERO,
    })
}

/// [`valuation`] with the inventory account's balance, both read in one
/// snapshot (a repeatable-read transaction on PostgreSQL; a read
/// transaction on SQLite sees one WAL snapshot), so the two agree even
/// while stock moves.
pub async fn valuation_with_ledger(
    db: &sea_orm::DatabaseConnection,
    org: Uuid,
    warehouse: Option<Uuid>,
) -> Result<ValuationOut, AppError> {
    use sea_orm::{AccessMode, IsolationLevel, TransactionTrait};
    let tx = db
        .begin_with_config(
            Some(IsolationLevel::RepeatableRead),
            Some(AccessMode::ReadOnly),
        )
        .await?;
    let mut out = valuation(&tx, org, warehouse).await?;
    out.ledger_balance = crate::modules::accounting::api::role_balance(
        &tx,
        org,
        crate::modules::accounting::api::Role::Inventory,
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}
