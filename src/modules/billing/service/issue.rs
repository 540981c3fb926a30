//! Issuing and voiding documents, and what they post. An invoice posts
//! Dr receivable / Cr revenue per line / Cr tax; a bill posts Dr goods
//! received not invoiced (purchase-order lines) or the line's expense
//! account / Dr tax / Cr payable. Voiding posts the mirror entry. Each move
//! is one conditional UPDATE on the current state, in the transaction that
//! posts.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use super::{documents, out};
use crate::{
    modules::{
        accounting::api::{self as ledger, AccountRef, DraftLine, EntryDraft, Role},
        billing::{
            dto::DocumentOut,
            entities::{DocKind, DocStatus, invoice, invoice_line},
        },
        crm,
    },
    platform::{money::Amount, prelude::*},
};

/// 409 `invalid_state` for a document that cannot be `what`.
pub fn invalid_state(doc: &invoice::Model, what: &str) -> AppError {
    AppError::conflict(
        "invalid_state",
        format!(
            "{} {} is {} and cannot be {what}.",
            doc.kind, doc.number, doc.status
        ),
    )
}

/// Adds `amount` to the line of `account`, or a new line.
pub fn add(lines: &mut Vec<DraftLine>, account: AccountRef, amount: i64, description: &str) {
    let same = |a: &AccountRef| match (a, &account) {
        (AccountRef::Role(x), AccountRef::Role(y)) => x == y,
        (AccountRef::Id(x), AccountRef::Id(y)) => x == y,
        _ => false,
    };
    match lines.iter_mut().find(|l| same(&l.account)) {
        Some(l) => l.amount = Amount::from_units(l.amount.units() + amount),
        None => lines.push(DraftLine {
            account,
            amount: Amount::from_units(amount),
            description: description.to_string(),
        }),
    }
}

/// The lines a document's issue posts (`sign` -1: its reversal).
fn entry_lines(doc: &invoice::Model, rows: &[invoice_line::Model], sign: i64) -> Vec<DraftLine> {
    // Invoices credit revenue and tax and debit the receivable; bills the
    // other way round.
    let side = match doc.kind {
        DocKind::Invoice => -sign,
        DocKind::Bill => sign,
    };
    let mut lines = Vec::with_capacity(rows.len() + 2);
    let party = match doc.kind {
        DocKind::Invoice => Role::Receivable,
        DocKind::Bill => Role::Payable,
    };
    add(
        &mut lines,
        AccountRef::Role(party),
        -side * doc.total.units(),
        &doc.number,
    );
    for l in rows {
        let net = l.subtotal.units() - l.discount.units();
        let account = match (l.account_id, doc.kind, l.purchase_order_line_id) {
            (Some(a), _, _) => AccountRef::Id(a),
            (None, DocKind::Invoice, _) => AccountRef::Role(Role::SalesRevenue),
            (None, DocKind::Bill, _) => AccountRef::Role(Role::GoodsReceived),
        };
        add(&mut lines, account, side * net, &l.description);
        if l.tax.units() != 0 {
            let tax = l
                .tax_account_id
                .map_or(AccountRef::Role(Role::SalesTax), AccountRef::Id);
            add(&mut lines, tax, side * l.tax.units(), "Tax");
        }
    }
    lines
}

/// Posts a document's issue and marks it issued (the caller writes it).
pub async fn post_issue(
    conn: &impl ConnectionTrait,
    p: &Principal,
    doc: &mut invoice::Model,
    rows: &[invoice_line::Model],
) -> Result<(), AppError> {
    let entry = ledger::post(
        conn,
        EntryDraft {
            organization_id: doc.organization_id,
            actor: Some(p.user_id),
            date: doc.issue_date,
            memo: format!("{} {}", title(doc.kind), doc.number),
            source_type: doc.kind.as_str(),
            source_id: doc.id.to_string(),
            lines: entry_lines(doc, rows, 1),
        },
    )
    .await?;
    doc.status = DocStatus::Issued;
    doc.journal_entry_id = entry;
    doc.issued_at = Some(super::now());
    Ok(())
}

fn title(kind: DocKind) -> &'static str {
    match kind {
        DocKind::Invoice => "Invoice",
        DocKind::Bill => "Bill",
    }
}

/// Moves a document from one of `from` to `to` with `set`, by one
/// conditional UPDATE (also on `extra`) stamped `at`; false when it was not
/// in a source state (or `extra` failed).
async fn move_doc(
    conn: &impl ConnectionTrait,
    (doc, at): (&invoice::Model, chrono::DateTime<chrono::Utc>),
    from: &[DocStatus],
    mut set: invoice::ActiveModel,
    extra: sea_orm::Condition,
) -> Result<bool, AppError> {
    set.version = Set(doc.version + 1);
    set.updated_at = Set(at);
    Ok(invoice::Entity::update_many()
        .set(set)
        .filter(invoice::Column::OrganizationId.eq(doc.organization_id))
        .filter(invoice::Column::Id.eq(doc.id))
        .filter(invoice::Column::Status.is_in(from.iter().copied()))
        .filter(extra)
        .exec(conn)
        .await?
        .rows_affected
        == 1)
}

