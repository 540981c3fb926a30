//! Document lines: what quotes and sales orders take and show.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::platform::money::{Amount, Quantity};

/// One line of a quote or sales order: a product, or free text for a
/// service.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineIn {
    /// A product of the organization (absent for a free-text line).
    pub product_id: Option<Uuid>,
    /// What is sold (default: the product's name; required without a
    /// product).
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000, example = "Hex bolt M8, zinc")]
    pub description: Option<String>,
    /// More than zero.
    #[schema(example = "3")]
    pub quantity: Quantity,
    /// Price of one unit, zero or more (default: the product's sale price;
    /// required without a product).
    #[schema(example = "0.10")]
    pub unit_price: Option<Amount>,
    /// Discount in percent, 0 to 100 (default 0).
    #[schema(example = "10")]
    pub discount_percent: Option<Quantity>,
    /// An active tax rate of the organization (`/accounting/tax-rates`).
    pub tax_rate_id: Option<Uuid>,
}

/// A line's figures, each rounded half-up to the currency's minor unit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineOut {
    /// Id (fulfilments and invoices name it).
    pub id: Uuid,
    /// Position, from 1.
    pub line_no: i32,
    /// The product (absent for free text).
    pub product_id: Option<Uuid>,
    /// The product's SKU.
    #[schema(example = "BOLT-M8")]
    pub sku: Option<String>,
    /// What is sold.
    pub description: String,
    /// Quantity.
    pub quantity: Quantity,
    /// Price of one unit.
    pub unit_price: Amount,
    /// Discount in percent.
    pub discount_percent: Quantity,
    /// The tax rate applied.
    pub tax_rate_id: Option<Uuid>,
    /// The rate in percent, as it was when the line was written.
    pub tax_percent: Quantity,
    /// quantity x unit price.
    pub subtotal: Amount,
    /// subtotal x discount percent.
    pub discount: Amount,
    /// (subtotal - discount) x tax percent.
    pub tax: Amount,
    /// subtotal - discount + tax.
    pub total: Amount,
}

/// A sales-order line: its figures and where its quantity stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderLineOut {
    /// The line's figures.
    #[serde(flatten)]
    pub line: LineOut,
    /// A stock product: reserved at confirmation, issued when shipped.
    pub stocked: bool,
    /// Held in the warehouse for this line now.
    pub reserved_quantity: Quantity,
    /// Ordered but not in stock at confirmation (reserve it later).
    pub backordered_quantity: Quantity,
    /// Shipped so far.
    pub delivered_quantity: Quantity,
    /// Billed so far.
    pub invoiced_quantity: Quantity,
}
