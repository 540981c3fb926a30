//! Teams of an organization: a tree (a parent may not be the team itself or
//! one of its descendants), an optional lead, and members.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;
use uuid::Uuid;

use super::members::get_user;
use crate::{
    modules::auth::{
        dto::{TeamIn, TeamOut, TeamPatch},
        entities::{team, team_member},
    },
    platform::{
        error::{conflict_as, unique_violation},
        hierarchy::ensure_no_cycle,
        prelude::*,
    },
};

fn not_found() -> AppError {
    AppError::not_found("No such team in this organization.")
}

fn record(p: &Principal, action: &str, id: Uuid, changes: serde_json::Value) -> AuditEntry {
    AuditEntry::by(p, action, "team", id, changes)
}

async fn outs(
    conn: &impl ConnectionTrait,
    org: Uuid,
    teams: Vec<team::Model>,
) -> Result<Vec<TeamOut>, AppError> {
    let members = team_member::Entity::find()
        .filter(team_member::Column::OrganizationId.eq(org))
        .filter(team_member::Column::TeamId.is_in(teams.iter().map(|t| t.id)))
        .order_by_asc(team_member::Column::UserId)
        .all(conn)
        .await?;
    let mut by_team: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for m in members {
        by_team.entry(m.team_id).or_default().push(m.user_id);
    }
    Ok(teams
        .into_iter()
        .map(|t| TeamOut {
            member_ids: by_team.remove(&t.id).unwrap_or_default(),
            id: t.id,
            name: t.name,
            description: t.description,
            parent_id: t.parent_id,
            lead_user_id: t.lead_user_id,
            created_at: t.created_at,
            updated_at: t.updated_at,
            version: t.version,
        })
        .collect())
}

async fn find(conn: &impl ConnectionTrait, org: Uuid, id: Uuid) -> Result<team::Model, AppError> {
    tenant::find::<team::Entity>(conn, org, id).await
}

/// `GET /teams`, by name.
pub async fn list(conn: &impl ConnectionTrait, org: Uuid) -> Result<Vec<TeamOut>, AppError> {
    let teams = team::Entity::find()
        .filter(team::Column::OrganizationId.eq(org))
        .order_by_asc(team::Column::Name)
        .all(conn)
        .await?;
    outs(conn, org, teams).await
}

/// `GET /teams/{id}`.
pub async fn get(conn: &impl ConnectionTrait, org: Uuid, id: Uuid) -> Result<TeamOut, AppError> {
    let t = find(conn, org, id).await?;
    outs(conn, org, vec![t]).await?.pop().ok_or_else(not_found)
}

/// 422 unless `parent` exists here and is neither `team` nor below it.
async fn check_parent(
    conn: &impl ConnectionTrait,
    org: Uuid,
    team: Option<Uuid>,
    parent: Uuid,
) -> Result<(), AppError> {
    ensure_no_cycle("parent_id", team, parent, |id| async move {
        Ok(team::Entity::find_by_id(id)
            .filter(team::Column::OrganizationId.eq(org))
            .one(conn)
            .await?
            .map(|t| t.parent_id))
    })
    .await
}

async fn check_lead(conn: &impl ConnectionTrait, org: Uuid, lead: Uuid) -> Result<(), AppError> {
    get_user(conn, org, lead).await.map(|_| ()).map_err(|_| {
        AppError::invalid_field(
            "lead_user_id",
            "not_found",
            "is not a member of this organization",
        )
    })
}

/// `POST /teams`.
#[tracing::instrument(skip_all, fields(organization_id = %principal.organization_id))]
pub async fn create(
    state: &AppState,
    principal: &Principal,
    input: &TeamIn,
) -> Result<TeamOut, AppError> {
    let org = principal.organization_id;
    let tx = begin_write(&state.db).await?;
    if let Some(parent) = input.parent_id {
        check_parent(&tx, org, None, parent).await?;
    }
    if let Some(lead) = input.lead_user_id {
        check_lead(&tx, org, lead).await?;
    }
    let now = Utc::now();
    let t = team::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org),
        name: Set(input.name.trim().to_string()),
        description: Set(input.description.clone()),
        parent_id: Set(input.parent_id),
        lead_user_id: Set(input.lead_user_id),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await
    .map_err(unique_violation(
        "team_name_taken",
        "A team with this name already exists.",
    ))?;
    audit::record(
        &tx,
        record(
            principal,
            "auth.team.created",
            t.id,
            json!({ "name": t.name }),
        ),
    )
    .await?;
    let out = outs(&tx, org, vec![t]).await?.pop().ok_or_else(not_found)?;
    tx.commit().await?;
    Ok(out)
}

