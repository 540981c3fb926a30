//! Accounts, posting roles, tax rates, fiscal years and periods.

use super::*;

/// The chart of accounts, by code (one page holds it).
#[utoipa::path(
    description = ACCOUNTS_READ.described("Filter by type, subtype, group or posting, and code or name; archived accounts with `active=false`."),
    tag = "accounting",
    params(AccountFilter),
    responses((status = 200, description = "Every matching account", body = Page<AccountOut>)),
    security(("bearer_auth" = []))
)]
#[get("/accounts")]
pub(super) async fn list_accounts(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<AccountFilter>,
) -> AppResult<web::Json<Page<AccountOut>>> {
    principal.require(ACCOUNTS_READ)?;
    let data = chart::list_accounts(&state.db, principal.organization_id, &filter).await?;
    Ok(web::Json(Page {
        data,
        next_cursor: None,
        has_more: false,
    }))
}

/// The chart as a tree of groups and accounts.
#[utoipa::path(
    description = ACCOUNTS_READ.described("Active accounts under their groups, each level by code."),
    tag = "accounting",
    responses((status = 200, description = "The top-level accounts with their children", body = Vec<AccountNodeOut>)),
    security(("bearer_auth" = []))
)]
#[get("/accounts/tree")]
pub(super) async fn account_tree(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Vec<AccountNodeOut>>> {
    principal.require(ACCOUNTS_READ)?;
    Ok(web::Json(
        chart::account_tree(&state.db, principal.organization_id).await?,
    ))
}

/// Create an account.
#[utoipa::path(
    description = ACCOUNTS_MANAGE.described("The code is unique in the organization; a parent must be a group of the same type."),
    tag = "accounting",
    request_body = AccountIn,
    responses(
        (status = 201, description = "Created", body = AccountOut,
            headers(("Location" = String, description = "The new account"), ("ETag" = String, description = "Its version, for `If-Match`"))),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/accounts")]
pub(super) async fn create_account(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<AccountIn>,
) -> AppResult<HttpResponse> {
    principal.require(ACCOUNTS_MANAGE)?;
    let out = chart::create_account(&state, &principal, &body).await?;
    Ok(created(
        format!("/api/v1/accounting/accounts/{}", out.id),
        out.version,
        &out,
    ))
}

/// One account.
#[utoipa::path(
    description = ACCOUNTS_READ.requirement(),
    tag = "accounting",
    params(("id" = Uuid, Path, description = "Account id")),
    responses((status = 200, description = "The account; `ETag` carries its version", body = AccountOut)),
    security(("bearer_auth" = []))
)]
#[get("/accounts/{id}")]
pub(super) async fn get_account(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(ACCOUNTS_READ)?;
    let a = chart::find_account(&state.db, principal.organization_id, id.into_inner()).await?;
    let out = AccountOut::from(a);
    Ok(versioned(out.version, &out))
}

