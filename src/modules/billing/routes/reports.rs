//! Aging reports and customer statements, as JSON or CSV.

use actix_web::{HttpRequest, HttpResponse, get, web};
use utoipa_actix_web::{scope::scope, service_config::ServiceConfig};
use uuid::Uuid;

use crate::{
    modules::billing::{dto::*, entities::DocKind, permissions::*, service::reports},
    platform::{
        auth::Principal,
        error::AppResult,
        extract::{CardSafeQuery, accepts},
        state::AppState,
    },
};

/// Mounts these routes.
pub(super) fn mount(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/billing/reports")
            .service(ar_aging)
            .service(ap_aging),
    );
}

fn csv(body: String, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}.csv\""),
        ))
        .body(body)
}

async fn aging(
    req: &HttpRequest,
    state: &AppState,
    p: &Principal,
    kind: DocKind,
    q: &AgingQuery,
) -> AppResult<HttpResponse> {
    let report = reports::aging(&state.db, p.organization_id, kind, q.as_of).await?;
    if accepts(req, "text/csv") {
        let name = if kind == DocKind::Invoice {
            "ar-aging"
        } else {
            "ap-aging"
        };
        return Ok(csv(reports::aging_csv(&report), name));
    }
    Ok(HttpResponse::Ok().json(report))
}

/// Receivables aging.
///
/// Each customer's open invoice balances as of a day (default today), in
/// buckets of days past due: current, 1-30, 31-60, 61-90, over 90; with
/// totals per currency. `Accept: text/csv` answers CSV.
#[utoipa::path(
    description = REPORTS_READ.requirement(),
    tag = "billing",
    params(AgingQuery),
    responses((status = 200, description = "The report",
        content((AgingReport = "application/json"), (String = "text/csv")))),
    security(("bearer_auth" = []))
)]
#[get("/ar-aging")]
async fn ar_aging(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    q: CardSafeQuery<AgingQuery>,
) -> AppResult<HttpResponse> {
    principal.require(REPORTS_READ)?;
    aging(&req, &state, &principal, DocKind::Invoice, &q.0).await
}

/// Payables aging: each supplier's open bill balances, bucketed as
/// receivables are.
#[utoipa::path(
    description = REPORTS_READ.requirement(),
    tag = "billing",
    params(AgingQuery),
    responses((status = 200, description = "The report",
        content((AgingReport = "application/json"), (String = "text/csv")))),
    security(("bearer_auth" = []))
)]
#[get("/ap-aging")]
async fn ap_aging(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    q: CardSafeQuery<AgingQuery>,
) -> AppResult<HttpResponse> {
    principal.require(REPORTS_READ)?;
    aging(&req, &state, &principal, DocKind::Bill, &q.0).await
}

/// A customer's statement of account.
///
/// Opening balance at `from`, every invoice, void, credit note, payment and
/// refund up to `to` with a running balance, closing balance.
/// `Accept: text/csv` answers CSV.
#[utoipa::path(
    description = REPORTS_READ.requirement(),
    tag = "billing",
    params(("id" = Uuid, Path, description = "Customer id"), StatementQuery),
    responses((status = 200, description = "The statement",
        content((Statement = "application/json"), (String = "text/csv")))),
    security(("bearer_auth" = []))
)]
#[get("/customers/{id}/statement")]
pub(super) async fn customer_statement(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    q: CardSafeQuery<StatementQuery>,
) -> AppResult<HttpResponse> {
    principal.require(REPORTS_READ)?;
    let org = principal.organization_id;
    let s = reports::statement_of(&state.db, org, id.into_inner(), &q.0).await?;
    if accepts(&req, "text/csv") {
        return Ok(csv(reports::statement_csv(&s), "statement"));
    }
    Ok(HttpResponse::Ok().json(s))
}
