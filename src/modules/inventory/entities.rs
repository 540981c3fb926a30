//! SeaORM entities of the inventory module (private to it).

use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a product is: stock is counted in warehouses, a service is not.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(16))",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum ProductKind {
    /// Counted in warehouses; moves through the stock ledger.
    #[default]
    Stock,
    /// Sold, never stocked.
    Service,
}

/// What a stock movement records.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(16))",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// Goods in.
    Receipt,
    /// Goods out (sold, consumed).
    Issue,
    /// A correction (count or adjustment).
    Adjustment,
    /// The leaving leg of a transfer.
    TransferOut,
    /// The arriving leg of a transfer.
    TransferIn,
}

/// The life of a purchase order: draft -> ordered -> partially_received ->
/// received, or cancelled from draft or ordered (the transition table is
/// `PurchaseOrderStatus::TRANSITIONS`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(24))",
    rename_all = "snake_case"
)]
#[serde(rename_all = "snake_case")]
pub enum PurchaseOrderStatus {
    /// Being written; lines may change.
    Draft,
    /// Sent to the supplier; takes receipts.
    Ordered,
    /// Some goods received.
    PartiallyReceived,
    /// Every line received in full.
    Received,
    /// Called off.
    Cancelled,
}

impl PurchaseOrderStatus {
    /// Every allowed move: (from, to). A move is one conditional update on
    /// the current status (`procurement::move_state`).
    pub const TRANSITIONS: &[(Self, Self)] = &[
        (Self::Draft, Self::Ordered),
        (Self::Draft, Self::Cancelled),
        (Self::Ordered, Self::Cancelled),
        (Self::Ordered, Self::PartiallyReceived),
        (Self::PartiallyReceived, Self::PartiallyReceived),
        (Self::PartiallyReceived, Self::Received),
    ];

    /// The states `to` can be reached from.
    pub fn sources(to: Self) -> Vec<Self> {
        crate::platform::tenant::sources_of(Self::TRANSITIONS, to)
    }

    /// The wire (and database) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Ordered => "ordered",
            Self::PartiallyReceived => "partially_received",
            Self::Received => "received",
            Self::Cancelled => "cancelled",
        }
    }
}

impl std::fmt::Display for PurchaseOrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

pub mod category {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "categories")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub name: String,
        pub parent_id: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such category in this organization.",
        versioned
    );
}

pub mod product {
    use sea_orm::entity::prelude::*;

    use crate::platform::money::{Amount, Quantity};

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "products")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub sku: String,
        pub name: String,
        #[sea_orm(column_type = "Text")]
        pub description: String,
        pub category_id: Option<Uuid>,
        pub kind: super::ProductKind,
        pub uom: String,
        pub sale_price: Amount,
        pub standard_cost: Amount,
        pub reorder_point: Quantity,
        pub reorder_quantity: Quantity,
        pub barcode: Option<String>,
        pub active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such product in this organization.",
        versioned
    );
}

pub mod warehouse {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "warehouses")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub code: String,
        pub name: String,
        #[sea_orm(column_type = "Text")]
        pub address: String,
        pub active: bool,
        pub is_default: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such warehouse in this organization.",
        versioned
    );
}

pub mod stock_level {
    use sea_orm::entity::prelude::*;

    use crate::platform::money::{Amount, Quantity};

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "stock_levels")]
    pub struct Model {
        pub organization_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub product_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub warehouse_id: Uuid,
        pub on_hand: Quantity,
        pub reserved: Quantity,
        pub avg_cost: Amount,
        pub updated_at: DateTimeUtc,
        /// Exact stock value (scale 4): moves only by movement values.
        pub value: Amount,
        /// The value the last change of this row moved (read back after a
        /// conditional UPDATE that computed it from the row as it was).
        pub moved_value: Amount,
    }
    crate::no_relations!();
}

pub mod stock_movement {
    use sea_orm::entity::prelude::*;

    use crate::platform::money::{Amount, Quantity};

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "stock_movements")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub product_id: Uuid,
        pub warehouse_id: Uuid,
        pub kind: super::MovementKind,
        pub quantity: Quantity,
        pub unit_cost: Amount,
        /// Signed exact value the movement moved (what is posted).
        pub value: Amount,
        pub reason: String,
        pub reference_type: Option<String>,
        pub reference_id: Option<String>,
        pub transfer_id: Option<Uuid>,
        pub actor_id: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }
    crate::no_relations!();
}

pub mod supplier {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "suppliers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub name: String,
        pub email: Option<String>,
        pub phone: Option<String>,
        #[sea_orm(column_type = "Text")]
        pub address: String,
        pub tax_id: Option<String>,
        pub payment_terms_days: i32,
        pub currency: String,
        pub active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such supplier in this organization.",
        versioned
    );
}

pub mod purchase_order {
    use sea_orm::entity::prelude::*;

    use crate::platform::money::Amount;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "purchase_orders")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub number: String,
        pub supplier_id: Uuid,
        pub status: super::PurchaseOrderStatus,
        pub currency: String,
        pub warehouse_id: Option<Uuid>,
        pub expected_on: Option<Date>,
        #[sea_orm(column_type = "Text")]
        pub notes: String,
        pub total_amount: Amount,
        pub created_by: Option<Uuid>,
        pub ordered_at: Option<DateTimeUtc>,
        pub received_at: Option<DateTimeUtc>,
        pub cancelled_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such purchase order in this organization.",
        versioned
    );
}

pub mod purchase_order_line {
    use sea_orm::entity::prelude::*;

    use crate::platform::money::{Amount, Quantity};

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "purchase_order_lines")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub purchase_order_id: Uuid,
        pub line_no: i32,
        pub product_id: Uuid,
        pub quantity: Quantity,
        pub received_quantity: Quantity,
        pub unit_cost: Amount,
        pub billed_quantity: Quantity,
    }
    crate::no_relations!();
}