/// Change an account.
#[utoipa::path(
    description = ACCOUNTS_MANAGE.described("Code, name, subtype, parent, description; the type never changes."),
    tag = "accounting",
    params(
        ("id" = Uuid, Path, description = "Account id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = AccountPatch,
    responses(
        (status = 200, description = "Changed", body = AccountOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/accounts/{id}")]
pub(super) async fn patch_account(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<AccountPatch>,
) -> AppResult<HttpResponse> {
    principal.require(ACCOUNTS_MANAGE)?;
    let out = chart::patch_account(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(versioned(out.version, &out))
}

/// Archive an account.
#[utoipa::path(
    description = ACCOUNTS_MANAGE.described("Refused with 409 for an account with journal lines (`account_has_postings`), live children (`account_has_children`) or a posting role (`account_in_use`)."),
    tag = "accounting",
    params(
        ("id" = Uuid, Path, description = "Account id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being archived"),
    ),
    responses(
        (status = 204, description = "Archived"),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[delete("/accounts/{id}")]
pub(super) async fn archive_account(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(ACCOUNTS_MANAGE)?;
    let archive = AccountPatch {
        code: None,
        name: None,
        subtype: None,
        parent_id: None,
        description: None,
        active: Some(false),
    };
    chart::patch_account(&state, &principal, id.into_inner(), &archive, if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The posting roles.
#[utoipa::path(
    description = ACCOUNTS_READ.described("The accounts inventory, sales and billing post to, by role."),
    tag = "accounting",
    responses((status = 200, description = "The roles; `ETag` carries their version", body = SettingsOut)),
    security(("bearer_auth" = []))
)]
#[get("/settings")]
pub(super) async fn get_settings(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<HttpResponse> {
    principal.require(ACCOUNTS_READ)?;
    let out = SettingsOut::from(chart::load_settings(&state.db, principal.organization_id).await?);
    Ok(versioned(out.version, &out))
}

/// Remap posting roles.
#[utoipa::path(
    description = SETTINGS_MANAGE.described("Each role must name a live posting account of the type it needs (422 `wrong_account_type`)."),
    tag = "accounting",
    params(("If-Match" = Option<String>, Header, description = "ETag of the version being changed")),
    request_body = SettingsPatch,
    responses((status = 200, description = "Changed", body = SettingsOut)),
    security(("bearer_auth" = []))
)]
#[patch("/settings")]
pub(super) async fn patch_settings(
    state: web::Data<AppState>,
    principal: Principal,
    if_match: IfMatch,
    body: ValidatedJson<SettingsPatch>,
) -> AppResult<HttpResponse> {
    principal.require(SETTINGS_MANAGE)?;
    let out = chart::patch_settings(&state, &principal, &body, if_match.0).await?;
    Ok(versioned(out.version, &out))
}

/// Tax rates, by name.
#[utoipa::path(
    description = ACCOUNTS_READ.described("Every tax rate; `active` filters."),
    tag = "accounting",
    params(ActiveFilter),
    responses((status = 200, description = "Every matching rate", body = Page<TaxRateOut>)),
    security(("bearer_auth" = []))
)]
#[get("/tax-rates")]
pub(super) async fn list_tax_rates(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<ActiveFilter>,
) -> AppResult<web::Json<Page<TaxRateOut>>> {
    principal.require(ACCOUNTS_READ)?;
    let data = chart::list_tax_rates(&state.db, principal.organization_id, filter.active).await?;
    Ok(web::Json(Page {
        data,
        next_cursor: None,
        has_more: false,
    }))
}

/// Create a tax rate.
#[utoipa::path(
    description = ACCOUNTS_MANAGE.described("A percent from 0 to 100 with at most 4 decimals, collected in a posting account."),
    tag = "accounting",
    request_body = TaxRateIn,
    responses(
        (status = 201, description = "Created", body = TaxRateOut,
            headers(("Location" = String, description = "The new tax rate"), ("ETag" = String, description = "Its version, for `If-Match`"))),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/tax-rates")]
pub(super) async fn create_tax_rate(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<TaxRateIn>,
) -> AppResult<HttpResponse> {
    principal.require(ACCOUNTS_MANAGE)?;
    let out = chart::create_tax_rate(&state, &principal, &body).await?;
    Ok(created(
        format!("/api/v1/accounting/tax-rates/{}", out.id),
        out.version,
        &out,
    ))
}

/// One tax rate.
#[utoipa::path(
    description = ACCOUNTS_READ.requirement(),
    tag = "accounting",
    params(("id" = Uuid, Path, description = "Tax rate id")),
    responses((status = 200, description = "The rate; `ETag` carries its version", body = TaxRateOut)),
    security(("bearer_auth" = []))
)]
#[get("/tax-rates/{id}")]
pub(super) async fn get_tax_rate(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(ACCOUNTS_READ)?;
    let out = chart::get_tax_rate(&state.db, principal.organization_id, id.into_inner()).await?;
    Ok(versioned(out.version, &out))
}

/// Change a tax rate.
#[utoipa::path(
    description = ACCOUNTS_MANAGE.requirement(),
    tag = "accounting",
    params(
        ("id" = Uuid, Path, description = "Tax rate id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = TaxRatePatch,
    responses(
        (status = 200, description = "Changed", body = TaxRateOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/tax-rates/{id}")]
pub(super) async fn patch_tax_rate(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<TaxRatePatch>,
) -> AppResult<HttpResponse> {
    principal.require(ACCOUNTS_MANAGE)?;
    let out = chart::patch_tax_rate(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(versioned(out.version, &out))
}

/// Deactivate a tax rate.
#[utoipa::path(
    description = ACCOUNTS_MANAGE.described("The rate stays for history; sales and billing no longer offer it."),
    tag = "accounting",
    params(
        ("id" = Uuid, Path, description = "Tax rate id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being deactivated"),
    ),
    responses((status = 204, description = "Deactivated")),
    security(("bearer_auth" = []))
)]
#[delete("/tax-rates/{id}")]
pub(super) async fn deactivate_tax_rate(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(ACCOUNTS_MANAGE)?;
    let off = TaxRatePatch {
        name: None,
        rate: None,
        account_id: None,
        active: Some(false),
    };
    chart::patch_tax_rate(&state, &principal, id.into_inner(), &off, if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Fiscal years, latest first, with their periods.
#[utoipa::path(
    description = ACCOUNTS_READ.requirement(),
    tag = "accounting",
    responses((status = 200, description = "Every fiscal year", body = Page<FiscalYearOut>)),
    security(("bearer_auth" = []))
)]
#[get("/fiscal-years")]
pub(super) async fn list_fiscal_years(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Page<FiscalYearOut>>> {
    principal.require(ACCOUNTS_READ)?;
    let data = periods::list_years(&state.db, principal.organization_id).await?;
    Ok(web::Json(Page {
        data,
        next_cursor: None,
        has_more: false,
    }))
}

/// Create a fiscal year with its twelve monthly periods.
#[utoipa::path(
    description = PERIODS_MANAGE.described("Twelve months from `start_date`; 409 `fiscal_year_overlaps` if another year covers any of its days."),
    tag = "accounting",
    request_body = FiscalYearIn,
    responses(
        (status = 201, description = "Created", body = FiscalYearOut,
            headers(("Location" = String, description = "The new year"), ("ETag" = String, description = "Its version"))),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/fiscal-years")]
pub(super) async fn create_fiscal_year(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<FiscalYearIn>,
) -> AppResult<HttpResponse> {
    principal.require(PERIODS_MANAGE)?;
    let out = periods::create_year(&state, &principal, &body).await?;
    Ok(created(
        format!("/api/v1/accounting/fiscal-years/{}", out.id),
        out.version,
        &out,
    ))
}

/// One fiscal year with its periods.
#[utoipa::path(
    description = ACCOUNTS_READ.requirement(),
    tag = "accounting",
    params(("id" = Uuid, Path, description = "Fiscal year id")),
    responses((status = 200, description = "The year", body = FiscalYearOut)),
    security(("bearer_auth" = []))
)]
#[get("/fiscal-years/{id}")]
pub(super) async fn get_fiscal_year(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(ACCOUNTS_READ)?;
    let out = periods::get_year(&state.db, principal.organization_id, id.into_inner()).await?;
    Ok(versioned(out.version, &out))
}

/// Close a fiscal year.
#[utoipa::path(
    description = PERIODS_MANAGE.described("Posts the closing entry (dated the year's last day) that moves every income and expense balance of the year into retained earnings, then closes the year and all its periods."),
    tag = "accounting",
    params(("id" = Uuid, Path, description = "Fiscal year id")),
    responses(
        (status = 200, description = "Closed", body = FiscalYearOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/fiscal-years/{id}/close")]
pub(super) async fn close_fiscal_year(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(PERIODS_MANAGE)?;
    let out = periods::close_year(&state, &principal, id.into_inner()).await?;
    Ok(versioned(out.version, &out))
}

/// Close a period.
#[utoipa::path(
    description = PERIODS_MANAGE.described("Postings dated in a closed period are refused with 409 `period_closed`."),
    tag = "accounting",
    params(("id" = Uuid, Path, description = "Period id")),
    responses((status = 200, description = "Closed", body = PeriodOut)),
    security(("bearer_auth" = []))
)]
#[post("/periods/{id}/close")]
pub(super) async fn close_period(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(PERIODS_MANAGE)?;
    let out =
        periods::set_period_state(&state, &principal, id.into_inner(), PeriodState::Closed).await?;
    Ok(versioned(out.version, &out))
}

/// Reopen a period.
#[utoipa::path(
    description = PERIODS_MANAGE.described("Refused with 409 `fiscal_year_closed` once the year is closed."),
    tag = "accounting",
    params(("id" = Uuid, Path, description = "Period id")),
    responses(
        (status = 200, description = "Open", body = PeriodOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/periods/{id}/reopen")]
pub(super) async fn reopen_period(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(PERIODS_MANAGE)?;
    let out =
        periods::set_period_state(&state, &principal, id.into_inner(), PeriodState::Open).await?;
    Ok(versioned(out.version, &out))
}
