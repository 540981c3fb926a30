//! The chart of accounts, the posting roles and tax rates: master data,
//! archived rather than deleted.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
    sea_query::{Expr, ExprTrait, Func},
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    modules::accounting::{
        dto::*,
        entities::{AccountType, account, journal_line, settings, tax_rate},
    },
    platform::{
        error::{FieldError, conflict_as, unique_violation},
        money::Quantity,
        prelude::*,
    },
};

/// An account of the organization, or 404.
pub async fn find_account(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<account::Model, AppError> {
    tenant::find::<account::Entity>(conn, org, id).await
}

/// `GET /accounting/accounts`, by code.
pub async fn list_accounts(
    conn: &impl ConnectionTrait,
    org: Uuid,
    f: &AccountFilter,
) -> Result<Vec<AccountOut>, AppError> {
    let mut q = account::Entity::find()
        .filter(account::Column::OrganizationId.eq(org))
        .filter(account::Column::Active.eq(f.active.unwrap_or(true)));
    if let Some(t) = f.account_type {
        q = q.filter(account::Column::AccountType.eq(t));
    }
    if let Some(s) = f.subtype {
        q = q.filter(account::Column::Subtype.eq(s));
    }
    if let Some(g) = f.is_group {
        q = q.filter(account::Column::IsGroup.eq(g));
    }
    if let Some(text) = f.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = format!("%{}%", text.to_lowercase());
        q = q.filter(
            Condition::any()
                .add(Expr::expr(Func::lower(Expr::col(account::Column::Code))).like(&pattern))
                .add(Expr::expr(Func::lower(Expr::col(account::Column::Name))).like(&pattern)),
        );
    }
    Ok(q.order_by_asc(account::Column::Code)
        .all(conn)
        .await?
        .into_iter()
        .map(AccountOut::from)
        .collect())
}

/// `GET /accounting/accounts/tree`: every active account under its group.
pub async fn account_tree(
    conn: &impl ConnectionTrait,
    org: Uuid,
) -> Result<Vec<AccountNodeOut>, AppError> {
    let all = account::Entity::find()
        .filter(account::Column::OrganizationId.eq(org))
        .filter(account::Column::Active.eq(true))
        .order_by_asc(account::Column::Code)
        .all(conn)
        .await?;
    fn node(all: &[account::Model], a: &account::Model, depth: usize) -> AccountNodeOut {
        AccountNodeOut {
            id: a.id,
            code: a.code.clone(),
            name: a.name.clone(),
            account_type: a.account_type,
            subtype: a.subtype,
            is_group: a.is_group,
            active: a.active,
            // The chart is acyclic (checked on every write); depth bounds a
            // corrupted one.
            children: all
                .iter()
                .filter(|c| depth < 16 && c.parent_id == Some(a.id))
                .map(|c| node(all, c, depth + 1))
                .collect(),
        }
    }
    // The top level: accounts without a parent, or whose parent is archived.
    Ok(all
        .iter()
        .filter(|a| a.parent_id.is_none_or(|p| !all.iter().any(|o| o.id == p)))
        .map(|a| node(&all, a, 0))
        .collect())
}

/// The parent of an account must be a live group of the same type, and not
/// the account itself or one below it.
async fn check_parent(
    conn: &impl ConnectionTrait,
    org: Uuid,
    parent: Uuid,
    account_type: AccountType,
    this: Option<Uuid>,
) -> Result<(), AppError> {
    let bad =
        |code: &'static str, msg: &'static str| AppError::invalid_field("parent_id", code, msg);
    let mut cursor = Some(parent);
    let mut depth = 0;
    while let Some(id) = cursor {
        if Some(id) == this {
            return Err(bad("cycle", "would put the account below itself"));
        }
        let a = tenant::find_optional::<account::Entity>(conn, org, id)
            .await?
            .ok_or_else(|| bad("not_found", "is not an account of this organization"))?;
        if depth == 0 {
            if !a.is_group {
                return Err(bad(
                    "not_a_group",
                    "is a posting account; a parent must be a group",
                ));
            }
            if a.account_type != account_type {
                return Err(bad("type_mismatch", "is a group of another account type"));
            }
            if !a.active {
                return Err(bad("archived", "is archived"));
            }
        }
        cursor = a.parent_id;
        depth += 1;
        if depth > 16 {
            return Err(bad("too_deep", "the chart may be at most 16 levels deep"));
        }
    }
    Ok(())
}

fn code_taken(e: AppError) -> AppError {
    conflict_as(
        "account_code_taken",
        "An account with this code already exists.",
    )(e)
}

/// `POST /accounting/accounts`.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn create_account(
    state: &AppState,
    p: &Principal,
    input: &AccountIn,
) -> Result<AccountOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    if let Some(parent) = input.parent_id {
        check_parent(&tx, org, parent, input.account_type, None).await?;
    }
    let now = Utc::now();
    let a = account::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org),
        code: Set(input.code.trim().to_string()),
        name: Set(input.name.trim().to_string()),
        account_type: Set(input.account_type),
        subtype: Set(input.subtype),
        parent_id: Set(input.parent_id),
        is_group: Set(input.is_group),
        description: Set(input.description.clone()),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await
    .map_err(unique_violation(
        "account_code_taken",
        "An account with this code already exists.",
    ))?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "accounting.account.created",
            "account",
            a.id,
            json!({ "code": a.code, "type": a.account_type }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(a.into())
}

