//! The one path of every posting ([`write_entry`]), whether typed in by
//! hand or posted by another module: the entry is inserted as a draft, its
//! lines after it, and only then is it flipped to `posted`; the database
//! refuses that flip unless the lines balance, and refuses any later change
//! (migration 000014). The service checks the same rules, to answer a 422
//! that names the line. On PostgreSQL the whole posting is one call of the
//! database function `accounting_write_entry`.

use chrono::{NaiveDate, SubsecRound, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement,
    sea_query::{Expr, ExprTrait},
};
use serde_json::json;
use uuid::Uuid;

use super::periods::check_open;
use crate::{
    modules::accounting::{
        dto::*,
        entities::{EntryState, PartyType, account, journal_entry, journal_line},
    },
    platform::{error::FieldError, money::Amount, numbering, prelude::*},
};

/// A line to write: one side is zero, the other positive.
#[derive(Debug, Clone)]
pub struct NewLine {
    /// Account.
    pub account_id: Uuid,
    /// Debit.
    pub debit: Amount,
    /// Credit.
    pub credit: Amount,
    /// Description.
    pub description: String,
    /// Customer or supplier.
    pub party: Option<(PartyType, Uuid)>,
    /// On PostgreSQL, a posting role (an `accounting_settings` column)
    /// resolved to its account in the posting's own statement; elsewhere
    /// `account_id` is already the role's account.
    pub role: Option<&'static str>,
}

impl NewLine {
    /// A debit (positive `amount`) or credit (negative) line.
    pub fn one_sided(account_id: Uuid, amount: i64, description: &str) -> Self {
        let (debit, credit) = if amount >= 0 {
            (amount, 0)
        } else {
            (0, amount.checked_neg().unwrap_or(i64::MAX))
        };
        Self {
            account_id,
            debit: Amount::from_units(debit),
            credit: Amount::from_units(credit),
            description: description.to_string(),
            party: None,
            role: None,
        }
    }
}

/// An entry to write.
#[derive(Debug, Clone)]
pub struct NewEntry {
    /// Organization.
    pub organization_id: Uuid,
    /// Who (`None` for the system).
    pub actor: Option<Uuid>,
    /// Accounting date.
    pub date: NaiveDate,
    /// Memo.
    pub memo: String,
    /// Source document (type, id): at most one entry per source.
    pub source: Option<(String, String)>,
    /// The entry this one reverses.
    pub reversal_of: Option<Uuid>,
    /// Lines.
    pub lines: Vec<NewLine>,
    /// Post now (else a draft).
    pub post: bool,
    /// Refuse a date in a closed period (false only for the year close).
    pub check_period: bool,
}

/// The lines of a request body, checked field by field: each one-sided and
/// above zero, a party only with its type. Returns them, or a 422 naming
/// every bad `lines[i].<field>`.
pub fn lines_from_input(input: &[JournalLineIn]) -> Result<Vec<NewLine>, AppError> {
    let mut errors = Vec::new();
    let mut lines = Vec::with_capacity(input.len());
    for (i, l) in input.iter().enumerate() {
        let at = |f: &str| format!("lines[{i}].{f}");
        match (l.debit, l.credit) {
            (Some(_), Some(_)) => errors.push(FieldError::new(
                at("credit"),
                "two_sided",
                "a line is a debit or a credit, not both",
            )),
            (None, None) => errors.push(FieldError::new(
                at("debit"),
                "required",
                "send a debit or a credit",
            )),
            (Some(a), None) | (None, Some(a)) if a.units() <= 0 => errors.push(FieldError::new(
                at(if l.debit.is_some() { "debit" } else { "credit" }),
                "range",
                "must be greater than zero",
            )),
            _ => {}
        }
        if l.party_type.is_some() != l.party_id.is_some() {
            errors.push(FieldError::new(
                at("party_id"),
                "required",
                "party_type and party_id go together",
            ));
        }
        lines.push(NewLine {
            account_id: l.account_id,
            debit: l.debit.unwrap_or(Amount::ZERO),
            credit: l.credit.unwrap_or(Amount::ZERO),
            description: l.description.clone(),
            party: l.party_type.zip(l.party_id),
            role: None,
        });
    }
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(AppError::validation(errors))
    }
}

