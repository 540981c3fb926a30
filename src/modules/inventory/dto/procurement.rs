//! Suppliers, purchase orders and receipts against them.

use super::*;

use crate::platform::money::currency_code;

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

apply_patch!(SupplierPatch => supplier::ActiveModel {
    name => trimmed, email, phone, address, tax_id, payment_terms_days, currency, active,
});

apply_patch!(PurchaseOrderPatch => purchase_order::ActiveModel {
    supplier_id, currency, warehouse_id, expected_on, notes,
});
