//! Invitations: a member with `auth.users.manage` invites an email with
//! roles; the invitee accepts with the mailed token, as a new person (name
//! and password) or an existing one (their password). Seats are checked
//! against the plan both when inviting and when accepting.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;
use uuid::Uuid;

use super::{
    identity::{queue_mail, seats_used},
    members,
    security::{
        check_password_policy, hash_password, normalize_email, random_token, token_hash,
        verify_password,
    },
    sessions::{self, ClientInfo},
};
use crate::{
    modules::auth::{
        api::{Limit, check_plan_limit},
        dto::{AcceptInvitationIn, InvitationOut, InvitationStatus, InviteIn, TokensOut},
        entities::{invitation, membership, membership_role, role, user},
    },
    platform::prelude::*,
};

const INVITATION_TTL: chrono::Duration = chrono::Duration::days(7);

fn out(i: invitation::Model) -> InvitationOut {
    let now = Utc::now();
    let status = if i.accepted_at.is_some() {
        InvitationStatus::Accepted
    } else if i.revoked_at.is_some() {
        InvitationStatus::Revoked
    } else if i.expires_at <= now {
        InvitationStatus::Expired
    } else {
        InvitationStatus::Pending
    };
    InvitationOut {
        role_ids: serde_json::from_str(&i.role_ids).unwrap_or_default(),
        id: i.id,
        email: i.email,
        invited_by: i.invited_by,
        created_at: i.created_at,
        expires_at: i.expires_at,
        status,
    }
}

