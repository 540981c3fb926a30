//! One-time MFA recovery codes, stored hashed.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MfaRecoveryCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    CreatedAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Users {
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
                .table(MfaRecoveryCodes::Table)
                .col(uuid(MfaRecoveryCodes::Id).primary_key())
                .col(uuid(MfaRecoveryCodes::UserId))
                .col(string_len(MfaRecoveryCodes::CodeHash, 64))
                .col(timestamp_with_time_zone(MfaRecoveryCodes::CreatedAt))
                .col(timestamp_with_time_zone_null(MfaRecoveryCodes::UsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_mfa_recovery_codes_user")
                        .from(MfaRecoveryCodes::Table, MfaRecoveryCodes::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_mfa_recovery_codes_user_hash")
                .table(MfaRecoveryCodes::Table)
                .col(MfaRecoveryCodes::UserId)
                .col(MfaRecoveryCodes::CodeHash)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(MfaRecoveryCodes::Table).to_owned())
            .await
    }
}
