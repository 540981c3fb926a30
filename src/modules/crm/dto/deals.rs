//! Pipelines with their stages, lost reasons, deals, their stage history,
//! the board and the forecast.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::{FieldValue, currency_code};
use crate::{
    apply_patch,
    modules::crm::entities::{StageKind, deal, lost_reason, pipeline, stage},
    platform::{money::Amount, tenant::trimmed},
};

// ---- pipelines and stages ----

/// A stage of a pipeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageOut {
    /// Id.
    pub id: Uuid,
    /// Name, unique in the pipeline.
    pub name: String,
    /// Board order (0 first).
    pub position: i32,
    /// Win probability in percent, weighting the board and the forecast.
    pub probability: i32,
    /// `open`, `won` or `lost`: the status of the deals in it.
    pub kind: StageKind,
}

/// A sales pipeline with its stages in board order.
#[derive(Debug, Serialize, ToSchema)]
pub struct PipelineOut {
    /// Id.
    pub id: Uuid,
    /// Name, unique in the organization.
    pub name: String,
    /// New deals without a pipeline go here; exactly one pipeline is the default.
    pub is_default: bool,
    /// Archived pipelines take no new deals.
    pub active: bool,
    /// The stages, in board order.
    pub stages: Vec<StageOut>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change (of the pipeline or one of its stages).
    pub updated_at: DateTime<Utc>,
    /// Version (ETag); every stage change moves it too.
    pub version: i32,
}

/// A stage of a new pipeline, or one added to a pipeline (`Serialize`:
/// the validator quotes the list of stages in its errors).
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "name": "Demo scheduled", "probability": 40, "kind": "open" }))]
pub struct StageIn {
    /// Name, unique in the pipeline.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "Demo scheduled")]
    pub name: String,
    /// Win probability in percent (0 to 100).
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100, example = 40)]
    pub probability: i32,
    /// `open`, `won` or `lost`.
    pub kind: StageKind,
    /// Board position (0 first) when adding to a pipeline: open stages go
    /// before the first closed stage, closed stages last when absent.
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100)]
    pub position: Option<i32>,
}

/// `POST /pipelines`: at least one open, one won and one lost stage.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Renewals",
    "stages": [
        { "name": "Up for renewal", "probability": 50, "kind": "open" },
        { "name": "Quote sent", "probability": 75, "kind": "open" },
        { "name": "Renewed", "probability": 100, "kind": "won" },
        { "name": "Churned", "probability": 0, "kind": "lost" }
    ]
}))]
pub struct PipelineIn {
    /// Name, unique in the organization.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "Renewals")]
    pub name: String,
    /// The stages in board order (names unique in the pipeline).
    #[validate(length(min = 3, max = 50), nested)]
    #[schema(min_items = 3, max_items = 50)]
    pub stages: Vec<StageIn>,
}

/// `PATCH /pipelines/{id}`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "name": "Enterprise sales", "is_default": true }))]
pub struct PipelinePatch {
    /// New name.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// `true` makes it the default (the previous default stops being one);
    /// `false` is refused on the default: make another one the default.
    pub is_default: Option<bool>,
    /// Restore (`true`) or archive (`false`, as DELETE does).
    pub active: Option<bool>,
}

apply_patch!(PipelinePatch => pipeline::ActiveModel { name => trimmed, active });

/// `PATCH /pipelines/{id}/stages/{stage_id}`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "name": "Proposal sent", "probability": 65 }))]
pub struct StagePatch {
    /// New name (unique in the pipeline).
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// New win probability in percent (0 to 100).
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100)]
    pub probability: Option<i32>,
    /// New kind: refused while deals are in the stage, or for the last stage of its kind.
    pub kind: Option<StageKind>,
}

apply_patch!(StagePatch => stage::ActiveModel { name => trimmed, probability, kind });

