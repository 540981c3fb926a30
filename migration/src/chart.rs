//! The standard small-business chart of accounts every organization starts
//! with, and the posting roles mapped to it. Used by the accounting
//! migration (for organizations that existed before it) and by onboarding
//! (through `accounting::api`), so both seed exactly the same chart.

use sea_orm_migration::{
    prelude::{Alias, Query, SimpleExpr},
    sea_orm::{ConnectionTrait, DbErr},
};

/// One account of the standard chart: code, name, type, subtype, parent
/// code (a group), whether it is a group.
pub struct ChartAccount {
    /// Unique code in the organization.
    pub code: &'static str,
    /// Name.
    pub name: &'static str,
    /// `asset`, `liability`, `equity`, `income` or `expense`.
    pub account_type: &'static str,
    /// Finer classification (`cash`, `inventory`, ...).
    pub subtype: &'static str,
    /// The group it sits under.
    pub parent: Option<&'static str>,
    /// Groups take no postings.
    pub is_group: bool,
}

const fn group(code: &'static str, name: &'static str, t: &'static str) -> ChartAccount {
    ChartAccount {
        code,
        name,
        account_type: t,
        subtype: "other",
        parent: None,
        is_group: true,
    }
}

const fn posting(
    code: &'static str,
    name: &'static str,
    t: &'static str,
    subtype: &'static str,
    parent: &'static str,
) -> ChartAccount {
    ChartAccount {
        code,
        name,
        account_type: t,
        subtype,
        parent: Some(parent),
        is_group: false,
    }
}

/// The chart, groups before their children.
pub const STANDARD_CHART: &[ChartAccount] = &[
    group("1000", "Assets", "asset"),
    posting("1010", "Cash on hand", "asset", "cash", "1000"),
    posting("1020", "Bank account", "asset", "bank", "1000"),
    posting("1100", "Accounts receivable", "asset", "receivable", "1000"),
    posting("1200", "Inventory", "asset", "inventory", "1000"),
    posting("1300", "Input tax recoverable", "asset", "tax", "1000"),
    group("2000", "Liabilities", "liability"),
    posting("2010", "Accounts payable", "liability", "payable", "2000"),
    posting(
        "2050",
        "Goods received not invoiced",
        "liability",
        "accrued_liability",
        "2000",
    ),
    posting("2100", "Sales tax payable", "liability", "tax", "2000"),
    group("3000", "Equity", "equity"),
    posting("3010", "Owner's capital", "equity", "capital", "3000"),
    posting(
        "3100",
        "Retained earnings",
        "equity",
        "retained_earnings",
        "3000",
    ),
    group("4000", "Income", "income"),
    posting("4010", "Sales revenue", "income", "sales", "4000"),
    posting("4900", "Other income", "income", "other_income", "4000"),
    group("5000", "Cost of sales", "expense"),
    posting(
        "5010",
        "Cost of goods sold",
        "expense",
        "cost_of_goods_sold",
        "5000",
    ),
    posting(
        "5020",
        "Stock adjustments",
        "expense",
        "stock_adjustment",
        "5000",
    ),
    group("6000", "Operating expenses", "expense"),
    posting("6010", "Rent", "expense", "operating_expense", "6000"),
    posting(
        "6020",
        "Salaries and wages",
        "expense",
        "operating_expense",
        "6000",
    ),
    posting("6030", "Utilities", "expense", "operating_expense", "6000"),
    posting(
        "6040",
        "Office supplies",
        "expense",
        "operating_expense",
        "6000",
    ),
    posting(
        "6900",
        "Bank charges",
        "expense",
        "operating_expense",
        "6000",
    ),
];

/// The posting roles (columns of `accounting_settings`) and the code of the
/// standard account each is mapped to.
pub const STANDARD_ROLES: &[(&str, &str)] = &[
    ("cash_account_id", "1010"),
    ("bank_account_id", "1020"),
    ("receivable_account_id", "1100"),
    ("payable_account_id", "2010"),
    ("inventory_account_id", "1200"),
    ("goods_received_account_id", "2050"),
    ("cost_of_goods_sold_account_id", "5010"),
    ("stock_adjustment_account_id", "5020"),
    ("sales_revenue_account_id", "4010"),
    ("sales_tax_account_id", "2100"),
    ("retained_earnings_account_id", "3100"),
];

/// Writes the standard chart and the settings that map every role to it
/// for `organization_id`, inside the caller's transaction.
pub async fn seed<C: ConnectionTrait>(
    conn: &C,
    organization_id: uuid::Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), DbErr> {
    let mut ids: Vec<(&str, uuid::Uuid)> = Vec::with_capacity(STANDARD_CHART.len());
    let mut accounts = Query::insert();
    accounts.into_table(Alias::new("accounts")).columns(
        [
            "id",
            "organization_id",
            "code",
            "name",
            "account_type",
            "subtype",
            "parent_id",
            "is_group",
            "description",
            "active",
            "created_at",
            "updated_at",
            "version",
        ]
        .map(Alias::new),
    );
    for a in STANDARD_CHART {
        let id = uuid::Uuid::now_v7();
        let parent = a
            .parent
            .and_then(|p| ids.iter().find(|(c, _)| *c == p).map(|(_, id)| *id));
        ids.push((a.code, id));
        accounts.values_panic([
            id.into(),
            organization_id.into(),
            a.code.into(),
            a.name.into(),
            a.account_type.into(),
            a.subtype.into(),
            parent.into(),
            a.is_group.into(),
            "".into(),
            true.into(),
            now.into(),
            now.into(),
            1i32.into(),
        ]);
    }
    conn.execute(&accounts).await?;
    let mut settings = Query::insert();
    settings
        .into_table(Alias::new("accounting_settings"))
        .columns(
            ["organization_id", "updated_at", "version"]
                .into_iter()
                .chain(STANDARD_ROLES.iter().map(|(c, _)| *c))
                .map(Alias::new),
        );
    let mut values: Vec<SimpleExpr> = vec![organization_id.into(), now.into(), 1i32.into()];
    for (_, code) in STANDARD_ROLES {
        let id = ids.iter().find(|(c, _)| c == code).map(|(_, id)| *id);
        values.push(id.into());
    }
    settings.values_panic(values);
    conn.execute(&settings).await?;
    Ok(())
}
