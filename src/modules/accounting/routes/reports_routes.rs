//! Trial balance, profit and loss, balance sheet (JSON or CSV).

use super::*;

/// The trial balance.
#[utoipa::path(
    description = REPORTS_READ.described("Per account, the sums of posted debits and credits up to `as_of` (default today) and the balance; the totals are equal. `Accept: text/csv` answers CSV."),
    tag = "accounting",
    params(AsOfQuery),
    responses((status = 200, description = "The trial balance",
        content((TrialBalanceOut = "application/json"), (String = "text/csv")))),
    security(("bearer_auth" = []))
)]
#[get("/reports/trial-balance")]
pub(super) async fn trial_balance(
    state: web::Data<AppState>,
    principal: Principal,
    query: ValidatedQuery<AsOfQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    principal.require(REPORTS_READ)?;
    let as_of = query.as_of.unwrap_or_else(today);
    let out = reports::trial_balance(&state.db, principal.organization_id, as_of).await?;
    Ok(report(&req, &out))
}

/// Profit and loss.
#[utoipa::path(
    description = REPORTS_READ.described("Income and expense by account and subtype over `from`..`to` (year-closing entries excluded), net profit, and optionally the same for `compare_from`..`compare_to`. `Accept: text/csv` answers CSV."),
    tag = "accounting",
    params(RangeQuery),
    responses((status = 200, description = "Profit and loss",
        content((ProfitAndLossOut = "application/json"), (String = "text/csv")))),
    security(("bearer_auth" = []))
)]
#[get("/reports/profit-and-loss")]
pub(super) async fn profit_and_loss(
    state: web::Data<AppState>,
    principal: Principal,
    query: ValidatedQuery<RangeQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    principal.require(REPORTS_READ)?;
    let out = reports::profit_and_loss(&state.db, principal.organization_id, &query).await?;
    Ok(report(&req, &out))
}

/// The balance sheet.
#[utoipa::path(
    description = REPORTS_READ.described("Assets, liabilities and equity at `as_of` (default today), with the income not yet closed into retained earnings as current earnings: assets equal liabilities plus equity plus current earnings, exactly. `Accept: text/csv` answers CSV."),
    tag = "accounting",
    params(AsOfQuery),
    responses((status = 200, description = "The balance sheet",
        content((BalanceSheetOut = "application/json"), (String = "text/csv")))),
    security(("bearer_auth" = []))
)]
#[get("/reports/balance-sheet")]
pub(super) async fn balance_sheet(
    state: web::Data<AppState>,
    principal: Principal,
    query: ValidatedQuery<AsOfQuery>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    principal.require(REPORTS_READ)?;
    let as_of = query.as_of.unwrap_or_else(today);
    let out = reports::balance_sheet(&state.db, principal.organization_id, as_of).await?;
    Ok(report(&req, &out))
}
