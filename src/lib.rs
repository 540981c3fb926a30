//! Mainstay: a multi-tenant ERP/CRM backend.
//!
//! `platform` is the shared kernel, `modules` the business domains, and
//! `startup` assembles them into one server (used by `main` and the tests).

pub mod modules;
pub mod platform;
pub mod startup;
