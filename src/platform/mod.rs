//! The shared kernel: configuration, database, errors, extractors, cache,
//! pagination, exact numbers, numbering, audit, idempotency, telemetry and
//! OpenAPI. No business rules live here and no domain module is imported.

pub mod audit;
pub mod auth;
pub mod cache;
pub mod card;
pub mod client_ip;
pub mod conditional;
pub mod config;
pub mod db;
pub mod error;
pub mod extract;
pub mod hierarchy;
pub mod idempotency;
pub mod lifecycle;
pub mod money;
pub mod numbering;
pub mod openapi;
pub mod openapi_finish;
pub mod pagination;
pub mod prelude;
pub mod pricing;
pub mod probes;
pub mod request_id;
pub mod session_cache;
pub mod state;
pub mod telemetry;
pub mod tenant;
