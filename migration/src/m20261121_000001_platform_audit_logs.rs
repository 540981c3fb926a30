//! Append-only audit trail of every mutation. No foreign keys on purpose: the
//! log must outlive what it describes and never block a change.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLogs {
    Table,
    Id,
    OrganizationId,
    ActorId,
    Action,
    EntityType,
    EntityId,
    Changes,
    RequestId,
    CreatedAt,
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
                    .table(AuditLogs::Table)
                    .col(uuid(AuditLogs::Id).primary_key())
                    .col(uuid(AuditLogs::OrganizationId))
                    .col(uuid_null(AuditLogs::ActorId))
                    .col(string_len(AuditLogs::Action, 100))
                    .col(string_len(AuditLogs::EntityType, 100))
                    .col(string_len_null(AuditLogs::EntityId, 100))
                    .col(json_binary_null(AuditLogs::Changes))
                    .col(string_len_null(AuditLogs::RequestId, 128))
                    .col(timestamp_with_time_zone(AuditLogs::CreatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "ix_audit_logs_org_created",
                vec![
                    AuditLogs::OrganizationId,
                    AuditLogs::CreatedAt,
                    AuditLogs::Id,
                ],
            ),
            (
                "ix_audit_logs_org_entity",
                vec![
                    AuditLogs::OrganizationId,
                    AuditLogs::EntityType,
                    AuditLogs::EntityId,
                ],
            ),
            (
                "ix_audit_logs_org_actor",
                vec![
                    AuditLogs::OrganizationId,
                    AuditLogs::ActorId,
                    AuditLogs::CreatedAt,
                ],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(AuditLogs::Table);
            for c in cols {
                index.col(c);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditLogs::Table).to_owned())
            .await
    }
}
