//! The order half of lead-to-order: quotes, sales orders and fulfilments.
//! Stock moves only through `inventory::api` and tax rates come from
//! `accounting::api`, inside the documents' own transactions.

pub mod dto;
pub mod entities;
pub mod routes;
pub mod service;