/// `POST /users/invite`.
#[tracing::instrument(skip_all, fields(organization_id = %principal.organization_id))]
pub async fn invite(
    state: &AppState,
    principal: &Principal,
    input: &InviteIn,
) -> Result<InvitationOut, AppError> {
    let org = principal.organization_id;
    let email = normalize_email(&input.email);
    let tx = begin_write(&state.db).await?;
    let roles = role::Entity::find()
        .filter(role::Column::OrganizationId.eq(org))
        .filter(role::Column::Id.is_in(input.role_ids.iter().copied()))
        .all(&tx)
        .await?;
    if roles.len() != {
        let mut ids = input.role_ids.clone();
        ids.sort();
        ids.dedup();
        ids.len()
    } {
        return Err(AppError::invalid_field(
            "role_ids",
            "unknown_role",
            "contains a role that does not exist in this organization",
        ));
    }
    if let Some(existing) = user::Entity::find()
        .filter(user::Column::EmailNormalized.eq(&email))
        .one(&tx)
        .await?
        && membership::Entity::find()
            .filter(membership::Column::OrganizationId.eq(org))
            .filter(membership::Column::UserId.eq(existing.id))
            .one(&tx)
            .await?
            .is_some()
    {
        return Err(AppError::conflict(
            "already_member",
            "This person is already a member of the organization.",
        ));
    }
    check_plan_limit(&tx, org, Limit::Seats, seats_used(&tx, org).await?, 1).await?;
    let token = random_token()?;
    let now = Utc::now();
    let created = invitation::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org),
        email: Set(input.email.trim().to_string()),
        email_normalized: Set(email),
        role_ids: Set(serde_json::to_string(&input.role_ids).map_err(AppError::internal)?),
        token_hash: Set(token_hash(&token)),
        invited_by: Set(principal.user_id),
        created_at: Set(now),
        expires_at: Set(now + INVITATION_TTL),
        accepted_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&tx)
    .await?;
    queue_mail(
        &tx,
        state,
        Some(org),
        &created.email,
        "You are invited to Mainstay",
        format!(
            "You have been invited to join an organization on Mainstay.\n\n\
             Invitation token (valid 7 days):\n\n\
             {token}\n\n\
             Accept it at POST /api/v1/invitations/accept with the token,\n\
             a password and, for a new account, your full name.\n"
        ),
    )
    .await?;
    audit::record(
        &tx,
        AuditEntry {
            organization_id: org,
            actor_id: Some(principal.user_id),
            action: "auth.invitation.created".into(),
            entity_type: "invitation".into(),
            entity_id: Some(created.id.to_string()),
            changes: Some(json!({ "email": created.email, "role_ids": input.role_ids })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(out(created))
}

/// `GET /invitations`, newest first.
pub async fn list(state: &AppState, principal: &Principal) -> Result<Vec<InvitationOut>, AppError> {
    Ok(invitation::Entity::find()
        .filter(invitation::Column::OrganizationId.eq(principal.organization_id))
        .order_by_desc(invitation::Column::Id)
        .all(&state.db)
        .await?
        .into_iter()
        .map(out)
        .collect())
}

/// `DELETE /invitations/{id}`: a pending invitation stops working.
pub async fn revoke(state: &AppState, principal: &Principal, id: Uuid) -> Result<(), AppError> {
    let tx = begin_write(&state.db).await?;
    let found = invitation::Entity::find_by_id(id)
        .filter(invitation::Column::OrganizationId.eq(principal.organization_id))
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("No such invitation."))?;
    if found.accepted_at.is_some() {
        return Err(AppError::conflict(
            "invitation_accepted",
            "The invitation was already accepted.",
        ));
    }
    let mut am: invitation::ActiveModel = found.into();
    am.revoked_at = Set(Some(Utc::now()));
    am.update(&tx).await?;
    audit::record(
        &tx,
        AuditEntry {
            organization_id: principal.organization_id,
            actor_id: Some(principal.user_id),
            action: "auth.invitation.revoked".into(),
            entity_type: "invitation".into(),
            entity_id: Some(id.to_string()),
            changes: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn invalid_invitation() -> AppError {
    AppError::bad_request(
        "invalid_invitation",
        "The invitation is invalid, used, revoked or expired.",
    )
}

/// `POST /invitations/accept`: joins the organization and signs in there.
#[tracing::instrument(skip_all)]
pub async fn accept(
    state: &AppState,
    input: &AcceptInvitationIn,
    client: &ClientInfo,
) -> Result<TokensOut, AppError> {
    let inv = invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(token_hash(&input.token)))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(Utc::now()))
        .one(&state.db)
        .await?
        .ok_or_else(invalid_invitation)?;
    let existing = user::Entity::find()
        .filter(user::Column::EmailNormalized.eq(&inv.email_normalized))
        .one(&state.db)
        .await?;
    let new_hash = match &existing {
        Some(u) => {
            if !verify_password(state, &input.password, Some(u.password_hash.clone())).await? {
                return Err(AppError::unauthorized(
                    "The password is incorrect for this existing account.",
                )
                .with_code("invalid_credentials"));
            }
            None
        }
        None => {
            if input
                .full_name
                .as_deref()
                .is_none_or(|n| n.trim().is_empty())
            {
                return Err(AppError::invalid_field(
                    "full_name",
                    "required",
                    "is required for a new account",
                ));
            }
            if input.password.len() < 10 {
                return Err(AppError::invalid_field(
                    "password",
                    "length",
                    "must be at least 10 characters long",
                ));
            }
            check_password_policy(&input.password, &inv.email)?;
            Some(hash_password(state, &input.password).await?)
        }
    };
    let now = Utc::now();
    let tx = begin_write(&state.db).await?;
    let claimed = invitation::Entity::update_many()
        .col_expr(invitation::Column::AcceptedAt, Some(now).into())
        .filter(invitation::Column::Id.eq(inv.id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(&tx)
        .await?
        .rows_affected
        == 1;
    if !claimed {
        return Err(invalid_invitation());
    }
    let org = inv.organization_id;
    check_plan_limit(&tx, org, Limit::Seats, seats_used(&tx, org).await?, 1).await?;
    let person = match (existing, new_hash) {
        (Some(u), _) => u,
        (None, Some(hash)) => {
            let name = input.full_name.clone().unwrap_or_default();
            members::insert_user(&tx, &inv.email, &name, hash).await?
        }
        (None, None) => {
            return Err(AppError::internal(anyhow::anyhow!(
                "no password hash for a new account"
            )));
        }
    };
    let already = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(org))
        .filter(membership::Column::UserId.eq(person.id))
        .one(&tx)
        .await?;
    if already.is_some() {
        return Err(AppError::conflict(
            "already_member",
            "You are already a member of this organization.",
        ));
    }
    members::insert_membership(&tx, org, person.id).await?;
    let wanted: Vec<Uuid> = serde_json::from_str(&inv.role_ids).unwrap_or_default();
    let roles = role::Entity::find()
        .filter(role::Column::OrganizationId.eq(org))
        .filter(role::Column::Id.is_in(wanted))
        .all(&tx)
        .await?;
    for r in &roles {
        membership_role::ActiveModel {
            organization_id: Set(org),
            user_id: Set(person.id),
            role_id: Set(r.id),
            created_at: Set(now),
        }
        .insert(&tx)
        .await?;
    }
    audit::record(
        &tx,
        AuditEntry {
            organization_id: org,
            actor_id: Some(person.id),
            action: "auth.invitation.accepted".into(),
            entity_type: "user".into(),
            entity_id: Some(person.id.to_string()),
            changes: Some(json!({ "invitation": inv.id, "roles": roles.iter().map(|r| &r.name).collect::<Vec<_>>() })),
        },
    )
    .await?;
    // An existing person's other sessions list their memberships: reload them.
    let affected = sessions::live_session_ids(&tx, person.id, None).await?;
    let tokens = sessions::open_session(&tx, state, person.id, org, client).await?;
    tx.commit().await?;
    sessions::evict(&state.cache, &affected).await?;
    Ok(tokens)
}
