//! Accounting: the chart of accounts, tax rates, fiscal years and periods,
//! and a double-entry journal the database keeps balanced: a posted entry's
//! debits equal its credits exactly (integers, scale 4), and it never
//! changes again; corrections are reversals.
//!
//! Exposes only [`api`]: posting from other modules inside their own
//! transaction, the posting roles, tax rates, and the chart a new
//! organization starts with.

pub mod api;
mod dto;
mod entities;
mod permissions;
mod routes;
mod service;

pub(crate) use routes::configure;
