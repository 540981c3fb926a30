//! TOTP multi-factor authentication: enrolment (secret, then a confirming
//! code that returns one-time recovery codes), the login challenge, and
//! disabling. A code's time step is accepted once per person; recovery codes
//! are single-use and stored hashed.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    security::{random_token, token_hash, verify_password},
    sessions::{self, ClientInfo},
    totp,
};
use crate::{
    modules::auth::{
        dto::{
            MfaChallengeIn, MfaChallengeOut, MfaEnrollmentOut, MfaRequiredStatus, RecoveryCodesOut,
            TokensOut,
        },
        entities::{recovery_code, user},
    },
    platform::prelude::*,
};

const CHALLENGE_TTL: Duration = Duration::from_secs(300);
const FAILURES_ALLOWED: u64 = 5;
const RECOVERY_CODES: usize = 10;

#[derive(Serialize, Deserialize)]
struct Pending {
    user_id: Uuid,
    organization_id: Uuid,
}

fn entry(org: Uuid, user: Uuid, action: &str) -> AuditEntry {
    AuditEntry {
        organization_id: org,
        actor_id: Some(user),
        action: action.into(),
        entity_type: "user".into(),
        entity_id: Some(user.to_string()),
        changes: None,
    }
}

async fn load(conn: &impl ConnectionTrait, id: Uuid) -> Result<user::Model, AppError> {
    user::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::unauthorized("The session has ended; sign in again."))
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `POST /auth/mfa/enable`: a new secret, pending until confirmed.
pub async fn enable(state: &AppState, principal: &Principal) -> Result<MfaEnrollmentOut, AppError> {
    let person = load(&state.db, principal.user_id).await?;
    if person.mfa_enabled {
        return Err(AppError::conflict(
            "mfa_already_enabled",
            "MFA is already on; disable it first to re-enrol.",
        ));
    }
    let mut raw = [0u8; 20];
    getrandom::fill(&mut raw).map_err(|e| AppError::internal(anyhow::anyhow!("getrandom: {e}")))?;
    let secret = totp::base32_encode(&raw);
    let tx = begin_write(&state.db).await?;
    let mut am: user::ActiveModel = person.clone().into();
    am.totp_secret = Set(Some(secret.clone()));
    am.totp_last_step = Set(None);
    am.updated_at = Set(Utc::now());
    am.update(&tx).await?;
    audit::record(
        &tx,
        entry(
            principal.organization_id,
            person.id,
            "auth.mfa.enrolment_started",
        ),
    )
    .await?;
    let affected = sessions::live_session_ids(&tx, person.id, None).await?;
    tx.commit().await?;
    sessions::evict(&state.cache, &affected).await?;
    let label = percent_encode(&format!("Mainstay:{}", person.email));
    Ok(MfaEnrollmentOut {
        otpauth_uri: format!(
            "otpauth://totp/{label}?secret={secret}&issuer=Mainstay&algorithm=SHA1&digits=6&period=30"
        ),
        secret,
    })
}

/// Accepts a TOTP code once: its step must be newer than the last one used.
async fn consume_totp(
    conn: &impl ConnectionTrait,
    person: &user::Model,
    code: &str,
) -> Result<bool, AppError> {
    let Some(secret) = &person.totp_secret else {
        return Ok(false);
    };
    let Some(step) = totp::matching_step(secret, code, Utc::now().timestamp()) else {
        return Ok(false);
    };
    let res = user::Entity::update_many()
        .col_expr(user::Column::TotpLastStep, Some(step).into())
        .filter(user::Column::Id.eq(person.id))
        .filter(
            sea_orm::Condition::any()
                .add(user::Column::TotpLastStep.is_null())
                .add(user::Column::TotpLastStep.lt(step)),
        )
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Accepts an unused recovery code once.
async fn consume_recovery(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    code: &str,
) -> Result<bool, AppError> {
    let normalized: String = code
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| *c != '-')
        .collect();
    let res = recovery_code::Entity::update_many()
        .col_expr(recovery_code::Column::UsedAt, Some(Utc::now()).into())
        .filter(recovery_code::Column::UserId.eq(user_id))
        .filter(recovery_code::Column::CodeHash.eq(token_hash(&normalized)))
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// `POST /auth/mfa/verify`: confirms enrolment; returns recovery codes once.
#[tracing::instrument(skip_all, fields(organization_id = %principal.organization_id))]
pub async fn verify(
    state: &AppState,
    principal: &Principal,
    code: &str,
) -> Result<RecoveryCodesOut, AppError> {
    let person = load(&state.db, principal.user_id).await?;
    if person.mfa_enabled || person.totp_secret.is_none() {
        return Err(AppError::conflict(
            "mfa_not_pending",
            "Start with POST /auth/mfa/enable.",
        ));
    }
    let tx = begin_write(&state.db).await?;
    if !consume_totp(&tx, &person, code).await? {
        return Err(AppError::invalid_field(
            "code",
            "invalid",
            "does not match the authenticator",
        ));
    }
    set_mfa(&tx, person.id, true).await?;
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(person.id))
        .exec(&tx)
        .await?;
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let raw: String = random_token()?
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(10)
            .collect::<String>()
            .to_lowercase();
        recovery_code::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(person.id),
            code_hash: Set(token_hash(&raw)),
            created_at: Set(Utc::now()),
            used_at: Set(None),
        }
        .insert(&tx)
        .await?;
        codes.push(format!("{}-{}", &raw[..5], &raw[5..]));
    }
    audit::record(
        &tx,
        entry(principal.organization_id, person.id, "auth.mfa.enabled"),
    )
    .await?;
    let affected = sessions::live_session_ids(&tx, person.id, None).await?;
    tx.commit().await?;
    sessions::evict(&state.cache, &affected).await?;
    Ok(RecoveryCodesOut {
        recovery_codes: codes,
    })
}

