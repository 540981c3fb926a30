//! Lead scoring: rules, and the score (with its explanation) every lead
//! carries, recomputed whenever the lead, its activities or the rules change.
//!
//! A score is written with its explanation in one UPDATE, so the stored
//! `score_breakdown` always sums to the stored `score`. Races are settled by
//! locks, not by re-checking: a lead is rescored while its row is locked (a
//! PATCH's own UPDATE, or `SELECT ... FOR UPDATE`) and the rules are read
//! after the lock is held, so the last writer sees both the latest lead and
//! the latest rules. Rule changes take a per-organization advisory lock on
//! PostgreSQL (SQLite serializes every write transaction), and lead creation
//! takes it shared, so a lead inserted during a rule change is scored by one
//! or the other.
//!
//! The rules themselves (their checks and use cases) are in [`rules`].

use std::collections::HashMap;

use chrono::{Duration, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, Statement,
    sea_query::{Expr, ExprTrait},
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    modules::crm::{
        dto::*,
        entities::{
            CustomFieldEntity, CustomFieldType, LeadStatus, ScoringOperator, ScoringSubject,
            activity, custom_field, lead, scoring_rule,
        },
    },
    platform::{pagination::created_between, prelude::*},
};

/// Leads rescored per statement when a rule changes.
const BATCH: u64 = 200;
/// The window of an activity count when a rule names none.
pub(super) const DEFAULT_WITHIN_DAYS: i32 = 30;

mod rules;

pub use rules::{create_rule, delete_rule, get_rule, list_rules, patch_rule};

/// What a rule compares, which decides its operators and value type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// Case-insensitive text.
    Text,
    /// A lead status.
    Status,
    /// Money (`estimated_value`).
    Money,
    /// A member id (`owner_id`).
    Member,
    /// A whole number custom field.
    Number,
    /// A decimal custom field.
    Decimal,
    /// A date custom field (`YYYY-MM-DD` compares as text).
    Date,
    /// A boolean custom field.
    Boolean,
    /// A select custom field.
    Select,
    /// A multi-select custom field (a list of options).
    MultiSelect,
    /// An activity count.
    Count,
}

impl Shape {
    pub(super) fn of_field(field: &str) -> Option<Self> {
        Some(match field {
            "source" | "company" | "email" | "phone" => Self::Text,
            "status" => Self::Status,
            "estimated_value" => Self::Money,
            "owner_id" => Self::Member,
            _ => return None,
        })
    }

    pub(super) fn of_custom(t: CustomFieldType) -> Self {
        match t {
            CustomFieldType::Text => Self::Text,
            CustomFieldType::Number => Self::Number,
            CustomFieldType::Decimal => Self::Decimal,
            CustomFieldType::Date => Self::Date,
            CustomFieldType::Boolean => Self::Boolean,
            CustomFieldType::Select => Self::Select,
            CustomFieldType::MultiSelect => Self::MultiSelect,
        }
    }

    pub(super) fn operators(self) -> &'static [ScoringOperator] {
        use ScoringOperator::*;
        match self {
            Self::Text => &[Eq, Ne, Contains, In, IsSet, IsNotSet],
            Self::Status => &[Eq, Ne, In],
            Self::Member | Self::Select => &[Eq, Ne, In, IsSet, IsNotSet],
            Self::Number => &[Eq, Ne, Gt, Gte, Lt, Lte, In, IsSet, IsNotSet],
            Self::Money | Self::Decimal | Self::Date => {
                &[Eq, Ne, Gt, Gte, Lt, Lte, IsSet, IsNotSet]
            }
            Self::Boolean => &[Eq, Ne, IsSet, IsNotSet],
            Self::MultiSelect => &[Contains, IsSet, IsNotSet],
            Self::Count => &[Eq, Ne, Gt, Gte, Lt, Lte],
        }
    }
}

/// A value reduced to what comparisons need.
#[derive(Debug, PartialEq, PartialOrd)]
enum Scalar {
    Text(String),
    Int(i64),
    Dec(Decimal),
    Bool(bool),
}

