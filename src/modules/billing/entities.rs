//! SeaORM entities of billing (private to the module), and the enums of its
//! kinds and states. Invoices and supplier bills share one table (`kind`),
//! and so do payments received and sent: the rules and the ledger are the
//! same, mirrored.

use sea_orm::sea_query::StringLen;

use crate::string_enum;

string_enum! {
    /// A document billed to a customer, or billed to us by a supplier.
    DocKind {
        /// A customer invoice (receivable).
        Invoice = "invoice",
        /// A supplier bill (payable).
        Bill = "bill",
    }
}

string_enum! {
    /// Where an invoice or a bill stands.
    DocStatus {
        /// Being written; lines can change; nothing posted.
        Draft = "draft",
        /// Posted and open.
        Issued = "issued",
        /// Part of it is settled by payments or credit notes.
        PartiallyPaid = "partially_paid",
        /// Settled in full.
        Paid = "paid",
        /// Cancelled after issue, with nothing settled; the posting reversed.
        Void = "void",
    }
}

string_enum! {
    /// Money received from a customer, or paid to a supplier.
    PaymentKind {
        /// Received from a customer.
        Received = "received",
        /// Paid to a supplier.
        Sent = "sent",
    }
}

string_enum! {
    /// How a payment was made.
    PaymentMethod {
        /// Cash (posts to the cash account).
        Cash = "cash",
        /// Bank transfer (posts to the bank account).
        BankTransfer = "bank_transfer",
        /// Card, through a gateway (posts to the bank account).
        Card = "card",
        /// Anything else (posts to the bank account).
        Other = "other",
    }
}

string_enum! {
    /// Whether a payment stands.
    PaymentStatus {
        /// Recorded and posted.
        Posted = "posted",
        /// Deleted: its allocations removed and its posting reversed.
        Deleted = "deleted",
    }
}

impl DocStatus {
    /// Issued and not settled: takes payments and credit notes.
    pub const OPEN: &[Self] = &[Self::Issued, Self::PartiallyPaid];
    /// Posted to the ledger (everything but drafts and voids).
    pub const POSTED: &[Self] = &[Self::Issued, Self::PartiallyPaid, Self::Paid];
}

impl DocKind {
    /// The kind of payment that settles this kind of document.
    pub fn payment(self) -> PaymentKind {
        match self {
            Self::Invoice => PaymentKind::Received,
            Self::Bill => PaymentKind::Sent,
        }
    }
}

pub mod invoice {
    use sea_orm::entity::prelude::*;

    use super::{DocKind, DocStatus};
    use crate::platform::money::Amount;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "invoices")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub kind: DocKind,
        pub number: String,
        pub customer_id: Option<Uuid>,
        pub supplier_id: Option<Uuid>,
        pub sales_order_id: Option<Uuid>,
        pub purchase_order_id: Option<Uuid>,
        pub supplier_reference: String,
        pub status: DocStatus,
        pub issue_date: Date,
        pub due_date: Date,
        pub currency: String,
        #[sea_orm(column_type = "Text")]
        pub notes: String,
        pub subtotal: Amount,
        pub discount_total: Amount,
        pub tax_total: Amount,
        pub total: Amount,
        pub settled_amount: Amount,
        pub credited_amount: Amount,
        pub line_count: i32,
        pub journal_entry_id: Option<Uuid>,
        pub issued_at: Option<DateTimeUtc>,
        pub paid_at: Option<DateTimeUtc>,
        pub settled_on: Option<Date>,
        pub voided_at: Option<DateTimeUtc>,
        pub voided_on: Option<Date>,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such document in this organization.",
        versioned
    );

    impl Model {
        /// The party: the customer of an invoice, the supplier of a bill.
        pub fn party_id(&self) -> Uuid {
            self.customer_id.or(self.supplier_id).unwrap_or_default()
        }
    }
}

pub mod invoice_line {
    use sea_orm::entity::prelude::*;

