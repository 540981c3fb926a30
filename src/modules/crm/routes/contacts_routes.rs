//! Contacts and their timeline.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::{scope::scope, service_config::ServiceConfig};
use uuid::Uuid;

use super::{FilterQuery, created, versioned};
use crate::{
    modules::crm::{
        dto::*,
        permissions::*,
        service::{
            contacts,
            timeline::{self, Subject},
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
        scope("/contacts")
            .service(list_contacts)
            .service(create_contact)
            .service(get_contact)
            .service(patch_contact)
            .service(archive_contact)
            .service(contact_timeline),
    );
}

/// Contacts.
///
/// Active contacts, newest first; filter by first name, last name or email
/// prefix (`q`), customer, tag, owner (`me` for the caller),
/// `do_not_contact`, archived (`active=false`), and custom fields with
/// `cf.<key>=value` (`cf.<key>_gte`, `_gt`, `_lte`, `_lt` for numbers,
/// decimals and dates; a multi-select matches contacts holding the option;
/// an unknown key is 422 naming `cf.<key>`).
#[utoipa::path(
    description = CONTACTS_READ.requirement(),
    tag = "crm",
    params(ContactFilter),
    responses((status = 200, description = "A page of contacts", body = Page<ContactOut>)),
    security(("bearer_auth" = []))
)]
#[get("")]
pub(super) async fn list_contacts(
    state: web::Data<AppState>,
    principal: Principal,
    q: FilterQuery<ContactFilter>,
) -> AppResult<web::Json<Page<ContactOut>>> {
    principal.require(CONTACTS_READ)?;
    let page = contacts::list_contacts(
        &state.db,
        principal.organization_id,
        principal.user_id,
        &q.filter,
        &q.custom,
    )
    .await?;
    Ok(web::Json(page))
}

/// Create a contact.
///
/// A person, at one of the organization's customers or on their own. One
/// contact per email (case-insensitive): a second is 409
/// `contact_email_taken` unless the body says `"allow_duplicate": true`.
/// Custom fields of entity `contact`.
#[utoipa::path(
    description = CONTACTS_MANAGE.requirement(),
    tag = "crm",
    request_body = ContactIn,
    responses(
        (status = 201, description = "Created", body = ContactOut,
            headers(("Location" = String, description = "The new contact"), ("ETag" = String, description = "Its version, for `If-Match`"))),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("")]
pub(super) async fn create_contact(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<ContactIn>,
) -> AppResult<HttpResponse> {
    principal.require(CONTACTS_MANAGE)?;
    let out = contacts::create_contact(&state, &principal, &body).await?;
    Ok(created(
        format!("/api/v1/contacts/{}", out.id),
        out.version,
        &out,
    ))
}

/// One contact.
///
/// The contact with its customer, owner, tags and custom fields.
#[utoipa::path(
    description = CONTACTS_READ.requirement(),
    tag = "crm",
    params(("id" = Uuid, Path, description = "Contact id")),
    responses((status = 200, description = "The contact; `ETag` carries its version", body = ContactOut)),
    security(("bearer_auth" = []))
)]
#[get("/{id}")]
pub(super) async fn get_contact(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(CONTACTS_READ)?;
    let out = contacts::get_contact(&state.db, principal.organization_id, id.into_inner()).await?;
    Ok(versioned(out.version, &out))
}

/// Change a contact.
///
/// Only the fields present change; `null` clears a nullable one. A new email
/// follows the rule of creation (`allow_duplicate`); tags are replaced;
/// custom fields merge into the stored ones (`null` removes one).
#[utoipa::path(
    description = CONTACTS_MANAGE.requirement(),
    tag = "crm",
    params(
        ("id" = Uuid, Path, description = "Contact id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = ContactPatch,
    responses(
        (status = 200, description = "Changed", body = ContactOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/{id}")]
pub(super) async fn patch_contact(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<ContactPatch>,
) -> AppResult<HttpResponse> {
    principal.require(CONTACTS_MANAGE)?;
    let out =
        contacts::patch_contact(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(versioned(out.version, &out))
}

/// Archive a contact.
///
/// The contact keeps its history and leaves the default list (and its
/// customer's contact count); `PATCH` with `"active": true` brings it back.
#[utoipa::path(
    description = CONTACTS_MANAGE.requirement(),
    tag = "crm",
    params(
        ("id" = Uuid, Path, description = "Contact id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being archived"),
    ),
    responses((status = 204, description = "Archived")),
    security(("bearer_auth" = []))
)]
#[delete("/{id}")]
pub(super) async fn archive_contact(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(CONTACTS_MANAGE)?;
    let archive = ContactPatch {
        active: Some(false),
        ..Default::default()
    };
    contacts::patch_contact(&state, &principal, id.into_inner(), &archive, if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A contact's timeline.
///
/// What happened around the contact (activities, deal stage changes, lead
/// conversions), newest first.
#[utoipa::path(
    description = CONTACTS_READ.requirement(),
    tag = "crm",
    params(("id" = Uuid, Path, description = "Contact id"), TimelineFilter),
    responses((status = 200, description = "A page of timeline entries", body = Page<TimelineEntryOut>)),
    security(("bearer_auth" = []))
)]
#[get("/{id}/timeline")]
pub(super) async fn contact_timeline(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    filter: ValidatedQuery<TimelineFilter>,
) -> AppResult<web::Json<Page<TimelineEntryOut>>> {
    principal.require(CONTACTS_READ)?;
    let subject = Subject::Contact(id.into_inner());
    let page =
        timeline::list_timeline(&state.db, principal.organization_id, subject, &filter).await?;
    Ok(web::Json(page))
}
