//! Sessions: opening (login, onboarding, switching), refresh-token rotation
//! with reuse detection, revocation, and the cached session resolver behind
//! every authenticated request.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::security::{random_token, token_hash};
use crate::modules::auth::catalog::system_role_level;
use crate::{
    modules::auth::{
        dto::{SessionOut, TokensOut},
        entities::{
            membership, membership_role, refresh_token, role, session, session_revocation, user,
        },
    },
    platform::{
        auth::{self, Catalogue, LoadFuture, Principal, SessionInfo, SessionLoader},
        cache::Cache,
        prelude::*,
    },
};

/// Who opened a session.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// `User-Agent`, truncated.
    pub user_agent: String,
    /// Peer address.
    pub ip: String,
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Opens a session for a membership and returns its first tokens.
#[tracing::instrument(skip_all)]
pub async fn open_session(
    conn: &impl ConnectionTrait,
    state: &AppState,
    user_id: Uuid,
    organization_id: Uuid,
    client: &ClientInfo,
) -> Result<TokensOut, AppError> {
    let now = Utc::now();
    let id = Uuid::now_v7();
    let ttl = chrono::Duration::seconds(state.settings.auth.refresh_token_ttl_secs as i64);
    session::ActiveModel {
        id: Set(id),
        organization_id: Set(organization_id),
        user_id: Set(user_id),
        user_agent: Set(truncate(&client.user_agent, 300)),
        ip: Set(truncate(&client.ip, 64)),
        created_at: Set(now),
        last_used_at: Set(now),
        expires_at: Set(now + ttl),
        revoked_at: Set(None),
        revoked_reason: Set(None),
    }
    .insert(conn)
    .await?;
    issue_tokens(conn, state, user_id, organization_id, id).await
}

async fn issue_tokens(
    conn: &impl ConnectionTrait,
    state: &AppState,
    user_id: Uuid,
    organization_id: Uuid,
    session_id: Uuid,
) -> Result<TokensOut, AppError> {
    let refresh = random_token()?;
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        session_id: Set(session_id),
        token_hash: Set(token_hash(&refresh)),
        created_at: Set(Utc::now()),
        used_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(TokensOut {
        access_token: state
            .auth
            .tokens
            .issue(user_id, organization_id, session_id)?,
        refresh_token: refresh,
        token_type: "Bearer",
        expires_in: state.auth.tokens.access_ttl_secs(),
    })
}

fn invalid_refresh() -> AppError {
    AppError::unauthorized("The refresh token is invalid or has expired.")
}

/// Rotates a refresh token. A token presented twice ends its whole session
/// (the family) and answers 401.
#[tracing::instrument(skip_all)]
pub async fn refresh(state: &AppState, token: &str) -> Result<TokensOut, AppError> {
    let tx = begin_write(&state.db).await?;
    let rt = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(token_hash(token)))
        .one(&tx)
        .await?
        .ok_or_else(invalid_refresh)?;
    let sess = session::Entity::find_by_id(rt.session_id)
        .one(&tx)
        .await?
        .ok_or_else(invalid_refresh)?;
    let now = Utc::now();
    if sess.revoked_at.is_some() || sess.expires_at <= now {
        return Err(invalid_refresh());
    }
    let claimed = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Some(now).into())
        .filter(refresh_token::Column::Id.eq(rt.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&tx)
        .await?
        .rows_affected
        == 1;
    if !claimed {
        revoke_in(&tx, &[sess.id], "refresh_token_reuse").await?;
        audit::record(
            &tx,
            AuditEntry {
                organization_id: sess.organization_id,
                actor_id: Some(sess.user_id),
                action: "auth.refresh_token.reused".into(),
                entity_type: "session".into(),
                entity_id: Some(sess.id.to_string()),
                changes: None,
            },
        )
        .await?;
        tx.commit().await?;
        announce_revoked(state, &[sess.id]).await;
        tracing::warn!(session_id = %sess.id, "refresh token reuse: session revoked");
        return Err(AppError::unauthorized(
            "This refresh token was already used; the session has been ended. Sign in again.",
        ));
    }
    if load_session(&tx, state.permissions, sess.id)
        .await?
        .is_none()
    {
        return Err(invalid_refresh());
    }
    let ttl = chrono::Duration::seconds(state.settings.auth.refresh_token_ttl_secs as i64);
    session::Entity::update_many()
        .col_expr(session::Column::LastUsedAt, now.into())
        .col_expr(session::Column::ExpiresAt, (now + ttl).into())
        .filter(session::Column::Id.eq(sess.id))
        .exec(&tx)
        .await?;
    let tokens = issue_tokens(&tx, state, sess.user_id, sess.organization_id, sess.id).await?;
    tx.commit().await?;
    Ok(tokens)
}

