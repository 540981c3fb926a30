//! HTTP handlers of the auth module: extract -> authorize -> service -> DTO.

use actix_web::{HttpRequest, HttpResponse, delete, get, http::header, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::{
    dto::*,
    service::{
        identity, invitations, members, mfa,
        sessions::{self, ClientInfo},
        teams,
    },
};
use crate::platform::{
    audit::{self, AuditQuery, AuditRecord},
    auth::{Permission, Principal},
    error::AppResult,
    extract::{IfMatch, ValidatedJson, ValidatedQuery, etag, parse_json, validation_error},
    openapi::{
        BadRequest, Conflict, Forbidden, NotFound, PreconditionFailed, TooManyRequests,
        Unauthorized, Unprocessable,
    },
    pagination::Page,
    state::AppState,
};

/// Mounts the module's routes (inside `/api/v1`). `/users/me` precedes
/// `/users/{id}` so "me" is never parsed as an id.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(onboard)
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
        .service(permissions)
        .service(get_organization)
        .service(patch_organization)
        .service(plans)
        .service(get_subscription)
        .service(change_subscription)
        .service(invite_user)
        .service(list_invitations)
        .service(delete_invitation)
        .service(accept_invitation)
        .service(list_users)
        .service(get_me)
        .service(patch_me)
        .service(get_user)
        .service(patch_user)
        .service(activate_user)
        .service(deactivate_user)
        .service(assign_role)
        .service(remove_role)
        .service(list_roles)
        .service(create_role)
        .service(get_role)
        .service(patch_role)
        .service(delete_role)
        .service(audit_logs)
        .service(mfa_enable)
        .service(mfa_verify)
        .service(mfa_disable)
        .service(mfa_challenge)
        .service(list_teams)
        .service(create_team)
        .service(get_team)
        .service(patch_team)
        .service(delete_team)
        .service(add_team_member)
        .service(remove_team_member);
}

fn client(req: &HttpRequest) -> ClientInfo {
    ClientInfo {
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
        ip: req
            .peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default(),
    }
}

fn with_etag<T: serde::Serialize>(version: i32, body: &T) -> HttpResponse {
    HttpResponse::Ok().insert_header(etag(version)).json(body)
}

/// Create an organization with its owner; returns the owner's tokens.
#[utoipa::path(
    tag = "auth",
    request_body = OnboardIn,
    responses(
        (status = 201, description = "Organization, owner and tokens", body = OnboardOut,
            headers(("Location" = String, description = "The new organization"))),
        (status = 400, response = BadRequest),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    )
)]
#[post("/organizations/onboard")]
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

/// Sign up: like onboarding, the organization name defaults to the person's.
#[utoipa::path(
    tag = "auth",
    request_body = RegisterIn,
    responses(
        (status = 201, description = "Organization, owner and tokens", body = OnboardOut,
            headers(("Location" = String, description = "The new organization"))),
        (status = 400, response = BadRequest),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    )
)]
#[post("/auth/register")]
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
#[utoipa::path(
    tag = "auth",
    request_body = LoginIn,
    responses(
        (status = 200, description = "A new session, or for an MFA user `{\"mfa_required\": true, \"mfa_token\"}` to complete at `POST /auth/mfa/challenge`", body = LoginOut),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
    )
)]
#[post("/auth/login")]
async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidatedJson<LoginIn>,
) -> AppResult<web::Json<LoginOut>> {
    Ok(web::Json(
        identity::login(&state, &body, &client(&req)).await?,
    ))
}

/// Exchange a refresh token for new tokens; the old one dies. Presenting a
/// used one ends the whole session and answers 401.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshIn,
    responses(
        (status = 200, description = "Rotated tokens", body = TokensOut),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 422, response = Unprocessable),
    )
)]
#[post("/auth/refresh")]
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
///
/// Requires the `auth.self.manage` permission.
#[utoipa::path(
    tag = "auth",
    request_body(content = Option<LogoutIn>, description = "Optional; `{\"all\": true}` ends every session"),
    responses(
        (status = 204, description = "Signed out"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[post("/auth/logout")]
async fn logout(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    principal.require(Permission::SelfService)?;
    let input: LogoutIn = if body.iter().all(u8::is_ascii_whitespace) {
        LogoutIn::default()
    } else {
        let v: LogoutIn = parse_json(&body)?;
        validator::Validate::validate(&v).map_err(validation_error)?;
        v
    };
    sessions::logout(&state, &principal, input.all).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller: person, organization, permissions and memberships.
///
/// Requires the `auth.self.manage` permission.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, description = "The caller", body = MeOut),
        (status = 401, response = Unauthorized),
    ),
    security(("bearer_auth" = []))
)]
#[get("/auth/me")]
async fn me(state: web::Data<AppState>, principal: Principal) -> AppResult<web::Json<MeOut>> {
    principal.require(Permission::SelfService)?;
    Ok(web::Json(identity::me(&state, &principal).await?))
}