/// `POST /pipelines/{id}/stages/reorder`: every stage of the pipeline, once.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "stage_ids": [
    "0193a8f0-0000-7000-8000-000000000002", "0193a8f0-0000-7000-8000-000000000001",
    "0193a8f0-0000-7000-8000-000000000003"
] }))]
pub struct StageOrder {
    /// The pipeline's stage ids in their new board order.
    #[validate(length(min = 1, max = 50))]
    #[schema(min_items = 1, max_items = 50)]
    pub stage_ids: Vec<Uuid>,
}

/// `DELETE /pipelines/{id}/stages/{stage_id}`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StageRemoval {
    /// A stage of the same pipeline to move the stage's deals to (required
    /// when it holds deals).
    pub move_to: Option<Uuid>,
}

/// Filters of `GET /pipelines`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PipelineFilter {
    /// Only active (`true`) or archived (`false`) pipelines.
    pub active: Option<bool>,
}

// ---- lost reasons ----

/// Why deals are lost.
#[derive(Debug, Serialize, ToSchema)]
pub struct LostReasonOut {
    /// Id.
    pub id: Uuid,
    /// Name, unique in the organization.
    pub name: String,
    /// Archived reasons are kept on deals but not accepted for new losses.
    pub active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Version (ETag).
    pub version: i32,
}

/// `POST /crm/lost-reasons`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "name": "Timing" }))]
pub struct LostReasonIn {
    /// Name, unique in the organization.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "Timing")]
    pub name: String,
}

/// `PATCH /crm/lost-reasons/{id}`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "name": "Bad timing" }))]
pub struct LostReasonPatch {
    /// New name.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// Restore (`true`) or archive (`false`, as DELETE does).
    pub active: Option<bool>,
}

apply_patch!(LostReasonPatch => lost_reason::ActiveModel { name => trimmed, active });

/// Filters of `GET /crm/lost-reasons`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LostReasonFilter {
    /// Only active (`true`) or archived (`false`) reasons.
    pub active: Option<bool>,
}

// ---- deals ----

/// A deal: an opportunity in a stage of a pipeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct DealOut {
    /// Id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// The customer.
    pub customer_id: Option<Uuid>,
    /// The contact.
    pub contact_id: Option<Uuid>,
    /// The pipeline (fixed).
    pub pipeline_id: Uuid,
    /// The current stage (changed by `POST /deals/{id}/move`).
    pub stage_id: Uuid,
    /// The kind of its stage: `open`, `won` or `lost`.
    pub status: StageKind,
    /// Value.
    pub amount: Amount,
    /// ISO 4217 currency of `amount`.
    pub currency: String,
    /// Expected close date (the forecast's month).
    pub expected_close_date: Option<NaiveDate>,
    /// Owner (a member).
    pub owner_id: Option<Uuid>,
    /// Why it was lost (lost deals).
    pub lost_reason_id: Option<Uuid>,
    /// The lead it was converted from.
    pub lead_id: Option<Uuid>,
    /// Custom field values by key.
    #[schema(value_type = HashMap<String, FieldValue>)]
    pub custom_fields: Value,
    /// When it was won or lost; `null` while open.
    pub closed_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Version (ETag).
    pub version: i32,
}

/// `POST /deals`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "Acme rollout, 40 seats", "amount": "12500.00", "currency": "EUR",
    "expected_close_date": "2026-03-31", "custom_fields": {}
}))]
pub struct DealIn {
    /// Title.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "Acme rollout, 40 seats")]
    pub title: String,
    /// The customer (of this organization).
    pub customer_id: Option<Uuid>,
    /// The contact (of this organization).
    pub contact_id: Option<Uuid>,
    /// The pipeline; the default pipeline when absent.
    pub pipeline_id: Option<Uuid>,
    /// The stage (open or won; a deal is lost through a move); the
    /// pipeline's first open stage when absent.
    pub stage_id: Option<Uuid>,
    /// Value (not negative; default 0).
    #[serde(default)]
    pub amount: Amount,
    /// ISO 4217 currency code in capitals.
    #[validate(custom(function = "currency_code"))]
    #[schema(
        min_length = 3,
        max_length = 3,
        pattern = "^[A-Z]{3}$",
        example = "EUR"
    )]
    pub currency: String,
    /// Expected close date.
    pub expected_close_date: Option<NaiveDate>,
    /// Owner (an active member); the caller when absent.
    pub owner_id: Option<Uuid>,
    /// Custom field values by key (definitions for `deal`).
    #[schema(value_type = Option<HashMap<String, FieldValue>>)]
    pub custom_fields: Option<Map<String, Value>>,
}

