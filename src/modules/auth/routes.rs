//! HTTP handlers of the auth module: extract -> authorize -> service -> DTO.

use actix_web::{HttpRequest, HttpResponse, delete, get, http::header, patch, post, web};
use utoipa_actix_web::{scope::scope, service_config::ServiceConfig};
use uuid::Uuid;

use super::{
    dto::*,
    permissions::*,
    service::{
        identity, invitations, members, mfa,
        sessions::{self, ClientInfo},
        teams,
    },
};
use crate::platform::{
    audit::{self, AuditQuery, AuditRecord},
    auth::{Principal, RevokingPrincipal},
    error::AppResult,
    extract::{IfMatch, ValidatedJson, ValidatedQuery, etag, parse_json, validation_error},
    openapi::{Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized},
    pagination::Page,
    state::AppState,
};

/// Mounts the module's routes (inside `/api/v1`). `/users/me` precedes
/// `/users/{id}` so "me" is never parsed as an id.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/organizations")
            .service(onboard)
            .service(create_organization)
            .service(get_organization)
            .service(patch_organization)
            .service(get_subscription)
            .service(change_subscription),
    )
    .service(
        scope("/auth")
            .service(register)
            .service(login)
            .service(refresh)
            .service(logout)
            .service(me)
            .service(list_sessions)
            .service(delete_session)
            .service(switch_organization)
            .service(change_password)
            .service(forgot_password)
            .service(reset_password)
            .service(mfa_enable)
            .service(mfa_verify)
            .service(mfa_disable)
            .service(mfa_challenge),
    )
    .service(scope("/permissions").service(permissions))
    .service(scope("/subscriptions").service(plans))
    .service(
        scope("/users")
            .service(invite_user)
            .service(list_users)
            .service(get_me)
            .service(patch_me)
            .service(get_user)
            .service(patch_user)
            .service(activate_user)
            .service(deactivate_user)
            .service(assign_role)
            .service(remove_role),
    )
    .service(
        scope("/invitations")
            .service(list_invitations)
            .service(delete_invitation)
            .service(accept_invitation),
    )
    .service(
        scope("/roles")
            .service(list_roles)
            .service(create_role)
            .service(get_role)
            .service(patch_role)
            .service(delete_role),
    )
    .service(scope("/audit-logs").service(audit_logs))
    .service(
        scope("/teams")
            .service(list_teams)
            .service(create_team)
            .service(get_team)
            .service(patch_team)
            .service(delete_team)
            .service(add_team_member)
            .service(remove_team_member),
    );
}

fn client(req: &HttpRequest) -> ClientInfo {
    ClientInfo {
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
        ip: crate::platform::client_ip::of(req),
    }
}

fn with_etag<T: serde::Serialize>(version: i32, body: &T) -> HttpResponse {
    HttpResponse::Ok().insert_header(etag(version)).json(body)
}

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
async fn onboard(
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

/// Sign up: a person and their own organization.
///
/// Like onboarding, with the organization's name optional: it defaults to
/// "<full name>'s organization". Answers the new session's tokens.
#[utoipa::path(
    tag = "organizations",
    request_body = RegisterIn,
    responses(
        (status = 201, description = "Organization, owner and tokens", body = OnboardOut,
            headers(("Location" = String, description = "The new organization"))),
        (status = 409, response = Conflict),
    )
)]
#[post("/register")]
async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidatedJson<RegisterIn>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let org_name = b
        .organization_name
        .clone()
        .unwrap_or_else(|| format!("{}'s organization", b.full_name.trim()));
    let out = identity::onboard(
        &state,
        &org_name,
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

/// Sign in with email and password.
///
/// Answers `status: "signed_in"` with tokens, or, for a person with
/// multi-factor authentication, `status: "mfa_required"` with an
/// `mfa_token` to complete at `POST /api/v1/auth/mfa/challenge`. Failed
/// attempts are limited per address and per account (429 with
/// `Retry-After`).
#[utoipa::path(
    tag = "auth",
    request_body = LoginIn,
    responses(
        (status = 200, description = "A new session, or for an MFA user `{\"mfa_required\": true, \"mfa_token\"}` to complete at `POST /auth/mfa/challenge`", body = LoginOut),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 429, response = TooManyRequests),
    )
)]
#[post("/login")]
async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidatedJson<LoginIn>,
) -> AppResult<web::Json<LoginOut>> {
    Ok(web::Json(
        identity::login(&state, &body, &client(&req)).await?,
    ))
}

