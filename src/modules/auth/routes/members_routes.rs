//! Members and invitations.

use super::*;

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
pub(super) async fn list_users(
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
pub(super) async fn get_me(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<HttpResponse> {
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
pub(super) async fn patch_me(
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
pub(super) async fn get_user(
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
pub(super) async fn patch_user(
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
pub(super) async fn activate_user(
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
pub(super) async fn deactivate_user(
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
pub(super) async fn assign_role(
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
pub(super) async fn remove_role(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    principal.require(USERS_MANAGE)?;
    let (id, role_id) = path.into_inner();
    members::remove_role(&state, &principal, id, role_id).await?;
    Ok(HttpResponse::NoContent().finish())
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
pub(super) async fn invite_user(
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
pub(super) async fn list_invitations(
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
pub(super) async fn delete_invitation(
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
pub(super) async fn accept_invitation(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidatedJson<AcceptInvitationIn>,
) -> AppResult<web::Json<TokensOut>> {
    Ok(web::Json(
        invitations::accept(&state, &body, &client(&req)).await?,
    ))
}
