//! Teams.

use super::*;

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
pub(super) async fn list_teams(
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
pub(super) async fn create_team(
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
pub(super) async fn get_team(
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
pub(super) async fn patch_team(
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
pub(super) async fn delete_team(
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
pub(super) async fn add_team_member(
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
pub(super) async fn remove_team_member(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    principal.require(TEAMS_MANAGE)?;
    let (id, user_id) = path.into_inner();
    teams::remove_member(&state, &principal, id, user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
