//! SeaORM entities of the auth module (private to it).

pub mod organization {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "organizations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(Entity, Id, "No such organization.", versioned);
}

pub mod user {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub email: String,
        pub email_normalized: String,
        pub full_name: String,
        pub password_hash: String,
        pub is_active: bool,
        pub mfa_enabled: bool,
        pub totp_secret: Option<String>,
        pub totp_last_step: Option<i64>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();

    /// A person belongs to an organization through a membership.
    impl crate::platform::tenant::Tenant for Entity {
        const ID: Column = Column::Id;
        const NOT_FOUND: &'static str = "No such user in this organization.";
        fn in_organization(organization_id: Uuid) -> sea_orm::Condition {
            use sea_orm::sea_query::{IntoCondition, Query};
            Column::Id
                .in_subquery(
                    Query::select()
                        .column(super::membership::Column::UserId)
                        .from(super::membership::Entity)
                        .and_where(super::membership::Column::OrganizationId.eq(organization_id))
                        .to_owned(),
                )
                .into_condition()
        }
    }
    crate::tenant_entity!(@versioned Entity);
}

pub mod membership {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "memberships")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub user_id: Uuid,
        pub is_active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    crate::no_relations!();
}

pub mod role {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "roles")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub name: String,
        pub description: String,
        pub is_system: bool,
        /// JSON array of permission names.
        #[sea_orm(column_type = "Text")]
        pub permissions: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such role in this organization.",
        versioned
    );
}

pub mod membership_role {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "membership_roles")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub role_id: Uuid,
        pub created_at: DateTimeUtc,
    }
    crate::no_relations!();
}

pub mod session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub user_id: Uuid,
        pub user_agent: String,
        pub ip: String,
        pub created_at: DateTimeUtc,
        pub last_used_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
        pub revoked_reason: Option<String>,
    }
    crate::no_relations!();
}

/// Revocations the shared cache has not heard of yet (see
/// `service::sessions::announce_revoked`).
pub mod session_revocation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "session_revocations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub session_id: Uuid,
        pub created_at: DateTimeUtc,
    }
    crate::no_relations!();
}

pub mod refresh_token {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "refresh_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub session_id: Uuid,
        pub token_hash: String,
        pub created_at: DateTimeUtc,
        pub used_at: Option<DateTimeUtc>,
    }
    crate::no_relations!();
}

pub mod password_reset {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "password_resets")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub token_hash: String,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub used_at: Option<DateTimeUtc>,
    }
    crate::no_relations!();
}

/// The state of a subscription.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    sea_orm::EnumIter,
    sea_orm::DeriveActiveEnum,
    serde::Serialize,
    utoipa::ToSchema,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(sea_orm::sea_query::StringLen::N(32))",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    /// In force.
    Active,
}

pub mod subscription {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "subscriptions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: Uuid,
        pub plan: String,
        pub status: super::SubscriptionStatus,
        pub started_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    crate::no_relations!();
}

pub mod outbox_email {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox_emails")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Option<Uuid>,
        pub to_address: String,
        pub subject: String,
        #[sea_orm(column_type = "Text")]
        pub body: String,
        pub created_at: DateTimeUtc,
        pub sent_at: Option<DateTimeUtc>,
        pub attempts: i32,
    }
    crate::no_relations!();
}

pub mod invitation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "invitations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub email: String,
        pub email_normalized: String,
        /// JSON array of role ids.
        #[sea_orm(column_type = "Text")]
        pub role_ids: String,
        pub token_hash: String,
        pub invited_by: Uuid,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub accepted_at: Option<DateTimeUtc>,
        pub revoked_at: Option<DateTimeUtc>,
    }
    crate::no_relations!();
}

pub mod team {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "teams")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub name: String,
        pub description: String,
        pub parent_id: Option<Uuid>,
        pub lead_user_id: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such team in this organization.",
        versioned
    );
}

pub mod team_member {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "team_members")]
    pub struct Model {
        pub organization_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub team_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        pub created_at: DateTimeUtc,
    }
    crate::no_relations!();
}

pub mod recovery_code {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "mfa_recovery_codes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub code_hash: String,
        pub created_at: DateTimeUtc,
        pub used_at: Option<DateTimeUtc>,
    }
    crate::no_relations!();
}
