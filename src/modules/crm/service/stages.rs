//! The stage use cases of a pipeline: adding, changing, deleting and
//! reordering its stages.
//!
//! Every stage write is first a compare-and-set on its pipeline (the
//! `If-Match` names the pipeline's version): the pipeline's ETag covers its
//! stages, and that row lock serializes the stage writes of one pipeline
//! against each other and against deals entering it (`open_deal` and moves
//! hold the pipeline row `FOR SHARE`), so the checks after it see every
//! committed deal and stage.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
    sea_query::{Expr, ExprTrait},
};
use serde_json::json;
use uuid::Uuid;

use super::{deals::stages_of, moves::move_all};
use crate::{
    modules::crm::{
        dto::*,
        entities::{StageKind, deal, pipeline, stage},
    },
    platform::prelude::*,
};

/// A new stage of pipeline `pipeline_id` at `position` (a row to insert).
pub(super) fn new_stage(
    org: Uuid,
    pipeline_id: Uuid,
    s: &StageIn,
    position: i32,
) -> stage::ActiveModel {
    let now = Utc::now();
    stage::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org),
        pipeline_id: Set(pipeline_id),
        name: Set(s.name.trim().to_string()),
        position: Set(position),
        probability: Set(s.probability),
        kind: Set(s.kind),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
}

/// The compare-and-set on the pipeline every stage write starts with: its
/// version moves (the pipeline's ETag covers its stages) and its row stays
/// locked until commit.
async fn bump(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
    if_match: Option<i32>,
) -> Result<pipeline::Model, AppError> {
    tenant::update::<pipeline::Entity>(
        conn,
        Target::new(org, id, if_match),
        <pipeline::ActiveModel as Default>::default(),
        None,
    )
    .await
}

/// Writes `position = index` for every stage whose position differs.
async fn renumber(conn: &impl ConnectionTrait, order: &[stage::Model]) -> Result<(), AppError> {
    for (i, s) in order.iter().enumerate() {
        if s.position != i as i32 {
            stage::Entity::update_many()
                .col_expr(stage::Column::Position, Expr::value(i as i32))
                .col_expr(
                    stage::Column::Version,
                    Expr::col(stage::Column::Version).add(1),
                )
                .filter(stage::Column::Id.eq(s.id))
                .exec(conn)
                .await?;
        }
    }
    Ok(())
}

fn stage_name_taken() -> AppError {
    AppError::conflict(
        "stage_name_taken",
        "The pipeline already has a stage with this name.",
    )
}

fn in_pipeline(stages: &[stage::Model], stage_id: Uuid) -> Result<&stage::Model, AppError> {
    stages
        .iter()
        .find(|s| s.id == stage_id)
        .ok_or_else(|| AppError::not_found("No such stage in this pipeline."))
}

/// The pipeline after a stage write, audited, committed.
async fn finish_stage_write(
    tx: sea_orm::DatabaseTransaction,
    p: &Principal,
    pipeline: pipeline::Model,
    action: &str,
    details: serde_json::Value,
) -> Result<PipelineOut, AppError> {
    audit::record(
        &tx,
        AuditEntry::by(p, action, "pipeline", pipeline.id, details),
    )
    .await?;
    let stages = stages_of(&tx, p.organization_id, pipeline.id).await?;
    tx.commit().await?;
    Ok(PipelineOut::of(pipeline, stages))
}

/// `POST /pipelines/{id}/stages`.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn add_stage(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    input: &StageIn,
    if_match: Option<i32>,
) -> Result<(PipelineOut, Uuid), AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let pipeline = bump(&tx, org, id, if_match).await?;
    let mut stages = stages_of(&tx, org, id).await?;
    if stages
        .iter()
        .any(|s| s.name.to_lowercase() == input.name.trim().to_lowercase())
    {
        return Err(stage_name_taken());
    }
    let first_closed = stages
        .iter()
        .position(|s| s.kind != StageKind::Open)
        .unwrap_or(stages.len());
    let at = match (input.position, input.kind) {
        (Some(pos), _) => usize::try_from(pos).unwrap_or(0).min(stages.len()),
        (None, StageKind::Open) => first_closed,
        (None, _) => stages.len(),
    };
    let m = new_stage(org, id, input, at as i32).insert(&tx).await?;
    stages.insert(at, m.clone());
    renumber(&tx, &stages).await?;
    let details =
        json!({ "stage_id": m.id, "name": m.name, "kind": m.kind, "probability": m.probability });
    let out = finish_stage_write(tx, p, pipeline, "crm.pipeline.stage_added", details).await?;
    Ok((out, m.id))
}

/// `PATCH /pipelines/{id}/stages/{stage_id}`: a kind change is refused
/// while deals are in the stage (their status is its kind) or for the last
/// stage of its kind.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn patch_stage(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    stage_id: Uuid,
    patch: &StagePatch,
    if_match: Option<i32>,
) -> Result<PipelineOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let pipeline = bump(&tx, org, id, if_match).await?;
    let stages = stages_of(&tx, org, id).await?;
    let current = in_pipeline(&stages, stage_id)?.clone();
    if let Some(name) = &patch.name {
        let name = name.trim().to_lowercase();
        if stages
            .iter()
            .any(|s| s.id != stage_id && s.name.to_lowercase() == name)
        {
            return Err(stage_name_taken());
        }
    }
    let kind_change = patch.kind.filter(|k| *k != current.kind);
    if kind_change.is_some()
        && !stages
            .iter()
            .any(|s| s.id != stage_id && s.kind == current.kind)
    {
        return Err(last_of_kind(current.kind));
    }
    let guard = kind_change.map(|_| {
        Guard::new(
            Expr::cust(
                "NOT EXISTS (SELECT 1 FROM deals WHERE deals.stage_id = pipeline_stages.id)",
            ),
            |_: &stage::Model| {
                has_deals("Move the stage's deals elsewhere before changing its kind.")
            },
        )
    });
    let updated = tenant::update::<stage::Entity>(
        &tx,
        Target::new(org, stage_id, None),
        patch.changes(),
        guard,
    )
    .await?;
    let details = json!({
        "stage_id": stage_id, "name": [current.name, updated.name],
        "probability": [current.probability, updated.probability], "kind": [current.kind, updated.kind],
    });
    finish_stage_write(tx, p, pipeline, "crm.pipeline.stage_updated", details).await
}

