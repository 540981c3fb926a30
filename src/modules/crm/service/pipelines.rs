//! Pipelines with their ordered stages, and lost reasons.
//!
//! The stage use cases are in `stages`, the board in `forecast`.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
    sea_query::{Expr, ExprTrait},
};
use serde_json::json;
use uuid::Uuid;

use super::{deals::stages_of, stages::new_stage};
use crate::{
    modules::crm::{
        dto::*,
        entities::{StageKind, lost_reason, pipeline, stage},
    },
    platform::{
        error::{FieldError, conflict_as, unique_violation},
        prelude::*,
    },
};

/// The pipeline `id` of the organization, read with a row lock: `FOR SHARE`
/// (deals entering it: its stages and `active` stay as read until commit)
/// or `FOR UPDATE` (archiving: later statements see every deal committed
/// by a holder of the shared lock). SQLite serializes writers anyway.
pub async fn lock_pipeline(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
    exclusive: bool,
) -> Result<Option<pipeline::Model>, AppError> {
    let q = pipeline::Entity::find()
        .filter(pipeline::Column::OrganizationId.eq(org))
        .filter(pipeline::Column::Id.eq(id));
    let q = if exclusive {
        q.lock_exclusive()
    } else {
        q.lock_shared()
    };
    Ok(q.one(conn).await?)
}

// ---- pipelines ----

/// The pipeline with its stages, or 404.
pub async fn get_pipeline(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<PipelineOut, AppError> {
    let p = tenant::find::<pipeline::Entity>(conn, org, id).await?;
    let stages = stages_of(conn, org, id).await?;
    Ok(PipelineOut::of(p, stages))
}

/// `GET /pipelines`: every pipeline by name, stages loaded in one query.
pub async fn list_pipelines(
    conn: &impl ConnectionTrait,
    org: Uuid,
    f: &PipelineFilter,
) -> Result<Vec<PipelineOut>, AppError> {
    let mut q = pipeline::Entity::find().filter(pipeline::Column::OrganizationId.eq(org));
    if let Some(a) = f.active {
        q = q.filter(pipeline::Column::Active.eq(a));
    }
    let pipelines = q.order_by_asc(pipeline::Column::Name).all(conn).await?;
    let ids: Vec<Uuid> = pipelines.iter().map(|p| p.id).collect();
    let mut by_pipeline: HashMap<Uuid, Vec<stage::Model>> = HashMap::new();
    for s in stage::Entity::find()
        .filter(stage::Column::OrganizationId.eq(org))
        .filter(stage::Column::PipelineId.is_in(ids))
        .order_by_asc(stage::Column::Position)
        .order_by_asc(stage::Column::Id)
        .all(conn)
        .await?
    {
        by_pipeline.entry(s.pipeline_id).or_default().push(s);
    }
    Ok(pipelines
        .into_iter()
        .map(|p| {
            let stages = by_pipeline.remove(&p.id).unwrap_or_default();
            PipelineOut::of(p, stages)
        })
        .collect())
}

/// 422 unless the stages have an open, a won and a lost stage and distinct
/// names (case-insensitive).
fn check_stages(stages: &[StageIn]) -> Result<(), AppError> {
    let mut errors = Vec::new();
    let mut names: Vec<String> = Vec::with_capacity(stages.len());
    for (i, s) in stages.iter().enumerate() {
        let name = s.name.trim().to_lowercase();
        if names.contains(&name) {
            errors.push(FieldError::new(
                format!("stages[{i}].name"),
                "duplicate",
                "another stage has this name",
            ));
        }
        names.push(name);
        if s.position.is_some() {
            errors.push(FieldError::new(
                format!("stages[{i}].position"),
                "not_allowed",
                "the list's order is the board order",
            ));
        }
    }
    for kind in [StageKind::Open, StageKind::Won, StageKind::Lost] {
        if !stages.iter().any(|s| s.kind == kind) {
            errors.push(FieldError::new(
                "stages",
                "kinds",
                format!("needs at least one {} stage", kind.as_str()),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(errors))
    }
}
const PIPELINE_TAKEN: (&str, &str) = (
    "pipeline_name_taken",
    "A pipeline with this name already exists.",
);

/// `POST /pipelines`: a new (not default) pipeline with its stages.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn create_pipeline(
    state: &AppState,
    p: &Principal,
    input: &PipelineIn,
) -> Result<PipelineOut, AppError> {
    let org = p.organization_id;
    check_stages(&input.stages)?;
    let tx = begin_write(&state.db).await?;
    let now = Utc::now();
    let m = pipeline::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org),
        name: Set(input.name.trim().to_string()),
        is_default: Set(false),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await
    .map_err(unique_violation(PIPELINE_TAKEN.0, PIPELINE_TAKEN.1))?;
    let rows = input
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| new_stage(org, m.id, s, i as i32));
    stage::Entity::insert_many(rows).exec(&tx).await?;
    let names: Vec<&str> = input.stages.iter().map(|s| s.name.trim()).collect();
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "crm.pipeline.created",
            "pipeline",
            m.id,
            json!({ "name": m.name, "stages": names }),
        ),
    )
    .await?;
    let stages = stages_of(&tx, org, m.id).await?;
    tx.commit().await?;
    Ok(PipelineOut::of(m, stages))
}