    use crate::platform::money::{Amount, Quantity};

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "invoice_lines")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub invoice_id: Uuid,
        pub line_no: i32,
        pub product_id: Option<Uuid>,
        #[sea_orm(column_type = "Text")]
        pub description: String,
        pub quantity: Quantity,
        pub unit_price: Amount,
        pub discount_percent: Quantity,
        pub tax_rate_id: Option<Uuid>,
        pub tax_account_id: Option<Uuid>,
        pub tax_percent: Quantity,
        pub subtotal: Amount,
        pub discount: Amount,
        pub tax: Amount,
        pub total: Amount,
        pub account_id: Option<Uuid>,
        pub sales_order_line_id: Option<Uuid>,
        pub purchase_order_line_id: Option<Uuid>,
        pub credited_quantity: Quantity,
    }
    crate::no_relations!();
}

pub mod credit_note {
    use sea_orm::entity::prelude::*;

    use crate::platform::money::Amount;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "credit_notes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub number: String,
        pub invoice_id: Uuid,
        pub customer_id: Uuid,
        pub issue_date: Date,
        pub currency: String,
        #[sea_orm(column_type = "Text")]
        pub reason: String,
        pub subtotal: Amount,
        pub tax_total: Amount,
        pub total: Amount,
        pub allocated_amount: Amount,
        pub journal_entry_id: Option<Uuid>,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such credit note in this organization.",
        versioned
    );
}

pub mod credit_note_line {
    use sea_orm::entity::prelude::*;

    use crate::platform::money::{Amount, Quantity};

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "credit_note_lines")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub credit_note_id: Uuid,
        pub line_no: i32,
        pub invoice_line_id: Option<Uuid>,
        #[sea_orm(column_type = "Text")]
        pub description: String,
        pub quantity: Quantity,
        pub subtotal: Amount,
        pub tax: Amount,
        pub total: Amount,
        pub account_id: Option<Uuid>,
        pub tax_account_id: Option<Uuid>,
    }
    crate::no_relations!();
}

pub mod payment {
    use sea_orm::entity::prelude::*;

    use super::{PaymentKind, PaymentMethod, PaymentStatus};
    use crate::platform::money::Amount;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "payments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub kind: PaymentKind,
        pub number: String,
        pub customer_id: Option<Uuid>,
        pub supplier_id: Option<Uuid>,
        pub payment_date: Date,
        pub currency: String,
        pub amount: Amount,
        pub allocated_amount: Amount,
        pub refunded_amount: Amount,
        pub method: PaymentMethod,
        pub reference: String,
        #[sea_orm(column_type = "Text")]
        pub notes: String,
        pub status: PaymentStatus,
        pub journal_entry_id: Option<Uuid>,
        pub deleted_at: Option<DateTimeUtc>,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such payment in this organization.",
        versioned
    );

    impl Model {
        /// The party: the customer who paid, the supplier who was paid.
        pub fn party_id(&self) -> Uuid {
            self.customer_id.or(self.supplier_id).unwrap_or_default()
        }
    }
}

pub mod allocation {
    use sea_orm::entity::prelude::*;

    use crate::platform::money::Amount;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "allocations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub payment_id: Option<Uuid>,
        pub credit_note_id: Option<Uuid>,
        pub invoice_id: Uuid,
        pub amount: Amount,
        pub allocated_on: Date,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }
    crate::no_relations!();
}

pub mod refund {
    use sea_orm::entity::prelude::*;

    use crate::platform::money::Amount;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "payment_refunds")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub payment_id: Uuid,
        pub amount: Amount,
        pub refund_date: Date,
        #[sea_orm(column_type = "Text")]
        pub reason: String,
        pub journal_entry_id: Option<Uuid>,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }
    crate::no_relations!();
}

pub mod payment_method {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "payment_methods")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub customer_id: Uuid,
        pub gateway: String,
        pub token: String,
        pub brand: String,
        pub last4: String,
        pub exp_month: i16,
        pub exp_year: i16,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such payment method in this organization."
    );
}
