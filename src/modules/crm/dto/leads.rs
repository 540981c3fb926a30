//! Leads, their scoring rules and score explanations, and conversion.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use super::{FieldValue, currency_code};
use crate::{
    apply_patch,
    modules::crm::entities::{
        CustomerKind, LeadStatus, ScoringOperator, ScoringSubject, lead, scoring_rule,
    },
    platform::{money::Amount, tenant::trimmed},
};

/// A lead: someone who might become a customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadOut {
    /// Id.
    pub id: Uuid,
    /// Name of the person.
    pub name: String,
    /// Company they work for.
    pub company: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Where the lead came from (free text: `web`, `fair`, `referral`).
    pub source: Option<String>,
    /// Where the lead stands; `converted` leads are read-only.
    pub status: LeadStatus,
    /// The member working the lead.
    pub owner_id: Option<Uuid>,
    /// Estimated value of the business.
    pub estimated_value: Option<Amount>,
    /// Custom field values by key.
    #[schema(value_type = HashMap<String, FieldValue>)]
    pub custom_fields: Value,
    /// Sum of the points of the active scoring rules the lead matches (explained by `GET /leads/{id}/score`).
    pub score: i32,
    /// The customer the lead was converted into.
    pub converted_customer_id: Option<Uuid>,
    /// The contact the lead was converted into.
    pub converted_contact_id: Option<Uuid>,
    /// The deal opened at conversion.
    pub converted_deal_id: Option<Uuid>,
    /// When it was converted.
    pub converted_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Version (ETag); it also moves when the score changes.
    pub version: i32,
}

/// `POST /leads`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Grace Hopper", "company": "Cobol Works", "email": "grace@cobolworks.example",
    "phone": "+44 20 7946 0000", "source": "web", "status": "new", "estimated_value": "12000.00"
}))]
pub struct LeadIn {
    /// Name of the person.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "Grace Hopper")]
    pub name: String,
    /// Company.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub company: Option<String>,
    /// Email.
    #[validate(email, length(max = 254))]
    #[schema(max_length = 254, format = Email)]
    pub email: Option<String>,
    /// Phone.
    #[validate(length(min = 1, max = 40))]
    #[schema(min_length = 1, max_length = 40)]
    pub phone: Option<String>,
    /// Where the lead came from (free text).
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub source: Option<String>,
    /// `new` (default), `contacted`, `qualified` or `unqualified`; `converted` is reached only through `POST /leads/{id}/convert`.
    #[validate(custom(function = "editable_status"))]
    pub status: Option<LeadStatus>,
    /// The member working the lead (an active member).
    pub owner_id: Option<Uuid>,
    /// Estimated value (not negative).
    #[validate(custom(function = "not_negative"))]
    pub estimated_value: Option<Amount>,
    /// Custom field values by key (the lead's definitions).
    #[schema(value_type = Option<HashMap<String, FieldValue>>)]
    pub custom_fields: Option<Map<String, Value>>,
}

/// `PATCH /leads/{id}`: refused with 409 `lead_converted` once converted.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "status": "qualified", "estimated_value": "15000.00", "phone": null }))]
pub struct LeadPatch {
    /// New name.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// New company (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[validate(length(min = 1, max = 200))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200)]
    pub company: Option<Option<String>>,
    /// New email (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[validate(email, length(max = 254))]
    #[schema(value_type = Option<String>, max_length = 254, format = Email)]
    pub email: Option<Option<String>>,
    /// New phone (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[validate(length(min = 1, max = 40))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 40)]
    pub phone: Option<Option<String>>,
    /// New source (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[validate(length(min = 1, max = 64))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 64)]
    pub source: Option<Option<String>>,
    /// New status: `new`, `contacted`, `qualified` or `unqualified` (`converted` only through conversion).
    #[validate(custom(function = "editable_status"))]
    pub status: Option<LeadStatus>,
    /// New owner (an active member; `null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub owner_id: Option<Option<Uuid>>,
    /// New estimated value (not negative; `null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[validate(custom(function = "not_negative"))]
    #[schema(value_type = Option<Amount>)]
    pub estimated_value: Option<Option<Amount>>,
    /// Custom field values to set (`null` removes one); other keys keep their values.
    #[schema(value_type = Option<HashMap<String, FieldValue>>)]
    pub custom_fields: Option<Map<String, Value>>,
}

