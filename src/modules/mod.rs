//! Domain modules, each owning its tables and exposing only `api`.
//! `configure` mounts every module's routes under `/api/v1`.

use utoipa_actix_web::service_config::ServiceConfig;

use crate::platform::{auth::Catalogue, state::FoundedHook};

pub mod accounting;
pub mod auth;
pub mod billing;
pub mod crm;
pub mod inventory;

/// Every module's permissions (each module declares its own).
pub const PERMISSIONS: Catalogue = Catalogue::new(&[
    auth::api::PERMISSIONS,
    accounting::api::PERMISSIONS,
    inventory::api::PERMISSIONS,
    crm::api::PERMISSIONS,
    billing::api::PERMISSIONS,
]);

/// What each module does when an organization is founded.
pub const FOUNDED: &[FoundedHook] = &[
    accounting::api::organization_founded,
    crm::api::organization_founded,
];

/// Mounts every module's routes (called inside the `/api/v1` scope).
pub fn configure(cfg: &mut ServiceConfig) {
    auth::configure(cfg);
    accounting::configure(cfg);
    billing::configure_foreign(cfg);
    crm::configure_foreign(cfg);
    inventory::configure(cfg);
    crm::configure(cfg);
    billing::configure(cfg);
}
