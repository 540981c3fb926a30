//! CRM, the order half: quotes with their revisions, sales orders, and
//! fulfilments (deliveries) against them, each with lines. Money and
//! quantities are BIGINT with scale 4; line figures are stored rounded to the
//! currency's minor unit. CHECK constraints keep every order line's
//! reserved, backordered, delivered and invoiced quantities between zero and
//! the ordered quantity, so no race can ship or bill more than was ordered.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{fk, idx, index, org_fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Quotes {
    Table,
    Id,
    OrganizationId,
    Number,
    Revision,
    CustomerId,
    ContactId,
    DealId,
    Status,
    IssueDate,
    ValidUntil,
    RevisionOf,
    SupersededBy,
    SalesOrderId,
    CreatedBy,
    SentAt,
    AcceptedAt,
    RejectedAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum QuoteLines {
    Table,
    QuoteId,
}

#[derive(DeriveIden)]
enum SalesOrders {
    Table,
    Id,
    OrganizationId,
    Number,
    CustomerId,
    ContactId,
    QuoteId,
    WarehouseId,
    Status,
    OrderDate,
    RequestedDeliveryDate,
    Backordered,
    LineCount,
    CreatedBy,
    ConfirmedAt,
    FulfilledAt,
    CancelledAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum SalesOrderLines {
    Table,
    SalesOrderId,
    Stocked,
    Quantity,
    ReservedQuantity,
    BackorderedQuantity,
    DeliveredQuantity,
    InvoicedQuantity,
}

#[derive(DeriveIden)]
enum Fulfilments {
    Table,
    Id,
    OrganizationId,
    Number,
    SalesOrderId,
    WarehouseId,
    Notes,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum FulfilmentLines {
    Table,
    Id,
    OrganizationId,
    FulfilmentId,
    OrderLineId,
    LineNo,
    ProductId,
    Quantity,
    MovementId,
}

/// Line columns quotes and sales orders share.
#[derive(DeriveIden)]
enum LineCol {
    Id,
    OrganizationId,
    LineNo,
    ProductId,
    Description,
    Quantity,
    UnitPrice,
    DiscountPercent,
    TaxRateId,
    TaxPercent,
    Subtotal,
    Discount,
    Tax,
    Total,
}

/// The document columns quotes and orders share (totals, notes, currency).
fn totals(t: &mut TableCreateStatement) {
    t.col(string_len(Alias::new("currency"), 3))
        .col(text(Alias::new("notes")).default(""))
        .col(big_integer(Alias::new("subtotal")).default(0))
        .col(big_integer(Alias::new("discount_total")).default(0))
        .col(big_integer(Alias::new("tax_total")).default(0))
        .col(big_integer(Alias::new("total")).default(0));
}

/// A line table: the shared line columns, `parent` (the document) and the
/// extra columns; the line's figures are checked non-negative.
fn line_table(
    table: impl IntoIden + 'static,
    (parent_table, parent): (impl IntoIden + 'static, impl IntoIden + 'static),
    extra: Vec<ColumnDef>,
) -> TableCreateStatement {
    let table = table.into_iden();
    let parent = parent.into_iden();
    let parent_fk = format!("fk_{table}_parent");
    let mut t = Table::create();
    t.table(table.clone())
        .col(uuid(LineCol::Id).primary_key())
        .col(uuid(LineCol::OrganizationId))
        .col(uuid(parent.clone()))
        .col(integer(LineCol::LineNo))
        .col(uuid_null(LineCol::ProductId))
        .col(text(LineCol::Description).default(""))
        .col(big_integer(LineCol::Quantity).check(Expr::col(LineCol::Quantity).gt(0)))
        .col(big_integer(LineCol::UnitPrice).check(Expr::col(LineCol::UnitPrice).gte(0)))
        .col(
            big_integer(LineCol::DiscountPercent)
                .default(0)
                .check(Expr::col(LineCol::DiscountPercent).between(0, 1_000_000)),
        )
        .col(uuid_null(LineCol::TaxRateId))
        .col(
            big_integer(LineCol::TaxPercent)
                .default(0)
                .check(Expr::col(LineCol::TaxPercent).gte(0)),
        )
        .col(big_integer(LineCol::Subtotal))
        .col(big_integer(LineCol::Discount))
        .col(big_integer(LineCol::Tax))
        .col(big_integer(LineCol::Total));
    for mut c in extra {
        t.col(&mut c);
    }
    t.foreign_key(&mut fk(
        &parent_fk,
        (table.clone(), parent),
        (parent_table, LineCol::Id),
    ))
    .foreign_key(&mut org_fk(table, LineCol::OrganizationId))
    .to_owned()
}

async fn create_quotes(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    use Quotes as T;
    let mut t = Table::create();
    t.table(T::Table)
        .col(uuid(T::Id).primary_key())
        .col(uuid(T::OrganizationId))
        .col(string_len(T::Number, 32))
        .col(
            integer(T::Revision)
                .default(1)
                .check(Expr::col(T::Revision).gte(1)),
        )
        .col(uuid(T::CustomerId))
        .col(uuid_null(T::ContactId))
        .col(uuid_null(T::DealId))
        .col(string_len(T::Status, 16).check(Expr::col(T::Status).is_in([
            "draft",
            "sent",
            "accepted",
            "rejected",
            "expired",
            "superseded",
        ])))
        .col(date(T::IssueDate))
        .col(date(T::ValidUntil));
    totals(&mut t);
    t.col(uuid_null(T::RevisionOf))
        .col(uuid_null(T::SupersededBy))
        .col(uuid_null(T::SalesOrderId))
        .col(uuid_null(T::CreatedBy))
        .col(timestamp_with_time_zone_null(T::SentAt))
        .col(timestamp_with_time_zone_null(T::AcceptedAt))
        .col(timestamp_with_time_zone_null(T::RejectedAt))
        .col(timestamp_with_time_zone(T::CreatedAt))
        .col(timestamp_with_time_zone(T::UpdatedAt))
        .col(integer(T::Version).default(1))
        .check(Expr::col(T::ValidUntil).gte(Expr::col(T::IssueDate)))
        .foreign_key(&mut org_fk(T::Table, T::OrganizationId))
        .foreign_key(&mut fk(
            "fk_quotes_customer",
            (T::Table, T::CustomerId),
            (Customers::Table, Customers::Id),
        ));
    m.create_table(t.to_owned()).await?;
    for (name, cols, unique) in [
        (
            "ux_quotes_org_number_revision",
            &["organization_id", "number", "revision"][..],
            true,
        ),
        ("ix_quotes_org_id", &["organization_id", "id"][..], false),
        (
            "ix_quotes_org_status_id",
            &["organization_id", "status", "id"][..],
            false,
        ),
        (
            "ix_quotes_org_customer_id",
            &["organization_id", "customer_id", "id"][..],
            false,
        ),
        (
            "ix_quotes_org_deal_id",
            &["organization_id", "deal_id", "id"][..],
            false,
        ),
    ] {
        index(m, name, T::Table, idx(cols), unique).await?;
    }
    m.create_table(line_table(
        QuoteLines::Table,
        (Quotes::Table, QuoteLines::QuoteId),
        vec![],
    ))
    .await?;
    index(
        m,
        "ix_quote_lines_org_quote",
        QuoteLines::Table,
        idx(&["organization_id", "quote_id", "line_no"]),
        true,
    )
    .await
}

async fn create_orders(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    use SalesOrders as T;
    let mut t = Table::create();
    t.table(T::Table)
        .col(uuid(T::Id).primary_key())
        .col(uuid(T::OrganizationId))
        .col(string_len(T::Number, 32))
        .col(uuid(T::CustomerId))
        .col(uuid_null(T::ContactId))
        .col(uuid_null(T::QuoteId))
        .col(uuid_null(T::WarehouseId))
        .col(string_len(T::Status, 24).check(Expr::col(T::Status).is_in([
            "draft",
            "confirmed",
            "partially_fulfilled",
            "fulfilled",
            "cancelled",
        ])))
        .col(date(T::OrderDate))
        .col(date_null(T::RequestedDeliveryDate));
    totals(&mut t);
    t.col(boolean(T::Backordered).default(false))
        .col(integer(T::LineCount).default(0))
        .col(uuid_null(T::CreatedBy))
        .col(timestamp_with_time_zone_null(T::ConfirmedAt))
        .col(timestamp_with_time_zone_null(T::FulfilledAt))
        .col(timestamp_with_time_zone_null(T::CancelledAt))
        .col(timestamp_with_time_zone(T::CreatedAt))
        .col(timestamp_with_time_zone(T::UpdatedAt))
        .col(integer(T::Version).default(1))
        .foreign_key(&mut org_fk(T::Table, T::OrganizationId))
        .foreign_key(&mut fk(
            "fk_sales_orders_customer",
            (T::Table, T::CustomerId),
            (Customers::Table, Customers::Id),
        ));
    m.create_table(t.to_owned()).await?;
    for (name, cols, unique) in [
        (
            "ux_sales_orders_org_number",
            &["organization_id", "number"][..],
            true,
        ),
        (
            "ix_sales_orders_org_id",
            &["organization_id", "id"][..],
            false,
        ),
        (
            "ix_sales_orders_org_status_id",
            &["organization_id", "status", "id"][..],
            false,
        ),
        (
            "ix_sales_orders_org_customer_status_id",
            &["organization_id", "customer_id", "status", "id"][..],
            false,
        ),
        (
            "ix_sales_orders_org_customer_id",
            &["organization_id", "customer_id", "id"][..],
            false,
        ),
        (
            "ix_sales_orders_org_date_id",
            &["organization_id", "order_date", "id"][..],
            false,
        ),
    ] {
        index(m, name, T::Table, idx(cols), unique).await?;
    }
    let qty = |c: SalesOrderLines| {
        let c = c.into_iden();
        big_integer(c.clone())
            .default(0)
            .check(Expr::col(c).gte(0))
            .to_owned()
    };
    let mut lines = line_table(
        SalesOrderLines::Table,
        (SalesOrders::Table, SalesOrderLines::SalesOrderId),
        vec![
            boolean(SalesOrderLines::Stocked).default(false).to_owned(),
            qty(SalesOrderLines::ReservedQuantity),
            qty(SalesOrderLines::BackorderedQuantity),
            qty(SalesOrderLines::DeliveredQuantity),
            qty(SalesOrderLines::InvoicedQuantity),
        ],
    );
    // What is held, waiting or shipped never exceeds what was ordered, and
    // neither does what was invoiced.
    lines
        .check(
            Expr::col(SalesOrderLines::ReservedQuantity)
                .add(Expr::col(SalesOrderLines::BackorderedQuantity))
                .add(Expr::col(SalesOrderLines::DeliveredQuantity))
                .lte(Expr::col(SalesOrderLines::Quantity)),
        )
        .check(
            Expr::col(SalesOrderLines::InvoicedQuantity).lte(Expr::col(SalesOrderLines::Quantity)),
        );
    m.create_table(lines).await?;
    index(
        m,
        "ix_sales_order_lines_org_order",
        SalesOrderLines::Table,
        idx(&["organization_id", "sales_order_id", "line_no"]),
        true,
    )
    .await?;
    index(
        m,
        "ix_sales_order_lines_org_product",
        SalesOrderLines::Table,
        idx(&["organization_id", "product_id", "sales_order_id"]),
        false,
    )
    .await
}

async fn create_fulfilments(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    use Fulfilments as T;
    m.create_table(
        Table::create()
            .table(T::Table)
            .col(uuid(T::Id).primary_key())
            .col(uuid(T::OrganizationId))
            .col(string_len(T::Number, 32))
            .col(uuid(T::SalesOrderId))
            .col(uuid_null(T::WarehouseId))
            .col(text(T::Notes).default(""))
            .col(uuid_null(T::CreatedBy))
            .col(timestamp_with_time_zone(T::CreatedAt))
            .foreign_key(&mut org_fk(T::Table, T::OrganizationId))
            .foreign_key(&mut fk(
                "fk_fulfilments_order",
                (T::Table, T::SalesOrderId),
                (SalesOrders::Table, SalesOrders::Id),
            ))
            .to_owned(),
    )
    .await?;
    index(
        m,
        "ux_fulfilments_org_number",
        T::Table,
        idx(&["organization_id", "number"]),
        true,
    )
    .await?;
    index(
        m,
        "ix_fulfilments_org_order",
        T::Table,
        idx(&["organization_id", "sales_order_id", "id"]),
        false,
    )
    .await?;
    use FulfilmentLines as L;
    m.create_table(
        Table::create()
            .table(L::Table)
            .col(uuid(L::Id).primary_key())
            .col(uuid(L::OrganizationId))
            .col(uuid(L::FulfilmentId))
            .col(uuid(L::OrderLineId))
            .col(integer(L::LineNo))
            .col(uuid_null(L::ProductId))
            .col(big_integer(L::Quantity).check(Expr::col(L::Quantity).gt(0)))
            .col(uuid_null(L::MovementId))
            .foreign_key(&mut org_fk(L::Table, L::OrganizationId))
            .foreign_key(&mut fk(
                "fk_fulfilment_lines_fulfilment",
                (L::Table, L::FulfilmentId),
                (T::Table, T::Id),
            ))
            .to_owned(),
    )
    .await?;
    index(
        m,
        "ix_fulfilment_lines_org_fulfilment",
        L::Table,
        idx(&["organization_id", "fulfilment_id", "line_no"]),
        false,
    )
    .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        create_quotes(m).await?;
        create_orders(m).await?;
        create_fulfilments(m).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "fulfilment_lines",
            "fulfilments",
            "sales_order_lines",
            "sales_orders",
            "quote_lines",
            "quotes",
        ] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned())
                .await?;
        }
        Ok(())
    }
}