apply_patch!(LeadPatch => lead::ActiveModel {
    name => trimmed, company => trimmed_opt, email => trimmed_opt, phone => trimmed_opt,
    source => trimmed_opt, status, owner_id, estimated_value,
});

/// How `GET /leads` is ordered: a key, `-` first for descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema)]
pub enum LeadSort {
    /// Newest first (the default).
    #[default]
    #[serde(rename = "-created_at")]
    CreatedAtDesc,
    /// Oldest first.
    #[serde(rename = "created_at")]
    CreatedAt,
    /// Lowest score first.
    #[serde(rename = "score")]
    Score,
    /// Highest score first.
    #[serde(rename = "-score")]
    ScoreDesc,
}

/// Filters of `GET /leads` (plus `cf.<key>=value`, `cf.<key>_gte=value`, ... on custom fields).
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LeadFilter {
    /// Only this status.
    pub status: Option<LeadStatus>,
    /// Owned by this member, or `me` (the caller).
    #[validate(custom(function = "super::user_ref"))]
    #[param(
        pattern = "^(me|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$",
        example = "me"
    )]
    pub owner: Option<String>,
    /// Only this source (exact).
    #[validate(length(min = 1, max = 64))]
    #[param(min_length = 1, max_length = 64)]
    pub source: Option<String>,
    /// Name, company or email contains (case-insensitive).
    #[validate(length(max = 200))]
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Score at least this.
    pub min_score: Option<i32>,
    /// `-created_at` (default), `created_at`, `score` or `-score`.
    #[param(example = "-score", inline)]
    pub sort: Option<LeadSort>,
    /// Rows per page (1 to 200, default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A lead's score and the rules that make it up.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadScoreOut {
    /// The lead.
    pub lead_id: Uuid,
    /// The stored score: the sum of `matched[].points`.
    pub score: i32,
    /// The active rules the lead matched when it was last scored.
    pub matched: Vec<MatchedRuleOut>,
}

/// One rule a lead matched, with the rule's current description.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MatchedRuleOut {
    /// The rule.
    pub rule_id: Uuid,
    /// Its name.
    pub name: String,
    /// What it looks at.
    pub subject: ScoringSubject,
    /// The field, custom field key or activity kind.
    pub field: String,
    /// How it compares.
    pub operator: ScoringOperator,
    /// What it compares with.
    #[schema(value_type = Option<FieldValue>, example = json!("web"))]
    pub value: Option<Value>,
    /// The points it gave.
    pub points: i32,
}

/// A lead scoring rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoringRuleOut {
    /// Id.
    pub id: Uuid,
    /// Name (shown in score explanations).
    pub name: String,
    /// What the rule looks at.
    pub subject: ScoringSubject,
    /// For `field`: source, status, company, email, phone, estimated_value or owner_id; for `custom_field`: a lead custom field key; for `activity_count`: an activity kind or `any`.
    pub field: String,
    /// How it compares.
    pub operator: ScoringOperator,
    /// What it compares with (`null` for `is_set` and `is_not_set`; a list for `in`).
    #[schema(value_type = Option<FieldValue>, example = json!("web"))]
    pub value: Option<Value>,
    /// For `activity_count`: counts activities created in the last this many days.
    pub within_days: Option<i32>,
    /// Points a matching lead gets (negative to lower the score).
    pub points: i32,
    /// Inactive rules score nothing.
    pub active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Version (ETag).
    pub version: i32,
}

