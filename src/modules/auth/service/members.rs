//! Members of an organization and their roles. Every query is scoped by the
//! caller's organization; another organization's ids answer 404.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, Func, Query},
};
use serde_json::json;
use uuid::Uuid;

use super::sessions;
use crate::{
    modules::auth::{
        catalog::OWNER,
        dto::*,
        entities::{membership, membership_role, role, team_member, user},
    },
    platform::{
        auth::{Catalogue, Principal},
        error::{conflict_as, unique_violation},
        pagination::{Page, decode_cursor},
        prelude::*,
    },
};

/// Inserts a person (email uniqueness is the database's, case-insensitively
/// through the normalized column).
pub async fn insert_user(
    conn: &impl ConnectionTrait,
    email: &str,
    full_name: &str,
    password_hash: String,
) -> Result<user::Model, AppError> {
    let now = Utc::now();
    Ok(user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email.trim().to_string()),
        email_normalized: Set(super::security::normalize_email(email)),
        full_name: Set(full_name.trim().to_string()),
        password_hash: Set(password_hash),
        is_active: Set(true),
        mfa_enabled: Set(false),
        totp_secret: Set(None),
        totp_last_step: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(conn)
    .await?)
}

/// Makes a person an active member of an organization.
pub async fn insert_membership(
    conn: &impl ConnectionTrait,
    organization_id: Uuid,
    user_id: Uuid,
) -> Result<(), AppError> {
    let now = Utc::now();
    membership::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(organization_id),
        user_id: Set(user_id),
        is_active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(())
}

fn not_found() -> AppError {
    AppError::not_found("No such user in this organization.")
}

/// Users of `org` as the API shows them, in the order of `ids`, with their
/// memberships and roles loaded in three queries (no N+1).
pub async fn user_outs(
    conn: &impl ConnectionTrait,
    org: Uuid,
    ids: &[Uuid],
) -> Result<Vec<UserOut>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let users: HashMap<Uuid, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let members: HashMap<Uuid, membership::Model> = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(org))
        .filter(membership::Column::UserId.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| (m.user_id, m))
        .collect();
    let links = membership_role::Entity::find()
        .filter(membership_role::Column::OrganizationId.eq(org))
        .filter(membership_role::Column::UserId.is_in(ids.iter().copied()))
        .all(conn)
        .await?;
    let roles: HashMap<Uuid, String> = role::Entity::find()
        .filter(role::Column::OrganizationId.eq(org))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    Ok(ids
        .iter()
        .filter_map(|id| {
            let u = users.get(id)?;
            let m = members.get(id)?;
            let mut user_roles: Vec<RoleRef> = links
                .iter()
                .filter(|l| l.user_id == *id)
                .filter_map(|l| {
                    roles.get(&l.role_id).map(|name| RoleRef {
                        id: l.role_id,
                        name: name.clone(),
                    })
                })
                .collect();
            user_roles.sort_by(|a, b| a.name.cmp(&b.name));
            Some(UserOut {
                id: u.id,
                email: u.email.clone(),
                full_name: u.full_name.clone(),
                active: m.is_active && u.is_active,
                mfa_enabled: u.mfa_enabled,
                roles: user_roles,
                created_at: u.created_at,
                updated_at: std::cmp::max(u.updated_at, m.updated_at),
                version: u.version,
            })
        })
        .collect())
}

