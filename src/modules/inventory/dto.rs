//! Request and response bodies of the inventory module.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::entities::{
    MovementKind, ProductKind, PurchaseOrderStatus, category, product, purchase_order, stock_level,
    stock_movement, supplier, warehouse,
};
use crate::{
    apply_patch,
    platform::{
        money::{Amount, Quantity},
        tenant::trimmed,
    },
};

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
#[schema(example = json!({ "code": "MAIN", "name": "Main warehouse", "address": "1 Dock Road, Leeds", "is_default": true }))]
pub struct WarehouseIn {
    /// Unique code in the organization.
    #[validate(length(min = 1, max = 32))]
    #[schema(min_length = 1, max_length = 32)]
    #[schema(example = "MAIN")]
    pub code: String,
    /// Name.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    #[schema(example = "Main warehouse")]
    pub name: String,
    /// Address.
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    #[serde(default)]
    pub address: String,
    /// Make it the default warehouse (the first one always is).
    #[serde(default)]
    pub is_default: bool,
}

/// `PATCH /warehouses/{id}`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "name": "Main warehouse (north)", "is_default": true }))]
pub struct WarehousePatch {
    /// New name.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// New address.
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
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
    pub kind: ProductKind,
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
#[schema(example = json!({
    "sku": "BOLT-M8", "name": "M8 bolt", "description": "Zinc-plated, 40 mm",
    "kind": "stock", "uom": "unit", "sale_price": "0.25", "standard_cost": "0.12",
    "reorder_point": "500", "reorder_quantity": "2000", "barcode": "5012345678900"
}))]
pub struct ProductIn {
    /// Unique stock-keeping unit (409 on a duplicate).
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    #[schema(example = "BOLT-M8")]
    pub sku: String,
    /// Name.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    #[schema(example = "M8 bolt")]
    pub name: String,
    /// Description.
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    #[serde(default)]
    pub description: String,
    /// Category of this organization.
    pub category_id: Option<Uuid>,
    /// `stock` (default) or `service`.
    #[schema(example = "stock")]
    pub kind: Option<ProductKind>,
    /// Unit of measure (default `unit`).
    #[validate(length(min = 1, max = 16))]
    #[schema(min_length = 1, max_length = 16)]
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
    #[schema(min_length = 1, max_length = 64)]
    pub barcode: Option<String>,
}

/// `PATCH /products/{id}`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "sale_price": "0.28", "reorder_point": "800", "barcode": null }))]
pub struct ProductPatch {
    /// New SKU.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub sku: Option<String>,
    /// New name.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// New description.
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    /// New category (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub category_id: Option<Option<Uuid>>,
    /// New unit of measure.
    #[validate(length(min = 1, max = 16))]
    #[schema(min_length = 1, max_length = 16)]
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

/// How `GET /products` is ordered: a key, `-` first for descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema)]
pub enum ProductSort {
    /// Oldest first (the default).
    #[default]
    #[serde(rename = "created_at")]
    CreatedAt,
    /// Newest first.
    #[serde(rename = "-created_at")]
    CreatedAtDesc,
    /// By SKU.
    #[serde(rename = "sku")]
    Sku,
    /// By SKU, descending.
    #[serde(rename = "-sku")]
    SkuDesc,
    /// By name.
    #[serde(rename = "name")]
    Name,
    /// By name, descending.
    #[serde(rename = "-name")]
    NameDesc,
}

/// Filters of `GET /products`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProductFilter {
    /// Name or SKU contains (case-insensitive).
    #[validate(length(max = 200))]
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// `stock` or `service`.
    pub kind: Option<ProductKind>,
    /// Active (default) or archived products.
    pub active: Option<bool>,
    /// Only this category and the categories below it.
    pub category: Option<Uuid>,
    /// `true`: only stock products whose available quantity (all warehouses)
    /// is at or below a positive reorder point; `false`: only the others.
    pub low_stock: Option<bool>,
    /// `created_at` (default), `sku` or `name`; prefix `-` for descending.
    #[param(example = "-name", inline)]
    pub sort: Option<ProductSort>,
    /// Rows per page (1 to 200, default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
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
    /// `true`: only levels whose available quantity is at or below the
    /// product's (positive) reorder point.
    pub below_reorder_point: Option<bool>,
    /// Rows per page (1 to 200, default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
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
    pub kind: MovementKind,
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
    pub kind: Option<MovementKind>,
    /// From (inclusive, RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Before (exclusive, RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Rows per page (1 to 200, default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
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
#[schema(example = json!({
    "warehouse_id": "01936b2e-8f1a-7c3d-9e4f-000000000001",
    "lines": [{ "product_id": "01936b2e-8f1a-7c3d-9e4f-000000000002", "quantity": "250", "unit_cost": "0.12" }],
    "reason": "Delivery note DN-981", "reference_type": "purchase_order",
    "reference_id": "01936b2e-8f1a-7c3d-9e4f-000000000005"
}))]
pub struct StockMoveIn {
    /// Warehouse.
    pub warehouse_id: Uuid,
    /// One to 200 lines.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<StockLineIn>,
    /// Why.
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    #[serde(default)]
    pub reason: String,
    /// The document this movement belongs to; with `reference_id`, which must
    /// name a document of this type in the caller's organization.
    pub reference_type: Option<DocumentType>,
    /// Id of the referenced document (required with `reference_type`).
    pub reference_id: Option<Uuid>,
}

