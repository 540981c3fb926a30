//! Inventory: products, warehouses, and a stock ledger that cannot lie:
//! levels per product and warehouse changed only together with an immutable
//! movement, never below zero, never with reserved above on hand.
//!
//! Exposes only [`api`]: stock operations other modules run inside their own
//! transaction.

pub mod api;
mod dto;
mod entities;
mod permissions;
mod routes;
mod service;

pub(crate) use routes::configure;
