//! Billing: invoices and supplier bills (one table, `kind`), their lines,
//! credit notes, payments received and sent (one table, `kind`), the
//! allocations of payments and credit notes to documents, refunds, and
//! customers' tokenized payment methods. Purchase-order lines gain the
//! quantity billed so far.
//!
//! CHECK constraints hold the money invariants whatever the code does: what
//! is settled on a document never exceeds its total, what a payment has
//! allocated and refunded never exceeds its amount, what a credit note has
//! allocated never exceeds its total, and a PO line is never billed beyond
//! what was received.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{fk, idx, index, org_fk};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

fn c(name: &str) -> Expr {
    Expr::col(a(name))
}

/// The columns every money document row starts with.
fn head(t: &mut TableCreateStatement, table: &str) {
    t.table(a(table))
        .col(uuid(a("id")).primary_key())
        .col(uuid(a("organization_id")))
        .foreign_key(&mut org_fk(a(table), a("organization_id")));
}

fn money(name: &str) -> ColumnDef {
    big_integer(a(name))
        .default(0)
        .check(c(name).gte(0))
        .to_owned()
}

fn stamps(t: &mut TableCreateStatement) {
    t.col(uuid_null(a("created_by")))
        .col(timestamp_with_time_zone(a("created_at")))
        .col(timestamp_with_time_zone(a("updated_at")))
        .col(integer(a("version")).default(1));
}

fn party_fks(t: &mut TableCreateStatement, table: &str) {
    t.foreign_key(&mut fk(
        &format!("fk_{table}_customer"),
        (a(table), a("customer_id")),
        (a("customers"), a("id")),
    ))
    .foreign_key(&mut fk(
        &format!("fk_{table}_supplier"),
        (a(table), a("supplier_id")),
        (a("suppliers"), a("id")),
    ))
    // An invoice / a received payment has a customer, a bill / a sent
    // payment a supplier, never both.
    .check(
        Expr::cust("(customer_id IS NULL) <> (supplier_id IS NULL)").and(Expr::cust(
            "(kind IN ('invoice', 'received')) = (customer_id IS NOT NULL)",
        )),
    );
}

async fn indexes(
    m: &SchemaManager<'_>,
    table: &str,
    list: &[(&str, &[&str], bool)],
) -> Result<(), DbErr> {
    for (name, cols, unique) in list {
        index(m, name, a(table), idx(cols), *unique).await?;
    }
    Ok(())
}

async fn create_invoices(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut t = Table::create();
    head(&mut t, "invoices");
    t.col(string_len(a("kind"), 8).check(c("kind").is_in(["invoice", "bill"])))
        .col(string_len(a("number"), 32))
        .col(uuid_null(a("customer_id")))
        .col(uuid_null(a("supplier_id")))
        .col(uuid_null(a("sales_order_id")))
        .col(uuid_null(a("purchase_order_id")))
        .col(string_len(a("supplier_reference"), 64).default(""))
        .col(string_len(a("status"), 16).check(c("status").is_in([
            "draft",
            "issued",
            "partially_paid",
            "paid",
            "void",
        ])))
        .col(date(a("issue_date")))
        .col(date(a("due_date")))
        .col(string_len(a("currency"), 3))
        .col(text(a("notes")).default(""))
        .col(money("subtotal"))
        .col(money("discount_total"))
        .col(money("tax_total"))
        .col(money("total"))
        .col(money("settled_amount"))
        .col(money("credited_amount"))
        .col(integer(a("line_count")).default(0))
        .col(uuid_null(a("journal_entry_id")))
        .col(timestamp_with_time_zone_null(a("issued_at")))
        .col(timestamp_with_time_zone_null(a("paid_at")))
        .col(date_null(a("settled_on")))
        .col(timestamp_with_time_zone_null(a("voided_at")))
        .col(date_null(a("voided_on")));
    stamps(&mut t);
    t.check(c("settled_amount").lte(c("total")))
        .check(c("credited_amount").lte(c("total")))
        .check(c("due_date").gte(c("issue_date")))
        .check(Expr::cust("status <> 'void' OR settled_amount = 0"));
    party_fks(&mut t, "invoices");
    m.create_table(t.to_owned()).await?;
    indexes(
        m,
        "invoices",
        &[
            (
                "ux_invoices_org_kind_number",
                &["organization_id", "kind", "number"],
                true,
            ),
            (
                "ix_invoices_org_kind_id",
                &["organization_id", "kind", "id"],
                false,
            ),
            (
                "ix_invoices_org_kind_status_id",
                &["organization_id", "kind", "status", "id"],
                false,
            ),
            (
                "ix_invoices_org_customer_id",
                &["organization_id", "customer_id", "id"],
                false,
            ),
            (
                "ix_invoices_org_supplier_id",
                &["organization_id", "supplier_id", "id"],
                false,
            ),
            (
                "ix_invoices_org_kind_due",
                &["organization_id", "kind", "due_date"],
                false,
            ),
            (
                "ix_invoices_org_kind_issue_id",
                &["organization_id", "kind", "issue_date", "id"],
                false,
            ),
            (
                "ix_invoices_org_sales_order",
                &["organization_id", "sales_order_id"],
                false,
            ),
        ],
    )
    .await?;
    let mut l = Table::create();
    head(&mut l, "invoice_lines");
    l.col(uuid(a("invoice_id")))
        .col(integer(a("line_no")))
        .col(uuid_null(a("product_id")))
        .col(text(a("description")).default(""))
        .col(big_integer(a("quantity")).check(c("quantity").gt(0)))
        .col(money("unit_price"))
        .col(
            big_integer(a("discount_percent"))
                .default(0)
                .check(c("discount_percent").between(0, 1_000_000)),
        )
        .col(uuid_null(a("tax_rate_id")))
        .col(uuid_null(a("tax_account_id")))
        .col(money("tax_percent"))
        .col(money("subtotal"))
        .col(money("discount"))
        .col(money("tax"))
        .col(money("total"))
        .col(uuid_null(a("account_id")))
        .col(uuid_null(a("sales_order_line_id")))
        .col(uuid_null(a("purchase_order_line_id")))
        .col(money("credited_quantity"))
        .check(c("credited_quantity").lte(c("quantity")))
        .foreign_key(&mut fk(
            "fk_invoice_lines_invoice",
            (a("invoice_lines"), a("invoice_id")),
            (a("invoices"), a("id")),
        ));
    m.create_table(l.to_owned()).await?;
    indexes(
        m,
        "invoice_lines",
        &[(
            "ux_invoice_lines_org_invoice",
            &["organization_id", "invoice_id", "line_no"],
            true,
        )],
    )
    .await
}

