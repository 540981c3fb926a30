//! Billing use cases; each owns its transaction and posts through
//! `accounting::api` inside it.

pub mod credit_notes;
pub mod documents;
pub mod drafts;
pub mod issue;
pub mod methods;
pub mod order_invoicing;
pub mod out;
pub mod payments;
pub mod reports;
pub mod settlement;

/// The time now, to the microsecond the databases store, so that what a
/// write answers is what a later read shows.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 6)
}
