//! Revocations still to be told to the shared cache.
//!
//! A revocation is committed with the session row; telling every process (the
//! cache marker) happens after commit. When the cache is unreachable then,
//! the row stays here and a background task delivers it once the cache
//! answers, so a logout made while Redis was down takes effect as soon as it
//! is back instead of after the cached session's lifetime.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SessionRevocations {
    Table,
    SessionId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SessionRevocations::Table)
                .col(uuid(SessionRevocations::SessionId).primary_key())
                .col(timestamp_with_time_zone(SessionRevocations::CreatedAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SessionRevocations::Table).to_owned())
            .await
    }
}
