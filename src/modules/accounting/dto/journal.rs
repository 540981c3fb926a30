//! Journal entries, their lines, and the account ledger.

use super::*;

/// One line of a journal entry: a debit or a credit to one account.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JournalLineIn {
    /// A live posting account of the organization.
    pub account_id: Uuid,
    /// Debit amount (send exactly one of `debit` and `credit`, above zero).
    pub debit: Option<Amount>,
    /// Credit amount.
    pub credit: Option<Amount>,
    /// What the line is for.
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    #[serde(default)]
    pub description: String,
    /// `customer` or `supplier`, with `party_id`.
    pub party_type: Option<PartyType>,
    /// The customer or supplier.
    pub party_id: Option<Uuid>,
}

/// `POST /accounting/journal`: a manual entry, a draft unless `post` is true.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "date": "2026-11-20", "memo": "November rent", "post": true,
    "lines": [
        { "account_id": "0196b3f0-0000-7000-8000-000000000010", "debit": "1200.00", "description": "Rent" },
        { "account_id": "0196b3f0-0000-7000-8000-000000000011", "credit": "1200.00", "description": "Paid from bank" }
    ]
}))]
pub struct JournalEntryIn {
    /// Accounting date (its period must be open).
    pub date: NaiveDate,
    /// Memo.
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    #[serde(default)]
    pub memo: String,
    /// Post at once (default: save a draft).
    #[serde(default)]
    pub post: bool,
    /// At least two lines; total debit equals total credit.
    #[validate(length(min = 2, max = 500), nested)]
    #[schema(min_items = 2, max_items = 500)]
    pub lines: Vec<JournalLineIn>,
}

/// `PATCH /accounting/journal/{id}` (drafts only): `lines` replaces every line.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "memo": "November rent (corrected)" }))]
pub struct JournalEntryPatch {
    /// New date.
    pub date: Option<NaiveDate>,
    /// New memo.
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub memo: Option<String>,
    /// New lines (all of them).
    #[validate(length(min = 2, max = 500), nested)]
    #[schema(min_items = 2, max_items = 500)]
    pub lines: Option<Vec<JournalLineIn>>,
}

/// `POST /accounting/journal/{id}/reverse`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "date": "2026-11-30", "memo": "Reverses the duplicated rent" }))]
pub struct ReverseIn {
    /// Date of the mirror entry (its period must be open).
    pub date: NaiveDate,
    /// Memo (default `Reversal of JE-...`).
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub memo: Option<String>,
}

/// A line of an entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct JournalLineOut {
    /// Id.
    pub id: Uuid,
    /// Position, from 1.
    pub line_no: i32,
    /// Account.
    pub account_id: Uuid,
    /// Its code.
    pub account_code: String,
    /// Its name.
    pub account_name: String,
    /// Debit (`"0.00"` on a credit line).
    pub debit: Amount,
    /// Credit (`"0.00"` on a debit line).
    pub credit: Amount,
    /// Description.
    pub description: String,
    /// `customer` or `supplier`.
    pub party_type: Option<PartyType>,
    /// The party.
    pub party_id: Option<Uuid>,
}

/// A journal entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct JournalEntryOut {
    /// Id.
    pub id: Uuid,
    /// `JE-000001`.
    pub number: String,
    /// Accounting date.
    pub date: NaiveDate,
    /// Memo.
    pub memo: String,
    /// `draft` or `posted`.
    pub state: EntryState,
    /// The document that posted it (`stock_receipt`, `journal_reversal`,
    /// `fiscal_year_close`, ...); `null` for a manual entry.
    pub source_type: Option<String>,
    /// That document's id.
    pub source_id: Option<String>,
    /// The entry this one reverses.
    pub reversal_of: Option<Uuid>,
    /// The entry that reversed this one.
    pub reversed_by: Option<Uuid>,
    /// Total debit (= total credit).
    pub total: Amount,
    /// Its lines, in order.
    pub lines: Vec<JournalLineOut>,
    /// Who wrote it (`null` for system postings).
    pub created_by: Option<Uuid>,
    /// When it was posted.
    pub posted_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Version (ETag).
    pub version: i32,
}

impl JournalEntryOut {
    /// The entry with its lines.
    pub fn new(m: journal_entry::Model, lines: Vec<JournalLineOut>) -> Self {
        Self {
            id: m.id,
            number: m.number,
            date: m.entry_date,
            memo: m.memo,
            state: m.state,
            source_type: m.source_type,
            source_id: m.source_id,
            reversal_of: m.reversal_of,
            reversed_by: m.reversed_by,
            total: m.total,
            lines,
            created_by: m.created_by,
            posted_at: m.posted_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

/// Filters of `GET /accounting/journal` (newest date first).
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct JournalFilter {
    /// Dated on or after.
    pub from: Option<NaiveDate>,
    /// Dated on or before.
    pub to: Option<NaiveDate>,
    /// Entries with a line on this account.
    pub account_id: Option<Uuid>,
    /// `draft` or `posted`.
    pub state: Option<EntryState>,
    /// Source document type (`manual` for entries typed in by hand).
    #[validate(length(min = 1, max = 32))]
    #[param(min_length = 1, max_length = 32)]
    pub source: Option<String>,
    /// Written by this user.
    pub created_by: Option<Uuid>,
    /// Rows per page (1 to 200, default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Query of `GET /accounting/ledger`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LedgerQuery {
    /// The account (required).
    #[param(required = true)]
    pub account_id: Option<Uuid>,
    /// First day (default: the beginning).
    pub from: Option<NaiveDate>,
    /// Last day (default: today).
    pub to: Option<NaiveDate>,
    /// Lines per page (1 to 200, default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A posted line on the account, with the balance after it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerLineOut {
    /// The entry.
    pub entry_id: Uuid,
    /// Its number.
    pub number: String,
    /// Its date.
    pub date: NaiveDate,
    /// The line's description, else the entry's memo.
    pub description: String,
    /// Debit.
    pub debit: Amount,
    /// Credit.
    pub credit: Amount,
    /// Balance (debit minus credit) after this line.
    pub balance: Amount,
}

/// An account's ledger over a date range.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerOut {
    /// The account.
    pub account_id: Uuid,
    /// Its code.
    pub account_code: String,
    /// Its name.
    pub account_name: String,
    /// First day (`null`: from the beginning).
    pub from: Option<NaiveDate>,
    /// Last day.
    pub to: NaiveDate,
    /// Balance (debit minus credit) before `from`.
    pub opening_balance: Amount,
    /// Balance at the end of `to`.
    pub closing_balance: Amount,
    /// This page's lines, by date.
    pub lines: Vec<LedgerLineOut>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
    /// Whether another page follows.
    pub has_more: bool,
}