fn scalar(shape: Shape, v: &Value) -> Option<Scalar> {
    match shape {
        Shape::Number | Shape::Count => v.as_i64().map(Scalar::Int),
        Shape::Money | Shape::Decimal => v.as_str()?.parse().ok().map(Scalar::Dec),
        Shape::Boolean => v.as_bool().map(Scalar::Bool),
        _ => v.as_str().map(|s| Scalar::Text(s.to_lowercase())),
    }
}

/// Whether a lead's value (`None` when it has none) meets a rule.
fn matches(
    shape: Shape,
    op: ScoringOperator,
    actual: Option<&Value>,
    expected: Option<&Value>,
) -> bool {
    use ScoringOperator::*;
    let actual = actual.filter(|v| {
        !(v.is_null()
            || v.as_str().is_some_and(str::is_empty)
            || v.as_array().is_some_and(Vec::is_empty))
    });
    let (Some(a), Some(e)) = (actual, expected) else {
        return match op {
            IsSet => actual.is_some(),
            IsNotSet => actual.is_none(),
            Ne => actual.is_none() && expected.is_some(),
            _ => false,
        };
    };
    let eq = |x: &Value, y: &Value| scalar(shape, x).is_some_and(|s| Some(s) == scalar(shape, y));
    let ord = || {
        scalar(shape, a)
            .zip(scalar(shape, e))
            .and_then(|(x, y)| x.partial_cmp(&y))
    };
    match op {
        Eq => eq(a, e),
        Ne => !eq(a, e),
        In => e
            .as_array()
            .is_some_and(|list| list.iter().any(|item| eq(a, item))),
        Contains if shape == Shape::MultiSelect => a
            .as_array()
            .is_some_and(|list| list.iter().any(|item| item == e)),
        Contains => matches!(
            (scalar(shape, a), scalar(shape, e)),
            (Some(Scalar::Text(x)), Some(Scalar::Text(y))) if x.contains(&y)
        ),
        Gt => ord().is_some_and(|o| o.is_gt()),
        Gte => ord().is_some_and(|o| o.is_ge()),
        Lt => ord().is_some_and(|o| o.is_lt()),
        Lte => ord().is_some_and(|o| o.is_le()),
        IsSet => true,
        IsNotSet => false,
    }
}

/// The active rules of an organization with the shape each compares (`None`
/// for a custom field whose definition is gone: it matches nothing).
struct Scorer {
    rules: Vec<(scoring_rule::Model, Option<Shape>)>,
}

impl Scorer {
    async fn load(conn: &impl ConnectionTrait, org: Uuid) -> Result<Self, AppError> {
        let rules = scoring_rule::Entity::find()
            .filter(scoring_rule::Column::OrganizationId.eq(org))
            .filter(scoring_rule::Column::Active.eq(true))
            .order_by_asc(scoring_rule::Column::Id)
            .all(conn)
            .await?;
        // Archived definitions still type the values stored under them.
        let defs = if rules
            .iter()
            .any(|r| r.subject == ScoringSubject::CustomField)
        {
            custom_field::Entity::find()
                .filter(custom_field::Column::OrganizationId.eq(org))
                .filter(custom_field::Column::Entity.eq(CustomFieldEntity::Lead))
                .all(conn)
                .await?
        } else {
            Vec::new()
        };
        let rules = rules
            .into_iter()
            .map(|r| {
                let shape = match r.subject {
                    ScoringSubject::Field => Shape::of_field(&r.field),
                    ScoringSubject::CustomField => defs
                        .iter()
                        .find(|d| d.key == r.field)
                        .map(|d| Shape::of_custom(d.field_type)),
                    ScoringSubject::ActivityCount => Some(Shape::Count),
                };
                (r, shape)
            })
            .collect();
        Ok(Self { rules })
    }

