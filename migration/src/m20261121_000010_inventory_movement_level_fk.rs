//! PostgreSQL: a stock movement references its stock level row instead of the
//! product and warehouse rows directly.
//!
//! A foreign-key check takes a KEY SHARE lock on the referenced row. With one
//! foreign key to `warehouses`, every concurrent movement locked the same
//! warehouse row, which PostgreSQL tracks with multixacts: under load the
//! ledger serialized on it. The level row is already locked FOR UPDATE by the
//! transaction writing the movement (it changes the level in the same
//! transaction), so referencing it costs nothing extra, and the level row
//! itself references the product and the warehouse. Every existing movement
//! has its level row: levels are created before any movement is written.
//!
//! SQLite keeps the original keys: its foreign-key checks take no row locks,
//! and it cannot alter foreign keys without rebuilding the table.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        m.get_connection()
            .execute_unprepared(
                "ALTER TABLE stock_movements
                   DROP CONSTRAINT fk_stock_movements_product,
                   DROP CONSTRAINT fk_stock_movements_warehouse,
                   ADD CONSTRAINT fk_stock_movements_level FOREIGN KEY (product_id, warehouse_id)
                     REFERENCES stock_levels (product_id, warehouse_id) ON DELETE RESTRICT",
            )
            .await
            .map(|_| ())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        m.get_connection()
            .execute_unprepared(
                "ALTER TABLE stock_movements
                   DROP CONSTRAINT fk_stock_movements_level,
                   ADD CONSTRAINT fk_stock_movements_product FOREIGN KEY (product_id)
                     REFERENCES products (id) ON DELETE RESTRICT,
                   ADD CONSTRAINT fk_stock_movements_warehouse FOREIGN KEY (warehouse_id)
                     REFERENCES warehouses (id) ON DELETE RESTRICT",
            )
            .await
            .map(|_| ())
    }
}
