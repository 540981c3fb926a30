//! Identity and access: organizations, people and their memberships, roles
//! and permissions, sessions (JWT access tokens, rotating refresh tokens),
//! passwords, plans and the audit-log reader.
//!
//! Exposes only [`api`]: the session resolver the platform's `Principal`
//! extractor uses, and plan limits other modules enforce.

pub mod api;
mod catalog;
mod dto;
mod entities;
mod permissions;
mod routes;
mod service;

pub(crate) use routes::configure;