/// `PATCH /teams/{id}`.
#[tracing::instrument(skip_all, fields(organization_id = %principal.organization_id, id = %id))]
pub async fn patch(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    p: &TeamPatch,
    if_match: Option<i32>,
) -> Result<TeamOut, AppError> {
    let org = principal.organization_id;
    let tx = begin_write(&state.db).await?;
    let current = find(&tx, org, id).await?;
    if let Some(Some(parent)) = p.parent_id {
        check_parent(&tx, org, Some(id), parent).await?;
    }
    if let Some(Some(lead)) = p.lead_user_id {
        check_lead(&tx, org, lead).await?;
    }
    let updated =
        tenant::update::<team::Entity>(&tx, Target::new(org, id, if_match), p.changes(), None)
            .await
            .map_err(conflict_as(
                "team_name_taken",
                "A team with this name already exists.",
            ))?;
    audit::record(
        &tx,
        record(
            principal,
            "auth.team.updated",
            id,
            json!({
                "name": [current.name, updated.name],
                "parent_id": [current.parent_id, updated.parent_id],
                "lead_user_id": [current.lead_user_id, updated.lead_user_id],
            }),
        ),
    )
    .await?;
    let out = outs(&tx, org, vec![updated])
        .await?
        .pop()
        .ok_or_else(not_found)?;
    tx.commit().await?;
    Ok(out)
}

/// `DELETE /teams/{id}`: a team with sub-teams stays (409).
#[tracing::instrument(skip_all, fields(organization_id = %principal.organization_id, id = %id))]
pub async fn delete(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    if_match: Option<i32>,
) -> Result<(), AppError> {
    let org = principal.organization_id;
    let tx = begin_write(&state.db).await?;
    let current = find(&tx, org, id).await?;
    let children = team::Entity::find()
        .filter(team::Column::OrganizationId.eq(org))
        .filter(team::Column::ParentId.eq(id))
        .count(&tx)
        .await?;
    if children > 0 {
        return Err(AppError::conflict(
            "team_has_children",
            "Move or delete the sub-teams first.",
        ));
    }
    team_member::Entity::delete_many()
        .filter(team_member::Column::TeamId.eq(id))
        .exec(&tx)
        .await?;
    tenant::delete::<team::Entity>(&tx, Target::new(org, id, if_match), None).await?;
    audit::record(
        &tx,
        record(
            principal,
            "auth.team.deleted",
            id,
            json!({ "name": current.name }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `POST /teams/{id}/members/{user_id}` (idempotent).
#[tracing::instrument(skip_all, fields(organization_id = %principal.organization_id, id = %id))]
pub async fn add_member(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    user_id: Uuid,
) -> Result<TeamOut, AppError> {
    let org = principal.organization_id;
    let tx = begin_write(&state.db).await?;
    let t = find(&tx, org, id).await?;
    get_user(&tx, org, user_id).await?;
    if team_member::Entity::find_by_id((id, user_id))
        .one(&tx)
        .await?
        .is_none()
    {
        team_member::ActiveModel {
            organization_id: Set(org),
            team_id: Set(id),
            user_id: Set(user_id),
            created_at: Set(Utc::now()),
        }
        .insert(&tx)
        .await?;
        audit::record(
            &tx,
            record(
                principal,
                "auth.team.member_added",
                id,
                json!({ "user_id": user_id }),
            ),
        )
        .await?;
    }
    let out = outs(&tx, org, vec![t]).await?.pop().ok_or_else(not_found)?;
    tx.commit().await?;
    Ok(out)
}

/// `DELETE /teams/{id}/members/{user_id}`.
#[tracing::instrument(skip_all, fields(organization_id = %principal.organization_id, id = %id))]
pub async fn remove_member(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    user_id: Uuid,
) -> Result<(), AppError> {
    let org = principal.organization_id;
    let tx = begin_write(&state.db).await?;
    find(&tx, org, id).await?;
    let removed = team_member::Entity::delete_many()
        .filter(team_member::Column::OrganizationId.eq(org))
        .filter(team_member::Column::TeamId.eq(id))
        .filter(team_member::Column::UserId.eq(user_id))
        .exec(&tx)
        .await?
        .rows_affected;
    if removed == 0 {
        return Err(AppError::not_found(
            "The user is not a member of this team.",
        ));
    }
    audit::record(
        &tx,
        record(
            principal,
            "auth.team.member_removed",
            id,
            json!({ "user_id": user_id }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
