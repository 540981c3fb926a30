//! Invitations to join an organization with given roles.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    OrganizationId,
    Email,
    EmailNormalized,
    RoleIds,
    TokenHash,
    InvitedBy,
    CreatedAt,
    ExpiresAt,
    AcceptedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Invitations::Table)
                .col(uuid(Invitations::Id).primary_key())
                .col(uuid(Invitations::OrganizationId))
                .col(string_len(Invitations::Email, 320))
                .col(string_len(Invitations::EmailNormalized, 320))
                .col(text(Invitations::RoleIds))
                .col(string_len_uniq(Invitations::TokenHash, 64))
                .col(uuid(Invitations::InvitedBy))
                .col(timestamp_with_time_zone(Invitations::CreatedAt))
                .col(timestamp_with_time_zone(Invitations::ExpiresAt))
                .col(timestamp_with_time_zone_null(Invitations::AcceptedAt))
                .col(timestamp_with_time_zone_null(Invitations::RevokedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_invitations_org")
                        .from(Invitations::Table, Invitations::OrganizationId)
                        .to(Organizations::Table, Organizations::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_invitations_org_email")
                .table(Invitations::Table)
                .col(Invitations::OrganizationId)
                .col(Invitations::EmailNormalized)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Invitations::Table).to_owned())
            .await
    }
}
