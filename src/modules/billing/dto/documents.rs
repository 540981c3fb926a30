//! Invoices and supplier bills (documents), their lines and credit notes.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::modules::billing::entities::{DocKind, DocStatus};
use crate::platform::money::{Amount, Quantity, currency_code};

/// One line of an invoice or a bill: a product, or free text.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentLineIn {
    /// A product of the organization (absent for a free-text line).
    pub product_id: Option<Uuid>,
    /// What is billed (default: the product's name; required without a
    /// product).
    #[validate(length(min = 1, max = 1000))]
    #[schema(min_length = 1, max_length = 1000, example = "Consulting, November")]
    pub description: Option<String>,
    /// More than zero.
    #[schema(example = "3")]
    pub quantity: Quantity,
    /// Price of one unit (default: the product's sale price on invoices,
    /// the purchase-order line's cost on bills; required on free text).
    #[schema(example = "120.00")]
    pub unit_price: Option<Amount>,
    /// Discount in percent, 0 to 100.
    #[schema(example = "0")]
    pub discount_percent: Option<Quantity>,
    /// An active tax rate (`/accounting/tax-rates`); the tax posts to its
    /// account.
    pub tax_rate_id: Option<Uuid>,
    /// The posting account of the line: revenue on invoices (default: the
    /// sales revenue role), expense on bills (required on a bill line
    /// without a purchase-order line).
    pub account_id: Option<Uuid>,
    /// Bills only: the purchase-order line billed (up to what was received
    /// and not billed yet; the line posts to goods received not invoiced).
    pub purchase_order_line_id: Option<Uuid>,
}

/// `POST /invoices`: a draft, or issued at once with `issue`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "customer_id": "01936b2e-8f1a-7c3d-9e4f-5a6b7c8d9e0f",
    "due_date": "2027-01-31",
    "lines": [{ "description": "Consulting, December", "quantity": "10", "unit_price": "120.00" }],
    "issue": true
}))]
pub struct InvoiceIn {
    /// A customer of the organization.
    pub customer_id: Uuid,
    /// The sales order billed (optional; `POST /sales-orders/{id}/invoice`
    /// bills an order's lines).
    pub sales_order_id: Option<Uuid>,
    /// Issue date (default today).
    pub issue_date: Option<NaiveDate>,
    /// Due date (default: issue date plus the customer's payment terms).
    pub due_date: Option<NaiveDate>,
    /// Currency (default the customer's).
    #[validate(custom(function = "currency_code"))]
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: Option<String>,
    /// Free text printed on the invoice.
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    #[serde(default)]
    pub notes: String,
    /// One to 200 lines.
    #[validate(length(min = 1, max = 200), nested)]
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<DocumentLineIn>,
    /// Issue at once (posts to the ledger).
    #[serde(default)]
    pub issue: bool,
}

/// `POST /bills`: a supplier's bill, draft or issued at once.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "supplier_id": "01936b2e-8f1a-7c3d-9e4f-5a6b7c8d9e0f",
    "supplier_reference": "ACME-2026-0412",
    "lines": [{ "purchase_order_line_id": "01936b2e-8f1a-7c3d-9e4f-000000000009", "quantity": "4" }],
    "issue": true
}))]
pub struct BillIn {
    /// A supplier of the organization.
    pub supplier_id: Uuid,
    /// The purchase order billed (optional).
    pub purchase_order_id: Option<Uuid>,
    /// The supplier's own number for the bill.
    #[validate(length(max = 64))]
    #[schema(max_length = 64)]
    #[serde(default)]
    pub supplier_reference: String,
    /// Issue date (default today).
    pub issue_date: Option<NaiveDate>,
    /// Due date (default: issue date plus the supplier's payment terms).
    pub due_date: Option<NaiveDate>,
    /// Currency (default the supplier's).
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
    pub lines: Vec<DocumentLineIn>,
    /// Issue at once (posts to the ledger).
    #[serde(default)]
    pub issue: bool,
}

/// `PATCH /invoices/{id}` and `/bills/{id}`: drafts only.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "due_date": "2027-02-15", "notes": "Thank you for your business" }))]
pub struct DocumentPatch {
    /// New issue date.
    pub issue_date: Option<NaiveDate>,
    /// New due date.
    pub due_date: Option<NaiveDate>,
    /// New notes.
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub notes: Option<String>,
    /// Bills: the supplier's number.
    #[validate(length(max = 64))]
    #[schema(max_length = 64)]
    pub supplier_reference: Option<String>,
    /// New lines, replacing all (not on documents billed from an order).
    #[validate(length(min = 1, max = 200), nested)]
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Option<Vec<DocumentLineIn>>,
}

