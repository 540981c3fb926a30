//! Customers, contacts and their timelines: bodies, filters and conversions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::{FieldValue, currency_code};
use crate::{
    apply_patch,
    modules::crm::{
        entities::{CustomerKind, contact, customer, timeline},
        service::tags_of,
    },
    platform::{money::Amount, tenant::trimmed},
};

/// Open deals of a customer in one currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CurrencyTotal {
    /// ISO 4217 code.
    pub currency: String,
    /// Sum of the open deals' amounts in this currency.
    pub amount: Amount,
}

/// Counts around a customer (in `GET /customers/{id}` only).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerSummary {
    /// Active contacts of the customer.
    pub contacts: u64,
    /// Deals of the customer with status `open`.
    pub open_deals: u64,
    /// The open deals' value, per currency (by currency code).
    pub open_deal_value: Vec<CurrencyTotal>,
    /// Sales orders of the customer, cancelled ones aside.
    pub orders: u64,
    /// The latest order date among them.
    pub last_order_date: Option<chrono::NaiveDate>,
}

/// A customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerOut {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// `company` or `person`.
    pub kind: CustomerKind,
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Billing address.
    pub billing_address: String,
    /// Shipping address.
    pub shipping_address: String,
    /// Tax or VAT id.
    pub tax_id: Option<String>,
    /// ISO 4217 currency the customer is invoiced in.
    pub currency: String,
    /// Days from invoice to payment.
    pub payment_terms_days: i32,
    /// Credit limit (`null`: none set).
    pub credit_limit: Option<Amount>,
    /// Tags (lower-case).
    pub tags: Vec<String>,
    /// Owner (a member of the organization).
    pub owner_id: Option<Uuid>,
    /// Custom field values by key.
    #[schema(value_type = HashMap<String, FieldValue>)]
    pub custom_fields: Value,
    /// Archived customers are hidden from lists by default.
    pub active: bool,
    /// Contacts and open deals: filled by `GET /customers/{id}`, `null` in
    /// lists and in the answers of writes.
    pub summary: Option<CustomerSummary>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Version (ETag).
    pub version: i32,
}

/// `POST /customers`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Acme Retail Ltd", "kind": "company", "email": "accounts@acme-retail.example",
    "phone": "+44 20 7946 0018", "website": "https://acme-retail.example",
    "billing_address": "1 High Street, Leeds LS1 1AA", "shipping_address": "Unit 4, Dock Road, Leeds LS10 1AB",
    "tax_id": "GB123456789", "currency": "GBP", "payment_terms_days": 30, "credit_limit": "5000.00",
    "tags": ["wholesale", "north"]
}))]
pub struct CustomerIn {
    /// Name.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "Acme Retail Ltd")]
    pub name: String,
    /// `company` (default) or `person`.
    pub kind: Option<CustomerKind>,
    /// Email.
    #[validate(email, length(max = 254))]
    #[schema(max_length = 254, format = Email)]
    pub email: Option<String>,
    /// Phone.
    #[validate(length(min = 1, max = 40))]
    #[schema(min_length = 1, max_length = 40)]
    pub phone: Option<String>,
    /// Website (an absolute URL).
    #[validate(url, length(max = 500))]
    #[schema(max_length = 500, format = "uri")]
    pub website: Option<String>,
    /// Billing address.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    #[serde(default)]
    pub billing_address: String,
    /// Shipping address.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    #[serde(default)]
    pub shipping_address: String,
    /// Tax or VAT id.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    pub tax_id: Option<String>,
    /// ISO 4217 currency code in capitals.
    #[validate(custom(function = "currency_code"))]
    #[schema(
        pattern = "^[A-Z]{3}$",
        min_length = 3,
        max_length = 3,
        example = "GBP"
    )]
    pub currency: String,
    /// Days from invoice to payment (0 to 365, default 30).
    #[validate(range(min = 0, max = 365))]
    #[schema(minimum = 0, maximum = 365)]
    pub payment_terms_days: Option<i32>,
    /// Credit limit (not negative).
    pub credit_limit: Option<Amount>,
    /// Tags: each 1 to 50 characters, stored lower-case without repeats.
    #[validate(length(max = 50))]
    #[schema(max_items = 50)]
    #[serde(default)]
    pub tags: Vec<String>,
    /// Owner: an active member of the organization.
    pub owner_id: Option<Uuid>,
    /// Custom field values by key (see `/crm/custom-fields`, entity `customer`).
    #[schema(value_type = Option<HashMap<String, FieldValue>>)]
    pub custom_fields: Option<Map<String, Value>>,
}