/// `POST /auth/mfa/disable`: needs the password and a code.
#[tracing::instrument(skip_all, fields(organization_id = %principal.organization_id))]
pub async fn disable(
    state: &AppState,
    principal: &Principal,
    password: &str,
    code: &str,
) -> Result<(), AppError> {
    let person = load(&state.db, principal.user_id).await?;
    if !person.mfa_enabled {
        return Err(AppError::conflict("mfa_not_enabled", "MFA is not enabled."));
    }
    if !verify_password(state, password, Some(person.password_hash.clone())).await? {
        return Err(AppError::invalid_field(
            "password",
            "incorrect",
            "is not your current password",
        ));
    }
    let tx = begin_write(&state.db).await?;
    if !(consume_totp(&tx, &person, code).await? || consume_recovery(&tx, person.id, code).await?) {
        return Err(AppError::invalid_field(
            "code",
            "invalid",
            "is not a valid code",
        ));
    }
    set_mfa(&tx, person.id, false).await?;
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(person.id))
        .exec(&tx)
        .await?;
    audit::record(
        &tx,
        entry(principal.organization_id, person.id, "auth.mfa.disabled"),
    )
    .await?;
    let affected = sessions::live_session_ids(&tx, person.id, None).await?;
    tx.commit().await?;
    sessions::evict(&state.cache, &affected).await?;
    Ok(())
}

/// Starts the second step of a login (called by `login` for MFA users).
#[tracing::instrument(skip_all)]
pub async fn start_challenge(
    state: &AppState,
    user_id: Uuid,
    organization_id: Uuid,
) -> Result<MfaChallengeOut, AppError> {
    let token = random_token()?;
    let pending = serde_json::to_vec(&Pending {
        user_id,
        organization_id,
    })
    .map_err(AppError::internal)?;
    state
        .cache
        .set(
            &format!("mfa:{}", token_hash(&token)),
            &pending,
            Some(CHALLENGE_TTL),
        )
        .await?;
    Ok(MfaChallengeOut {
        status: MfaRequiredStatus::MfaRequired,
        mfa_required: true,
        mfa_token: token,
        expires_in: CHALLENGE_TTL.as_secs() as i64,
    })
}

/// `POST /auth/mfa/challenge`: a TOTP or recovery code completes the login.
#[tracing::instrument(skip_all)]
pub async fn challenge(
    state: &AppState,
    input: &MfaChallengeIn,
    client: &ClientInfo,
) -> Result<TokensOut, AppError> {
    let key = format!("mfa:{}", token_hash(&input.mfa_token));
    let invalid = || AppError::unauthorized("The MFA token is invalid or expired; sign in again.");
    let pending: Pending = state
        .cache
        .get(&key)
        .await?
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(invalid)?;
    let limits = [
        format!("rl:mfa:user:{}", pending.user_id),
        format!("rl:mfa:ip:{}", client.ip),
    ];
    for k in &limits {
        let w = state.cache.count(k).await?;
        if w.count >= FAILURES_ALLOWED * if k.contains(":ip:") { 4 } else { 1 } {
            return Err(AppError::too_many_requests(w.resets_in.as_secs().max(1)));
        }
    }
    let person = load(&state.db, pending.user_id).await?;
    let tx = begin_write(&state.db).await?;
    let ok = match (&input.code, &input.recovery_code) {
        (Some(code), None) => consume_totp(&tx, &person, code).await?,
        (None, Some(code)) => consume_recovery(&tx, person.id, code).await?,
        _ => {
            return Err(AppError::unprocessable(
                "code_required",
                "Send exactly one of `code` or `recovery_code`.",
            ));
        }
    };
    if !ok {
        audit::record(
            &tx,
            entry(pending.organization_id, person.id, "auth.mfa.failed"),
        )
        .await?;
        tx.commit().await?;
        for k in &limits {
            state.cache.hit(k, CHALLENGE_TTL).await?;
        }
        return Err(
            AppError::unauthorized("The code is wrong or was already used.")
                .with_code("invalid_mfa_code"),
        );
    }
    let tokens =
        sessions::open_session(&tx, state, person.id, pending.organization_id, client).await?;
    let mut e = entry(pending.organization_id, person.id, "auth.login.succeeded");
    e.changes = Some(serde_json::json!({ "mfa": true }));
    audit::record(&tx, e).await?;
    tx.commit().await?;
    state.cache.delete(&key).await?;
    Ok(tokens)
}

/// Turns MFA on or off for a person (off also forgets the secret), with
/// `version + 1`: `mfa_enabled` is part of the user's representation, so its
/// `ETag` changes.
async fn set_mfa(conn: &impl ConnectionTrait, user_id: Uuid, on: bool) -> Result<(), AppError> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let mut update = user::Entity::update_many()
        .col_expr(user::Column::MfaEnabled, on.into())
        .col_expr(user::Column::UpdatedAt, Utc::now().into())
        .col_expr(
            user::Column::Version,
            Expr::col(user::Column::Version).add(1),
        )
        .filter(user::Column::Id.eq(user_id));
    if !on {
        update = update
            .col_expr(user::Column::TotpSecret, Option::<String>::None.into())
            .col_expr(user::Column::TotpLastStep, Option::<i64>::None.into());
    }
    update.exec(conn).await?;
    Ok(())
}
