//! Procurement: suppliers and purchase orders with their lines. Quantities
//! and money are BIGINT with scale 4. CHECK constraints keep a line's
//! received quantity between zero and the ordered quantity, so a purchase
//! order can never be received beyond what was ordered.

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
enum Products {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Warehouses {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Suppliers {
    Table,
    Id,
    OrganizationId,
    Name,
    Email,
    Phone,
    Address,
    TaxId,
    PaymentTermsDays,
    Currency,
    Active,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum PurchaseOrders {
    Table,
    Id,
    OrganizationId,
    Number,
    SupplierId,
    Status,
    Currency,
    WarehouseId,
    ExpectedOn,
    Notes,
    TotalAmount,
    CreatedBy,
    OrderedAt,
    ReceivedAt,
    CancelledAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum PurchaseOrderLines {
    Table,
    Id,
    OrganizationId,
    PurchaseOrderId,
    LineNo,
    ProductId,
    Quantity,
    ReceivedQuantity,
    UnitCost,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Suppliers::Table)
                .col(uuid(Suppliers::Id).primary_key())
                .col(uuid(Suppliers::OrganizationId))
                .col(string_len(Suppliers::Name, 200))
                .col(string_len_null(Suppliers::Email, 254))
                .col(string_len_null(Suppliers::Phone, 40))
                .col(text(Suppliers::Address).default(""))
                .col(string_len_null(Suppliers::TaxId, 64))
                .col(
                    integer(Suppliers::PaymentTermsDays)
                        .default(30)
                        .check(Expr::col(Suppliers::PaymentTermsDays).between(0, 365)),
                )
                .col(string_len(Suppliers::Currency, 3))
                .col(boolean(Suppliers::Active).default(true))
                .col(timestamp_with_time_zone(Suppliers::CreatedAt))
                .col(timestamp_with_time_zone(Suppliers::UpdatedAt))
                .col(integer(Suppliers::Version).default(1))
                .foreign_key(&mut fk(
                    "fk_suppliers_org",
                    (Suppliers::Table, Suppliers::OrganizationId),
                    (Organizations::Table, Organizations::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_suppliers_org_active_name",
            Suppliers::Table,
            vec![
                Suppliers::OrganizationId.into_iden(),
                Suppliers::Active.into_iden(),
                Suppliers::Name.into_iden(),
            ],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PurchaseOrders::Table)
                .col(uuid(PurchaseOrders::Id).primary_key())
                .col(uuid(PurchaseOrders::OrganizationId))
                .col(string_len(PurchaseOrders::Number, 32))
                .col(uuid(PurchaseOrders::SupplierId))
                .col(string_len(PurchaseOrders::Status, 24).check(
                    Expr::col(PurchaseOrders::Status).is_in([
                        "draft",
                        "ordered",
                        "partially_received",
                        "received",
                        "cancelled",
                    ]),
                ))
                .col(string_len(PurchaseOrders::Currency, 3))
                .col(uuid_null(PurchaseOrders::WarehouseId))
                .col(date_null(PurchaseOrders::ExpectedOn))
                .col(text(PurchaseOrders::Notes).default(""))
                .col(
                    big_integer(PurchaseOrders::TotalAmount)
                        .default(0)
                        .check(Expr::col(PurchaseOrders::TotalAmount).gte(0)),
                )
                .col(uuid_null(PurchaseOrders::CreatedBy))
                .col(timestamp_with_time_zone_null(PurchaseOrders::OrderedAt))
                .col(timestamp_with_time_zone_null(PurchaseOrders::ReceivedAt))
                .col(timestamp_with_time_zone_null(PurchaseOrders::CancelledAt))
                .col(timestamp_with_time_zone(PurchaseOrders::CreatedAt))
                .col(timestamp_with_time_zone(PurchaseOrders::UpdatedAt))
                .col(integer(PurchaseOrders::Version).default(1))
                .foreign_key(&mut fk(
                    "fk_purchase_orders_org",
                    (PurchaseOrders::Table, PurchaseOrders::OrganizationId),
                    (Organizations::Table, Organizations::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_purchase_orders_supplier",
                    (PurchaseOrders::Table, PurchaseOrders::SupplierId),
                    (Suppliers::Table, Suppliers::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_purchase_orders_warehouse",
                    (PurchaseOrders::Table, PurchaseOrders::WarehouseId),
                    (Warehouses::Table, Warehouses::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ux_purchase_orders_org_number",
            PurchaseOrders::Table,
            vec![
                PurchaseOrders::OrganizationId.into_iden(),
                PurchaseOrders::Number.into_iden(),
            ],
            true,
        )
        .await?;
        index(
            m,
            "ix_purchase_orders_org_status_id",
            PurchaseOrders::Table,
            vec![
                PurchaseOrders::OrganizationId.into_iden(),
                PurchaseOrders::Status.into_iden(),
                PurchaseOrders::Id.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            m,
            "ix_purchase_orders_org_supplier_id",
            PurchaseOrders::Table,
            vec![
                PurchaseOrders::OrganizationId.into_iden(),
                PurchaseOrders::SupplierId.into_iden(),
                PurchaseOrders::Id.into_iden(),
            ],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PurchaseOrderLines::Table)
                .col(uuid(PurchaseOrderLines::Id).primary_key())
                .col(uuid(PurchaseOrderLines::OrganizationId))
                .col(uuid(PurchaseOrderLines::PurchaseOrderId))
                .col(integer(PurchaseOrderLines::LineNo))
                .col(uuid(PurchaseOrderLines::ProductId))
                .col(
                    big_integer(PurchaseOrderLines::Quantity)
                        .check(Expr::col(PurchaseOrderLines::Quantity).gt(0)),
                )
                .col(
                    big_integer(PurchaseOrderLines::ReceivedQuantity)
                        .default(0)
                        .check(Expr::col(PurchaseOrderLines::ReceivedQuantity).gte(0)),
                )
                .col(
                    big_integer(PurchaseOrderLines::UnitCost)
                        .default(0)
                        .check(Expr::col(PurchaseOrderLines::UnitCost).gte(0)),
                )
                .check(
                    Expr::col(PurchaseOrderLines::ReceivedQuantity)
                        .lte(Expr::col(PurchaseOrderLines::Quantity)),
                )
                .foreign_key(&mut fk(
                    "fk_purchase_order_lines_order",
                    (
                        PurchaseOrderLines::Table,
                        PurchaseOrderLines::PurchaseOrderId,
                    ),
                    (PurchaseOrders::Table, PurchaseOrders::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_purchase_order_lines_product",
                    (PurchaseOrderLines::Table, PurchaseOrderLines::ProductId),
                    (Products::Table, Products::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ux_purchase_order_lines_order_line",
            PurchaseOrderLines::Table,
            vec![
                PurchaseOrderLines::PurchaseOrderId.into_iden(),
                PurchaseOrderLines::LineNo.into_iden(),
            ],
            true,
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            PurchaseOrderLines::Table.into_iden(),
            PurchaseOrders::Table.into_iden(),
            Suppliers::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
