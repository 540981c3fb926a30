//! Pipelines, their stages and board, and lost reasons.

use actix_web::{HttpResponse, delete, get, http::header, patch, post, web};
use utoipa_actix_web::{scope::scope, service_config::ServiceConfig};
use uuid::Uuid;

use super::{created, versioned};
use crate::{
    modules::crm::{
        dto::*,
        permissions::*,
        service::{forecast, pipelines, stages},
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
        scope("/pipelines")
            .service(list_pipelines)
            .service(create_pipeline)
            .service(get_pipeline)
            .service(patch_pipeline)
            .service(archive_pipeline)
            .service(pipeline_board)
            .service(add_stage)
            .service(reorder_stages)
            .service(patch_stage)
            .service(delete_stage),
    );
}

/// Mounts the routes inside the `/crm` scope (lost reasons).
pub(super) fn mount_crm(cfg: &mut ServiceConfig) {
    cfg.service(list_lost_reasons)
        .service(create_lost_reason)
        .service(get_lost_reason)
        .service(patch_lost_reason)
        .service(archive_lost_reason);
}

/// Pipelines.
///
/// Every pipeline of the organization (one page holds them all), by name,
/// each with its stages in board order.
#[utoipa::path(
    description = SETTINGS_READ.requirement(),
    tag = "crm",
    params(PipelineFilter),
    responses((status = 200, description = "The pipelines", body = Page<PipelineOut>)),
    security(("bearer_auth" = []))
)]
#[get("")]
pub(super) async fn list_pipelines(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<PipelineFilter>,
) -> AppResult<web::Json<Page<PipelineOut>>> {
    principal.require(SETTINGS_READ)?;
    let data = pipelines::list_pipelines(&state.db, principal.organization_id, &filter).await?;
    Ok(web::Json(Page {
        data,
        next_cursor: None,
        has_more: false,
    }))
}

/// Create a pipeline.
///
/// A pipeline with its stages in board order: at least one open, one won
/// and one lost stage, with distinct names. It is not the default; make it
/// one with a PATCH.
#[utoipa::path(
    description = SETTINGS_MANAGE.requirement(),
    tag = "crm",
    request_body = PipelineIn,
    responses(
        (status = 201, description = "Created", body = PipelineOut,
            headers(("Location" = String, description = "The new pipeline"), ("ETag" = String, description = "Its version, for `If-Match`"))),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("")]
pub(super) async fn create_pipeline(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<PipelineIn>,
) -> AppResult<HttpResponse> {
    principal.require(SETTINGS_MANAGE)?;
    let out = pipelines::create_pipeline(&state, &principal, &body).await?;
    Ok(created(
        format!("/api/v1/pipelines/{}", out.id),
        out.version,
        &out,
    ))
}

/// One pipeline.
///
/// The pipeline with its stages in board order; its `ETag` covers the
/// stages, and is the `If-Match` of stage writes.
#[utoipa::path(
    description = SETTINGS_READ.requirement(),
    tag = "crm",
    params(("id" = Uuid, Path, description = "Pipeline id")),
    responses((status = 200, description = "The pipeline; `ETag` carries its version", body = PipelineOut)),
    security(("bearer_auth" = []))
)]
#[get("/{id}")]
pub(super) async fn get_pipeline(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(SETTINGS_READ)?;
    let out =
        pipelines::get_pipeline(&state.db, principal.organization_id, id.into_inner()).await?;
    Ok(versioned(out.version, &out))
}

