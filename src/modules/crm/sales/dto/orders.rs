//! Sales orders and their fulfilments.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::{LineIn, OrderLineOut};
use crate::modules::crm::{dto::currency_code, sales::entities::SalesOrderStatus};
use crate::platform::money::{Amount, Quantity};

/// `POST /sales-orders`: a draft, or confirmed at once with `confirm`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "customer_id": "01936b2e-8f1a-7c3d-9e4f-5a6b7c8d9e0f",
    "requested_delivery_date": "2027-01-15",
    "notes": "Deliver to the loading bay",
    "lines": [
        { "product_id": "01936b2e-8f1a-7c3d-9e4f-000000000002", "quantity": "10" },
        { "product_id": "01936b2e-8f1a-7c3d-9e4f-000000000003", "quantity": "4", "discount_percent": "5" }
    ],
    "confirm": true
}))]
pub struct SalesOrderIn {
    /// A customer of the organization.
    pub customer_id: Uuid,
    /// A contact of the organization.
    pub contact_id: Option<Uuid>,
    /// Warehouse that ships it (default: the organization's default; needed
    /// for stock lines).
    pub warehouse_id: Option<Uuid>,
    /// Order date (default today).
    pub order_date: Option<NaiveDate>,
    /// When the customer wants it.
    pub requested_delivery_date: Option<NaiveDate>,
    /// Currency (default the customer's).
    #[validate(custom(function = "currency_code"))]
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: Option<String>,
    /// Free text.
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    #[serde(default)]
    pub notes: String,
    /// One to 200 lines.
    #[validate(length(min = 1, max = 200), nested)]
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<LineIn>,
    /// Confirm at once: reserve every stock line (all or none).
    #[serde(default)]
    pub confirm: bool,
    /// With `confirm`: reserve what is in stock and backorder the rest.
    #[serde(default)]
    pub allow_backorder: bool,
}

/// `PATCH /sales-orders/{id}`: `lines` and `warehouse_id` only while draft;
/// the rest until the order is fulfilled or cancelled.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "requested_delivery_date": "2027-01-20", "notes": "Call before delivery" }))]
pub struct SalesOrderPatch {
    /// Another contact (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub contact_id: Option<Option<Uuid>>,
    /// Another warehouse (draft only).
    pub warehouse_id: Option<Uuid>,
    /// New order date.
    pub order_date: Option<NaiveDate>,
    /// New requested delivery date (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub requested_delivery_date: Option<Option<NaiveDate>>,
    /// New notes.
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub notes: Option<String>,
    /// Replaces every line (draft only).
    #[validate(length(min = 1, max = 200), nested)]
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Option<Vec<LineIn>>,
}

/// A sales order's header: what lists show.
#[derive(Debug, Serialize, ToSchema)]
pub struct SalesOrderSummary {
    /// Id.
    pub id: Uuid,
    /// Document number.
    #[schema(example = "SO-000042")]
    pub number: String,
    /// `draft`, `confirmed`, `partially_fulfilled`, `fulfilled` or `cancelled`.
    #[schema(example = "confirmed")]
    pub status: SalesOrderStatus,
    /// Customer.
    pub customer_id: Uuid,
    /// Contact.
    pub contact_id: Option<Uuid>,
    /// The quote it was made from.
    pub quote_id: Option<Uuid>,
    /// Warehouse that ships it.
    pub warehouse_id: Option<Uuid>,
    /// Order date.
    pub order_date: NaiveDate,
    /// When the customer wants it.
    pub requested_delivery_date: Option<NaiveDate>,
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
    /// Some stock line waits for stock.
    pub backordered: bool,
    /// Number of lines.
    pub line_count: i32,
    /// Who entered it.
    pub created_by: Option<Uuid>,
    /// Confirmed.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// Fully shipped.
    pub fulfilled_at: Option<DateTime<Utc>>,
    /// Cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Version (ETag).
    pub version: i32,
}