/// How `POST /sales-orders/{id}/invoice` measures what is left to bill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceBasis {
    /// What was ordered, less what was invoiced.
    Ordered,
    /// What was delivered, less what was invoiced.
    Delivered,
}

/// `POST /sales-orders/{id}/invoice`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "basis": "delivered", "issue": true }))]
pub struct OrderInvoiceIn {
    /// Bill what was ordered or what was delivered (less what was billed).
    pub basis: InvoiceBasis,
    /// Issue date (default today).
    pub issue_date: Option<NaiveDate>,
    /// Due date (default: issue date plus the customer's payment terms).
    pub due_date: Option<NaiveDate>,
    /// Free text.
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    #[serde(default)]
    pub notes: String,
    /// Issue at once.
    #[serde(default)]
    pub issue: bool,
}

/// A stored line with its figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocumentLineOut {
    /// Id (credit notes name it).
    pub id: Uuid,
    /// Position, from 1.
    pub line_no: i32,
    /// The product.
    pub product_id: Option<Uuid>,
    /// The product's SKU.
    pub sku: Option<String>,
    /// What is billed.
    pub description: String,
    /// Quantity.
    pub quantity: Quantity,
    /// Price of one unit.
    pub unit_price: Amount,
    /// Discount in percent.
    pub discount_percent: Quantity,
    /// Tax rate.
    pub tax_rate_id: Option<Uuid>,
    /// Its percent when the line was written.
    pub tax_percent: Quantity,
    /// quantity x unit price.
    pub subtotal: Amount,
    /// subtotal x discount percent.
    pub discount: Amount,
    /// (subtotal - discount) x tax percent.
    pub tax: Amount,
    /// subtotal - discount + tax.
    pub total: Amount,
    /// The account the line posts to (null: the role's default).
    pub account_id: Option<Uuid>,
    /// The sales-order line billed.
    pub sales_order_line_id: Option<Uuid>,
    /// The purchase-order line billed.
    pub purchase_order_line_id: Option<Uuid>,
    /// Credited by credit notes so far.
    pub credited_quantity: Quantity,
}

/// What money settles a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AllocationSource {
    /// A payment received or sent.
    Payment,
    /// A credit note.
    CreditNote,
}

/// What settled part of a document: a payment or a credit note.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AllocationOut {
    /// Id.
    pub id: Uuid,
    /// A payment or a credit note.
    pub source_type: AllocationSource,
    /// The payment or credit note.
    pub source_id: Uuid,
    /// The document settled.
    pub invoice_id: Uuid,
    /// Amount.
    pub amount: Amount,
    /// When.
    pub date: NaiveDate,
}

/// An invoice or a bill without its lines (lists).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocumentSummary {
    /// Id.
    pub id: Uuid,
    /// `invoice` or `bill`.
    pub kind: DocKind,
    /// `INV-000001` or `BILL-000001`.
    #[schema(example = "INV-000001")]
    pub number: String,
    /// Where it stands.
    pub status: DocStatus,
    /// The customer (invoices).
    pub customer_id: Option<Uuid>,
    /// The supplier (bills).
    pub supplier_id: Option<Uuid>,
    /// The sales order billed (invoices).
    pub sales_order_id: Option<Uuid>,
    /// The purchase order billed (bills).
    pub purchase_order_id: Option<Uuid>,
    /// The supplier's number (bills).
    pub supplier_reference: String,
    /// Issue date.
    pub issue_date: NaiveDate,
    /// Due date.
    pub due_date: NaiveDate,
    /// Currency.
    pub currency: String,
    /// Notes.
    pub notes: String,
    /// Sum of line subtotals.
    pub subtotal: Amount,
    /// Sum of line discounts.
    pub discount_total: Amount,
    /// Sum of line taxes.
    pub tax_total: Amount,
    /// Sum of line totals.
    pub total: Amount,
    /// Settled by payments and credit notes.
    pub amount_paid: Amount,
    /// Credited by credit notes (part of `amount_paid` once applied).
    pub credited_amount: Amount,
    /// total - amount_paid.
    pub balance_due: Amount,
    /// Open and past its due date.
    pub overdue: bool,
    /// The issue posting.
    pub journal_entry_id: Option<Uuid>,
    /// Number of lines.
    pub line_count: i32,
    /// Who entered it.
    pub created_by: Option<Uuid>,
    /// When issued.
    pub issued_at: Option<DateTime<Utc>>,
    /// When settled in full.
    pub paid_at: Option<DateTime<Utc>>,
    /// When voided.
    pub voided_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Version (`ETag`).
    pub version: i32,
}

