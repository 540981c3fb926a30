//! SeaORM entities of the accounting module (private to it).

use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The five account types: assets and expenses carry debit balances,
/// liabilities, equity and income credit balances.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(16))",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum AccountType {
    /// What the business owns (debit balance).
    Asset,
    /// What it owes (credit balance).
    Liability,
    /// The owners' stake (credit balance).
    Equity,
    /// Revenue (credit balance).
    Income,
    /// Costs (debit balance).
    Expense,
}

impl AccountType {
    /// Whether a positive balance of this type is a debit balance.
    pub fn debit_normal(self) -> bool {
        matches!(self, Self::Asset | Self::Expense)
    }

    /// The wire (and database) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Asset => "asset",
            Self::Liability => "liability",
            Self::Equity => "equity",
            Self::Income => "income",
            Self::Expense => "expense",
        }
    }
}

/// The finer classification of an account, used by reports and to check
/// the posting roles.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Default,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(32))",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum AccountSubtype {
    /// Cash on hand.
    Cash,
    /// Bank accounts.
    Bank,
    /// Amounts customers owe.
    Receivable,
    /// Stock on hand.
    Inventory,
    /// Other current assets.
    CurrentAsset,
    /// Property, plant and equipment.
    FixedAsset,
    /// Amounts owed to suppliers.
    Payable,
    /// Accruals (goods received not invoiced, ...).
    AccruedLiability,
    /// Sales tax payable or input tax recoverable.
    Tax,
    /// Other current liabilities.
    CurrentLiability,
    /// Loans and other long-term liabilities.
    LongTermLiability,
    /// Owners' capital.
    Capital,
    /// Profits kept in the business.
    RetainedEarnings,
    /// Sales revenue.
    Sales,
    /// Other income.
    OtherIncome,
    /// Cost of goods sold.
    CostOfGoodsSold,
    /// Stock count and adjustment differences.
    StockAdjustment,
    /// Operating expenses.
    OperatingExpense,
    /// Other expenses.
    OtherExpense,
    /// Anything else (and groups).
    #[default]
    Other,
}

/// A journal entry is a draft (lines may change) or posted (immutable).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(16))",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum EntryState {
    /// Being written; may change or be deleted.
    Draft,
    /// In the books; corrected only by a reversal.
    Posted,
}

/// A fiscal year or period is open (takes postings) or closed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(16))",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum PeriodState {
    /// Takes postings.
    Open,
    /// Refuses postings dated in it (409 `period_closed`).
    Closed,
}

/// Who a journal line concerns.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(16))",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum PartyType {
    /// A customer (CRM).
    Customer,
    /// A supplier (inventory).
    Supplier,
}

pub mod account {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "accounts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub code: String,
        pub name: String,
        pub account_type: super::AccountType,
        pub subtype: super::AccountSubtype,
        pub parent_id: Option<Uuid>,
        pub is_group: bool,
        #[sea_orm(column_type = "Text")]
        pub description: String,
        pub active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such account in this organization.",
        versioned
    );
}

pub mod settings {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "accounting_settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: Uuid,
        pub cash_account_id: Option<Uuid>,
        pub bank_account_id: Option<Uuid>,
        pub receivable_account_id: Option<Uuid>,
        pub payable_account_id: Option<Uuid>,
        pub inventory_account_id: Option<Uuid>,
        pub goods_received_account_id: Option<Uuid>,
        pub cost_of_goods_sold_account_id: Option<Uuid>,
        pub stock_adjustment_account_id: Option<Uuid>,
        pub sales_revenue_account_id: Option<Uuid>,
        pub sales_tax_account_id: Option<Uuid>,
        pub retained_earnings_account_id: Option<Uuid>,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
}

pub mod tax_rate {
    use sea_orm::entity::prelude::*;

    use crate::platform::money::Quantity;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "tax_rates")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub name: String,
        /// Percent, scale 4.
        pub rate: Quantity,
        pub account_id: Uuid,
        pub active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such tax rate in this organization.",
        versioned
    );
}

pub mod fiscal_year {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "fiscal_years")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub name: String,
        pub start_date: Date,
        pub end_date: Date,
        pub state: super::PeriodState,
        pub closing_entry_id: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such fiscal year in this organization.",
        versioned
    );
}

pub mod fiscal_period {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "fiscal_periods")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub fiscal_year_id: Uuid,
        pub number: i32,
        pub start_date: Date,
        pub end_date: Date,
        pub state: super::PeriodState,
        pub closed_at: Option<DateTimeUtc>,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such fiscal period in this organization.",
        versioned
    );
}

pub mod journal_entry {
    use sea_orm::entity::prelude::*;

    use crate::platform::money::Amount;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "journal_entries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub number: String,
        pub entry_date: Date,
        #[sea_orm(column_type = "Text")]
        pub memo: String,
        pub state: super::EntryState,
        pub source_type: Option<String>,
        pub source_id: Option<String>,
        pub reversal_of: Option<Uuid>,
        pub reversed_by: Option<Uuid>,
        pub total: Amount,
        pub created_by: Option<Uuid>,
        pub posted_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such journal entry in this organization.",
        versioned
    );
}

pub mod journal_line {
    use sea_orm::entity::prelude::*;

    use crate::platform::money::Amount;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "journal_lines")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub entry_id: Uuid,
        pub line_no: i32,
        pub account_id: Uuid,
        pub entry_date: Date,
        pub debit: Amount,
        pub credit: Amount,
        #[sea_orm(column_type = "Text")]
        pub description: String,
        pub party_type: Option<super::PartyType>,
        pub party_id: Option<Uuid>,
    }
    crate::no_relations!();
}
