//! Customers and their timeline.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::{scope::scope, service_config::ServiceConfig};
use uuid::Uuid;

use super::{FilterQuery, created, versioned};
use crate::{
    modules::crm::{
        dto::*,
        permissions::*,
        service::{
            customers,
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
        scope("/customers")
            .service(list_customers)
            .service(create_customer)
            .service(get_customer)
            .service(patch_customer)
            .service(archive_customer)
            .service(customer_timeline)
            .service(crate::modules::crm::sales::routes::customer_orders),
    );
}

/// Customers.
///
/// Active customers, newest first; filter by name prefix (`q`), tag, owner
/// (`me` for the caller), kind, archived (`active=false`), and custom fields
/// with `cf.<key>=value` (`cf.<key>_gte`, `_gt`, `_lte`, `_lt` for numbers,
/// decimals and dates; an unknown key is 422 naming `cf.<key>`). `summary`
/// is `null` in lists.
#[utoipa::path(
    description = CUSTOMERS_READ.requirement(),
    tag = "crm",
    params(CustomerFilter),
    responses((status = 200, description = "A page of customers", body = Page<CustomerOut>)),
    security(("bearer_auth" = []))
)]
#[get("")]
pub(super) async fn list_customers(
    state: web::Data<AppState>,
    principal: Principal,
    q: FilterQuery<CustomerFilter>,
) -> AppResult<web::Json<Page<CustomerOut>>> {
    principal.require(CUSTOMERS_READ)?;
    let page = customers::list_customers(
        &state.db,
        principal.organization_id,
        principal.user_id,
        &q.filter,
        &q.custom,
    )
    .await?;
    Ok(web::Json(page))
}

/// Create a customer.
///
/// A company or person the organization sells to, with its invoicing
/// defaults (currency, payment terms, credit limit), tags, owner and custom
/// fields (entity `customer`).
#[utoipa::path(
    description = CUSTOMERS_MANAGE.requirement(),
    tag = "crm",
    request_body = CustomerIn,
    responses(
        (status = 201, description = "Created", body = CustomerOut,
            headers(("Location" = String, description = "The new customer"), ("ETag" = String, description = "Its version, for `If-Match`"))),
    ),
    security(("bearer_auth" = []))
)]
#[post("")]
pub(super) async fn create_customer(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<CustomerIn>,
) -> AppResult<HttpResponse> {
    principal.require(CUSTOMERS_MANAGE)?;
    let out = customers::create_customer(&state, &principal, &body).await?;
    Ok(created(
        format!("/api/v1/customers/{}", out.id),
        out.version,
        &out,
    ))
}

/// One customer.
///
/// The customer with its `summary`: active contacts, open deals and their
/// value per currency.
#[utoipa::path(
    description = CUSTOMERS_READ.requirement(),
    tag = "crm",
    params(("id" = Uuid, Path, description = "Customer id")),
    responses((status = 200, description = "The customer; `ETag` carries its version", body = CustomerOut)),
    security(("bearer_auth" = []))
)]
#[get("/{id}")]
pub(super) async fn get_customer(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(CUSTOMERS_READ)?;
    let out =
        customers::get_customer(&state.db, principal.organization_id, id.into_inner()).await?;
    Ok(versioned(out.version, &out))
}

/// Change a customer.
///
/// Only the fields present change; `null` clears a nullable one. Tags are
/// replaced; custom fields merge into the stored ones (`null` removes one).
#[utoipa::path(
    description = CUSTOMERS_MANAGE.requirement(),
    tag = "crm",
    params(
        ("id" = Uuid, Path, description = "Customer id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = CustomerPatch,
    responses(
        (status = 200, description = "Changed", body = CustomerOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/{id}")]
pub(super) async fn patch_customer(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<CustomerPatch>,
) -> AppResult<HttpResponse> {
    principal.require(CUSTOMERS_MANAGE)?;
    let out =
        customers::patch_customer(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(versioned(out.version, &out))
}

/// Archive a customer.
///
/// The customer keeps its contacts, deals and history and leaves the default
/// list; `PATCH` with `"active": true` brings it back.
#[utoipa::path(
    description = CUSTOMERS_MANAGE.requirement(),
    tag = "crm",
    params(
        ("id" = Uuid, Path, description = "Customer id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being archived"),
    ),
    responses((status = 204, description = "Archived")),
    security(("bearer_auth" = []))
)]
#[delete("/{id}")]
pub(super) async fn archive_customer(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(CUSTOMERS_MANAGE)?;
    let archive = CustomerPatch {
        active: Some(false),
        ..Default::default()
    };
    customers::patch_customer(&state, &principal, id.into_inner(), &archive, if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A customer's timeline.
///
/// What happened around the customer (activities, deal stage changes, lead
/// conversions), newest first.
#[utoipa::path(
    description = CUSTOMERS_READ.requirement(),
    tag = "crm",
    params(("id" = Uuid, Path, description = "Customer id"), TimelineFilter),
    responses((status = 200, description = "A page of timeline entries", body = Page<TimelineEntryOut>)),
    security(("bearer_auth" = []))
)]
#[get("/{id}/timeline")]
pub(super) async fn customer_timeline(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    filter: ValidatedQuery<TimelineFilter>,
) -> AppResult<web::Json<Page<TimelineEntryOut>>> {
    principal.require(CUSTOMERS_READ)?;
    let subject = Subject::Customer(id.into_inner());
    let page =
        timeline::list_timeline(&state.db, principal.organization_id, subject, &filter).await?;
    Ok(web::Json(page))
}
