//! Custom field definitions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::FieldValue;
use crate::{
    apply_patch,
    modules::crm::entities::{CustomFieldEntity, CustomFieldType, custom_field},
    platform::tenant::trimmed,
};

/// A custom field definition.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomFieldOut {
    /// Id.
    pub id: Uuid,
    /// The record type it belongs to.
    pub entity: CustomFieldEntity,
    /// The key values are stored and filtered under (`cf.<key>=`).
    pub key: String,
    /// Label shown to people.
    pub label: String,
    /// Value type.
    #[serde(rename = "type")]
    pub field_type: CustomFieldType,
    /// Allowed values of `select` and `multi_select` fields.
    pub options: Vec<String>,
    /// Every new record must carry a value (changes may not remove it).
    pub required: bool,
    /// Value given to new records that carry none (of the field's type).
    #[schema(value_type = Option<FieldValue>, example = json!("retail"))]
    pub default_value: Option<Value>,
    /// Display order.
    pub position: i32,
    /// Archived fields are no longer accepted in writes.
    pub active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Version (ETag).
    pub version: i32,
}

/// `POST /crm/custom-fields`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "entity": "contact", "key": "industry", "label": "Industry", "type": "select",
    "options": ["retail", "manufacturing", "services"], "required": false, "default_value": "retail"
}))]
pub struct CustomFieldIn {
    /// Record type: customer, contact, lead or deal.
    pub entity: CustomFieldEntity,
    /// Key: lower-case letters, digits and `_`, starting with a letter.
    #[validate(length(min = 1, max = 64), custom(function = "valid_key"))]
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = "^[a-z][a-z0-9_]*$",
        example = "industry"
    )]
    pub key: String,
    /// Label.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "Industry")]
    pub label: String,
    /// Value type.
    #[serde(rename = "type")]
    pub field_type: CustomFieldType,
    /// Options of a select or multi-select field (required for those, refused for others).
    #[serde(default)]
    #[validate(length(max = 100))]
    #[schema(max_items = 100)]
    pub options: Vec<String>,
    /// New records must carry a value.
    #[serde(default)]
    pub required: bool,
    /// Default for new records (of the field's type).
    #[schema(value_type = Option<FieldValue>, example = json!("retail"))]
    pub default_value: Option<Value>,
    /// Display order (default 0).
    pub position: Option<i32>,
}

/// `PATCH /crm/custom-fields/{id}`: the key, record type and value type are fixed.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "label": "Sector", "options": ["retail", "manufacturing", "services", "public"] }))]
pub struct CustomFieldPatch {
    /// New label.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub label: Option<String>,
    /// New options (select fields).
    #[validate(length(max = 100))]
    #[schema(max_items = 100)]
    pub options: Option<Vec<String>>,
    /// Required from now on (existing records are not checked).
    pub required: Option<bool>,
    /// New default (`null` clears it).
    #[serde(default, deserialize_with = "crate::platform::extract::double_option")]
    #[schema(value_type = Option<FieldValue>, example = json!("services"))]
    pub default_value: Option<Option<Value>>,
    /// New display order.
    pub position: Option<i32>,
    /// Re-activate (archive with DELETE).
    pub active: Option<bool>,
}

apply_patch!(CustomFieldPatch => custom_field::ActiveModel { label => trimmed, required, position, active });

/// Filters of `GET /crm/custom-fields`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CustomFieldFilter {
    /// Only this record type.
    pub entity: Option<CustomFieldEntity>,
    /// Only active (`true`) or archived (`false`) fields.
    pub active: Option<bool>,
}

/// A custom field key: a lower-case letter, then lower-case letters, digits
/// and `_` (it is also a JSON path segment and a query parameter name).
pub fn valid_key(key: &str) -> Result<(), validator::ValidationError> {
    let mut chars = key.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    if first_ok && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        Ok(())
    } else {
        Err(validator::ValidationError::new("pattern").with_message(
            "must be lower-case letters, digits and _, starting with a letter".into(),
        ))
    }
}

impl From<custom_field::Model> for CustomFieldOut {
    fn from(m: custom_field::Model) -> Self {
        Self {
            id: m.id,
            entity: m.entity,
            key: m.key,
            label: m.label,
            field_type: m.field_type,
            options: m
                .options
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|o| o.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            required: m.required,
            default_value: m.default_value,
            position: m.position,
            active: m.active,
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}
