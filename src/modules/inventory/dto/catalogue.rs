//! Warehouses, categories and products: bodies, filters and their conversions.

use super::*;

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
    /// Exact stock value (what the inventory account holds for it).
    pub value: Amount,
    /// Last movement.
    pub updated_at: DateTime<Utc>,
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

apply_patch!(WarehousePatch => warehouse::ActiveModel {
    name => trimmed, address, active, is_default,
});

apply_patch!(ProductPatch => product::ActiveModel {
    sku => trimmed, name => trimmed, description, category_id, uom, sale_price, standard_cost,
    reorder_point, reorder_quantity, barcode, active,
});

apply_patch!(CategoryPatch => category::ActiveModel { name => trimmed, parent_id });
