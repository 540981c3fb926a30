//! HTTP handlers of the inventory module: extract -> authorize -> service -> DTO.

use actix_web::{HttpResponse, delete, get, http::header, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::{
    dto::*,
    service::{catalogue, procurement, stock},
};
use crate::platform::{
    auth::{Permission, Principal},
    error::AppResult,
    extract::{IfMatch, ValidatedJson, ValidatedQuery, etag},
    openapi::{BadRequest, Conflict, Forbidden, NotFound, PreconditionFailed, Unprocessable},
    pagination::Page,
    state::AppState,
};

/// Mounts the module's routes (inside `/api/v1`).
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_warehouses)
        .service(create_warehouse)
        .service(get_warehouse)
        .service(patch_warehouse)
        .service(archive_warehouse)
        .service(list_categories)
        .service(create_category)
        .service(get_category)
        .service(patch_category)
        .service(delete_category)
        .service(list_products)
        .service(create_product)
        .service(get_product)
        .service(patch_product)
        .service(archive_product)
        .service(product_inventory)
        .service(list_stock)
        .service(list_movements)
        .service(low_stock)
        .service(valuation)
        .service(receipts)
        .service(issues)
        .service(transfers)
        .service(adjust)
        .service(list_suppliers)
        .service(create_supplier)
        .service(get_supplier)
        .service(patch_supplier)
        .service(archive_supplier)
        .service(list_purchase_orders)
        .service(create_purchase_order)
        .service(get_purchase_order)
        .service(patch_purchase_order)
        .service(place_purchase_order)
        .service(cancel_purchase_order)
        .service(receive_purchase_order);
}

fn created<T: serde::Serialize>(location: String, version: Option<i32>, body: &T) -> HttpResponse {
    let mut res = HttpResponse::Created();
    res.insert_header((header::LOCATION, location));
    if let Some(v) = version {
        res.insert_header(etag(v));
    }
    res.json(body)
}

/// The organization's warehouses, by code.
///
/// Requires the `inventory.warehouses.read` permission.
#[utoipa::path(
    tag = "inventory",
    responses(
        (status = 200, description = "Every warehouse (one page holds them all)", body = Page<WarehouseOut>),
        (status = 403, response = Forbidden),
    ),
    security(("bearer_auth" = []))
)]
#[get("/warehouses")]
async fn list_warehouses(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Page<WarehouseOut>>> {
    principal.require(Permission::WarehousesRead)?;
    let data = catalogue::list_warehouses(&state.db, principal.organization_id).await?;
    Ok(web::Json(Page {
        data,
        next_cursor: None,
        has_more: false,
    }))
}

/// Create a warehouse (the first one becomes the default).
///
/// Requires the `inventory.warehouses.manage` permission.
#[utoipa::path(
    tag = "inventory",
    request_body = WarehouseIn,
    responses(
        (status = 201, description = "Created", body = WarehouseOut,
            headers(("Location" = String, description = "The new warehouse"))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[post("/warehouses")]
async fn create_warehouse(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<WarehouseIn>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::WarehousesManage)?;
    let out = catalogue::create_warehouse(&state, &principal, &body).await?;
    Ok(created(
        format!("/api/v1/warehouses/{}", out.id),
        Some(out.version),
        &out,
    ))
}

/// One warehouse.
///
/// Requires the `inventory.warehouses.read` permission.
#[utoipa::path(
    tag = "inventory",
    params(("id" = Uuid, Path, description = "Warehouse id")),
    responses(
        (status = 200, description = "The warehouse; `ETag` carries its version", body = WarehouseOut),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("bearer_auth" = []))
)]
#[get("/warehouses/{id}")]
async fn get_warehouse(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::WarehousesRead)?;
    let w =
        catalogue::find_warehouse(&state.db, principal.organization_id, id.into_inner()).await?;
    let out = WarehouseOut::from(w);
    Ok(HttpResponse::Ok()
        .insert_header(etag(out.version))
        .json(out))
}

