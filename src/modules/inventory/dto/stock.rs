//! Stock levels, movements, receipts, issues, transfers, adjustments and valuation.

use super::*;

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
    /// Signed exact value moved (the amount posted to the inventory account).
    pub value: Amount,
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
    /// The level's exact value: the sum of its movements' values (equal to
    /// on hand x average cost up to the rounding of the displayed average).
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
    /// The balance of the inventory account (the whole organization), read
    /// in the same snapshot as the levels.
    pub ledger_balance: Amount,
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

impl From<&stock_level::Model> for StockLevelOut {
    fn from(l: &stock_level::Model) -> Self {
        Self {
            product_id: l.product_id,
            warehouse_id: l.warehouse_id,
            on_hand: l.on_hand,
            reserved: l.reserved,
            available: Quantity::from_units(l.on_hand.units() - l.reserved.units()),
            avg_cost: l.avg_cost,
            value: l.value,
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
            value: m.value,
            reason: m.reason,
            reference_type: m.reference_type,
            reference_id: m.reference_id,
            transfer_id: m.transfer_id,
            actor_id: m.actor_id,
            created_at: m.created_at,
        }
    }
}
