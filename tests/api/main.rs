//! The one integration-test binary: behaviour through HTTP against the real app.
//! Set `TEST_DATABASE_URL` (PostgreSQL) and `TEST_REDIS_URL` to run the same
//! tests against those backends.

mod access;
mod accounting;
mod auth;
mod billing;
mod billing_cards;
mod billing_ledger;
mod cache;
mod cli;
mod contract;
mod crm;
mod crm_activities;
mod crm_deals;
mod crm_leads;
mod crm_parties;
mod deploy;
mod errors;
mod helpers;
mod idempotency;
mod inventory;
mod mail;
mod numbering_audit;
mod openapi;
mod perpetual;
mod probes;
mod procurement;
mod reliability;
mod sales;
mod sales_api;
mod sales_fulfilment;
mod sales_orders;
mod versioning;
