//! Request and response bodies of billing.

mod documents;
mod payments;
mod reports;

pub use documents::*;
pub use payments::*;
pub use reports::*;
