//! Identity: organizations, people, memberships, roles, sessions with
//! rotating refresh tokens, password resets, subscriptions and the mail outbox.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    Name,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    EmailNormalized,
    FullName,
    PasswordHash,
    IsActive,
    MfaEnabled,
    TotpSecret,
    TotpLastStep,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    Id,
    OrganizationId,
    UserId,
    IsActive,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Roles {
    Table,
    Id,
    OrganizationId,
    Name,
    Description,
    IsSystem,
    Permissions,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum MembershipRoles {
    Table,
    OrganizationId,
    UserId,
    RoleId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    OrganizationId,
    UserId,
    UserAgent,
    Ip,
    CreatedAt,
    LastUsedAt,
    ExpiresAt,
    RevokedAt,
    RevokedReason,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    SessionId,
    TokenHash,
    CreatedAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum PasswordResets {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    OrganizationId,
    Plan,
    Status,
    StartedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OutboxEmails {
    Table,
    Id,
    OrganizationId,
    ToAddress,
    Subject,
    Body,
    CreatedAt,
    SentAt,
    Attempts,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Organizations::Table)
                .col(uuid(Organizations::Id).primary_key())
                .col(string_len(Organizations::Name, 200))
                .col(timestamp_with_time_zone(Organizations::CreatedAt))
                .col(timestamp_with_time_zone(Organizations::UpdatedAt))
                .col(integer(Organizations::Version).default(1))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(uuid(Users::Id).primary_key())
                .col(string_len(Users::Email, 320))
                .col(string_len_uniq(Users::EmailNormalized, 320))
                .col(string_len(Users::FullName, 200))
                .col(string_len(Users::PasswordHash, 100))
                .col(boolean(Users::IsActive).default(true))
                .col(boolean(Users::MfaEnabled).default(false))
                .col(string_len_null(Users::TotpSecret, 64))
                .col(big_integer_null(Users::TotpLastStep))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .col(timestamp_with_time_zone(Users::UpdatedAt))
                .col(integer(Users::Version).default(1))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Memberships::Table)
                .col(uuid(Memberships::Id).primary_key())
                .col(uuid(Memberships::OrganizationId))
                .col(uuid(Memberships::UserId))
                .col(boolean(Memberships::IsActive).default(true))
                .col(timestamp_with_time_zone(Memberships::CreatedAt))
                .col(timestamp_with_time_zone(Memberships::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_memberships_org",
                    (Memberships::Table, Memberships::OrganizationId),
                    (Organizations::Table, Organizations::Id),
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk_memberships_user",
                    (Memberships::Table, Memberships::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_memberships_org_user")
                .table(Memberships::Table)
                .col(Memberships::OrganizationId)
                .col(Memberships::UserId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_memberships_user")
                .table(Memberships::Table)
                .col(Memberships::UserId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Roles::Table)
                .col(uuid(Roles::Id).primary_key())
                .col(uuid(Roles::OrganizationId))
                .col(string_len(Roles::Name, 100))
                .col(string_len(Roles::Description, 500).default(""))
                .col(boolean(Roles::IsSystem).default(false))
                .col(text(Roles::Permissions))
                .col(timestamp_with_time_zone(Roles::CreatedAt))
                .col(timestamp_with_time_zone(Roles::UpdatedAt))
                .col(integer(Roles::Version).default(1))
                .foreign_key(&mut fk(
                    "fk_roles_org",
                    (Roles::Table, Roles::OrganizationId),
                    (Organizations::Table, Organizations::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_roles_org_name")
                .table(Roles::Table)
                .col(Roles::OrganizationId)
                .col(Roles::Name)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(MembershipRoles::Table)
                .col(uuid(MembershipRoles::OrganizationId))
                .col(uuid(MembershipRoles::UserId))
                .col(uuid(MembershipRoles::RoleId))
                .col(timestamp_with_time_zone(MembershipRoles::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(MembershipRoles::OrganizationId)
                        .col(MembershipRoles::UserId)
                        .col(MembershipRoles::RoleId),
                )
                .foreign_key(&mut fk(
                    "fk_membership_roles_role",
                    (MembershipRoles::Table, MembershipRoles::RoleId),
                    (Roles::Table, Roles::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_membership_roles_org_role")
                .table(MembershipRoles::Table)
                .col(MembershipRoles::OrganizationId)
                .col(MembershipRoles::RoleId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(uuid(Sessions::Id).primary_key())
                .col(uuid(Sessions::OrganizationId))
                .col(uuid(Sessions::UserId))
                .col(string_len(Sessions::UserAgent, 300).default(""))
                .col(string_len(Sessions::Ip, 64).default(""))
                .col(timestamp_with_time_zone(Sessions::CreatedAt))
                .col(timestamp_with_time_zone(Sessions::LastUsedAt))
                .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                .col(timestamp_with_time_zone_null(Sessions::RevokedAt))
                .col(string_len_null(Sessions::RevokedReason, 50))
                .foreign_key(&mut fk(
                    "fk_sessions_user",
                    (Sessions::Table, Sessions::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sessions_org_user")
                .table(Sessions::Table)
                .col(Sessions::OrganizationId)
                .col(Sessions::UserId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sessions_user")
                .table(Sessions::Table)
                .col(Sessions::UserId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RefreshTokens::Table)
                .col(uuid(RefreshTokens::Id).primary_key())
                .col(uuid(RefreshTokens::SessionId))
                .col(string_len_uniq(RefreshTokens::TokenHash, 64))
                .col(timestamp_with_time_zone(RefreshTokens::CreatedAt))
                .col(timestamp_with_time_zone_null(RefreshTokens::UsedAt))
                .foreign_key(&mut fk(
                    "fk_refresh_tokens_session",
                    (RefreshTokens::Table, RefreshTokens::SessionId),
                    (Sessions::Table, Sessions::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_refresh_tokens_session")
                .table(RefreshTokens::Table)
                .col(RefreshTokens::SessionId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PasswordResets::Table)
                .col(uuid(PasswordResets::Id).primary_key())
                .col(uuid(PasswordResets::UserId))
                .col(string_len_uniq(PasswordResets::TokenHash, 64))
                .col(timestamp_with_time_zone(PasswordResets::CreatedAt))
                .col(timestamp_with_time_zone(PasswordResets::ExpiresAt))
                .col(timestamp_with_time_zone_null(PasswordResets::UsedAt))
                .foreign_key(&mut fk(
                    "fk_password_resets_user",
                    (PasswordResets::Table, PasswordResets::UserId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Subscriptions::Table)
                .col(uuid(Subscriptions::OrganizationId).primary_key())
                .col(string_len(Subscriptions::Plan, 32))
                .col(string_len(Subscriptions::Status, 32))
                .col(timestamp_with_time_zone(Subscriptions::StartedAt))
                .col(timestamp_with_time_zone(Subscriptions::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_subscriptions_org",
                    (Subscriptions::Table, Subscriptions::OrganizationId),
                    (Organizations::Table, Organizations::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(OutboxEmails::Table)
                .col(uuid(OutboxEmails::Id).primary_key())
                .col(uuid_null(OutboxEmails::OrganizationId))
                .col(string_len(OutboxEmails::ToAddress, 320))
                .col(string_len(OutboxEmails::Subject, 300))
                .col(text(OutboxEmails::Body))
                .col(timestamp_with_time_zone(OutboxEmails::CreatedAt))
                .col(timestamp_with_time_zone_null(OutboxEmails::SentAt))
                .col(integer(OutboxEmails::Attempts).default(0))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_outbox_emails_unsent")
                .table(OutboxEmails::Table)
                .col(OutboxEmails::SentAt)
                .col(OutboxEmails::CreatedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            OutboxEmails::Table.into_iden(),
            Subscriptions::Table.into_iden(),
            PasswordResets::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            Sessions::Table.into_iden(),
            MembershipRoles::Table.into_iden(),
            Roles::Table.into_iden(),
            Memberships::Table.into_iden(),
            Users::Table.into_iden(),
            Organizations::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