async fn create_credit_notes(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut t = Table::create();
    head(&mut t, "credit_notes");
    t.col(string_len(a("number"), 32))
        .col(uuid(a("invoice_id")))
        .col(uuid(a("customer_id")))
        .col(date(a("issue_date")))
        .col(string_len(a("currency"), 3))
        .col(text(a("reason")).default(""))
        .col(money("subtotal"))
        .col(money("tax_total"))
        .col(big_integer(a("total")).check(c("total").gt(0)))
        .col(money("allocated_amount"))
        .col(uuid_null(a("journal_entry_id")));
    stamps(&mut t);
    t.check(c("allocated_amount").lte(c("total")))
        .foreign_key(&mut fk(
            "fk_credit_notes_invoice",
            (a("credit_notes"), a("invoice_id")),
            (a("invoices"), a("id")),
        ))
        .foreign_key(&mut fk(
            "fk_credit_notes_customer",
            (a("credit_notes"), a("customer_id")),
            (a("customers"), a("id")),
        ));
    m.create_table(t.to_owned()).await?;
    indexes(
        m,
        "credit_notes",
        &[
            (
                "ux_credit_notes_org_number",
                &["organization_id", "number"],
                true,
            ),
            ("ix_credit_notes_org_id", &["organization_id", "id"], false),
            (
                "ix_credit_notes_org_customer_id",
                &["organization_id", "customer_id", "id"],
                false,
            ),
            (
                "ix_credit_notes_org_invoice_id",
                &["organization_id", "invoice_id", "id"],
                false,
            ),
        ],
    )
    .await?;
    let mut l = Table::create();
    head(&mut l, "credit_note_lines");
    l.col(uuid(a("credit_note_id")))
        .col(integer(a("line_no")))
        .col(uuid_null(a("invoice_line_id")))
        .col(text(a("description")).default(""))
        .col(big_integer(a("quantity")).check(c("quantity").gt(0)))
        .col(money("subtotal"))
        .col(money("tax"))
        .col(money("total"))
        .col(uuid_null(a("account_id")))
        .col(uuid_null(a("tax_account_id")))
        .foreign_key(&mut fk(
            "fk_credit_note_lines_note",
            (a("credit_note_lines"), a("credit_note_id")),
            (a("credit_notes"), a("id")),
        ));
    m.create_table(l.to_owned()).await?;
    indexes(
        m,
        "credit_note_lines",
        &[(
            "ix_credit_note_lines_org_note",
            &["organization_id", "credit_note_id", "line_no"],
            true,
        )],
    )
    .await
}

