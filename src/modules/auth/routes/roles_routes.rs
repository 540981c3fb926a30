//! Roles, the permission catalogue and the audit log.

use super::*;

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
pub(super) async fn permissions(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Vec<PermissionOut>>> {
    principal.require(ROLES_READ)?;
    Ok(web::Json(members::permission_catalogue(state.permissions)))
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
pub(super) async fn list_roles(
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
pub(super) async fn create_role(
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
pub(super) async fn get_role(
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
pub(super) async fn patch_role(
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
pub(super) async fn delete_role(
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
pub(super) async fn audit_logs(
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
