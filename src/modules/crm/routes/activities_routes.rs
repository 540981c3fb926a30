//! Activities: the communication inbox and the to-do list.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::{scope::scope, service_config::ServiceConfig};
use uuid::Uuid;

use super::{created, versioned};
use crate::{
    modules::crm::{dto::*, permissions::*, service::activities},
    platform::{
        auth::Principal,
        error::AppResult,
        extract::{IfMatch, ValidatedJson, ValidatedQuery},
        openapi::Conflict,
        pagination::Page,
        state::AppState,
    },
};

/// Mounts these routes (scope `/activities`).
pub(super) fn mount(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/activities")
            .service(list_activities)
            .service(create_activity)
            .service(get_activity)
            .service(patch_activity)
            .service(delete_activity),
    );
}

/// Activities.
///
/// Notes, calls, emails, meetings, text messages and tasks, newest first.
/// Filter by assignee (`me` for the caller), done, due window, kind and
/// linked record; `assignee=me&done=false&due_before=...` is the caller's
/// open to-do list, soonest due first.
#[utoipa::path(
    description = ACTIVITIES_READ.requirement(),
    tag = "crm",
    params(ActivityFilter),
    responses((status = 200, description = "A page of activities", body = Page<ActivityOut>)),
    security(("bearer_auth" = []))
)]
#[get("")]
pub(super) async fn list_activities(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<ActivityFilter>,
) -> AppResult<web::Json<Page<ActivityOut>>> {
    principal.require(ACTIVITIES_READ)?;
    let page = activities::list(
        &state.db,
        principal.organization_id,
        principal.user_id,
        &filter,
    )
    .await?;
    Ok(web::Json(page))
}

/// Log an activity.
///
/// Links to a lead, contact, customer or deal of the organization (a contact
/// brings its customer along). A task without an assignee is assigned to
/// the caller. The activity appears on the customer's and contact's
/// timeline and counts towards the lead's score.
#[utoipa::path(
    description = ACTIVITIES_MANAGE.requirement(),
    tag = "crm",
    request_body = ActivityIn,
    responses(
        (status = 201, description = "Logged", body = ActivityOut,
            headers(("Location" = String, description = "The new activity"), ("ETag" = String, description = "Its version, for `If-Match`"))),
    ),
    security(("bearer_auth" = []))
)]
#[post("")]
pub(super) async fn create_activity(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<ActivityIn>,
) -> AppResult<HttpResponse> {
    principal.require(ACTIVITIES_MANAGE)?;
    let out = activities::create(&state, &principal, &body).await?;
    Ok(created(
        format!("/api/v1/activities/{}", out.id),
        out.version,
        &out,
    ))
}

/// One activity.
///
/// The activity with its links, assignee and done state.
#[utoipa::path(
    description = ACTIVITIES_READ.requirement(),
    tag = "crm",
    params(("id" = Uuid, Path, description = "Activity id")),
    responses((status = 200, description = "The activity; `ETag` carries its version", body = ActivityOut)),
    security(("bearer_auth" = []))
)]
#[get("/{id}")]
pub(super) async fn get_activity(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(ACTIVITIES_READ)?;
    let out = activities::get(&state.db, principal.organization_id, id.into_inner()).await?;
    Ok(versioned(out.version, &out))
}

/// Change an activity.
///
/// Any field, `null` clearing a nullable one. `done: true` stamps `done_at`,
/// `done: false` clears it. Without `If-Match`, a change that raced another
/// one is refused with 409 `concurrent_change`.
#[utoipa::path(
    description = ACTIVITIES_MANAGE.requirement(),
    tag = "crm",
    params(
        ("id" = Uuid, Path, description = "Activity id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = ActivityPatch,
    responses(
        (status = 200, description = "Changed", body = ActivityOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/{id}")]
pub(super) async fn patch_activity(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<ActivityPatch>,
) -> AppResult<HttpResponse> {
    principal.require(ACTIVITIES_MANAGE)?;
    let out = activities::patch(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(versioned(out.version, &out))
}

/// Delete an activity.
///
/// The activity is removed and its lead rescored; the timeline keeps the
/// entry of its logging.
#[utoipa::path(
    description = ACTIVITIES_MANAGE.requirement(),
    tag = "crm",
    params(
        ("id" = Uuid, Path, description = "Activity id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being deleted"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[delete("/{id}")]
pub(super) async fn delete_activity(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(ACTIVITIES_MANAGE)?;
    activities::delete(&state, &principal, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