/// `PATCH /customers/{id}`.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "payment_terms_days": 45, "credit_limit": "7500.00", "tags": ["wholesale"], "website": null }))]
pub struct CustomerPatch {
    /// New name.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// New kind.
    pub kind: Option<CustomerKind>,
    /// New email (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[validate(email, length(max = 254))]
    #[schema(max_length = 254, format = Email)]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    /// New phone (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[validate(length(min = 1, max = 40))]
    #[schema(min_length = 1, max_length = 40)]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    /// New website (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[validate(url, length(max = 500))]
    #[schema(max_length = 500, format = "uri")]
    #[schema(value_type = Option<String>)]
    pub website: Option<Option<String>>,
    /// New billing address.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub billing_address: Option<String>,
    /// New shipping address.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub shipping_address: Option<String>,
    /// New tax id (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64)]
    #[schema(value_type = Option<String>)]
    pub tax_id: Option<Option<String>>,
    /// New currency.
    #[validate(custom(function = "currency_code"))]
    #[schema(pattern = "^[A-Z]{3}$", min_length = 3, max_length = 3)]
    pub currency: Option<String>,
    /// New payment terms in days.
    #[validate(range(min = 0, max = 365))]
    #[schema(minimum = 0, maximum = 365)]
    pub payment_terms_days: Option<i32>,
    /// New credit limit, not negative (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<Amount>)]
    pub credit_limit: Option<Option<Amount>>,
    /// New tags (replace the old ones).
    #[validate(length(max = 50))]
    #[schema(max_items = 50)]
    pub tags: Option<Vec<String>>,
    /// New owner (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub owner_id: Option<Option<Uuid>>,
    /// Custom field values to set (`null` removes one); others stay.
    #[schema(value_type = Option<HashMap<String, FieldValue>>)]
    pub custom_fields: Option<Map<String, Value>>,
    /// Re-activate (archive with DELETE).
    pub active: Option<bool>,
}

/// How `GET /customers` is ordered: a key, `-` first for descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema)]
pub enum CustomerSort {
    /// Newest first (the default).
    #[default]
    #[serde(rename = "-created_at")]
    CreatedAtDesc,
    /// Oldest first.
    #[serde(rename = "created_at")]
    CreatedAt,
    /// By name.
    #[serde(rename = "name")]
    Name,
    /// By name, descending.
    #[serde(rename = "-name")]
    NameDesc,
}

/// Filters of `GET /customers` (besides `cf.<key>` custom-field filters).
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CustomerFilter {
    /// Name starts with (case-insensitive; `%` and `_` are ignored).
    #[validate(length(max = 200))]
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Only customers with this tag.
    #[validate(length(min = 1, max = 50))]
    #[param(min_length = 1, max_length = 50)]
    pub tag: Option<String>,
    /// Only customers owned by this user (`me`: the caller).
    #[validate(custom(function = "super::user_ref"))]
    #[param(
        pattern = "^(me|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$",
        example = "me"
    )]
    pub owner: Option<String>,
    /// Active (default) or archived customers.
    pub active: Option<bool>,
    /// `company` or `person`.
    pub kind: Option<CustomerKind>,
    /// `-created_at` (default), `created_at`, `name` or `-name`.
    #[param(example = "name", inline)]
    pub sort: Option<CustomerSort>,
    /// Rows per page (1 to 200, default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A contact: a person, at a customer or on their own.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactOut {
    /// Id.
    pub id: Uuid,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Email.
    pub email: Option<String>,
    /// Whether the contact holds its email exclusively (`false`: written
    /// with `allow_duplicate`, or no email).
    pub email_claimed: bool,
    /// Phone.
    pub phone: Option<String>,
    /// Job title.
    pub title: Option<String>,
    /// The customer the contact works for.
    pub customer_id: Option<Uuid>,
    /// Owner (a member of the organization).
    pub owner_id: Option<Uuid>,
    /// Tags (lower-case).
    pub tags: Vec<String>,
    /// Custom field values by key.
    #[schema(value_type = HashMap<String, FieldValue>)]
    pub custom_fields: Value,
    /// The contact asked not to be contacted.
    pub do_not_contact: bool,
    /// Archived contacts are hidden from lists by default.
    pub active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Version (ETag).
    pub version: i32,
}

