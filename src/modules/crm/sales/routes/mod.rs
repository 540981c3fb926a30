//! HTTP handlers of quotes, sales orders and fulfilments: extract ->
//! authorize -> service -> DTO.

use utoipa_actix_web::service_config::ServiceConfig;

mod orders_routes;
mod quotes_routes;

pub use orders_routes::{customer_orders, product_orders};

/// Mounts the routes (inside `/api/v1`).
pub fn configure(cfg: &mut ServiceConfig) {
    quotes_routes::mount(cfg);
    orders_routes::mount(cfg);
}
