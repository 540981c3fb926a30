//! Quotes.

use actix_web::{HttpResponse, get, patch, post, web};
use utoipa_actix_web::{scope::scope, service_config::ServiceConfig};
use uuid::Uuid;

use crate::{
    modules::crm::{
        permissions::*,
        routes::{created, versioned},
        sales::{
            dto::*,
            entities::QuoteStatus,
            service::{acceptance, quotes},
        },
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

/// Mounts these routes.
pub(super) fn mount(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/quotes")
            .service(list_quotes)
            .service(create_quote)
            .service(get_quote)
            .service(patch_quote)
            .service(send_quote)
            .service(reject_quote)
            .service(revise_quote)
            .service(accept_quote),
    );
}

/// Quotes.
///
/// Newest first; filter by status (`expired` includes sent quotes past
/// `valid_until`, which `sent` leaves out), customer and deal.
#[utoipa::path(
    description = QUOTES_READ.requirement(),
    tag = "sales",
    params(QuoteFilter),
    responses((status = 200, description = "A page of quotes", body = Page<QuoteOut>)),
    security(("bearer_auth" = []))
)]
#[get("")]
pub(super) async fn list_quotes(
    state: web::Data<AppState>,
    principal: Principal,
    q: ValidatedQuery<QuoteFilter>,
) -> AppResult<web::Json<Page<QuoteOut>>> {
    principal.require(QUOTES_READ)?;
    let page = quotes::list_quotes(&state.db, principal.organization_id, &q.0).await?;
    Ok(web::Json(page))
}

/// Write a quote.
///
/// A draft numbered `Q-000001`, ... Each line is a product (price defaults
/// to its sale price, description to its name) or free text with a price;
/// a discount percent and a tax rate per line. Every figure is rounded
/// half-up to the currency's minor unit per line, then summed.
#[utoipa::path(
    description = QUOTES_MANAGE.requirement(),
    tag = "sales",
    request_body = QuoteIn,
    responses(
        (status = 201, description = "Written", body = QuoteOut,
            headers(("Location" = String, description = "The new quote"), ("ETag" = String, description = "Its version, for `If-Match`"))),
    ),
    security(("bearer_auth" = []))
)]
#[post("")]
pub(super) async fn create_quote(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<QuoteIn>,
) -> AppResult<HttpResponse> {
    principal.require(QUOTES_MANAGE)?;
    let out = quotes::create_quote(&state, &principal, &body).await?;
    Ok(created(
        format!("/api/v1/quotes/{}", out.id),
        out.version,
        &out,
    ))
}

/// A quote.
#[utoipa::path(
    description = QUOTES_READ.requirement(),
    tag = "sales",
    params(("id" = Uuid, Path, description = "Quote id")),
    responses((status = 200, description = "The quote; `ETag` carries its version", body = QuoteOut)),
    security(("bearer_auth" = []))
)]
#[get("/{id}")]
pub(super) async fn get_quote(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(QUOTES_READ)?;
    let out = quotes::get_quote(&state.db, principal.organization_id, id.into_inner()).await?;
    Ok(versioned(out.version, &out))
}

/// Change a draft quote.
///
/// New lines (or a new currency) re-price it. Only drafts change (409
/// `invalid_state`); revise a sent quote instead.
#[utoipa::path(
    description = QUOTES_MANAGE.requirement(),
    tag = "sales",
    params(
        ("id" = Uuid, Path, description = "Quote id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = QuotePatch,
    responses(
        (status = 200, description = "Changed", body = QuoteOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/{id}")]
pub(super) async fn patch_quote(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<QuotePatch>,
) -> AppResult<HttpResponse> {
    principal.require(QUOTES_MANAGE)?;
    let out = quotes::patch_quote(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(versioned(out.version, &out))
}

async fn move_quote(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    if_match: Option<i32>,
    to: QuoteStatus,
) -> AppResult<HttpResponse> {
    principal.require(QUOTES_MANAGE)?;
    let out = quotes::transition(state, principal, id, if_match, to).await?;
    Ok(versioned(out.version, &out))
}

/// Send a quote (draft -> sent).
#[utoipa::path(
    description = QUOTES_MANAGE.requirement(),
    tag = "sales",
    params(
        ("id" = Uuid, Path, description = "Quote id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being sent"),
    ),
    responses((status = 200, description = "Sent", body = QuoteOut)),
    security(("bearer_auth" = []))
)]
#[post("/{id}/send")]
pub(super) async fn send_quote(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    move_quote(
        &state,
        &principal,
        id.into_inner(),
        if_match.0,
        QuoteStatus::Sent,
    )
    .await
}

/// Reject a quote (sent -> rejected).
#[utoipa::path(
    description = QUOTES_MANAGE.requirement(),
    tag = "sales",
    params(
        ("id" = Uuid, Path, description = "Quote id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being rejected"),
    ),
    responses((status = 200, description = "Rejected", body = QuoteOut)),
    security(("bearer_auth" = []))
)]
#[post("/{id}/reject")]
pub(super) async fn reject_quote(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    move_quote(
        &state,
        &principal,
        id.into_inner(),
        if_match.0,
        QuoteStatus::Rejected,
    )
    .await
}

/// Revise a quote.
///
/// A new draft with the same number, the next revision and the same lines
/// (re-priced at today's tax rates); the old revision becomes `superseded`.
/// From draft, sent, rejected or expired.
#[utoipa::path(
    description = QUOTES_MANAGE.requirement(),
    tag = "sales",
    params(("id" = Uuid, Path, description = "Quote id")),
    responses(
        (status = 201, description = "The new revision", body = QuoteOut,
            headers(("Location" = String, description = "The new revision"), ("ETag" = String, description = "Its version"))),
    ),
    security(("bearer_auth" = []))
)]
#[post("/{id}/revise")]
pub(super) async fn revise_quote(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(QUOTES_MANAGE)?;
    let out = quotes::revise(&state, &principal, id.into_inner()).await?;
    Ok(created(
        format!("/api/v1/quotes/{}", out.id),
        out.version,
        &out,
    ))
}

/// Accept a quote.
///
/// In one transaction: the sent quote becomes `accepted`, a sales order is
/// made from its lines as priced (optionally confirmed at once), and the
/// quote's deal moves to its pipeline's won stage. An expired quote is 409
/// `quote_expired`; accepting twice is 409 `invalid_state`.
#[utoipa::path(
    description = QUOTES_MANAGE.requirement(),
    tag = "sales",
    params(("id" = Uuid, Path, description = "Quote id")),
    request_body = QuoteAccept,
    responses(
        (status = 201, description = "The sales order made", body = SalesOrderOut,
            headers(("Location" = String, description = "The sales order"), ("ETag" = String, description = "Its version"))),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/{id}/accept")]
pub(super) async fn accept_quote(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: ValidatedJson<QuoteAccept>,
) -> AppResult<HttpResponse> {
    principal.require(QUOTES_MANAGE)?;
    let out = acceptance::accept(&state, &principal, id.into_inner(), &body).await?;
    let o = &out.order;
    Ok(created(
        format!("/api/v1/sales-orders/{}", o.id),
        o.version,
        &out,
    ))
}
