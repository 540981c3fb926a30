//! Stock arriving: receipts at their unit cost, posted to the ledger.

use super::*;

/// A receipt's or issue's document reference: both fields or neither, and a
/// document of that type in the caller's organization (422 naming the field
/// otherwise). Returns the stored `(type, id)`.
pub(super) async fn checked_reference(
    conn: &impl ConnectionTrait,
    org: Uuid,
    input: &StockMoveIn,
) -> Result<Option<(&'static str, String)>, AppError> {
    let (kind, id) = match (input.reference_type, input.reference_id) {
        (None, None) => return Ok(None),
        (Some(kind), Some(id)) => (kind, id),
        (Some(_), None) => {
            return Err(AppError::invalid_field(
                "reference_id",
                "required",
                "is required with reference_type",
            ));
        }
        (None, Some(_)) => {
            return Err(AppError::invalid_field(
                "reference_type",
                "required",
                "is required with reference_id",
            ));
        }
    };
    let exists = match kind {
        DocumentType::PurchaseOrder => {
            tenant::find_optional::<purchase_order::Entity>(conn, org, id)
                .await?
                .is_some()
        }
    };
    if !exists {
        return Err(AppError::invalid_field(
            "reference_id",
            "unknown_document",
            format!(
                "no {} with this id exists in this organization",
                kind.as_str()
            ),
        ));
    }
    Ok(Some((kind.as_str(), id.to_string())))
}

/// `POST /inventory/receipts`: adds stock line by line at its unit cost.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn receive(
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
    let tx = begin_write(&state.db).await?;
    open_warehouse(&tx, org, input.warehouse_id, "warehouse_id").await?;
    let mut costs = Vec::with_capacity(input.lines.len());
    for (i, l) in input.lines.iter().enumerate() {
        let prod = stock_product(&tx, org, l.product_id, &format!("lines[{i}].product_id")).await?;
        costs.push(l.unit_cost.unwrap_or(prod.standard_cost));
    }
    let lines: Vec<_> = input
        .lines
        .iter()
        .zip(costs)
        .map(|(l, cost)| (l.product_id, l.quantity, cost))
        .collect();
    let (movements, levels) = post_receipts(&tx, &ctx, input.warehouse_id, &lines).await?;
    finish(tx, p, "inventory.stock.received", movements, levels).await
}

/// Receives `(product, quantity, unit cost)` lines into one warehouse: locks
/// the levels in order, adds the stock at moving-average cost, writes one
/// receipt movement per line and posts their value (Dr inventory, Cr goods
/// received not invoiced), inside the caller's transaction. Returns the
/// movements and the levels after each line.
pub(crate) async fn post_receipts(
    conn: &impl ConnectionTrait,
    ctx: &MoveContext<'_>,
    warehouse: Uuid,
    lines: &[(Uuid, Quantity, Amount)],
) -> Result<(Vec<stock_movement::Model>, Vec<stock_level::Model>), AppError> {
    let mut pairs: Vec<_> = lines.iter().map(|l| (l.0, warehouse)).collect();
    lock_levels(conn, ctx.org, &mut pairs).await?;
    let mut movements = Vec::with_capacity(lines.len());
    let mut levels = Vec::with_capacity(lines.len());
    for &(product, qty, cost) in lines {
        let value = cost.times(qty).ok_or_else(out_of_range)?;
        levels.push(add_stock(conn, product, warehouse, qty, value).await?);
        movements.push(
            write_movement(
                conn,
                ctx,
                (product, warehouse),
                MovementKind::Receipt,
                (qty, cost, value),
                None,
            )
            .await?,
        );
    }
    post_value(conn, ctx, MovementKind::Receipt, &movements).await?;
    Ok((movements, levels))
}
