//! (being written)

use utoipa_actix_web::service_config::ServiceConfig;

/// Mounts these routes.
pub(super) fn mount(_cfg: &mut ServiceConfig) {}
