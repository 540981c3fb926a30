//! Quotes: drafts priced line by line, sent, accepted into a sales order
//! (winning the deal), rejected, or revised into a new draft that
//! supersedes them. Every state change is one conditional UPDATE on the
//! current state; a sent quote past `valid_until` reads as expired and
//! cannot be accepted.

use std::collections::HashMap;

use chrono::{Days, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;
use uuid::Uuid;

use super::lines::{self, Priced, PricedLine, StoredLine};
use crate::platform::pricing::LineFigures;
use crate::{
    modules::crm::{
        entities::deal,
        sales::{
            dto::*,
            entities::{QuoteStatus, quote, quote_line},
        },
        service::{contacts::check_contact, customers::check_customer},
    },
    platform::{
        numbering::next_number,
        pagination::{Keyset, Page, keyset_page},
        prelude::*,
    },
};

pub(super) fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// What a quote reads as on `day`: a sent quote past its validity is expired.
pub fn effective_status(q: &quote::Model, day: NaiveDate) -> QuoteStatus {
    if q.status == QuoteStatus::Sent && q.valid_until < day {
        QuoteStatus::Expired
    } else {
        q.status
    }
}

pub(super) fn stored(l: &quote_line::Model) -> StoredLine<'_> {
    StoredLine {
        id: l.id,
        line_no: l.line_no,
        product_id: l.product_id,
        description: &l.description,
        quantity: l.quantity,
        unit_price: l.unit_price,
        discount_percent: l.discount_percent,
        tax_rate_id: l.tax_rate_id,
        tax_percent: l.tax_percent,
        figures: LineFigures {
            subtotal: l.subtotal,
            discount: l.discount,
            tax: l.tax,
            total: l.total,
        },
    }
}

pub(super) async fn lines_of(
    conn: &impl ConnectionTrait,
    org: Uuid,
    quotes: &[Uuid],
) -> Result<Vec<quote_line::Model>, AppError> {
    Ok(quote_line::Entity::find()
        .filter(quote_line::Column::OrganizationId.eq(org))
        .filter(quote_line::Column::QuoteId.is_in(quotes.iter().copied()))
        .order_by_asc(quote_line::Column::QuoteId)
        .order_by_asc(quote_line::Column::LineNo)
        .all(conn)
        .await?)
}

/// The response lines of `quotes`, by quote (two queries).
async fn lines_out(
    conn: &impl ConnectionTrait,
    org: Uuid,
    quotes: &[Uuid],
) -> Result<HashMap<Uuid, Vec<LineOut>>, AppError> {
    let rows = lines_of(conn, org, quotes).await?;
    let skus = lines::skus(conn, org, rows.iter().filter_map(|l| l.product_id)).await?;
    let mut out: HashMap<Uuid, Vec<LineOut>> = HashMap::new();
    for l in &rows {
        out.entry(l.quote_id)
            .or_default()
            .push(stored(l).out(&skus));
    }
    Ok(out)
}

fn quote_out(q: quote::Model, lines: Vec<LineOut>, day: NaiveDate) -> QuoteOut {
    QuoteOut {
        status: effective_status(&q, day),
        id: q.id,
        number: q.number,
        revision: q.revision,
        customer_id: q.customer_id,
        contact_id: q.contact_id,
        deal_id: q.deal_id,
        issue_date: q.issue_date,
        valid_until: q.valid_until,
        currency: q.currency,
        notes: q.notes,
        subtotal: q.subtotal,
        discount_total: q.discount_total,
        tax_total: q.tax_total,
        total: q.total,
        lines,
        revision_of: q.revision_of,
        superseded_by: q.superseded_by,
        sales_order_id: q.sales_order_id,
        sent_at: q.sent_at,
        accepted_at: q.accepted_at,
        rejected_at: q.rejected_at,
        created_by: q.created_by,
        created_at: q.created_at,
        updated_at: q.updated_at,
        version: q.version,
    }
}

async fn with_lines(conn: &impl ConnectionTrait, q: quote::Model) -> Result<QuoteOut, AppError> {
    let mut lines = lines_out(conn, q.organization_id, &[q.id]).await?;
    let mine = lines.remove(&q.id).unwrap_or_default();
    Ok(quote_out(q, mine, today()))
}