/// Change a warehouse.
///
/// Requires the `inventory.warehouses.manage` permission.
#[utoipa::path(
    tag = "inventory",
    params(
        ("id" = Uuid, Path, description = "Warehouse id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = WarehousePatch,
    responses(
        (status = 200, description = "Changed", body = WarehouseOut),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/warehouses/{id}")]
async fn patch_warehouse(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<WarehousePatch>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::WarehousesManage)?;
    let out =
        catalogue::patch_warehouse(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(out.version))
        .json(out))
}

/// Archive a warehouse (it keeps its history; the default cannot be archived).
///
/// Requires the `inventory.warehouses.manage` permission.
#[utoipa::path(
    tag = "inventory",
    params(
        ("id" = Uuid, Path, description = "Warehouse id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being archived"),
    ),
    responses(
        (status = 204, description = "Archived"),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
    ),
    security(("bearer_auth" = []))
)]
#[delete("/warehouses/{id}")]
async fn archive_warehouse(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(Permission::WarehousesManage)?;
    let archive = WarehousePatch {
        name: None,
        address: None,
        active: Some(false),
        is_default: None,
    };
    catalogue::patch_warehouse(&state, &principal, id.into_inner(), &archive, if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Products: filter by name or SKU, kind, category; archived with `active=false`.
///
/// Requires the `inventory.products.read` permission.
#[utoipa::path(
    tag = "inventory",
    params(ProductFilter),
    responses(
        (status = 200, description = "A page of products", body = Page<ProductOut>),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[get("/products")]
async fn list_products(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<ProductFilter>,
    req: actix_web::HttpRequest,
) -> AppResult<HttpResponse> {
    principal.require(Permission::ProductsRead)?;
    let body = catalogue::list_products_json(
        &state,
        principal.organization_id,
        &filter,
        req.query_string(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .content_type(header::ContentType::json())
        .body(body))
}

/// Create a product (SKU unique per organization; plan limit on products).
///
/// Requires the `inventory.products.manage` permission.
#[utoipa::path(
    tag = "inventory",
    request_body = ProductIn,
    responses(
        (status = 201, description = "Created", body = ProductOut,
            headers(("Location" = String, description = "The new product"))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[post("/products")]
async fn create_product(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<ProductIn>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::ProductsManage)?;
    let out = catalogue::create_product(&state, &principal, &body).await?;
    Ok(created(
        format!("/api/v1/products/{}", out.id),
        Some(out.version),
        &out,
    ))
}

/// One product.
///
/// Requires the `inventory.products.read` permission.
#[utoipa::path(
    tag = "inventory",
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 200, description = "The product; `ETag` carries its version", body = ProductOut),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("bearer_auth" = []))
)]
#[get("/products/{id}")]
async fn get_product(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::ProductsRead)?;
    let out = ProductOut::from(
        catalogue::find_product(&state.db, principal.organization_id, id.into_inner()).await?,
    );
    Ok(HttpResponse::Ok()
        .insert_header(etag(out.version))
        .json(out))
}

