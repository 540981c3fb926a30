//! Payments received and sent, their allocations and refunds, and
//! customers' tokenized payment methods.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::AllocationOut;
use crate::modules::billing::entities::{PaymentKind, PaymentMethod, PaymentStatus};
use crate::platform::money::{Amount, currency_code};

/// Part of a payment applied to an invoice.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceAllocationIn {
    /// An open invoice of the same customer and currency.
    pub invoice_id: Uuid,
    /// More than zero, at most the invoice's balance due.
    #[schema(example = "60.00")]
    pub amount: Amount,
}

/// Part of a supplier payment applied to a bill.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BillAllocationIn {
    /// An open bill of the same supplier and currency.
    pub bill_id: Uuid,
    /// More than zero, at most the bill's balance due.
    #[schema(example = "60.00")]
    pub amount: Amount,
}

/// `POST /payments`: money received from a customer.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "customer_id": "01936b2e-8f1a-7c3d-9e4f-5a6b7c8d9e0f",
    "amount": "100.00",
    "method": "bank_transfer",
    "reference": "Wire 2026-12-05",
    "allocations": [{ "invoice_id": "01936b2e-8f1a-7c3d-9e4f-000000000001", "amount": "100.00" }]
}))]
pub struct PaymentIn {
    /// The customer who paid.
    pub customer_id: Uuid,
    /// When (default today).
    pub payment_date: Option<NaiveDate>,
    /// More than zero.
    #[schema(example = "100.00")]
    pub amount: Amount,
    /// Currency (default the customer's); it settles invoices in it.
    #[validate(custom(function = "currency_code"))]
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: Option<String>,
    /// How.
    pub method: PaymentMethod,
    /// Bank or gateway reference.
    #[validate(length(max = 128))]
    #[schema(max_length = 128)]
    #[serde(default)]
    pub reference: String,
    /// Free text.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    #[serde(default)]
    pub notes: String,
    /// Invoices it pays; what is left is customer credit.
    #[validate(length(max = 100), nested)]
    #[schema(max_items = 100)]
    #[serde(default)]
    pub allocations: Vec<InvoiceAllocationIn>,
}

/// `POST /supplier-payments`: money paid to a supplier.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "supplier_id": "01936b2e-8f1a-7c3d-9e4f-5a6b7c8d9e0f",
    "amount": "250.00",
    "method": "bank_transfer",
    "allocations": [{ "bill_id": "01936b2e-8f1a-7c3d-9e4f-000000000001", "amount": "250.00" }]
}))]
pub struct SupplierPaymentIn {
    /// The supplier paid.
    pub supplier_id: Uuid,
    /// When (default today).
    pub payment_date: Option<NaiveDate>,
    /// More than zero.
    #[schema(example = "250.00")]
    pub amount: Amount,
    /// Currency (default the supplier's); it settles bills in it.
    #[validate(custom(function = "currency_code"))]
    #[schema(pattern = "^[A-Z]{3}$", example = "EUR")]
    pub currency: Option<String>,
    /// How.
    pub method: PaymentMethod,
    /// Bank reference.
    #[validate(length(max = 128))]
    #[schema(max_length = 128)]
    #[serde(default)]
    pub reference: String,
    /// Free text.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    #[serde(default)]
    pub notes: String,
    /// Bills it pays; what is left is credit with the supplier.
    #[validate(length(max = 100), nested)]
    #[schema(max_items = 100)]
    #[serde(default)]
    pub allocations: Vec<BillAllocationIn>,
}

/// `POST /payments/{id}/allocate` and `/credit-notes/{id}/allocate`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "allocations": [{ "invoice_id": "01936b2e-8f1a-7c3d-9e4f-000000000001", "amount": "40.00" }] }))]
pub struct AllocateIn {
    /// One to 100 allocations.
    #[validate(length(min = 1, max = 100), nested)]
    #[schema(min_items = 1, max_items = 100)]
    pub allocations: Vec<InvoiceAllocationIn>,
}

/// `POST /supplier-payments/{id}/allocate`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "allocations": [{ "bill_id": "01936b2e-8f1a-7c3d-9e4f-000000000001", "amount": "40.00" }] }))]
pub struct BillAllocateIn {
    /// One to 100 allocations.
    #[validate(length(min = 1, max = 100), nested)]
    #[schema(min_items = 1, max_items = 100)]
    pub allocations: Vec<BillAllocationIn>,
}

