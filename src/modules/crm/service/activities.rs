//! Activities: the communication inbox (notes, calls, emails, meetings, text
//! messages) and the to-do list (tasks), linked to leads, contacts, customers
//! and deals. Every write that touches a lead rescores it in the same
//! transaction; logging one appends to the customer's and contact's timeline.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, QueryFilter,
    QueryOrder, QuerySelect, Set, sea_query::NullOrdering,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{Subjects, check_member, record_timeline, scoring::rescore_lead};
use crate::{
    modules::crm::{
        dto::*,
        entities::{ActivityKind, Direction, activity, contact, customer, deal, lead},
    },
    platform::{
        error::FieldError,
        pagination::{Page, decode_cursor},
        prelude::*,
    },
};

/// The links of an activity to other CRM records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Links {
    /// The lead.
    pub lead_id: Option<Uuid>,
    /// The contact.
    pub contact_id: Option<Uuid>,
    /// The customer.
    pub customer_id: Option<Uuid>,
    /// The deal.
    pub deal_id: Option<Uuid>,
}

/// 422 naming `direction` when one is given for a kind that has none (only
/// communications go one way or the other).
pub fn check_direction(kind: ActivityKind, direction: Option<Direction>) -> Result<(), AppError> {
    let directed = matches!(
        kind,
        ActivityKind::Call | ActivityKind::Email | ActivityKind::Meeting | ActivityKind::Sms
    );
    if direction.is_some() && !directed {
        return Err(AppError::invalid_field(
            "direction",
            "not_allowed",
            format!(
                "a {} has no direction; only calls, emails, meetings and text messages do (send null)",
                kind.as_str()
            ),
        ));
    }
    Ok(())
}

/// Checks the named links in one go (422 naming every field that is not the
/// organization's) and, when a contact is named but `customer_given` is
/// false, fills the customer from the contact, so that the customer's
/// timeline shows the activity. Links that are `None` are not checked.
pub async fn check_links(
    conn: &impl ConnectionTrait,
    org: Uuid,
    mut links: Links,
    customer_given: bool,
) -> Result<Links, AppError> {
    let mut errors = Vec::new();
    let mut missing = |field: &str, what: &str| {
        errors.push(FieldError::new(
            field,
            "not_found",
            format!("is not a {what} of this organization"),
        ));
    };
    if let Some(id) = links.lead_id
        && tenant::find_optional::<lead::Entity>(conn, org, id)
            .await?
            .is_none()
    {
        missing("lead_id", "lead");
    }
    if let Some(id) = links.contact_id {
        match tenant::find_optional::<contact::Entity>(conn, org, id).await? {
            Some(c) if !customer_given && c.customer_id.is_some() => {
                links.customer_id = c.customer_id
            }
            Some(_) => {}
            None => missing("contact_id", "contact"),
        }
    }
    if let Some(id) = links.customer_id
        && tenant::find_optional::<customer::Entity>(conn, org, id)
            .await?
            .is_none()
    {
        missing("customer_id", "customer");
    }
    if let Some(id) = links.deal_id
        && tenant::find_optional::<deal::Entity>(conn, org, id)
            .await?
            .is_none()
    {
        missing("deal_id", "deal");
    }
    if errors.is_empty() {
        Ok(links)
    } else {
        Err(AppError::validation(errors))
    }
}

/// Rescores each distinct lead named (the old and the new lead of a
/// change), in ascending id order: rescoring locks each lead, and a rule
/// change locks the organization's leads in that order too, so two
/// transactions never wait on each other's leads in a cycle.
async fn rescore(
    conn: &impl ConnectionTrait,
    org: Uuid,
    leads: [Option<Uuid>; 2],
) -> Result<(), AppError> {
    let mut ids: Vec<Uuid> = leads.into_iter().flatten().collect();
    ids.sort();
    ids.dedup();
    for id in ids {
        rescore_lead(conn, org, id).await?;
    }
    Ok(())
}