/// Whether any journal line (draft or posted) uses the account.
async fn has_postings(conn: &impl ConnectionTrait, org: Uuid, id: Uuid) -> Result<bool, AppError> {
    Ok(journal_line::Entity::find()
        .filter(journal_line::Column::OrganizationId.eq(org))
        .filter(journal_line::Column::AccountId.eq(id))
        .count(conn)
        .await?
        > 0)
}

/// `PATCH /accounting/accounts/{id}` and archiving (`active: false`).
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn patch_account(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    patch: &AccountPatch,
    if_match: Option<i32>,
) -> Result<AccountOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let current = find_account(&tx, org, id).await?;
    if let Some(Some(parent)) = patch.parent_id {
        check_parent(&tx, org, parent, current.account_type, Some(id)).await?;
    }
    if patch.active == Some(false) && current.active {
        // No posting may slip onto the account between the check and the write.
        super::periods::hold_postings(&tx).await?;
        check_archivable(&tx, org, &current).await?;
    }
    let updated = tenant::update::<account::Entity>(
        &tx,
        Target::new(org, id, if_match),
        patch.changes(),
        None,
    )
    .await
    .map_err(code_taken)?;
    let action = if patch.active == Some(false) {
        "accounting.account.archived"
    } else {
        "accounting.account.updated"
    };
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            action,
            "account",
            id,
            json!({
                "code": [current.code, updated.code], "name": [current.name, updated.name],
                "active": [current.active, updated.active],
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(updated.into())
}

/// An account with postings, live children, or a posting role keeps living.
async fn check_archivable(
    conn: &impl ConnectionTrait,
    org: Uuid,
    a: &account::Model,
) -> Result<(), AppError> {
    if has_postings(conn, org, a.id).await? {
        return Err(AppError::conflict(
            "account_has_postings",
            "The account has journal lines; it stays in the chart (deactivate its use instead).",
        ));
    }
    let children = account::Entity::find()
        .filter(account::Column::OrganizationId.eq(org))
        .filter(account::Column::ParentId.eq(a.id))
        .filter(account::Column::Active.eq(true))
        .count(conn)
        .await?;
    if children > 0 {
        return Err(AppError::conflict(
            "account_has_children",
            "Archive or move the accounts below this group first.",
        ));
    }
    let s = load_settings(conn, org).await?;
    if role_ids(&s).contains(&Some(a.id)) {
        return Err(AppError::conflict(
            "account_in_use",
            "A posting role (GET /accounting/settings) is mapped to this account; remap it first.",
        ));
    }
    Ok(())
}

/// The account mapped to a role, by its settings column name.
pub fn mapped(s: &settings::Model, column: &str) -> Option<Uuid> {
    match column {
        "cash_account_id" => s.cash_account_id,
        "bank_account_id" => s.bank_account_id,
        "receivable_account_id" => s.receivable_account_id,
        "payable_account_id" => s.payable_account_id,
        "inventory_account_id" => s.inventory_account_id,
        "goods_received_account_id" => s.goods_received_account_id,
        "cost_of_goods_sold_account_id" => s.cost_of_goods_sold_account_id,
        "stock_adjustment_account_id" => s.stock_adjustment_account_id,
        "sales_revenue_account_id" => s.sales_revenue_account_id,
        "sales_tax_account_id" => s.sales_tax_account_id,
        "retained_earnings_account_id" => s.retained_earnings_account_id,
        _ => None,
    }
}

fn role_ids(s: &settings::Model) -> [Option<Uuid>; 11] {
    [
        s.cash_account_id,
        s.bank_account_id,
        s.receivable_account_id,
        s.payable_account_id,
        s.inventory_account_id,
        s.goods_received_account_id,
        s.cost_of_goods_sold_account_id,
        s.stock_adjustment_account_id,
        s.sales_revenue_account_id,
        s.sales_tax_account_id,
        s.retained_earnings_account_id,
    ]
}

/// The organization's posting roles (seeded with the chart).
pub async fn load_settings(
    conn: &impl ConnectionTrait,
    org: Uuid,
) -> Result<settings::Model, AppError> {
    settings::Entity::find_by_id(org)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("This organization has no accounting settings."))
}

/// A live posting account of the organization, or 422 on `field`.
pub async fn posting_account(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
    field: &str,
) -> Result<account::Model, AppError> {
    let a = tenant::find_optional::<account::Entity>(conn, org, id)
        .await?
        .ok_or_else(|| {
            AppError::invalid_field(field, "not_found", "is not an account of this organization")
        })?;
    if a.is_group {
        return Err(AppError::invalid_field(
            field,
            "group_account",
            "is a group account; post to one of its posting accounts",
        ));
    }
    if !a.active {
        return Err(AppError::invalid_field(field, "archived", "is archived"));
    }
    Ok(a)
}