/// `POST /invoices/{id}/issue` and `/bills/{id}/issue`.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn issue(
    state: &AppState,
    p: &Principal,
    kind: DocKind,
    id: Uuid,
) -> Result<DocumentOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let mut doc = documents::find(&tx, org, kind, id).await?;
    if doc.status != DocStatus::Draft {
        return Err(invalid_state(&doc, "issued (only drafts are)"));
    }
    // The party may have been archived since the draft was written.
    documents::party(&tx, org, kind, doc.party_id(), kind.party_field()).await?;
    let rows = documents::lines_of(&tx, org, id).await?;
    let draft = doc.clone();
    post_issue(&tx, p, &mut doc, &rows).await?;
    doc.updated_at = doc.issued_at.unwrap_or(doc.updated_at);
    let set = invoice::ActiveModel {
        status: Set(DocStatus::Issued),
        journal_entry_id: Set(doc.journal_entry_id),
        issued_at: Set(doc.issued_at),
        ..Default::default()
    };
    let all = sea_orm::Condition::all();
    if !move_doc(&tx, (&draft, doc.updated_at), &[DocStatus::Draft], set, all).await? {
        return Err(invalid_state(&draft, "issued (it changed meanwhile)"));
    }
    doc.version += 1;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            &format!("billing.{kind}.issued"),
            kind.as_str(),
            id,
            json!({
                "number": doc.number, "total": doc.total, "journal_entry_id": doc.journal_entry_id,
            }),
        ),
    )
    .await?;
    let skus = out::skus(&tx, org, &rows).await?;
    tx.commit().await?;
    Ok(out::document(doc, &rows, &skus, Vec::new()))
}

/// `POST /invoices/{id}/void` and `/bills/{id}/void`: an issued document
/// with nothing settled or credited; posts the reversal and frees what it
/// billed on orders.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn void(
    state: &AppState,
    p: &Principal,
    kind: DocKind,
    id: Uuid,
) -> Result<DocumentOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    // Locks in the order every billing write takes them: the sales order,
    // order lines, the journal's sequence, then the document's row; so a
    // void never deadlocks with a payment, an order's invoicing or a
    // receipt.
    let found = documents::find(&tx, org, kind, id).await?;
    if let Some(order) = found.sales_order_id {
        crm::api::claim_sales_order(&tx, org, order).await?;
    }
    let mut doc = documents::find(&tx, org, kind, id).await?;
    let refused = || {
        invalid_state(
            &doc,
            "voided (only issued documents with nothing paid or credited are)",
        )
    };
    if doc.status != DocStatus::Issued || doc.settled_amount.units() != 0 {
        return Err(refused());
    }
    let rows = documents::lines_of(&tx, org, id).await?;
    documents::record_billing(&tx, org, &rows, -1, crm::api::InvoiceCap::Ordered).await?;
    let today = super::now().date_naive();
    let on = std::cmp::max(today, doc.issue_date);
    let entry = ledger::post(
        &tx,
        EntryDraft {
            organization_id: org,
            actor: Some(p.user_id),
            date: on,
            memo: format!("Void of {} {}", title(kind), doc.number),
            source_type: match kind {
                DocKind::Invoice => "invoice_void",
                DocKind::Bill => "bill_void",
            },
            source_id: id.to_string(),
            lines: entry_lines(&doc, &rows, -1),
        },
    )
    .await?;
    let at = super::now();
    let set = invoice::ActiveModel {
        status: Set(DocStatus::Void),
        voided_at: Set(Some(at)),
        voided_on: Set(Some(on)),
        ..Default::default()
    };
    let unpaid = sea_orm::Condition::all()
        .add(invoice::Column::SettledAmount.eq(0))
        .add(invoice::Column::CreditedAmount.eq(0));
    if !move_doc(&tx, (&doc, at), &[DocStatus::Issued], set, unpaid).await? {
        return Err(refused());
    }
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            &format!("billing.{kind}.voided"),
            kind.as_str(),
            id,
            json!({
                "number": doc.number, "reversal_entry_id": entry,
            }),
        ),
    )
    .await?;
    doc.status = DocStatus::Void;
    doc.voided_at = Some(at);
    doc.updated_at = at;
    doc.voided_on = Some(on);
    doc.version += 1;
    let skus = out::skus(&tx, org, &rows).await?;
    tx.commit().await?;
    Ok(out::document(doc, &rows, &skus, Vec::new()))
}