    /// The distinct windows of the activity-count rules.
    fn windows(&self) -> Vec<i32> {
        let mut w: Vec<i32> = self
            .rules
            .iter()
            .filter(|(r, _)| r.subject == ScoringSubject::ActivityCount)
            .map(|(r, _)| r.within_days.unwrap_or(DEFAULT_WITHIN_DAYS))
            .collect();
        w.sort_unstable();
        w.dedup();
        w
    }

    /// The score of a lead and its explanation (`[{rule_id, name, points}]`).
    fn score(&self, l: &lead::Model, counts: &Counts) -> (i32, Value) {
        let mut total: i64 = 0;
        let mut matched = Vec::new();
        for (rule, shape) in &self.rules {
            let Some(shape) = *shape else { continue };
            let actual = match rule.subject {
                ScoringSubject::Field => field_value(l, &rule.field),
                ScoringSubject::CustomField => l.custom_fields.get(&rule.field).cloned(),
                ScoringSubject::ActivityCount => {
                    let window = rule.within_days.unwrap_or(DEFAULT_WITHIN_DAYS);
                    let kinds = counts.get(&(l.id, window));
                    let n: i64 = match rule.field.as_str() {
                        "any" => kinds.map(|k| k.values().sum()).unwrap_or(0),
                        kind => kinds.and_then(|k| k.get(kind)).copied().unwrap_or(0),
                    };
                    Some(json!(n))
                }
            };
            if matches(shape, rule.operator, actual.as_ref(), rule.value.as_ref()) {
                total += i64::from(rule.points);
                // The rule as it scored: the explanation stays true after the
                // rule changes or goes (converted leads are not rescored).
                matched.push(json!({
                    "rule_id": rule.id, "name": rule.name, "subject": rule.subject,
                    "field": rule.field, "operator": rule.operator, "value": rule.value,
                    "points": rule.points,
                }));
            }
        }
        let total = i32::try_from(total).unwrap_or(if total < 0 { i32::MIN } else { i32::MAX });
        (total, Value::Array(matched))
    }
}

/// A lead field as JSON (`None` when empty).
fn field_value(l: &lead::Model, field: &str) -> Option<Value> {
    match field {
        "source" => l.source.clone().map(Value::from),
        "company" => l.company.clone().map(Value::from),
        "email" => l.email.clone().map(Value::from),
        "phone" => l.phone.clone().map(Value::from),
        "status" => Some(json!(l.status.as_str())),
        "estimated_value" => l.estimated_value.map(|a| json!(a.to_string())),
        "owner_id" => l.owner_id.map(|id| json!(id.to_string())),
        _ => None,
    }
}

/// Activities per (lead, window in days), by kind.
type Counts = HashMap<(Uuid, i32), HashMap<String, i64>>;

/// The activity counts the rules need for a set of leads: one grouped query
/// per distinct window (not per lead).
async fn activity_counts(
    conn: &impl ConnectionTrait,
    org: Uuid,
    scorer: &Scorer,
    leads: &[Uuid],
) -> Result<Counts, AppError> {
    let mut counts = Counts::new();
    if leads.is_empty() {
        return Ok(counts);
    }
    for window in scorer.windows() {
        let since = Utc::now() - Duration::days(i64::from(window));
        let rows: Vec<(Uuid, String, i64)> = activity::Entity::find()
            .select_only()
            .column(activity::Column::LeadId)
            .column(activity::Column::Kind)
            .column_as(Expr::cust("COUNT(*)"), "n")
            .filter(activity::Column::OrganizationId.eq(org))
            .filter(activity::Column::LeadId.is_in(leads.iter().copied()))
            .filter(created_between(
                activity::Column::Id,
                activity::Column::CreatedAt,
                Some(since),
                None,
            ))
            .group_by(activity::Column::LeadId)
            .group_by(activity::Column::Kind)
            .into_tuple()
            .all(conn)
            .await?;
        for (lead_id, kind, n) in rows {
            counts.entry((lead_id, window)).or_default().insert(kind, n);
        }
    }
    Ok(counts)
}

