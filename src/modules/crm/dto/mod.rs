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

/// An ISO 4217-shaped currency code (three capitals).
pub fn currency_code(code: &str) -> Result<(), validator::ValidationError> {
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("currency")
            .with_message("must be a three-letter ISO 4217 code in capitals, like EUR".into()))
    }
}
