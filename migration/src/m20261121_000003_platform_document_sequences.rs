//! Per-organization, per-series counters behind document numbers (SO-000042).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DocumentSequences {
    Table,
    OrganizationId,
    Series,
    LastValue,
    UpdatedAt,
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
                    .table(DocumentSequences::Table)
                    .col(uuid(DocumentSequences::OrganizationId))
                    .col(string_len(DocumentSequences::Series, 32))
                    .col(
                        big_integer(DocumentSequences::LastValue)
                            .check(Expr::col(DocumentSequences::LastValue).gt(0)),
                    )
                    .col(timestamp_with_time_zone(DocumentSequences::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(DocumentSequences::OrganizationId)
                            .col(DocumentSequences::Series),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DocumentSequences::Table).to_owned())
            .await
    }
}
