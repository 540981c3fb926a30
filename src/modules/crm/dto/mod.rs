//! Request and response bodies of the CRM module, by topic.

mod activities;
mod custom_fields;
mod deals;
mod leads;
mod parties;

#[allow(unused_imports)]
pub use activities::*;
pub use custom_fields::*;
#[allow(unused_imports)]
pub use deals::*;
#[allow(unused_imports)]
pub use leads::*;
#[allow(unused_imports)]
pub use parties::*;

pub use crate::platform::money::currency_code;

/// A custom-field or scoring-rule value: text (also decimals as strings and
/// dates `YYYY-MM-DD`), a whole number, true or false, or a list of texts.
/// (Documentation only: the value is checked against its field's type.)
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum FieldValue {
    /// Text, a decimal as a string, or a date.
    Text(String),
    /// A whole number.
    Number(i64),
    /// True or false.
    Boolean(bool),
    /// Options of a multi-select, or the values of an `in` rule.
    List(Vec<String>),
}

/// A member filter (`owner`, `assignee`): `me` (the caller) or a member id
/// (hyphenated); `service::user_of` reads it.
pub fn user_ref(s: &str) -> Result<(), validator::ValidationError> {
    if s == "me" || (s.len() == 36 && uuid::Uuid::parse_str(s).is_ok()) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("pattern")
            .with_message("must be a member id or `me`".into()))
    }
}
