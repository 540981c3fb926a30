//! Onboarding, sign-in, organization switching, passwords, the caller's own
//! profile, organizations and plans.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use serde_json::json;
use tracing::Instrument;
use uuid::Uuid;

use super::{
    members::{self, user_outs},
    profile,
    security::{
        check_password_policy, hash_password, normalize_email, random_token, token_hash,
        verify_password,
    },
    sessions::{self, ClientInfo},
};
use crate::{
    modules::auth::{
        catalog,
        dto::*,
        entities::{membership, organization, outbox_email, password_reset, subscription, user},
    },
    platform::prelude::*,
};

/// Failed sign-ins allowed per email, and per client address, in the window.
const LOGIN_FAILURES_PER_EMAIL: u64 = 10;
const LOGIN_FAILURES_PER_IP: u64 = 50;
const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Reset mails per email per hour (silently capped: the answer is always 202).
const RESETS_PER_EMAIL: u64 = 5;
const RESET_TOKEN_TTL: chrono::Duration = chrono::Duration::minutes(30);

pub(super) fn entry(
    org: Uuid,
    actor: Option<Uuid>,
    action: &str,
    entity: &str,
    id: impl ToString,
) -> AuditEntry {
    AuditEntry {
        organization_id: org,
        actor_id: actor,
        action: action.into(),
        entity_type: entity.into(),
        entity_id: Some(id.to_string()),
        changes: None,
    }
}

/// Creates an organization with its system roles, its owner and a Free
/// subscription; returns the owner's session.
#[tracing::instrument(skip_all)]
pub async fn onboard(
    state: &AppState,
    organization_name: &str,
    email: &str,
    password: &str,
    full_name: &str,
    client: &ClientInfo,
) -> Result<OnboardOut, AppError> {
    check_password_policy(password, email)?;
    if user::Entity::find()
        .filter(user::Column::EmailNormalized.eq(normalize_email(email)))
        .one(&state.db)
        .await?
        .is_some()
    {
        return Err(AppError::conflict(
            "email_taken",
            "An account with this email exists: sign in (POST /api/v1/auth/login) and create the \
             organization with POST /api/v1/organizations, or use another email.",
        ));
    }
    let password_hash = hash_password(state, password).await?;
    let tx = begin_write(&state.db).await?;
    let owner = members::insert_user(&tx, email, full_name, password_hash).await?;
    let org = super::organizations::found(&tx, state, organization_name, owner.id).await?;
    audit::record(
        &tx,
        entry(
            org.id,
            Some(owner.id),
            "auth.user.created",
            "user",
            owner.id,
        ),
    )
    .await?;
    let tokens = sessions::open_session(&tx, state, owner.id, org.id, client).await?;
    let user = user_outs(&tx, org.id, &[owner.id])
        .await?
        .pop()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("owner vanished")))?;
    tx.commit().await?;
    Ok(OnboardOut {
        organization: OrganizationOut::from(org),
        user,
        tokens,
    })
}

fn invalid_credentials() -> AppError {
    AppError::unauthorized("The email or password is incorrect.").with_code("invalid_credentials")
}

async fn check_login_rate(state: &AppState, email: &str, ip: &str) -> Result<(), AppError> {
    for (key, limit) in [
        (format!("rl:login:email:{email}"), LOGIN_FAILURES_PER_EMAIL),
        (format!("rl:login:ip:{ip}"), LOGIN_FAILURES_PER_IP),
    ] {
        let w = state.cache.count(&key).await?;
        if w.count >= limit {
            return Err(AppError::too_many_requests(w.resets_in.as_secs().max(1)));
        }
    }
    Ok(())
}

async fn note_login_failure(state: &AppState, email: &str, ip: &str) -> Result<(), AppError> {
    state
        .cache
        .hit(&format!("rl:login:email:{email}"), LOGIN_WINDOW)
        .await?;
    state
        .cache
        .hit(&format!("rl:login:ip:{ip}"), LOGIN_WINDOW)
        .await?;
    Ok(())
}