/// One member, or 404.
pub async fn get_user(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<UserOut, AppError> {
    user_outs(conn, org, &[id])
        .await?
        .pop()
        .ok_or_else(not_found)
}

/// `GET /users`: filters q, active, role; ordered by id (creation order).
pub async fn list_users(
    conn: &impl ConnectionTrait,
    org: Uuid,
    f: &UserFilter,
) -> Result<Page<UserOut>, AppError> {
    let limit = f.limit.unwrap_or(50).clamp(1, 200);
    let mut members = Query::select()
        .column(membership::Column::UserId)
        .from(membership::Entity)
        .and_where(Expr::col(membership::Column::OrganizationId).eq(org))
        .to_owned();
    if let Some(active) = f.active {
        members.and_where(Expr::col(membership::Column::IsActive).eq(active));
    }
    let mut cond = Condition::all().add(user::Column::Id.in_subquery(members));
    if let Some(active) = f.active {
        // An account disabled globally is inactive everywhere.
        if active {
            cond = cond.add(user::Column::IsActive.eq(true));
        }
    }
    if let Some(role_id) = f.role {
        cond = cond.add(
            user::Column::Id.in_subquery(
                Query::select()
                    .column(membership_role::Column::UserId)
                    .from(membership_role::Entity)
                    .and_where(Expr::col(membership_role::Column::OrganizationId).eq(org))
                    .and_where(Expr::col(membership_role::Column::RoleId).eq(role_id))
                    .to_owned(),
            ),
        );
    }
    if let Some(team_id) = f.team {
        cond = cond.add(
            user::Column::Id.in_subquery(
                Query::select()
                    .column(team_member::Column::UserId)
                    .from(team_member::Entity)
                    .and_where(Expr::col(team_member::Column::OrganizationId).eq(org))
                    .and_where(Expr::col(team_member::Column::TeamId).eq(team_id))
                    .to_owned(),
            ),
        );
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", q.to_lowercase().replace(['%', '_'], ""));
        cond = cond.add(
            Condition::any()
                .add(
                    Expr::expr(Func::lower(Expr::col(user::Column::FullName)))
                        .like(pattern.clone()),
                )
                .add(Expr::col(user::Column::EmailNormalized).like(pattern)),
        );
    }
    if let Some(cursor) = &f.cursor {
        let after: Uuid = decode_cursor(cursor)?;
        cond = cond.add(user::Column::Id.gt(after));
    }
    let ids: Vec<Uuid> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(cond)
        .order_by_asc(user::Column::Id)
        .limit(limit + 1)
        .into_tuple()
        .all(conn)
        .await?;
    let page = Page::from_rows(ids, limit, |id| *id);
    let data = user_outs(conn, org, &page.data).await?;
    Ok(Page {
        data,
        next_cursor: page.next_cursor,
        has_more: page.has_more,
    })
}

/// `PATCH /users/{id}` and `/users/me`.
#[tracing::instrument(skip_all, fields(organization_id = %principal.organization_id, id = %id))]
pub async fn patch_user(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    patch: &UserPatch,
    if_match: Option<i32>,
) -> Result<UserOut, AppError> {
    let tx = begin_write(&state.db).await?;
    let current = tenant::find::<user::Entity>(&tx, principal.organization_id, id).await?;
    let target = Target::new(principal.organization_id, id, if_match);
    let updated = tenant::update::<user::Entity>(&tx, target, patch.changes(), None).await?;
    audit::record(
        &tx,
        AuditEntry::by(
            principal,
            "auth.user.updated",
            "user",
            id,
            json!({ "full_name": [current.full_name, updated.full_name] }),
        ),
    )
    .await?;
    let out = get_user(&tx, principal.organization_id, id).await?;
    let affected = sessions::live_session_ids(&tx, id, None).await?;
    tx.commit().await?;
    sessions::evict(&state.cache, &affected).await?;
    Ok(out)
}

/// Active owners of `org` other than `except`.
async fn other_active_owners(
    conn: &impl ConnectionTrait,
    org: Uuid,
    except: Uuid,
) -> Result<u64, AppError> {
    let owner_role = role::Entity::find()
        .filter(role::Column::OrganizationId.eq(org))
        .filter(role::Column::Name.eq(OWNER))
        .filter(role::Column::IsSystem.eq(true))
        .one(conn)
        .await?
        .ok_or_else(|| {
            AppError::internal(anyhow::anyhow!("organization {org} has no owner role"))
        })?;
    Ok(membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(org))
        .filter(membership::Column::IsActive.eq(true))
        .filter(membership::Column::UserId.ne(except))
        .filter(
            membership::Column::UserId.in_subquery(
                Query::select()
                    .column(membership_role::Column::UserId)
                    .from(membership_role::Entity)
                    .and_where(Expr::col(membership_role::Column::OrganizationId).eq(org))
                    .and_where(Expr::col(membership_role::Column::RoleId).eq(owner_role.id))
                    .to_owned(),
            ),
        )
        .count(conn)
        .await?)
}