/// The caller's live sessions, newest first.
///
/// Requires the `auth.self.manage` permission.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, description = "Live sessions (one page holds them all)", body = Page<SessionOut>),
        (status = 401, response = Unauthorized),
    ),
    security(("bearer_auth" = []))
)]
#[get("/auth/sessions")]
async fn list_sessions(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Page<SessionOut>>> {
    principal.require(Permission::SelfService)?;
    let data = sessions::list(&state, &principal).await?;
    Ok(web::Json(Page {
        data,
        next_cursor: None,
        has_more: false,
    }))
}

/// End one of the caller's sessions.
///
/// Requires the `auth.self.manage` permission.
#[utoipa::path(
    tag = "auth",
    params(("id" = Uuid, Path, description = "Session id")),
    responses(
        (status = 204, description = "Session ended"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    ),
    security(("bearer_auth" = []))
)]
#[delete("/auth/sessions/{id}")]
async fn delete_session(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::SelfService)?;
    sessions::revoke_one(&state, &principal, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Tokens for another of the caller's organizations.
///
/// Requires the `auth.self.manage` permission.
#[utoipa::path(
    tag = "auth",
    request_body = SwitchOrganizationIn,
    responses(
        (status = 200, description = "A session in that organization", body = TokensOut),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[post("/auth/switch-organization")]
async fn switch_organization(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
    body: ValidatedJson<SwitchOrganizationIn>,
) -> AppResult<web::Json<TokensOut>> {
    principal.require(Permission::SelfService)?;
    Ok(web::Json(
        identity::switch_organization(&state, &principal, body.organization_id, &client(&req))
            .await?,
    ))
}

/// Change the caller's password; every other session ends.
///
/// Requires the `auth.self.manage` permission.
#[utoipa::path(
    tag = "auth",
    request_body = ChangePasswordIn,
    responses(
        (status = 204, description = "Password changed"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[post("/auth/change-password")]
async fn change_password(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<ChangePasswordIn>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::SelfService)?;
    identity::change_password(&state, &principal, &body).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ask for a reset mail. Always 202, whether or not the account exists.
#[utoipa::path(
    tag = "auth",
    request_body = ForgotPasswordIn,
    responses(
        (status = 202, description = "If the account exists, a reset mail is on its way"),
        (status = 400, response = BadRequest),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
    )
)]
#[post("/auth/forgot-password")]
async fn forgot_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidatedJson<ForgotPasswordIn>,
) -> AppResult<HttpResponse> {
    identity::forgot_password(&state, &body.email, &client(&req)).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Set a new password with a reset token (single use, 30 minutes); every
/// session of the person ends.
#[utoipa::path(
    tag = "auth",
    request_body = ResetPasswordIn,
    responses(
        (status = 204, description = "Password reset"),
        (status = 400, response = BadRequest),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
    )
)]
#[post("/auth/reset-password")]
async fn reset_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidatedJson<ResetPasswordIn>,
) -> AppResult<HttpResponse> {
    identity::reset_password(&state, &body, &client(&req)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The permission catalogue roles are built from.
///
/// Requires the `auth.roles.read` permission.
#[utoipa::path(
    tag = "roles",
    responses(
        (status = 200, description = "Every permission", body = Vec<PermissionOut>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
    security(("bearer_auth" = []))
)]
#[get("/permissions")]
async fn permissions(principal: Principal) -> AppResult<web::Json<Vec<PermissionOut>>> {
    principal.require(Permission::RolesRead)?;
    Ok(web::Json(members::permission_catalogue()))
}

/// The caller's organization (another id answers 404).
///
/// Requires the `auth.organization.read` permission.
#[utoipa::path(
    tag = "organizations",
    params(("id" = Uuid, Path, description = "Organization id")),
    responses(
        (status = 200, description = "The organization; `ETag` carries its version", body = OrganizationOut),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("bearer_auth" = []))
)]
#[get("/organizations/{id}")]
async fn get_organization(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::OrganizationRead)?;
    let out = identity::get_organization(&state.db, &principal, id.into_inner()).await?;
    Ok(with_etag(out.version, &out))
}