/// Change a product.
///
/// Requires the `inventory.products.manage` permission.
#[utoipa::path(
    tag = "inventory",
    params(
        ("id" = Uuid, Path, description = "Product id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = ProductPatch,
    responses(
        (status = 200, description = "Changed", body = ProductOut),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/products/{id}")]
async fn patch_product(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<ProductPatch>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::ProductsManage)?;
    let out =
        catalogue::patch_product(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(out.version))
        .json(out))
}

/// Archive a product (its history stays).
///
/// Requires the `inventory.products.manage` permission.
#[utoipa::path(
    tag = "inventory",
    params(
        ("id" = Uuid, Path, description = "Product id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being archived"),
    ),
    responses(
        (status = 204, description = "Archived"),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
    ),
    security(("bearer_auth" = []))
)]
#[delete("/products/{id}")]
async fn archive_product(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(Permission::ProductsManage)?;
    let archive: ProductPatch = serde_json::from_value(serde_json::json!({ "active": false }))
        .map_err(crate::platform::error::AppError::internal)?;
    catalogue::patch_product(&state, &principal, id.into_inner(), &archive, if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A product's stock per warehouse, with totals.
///
/// Requires the `inventory.stock.read` permission.
#[utoipa::path(
    tag = "inventory",
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 200, description = "Stock per warehouse", body = ProductInventoryOut),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("bearer_auth" = []))
)]
#[get("/products/{id}/inventory")]
async fn product_inventory(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<ProductInventoryOut>> {
    principal.require(Permission::StockRead)?;
    Ok(web::Json(
        stock::product_inventory(&state.db, principal.organization_id, id.into_inner()).await?,
    ))
}

/// Stock levels per product and warehouse.
///
/// Requires the `inventory.stock.read` permission.
#[utoipa::path(
    tag = "inventory",
    params(StockFilter),
    responses(
        (status = 200, description = "A page of levels", body = Page<StockLevelOut>),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[get("/inventory/stock")]
async fn list_stock(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<StockFilter>,
) -> AppResult<web::Json<Page<StockLevelOut>>> {
    principal.require(Permission::StockRead)?;
    Ok(web::Json(
        stock::list_levels(&state.db, principal.organization_id, &filter).await?,
    ))
}

/// The immutable movement ledger, newest first.
///
/// Requires the `inventory.stock.read` permission.
#[utoipa::path(
    tag = "inventory",
    params(MovementFilter),
    responses(
        (status = 200, description = "A page of movements", body = Page<MovementOut>),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[get("/inventory/movements")]
async fn list_movements(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<MovementFilter>,
) -> AppResult<web::Json<Page<MovementOut>>> {
    principal.require(Permission::StockRead)?;
    Ok(web::Json(
        stock::list_movements(&state.db, principal.organization_id, &filter).await?,
    ))
}

/// Receive stock into a warehouse (updates moving-average cost).
///
/// Requires the `inventory.stock.move` permission.
#[utoipa::path(
    tag = "inventory",
    request_body = StockMoveIn,
    responses(
        (status = 201, description = "Movements and new levels", body = StockResultOut),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[post("/inventory/receipts")]
async fn receipts(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<StockMoveIn>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::StockMove)?;
    let out = stock::receive(&state, &principal, &body).await?;
    Ok(HttpResponse::Created().json(out))
}

/// Issue stock from a warehouse; all lines or none (409 `insufficient_stock`).
///
/// Requires the `inventory.stock.move` permission.
#[utoipa::path(
    tag = "inventory",
    request_body = StockMoveIn,
    responses(
        (status = 201, description = "Movements and new levels", body = StockResultOut),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[post("/inventory/issues")]
async fn issues(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<StockMoveIn>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::StockMove)?;
    let out = stock::issue(&state, &principal, &body).await?;
    Ok(HttpResponse::Created().json(out))
}

/// Move stock between warehouses: both legs or neither.
///
/// Requires the `inventory.stock.move` permission.
#[utoipa::path(
    tag = "inventory",
    request_body = TransferIn,
    responses(
        (status = 201, description = "Movements and new levels", body = StockResultOut),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[post("/inventory/transfers")]
async fn transfers(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<TransferIn>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::StockMove)?;
    let out = stock::transfer(&state, &principal, &body).await?;
    Ok(HttpResponse::Created().json(out))
}

/// Correct a level by a delta or to a counted quantity.
///
/// Requires the `inventory.stock.adjust` permission.
#[utoipa::path(
    tag = "inventory",
    request_body = AdjustIn,
    responses(
        (status = 201, description = "The adjustment (no movement when nothing changed) and the level", body = StockResultOut),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[post("/inventory/adjust")]
async fn adjust(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<AdjustIn>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::StockAdjust)?;
    let out = stock::adjust(&state, &principal, &body).await?;
    Ok(HttpResponse::Created().json(out))
}

/// Products whose available stock is at or below their reorder point, with
/// a suggested order quantity.
///
/// Requires the `inventory.stock.read` permission.
#[utoipa::path(
    tag = "inventory",
    responses(
        (status = 200, description = "Products to reorder, by SKU", body = Vec<LowStockOut>),
        (status = 403, response = Forbidden),
    ),
    security(("bearer_auth" = []))
)]
#[get("/inventory/low-stock")]
async fn low_stock(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Vec<LowStockOut>>> {
    principal.require(Permission::StockRead)?;
    Ok(web::Json(
        stock::low_stock(&state.db, principal.organization_id).await?,
    ))
}

/// Stock value per product and warehouse (on hand x moving-average cost) with totals.
///
/// Requires the `inventory.stock.read` permission.
#[utoipa::path(
    tag = "inventory",
    params(ValuationFilter),
    responses(
        (status = 200, description = "Valuation", body = ValuationOut),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[get("/inventory/valuation")]
async fn valuation(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<ValuationFilter>,
) -> AppResult<web::Json<ValuationOut>> {
    principal.require(Permission::StockRead)?;
    Ok(web::Json(
        stock::valuation(&state.db, principal.organization_id, filter.warehouse_id).await?,
    ))
}

/// Product categories (a tree through `parent_id`), by name.
///
/// Requires the `inventory.products.read` permission.
#[utoipa::path(
    tag = "inventory",
    responses(
        (status = 200, description = "Every category (one page holds them all)", body = Page<CategoryOut>),
        (status = 403, response = Forbidden),
    ),
    security(("bearer_auth" = []))
)]
#[get("/categories")]
async fn list_categories(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Page<CategoryOut>>> {
    principal.require(Permission::ProductsRead)?;
    let data = catalogue::list_categories(&state.db, principal.organization_id).await?;
    Ok(web::Json(Page {
        data,
        next_cursor: None,
        has_more: false,
    }))
}

/// Create a category, optionally under a parent.
///
/// Requires the `inventory.products.manage` permission.
#[utoipa::path(
    tag = "inventory",
    request_body = CategoryIn,
    responses(
        (status = 201, description = "Created", body = CategoryOut,
            headers(("Location" = String, description = "The new category"))),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[post("/categories")]
async fn create_category(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<CategoryIn>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::ProductsManage)?;
    let out = catalogue::create_category(&state, &principal, &body).await?;
    Ok(created(
        format!("/api/v1/categories/{}", out.id),
        Some(out.version),
        &out,
    ))
}

/// One category.
///
/// Requires the `inventory.products.read` permission.
#[utoipa::path(
    tag = "inventory",
    params(("id" = Uuid, Path, description = "Category id")),
    responses(
        (status = 200, description = "The category; `ETag` carries its version", body = CategoryOut),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("bearer_auth" = []))
)]
#[get("/categories/{id}")]
async fn get_category(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::ProductsRead)?;
    let out =
        catalogue::get_category(&state.db, principal.organization_id, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(out.version))
        .json(out))
}

