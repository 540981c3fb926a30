//! Accounts, posting roles, tax rates, fiscal years and periods.

use super::*;

/// An account of the chart.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountOut {
    /// Id.
    pub id: Uuid,
    /// Unique code in the organization (`1200`).
    pub code: String,
    /// Name.
    pub name: String,
    /// `asset`, `liability`, `equity`, `income` or `expense`.
    #[serde(rename = "type")]
    pub account_type: AccountType,
    /// Finer classification.
    pub subtype: AccountSubtype,
    /// The group account it sits under.
    pub parent_id: Option<Uuid>,
    /// A group only sums its children; postings go to posting accounts.
    pub is_group: bool,
    /// Description.
    pub description: String,
    /// Archived accounts take no postings.
    pub active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Version (ETag).
    pub version: i32,
}

impl From<account::Model> for AccountOut {
    fn from(m: account::Model) -> Self {
        Self {
            id: m.id,
            code: m.code,
            name: m.name,
            account_type: m.account_type,
            subtype: m.subtype,
            parent_id: m.parent_id,
            is_group: m.is_group,
            description: m.description,
            active: m.active,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

/// An account with the accounts below it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountNodeOut {
    /// Id.
    pub id: Uuid,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Type.
    #[serde(rename = "type")]
    pub account_type: AccountType,
    /// Subtype.
    pub subtype: AccountSubtype,
    /// Group or posting account.
    pub is_group: bool,
    /// Archived or not.
    pub active: bool,
    /// The accounts below, by code.
    #[schema(no_recursion)]
    pub children: Vec<AccountNodeOut>,
}

/// `POST /accounting/accounts`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "code": "6050", "name": "Software subscriptions", "type": "expense",
    "subtype": "operating_expense", "parent_id": null, "description": "SaaS tools" }))]
pub struct AccountIn {
    /// Unique code in the organization (409 `account_code_taken`).
    #[validate(length(min = 1, max = 16))]
    #[schema(min_length = 1, max_length = 16, example = "6050")]
    pub code: String,
    /// Name.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Account type.
    #[serde(rename = "type")]
    pub account_type: AccountType,
    /// Subtype (default `other`).
    #[serde(default)]
    pub subtype: AccountSubtype,
    /// A group account of the same type to sit under.
    pub parent_id: Option<Uuid>,
    /// A group account (takes no postings).
    #[serde(default)]
    pub is_group: bool,
    /// Description.
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    #[serde(default)]
    pub description: String,
}

/// `PATCH /accounting/accounts/{id}` (the type of an account never changes).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "name": "Software and subscriptions", "active": true }))]
pub struct AccountPatch {
    /// New code.
    #[validate(length(min = 1, max = 16))]
    #[schema(min_length = 1, max_length = 16)]
    pub code: Option<String>,
    /// New name.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// New subtype.
    pub subtype: Option<AccountSubtype>,
    /// New parent group (`null` for the top level).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
    /// New description.
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    /// Re-activate (archive with DELETE).
    pub active: Option<bool>,
}

apply_patch!(AccountPatch => account::ActiveModel {
    code => trimmed, name => trimmed, subtype, parent_id, description, active,
});

/// Filters of `GET /accounting/accounts`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AccountFilter {
    /// Only this type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub account_type: Option<AccountType>,
    /// Only this subtype.
    pub subtype: Option<AccountSubtype>,
    /// Active (default) or archived accounts.
    pub active: Option<bool>,
    /// `true`: only groups; `false`: only posting accounts.
    pub is_group: Option<bool>,
    /// Code or name contains (case-insensitive).
    #[validate(length(max = 200))]
    #[param(max_length = 200)]
    pub q: Option<String>,
}

