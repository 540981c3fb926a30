//! Creating organizations: onboarding's and a signed-in person's
//! (`POST /organizations`) share [`found`].

use chrono::Utc;
use sea_orm::{ActiveModelTrait, DatabaseTransaction, Set};
use serde_json::json;
use uuid::Uuid;

use super::{identity::entry, members};
use crate::{
    modules::auth::{
        catalog::{OWNER, SYSTEM_ROLES},
        dto::*,
        entities::{membership_role, organization, role, subscription},
    },
    platform::prelude::*,
};

/// Creates an organization owned by an existing person: its system roles,
/// the owner's membership and role, a Free subscription, and the audit
/// record. Runs inside the caller's transaction.
pub(super) async fn found(
    tx: &DatabaseTransaction,
    state: &AppState,
    name: &str,
    owner_id: Uuid,
) -> Result<organization::Model, AppError> {
    let now = Utc::now();
    let org = organization::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name.trim().to_string()),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(tx)
    .await?;
    members::insert_membership(tx, org.id, owner_id).await?;
    let mut owner_role = None;
    for (name, level, description) in SYSTEM_ROLES {
        let r = role::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(org.id),
            name: Set(name.into()),
            description: Set(description.into()),
            is_system: Set(true),
            permissions: Set(serde_json::to_string(&state.permissions.held_at(level))
                .map_err(AppError::internal)?),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        }
        .insert(tx)
        .await?;
        if name == OWNER {
            owner_role = Some(r.id);
        }
    }
    let owner_role =
        owner_role.ok_or_else(|| AppError::internal(anyhow::anyhow!("no owner role")))?;
    membership_role::ActiveModel {
        organization_id: Set(org.id),
        user_id: Set(owner_id),
        role_id: Set(owner_role),
        created_at: Set(now),
    }
    .insert(tx)
    .await?;
    subscription::ActiveModel {
        organization_id: Set(org.id),
        plan: Set("free".into()),
        status: Set(SubscriptionStatus::Active),
        started_at: Set(now),
        updated_at: Set(now),
    }
    .insert(tx)
    .await?;
    let mut created = entry(
        org.id,
        Some(owner_id),
        "auth.organization.created",
        "organization",
        org.id,
    );
    created.changes = Some(json!({ "name": org.name }));
    audit::record(tx, created).await?;
    for hook in state.founded {
        hook(tx, org.id).await?;
    }
    Ok(org)
}

/// `POST /organizations`: a signed-in person creates another organization
/// and becomes its owner. The session stays in the current organization;
/// `POST /auth/switch-organization` moves to the new one.
#[tracing::instrument(skip_all)]
pub async fn create(
    state: &AppState,
    principal: &Principal,
    name: &str,
) -> Result<OrganizationOut, AppError> {
    let tx = begin_write(&state.db).await?;
    let org = found(&tx, state, name, principal.user_id).await?;
    tx.commit().await?;
    Ok(OrganizationOut::from(org))
}