/// `POST /payments/{id}/refund`: money given back from what is not
/// allocated.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "amount": "20.00", "reason": "Overpayment returned" }))]
pub struct RefundIn {
    /// More than zero, at most the unallocated amount.
    #[schema(example = "20.00")]
    pub amount: Amount,
    /// When (default today).
    pub date: Option<NaiveDate>,
    /// Why.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    #[serde(default)]
    pub reason: String,
}

/// A refund.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RefundOut {
    /// Id.
    pub id: Uuid,
    /// Amount.
    pub amount: Amount,
    /// When.
    pub date: NaiveDate,
    /// Why.
    pub reason: String,
    /// The posting.
    pub journal_entry_id: Option<Uuid>,
}

/// A payment received or sent.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentOut {
    /// Id.
    pub id: Uuid,
    /// `received` (customer) or `sent` (supplier).
    pub kind: PaymentKind,
    /// `PAY-000001` or `SPAY-000001`.
    #[schema(example = "PAY-000001")]
    pub number: String,
    /// The customer (received).
    pub customer_id: Option<Uuid>,
    /// The supplier (sent).
    pub supplier_id: Option<Uuid>,
    /// When.
    pub payment_date: NaiveDate,
    /// Currency.
    pub currency: String,
    /// Amount.
    pub amount: Amount,
    /// How.
    pub method: PaymentMethod,
    /// Reference.
    pub reference: String,
    /// Notes.
    pub notes: String,
    /// Applied to documents.
    pub allocated_amount: Amount,
    /// Given back.
    pub refunded_amount: Amount,
    /// amount - allocated - refunded: credit.
    pub unallocated_amount: Amount,
    /// `posted` or `deleted`.
    pub status: PaymentStatus,
    /// The posting.
    pub journal_entry_id: Option<Uuid>,
    /// Where it was applied.
    pub allocations: Vec<AllocationOut>,
    /// Refunds.
    pub refunds: Vec<RefundOut>,
    /// Who recorded it.
    pub created_by: Option<Uuid>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Version (`ETag`).
    pub version: i32,
}

/// Filters of `GET /payments` and `GET /supplier-payments`.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PaymentFilter {
    /// Only this customer's (payments received).
    pub customer_id: Option<Uuid>,
    /// Only this supplier's (payments sent).
    pub supplier_id: Option<Uuid>,
    /// Only this method.
    pub method: Option<PaymentMethod>,
    /// Paid on or after.
    pub date_from: Option<NaiveDate>,
    /// Paid on or before.
    pub date_to: Option<NaiveDate>,
    /// `true`: only posted payments with money not allocated.
    pub unallocated: Option<bool>,
    /// Rows per page (1 to 200, default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn last4(s: &str) -> Result<(), validator::ValidationError> {
    if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("last4").with_message("must be four digits".into()))
    }
}

/// `POST /customers/{id}/payment-methods`: a card or account as the
/// payment gateway tokenized it. Never a card number.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "gateway": "stripe", "token": "pm_1Q2w3E4r5T6y7U8i", "brand": "visa",
    "last4": "4242", "exp_month": 12, "exp_year": 2029
}))]
pub struct PaymentMethodIn {
    /// The gateway that holds the card (`stripe`, `adyen`, ...).
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub gateway: String,
    /// The gateway's token for it.
    #[validate(length(min = 1, max = 255))]
    #[schema(min_length = 1, max_length = 255)]
    pub token: String,
    /// Card brand (`visa`, `mastercard`, ...).
    #[validate(length(min = 1, max = 32))]
    #[schema(min_length = 1, max_length = 32)]
    pub brand: String,
    /// Last four digits.
    #[validate(custom(function = "last4"))]
    #[schema(pattern = "^[0-9]{4}$", example = "4242")]
    pub last4: String,
    /// Expiry month, 1 to 12.
    #[validate(range(min = 1, max = 12))]
    #[schema(minimum = 1, maximum = 12)]
    pub exp_month: i16,
    /// Expiry year, 2000 to 2100.
    #[validate(range(min = 2000, max = 2100))]
    #[schema(minimum = 2000, maximum = 2100)]
    pub exp_year: i16,
}

/// A stored payment method: what the gateway returned, nothing more.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentMethodOut {
    /// Id.
    pub id: Uuid,
    /// The customer.
    pub customer_id: Uuid,
    /// Gateway.
    pub gateway: String,
    /// Gateway token.
    pub token: String,
    /// Brand.
    pub brand: String,
    /// Last four digits.
    pub last4: String,
    /// Expiry month.
    pub exp_month: i16,
    /// Expiry year.
    pub exp_year: i16,
    /// Stored.
    pub created_at: DateTime<Utc>,
}
