//! Fiscal years, their monthly periods, closing and reopening, and the year
//! close that moves the year's profit into retained earnings.
//!
//! A posting inserts its entry first and checks the period after, and a
//! close (on PostgreSQL) first locks `journal_entries` against writers
//! (SHARE ROW EXCLUSIVE: it conflicts with every insert and with another
//! close, so two closes queue instead of deadlocking): the close waits for
//! every posting already writing, and a posting that starts writing after
//! it waits for the close and then sees the period closed. So no entry ever
//! lands in a closed period, without postings locking the period row they
//! all share. The price: a close pauses postings (of every organization)
//! for the few milliseconds it runs; closes are rare.

use chrono::{Months, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, Set,
    sea_query::{Expr, ExprTrait},
};
use serde_json::json;
use uuid::Uuid;

use super::{
    chart::load_settings,
    posting::{self, NewEntry, NewLine},
};
use crate::{
    modules::accounting::{
        dto::*,
        entities::{AccountType, PeriodState, fiscal_period, fiscal_year},
    },
    platform::prelude::*,
};

/// 409 `period_closed` if a closed period covers `date`. Dates outside every
/// fiscal year are open (an organization need not define years to post).
pub async fn check_open(
    conn: &impl ConnectionTrait,
    org: Uuid,
    date: NaiveDate,
) -> Result<(), AppError> {
    let closed = fiscal_period::Entity::find()
        .filter(fiscal_period::Column::OrganizationId.eq(org))
        .filter(fiscal_period::Column::StartDate.lte(date))
        .filter(fiscal_period::Column::EndDate.gte(date))
        .filter(fiscal_period::Column::State.eq(PeriodState::Closed))
        .one(conn)
        .await?;
    match closed {
        Some(p) => Err(AppError::conflict(
            "period_closed",
            format!(
                "The fiscal period {} to {} is closed; date the entry in an open period or \
                 reopen it (POST /api/v1/accounting/periods/{}/reopen).",
                p.start_date, p.end_date, p.id
            ),
        )),
        None => Ok(()),
    }
}

/// Waits for postings in flight and holds new ones until the caller's
/// transaction ends (PostgreSQL; SQLite write transactions are serialized).
/// Also used by account archiving, for the same reason.
pub async fn hold_postings(conn: &impl ConnectionTrait) -> Result<(), AppError> {
    lock_table(conn, "journal_entries").await
}

async fn lock_table(conn: &impl ConnectionTrait, table: &str) -> Result<(), AppError> {
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.execute_unprepared(&format!("LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"))
            .await?;
    }
    Ok(())
}

async fn periods_of(
    conn: &impl ConnectionTrait,
    org: Uuid,
    year: Uuid,
) -> Result<Vec<fiscal_period::Model>, AppError> {
    Ok(fiscal_period::Entity::find()
        .filter(fiscal_period::Column::OrganizationId.eq(org))
        .filter(fiscal_period::Column::FiscalYearId.eq(year))
        .order_by_asc(fiscal_period::Column::Number)
        .all(conn)
        .await?)
}

/// `GET /accounting/fiscal-years`, latest first.
pub async fn list_years(
    conn: &impl ConnectionTrait,
    org: Uuid,
) -> Result<Vec<FiscalYearOut>, AppError> {
    let years = fiscal_year::Entity::find()
        .filter(fiscal_year::Column::OrganizationId.eq(org))
        .order_by_desc(fiscal_year::Column::StartDate)
        .all(conn)
        .await?;
    let mut periods = fiscal_period::Entity::find()
        .filter(fiscal_period::Column::OrganizationId.eq(org))
        .order_by_asc(fiscal_period::Column::StartDate)
        .all(conn)
        .await?;
    Ok(years
        .into_iter()
        .map(|y| {
            let (mine, rest) = periods.drain(..).partition(|p| p.fiscal_year_id == y.id);
            periods = rest;
            FiscalYearOut::new(y, mine)
        })
        .collect())
}

