//! CRM, the relationship half of lead-to-order: customers, contacts, custom
//! fields, leads with explainable scoring and one-step conversion, pipelines
//! with deals, activities and the timeline of customers and contacts; and
//! the order half: quotes, sales orders and their fulfilments (`sales`).
//!
//! Exposes only [`api`]: customer and contact existence and summaries for
//! other modules (billing, tickets), inside their own transaction.

pub mod api;
mod dto;
mod entities;
mod permissions;
mod routes;
mod sales;
mod service;

pub(crate) use routes::{configure, configure_foreign};
