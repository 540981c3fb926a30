//! SeaORM entities of the CRM module (private to it), and the enums of its
//! kinds and states.

use sea_orm::sea_query::StringLen;

pub(crate) use crate::string_enum;

string_enum! {
    /// A company or a person.
    CustomerKind {
        /// A business.
        Company = "company",
        /// A private person.
        Person = "person",
    }
}

string_enum! {
    /// What a custom field belongs to.
    CustomFieldEntity {
        /// Customers.
        Customer = "customer",
        /// Contacts.
        Contact = "contact",
        /// Leads.
        Lead = "lead",
        /// Deals.
        Deal = "deal",
    }
}

string_enum! {
    /// The type of a custom field's value (and its JSON shape).
    CustomFieldType {
        /// A string.
        Text = "text",
        /// A whole number (JSON integer).
        Number = "number",
        /// An exact decimal, as a string (`"12.50"`).
        Decimal = "decimal",
        /// A calendar date, `YYYY-MM-DD`.
        Date = "date",
        /// `true` or `false`.
        Boolean = "boolean",
        /// One of the field's options.
        Select = "select",
        /// A list of the field's options.
        MultiSelect = "multi_select",
    }
}

string_enum! {
    /// Where a lead stands. `converted` is reached only by conversion and is
    /// final.
    LeadStatus {
        /// Not yet worked.
        New = "new",
        /// Reached out to.
        Contacted = "contacted",
        /// Worth a deal.
        Qualified = "qualified",
        /// Not worth pursuing.
        Unqualified = "unqualified",
        /// Converted into a customer and contact (read-only).
        Converted = "converted",
    }
}

string_enum! {
    /// What a scoring rule looks at.
    ScoringSubject {
        /// A field of the lead (`source`, `status`, `company`, `email`, `phone`, `estimated_value`, `owner_id`).
        Field = "field",
        /// A custom field of the lead (by key).
        CustomField = "custom_field",
        /// How many activities the lead had in the last `within_days` days (`field` is an activity kind or `any`).
        ActivityCount = "activity_count",
    }
}

string_enum! {
    /// How a scoring rule compares.
    ScoringOperator {
        /// Equal to `value`.
        Eq = "eq",
        /// Not equal to `value`.
        Ne = "ne",
        /// Text contains `value` (case-insensitive), or a list holds it.
        Contains = "contains",
        /// Greater than `value`.
        Gt = "gt",
        /// At least `value`.
        Gte = "gte",
        /// Less than `value`.
        Lt = "lt",
        /// At most `value`.
        Lte = "lte",
        /// One of the values in the list `value`.
        In = "in",
        /// Has a value.
        IsSet = "is_set",
        /// Has no value.
        IsNotSet = "is_not_set",
    }
}

string_enum! {
    /// A pipeline stage's kind, and so a deal's status.
    StageKind {
        /// Still being worked.
        Open = "open",
        /// Closed, won.
        Won = "won",
        /// Closed, lost (needs a lost reason).
        Lost = "lost",
    }
}

string_enum! {
    /// What an activity records.
    ActivityKind {
        /// A note.
        Note = "note",
        /// A phone call.
        Call = "call",
        /// An email.
        Email = "email",
        /// A meeting.
        Meeting = "meeting",
        /// A text message.
        Sms = "sms",
        /// Something to do.
        Task = "task",
    }
}

string_enum! {
    /// Which way a communication went.
    Direction {
        /// From them to us.
        Inbound = "inbound",
        /// From us to them.
        Outbound = "outbound",
    }
}

impl LeadStatus {
    /// The statuses a PATCH may set (conversion sets `converted`).
    pub const EDITABLE: &[Self] = &[
        Self::New,
        Self::Contacted,
        Self::Qualified,
        Self::Unqualified,
    ];
}

pub mod custom_field {
    use sea_orm::entity::prelude::*;

    use super::{CustomFieldEntity, CustomFieldType};

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "crm_custom_fields")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub entity: CustomFieldEntity,
        pub key: String,
        pub label: String,
        pub field_type: CustomFieldType,
        #[sea_orm(column_type = "JsonBinary")]
        pub options: Json,
        pub required: bool,
        #[sea_orm(column_type = "JsonBinary", nullable)]
        pub default_value: Option<Json>,
        pub position: i32,
        pub active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such custom field in this organization.",
        versioned
    );
}

pub mod customer {
    use sea_orm::entity::prelude::*;

    use super::CustomerKind;
    use crate::platform::money::Amount;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "customers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub name: String,
        pub kind: CustomerKind,
        pub email: Option<String>,
        pub phone: Option<String>,
        pub website: Option<String>,
        pub billing_address: String,
        pub shipping_address: String,
        pub tax_id: Option<String>,
        pub currency: String,
        pub payment_terms_days: i32,
        pub credit_limit: Option<Amount>,
        #[sea_orm(column_type = "JsonBinary")]
        pub tags: Json,
        pub owner_id: Option<Uuid>,
        #[sea_orm(column_type = "JsonBinary")]
        pub custom_fields: Json,
        pub active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such customer in this organization.",
        versioned
    );
}

