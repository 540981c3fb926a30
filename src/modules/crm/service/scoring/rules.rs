//! Lead scoring rules: the check that a rule can work (its operator suits
//! its field, its value has the field's type), and the use cases, each of
//! which rescores every unconverted lead in its own transaction.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{DEFAULT_WITHIN_DAYS, Shape, rescore_all, rules_lock};
use crate::{
    modules::crm::{
        dto::*,
        entities::{
            ActivityKind, CustomFieldEntity, LeadStatus, ScoringOperator, ScoringSubject,
            custom_field, scoring_rule,
        },
        service::custom_fields,
    },
    platform::{
        money::Amount,
        pagination::{Keyset, Page, keyset_page},
        prelude::*,
    },
};

/// The most values an `in` rule lists.
const MAX_IN_VALUES: usize = 100;

/// One value of a rule in its stored form, or the reason it is refused.
fn rule_value(shape: Shape, def: Option<&custom_field::Model>, v: &Value) -> Result<Value, String> {
    let text = |what: &str| {
        v.as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| format!("must be {what}"))
    };
    match (shape, def) {
        (Shape::Text, None) => text("text").map(|s| json!(s)),
        (Shape::Status, _) => text("a status")
            .and_then(|s| {
                serde_json::from_value::<LeadStatus>(json!(s))
                    .map_err(|_| "must be a lead status".into())
            })
            .and_then(|s| match LeadStatus::EDITABLE.contains(&s) {
                true => Ok(json!(s.as_str())),
                false => Err("converted leads are not scored".into()),
            }),
        (Shape::Money, _) => {
            let parsed = match v {
                Value::String(s) => s.parse::<Amount>().ok(),
                Value::Number(n) => n.as_i64().and_then(Amount::from_whole),
                _ => None,
            };
            parsed
                .map(|a| json!(a.to_string()))
                .ok_or_else(|| "must be an amount, as a string (\"5000.00\")".into())
        }
        (Shape::Member, _) => text("a member id")
            .and_then(|s| Uuid::parse_str(s).map_err(|_| "must be a member id".into()))
            .map(|id| json!(id.to_string())),
        (Shape::Count, _) => v
            .as_i64()
            .filter(|n| (0..=i64::from(i32::MAX)).contains(n))
            .map(|n| json!(n))
            .ok_or_else(|| "must be a whole number, 0 or more".into()),
        (Shape::MultiSelect, Some(def)) => custom_fields::typed_value(def, &json!([v]))
            .map(|list| list[0].clone())
            .map_err(|(_, m)| m),
        (_, Some(def)) => custom_fields::typed_value(def, v).map_err(|(_, m)| m),
        (_, None) => Err("has no type".into()),
    }
}

/// A rule as it will be stored: its value checked against its subject,
/// field and operator (422 naming `field`, `operator`, `value` or
/// `within_days`). Returns the stored value and window.
async fn checked_rule(
    conn: &impl ConnectionTrait,
    org: Uuid,
    subject: ScoringSubject,
    field: &str,
    op: ScoringOperator,
    value: Option<&Value>,
    within_days: Option<i32>,
) -> Result<(Option<Value>, Option<i32>), AppError> {
    let (shape, def) = shape_of(conn, org, subject, field).await?;
    let within_days = match (subject, within_days) {
        (ScoringSubject::ActivityCount, w) => Some(w.unwrap_or(DEFAULT_WITHIN_DAYS)),
        (_, None) => None,
        (_, Some(_)) => {
            return Err(AppError::invalid_field(
                "within_days",
                "not_allowed",
                "applies to activity_count rules only",
            ));
        }
    };
    if !shape.operators().contains(&op) {
        let names: Vec<&str> = shape.operators().iter().map(|o| o.as_str()).collect();
        return Err(AppError::invalid_field(
            "operator",
            "invalid_operator",
            format!(
                "`{}` does not apply to this field; use one of {}",
                op.as_str(),
                names.join(", ")
            ),
        ));
    }
    Ok((stored_value(shape, def.as_ref(), op, value)?, within_days))
}