/// Documents a stock movement may reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentType {
    /// A purchase order of this organization.
    PurchaseOrder,
}

impl DocumentType {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PurchaseOrder => "purchase_order",
        }
    }
}

/// `POST /inventory/transfers`: both legs or neither.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "from_warehouse_id": "01936b2e-8f1a-7c3d-9e4f-000000000001",
    "to_warehouse_id": "01936b2e-8f1a-7c3d-9e4f-000000000004",
    "lines": [{ "product_id": "01936b2e-8f1a-7c3d-9e4f-000000000002", "quantity": "40" }],
    "reason": "Restock the shop"
}))]
pub struct TransferIn {
    /// Source warehouse.
    pub from_warehouse_id: Uuid,
    /// Destination warehouse.
    pub to_warehouse_id: Uuid,
    /// One to 200 lines.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<StockLineIn>,
    /// Why.
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    #[serde(default)]
    pub reason: String,
}

/// `POST /inventory/adjust`: exactly one of `quantity_delta` or `counted_quantity`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "warehouse_id": "01936b2e-8f1a-7c3d-9e4f-000000000001",
    "product_id": "01936b2e-8f1a-7c3d-9e4f-000000000002",
    "counted_quantity": "247", "reason": "Cycle count"
}))]
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
    #[schema(min_length = 1, max_length = 500)]
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
#[schema(example = json!({ "name": "Fasteners", "parent_id": null }))]
pub struct CategoryIn {
    /// Unique name in the organization.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    #[schema(example = "Fasteners")]
    pub name: String,
    /// Parent category.
    pub parent_id: Option<Uuid>,
}

/// `PATCH /categories/{id}`; a parent that would make a cycle is 422.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "name": "Bolts and nuts", "parent_id": "01936b2e-8f1a-7c3d-9e4f-000000000005" }))]
pub struct CategoryPatch {
    /// New name.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// New parent (`null` makes it top-level).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
}

/// `currency` fields: a three-letter ISO 4217 code in capitals.
fn currency_code(code: &str) -> Result<(), validator::ValidationError> {
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("currency")
            .with_message("must be a three-letter ISO 4217 code in capitals, like EUR".into()))
    }
}

/// A supplier.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupplierOut {
    /// Id.
    pub id: Uuid,
    /// Name.
    #[schema(example = "Acme Fasteners Ltd")]
    pub name: String,
    /// Contact email.
    #[schema(example = "orders@acme.example")]
    pub email: Option<String>,
    /// Contact phone.
    #[schema(example = "+44 20 7946 0000")]
    pub phone: Option<String>,
    /// Postal address.
    pub address: String,
    /// Tax or VAT id.
    #[schema(example = "GB123456789")]
    pub tax_id: Option<String>,
    /// Days from invoice to payment.
    #[schema(example = 30)]
    pub payment_terms_days: i32,
    /// Currency the supplier invoices in (ISO 4217).
    #[schema(example = "EUR")]
    pub currency: String,
    /// Archived suppliers take no new purchase orders.
    pub active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Version (ETag).
    pub version: i32,
}

