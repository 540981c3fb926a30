//! Quotes: what is asked, and what is shown.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::{LineIn, LineOut};
use crate::modules::crm::{dto::currency_code, sales::entities::QuoteStatus};
use crate::platform::money::Amount;

/// `POST /quotes`: a draft.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "customer_id": "01936b2e-8f1a-7c3d-9e4f-5a6b7c8d9e0f",
    "valid_until": "2027-01-31",
    "notes": "Prices include delivery to site.",
    "lines": [
        { "product_id": "01936b2e-8f1a-7c3d-9e4f-000000000002", "quantity": "100", "discount_percent": "5" },
        { "description": "Installation, per hour", "quantity": "3", "unit_price": "65.00" }
    ]
}))]
pub struct QuoteIn {
    /// A customer of the organization.
    pub customer_id: Uuid,
    /// A contact of the organization (usually the customer's).
    pub contact_id: Option<Uuid>,
    /// The deal it prices; accepting the quote wins the deal.
    pub deal_id: Option<Uuid>,
    /// Issue date (default today).
    pub issue_date: Option<NaiveDate>,
    /// Last day it can be accepted (default issue date + 30 days).
    pub valid_until: Option<NaiveDate>,
    /// Currency (default the customer's).
    #[validate(custom(function = "currency_code"))]
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: Option<String>,
    /// Free text shown on the quote.
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    #[serde(default)]
    pub notes: String,
    /// One to 200 lines.
    #[validate(length(min = 1, max = 200), nested)]
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<LineIn>,
}

/// `PATCH /quotes/{id}`: drafts only (else 409 `invalid_state`).
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "valid_until": "2027-02-15", "notes": "Revised delivery terms" }))]
pub struct QuotePatch {
    /// Another contact (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub contact_id: Option<Option<Uuid>>,
    /// Another deal (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub deal_id: Option<Option<Uuid>>,
    /// New issue date.
    pub issue_date: Option<NaiveDate>,
    /// New last day of validity.
    pub valid_until: Option<NaiveDate>,
    /// New currency (lines are re-priced in it).
    #[validate(custom(function = "currency_code"))]
    #[schema(pattern = "^[A-Z]{3}$")]
    pub currency: Option<String>,
    /// New notes.
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub notes: Option<String>,
    /// Replaces every line.
    #[validate(length(min = 1, max = 200), nested)]
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Option<Vec<LineIn>>,
}

/// A quote.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteOut {
    /// Id.
    pub id: Uuid,
    /// Document number, shared by every revision.
    #[schema(example = "Q-000042")]
    pub number: String,
    /// Revision, from 1.
    pub revision: i32,
    /// `draft`, `sent`, `accepted`, `rejected`, `expired` (also a sent quote
    /// past `valid_until`) or `superseded`.
    #[schema(example = "sent")]
    pub status: QuoteStatus,
    /// Customer.
    pub customer_id: Uuid,
    /// Contact.
    pub contact_id: Option<Uuid>,
    /// Deal.
    pub deal_id: Option<Uuid>,
    /// Issue date.
    pub issue_date: NaiveDate,
    /// Last day it can be accepted.
    pub valid_until: NaiveDate,
    /// Currency.
    #[schema(example = "EUR")]
    pub currency: String,
    /// Free text.
    pub notes: String,
    /// Sum of the lines' subtotals.
    pub subtotal: Amount,
    /// Sum of the lines' discounts.
    pub discount_total: Amount,
    /// Sum of the lines' taxes.
    pub tax_total: Amount,
    /// Sum of the lines' totals.
    pub total: Amount,
    /// Lines, by position.
    pub lines: Vec<LineOut>,
    /// The revision this one replaced.
    pub revision_of: Option<Uuid>,
    /// The revision that replaced this one.
    pub superseded_by: Option<Uuid>,
    /// The sales order made when it was accepted.
    pub sales_order_id: Option<Uuid>,
    /// Sent.
    pub sent_at: Option<DateTime<Utc>>,
    /// Accepted.
    pub accepted_at: Option<DateTime<Utc>>,
    /// Rejected.
    pub rejected_at: Option<DateTime<Utc>>,
    /// Who wrote it.
    pub created_by: Option<Uuid>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Version (ETag).
    pub version: i32,
}

/// Filters of `GET /quotes`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QuoteFilter {
    /// Only this status (`expired` includes sent quotes past validity).
    pub status: Option<QuoteStatus>,
    /// Only this customer's.
    pub customer_id: Option<Uuid>,
    /// Only this deal's.
    pub deal_id: Option<Uuid>,
    /// Rows per page (1 to 200, default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// `POST /quotes/{id}/accept`: the sales order it makes (`{}` takes every
/// default).
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "requested_delivery_date": "2027-01-15", "confirm": true }))]
pub struct QuoteAccept {
    /// Warehouse that ships it (default: the organization's default).
    pub warehouse_id: Option<Uuid>,
    /// When the customer wants it.
    pub requested_delivery_date: Option<NaiveDate>,
    /// Confirm the order at once (reserving its stock).
    #[serde(default)]
    pub confirm: bool,
    /// With `confirm`: reserve what is in stock and backorder the rest.
    #[serde(default)]
    pub allow_backorder: bool,
}

crate::apply_patch!(QuotePatch => crate::modules::crm::sales::entities::quote::ActiveModel {
    contact_id, deal_id, issue_date, valid_until, currency, notes,
});