/// The arithmetic of an entry's lines: at least two, debits equal to
/// credits, without overflow. Returns the total.
pub(super) fn balanced_total(lines: &[NewLine]) -> Result<Amount, AppError> {
    if lines.len() < 2 {
        return Err(AppError::invalid_field(
            "lines",
            "too_few",
            "an entry needs at least two lines",
        ));
    }
    let (mut debit, mut credit) = (Some(Amount::ZERO), Some(Amount::ZERO));
    for l in lines {
        debit = debit.and_then(|d| d.checked_add(l.debit));
        credit = credit.and_then(|c| c.checked_add(l.credit));
    }
    let (Some(debit), Some(credit)) = (debit, credit) else {
        return Err(AppError::invalid_field(
            "lines",
            "overflow",
            "the totals are out of range",
        ));
    };
    if debit != credit {
        let last = lines.len() - 1;
        let side = if lines[last].debit.units() > 0 {
            "debit"
        } else {
            "credit"
        };
        let off = i128::from(debit.units()) - i128::from(credit.units());
        return Err(AppError::validation(vec![
            FieldError::new(
                "lines",
                "unbalanced",
                format!("total debit {debit} does not equal total credit {credit}"),
            ),
            FieldError::new(
                format!("lines[{last}].{side}"),
                "unbalanced",
                format!(
                    "the entry is out of balance by {}",
                    i64::try_from(off)
                        .map_or_else(|_| off.to_string(), |o| Amount::from_units(o).to_string())
                ),
            ),
        ]));
    }
    Ok(debit)
}

/// The accounts of an entry's lines: each a live posting account of the
/// organization, or a 422 naming every bad `lines[i].account_id`.
pub(super) async fn check_accounts(
    conn: &impl ConnectionTrait,
    org: Uuid,
    lines: &[NewLine],
) -> Result<Vec<account::Model>, AppError> {
    let mut ids: Vec<Uuid> = lines.iter().map(|l| l.account_id).collect();
    ids.sort();
    ids.dedup();
    let accounts = account::Entity::find()
        .filter(account::Column::OrganizationId.eq(org))
        .filter(account::Column::Id.is_in(ids))
        .all(conn)
        .await?;
    let mut errors = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let field = format!("lines[{i}].account_id");
        match accounts.iter().find(|a| a.id == l.account_id) {
            None => errors.push(FieldError::new(
                field,
                "not_found",
                "is not an account of this organization",
            )),
            Some(a) if a.is_group => errors.push(FieldError::new(
                field,
                "group_account",
                "is a group account; post to one of its posting accounts",
            )),
            Some(a) if !a.active => errors.push(FieldError::new(field, "archived", "is archived")),
            Some(_) => {}
        }
    }
    if errors.is_empty() {
        Ok(accounts)
    } else {
        Err(AppError::validation(errors))
    }
}

/// Both: the arithmetic, then the accounts.
pub(super) async fn check_lines(
    conn: &impl ConnectionTrait,
    org: Uuid,
    lines: &[NewLine],
) -> Result<Amount, AppError> {
    let total = balanced_total(lines)?;
    check_accounts(conn, org, lines).await?;
    Ok(total)
}

