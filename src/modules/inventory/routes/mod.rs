//! HTTP handlers of the inventory module: extract -> authorize -> service -> DTO.

use actix_web::{HttpResponse, delete, get, http::header, patch, post, web};
use utoipa_actix_web::{scope::scope, service_config::ServiceConfig};
use uuid::Uuid;

use super::{
    dto::*,
    entities::PurchaseOrderStatus,
    permissions::*,
    service::{catalogue, procurement, stock},
};
use crate::platform::{
    auth::Principal,
    error::AppResult,
    extract::{IfMatch, ValidatedJson, ValidatedQuery, etag},
    openapi::Conflict,
    pagination::Page,
    state::AppState,
};

mod catalogue_routes;
mod procurement_routes;
mod stock_routes;

use catalogue_routes::*;
use procurement_routes::*;
use stock_routes::*;

/// Mounts the module's routes (inside `/api/v1`).
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/warehouses")
            .service(list_warehouses)
            .service(create_warehouse)
            .service(get_warehouse)
            .service(patch_warehouse)
            .service(archive_warehouse),
    )
    .service(
        scope("/categories")
            .service(list_categories)
            .service(create_category)
            .service(get_category)
            .service(patch_category)
            .service(delete_category),
    )
    .service(
        scope("/products")
            .service(list_products)
            .service(create_product)
            .service(get_product)
            .service(patch_product)
            .service(archive_product)
            .service(product_inventory),
    )
    .service(
        scope("/inventory")
            .service(list_stock)
            .service(list_movements)
            .service(low_stock)
            .service(valuation)
            .service(receipts)
            .service(issues)
            .service(transfers)
            .service(adjust),
    )
    .service(
        scope("/suppliers")
            .service(list_suppliers)
            .service(create_supplier)
            .service(get_supplier)
            .service(patch_supplier)
            .service(archive_supplier),
    )
    .service(
        scope("/purchase-orders")
            .service(list_purchase_orders)
            .service(create_purchase_order)
            .service(get_purchase_order)
            .service(patch_purchase_order)
            .service(place_purchase_order)
            .service(cancel_purchase_order)
            .service(receive_purchase_order),
    );
}

fn created<T: serde::Serialize>(location: String, version: Option<i32>, body: &T) -> HttpResponse {
    let mut res = HttpResponse::Created();
    res.insert_header((header::LOCATION, location));
    if let Some(v) = version {
        res.insert_header(etag(v));
    }
    res.json(body)
}