/// Change the caller's organization.
///
/// Requires the `auth.organization.update` permission.
#[utoipa::path(
    tag = "organizations",
    params(
        ("id" = Uuid, Path, description = "Organization id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = OrganizationPatch,
    responses(
        (status = 200, description = "Changed", body = OrganizationOut),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/organizations/{id}")]
async fn patch_organization(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<OrganizationPatch>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::OrganizationUpdate)?;
    let out = identity::patch_organization(&state, &principal, id.into_inner(), &body, if_match.0)
        .await?;
    Ok(with_etag(out.version, &out))
}

/// Every plan and its limits.
#[utoipa::path(
    tag = "subscriptions",
    responses((status = 200, description = "Plans, cheapest first", body = Vec<PlanOut>))
)]
#[get("/subscriptions/plans")]
async fn plans() -> web::Json<Vec<PlanOut>> {
    web::Json(identity::plans())
}

/// The caller's organization's plan and seat use.
///
/// Requires the `auth.subscription.read` permission.
#[utoipa::path(
    tag = "subscriptions",
    params(("id" = Uuid, Path, description = "Organization id")),
    responses(
        (status = 200, description = "The subscription", body = SubscriptionOut),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("bearer_auth" = []))
)]
#[get("/organizations/{id}/subscription")]
async fn get_subscription(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<SubscriptionOut>> {
    principal.require(Permission::SubscriptionRead)?;
    Ok(web::Json(
        identity::get_subscription(&state.db, &principal, id.into_inner()).await?,
    ))
}

/// Change the plan (owners only). A plan too small for the seats in use is refused.
///
/// Requires the `auth.subscription.manage` permission.
#[utoipa::path(
    tag = "subscriptions",
    params(("id" = Uuid, Path, description = "Organization id")),
    request_body = SubscriptionIn,
    responses(
        (status = 200, description = "The new subscription", body = SubscriptionOut),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[post("/organizations/{id}/subscription")]
async fn change_subscription(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: ValidatedJson<SubscriptionIn>,
) -> AppResult<web::Json<SubscriptionOut>> {
    principal.require(Permission::SubscriptionManage)?;
    Ok(web::Json(
        identity::change_subscription(&state, &principal, id.into_inner(), &body.plan).await?,
    ))
}

/// Members of the organization.
///
/// Requires the `auth.users.read` permission.
#[utoipa::path(
    tag = "users",
    params(UserFilter),
    responses(
        (status = 200, description = "A page of members", body = Page<UserOut>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[get("/users")]
async fn list_users(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<UserFilter>,
) -> AppResult<web::Json<Page<UserOut>>> {
    principal.require(Permission::UsersRead)?;
    Ok(web::Json(
        members::list_users(&state.db, principal.organization_id, &filter).await?,
    ))
}

/// The caller as a member of this organization.
///
/// Requires the `auth.self.manage` permission.
#[utoipa::path(
    tag = "users",
    responses(
        (status = 200, description = "The caller", body = UserOut),
        (status = 401, response = Unauthorized),
    ),
    security(("bearer_auth" = []))
)]
#[get("/users/me")]
async fn get_me(state: web::Data<AppState>, principal: Principal) -> AppResult<HttpResponse> {
    principal.require(Permission::SelfService)?;
    let out = members::get_user(&state.db, principal.organization_id, principal.user_id).await?;
    Ok(with_etag(out.version, &out))
}

/// Change the caller's own profile.
///
/// Requires the `auth.self.manage` permission.
#[utoipa::path(
    tag = "users",
    params(("If-Match" = Option<String>, Header, description = "ETag of the version being changed")),
    request_body = UserPatch,
    responses(
        (status = 200, description = "Changed", body = UserOut),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/users/me")]
async fn patch_me(
    state: web::Data<AppState>,
    principal: Principal,
    if_match: IfMatch,
    body: ValidatedJson<UserPatch>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::SelfService)?;
    let out = members::patch_user(&state, &principal, principal.user_id, &body, if_match.0).await?;
    Ok(with_etag(out.version, &out))
}

/// One member.
///
/// Requires the `auth.users.read` permission.
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "The member; `ETag` carries its version", body = UserOut),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("bearer_auth" = []))
)]
#[get("/users/{id}")]
async fn get_user(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::UsersRead)?;
    let out = members::get_user(&state.db, principal.organization_id, id.into_inner()).await?;
    Ok(with_etag(out.version, &out))
}