/// Writes an entry (draft, then posted if asked) with its lines, inside the
/// caller's transaction. The one path of every posting. On an error the
/// caller rolls its transaction back (an `api` caller propagates it).
///
/// The entry row is inserted before the period and the accounts are
/// checked: a period close or an account archive (which lock
/// `journal_entries` against writers on PostgreSQL, see `periods`) either
/// waits for this transaction or makes it wait and then shows it the change.
pub async fn write_entry(conn: &impl ConnectionTrait, e: NewEntry) -> Result<Written, AppError> {
    let org = e.organization_id;
    let total = balanced_total(&e.lines)?;
    let now = Utc::now().trunc_subsecs(6);
    if conn.get_database_backend() == DbBackend::Postgres {
        return write_entry_in_one_call(conn, e, total, now, None).await;
    }
    let number = numbering::next_number(conn, org, "JE").await?;
    let (source_type, source_id) = e.source.clone().unzip();
    let entry = journal_entry::Model {
        id: Uuid::now_v7(),
        organization_id: org,
        number,
        entry_date: e.date,
        memo: e.memo.clone(),
        state: EntryState::Draft,
        source_type,
        source_id,
        reversal_of: e.reversal_of,
        reversed_by: None,
        total,
        created_by: e.actor,
        posted_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    journal_entry::Entity::insert(journal_entry::ActiveModel::from(entry.clone()))
        .exec_without_returning(conn)
        .await
        // One entry per source document (the unique index decides, also
        // between concurrent posts of the same document).
        .map_err(crate::platform::error::unique_violation(
            "already_posted",
            "This source document is already posted.",
        ))?;
    let accounts = check_accounts(conn, org, &e.lines).await?;
    if e.check_period && e.post {
        check_open(conn, org, e.date).await?;
    }
    let lines = insert_lines(conn, &entry, &e.lines).await?;
    let entry = if e.post {
        post_draft(conn, entry, now).await?
    } else {
        entry
    };
    let lines = lines
        .into_iter()
        .map(|l| {
            let a = accounts.iter().find(|a| a.id == l.account_id);
            line_out(l, a.map(|a| (a.code.as_str(), a.name.as_str())))
        })
        .collect();
    Ok(Written { entry, lines })
}

/// [`write_entry`] on PostgreSQL: one call of the database function
/// `accounting_write_entry` (migration 000014) does the numbering, the
/// entry, the checks (after the entry row is written), the lines and the
/// flip to posted; a line on a posting role takes the account the
/// organization's settings map it to, in the same statement. When a check
/// fails the function says which, and the same check here names the line,
/// the role or the period in the answer.
///
/// `standalone`: the call is its own transaction (no BEGIN, no COMMIT: one
/// round trip), writing this audit record with the entry (its entity id
/// and number are the entry's); a failed check then raises, so nothing is
/// kept.
pub(crate) async fn write_entry_in_one_call(
    conn: &impl ConnectionTrait,
    e: NewEntry,
    total: Amount,
    now: chrono::DateTime<Utc>,
    standalone: Option<crate::platform::audit::Stamped>,
) -> Result<Written, AppError> {
    let org = e.organization_id;
    let id = Uuid::now_v7();
    let lines: Vec<journal_line::Model> = e
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| journal_line::Model {
            id: Uuid::now_v7(),
            organization_id: org,
            entry_id: id,
            line_no: i32::try_from(i + 1).unwrap_or(i32::MAX),
            account_id: l.account_id,
            entry_date: e.date,
            debit: l.debit,
            credit: l.credit,
            description: l.description.clone(),
            party_type: l.party.map(|p| p.0),
            party_id: l.party.map(|p| p.1),
        })
        .collect();
    let json_lines: Vec<serde_json::Value> = lines
        .iter()
        .zip(&e.lines)
        .map(|(l, new)| {
            let mut j = json!({
                "id": l.id, "line_no": l.line_no, "account_id": l.account_id,
                "debit": l.debit.units(), "credit": l.credit.units(),
                "description": l.description, "party_type": l.party_type, "party_id": l.party_id,
            });
            if let Some(role) = new.role {
                j["role"] = json!(role);
            }
            j
        })
        .collect();
    let (source_type, source_id) = e.source.clone().unzip();
    let mut values: Vec<sea_orm::Value> = vec![
        id.into(),
        org.into(),
        e.date.into(),
        e.memo.clone().into(),
        source_type.clone().into(),
        source_id.clone().into(),
        e.reversal_of.into(),
        total.units().into(),
        e.actor.into(),
        now.into(),
        e.post.into(),
        e.check_period.into(),
        serde_json::Value::Array(json_lines).into(),
        standalone.is_some().into(),
    ];
    // Lines on a role take the account mapped in the settings row.
    let call = "WITH w AS (SELECT * FROM accounting_write_entry($1, $2, $3, $4, $5, $6, $7, $8, $9, \
        $10, $11, $12, (SELECT jsonb_agg(CASE WHEN jsonb_exists(x.l, 'role') \
          THEN x.l || jsonb_build_object('account_id', to_jsonb(s) -> (x.l ->> 'role')) \
          ELSE x.l END ORDER BY x.n) \
        FROM jsonb_array_elements($13) WITH ORDINALITY AS x(l, n) \
        LEFT JOIN accounting_settings s ON s.organization_id = $2), $14))";
    let text = match &standalone {
        None => format!("{call} SELECT number, problem, accounts FROM w"),
        Some(audit) => {
            values.extend([
                audit.id.into(),
                audit.entry.actor_id.into(),
                audit.entry.action.clone().into(),
                audit.entry.entity_type.clone().into(),
                audit.entry.changes.clone().into(),
                audit.request_id.clone().into(),
            ]);
            format!(
                "{call}, audited AS (INSERT INTO audit_logs (id, organization_id, actor_id, action, \
                 entity_type, entity_id, changes, request_id, created_at) \
                 SELECT $15, $2, $16, $17, $18, $1::text, \
                 $19::jsonb || jsonb_build_object('number', w.number), $20, $10 \
                 FROM w WHERE w.problem IS NULL) \
                 SELECT number, problem, accounts FROM w"
            )
        }
    };
    let answer = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            text,
            values,
        ))
        .await;
    let problem_of = |message: &str| {
        ["invalid_account", "period_closed"]
            .into_iter()
            .find(|p| message.contains(&format!("accounting:{p}")))
    };
    let row = match answer {
        Ok(Some(row)) => row,
        Ok(None) => {
            return Err(AppError::internal(anyhow::anyhow!(
                "accounting_write_entry returned no row"
            )));
        }
        Err(err) => {
            if let Some(problem) = problem_of(&err.to_string()) {
                return Err(explain(conn, &e, problem).await);
            }
            return Err(crate::platform::error::unique_violation(
                "already_posted",
                "This source document is already posted.",
            )(err));
        }
    };
    let number: String = row.try_get("", "number")?;
    if let Some(problem) = row.try_get::<Option<String>>("", "problem")? {
        return Err(explain(conn, &e, &problem).await);
    }
    #[derive(serde::Deserialize)]
    struct Named {
        id: Uuid,
        code: String,
        name: String,
    }
    let accounts: Vec<Named> = row
        .try_get::<Option<serde_json::Value>>("", "accounts")?
        .map(serde_json::from_value)
        .transpose()
        .map_err(|err| AppError::internal(anyhow::anyhow!("accounts of a posting: {err}")))?
        .unwrap_or_default();
    let (state, posted_at, version) = if e.post {
        (EntryState::Posted, Some(now), 2)
    } else {
        (EntryState::Draft, None, 1)
    };
    let entry = journal_entry::Model {
        id,
        organization_id: org,
        number,
        entry_date: e.date,
        memo: e.memo,
        state,
        source_type,
        source_id,
        reversal_of: e.reversal_of,
        reversed_by: None,
        total,
        created_by: e.actor,
        posted_at,
        created_at: now,
        updated_at: now,
        version,
    };
    // A role's line answers with a nil account id (`api::post` returns only
    // the entry's id).
    let lines = lines
        .into_iter()
        .map(|l| {
            let a = accounts.iter().find(|a| a.id == l.account_id);
            line_out(l, a.map(|a| (a.code.as_str(), a.name.as_str())))
        })
        .collect();
    Ok(Written { entry, lines })
}