/// `GET /quotes/{id}`.
pub async fn get_quote(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<QuoteOut, AppError> {
    let q = tenant::find::<quote::Entity>(conn, org, id).await?;
    with_lines(conn, q).await
}

/// `GET /quotes`: newest first; filters status (as read: `expired` takes
/// sent quotes past validity, `sent` leaves them out), customer and deal.
pub async fn list_quotes(
    conn: &impl ConnectionTrait,
    org: Uuid,
    f: &QuoteFilter,
) -> Result<Page<QuoteOut>, AppError> {
    let day = today();
    let mut cond = Condition::all().add(quote::Column::OrganizationId.eq(org));
    let sent = quote::Column::Status.eq(QuoteStatus::Sent);
    cond = match f.status {
        Some(QuoteStatus::Expired) => cond.add(
            Condition::any()
                .add(quote::Column::Status.eq(QuoteStatus::Expired))
                .add(
                    Condition::all()
                        .add(sent)
                        .add(quote::Column::ValidUntil.lt(day)),
                ),
        ),
        Some(QuoteStatus::Sent) => cond.add(sent).add(quote::Column::ValidUntil.gte(day)),
        Some(s) => cond.add(quote::Column::Status.eq(s)),
        None => cond,
    };
    if let Some(c) = f.customer_id {
        cond = cond.add(quote::Column::CustomerId.eq(c));
    }
    if let Some(d) = f.deal_id {
        cond = cond.add(quote::Column::DealId.eq(d));
    }
    let limit = f.limit.unwrap_or(50).clamp(1, 200);
    let order = Keyset::<quote::Entity, Uuid>::by_id(quote::Column::Id, |r| r.id, true);
    let query = quote::Entity::find().filter(cond);
    let page = keyset_page(conn, query, order, f.cursor.as_deref(), limit).await?;
    let ids: Vec<Uuid> = page.data.iter().map(|q| q.id).collect();
    let mut lines = lines_out(conn, org, &ids).await?;
    Ok(page.map(|q| {
        let mine = lines.remove(&q.id).unwrap_or_default();
        quote_out(q, mine, day)
    }))
}

/// The contact and deal a quote or order names, when it names them: the
/// organization's (422 naming the field otherwise); an archived contact
/// takes no new documents.
pub async fn check_links(
    conn: &impl ConnectionTrait,
    org: Uuid,
    contact_id: Option<Uuid>,
    deal_id: Option<Uuid>,
) -> Result<(), AppError> {
    check_contact(conn, org, contact_id, "contact_id").await?;
    if let Some(d) = deal_id
        && tenant::find_optional::<deal::Entity>(conn, org, d)
            .await?
            .is_none()
    {
        return Err(AppError::invalid_field(
            "deal_id",
            "not_found",
            "is not a deal of this organization",
        ));
    }
    Ok(())
}

fn check_validity(issue: NaiveDate, until: NaiveDate) -> Result<(), AppError> {
    if until < issue {
        return Err(AppError::invalid_field(
            "valid_until",
            "range",
            "must not be before the issue date",
        ));
    }
    Ok(())
}

/// Writes the priced lines of `quote`.
async fn write_lines(
    conn: &impl ConnectionTrait,
    org: Uuid,
    quote: Uuid,
    priced: &[PricedLine],
) -> Result<(), AppError> {
    let rows = priced.iter().map(|l| quote_line::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org),
        quote_id: Set(quote),
        line_no: Set(l.line_no),
        product_id: Set(l.product_id),
        description: Set(l.description.clone()),
        quantity: Set(l.quantity),
        unit_price: Set(l.unit_price),
        discount_percent: Set(l.discount_percent),
        tax_rate_id: Set(l.tax_rate_id),
        tax_percent: Set(l.tax_percent),
        subtotal: Set(l.figures.subtotal),
        discount: Set(l.figures.discount),
        tax: Set(l.figures.tax),
        total: Set(l.figures.total),
    });
    quote_line::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// A new quote row (number and revision given) with `priced`'s totals.
struct NewQuote<'a> {
    number: String,
    revision: i32,
    customer_id: Uuid,
    contact_id: Option<Uuid>,
    deal_id: Option<Uuid>,
    issue_date: NaiveDate,
    valid_until: NaiveDate,
    currency: String,
    notes: String,
    revision_of: Option<Uuid>,
    priced: &'a Priced,
}

