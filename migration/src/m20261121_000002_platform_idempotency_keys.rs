//! Stored responses for `Idempotency-Key` on POST, scoped per organization.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    OrganizationId,
    IdempotencyKey,
    RequestHash,
    Status,
    ResponseBody,
    ResponseContentType,
    LockedAt,
    CreatedAt,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(uuid(IdempotencyKeys::OrganizationId))
                    .col(string_len(IdempotencyKeys::IdempotencyKey, 255))
                    .col(string_len(IdempotencyKeys::RequestHash, 64))
                    .col(integer_null(IdempotencyKeys::Status))
                    .col(blob_null(IdempotencyKeys::ResponseBody))
                    .col(string_len_null(IdempotencyKeys::ResponseContentType, 255))
                    .col(timestamp_with_time_zone(IdempotencyKeys::LockedAt))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .col(timestamp_with_time_zone(IdempotencyKeys::ExpiresAt))
                    .primary_key(
                        Index::create()
                            .col(IdempotencyKeys::OrganizationId)
                            .col(IdempotencyKeys::IdempotencyKey),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_idempotency_keys_expires_at")
                    .table(IdempotencyKeys::Table)
                    .col(IdempotencyKeys::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IdempotencyKeys::Table).to_owned())
            .await
    }
}