/// Why the database function refused a posting, as precisely as the
/// service's own checks say it: the role that is not mapped, the line whose
/// account is not a live posting account, or the closed period. Should the
/// cause be gone meanwhile (reopened, re-activated), it was a race.
async fn explain(conn: &impl ConnectionTrait, e: &NewEntry, problem: &str) -> AppError {
    let found = async {
        if problem == "period_closed" {
            return check_open(conn, e.organization_id, e.date).await;
        }
        let mut lines = e.lines.clone();
        if lines.iter().any(|l| l.role.is_some()) {
            let settings = super::chart::load_settings(conn, e.organization_id).await?;
            for l in &mut lines {
                if let Some(role) = l.role {
                    l.account_id = super::chart::mapped(&settings, role).ok_or_else(|| {
                        AppError::conflict(
                            "account_role_unmapped",
                            format!(
                                "Map {role} in PATCH /api/v1/accounting/settings before posting."
                            ),
                        )
                    })?;
                }
            }
        }
        check_accounts(conn, e.organization_id, &lines)
            .await
            .map(|_| ())
    };
    match found.await {
        Err(e) => e,
        Ok(()) => AppError::conflict(
            "concurrent_change",
            "The period or an account changed while this entry was posted; retry.",
        ),
    }
}

/// An entry as written, with its lines as the API shows them.
pub struct Written {
    /// The entry.
    pub entry: journal_entry::Model,
    /// Its lines, in order.
    pub lines: Vec<JournalLineOut>,
}

