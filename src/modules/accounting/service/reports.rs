//! Reports over posted lines: an account's ledger, the trial balance,
//! profit and loss and the balance sheet. Every figure is an exact sum of
//! integers; the database adds, Rust only arranges.

use chrono::{Datelike, Months, NaiveDate};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Value};
use uuid::Uuid;

use super::sql;
use crate::{
    modules::accounting::{
        dto::*,
        entities::{AccountSubtype, AccountType, EntryState, account},
    },
    platform::{
        error::AppError,
        money::Amount,
        pagination::{decode_cursor, encode_cursor},
    },
};

/// Debit and credit sums of one account.
#[derive(Debug, Clone, Copy)]
struct Sums {
    account_id: Uuid,
    debit: i64,
    credit: i64,
}

fn overflow() -> AppError {
    AppError::unprocessable("overflow", "A total is out of the representable range.")
}

fn amount(v: i128) -> Result<Amount, AppError> {
    i64::try_from(v)
        .map(Amount::from_units)
        .map_err(|_| overflow())
}

/// What a sum covers: posted lines dated in `[from, to]` (`from` `None`:
/// since the beginning), with or without year-closing entries, of every
/// account or one.
#[derive(Debug, Clone, Copy)]
struct Scope {
    from: Option<NaiveDate>,
    to: NaiveDate,
    without_closing: bool,
    account: Option<Uuid>,
}

/// Later than any posting (and written the same way as every date on
/// SQLite, where dates compare as text).
const LAST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(day) => day,
    None => NaiveDate::MAX, // unreachable: 9999-12-31 is a valid date
};

