//! Every list's default order and documented filters as index range scans.
//!
//! Lists page newest first by id (UUIDv7, so id order is creation order). The
//! audit log had indexes led by `created_at`, so `ORDER BY id DESC LIMIT n`
//! sorted every record of the organization; the stock ledger and purchase
//! orders had no `(organization_id, id)` index at all. Now each filter has an
//! index ending in the list's order: the page is the first `n` entries of one
//! range. `from`/`to` are turned into id bounds by the queries
//! (`platform::pagination::created_between`). Stock levels list in
//! `(product_id, warehouse_id)` order, so their per-product and per-warehouse
//! indexes now carry the other key too.

use sea_orm_migration::prelude::*;

use crate::util::index;

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
    CreatedAt,
}

#[derive(DeriveIden)]
enum StockMovements {
    Table,
    Id,
    OrganizationId,
}

#[derive(DeriveIden)]
enum PurchaseOrders {
    Table,
    Id,
    OrganizationId,
}

#[derive(DeriveIden)]
enum StockLevels {
    Table,
    OrganizationId,
    ProductId,
    WarehouseId,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    ExpiresAt,
}

const DROPPED: [&str; 3] = [
    "ix_audit_logs_org_created",
    "ix_audit_logs_org_actor",
    "ix_audit_logs_org_entity",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for name in DROPPED {
            m.drop_index(Index::drop().name(name).table(AuditLogs::Table).to_owned())
                .await?;
        }
        for name in [
            "ix_stock_levels_org_product",
            "ix_stock_levels_org_warehouse",
        ] {
            m.drop_index(
                Index::drop()
                    .name(name)
                    .table(StockLevels::Table)
                    .to_owned(),
            )
            .await?;
        }
        use StockLevels as L;
        for (name, cols) in [
            (
                "ix_stock_levels_org_product_warehouse",
                [L::OrganizationId, L::ProductId, L::WarehouseId],
            ),
            (
                "ix_stock_levels_org_warehouse_product",
                [L::OrganizationId, L::WarehouseId, L::ProductId],
            ),
        ] {
            let cols = cols.into_iter().map(|c| c.into_iden()).collect();
            index(m, name, L::Table, cols, false).await?;
        }
        index(
            m,
            "ix_purchase_orders_org_id",
            PurchaseOrders::Table,
            vec![
                PurchaseOrders::OrganizationId.into_iden(),
                PurchaseOrders::Id.into_iden(),
            ],
            false,
        )
        .await?;
        use AuditLogs as A;
        for (name, cols) in [
            ("ix_audit_logs_org_id", vec![A::OrganizationId, A::Id]),
            (
                "ix_audit_logs_org_actor_id",
                vec![A::OrganizationId, A::ActorId, A::Id],
            ),
            (
                "ix_audit_logs_org_action_id",
                vec![A::OrganizationId, A::Action, A::Id],
            ),
            (
                "ix_audit_logs_org_type_id",
                vec![A::OrganizationId, A::EntityType, A::Id],
            ),
            (
                "ix_audit_logs_org_entity_id",
                vec![A::OrganizationId, A::EntityType, A::EntityId, A::Id],
            ),
        ] {
            let cols = cols.into_iter().map(|c| c.into_iden()).collect();
            index(m, name, A::Table, cols, false).await?;
        }
        index(
            m,
            "ix_stock_movements_org_id",
            StockMovements::Table,
            vec![
                StockMovements::OrganizationId.into_iden(),
                StockMovements::Id.into_iden(),
            ],
            false,
        )
        .await?;
        // Retention deletes ended sessions by expiry.
        index(
            m,
            "ix_sessions_expires_at",
            Sessions::Table,
            vec![Sessions::ExpiresAt.into_iden()],
            false,
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            (
                "ix_purchase_orders_org_id",
                PurchaseOrders::Table.into_iden(),
            ),
            (
                "ix_stock_levels_org_warehouse_product",
                StockLevels::Table.into_iden(),
            ),
            (
                "ix_stock_levels_org_product_warehouse",
                StockLevels::Table.into_iden(),
            ),
            ("ix_sessions_expires_at", Sessions::Table.into_iden()),
            (
                "ix_stock_movements_org_id",
                StockMovements::Table.into_iden(),
            ),
            ("ix_audit_logs_org_entity_id", AuditLogs::Table.into_iden()),
            ("ix_audit_logs_org_type_id", AuditLogs::Table.into_iden()),
            ("ix_audit_logs_org_action_id", AuditLogs::Table.into_iden()),
            ("ix_audit_logs_org_actor_id", AuditLogs::Table.into_iden()),
            ("ix_audit_logs_org_id", AuditLogs::Table.into_iden()),
        ] {
            m.drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        use StockLevels as L;
        for (name, col) in [
            ("ix_stock_levels_org_product", L::ProductId),
            ("ix_stock_levels_org_warehouse", L::WarehouseId),
        ] {
            let cols = vec![L::OrganizationId.into_iden(), col.into_iden()];
            index(m, name, L::Table, cols, false).await?;
        }
        use AuditLogs as A;
        for (name, cols) in [
            (
                "ix_audit_logs_org_created",
                [A::OrganizationId, A::CreatedAt, A::Id],
            ),
            (
                "ix_audit_logs_org_actor",
                [A::OrganizationId, A::ActorId, A::CreatedAt],
            ),
            (
                "ix_audit_logs_org_entity",
                [A::OrganizationId, A::EntityType, A::EntityId],
            ),
        ] {
            let cols = cols.into_iter().map(|c| c.into_iden()).collect();
            index(m, name, A::Table, cols, false).await?;
        }
        Ok(())
    }
}
