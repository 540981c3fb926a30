//! The billing module's door for the rest of the application.

pub use super::permissions::PERMISSIONS;
