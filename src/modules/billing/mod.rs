//! Billing: invoices and supplier bills, credit notes, payments received
//! and sent with their allocations and refunds, customers' tokenized
//! payment methods, aging reports and statements.
//!
//! Depends on `platform`, `auth`, `accounting`, `inventory` and `crm`
//! through their `api` modules only; every document posts to the ledger in
//! its own transaction. The receivable and payable accounts always equal
//! the open balances of documents less unallocated credit: every movement
//! of money posts, and every application is a conditional update.

pub mod api;
mod dto;
mod entities;
pub(crate) mod pdf;
mod permissions;
mod routes;
mod service;

pub(crate) use routes::{configure, configure_foreign};