/// `POST /contacts`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "first_name": "Ada", "last_name": "Lovelace", "email": "ada.lovelace@acme-retail.example",
    "phone": "+44 20 7946 0020", "title": "Head of Purchasing", "tags": ["decision-maker"],
    "do_not_contact": false
}))]
pub struct ContactIn {
    /// First name.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "Ada")]
    pub first_name: String,
    /// Last name.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "Lovelace")]
    pub last_name: String,
    /// Email: one contact per email in the organization (case-insensitive;
    /// 409 `contact_email_taken`) unless `allow_duplicate`.
    #[validate(email, length(max = 254))]
    #[schema(max_length = 254, format = Email)]
    pub email: Option<String>,
    /// Store the email even if another contact has it (this contact then
    /// does not hold it exclusively).
    #[serde(default)]
    pub allow_duplicate: bool,
    /// Phone.
    #[validate(length(min = 1, max = 40))]
    #[schema(min_length = 1, max_length = 40)]
    pub phone: Option<String>,
    /// Job title.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub title: Option<String>,
    /// A customer of this organization.
    pub customer_id: Option<Uuid>,
    /// Owner: an active member of the organization.
    pub owner_id: Option<Uuid>,
    /// Tags: each 1 to 50 characters, stored lower-case without repeats.
    #[validate(length(max = 50))]
    #[schema(max_items = 50)]
    #[serde(default)]
    pub tags: Vec<String>,
    /// Custom field values by key (see `/crm/custom-fields`, entity `contact`).
    #[schema(value_type = Option<HashMap<String, FieldValue>>)]
    pub custom_fields: Option<Map<String, Value>>,
    /// The contact asked not to be contacted (default false).
    #[serde(default)]
    pub do_not_contact: bool,
}

/// `PATCH /contacts/{id}`.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "title": "Purchasing Director", "email": "ada@acme-retail.example", "allow_duplicate": false }))]
pub struct ContactPatch {
    /// New first name.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub first_name: Option<String>,
    /// New last name.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub last_name: Option<String>,
    /// New email (`null` clears it); the same rule as on create.
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[validate(email, length(max = 254))]
    #[schema(max_length = 254, format = Email)]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    /// With a new `email`: store it even if another contact has it.
    #[serde(default)]
    pub allow_duplicate: bool,
    /// New phone (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[validate(length(min = 1, max = 40))]
    #[schema(min_length = 1, max_length = 40)]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    /// New job title (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    #[schema(value_type = Option<String>)]
    pub title: Option<Option<String>>,
    /// New customer (`null` detaches the contact).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub customer_id: Option<Option<Uuid>>,
    /// New owner (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub owner_id: Option<Option<Uuid>>,
    /// New tags (replace the old ones).
    #[validate(length(max = 50))]
    #[schema(max_items = 50)]
    pub tags: Option<Vec<String>>,
    /// Custom field values to set (`null` removes one); others stay.
    #[schema(value_type = Option<HashMap<String, FieldValue>>)]
    pub custom_fields: Option<Map<String, Value>>,
    /// New do-not-contact flag.
    pub do_not_contact: Option<bool>,
    /// Re-activate (archive with DELETE).
    pub active: Option<bool>,
}

/// How `GET /contacts` is ordered: a key, `-` first for descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema)]
pub enum ContactSort {
    /// Newest first (the default).
    #[default]
    #[serde(rename = "-created_at")]
    CreatedAtDesc,
    /// Oldest first.
    #[serde(rename = "created_at")]
    CreatedAt,
    /// By last name.
    #[serde(rename = "last_name")]
    LastName,
    /// By last name, descending.
    #[serde(rename = "-last_name")]
    LastNameDesc,
}

