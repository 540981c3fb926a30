//! (being written)

use utoipa_actix_web::service_config::ServiceConfig;

/// Mounts these routes.
pub(super) fn mount(_cfg: &mut ServiceConfig) {}

/// Mounts the routes inside the `/crm` scope (lost reasons).
pub(super) fn mount_crm(_cfg: &mut ServiceConfig) {}