async fn is_owner(conn: &impl ConnectionTrait, org: Uuid, user_id: Uuid) -> Result<bool, AppError> {
    let links = membership_role::Entity::find()
        .filter(membership_role::Column::OrganizationId.eq(org))
        .filter(membership_role::Column::UserId.eq(user_id))
        .all(conn)
        .await?;
    if links.is_empty() {
        return Ok(false);
    }
    Ok(role::Entity::find()
        .filter(role::Column::Id.is_in(links.iter().map(|l| l.role_id)))
        .filter(role::Column::Name.eq(OWNER))
        .filter(role::Column::IsSystem.eq(true))
        .one(conn)
        .await?
        .is_some())
}

fn last_owner() -> AppError {
    AppError::conflict(
        "last_owner",
        "The organization must keep at least one active owner; make someone else owner first.",
    )
}

/// `POST /users/{id}/activate` and `/deactivate`. Deactivation ends the
/// member's sessions in this organization; the last owner stays active.
#[tracing::instrument(skip_all, fields(organization_id = %principal.organization_id, id = %id))]
pub async fn set_active(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    active: bool,
) -> Result<UserOut, AppError> {
    let org = principal.organization_id;
    let tx = begin_write(&state.db).await?;
    let member = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(org))
        .filter(membership::Column::UserId.eq(id))
        .one(&tx)
        .await?
        .ok_or_else(not_found)?;
    if !active && is_owner(&tx, org, id).await? && other_active_owners(&tx, org, id).await? == 0 {
        return Err(last_owner());
    }
    let mut am: membership::ActiveModel = member.clone().into();
    am.is_active = Set(active);
    am.updated_at = Set(Utc::now());
    am.update(&tx).await?;
    let ended = if active {
        Vec::new()
    } else {
        let ids = sessions::live_session_ids(&tx, id, Some(org)).await?;
        sessions::revoke_in(&tx, &ids, "deactivated").await?;
        ids
    };
    let action = if active {
        "auth.user.activated"
    } else {
        "auth.user.deactivated"
    };
    audit::record(
        &tx,
        AuditEntry::by(
            principal,
            action,
            "user",
            id,
            json!({ "active": [member.is_active, active] }),
        ),
    )
    .await?;
    let out = get_user(&tx, org, id).await?;
    // Sessions elsewhere list this membership: reload them.
    let elsewhere = sessions::live_session_ids(&tx, id, None).await?;
    tx.commit().await?;
    sessions::announce_revoked(state, &ended).await;
    sessions::evict(&state.cache, &elsewhere).await?;
    Ok(out)
}

pub(crate) fn role_out(catalogue: Catalogue, r: role::Model) -> RoleOut {
    RoleOut {
        permissions: sessions::role_permissions(catalogue, &r)
            .into_iter()
            .map(str::to_string)
            .collect(),
        id: r.id,
        name: r.name,
        description: r.description,
        is_system: r.is_system,
        created_at: r.created_at,
        updated_at: r.updated_at,
        version: r.version,
    }
}

/// `GET /permissions`.
pub fn permission_catalogue(catalogue: Catalogue) -> Vec<PermissionOut> {
    catalogue
        .iter()
        .map(|p| PermissionOut {
            name: p.name,
            description: p.description,
        })
        .collect()
}

fn validate_permissions(catalogue: Catalogue, names: &[String]) -> Result<String, AppError> {
    let unknown: Vec<&str> = names
        .iter()
        .filter(|n| catalogue.get(n).is_none())
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(AppError::invalid_field(
            "permissions",
            "unknown_permission",
            format!(
                "unknown permissions: {} (see GET /api/v1/permissions)",
                unknown.join(", ")
            ),
        ));
    }
    let mut sorted: Vec<&String> = names.iter().collect();
    sorted.sort();
    sorted.dedup();
    serde_json::to_string(&sorted).map_err(AppError::internal)
}