/// `PATCH /deals/{id}`: the stage changes only through a move.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "amount": "14000.00", "expected_close_date": "2026-04-30" }))]
pub struct DealPatch {
    /// New title.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    /// New customer (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub customer_id: Option<Option<Uuid>>,
    /// New contact (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub contact_id: Option<Option<Uuid>>,
    /// New value (not negative).
    pub amount: Option<Amount>,
    /// New currency.
    #[validate(custom(function = "currency_code"))]
    #[schema(min_length = 3, max_length = 3, pattern = "^[A-Z]{3}$")]
    pub currency: Option<String>,
    /// New expected close date (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub expected_close_date: Option<Option<NaiveDate>>,
    /// New owner (`null`: nobody).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub owner_id: Option<Option<Uuid>>,
    /// Custom field values to set (`null` removes one); others stay.
    #[schema(value_type = Option<HashMap<String, FieldValue>>)]
    pub custom_fields: Option<Map<String, Value>>,
}

apply_patch!(DealPatch => deal::ActiveModel {
    title => trimmed, customer_id, contact_id, amount, currency, expected_close_date, owner_id,
});

/// `POST /deals/{id}/move`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "stage_id": "0193a8f0-0000-7000-8000-000000000005", "lost_reason_id": null }))]
pub struct DealMove {
    /// The target stage, of the deal's pipeline.
    pub stage_id: Uuid,
    /// An active lost reason: required for a lost stage, refused otherwise.
    pub lost_reason_id: Option<Uuid>,
}

/// How `GET /deals` is ordered: a key, `-` first for descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema)]
pub enum DealSort {
    /// Newest first (the default).
    #[default]
    #[serde(rename = "-created_at")]
    CreatedAtDesc,
    /// Oldest first.
    #[serde(rename = "created_at")]
    CreatedAt,
    /// Smallest amount first (amounts in different currencies compare as numbers).
    #[serde(rename = "amount")]
    Amount,
    /// Largest amount first.
    #[serde(rename = "-amount")]
    AmountDesc,
}

/// Filters of `GET /deals` (plus `cf.<key>=` custom-field filters).
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DealFilter {
    /// Only this pipeline.
    pub pipeline: Option<Uuid>,
    /// Only this stage.
    pub stage: Option<Uuid>,
    /// `open`, `won` or `lost`.
    pub status: Option<StageKind>,
    /// Only this customer's deals.
    pub customer: Option<Uuid>,
    /// Only this contact's deals.
    pub contact: Option<Uuid>,
    /// Only deals owned by this user (`me`: the caller).
    #[validate(custom(function = "super::user_ref"))]
    #[param(
        pattern = "^(me|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$",
        example = "me"
    )]
    pub owner: Option<String>,
    /// Expected close date on or after.
    pub close_from: Option<NaiveDate>,
    /// Expected close date on or before.
    pub close_to: Option<NaiveDate>,
    /// Title contains (case-insensitive).
    #[validate(length(min = 1, max = 200))]
    #[param(min_length = 1, max_length = 200)]
    pub q: Option<String>,
    /// `-created_at` (default), `created_at`, `amount` or `-amount`.
    #[param(example = "-amount", inline)]
    pub sort: Option<DealSort>,
    /// Rows per page (1 to 200, default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One move of a deal between stages.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageChangeOut {
    /// Id.
    pub id: Uuid,
    /// The stage it left (`null` when the deal was opened).
    pub from_stage_id: Option<Uuid>,
    /// That stage's name (`null` when opened, or the stage was deleted since).
    pub from_stage_name: Option<String>,
    /// The stage it entered.
    pub to_stage_id: Uuid,
    /// That stage's name (`null` if the stage was deleted since).
    pub to_stage_name: Option<String>,
    /// When.
    pub moved_at: DateTime<Utc>,
    /// Who moved it.
    pub moved_by: Option<Uuid>,
}

