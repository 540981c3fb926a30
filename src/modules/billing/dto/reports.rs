//! Aging reports and customer statements.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::platform::money::Amount;

/// `?as_of=` of the aging reports.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AgingQuery {
    /// The day the balances are aged at (default today): documents issued
    /// on or before it, less what was settled on or before it.
    pub as_of: Option<NaiveDate>,
}

/// Open balances in buckets of days past due.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Buckets {
    /// Not yet due.
    pub current: Amount,
    /// 1 to 30 days past due.
    pub days_1_30: Amount,
    /// 31 to 60 days past due.
    pub days_31_60: Amount,
    /// 61 to 90 days past due.
    pub days_61_90: Amount,
    /// More than 90 days past due.
    pub over_90: Amount,
    /// Everything open.
    pub total: Amount,
}

/// One customer's or supplier's open balances in one currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgingRow {
    /// The customer or supplier.
    pub party_id: Uuid,
    /// Its name.
    pub name: String,
    /// Currency.
    pub currency: String,
    /// Buckets.
    #[serde(flatten)]
    pub buckets: Buckets,
}

/// Totals of one currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgingTotal {
    /// Currency.
    pub currency: String,
    /// Buckets.
    #[serde(flatten)]
    pub buckets: Buckets,
}

/// An aging report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgingReport {
    /// The day of the report.
    pub as_of: NaiveDate,
    /// One row per party and currency, by name.
    pub rows: Vec<AgingRow>,
    /// Per currency.
    pub totals: Vec<AgingTotal>,
}

/// `?from=&to=` of a statement.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StatementQuery {
    /// First day (default: 90 days before `to`).
    pub from: Option<NaiveDate>,
    /// Last day (default today).
    pub to: Option<NaiveDate>,
}

/// What moved a customer's balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// An invoice issued (debit).
    Invoice,
    /// A credit note (credit).
    CreditNote,
    /// A payment received (credit).
    Payment,
    /// Money refunded to the customer (debit).
    Refund,
    /// An invoice voided (credit).
    Void,
}

/// One movement on a statement.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementLine {
    /// When.
    pub date: NaiveDate,
    /// What moved the balance.
    pub kind: MovementKind,
    /// The document.
    pub document_id: Uuid,
    /// Its number.
    pub number: String,
    /// What the customer owes more.
    pub debit: Amount,
    /// What the customer owes less.
    pub credit: Amount,
    /// Running balance.
    pub balance: Amount,
}

/// A customer's statement of account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Statement {
    /// The customer.
    pub customer_id: Uuid,
    /// Name.
    pub name: String,
    /// Currency.
    pub currency: String,
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Owed at the start of `from`.
    pub opening_balance: Amount,
    /// Movements in date order.
    pub lines: Vec<StatementLine>,
    /// Owed at the end of `to`.
    pub closing_balance: Amount,
}
