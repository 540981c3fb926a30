//! Deals: opportunities moving through a pipeline's stages, with their stage
//! history.

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Subjects, record_timeline};
use crate::{
    modules::crm::entities::{StageKind, deal, pipeline, stage, stage_change},
    platform::{money::Amount, prelude::*},
};

/// A deal to open (references not yet checked, custom fields already
/// validated).
#[derive(Debug, Clone)]
pub struct NewDeal {
    /// Title.
    pub title: String,
    /// The customer.
    pub customer_id: Option<Uuid>,
    /// The contact.
    pub contact_id: Option<Uuid>,
    /// The pipeline; the organization's default pipeline when absent.
    pub pipeline_id: Option<Uuid>,
    /// The stage; the pipeline's first open stage when absent.
    pub stage_id: Option<Uuid>,
    /// Amount (not negative).
    pub amount: Amount,
    /// Currency.
    pub currency: String,
    /// Expected close date.
    pub expected_close_date: Option<NaiveDate>,
    /// Owner (an active member; checked by the caller).
    pub owner_id: Option<Uuid>,
    /// The lead it came from.
    pub lead_id: Option<Uuid>,
    /// Validated custom fields.
    pub custom_fields: Value,
}

/// The organization's default pipeline (422 naming `field` if it has none).
pub async fn default_pipeline(
    conn: &impl ConnectionTrait,
    org: Uuid,
    field: &str,
) -> Result<pipeline::Model, AppError> {
    pipeline::Entity::find()
        .filter(pipeline::Column::OrganizationId.eq(org))
        .filter(pipeline::Column::IsDefault.eq(true))
        .filter(pipeline::Column::Active.eq(true))
        .one(conn)
        .await?
        .ok_or_else(|| {
            AppError::invalid_field(field, "required", "the organization has no default pipeline; name one")
        })
}

/// The stages of a pipeline, in board order.
pub async fn stages_of(
    conn: &impl ConnectionTrait,
    org: Uuid,
    pipeline_id: Uuid,
) -> Result<Vec<stage::Model>, AppError> {
    Ok(stage::Entity::find()
        .filter(stage::Column::OrganizationId.eq(org))
        .filter(stage::Column::PipelineId.eq(pipeline_id))
        .order_by_asc(stage::Column::Position)
        .order_by_asc(stage::Column::Id)
        .all(conn)
        .await?)
}

/// Opens a deal inside the caller's transaction: resolves the pipeline and
/// stage (422 naming `pipeline_id`/`stage_id` when they are not the
/// organization's, not active, or the stage is a lost stage: losing needs a
/// reason, given through a move), inserts it with its first stage-history
/// row, and appends it to the customer's and contact's timeline. The caller
/// checks the customer, contact and owner, and writes the audit record.
pub async fn open_deal(
    conn: &impl ConnectionTrait,
    org: Uuid,
    actor: Option<Uuid>,
    d: NewDeal,
) -> Result<deal::Model, AppError> {
    let pipeline = match d.pipeline_id {
        Some(id) => tenant::find_optional::<pipeline::Entity>(conn, org, id)
            .await?
            .filter(|p| p.active)
            .ok_or_else(|| {
                AppError::invalid_field("pipeline_id", "not_found", "is not an active pipeline of this organization")
            })?,
        None => default_pipeline(conn, org, "pipeline_id").await?,
    };
    let stages = stages_of(conn, org, pipeline.id).await?;
    let stage = match d.stage_id {
        Some(id) => stages.iter().find(|s| s.id == id).ok_or_else(|| {
            AppError::invalid_field("stage_id", "not_found", "is not a stage of the deal's pipeline")
        })?,
        None => stages.iter().find(|s| s.kind == StageKind::Open).ok_or_else(|| {
            AppError::invalid_field("stage_id", "required", "the pipeline has no open stage")
        })?,
    };
    if stage.kind == StageKind::Lost {
        return Err(AppError::invalid_field(
            "stage_id",
            "lost_stage",
            "a deal cannot start lost; open it, then move it with a lost reason",
        ));
    }
    if d.amount.is_negative() {
        return Err(AppError::invalid_field("amount", "range", "must not be negative"));
    }
    let now = Utc::now();
    let m = deal::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org),
        title: Set(d.title.trim().to_string()),
        customer_id: Set(d.customer_id),
        contact_id: Set(d.contact_id),
        pipeline_id: Set(pipeline.id),
        stage_id: Set(stage.id),
        status: Set(stage.kind),
        amount: Set(d.amount),
        currency: Set(d.currency),
        expected_close_date: Set(d.expected_close_date),
        owner_id: Set(d.owner_id),
        lost_reason_id: Set(None),
        lead_id: Set(d.lead_id),
        custom_fields: Set(d.custom_fields),
        closed_at: Set((stage.kind != StageKind::Open).then_some(now)),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(conn)
    .await?;
    stage_change::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org),
        deal_id: Set(m.id),
        from_stage_id: Set(None),
        to_stage_id: Set(stage.id),
        moved_at: Set(now),
        moved_by: Set(actor),
    }
    .insert(conn)
    .await?;
    record_timeline(
        conn,
        org,
        Subjects {
            customer_id: m.customer_id,
            contact_id: m.contact_id,
            lead_id: m.lead_id,
            deal_id: Some(m.id),
        },
        "stage_change",
        Some(m.id),
        json!({ "deal_id": m.id, "title": m.title, "from_stage": null, "to_stage": stage.name, "to_stage_id": stage.id }),
        actor,
    )
    .await?;
    Ok(m)
}
