//! The accounting module's door for the rest of the application. Every
//! function runs inside the caller's transaction (pass a
//! `DatabaseTransaction` started with `platform::db::begin_write`), so a
//! posting commits or rolls back with the document that caused it.

use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::{
    entities::{account, tax_rate},
    service::{
        chart::load_settings,
        posting::{self, NewEntry, NewLine},
    },
};
use crate::platform::{
    error::AppError,
    money::{Amount, Quantity},
};

pub use super::permissions::PERMISSIONS;

/// The accounts other modules post to, as mapped in the organization's
/// accounting settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Cash on hand.
    Cash,
    /// Bank.
    Bank,
    /// Accounts receivable.
    Receivable,
    /// Accounts payable.
    Payable,
    /// Stock value.
    Inventory,
    /// Goods received not invoiced.
    GoodsReceived,
    /// Cost of goods sold.
    CostOfGoodsSold,
    /// Stock count and adjustment differences.
    StockAdjustment,
    /// Sales revenue.
    SalesRevenue,
    /// Sales tax payable.
    SalesTax,
    /// Retained earnings.
    RetainedEarnings,
}

impl Role {
    fn field(self) -> &'static str {
        match self {
            Self::Cash => "cash_account_id",
            Self::Bank => "bank_account_id",
            Self::Receivable => "receivable_account_id",
            Self::Payable => "payable_account_id",
            Self::Inventory => "inventory_account_id",
            Self::GoodsReceived => "goods_received_account_id",
            Self::CostOfGoodsSold => "cost_of_goods_sold_account_id",
            Self::StockAdjustment => "stock_adjustment_account_id",
            Self::SalesRevenue => "sales_revenue_account_id",
            Self::SalesTax => "sales_tax_account_id",
            Self::RetainedEarnings => "retained_earnings_account_id",
        }
    }
}

/// Which account a line goes to.
#[derive(Debug, Clone, Copy)]
pub enum AccountRef {
    /// The account mapped to a role.
    Role(Role),
    /// An account by id.
    Id(Uuid),
}

/// One line of a posting: a debit (positive `amount`) or a credit
/// (negative), in units of 1/10000.
#[derive(Debug, Clone)]
pub struct DraftLine {
    /// The account.
    pub account: AccountRef,
    /// Debit if positive, credit if negative.
    pub amount: Amount,
    /// Description.
    pub description: String,
}

/// A posting from another module.
#[derive(Debug, Clone)]
pub struct EntryDraft {
    /// The organization.
    pub organization_id: Uuid,
    /// The acting user, if any.
    pub actor: Option<Uuid>,
    /// Accounting date (its period must be open: 409 `period_closed`).
    pub date: NaiveDate,
    /// Memo.
    pub memo: String,
    /// Source document type (`stock_receipt`, `invoice`, ...).
    pub source_type: &'static str,
    /// Source document id: one entry per (type, id).
    pub source_id: String,
    /// The lines; zero lines are dropped.
    pub lines: Vec<DraftLine>,
}

/// Posts an entry inside the caller's transaction. Idempotent per source
/// document: a second post of the same `(source_type, source_id)` is 409
/// `already_posted`, never a duplicate. Returns the entry id, or `None`
/// when every line is zero (nothing to post). A role that is not mapped is
/// 409 `account_role_unmapped`.
pub async fn post(
    conn: &impl ConnectionTrait,
    draft: EntryDraft,
) -> Result<Option<Uuid>, AppError> {
    let org = draft.organization_id;
    let lines: Vec<&DraftLine> = draft
        .lines
        .iter()
        .filter(|l| l.amount.units() != 0)
        .collect();
    if lines.is_empty() {
        return Ok(None);
    }
    // On PostgreSQL the posting's own statement maps roles to accounts.
    let in_statement = conn.get_database_backend() == sea_orm::DbBackend::Postgres;
    let needs_settings = !in_statement
        && lines
            .iter()
            .any(|l| matches!(l.account, AccountRef::Role(_)));
    let settings = if needs_settings {
        Some(load_settings(conn, org).await?)
    } else {
        None
    };
    let mut resolved = Vec::with_capacity(lines.len());
    for l in lines {
        let (account_id, role) = match l.account {
            AccountRef::Id(id) => (id, None),
            AccountRef::Role(role) if in_statement => (Uuid::nil(), Some(role.field())),
            AccountRef::Role(role) => (
                settings
                    .as_ref()
                    .and_then(|s| role_account(s, role))
                    .ok_or_else(|| {
                        AppError::conflict(
                            "account_role_unmapped",
                            format!(
                                "Map {} in PATCH /api/v1/accounting/settings before posting.",
                                role.field()
                            ),
                        )
                    })?,
                None,
            ),
        };
        let mut line = NewLine::one_sided(account_id, l.amount.units(), &l.description);
        line.role = role;
        resolved.push(line);
    }
    let entry = posting::write_entry(
        conn,
        NewEntry {
            organization_id: org,
            actor: draft.actor,
            date: draft.date,
            memo: draft.memo,
            source: Some((draft.source_type.to_string(), draft.source_id)),
            reversal_of: None,
            lines: resolved,
            post: true,
            check_period: true,
        },
    )
    .await?;
    Ok(Some(entry.entry.id))
}

