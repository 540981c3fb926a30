//! HTTP handlers of the CRM module: extract -> authorize -> service -> DTO.

use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, http::header};
use utoipa_actix_web::{scope::scope, service_config::ServiceConfig};
use validator::Validate;

use super::service::custom_fields::{CustomFilter, split_query};
use crate::platform::{
    error::AppError,
    extract::{etag, parse_query, validation_error},
};

mod activities_routes;
mod contacts_routes;
mod custom_fields_routes;
mod customers_routes;
mod deals_routes;
mod leads_routes;
mod pipelines_routes;
mod scoring_routes;

use custom_fields_routes::*;

/// Mounts the module's routes (inside `/api/v1`).
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/crm")
            .service(list_custom_fields)
            .service(create_custom_field)
            .service(get_custom_field)
            .service(patch_custom_field)
            .service(archive_custom_field)
            .configure(scoring_routes::mount)
            .configure(pipelines_routes::mount_crm),
    );
    customers_routes::mount(cfg);
    contacts_routes::mount(cfg);
    leads_routes::mount(cfg);
    pipelines_routes::mount(cfg);
    deals_routes::mount(cfg);
    activities_routes::mount(cfg);
    super::sales::routes::configure(cfg);
}

/// Mounts the CRM routes under another module's prefix (`/products/{id}/orders`):
/// called before that module's scope, which would otherwise take the path.
pub fn configure_foreign(cfg: &mut ServiceConfig) {
    cfg.service(super::sales::routes::product_orders);
}

/// 201 with `Location` and `ETag`.
pub(super) fn created<T: serde::Serialize>(
    location: String,
    version: i32,
    body: &T,
) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header(etag(version))
        .json(body)
}

/// 200 with `ETag`.
pub(super) fn versioned<T: serde::Serialize>(version: i32, body: &T) -> HttpResponse {
    HttpResponse::Ok().insert_header(etag(version)).json(body)
}

/// A list's query string: the documented filters `T` (validated) and the
/// `cf.<key>[_gte|_gt|_lte|_lt]=value` custom-field filters beside them.
#[derive(Debug)]
pub(super) struct FilterQuery<T> {
    /// The documented filters.
    pub filter: T,
    /// The custom-field filters, checked against definitions by the service.
    pub custom: Vec<CustomFilter>,
}

impl<T: serde::de::DeserializeOwned + Validate + 'static> FromRequest for FilterQuery<T> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let (rest, custom) = split_query(req.query_string());
        let result = parse_query::<T>(&rest).and_then(|filter| {
            filter.validate().map_err(validation_error)?;
            Ok(FilterQuery { filter, custom })
        });
        std::future::ready(result)
    }
}
