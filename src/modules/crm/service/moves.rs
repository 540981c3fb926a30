//! Deal moves: one deal to another stage of its pipeline (with a lost reason
//! for a lost stage), every deal of a stage at once (when the stage is
//! deleted), and the stage history they leave.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::{Expr, ExprTrait},
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    deals::{stages_of, subjects},
    pipelines::lock_pipeline,
    record_timeline,
};
use crate::{
    modules::crm::{
        dto::*,
        entities::{StageKind, deal, lost_reason, stage, stage_change, timeline},
    },
    platform::prelude::*,
};

/// The lost reason of a move to a stage of `kind` (422 naming
/// `lost_reason_id`: required and active for a lost stage, refused otherwise).
async fn reason_for(
    conn: &impl ConnectionTrait,
    org: Uuid,
    kind: StageKind,
    reason: Option<Uuid>,
) -> Result<Option<Uuid>, AppError> {
    match (kind, reason) {
        (StageKind::Lost, None) => Err(AppError::invalid_field(
            "lost_reason_id",
            "required",
            "a move to a lost stage needs a lost reason",
        )),
        (StageKind::Lost, Some(r)) => {
            match tenant::find_optional::<lost_reason::Entity>(conn, org, r).await? {
                Some(m) if m.active => Ok(Some(r)),
                _ => Err(AppError::invalid_field(
                    "lost_reason_id",
                    "not_found",
                    "is not an active lost reason of this organization",
                )),
            }
        }
        (_, Some(_)) => Err(AppError::invalid_field(
            "lost_reason_id",
            "not_allowed",
            "only a move to a lost stage takes a lost reason",
        )),
        (_, None) => Ok(None),
    }
}

/// `POST /deals/{id}/move`: one compare-and-set guarded by the stage the
/// deal was read in; then its stage-history row and timeline entry.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn move_deal(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    mv: &DealMove,
    if_match: Option<i32>,
) -> Result<DealOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let current = tenant::find::<deal::Entity>(&tx, org, id).await?;
    // A stale ETag answers 412 before any rule about the stage (the
    // compare-and-set below is what enforces it).
    if let Some(v) = if_match.filter(|v| *v != current.version) {
        return Err(tenant::version_mismatch(current.version, v));
    }
    let pipeline = lock_pipeline(&tx, org, current.pipeline_id, false).await?;
    let stages = stages_of(&tx, org, current.pipeline_id).await?;
    let target = stages.iter().find(|s| s.id == mv.stage_id).ok_or_else(|| {
        AppError::invalid_field(
            "stage_id",
            "not_found",
            "is not a stage of the deal's pipeline",
        )
    })?;
    if target.id == current.stage_id {
        return Err(AppError::conflict(
            "same_stage",
            "The deal is already in this stage.",
        ));
    }
    if target.kind == StageKind::Open && !pipeline.is_some_and(|p| p.active) {
        return Err(AppError::conflict(
            "pipeline_archived",
            "The pipeline is archived; its deals cannot reopen.",
        ));
    }
    let reason = reason_for(&tx, org, target.kind, mv.lost_reason_id).await?;
    let now = Utc::now();
    let changes = deal::ActiveModel {
        stage_id: Set(target.id),
        status: Set(target.kind),
        closed_at: Set((target.kind != StageKind::Open).then_some(now)),
        lost_reason_id: Set(reason),
        ..Default::default()
    };
    let guard = Guard::new(
        deal::Column::StageId.eq(current.stage_id),
        |_: &deal::Model| {
            AppError::conflict(
                "stage_changed",
                "The deal was moved meanwhile; reload it and retry.",
            )
        },
    );
    let updated =
        tenant::update::<deal::Entity>(&tx, Target::new(org, id, if_match), changes, Some(guard))
            .await?;
    let from = stages.iter().find(|s| s.id == current.stage_id);
    record_move(&tx, org, p.user_id, &updated, from, target, now).await?;
    audit::record(&tx, AuditEntry::by(p, "crm.deal.moved", "deal", id, json!({
        "stage_id": [current.stage_id, updated.stage_id], "status": [current.status, updated.status],
        "lost_reason_id": [current.lost_reason_id, updated.lost_reason_id],
    }))).await?;
    tx.commit().await?;
    Ok(updated.into())
}

/// Moves a deal to the first won stage of its pipeline inside the caller's
/// transaction (an accepted quote wins its deal); a deal already won stays
/// where it is. One compare-and-set on the stage the deal was read in.
pub async fn win_deal(
    conn: &impl ConnectionTrait,
    org: Uuid,
    actor: Uuid,
    id: Uuid,
) -> Result<(), AppError> {
    let current = tenant::find::<deal::Entity>(conn, org, id).await?;
    if current.status == StageKind::Won {
        return Ok(());
    }
    let stages = stages_of(conn, org, current.pipeline_id).await?;
    let Some(won) = stages.iter().find(|s| s.kind == StageKind::Won) else {
        return Err(AppError::conflict(
            "no_won_stage",
            "The deal's pipeline has no won stage; add one to accept quotes for it.",
        ));
    };
    let now = Utc::now();
    let changes = deal::ActiveModel {
        stage_id: Set(won.id),
        status: Set(StageKind::Won),
        closed_at: Set(Some(now)),
        lost_reason_id: Set(None),
        ..Default::default()
    };
    let guard = Guard::new(
        deal::Column::StageId.eq(current.stage_id),
        |_: &deal::Model| {
            AppError::conflict(
                "stage_changed",
                "The deal was moved meanwhile; reload it and retry.",
            )
        },
    );
    let updated =
        tenant::update::<deal::Entity>(conn, Target::new(org, id, None), changes, Some(guard))
            .await?;
    let from = stages.iter().find(|s| s.id == current.stage_id);
    record_move(conn, org, actor, &updated, from, won, now).await
}

