//! Leads: prospects worked until they are converted (then read-only) or
//! marked unqualified, each scored by the organization's rules.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, Func},
};
use serde_json::json;
use uuid::Uuid;

use super::{check_member, custom_fields, scoring};
use crate::{
    modules::crm::{
        dto::*,
        entities::{CustomFieldEntity, LeadStatus, lead},
    },
    platform::{
        pagination::{Keyset, Page, keyset_page},
        prelude::*,
    },
};

/// The guard of every write to a lead: converted leads are read-only.
pub(super) fn not_converted() -> Guard<lead::Model> {
    Guard::new(
        lead::Column::Status.ne(LeadStatus::Converted),
        |_: &lead::Model| {
            AppError::conflict(
                "lead_converted",
                "The lead is converted; it can no longer change.",
            )
        },
    )
}

fn trimmed(s: &Option<String>) -> Option<String> {
    s.as_deref().map(|s| s.trim().to_string())
}

/// `GET /leads/{id}`.
pub async fn get_lead(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<LeadOut, AppError> {
    tenant::find::<lead::Entity>(conn, org, id)
        .await
        .map(LeadOut::from)
}

/// `POST /leads`: scored by the organization's rules as it is inserted.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn create_lead(
    state: &AppState,
    p: &Principal,
    input: &LeadIn,
) -> Result<LeadOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    check_member(&tx, org, input.owner_id, "owner_id").await?;
    let custom = custom_fields::values(
        &tx,
        org,
        CustomFieldEntity::Lead,
        None,
        input.custom_fields.as_ref(),
    )
    .await?;
    let now = Utc::now();
    let mut m = lead::Model {
        id: Uuid::now_v7(),
        organization_id: org,
        name: input.name.trim().to_string(),
        company: trimmed(&input.company),
        email: trimmed(&input.email),
        phone: trimmed(&input.phone),
        source: trimmed(&input.source),
        status: input.status.unwrap_or(LeadStatus::New),
        owner_id: input.owner_id,
        estimated_value: input.estimated_value,
        custom_fields: custom,
        score: 0,
        score_breakdown: json!([]),
        converted_customer_id: None,
        converted_contact_id: None,
        converted_deal_id: None,
        converted_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    (m.score, m.score_breakdown) = scoring::score_new(&tx, org, &m).await?;
    let m = m.into_active_model().reset_all().insert(&tx).await?;
    audit::record(&tx, AuditEntry::by(p, "crm.lead.created", "lead", m.id, json!({
        "name": m.name, "company": m.company, "status": m.status, "owner_id": m.owner_id, "score": m.score,
    }))).await?;
    tx.commit().await?;
    Ok(m.into())
}

/// `PATCH /leads/{id}`: a compare-and-set guarded by "not converted" (409
/// `lead_converted`), then a rescore in the same transaction.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn patch_lead(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    patch: &LeadPatch,
    if_match: Option<i32>,
) -> Result<LeadOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    // Locked: the custom fields below merge into what is stored, and a
    // concurrent PATCH must not slip between this read and the write.
    let current = lead::Entity::find_by_id(id)
        .filter(lead::Column::OrganizationId.eq(org))
        .lock_exclusive()
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found(<lead::Entity as tenant::Tenant>::NOT_FOUND))?;
    if let Some(owner) = patch.owner_id {
        check_member(&tx, org, owner, "owner_id").await?;
    }
    let mut changes = patch.changes();
    if let Some(input) = &patch.custom_fields {
        changes.custom_fields = Set(custom_fields::values(
            &tx,
            org,
            CustomFieldEntity::Lead,
            Some(&current.custom_fields),
            Some(input),
        )
        .await?);
    }
    let updated = tenant::update::<lead::Entity>(
        &tx,
        Target::new(org, id, if_match),
        changes,
        Some(not_converted()),
    )
    .await?;
    // The UPDATE above holds the row: the rescore reads the lead as written.
    let updated = scoring::rescore_written(&tx, org, updated).await?;
    audit::record(&tx, AuditEntry::by(p, "crm.lead.updated", "lead", id, json!({
        "name": [current.name, updated.name], "company": [current.company, updated.company],
        "email": [current.email, updated.email], "phone": [current.phone, updated.phone],
        "source": [current.source, updated.source], "status": [current.status, updated.status],
        "owner_id": [current.owner_id, updated.owner_id],
        "estimated_value": [current.estimated_value.map(|a| a.to_string()), updated.estimated_value.map(|a| a.to_string())],
        "custom_fields": [current.custom_fields, updated.custom_fields], "score": [current.score, updated.score],
    }))).await?;
    tx.commit().await?;
    Ok(updated.into())
}

/// `GET /leads`: filters status, owner (`me` is `me_id`), source, q,
/// min_score and `cf.` custom fields; newest first, or by score, with a
/// keyset cursor (`id`, or `(score, id)` served by `ix_leads_org_score_id`).
pub async fn list_leads(
    conn: &impl ConnectionTrait,
    org: Uuid,
    me_id: Uuid,
    f: &LeadFilter,
    custom: &[custom_fields::CustomFilter],
) -> Result<Page<LeadOut>, AppError> {
    let limit = f.limit.unwrap_or(50).clamp(1, 200);
    let mut cond = Condition::all().add(lead::Column::OrganizationId.eq(org));
    if let Some(s) = f.status {
        cond = cond.add(lead::Column::Status.eq(s));
    }
    if let Some(o) = f.owner.as_deref() {
        let owner = super::user_of(o, me_id, "owner")?;
        cond = cond.add(lead::Column::OwnerId.eq(owner));
    }
    if let Some(s) = &f.source {
        cond = cond.add(lead::Column::Source.eq(s.trim()));
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", q.to_lowercase().replace(['%', '_', '\\'], ""));
        let like = |c: lead::Column| Expr::expr(Func::lower(Expr::col(c))).like(pattern.clone());
        cond = cond.add(
            Condition::any()
                .add(like(lead::Column::Name))
                .add(like(lead::Column::Company))
                .add(like(lead::Column::Email)),
        );
    }
    if let Some(min) = f.min_score {
        cond = cond.add(lead::Column::Score.gte(min));
    }
    cond = cond.add(custom_fields::filter(conn, org, CustomFieldEntity::Lead, custom).await?);
    let id = lead::Column::Id;
    let score = |desc| {
        let key = lead::Column::Score;
        Keyset::by_key(
            id,
            |r: &lead::Model| r.id,
            key,
            |r: &lead::Model| r.score,
            desc,
        )
    };
    let order = match f.sort.unwrap_or_default() {
        LeadSort::CreatedAtDesc => Keyset::by_id(id, |r: &lead::Model| r.id, true),
        LeadSort::CreatedAt => Keyset::by_id(id, |r: &lead::Model| r.id, false),
        LeadSort::ScoreDesc => score(true),
        LeadSort::Score => score(false),
    };
    let query = lead::Entity::find().filter(cond);
    Ok(keyset_page(conn, query, order, f.cursor.as_deref(), limit)
        .await?
        .map(LeadOut::from))
}