/// Rename or move a category; a parent that would make a cycle is 422.
///
/// Requires the `inventory.products.manage` permission.
#[utoipa::path(
    tag = "inventory",
    params(
        ("id" = Uuid, Path, description = "Category id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = CategoryPatch,
    responses(
        (status = 200, description = "Changed", body = CategoryOut),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/categories/{id}")]
async fn patch_category(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<CategoryPatch>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::ProductsManage)?;
    let out =
        catalogue::patch_category(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(out.version))
        .json(out))
}

/// Delete a category without sub-categories or products (else 409).
///
/// Requires the `inventory.products.manage` permission.
#[utoipa::path(
    tag = "inventory",
    params(
        ("id" = Uuid, Path, description = "Category id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being deleted"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
    ),
    security(("bearer_auth" = []))
)]
#[delete("/categories/{id}")]
async fn delete_category(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(Permission::ProductsManage)?;
    catalogue::delete_category(&state, &principal, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Suppliers, by name; archived ones with `active=false`.
///
/// Requires the `inventory.suppliers.read` permission.
#[utoipa::path(
    tag = "inventory",
    params(SupplierFilter),
    responses(
        (status = 200, description = "A page of suppliers", body = Page<SupplierOut>),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[get("/suppliers")]
async fn list_suppliers(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<SupplierFilter>,
) -> AppResult<web::Json<Page<SupplierOut>>> {
    principal.require(Permission::SuppliersRead)?;
    Ok(web::Json(
        procurement::list_suppliers(&state.db, principal.organization_id, &filter).await?,
    ))
}

/// Create a supplier.
///
/// Requires the `inventory.suppliers.manage` permission.
#[utoipa::path(
    tag = "inventory",
    request_body = SupplierIn,
    responses(
        (status = 201, description = "Created", body = SupplierOut,
            headers(("Location" = String, description = "The new supplier"))),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[post("/suppliers")]
async fn create_supplier(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<SupplierIn>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::SuppliersManage)?;
    let out = procurement::create_supplier(&state, &principal, &body).await?;
    Ok(created(
        format!("/api/v1/suppliers/{}", out.id),
        Some(out.version),
        &out,
    ))
}

/// One supplier.
///
/// Requires the `inventory.suppliers.read` permission.
#[utoipa::path(
    tag = "inventory",
    params(("id" = Uuid, Path, description = "Supplier id")),
    responses(
        (status = 200, description = "The supplier; `ETag` carries its version", body = SupplierOut),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("bearer_auth" = []))
)]
#[get("/suppliers/{id}")]
async fn get_supplier(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::SuppliersRead)?;
    let out = SupplierOut::from(
        procurement::find_supplier(&state.db, principal.organization_id, id.into_inner()).await?,
    );
    Ok(HttpResponse::Ok()
        .insert_header(etag(out.version))
        .json(out))
}

