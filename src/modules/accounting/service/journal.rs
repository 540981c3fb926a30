//! The journal's use cases: manual entries (drafts until posted), posting a
//! draft, reversal, and the list. Every write goes through `posting`.

use chrono::{NaiveDate, SubsecRound, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
    sea_query::{Expr, ExprTrait, Query},
};
use serde_json::json;
use uuid::Uuid;

use super::{
    periods::check_open,
    posting::{
        NewEntry, NewLine, already_posted, balanced_total, check_lines, insert_lines,
        lines_from_input, post_draft, write_entry, write_entry_in_one_call,
    },
};
use crate::{
    modules::accounting::{
        dto::*,
        entities::{EntryState, account, journal_entry, journal_line},
    },
    platform::{
        pagination::{Page, decode_cursor},
        prelude::*,
    },
};

/// An entry's stored lines, in order; `mirror` swaps debits and credits.
async fn stored_lines(
    conn: &impl ConnectionTrait,
    entry: Uuid,
    mirror: bool,
) -> Result<Vec<NewLine>, AppError> {
    Ok(journal_line::Entity::find()
        .filter(journal_line::Column::EntryId.eq(entry))
        .order_by_asc(journal_line::Column::LineNo)
        .all(conn)
        .await?
        .into_iter()
        .map(|l| {
            let (debit, credit) = if mirror {
                (l.credit, l.debit)
            } else {
                (l.debit, l.credit)
            };
            NewLine {
                account_id: l.account_id,
                debit,
                credit,
                description: l.description,
                party: l.party_type.zip(l.party_id),
                role: None,
            }
        })
        .collect())
}

/// The entry's lines with their accounts, in order.
async fn line_outs(
    conn: &impl ConnectionTrait,
    entries: &[Uuid],
) -> Result<Vec<(Uuid, JournalLineOut)>, AppError> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let lines = journal_line::Entity::find()
        .filter(journal_line::Column::EntryId.is_in(entries.to_vec()))
        .order_by_asc(journal_line::Column::EntryId)
        .order_by_asc(journal_line::Column::LineNo)
        .all(conn)
        .await?;
    let mut ids: Vec<Uuid> = lines.iter().map(|l| l.account_id).collect();
    ids.sort();
    ids.dedup();
    let accounts = account::Entity::find()
        .filter(account::Column::Id.is_in(ids))
        .all(conn)
        .await?;
    Ok(lines
        .into_iter()
        .map(|l| {
            let a = accounts.iter().find(|a| a.id == l.account_id);
            (
                l.entry_id,
                JournalLineOut {
                    id: l.id,
                    line_no: l.line_no,
                    account_id: l.account_id,
                    account_code: a.map(|a| a.code.clone()).unwrap_or_default(),
                    account_name: a.map(|a| a.name.clone()).unwrap_or_default(),
                    debit: l.debit,
                    credit: l.credit,
                    description: l.description,
                    party_type: l.party_type,
                    party_id: l.party_id,
                },
            )
        })
        .collect())
}

/// Entries with their lines.
async fn outs(
    conn: &impl ConnectionTrait,
    entries: Vec<journal_entry::Model>,
) -> Result<Vec<JournalEntryOut>, AppError> {
    let ids: Vec<Uuid> = entries.iter().map(|e| e.id).collect();
    let mut lines = line_outs(conn, &ids).await?;
    Ok(entries
        .into_iter()
        .map(|e| {
            let (mine, rest) = lines.drain(..).partition(|(id, _)| *id == e.id);
            lines = rest;
            JournalEntryOut::new(e, mine.into_iter().map(|(_, l)| l).collect())
        })
        .collect())
}

/// One entry with its lines.
async fn entry_out(
    conn: &impl ConnectionTrait,
    e: journal_entry::Model,
) -> Result<JournalEntryOut, AppError> {
    let lines = line_outs(conn, &[e.id]).await?;
    Ok(JournalEntryOut::new(
        e,
        lines.into_iter().map(|(_, l)| l).collect(),
    ))
}

/// One entry with its lines, or 404.
pub async fn get_entry(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<JournalEntryOut, AppError> {
    let e = tenant::find::<journal_entry::Entity>(conn, org, id).await?;
    entry_out(conn, e).await
}

/// `POST /accounting/journal`.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn create_entry(
    state: &AppState,
    p: &Principal,
    input: &JournalEntryIn,
) -> Result<JournalEntryOut, AppError> {
    let lines = lines_from_input(&input.lines)?;
    let org = p.organization_id;
    let action = if input.post {
        "accounting.journal_entry.posted"
    } else {
        "accounting.journal_entry.created"
    };
    let new = NewEntry {
        organization_id: org,
        actor: Some(p.user_id),
        date: input.date,
        memo: input.memo.clone(),
        source: None,
        reversal_of: None,
        lines,
        post: input.post,
        check_period: true,
    };
    if state.db.get_database_backend() == DbBackend::Postgres {
        // One statement, its own transaction: the entry and its audit record.
        let total = balanced_total(&new.lines)?;
        let now = Utc::now().trunc_subsecs(6);
        let entry_state = if new.post {
            EntryState::Posted
        } else {
            EntryState::Draft
        };
        let audit = AuditEntry::by(
            p,
            action,
            "journal_entry",
            Uuid::nil(),
            json!({
                "date": new.date, "total": total, "state": entry_state,
            }),
        );
        let written =
            write_entry_in_one_call(&state.db, new, total, now, Some(audit.stamp(now))).await?;
        return Ok(written.out());
    }
    let tx = begin_write(&state.db).await?;
    let entry = write_entry(&tx, new).await?;
    audit::record(&tx, entry_audit(p, action, &entry.entry)).await?;
    tx.commit().await?;
    Ok(entry.out())
}