/// Writes a score and its explanation in one UPDATE when they differ from
/// the stored ones; `bump` moves the version (the representation changed
/// outside a write that already moved it). Returns the lead as stored.
async fn store(
    conn: &impl ConnectionTrait,
    mut l: lead::Model,
    (score, breakdown): (i32, Value),
    bump: bool,
) -> Result<lead::Model, AppError> {
    if l.score == score && l.score_breakdown == breakdown {
        return Ok(l);
    }
    let mut update = lead::Entity::update_many()
        .set(lead::ActiveModel {
            score: Set(score),
            score_breakdown: Set(breakdown.clone()),
            ..Default::default()
        })
        .filter(lead::Column::Id.eq(l.id))
        .filter(lead::Column::OrganizationId.eq(l.organization_id));
    if bump {
        let now = chrono::Utc::now();
        update = update
            .col_expr(
                lead::Column::Version,
                Expr::col(lead::Column::Version).add(1),
            )
            .col_expr(lead::Column::UpdatedAt, Expr::value(now));
        l.version += 1;
        l.updated_at = now;
    }
    update.exec(conn).await?;
    l.score = score;
    l.score_breakdown = breakdown;
    Ok(l)
}

/// Recomputes and stores the score and explanation of one lead, inside the
/// caller's transaction (after a change of the lead or its activities).
/// Converted leads keep the score they had when converted.
pub async fn rescore_lead(
    conn: &impl ConnectionTrait,
    org: Uuid,
    lead_id: Uuid,
) -> Result<(), AppError> {
    // Locked first, rules read after: a concurrent rule change either
    // committed before (and is read here) or rescores this lead after.
    let Some(l) = lead::Entity::find_by_id(lead_id)
        .filter(lead::Column::OrganizationId.eq(org))
        .lock_exclusive()
        .one(conn)
        .await?
    else {
        return Ok(());
    };
    if l.status == LeadStatus::Converted {
        return Ok(());
    }
    let scorer = Scorer::load(conn, org).await?;
    let counts = activity_counts(conn, org, &scorer, &[l.id]).await?;
    let result = scorer.score(&l, &counts);
    store(conn, l, result, true).await?;
    Ok(())
}

/// Rescores a lead its caller has just written (and so locked) in this
/// transaction, whose version that write already moved.
pub async fn rescore_written(
    conn: &impl ConnectionTrait,
    org: Uuid,
    l: lead::Model,
) -> Result<lead::Model, AppError> {
    let scorer = Scorer::load(conn, org).await?;
    let counts = activity_counts(conn, org, &scorer, &[l.id]).await?;
    let result = scorer.score(&l, &counts);
    store(conn, l, result, false).await
}

/// The score of a lead about to be inserted (it has no activities yet).
/// Holds the organization's rules shared until the transaction ends.
pub async fn score_new(
    conn: &impl ConnectionTrait,
    org: Uuid,
    l: &lead::Model,
) -> Result<(i32, Value), AppError> {
    rules_lock(conn, org, true).await?;
    let scorer = Scorer::load(conn, org).await?;
    Ok(scorer.score(l, &Counts::new()))
}

/// Serializes the organization's rule changes with each other (exclusive)
/// and with lead creation (shared) on PostgreSQL, until the transaction
/// ends. SQLite write transactions are serialized already.
pub(super) async fn rules_lock(
    conn: &impl ConnectionTrait,
    org: Uuid,
    shared: bool,
) -> Result<(), AppError> {
    if conn.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let b = org.as_bytes();
    let key = i64::from_be_bytes([b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]])
        ^ 0x6372_6d2e_7363_6f72;
    let f = if shared {
        "pg_advisory_xact_lock_shared"
    } else {
        "pg_advisory_xact_lock"
    };
    conn.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        format!("SELECT {f}($1)"),
        [key.into()],
    ))
    .await?;
    Ok(())
}