/// Change a supplier.
///
/// Requires the `inventory.suppliers.manage` permission.
#[utoipa::path(
    tag = "inventory",
    params(
        ("id" = Uuid, Path, description = "Supplier id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = SupplierPatch,
    responses(
        (status = 200, description = "Changed", body = SupplierOut),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/suppliers/{id}")]
async fn patch_supplier(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<SupplierPatch>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::SuppliersManage)?;
    let out =
        procurement::patch_supplier(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(out.version))
        .json(out))
}

/// Archive a supplier (its purchase orders stay; it takes no new ones).
///
/// Requires the `inventory.suppliers.manage` permission.
#[utoipa::path(
    tag = "inventory",
    params(
        ("id" = Uuid, Path, description = "Supplier id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being archived"),
    ),
    responses(
        (status = 204, description = "Archived"),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
    ),
    security(("bearer_auth" = []))
)]
#[delete("/suppliers/{id}")]
async fn archive_supplier(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(Permission::SuppliersManage)?;
    let archive = SupplierPatch {
        active: Some(false),
        ..SupplierPatch::default()
    };
    procurement::patch_supplier(&state, &principal, id.into_inner(), &archive, if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Purchase orders, newest first, with their lines.
///
/// Requires the `inventory.purchase_orders.read` permission.
#[utoipa::path(
    tag = "inventory",
    params(PurchaseOrderFilter),
    responses(
        (status = 200, description = "A page of purchase orders", body = Page<PurchaseOrderOut>),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[get("/purchase-orders")]
async fn list_purchase_orders(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<PurchaseOrderFilter>,
) -> AppResult<web::Json<Page<PurchaseOrderOut>>> {
    principal.require(Permission::PurchaseOrdersRead)?;
    Ok(web::Json(
        procurement::list_orders(&state.db, principal.organization_id, &filter).await?,
    ))
}

/// Create a draft purchase order (numbered `PO-000001`, ...).
///
/// Requires the `inventory.purchase_orders.manage` permission.
#[utoipa::path(
    tag = "inventory",
    request_body = PurchaseOrderIn,
    responses(
        (status = 201, description = "Created as a draft", body = PurchaseOrderOut,
            headers(("Location" = String, description = "The new purchase order"))),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[post("/purchase-orders")]
async fn create_purchase_order(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<PurchaseOrderIn>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::PurchaseOrdersManage)?;
    let out = procurement::create_order(&state, &principal, &body).await?;
    Ok(created(
        format!("/api/v1/purchase-orders/{}", out.id),
        Some(out.version),
        &out,
    ))
}

/// One purchase order with its lines.
///
/// Requires the `inventory.purchase_orders.read` permission.
#[utoipa::path(
    tag = "inventory",
    params(("id" = Uuid, Path, description = "Purchase order id")),
    responses(
        (status = 200, description = "The purchase order; `ETag` carries its version", body = PurchaseOrderOut),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ),
    security(("bearer_auth" = []))
)]
#[get("/purchase-orders/{id}")]
async fn get_purchase_order(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::PurchaseOrdersRead)?;
    let out = procurement::get_order(&state.db, principal.organization_id, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(out.version))
        .json(out))
}