/// Debit minus credit of one account's sums (zero without any).
fn net(s: Option<&Sums>) -> Result<i64, AppError> {
    s.map_or(Ok(0), |s| {
        s.debit.checked_sub(s.credit).ok_or_else(overflow)
    })
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn next_month(d: NaiveDate) -> Option<NaiveDate> {
    first_of_month(d).checked_add_months(Months::new(1))
}

/// Per-account sums over a scope. Whole months come from
/// `account_balances` (kept by the posting trigger); only the days of a
/// partial first or last month are added up from the lines. So a report
/// over years of postings reads a few thousand balance rows and at most two
/// months of lines.
async fn sums(conn: &impl ConnectionTrait, org: Uuid, scope: Scope) -> Result<Vec<Sums>, AppError> {
    // Whole months: [months_from, months_to).
    let months_from = match scope.from {
        Some(f) if f.day() == 1 => Some(f),
        Some(f) => next_month(f),
        None => None,
    };
    let months_to = match scope.to.succ_opt() {
        Some(next) if next.day() == 1 => next,
        _ => first_of_month(scope.to),
    };
    let mut totals: Vec<Sums> = Vec::new();
    let whole_months =
        months_from.is_none_or(|f| f < months_to) && scope.from.is_none_or(|f| f <= scope.to);
    if whole_months {
        add(
            &mut totals,
            bucket_sums(conn, org, scope, months_from, months_to).await?,
        )?;
        if let (Some(from), Some(months_from)) = (scope.from, months_from)
            && from < months_from
        {
            let last = months_from.pred_opt().unwrap_or(months_from);
            add(
                &mut totals,
                line_sums(conn, org, scope, Some(from), last).await?,
            )?;
        }
        if months_to <= scope.to {
            add(
                &mut totals,
                line_sums(conn, org, scope, Some(months_to), scope.to).await?,
            )?;
        }
    } else if scope.from.is_none_or(|f| f <= scope.to) {
        add(
            &mut totals,
            line_sums(conn, org, scope, scope.from, scope.to).await?,
        )?;
    }
    Ok(totals)
}

fn add(totals: &mut Vec<Sums>, more: Vec<Sums>) -> Result<(), AppError> {
    for m in more {
        match totals.iter_mut().find(|t| t.account_id == m.account_id) {
            Some(t) => {
                t.debit = t.debit.checked_add(m.debit).ok_or_else(overflow)?;
                t.credit = t.credit.checked_add(m.credit).ok_or_else(overflow)?;
            }
            None => totals.push(m),
        }
    }
    Ok(())
}

async fn run_sums(
    conn: &impl ConnectionTrait,
    text: &str,
    values: Vec<Value>,
) -> Result<Vec<Sums>, AppError> {
    let rows = conn
        .query_all_raw(sql(conn.get_database_backend(), text, values))
        .await
        .map_err(|e| {
            // A sum beyond BIGINT: SQLite says "integer overflow",
            // PostgreSQL "bigint out of range".
            let text = e.to_string();
            if text.contains("overflow") || text.contains("out of range") {
                overflow()
            } else {
                e.into()
            }
        })?;
    rows.into_iter()
        .map(|r| {
            Ok(Sums {
                account_id: r.try_get("", "account_id")?,
                debit: r.try_get("", "debit")?,
                credit: r.try_get("", "credit")?,
            })
        })
        .collect()
}

/// Sums of the monthly balances in `[from, to)` (months).
async fn bucket_sums(
    conn: &impl ConnectionTrait,
    org: Uuid,
    scope: Scope,
    from: Option<NaiveDate>,
    to: NaiveDate,
) -> Result<Vec<Sums>, AppError> {
    let mut text = String::from(
        "SELECT account_id, CAST(SUM(debit) AS BIGINT) AS debit, CAST(SUM(credit) AS BIGINT) AS credit \
         FROM account_balances WHERE organization_id = ? AND month < ?",
    );
    let mut values: Vec<Value> = vec![org.into(), to.into()];
    if let Some(from) = from {
        text.push_str(" AND month >= ?");
        values.push(from.into());
    }
    if scope.without_closing {
        text.push_str(" AND closing = ?");
        values.push(false.into());
    }
    if let Some(a) = scope.account {
        text.push_str(" AND account_id = ?");
        values.push(a.into());
    }
    text.push_str(" GROUP BY account_id");
    run_sums(conn, &text, values).await
}

/// Sums of the posted lines dated in `[from, to]` (days).
async fn line_sums(
    conn: &impl ConnectionTrait,
    org: Uuid,
    scope: Scope,
    from: Option<NaiveDate>,
    to: NaiveDate,
) -> Result<Vec<Sums>, AppError> {
    // Drafts (and closing entries when excluded) are few: leaving their
    // lines out is cheaper than joining every line to its entry.
    let excluded = if scope.without_closing {
        "(e.state = ? OR e.source_type = 'fiscal_year_close')"
    } else {
        "e.state = ?"
    };
    let mut text = format!(
        "SELECT l.account_id AS account_id, CAST(SUM(l.debit) AS BIGINT) AS debit, \
         CAST(SUM(l.credit) AS BIGINT) AS credit FROM journal_lines l \
         WHERE l.organization_id = ? AND l.entry_date <= ? AND l.entry_id NOT IN \
           (SELECT e.id FROM journal_entries e WHERE e.organization_id = ? AND {excluded})"
    );
    let mut values: Vec<Value> = vec![org.into(), to.into(), org.into(), EntryState::Draft.into()];
    if let Some(from) = from {
        text.push_str(" AND l.entry_date >= ?");
        values.push(from.into());
    }
    if let Some(a) = scope.account {
        text.push_str(" AND l.account_id = ?");
        values.push(a.into());
    }
    text.push_str(" GROUP BY l.account_id");
    run_sums(conn, &text, values).await
}

/// Debit minus credit per account of the given types over `[from, to]`
/// (year-closing entries included), by account id.
pub async fn balances_between(
    conn: &impl ConnectionTrait,
    org: Uuid,
    (from, to): (NaiveDate, NaiveDate),
    types: &[AccountType],
) -> Result<Vec<(Uuid, i64)>, AppError> {
    let accounts = accounts(conn, org).await?;
    let mut out = Vec::new();
    for s in sums(conn, org, scope(Some(from), to, false)).await? {
        if accounts
            .iter()
            .any(|a| a.id == s.account_id && types.contains(&a.account_type))
        {
            out.push((s.account_id, net(Some(&s))?));
        }
    }
    out.sort();
    Ok(out)
}

/// Every account's sums up to `to`, or over `[from, to]`.
fn scope(from: Option<NaiveDate>, to: NaiveDate, without_closing: bool) -> Scope {
    Scope {
        from,
        to,
        without_closing,
        account: None,
    }
}

async fn accounts(conn: &impl ConnectionTrait, org: Uuid) -> Result<Vec<account::Model>, AppError> {
    Ok(account::Entity::find()
        .filter(account::Column::OrganizationId.eq(org))
        .all(conn)
        .await?)
}

/// `GET /accounting/reports/trial-balance`.
pub async fn trial_balance(
    conn: &impl ConnectionTrait,
    org: Uuid,
    as_of: NaiveDate,
) -> Result<TrialBalanceOut, AppError> {
    let sums = sums(conn, org, scope(None, as_of, false)).await?;
    let accounts = accounts(conn, org).await?;
    let (mut total_debit, mut total_credit) = (0i128, 0i128);
    let mut rows = Vec::with_capacity(sums.len());
    for s in &sums {
        let Some(a) = accounts.iter().find(|a| a.id == s.account_id) else {
            continue;
        };
        total_debit += i128::from(s.debit);
        total_credit += i128::from(s.credit);
        rows.push(TrialBalanceRowOut {
            account_id: a.id,
            code: a.code.clone(),
            name: a.name.clone(),
            account_type: a.account_type,
            debit: Amount::from_units(s.debit),
            credit: Amount::from_units(s.credit),
            balance: amount(i128::from(s.debit) - i128::from(s.credit))?,
        });
    }
    rows.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(TrialBalanceOut {
        as_of,
        accounts: rows,
        total_debit: amount(total_debit)?,
        total_credit: amount(total_credit)?,
    })
}

/// An account's amount in its normal sign.
fn normal(a: &account::Model, s: &Sums) -> i128 {
    let net = i128::from(s.debit) - i128::from(s.credit);
    if a.account_type.debit_normal() {
        net
    } else {
        -net
    }
}

/// Rows of one account type: (account, amount, compare amount).
fn section(
    accounts: &[account::Model],
    current: &[Sums],
    compare: Option<&[Sums]>,
    of: AccountType,
) -> Result<(Vec<ReportRowOut>, i128, Option<i128>), AppError> {
    let mut rows = Vec::new();
    let (mut total, mut compare_total) = (0i128, compare.map(|_| 0i128));
    for a in accounts.iter().filter(|a| a.account_type == of) {
        let now = current
            .iter()
            .find(|s| s.account_id == a.id)
            .map(|s| normal(a, s));
        let then = compare.map(|c| {
            c.iter()
                .find(|s| s.account_id == a.id)
                .map_or(0, |s| normal(a, s))
        });
        if now.is_none() && then.unwrap_or(0) == 0 {
            continue;
        }
        let now = now.unwrap_or(0);
        total += now;
        if let (Some(t), Some(v)) = (compare_total.as_mut(), then) {
            *t += v;
        }
        rows.push(ReportRowOut {
            account_id: a.id,
            code: a.code.clone(),
            name: a.name.clone(),
            subtype: a.subtype,
            amount: amount(now)?,
            compare_amount: then.map(amount).transpose()?,
        });
    }
    rows.sort_by(|a, b| a.code.cmp(&b.code));
    Ok((rows, total, compare_total))
}

fn by_subtype(
    of: AccountType,
    rows: &[ReportRowOut],
    out: &mut Vec<SubtypeTotalOut>,
) -> Result<(), AppError> {
    let mut subtypes: Vec<AccountSubtype> = rows.iter().map(|r| r.subtype).collect();
    subtypes.sort();
    subtypes.dedup();
    for st in subtypes {
        let mine = rows.iter().filter(|r| r.subtype == st);
        let total: i128 = mine.clone().map(|r| i128::from(r.amount.units())).sum();
        let compare: Option<i128> = mine
            .map(|r| r.compare_amount.map(|c| i128::from(c.units())))
            .sum();
        out.push(SubtypeTotalOut {
            account_type: of,
            subtype: st,
            amount: amount(total)?,
            compare_amount: compare.map(amount).transpose()?,
        });
    }
    Ok(())
}

/// `GET /accounting/reports/profit-and-loss`.
pub async fn profit_and_loss(
    conn: &impl ConnectionTrait,
    org: Uuid,
    q: &RangeQuery,
) -> Result<ProfitAndLossOut, AppError> {
    let (from, to) = match (q.from, q.to) {
        (Some(f), Some(t)) => (f, t),
        (None, _) => return Err(required("from")),
        (_, None) => return Err(required("to")),
    };
    check_range("to", from, to)?;
    let compare = match (q.compare_from, q.compare_to) {
        (Some(f), Some(t)) => {
            check_range("compare_to", f, t)?;
            Some(sums(conn, org, scope(Some(f), t, true)).await?)
        }
        (None, None) => None,
        _ => {
            return Err(AppError::invalid_field(
                "compare_from",
                "required",
                "compare_from and compare_to go together",
            ));
        }
    };
    let current = sums(conn, org, scope(Some(from), to, true)).await?;
    let accounts = accounts(conn, org).await?;
    let (income, ti, ci) = section(&accounts, &current, compare.as_deref(), AccountType::Income)?;
    let (expense, te, ce) = section(
        &accounts,
        &current,
        compare.as_deref(),
        AccountType::Expense,
    )?;
    let mut subtotals = Vec::new();
    by_subtype(AccountType::Income, &income, &mut subtotals)?;
    by_subtype(AccountType::Expense, &expense, &mut subtotals)?;
    Ok(ProfitAndLossOut {
        from,
        to,
        compare_from: q.compare_from,
        compare_to: q.compare_to,
        income,
        expense,
        by_subtype: subtotals,
        total_income: amount(ti)?,
        total_expense: amount(te)?,
        net_profit: amount(ti - te)?,
        compare_net_profit: ci.zip(ce).map(|(i, e)| amount(i - e)).transpose()?,
    })
}

fn required(field: &str) -> AppError {
    AppError::invalid_field(field, "required", "is required")
}

fn check_range(field: &str, from: NaiveDate, to: NaiveDate) -> Result<(), AppError> {
    if to < from {
        return Err(AppError::invalid_field(
            field,
            "range",
            "must not be before the start",
        ));
    }
    Ok(())
}

/// `GET /accounting/reports/balance-sheet`.
pub async fn balance_sheet(
    conn: &impl ConnectionTrait,
    org: Uuid,
    as_of: NaiveDate,
) -> Result<BalanceSheetOut, AppError> {
    let current = sums(conn, org, scope(None, as_of, false)).await?;
    let accounts = accounts(conn, org).await?;
    let (assets, ta, _) = section(&accounts, &current, None, AccountType::Asset)?;
    let (liabilities, tl, _) = section(&accounts, &current, None, AccountType::Liability)?;
    let (equity, teq, _) = section(&accounts, &current, None, AccountType::Equity)?;
    let (_, ti, _) = section(&accounts, &current, None, AccountType::Income)?;
    let (_, tx, _) = section(&accounts, &current, None, AccountType::Expense)?;
    let earnings = ti - tx;
    Ok(BalanceSheetOut {
        as_of,
        assets,
        liabilities,
        equity,
        total_assets: amount(ta)?,
        total_liabilities: amount(tl)?,
        total_equity: amount(teq)?,
        current_earnings: amount(earnings)?,
        total_liabilities_and_equity: amount(tl + teq + earnings)?,
    })
}

/// `GET /accounting/ledger`: posted lines of one account by date, with the
/// running balance; the cursor carries the balance so far.
pub async fn ledger(
    conn: &impl ConnectionTrait,
    org: Uuid,
    q: &LedgerQuery,
    today: NaiveDate,
) -> Result<LedgerOut, AppError> {
    let account_id = q.account_id.ok_or_else(|| required("account_id"))?;
    let a = crate::platform::tenant::find_optional::<account::Entity>(conn, org, account_id)
        .await?
        .ok_or_else(|| {
            AppError::invalid_field(
                "account_id",
                "not_found",
                "is not an account of this organization",
            )
        })?;
    let to = q.to.unwrap_or(today);
    if let Some(from) = q.from {
        check_range("to", from, to)?;
    }
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let backend = conn.get_database_backend();
    let balance = |to: NaiveDate| async move {
        let account = Scope {
            from: None,
            to,
            without_closing: false,
            account: Some(a.id),
        };
        net(sums(conn, org, account).await?.first())
    };
    let opening = match q.from.and_then(|f| f.pred_opt()) {
        Some(day_before) => balance(day_before).await?,
        None => 0,
    };
    let closing = balance(to).await?;
    let (after, mut running): (Option<(NaiveDate, Uuid)>, i64) = match q.cursor.as_deref() {
        Some(c) => {
            let (d, id, bal): (NaiveDate, Uuid, i64) = decode_cursor(c)?;
            (Some((d, id)), bal)
        }
        None => (None, opening),
    };
    let mut text = String::from(
        "SELECT l.id AS id, l.entry_id AS entry_id, e.number AS number, l.entry_date AS entry_date, \
         l.description AS description, e.memo AS memo, l.debit AS debit, l.credit AS credit \
         FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id \
         WHERE l.organization_id = ? AND l.account_id = ? AND e.state = ? AND l.entry_date <= ?",
    );
    let mut values: Vec<Value> = vec![
        org.into(),
        a.id.into(),
        EntryState::Posted.into(),
        to.into(),
    ];
    if let Some(f) = q.from {
        text.push_str(" AND l.entry_date >= ?");
        values.push(f.into());
    }
    if let Some((d, id)) = after {
        text.push_str(" AND (l.entry_date > ? OR (l.entry_date = ? AND l.id > ?))");
        values.extend([d.into(), d.into(), id.into()]);
    }
    text.push_str(" ORDER BY l.entry_date, l.id LIMIT ?");
    values.push(i64::try_from(limit + 1).unwrap_or(201).into());
    let rows = conn.query_all_raw(sql(backend, &text, values)).await?;
    let has_more = rows.len() as u64 > limit;
    let mut lines = Vec::with_capacity(rows.len());
    let mut last_key = None;
    for r in rows.into_iter().take(usize::try_from(limit).unwrap_or(200)) {
        let debit: i64 = r.try_get("", "debit")?;
        let credit: i64 = r.try_get("", "credit")?;
        running = running
            .checked_add(debit)
            .and_then(|v| v.checked_sub(credit))
            .ok_or_else(overflow)?;
        let description: String = r.try_get("", "description")?;
        let date: NaiveDate = r.try_get("", "entry_date")?;
        let id: Uuid = r.try_get("", "id")?;
        last_key = Some((date, id, running));
        lines.push(LedgerLineOut {
            entry_id: r.try_get("", "entry_id")?,
            number: r.try_get("", "number")?,
            date,
            description: if description.is_empty() {
                r.try_get("", "memo")?
            } else {
                description
            },
            debit: Amount::from_units(debit),
            credit: Amount::from_units(credit),
            balance: Amount::from_units(running),
        });
    }
    Ok(LedgerOut {
        account_id: a.id,
        account_code: a.code,
        account_name: a.name,
        from: q.from,
        to,
        opening_balance: Amount::from_units(opening),
        closing_balance: Amount::from_units(closing),
        lines,
        next_cursor: if has_more {
            last_key.map(|k| encode_cursor(&k))
        } else {
            None
        },
        has_more,
    })
}

/// The balance (debit minus credit) of one account over every posted line.
pub async fn account_balance(
    conn: &impl ConnectionTrait,
    org: Uuid,
    account: Uuid,
) -> Result<Amount, AppError> {
    // Every posted line is in a monthly balance.
    let all = Scope {
        from: None,
        to: LAST_DAY,
        without_closing: false,
        account: Some(account),
    };
    let s = bucket_sums(conn, org, all, None, LAST_DAY).await?;
    net(s.first()).map(Amount::from_units)
}
