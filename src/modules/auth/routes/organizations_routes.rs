//! Organizations: onboarding, profile, plans and subscription.

use super::*;

/// Create an organization with its owner.
///
/// Start here. Creates the organization, its system roles (`owner`,
/// `admin`, ...), its owner and a Free subscription, and signs the owner
/// in: the answer holds the tokens. Send the `access_token` as
/// `Authorization: Bearer <token>` (in Swagger UI: Authorize). A person who
/// already has an account signs in and creates further organizations with
/// `POST /api/v1/organizations`.
#[utoipa::path(
    tag = "organizations",
    request_body = OnboardIn,
    responses(
        (status = 201, description = "Organization, owner and tokens", body = OnboardOut,
            headers(("Location" = String, description = "The new organization"))),
        (status = 409, response = Conflict),
    )
)]
#[post("/onboard")]
pub(super) async fn onboard(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidatedJson<OnboardIn>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let out = identity::onboard(
        &state,
        &b.organization_name,
        &b.email,
        &b.password,
        &b.full_name,
        &client(&req),
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/organizations/{}", out.organization.id),
        ))
        .json(out))
}

/// Create another organization, owned by the caller.
#[utoipa::path(
    description = SELF_SERVICE.described(
        "For a person who already has an account (onboarding the same email is a 409): \
         the organization gets its system roles and a Free subscription, and the caller \
         becomes its owner. The session stays where it is; move with \
         `POST /api/v1/auth/switch-organization`."
    ),
    tag = "organizations",
    request_body = CreateOrganizationIn,
    responses(
        (status = 201, description = "The new organization", body = OrganizationOut,
            headers(
                ("Location" = String, description = "The new organization"),
                ("ETag" = String, description = "Its version")
            )),
    ),
    security(("bearer_auth" = []))
)]
#[post("")]
pub(super) async fn create_organization(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<CreateOrganizationIn>,
) -> AppResult<HttpResponse> {
    principal.require(SELF_SERVICE)?;
    let out = organizations::create(&state, &principal, &body.name).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/organizations/{}", out.id),
        ))
        .insert_header(etag(out.version))
        .json(out))
}

/// The caller's organization (another id answers 404).
#[utoipa::path(
    description = ORGANIZATION_READ.requirement(),
    tag = "organizations",
    params(("id" = Uuid, Path, description = "Organization id")),
    responses(
        (status = 200, description = "The organization; `ETag` carries its version", body = OrganizationOut),
    ),
    security(("bearer_auth" = []))
)]
#[get("/{id}")]
pub(super) async fn get_organization(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(ORGANIZATION_READ)?;
    let out = identity::get_organization(&state.db, &principal, id.into_inner()).await?;
    Ok(with_etag(out.version, &out))
}

/// Change the caller's organization.
#[utoipa::path(
    description = ORGANIZATION_UPDATE.requirement(),
    tag = "organizations",
    params(
        ("id" = Uuid, Path, description = "Organization id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = OrganizationPatch,
    responses(
        (status = 200, description = "Changed", body = OrganizationOut),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/{id}")]
pub(super) async fn patch_organization(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<OrganizationPatch>,
) -> AppResult<HttpResponse> {
    principal.require(ORGANIZATION_UPDATE)?;
    let out = identity::patch_organization(&state, &principal, id.into_inner(), &body, if_match.0)
        .await?;
    Ok(with_etag(out.version, &out))
}

/// Every plan and its limits.
///
/// Public, so a sign-up page can show them: the seats, products and API
/// requests per minute each plan allows.
#[utoipa::path(
    tag = "subscriptions",
    responses((status = 200, description = "Plans, cheapest first", body = Vec<PlanOut>))
)]
#[get("/plans")]
pub(super) async fn plans() -> web::Json<Vec<PlanOut>> {
    web::Json(identity::plans())
}

/// The caller's organization's plan and seat use.
#[utoipa::path(
    description = SUBSCRIPTION_READ.requirement(),
    tag = "subscriptions",
    params(("id" = Uuid, Path, description = "Organization id")),
    responses(
        (status = 200, description = "The subscription", body = SubscriptionOut),
    ),
    security(("bearer_auth" = []))
)]
#[get("/{id}/subscription")]
pub(super) async fn get_subscription(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<SubscriptionOut>> {
    principal.require(SUBSCRIPTION_READ)?;
    Ok(web::Json(
        identity::get_subscription(&state.db, &principal, id.into_inner()).await?,
    ))
}

/// Change the plan (owners only). A plan too small for the seats in use is refused.
#[utoipa::path(
    description = SUBSCRIPTION_MANAGE.requirement(),
    tag = "subscriptions",
    params(("id" = Uuid, Path, description = "Organization id")),
    request_body = SubscriptionIn,
    responses(
        (status = 200, description = "The new subscription", body = SubscriptionOut),
    ),
    security(("bearer_auth" = []))
)]
#[post("/{id}/subscription")]
pub(super) async fn change_subscription(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: ValidatedJson<SubscriptionIn>,
) -> AppResult<web::Json<SubscriptionOut>> {
    principal.require(SUBSCRIPTION_MANAGE)?;
    Ok(web::Json(
        identity::change_subscription(&state, &principal, id.into_inner(), &body.plan).await?,
    ))
}