/// A sales order with its lines.
#[derive(Debug, Serialize, ToSchema)]
pub struct SalesOrderOut {
    /// The header.
    #[serde(flatten)]
    pub order: SalesOrderSummary,
    /// Lines, by position.
    pub lines: Vec<OrderLineOut>,
}

/// Sorts of sales-order lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub enum OrderSort {
    /// Newest first (default).
    #[default]
    #[serde(rename = "-created_at")]
    NewestFirst,
    /// Oldest first.
    #[serde(rename = "created_at")]
    OldestFirst,
    /// Latest order date first.
    #[serde(rename = "-order_date")]
    LatestOrderDate,
    /// Earliest order date first.
    #[serde(rename = "order_date")]
    EarliestOrderDate,
}

/// Filters of `GET /sales-orders` (and of a customer's or product's orders).
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SalesOrderFilter {
    /// Only this status.
    pub status: Option<SalesOrderStatus>,
    /// Only this customer's.
    pub customer_id: Option<Uuid>,
    /// Only orders with a line of this product.
    pub product_id: Option<Uuid>,
    /// Ordered on or after.
    pub from: Option<NaiveDate>,
    /// Ordered on or before.
    pub to: Option<NaiveDate>,
    /// `-created_at` (default), `created_at`, `-order_date` or `order_date`.
    #[param(example = "-order_date", inline)]
    pub sort: Option<OrderSort>,
    /// Rows per page (1 to 200, default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Options of `POST /sales-orders/{id}/confirm`.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConfirmQuery {
    /// Reserve what is in stock and backorder the rest (default: all or
    /// nothing, 409 `insufficient_stock` naming each short line).
    pub allow_backorder: Option<bool>,
}

/// One line of a delivery.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FulfilmentLineIn {
    /// The sales-order line.
    pub line_id: Uuid,
    /// Shipped now: more than zero, at most what remains to ship (else 422)
    /// and, for stock, at most what is reserved (else 409).
    #[schema(example = "4")]
    pub quantity: Quantity,
}

/// `POST /sales-orders/{id}/fulfilments`: a delivery.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "lines": [{ "line_id": "01936b2e-8f1a-7c3d-9e4f-000000000003", "quantity": "4" }],
    "notes": "Carrier: DHL 00340434161094042557"
}))]
pub struct FulfilmentIn {
    /// One to 200 lines, each order line at most once.
    #[validate(length(min = 1, max = 200), nested)]
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<FulfilmentLineIn>,
    /// Free text (carrier, tracking number).
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    #[serde(default)]
    pub notes: String,
}

/// One line of a delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct FulfilmentLineOut {
    /// Id.
    pub id: Uuid,
    /// The sales-order line.
    pub order_line_id: Uuid,
    /// Its position on the order.
    pub line_no: i32,
    /// The product (absent for free text).
    pub product_id: Option<Uuid>,
    /// Shipped.
    pub quantity: Quantity,
    /// The stock issue it made (absent for services and free text).
    pub movement_id: Option<Uuid>,
}

/// A delivery against a sales order.
#[derive(Debug, Serialize, ToSchema)]
pub struct FulfilmentOut {
    /// Id.
    pub id: Uuid,
    /// Delivery-note number.
    #[schema(example = "DN-000042")]
    pub number: String,
    /// The order.
    pub sales_order_id: Uuid,
    /// The warehouse it shipped from.
    pub warehouse_id: Option<Uuid>,
    /// Free text.
    pub notes: String,
    /// Lines.
    pub lines: Vec<FulfilmentLineOut>,
    /// The order's status after this delivery (on a listed delivery: now).
    #[schema(example = "partially_fulfilled")]
    pub sales_order_status: SalesOrderStatus,
    /// Who shipped it.
    pub created_by: Option<Uuid>,
    /// When.
    pub created_at: DateTime<Utc>,
}

crate::apply_patch!(SalesOrderPatch => crate::modules::crm::sales::entities::sales_order::ActiveModel {
    contact_id, order_date, requested_delivery_date, notes,
});