fn last_of_kind(kind: StageKind) -> AppError {
    AppError::conflict(
        "last_stage_of_kind",
        format!(
            "A pipeline needs at least one {} stage; add another before removing this one.",
            kind.as_str()
        ),
    )
}

fn has_deals(detail: &'static str) -> AppError {
    AppError::conflict("stage_has_deals", detail)
}

/// `DELETE /pipelines/{id}/stages/{stage_id}`: a stage holding deals only
/// with `move_to`, which moves them there first (each move in the stage
/// history and the timeline).
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn delete_stage(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    stage_id: Uuid,
    move_to: Option<Uuid>,
    if_match: Option<i32>,
) -> Result<(), AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let pipeline = bump(&tx, org, id, if_match).await?;
    let mut stages = stages_of(&tx, org, id).await?;
    let current = in_pipeline(&stages, stage_id)?.clone();
    if !stages
        .iter()
        .any(|s| s.id != stage_id && s.kind == current.kind)
    {
        return Err(last_of_kind(current.kind));
    }
    let target = match move_to {
        Some(t) if t != stage_id => {
            Some(stages.iter().find(|s| s.id == t).cloned().ok_or_else(|| {
                AppError::invalid_field(
                    "move_to",
                    "not_found",
                    "is not another stage of this pipeline",
                )
            })?)
        }
        Some(_) => {
            return Err(AppError::invalid_field(
                "move_to",
                "same_stage",
                "is the stage being deleted",
            ));
        }
        None => None,
    };
    // Deals enter a stage only under the pipeline's shared lock, which the
    // bump above excludes: this set is complete and stays so.
    let held = deal::Entity::find()
        .filter(deal::Column::OrganizationId.eq(org))
        .filter(deal::Column::StageId.eq(stage_id))
        .lock_exclusive()
        .all(&tx)
        .await?;
    let moved = match (&target, held.is_empty()) {
        (_, true) => 0,
        (None, false) => {
            return Err(has_deals(
                "The stage holds deals: name a stage to move them to with `move_to`.",
            ));
        }
        (Some(t), false) => {
            check_bulk_target(&pipeline, &current, t)?;
            move_all(&tx, org, p.user_id, &current, t, &held).await?;
            held.len()
        }
    };
    tenant::delete::<stage::Entity>(&tx, Target::new(org, stage_id, None), None).await?;
    stages.retain(|s| s.id != stage_id);
    renumber(&tx, &stages).await?;
    let details = json!({ "stage_id": stage_id, "name": current.name, "moved_deals": moved, "move_to": move_to });
    finish_stage_write(tx, p, pipeline, "crm.pipeline.stage_deleted", details).await?;
    Ok(())
}

/// `POST /pipelines/{id}/stages/reorder`: every stage exactly once.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn reorder_stages(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    input: &StageOrder,
    if_match: Option<i32>,
) -> Result<PipelineOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let pipeline = bump(&tx, org, id, if_match).await?;
    let stages = stages_of(&tx, org, id).await?;
    let mut order = Vec::with_capacity(stages.len());
    for sid in &input.stage_ids {
        match stages.iter().find(|s| s.id == *sid) {
            Some(s) if !order.iter().any(|o: &stage::Model| o.id == *sid) => order.push(s.clone()),
            _ => break,
        }
    }
    if order.len() != stages.len() || input.stage_ids.len() != stages.len() {
        return Err(AppError::invalid_field(
            "stage_ids",
            "mismatch",
            "must list every stage of the pipeline exactly once",
        ));
    }
    renumber(&tx, &order).await?;
    let ids: Vec<Uuid> = order.iter().map(|s| s.id).collect();
    finish_stage_write(
        tx,
        p,
        pipeline,
        "crm.pipeline.stages_reordered",
        json!({ "stage_ids": ids }),
    )
    .await
}

/// Where the deals of a deleted stage may go in one step: not into a lost
/// stage from another kind (losing a deal needs a reason, given deal by deal
/// through a move), and not back open in an archived pipeline (which holds
/// no open deals).
fn check_bulk_target(
    pipeline: &pipeline::Model,
    from: &stage::Model,
    to: &stage::Model,
) -> Result<(), AppError> {
    if to.kind == StageKind::Lost && from.kind != StageKind::Lost {
        return Err(AppError::invalid_field(
            "move_to",
            "lost_stage",
            "deals are lost one by one with a lost reason (POST /deals/{id}/move); name an open or won stage",
        ));
    }
    if to.kind == StageKind::Open && !pipeline.active {
        return Err(AppError::conflict(
            "pipeline_archived",
            "The pipeline is archived: its deals cannot be reopened; name a won or lost stage.",
        ));
    }
    Ok(())
}
