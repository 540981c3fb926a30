//! Inventory: categories, products, warehouses, stock levels and the
//! immutable stock movement ledger. Quantities and money are BIGINT with
//! scale 4; CHECK constraints back the service's conditional updates so stock
//! can never go negative nor reserved exceed on hand.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Categories {
    Table,
    Id,
    OrganizationId,
    Name,
    ParentId,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    OrganizationId,
    Sku,
    Name,
    Description,
    CategoryId,
    Kind,
    Uom,
    SalePrice,
    StandardCost,
    ReorderPoint,
    ReorderQuantity,
    Barcode,
    Active,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum Warehouses {
    Table,
    Id,
    OrganizationId,
    Code,
    Name,
    Address,
    Active,
    IsDefault,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum StockLevels {
    Table,
    OrganizationId,
    ProductId,
    WarehouseId,
    OnHand,
    Reserved,
    AvgCost,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StockMovements {
    Table,
    Id,
    OrganizationId,
    ProductId,
    WarehouseId,
    Kind,
    Quantity,
    UnitCost,
    Reason,
    ReferenceType,
    ReferenceId,
    TransferId,
    ActorId,
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
                .table(Categories::Table)
                .col(uuid(Categories::Id).primary_key())
                .col(uuid(Categories::OrganizationId))
                .col(string_len(Categories::Name, 200))
                .col(uuid_null(Categories::ParentId))
                .col(timestamp_with_time_zone(Categories::CreatedAt))
                .col(timestamp_with_time_zone(Categories::UpdatedAt))
                .col(integer(Categories::Version).default(1))
                .foreign_key(&mut fk(
                    "fk_categories_org",
                    (Categories::Table, Categories::OrganizationId),
                    (Organizations::Table, Organizations::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_categories_parent",
                    (Categories::Table, Categories::ParentId),
                    (Categories::Table, Categories::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ux_categories_org_name",
            Categories::Table,
            vec![
                Categories::OrganizationId.into_iden(),
                Categories::Name.into_iden(),
            ],
            true,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Products::Table)
                .col(uuid(Products::Id).primary_key())
                .col(uuid(Products::OrganizationId))
                .col(string_len(Products::Sku, 64))
                .col(string_len(Products::Name, 200))
                .col(text(Products::Description).default(""))
                .col(uuid_null(Products::CategoryId))
                .col(
                    string_len(Products::Kind, 16)
                        .check(Expr::col(Products::Kind).is_in(["stock", "service"])),
                )
                .col(string_len(Products::Uom, 16))
                .col(
                    big_integer(Products::SalePrice)
                        .default(0)
                        .check(Expr::col(Products::SalePrice).gte(0)),
                )
                .col(
                    big_integer(Products::StandardCost)
                        .default(0)
                        .check(Expr::col(Products::StandardCost).gte(0)),
                )
                .col(
                    big_integer(Products::ReorderPoint)
                        .default(0)
                        .check(Expr::col(Products::ReorderPoint).gte(0)),
                )
                .col(
                    big_integer(Products::ReorderQuantity)
                        .default(0)
                        .check(Expr::col(Products::ReorderQuantity).gte(0)),
                )
                .col(string_len_null(Products::Barcode, 64))
                .col(boolean(Products::Active).default(true))
                .col(timestamp_with_time_zone(Products::CreatedAt))
                .col(timestamp_with_time_zone(Products::UpdatedAt))
                .col(integer(Products::Version).default(1))
                .foreign_key(&mut fk(
                    "fk_products_org",
                    (Products::Table, Products::OrganizationId),
                    (Organizations::Table, Organizations::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_products_category",
                    (Products::Table, Products::CategoryId),
                    (Categories::Table, Categories::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ux_products_org_sku",
            Products::Table,
            vec![
                Products::OrganizationId.into_iden(),
                Products::Sku.into_iden(),
            ],
            true,
        )
        .await?;
        index(
            m,
            "ix_products_org_name",
            Products::Table,
            vec![
                Products::OrganizationId.into_iden(),
                Products::Name.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            m,
            "ix_products_org_category",
            Products::Table,
            vec![
                Products::OrganizationId.into_iden(),
                Products::CategoryId.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            m,
            "ix_products_org_active_id",
            Products::Table,
            vec![
                Products::OrganizationId.into_iden(),
                Products::Active.into_iden(),
                Products::Id.into_iden(),
            ],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Warehouses::Table)
                .col(uuid(Warehouses::Id).primary_key())
                .col(uuid(Warehouses::OrganizationId))
                .col(string_len(Warehouses::Code, 32))
                .col(string_len(Warehouses::Name, 200))
                .col(text(Warehouses::Address).default(""))
                .col(boolean(Warehouses::Active).default(true))
                .col(boolean(Warehouses::IsDefault).default(false))
                .col(timestamp_with_time_zone(Warehouses::CreatedAt))
                .col(timestamp_with_time_zone(Warehouses::UpdatedAt))
                .col(integer(Warehouses::Version).default(1))
                .foreign_key(&mut fk(
                    "fk_warehouses_org",
                    (Warehouses::Table, Warehouses::OrganizationId),
                    (Organizations::Table, Organizations::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ux_warehouses_org_code",
            Warehouses::Table,
            vec![
                Warehouses::OrganizationId.into_iden(),
                Warehouses::Code.into_iden(),
            ],
            true,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(StockLevels::Table)
                .col(uuid(StockLevels::OrganizationId))
                .col(uuid(StockLevels::ProductId))
                .col(uuid(StockLevels::WarehouseId))
                .col(
                    big_integer(StockLevels::OnHand)
                        .default(0)
                        .check(Expr::col(StockLevels::OnHand).gte(0)),
                )
                .col(
                    big_integer(StockLevels::Reserved)
                        .default(0)
                        .check(Expr::col(StockLevels::Reserved).gte(0)),
                )
                .col(
                    big_integer(StockLevels::AvgCost)
                        .default(0)
                        .check(Expr::col(StockLevels::AvgCost).gte(0)),
                )
                .col(timestamp_with_time_zone(StockLevels::UpdatedAt))
                .primary_key(
                    Index::create()
                        .col(StockLevels::ProductId)
                        .col(StockLevels::WarehouseId),
                )
                .check(Expr::col(StockLevels::Reserved).lte(Expr::col(StockLevels::OnHand)))
                .foreign_key(&mut fk(
                    "fk_stock_levels_product",
                    (StockLevels::Table, StockLevels::ProductId),
                    (Products::Table, Products::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_stock_levels_warehouse",
                    (StockLevels::Table, StockLevels::WarehouseId),
                    (Warehouses::Table, Warehouses::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_stock_levels_org_warehouse",
            StockLevels::Table,
            vec![
                StockLevels::OrganizationId.into_iden(),
                StockLevels::WarehouseId.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            m,
            "ix_stock_levels_org_product",
            StockLevels::Table,
            vec![
                StockLevels::OrganizationId.into_iden(),
                StockLevels::ProductId.into_iden(),
            ],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(StockMovements::Table)
                .col(uuid(StockMovements::Id).primary_key())
                .col(uuid(StockMovements::OrganizationId))
                .col(uuid(StockMovements::ProductId))
                .col(uuid(StockMovements::WarehouseId))
                .col(string_len(StockMovements::Kind, 16).check(
                    Expr::col(StockMovements::Kind).is_in([
                        "receipt",
                        "issue",
                        "adjustment",
                        "transfer_out",
                        "transfer_in",
                    ]),
                ))
                .col(big_integer(StockMovements::Quantity))
                .col(big_integer(StockMovements::UnitCost).default(0))
                .col(string_len(StockMovements::Reason, 500).default(""))
                .col(string_len_null(StockMovements::ReferenceType, 64))
                .col(string_len_null(StockMovements::ReferenceId, 100))
                .col(uuid_null(StockMovements::TransferId))
                .col(uuid_null(StockMovements::ActorId))
                .col(timestamp_with_time_zone(StockMovements::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_stock_movements_product",
                    (StockMovements::Table, StockMovements::ProductId),
                    (Products::Table, Products::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_stock_movements_warehouse",
                    (StockMovements::Table, StockMovements::WarehouseId),
                    (Warehouses::Table, Warehouses::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_stock_movements_org_product",
            StockMovements::Table,
            vec![
                StockMovements::OrganizationId.into_iden(),
                StockMovements::ProductId.into_iden(),
                StockMovements::Id.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            m,
            "ix_stock_movements_org_warehouse",
            StockMovements::Table,
            vec![
                StockMovements::OrganizationId.into_iden(),
                StockMovements::WarehouseId.into_iden(),
                StockMovements::Id.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            m,
            "ix_stock_movements_org_kind",
            StockMovements::Table,
            vec![
                StockMovements::OrganizationId.into_iden(),
                StockMovements::Kind.into_iden(),
                StockMovements::Id.into_iden(),
            ],
            false,
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            StockMovements::Table.into_iden(),
            StockLevels::Table.into_iden(),
            Warehouses::Table.into_iden(),
            Products::Table.into_iden(),
            Categories::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