/// The accounts other modules post to, by role. Each is a live posting
/// account of the organization, of the type the role needs.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingsOut {
    /// Cash received and paid (asset).
    pub cash_account_id: Option<Uuid>,
    /// Bank receipts and payments (asset).
    pub bank_account_id: Option<Uuid>,
    /// Customer invoices (asset).
    pub receivable_account_id: Option<Uuid>,
    /// Supplier bills (liability).
    pub payable_account_id: Option<Uuid>,
    /// Stock value (asset).
    pub inventory_account_id: Option<Uuid>,
    /// Goods received not invoiced (liability).
    pub goods_received_account_id: Option<Uuid>,
    /// Cost of goods sold (expense).
    pub cost_of_goods_sold_account_id: Option<Uuid>,
    /// Stock count and adjustment differences (expense).
    pub stock_adjustment_account_id: Option<Uuid>,
    /// Sales revenue (income).
    pub sales_revenue_account_id: Option<Uuid>,
    /// Sales tax collected (liability).
    pub sales_tax_account_id: Option<Uuid>,
    /// Where a year close moves the year's profit (equity).
    pub retained_earnings_account_id: Option<Uuid>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Version (ETag).
    pub version: i32,
}

impl From<settings::Model> for SettingsOut {
    fn from(m: settings::Model) -> Self {
        Self {
            cash_account_id: m.cash_account_id,
            bank_account_id: m.bank_account_id,
            receivable_account_id: m.receivable_account_id,
            payable_account_id: m.payable_account_id,
            inventory_account_id: m.inventory_account_id,
            goods_received_account_id: m.goods_received_account_id,
            cost_of_goods_sold_account_id: m.cost_of_goods_sold_account_id,
            stock_adjustment_account_id: m.stock_adjustment_account_id,
            sales_revenue_account_id: m.sales_revenue_account_id,
            sales_tax_account_id: m.sales_tax_account_id,
            retained_earnings_account_id: m.retained_earnings_account_id,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

/// `PATCH /accounting/settings`: the roles to remap.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "bank_account_id": "0196b3f0-0000-7000-8000-000000000001" }))]
pub struct SettingsPatch {
    /// Cash (asset).
    pub cash_account_id: Option<Uuid>,
    /// Bank (asset).
    pub bank_account_id: Option<Uuid>,
    /// Receivable (asset).
    pub receivable_account_id: Option<Uuid>,
    /// Payable (liability).
    pub payable_account_id: Option<Uuid>,
    /// Inventory (asset).
    pub inventory_account_id: Option<Uuid>,
    /// Goods received not invoiced (liability).
    pub goods_received_account_id: Option<Uuid>,
    /// Cost of goods sold (expense).
    pub cost_of_goods_sold_account_id: Option<Uuid>,
    /// Stock adjustment (expense).
    pub stock_adjustment_account_id: Option<Uuid>,
    /// Sales revenue (income).
    pub sales_revenue_account_id: Option<Uuid>,
    /// Sales tax payable (liability).
    pub sales_tax_account_id: Option<Uuid>,
    /// Retained earnings (equity).
    pub retained_earnings_account_id: Option<Uuid>,
}

apply_patch!(SettingsPatch => settings::ActiveModel {
    cash_account_id => some, bank_account_id => some, receivable_account_id => some,
    payable_account_id => some, inventory_account_id => some, goods_received_account_id => some,
    cost_of_goods_sold_account_id => some, stock_adjustment_account_id => some,
    sales_revenue_account_id => some, sales_tax_account_id => some,
    retained_earnings_account_id => some,
});

impl SettingsPatch {
    /// Every role the body remaps: (field, account, the type it needs).
    pub fn roles(&self) -> Vec<(&'static str, Uuid, AccountType)> {
        use AccountType::*;
        [
            ("cash_account_id", self.cash_account_id, Asset),
            ("bank_account_id", self.bank_account_id, Asset),
            ("receivable_account_id", self.receivable_account_id, Asset),
            ("payable_account_id", self.payable_account_id, Liability),
            ("inventory_account_id", self.inventory_account_id, Asset),
            (
                "goods_received_account_id",
                self.goods_received_account_id,
                Liability,
            ),
            (
                "cost_of_goods_sold_account_id",
                self.cost_of_goods_sold_account_id,
                Expense,
            ),
            (
                "stock_adjustment_account_id",
                self.stock_adjustment_account_id,
                Expense,
            ),
            (
                "sales_revenue_account_id",
                self.sales_revenue_account_id,
                Income,
            ),
            ("sales_tax_account_id", self.sales_tax_account_id, Liability),
            (
                "retained_earnings_account_id",
                self.retained_earnings_account_id,
                Equity,
            ),
        ]
        .into_iter()
        .filter_map(|(f, id, t)| id.map(|id| (f, id, t)))
        .collect()
    }
}

/// A tax rate.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaxRateOut {
    /// Id.
    pub id: Uuid,
    /// Unique name in the organization.
    pub name: String,
    /// Percent (`"20"`, `"7.25"`).
    pub rate: Quantity,
    /// The account the tax is collected in (or recovered from).
    pub account_id: Uuid,
    /// Inactive rates are kept for history.
    pub active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Version (ETag).
    pub version: i32,
}

impl From<tax_rate::Model> for TaxRateOut {
    fn from(m: tax_rate::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            rate: m.rate,
            account_id: m.account_id,
            active: m.active,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

/// `POST /accounting/tax-rates`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "name": "VAT standard", "rate": "20", "account_id": "0196b3f0-0000-7000-8000-000000000001" }))]
pub struct TaxRateIn {
    /// Unique name (409 `tax_rate_name_taken`).
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Percent, 0 to 100, at most 4 decimals.
    pub rate: Quantity,
    /// A live posting account (a liability for sales tax, an asset for
    /// recoverable purchase tax).
    pub account_id: Uuid,
    /// Defaults to true.
    pub active: Option<bool>,
}

/// `PATCH /accounting/tax-rates/{id}`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "rate": "21" }))]
pub struct TaxRatePatch {
    /// New name.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// New percent.
    pub rate: Option<Quantity>,
    /// New account.
    pub account_id: Option<Uuid>,
    /// Activate or deactivate.
    pub active: Option<bool>,
}

apply_patch!(TaxRatePatch => tax_rate::ActiveModel { name => trimmed, rate, account_id, active });

/// A monthly period of a fiscal year.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodOut {
    /// Id.
    pub id: Uuid,
    /// The year it belongs to.
    pub fiscal_year_id: Uuid,
    /// 1 to 12.
    pub number: i32,
    /// First day.
    pub start_date: NaiveDate,
    /// Last day.
    pub end_date: NaiveDate,
    /// `open` or `closed`.
    pub state: PeriodState,
    /// When it was last closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Version (ETag).
    pub version: i32,
}

impl From<fiscal_period::Model> for PeriodOut {
    fn from(m: fiscal_period::Model) -> Self {
        Self {
            id: m.id,
            fiscal_year_id: m.fiscal_year_id,
            number: m.number,
            start_date: m.start_date,
            end_date: m.end_date,
            state: m.state,
            closed_at: m.closed_at,
            version: m.version,
        }
    }
}

/// A fiscal year with its twelve periods.
#[derive(Debug, Serialize, ToSchema)]
pub struct FiscalYearOut {
    /// Id.
    pub id: Uuid,
    /// Name (`FY2026`).
    pub name: String,
    /// First day.
    pub start_date: NaiveDate,
    /// Last day.
    pub end_date: NaiveDate,
    /// `closed` once its closing entry is posted.
    pub state: PeriodState,
    /// The entry that moved the year's profit to retained earnings.
    pub closing_entry_id: Option<Uuid>,
    /// The twelve monthly periods.
    pub periods: Vec<PeriodOut>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Version (ETag).
    pub version: i32,
}

impl FiscalYearOut {
    /// The year with its periods.
    pub fn new(m: fiscal_year::Model, periods: Vec<fiscal_period::Model>) -> Self {
        Self {
            id: m.id,
            name: m.name,
            start_date: m.start_date,
            end_date: m.end_date,
            state: m.state,
            closing_entry_id: m.closing_entry_id,
            periods: periods.into_iter().map(PeriodOut::from).collect(),
            created_at: m.created_at,
            version: m.version,
        }
    }
}

/// `POST /accounting/fiscal-years`: twelve monthly periods from `start_date`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "start_date": "2026-01-01", "name": "FY2026" }))]
pub struct FiscalYearIn {
    /// The first day (the first of a month).
    pub start_date: NaiveDate,
    /// Name (default `FY<year of the last day>`).
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub name: Option<String>,
}

fn some(id: &Uuid) -> Option<Uuid> {
    Some(*id)
}

/// `?active=` of `GET /accounting/tax-rates`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ActiveFilter {
    /// Only active (`true`) or inactive (`false`) rates; all without it.
    pub active: Option<bool>,
}