/// Marks sessions revoked in the database (inside the caller's transaction),
/// and records that the shared cache must hear of it
/// ([`announce_revoked`] after commit, or the delivery task).
pub async fn revoke_in(
    conn: &impl ConnectionTrait,
    session_ids: &[Uuid],
    reason: &str,
) -> Result<(), AppError> {
    if session_ids.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Some(now).into())
        .col_expr(
            session::Column::RevokedReason,
            Some(reason.to_string()).into(),
        )
        .filter(session::Column::Id.is_in(session_ids.iter().copied()))
        .filter(session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    session_revocation::Entity::insert_many(session_ids.iter().map(|id| {
        session_revocation::ActiveModel {
            session_id: Set(*id),
            created_at: Set(now),
        }
    }))
    .on_conflict_do_nothing()
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Whether every process already refuses a revoked session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    /// The shared cache holds the revocation: refused everywhere from the
    /// next request on.
    Immediate,
    /// The cache is unreachable: the revocation is committed and will be
    /// delivered as soon as the cache answers (until then the cache refuses
    /// every request anyway).
    Pending,
}

/// After commit: tells the shared cache, so every process refuses these
/// sessions from the next request on. When the cache cannot be reached the
/// revocations stay recorded and [`deliver_pending`] retries them.
pub async fn announce_revoked(state: &AppState, session_ids: &[Uuid]) -> Propagation {
    match deliver(state, session_ids).await {
        Ok(()) => Propagation::Immediate,
        Err(e) => {
            tracing::warn!(error = %e, sessions = ?session_ids,
                "cache unreachable: revocation recorded, delivered when it is back");
            Propagation::Pending
        }
    }
}

async fn deliver(state: &AppState, session_ids: &[Uuid]) -> Result<(), AppError> {
    if session_ids.is_empty() {
        return Ok(());
    }
    auth::mark_sessions_revoked(&state.cache, session_ids).await?;
    session_revocation::Entity::delete_many()
        .filter(session_revocation::Column::SessionId.is_in(session_ids.iter().copied()))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// Deletes sessions that ended (expired) more than `keep` ago, `batch` rows
/// per statement (their refresh tokens go with them); returns how many.
pub async fn purge_ended(
    conn: &DatabaseConnection,
    keep: chrono::Duration,
    batch: u64,
) -> Result<u64, AppError> {
    Ok(crate::platform::db::delete_in_batches(
        conn,
        "sessions",
        "id",
        "expires_at <= $1",
        Utc::now() - keep,
        batch,
    )
    .await?)
}

/// Delivers recorded revocations the cache has not heard of (oldest first,
/// 500 at a time); returns how many. Run by the delivery task every second.
pub async fn deliver_pending(state: &AppState) -> Result<usize, AppError> {
    let ids: Vec<Uuid> = session_revocation::Entity::find()
        .order_by_asc(session_revocation::Column::CreatedAt)
        .limit(500)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|r| r.session_id)
        .collect();
    deliver(state, &ids).await?;
    Ok(ids.len())
}