pub mod contact {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "contacts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub first_name: String,
        pub last_name: String,
        pub email: Option<String>,
        pub email_key: Option<String>,
        pub phone: Option<String>,
        pub title: Option<String>,
        pub customer_id: Option<Uuid>,
        pub owner_id: Option<Uuid>,
        #[sea_orm(column_type = "JsonBinary")]
        pub tags: Json,
        #[sea_orm(column_type = "JsonBinary")]
        pub custom_fields: Json,
        pub do_not_contact: bool,
        pub active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such contact in this organization.",
        versioned
    );
}

pub mod lead {
    use sea_orm::entity::prelude::*;

    use super::LeadStatus;
    use crate::platform::money::Amount;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "leads")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub name: String,
        pub company: Option<String>,
        pub email: Option<String>,
        pub phone: Option<String>,
        pub source: Option<String>,
        pub status: LeadStatus,
        pub owner_id: Option<Uuid>,
        pub estimated_value: Option<Amount>,
        #[sea_orm(column_type = "JsonBinary")]
        pub custom_fields: Json,
        pub score: i32,
        #[sea_orm(column_type = "JsonBinary")]
        pub score_breakdown: Json,
        pub converted_customer_id: Option<Uuid>,
        pub converted_contact_id: Option<Uuid>,
        pub converted_deal_id: Option<Uuid>,
        pub converted_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such lead in this organization.",
        versioned
    );
}

pub mod scoring_rule {
    use sea_orm::entity::prelude::*;

    use super::{ScoringOperator, ScoringSubject};

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "lead_scoring_rules")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub name: String,
        pub subject: ScoringSubject,
        pub field: String,
        pub operator: ScoringOperator,
        #[sea_orm(column_type = "JsonBinary", nullable)]
        pub value: Option<Json>,
        pub within_days: Option<i32>,
        pub points: i32,
        pub active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such scoring rule in this organization.",
        versioned
    );
}

pub mod pipeline {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "pipelines")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub name: String,
        pub is_default: bool,
        pub active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such pipeline in this organization.",
        versioned
    );
}

pub mod stage {
    use sea_orm::entity::prelude::*;

    use super::StageKind;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "pipeline_stages")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub pipeline_id: Uuid,
        pub name: String,
        pub position: i32,
        pub probability: i32,
        pub kind: StageKind,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such stage in this organization.",
        versioned
    );
}

pub mod lost_reason {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "lost_reasons")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub name: String,
        pub active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such lost reason in this organization.",
        versioned
    );
}

pub mod deal {
    use sea_orm::entity::prelude::*;

    use super::StageKind;
    use crate::platform::money::Amount;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "deals")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub title: String,
        pub customer_id: Option<Uuid>,
        pub contact_id: Option<Uuid>,
        pub pipeline_id: Uuid,
        pub stage_id: Uuid,
        pub status: StageKind,
        pub amount: Amount,
        pub currency: String,
        pub expected_close_date: Option<Date>,
        pub owner_id: Option<Uuid>,
        pub lost_reason_id: Option<Uuid>,
        pub lead_id: Option<Uuid>,
        #[sea_orm(column_type = "JsonBinary")]
        pub custom_fields: Json,
        pub closed_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such deal in this organization.",
        versioned
    );
}

pub mod stage_change {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "deal_stage_history")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub deal_id: Uuid,
        pub from_stage_id: Option<Uuid>,
        pub to_stage_id: Uuid,
        pub moved_at: DateTimeUtc,
        pub moved_by: Option<Uuid>,
    }
    crate::no_relations!();
}

pub mod activity {
    use sea_orm::entity::prelude::*;

    use super::{ActivityKind, Direction};

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "activities")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub kind: ActivityKind,
        pub direction: Option<Direction>,
        pub subject: String,
        pub body: String,
        pub due_at: Option<DateTimeUtc>,
        pub done: bool,
        pub done_at: Option<DateTimeUtc>,
        pub assignee_id: Option<Uuid>,
        pub lead_id: Option<Uuid>,
        pub contact_id: Option<Uuid>,
        pub customer_id: Option<Uuid>,
        pub deal_id: Option<Uuid>,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub version: i32,
    }
    crate::no_relations!();
    crate::tenant_entity!(
        Entity,
        OrganizationId,
        "No such activity in this organization.",
        versioned
    );
}

pub mod timeline {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "crm_timeline")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub customer_id: Option<Uuid>,
        pub contact_id: Option<Uuid>,
        pub lead_id: Option<Uuid>,
        pub deal_id: Option<Uuid>,
        pub kind: String,
        pub ref_id: Option<Uuid>,
        #[sea_orm(column_type = "JsonBinary")]
        pub details: Json,
        pub actor_id: Option<Uuid>,
        pub occurred_at: DateTimeUtc,
    }
    crate::no_relations!();
}