/// Exchange a refresh token for new tokens.
///
/// Rotation: the presented refresh token dies and a new pair is issued.
/// Presenting a refresh token that was already used ends the whole session
/// (it was stolen or replayed) and answers 401.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshIn,
    responses(
        (status = 200, description = "Rotated tokens", body = TokensOut),
        (status = 401, response = Unauthorized),
    )
)]
#[post("/refresh")]
async fn refresh(
    state: web::Data<AppState>,
    body: ValidatedJson<RefreshIn>,
) -> AppResult<web::Json<TokensOut>> {
    Ok(web::Json(
        sessions::refresh(&state, &body.refresh_token).await?,
    ))
}

/// End this session, or every session of the caller with `{"all": true}`.
/// The body is optional.
#[utoipa::path(
    description = SELF_SERVICE.requirement(),
    tag = "auth",
    request_body(content = Option<LogoutIn>, description = "Optional; `{\"all\": true}` ends every session"),
    responses(
        (status = 204, description = "Signed out: every server refuses the session from the next request on"),
        (status = 202, description = "Signed out while the shared cache was unreachable: the revocation \
            is committed and reaches every server as soon as the cache answers (until then the outage \
            refuses every request anyway)", body = RevocationPendingOut),
    ),
    security(("bearer_auth" = []))
)]
#[post("/logout")]
async fn logout(
    state: web::Data<AppState>,
    principal: RevokingPrincipal,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let RevokingPrincipal(principal) = principal;
    principal.require(SELF_SERVICE)?;
    let input: LogoutIn = if body.iter().all(u8::is_ascii_whitespace) {
        LogoutIn::default()
    } else {
        let v: LogoutIn = parse_json(&body)?;
        validator::Validate::validate(&v).map_err(validation_error)?;
        v
    };
    let propagation = sessions::logout(&state, &principal, input.all).await?;
    Ok(revoked(propagation))
}

/// 204, or 202 saying the revocation is still on its way to the cache.
fn revoked(propagation: sessions::Propagation) -> HttpResponse {
    match propagation {
        sessions::Propagation::Immediate => HttpResponse::NoContent().finish(),
        sessions::Propagation::Pending => HttpResponse::Accepted().json(RevocationPendingOut {
            propagation: "pending".into(),
            detail: "The session is revoked in the database. The shared cache is unreachable; \
                     every server refuses the session as soon as it is back (until then the \
                     outage refuses every request anyway)."
                .into(),
        }),
    }
}

/// The caller: person, organization, permissions and memberships.
#[utoipa::path(
    description = SELF_SERVICE.requirement(),
    tag = "auth",
    responses(
        (status = 200, description = "The caller", body = MeOut),
    ),
    security(("bearer_auth" = []))
)]
#[get("/me")]
async fn me(state: web::Data<AppState>, principal: Principal) -> AppResult<web::Json<MeOut>> {
    principal.require(SELF_SERVICE)?;
    Ok(web::Json(identity::me(&state, &principal).await?))
}

/// The caller's live sessions, newest first.
#[utoipa::path(
    description = SELF_SERVICE.requirement(),
    tag = "auth",
    responses(
        (status = 200, description = "Live sessions (one page holds them all)", body = Page<SessionOut>),
    ),
    security(("bearer_auth" = []))
)]
#[get("/sessions")]
async fn list_sessions(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Page<SessionOut>>> {
    principal.require(SELF_SERVICE)?;
    let data = sessions::list(&state, &principal).await?;
    Ok(web::Json(Page {
        data,
        next_cursor: None,
        has_more: false,
    }))
}

/// End one of the caller's sessions.
#[utoipa::path(
    description = SELF_SERVICE.requirement(),
    tag = "auth",
    params(("id" = Uuid, Path, description = "Session id")),
    responses(
        (status = 204, description = "Session ended"),
        (status = 202, description = "Ended while the shared cache was unreachable (see logout)",
            body = RevocationPendingOut),
    ),
    security(("bearer_auth" = []))
)]
#[delete("/sessions/{id}")]
async fn delete_session(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(SELF_SERVICE)?;
    let propagation = sessions::revoke_one(&state, &principal, id.into_inner()).await?;
    Ok(revoked(propagation))
}

