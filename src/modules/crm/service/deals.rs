//! Deals: opportunities moving through a pipeline's stages, with their stage
//! history. Moves are in `moves`, the board and the forecast in `forecast`.
//!
//! A deal's status is its stage's kind. Deals enter a stage (opened or
//! moved) while holding their pipeline's row `FOR SHARE`, which stage writes
//! (a compare-and-set on the pipeline) and archiving exclude: a stage cannot
//! change kind or disappear under a deal entering it.

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, Func},
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    Subjects, check_member, contacts::check_contact, custom_fields, customers::check_customer,
    pipelines::lock_pipeline, record_timeline,
};
use crate::{
    modules::crm::{
        dto::*,
        entities::{CustomFieldEntity, StageKind, deal, pipeline, stage, stage_change},
    },
    platform::{
        money::Amount,
        pagination::{Keyset, Page, keyset_page},
        prelude::*,
    },
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

/// The organization's default pipeline (422 naming `field` if it has none),
/// read `FOR SHARE` (see the module header).
pub async fn default_pipeline(
    conn: &impl ConnectionTrait,
    org: Uuid,
    field: &str,
) -> Result<pipeline::Model, AppError> {
    pipeline::Entity::find()
        .filter(pipeline::Column::OrganizationId.eq(org))
        .filter(pipeline::Column::IsDefault.eq(true))
        .filter(pipeline::Column::Active.eq(true))
        .lock_shared()
        .one(conn)
        .await?
        .ok_or_else(|| {
            AppError::invalid_field(
                field,
                "required",
                "the organization has no default pipeline; name one",
            )
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
    let (pipeline, stage) = entry_stage(conn, org, d.pipeline_id, d.stage_id).await?;
    if d.amount.is_negative() {
        return Err(AppError::invalid_field(
            "amount",
            "range",
            "must not be negative",
        ));
    }
    let now = Utc::now();
    let m = deal_row(org, d, pipeline.id, &stage, now)
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
        subjects(&m),
        "stage_change",
        Some(m.id),
        json!({ "deal_id": m.id, "title": m.title, "from_stage": null, "to_stage": stage.name, "to_stage_id": stage.id }),
        actor,
    )
    .await?;
    Ok(m)
}

/// The pipeline and stage a new deal enters: the named pipeline (read `FOR
/// SHARE`, active) or the default one, and the named stage of it or its
/// first open stage; never a lost stage (422 naming `pipeline_id` or
/// `stage_id`).
async fn entry_stage(
    conn: &impl ConnectionTrait,
    org: Uuid,
    pipeline_id: Option<Uuid>,
    stage_id: Option<Uuid>,
) -> Result<(pipeline::Model, stage::Model), AppError> {
    let pipeline = match pipeline_id {
        Some(id) => lock_pipeline(conn, org, id, false)
            .await?
            .filter(|p| p.active)
            .ok_or_else(|| {
                AppError::invalid_field(
                    "pipeline_id",
                    "not_found",
                    "is not an active pipeline of this organization",
                )
            })?,
        None => default_pipeline(conn, org, "pipeline_id").await?,
    };
    let stages = stages_of(conn, org, pipeline.id).await?;
    let stage = match stage_id {
        Some(id) => stages.into_iter().find(|s| s.id == id).ok_or_else(|| {
            AppError::invalid_field(
                "stage_id",
                "not_found",
                "is not a stage of the deal's pipeline",
            )
        })?,
        None => stages
            .into_iter()
            .find(|s| s.kind == StageKind::Open)
            .ok_or_else(|| {
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
    Ok((pipeline, stage))
}

/// The row of a new deal `d` entering `stage` of pipeline `pipeline_id` at
/// `now` (closed already if the stage is a won stage).
fn deal_row(
    org: Uuid,
    d: NewDeal,
    pipeline_id: Uuid,
    stage: &stage::Model,
    now: chrono::DateTime<Utc>,
) -> deal::ActiveModel {
    deal::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org),
        title: Set(d.title.trim().to_string()),
        customer_id: Set(d.customer_id),
        contact_id: Set(d.contact_id),
        pipeline_id: Set(pipeline_id),
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
}

pub(super) fn subjects(m: &deal::Model) -> Subjects {
    Subjects {
        customer_id: m.customer_id,
        contact_id: m.contact_id,
        lead_id: m.lead_id,
        deal_id: Some(m.id),
    }
}

/// The deal `id` of the organization, or 404.
pub async fn get_deal(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<DealOut, AppError> {
    tenant::find::<deal::Entity>(conn, org, id)
        .await
        .map(DealOut::from)
}

/// `POST /deals`.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn create_deal(
    state: &AppState,
    p: &Principal,
    input: &DealIn,
) -> Result<DealOut, AppError> {
    let org = p.organization_id;
    let owner = input.owner_id.or(Some(p.user_id));
    let tx = begin_write(&state.db).await?;
    check_customer(&tx, org, input.customer_id, "customer_id").await?;
    check_contact(&tx, org, input.contact_id, "contact_id").await?;
    check_member(&tx, org, owner, "owner_id").await?;
    let custom = custom_fields::values(
        &tx,
        org,
        CustomFieldEntity::Deal,
        None,
        input.custom_fields.as_ref(),
    )
    .await?;
    let new = NewDeal {
        title: input.title.clone(),
        customer_id: input.customer_id,
        contact_id: input.contact_id,
        pipeline_id: input.pipeline_id,
        stage_id: input.stage_id,
        amount: input.amount,
        currency: input.currency.clone(),
        expected_close_date: input.expected_close_date,
        owner_id: owner,
        lead_id: None,
        custom_fields: custom,
    };
    let m = open_deal(&tx, org, Some(p.user_id), new).await?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "crm.deal.created",
            "deal",
            m.id,
            json!({
                "title": m.title, "pipeline_id": m.pipeline_id, "stage_id": m.stage_id,
                "amount": m.amount, "currency": m.currency,
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(m.into())
}

/// `PATCH /deals/{id}`: everything but the pipeline and stage (moves).
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn patch_deal(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    patch: &DealPatch,
    if_match: Option<i32>,
) -> Result<DealOut, AppError> {
    let org = p.organization_id;
    if patch.amount.is_some_and(Amount::is_negative) {
        return Err(AppError::invalid_field(
            "amount",
            "range",
            "must not be negative",
        ));
    }
    let tx = begin_write(&state.db).await?;
    let current = tenant::find::<deal::Entity>(&tx, org, id).await?;
    if let Some(c) = patch.customer_id {
        check_customer(&tx, org, c, "customer_id").await?;
    }
    if let Some(c) = patch.contact_id {
        check_contact(&tx, org, c, "contact_id").await?;
    }
    if let Some(o) = patch.owner_id {
        check_member(&tx, org, o, "owner_id").await?;
    }
    let mut changes = patch.changes();
    let mut guard = None;
    if let Some(input) = &patch.custom_fields {
        changes.custom_fields = Set(custom_fields::values(
            &tx,
            org,
            CustomFieldEntity::Deal,
            Some(&current.custom_fields),
            Some(input),
        )
        .await?);
        // The values were merged over the row as read: written only if it
        // is still that version, so a concurrent change is never undone.
        guard = Some(Guard::new(
            deal::Column::Version.eq(current.version),
            |_: &deal::Model| {
                AppError::conflict(
                    "concurrent_change",
                    "The deal changed while this request ran; reload it and retry.",
                )
            },
        ));
    }
    let updated =
        tenant::update::<deal::Entity>(&tx, Target::new(org, id, if_match), changes, guard).await?;
    audit::record(&tx, AuditEntry::by(p, "crm.deal.updated", "deal", id, json!({
        "title": [current.title, updated.title], "amount": [current.amount, updated.amount],
        "currency": [current.currency, updated.currency], "owner_id": [current.owner_id, updated.owner_id],
        "customer_id": [current.customer_id, updated.customer_id], "contact_id": [current.contact_id, updated.contact_id],
        "expected_close_date": [current.expected_close_date, updated.expected_close_date],
        "custom_fields": [current.custom_fields, updated.custom_fields],
    }))).await?;
    tx.commit().await?;
    Ok(updated.into())
}

/// `GET /deals`: newest first by default, or by amount, with a keyset
/// cursor; one query per page. Custom-field definitions are read only for
/// `cf.` filters.
pub async fn list_deals(
    conn: &impl ConnectionTrait,
    org: Uuid,
    me: Uuid,
    f: &DealFilter,
    custom: &[custom_fields::CustomFilter],
) -> Result<Page<DealOut>, AppError> {
    let limit = f.limit.unwrap_or(50).clamp(1, 200);
    let mut cond = Condition::all().add(deal::Column::OrganizationId.eq(org));
    let eq_filters = [
        (deal::Column::PipelineId, f.pipeline),
        (deal::Column::StageId, f.stage),
        (deal::Column::CustomerId, f.customer),
        (deal::Column::ContactId, f.contact),
        (
            deal::Column::OwnerId,
            f.owner
                .as_deref()
                .map(|o| super::user_of(o, me, "owner"))
                .transpose()?,
        ),
    ];
    for (col, v) in eq_filters {
        if let Some(v) = v {
            cond = cond.add(col.eq(v));
        }
    }
    if let Some(s) = f.status {
        cond = cond.add(deal::Column::Status.eq(s));
    }
    if let Some(d) = f.close_from {
        cond = cond.add(deal::Column::ExpectedCloseDate.gte(d));
    }
    if let Some(d) = f.close_to {
        cond = cond.add(deal::Column::ExpectedCloseDate.lte(d));
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", q.to_lowercase().replace(['%', '_', '\\'], ""));
        cond = cond.add(Expr::expr(Func::lower(Expr::col(deal::Column::Title))).like(pattern));
    }
    cond = cond.add(custom_fields::filter(conn, org, CustomFieldEntity::Deal, custom).await?);
    let id = deal::Column::Id;
    let amount = |desc| {
        let key = deal::Column::Amount;
        Keyset::by_key(
            id,
            |r: &deal::Model| r.id,
            key,
            |r: &deal::Model| r.amount.units(),
            desc,
        )
    };
    let order = match f.sort.unwrap_or_default() {
        DealSort::CreatedAtDesc => Keyset::by_id(id, |r: &deal::Model| r.id, true),
        DealSort::CreatedAt => Keyset::by_id(id, |r: &deal::Model| r.id, false),
        DealSort::AmountDesc => amount(true),
        DealSort::Amount => amount(false),
    };
    let query = deal::Entity::find().filter(cond);
    Ok(keyset_page(conn, query, order, f.cursor.as_deref(), limit)
        .await?
        .map(DealOut::from))
}
