//! SeaORM entities of quotes, sales orders and fulfilments (private to the
//! CRM module), and the enums of their states.

use sea_orm::sea_query::StringLen;

use crate::modules::crm::entities::string_enum;

string_enum! {
    /// Where a quote stands. `expired` is also read: a `sent` quote past its
    /// `valid_until` reads as expired.
    QuoteStatus {
        /// Being written; lines can change.
        Draft = "draft",
        /// Sent to the customer.
        Sent = "sent",
        /// Accepted: a sales order was made from it (final).
        Accepted = "accepted",
        /// Turned down (final, but may be revised).
        Rejected = "rejected",
        /// Past its validity (may be revised).
        Expired = "expired",
        /// Replaced by a newer revision (final).
        Superseded = "superseded",
    }
}

string_enum! {
    /// Where a sales order stands.
    SalesOrderStatus {
        /// Being written; lines can change.
        Draft = "draft",
        /// Stock reserved (or backordered); nothing shipped yet.
        Confirmed = "confirmed",
        /// Some of it shipped.
        PartiallyFulfilled = "partially_fulfilled",
        /// Everything shipped (final).
        Fulfilled = "fulfilled",
        /// Cancelled; what was reserved is released (final).
        Cancelled = "cancelled",
    }
}

impl QuoteStatus {
    /// The allowed moves: (from, to).
    pub const TRANSITIONS: &[(Self, Self)] = &[
        (Self::Draft, Self::Sent),
        (Self::Sent, Self::Accepted),
        (Self::Sent, Self::Rejected),
        (Self::Sent, Self::Expired),
        (Self::Draft, Self::Superseded),
        (Self::Sent, Self::Superseded),
        (Self::Rejected, Self::Superseded),
        (Self::Expired, Self::Superseded),
    ];

    /// The states a move to `to` starts from.
    pub fn sources(to: Self) -> Vec<Self> {
        crate::platform::tenant::sources_of(Self::TRANSITIONS, to)
    }
}

impl SalesOrderStatus {
    /// The allowed moves: (from, to).
    pub const TRANSITIONS: &[(Self, Self)] = &[
        (Self::Draft, Self::Confirmed),
        (Self::Confirmed, Self::PartiallyFulfilled),
        (Self::PartiallyFulfilled, Self::PartiallyFulfilled),
        (Self::Confirmed, Self::Fulfilled),
        (Self::PartiallyFulfilled, Self::Fulfilled),
        (Self::Draft, Self::Cancelled),
        (Self::Confirmed, Self::Cancelled),
        (Self::PartiallyFulfilled, Self::Cancelled),
    ];

    /// The states a move to `to` starts from.
    pub fn sources(to: Self) -> Vec<Self> {
        crate::platform::tenant::sources_of(Self::TRANSITIONS, to)
    }

    /// Confirmed and not yet finished: holds reservations, takes shipments.
    pub const OPEN: &[Self] = &[Self::Confirmed, Self::PartiallyFulfilled];
}

pub mod quote {
    use sea_orm::entity::prelude::*;

    use super::QuoteStatus;
    use crate::platform::money::Amount;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "quotes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub number: String,
        pub revision: i32,
        pub customer_id: Uuid,
        pub contact_id: Option<Uuid>,
        pub deal_id: Option<Uuid>,
        pub status: QuoteStatus,
        pub issue_date: Date,
        pub valid_until: Date,
        pub currency: String,
        #[sea_orm(column_type = "Text")]
        pub notes: String,
        pub subtotal: Amount,
        pub discount_total: Amount,
        pub tax_total: Amount,
        pub total: Amount,
        pub revision_of: Option<Uuid>,
        pub superseded_by: Option<Uuid>,
        pub sales_order_id: Option<Uuid>,
        pub created_by: Option<Uuid>,
        pub sent_at: Option<DateTimeUtc>,
        pub accepted_at: Option<DateTimeUtc>,
        pub rejected_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such quote in this organization.",
        versioned
    );
}

pub mod quote_line {
    use sea_orm::entity::prelude::*;

    use crate::platform::money::{Amount, Quantity};

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "quote_lines")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub quote_id: Uuid,
        pub line_no: i32,
        pub product_id: Option<Uuid>,
        #[sea_orm(column_type = "Text")]
        pub description: String,
        pub quantity: Quantity,
        pub unit_price: Amount,
        pub discount_percent: Quantity,
        pub tax_rate_id: Option<Uuid>,
        pub tax_percent: Quantity,
        pub subtotal: Amount,
        pub discount: Amount,
        pub tax: Amount,
        pub total: Amount,
    }
    crate::no_relations!();
}

pub mod sales_order {
    use sea_orm::entity::prelude::*;

    use super::SalesOrderStatus;
    use crate::platform::money::Amount;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "sales_orders")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub number: String,
        pub customer_id: Uuid,
        pub contact_id: Option<Uuid>,
        pub quote_id: Option<Uuid>,
        pub warehouse_id: Option<Uuid>,
        pub status: SalesOrderStatus,
        pub order_date: Date,
        pub requested_delivery_date: Option<Date>,
        pub currency: String,
        #[sea_orm(column_type = "Text")]
        pub notes: String,
        pub subtotal: Amount,
        pub discount_total: Amount,
        pub tax_total: Amount,
        pub total: Amount,
        pub backordered: bool,
        pub line_count: i32,
        pub created_by: Option<Uuid>,
        pub confirmed_at: Option<DateTimeUtc>,
        pub fulfilled_at: Option<DateTimeUtc>,
        pub cancelled_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such sales order in this organization.",
        versioned
    );
}

pub mod order_line {
    use sea_orm::entity::prelude::*;

    use crate::platform::money::{Amount, Quantity};

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "sales_order_lines")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub sales_order_id: Uuid,
        pub line_no: i32,
        pub product_id: Option<Uuid>,
        #[sea_orm(column_type = "Text")]
        pub description: String,
        pub quantity: Quantity,
        pub unit_price: Amount,
        pub discount_percent: Quantity,
        pub tax_rate_id: Option<Uuid>,
        pub tax_percent: Quantity,
        pub subtotal: Amount,
        pub discount: Amount,
        pub tax: Amount,
        pub total: Amount,
        pub stocked: bool,
        pub reserved_quantity: Quantity,
        pub backordered_quantity: Quantity,
        pub delivered_quantity: Quantity,
        pub invoiced_quantity: Quantity,
    }
    crate::no_relations!();
}

pub mod fulfilment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "fulfilments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub number: String,
        pub sales_order_id: Uuid,
        pub warehouse_id: Option<Uuid>,
        #[sea_orm(column_type = "Text")]
        pub notes: String,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }
    crate::no_relations!();
}

pub mod fulfilment_line {
    use sea_orm::entity::prelude::*;

    use crate::platform::money::Quantity;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "fulfilment_lines")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub fulfilment_id: Uuid,
        pub order_line_id: Uuid,
        pub line_no: i32,
        pub product_id: Option<Uuid>,
        pub quantity: Quantity,
        pub movement_id: Option<Uuid>,
    }
    crate::no_relations!();
}