/// Change a member's profile.
///
/// Requires the `auth.users.manage` permission.
#[utoipa::path(
    tag = "users",
    params(
        ("id" = Uuid, Path, description = "User id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = UserPatch,
    responses(
        (status = 200, description = "Changed", body = UserOut),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/users/{id}")]
async fn patch_user(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<UserPatch>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::UsersManage)?;
    let out = members::patch_user(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(with_etag(out.version, &out))
}

/// Re-activate a member.
///
/// Requires the `auth.users.manage` permission.
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "Active again", body = UserOut),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("bearer_auth" = []))
)]
#[post("/users/{id}/activate")]
async fn activate_user(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<UserOut>> {
    principal.require(Permission::UsersManage)?;
    Ok(web::Json(
        members::set_active(&state, &principal, id.into_inner(), true).await?,
    ))
}

/// Deactivate a member: their sessions here end at once. The last owner
/// cannot be deactivated (409).
///
/// Requires the `auth.users.manage` permission.
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "Deactivated", body = UserOut),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/users/{id}/deactivate")]
async fn deactivate_user(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<UserOut>> {
    principal.require(Permission::UsersManage)?;
    Ok(web::Json(
        members::set_active(&state, &principal, id.into_inner(), false).await?,
    ))
}

/// Give a member a role (idempotent).
///
/// Requires the `auth.users.manage` permission.
#[utoipa::path(
    tag = "users",
    params(
        ("id" = Uuid, Path, description = "User id"),
        ("role_id" = Uuid, Path, description = "Role id"),
    ),
    responses(
        (status = 200, description = "The member with the role", body = UserOut),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("bearer_auth" = []))
)]
#[post("/users/{id}/roles/{role_id}")]
async fn assign_role(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<web::Json<UserOut>> {
    principal.require(Permission::UsersManage)?;
    let (id, role_id) = path.into_inner();
    Ok(web::Json(
        members::assign_role(&state, &principal, id, role_id).await?,
    ))
}

/// Take a role from a member. The last owner keeps the owner role (409).
///
/// Requires the `auth.users.manage` permission.
#[utoipa::path(
    tag = "users",
    params(
        ("id" = Uuid, Path, description = "User id"),
        ("role_id" = Uuid, Path, description = "Role id"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[delete("/users/{id}/roles/{role_id}")]
async fn remove_role(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::UsersManage)?;
    let (id, role_id) = path.into_inner();
    members::remove_role(&state, &principal, id, role_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The organization's roles, system roles first.
///
/// Requires the `auth.roles.read` permission.
#[utoipa::path(
    tag = "roles",
    responses(
        (status = 200, description = "Every role (one page holds them all)", body = Page<RoleOut>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
    security(("bearer_auth" = []))
)]
#[get("/roles")]
async fn list_roles(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Page<RoleOut>>> {
    principal.require(Permission::RolesRead)?;
    let data = members::list_roles(&state.db, principal.organization_id).await?;
    Ok(web::Json(Page {
        data,
        next_cursor: None,
        has_more: false,
    }))
}

/// Create a custom role.
///
/// Requires the `auth.roles.manage` permission.
#[utoipa::path(
    tag = "roles",
    request_body = RoleIn,
    responses(
        (status = 201, description = "Created", body = RoleOut,
            headers(("Location" = String, description = "The new role"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[post("/roles")]
async fn create_role(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<RoleIn>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::RolesManage)?;
    let out = members::create_role(&state, &principal, &body).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/roles/{}", out.id)))
        .insert_header(etag(out.version))
        .json(out))
}

/// One role.
///
/// Requires the `auth.roles.read` permission.
#[utoipa::path(
    tag = "roles",
    params(("id" = Uuid, Path, description = "Role id")),
    responses(
        (status = 200, description = "The role; `ETag` carries its version", body = RoleOut),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("bearer_auth" = []))
)]
#[get("/roles/{id}")]
async fn get_role(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::RolesRead)?;
    let out = members::get_role(&state.db, principal.organization_id, id.into_inner()).await?;
    Ok(with_etag(out.version, &out))
}

/// Change a custom role (system roles: 409).
///
/// Requires the `auth.roles.manage` permission.
#[utoipa::path(
    tag = "roles",
    params(
        ("id" = Uuid, Path, description = "Role id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = RolePatch,
    responses(
        (status = 200, description = "Changed", body = RoleOut),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/roles/{id}")]
async fn patch_role(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<RolePatch>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::RolesManage)?;
    let out = members::patch_role(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(with_etag(out.version, &out))
}

/// Delete a custom role nobody holds (system role or in use: 409).
///
/// Requires the `auth.roles.manage` permission.
#[utoipa::path(
    tag = "roles",
    params(
        ("id" = Uuid, Path, description = "Role id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being deleted"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
    ),
    security(("bearer_auth" = []))
)]
#[delete("/roles/{id}")]
async fn delete_role(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(Permission::RolesManage)?;
    members::delete_role(&state, &principal, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The organization's audit trail, newest first.
///
/// Requires the `auth.audit.read` permission.
#[utoipa::path(
    tag = "audit",
    params(AuditFilter),
    responses(
        (status = 200, description = "A page of audit records", body = Page<AuditRecord>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[get("/audit-logs")]
async fn audit_logs(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<AuditFilter>,
) -> AppResult<web::Json<Page<AuditRecord>>> {
    principal.require(Permission::AuditRead)?;
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
///
/// Requires the `auth.users.manage` permission.
#[utoipa::path(
    tag = "users",
    request_body = InviteIn,
    responses(
        (status = 201, description = "Invitation sent", body = InvitationOut,
            headers(("Location" = String, description = "The invitation"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[post("/users/invite")]
async fn invite_user(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<InviteIn>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::UsersManage)?;
    let out = invitations::invite(&state, &principal, &body).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/invitations/{}", out.id)))
        .json(out))
}

/// The organization's invitations, newest first.
///
/// Requires the `auth.users.read` permission.
#[utoipa::path(
    tag = "users",
    responses(
        (status = 200, description = "Every invitation (one page holds them all)", body = Page<InvitationOut>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
    security(("bearer_auth" = []))
)]
#[get("/invitations")]
async fn list_invitations(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Page<InvitationOut>>> {
    principal.require(Permission::UsersRead)?;
    let data = invitations::list(&state, &principal).await?;
    Ok(web::Json(Page {
        data,
        next_cursor: None,
        has_more: false,
    }))
}

/// Revoke a pending invitation.
///
/// Requires the `auth.users.manage` permission.
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "Invitation id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[delete("/invitations/{id}")]
async fn delete_invitation(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::UsersManage)?;
    invitations::revoke(&state, &principal, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Accept an invitation (public): a new person gives a name and password,
/// an existing one their current password. Returns a session in the organization.
#[utoipa::path(
    tag = "users",
    request_body = AcceptInvitationIn,
    responses(
        (status = 200, description = "Joined; a session in the organization", body = TokensOut),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    )
)]
#[post("/invitations/accept")]
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
///
/// Requires the `auth.teams.read` permission.
#[utoipa::path(
    tag = "teams",
    responses(
        (status = 200, description = "Every team (one page holds them all)", body = Page<TeamOut>),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ),
    security(("bearer_auth" = []))
)]
#[get("/teams")]
async fn list_teams(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Page<TeamOut>>> {
    principal.require(Permission::TeamsRead)?;
    let data = teams::list(&state.db, principal.organization_id).await?;
    Ok(web::Json(Page {
        data,
        next_cursor: None,
        has_more: false,
    }))
}

/// Create a team (optionally under a parent, with a lead).
///
/// Requires the `auth.teams.manage` permission.
#[utoipa::path(
    tag = "teams",
    request_body = TeamIn,
    responses(
        (status = 201, description = "Created", body = TeamOut,
            headers(("Location" = String, description = "The new team"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[post("/teams")]
async fn create_team(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<TeamIn>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::TeamsManage)?;
    let out = teams::create(&state, &principal, &body).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/teams/{}", out.id)))
        .insert_header(etag(out.version))
        .json(out))
}

/// One team with its members.
///
/// Requires the `auth.teams.read` permission.
#[utoipa::path(
    tag = "teams",
    params(("id" = Uuid, Path, description = "Team id")),
    responses(
        (status = 200, description = "The team; `ETag` carries its version", body = TeamOut),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("bearer_auth" = []))
)]
#[get("/teams/{id}")]
async fn get_team(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::TeamsRead)?;
    let out = teams::get(&state.db, principal.organization_id, id.into_inner()).await?;
    Ok(with_etag(out.version, &out))
}

/// Change a team; a parent that would make a cycle is 422.
///
/// Requires the `auth.teams.manage` permission.
#[utoipa::path(
    tag = "teams",
    params(
        ("id" = Uuid, Path, description = "Team id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = TeamPatch,
    responses(
        (status = 200, description = "Changed", body = TeamOut),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/teams/{id}")]
async fn patch_team(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<TeamPatch>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::TeamsManage)?;
    let out = teams::patch(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(with_etag(out.version, &out))
}

/// Delete a team without sub-teams.
///
/// Requires the `auth.teams.manage` permission.
#[utoipa::path(
    tag = "teams",
    params(
        ("id" = Uuid, Path, description = "Team id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being deleted"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
    ),
    security(("bearer_auth" = []))
)]
#[delete("/teams/{id}")]
async fn delete_team(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(Permission::TeamsManage)?;
    teams::delete(&state, &principal, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Add a member of the organization to a team (idempotent).
///
/// Requires the `auth.teams.manage` permission.
#[utoipa::path(
    tag = "teams",
    params(
        ("id" = Uuid, Path, description = "Team id"),
        ("user_id" = Uuid, Path, description = "User id"),
    ),
    responses(
        (status = 200, description = "The team with the member", body = TeamOut),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("bearer_auth" = []))
)]
#[post("/teams/{id}/members/{user_id}")]
async fn add_team_member(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<web::Json<TeamOut>> {
    principal.require(Permission::TeamsManage)?;
    let (id, user_id) = path.into_inner();
    Ok(web::Json(
        teams::add_member(&state, &principal, id, user_id).await?,
    ))
}

/// Remove a member from a team.
///
/// Requires the `auth.teams.manage` permission.
#[utoipa::path(
    tag = "teams",
    params(
        ("id" = Uuid, Path, description = "Team id"),
        ("user_id" = Uuid, Path, description = "User id"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("bearer_auth" = []))
)]
#[delete("/teams/{id}/members/{user_id}")]
async fn remove_team_member(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::TeamsManage)?;
    let (id, user_id) = path.into_inner();
    teams::remove_member(&state, &principal, id, user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Start TOTP enrolment: a secret and `otpauth://` URI (shown only now).
///
/// Requires the `auth.self.manage` permission.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, description = "The pending secret", body = MfaEnrollmentOut),
        (status = 401, response = Unauthorized),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/auth/mfa/enable")]
async fn mfa_enable(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<MfaEnrollmentOut>> {
    principal.require(Permission::SelfService)?;
    Ok(web::Json(mfa::enable(&state, &principal).await?))
}

/// Confirm enrolment with a code; returns one-time recovery codes (shown only now).
///
/// Requires the `auth.self.manage` permission.
#[utoipa::path(
    tag = "auth",
    request_body = MfaCodeIn,
    responses(
        (status = 200, description = "MFA on; recovery codes", body = RecoveryCodesOut),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[post("/auth/mfa/verify")]
async fn mfa_verify(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<MfaCodeIn>,
) -> AppResult<web::Json<RecoveryCodesOut>> {
    principal.require(Permission::SelfService)?;
    Ok(web::Json(
        mfa::verify(&state, &principal, &body.code).await?,
    ))
}

/// Turn MFA off with the password and a TOTP or recovery code.
///
/// Requires the `auth.self.manage` permission.
#[utoipa::path(
    tag = "auth",
    request_body = MfaDisableIn,
    responses(
        (status = 204, description = "MFA off"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[post("/auth/mfa/disable")]
async fn mfa_disable(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<MfaDisableIn>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::SelfService)?;
    mfa::disable(&state, &principal, &body.password, &body.code).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Complete an MFA user's login with a TOTP code or a recovery code.
#[utoipa::path(
    tag = "auth",
    request_body = MfaChallengeIn,
    responses(
        (status = 200, description = "Signed in", body = TokensOut),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
    )
)]
#[post("/auth/mfa/challenge")]
async fn mfa_challenge(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidatedJson<MfaChallengeIn>,
) -> AppResult<web::Json<TokensOut>> {
    Ok(web::Json(
        mfa::challenge(&state, &body, &client(&req)).await?,
    ))
}