/// Filters of `GET /contacts` (besides `cf.<key>` custom-field filters).
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ContactFilter {
    /// First name, last name or email starts with (case-insensitive; `%`
    /// and `_` are ignored).
    #[validate(length(max = 200))]
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Only contacts of this customer.
    pub customer: Option<Uuid>,
    /// Only contacts with this tag.
    #[validate(length(min = 1, max = 50))]
    #[param(min_length = 1, max_length = 50)]
    pub tag: Option<String>,
    /// Only contacts owned by this user (`me`: the caller).
    #[validate(custom(function = "super::user_ref"))]
    #[param(
        pattern = "^(me|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$",
        example = "me"
    )]
    pub owner: Option<String>,
    /// Active (default) or archived contacts.
    pub active: Option<bool>,
    /// Only contacts who asked not to be contacted (`true`) or the others.
    pub do_not_contact: Option<bool>,
    /// `-created_at` (default), `created_at`, `last_name` or `-last_name`.
    #[param(example = "last_name", inline)]
    pub sort: Option<ContactSort>,
    /// Rows per page (1 to 200, default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One event in the timeline of a customer or contact.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntryOut {
    /// Id (entries are ordered by it).
    pub id: Uuid,
    /// What happened: `activity`, `stage_change`, `conversion`, ...
    pub kind: String,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// Who did it (`null`: the system).
    pub actor_id: Option<Uuid>,
    /// The record the event is about (the activity, deal or lead).
    pub ref_id: Option<Uuid>,
    /// The customer.
    pub customer_id: Option<Uuid>,
    /// The contact.
    pub contact_id: Option<Uuid>,
    /// The lead.
    pub lead_id: Option<Uuid>,
    /// The deal.
    pub deal_id: Option<Uuid>,
    /// Event details (their shape depends on `kind`).
    #[schema(value_type = Object)]
    pub details: Value,
}

/// Paging of a timeline (newest first).
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TimelineFilter {
    /// Rows per page (1 to 200, default 50).
    #[validate(range(min = 1, max = 200))]
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl CustomerOut {
    /// With the counts of `GET /customers/{id}`.
    pub fn with_summary(mut self, summary: CustomerSummary) -> Self {
        self.summary = Some(summary);
        self
    }
}

impl From<customer::Model> for CustomerOut {
    fn from(m: customer::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            kind: m.kind,
            email: m.email,
            phone: m.phone,
            website: m.website,
            billing_address: m.billing_address,
            shipping_address: m.shipping_address,
            tax_id: m.tax_id,
            currency: m.currency,
            payment_terms_days: m.payment_terms_days,
            credit_limit: m.credit_limit,
            tags: tags_of(&m.tags),
            owner_id: m.owner_id,
            custom_fields: m.custom_fields,
            active: m.active,
            summary: None,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

impl From<contact::Model> for ContactOut {
    fn from(m: contact::Model) -> Self {
        Self {
            id: m.id,
            first_name: m.first_name,
            last_name: m.last_name,
            email: m.email,
            email_claimed: m.email_key.is_some(),
            phone: m.phone,
            title: m.title,
            customer_id: m.customer_id,
            owner_id: m.owner_id,
            tags: tags_of(&m.tags),
            custom_fields: m.custom_fields,
            do_not_contact: m.do_not_contact,
            active: m.active,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

impl From<timeline::Model> for TimelineEntryOut {
    fn from(m: timeline::Model) -> Self {
        Self {
            id: m.id,
            kind: m.kind,
            occurred_at: m.occurred_at,
            actor_id: m.actor_id,
            ref_id: m.ref_id,
            customer_id: m.customer_id,
            contact_id: m.contact_id,
            lead_id: m.lead_id,
            deal_id: m.deal_id,
            details: m.details,
        }
    }
}

// Tags and custom fields (and a contact's email, with its claim) have rules
// of their own: the services set them.
apply_patch!(CustomerPatch => customer::ActiveModel {
    name => trimmed, kind, email, phone, website, billing_address, shipping_address, tax_id,
    currency, payment_terms_days, credit_limit, owner_id, active,
});

apply_patch!(ContactPatch => contact::ActiveModel {
    first_name => trimmed, last_name => trimmed, phone, title, customer_id, owner_id,
    do_not_contact, active,
});
