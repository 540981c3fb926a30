//! Deals, their moves and history, and the forecast.

use actix_web::{HttpResponse, get, patch, post, web};
use utoipa_actix_web::{scope::scope, service_config::ServiceConfig};
use uuid::Uuid;

use super::{FilterQuery, created, versioned};
use crate::{
    modules::crm::{
        dto::*,
        permissions::*,
        service::{deals, forecast, moves},
    },
    platform::{
        auth::Principal,
        error::AppResult,
        extract::{IfMatch, ValidatedJson, ValidatedQuery},
        openapi::Conflict,
        pagination::Page,
        state::AppState,
    },
};

/// Mounts these routes (`/forecast` before `/{id}`, which would take it).
pub(super) fn mount(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/deals")
            .service(list_deals)
            .service(create_deal)
            .service(deal_forecast)
            .service(get_deal)
            .service(patch_deal)
            .service(move_deal)
            .service(deal_history),
    );
}

/// Deals.
///
/// Newest first by default (`sort`: `-created_at`, `created_at`, `amount`,
/// `-amount`); filter by pipeline, stage, status, customer, contact, owner
/// (`me` for the caller), expected close date range, title (`q`), and
/// custom fields with `cf.<key>=value` (`cf.<key>_gte`, `_gt`, `_lte`, `_lt`
/// for numbers, decimals and dates; an unknown key is 422 naming `cf.<key>`).
#[utoipa::path(
    description = DEALS_READ.requirement(),
    tag = "crm",
    params(DealFilter),
    responses((status = 200, description = "A page of deals", body = Page<DealOut>)),
    security(("bearer_auth" = []))
)]
#[get("")]
pub(super) async fn list_deals(
    state: web::Data<AppState>,
    principal: Principal,
    q: FilterQuery<DealFilter>,
) -> AppResult<web::Json<Page<DealOut>>> {
    principal.require(DEALS_READ)?;
    let page = deals::list_deals(
        &state.db,
        principal.organization_id,
        principal.user_id,
        &q.filter,
        &q.custom,
    )
    .await?;
    Ok(web::Json(page))
}

/// Open a deal.
///
/// In the default pipeline unless `pipeline_id` names another, in its first
/// open stage unless `stage_id` names one (never a lost stage: losing takes
/// a move with a reason). The customer and contact must be the
/// organization's, the owner (the caller when absent) an active member;
/// custom fields are checked against the `deal` definitions.
#[utoipa::path(
    description = DEALS_MANAGE.requirement(),
    tag = "crm",
    request_body = DealIn,
    responses(
        (status = 201, description = "Opened", body = DealOut,
            headers(("Location" = String, description = "The new deal"), ("ETag" = String, description = "Its version, for `If-Match`"))),
    ),
    security(("bearer_auth" = []))
)]
#[post("")]
pub(super) async fn create_deal(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<DealIn>,
) -> AppResult<HttpResponse> {
    principal.require(DEALS_MANAGE)?;
    let out = deals::create_deal(&state, &principal, &body).await?;
    Ok(created(
        format!("/api/v1/deals/{}", out.id),
        out.version,
        &out,
    ))
}

/// Forecast.
///
/// Open deals expected to close between `from` and `to` (inclusive), by
/// month, owner and currency: count, amount, and amount weighted by each
/// deal's stage probability (rounded half-up to 4 decimals).
#[utoipa::path(
    description = DEALS_READ.requirement(),
    tag = "crm",
    params(ForecastQuery),
    responses((status = 200, description = "The forecast", body = ForecastOut)),
    security(("bearer_auth" = []))
)]
#[get("/forecast")]
pub(super) async fn deal_forecast(
    state: web::Data<AppState>,
    principal: Principal,
    q: ValidatedQuery<ForecastQuery>,
) -> AppResult<web::Json<ForecastOut>> {
    principal.require(DEALS_READ)?;
    let out =
        forecast::forecast(&state.db, principal.organization_id, principal.user_id, &q).await?;
    Ok(web::Json(out))
}

/// One deal.
///
/// The deal with its stage, status and custom fields.
#[utoipa::path(
    description = DEALS_READ.requirement(),
    tag = "crm",
    params(("id" = Uuid, Path, description = "Deal id")),
    responses((status = 200, description = "The deal; `ETag` carries its version", body = DealOut)),
    security(("bearer_auth" = []))
)]
#[get("/{id}")]
pub(super) async fn get_deal(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(DEALS_READ)?;
    let out = deals::get_deal(&state.db, principal.organization_id, id.into_inner()).await?;
    Ok(versioned(out.version, &out))
}

/// Change a deal.
///
/// Title, customer, contact, amount, currency, expected close date, owner
/// and custom fields (merged: `null` removes a value). The stage changes
/// only through a move.
#[utoipa::path(
    description = DEALS_MANAGE.requirement(),
    tag = "crm",
    params(
        ("id" = Uuid, Path, description = "Deal id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = DealPatch,
    responses(
        (status = 200, description = "Changed", body = DealOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/{id}")]
pub(super) async fn patch_deal(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<DealPatch>,
) -> AppResult<HttpResponse> {
    principal.require(DEALS_MANAGE)?;
    let out = deals::patch_deal(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(versioned(out.version, &out))
}

/// Move a deal to another stage.
///
/// The stage must be in the deal's pipeline; a lost stage needs an active
/// `lost_reason_id`. Won and lost stages set `closed_at`, an open stage
/// clears it and the lost reason. Moving to the current stage is 409
/// `same_stage`. Recorded in the deal's history and the timeline of its
/// customer and contact.
#[utoipa::path(
    description = DEALS_MANAGE.requirement(),
    tag = "crm",
    params(
        ("id" = Uuid, Path, description = "Deal id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being moved"),
    ),
    request_body = DealMove,
    responses(
        (status = 200, description = "Moved", body = DealOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/{id}/move")]
pub(super) async fn move_deal(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<DealMove>,
) -> AppResult<HttpResponse> {
    principal.require(DEALS_MANAGE)?;
    let out = moves::move_deal(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(versioned(out.version, &out))
}

/// A deal's stage history.
///
/// Every stage the deal entered, oldest first (the first row is its
/// opening), with the stages' names, when and by whom (one page holds it
/// all).
#[utoipa::path(
    description = DEALS_READ.requirement(),
    tag = "crm",
    params(("id" = Uuid, Path, description = "Deal id")),
    responses((status = 200, description = "The stage history", body = Page<StageChangeOut>)),
    security(("bearer_auth" = []))
)]
#[get("/{id}/history")]
pub(super) async fn deal_history(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<Page<StageChangeOut>>> {
    principal.require(DEALS_READ)?;
    let data = moves::history(&state.db, principal.organization_id, id.into_inner()).await?;
    Ok(web::Json(Page {
        data,
        next_cursor: None,
        has_more: false,
    }))
}