/// `POST /suppliers`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Acme Fasteners Ltd", "email": "orders@acme.example", "phone": "+44 20 7946 0000",
    "address": "1 Bolt Street, Leeds", "tax_id": "GB123456789", "payment_terms_days": 30,
    "currency": "GBP"
}))]
pub struct SupplierIn {
    /// Name.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Contact email.
    #[validate(email, length(max = 254))]
    #[schema(max_length = 254, format = Email)]
    pub email: Option<String>,
    /// Contact phone.
    #[validate(length(min = 1, max = 40))]
    #[schema(min_length = 1, max_length = 40)]
    pub phone: Option<String>,
    /// Postal address.
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    #[serde(default)]
    pub address: String,
    /// Tax or VAT id.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub tax_id: Option<String>,
    /// Days from invoice to payment (0 to 365, default 30).
    #[validate(range(min = 0, max = 365))]
    #[schema(minimum = 0, maximum = 365)]
    pub payment_terms_days: Option<i32>,
    /// ISO 4217 currency code in capitals.
    #[validate(custom(function = "currency_code"))]
    #[schema(pattern = "^[A-Z]{3}$")]
    pub currency: String,
}

/// `PATCH /suppliers/{id}`.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "payment_terms_days": 45, "phone": null }))]
pub struct SupplierPatch {
    /// New name.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// New email (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[validate(email, length(max = 254))]
    #[schema(max_length = 254, format = Email)]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    /// New phone (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[validate(length(min = 1, max = 40))]
    #[schema(min_length = 1, max_length = 40)]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    /// New address.
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub address: Option<String>,
    /// New tax id (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    #[schema(value_type = Option<String>)]
    pub tax_id: Option<Option<String>>,
    /// New payment terms in days.
    #[validate(range(min = 0, max = 365))]
    #[schema(minimum = 0, maximum = 365)]
    pub payment_terms_days: Option<i32>,
    /// New currency.
    #[validate(custom(function = "currency_code"))]
    #[schema(pattern = "^[A-Z]{3}$")]
    pub currency: Option<String>,
    /// Re-activate (archive with DELETE).
    pub active: Option<bool>,
}

/// Filters of `GET /suppliers`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SupplierFilter {
    /// Name contains (case-insensitive).
    #[validate(length(max = 200))]
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Active (default) or archived suppliers.
    pub active: Option<bool>,
    /// Rows per page (1 to 200, default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One line of a new or replaced purchase order.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseOrderLineIn {
    /// Product (of kind `stock`).
    pub product_id: Uuid,
    /// Quantity ordered, more than zero.
    #[schema(example = "100")]
    pub quantity: Quantity,
    /// Unit cost (default: the product's standard cost).
    #[schema(example = "0.12")]
    pub unit_cost: Option<Amount>,
}

/// `POST /purchase-orders`: a draft.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "supplier_id": "01936b2e-8f1a-7c3d-9e4f-5a6b7c8d9e0f",
    "warehouse_id": "01936b2e-8f1a-7c3d-9e4f-000000000001",
    "expected_on": "2026-12-01",
    "notes": "Deliver to gate 2",
    "lines": [{ "product_id": "01936b2e-8f1a-7c3d-9e4f-000000000002", "quantity": "100", "unit_cost": "0.12" }]
}))]
pub struct PurchaseOrderIn {
    /// An active supplier of the organization.
    pub supplier_id: Uuid,
    /// Currency (default: the supplier's).
    #[validate(custom(function = "currency_code"))]
    #[schema(pattern = "^[A-Z]{3}$")]
    pub currency: Option<String>,
    /// Where the goods are expected (receipts may name another warehouse).
    pub warehouse_id: Option<Uuid>,
    /// Expected delivery date.
    pub expected_on: Option<chrono::NaiveDate>,
    /// Free text.
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    #[serde(default)]
    pub notes: String,
    /// One to 200 lines.
    #[validate(length(min = 1, max = 200), nested)]
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<PurchaseOrderLineIn>,
}

