//! Stock levels, movements and valuation (`/inventory`).

use super::*;

/// Stock levels per product and warehouse.
#[utoipa::path(
    description = STOCK_READ.requirement(),
    tag = "inventory",
    params(StockFilter),
    responses(
        (status = 200, description = "A page of levels", body = Page<StockLevelOut>),
    ),
    security(("bearer_auth" = []))
)]
#[get("/stock")]
pub(super) async fn list_stock(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<StockFilter>,
) -> AppResult<web::Json<Page<StockLevelOut>>> {
    principal.require(STOCK_READ)?;
    Ok(web::Json(
        stock::list_levels(&state.db, principal.organization_id, &filter).await?,
    ))
}

/// The immutable movement ledger, newest first.
#[utoipa::path(
    description = STOCK_READ.requirement(),
    tag = "inventory",
    params(MovementFilter),
    responses(
        (status = 200, description = "A page of movements", body = Page<MovementOut>),
    ),
    security(("bearer_auth" = []))
)]
#[get("/movements")]
pub(super) async fn list_movements(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<MovementFilter>,
) -> AppResult<web::Json<Page<MovementOut>>> {
    principal.require(STOCK_READ)?;
    Ok(web::Json(
        stock::list_movements(&state.db, principal.organization_id, &filter).await?,
    ))
}

/// Receive stock into a warehouse (updates moving-average cost).
#[utoipa::path(
    description = STOCK_MOVE.requirement(),
    tag = "inventory",
    request_body = StockMoveIn,
    responses(
        (status = 201, description = "Movements and new levels", body = StockResultOut),
    ),
    security(("bearer_auth" = []))
)]
#[post("/receipts")]
pub(super) async fn receipts(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<StockMoveIn>,
) -> AppResult<HttpResponse> {
    principal.require(STOCK_MOVE)?;
    let out = stock::receive(&state, &principal, &body).await?;
    Ok(HttpResponse::Created().json(out))
}

/// Issue stock from a warehouse; all lines or none (409 `insufficient_stock`).
#[utoipa::path(
    description = STOCK_MOVE.requirement(),
    tag = "inventory",
    request_body = StockMoveIn,
    responses(
        (status = 201, description = "Movements and new levels", body = StockResultOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/issues")]
pub(super) async fn issues(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<StockMoveIn>,
) -> AppResult<HttpResponse> {
    principal.require(STOCK_MOVE)?;
    let out = stock::issue(&state, &principal, &body).await?;
    Ok(HttpResponse::Created().json(out))
}

/// Move stock between warehouses: both legs or neither.
#[utoipa::path(
    description = STOCK_MOVE.requirement(),
    tag = "inventory",
    request_body = TransferIn,
    responses(
        (status = 201, description = "Movements and new levels", body = StockResultOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/transfers")]
pub(super) async fn transfers(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<TransferIn>,
) -> AppResult<HttpResponse> {
    principal.require(STOCK_MOVE)?;
    let out = stock::transfer(&state, &principal, &body).await?;
    Ok(HttpResponse::Created().json(out))
}

/// Correct a level by a delta or to a counted quantity.
#[utoipa::path(
    description = STOCK_ADJUST.requirement(),
    tag = "inventory",
    request_body = AdjustIn,
    responses(
        (status = 201, description = "The adjustment (no movement when nothing changed) and the level", body = StockResultOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/adjust")]
pub(super) async fn adjust(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<AdjustIn>,
) -> AppResult<HttpResponse> {
    principal.require(STOCK_ADJUST)?;
    let out = stock::adjust(&state, &principal, &body).await?;
    Ok(HttpResponse::Created().json(out))
}

/// Products whose available stock is at or below their reorder point, with
/// a suggested order quantity.
#[utoipa::path(
    description = STOCK_READ.requirement(),
    tag = "inventory",
    responses(
        (status = 200, description = "Products to reorder, by SKU", body = Vec<LowStockOut>),
    ),
    security(("bearer_auth" = []))
)]
#[get("/low-stock")]
pub(super) async fn low_stock(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Vec<LowStockOut>>> {
    principal.require(STOCK_READ)?;
    Ok(web::Json(
        stock::low_stock(&state.db, principal.organization_id).await?,
    ))
}

/// Stock value per product and warehouse, with totals and the inventory account's balance.
#[utoipa::path(
    description = STOCK_READ.described("Each level's exact value, the totals, and the balance of the inventory account read in the same snapshot: without a warehouse filter `total_value` always equals `ledger_balance` (every stock movement posts its value)."),
    tag = "inventory",
    params(ValuationFilter),
    responses(
        (status = 200, description = "Valuation", body = ValuationOut),
    ),
    security(("bearer_auth" = []))
)]
#[get("/valuation")]
pub(super) async fn valuation(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<ValuationFilter>,
) -> AppResult<web::Json<ValuationOut>> {
    principal.require(STOCK_READ)?;
    Ok(web::Json(
        stock::valuation_with_ledger(&state.db, principal.organization_id, filter.warehouse_id)
            .await?,
    ))
}
