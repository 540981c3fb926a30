//! Activities: notes, calls, emails, meetings, text messages and tasks,
//! linked to leads, contacts, customers and deals.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::{
    apply_patch,
    modules::crm::entities::{ActivityKind, Direction, activity},
    platform::tenant::trimmed,
};

/// An activity.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityOut {
    /// Id.
    pub id: Uuid,
    /// What it records.
    pub kind: ActivityKind,
    /// Which way the communication went (calls, emails, meetings and text messages only).
    pub direction: Option<Direction>,
    /// Subject line.
    pub subject: String,
    /// Text (notes, minutes, the message).
    pub body: String,
    /// When it is due.
    pub due_at: Option<DateTime<Utc>>,
    /// Done.
    pub done: bool,
    /// When it was marked done (`null` while open).
    pub done_at: Option<DateTime<Utc>>,
    /// The member it is assigned to.
    pub assignee_id: Option<Uuid>,
    /// The lead it concerns.
    pub lead_id: Option<Uuid>,
    /// The contact it concerns.
    pub contact_id: Option<Uuid>,
    /// The customer it concerns (the contact's customer unless given).
    pub customer_id: Option<Uuid>,
    /// The deal it concerns.
    pub deal_id: Option<Uuid>,
    /// Who logged it.
    pub created_by: Option<Uuid>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Version (ETag).
    pub version: i32,
}

/// `POST /activities`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "call", "direction": "outbound", "subject": "Discovery call about the warehouse rollout",
    "body": "Walked through the pilot plan; they want a quote for three sites.",
    "due_at": "2026-12-15T10:00:00Z", "done": false
}))]
pub struct ActivityIn {
    /// What it records: note, call, email, meeting, sms or task.
    pub kind: ActivityKind,
    /// `inbound` or `outbound`; only for call, email, meeting and sms.
    pub direction: Option<Direction>,
    /// Subject line.
    #[validate(length(min = 1, max = 300))]
    #[schema(
        min_length = 1,
        max_length = 300,
        example = "Discovery call about the warehouse rollout"
    )]
    pub subject: String,
    /// Text (default empty).
    #[serde(default)]
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    pub body: String,
    /// When it is due.
    pub due_at: Option<DateTime<Utc>>,
    /// Already done (stamps `done_at`).
    #[serde(default)]
    pub done: bool,
    /// An active member; a task without one is assigned to the caller.
    pub assignee_id: Option<Uuid>,
    /// A lead of the organization.
    pub lead_id: Option<Uuid>,
    /// A contact of the organization.
    pub contact_id: Option<Uuid>,
    /// A customer of the organization (the contact's customer when absent).
    pub customer_id: Option<Uuid>,
    /// A deal of the organization.
    pub deal_id: Option<Uuid>,
}

/// `PATCH /activities/{id}`: `null` clears a nullable field.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "done": true, "body": "Quote sent; follow up next week." }))]
pub struct ActivityPatch {
    /// New kind (a direction must still fit it).
    pub kind: Option<ActivityKind>,
    /// New direction (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<Direction>)]
    pub direction: Option<Option<Direction>>,
    /// New subject.
    #[validate(length(min = 1, max = 300))]
    #[schema(min_length = 1, max_length = 300)]
    pub subject: Option<String>,
    /// New text.
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    pub body: Option<String>,
    /// New due time (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub due_at: Option<Option<DateTime<Utc>>>,
    /// `true` marks it done (stamps `done_at`), `false` reopens it (clears `done_at`).
    pub done: Option<bool>,
    /// New assignee, an active member (`null` unassigns; a task goes back to its creator).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    /// New lead (`null` unlinks).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub lead_id: Option<Option<Uuid>>,
    /// New contact (`null` unlinks); its customer is taken unless `customer_id` is given.
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub contact_id: Option<Option<Uuid>>,
    /// New customer (`null` unlinks).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub customer_id: Option<Option<Uuid>>,
    /// New deal (`null` unlinks).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub deal_id: Option<Option<Uuid>>,
}

// `done` stays out: the service sets `done_at` with it.
apply_patch!(ActivityPatch => activity::ActiveModel {
    kind, direction, subject => trimmed, body, due_at, assignee_id, lead_id, contact_id, customer_id, deal_id,
});

/// How `GET /activities` is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
pub enum ActivitySort {
    /// Newest first (the default without a due window).
    #[serde(rename = "-created_at")]
    CreatedAtDesc,
    /// Oldest first.
    #[serde(rename = "created_at")]
    CreatedAt,
    /// Soonest due first, undated last (the default with `due_before` or `due_after`).
    #[serde(rename = "due_at")]
    DueAt,
}

/// Filters of `GET /activities`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ActivityFilter {
    /// Assigned to this member, or `me` (the caller).
    #[validate(custom(function = "super::user_ref"))]
    #[param(
        pattern = "^(me|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$",
        example = "me"
    )]
    pub assignee: Option<String>,
    /// Done (`true`) or open (`false`).
    pub done: Option<bool>,
    /// Due strictly before this time.
    pub due_before: Option<DateTime<Utc>>,
    /// Due at or after this time.
    pub due_after: Option<DateTime<Utc>>,
    /// Only this kind.
    pub kind: Option<ActivityKind>,
    /// Linked to this lead.
    pub lead: Option<Uuid>,
    /// Linked to this contact.
    pub contact: Option<Uuid>,
    /// Linked to this customer.
    pub customer: Option<Uuid>,
    /// Linked to this deal.
    pub deal: Option<Uuid>,
    /// `-created_at` (default), `created_at` or `due_at` (the default when `due_before` or `due_after` is given).
    #[param(example = "due_at", inline)]
    pub sort: Option<ActivitySort>,
    /// Rows per page (1 to 200, default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl From<activity::Model> for ActivityOut {
    fn from(m: activity::Model) -> Self {
        Self {
            id: m.id,
            kind: m.kind,
            direction: m.direction,
            subject: m.subject,
            body: m.body,
            due_at: m.due_at,
            done: m.done,
            done_at: m.done_at,
            assignee_id: m.assignee_id,
            lead_id: m.lead_id,
            contact_id: m.contact_id,
            customer_id: m.customer_id,
            deal_id: m.deal_id,
            created_by: m.created_by,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}