fn role_account(s: &super::entities::settings::Model, role: Role) -> Option<Uuid> {
    super::service::chart::mapped(s, role.field())
}

/// The balance (debit minus credit) of the account mapped to `role`, over
/// every posted line; zero when the role is not mapped.
pub async fn role_balance(
    conn: &impl ConnectionTrait,
    org: Uuid,
    role: Role,
) -> Result<Amount, AppError> {
    let settings = load_settings(conn, org).await?;
    match role_account(&settings, role) {
        Some(account) => super::service::reports::account_balance(conn, org, account).await,
        None => Ok(Amount::ZERO),
    }
}

/// An active tax rate.
#[derive(Debug, Clone)]
pub struct TaxRate {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Percent (scale 4).
    pub rate: Quantity,
    /// The account the tax is collected in.
    pub account_id: Uuid,
}

/// The organization's active tax rates, by name.
pub async fn tax_rates(conn: &impl ConnectionTrait, org: Uuid) -> Result<Vec<TaxRate>, AppError> {
    Ok(tax_rate::Entity::find()
        .filter(tax_rate::Column::OrganizationId.eq(org))
        .filter(tax_rate::Column::Active.eq(true))
        .order_by_asc(tax_rate::Column::Name)
        .all(conn)
        .await?
        .into_iter()
        .map(|t| TaxRate {
            id: t.id,
            name: t.name,
            rate: t.rate,
            account_id: t.account_id,
        })
        .collect())
}

/// One active tax rate of the organization, if there is one with this id.
pub async fn tax_rate(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<Option<TaxRate>, AppError> {
    Ok(tax_rate::Entity::find_by_id(id)
        .filter(tax_rate::Column::OrganizationId.eq(org))
        .filter(tax_rate::Column::Active.eq(true))
        .one(conn)
        .await?
        .map(|t| TaxRate {
            id: t.id,
            name: t.name,
            rate: t.rate,
            account_id: t.account_id,
        }))
}

/// The active posting (not group) accounts of the organization among
/// `ids` (one query): a document checks the accounts its lines name before
/// storing them.
pub async fn posting_accounts(
    conn: &impl ConnectionTrait,
    org: Uuid,
    ids: &[Uuid],
) -> Result<std::collections::HashSet<Uuid>, AppError> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(account::Entity::find()
        .filter(account::Column::OrganizationId.eq(org))
        .filter(account::Column::Id.is_in(ids.iter().copied()))
        .filter(account::Column::Active.eq(true))
        .filter(account::Column::IsGroup.eq(false))
        .all(conn)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect())
}

/// Seeds the standard chart and posting roles of a new organization (a
/// [`FoundedHook`](crate::platform::state::FoundedHook)).
pub fn organization_founded(
    tx: &DatabaseTransaction,
    org: Uuid,
) -> std::pin::Pin<Box<dyn Future<Output = Result<(), AppError>> + Send + '_>> {
    Box::pin(async move {
        migration::chart::seed(tx, org, chrono::Utc::now()).await?;
        Ok(())
    })
}
