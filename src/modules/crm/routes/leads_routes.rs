//! Leads, their scores, and conversion.

use actix_web::{HttpResponse, get, patch, post, web};
use utoipa_actix_web::{scope::scope, service_config::ServiceConfig};
use uuid::Uuid;

use super::{FilterQuery, created, versioned};
use crate::{
    modules::crm::{
        dto::*,
        permissions::*,
        service::{conversion, leads, scoring},
    },
    platform::{
        auth::Principal,
        error::AppResult,
        extract::{IfMatch, ValidatedJson},
        openapi::Conflict,
        pagination::Page,
        state::AppState,
    },
};

/// Mounts these routes.
pub(super) fn mount(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/leads")
            .service(list_leads)
            .service(create_lead)
            .service(get_lead)
            .service(patch_lead)
            .service(get_lead_score)
            .service(convert_lead),
    );
}

/// Leads.
///
/// Filter by status, owner (`me` for the caller), source, text in name,
/// company or email, minimum score and custom fields (`cf.<key>=value`,
/// `cf.<key>_gte=value`, ...); newest first, or by score.
#[utoipa::path(
    description = LEADS_READ.requirement(),
    tag = "crm",
    params(LeadFilter),
    responses((status = 200, description = "A page of leads", body = Page<LeadOut>)),
    security(("bearer_auth" = []))
)]
#[get("")]
pub(super) async fn list_leads(
    state: web::Data<AppState>,
    principal: Principal,
    q: FilterQuery<LeadFilter>,
) -> AppResult<web::Json<Page<LeadOut>>> {
    principal.require(LEADS_READ)?;
    let page = leads::list_leads(
        &state.db,
        principal.organization_id,
        principal.user_id,
        &q.filter,
        &q.custom,
    )
    .await?;
    Ok(web::Json(page))
}

/// Create a lead.
///
/// The lead is scored by the organization's active scoring rules as it is
/// created. `converted` cannot be set here: conversion sets it.
#[utoipa::path(
    description = LEADS_MANAGE.requirement(),
    tag = "crm",
    request_body = LeadIn,
    responses(
        (status = 201, description = "Created", body = LeadOut,
            headers(("Location" = String, description = "The new lead"), ("ETag" = String, description = "Its version, for `If-Match`"))),
    ),
    security(("bearer_auth" = []))
)]
#[post("")]
pub(super) async fn create_lead(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<LeadIn>,
) -> AppResult<HttpResponse> {
    principal.require(LEADS_MANAGE)?;
    let out = leads::create_lead(&state, &principal, &body).await?;
    Ok(created(
        format!("/api/v1/leads/{}", out.id),
        out.version,
        &out,
    ))
}

/// One lead.
///
/// The lead with its score; `ETag` carries its version (which also moves
/// when the score changes).
#[utoipa::path(
    description = LEADS_READ.requirement(),
    tag = "crm",
    params(("id" = Uuid, Path, description = "Lead id")),
    responses((status = 200, description = "The lead; `ETag` carries its version", body = LeadOut)),
    security(("bearer_auth" = []))
)]
#[get("/{id}")]
pub(super) async fn get_lead(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(LEADS_READ)?;
    let out = leads::get_lead(&state.db, principal.organization_id, id.into_inner()).await?;
    Ok(versioned(out.version, &out))
}

/// Change a lead.
///
/// Any field but the score and conversion details; the lead is rescored.
/// A converted lead is read-only (409 `lead_converted`), and `converted` is
/// set only by conversion.
#[utoipa::path(
    description = LEADS_MANAGE.requirement(),
    tag = "crm",
    params(
        ("id" = Uuid, Path, description = "Lead id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = LeadPatch,
    responses(
        (status = 200, description = "Changed", body = LeadOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/{id}")]
pub(super) async fn patch_lead(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<LeadPatch>,
) -> AppResult<HttpResponse> {
    principal.require(LEADS_MANAGE)?;
    let out = leads::patch_lead(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(versioned(out.version, &out))
}

/// A lead's score, explained.
///
/// The stored score and the active rules the lead matched when it was last
/// scored, with each rule's current description; their points sum to the
/// score.
#[utoipa::path(
    description = LEADS_READ.requirement(),
    tag = "crm",
    params(("id" = Uuid, Path, description = "Lead id")),
    responses((status = 200, description = "The score and its rules", body = LeadScoreOut)),
    security(("bearer_auth" = []))
)]
#[get("/{id}/score")]
pub(super) async fn get_lead_score(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<LeadScoreOut>> {
    principal.require(LEADS_READ)?;
    let out = scoring::lead_score(&state.db, principal.organization_id, id.into_inner()).await?;
    Ok(web::Json(out))
}

/// Convert a lead.
///
/// In one step: link (`customer_id`) or create a customer, link
/// (`contact_id`) or create a contact, optionally open a deal, and mark the
/// lead `converted`. Everything happens or nothing does: a conversion
/// refused at any point leaves no customer, contact or deal behind. A lead
/// converts once (409 `lead_converted`); a contact with the lead's email
/// already existing is 409 `contact_email_taken` (link it with `contact_id`).
#[utoipa::path(
    description = LEADS_CONVERT.requirement(),
    tag = "crm",
    params(
        ("id" = Uuid, Path, description = "Lead id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being converted"),
    ),
    request_body = LeadConvertIn,
    responses(
        (status = 201, description = "Converted: what the conversion made or linked, and the lead (its new version in `lead.version`)", body = LeadConversionOut,
            headers(("Location" = String, description = "The customer the lead became"))),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/{id}/convert")]
pub(super) async fn convert_lead(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<LeadConvertIn>,
) -> AppResult<HttpResponse> {
    principal.require(LEADS_CONVERT)?;
    let out =
        conversion::convert_lead(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/customers/{}", out.customer_id),
        ))
        .json(out))
}
