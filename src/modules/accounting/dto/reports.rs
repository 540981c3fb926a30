//! Trial balance, profit and loss, balance sheet.

use super::*;

/// `?as_of=` of the trial balance and the balance sheet.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AsOfQuery {
    /// The last day counted (default: today).
    pub as_of: Option<NaiveDate>,
}

/// `?from=&to=` of profit and loss, with an optional comparison range.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    /// First day (required).
    #[param(required = true)]
    pub from: Option<NaiveDate>,
    /// Last day (required).
    #[param(required = true)]
    pub to: Option<NaiveDate>,
    /// First day of the comparison range (with `compare_to`).
    pub compare_from: Option<NaiveDate>,
    /// Last day of the comparison range.
    pub compare_to: Option<NaiveDate>,
}

/// One account's totals in the trial balance.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrialBalanceRowOut {
    /// Account.
    pub account_id: Uuid,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Type.
    #[serde(rename = "type")]
    pub account_type: AccountType,
    /// Sum of its debits.
    pub debit: Amount,
    /// Sum of its credits.
    pub credit: Amount,
    /// Debit minus credit.
    pub balance: Amount,
}

/// The trial balance: every account with postings, and equal totals.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrialBalanceOut {
    /// The last day counted.
    pub as_of: NaiveDate,
    /// By account code.
    pub accounts: Vec<TrialBalanceRowOut>,
    /// Sum of every debit.
    pub total_debit: Amount,
    /// Sum of every credit (always equal to `total_debit`).
    pub total_credit: Amount,
}

/// An account's amount in a report section, in the section's normal sign
/// (income and liabilities positive when in credit).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportRowOut {
    /// Account.
    pub account_id: Uuid,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Subtype.
    pub subtype: AccountSubtype,
    /// Amount.
    pub amount: Amount,
    /// Amount in the comparison range (`null` without one).
    pub compare_amount: Option<Amount>,
}

/// A subtotal by subtype.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubtypeTotalOut {
    /// Type.
    #[serde(rename = "type")]
    pub account_type: AccountType,
    /// Subtype.
    pub subtype: AccountSubtype,
    /// Amount.
    pub amount: Amount,
    /// Amount in the comparison range.
    pub compare_amount: Option<Amount>,
}

/// Profit and loss over a date range (year-closing entries excluded).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfitAndLossOut {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Comparison range, if asked.
    pub compare_from: Option<NaiveDate>,
    /// Comparison range end.
    pub compare_to: Option<NaiveDate>,
    /// Income accounts (credit minus debit).
    pub income: Vec<ReportRowOut>,
    /// Expense accounts (debit minus credit).
    pub expense: Vec<ReportRowOut>,
    /// Subtotals by subtype.
    pub by_subtype: Vec<SubtypeTotalOut>,
    /// Total income.
    pub total_income: Amount,
    /// Total expense.
    pub total_expense: Amount,
    /// Income minus expense.
    pub net_profit: Amount,
    /// The comparison range's net profit.
    pub compare_net_profit: Option<Amount>,
}

/// The balance sheet: assets = liabilities + equity + current earnings.
#[derive(Debug, Serialize, ToSchema)]
pub struct BalanceSheetOut {
    /// The last day counted.
    pub as_of: NaiveDate,
    /// Asset accounts (debit minus credit).
    pub assets: Vec<ReportRowOut>,
    /// Liability accounts (credit minus debit).
    pub liabilities: Vec<ReportRowOut>,
    /// Equity accounts (credit minus debit).
    pub equity: Vec<ReportRowOut>,
    /// Total assets.
    pub total_assets: Amount,
    /// Total liabilities.
    pub total_liabilities: Amount,
    /// Total equity.
    pub total_equity: Amount,
    /// Income minus expense not yet closed into retained earnings.
    pub current_earnings: Amount,
    /// Liabilities + equity + current earnings (= total assets).
    pub total_liabilities_and_equity: Amount,
}