/// `GET /roles`.
pub async fn list_roles(
    conn: &impl ConnectionTrait,
    catalogue: Catalogue,
    org: Uuid,
) -> Result<Vec<RoleOut>, AppError> {
    Ok(role::Entity::find()
        .filter(role::Column::OrganizationId.eq(org))
        .order_by_desc(role::Column::IsSystem)
        .order_by_asc(role::Column::Name)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| role_out(catalogue, r))
        .collect())
}

async fn find_role(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<role::Model, AppError> {
    tenant::find::<role::Entity>(conn, org, id).await
}

/// `GET /roles/{id}`.
pub async fn get_role(
    conn: &impl ConnectionTrait,
    catalogue: Catalogue,
    org: Uuid,
    id: Uuid,
) -> Result<RoleOut, AppError> {
    find_role(conn, org, id)
        .await
        .map(|r| role_out(catalogue, r))
}

/// `POST /roles`.
#[tracing::instrument(skip_all, fields(organization_id = %principal.organization_id))]
pub async fn create_role(
    state: &AppState,
    principal: &Principal,
    input: &RoleIn,
) -> Result<RoleOut, AppError> {
    let permissions = validate_permissions(state.permissions, &input.permissions)?;
    let now = Utc::now();
    let tx = begin_write(&state.db).await?;
    let created = role::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(principal.organization_id),
        name: Set(input.name.trim().to_string()),
        description: Set(input.description.clone()),
        is_system: Set(false),
        permissions: Set(permissions),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await
    .map_err(unique_violation(
        "role_name_taken",
        "A role with this name already exists.",
    ))?;
    audit::record(
        &tx,
        AuditEntry::by(
            principal,
            "auth.role.created",
            "role",
            created.id,
            json!({ "name": created.name }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(role_out(state.permissions, created))
}

fn system_role_immutable() -> AppError {
    AppError::conflict(
        "system_role_immutable",
        "System roles cannot be changed or deleted.",
    )
}

/// Sessions whose cached permissions depend on `role_id`.
async fn sessions_holding(
    conn: &impl ConnectionTrait,
    org: Uuid,
    role_id: Uuid,
) -> Result<Vec<Uuid>, AppError> {
    let holders = membership_role::Entity::find()
        .filter(membership_role::Column::OrganizationId.eq(org))
        .filter(membership_role::Column::RoleId.eq(role_id))
        .all(conn)
        .await?;
    let mut ids = Vec::new();
    for h in holders {
        ids.extend(sessions::live_session_ids(conn, h.user_id, Some(org)).await?);
    }
    Ok(ids)
}

/// `PATCH /roles/{id}`.
#[tracing::instrument(skip_all, fields(organization_id = %principal.organization_id, id = %id))]
pub async fn patch_role(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    patch: &RolePatch,
    if_match: Option<i32>,
) -> Result<RoleOut, AppError> {
    let org = principal.organization_id;
    let tx = begin_write(&state.db).await?;
    let current = find_role(&tx, org, id).await?;
    if current.is_system {
        return Err(system_role_immutable());
    }
    let mut changes = patch.changes();
    if let Some(perms) = &patch.permissions {
        changes.permissions = Set(validate_permissions(state.permissions, perms)?);
    }
    // System roles never change: the guard keeps a racing request out too.
    let guard = Guard::new(role::Column::IsSystem.eq(false), |_: &role::Model| {
        system_role_immutable()
    });
    let updated =
        tenant::update::<role::Entity>(&tx, Target::new(org, id, if_match), changes, Some(guard))
            .await
            .map_err(conflict_as(
                "role_name_taken",
                "A role with this name already exists.",
            ))?;
    audit::record(
        &tx,
        AuditEntry::by(
            principal,
            "auth.role.updated",
            "role",
            id,
            json!({
                "name": [current.name, updated.name],
                "permissions": [current.permissions, updated.permissions],
            }),
        ),
    )
    .await?;
    let affected = sessions_holding(&tx, org, id).await?;
    tx.commit().await?;
    sessions::evict(&state.cache, &affected).await?;
    Ok(role_out(state.permissions, updated))
}

/// `DELETE /roles/{id}`: custom roles nobody holds.
#[tracing::instrument(skip_all, fields(organization_id = %principal.organization_id, id = %id))]
pub async fn delete_role(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    if_match: Option<i32>,
) -> Result<(), AppError> {
    let org = principal.organization_id;
    let tx = begin_write(&state.db).await?;
    let current = find_role(&tx, org, id).await?;
    if current.is_system {
        return Err(system_role_immutable());
    }
    let holders = membership_role::Entity::find()
        .filter(membership_role::Column::OrganizationId.eq(org))
        .filter(membership_role::Column::RoleId.eq(id))
        .count(&tx)
        .await?;
    if holders > 0 {
        return Err(AppError::conflict(
            "role_in_use",
            format!("{holders} member(s) hold this role; remove it from them first."),
        ));
    }
    tenant::delete::<role::Entity>(&tx, Target::new(org, id, if_match), None).await?;
    audit::record(
        &tx,
        AuditEntry::by(
            principal,
            "auth.role.deleted",
            "role",
            id,
            json!({ "name": current.name }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `POST /users/{id}/roles/{role_id}` (idempotent).
#[tracing::instrument(skip_all, fields(organization_id = %principal.organization_id))]
pub async fn assign_role(
    state: &AppState,
    principal: &Principal,
    user_id: Uuid,
    role_id: Uuid,
) -> Result<UserOut, AppError> {
    let org = principal.organization_id;
    let tx = begin_write(&state.db).await?;
    get_user(&tx, org, user_id).await?;
    let r = find_role(&tx, org, role_id).await?;
    let exists = membership_role::Entity::find_by_id((org, user_id, role_id))
        .one(&tx)
        .await?
        .is_some();
    if !exists {
        membership_role::ActiveModel {
            organization_id: Set(org),
            user_id: Set(user_id),
            role_id: Set(role_id),
            created_at: Set(Utc::now()),
        }
        .insert(&tx)
        .await?;
    }
    let affected = if exists {
        sessions::live_session_ids(&tx, user_id, Some(org)).await?
    } else {
        role_changed(&tx, principal, user_id, "auth.user.role_assigned", &r.name).await?
    };
    let out = get_user(&tx, org, user_id).await?;
    tx.commit().await?;
    sessions::evict(&state.cache, &affected).await?;
    Ok(out)
}

/// `DELETE /users/{id}/roles/{role_id}`: the last owner keeps the owner role.
#[tracing::instrument(skip_all, fields(organization_id = %principal.organization_id))]
pub async fn remove_role(
    state: &AppState,
    principal: &Principal,
    user_id: Uuid,
    role_id: Uuid,
) -> Result<(), AppError> {
    let org = principal.organization_id;
    let tx = begin_write(&state.db).await?;
    get_user(&tx, org, user_id).await?;
    let r = find_role(&tx, org, role_id).await?;
    let link = membership_role::Entity::find_by_id((org, user_id, role_id))
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("The user does not hold this role."))?;
    if r.is_system && r.name == OWNER && other_active_owners(&tx, org, user_id).await? == 0 {
        return Err(last_owner());
    }
    membership_role::Entity::delete_by_id((link.organization_id, link.user_id, link.role_id))
        .exec(&tx)
        .await?;
    let affected = role_changed(&tx, principal, user_id, "auth.user.role_removed", &r.name).await?;
    tx.commit().await?;
    sessions::evict(&state.cache, &affected).await
}

/// Audits a change of a member's roles; returns the member's sessions in the
/// organization, to evict after commit (their permissions changed).
async fn role_changed(
    conn: &impl ConnectionTrait,
    principal: &Principal,
    user_id: Uuid,
    action: &str,
    role: &str,
) -> Result<Vec<Uuid>, AppError> {
    let entry = AuditEntry::by(principal, action, "user", user_id, json!({ "role": role }));
    audit::record(conn, entry).await?;
    sessions::live_session_ids(conn, user_id, Some(principal.organization_id)).await
}