/// What a rule's field compares as, with the custom field's definition
/// (422 naming `field` when the subject has no such field).
async fn shape_of(
    conn: &impl ConnectionTrait,
    org: Uuid,
    subject: ScoringSubject,
    field: &str,
) -> Result<(Shape, Option<custom_field::Model>), AppError> {
    let unknown = |m: &str| AppError::invalid_field("field", "unknown_field", m.to_string());
    match subject {
        ScoringSubject::Field => Shape::of_field(field).map(|s| (s, None)).ok_or_else(|| {
            unknown(
                "must be one of source, status, company, email, phone, estimated_value, owner_id",
            )
        }),
        ScoringSubject::CustomField => {
            let defs = custom_fields::definitions(conn, org, CustomFieldEntity::Lead).await?;
            let d = defs
                .into_iter()
                .find(|d| d.key == field)
                .ok_or_else(|| unknown("is not an active custom field of leads"))?;
            Ok((Shape::of_custom(d.field_type), Some(d)))
        }
        ScoringSubject::ActivityCount
            if field == "any" || serde_json::from_value::<ActivityKind>(json!(field)).is_ok() =>
        {
            Ok((Shape::Count, None))
        }
        ScoringSubject::ActivityCount => Err(unknown(
            "must be an activity kind (note, call, email, meeting, sms, task) or any",
        )),
    }
}

/// The value a rule stores for its operator: none for `is_set` and
/// `is_not_set`, a list for `in`, else one value of the field's type (422
/// naming `value`).
fn stored_value(
    shape: Shape,
    def: Option<&custom_field::Model>,
    op: ScoringOperator,
    value: Option<&Value>,
) -> Result<Option<Value>, AppError> {
    let invalid = |m: String| AppError::invalid_field("value", "invalid_value", m);
    match (op, value.filter(|v| !v.is_null())) {
        (ScoringOperator::IsSet | ScoringOperator::IsNotSet, None) => Ok(None),
        (ScoringOperator::IsSet | ScoringOperator::IsNotSet, Some(_)) => {
            Err(AppError::invalid_field(
                "value",
                "not_allowed",
                "is_set and is_not_set take no value",
            ))
        }
        (_, None) => Err(AppError::invalid_field(
            "value",
            "required",
            "is required for this operator",
        )),
        (ScoringOperator::In, Some(v)) => {
            let items = v
                .as_array()
                .filter(|a| (1..=MAX_IN_VALUES).contains(&a.len()))
                .ok_or_else(|| invalid(format!("must be a list of 1 to {MAX_IN_VALUES} values")))?;
            let list: Result<Vec<Value>, String> =
                items.iter().map(|i| rule_value(shape, def, i)).collect();
            Ok(Some(Value::Array(
                list.map_err(|m| invalid(format!("every item {m}")))?,
            )))
        }
        (_, Some(v)) => Ok(Some(rule_value(shape, def, v).map_err(invalid)?)),
    }
}

/// `GET /crm/lead-scoring-rules`, newest first by default.
pub async fn list_rules(
    conn: &impl ConnectionTrait,
    org: Uuid,
    f: &ScoringRuleFilter,
) -> Result<Page<ScoringRuleOut>, AppError> {
    let limit = f.limit.unwrap_or(50).clamp(1, 200);
    let desc = f.sort.unwrap_or_default() == ScoringRuleSort::CreatedAtDesc;
    let mut cond = Condition::all().add(scoring_rule::Column::OrganizationId.eq(org));
    if let Some(a) = f.active {
        cond = cond.add(scoring_rule::Column::Active.eq(a));
    }
    if let Some(s) = f.subject {
        cond = cond.add(scoring_rule::Column::Subject.eq(s));
    }
    let query = scoring_rule::Entity::find().filter(cond);
    let order = Keyset::<_, Uuid>::by_id(
        scoring_rule::Column::Id,
        |r: &scoring_rule::Model| r.id,
        desc,
    );
    Ok(keyset_page(conn, query, order, f.cursor.as_deref(), limit)
        .await?
        .map(ScoringRuleOut::from))
}