async fn create_payments(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut t = Table::create();
    head(&mut t, "payments");
    t.col(string_len(a("kind"), 8).check(c("kind").is_in(["received", "sent"])))
        .col(string_len(a("number"), 32))
        .col(uuid_null(a("customer_id")))
        .col(uuid_null(a("supplier_id")))
        .col(date(a("payment_date")))
        .col(string_len(a("currency"), 3))
        .col(big_integer(a("amount")).check(c("amount").gt(0)))
        .col(money("allocated_amount"))
        .col(money("refunded_amount"))
        .col(string_len(a("method"), 16).check(c("method").is_in([
            "cash",
            "bank_transfer",
            "card",
            "other",
        ])))
        .col(string_len(a("reference"), 128).default(""))
        .col(text(a("notes")).default(""))
        .col(string_len(a("status"), 8).check(c("status").is_in(["posted", "deleted"])))
        .col(uuid_null(a("journal_entry_id")))
        .col(timestamp_with_time_zone_null(a("deleted_at")));
    stamps(&mut t);
    t.check(
        c("allocated_amount")
            .add(c("refunded_amount"))
            .lte(c("amount")),
    );
    party_fks(&mut t, "payments");
    m.create_table(t.to_owned()).await?;
    indexes(
        m,
        "payments",
        &[
            (
                "ux_payments_org_kind_number",
                &["organization_id", "kind", "number"],
                true,
            ),
            (
                "ix_payments_org_kind_id",
                &["organization_id", "kind", "id"],
                false,
            ),
            (
                "ix_payments_org_customer_id",
                &["organization_id", "customer_id", "id"],
                false,
            ),
            (
                "ix_payments_org_supplier_id",
                &["organization_id", "supplier_id", "id"],
                false,
            ),
            (
                "ix_payments_org_kind_date_id",
                &["organization_id", "kind", "payment_date", "id"],
                false,
            ),
        ],
    )
    .await?;
    let mut al = Table::create();
    head(&mut al, "allocations");
    al.col(uuid_null(a("payment_id")))
        .col(uuid_null(a("credit_note_id")))
        .col(uuid(a("invoice_id")))
        .col(big_integer(a("amount")).check(c("amount").gt(0)))
        .col(date(a("allocated_on")))
        .col(uuid_null(a("created_by")))
        .col(timestamp_with_time_zone(a("created_at")))
        .check(Expr::cust(
            "(payment_id IS NULL) <> (credit_note_id IS NULL)",
        ))
        .foreign_key(&mut fk(
            "fk_allocations_payment",
            (a("allocations"), a("payment_id")),
            (a("payments"), a("id")),
        ))
        .foreign_key(&mut fk(
            "fk_allocations_credit_note",
            (a("allocations"), a("credit_note_id")),
            (a("credit_notes"), a("id")),
        ))
        .foreign_key(&mut fk(
            "fk_allocations_invoice",
            (a("allocations"), a("invoice_id")),
            (a("invoices"), a("id")),
        ));
    m.create_table(al.to_owned()).await?;
    indexes(
        m,
        "allocations",
        &[
            (
                "ix_allocations_org_invoice",
                &["organization_id", "invoice_id", "allocated_on"],
                false,
            ),
            (
                "ix_allocations_org_payment",
                &["organization_id", "payment_id"],
                false,
            ),
            (
                "ix_allocations_org_credit_note",
                &["organization_id", "credit_note_id"],
                false,
            ),
        ],
    )
    .await?;
    let mut r = Table::create();
    head(&mut r, "payment_refunds");
    r.col(uuid(a("payment_id")))
        .col(big_integer(a("amount")).check(c("amount").gt(0)))
        .col(date(a("refund_date")))
        .col(text(a("reason")).default(""))
        .col(uuid_null(a("journal_entry_id")))
        .col(uuid_null(a("created_by")))
        .col(timestamp_with_time_zone(a("created_at")))
        .foreign_key(&mut fk(
            "fk_payment_refunds_payment",
            (a("payment_refunds"), a("payment_id")),
            (a("payments"), a("id")),
        ));
    m.create_table(r.to_owned()).await?;
    indexes(
        m,
        "payment_refunds",
        &[(
            "ix_payment_refunds_org_payment",
            &["organization_id", "payment_id"],
            false,
        )],
    )
    .await
}

async fn create_payment_methods(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let mut t = Table::create();
    head(&mut t, "payment_methods");
    t.col(uuid(a("customer_id")))
        .col(string_len(a("gateway"), 64))
        .col(string_len(a("token"), 255))
        .col(string_len(a("brand"), 32))
        .col(string_len(a("last4"), 4))
        .col(small_integer(a("exp_month")).check(c("exp_month").between(1, 12)))
        .col(small_integer(a("exp_year")).check(c("exp_year").between(2000, 2100)))
        .col(uuid_null(a("created_by")))
        .col(timestamp_with_time_zone(a("created_at")))
        .foreign_key(&mut fk(
            "fk_payment_methods_customer",
            (a("payment_methods"), a("customer_id")),
            (a("customers"), a("id")),
        ));
    m.create_table(t.to_owned()).await?;
    indexes(
        m,
        "payment_methods",
        &[(
            "ix_payment_methods_org_customer",
            &["organization_id", "customer_id"],
            false,
        )],
    )
    .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(a("purchase_order_lines"))
                .add_column(money("billed_quantity"))
                .to_owned(),
        )
        .await?;
        create_invoices(m).await?;
        create_credit_notes(m).await?;
        create_payments(m).await?;
        create_payment_methods(m).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "payment_methods",
            "payment_refunds",
            "allocations",
            "payments",
            "credit_note_lines",
            "credit_notes",
            "invoice_lines",
            "invoices",
        ] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        m.alter_table(
            Table::alter()
                .table(a("purchase_order_lines"))
                .drop_column(a("billed_quantity"))
                .to_owned(),
        )
        .await
    }
}