/// Rescores every unconverted lead of the organization after a rule change:
/// the rules once, the leads in locked batches by id, one activity-count
/// query per batch and window, and a write only for leads whose score or
/// explanation changed. Returns how many were written.
pub(super) async fn rescore_all(conn: &impl ConnectionTrait, org: Uuid) -> Result<u64, AppError> {
    let scorer = Scorer::load(conn, org).await?;
    let mut after: Option<Uuid> = None;
    let mut written = 0;
    loop {
        let mut q = lead::Entity::find()
            .filter(lead::Column::OrganizationId.eq(org))
            .filter(lead::Column::Status.ne(LeadStatus::Converted));
        if let Some(id) = after {
            q = q.filter(lead::Column::Id.gt(id));
        }
        let batch = q
            .order_by_asc(lead::Column::Id)
            .limit(BATCH)
            .lock_exclusive()
            .all(conn)
            .await?;
        let Some(last) = batch.last() else { break };
        after = Some(last.id);
        let ids: Vec<Uuid> = batch.iter().map(|l| l.id).collect();
        let counts = activity_counts(conn, org, &scorer, &ids).await?;
        let full = batch.len() as u64 == BATCH;
        for l in batch {
            let result = scorer.score(&l, &counts);
            let before = l.version;
            if store(conn, l, result, true).await?.version != before {
                written += 1;
            }
        }
        if !full {
            break;
        }
    }
    Ok(written)
}

/// `GET /leads/{id}/score`: the stored score and the rules behind it, with
/// their current description (one query for the rules).
pub async fn lead_score(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<LeadScoreOut, AppError> {
    let l = tenant::find::<lead::Entity>(conn, org, id).await?;
    // Built from the stored explanation alone, written in the same UPDATE
    // as the score: it always adds up to it.
    let matched = l
        .score_breakdown
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|m| serde_json::from_value::<MatchedRuleOut>(m.clone()).ok())
                .collect()
        })
        .unwrap_or_default();
    Ok(LeadScoreOut {
        lead_id: l.id,
        score: l.score,
        matched,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ScoringOperator::*;

    #[test]
    fn text_compares_case_insensitively_and_ne_matches_a_missing_value() {
        assert!(matches(
            Shape::Text,
            Eq,
            Some(&json!("Web")),
            Some(&json!("web"))
        ));
        assert!(matches(
            Shape::Text,
            Contains,
            Some(&json!("ada@Example.com")),
            Some(&json!("example"))
        ));
        assert!(matches(Shape::Text, Ne, None, Some(&json!("web"))));
        assert!(!matches(Shape::Text, Eq, None, Some(&json!("web"))));
        assert!(matches(Shape::Text, IsNotSet, Some(&json!("")), None));
    }

    #[test]
    fn numbers_money_and_dates_compare_by_value() {
        assert!(matches(
            Shape::Money,
            Gte,
            Some(&json!("10000.00")),
            Some(&json!("10000"))
        ));
        assert!(!matches(
            Shape::Money,
            Gt,
            Some(&json!("9.99")),
            Some(&json!("10"))
        ));
        assert!(matches(
            Shape::Decimal,
            Lt,
            Some(&json!("2.5")),
            Some(&json!("10"))
        ));
        assert!(matches(Shape::Count, Gte, Some(&json!(3)), Some(&json!(2))));
        assert!(matches(
            Shape::Date,
            Lt,
            Some(&json!("2026-01-31")),
            Some(&json!("2026-02-01"))
        ));
        assert!(matches(
            Shape::Number,
            In,
            Some(&json!(7)),
            Some(&json!([5, 7]))
        ));
    }

    #[test]
    fn multi_select_contains_one_option() {
        assert!(matches(
            Shape::MultiSelect,
            Contains,
            Some(&json!(["a", "b"])),
            Some(&json!("b"))
        ));
        assert!(!matches(
            Shape::MultiSelect,
            Contains,
            Some(&json!(["a"])),
            Some(&json!("b"))
        ));
    }
}