async fn insert_quote(
    conn: &impl ConnectionTrait,
    p: &Principal,
    q: NewQuote<'_>,
) -> Result<quote::Model, AppError> {
    let now = Utc::now();
    let id = Uuid::now_v7();
    let t = q.priced.totals;
    let m = quote::ActiveModel {
        id: Set(id),
        organization_id: Set(p.organization_id),
        number: Set(q.number),
        revision: Set(q.revision),
        customer_id: Set(q.customer_id),
        contact_id: Set(q.contact_id),
        deal_id: Set(q.deal_id),
        status: Set(QuoteStatus::Draft),
        issue_date: Set(q.issue_date),
        valid_until: Set(q.valid_until),
        currency: Set(q.currency),
        notes: Set(q.notes),
        subtotal: Set(t.subtotal),
        discount_total: Set(t.discount),
        tax_total: Set(t.tax),
        total: Set(t.total),
        revision_of: Set(q.revision_of),
        superseded_by: Set(None),
        sales_order_id: Set(None),
        created_by: Set(Some(p.user_id)),
        sent_at: Set(None),
        accepted_at: Set(None),
        rejected_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(conn)
    .await?;
    write_lines(conn, p.organization_id, id, &q.priced.lines).await?;
    Ok(m)
}

/// `POST /quotes`: a draft numbered `Q-000001`, ...
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn create_quote(
    state: &AppState,
    p: &Principal,
    input: &QuoteIn,
) -> Result<QuoteOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let customer = check_customer(&tx, org, Some(input.customer_id), "customer_id")
        .await?
        .ok_or_else(|| AppError::invalid_field("customer_id", "required", "is required"))?;
    check_links(&tx, org, input.contact_id, input.deal_id).await?;
    let issue_date = input.issue_date.unwrap_or_else(today);
    let valid_until = input
        .valid_until
        .or_else(|| issue_date.checked_add_days(Days::new(30)))
        .unwrap_or(issue_date);
    check_validity(issue_date, valid_until)?;
    let currency = input.currency.clone().unwrap_or(customer.currency);
    let priced = lines::price(&tx, org, &currency, &input.lines).await?;
    let q = NewQuote {
        number: next_number(&tx, org, "Q").await?,
        revision: 1,
        customer_id: customer.id,
        contact_id: input.contact_id,
        deal_id: input.deal_id,
        issue_date,
        valid_until,
        currency,
        notes: input.notes.clone(),
        revision_of: None,
        priced: &priced,
    };
    let m = insert_quote(&tx, p, q).await?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "sales.quote.created",
            "quote",
            m.id,
            json!({
                "number": m.number, "customer_id": m.customer_id, "total": m.total,
            }),
        ),
    )
    .await?;
    let out = with_lines(&tx, m).await?;
    tx.commit().await?;
    Ok(out)
}

fn invalid_state(q: &quote::Model, what: &str) -> AppError {
    AppError::conflict(
        "invalid_state",
        format!(
            "Quote {} (revision {}) is {}; it cannot be {what}.",
            q.number,
            q.revision,
            effective_status(q, today())
        ),
    )
}

/// `PATCH /quotes/{id}`: drafts only; new lines or a new currency re-price.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn patch_quote(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    patch: &QuotePatch,
    if_match: Option<i32>,
) -> Result<QuoteOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let current = tenant::find::<quote::Entity>(&tx, org, id).await?;
    if let Some(v) = if_match.filter(|v| *v != current.version) {
        return Err(tenant::version_mismatch(current.version, v));
    }
    if current.status != QuoteStatus::Draft {
        return Err(invalid_state(&current, "changed (only drafts can)"));
    }
    check_links(
        &tx,
        org,
        patch.contact_id.flatten(),
        patch.deal_id.flatten(),
    )
    .await?;
    let issue = patch.issue_date.unwrap_or(current.issue_date);
    check_validity(issue, patch.valid_until.unwrap_or(current.valid_until))?;
    let mut changes = patch.changes();
    let currency = patch.currency.clone().unwrap_or(current.currency.clone());
    if patch.lines.is_some() || currency != current.currency {
        let input = match &patch.lines {
            Some(l) => l.clone(),
            None => current_lines_in(&tx, org, id).await?,
        };
        let priced = lines::price(&tx, org, &currency, &input).await?;
        quote_line::Entity::delete_many()
            .filter(quote_line::Column::OrganizationId.eq(org))
            .filter(quote_line::Column::QuoteId.eq(id))
            .exec(&tx)
            .await?;
        write_lines(&tx, org, id, &priced.lines).await?;
        let t = priced.totals;
        changes.subtotal = Set(t.subtotal);
        changes.discount_total = Set(t.discount);
        changes.tax_total = Set(t.tax);
        changes.total = Set(t.total);
    }
    let guard = Guard::new(
        quote::Column::Status.eq(QuoteStatus::Draft),
        |q: &quote::Model| invalid_state(q, "changed (only drafts can)"),
    );
    let updated =
        tenant::update::<quote::Entity>(&tx, Target::new(org, id, if_match), changes, Some(guard))
            .await?;
    audit::record(&tx, AuditEntry::by(p, "sales.quote.updated", "quote", id, json!({
        "total": [current.total, updated.total], "valid_until": [current.valid_until, updated.valid_until],
        "lines_replaced": patch.lines.is_some(),
    })))
    .await?;
    let out = with_lines(&tx, updated).await?;
    tx.commit().await?;
    Ok(out)
}