// ---- board and forecast ----

/// The deals of one stage in one currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct BoardTotal {
    /// ISO 4217 currency.
    pub currency: String,
    /// Sum of the amounts.
    pub amount: Amount,
    /// `amount x probability / 100`, rounded half-up to 4 decimals.
    pub weighted: Amount,
}

/// One column of the board.
#[derive(Debug, Serialize, ToSchema)]
pub struct BoardStage {
    /// The stage.
    pub stage_id: Uuid,
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: StageKind,
    /// Its win probability in percent.
    pub probability: i32,
    /// Deals in it.
    pub count: i64,
    /// Their sums by currency (ordered by currency).
    pub totals: Vec<BoardTotal>,
}

/// `GET /pipelines/{id}/board`: the stages in board order with their deals' sums.
#[derive(Debug, Serialize, ToSchema)]
pub struct BoardOut {
    /// The pipeline.
    pub pipeline_id: Uuid,
    /// Its name.
    pub name: String,
    /// The columns, in board order.
    pub stages: Vec<BoardStage>,
    /// The board's version (ETag): grows with every change of the pipeline,
    /// its stages or its deals.
    pub version: i64,
}

/// `GET /deals/forecast`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ForecastQuery {
    /// First expected close date included (default: the first day of the
    /// current month).
    pub from: Option<NaiveDate>,
    /// Last expected close date included, on or after `from` (default: the
    /// last day of the eleventh month after `from`'s, so twelve months).
    pub to: Option<NaiveDate>,
    /// Only this pipeline.
    pub pipeline: Option<Uuid>,
    /// Only deals owned by this user (`me`: the caller).
    #[validate(custom(function = "super::user_ref"))]
    #[param(
        pattern = "^(me|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$",
        example = "me"
    )]
    pub owner: Option<String>,
}

/// Open deals expected to close in one month, for one owner and currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct ForecastRow {
    /// `YYYY-MM`.
    #[schema(example = "2026-03")]
    pub month: String,
    /// The owner (`null`: deals without one).
    pub owner_id: Option<Uuid>,
    /// ISO 4217 currency.
    pub currency: String,
    /// Deals.
    pub count: i64,
    /// Sum of their amounts.
    pub amount: Amount,
    /// Sum weighted by each deal's stage probability, rounded half-up to 4 decimals.
    pub weighted: Amount,
}

/// The forecast: rows by month, owner and currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct ForecastOut {
    /// First expected close date included.
    pub from: NaiveDate,
    /// Last expected close date included.
    pub to: NaiveDate,
    /// Ordered by month, then owner, then currency.
    pub rows: Vec<ForecastRow>,
}

// ---- conversions ----

impl From<stage::Model> for StageOut {
    fn from(m: stage::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            position: m.position,
            probability: m.probability,
            kind: m.kind,
        }
    }
}

impl PipelineOut {
    /// A pipeline with its stages (already in board order).
    pub fn of(m: pipeline::Model, stages: Vec<stage::Model>) -> Self {
        Self {
            id: m.id,
            name: m.name,
            is_default: m.is_default,
            active: m.active,
            stages: stages.into_iter().map(StageOut::from).collect(),
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

impl From<lost_reason::Model> for LostReasonOut {
    fn from(m: lost_reason::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            active: m.active,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

impl From<deal::Model> for DealOut {
    fn from(m: deal::Model) -> Self {
        Self {
            id: m.id,
            title: m.title,
            customer_id: m.customer_id,
            contact_id: m.contact_id,
            pipeline_id: m.pipeline_id,
            stage_id: m.stage_id,
            status: m.status,
            amount: m.amount,
            currency: m.currency,
            expected_close_date: m.expected_close_date,
            owner_id: m.owner_id,
            lost_reason_id: m.lost_reason_id,
            lead_id: m.lead_id,
            custom_fields: m.custom_fields,
            closed_at: m.closed_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}
