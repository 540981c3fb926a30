//! Reads of a member's standing that sessions, identity and other modules
//! share: the caller's profile and the organization's plan. A leaf of the
//! auth services (it imports none of them), so sessions and identity need
//! not import each other.

use chrono::Utc;
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::{
    modules::auth::{
        catalog,
        dto::*,
        entities::{membership, membership_role, organization, role, subscription, user},
    },
    platform::error::AppError,
};

/// The organization's plan.
pub async fn current_plan(
    conn: &impl ConnectionTrait,
    organization_id: Uuid,
) -> Result<catalog::Plan, AppError> {
    let sub = subscription::Entity::find_by_id(organization_id)
        .one(conn)
        .await?;
    Ok(sub
        .and_then(|s| catalog::plan(&s.plan))
        .unwrap_or(catalog::PLANS[0]))
}

/// The caller's profile in one query: the person's active memberships with
/// their organizations, joined to the person and to the roles they hold.
pub async fn load_profile(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    organization_id: Uuid,
) -> Result<Option<Profile>, AppError> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query};
    let (m, o, u, mr, r) = (
        membership::Entity,
        organization::Entity,
        user::Entity,
        membership_role::Entity,
        role::Entity,
    );
    let stmt = Query::select()
        .expr_as(
            Expr::col((m, membership::Column::OrganizationId)),
            Alias::new("org_id"),
        )
        .expr_as(
            Expr::col((o, organization::Column::Name)),
            Alias::new("org_name"),
        )
        .expr_as(
            Expr::col((o, organization::Column::CreatedAt)),
            Alias::new("org_created_at"),
        )
        .expr_as(
            Expr::col((o, organization::Column::UpdatedAt)),
            Alias::new("org_updated_at"),
        )
        .expr_as(
            Expr::col((o, organization::Column::Version)),
            Alias::new("org_version"),
        )
        .expr_as(Expr::col((u, user::Column::Email)), Alias::new("email"))
        .expr_as(
            Expr::col((u, user::Column::FullName)),
            Alias::new("full_name"),
        )
        .expr_as(
            Expr::col((u, user::Column::IsActive)),
            Alias::new("user_active"),
        )
        .expr_as(
            Expr::col((u, user::Column::MfaEnabled)),
            Alias::new("mfa_enabled"),
        )
        .expr_as(
            Expr::col((u, user::Column::CreatedAt)),
            Alias::new("user_created_at"),
        )
        .expr_as(
            Expr::col((u, user::Column::UpdatedAt)),
            Alias::new("user_updated_at"),
        )
        .expr_as(
            Expr::col((u, user::Column::Version)),
            Alias::new("user_version"),
        )
        .expr_as(
            Expr::col((m, membership::Column::UpdatedAt)),
            Alias::new("member_updated_at"),
        )
        .expr_as(Expr::col((r, role::Column::Id)), Alias::new("role_id"))
        .expr_as(Expr::col((r, role::Column::Name)), Alias::new("role_name"))
        .from(m)
        .join(
            JoinType::InnerJoin,
            o,
            Expr::col((o, organization::Column::Id))
                .equals((m, membership::Column::OrganizationId)),
        )
        .join(
            JoinType::InnerJoin,
            u,
            Expr::col((u, user::Column::Id)).equals((m, membership::Column::UserId)),
        )
        .join(
            JoinType::LeftJoin,
            mr,
            Expr::col((mr, membership_role::Column::OrganizationId))
                .equals((m, membership::Column::OrganizationId))
                .and(
                    Expr::col((mr, membership_role::Column::UserId))
                        .equals((m, membership::Column::UserId)),
                ),
        )
        .join(
            JoinType::LeftJoin,
            r,
            Expr::col((r, role::Column::Id)).equals((mr, membership_role::Column::RoleId)),
        )
        .and_where(Expr::col((m, membership::Column::UserId)).eq(user_id))
        .and_where(Expr::col((m, membership::Column::IsActive)).eq(true))
        .to_owned();
    let rows = conn.query_all(&stmt).await?;

    let mut memberships: Vec<MembershipOut> = Vec::new();
    let mut current = None;
    let mut roles = Vec::new();
    for row in &rows {
        let org_id: Uuid = row.try_get("", "org_id")?;
        if !memberships.iter().any(|m| m.organization_id == org_id) {
            memberships.push(MembershipOut {
                organization_id: org_id,
                organization_name: row.try_get("", "org_name")?,
            });
        }
        if org_id != organization_id {
            continue;
        }
        if let (Some(id), Some(name)) = (
            row.try_get::<Option<Uuid>>("", "role_id")?,
            row.try_get::<Option<String>>("", "role_name")?,
        ) {
            roles.push(RoleRef { id, name });
        }
        if current.is_none() {
            let user_updated: chrono::DateTime<Utc> = row.try_get("", "user_updated_at")?;
            let member_updated: chrono::DateTime<Utc> = row.try_get("", "member_updated_at")?;
            current = Some((
                OrganizationOut {
                    id: org_id,
                    name: row.try_get("", "org_name")?,
                    created_at: row.try_get("", "org_created_at")?,
                    updated_at: row.try_get("", "org_updated_at")?,
                    version: row.try_get("", "org_version")?,
                },
                UserOut {
                    id: user_id,
                    email: row.try_get("", "email")?,
                    full_name: row.try_get("", "full_name")?,
                    active: row.try_get("", "user_active")?,
                    mfa_enabled: row.try_get("", "mfa_enabled")?,
                    roles: Vec::new(),
                    created_at: row.try_get("", "user_created_at")?,
                    updated_at: std::cmp::max(user_updated, member_updated),
                    version: row.try_get("", "user_version")?,
                },
            ));
        }
    }
    let Some((organization, mut user)) = current else {
        return Ok(None);
    };
    roles.sort_by(|a, b| a.name.cmp(&b.name));
    user.roles = roles;
    memberships.sort_by(|a, b| a.organization_name.cmp(&b.organization_name));
    Ok(Some(Profile {
        user,
        organization,
        memberships,
    }))
}