/// `POST /crm/lead-scoring-rules`. The operator must suit the field (`gte` on
/// numbers, amounts, dates and counts; `contains` on text and multi-select
/// fields), and `value` must have the field's type.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Came from the website", "subject": "field", "field": "source",
    "operator": "eq", "value": "web", "points": 10
}))]
pub struct ScoringRuleIn {
    /// Name.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "Came from the website")]
    pub name: String,
    /// What the rule looks at.
    pub subject: ScoringSubject,
    /// The lead field, custom field key, or activity kind (`any` for every kind).
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64, example = "source")]
    pub field: String,
    /// How it compares. Text compares case-insensitively; `ne` also matches a lead without a value.
    pub operator: ScoringOperator,
    /// What to compare with: the field's type (amounts and decimals as strings, dates `YYYY-MM-DD`), a list of those for `in`, absent for `is_set` and `is_not_set`, a whole number for activity counts.
    #[schema(value_type = Option<FieldValue>, example = json!("web"))]
    pub value: Option<Value>,
    /// `activity_count` only: the window in days (default 30).
    #[validate(range(min = 1, max = 3650))]
    #[schema(minimum = 1, maximum = 3650)]
    pub within_days: Option<i32>,
    /// Points a matching lead gets.
    #[validate(range(min = -1000, max = 1000))]
    #[schema(minimum = -1000, maximum = 1000, example = 10)]
    pub points: i32,
    /// Active (default `true`).
    pub active: Option<bool>,
}

/// `PATCH /crm/lead-scoring-rules/{id}`: the changed rule is checked whole,
/// and every unconverted lead is rescored.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "points": 15, "active": true }))]
pub struct ScoringRulePatch {
    /// New name.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// New subject.
    pub subject: Option<ScoringSubject>,
    /// New field.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub field: Option<String>,
    /// New operator.
    pub operator: Option<ScoringOperator>,
    /// New value (`null` clears it, for `is_set` and `is_not_set`).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<FieldValue>, example = json!("referral"))]
    pub value: Option<Option<Value>>,
    /// New window in days (`activity_count` only; `null` resets it to 30).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[validate(range(min = 1, max = 3650))]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 3650)]
    pub within_days: Option<Option<i32>>,
    /// New points.
    #[validate(range(min = -1000, max = 1000))]
    #[schema(minimum = -1000, maximum = 1000)]
    pub points: Option<i32>,
    /// Activate or deactivate.
    pub active: Option<bool>,
}

/// How `GET /crm/lead-scoring-rules` is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema)]
pub enum ScoringRuleSort {
    /// Newest first (the default).
    #[default]
    #[serde(rename = "-created_at")]
    CreatedAtDesc,
    /// Oldest first.
    #[serde(rename = "created_at")]
    CreatedAt,
}

/// Filters of `GET /crm/lead-scoring-rules`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ScoringRuleFilter {
    /// Only active (`true`) or inactive (`false`) rules.
    pub active: Option<bool>,
    /// Only this subject.
    pub subject: Option<ScoringSubject>,
    /// `-created_at` (default) or `created_at`.
    #[param(example = "created_at", inline)]
    pub sort: Option<ScoringRuleSort>,
    /// Rows per page (1 to 200, default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `POST /leads/{id}/convert`: link or create the customer and contact, and
/// optionally open a deal, in one step.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "customer": { "name": "Cobol Works Ltd", "kind": "company", "currency": "GBP" },
    "create_contact": true,
    "deal": { "title": "Cobol Works: compiler licences", "amount": "12000.00", "expected_close_date": "2027-03-31" }
}))]
pub struct LeadConvertIn {
    /// An existing customer to link instead of creating one.
    pub customer_id: Option<Uuid>,
    /// Overrides for the customer created (not with `customer_id`).
    #[validate(nested)]
    pub customer: Option<ConvertCustomerIn>,
    /// An existing contact to link instead of creating one (needed when another contact has the lead's email).
    pub contact_id: Option<Uuid>,
    /// Create a contact from the lead (default `true`; ignored with `contact_id`).
    pub create_contact: Option<bool>,
    /// Open a deal too, with these details (defaults from the lead).
    #[validate(nested)]
    pub deal: Option<ConvertDealIn>,
}