/// Tokens for another of the caller's organizations.
#[utoipa::path(
    description = SELF_SERVICE.requirement(),
    tag = "auth",
    request_body = SwitchOrganizationIn,
    responses(
        (status = 200, description = "A session in that organization", body = TokensOut),
        (status = 404, response = NotFound),
    ),
    security(("bearer_auth" = []))
)]
#[post("/switch-organization")]
async fn switch_organization(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
    body: ValidatedJson<SwitchOrganizationIn>,
) -> AppResult<web::Json<TokensOut>> {
    principal.require(SELF_SERVICE)?;
    Ok(web::Json(
        identity::switch_organization(&state, &principal, body.organization_id, &client(&req))
            .await?,
    ))
}

/// Change the caller's password; every other session ends.
#[utoipa::path(
    description = SELF_SERVICE.requirement(),
    tag = "auth",
    request_body = ChangePasswordIn,
    responses(
        (status = 204, description = "Password changed"),
    ),
    security(("bearer_auth" = []))
)]
#[post("/change-password")]
async fn change_password(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<ChangePasswordIn>,
) -> AppResult<HttpResponse> {
    principal.require(SELF_SERVICE)?;
    identity::change_password(&state, &principal, &body).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ask for a password reset mail.
///
/// Always 202, whether or not an account has this email, and in the same
/// time either way: the answer tells nothing about who has an account. The
/// mail carries a single-use token for `POST /api/v1/auth/reset-password`.
#[utoipa::path(
    tag = "auth",
    request_body = ForgotPasswordIn,
    responses(
        (status = 202, description = "If the account exists, a reset mail is on its way"),
        (status = 429, response = TooManyRequests),
    )
)]
#[post("/forgot-password")]
async fn forgot_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidatedJson<ForgotPasswordIn>,
) -> AppResult<HttpResponse> {
    identity::forgot_password(&state, &body.email, &client(&req)).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Set a new password with a reset token.
///
/// The token is single use and valid for 30 minutes. Every session of the
/// person ends; sign in again with the new password.
#[utoipa::path(
    tag = "auth",
    request_body = ResetPasswordIn,
    responses(
        (status = 204, description = "Password reset"),
        (status = 429, response = TooManyRequests),
    )
)]
#[post("/reset-password")]
async fn reset_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidatedJson<ResetPasswordIn>,
) -> AppResult<HttpResponse> {
    identity::reset_password(&state, &body, &client(&req)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The permission catalogue roles are built from.
#[utoipa::path(
    description = ROLES_READ.requirement(),
    tag = "roles",
    responses(
        (status = 200, description = "Every permission", body = Vec<PermissionOut>),
    ),
    security(("bearer_auth" = []))
)]
#[get("")]
async fn permissions(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Vec<PermissionOut>>> {
    principal.require(ROLES_READ)?;
    Ok(web::Json(members::permission_catalogue(state.permissions)))
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
async fn create_organization(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<CreateOrganizationIn>,
) -> AppResult<HttpResponse> {
    principal.require(SELF_SERVICE)?;
    let out = identity::create_organization(&state, &principal, &body.name).await?;
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
async fn get_organization(
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
async fn patch_organization(
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
async fn plans() -> web::Json<Vec<PlanOut>> {
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
async fn get_subscription(
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
async fn change_subscription(
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

/// Members of the organization.
#[utoipa::path(
    description = USERS_READ.requirement(),
    tag = "users",
    params(UserFilter),
    responses(
        (status = 200, description = "A page of members", body = Page<UserOut>),
    ),
    security(("bearer_auth" = []))
)]
#[get("")]
async fn list_users(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<UserFilter>,
) -> AppResult<web::Json<Page<UserOut>>> {
    principal.require(USERS_READ)?;
    Ok(web::Json(
        members::list_users(&state.db, principal.organization_id, &filter).await?,
    ))
}

/// The caller as a member of this organization.
#[utoipa::path(
    description = SELF_SERVICE.requirement(),
    tag = "users",
    responses(
        (status = 200, description = "The caller", body = UserOut),
    ),
    security(("bearer_auth" = []))
)]
#[get("/me")]
async fn get_me(state: web::Data<AppState>, principal: Principal) -> AppResult<HttpResponse> {
    principal.require(SELF_SERVICE)?;
    let out = members::get_user(&state.db, principal.organization_id, principal.user_id).await?;
    Ok(with_etag(out.version, &out))
}

/// Change the caller's own profile.
#[utoipa::path(
    description = SELF_SERVICE.requirement(),
    tag = "users",
    params(("If-Match" = Option<String>, Header, description = "ETag of the version being changed")),
    request_body = UserPatch,
    responses(
        (status = 200, description = "Changed", body = UserOut),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/me")]
async fn patch_me(
    state: web::Data<AppState>,
    principal: Principal,
    if_match: IfMatch,
    body: ValidatedJson<UserPatch>,
) -> AppResult<HttpResponse> {
    principal.require(SELF_SERVICE)?;
    let out = members::patch_user(&state, &principal, principal.user_id, &body, if_match.0).await?;
    Ok(with_etag(out.version, &out))
}

/// One member.
#[utoipa::path(
    description = USERS_READ.requirement(),
    tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "The member; `ETag` carries its version", body = UserOut),
    ),
    security(("bearer_auth" = []))
)]
#[get("/{id}")]
async fn get_user(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(USERS_READ)?;
    let out = members::get_user(&state.db, principal.organization_id, id.into_inner()).await?;
    Ok(with_etag(out.version, &out))
}

/// Change a member's profile.
#[utoipa::path(
    description = USERS_MANAGE.requirement(),
    tag = "users",
    params(
        ("id" = Uuid, Path, description = "User id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = UserPatch,
    responses(
        (status = 200, description = "Changed", body = UserOut),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/{id}")]
async fn patch_user(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<UserPatch>,
) -> AppResult<HttpResponse> {
    principal.require(USERS_MANAGE)?;
    let out = members::patch_user(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(with_etag(out.version, &out))
}

/// Re-activate a member.
#[utoipa::path(
    description = USERS_MANAGE.requirement(),
    tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "Active again", body = UserOut),
    ),
    security(("bearer_auth" = []))
)]
#[post("/{id}/activate")]
async fn activate_user(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(USERS_MANAGE)?;
    let out = members::set_active(&state, &principal, id.into_inner(), true).await?;
    Ok(with_etag(out.version, &out))
}

/// Deactivate a member: their sessions here end at once. The last owner
/// cannot be deactivated (409).
#[utoipa::path(
    description = USERS_MANAGE.requirement(),
    tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "Deactivated", body = UserOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/{id}/deactivate")]
async fn deactivate_user(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(USERS_MANAGE)?;
    let out = members::set_active(&state, &principal, id.into_inner(), false).await?;
    Ok(with_etag(out.version, &out))
}

/// Give a member a role (idempotent).
#[utoipa::path(
    description = USERS_MANAGE.requirement(),
    tag = "users",
    params(
        ("id" = Uuid, Path, description = "User id"),
        ("role_id" = Uuid, Path, description = "Role id"),
    ),
    responses(
        (status = 200, description = "The member with the role", body = UserOut),
    ),
    security(("bearer_auth" = []))
)]
#[post("/{id}/roles/{role_id}")]
async fn assign_role(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    principal.require(USERS_MANAGE)?;
    let (id, role_id) = path.into_inner();
    let out = members::assign_role(&state, &principal, id, role_id).await?;
    Ok(with_etag(out.version, &out))
}