/// Change a draft purchase order; `lines` replaces every line. Other states: 409.
///
/// Requires the `inventory.purchase_orders.manage` permission.
#[utoipa::path(
    tag = "inventory",
    params(
        ("id" = Uuid, Path, description = "Purchase order id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = PurchaseOrderPatch,
    responses(
        (status = 200, description = "Changed", body = PurchaseOrderOut),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/purchase-orders/{id}")]
async fn patch_purchase_order(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<PurchaseOrderPatch>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::PurchaseOrdersManage)?;
    let out =
        procurement::patch_order(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(out.version))
        .json(out))
}

/// Send a draft to the supplier: draft -> ordered (other states: 409 `invalid_state`).
///
/// Requires the `inventory.purchase_orders.manage` permission.
#[utoipa::path(
    tag = "inventory",
    params(
        ("id" = Uuid, Path, description = "Purchase order id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being ordered"),
    ),
    responses(
        (status = 200, description = "Ordered", body = PurchaseOrderOut),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
    ),
    security(("bearer_auth" = []))
)]
#[post("/purchase-orders/{id}/order")]
async fn place_purchase_order(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(Permission::PurchaseOrdersManage)?;
    let out = procurement::place_order(&state, &principal, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(out.version))
        .json(out))
}

/// Cancel a draft or ordered purchase order (once goods arrived: 409 `invalid_state`).
///
/// Requires the `inventory.purchase_orders.manage` permission.
#[utoipa::path(
    tag = "inventory",
    params(
        ("id" = Uuid, Path, description = "Purchase order id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being cancelled"),
    ),
    responses(
        (status = 200, description = "Cancelled", body = PurchaseOrderOut),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
    ),
    security(("bearer_auth" = []))
)]
#[post("/purchase-orders/{id}/cancel")]
async fn cancel_purchase_order(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(Permission::PurchaseOrdersManage)?;
    let out = procurement::cancel_order(&state, &principal, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(out.version))
        .json(out))
}

/// Receive goods against an ordered purchase order: part or all of some lines,
/// into a warehouse, as receipts in the stock ledger. More than remains on a
/// line is 422 `over_receipt`; a draft, received or cancelled order is 409.
///
/// Requires the `inventory.purchase_orders.receive` permission.
#[utoipa::path(
    tag = "inventory",
    params(("id" = Uuid, Path, description = "Purchase order id")),
    request_body = ReceiveIn,
    responses(
        (status = 201, description = "The receipt movements and the order in its new state", body = ReceiptOut),
        (status = 400, response = BadRequest),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer_auth" = []))
)]
#[post("/purchase-orders/{id}/receive")]
async fn receive_purchase_order(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: ValidatedJson<ReceiveIn>,
) -> AppResult<HttpResponse> {
    principal.require(Permission::PurchaseOrdersReceive)?;
    let out = procurement::receive(&state, &principal, id.into_inner(), &body).await?;
    Ok(HttpResponse::Created().json(out))
}