/// One fiscal year with its periods, or 404.
pub async fn get_year(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<FiscalYearOut, AppError> {
    let y = tenant::find::<fiscal_year::Entity>(conn, org, id).await?;
    let periods = periods_of(conn, org, id).await?;
    Ok(FiscalYearOut::new(y, periods))
}

/// `POST /accounting/fiscal-years`: the year and its twelve monthly periods.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn create_year(
    state: &AppState,
    p: &Principal,
    input: &FiscalYearIn,
) -> Result<FiscalYearOut, AppError> {
    let org = p.organization_id;
    let start = input.start_date;
    if chrono::Datelike::day(&start) != 1 {
        return Err(AppError::invalid_field(
            "start_date",
            "first_of_month",
            "must be the first day of a month",
        ));
    }
    let month = |n: u32| {
        start.checked_add_months(Months::new(n)).ok_or_else(|| {
            AppError::invalid_field("start_date", "range", "is too far in the future")
        })
    };
    let end = month(12)?.pred_opt().unwrap_or(start);
    let tx = begin_write(&state.db).await?;
    // Two concurrent creates of overlapping years: the second waits, then sees the first.
    lock_table(&tx, "fiscal_years").await?;
    let overlapping = fiscal_year::Entity::find()
        .filter(fiscal_year::Column::OrganizationId.eq(org))
        .filter(fiscal_year::Column::StartDate.lte(end))
        .filter(fiscal_year::Column::EndDate.gte(start))
        .one(&tx)
        .await?;
    if let Some(y) = overlapping {
        return Err(AppError::conflict(
            "fiscal_year_overlaps",
            format!(
                "The fiscal year {} ({} to {}) overlaps these dates.",
                y.name, y.start_date, y.end_date
            ),
        ));
    }
    let now = Utc::now();
    let name = input
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map_or_else(
            || format!("FY{}", chrono::Datelike::year(&end)),
            str::to_string,
        );
    let year = fiscal_year::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org),
        name: Set(name),
        start_date: Set(start),
        end_date: Set(end),
        state: Set(PeriodState::Open),
        closing_entry_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    let mut periods = Vec::with_capacity(12);
    for n in 0..12u32 {
        let first = month(n)?;
        let last = month(n + 1)?.pred_opt().unwrap_or(first);
        let number = i32::try_from(n + 1).unwrap_or(1);
        let period = fiscal_period::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(org),
            fiscal_year_id: Set(year.id),
            number: Set(number),
            start_date: Set(first),
            end_date: Set(last),
            state: Set(PeriodState::Open),
            closed_at: Set(None),
            updated_at: Set(now),
            version: Set(1),
        };
        periods.push(period.insert(&tx).await?);
    }
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "accounting.fiscal_year.created",
            "fiscal_year",
            year.id,
            json!({
                "name": year.name, "start_date": year.start_date, "end_date": year.end_date,
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(FiscalYearOut::new(year, periods))
}

/// `POST /accounting/periods/{id}/close` and `/reopen`.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn set_period_state(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    to: PeriodState,
) -> Result<PeriodOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    hold_postings(&tx).await?;
    let period = tenant::find::<fiscal_period::Entity>(&tx, org, id).await?;
    if to == PeriodState::Open {
        let year = tenant::find::<fiscal_year::Entity>(&tx, org, period.fiscal_year_id).await?;
        if year.state == PeriodState::Closed {
            return Err(AppError::conflict(
                "fiscal_year_closed",
                "The period's fiscal year is closed; its periods stay closed.",
            ));
        }
    }
    let mut changes = fiscal_period::ActiveModel {
        state: Set(to),
        ..Default::default()
    };
    if to == PeriodState::Closed {
        changes.closed_at = Set(Some(Utc::now()));
    }
    let updated =
        tenant::update::<fiscal_period::Entity>(&tx, Target::new(org, id, None), changes, None)
            .await?;
    let action = if to == PeriodState::Closed {
        "accounting.period.closed"
    } else {
        "accounting.period.reopened"
    };
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            action,
            "fiscal_period",
            id,
            json!({
                "start_date": period.start_date, "end_date": period.end_date,
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(updated.into())
}

/// `POST /accounting/fiscal-years/{id}/close`: posts the closing entry
/// (dated the year's last day) that brings every income and expense account
/// of the year to zero against retained earnings, then closes the year and
/// all its periods.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn close_year(
    state: &AppState,
    p: &Principal,
    id: Uuid,
) -> Result<FiscalYearOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    hold_postings(&tx).await?;
    let year = tenant::find::<fiscal_year::Entity>(&tx, org, id).await?;
    if year.state == PeriodState::Closed {
        return Err(AppError::conflict(
            "fiscal_year_closed",
            "The fiscal year is already closed.",
        ));
    }
    let retained = load_settings(&tx, org)
        .await?
        .retained_earnings_account_id
        .ok_or_else(|| {
            AppError::conflict(
                "retained_earnings_unmapped",
                "Map retained_earnings_account_id in PATCH /api/v1/accounting/settings first.",
            )
        })?;
    let lines = closing_lines(&tx, org, &year, retained).await?;
    let closing_entry = if lines.is_empty() {
        None
    } else {
        let entry = posting::write_entry(
            &tx,
            NewEntry {
                organization_id: org,
                actor: Some(p.user_id),
                date: year.end_date,
                memo: format!("Closing of fiscal year {}", year.name),
                source: Some(("fiscal_year_close".into(), year.id.to_string())),
                reversal_of: None,
                lines,
                post: true,
                check_period: false,
            },
        )
        .await?;
        Some(entry.entry.id)
    };
    let now = Utc::now();
    fiscal_period::Entity::update_many()
        .col_expr(
            fiscal_period::Column::State,
            Expr::value(PeriodState::Closed),
        )
        .col_expr(fiscal_period::Column::ClosedAt, Expr::value(now))
        .col_expr(fiscal_period::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            fiscal_period::Column::Version,
            Expr::col(fiscal_period::Column::Version).add(1),
        )
        .filter(fiscal_period::Column::OrganizationId.eq(org))
        .filter(fiscal_period::Column::FiscalYearId.eq(id))
        .exec(&tx)
        .await?;
    let changes = fiscal_year::ActiveModel {
        state: Set(PeriodState::Closed),
        closing_entry_id: Set(closing_entry),
        ..Default::default()
    };
    tenant::update::<fiscal_year::Entity>(&tx, Target::new(org, id, None), changes, None).await?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "accounting.fiscal_year.closed",
            "fiscal_year",
            id,
            json!({
                "closing_entry_id": closing_entry,
            }),
        ),
    )
    .await?;
    let out = get_year(&tx, org, id).await?;
    tx.commit().await?;
    Ok(out)
}

/// The lines that zero every income and expense account over the year, the
/// difference going to retained earnings.
async fn closing_lines(
    conn: &impl ConnectionTrait,
    org: Uuid,
    year: &fiscal_year::Model,
    retained: Uuid,
) -> Result<Vec<NewLine>, AppError> {
    let balances = super::reports::balances_between(
        conn,
        org,
        (year.start_date, year.end_date),
        &[AccountType::Income, AccountType::Expense],
    )
    .await?;
    let mut lines = Vec::new();
    let mut net: i128 = 0;
    let memo = format!("Close {}", year.name);
    for (account_id, balance) in balances {
        if balance == 0 {
            continue;
        }
        net += i128::from(balance);
        lines.push(NewLine::one_sided(account_id, -balance, &memo));
    }
    if net != 0 {
        let net = i64::try_from(net).map_err(|_| {
            AppError::unprocessable("overflow", "The year's result is out of range.")
        })?;
        lines.push(NewLine::one_sided(retained, net, &memo));
    }
    Ok(lines)
}
