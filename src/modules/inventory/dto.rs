//! Request and response bodies of the inventory module.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::platform::money::{Amount, Quantity};

/// A warehouse.
#[derive(Debug, Serialize, ToSchema)]
pub struct WarehouseOut {
    /// Id.
    pub id: Uuid,
    /// Unique code in the organization.
    pub code: String,
    /// Name.
    pub name: String,
    /// Address.
    pub address: String,
    /// Archived warehouses take no movements.
    pub active: bool,
    /// The organization's default warehouse.
    pub is_default: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Version (ETag).
    pub version: i32,
}

/// `POST /warehouses`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WarehouseIn {
    /// Unique code in the organization.
    #[validate(length(min = 1, max = 32))]
    #[schema(example = "MAIN")]
    pub code: String,
    /// Name.
    #[validate(length(min = 1, max = 200))]
    #[schema(example = "Main warehouse")]
    pub name: String,
    /// Address.
    #[validate(length(max = 1000))]
    #[serde(default)]
    pub address: String,
    /// Make it the default warehouse (the first one always is).
    #[serde(default)]
    pub is_default: bool,
}

/// `PATCH /warehouses/{id}`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WarehousePatch {
    /// New name.
    #[validate(length(min = 1, max = 200))]
    pub name: Option<String>,
    /// New address.
    #[validate(length(max = 1000))]
    pub address: Option<String>,
    /// Re-activate (archive with DELETE).
    pub active: Option<bool>,
    /// Make it the default warehouse.
    pub is_default: Option<bool>,
}

/// A product.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductOut {
    /// Id.
    pub id: Uuid,
    /// Unique stock-keeping unit in the organization.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Category.
    pub category_id: Option<Uuid>,
    /// `stock` (tracked) or `service` (never stocked).
    pub kind: String,
    /// Unit of measure.
    pub uom: String,
    /// Sale price.
    pub sale_price: Amount,
    /// Standard cost.
    pub standard_cost: Amount,
    /// Reorder when available stock falls to this.
    pub reorder_point: Quantity,
    /// Suggested reorder quantity.
    pub reorder_quantity: Quantity,
    /// Barcode.
    pub barcode: Option<String>,
    /// Archived products are hidden by default.
    pub active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Version (ETag).
    pub version: i32,
}

/// `POST /products`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductIn {
    /// Unique stock-keeping unit (409 on a duplicate).
    #[validate(length(min = 1, max = 64))]
    #[schema(example = "BOLT-M8")]
    pub sku: String,
    /// Name.
    #[validate(length(min = 1, max = 200))]
    #[schema(example = "M8 bolt")]
    pub name: String,
    /// Description.
    #[validate(length(max = 5000))]
    #[serde(default)]
    pub description: String,
    /// Category of this organization.
    pub category_id: Option<Uuid>,
    /// `stock` (default) or `service`.
    #[schema(example = "stock")]
    pub kind: Option<String>,
    /// Unit of measure (default `unit`).
    #[validate(length(min = 1, max = 16))]
    pub uom: Option<String>,
    /// Sale price (default 0).
    #[serde(default)]
    pub sale_price: Amount,
    /// Standard cost (default 0).
    #[serde(default)]
    pub standard_cost: Amount,
    /// Reorder point (default 0).
    #[serde(default)]
    pub reorder_point: Quantity,
    /// Reorder quantity (default 0).
    #[serde(default)]
    pub reorder_quantity: Quantity,
    /// Barcode.
    #[validate(length(min = 1, max = 64))]
    pub barcode: Option<String>,
}