/// Change a pipeline.
///
/// Rename it, make it the default (the previous default stops being one),
/// restore or archive it.
#[utoipa::path(
    description = SETTINGS_MANAGE.requirement(),
    tag = "crm",
    params(
        ("id" = Uuid, Path, description = "Pipeline id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = PipelinePatch,
    responses(
        (status = 200, description = "Changed", body = PipelineOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/{id}")]
pub(super) async fn patch_pipeline(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<PipelinePatch>,
) -> AppResult<HttpResponse> {
    principal.require(SETTINGS_MANAGE)?;
    let out =
        pipelines::patch_pipeline(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(versioned(out.version, &out))
}

/// Archive a pipeline.
///
/// It takes no new deals; its closed deals stay. Refused (409) for the
/// default pipeline and for one with open deals.
#[utoipa::path(
    description = SETTINGS_MANAGE.requirement(),
    tag = "crm",
    params(
        ("id" = Uuid, Path, description = "Pipeline id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being archived"),
    ),
    responses((status = 204, description = "Archived"), (status = 409, response = Conflict)),
    security(("bearer_auth" = []))
)]
#[delete("/{id}")]
pub(super) async fn archive_pipeline(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(SETTINGS_MANAGE)?;
    let archive = PipelinePatch {
        name: None,
        is_default: None,
        active: Some(false),
    };
    pipelines::patch_pipeline(&state, &principal, id.into_inner(), &archive, if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A pipeline's board.
///
/// Its stages in board order, each with its deal count and, per currency,
/// the sum of the amounts and the sum weighted by the stage's probability
/// (rounded half-up to 4 decimals). The `ETag` changes with any change of
/// the pipeline, its stages or its deals.
#[utoipa::path(
    description = DEALS_READ.requirement(),
    tag = "crm",
    params(("id" = Uuid, Path, description = "Pipeline id")),
    responses((status = 200, description = "The board; `ETag` carries its version", body = BoardOut)),
    security(("bearer_auth" = []))
)]
#[get("/{id}/board")]
pub(super) async fn pipeline_board(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(DEALS_READ)?;
    let out = forecast::board(&state.db, principal.organization_id, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, format!("\"{}\"", out.version)))
        .json(out))
}

/// Add a stage.
///
/// At `position`, or when absent: an open stage before the first closed
/// stage, a won or lost stage last. The pipeline's version moves; the
/// answer is the pipeline.
#[utoipa::path(
    description = SETTINGS_MANAGE.requirement(),
    tag = "crm",
    params(
        ("id" = Uuid, Path, description = "Pipeline id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the pipeline's version being changed"),
    ),
    request_body = StageIn,
    responses(
        (status = 201, description = "Added; the pipeline with its stages", body = PipelineOut,
            headers(("Location" = String, description = "The new stage"), ("ETag" = String, description = "The pipeline's new version"))),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/{id}/stages")]
pub(super) async fn add_stage(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<StageIn>,
) -> AppResult<HttpResponse> {
    principal.require(SETTINGS_MANAGE)?;
    let (out, stage_id) =
        stages::add_stage(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(created(
        format!("/api/v1/pipelines/{}/stages/{stage_id}", out.id),
        out.version,
        &out,
    ))
}

/// Reorder the stages.
///
/// `stage_ids` lists every stage of the pipeline exactly once, in the new
/// board order (422 otherwise).
#[utoipa::path(
    description = SETTINGS_MANAGE.requirement(),
    tag = "crm",
    params(
        ("id" = Uuid, Path, description = "Pipeline id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the pipeline's version being changed"),
    ),
    request_body = StageOrder,
    responses((status = 200, description = "Reordered; the pipeline with its stages", body = PipelineOut)),
    security(("bearer_auth" = []))
)]
#[post("/{id}/stages/reorder")]
pub(super) async fn reorder_stages(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<StageOrder>,
) -> AppResult<HttpResponse> {
    principal.require(SETTINGS_MANAGE)?;
    let out =
        stages::reorder_stages(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(versioned(out.version, &out))
}

/// Change a stage.
///
/// Name, probability, kind. A kind change is refused (409) while deals are
/// in the stage or for the last stage of its kind. The pipeline's version
/// moves; the answer is the pipeline.
#[utoipa::path(
    description = SETTINGS_MANAGE.requirement(),
    tag = "crm",
    params(
        ("id" = Uuid, Path, description = "Pipeline id"),
        ("stage_id" = Uuid, Path, description = "Stage id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the pipeline's version being changed"),
    ),
    request_body = StagePatch,
    responses(
        (status = 200, description = "Changed; the pipeline with its stages", body = PipelineOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/{id}/stages/{stage_id}")]
pub(super) async fn patch_stage(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
    body: ValidatedJson<StagePatch>,
) -> AppResult<HttpResponse> {
    principal.require(SETTINGS_MANAGE)?;
    let (id, stage_id) = path.into_inner();
    let out = stages::patch_stage(&state, &principal, id, stage_id, &body, if_match.0).await?;
    Ok(versioned(out.version, &out))
}

/// Delete a stage.
///
/// A stage holding deals is refused (409 `stage_has_deals`) unless
/// `move_to` names another stage of the pipeline: its deals move there
/// first, each move recorded in their stage history. The last open, won or
/// lost stage cannot be deleted.
#[utoipa::path(
    description = SETTINGS_MANAGE.requirement(),
    tag = "crm",
    params(
        ("id" = Uuid, Path, description = "Pipeline id"),
        ("stage_id" = Uuid, Path, description = "Stage id"),
        StageRemoval,
        ("If-Match" = Option<String>, Header, description = "ETag of the pipeline's version being changed"),
    ),
    responses((status = 204, description = "Deleted"), (status = 409, response = Conflict)),
    security(("bearer_auth" = []))
)]
#[delete("/{id}/stages/{stage_id}")]
pub(super) async fn delete_stage(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(Uuid, Uuid)>,
    query: ValidatedQuery<StageRemoval>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(SETTINGS_MANAGE)?;
    let (id, stage_id) = path.into_inner();
    stages::delete_stage(&state, &principal, id, stage_id, query.move_to, if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lost reasons.
///
/// Every lost reason of the organization (one page holds them all), by name.
#[utoipa::path(
    description = SETTINGS_READ.requirement(),
    tag = "crm",
    params(LostReasonFilter),
    responses((status = 200, description = "The lost reasons", body = Page<LostReasonOut>)),
    security(("bearer_auth" = []))
)]
#[get("/lost-reasons")]
pub(super) async fn list_lost_reasons(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<LostReasonFilter>,
) -> AppResult<web::Json<Page<LostReasonOut>>> {
    principal.require(SETTINGS_READ)?;
    let data = pipelines::list_lost_reasons(&state.db, principal.organization_id, &filter).await?;
    Ok(web::Json(Page {
        data,
        next_cursor: None,
        has_more: false,
    }))
}

/// Create a lost reason.
///
/// A reason a deal moved to a lost stage may give; names are unique.
#[utoipa::path(
    description = SETTINGS_MANAGE.requirement(),
    tag = "crm",
    request_body = LostReasonIn,
    responses(
        (status = 201, description = "Created", body = LostReasonOut,
            headers(("Location" = String, description = "The new lost reason"), ("ETag" = String, description = "Its version, for `If-Match`"))),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/lost-reasons")]
pub(super) async fn create_lost_reason(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<LostReasonIn>,
) -> AppResult<HttpResponse> {
    principal.require(SETTINGS_MANAGE)?;
    let out = pipelines::create_lost_reason(&state, &principal, &body).await?;
    Ok(created(
        format!("/api/v1/crm/lost-reasons/{}", out.id),
        out.version,
        &out,
    ))
}

/// One lost reason.
///
/// The reason with its version.
#[utoipa::path(
    description = SETTINGS_READ.requirement(),
    tag = "crm",
    params(("id" = Uuid, Path, description = "Lost reason id")),
    responses((status = 200, description = "The lost reason; `ETag` carries its version", body = LostReasonOut)),
    security(("bearer_auth" = []))
)]
#[get("/lost-reasons/{id}")]
pub(super) async fn get_lost_reason(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(SETTINGS_READ)?;
    let out =
        pipelines::get_lost_reason(&state.db, principal.organization_id, id.into_inner()).await?;
    Ok(versioned(out.version, &out))
}

/// Change a lost reason.
///
/// Rename, restore or archive it.
#[utoipa::path(
    description = SETTINGS_MANAGE.requirement(),
    tag = "crm",
    params(
        ("id" = Uuid, Path, description = "Lost reason id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = LostReasonPatch,
    responses(
        (status = 200, description = "Changed", body = LostReasonOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/lost-reasons/{id}")]
pub(super) async fn patch_lost_reason(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<LostReasonPatch>,
) -> AppResult<HttpResponse> {
    principal.require(SETTINGS_MANAGE)?;
    let out = pipelines::patch_lost_reason(&state, &principal, id.into_inner(), &body, if_match.0)
        .await?;
    Ok(versioned(out.version, &out))
}

/// Archive a lost reason.
///
/// Deals keep it; new losses no longer accept it.
#[utoipa::path(
    description = SETTINGS_MANAGE.requirement(),
    tag = "crm",
    params(
        ("id" = Uuid, Path, description = "Lost reason id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being archived"),
    ),
    responses((status = 204, description = "Archived")),
    security(("bearer_auth" = []))
)]
#[delete("/lost-reasons/{id}")]
pub(super) async fn archive_lost_reason(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(SETTINGS_MANAGE)?;
    let archive = LostReasonPatch {
        name: None,
        active: Some(false),
    };
    pipelines::patch_lost_reason(&state, &principal, id.into_inner(), &archive, if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