/// After commit: the next request of these sessions reloads permissions and plan.
pub async fn evict(cache: &Cache, session_ids: &[Uuid]) -> Result<(), AppError> {
    auth::evict_sessions(cache, session_ids).await
}

/// Sessions neither revoked nor expired.
fn live() -> sea_orm::Select<session::Entity> {
    session::Entity::find()
        .filter(session::Column::RevokedAt.is_null())
        .filter(session::Column::ExpiresAt.gt(Utc::now()))
}

/// Live sessions of a person, optionally only in one organization.
pub async fn live_session_ids(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    organization_id: Option<Uuid>,
) -> Result<Vec<Uuid>, AppError> {
    let mut q = live().filter(session::Column::UserId.eq(user_id));
    if let Some(org) = organization_id {
        q = q.filter(session::Column::OrganizationId.eq(org));
    }
    Ok(q.all(conn).await?.into_iter().map(|s| s.id).collect())
}

/// Live sessions of everyone in an organization.
pub async fn live_session_ids_in_org(
    conn: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<Vec<Uuid>, AppError> {
    Ok(live()
        .filter(session::Column::OrganizationId.eq(organization_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect())
}

/// Live sessions of every member of an organization, in any organization
/// (their membership lists name it).
pub async fn live_session_ids_of_members(
    conn: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<Vec<Uuid>, AppError> {
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    Ok(live()
        .filter(
            session::Column::UserId.in_subquery(
                Query::select()
                    .column(membership::Column::UserId)
                    .from(membership::Entity)
                    .and_where(Expr::col(membership::Column::OrganizationId).eq(organization_id))
                    .to_owned(),
            ),
        )
        .all(conn)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect())
}

/// Ends sessions of a person (all of them, or all but `keep`) and audits it.
#[tracing::instrument(skip_all, fields(organization_id = %principal.organization_id))]
pub async fn end_sessions(
    state: &AppState,
    principal: &Principal,
    ids: Vec<Uuid>,
    reason: &str,
) -> Result<Propagation, AppError> {
    let tx = begin_write(&state.db).await?;
    revoke_in(&tx, &ids, reason).await?;
    audit::record(
        &tx,
        AuditEntry {
            organization_id: principal.organization_id,
            actor_id: Some(principal.user_id),
            action: "auth.session.revoked".into(),
            entity_type: "session".into(),
            entity_id: (ids.len() == 1).then(|| ids[0].to_string()),
            changes: Some(serde_json::json!({ "sessions": ids, "reason": reason })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(announce_revoked(state, &ids).await)
}

/// `POST /auth/logout`.
pub async fn logout(
    state: &AppState,
    principal: &Principal,
    all: bool,
) -> Result<Propagation, AppError> {
    let ids = if all {
        live_session_ids(&state.db, principal.user_id, None).await?
    } else {
        vec![principal.session_id]
    };
    end_sessions(state, principal, ids, "logout").await
}

/// `GET /auth/sessions`: the caller's live sessions, newest first.
pub async fn list(state: &AppState, principal: &Principal) -> Result<Vec<SessionOut>, AppError> {
    Ok(live()
        .filter(session::Column::UserId.eq(principal.user_id))
        .order_by_desc(session::Column::Id)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|s| SessionOut {
            current: s.id == principal.session_id,
            id: s.id,
            organization_id: s.organization_id,
            user_agent: s.user_agent,
            ip: s.ip,
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            expires_at: s.expires_at,
        })
        .collect())
}

/// `DELETE /auth/sessions/{id}`: only the caller's own sessions.
pub async fn revoke_one(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<Propagation, AppError> {
    let found = session::Entity::find_by_id(id)
        .filter(session::Column::UserId.eq(principal.user_id))
        .filter(session::Column::RevokedAt.is_null())
        .one(&state.db)
        .await?;
    if found.is_none() {
        return Err(AppError::not_found("No such session."));
    }
    end_sessions(state, principal, vec![id], "revoked_by_user").await
}

/// Union of the permissions of a member's roles, sorted.
pub async fn effective_permissions(
    conn: &impl ConnectionTrait,
    catalogue: Catalogue,
    organization_id: Uuid,
    user_id: Uuid,
) -> Result<Vec<&'static str>, AppError> {
    let role_ids: Vec<Uuid> = membership_role::Entity::find()
        .filter(membership_role::Column::OrganizationId.eq(organization_id))
        .filter(membership_role::Column::UserId.eq(user_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.role_id)
        .collect();
    if role_ids.is_empty() {
        return Ok(Vec::new());
    }
    let roles = role::Entity::find()
        .filter(role::Column::OrganizationId.eq(organization_id))
        .filter(role::Column::Id.is_in(role_ids))
        .all(conn)
        .await?;
    let mut names: Vec<&'static str> = roles
        .iter()
        .flat_map(|r| role_permissions(catalogue, r))
        .collect();
    names.sort_unstable();
    names.dedup();
    Ok(names)
}

/// What a role grants, sorted. System roles take theirs from the modules'
/// declarations, so permissions added by later modules reach every
/// organization's roles without a data migration; custom roles keep their
/// stored list (a name no module declares any more grants nothing).
pub fn role_permissions(catalogue: Catalogue, r: &role::Model) -> Vec<&'static str> {
    if r.is_system {
        return system_role_level(&r.name)
            .map(|level| catalogue.held_at(level))
            .unwrap_or_default();
    }
    let names: Vec<String> = serde_json::from_str(&r.permissions).unwrap_or_default();
    let mut held: Vec<&'static str> = names
        .iter()
        .filter_map(|n| catalogue.get(n).map(|p| p.name))
        .collect();
    held.sort_unstable();
    held.dedup();
    held
}

/// A session's state from the database: `None` unless the session, the
/// membership and the account are all live.
pub async fn load_session(
    conn: &impl ConnectionTrait,
    catalogue: Catalogue,
    session_id: Uuid,
) -> Result<Option<SessionInfo>, AppError> {
    let Some(s) = session::Entity::find_by_id(session_id)
        .filter(session::Column::RevokedAt.is_null())
        .filter(session::Column::ExpiresAt.gt(Utc::now()))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let member_ok = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(s.organization_id))
        .filter(membership::Column::UserId.eq(s.user_id))
        .filter(membership::Column::IsActive.eq(true))
        .one(conn)
        .await?
        .is_some();
    let user_ok = user::Entity::find_by_id(s.user_id)
        .filter(user::Column::IsActive.eq(true))
        .one(conn)
        .await?
        .is_some();
    if !(member_ok && user_ok) {
        return Ok(None);
    }
    let permissions = effective_permissions(conn, catalogue, s.organization_id, s.user_id).await?;
    let plan = super::profile::current_plan(conn, s.organization_id).await?;
    let profile = super::profile::load_profile(conn, s.user_id, s.organization_id)
        .await?
        .map(|p| serde_json::to_string(&p))
        .transpose()
        .map_err(AppError::internal)?;
    Ok(Some(SessionInfo {
        user_id: s.user_id,
        organization_id: s.organization_id,
        permissions: permissions.into_iter().map(str::to_string).collect(),
        requests_per_minute: plan.api_requests_per_minute,
        profile,
    }))
}

/// The database side of session lookups; the platform caches what it loads.
pub struct DbSessions {
    db: DatabaseConnection,
    catalogue: Catalogue,
}

impl DbSessions {
    /// A loader over the pool, granting from `catalogue`.
    pub fn new(db: DatabaseConnection, catalogue: Catalogue) -> Self {
        Self { db, catalogue }
    }
}

impl SessionLoader for DbSessions {
    fn load(&self, session_id: Uuid) -> LoadFuture<'_> {
        Box::pin(load_session(&self.db, self.catalogue, session_id))
    }
}