/// An invoice or a bill with its lines and what settled it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocumentOut {
    /// The header.
    #[serde(flatten)]
    pub summary: DocumentSummary,
    /// Lines, by position.
    pub lines: Vec<DocumentLineOut>,
    /// Payments and credit notes applied, oldest first.
    pub allocations: Vec<AllocationOut>,
}

/// Filters of `GET /invoices` and `GET /bills`.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DocumentFilter {
    /// Only this status.
    pub status: Option<DocStatus>,
    /// Only this customer's (invoices).
    pub customer_id: Option<Uuid>,
    /// Only this supplier's (bills).
    pub supplier_id: Option<Uuid>,
    /// Only those billing this sales order.
    pub sales_order_id: Option<Uuid>,
    /// Only those billing this purchase order.
    pub purchase_order_id: Option<Uuid>,
    /// `true`: only open documents past their due date.
    pub overdue: Option<bool>,
    /// Issued on or after.
    pub issue_date_from: Option<NaiveDate>,
    /// Issued on or before.
    pub issue_date_to: Option<NaiveDate>,
    /// Total at least.
    pub min_total: Option<Amount>,
    /// Total at most.
    pub max_total: Option<Amount>,
    /// Number or notes containing this text.
    #[validate(length(min = 1, max = 100))]
    #[param(min_length = 1, max_length = 100)]
    pub q: Option<String>,
    /// Rows per page (1 to 200, default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One credit-note line: part of an invoice line.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditLineIn {
    /// A line of the credited invoice.
    pub invoice_line_id: Uuid,
    /// How much of it is credited (at most what is not credited yet).
    #[schema(example = "1")]
    pub quantity: Quantity,
}

/// `POST /credit-notes`: credit some lines of an issued invoice, or an
/// amount (net, without tax).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "invoice_id": "01936b2e-8f1a-7c3d-9e4f-5a6b7c8d9e0f",
    "reason": "One unit returned damaged",
    "lines": [{ "invoice_line_id": "01936b2e-8f1a-7c3d-9e4f-000000000004", "quantity": "1" }]
}))]
pub struct CreditNoteIn {
    /// The invoice credited (issued, partially paid or paid).
    pub invoice_id: Uuid,
    /// Issue date (default today).
    pub issue_date: Option<NaiveDate>,
    /// Why.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    #[serde(default)]
    pub reason: String,
    /// Lines credited (or `amount`).
    #[validate(length(min = 1, max = 200), nested)]
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Option<Vec<CreditLineIn>>,
    /// An amount credited without tax (or `lines`).
    #[schema(example = "25.00")]
    pub amount: Option<Amount>,
}

/// A credited line.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreditLineOut {
    /// Id.
    pub id: Uuid,
    /// Position.
    pub line_no: i32,
    /// The invoice line (null for an amount).
    pub invoice_line_id: Option<Uuid>,
    /// Description.
    pub description: String,
    /// Quantity credited.
    pub quantity: Quantity,
    /// Net amount.
    pub subtotal: Amount,
    /// Tax.
    pub tax: Amount,
    /// subtotal + tax.
    pub total: Amount,
}

/// A credit note.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreditNoteOut {
    /// Id.
    pub id: Uuid,
    /// `CN-000001`.
    #[schema(example = "CN-000001")]
    pub number: String,
    /// The invoice credited.
    pub invoice_id: Uuid,
    /// The customer.
    pub customer_id: Uuid,
    /// Issue date.
    pub issue_date: NaiveDate,
    /// Currency.
    pub currency: String,
    /// Why.
    pub reason: String,
    /// Net amount.
    pub subtotal: Amount,
    /// Tax.
    pub tax_total: Amount,
    /// Total credited.
    pub total: Amount,
    /// Applied to invoices.
    pub allocated_amount: Amount,
    /// Left as customer credit.
    pub unallocated_amount: Amount,
    /// The posting.
    pub journal_entry_id: Option<Uuid>,
    /// Lines.
    pub lines: Vec<CreditLineOut>,
    /// Where it was applied.
    pub allocations: Vec<AllocationOut>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// Filters of `GET /credit-notes`.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CreditNoteFilter {
    /// Only this customer's.
    pub customer_id: Option<Uuid>,
    /// Only those crediting this invoice.
    pub invoice_id: Option<Uuid>,
    /// Rows per page (1 to 200, default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