/// Take a role from a member. The last owner keeps the owner role (409).
#[utoipa::path(
    description = USERS_MANAGE.requirement(),
    tag = "users",
    params(
        ("id" = Uuid, Path, description = "User id"),
        ("role_id" = Uuid, Path, description = "Role id"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[delete("/{id}/roles/{role_id}")]
async fn remove_role(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    principal.require(USERS_MANAGE)?;
    let (id, role_id) = path.into_inner();
    members::remove_role(&state, &principal, id, role_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The organization's roles, system roles first.
#[utoipa::path(
    description = ROLES_READ.requirement(),
    tag = "roles",
    responses(
        (status = 200, description = "Every role (one page holds them all)", body = Page<RoleOut>),
    ),
    security(("bearer_auth" = []))
)]
#[get("")]
async fn list_roles(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Page<RoleOut>>> {
    principal.require(ROLES_READ)?;
    let data = members::list_roles(&state.db, state.permissions, principal.organization_id).await?;
    Ok(web::Json(Page {
        data,
        next_cursor: None,
        has_more: false,
    }))
}

/// Create a custom role.
#[utoipa::path(
    description = ROLES_MANAGE.requirement(),
    tag = "roles",
    request_body = RoleIn,
    responses(
        (status = 201, description = "Created", body = RoleOut,
            headers(("Location" = String, description = "The new role"), ("ETag" = String, description = "Its version, for `If-Match`"))),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("")]
async fn create_role(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<RoleIn>,
) -> AppResult<HttpResponse> {
    principal.require(ROLES_MANAGE)?;
    let out = members::create_role(&state, &principal, &body).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/roles/{}", out.id)))
        .insert_header(etag(out.version))
        .json(out))
}

/// One role.
#[utoipa::path(
    description = ROLES_READ.requirement(),
    tag = "roles",
    params(("id" = Uuid, Path, description = "Role id")),
    responses(
        (status = 200, description = "The role; `ETag` carries its version", body = RoleOut),
    ),
    security(("bearer_auth" = []))
)]
#[get("/{id}")]
async fn get_role(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(ROLES_READ)?;
    let out = members::get_role(
        &state.db,
        state.permissions,
        principal.organization_id,
        id.into_inner(),
    )
    .await?;
    Ok(with_etag(out.version, &out))
}

