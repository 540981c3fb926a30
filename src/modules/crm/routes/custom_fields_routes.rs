//! Custom field definitions.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use uuid::Uuid;

use super::{created, versioned};
use crate::{
    modules::crm::{dto::*, permissions::*, service::custom_fields},
    platform::{
        auth::Principal,
        error::AppResult,
        extract::{IfMatch, ValidatedJson, ValidatedQuery},
        openapi::Conflict,
        pagination::Page,
        state::AppState,
    },
};

/// Custom field definitions.
///
/// Every definition of the organization (one page holds them all), by
/// record type and position.
#[utoipa::path(
    description = SETTINGS_READ.requirement(),
    tag = "crm",
    params(CustomFieldFilter),
    responses((status = 200, description = "The definitions", body = Page<CustomFieldOut>)),
    security(("bearer_auth" = []))
)]
#[get("/custom-fields")]
pub(super) async fn list_custom_fields(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<CustomFieldFilter>,
) -> AppResult<web::Json<Page<CustomFieldOut>>> {
    principal.require(SETTINGS_READ)?;
    let data = custom_fields::list(&state.db, principal.organization_id, &filter).await?;
    Ok(web::Json(Page {
        data,
        next_cursor: None,
        has_more: false,
    }))
}

/// Define a custom field.
///
/// Values are then accepted in `custom_fields` of the record type, checked
/// on every write, and filterable with `cf.<key>=`.
#[utoipa::path(
    description = SETTINGS_MANAGE.requirement(),
    tag = "crm",
    request_body = CustomFieldIn,
    responses(
        (status = 201, description = "Defined", body = CustomFieldOut,
            headers(("Location" = String, description = "The new definition"), ("ETag" = String, description = "Its version, for `If-Match`"))),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/custom-fields")]
pub(super) async fn create_custom_field(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<CustomFieldIn>,
) -> AppResult<HttpResponse> {
    principal.require(SETTINGS_MANAGE)?;
    let out = custom_fields::create(&state, &principal, &body).await?;
    Ok(created(
        format!("/api/v1/crm/custom-fields/{}", out.id),
        out.version,
        &out,
    ))
}

/// One custom field definition.
///
/// The definition with its options and default.
#[utoipa::path(
    description = SETTINGS_READ.requirement(),
    tag = "crm",
    params(("id" = Uuid, Path, description = "Custom field id")),
    responses((status = 200, description = "The definition; `ETag` carries its version", body = CustomFieldOut)),
    security(("bearer_auth" = []))
)]
#[get("/custom-fields/{id}")]
pub(super) async fn get_custom_field(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(SETTINGS_READ)?;
    let out = custom_fields::get(&state.db, principal.organization_id, id.into_inner()).await?;
    Ok(versioned(out.version, &out))
}

/// Change a custom field definition.
///
/// Label, options, required, default, position; the key and types are fixed.
#[utoipa::path(
    description = SETTINGS_MANAGE.requirement(),
    tag = "crm",
    params(
        ("id" = Uuid, Path, description = "Custom field id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = CustomFieldPatch,
    responses((status = 200, description = "Changed", body = CustomFieldOut)),
    security(("bearer_auth" = []))
)]
#[patch("/custom-fields/{id}")]
pub(super) async fn patch_custom_field(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<CustomFieldPatch>,
) -> AppResult<HttpResponse> {
    principal.require(SETTINGS_MANAGE)?;
    let out = custom_fields::patch(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(versioned(out.version, &out))
}

/// Archive a custom field definition.
///
/// Stored values stay; new writes no longer accept the key.
#[utoipa::path(
    description = SETTINGS_MANAGE.requirement(),
    tag = "crm",
    params(
        ("id" = Uuid, Path, description = "Custom field id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being archived"),
    ),
    responses((status = 204, description = "Archived")),
    security(("bearer_auth" = []))
)]
#[delete("/custom-fields/{id}")]
pub(super) async fn archive_custom_field(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(SETTINGS_MANAGE)?;
    let archive = CustomFieldPatch {
        label: None,
        options: None,
        required: None,
        default_value: None,
        position: None,
        active: Some(false),
    };
    custom_fields::patch(&state, &principal, id.into_inner(), &archive, if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
