//! Journal entries and the account ledger.

use super::*;

/// Journal entries, newest date first.
#[utoipa::path(
    description = JOURNAL_READ.described("Filter by date range, account, state, source (`manual` for typed-in entries) and author; cursor pagination."),
    tag = "accounting",
    params(JournalFilter),
    responses((status = 200, description = "A page of entries with their lines", body = Page<JournalEntryOut>)),
    security(("bearer_auth" = []))
)]
#[get("/journal")]
pub(super) async fn list_journal(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<JournalFilter>,
) -> AppResult<web::Json<Page<JournalEntryOut>>> {
    principal.require(JOURNAL_READ)?;
    Ok(web::Json(
        journal::list_entries(&state.db, principal.organization_id, &filter).await?,
    ))
}

/// Create a journal entry (a draft, or posted with `"post": true`).
#[utoipa::path(
    description = JOURNAL_WRITE.described("At least two lines, each a debit or a credit above zero on a live posting account of the organization; total debit equals total credit exactly. Violations are 422 naming the line (`lines[2].credit`). Posting also needs `accounting.journal.post`; a date in a closed period is 409 `period_closed`."),
    tag = "accounting",
    request_body = JournalEntryIn,
    responses(
        (status = 201, description = "Created", body = JournalEntryOut,
            headers(("Location" = String, description = "The new entry"), ("ETag" = String, description = "Its version, for `If-Match`"))),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/journal")]
pub(super) async fn create_journal_entry(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<JournalEntryIn>,
) -> AppResult<HttpResponse> {
    principal.require(JOURNAL_WRITE)?;
    if body.post {
        principal.require(JOURNAL_POST)?;
    }
    let out = journal::create_entry(&state, &principal, &body).await?;
    Ok(created(
        format!("/api/v1/accounting/journal/{}", out.id),
        out.version,
        &out,
    ))
}

/// One journal entry with its lines.
#[utoipa::path(
    description = JOURNAL_READ.requirement(),
    tag = "accounting",
    params(("id" = Uuid, Path, description = "Entry id")),
    responses((status = 200, description = "The entry; `ETag` carries its version", body = JournalEntryOut)),
    security(("bearer_auth" = []))
)]
#[get("/journal/{id}")]
pub(super) async fn get_journal_entry(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(JOURNAL_READ)?;
    let out = journal::get_entry(&state.db, principal.organization_id, id.into_inner()).await?;
    Ok(versioned(out.version, &out))
}

/// Change a draft entry.
#[utoipa::path(
    description = JOURNAL_WRITE.described("Drafts only: a posted entry is immutable (409 `entry_posted`); `lines` replaces every line."),
    tag = "accounting",
    params(
        ("id" = Uuid, Path, description = "Entry id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = JournalEntryPatch,
    responses(
        (status = 200, description = "Changed", body = JournalEntryOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/journal/{id}")]
pub(super) async fn patch_journal_entry(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<JournalEntryPatch>,
) -> AppResult<HttpResponse> {
    principal.require(JOURNAL_WRITE)?;
    let out = journal::patch_entry(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(versioned(out.version, &out))
}

/// Delete a draft entry.
#[utoipa::path(
    description = JOURNAL_WRITE.described("Drafts only: a posted entry is immutable (409 `entry_posted`)."),
    tag = "accounting",
    params(
        ("id" = Uuid, Path, description = "Entry id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being deleted"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[delete("/journal/{id}")]
pub(super) async fn delete_journal_entry(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(JOURNAL_WRITE)?;
    journal::delete_entry(&state, &principal, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Post a draft entry.
#[utoipa::path(
    description = JOURNAL_POST.described("Checks the lines as they are now and the period of its date; once posted the entry never changes."),
    tag = "accounting",
    params(
        ("id" = Uuid, Path, description = "Entry id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being posted"),
    ),
    responses(
        (status = 200, description = "Posted", body = JournalEntryOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/journal/{id}/post")]
pub(super) async fn post_journal_entry(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(JOURNAL_POST)?;
    let out = journal::post_entry(&state, &principal, id.into_inner(), if_match.0).await?;
    Ok(versioned(out.version, &out))
}

/// Reverse a posted entry.
#[utoipa::path(
    description = JOURNAL_POST.described("Posts a mirror entry (debits and credits swapped) on the chosen date; an entry is reversed at most once (409 `already_reversed`)."),
    tag = "accounting",
    params(("id" = Uuid, Path, description = "Entry id")),
    request_body = ReverseIn,
    responses(
        (status = 201, description = "The reversing entry", body = JournalEntryOut,
            headers(("Location" = String, description = "The reversing entry"), ("ETag" = String, description = "Its version"))),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/journal/{id}/reverse")]
pub(super) async fn reverse_journal_entry(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: ValidatedJson<ReverseIn>,
) -> AppResult<HttpResponse> {
    principal.require(JOURNAL_POST)?;
    let out = journal::reverse_entry(&state, &principal, id.into_inner(), &body).await?;
    Ok(created(
        format!("/api/v1/accounting/journal/{}", out.id),
        out.version,
        &out,
    ))
}

/// An account's ledger.
#[utoipa::path(
    description = JOURNAL_READ.described("Opening balance before `from`, posted lines by date with the running balance (debit minus credit), closing balance at the end of `to`; cursor over lines."),
    tag = "accounting",
    params(LedgerQuery),
    responses((status = 200, description = "The ledger page", body = LedgerOut)),
    security(("bearer_auth" = []))
)]
#[get("/ledger")]
pub(super) async fn ledger(
    state: web::Data<AppState>,
    principal: Principal,
    query: ValidatedQuery<LedgerQuery>,
) -> AppResult<web::Json<LedgerOut>> {
    principal.require(JOURNAL_READ)?;
    Ok(web::Json(
        reports::ledger(&state.db, principal.organization_id, &query, today()).await?,
    ))
}
