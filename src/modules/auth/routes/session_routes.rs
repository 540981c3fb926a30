//! Sign-in, sessions, passwords and multi-factor authentication (`/auth`).

use super::*;

/// Sign up: a person and their own organization.
///
/// Like onboarding, with the organization's name optional: it defaults to
/// "<full name>'s organization". Answers the new session's tokens.
#[utoipa::path(
    tag = "organizations",
    request_body = RegisterIn,
    responses(
        (status = 201, description = "Organization, owner and tokens", body = OnboardOut,
            headers(("Location" = String, description = "The new organization"))),
        (status = 409, response = Conflict),
    )
)]
#[post("/register")]
pub(super) async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidatedJson<RegisterIn>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let org_name = b
        .organization_name
        .clone()
        .unwrap_or_else(|| format!("{}'s organization", b.full_name.trim()));
    let out = identity::onboard(
        &state,
        &org_name,
        &b.email,
        &b.password,
        &b.full_name,
        &client(&req),
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/organizations/{}", out.organization.id),
        ))
        .json(out))
}

/// Sign in with email and password.
///
/// Answers `status: "signed_in"` with tokens, or, for a person with
/// multi-factor authentication, `status: "mfa_required"` with an
/// `mfa_token` to complete at `POST /api/v1/auth/mfa/challenge`. Failed
/// attempts are limited per address and per account (429 with
/// `Retry-After`).
#[utoipa::path(
    tag = "auth",
    request_body = LoginIn,
    responses(
        (status = 200, description = "A new session, or for an MFA user `{\"mfa_required\": true, \"mfa_token\"}` to complete at `POST /auth/mfa/challenge`", body = LoginOut),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 429, response = TooManyRequests),
    )
)]
#[post("/login")]
pub(super) async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidatedJson<LoginIn>,
) -> AppResult<web::Json<LoginOut>> {
    Ok(web::Json(
        identity::login(&state, &body, &client(&req)).await?,
    ))
}

/// Exchange a refresh token for new tokens.
///
/// Rotation: the presented refresh token dies and a new pair is issued.
/// Presenting a refresh token that was already used ends the whole session
/// (it was stolen or replayed) and answers 401.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshIn,
    responses(
        (status = 200, description = "Rotated tokens", body = TokensOut),
        (status = 401, response = Unauthorized),
    )
)]
#[post("/refresh")]
pub(super) async fn refresh(
    state: web::Data<AppState>,
    body: ValidatedJson<RefreshIn>,
) -> AppResult<web::Json<TokensOut>> {
    Ok(web::Json(
        sessions::refresh(&state, &body.refresh_token).await?,
    ))
}

/// End this session, or every session of the caller with `{"all": true}`.
/// The body is optional.
#[utoipa::path(
    description = SELF_SERVICE.requirement(),
    tag = "auth",
    request_body(content = Option<LogoutIn>, description = "Optional; `{\"all\": true}` ends every session"),
    responses(
        (status = 204, description = "Signed out: every server refuses the session from the next request on"),
        (status = 202, description = "Signed out while the shared cache was unreachable: the revocation \
            is committed and reaches every server as soon as the cache answers (until then the outage \
            refuses every request anyway)", body = RevocationPendingOut),
    ),
    security(("bearer_auth" = []))
)]
#[post("/logout")]
pub(super) async fn logout(
    state: web::Data<AppState>,
    principal: RevokingPrincipal,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let RevokingPrincipal(principal) = principal;
    principal.require(SELF_SERVICE)?;
    let input: LogoutIn = if body.iter().all(u8::is_ascii_whitespace) {
        LogoutIn::default()
    } else {
        let v: LogoutIn = parse_json(&body)?;
        validator::Validate::validate(&v).map_err(validation_error)?;
        v
    };
    let propagation = sessions::logout(&state, &principal, input.all).await?;
    Ok(revoked(propagation))
}

/// The caller: person, organization, permissions and memberships.
#[utoipa::path(
    description = SELF_SERVICE.requirement(),
    tag = "auth",
    responses(
        (status = 200, description = "The caller", body = MeOut),
    ),
    security(("bearer_auth" = []))
)]
#[get("/me")]
pub(super) async fn me(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<MeOut>> {
    principal.require(SELF_SERVICE)?;
    Ok(web::Json(identity::me(&state, &principal).await?))
}

/// The caller's live sessions, newest first.
#[utoipa::path(
    description = SELF_SERVICE.requirement(),
    tag = "auth",
    responses(
        (status = 200, description = "Live sessions (one page holds them all)", body = Page<SessionOut>),
    ),
    security(("bearer_auth" = []))
)]
#[get("/sessions")]
pub(super) async fn list_sessions(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Page<SessionOut>>> {
    principal.require(SELF_SERVICE)?;
    let data = sessions::list(&state, &principal).await?;
    Ok(web::Json(Page {
        data,
        next_cursor: None,
        has_more: false,
    }))
}

/// End one of the caller's sessions.
#[utoipa::path(
    description = SELF_SERVICE.requirement(),
    tag = "auth",
    params(("id" = Uuid, Path, description = "Session id")),
    responses(
        (status = 204, description = "Session ended"),
        (status = 202, description = "Ended while the shared cache was unreachable (see logout)",
            body = RevocationPendingOut),
    ),
    security(("bearer_auth" = []))
)]
#[delete("/sessions/{id}")]
pub(super) async fn delete_session(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(SELF_SERVICE)?;
    let propagation = sessions::revoke_one(&state, &principal, id.into_inner()).await?;
    Ok(revoked(propagation))
}