impl Written {
    /// The response body.
    pub fn out(self) -> JournalEntryOut {
        JournalEntryOut::new(self.entry, self.lines)
    }
}

/// A stored line as the API shows it, with its account's (code, name).
pub(super) fn line_out(l: journal_line::Model, account: Option<(&str, &str)>) -> JournalLineOut {
    JournalLineOut {
        id: l.id,
        line_no: l.line_no,
        account_id: l.account_id,
        account_code: account.map(|a| a.0.to_string()).unwrap_or_default(),
        account_name: account.map(|a| a.1.to_string()).unwrap_or_default(),
        debit: l.debit,
        credit: l.credit,
        description: l.description,
        party_type: l.party_type,
        party_id: l.party_id,
    }
}

pub(super) async fn insert_lines(
    conn: &impl ConnectionTrait,
    entry: &journal_entry::Model,
    lines: &[NewLine],
) -> Result<Vec<journal_line::Model>, AppError> {
    let rows: Vec<journal_line::Model> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| journal_line::Model {
            id: Uuid::now_v7(),
            organization_id: entry.organization_id,
            entry_id: entry.id,
            line_no: i32::try_from(i + 1).unwrap_or(i32::MAX),
            account_id: l.account_id,
            entry_date: entry.entry_date,
            debit: l.debit,
            credit: l.credit,
            description: l.description.clone(),
            party_type: l.party.map(|p| p.0),
            party_id: l.party.map(|p| p.1),
        })
        .collect();
    journal_line::Entity::insert_many(rows.iter().cloned().map(journal_line::ActiveModel::from))
        .exec_without_returning(conn)
        .await?;
    Ok(rows)
}

/// Flips a draft to posted: one conditional UPDATE on its state (the
/// database checks the balance as it applies).
pub(super) async fn post_draft(
    conn: &impl ConnectionTrait,
    mut entry: journal_entry::Model,
    now: chrono::DateTime<Utc>,
) -> Result<journal_entry::Model, AppError> {
    let done = journal_entry::Entity::update_many()
        .col_expr(
            journal_entry::Column::State,
            Expr::value(EntryState::Posted),
        )
        .col_expr(journal_entry::Column::PostedAt, Expr::value(now))
        .col_expr(journal_entry::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            journal_entry::Column::Version,
            Expr::col(journal_entry::Column::Version).add(1),
        )
        .filter(journal_entry::Column::Id.eq(entry.id))
        .filter(journal_entry::Column::State.eq(EntryState::Draft))
        .exec(conn)
        .await?
        .rows_affected;
    if done != 1 {
        return Err(already_posted());
    }
    entry.state = EntryState::Posted;
    entry.posted_at = Some(now);
    entry.updated_at = now;
    entry.version += 1;
    Ok(entry)
}

pub(super) fn already_posted() -> AppError {
    AppError::conflict(
        "entry_posted",
        "The entry is posted and immutable; correct it with a reversal (POST /api/v1/accounting/journal/{id}/reverse).",
    )
}