/// Locks every pipeline of the organization, then takes the default from
/// the others (their version moves: their `is_default` changed). Locking
/// first makes two concurrent "make default" writes run one after the other,
/// so the second clears the first's default.
async fn clear_default(
    conn: &impl ConnectionTrait,
    org: Uuid,
    except: Uuid,
) -> Result<(), AppError> {
    pipeline::Entity::find()
        .select_only()
        .column(pipeline::Column::Id)
        .filter(pipeline::Column::OrganizationId.eq(org))
        .lock_exclusive()
        .into_tuple::<Uuid>()
        .all(conn)
        .await?;
    pipeline::Entity::update_many()
        .col_expr(pipeline::Column::IsDefault, Expr::value(false))
        .col_expr(
            pipeline::Column::Version,
            Expr::col(pipeline::Column::Version).add(1),
        )
        .col_expr(pipeline::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(pipeline::Column::OrganizationId.eq(org))
        .filter(pipeline::Column::IsDefault.eq(true))
        .filter(pipeline::Column::Id.ne(except))
        .exec(conn)
        .await?;
    Ok(())
}

/// The archive rule as a guard: not the default, and no open deal (a
/// subquery in the UPDATE's WHERE clause).
fn archive_guard() -> Guard<pipeline::Model> {
    let no_open_deals = Expr::cust(
        "NOT EXISTS (SELECT 1 FROM deals WHERE deals.pipeline_id = pipelines.id AND deals.status = 'open')",
    );
    Guard::new(
        sea_orm::Condition::all()
            .add(pipeline::Column::IsDefault.eq(false))
            .add(no_open_deals),
        |m: &pipeline::Model| {
            if m.is_default {
                AppError::conflict(
                    "default_pipeline",
                    "Make another pipeline the default before archiving this one.",
                )
            } else {
                AppError::conflict(
                    "pipeline_has_open_deals",
                    "Win, lose or move the pipeline's open deals before archiving it.",
                )
            }
        },
    )
}

/// `PATCH /pipelines/{id}` and archiving (`active: false`).
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn patch_pipeline(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    patch: &PipelinePatch,
    if_match: Option<i32>,
) -> Result<PipelineOut, AppError> {
    let org = p.organization_id;
    if patch.is_default == Some(true) && patch.active == Some(false) {
        return Err(AppError::invalid_field(
            "is_default",
            "archived",
            "an archived pipeline cannot be the default",
        ));
    }
    let tx = begin_write(&state.db).await?;
    let current = tenant::find::<pipeline::Entity>(&tx, org, id).await?;
    let mut changes = patch.changes();
    let guard = if patch.active == Some(false) {
        // Locked in a statement of its own, so that the guard's subquery
        // (a later statement) sees the deals of every writer it waited for.
        lock_pipeline(&tx, org, id, true).await?;
        Some(archive_guard())
    } else if patch.is_default == Some(true) {
        clear_default(&tx, org, id).await?;
        changes.is_default = Set(true);
        (patch.active != Some(true)).then(|| {
            Guard::new(pipeline::Column::Active.eq(true), |_: &pipeline::Model| {
                AppError::conflict(
                    "pipeline_archived",
                    "Restore the pipeline before making it the default.",
                )
            })
        })
    } else if patch.is_default == Some(false) {
        Some(Guard::new(
            pipeline::Column::IsDefault.eq(false),
            |_: &pipeline::Model| {
                AppError::conflict(
                    "default_pipeline",
                    "Make another pipeline the default instead.",
                )
            },
        ))
    } else {
        None
    };
    let updated =
        tenant::update::<pipeline::Entity>(&tx, Target::new(org, id, if_match), changes, guard)
            .await
            .map_err(conflict_as(PIPELINE_TAKEN.0, PIPELINE_TAKEN.1))?;
    let action = if patch.active == Some(false) {
        "crm.pipeline.archived"
    } else {
        "crm.pipeline.updated"
    };
    audit::record(&tx, AuditEntry::by(p, action, "pipeline", id, json!({
        "name": [current.name, updated.name], "is_default": [current.is_default, updated.is_default],
        "active": [current.active, updated.active],
    }))).await?;
    let stages = stages_of(&tx, org, id).await?;
    tx.commit().await?;
    Ok(PipelineOut::of(updated, stages))
}
// ---- lost reasons ----

const REASON_TAKEN: (&str, &str) = (
    "lost_reason_name_taken",
    "A lost reason with this name already exists.",
);

/// `GET /crm/lost-reasons`, by name.
pub async fn list_lost_reasons(
    conn: &impl ConnectionTrait,
    org: Uuid,
    f: &LostReasonFilter,
) -> Result<Vec<LostReasonOut>, AppError> {
    let mut q = lost_reason::Entity::find().filter(lost_reason::Column::OrganizationId.eq(org));
    if let Some(a) = f.active {
        q = q.filter(lost_reason::Column::Active.eq(a));
    }
    Ok(q.order_by_asc(lost_reason::Column::Name)
        .all(conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// `GET /crm/lost-reasons/{id}`.
pub async fn get_lost_reason(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<LostReasonOut, AppError> {
    tenant::find::<lost_reason::Entity>(conn, org, id)
        .await
        .map(Into::into)
}

/// `POST /crm/lost-reasons`.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn create_lost_reason(
    state: &AppState,
    p: &Principal,
    input: &LostReasonIn,
) -> Result<LostReasonOut, AppError> {
    let tx = begin_write(&state.db).await?;
    let now = Utc::now();
    let m = lost_reason::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(p.organization_id),
        name: Set(input.name.trim().to_string()),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await
    .map_err(unique_violation(REASON_TAKEN.0, REASON_TAKEN.1))?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "crm.lost_reason.created",
            "lost_reason",
            m.id,
            json!({ "name": m.name }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(m.into())
}

/// `PATCH /crm/lost-reasons/{id}` and archiving (`active: false`): deals
/// keep an archived reason; new losses no longer take it.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn patch_lost_reason(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    patch: &LostReasonPatch,
    if_match: Option<i32>,
) -> Result<LostReasonOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let current = tenant::find::<lost_reason::Entity>(&tx, org, id).await?;
    let updated = tenant::update::<lost_reason::Entity>(
        &tx,
        Target::new(org, id, if_match),
        patch.changes(),
        None,
    )
    .await
    .map_err(conflict_as(REASON_TAKEN.0, REASON_TAKEN.1))?;
    let action = if patch.active == Some(false) {
        "crm.lost_reason.archived"
    } else {
        "crm.lost_reason.updated"
    };
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            action,
            "lost_reason",
            id,
            json!({
                "name": [current.name, updated.name], "active": [current.active, updated.active],
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(updated.into())
}