/// `PATCH /products/{id}`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductPatch {
    /// New SKU.
    #[validate(length(min = 1, max = 64))]
    pub sku: Option<String>,
    /// New name.
    #[validate(length(min = 1, max = 200))]
    pub name: Option<String>,
    /// New description.
    #[validate(length(max = 5000))]
    pub description: Option<String>,
    /// New category (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub category_id: Option<Option<Uuid>>,
    /// New unit of measure.
    #[validate(length(min = 1, max = 16))]
    pub uom: Option<String>,
    /// New sale price.
    pub sale_price: Option<Amount>,
    /// New standard cost.
    pub standard_cost: Option<Amount>,
    /// New reorder point.
    pub reorder_point: Option<Quantity>,
    /// New reorder quantity.
    pub reorder_quantity: Option<Quantity>,
    /// New barcode (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<String>)]
    pub barcode: Option<Option<String>>,
    /// Re-activate (archive with DELETE).
    pub active: Option<bool>,
}

/// Filters of `GET /products`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProductFilter {
    /// Name or SKU contains (case-insensitive).
    #[validate(length(max = 200))]
    pub q: Option<String>,
    /// `stock` or `service`.
    pub kind: Option<String>,
    /// Active (default) or archived products.
    pub active: Option<bool>,
    /// Only this category and the categories below it.
    pub category: Option<Uuid>,
    /// Rows per page (1 to 200, default 50).
    #[validate(range(min = 1, max = 200))]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Stock of one product in one warehouse.
#[derive(Debug, Serialize, ToSchema)]
pub struct StockLevelOut {
    /// Product.
    pub product_id: Uuid,
    /// Warehouse.
    pub warehouse_id: Uuid,
    /// Physically present.
    pub on_hand: Quantity,
    /// Promised to orders.
    pub reserved: Quantity,
    /// On hand minus reserved.
    pub available: Quantity,
    /// Moving-average unit cost.
    pub avg_cost: Amount,
    /// Last movement.
    pub updated_at: DateTime<Utc>,
}

/// Filters of `GET /inventory/stock`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StockFilter {
    /// Only this product.
    pub product_id: Option<Uuid>,
    /// Only this warehouse.
    pub warehouse_id: Option<Uuid>,
    /// Rows per page (1 to 200, default 50).
    #[validate(range(min = 1, max = 200))]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A product's stock per warehouse, with totals.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductInventoryOut {
    /// Product.
    pub product_id: Uuid,
    /// One row per warehouse holding or having held it.
    pub warehouses: Vec<StockLevelOut>,
    /// Sum of on hand.
    pub on_hand: Quantity,
    /// Sum of reserved.
    pub reserved: Quantity,
    /// Sum of available.
    pub available: Quantity,
}

/// One entry of the immutable stock ledger.
#[derive(Debug, Serialize, ToSchema)]
pub struct MovementOut {
    /// Id (time-ordered).
    pub id: Uuid,
    /// Product.
    pub product_id: Uuid,
    /// Warehouse.
    pub warehouse_id: Uuid,
    /// `receipt`, `issue`, `adjustment`, `transfer_out` or `transfer_in`.
    pub kind: String,
    /// Signed change of on hand.
    pub quantity: Quantity,
    /// Unit cost of the movement.
    pub unit_cost: Amount,
    /// Why.
    pub reason: String,
    /// Document type this movement belongs to.
    pub reference_type: Option<String>,
    /// Document id.
    pub reference_id: Option<String>,
    /// Pairs the two legs of a transfer.
    pub transfer_id: Option<Uuid>,
    /// Who.
    pub actor_id: Option<Uuid>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Filters of `GET /inventory/movements`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MovementFilter {
    /// Only this product.
    pub product_id: Option<Uuid>,
    /// Only this warehouse.
    pub warehouse_id: Option<Uuid>,
    /// Only this kind.
    pub kind: Option<String>,
    /// From (inclusive, RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Before (exclusive, RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Rows per page (1 to 200, default 50).
    #[validate(range(min = 1, max = 200))]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One line of a receipt, issue or transfer.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockLineIn {
    /// Product (of kind `stock`).
    pub product_id: Uuid,
    /// More than zero.
    pub quantity: Quantity,
    /// Receipts: unit cost (default: the product's standard cost).
    pub unit_cost: Option<Amount>,
}

/// `POST /inventory/receipts` and `/inventory/issues`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockMoveIn {
    /// Warehouse.
    pub warehouse_id: Uuid,
    /// One to 200 lines.
    #[validate(length(min = 1, max = 200))]
    pub lines: Vec<StockLineIn>,
    /// Why.
    #[validate(length(max = 500))]
    #[serde(default)]
    pub reason: String,
    /// Document type (e.g. `purchase_order`).
    #[validate(length(min = 1, max = 64))]
    pub reference_type: Option<String>,
    /// Document id.
    #[validate(length(min = 1, max = 100))]
    pub reference_id: Option<String>,
}