/// `PATCH /purchase-orders/{id}`: drafts only (else 409 `invalid_state`).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "expected_on": "2026-12-05", "notes": "Partial deliveries accepted" }))]
pub struct PurchaseOrderPatch {
    /// Another active supplier.
    pub supplier_id: Option<Uuid>,
    /// New currency.
    #[validate(custom(function = "currency_code"))]
    #[schema(pattern = "^[A-Z]{3}$")]
    pub currency: Option<String>,
    /// New expected warehouse (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub warehouse_id: Option<Option<Uuid>>,
    /// New expected date (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<chrono::NaiveDate>)]
    pub expected_on: Option<Option<chrono::NaiveDate>>,
    /// New notes.
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub notes: Option<String>,
    /// Replaces every line.
    #[validate(length(min = 1, max = 200), nested)]
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Option<Vec<PurchaseOrderLineIn>>,
}

/// A line of a purchase order.
#[derive(Debug, Serialize, ToSchema)]
pub struct PurchaseOrderLineOut {
    /// Id (receipts name it).
    pub id: Uuid,
    /// Position, from 1.
    pub line_no: i32,
    /// Product.
    pub product_id: Uuid,
    /// The product's SKU.
    pub sku: String,
    /// The product's name.
    pub name: String,
    /// Ordered.
    pub quantity: Quantity,
    /// Received so far.
    pub received_quantity: Quantity,
    /// Still to receive.
    pub remaining_quantity: Quantity,
    /// Unit cost.
    pub unit_cost: Amount,
    /// quantity x unit cost.
    pub line_total: Amount,
}

/// A purchase order.
#[derive(Debug, Serialize, ToSchema)]
pub struct PurchaseOrderOut {
    /// Id.
    pub id: Uuid,
    /// Document number.
    #[schema(example = "PO-000042")]
    pub number: String,
    /// Supplier.
    pub supplier_id: Uuid,
    /// `draft`, `ordered`, `partially_received`, `received` or `cancelled`.
    #[schema(example = "ordered")]
    pub status: PurchaseOrderStatus,
    /// Currency.
    #[schema(example = "EUR")]
    pub currency: String,
    /// Expected warehouse.
    pub warehouse_id: Option<Uuid>,
    /// Expected delivery date.
    pub expected_on: Option<chrono::NaiveDate>,
    /// Free text.
    pub notes: String,
    /// Sum of line totals.
    pub total_amount: Amount,
    /// Lines, by position.
    pub lines: Vec<PurchaseOrderLineOut>,
    /// Who created it.
    pub created_by: Option<Uuid>,
    /// When it was sent to the supplier.
    pub ordered_at: Option<DateTime<Utc>>,
    /// When the last line was fully received.
    pub received_at: Option<DateTime<Utc>>,
    /// When it was cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Version (ETag).
    pub version: i32,
}

/// Filters of `GET /purchase-orders`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PurchaseOrderFilter {
    /// Only this status.
    pub status: Option<PurchaseOrderStatus>,
    /// Only this supplier.
    pub supplier_id: Option<Uuid>,
    /// Rows per page (1 to 200, default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One line of a goods receipt against a purchase order.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiveLineIn {
    /// The purchase order line.
    pub line_id: Uuid,
    /// Received now: more than zero and at most what remains (else 422).
    #[schema(example = "40")]
    pub quantity: Quantity,
    /// Actual unit cost (default: the line's).
    pub unit_cost: Option<Amount>,
}