/// Tokens for another of the caller's organizations.
#[utoipa::path(
    description = SELF_SERVICE.requirement(),
    tag = "auth",
    request_body = SwitchOrganizationIn,
    responses(
        (status = 200, description = "A session in that organization", body = TokensOut),
        (status = 404, response = NotFound),
    ),
    security(("bearer_auth" = []))
)]
#[post("/switch-organization")]
pub(super) async fn switch_organization(
    state: web::Data<AppState>,
    req: HttpRequest,
    principal: Principal,
    body: ValidatedJson<SwitchOrganizationIn>,
) -> AppResult<web::Json<TokensOut>> {
    principal.require(SELF_SERVICE)?;
    Ok(web::Json(
        identity::switch_organization(&state, &principal, body.organization_id, &client(&req))
            .await?,
    ))
}

/// Change the caller's password; every other session ends.
#[utoipa::path(
    description = SELF_SERVICE.requirement(),
    tag = "auth",
    request_body = ChangePasswordIn,
    responses(
        (status = 204, description = "Password changed"),
    ),
    security(("bearer_auth" = []))
)]
#[post("/change-password")]
pub(super) async fn change_password(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<ChangePasswordIn>,
) -> AppResult<HttpResponse> {
    principal.require(SELF_SERVICE)?;
    identity::change_password(&state, &principal, &body).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ask for a password reset mail.
///
/// Always 202, whether or not an account has this email, and in the same
/// time either way: the answer tells nothing about who has an account. The
/// mail carries a single-use token for `POST /api/v1/auth/reset-password`.
#[utoipa::path(
    tag = "auth",
    request_body = ForgotPasswordIn,
    responses(
        (status = 202, description = "If the account exists, a reset mail is on its way"),
        (status = 429, response = TooManyRequests),
    )
)]
#[post("/forgot-password")]
pub(super) async fn forgot_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidatedJson<ForgotPasswordIn>,
) -> AppResult<HttpResponse> {
    identity::forgot_password(&state, &body.email, &client(&req)).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Set a new password with a reset token.
///
/// The token is single use and valid for 30 minutes. Every session of the
/// person ends; sign in again with the new password.
#[utoipa::path(
    tag = "auth",
    request_body = ResetPasswordIn,
    responses(
        (status = 204, description = "Password reset"),
        (status = 429, response = TooManyRequests),
    )
)]
#[post("/reset-password")]
pub(super) async fn reset_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidatedJson<ResetPasswordIn>,
) -> AppResult<HttpResponse> {
    identity::reset_password(&state, &body, &client(&req)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Start TOTP enrolment: a secret and `otpauth://` URI (shown only now).
#[utoipa::path(
    description = SELF_SERVICE.requirement(),
    tag = "auth",
    responses(
        (status = 200, description = "The pending secret", body = MfaEnrollmentOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/mfa/enable")]
pub(super) async fn mfa_enable(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<MfaEnrollmentOut>> {
    principal.require(SELF_SERVICE)?;
    Ok(web::Json(mfa::enable(&state, &principal).await?))
}

/// Confirm enrolment with a code; returns one-time recovery codes (shown only now).
#[utoipa::path(
    description = SELF_SERVICE.requirement(),
    tag = "auth",
    request_body = MfaCodeIn,
    responses(
        (status = 200, description = "MFA on; recovery codes", body = RecoveryCodesOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/mfa/verify")]
pub(super) async fn mfa_verify(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<MfaCodeIn>,
) -> AppResult<web::Json<RecoveryCodesOut>> {
    principal.require(SELF_SERVICE)?;
    Ok(web::Json(
        mfa::verify(&state, &principal, &body.code).await?,
    ))
}

/// Turn MFA off with the password and a TOTP or recovery code.
#[utoipa::path(
    description = SELF_SERVICE.requirement(),
    tag = "auth",
    request_body = MfaDisableIn,
    responses(
        (status = 204, description = "MFA off"),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/mfa/disable")]
pub(super) async fn mfa_disable(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<MfaDisableIn>,
) -> AppResult<HttpResponse> {
    principal.require(SELF_SERVICE)?;
    mfa::disable(&state, &principal, &body.password, &body.code).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Complete a multi-factor sign-in.
///
/// Takes the `mfa_token` of the login answer and either the current TOTP
/// code or one unused recovery code; answers the session's tokens.
#[utoipa::path(
    tag = "auth",
    request_body = MfaChallengeIn,
    responses(
        (status = 200, description = "Signed in", body = TokensOut),
        (status = 401, response = Unauthorized),
        (status = 429, response = TooManyRequests),
    )
)]
#[post("/mfa/challenge")]
pub(super) async fn mfa_challenge(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidatedJson<MfaChallengeIn>,
) -> AppResult<web::Json<TokensOut>> {
    Ok(web::Json(
        mfa::challenge(&state, &body, &client(&req)).await?,
    ))
}