/// `GET /crm/lead-scoring-rules/{id}`.
pub async fn get_rule(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<ScoringRuleOut, AppError> {
    tenant::find::<scoring_rule::Entity>(conn, org, id)
        .await
        .map(ScoringRuleOut::from)
}

/// `POST /crm/lead-scoring-rules`: checked, stored, and every unconverted
/// lead rescored in the same transaction.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn create_rule(
    state: &AppState,
    p: &Principal,
    input: &ScoringRuleIn,
) -> Result<ScoringRuleOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    rules_lock(&tx, org, false).await?;
    let (value, within_days) = checked_rule(
        &tx,
        org,
        input.subject,
        &input.field,
        input.operator,
        input.value.as_ref(),
        input.within_days,
    )
    .await?;
    let now = Utc::now();
    let m = scoring_rule::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org),
        name: Set(input.name.trim().to_string()),
        subject: Set(input.subject),
        field: Set(input.field.clone()),
        operator: Set(input.operator),
        value: Set(value),
        within_days: Set(within_days),
        points: Set(input.points),
        active: Set(input.active.unwrap_or(true)),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    let rescored = rescore_all(&tx, org).await?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "crm.lead_scoring_rule.created",
            "lead_scoring_rule",
            m.id,
            json!({
                "name": m.name, "subject": m.subject, "field": m.field, "operator": m.operator,
                "value": m.value, "points": m.points, "leads_rescored": rescored,
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(m.into())
}

/// `PATCH /crm/lead-scoring-rules/{id}`: the rule as changed is checked
/// whole; every unconverted lead is rescored in the same transaction.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn patch_rule(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    patch: &ScoringRulePatch,
    if_match: Option<i32>,
) -> Result<ScoringRuleOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    rules_lock(&tx, org, false).await?;
    let current = tenant::find::<scoring_rule::Entity>(&tx, org, id).await?;
    let subject = patch.subject.unwrap_or(current.subject);
    let field = patch.field.clone().unwrap_or_else(|| current.field.clone());
    let operator = patch.operator.unwrap_or(current.operator);
    let value = match &patch.value {
        Some(v) => v.clone(),
        None => current.value.clone(),
    };
    // A window moves with its subject: kept for counts, dropped otherwise.
    let within_days = match patch.within_days {
        Some(w) => w,
        None if subject == ScoringSubject::ActivityCount => current.within_days,
        None => None,
    };
    let (value, within_days) = checked_rule(
        &tx,
        org,
        subject,
        &field,
        operator,
        value.as_ref(),
        within_days,
    )
    .await?;
    let mut changes = scoring_rule::ActiveModel {
        subject: Set(subject),
        field: Set(field),
        operator: Set(operator),
        value: Set(value),
        within_days: Set(within_days),
        ..Default::default()
    };
    if let Some(n) = &patch.name {
        changes.name = Set(n.trim().to_string());
    }
    if let Some(points) = patch.points {
        changes.points = Set(points);
    }
    if let Some(a) = patch.active {
        changes.active = Set(a);
    }
    let updated =
        tenant::update::<scoring_rule::Entity>(&tx, Target::new(org, id, if_match), changes, None)
            .await?;
    let rescored = rescore_all(&tx, org).await?;
    audit::record(&tx, AuditEntry::by(p, "crm.lead_scoring_rule.updated", "lead_scoring_rule", id, json!({
        "name": [current.name, updated.name], "subject": [current.subject, updated.subject],
        "field": [current.field, updated.field], "operator": [current.operator, updated.operator],
        "value": [current.value, updated.value], "within_days": [current.within_days, updated.within_days],
        "points": [current.points, updated.points], "active": [current.active, updated.active],
        "leads_rescored": rescored,
    }))).await?;
    tx.commit().await?;
    Ok(updated.into())
}

/// `DELETE /crm/lead-scoring-rules/{id}`: removed, and every unconverted
/// lead rescored without it in the same transaction.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn delete_rule(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    if_match: Option<i32>,
) -> Result<(), AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    rules_lock(&tx, org, false).await?;
    let current = tenant::find::<scoring_rule::Entity>(&tx, org, id).await?;
    tenant::delete::<scoring_rule::Entity>(&tx, Target::new(org, id, if_match), None).await?;
    let rescored = rescore_all(&tx, org).await?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "crm.lead_scoring_rule.deleted",
            "lead_scoring_rule",
            id,
            json!({
                "name": current.name, "points": current.points, "leads_rescored": rescored,
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
