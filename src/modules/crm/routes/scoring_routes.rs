//! Lead scoring rules (inside `/crm`).

use actix_web::{HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::{created, versioned};
use crate::{
    modules::crm::{dto::*, permissions::*, service::scoring},
    platform::{
        auth::Principal,
        error::AppResult,
        extract::{IfMatch, ValidatedJson, ValidatedQuery},
        pagination::Page,
        state::AppState,
    },
};

/// Mounts these routes (inside the `/crm` scope).
pub(super) fn mount(cfg: &mut ServiceConfig) {
    cfg.service(list_scoring_rules)
        .service(create_scoring_rule)
        .service(get_scoring_rule)
        .service(patch_scoring_rule)
        .service(delete_scoring_rule);
}

/// Lead scoring rules.
///
/// The rules that make up every lead's score, newest first; filter by
/// subject and active.
#[utoipa::path(
    description = SETTINGS_READ.requirement(),
    tag = "crm",
    params(ScoringRuleFilter),
    responses((status = 200, description = "A page of rules", body = Page<ScoringRuleOut>)),
    security(("bearer_auth" = []))
)]
#[get("/lead-scoring-rules")]
pub(super) async fn list_scoring_rules(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<ScoringRuleFilter>,
) -> AppResult<web::Json<Page<ScoringRuleOut>>> {
    principal.require(SETTINGS_READ)?;
    let page = scoring::list_rules(&state.db, principal.organization_id, &filter).await?;
    Ok(web::Json(page))
}

/// Define a lead scoring rule.
///
/// A matching lead gets the rule's points (while it is active). The
/// operator must suit the field and `value` its type (422 otherwise).
/// Every unconverted lead is rescored before the answer.
#[utoipa::path(
    description = SETTINGS_MANAGE.requirement(),
    tag = "crm",
    request_body = ScoringRuleIn,
    responses(
        (status = 201, description = "Defined", body = ScoringRuleOut,
            headers(("Location" = String, description = "The new rule"), ("ETag" = String, description = "Its version, for `If-Match`"))),
    ),
    security(("bearer_auth" = []))
)]
#[post("/lead-scoring-rules")]
pub(super) async fn create_scoring_rule(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<ScoringRuleIn>,
) -> AppResult<HttpResponse> {
    principal.require(SETTINGS_MANAGE)?;
    let out = scoring::create_rule(&state, &principal, &body).await?;
    Ok(created(
        format!("/api/v1/crm/lead-scoring-rules/{}", out.id),
        out.version,
        &out,
    ))
}

/// One lead scoring rule.
///
/// The rule with its subject, field, operator, value and points.
#[utoipa::path(
    description = SETTINGS_READ.requirement(),
    tag = "crm",
    params(("id" = Uuid, Path, description = "Scoring rule id")),
    responses((status = 200, description = "The rule; `ETag` carries its version", body = ScoringRuleOut)),
    security(("bearer_auth" = []))
)]
#[get("/lead-scoring-rules/{id}")]
pub(super) async fn get_scoring_rule(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(SETTINGS_READ)?;
    let out = scoring::get_rule(&state.db, principal.organization_id, id.into_inner()).await?;
    Ok(versioned(out.version, &out))
}

/// Change a lead scoring rule.
///
/// The rule as changed is checked whole, and every unconverted lead is
/// rescored before the answer.
#[utoipa::path(
    description = SETTINGS_MANAGE.requirement(),
    tag = "crm",
    params(
        ("id" = Uuid, Path, description = "Scoring rule id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = ScoringRulePatch,
    responses((status = 200, description = "Changed", body = ScoringRuleOut)),
    security(("bearer_auth" = []))
)]
#[patch("/lead-scoring-rules/{id}")]
pub(super) async fn patch_scoring_rule(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<ScoringRulePatch>,
) -> AppResult<HttpResponse> {
    principal.require(SETTINGS_MANAGE)?;
    let out = scoring::patch_rule(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(versioned(out.version, &out))
}

/// Delete a lead scoring rule.
///
/// The rule is removed and every unconverted lead rescored without it
/// before the answer (deactivate it with PATCH to keep it).
#[utoipa::path(
    description = SETTINGS_MANAGE.requirement(),
    tag = "crm",
    params(
        ("id" = Uuid, Path, description = "Scoring rule id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being deleted"),
    ),
    responses((status = 204, description = "Deleted")),
    security(("bearer_auth" = []))
)]
#[delete("/lead-scoring-rules/{id}")]
pub(super) async fn delete_scoring_rule(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(SETTINGS_MANAGE)?;
    scoring::delete_rule(&state, &principal, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