/// A quote's stored lines as input again (to re-price them in another
/// currency, or to copy them into a revision).
async fn current_lines_in(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<Vec<LineIn>, AppError> {
    Ok(lines_of(conn, org, &[id])
        .await?
        .into_iter()
        .map(|l| LineIn {
            product_id: l.product_id,
            description: Some(l.description),
            quantity: l.quantity,
            unit_price: Some(l.unit_price),
            discount_percent: Some(l.discount_percent),
            tax_rate_id: l.tax_rate_id,
        })
        .collect())
}

/// Moves a quote to `to` with one conditional UPDATE on its current state
/// (and, for `accepted`, on its validity); 404, 412 or 409 otherwise.
pub(super) async fn move_state(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
    mut changes: quote::ActiveModel,
    to: QuoteStatus,
    if_match: Option<i32>,
) -> Result<quote::Model, AppError> {
    changes.status = Set(to);
    let day = today();
    let mut cond = Condition::all().add(quote::Column::Status.is_in(QuoteStatus::sources(to)));
    if to == QuoteStatus::Accepted {
        cond = cond.add(quote::Column::ValidUntil.gte(day));
    }
    let what = to.as_str();
    let guard = Guard::new(cond, move |q: &quote::Model| {
        if q.status == QuoteStatus::Sent && q.valid_until < day {
            AppError::conflict(
                "quote_expired",
                format!(
                    "Quote {} expired on {}; revise it to re-quote.",
                    q.number, q.valid_until
                ),
            )
        } else {
            invalid_state(q, what)
        }
    });
    tenant::update::<quote::Entity>(conn, Target::new(org, id, if_match), changes, Some(guard))
        .await
}

/// `POST /quotes/{id}/send` (draft -> sent) and `/reject` (sent -> rejected).
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn transition(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    if_match: Option<i32>,
    to: QuoteStatus,
) -> Result<QuoteOut, AppError> {
    let now = Some(Utc::now());
    let changes = match to {
        QuoteStatus::Sent => quote::ActiveModel {
            sent_at: Set(now),
            ..Default::default()
        },
        _ => quote::ActiveModel {
            rejected_at: Set(now),
            ..Default::default()
        },
    };
    let tx = begin_write(&state.db).await?;
    let q = move_state(&tx, p.organization_id, id, changes, to, if_match).await?;
    audit::record(&tx, AuditEntry::by(p, &format!("sales.quote.{to}"), "quote", id, json!({
        "number": q.number, "revision": q.revision, "status": [QuoteStatus::sources(to), to],
    })))
    .await?;
    let out = with_lines(&tx, q).await?;
    tx.commit().await?;
    Ok(out)
}

/// `POST /quotes/{id}/revise`: a new draft revision with the same number and
/// lines; the old one becomes `superseded` (from draft, sent, rejected or
/// expired), in one transaction.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn revise(state: &AppState, p: &Principal, id: Uuid) -> Result<QuoteOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let old = tenant::find::<quote::Entity>(&tx, org, id).await?;
    let input = current_lines_in(&tx, org, id).await?;
    let priced = lines::price(&tx, org, &old.currency, &input).await?;
    let issue_date = today();
    let span = (old.valid_until - old.issue_date).num_days().max(0) as u64;
    let q = NewQuote {
        number: old.number.clone(),
        revision: old.revision + 1,
        customer_id: old.customer_id,
        contact_id: old.contact_id,
        deal_id: old.deal_id,
        issue_date,
        valid_until: issue_date
            .checked_add_days(Days::new(span))
            .unwrap_or(issue_date),
        currency: old.currency.clone(),
        notes: old.notes.clone(),
        revision_of: Some(old.id),
        priced: &priced,
    };
    // The old revision is claimed first: two concurrent revisions cannot
    // both supersede it (the loser's insert never happens).
    let claim: quote::ActiveModel = Default::default();
    let superseded = move_state(&tx, org, id, claim, QuoteStatus::Superseded, None).await?;
    let m = insert_quote(&tx, p, q).await?;
    quote::Entity::update_many()
        .col_expr(
            quote::Column::SupersededBy,
            sea_orm::sea_query::Expr::value(m.id),
        )
        .filter(quote::Column::Id.eq(superseded.id))
        .exec(&tx)
        .await?;
    audit::record(&tx, AuditEntry::by(p, "sales.quote.revised", "quote", m.id, json!({
        "number": m.number, "revision": m.revision, "revision_of": old.id, "total": [old.total, m.total],
    })))
    .await?;
    let out = with_lines(&tx, m).await?;
    tx.commit().await?;
    Ok(out)
}