/// `POST /purchase-orders/{id}/receive`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "warehouse_id": "01936b2e-8f1a-7c3d-9e4f-000000000001",
    "lines": [{ "line_id": "01936b2e-8f1a-7c3d-9e4f-000000000003", "quantity": "40" }],
    "reason": "Delivery note DN-981"
}))]
pub struct ReceiveIn {
    /// Warehouse receiving the goods (default: the order's warehouse).
    pub warehouse_id: Option<Uuid>,
    /// One to 200 lines, each line at most once.
    #[validate(length(min = 1, max = 200), nested)]
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<ReceiveLineIn>,
    /// Why or what (a delivery note number).
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    #[serde(default)]
    pub reason: String,
}

/// The result of a goods receipt: the order after it and the ledger entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptOut {
    /// The purchase order, with its new state.
    pub purchase_order: PurchaseOrderOut,
    /// Receipt movements written to the ledger.
    pub movements: Vec<MovementOut>,
}

// ---- models to bodies, PATCH bodies to changes ------------------------------

impl From<warehouse::Model> for WarehouseOut {
    fn from(w: warehouse::Model) -> Self {
        Self {
            id: w.id,
            code: w.code,
            name: w.name,
            address: w.address,
            active: w.active,
            is_default: w.is_default,
            created_at: w.created_at,
            updated_at: w.updated_at,
            version: w.version,
        }
    }
}

impl From<product::Model> for ProductOut {
    fn from(m: product::Model) -> Self {
        Self {
            id: m.id,
            sku: m.sku,
            name: m.name,
            description: m.description,
            category_id: m.category_id,
            kind: m.kind,
            uom: m.uom,
            sale_price: m.sale_price,
            standard_cost: m.standard_cost,
            reorder_point: m.reorder_point,
            reorder_quantity: m.reorder_quantity,
            barcode: m.barcode,
            active: m.active,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

impl From<category::Model> for CategoryOut {
    fn from(c: category::Model) -> Self {
        Self {
            id: c.id,
            name: c.name,
            parent_id: c.parent_id,
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

impl From<supplier::Model> for SupplierOut {
    fn from(s: supplier::Model) -> Self {
        Self {
            id: s.id,
            name: s.name,
            email: s.email,
            phone: s.phone,
            address: s.address,
            tax_id: s.tax_id,
            payment_terms_days: s.payment_terms_days,
            currency: s.currency,
            active: s.active,
            created_at: s.created_at,
            updated_at: s.updated_at,
            version: s.version,
        }
    }
}

impl From<&stock_level::Model> for StockLevelOut {
    fn from(l: &stock_level::Model) -> Self {
        Self {
            product_id: l.product_id,
            warehouse_id: l.warehouse_id,
            on_hand: l.on_hand,
            reserved: l.reserved,
            available: Quantity::from_units(l.on_hand.units() - l.reserved.units()),
            avg_cost: l.avg_cost,
            updated_at: l.updated_at,
        }
    }
}

impl From<stock_movement::Model> for MovementOut {
    fn from(m: stock_movement::Model) -> Self {
        Self {
            id: m.id,
            product_id: m.product_id,
            warehouse_id: m.warehouse_id,
            kind: m.kind,
            quantity: m.quantity,
            unit_cost: m.unit_cost,
            reason: m.reason,
            reference_type: m.reference_type,
            reference_id: m.reference_id,
            transfer_id: m.transfer_id,
            actor_id: m.actor_id,
            created_at: m.created_at,
        }
    }
}

apply_patch!(WarehousePatch => warehouse::ActiveModel {
    name => trimmed, address, active, is_default,
});

apply_patch!(ProductPatch => product::ActiveModel {
    sku => trimmed, name => trimmed, description, category_id, uom, sale_price, standard_cost,
    reorder_point, reorder_quantity, barcode, active,
});

apply_patch!(CategoryPatch => category::ActiveModel { name => trimmed, parent_id });

apply_patch!(SupplierPatch => supplier::ActiveModel {
    name => trimmed, email, phone, address, tax_id, payment_terms_days, currency, active,
});

apply_patch!(PurchaseOrderPatch => purchase_order::ActiveModel {
    supplier_id, currency, warehouse_id, expected_on, notes,
});