/// Change a custom role (system roles: 409).
#[utoipa::path(
    description = ROLES_MANAGE.requirement(),
    tag = "roles",
    params(
        ("id" = Uuid, Path, description = "Role id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = RolePatch,
    responses(
        (status = 200, description = "Changed", body = RoleOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/{id}")]
async fn patch_role(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<RolePatch>,
) -> AppResult<HttpResponse> {
    principal.require(ROLES_MANAGE)?;
    let out = members::patch_role(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(with_etag(out.version, &out))
}

/// Delete a custom role nobody holds (system role or in use: 409).
#[utoipa::path(
    description = ROLES_MANAGE.requirement(),
    tag = "roles",
    params(
        ("id" = Uuid, Path, description = "Role id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being deleted"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[delete("/{id}")]
async fn delete_role(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(ROLES_MANAGE)?;
    members::delete_role(&state, &principal, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The organization's audit trail, newest first.
#[utoipa::path(
    description = AUDIT_READ.requirement(),
    tag = "audit",
    params(AuditFilter),
    responses(
        (status = 200, description = "A page of audit records", body = Page<AuditRecord>),
    ),
    security(("bearer_auth" = []))
)]
#[get("")]
async fn audit_logs(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<AuditFilter>,
) -> AppResult<web::Json<Page<AuditRecord>>> {
    principal.require(AUDIT_READ)?;
    let f = filter.0;
    let q = AuditQuery {
        actor: f.actor,
        entity_type: f.entity_type,
        entity_id: f.entity_id,
        action: f.action,
        from: f.from,
        to: f.to,
        limit: f.limit.unwrap_or(50).clamp(1, 200),
        cursor: f.cursor,
    };
    Ok(web::Json(
        audit::list(&state.db, principal.organization_id, &q).await?,
    ))
}

/// Invite someone by email with roles; the token goes out by mail.
#[utoipa::path(
    description = USERS_MANAGE.requirement(),
    tag = "users",
    request_body = InviteIn,
    responses(
        (status = 201, description = "Invitation sent", body = InvitationOut,
            headers(("Location" = String, description = "The invitation"))),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/invite")]
async fn invite_user(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<InviteIn>,
) -> AppResult<HttpResponse> {
    principal.require(USERS_MANAGE)?;
    let out = invitations::invite(&state, &principal, &body).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/invitations/{}", out.id)))
        .json(out))
}

/// The organization's invitations, newest first.
#[utoipa::path(
    description = USERS_READ.requirement(),
    tag = "users",
    responses(
        (status = 200, description = "Every invitation (one page holds them all)", body = Page<InvitationOut>),
    ),
    security(("bearer_auth" = []))
)]
#[get("")]
async fn list_invitations(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Page<InvitationOut>>> {
    principal.require(USERS_READ)?;
    let data = invitations::list(&state, &principal).await?;
    Ok(web::Json(Page {
        data,
        next_cursor: None,
        has_more: false,
    }))
}

/// Revoke a pending invitation.
#[utoipa::path(
    description = USERS_MANAGE.requirement(),
    tag = "users",
    params(("id" = Uuid, Path, description = "Invitation id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[delete("/{id}")]
async fn delete_invitation(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(USERS_MANAGE)?;
    invitations::revoke(&state, &principal, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Accept an invitation.
///
/// Public: the invitation token is the credential. A new person gives a
/// name and a password; a person with an account gives their current
/// password. Answers a session in the inviting organization.
#[utoipa::path(
    tag = "users",
    request_body = AcceptInvitationIn,
    responses(
        (status = 200, description = "Joined; a session in the organization", body = TokensOut),
        (status = 409, response = Conflict),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    )
)]
#[post("/accept")]
async fn accept_invitation(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidatedJson<AcceptInvitationIn>,
) -> AppResult<web::Json<TokensOut>> {
    Ok(web::Json(
        invitations::accept(&state, &body, &client(&req)).await?,
    ))
}

/// The organization's teams, by name.
#[utoipa::path(
    description = TEAMS_READ.requirement(),
    tag = "teams",
    responses(
        (status = 200, description = "Every team (one page holds them all)", body = Page<TeamOut>),
    ),
    security(("bearer_auth" = []))
)]
#[get("")]
async fn list_teams(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Page<TeamOut>>> {
    principal.require(TEAMS_READ)?;
    let data = teams::list(&state.db, principal.organization_id).await?;
    Ok(web::Json(Page {
        data,
        next_cursor: None,
        has_more: false,
    }))
}

/// Create a team (optionally under a parent, with a lead).
#[utoipa::path(
    description = TEAMS_MANAGE.requirement(),
    tag = "teams",
    request_body = TeamIn,
    responses(
        (status = 201, description = "Created", body = TeamOut,
            headers(("Location" = String, description = "The new team"), ("ETag" = String, description = "Its version, for `If-Match`"))),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("")]
async fn create_team(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<TeamIn>,
) -> AppResult<HttpResponse> {
    principal.require(TEAMS_MANAGE)?;
    let out = teams::create(&state, &principal, &body).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/teams/{}", out.id)))
        .insert_header(etag(out.version))
        .json(out))
}

/// One team with its members.
#[utoipa::path(
    description = TEAMS_READ.requirement(),
    tag = "teams",
    params(("id" = Uuid, Path, description = "Team id")),
    responses(
        (status = 200, description = "The team; `ETag` carries its version", body = TeamOut),
    ),
    security(("bearer_auth" = []))
)]
#[get("/{id}")]
async fn get_team(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(TEAMS_READ)?;
    let out = teams::get(&state.db, principal.organization_id, id.into_inner()).await?;
    Ok(with_etag(out.version, &out))
}

/// Change a team; a parent that would make a cycle is 422.
#[utoipa::path(
    description = TEAMS_MANAGE.requirement(),
    tag = "teams",
    params(
        ("id" = Uuid, Path, description = "Team id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = TeamPatch,
    responses(
        (status = 200, description = "Changed", body = TeamOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/{id}")]
async fn patch_team(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<TeamPatch>,
) -> AppResult<HttpResponse> {
    principal.require(TEAMS_MANAGE)?;
    let out = teams::patch(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(with_etag(out.version, &out))
}

/// Delete a team without sub-teams.
#[utoipa::path(
    description = TEAMS_MANAGE.requirement(),
    tag = "teams",
    params(
        ("id" = Uuid, Path, description = "Team id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being deleted"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[delete("/{id}")]
async fn delete_team(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(TEAMS_MANAGE)?;
    teams::delete(&state, &principal, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Add a member of the organization to a team (idempotent).
#[utoipa::path(
    description = TEAMS_MANAGE.requirement(),
    tag = "teams",
    params(
        ("id" = Uuid, Path, description = "Team id"),
        ("user_id" = Uuid, Path, description = "User id"),
    ),
    responses(
        (status = 200, description = "The team with the member", body = TeamOut),
    ),
    security(("bearer_auth" = []))
)]
#[post("/{id}/members/{user_id}")]
async fn add_team_member(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    principal.require(TEAMS_MANAGE)?;
    let (id, user_id) = path.into_inner();
    let out = teams::add_member(&state, &principal, id, user_id).await?;
    Ok(with_etag(out.version, &out))
}

/// Remove a member from a team.
#[utoipa::path(
    description = TEAMS_MANAGE.requirement(),
    tag = "teams",
    params(
        ("id" = Uuid, Path, description = "Team id"),
        ("user_id" = Uuid, Path, description = "User id"),
    ),
    responses(
        (status = 204, description = "Removed"),
    ),
    security(("bearer_auth" = []))
)]
#[delete("/{id}/members/{user_id}")]
async fn remove_team_member(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    principal.require(TEAMS_MANAGE)?;
    let (id, user_id) = path.into_inner();
    teams::remove_member(&state, &principal, id, user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Start TOTP enrolment: a secret and `otpauth://` URI (shown only now).
#[utoipa::path(
    description = SELF_SERVICE.requirement(),
    tag = "auth",
    responses(
        (status = 200, description = "The pending secret", body = MfaEnrollmentOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/mfa/enable")]
async fn mfa_enable(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<MfaEnrollmentOut>> {
    principal.require(SELF_SERVICE)?;
    Ok(web::Json(mfa::enable(&state, &principal).await?))
}

/// Confirm enrolment with a code; returns one-time recovery codes (shown only now).
#[utoipa::path(
    description = SELF_SERVICE.requirement(),
    tag = "auth",
    request_body = MfaCodeIn,
    responses(
        (status = 200, description = "MFA on; recovery codes", body = RecoveryCodesOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/mfa/verify")]
async fn mfa_verify(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<MfaCodeIn>,
) -> AppResult<web::Json<RecoveryCodesOut>> {
    principal.require(SELF_SERVICE)?;
    Ok(web::Json(
        mfa::verify(&state, &principal, &body.code).await?,
    ))
}

/// Turn MFA off with the password and a TOTP or recovery code.
#[utoipa::path(
    description = SELF_SERVICE.requirement(),
    tag = "auth",
    request_body = MfaDisableIn,
    responses(
        (status = 204, description = "MFA off"),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/mfa/disable")]
async fn mfa_disable(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<MfaDisableIn>,
) -> AppResult<HttpResponse> {
    principal.require(SELF_SERVICE)?;
    mfa::disable(&state, &principal, &body.password, &body.code).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Complete a multi-factor sign-in.
///
/// Takes the `mfa_token` of the login answer and either the current TOTP
/// code or one unused recovery code; answers the session's tokens.
#[utoipa::path(
    tag = "auth",
    request_body = MfaChallengeIn,
    responses(
        (status = 200, description = "Signed in", body = TokensOut),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyRequests),
    )
)]
#[post("/mfa/challenge")]
async fn mfa_challenge(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidatedJson<MfaChallengeIn>,
) -> AppResult<web::Json<TokensOut>> {
    Ok(web::Json(
        mfa::challenge(&state, &body, &client(&req)).await?,
    ))
}