/// `POST /auth/login`.
#[tracing::instrument(skip_all)]
pub async fn login(
    state: &AppState,
    input: &LoginIn,
    client: &ClientInfo,
) -> Result<LoginOut, AppError> {
    let email = normalize_email(&input.email);
    check_login_rate(state, &email, &client.ip).await?;
    let found = user::Entity::find()
        .filter(user::Column::EmailNormalized.eq(&email))
        .one(&state.db)
        .await?;
    let ok = verify_password(
        state,
        &input.password,
        found.as_ref().map(|u| u.password_hash.clone()),
    )
    .await?;
    let Some(person) = found.filter(|_| ok) else {
        note_login_failure(state, &email, &client.ip).await?;
        if let Some(u) = user::Entity::find()
            .filter(user::Column::EmailNormalized.eq(&email))
            .one(&state.db)
            .await?
            && let Some(m) = membership::Entity::find()
                .filter(membership::Column::UserId.eq(u.id))
                .one(&state.db)
                .await?
        {
            let mut e = entry(
                m.organization_id,
                Some(u.id),
                "auth.login.failed",
                "user",
                u.id,
            );
            e.changes = Some(json!({ "ip": client.ip }));
            audit::record(&state.db, e).await?;
        }
        return Err(invalid_credentials());
    };
    if !person.is_active {
        return Err(AppError::forbidden(
            "account_disabled",
            "This account is disabled.",
        ));
    }
    let memberships = membership::Entity::find()
        .filter(membership::Column::UserId.eq(person.id))
        .filter(membership::Column::IsActive.eq(true))
        .all(&state.db)
        .await?;
    let org_id = match (input.organization_id, memberships.as_slice()) {
        (Some(wanted), ms) => ms
            .iter()
            .find(|m| m.organization_id == wanted)
            .map(|m| m.organization_id)
            .ok_or_else(|| {
                AppError::invalid_field(
                    "organization_id",
                    "not_a_member",
                    "is not one of your organizations",
                )
            })?,
        (None, [only]) => only.organization_id,
        (None, []) => {
            return Err(AppError::forbidden(
                "no_membership",
                "This account belongs to no active organization.",
            ));
        }
        (None, _) => {
            return Err(AppError::invalid_field(
                "organization_id",
                "required",
                "is required: you belong to several organizations",
            ));
        }
    };
    if person.mfa_enabled {
        return super::mfa::start_challenge(state, person.id, org_id)
            .await
            .map(LoginOut::Mfa);
    }
    let tx = begin_write(&state.db).await?;
    let tokens = sessions::open_session(&tx, state, person.id, org_id, client).await?;
    audit::record(
        &tx,
        entry(
            org_id,
            Some(person.id),
            "auth.login.succeeded",
            "user",
            person.id,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(LoginOut::Tokens(tokens.into()))
}

/// `POST /auth/switch-organization`: a new session in another membership.
#[tracing::instrument(skip_all, fields(organization_id = %principal.organization_id))]
pub async fn switch_organization(
    state: &AppState,
    principal: &Principal,
    organization_id: Uuid,
    client: &ClientInfo,
) -> Result<TokensOut, AppError> {
    let member = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .filter(membership::Column::UserId.eq(principal.user_id))
        .filter(membership::Column::IsActive.eq(true))
        .one(&state.db)
        .await?;
    if member.is_none() {
        return Err(AppError::not_found(
            "You are not a member of that organization.",
        ));
    }
    let tx = begin_write(&state.db).await?;
    let tokens =
        sessions::open_session(&tx, state, principal.user_id, organization_id, client).await?;
    audit::record(
        &tx,
        entry(
            organization_id,
            Some(principal.user_id),
            "auth.organization.switched",
            "user",
            principal.user_id,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(tokens)
}

/// `GET /auth/me`: from the profile cached with the session; the database
/// only when it is missing.
pub async fn me(state: &AppState, principal: &Principal) -> Result<MeOut, AppError> {
    let cached = principal
        .profile
        .as_deref()
        .and_then(|p| serde_json::from_str::<Profile>(p).ok());
    let profile = match cached {
        Some(p) => p,
        None => profile::load_profile(&state.db, principal.user_id, principal.organization_id)
            .await?
            .ok_or_else(|| AppError::unauthorized("The session has ended; sign in again."))?,
    };
    Ok(MeOut {
        user: profile.user,
        organization: profile.organization,
        session_id: principal.session_id,
        permissions: principal.permissions.to_vec(),
        memberships: profile.memberships,
    })
}

fn own_org(principal: &Principal, id: Uuid) -> Result<(), AppError> {
    if id == principal.organization_id {
        Ok(())
    } else {
        Err(AppError::not_found("No such organization."))
    }
}

/// `GET /organizations/{id}` (one's own only).
pub async fn get_organization(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
) -> Result<OrganizationOut, AppError> {
    own_org(principal, id)?;
    organization::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(OrganizationOut::from)
        .ok_or_else(|| AppError::not_found("No such organization."))
}

/// `PATCH /organizations/{id}`.
#[tracing::instrument(skip_all, fields(organization_id = %principal.organization_id, id = %id))]
pub async fn patch_organization(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    patch: &OrganizationPatch,
    if_match: Option<i32>,
) -> Result<OrganizationOut, AppError> {
    own_org(principal, id)?;
    let tx = begin_write(&state.db).await?;
    let current = tenant::find::<organization::Entity>(&tx, id, id).await?;
    let updated = tenant::update::<organization::Entity>(
        &tx,
        Target::new(id, id, if_match),
        patch.changes(),
        None,
    )
    .await?;
    let mut e = entry(
        id,
        Some(principal.user_id),
        "auth.organization.updated",
        "organization",
        id,
    );
    e.changes = Some(json!({ "name": [current.name, updated.name] }));
    audit::record(&tx, e).await?;
    let affected = sessions::live_session_ids_of_members(&tx, id).await?;
    tx.commit().await?;
    sessions::evict(&state.cache, &affected).await?;
    Ok(OrganizationOut::from(updated))
}

/// `POST /auth/change-password`: ends every other session.
#[tracing::instrument(skip_all, fields(organization_id = %principal.organization_id))]
pub async fn change_password(
    state: &AppState,
    principal: &Principal,
    input: &ChangePasswordIn,
) -> Result<(), AppError> {
    let person = user::Entity::find_by_id(principal.user_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::unauthorized("The session has ended; sign in again."))?;
    if !verify_password(
        state,
        &input.current_password,
        Some(person.password_hash.clone()),
    )
    .await?
    {
        return Err(AppError::invalid_field(
            "current_password",
            "incorrect",
            "is not your current password",
        ));
    }
    check_password_policy(&input.new_password, &person.email)?;
    let hash = hash_password(state, &input.new_password).await?;
    let others: Vec<Uuid> = sessions::live_session_ids(&state.db, person.id, None)
        .await?
        .into_iter()
        .filter(|id| *id != principal.session_id)
        .collect();
    let tx = begin_write(&state.db).await?;
    set_password(&tx, &person, hash).await?;
    sessions::revoke_in(&tx, &others, "password_changed").await?;
    audit::record(
        &tx,
        entry(
            principal.organization_id,
            Some(person.id),
            "auth.password.changed",
            "user",
            person.id,
        ),
    )
    .await?;
    tx.commit().await?;
    sessions::announce_revoked(state, &others).await;
    sessions::evict(&state.cache, &[principal.session_id]).await
}

async fn set_password(
    conn: &impl ConnectionTrait,
    person: &user::Model,
    hash: String,
) -> Result<(), AppError> {
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, hash.into())
        .col_expr(user::Column::UpdatedAt, Utc::now().into())
        .col_expr(
            user::Column::Version,
            sea_orm::sea_query::ExprTrait::add(
                sea_orm::sea_query::Expr::col(user::Column::Version),
                1,
            ),
        )
        .filter(user::Column::Id.eq(person.id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Queues a mail in the outbox (and the log); delivered by SMTP when configured.
#[tracing::instrument(skip_all)]
pub async fn queue_mail(
    conn: &impl ConnectionTrait,
    state: &AppState,
    organization_id: Option<Uuid>,
    to: &str,
    subject: &str,
    body: String,
) -> Result<(), AppError> {
    outbox_email::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(organization_id),
        to_address: Set(to.to_string()),
        subject: Set(subject.to_string()),
        body: Set(body.clone()),
        created_at: Set(Utc::now()),
        sent_at: Set(None),
        attempts: Set(0),
    }
    .insert(conn)
    .await?;
    if state.settings.environment == crate::platform::config::Environment::Production {
        tracing::info!(to, subject, "mail queued");
    } else {
        tracing::info!(to, subject, body, "mail queued");
    }
    Ok(())
}

/// Password-reset requests and failed reset attempts allowed per client address per hour.
const RESET_REQUESTS_PER_IP: u64 = 20;

/// 429 once an address has used its hourly budget (`count_this` adds a hit).
async fn check_reset_ip(state: &AppState, ip: &str, count_this: bool) -> Result<(), AppError> {
    let key = format!("rl:reset:ip:{ip}");
    let w = if count_this {
        state.cache.hit(&key, Duration::from_secs(3600)).await?
    } else {
        state.cache.count(&key).await?
    };
    let over = if count_this {
        w.count > RESET_REQUESTS_PER_IP
    } else {
        w.count >= RESET_REQUESTS_PER_IP
    };
    if over {
        return Err(AppError::too_many_requests(w.resets_in.as_secs().max(1)));
    }
    Ok(())
}

/// `POST /auth/forgot-password`: always accepted (unless the address is over
/// its budget); a mail only if the account exists.
#[tracing::instrument(skip_all)]
pub async fn forgot_password(
    state: &AppState,
    email: &str,
    client: &ClientInfo,
) -> Result<(), AppError> {
    check_reset_ip(state, &client.ip, true).await?;
    let email = normalize_email(email);
    let w = state
        .cache
        .hit(
            &format!("rl:reset:email:{email}"),
            Duration::from_secs(3600),
        )
        .await?;
    if w.count > RESETS_PER_EMAIL {
        return Ok(());
    }
    // Whether the account exists must not show in the answer's timing: the
    // lookup, the token and the mail happen after the answer, in the
    // background (held by the lifecycle, so a shutdown waits for them).
    let guard = state.lifecycle.hold();
    let state = state.clone();
    tokio::spawn(
        async move {
            let _in_flight = guard;
            if let Err(e) = send_reset_mail(&state, &email).await {
                tracing::warn!(error = %e, "password reset mail not queued");
            }
        }
        .instrument(tracing::Span::current()),
    );
    Ok(())
}

/// Queues a reset token for an active account with this (normalized) email.
async fn send_reset_mail(state: &AppState, email: &str) -> Result<(), AppError> {
    let Some(person) = user::Entity::find()
        .filter(user::Column::EmailNormalized.eq(email))
        .filter(user::Column::IsActive.eq(true))
        .one(&state.db)
        .await?
    else {
        return Ok(());
    };
    let token = random_token()?;
    let now = Utc::now();
    let tx = begin_write(&state.db).await?;
    password_reset::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(person.id),
        token_hash: Set(token_hash(&token)),
        created_at: Set(now),
        expires_at: Set(now + RESET_TOKEN_TTL),
        used_at: Set(None),
    }
    .insert(&tx)
    .await?;
    queue_mail(
        &tx,
        state,
        None,
        &person.email,
        "Reset your Mainstay password",
        format!(
            "Someone asked to reset the password of your Mainstay account.\n\n\
             Reset token (valid 30 minutes, usable once):\n\n\
             {token}\n\n\
             Send it with a new password to POST /api/v1/auth/reset-password.\n\n\
             If you did not ask for this, ignore this mail.\n"
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `POST /auth/reset-password`: single use, 30 minutes, ends every session.
/// Failed attempts count against the client address.
#[tracing::instrument(skip_all)]
pub async fn reset_password(
    state: &AppState,
    input: &ResetPasswordIn,
    client: &ClientInfo,
) -> Result<(), AppError> {
    check_reset_ip(state, &client.ip, false).await?;
    let invalid = || {
        AppError::bad_request(
            "invalid_reset_token",
            "The reset token is invalid, used or expired; ask for a new one.",
        )
    };
    let Some(reset) = password_reset::Entity::find()
        .filter(password_reset::Column::TokenHash.eq(token_hash(&input.token)))
        .filter(password_reset::Column::UsedAt.is_null())
        .filter(password_reset::Column::ExpiresAt.gt(Utc::now()))
        .one(&state.db)
        .await?
    else {
        state
            .cache
            .hit(
                &format!("rl:reset:ip:{}", client.ip),
                Duration::from_secs(3600),
            )
            .await?;
        return Err(invalid());
    };
    let person = user::Entity::find_by_id(reset.user_id)
        .one(&state.db)
        .await?
        .ok_or_else(invalid)?;
    check_password_policy(&input.new_password, &person.email)?;
    let hash = hash_password(state, &input.new_password).await?;
    let tx = begin_write(&state.db).await?;
    let claimed = password_reset::Entity::update_many()
        .col_expr(password_reset::Column::UsedAt, Some(Utc::now()).into())
        .filter(password_reset::Column::Id.eq(reset.id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(&tx)
        .await?
        .rows_affected
        == 1;
    if !claimed {
        return Err(invalid());
    }
    set_password(&tx, &person, hash).await?;
    let all = sessions::live_session_ids(&tx, person.id, None).await?;
    sessions::revoke_in(&tx, &all, "password_reset").await?;
    let orgs = membership::Entity::find()
        .filter(membership::Column::UserId.eq(person.id))
        .all(&tx)
        .await?;
    for m in orgs {
        audit::record(
            &tx,
            entry(
                m.organization_id,
                Some(person.id),
                "auth.password.reset",
                "user",
                person.id,
            ),
        )
        .await?;
    }
    tx.commit().await?;
    sessions::announce_revoked(state, &all).await;
    Ok(())
}

fn plan_out(p: catalog::Plan) -> PlanOut {
    PlanOut {
        code: p.code,
        name: p.name,
        max_seats: p.max_seats,
        max_products: p.max_products,
        api_requests_per_minute: p.api_requests_per_minute,
    }
}

/// `GET /subscriptions/plans`.
pub fn plans() -> Vec<PlanOut> {
    catalog::PLANS.into_iter().map(plan_out).collect()
}

/// Active seats of an organization.
pub async fn seats_used(
    conn: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<u64, AppError> {
    Ok(membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .filter(membership::Column::IsActive.eq(true))
        .count(conn)
        .await?)
}

/// `GET /organizations/{id}/subscription`.
pub async fn get_subscription(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    id: Uuid,
) -> Result<SubscriptionOut, AppError> {
    own_org(principal, id)?;
    let sub = subscription::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("No subscription."))?;
    Ok(SubscriptionOut {
        plan: plan_out(catalog::plan(&sub.plan).unwrap_or(catalog::PLANS[0])),
        status: sub.status,
        started_at: sub.started_at,
        seats_used: seats_used(conn, id).await?,
    })
}

/// `POST /organizations/{id}/subscription`: a smaller plan must still fit.
#[tracing::instrument(skip_all, fields(organization_id = %principal.organization_id, id = %id))]
pub async fn change_subscription(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    plan_code: &str,
) -> Result<SubscriptionOut, AppError> {
    own_org(principal, id)?;
    let plan = catalog::plan(plan_code).ok_or_else(|| {
        AppError::invalid_field(
            "plan",
            "unknown_plan",
            "must be one of free, basic, pro, enterprise",
        )
    })?;
    let tx = begin_write(&state.db).await?;
    let seats = seats_used(&tx, id).await?;
    if plan.max_seats.is_some_and(|max| seats > max) {
        return Err(AppError::forbidden(
            "plan_limit_exceeded",
            format!(
                "The {} plan allows {} members; {seats} are active.",
                plan.name,
                plan.max_seats.unwrap_or(0)
            ),
        ));
    }
    let current = subscription::Entity::find_by_id(id)
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("No subscription."))?;
    let old_plan = current.plan.clone();
    let mut am: subscription::ActiveModel = current.into();
    am.plan = Set(plan.code.into());
    am.updated_at = Set(Utc::now());
    am.update(&tx).await?;
    let mut e = entry(
        id,
        Some(principal.user_id),
        "auth.subscription.changed",
        "organization",
        id,
    );
    e.changes = Some(json!({ "plan": [old_plan, plan.code] }));
    audit::record(&tx, e).await?;
    let out = get_subscription(&tx, principal, id).await?;
    let affected = sessions::live_session_ids_in_org(&tx, id).await?;
    tx.commit().await?;
    sessions::evict(&state.cache, &affected).await?;
    Ok(out)
}