fn entry_audit(p: &Principal, action: &str, e: &journal_entry::Model) -> AuditEntry {
    AuditEntry::by(
        p,
        action,
        "journal_entry",
        e.id,
        json!({
            "number": e.number, "date": e.entry_date, "total": e.total, "state": e.state,
        }),
    )
}

fn draft_only(e: &journal_entry::Model) -> Result<(), AppError> {
    if e.state == EntryState::Posted {
        Err(already_posted())
    } else {
        Ok(())
    }
}

/// `PATCH /accounting/journal/{id}`: drafts only; `lines` replaces them all.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn patch_entry(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    patch: &JournalEntryPatch,
    if_match: Option<i32>,
) -> Result<JournalEntryOut, AppError> {
    let lines = patch.lines.as_deref().map(lines_from_input).transpose()?;
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let current = tenant::find::<journal_entry::Entity>(&tx, org, id).await?;
    draft_only(&current)?;
    let mut changes = <journal_entry::ActiveModel as Default>::default();
    if let Some(d) = patch.date {
        changes.entry_date = Set(d);
    }
    if let Some(m) = &patch.memo {
        changes.memo = Set(m.clone());
    }
    if let Some(lines) = &lines {
        changes.total = Set(check_lines(&tx, org, lines).await?);
    }
    let guard = Guard::new(
        journal_entry::Column::State.eq(EntryState::Draft),
        |_: &journal_entry::Model| already_posted(),
    );
    let updated = tenant::update::<journal_entry::Entity>(
        &tx,
        Target::new(org, id, if_match),
        changes,
        Some(guard),
    )
    .await?;
    if let Some(lines) = &lines {
        journal_line::Entity::delete_many()
            .filter(journal_line::Column::EntryId.eq(id))
            .exec(&tx)
            .await?;
        insert_lines(&tx, &updated, lines).await?;
    } else if patch.date.is_some() {
        journal_line::Entity::update_many()
            .col_expr(
                journal_line::Column::EntryDate,
                Expr::value(updated.entry_date),
            )
            .filter(journal_line::Column::EntryId.eq(id))
            .exec(&tx)
            .await?;
    }
    audit::record(
        &tx,
        entry_audit(p, "accounting.journal_entry.updated", &updated),
    )
    .await?;
    let out = entry_out(&tx, updated).await?;
    tx.commit().await?;
    Ok(out)
}

/// `DELETE /accounting/journal/{id}`: drafts only.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn delete_entry(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    if_match: Option<i32>,
) -> Result<(), AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let current = tenant::find::<journal_entry::Entity>(&tx, org, id).await?;
    draft_only(&current)?;
    journal_line::Entity::delete_many()
        .filter(journal_line::Column::EntryId.eq(id))
        .filter(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(journal_entry::Entity)
                .and_where(journal_entry::Column::Id.eq(id))
                .and_where(journal_entry::Column::State.eq(EntryState::Draft))
                .to_owned(),
        ))
        .exec(&tx)
        .await?;
    let guard = Guard::new(
        journal_entry::Column::State.eq(EntryState::Draft),
        |_: &journal_entry::Model| already_posted(),
    );
    tenant::delete::<journal_entry::Entity>(&tx, Target::new(org, id, if_match), Some(guard))
        .await?;
    audit::record(
        &tx,
        entry_audit(p, "accounting.journal_entry.deleted", &current),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `POST /accounting/journal/{id}/post`: checks the draft's lines as they
/// are now (accounts may have been archived) and its period.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn post_entry(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    if_match: Option<i32>,
) -> Result<JournalEntryOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let current = tenant::find::<journal_entry::Entity>(&tx, org, id).await?;
    draft_only(&current)?;
    if let Some(v) = if_match.filter(|v| *v != current.version) {
        return Err(tenant::version_mismatch(current.version, v));
    }
    let lines = stored_lines(&tx, id, false).await?;
    let date = current.entry_date;
    // Written first, checked after (see `write_entry`).
    let posted = post_draft(&tx, current, Utc::now().trunc_subsecs(6)).await?;
    check_lines(&tx, org, &lines).await?;
    check_open(&tx, org, date).await?;
    audit::record(
        &tx,
        entry_audit(p, "accounting.journal_entry.posted", &posted),
    )
    .await?;
    let out = entry_out(&tx, posted).await?;
    tx.commit().await?;
    Ok(out)
}