/// The customer a conversion creates: defaults come from the lead.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConvertCustomerIn {
    /// Name (default: the lead's company, else its name).
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "Cobol Works Ltd")]
    pub name: Option<String>,
    /// Kind (default: `company` when the lead has a company, else `person`).
    pub kind: Option<CustomerKind>,
    /// Currency (default: the deal's; one of the two is required).
    #[validate(custom(function = "currency_code"))]
    #[schema(
        min_length = 3,
        max_length = 3,
        pattern = "^[A-Z]{3}$",
        example = "GBP"
    )]
    pub currency: Option<String>,
    /// Custom field values of the new customer (definitions for `customer`;
    /// defaults fill the rest).
    #[schema(value_type = Option<HashMap<String, FieldValue>>)]
    pub custom_fields: Option<Map<String, Value>>,
}

/// The deal a conversion opens.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConvertDealIn {
    /// Title (default: the lead's company, else its name).
    #[validate(length(min = 1, max = 200))]
    #[schema(
        min_length = 1,
        max_length = 200,
        example = "Cobol Works: compiler licences"
    )]
    pub title: Option<String>,
    /// Pipeline (default: the organization's default pipeline).
    pub pipeline_id: Option<Uuid>,
    /// Stage (default: the pipeline's first open stage).
    pub stage_id: Option<Uuid>,
    /// Amount (default: the lead's estimated value, else 0; not negative).
    #[validate(custom(function = "not_negative"))]
    pub amount: Option<Amount>,
    /// Currency (default: the customer's).
    #[validate(custom(function = "currency_code"))]
    #[schema(
        min_length = 3,
        max_length = 3,
        pattern = "^[A-Z]{3}$",
        example = "GBP"
    )]
    pub currency: Option<String>,
    /// Expected close date.
    pub expected_close_date: Option<NaiveDate>,
    /// Custom field values of the new deal (definitions for `deal`;
    /// defaults fill the rest).
    #[schema(value_type = Option<HashMap<String, FieldValue>>)]
    pub custom_fields: Option<Map<String, Value>>,
}

/// What a conversion made.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadConversionOut {
    /// The lead, now `converted`.
    pub lead: LeadOut,
    /// The customer linked or created.
    pub customer_id: Uuid,
    /// The contact linked or created (`null` with `create_contact: false`).
    pub contact_id: Option<Uuid>,
    /// The deal opened (`null` without `deal`).
    pub deal_id: Option<Uuid>,
}

/// Trimmed optional text (PATCH fields that `null` clears).
fn trimmed_opt(s: &Option<String>) -> Option<String> {
    s.as_deref().map(trimmed)
}

/// Any status but `converted`, which only conversion sets.
fn editable_status(s: &LeadStatus) -> Result<(), ValidationError> {
    if LeadStatus::EDITABLE.contains(s) {
        Ok(())
    } else {
        Err(ValidationError::new("not_allowed")
            .with_message("`converted` is set only by POST /leads/{id}/convert".into()))
    }
}

/// Money that is not negative.
fn not_negative(a: &Amount) -> Result<(), ValidationError> {
    if a.is_negative() {
        Err(ValidationError::new("range").with_message("must not be negative".into()))
    } else {
        Ok(())
    }
}

impl From<lead::Model> for LeadOut {
    fn from(m: lead::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            company: m.company,
            email: m.email,
            phone: m.phone,
            source: m.source,
            status: m.status,
            owner_id: m.owner_id,
            estimated_value: m.estimated_value,
            custom_fields: m.custom_fields,
            score: m.score,
            converted_customer_id: m.converted_customer_id,
            converted_contact_id: m.converted_contact_id,
            converted_deal_id: m.converted_deal_id,
            converted_at: m.converted_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

impl From<scoring_rule::Model> for ScoringRuleOut {
    fn from(m: scoring_rule::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            subject: m.subject,
            field: m.field,
            operator: m.operator,
            value: m.value,
            within_days: m.within_days,
            points: m.points,
            active: m.active,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}