/// `PATCH /accounting/settings`: each remapped role must name a live
/// posting account of the type it needs.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn patch_settings(
    state: &AppState,
    p: &Principal,
    patch: &SettingsPatch,
    if_match: Option<i32>,
) -> Result<SettingsOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let mut errors = Vec::new();
    for (field, id, wanted) in patch.roles() {
        match posting_account(&tx, org, id, field).await {
            Ok(a) if a.account_type != wanted => errors.push(FieldError::new(
                field,
                "wrong_account_type",
                format!("must be an account of type {}", wanted.as_str()),
            )),
            Ok(_) => {}
            Err(e) => errors.extend(e.field_errors().iter().cloned()),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let mut update = settings::Entity::update_many()
        .set(patch.changes())
        .col_expr(
            settings::Column::Version,
            Expr::col(settings::Column::Version).add(1),
        )
        .col_expr(settings::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(settings::Column::OrganizationId.eq(org));
    if let Some(v) = if_match {
        update = update.filter(settings::Column::Version.eq(v));
    }
    if update.exec(&tx).await?.rows_affected == 0 {
        let current = load_settings(&tx, org).await?;
        return Err(tenant::version_mismatch(
            current.version,
            if_match.unwrap_or(0),
        ));
    }
    let after = load_settings(&tx, org).await?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "accounting.settings.updated",
            "accounting_settings",
            org,
            json!(
                patch
                    .roles()
                    .iter()
                    .map(|(f, id, _)| (f.to_string(), id.to_string()))
                    .collect::<std::collections::BTreeMap<_, _>>()
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(after.into())
}

/// Tax is collected in a liability (sales tax payable) or recovered from
/// an asset (input tax).
async fn tax_account(conn: &impl ConnectionTrait, org: Uuid, id: Uuid) -> Result<(), AppError> {
    let a = posting_account(conn, org, id, "account_id").await?;
    if !matches!(a.account_type, AccountType::Liability | AccountType::Asset) {
        return Err(AppError::invalid_field(
            "account_id",
            "wrong_account_type",
            "must be a liability (tax collected) or an asset (tax recoverable) account",
        ));
    }
    Ok(())
}

fn check_rate(rate: Quantity) -> Result<(), AppError> {
    if rate.is_negative() || rate.units() > 100 * crate::platform::money::ONE {
        return Err(AppError::invalid_field(
            "rate",
            "range",
            "must be a percent from 0 to 100",
        ));
    }
    Ok(())
}

/// `GET /accounting/tax-rates`, by name.
pub async fn list_tax_rates(
    conn: &impl ConnectionTrait,
    org: Uuid,
    active: Option<bool>,
) -> Result<Vec<TaxRateOut>, AppError> {
    let mut q = tax_rate::Entity::find().filter(tax_rate::Column::OrganizationId.eq(org));
    if let Some(a) = active {
        q = q.filter(tax_rate::Column::Active.eq(a));
    }
    Ok(q.order_by_asc(tax_rate::Column::Name)
        .all(conn)
        .await?
        .into_iter()
        .map(TaxRateOut::from)
        .collect())
}

/// `POST /accounting/tax-rates`.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn create_tax_rate(
    state: &AppState,
    p: &Principal,
    input: &TaxRateIn,
) -> Result<TaxRateOut, AppError> {
    check_rate(input.rate)?;
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    tax_account(&tx, org, input.account_id).await?;
    let now = Utc::now();
    let t = tax_rate::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org),
        name: Set(input.name.trim().to_string()),
        rate: Set(input.rate),
        account_id: Set(input.account_id),
        active: Set(input.active.unwrap_or(true)),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await
    .map_err(unique_violation(
        "tax_rate_name_taken",
        "A tax rate with this name already exists.",
    ))?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "accounting.tax_rate.created",
            "tax_rate",
            t.id,
            json!({ "name": t.name, "rate": t.rate }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(t.into())
}

/// `PATCH /accounting/tax-rates/{id}` (and deactivation).
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn patch_tax_rate(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    patch: &TaxRatePatch,
    if_match: Option<i32>,
) -> Result<TaxRateOut, AppError> {
    if let Some(r) = patch.rate {
        check_rate(r)?;
    }
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let current = tenant::find::<tax_rate::Entity>(&tx, org, id).await?;
    if let Some(a) = patch.account_id {
        tax_account(&tx, org, a).await?;
    }
    let updated = tenant::update::<tax_rate::Entity>(
        &tx,
        Target::new(org, id, if_match),
        patch.changes(),
        None,
    )
    .await
    .map_err(conflict_as(
        "tax_rate_name_taken",
        "A tax rate with this name already exists.",
    ))?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            if patch.active == Some(false) {
                "accounting.tax_rate.archived"
            } else {
                "accounting.tax_rate.updated"
            },
            "tax_rate",
            id,
            json!({
                "rate": [current.rate, updated.rate], "active": [current.active, updated.active],
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(updated.into())
}

/// One tax rate, or 404.
pub async fn get_tax_rate(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<TaxRateOut, AppError> {
    Ok(tenant::find::<tax_rate::Entity>(conn, org, id)
        .await?
        .into())
}