/// The stage-history row and timeline entry of one move.
async fn record_move(
    conn: &impl ConnectionTrait,
    org: Uuid,
    actor: Uuid,
    m: &deal::Model,
    from: Option<&stage::Model>,
    to: &stage::Model,
    at: chrono::DateTime<Utc>,
) -> Result<(), AppError> {
    history_row(org, m.id, from.map(|s| s.id), to.id, at, actor)
        .insert(conn)
        .await?;
    record_timeline(
        conn,
        org,
        subjects(m),
        "stage_change",
        Some(m.id),
        move_details(m, from, to),
        Some(actor),
    )
    .await
}

fn history_row(
    org: Uuid,
    deal_id: Uuid,
    from: Option<Uuid>,
    to: Uuid,
    at: chrono::DateTime<Utc>,
    by: Uuid,
) -> stage_change::ActiveModel {
    stage_change::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org),
        deal_id: Set(deal_id),
        from_stage_id: Set(from),
        to_stage_id: Set(to),
        moved_at: Set(at),
        moved_by: Set(Some(by)),
    }
}

fn move_details(m: &deal::Model, from: Option<&stage::Model>, to: &stage::Model) -> Value {
    json!({
        "deal_id": m.id, "title": m.title,
        "from_stage": from.map(|s| s.name.as_str()), "from_stage_id": from.map(|s| s.id),
        "to_stage": to.name, "to_stage_id": to.id, "lost_reason_id": m.lost_reason_id,
    })
}

/// Moves `deals` (every deal of stage `from`, locked by the caller) to `to`
/// in one UPDATE: status follows `to`'s kind, `closed_at` is cleared for an
/// open stage, kept between closed stages of the same kind and set
/// otherwise; a lost reason is kept unless the deals reopen. Each move gets
/// its stage-history row and timeline entry (written in batches).
pub async fn move_all(
    conn: &impl ConnectionTrait,
    org: Uuid,
    actor: Uuid,
    from: &stage::Model,
    to: &stage::Model,
    deals: &[deal::Model],
) -> Result<(), AppError> {
    let now = Utc::now();
    let mut update = deal::Entity::update_many()
        .col_expr(deal::Column::StageId, Expr::value(to.id))
        .col_expr(deal::Column::Status, Expr::value(to.kind.as_str()))
        .col_expr(
            deal::Column::Version,
            Expr::col(deal::Column::Version).add(1),
        )
        .col_expr(deal::Column::UpdatedAt, Expr::value(now));
    if to.kind == StageKind::Open {
        update = update
            .col_expr(
                deal::Column::ClosedAt,
                Expr::value(Option::<chrono::DateTime<Utc>>::None),
            )
            .col_expr(
                deal::Column::LostReasonId,
                Expr::value(Option::<Uuid>::None),
            );
    } else if to.kind != from.kind {
        update = update.col_expr(deal::Column::ClosedAt, Expr::value(Some(now)));
    }
    if to.kind == StageKind::Won {
        // A won deal has no lost reason (lost deals moved to a won stage).
        update = update.col_expr(
            deal::Column::LostReasonId,
            Expr::value(Option::<Uuid>::None),
        );
    }
    update
        .filter(deal::Column::OrganizationId.eq(org))
        .filter(deal::Column::StageId.eq(from.id))
        .exec(conn)
        .await?;
    for chunk in deals.chunks(500) {
        let rows = chunk
            .iter()
            .map(|d| history_row(org, d.id, Some(from.id), to.id, now, actor));
        stage_change::Entity::insert_many(rows).exec(conn).await?;
        let entries: Vec<timeline::ActiveModel> = chunk
            .iter()
            .filter(|d| d.customer_id.is_some() || d.contact_id.is_some())
            .map(|d| timeline::ActiveModel {
                id: Set(Uuid::now_v7()),
                organization_id: Set(org),
                customer_id: Set(d.customer_id),
                contact_id: Set(d.contact_id),
                lead_id: Set(d.lead_id),
                deal_id: Set(Some(d.id)),
                kind: Set("stage_change".into()),
                ref_id: Set(Some(d.id)),
                details: Set(move_details(d, Some(from), to)),
                actor_id: Set(Some(actor)),
                occurred_at: Set(now),
            })
            .collect();
        if !entries.is_empty() {
            timeline::Entity::insert_many(entries).exec(conn).await?;
        }
    }
    Ok(())
}

/// `GET /deals/{id}/history`: oldest first, with the stages' names (one
/// query for the history, one for the pipeline's stages).
pub async fn history(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<Vec<StageChangeOut>, AppError> {
    let d = tenant::find::<deal::Entity>(conn, org, id).await?;
    let names: HashMap<Uuid, String> = stages_of(conn, org, d.pipeline_id)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let rows = stage_change::Entity::find()
        .filter(stage_change::Column::OrganizationId.eq(org))
        .filter(stage_change::Column::DealId.eq(id))
        .order_by_asc(stage_change::Column::MovedAt)
        .order_by_asc(stage_change::Column::Id)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|h| StageChangeOut {
            id: h.id,
            from_stage_id: h.from_stage_id,
            from_stage_name: h.from_stage_id.and_then(|s| names.get(&s).cloned()),
            to_stage_id: h.to_stage_id,
            to_stage_name: names.get(&h.to_stage_id).cloned(),
            moved_at: h.moved_at,
            moved_by: h.moved_by,
        })
        .collect())
}