/// `POST /accounting/journal/{id}/reverse`: a posted mirror entry (debits
/// and credits swapped) on the chosen date; an entry is reversed once.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn reverse_entry(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    input: &ReverseIn,
) -> Result<JournalEntryOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let original = tenant::find::<journal_entry::Entity>(&tx, org, id).await?;
    if original.state != EntryState::Posted {
        return Err(AppError::conflict(
            "entry_not_posted",
            "Only a posted entry can be reversed; delete or change a draft instead.",
        ));
    }
    if original.source_type.is_some() && original.reversal_of.is_none() {
        return Err(AppError::conflict(
            "entry_from_document",
            "The entry was posted by a source document (stock movement, year close, ...); \
             correct it through that document, not by reversing its posting.",
        ));
    }
    if original.reversed_by.is_some() || original.reversal_of.is_some() {
        return Err(AppError::conflict(
            "already_reversed",
            "The entry is already reversed (or is itself a reversal).",
        ));
    }
    let lines = stored_lines(&tx, id, true).await?;
    let mirror = write_entry(
        &tx,
        NewEntry {
            organization_id: org,
            actor: Some(p.user_id),
            date: input.date,
            memo: input
                .memo
                .clone()
                .unwrap_or_else(|| format!("Reversal of {}", original.number)),
            source: Some(("journal_reversal".into(), id.to_string())),
            reversal_of: Some(id),
            lines,
            post: true,
            check_period: true,
        },
    )
    .await
    .map_err(|e| {
        // A concurrent reversal of the same entry got there first.
        if e.code() == "already_posted" {
            AppError::conflict("already_reversed", "The entry is already reversed.")
        } else {
            e
        }
    })?;
    let linked = journal_entry::Entity::update_many()
        .col_expr(
            journal_entry::Column::ReversedBy,
            Expr::value(mirror.entry.id),
        )
        .col_expr(
            journal_entry::Column::UpdatedAt,
            Expr::value(mirror.entry.created_at),
        )
        .col_expr(
            journal_entry::Column::Version,
            Expr::col(journal_entry::Column::Version).add(1),
        )
        .filter(journal_entry::Column::Id.eq(id))
        .filter(journal_entry::Column::ReversedBy.is_null())
        .exec(&tx)
        .await?
        .rows_affected;
    if linked != 1 {
        return Err(AppError::conflict(
            "already_reversed",
            "The entry is already reversed.",
        ));
    }
    audit::record(
        &tx,
        entry_audit(p, "accounting.journal_entry.reversed", &mirror.entry),
    )
    .await?;
    tx.commit().await?;
    Ok(mirror.out())
}

/// `GET /accounting/journal`: newest date first, cursor over (date, id).
pub async fn list_entries(
    conn: &impl ConnectionTrait,
    org: Uuid,
    f: &JournalFilter,
) -> Result<Page<JournalEntryOut>, AppError> {
    let limit = f.limit.unwrap_or(50).clamp(1, 200);
    let mut q = journal_entry::Entity::find().filter(journal_entry::Column::OrganizationId.eq(org));
    if let Some(from) = f.from {
        q = q.filter(journal_entry::Column::EntryDate.gte(from));
    }
    if let Some(to) = f.to {
        q = q.filter(journal_entry::Column::EntryDate.lte(to));
    }
    if let Some(s) = f.state {
        q = q.filter(journal_entry::Column::State.eq(s));
    }
    match f.source.as_deref() {
        Some("manual") => q = q.filter(journal_entry::Column::SourceType.is_null()),
        Some(s) => q = q.filter(journal_entry::Column::SourceType.eq(s)),
        None => {}
    }
    if let Some(u) = f.created_by {
        q = q.filter(journal_entry::Column::CreatedBy.eq(u));
    }
    if let Some(a) = f.account_id {
        q = q.filter(
            journal_entry::Column::Id.in_subquery(
                Query::select()
                    .column(journal_line::Column::EntryId)
                    .from(journal_line::Entity)
                    .and_where(journal_line::Column::OrganizationId.eq(org))
                    .and_where(journal_line::Column::AccountId.eq(a))
                    .to_owned(),
            ),
        );
    }
    if let Some(c) = f.cursor.as_deref() {
        let (date, id): (NaiveDate, Uuid) = decode_cursor(c)?;
        q = q.filter(
            Condition::any()
                .add(journal_entry::Column::EntryDate.lt(date))
                .add(
                    Condition::all()
                        .add(journal_entry::Column::EntryDate.eq(date))
                        .add(journal_entry::Column::Id.lt(id)),
                ),
        );
    }
    let rows = q
        .order_by_desc(journal_entry::Column::EntryDate)
        .order_by_desc(journal_entry::Column::Id)
        .limit(limit + 1)
        .all(conn)
        .await?;
    let page = Page::from_rows(rows, limit, |e| (e.entry_date, e.id));
    let data = outs(conn, page.data).await?;
    Ok(Page {
        data,
        next_cursor: page.next_cursor,
        has_more: page.has_more,
    })
}