/// `POST /inventory/transfers`: both legs or neither.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferIn {
    /// Source warehouse.
    pub from_warehouse_id: Uuid,
    /// Destination warehouse.
    pub to_warehouse_id: Uuid,
    /// One to 200 lines.
    #[validate(length(min = 1, max = 200))]
    pub lines: Vec<StockLineIn>,
    /// Why.
    #[validate(length(max = 500))]
    #[serde(default)]
    pub reason: String,
}

/// `POST /inventory/adjust`: exactly one of `quantity_delta` or `counted_quantity`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustIn {
    /// Warehouse.
    pub warehouse_id: Uuid,
    /// Product.
    pub product_id: Uuid,
    /// Signed change.
    pub quantity_delta: Option<Quantity>,
    /// The counted on-hand quantity.
    pub counted_quantity: Option<Quantity>,
    /// Why (required).
    #[validate(length(min = 1, max = 500))]
    pub reason: String,
}

/// The result of a stock operation: its ledger entries and the new levels.
#[derive(Debug, Serialize, ToSchema)]
pub struct StockResultOut {
    /// Movements written.
    pub movements: Vec<MovementOut>,
    /// Levels after the operation.
    pub levels: Vec<StockLevelOut>,
}

/// A product at or below its reorder point.
#[derive(Debug, Serialize, ToSchema)]
pub struct LowStockOut {
    /// Product.
    pub product_id: Uuid,
    /// SKU.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Available across warehouses.
    pub available: Quantity,
    /// Reorder point.
    pub reorder_point: Quantity,
    /// Suggested order: the reorder quantity, or enough to get back to the point.
    pub suggested_quantity: Quantity,
}

/// Value of one product in one warehouse.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValuationRowOut {
    /// Product.
    pub product_id: Uuid,
    /// Warehouse.
    pub warehouse_id: Uuid,
    /// On hand.
    pub on_hand: Quantity,
    /// Moving-average unit cost.
    pub avg_cost: Amount,
    /// on_hand x avg_cost, rounded to 4 places.
    pub value: Amount,
}

/// Stock valuation with totals.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValuationOut {
    /// Rows with stock on hand.
    pub rows: Vec<ValuationRowOut>,
    /// Sum of values.
    pub total_value: Amount,
    /// Sum of quantities on hand.
    pub total_on_hand: Quantity,
}

/// Filters of `GET /inventory/valuation`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ValuationFilter {
    /// Only this warehouse.
    pub warehouse_id: Option<Uuid>,
}

/// A product category.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryOut {
    /// Id.
    pub id: Uuid,
    /// Unique name in the organization.
    pub name: String,
    /// Parent category.
    pub parent_id: Option<Uuid>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Version (ETag).
    pub version: i32,
}

/// `POST /categories`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryIn {
    /// Unique name in the organization.
    #[validate(length(min = 1, max = 200))]
    #[schema(example = "Fasteners")]
    pub name: String,
    /// Parent category.
    pub parent_id: Option<Uuid>,
}

/// `PATCH /categories/{id}`; a parent that would make a cycle is 422.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryPatch {
    /// New name.
    #[validate(length(min = 1, max = 200))]
    pub name: Option<String>,
    /// New parent (`null` makes it top-level).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
}