/// `GET /activities/{id}`.
pub async fn get(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<ActivityOut, AppError> {
    tenant::find::<activity::Entity>(conn, org, id)
        .await
        .map(ActivityOut::from)
}

/// `POST /activities`: links checked, a task without an assignee assigned to
/// the caller, the lead rescored and the timeline appended, all in one
/// transaction.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn create(
    state: &AppState,
    p: &Principal,
    input: &ActivityIn,
) -> Result<ActivityOut, AppError> {
    let org = p.organization_id;
    check_direction(input.kind, input.direction)?;
    let tx = begin_write(&state.db).await?;
    check_member(&tx, org, input.assignee_id, "assignee_id").await?;
    let given = Links {
        lead_id: input.lead_id,
        contact_id: input.contact_id,
        customer_id: input.customer_id,
        deal_id: input.deal_id,
    };
    let links = check_links(&tx, org, given, input.customer_id.is_some()).await?;
    let assignee_id = match input.assignee_id {
        None if input.kind == ActivityKind::Task => Some(p.user_id),
        other => other,
    };
    let now = Utc::now();
    let m = activity::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org),
        kind: Set(input.kind),
        direction: Set(input.direction),
        subject: Set(input.subject.trim().to_string()),
        body: Set(input.body.clone()),
        due_at: Set(input.due_at),
        done: Set(input.done),
        done_at: Set(input.done.then_some(now)),
        assignee_id: Set(assignee_id),
        lead_id: Set(links.lead_id),
        contact_id: Set(links.contact_id),
        customer_id: Set(links.customer_id),
        deal_id: Set(links.deal_id),
        created_by: Set(Some(p.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    rescore(&tx, org, [m.lead_id, None]).await?;
    let subjects = Subjects {
        customer_id: m.customer_id,
        contact_id: m.contact_id,
        lead_id: m.lead_id,
        deal_id: m.deal_id,
    };
    let details = json!({
        "activity_kind": m.kind, "subject": m.subject, "direction": m.direction, "due_at": m.due_at,
    });
    record_timeline(
        &tx,
        org,
        subjects,
        "activity",
        Some(m.id),
        details,
        Some(p.user_id),
    )
    .await?;
    audit::record(&tx, AuditEntry::by(p, "crm.activity.created", "activity", m.id, json!({
        "kind": m.kind, "subject": m.subject, "assignee_id": m.assignee_id, "lead_id": m.lead_id,
        "contact_id": m.contact_id, "customer_id": m.customer_id, "deal_id": m.deal_id,
    }))).await?;
    tx.commit().await?;
    Ok(m.into())
}

/// The write a PATCH makes of `current`: the body's fields plus what follows
/// from them (`done_at`, a task's fallback assignee, the contact's customer).
async fn patch_changes(
    conn: &impl ConnectionTrait,
    p: &Principal,
    current: &activity::Model,
    patch: &ActivityPatch,
) -> Result<activity::ActiveModel, AppError> {
    let org = p.organization_id;
    let kind = patch.kind.unwrap_or(current.kind);
    check_direction(kind, patch.direction.unwrap_or(current.direction))?;
    if let Some(Some(a)) = patch.assignee_id {
        check_member(conn, org, Some(a), "assignee_id").await?;
    }
    let named = Links {
        lead_id: patch.lead_id.flatten(),
        contact_id: patch.contact_id.flatten(),
        customer_id: patch.customer_id.flatten(),
        deal_id: patch.deal_id.flatten(),
    };
    let links = check_links(conn, org, named, patch.customer_id.is_some()).await?;
    let mut changes = patch.changes();
    if patch.customer_id.is_none() && links.customer_id.is_some() {
        changes.customer_id = Set(links.customer_id);
    }
    let assignee = patch.assignee_id.unwrap_or(current.assignee_id);
    if (patch.kind.is_some() || patch.assignee_id.is_some())
        && kind == ActivityKind::Task
        && assignee.is_none()
    {
        changes.assignee_id = Set(current.created_by);
    }
    match patch.done {
        Some(true) if !current.done => {
            changes.done = Set(true);
            changes.done_at = Set(Some(Utc::now()));
        }
        Some(false) => {
            changes.done = Set(false);
            changes.done_at = Set(None);
        }
        // Already done: the first `done_at` stays.
        _ => {}
    }
    Ok(changes)
}

/// 409 when the row moved between the read a write was decided on and the
/// write itself (only without `If-Match`; with it the answer is 412).
fn unchanged_since(current: &activity::Model) -> Guard<activity::Model> {
    Guard::new(
        activity::Column::Version.eq(current.version),
        |_: &activity::Model| {
            AppError::conflict(
                "concurrent_change",
                "The activity changed while this request ran; reload it and retry.",
            )
        },
    )
}

/// `[before, after]` of every field that changed (the body's text is not
/// copied into the audit trail, only that it changed).
fn changed_fields(before: &activity::Model, after: &activity::Model) -> Value {
    let (b, a) = (
        json!(ActivityOut::from(before.clone())),
        json!(ActivityOut::from(after.clone())),
    );
    let mut out = Map::new();
    for key in [
        "kind",
        "direction",
        "subject",
        "due_at",
        "done",
        "assignee_id",
        "lead_id",
        "contact_id",
        "customer_id",
        "deal_id",
    ] {
        if b[key] != a[key] {
            out.insert(key.to_string(), json!([b[key], a[key]]));
        }
    }
    if before.body != after.body {
        out.insert("body_changed".into(), json!(true));
    }
    Value::Object(out)
}

/// `PATCH /activities/{id}`. Derived fields are decided on the row as read,
/// so the write is also conditional on that row's version.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn patch(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    patch: &ActivityPatch,
    if_match: Option<i32>,
) -> Result<ActivityOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let current = tenant::find::<activity::Entity>(&tx, org, id).await?;
    let changes = patch_changes(&tx, p, &current, patch).await?;
    let guard = unchanged_since(&current);
    let updated = tenant::update::<activity::Entity>(
        &tx,
        Target::new(org, id, if_match),
        changes,
        Some(guard),
    )
    .await?;
    rescore(&tx, org, [current.lead_id, updated.lead_id]).await?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "crm.activity.updated",
            "activity",
            id,
            changed_fields(&current, &updated),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(updated.into())
}

/// `DELETE /activities/{id}`: removed (its timeline entry stays), its lead
/// rescored.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn delete(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    if_match: Option<i32>,
) -> Result<(), AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let current = tenant::find::<activity::Entity>(&tx, org, id).await?;
    // The lead to rescore is the one read: the guard makes sure it still is.
    tenant::delete::<activity::Entity>(
        &tx,
        Target::new(org, id, if_match),
        Some(unchanged_since(&current)),
    )
    .await?;
    rescore(&tx, org, [current.lead_id, None]).await?;
    audit::record(&tx, AuditEntry::by(p, "crm.activity.deleted", "activity", id, json!({
        "kind": current.kind, "subject": current.subject, "lead_id": current.lead_id,
        "contact_id": current.contact_id, "customer_id": current.customer_id, "deal_id": current.deal_id,
    }))).await?;
    tx.commit().await?;
    Ok(())
}

/// The cursor of a `due_at` page: the last row's due time and id.
type DueKey = (Option<DateTime<Utc>>, Uuid);

/// The rows after `(due, id)` in `due_at, id` order, undated rows last
/// (`undated_follow` is false inside a due window, which has none). The
/// `due_at >=` bound lets the index range start at the cursor.
fn after_due((due, id): DueKey, undated_follow: bool) -> Condition {
    use activity::Column as C;
    match due {
        Some(t) => {
            let dated = Condition::all()
                .add(C::DueAt.gte(t))
                .add(Condition::any().add(C::DueAt.gt(t)).add(C::Id.gt(id)));
            if undated_follow {
                Condition::any().add(dated).add(C::DueAt.is_null())
            } else {
                dated
            }
        }
        None => Condition::all().add(C::DueAt.is_null()).add(C::Id.gt(id)),
    }
}

/// The filters of `GET /activities` as one condition; `me` is the caller.
fn list_condition(org: Uuid, me: Uuid, f: &ActivityFilter) -> Result<Condition, AppError> {
    use activity::Column as C;
    let mut cond = Condition::all().add(C::OrganizationId.eq(org));
    if let Some(a) = f.assignee.as_deref() {
        let user = super::user_of(a, me, "assignee")?;
        cond = cond.add(C::AssigneeId.eq(user));
    }
    if let Some(d) = f.done {
        cond = cond.add(C::Done.eq(d));
    }
    if let Some(t) = f.due_before {
        cond = cond.add(C::DueAt.lt(t));
    }
    if let Some(t) = f.due_after {
        cond = cond.add(C::DueAt.gte(t));
    }
    if let Some(k) = f.kind {
        cond = cond.add(C::Kind.eq(k));
    }
    for (col, id) in [
        (C::LeadId, f.lead),
        (C::ContactId, f.contact),
        (C::CustomerId, f.customer),
        (C::DealId, f.deal),
    ] {
        if let Some(id) = id {
            cond = cond.add(col.eq(id));
        }
    }
    Ok(cond)
}

/// `GET /activities`: newest first by default; soonest due first with
/// `sort=due_at` or a due window (`due_before`/`due_after`, which then reads
/// the `(organization_id, assignee_id, done, due_at)` index in order).
/// Keyset pagination, one query per page.
pub async fn list(
    conn: &impl ConnectionTrait,
    org: Uuid,
    me: Uuid,
    f: &ActivityFilter,
) -> Result<Page<ActivityOut>, AppError> {
    use activity::Column as C;
    let limit = f.limit.unwrap_or(50).clamp(1, 200);
    let window = f.due_before.is_some() || f.due_after.is_some();
    let sort = f.sort.unwrap_or(if window {
        ActivitySort::DueAt
    } else {
        ActivitySort::CreatedAtDesc
    });
    let mut cond = list_condition(org, me, f)?;
    let mut query = activity::Entity::find();
    match sort {
        ActivitySort::CreatedAtDesc | ActivitySort::CreatedAt => {
            let desc = sort == ActivitySort::CreatedAtDesc;
            if let Some(c) = &f.cursor {
                let after: Uuid = decode_cursor(c)?;
                cond = cond.add(if desc {
                    C::Id.lt(after)
                } else {
                    C::Id.gt(after)
                });
            }
            query = query.order_by(C::Id, if desc { Order::Desc } else { Order::Asc });
        }
        ActivitySort::DueAt => {
            if let Some(c) = &f.cursor {
                cond = cond.add(after_due(decode_cursor(c)?, !window));
            }
            // A window excludes undated rows, and the plain order is the
            // index's order on both backends.
            query = if window {
                query.order_by_asc(C::DueAt)
            } else {
                query.order_by_with_nulls(C::DueAt, Order::Asc, NullOrdering::Last)
            };
            query = query.order_by_asc(C::Id);
        }
    }
    let rows = query.filter(cond).limit(limit + 1).all(conn).await?;
    Ok(match sort {
        ActivitySort::DueAt => Page::from_rows(rows, limit, |r| (r.due_at, r.id)),
        _ => Page::from_rows(rows, limit, |r| r.id),
    }
    .map(ActivityOut::from))
}
