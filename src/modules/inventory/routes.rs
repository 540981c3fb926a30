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

/// The organization's warehouses, by code.
#[utoipa::path(
    description = WAREHOUSES_READ.requirement(),
    tag = "inventory",
    responses(
        (status = 200, description = "Every warehouse (one page holds them all)", body = Page<WarehouseOut>),
    ),
    security(("bearer_auth" = []))
)]
#[get("")]
async fn list_warehouses(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Page<WarehouseOut>>> {
    principal.require(WAREHOUSES_READ)?;
    let data = catalogue::list_warehouses(&state.db, principal.organization_id).await?;
    Ok(web::Json(Page {
        data,
        next_cursor: None,
        has_more: false,
    }))
}

/// Create a warehouse (the first one becomes the default).
#[utoipa::path(
    description = WAREHOUSES_MANAGE.requirement(),
    tag = "inventory",
    request_body = WarehouseIn,
    responses(
        (status = 201, description = "Created", body = WarehouseOut,
            headers(("Location" = String, description = "The new warehouse"), ("ETag" = String, description = "Its version, for `If-Match`"))),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("")]
async fn create_warehouse(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<WarehouseIn>,
) -> AppResult<HttpResponse> {
    principal.require(WAREHOUSES_MANAGE)?;
    let out = catalogue::create_warehouse(&state, &principal, &body).await?;
    Ok(created(
        format!("/api/v1/warehouses/{}", out.id),
        Some(out.version),
        &out,
    ))
}

/// One warehouse.
#[utoipa::path(
    description = WAREHOUSES_READ.requirement(),
    tag = "inventory",
    params(("id" = Uuid, Path, description = "Warehouse id")),
    responses(
        (status = 200, description = "The warehouse; `ETag` carries its version", body = WarehouseOut),
    ),
    security(("bearer_auth" = []))
)]
#[get("/{id}")]
async fn get_warehouse(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(WAREHOUSES_READ)?;
    let w =
        catalogue::find_warehouse(&state.db, principal.organization_id, id.into_inner()).await?;
    let out = WarehouseOut::from(w);
    Ok(HttpResponse::Ok()
        .insert_header(etag(out.version))
        .json(out))
}

/// Change a warehouse.
#[utoipa::path(
    description = WAREHOUSES_MANAGE.requirement(),
    tag = "inventory",
    params(
        ("id" = Uuid, Path, description = "Warehouse id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = WarehousePatch,
    responses(
        (status = 200, description = "Changed", body = WarehouseOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/{id}")]
async fn patch_warehouse(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<WarehousePatch>,
) -> AppResult<HttpResponse> {
    principal.require(WAREHOUSES_MANAGE)?;
    let out =
        catalogue::patch_warehouse(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(out.version))
        .json(out))
}

/// Archive a warehouse (it keeps its history; the default cannot be archived).
#[utoipa::path(
    description = WAREHOUSES_MANAGE.requirement(),
    tag = "inventory",
    params(
        ("id" = Uuid, Path, description = "Warehouse id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being archived"),
    ),
    responses(
        (status = 204, description = "Archived"),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[delete("/{id}")]
async fn archive_warehouse(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(WAREHOUSES_MANAGE)?;
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
#[utoipa::path(
    description = PRODUCTS_READ.requirement(),
    tag = "inventory",
    params(ProductFilter),
    responses(
        (status = 200, description = "A page of products", body = Page<ProductOut>),
    ),
    security(("bearer_auth" = []))
)]
#[get("")]
async fn list_products(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<ProductFilter>,
    req: actix_web::HttpRequest,
) -> AppResult<HttpResponse> {
    principal.require(PRODUCTS_READ)?;
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
#[utoipa::path(
    description = PRODUCTS_MANAGE.requirement(),
    tag = "inventory",
    request_body = ProductIn,
    responses(
        (status = 201, description = "Created", body = ProductOut,
            headers(("Location" = String, description = "The new product"), ("ETag" = String, description = "Its version, for `If-Match`"))),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("")]
async fn create_product(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<ProductIn>,
) -> AppResult<HttpResponse> {
    principal.require(PRODUCTS_MANAGE)?;
    let out = catalogue::create_product(&state, &principal, &body).await?;
    Ok(created(
        format!("/api/v1/products/{}", out.id),
        Some(out.version),
        &out,
    ))
}

/// One product.
#[utoipa::path(
    description = PRODUCTS_READ.requirement(),
    tag = "inventory",
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 200, description = "The product; `ETag` carries its version", body = ProductOut),
    ),
    security(("bearer_auth" = []))
)]
#[get("/{id}")]
async fn get_product(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(PRODUCTS_READ)?;
    let out = ProductOut::from(
        catalogue::find_product(&state.db, principal.organization_id, id.into_inner()).await?,
    );
    Ok(HttpResponse::Ok()
        .insert_header(etag(out.version))
        .json(out))
}

/// Change a product.
#[utoipa::path(
    description = PRODUCTS_MANAGE.requirement(),
    tag = "inventory",
    params(
        ("id" = Uuid, Path, description = "Product id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = ProductPatch,
    responses(
        (status = 200, description = "Changed", body = ProductOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/{id}")]
async fn patch_product(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<ProductPatch>,
) -> AppResult<HttpResponse> {
    principal.require(PRODUCTS_MANAGE)?;
    let out =
        catalogue::patch_product(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(out.version))
        .json(out))
}

/// Archive a product (its history stays).
#[utoipa::path(
    description = PRODUCTS_MANAGE.requirement(),
    tag = "inventory",
    params(
        ("id" = Uuid, Path, description = "Product id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being archived"),
    ),
    responses(
        (status = 204, description = "Archived"),
    ),
    security(("bearer_auth" = []))
)]
#[delete("/{id}")]
async fn archive_product(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(PRODUCTS_MANAGE)?;
    let archive: ProductPatch = serde_json::from_value(serde_json::json!({ "active": false }))
        .map_err(crate::platform::error::AppError::internal)?;
    catalogue::patch_product(&state, &principal, id.into_inner(), &archive, if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A product's stock per warehouse, with totals.
#[utoipa::path(
    description = STOCK_READ.requirement(),
    tag = "inventory",
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 200, description = "Stock per warehouse", body = ProductInventoryOut),
    ),
    security(("bearer_auth" = []))
)]
#[get("/{id}/inventory")]
async fn product_inventory(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<ProductInventoryOut>> {
    principal.require(STOCK_READ)?;
    Ok(web::Json(
        stock::product_inventory(&state.db, principal.organization_id, id.into_inner()).await?,
    ))
}

/// Stock levels per product and warehouse.
#[utoipa::path(
    description = STOCK_READ.requirement(),
    tag = "inventory",
    params(StockFilter),
    responses(
        (status = 200, description = "A page of levels", body = Page<StockLevelOut>),
    ),
    security(("bearer_auth" = []))
)]
#[get("/stock")]
async fn list_stock(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<StockFilter>,
) -> AppResult<web::Json<Page<StockLevelOut>>> {
    principal.require(STOCK_READ)?;
    Ok(web::Json(
        stock::list_levels(&state.db, principal.organization_id, &filter).await?,
    ))
}

/// The immutable movement ledger, newest first.
#[utoipa::path(
    description = STOCK_READ.requirement(),
    tag = "inventory",
    params(MovementFilter),
    responses(
        (status = 200, description = "A page of movements", body = Page<MovementOut>),
    ),
    security(("bearer_auth" = []))
)]
#[get("/movements")]
async fn list_movements(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<MovementFilter>,
) -> AppResult<web::Json<Page<MovementOut>>> {
    principal.require(STOCK_READ)?;
    Ok(web::Json(
        stock::list_movements(&state.db, principal.organization_id, &filter).await?,
    ))
}

/// Receive stock into a warehouse (updates moving-average cost).
#[utoipa::path(
    description = STOCK_MOVE.requirement(),
    tag = "inventory",
    request_body = StockMoveIn,
    responses(
        (status = 201, description = "Movements and new levels", body = StockResultOut),
    ),
    security(("bearer_auth" = []))
)]
#[post("/receipts")]
async fn receipts(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<StockMoveIn>,
) -> AppResult<HttpResponse> {
    principal.require(STOCK_MOVE)?;
    let out = stock::receive(&state, &principal, &body).await?;
    Ok(HttpResponse::Created().json(out))
}

/// Issue stock from a warehouse; all lines or none (409 `insufficient_stock`).
#[utoipa::path(
    description = STOCK_MOVE.requirement(),
    tag = "inventory",
    request_body = StockMoveIn,
    responses(
        (status = 201, description = "Movements and new levels", body = StockResultOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/issues")]
async fn issues(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<StockMoveIn>,
) -> AppResult<HttpResponse> {
    principal.require(STOCK_MOVE)?;
    let out = stock::issue(&state, &principal, &body).await?;
    Ok(HttpResponse::Created().json(out))
}

/// Move stock between warehouses: both legs or neither.
#[utoipa::path(
    description = STOCK_MOVE.requirement(),
    tag = "inventory",
    request_body = TransferIn,
    responses(
        (status = 201, description = "Movements and new levels", body = StockResultOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/transfers")]
async fn transfers(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<TransferIn>,
) -> AppResult<HttpResponse> {
    principal.require(STOCK_MOVE)?;
    let out = stock::transfer(&state, &principal, &body).await?;
    Ok(HttpResponse::Created().json(out))
}

/// Correct a level by a delta or to a counted quantity.
#[utoipa::path(
    description = STOCK_ADJUST.requirement(),
    tag = "inventory",
    request_body = AdjustIn,
    responses(
        (status = 201, description = "The adjustment (no movement when nothing changed) and the level", body = StockResultOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/adjust")]
async fn adjust(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<AdjustIn>,
) -> AppResult<HttpResponse> {
    principal.require(STOCK_ADJUST)?;
    let out = stock::adjust(&state, &principal, &body).await?;
    Ok(HttpResponse::Created().json(out))
}

/// Products whose available stock is at or below their reorder point, with
/// a suggested order quantity.
#[utoipa::path(
    description = STOCK_READ.requirement(),
    tag = "inventory",
    responses(
        (status = 200, description = "Products to reorder, by SKU", body = Vec<LowStockOut>),
    ),
    security(("bearer_auth" = []))
)]
#[get("/low-stock")]
async fn low_stock(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Vec<LowStockOut>>> {
    principal.require(STOCK_READ)?;
    Ok(web::Json(
        stock::low_stock(&state.db, principal.organization_id).await?,
    ))
}

/// Stock value per product and warehouse (on hand x moving-average cost) with totals.
#[utoipa::path(
    description = STOCK_READ.requirement(),
    tag = "inventory",
    params(ValuationFilter),
    responses(
        (status = 200, description = "Valuation", body = ValuationOut),
    ),
    security(("bearer_auth" = []))
)]
#[get("/valuation")]
async fn valuation(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<ValuationFilter>,
) -> AppResult<web::Json<ValuationOut>> {
    principal.require(STOCK_READ)?;
    Ok(web::Json(
        stock::valuation(&state.db, principal.organization_id, filter.warehouse_id).await?,
    ))
}

/// Product categories (a tree through `parent_id`), by name.
#[utoipa::path(
    description = PRODUCTS_READ.requirement(),
    tag = "inventory",
    responses(
        (status = 200, description = "Every category (one page holds them all)", body = Page<CategoryOut>),
    ),
    security(("bearer_auth" = []))
)]
#[get("")]
async fn list_categories(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Page<CategoryOut>>> {
    principal.require(PRODUCTS_READ)?;
    let data = catalogue::list_categories(&state.db, principal.organization_id).await?;
    Ok(web::Json(Page {
        data,
        next_cursor: None,
        has_more: false,
    }))
}

/// Create a category, optionally under a parent.
#[utoipa::path(
    description = PRODUCTS_MANAGE.requirement(),
    tag = "inventory",
    request_body = CategoryIn,
    responses(
        (status = 201, description = "Created", body = CategoryOut,
            headers(("Location" = String, description = "The new category"), ("ETag" = String, description = "Its version, for `If-Match`"))),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("")]
async fn create_category(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<CategoryIn>,
) -> AppResult<HttpResponse> {
    principal.require(PRODUCTS_MANAGE)?;
    let out = catalogue::create_category(&state, &principal, &body).await?;
    Ok(created(
        format!("/api/v1/categories/{}", out.id),
        Some(out.version),
        &out,
    ))
}

/// One category.
#[utoipa::path(
    description = PRODUCTS_READ.requirement(),
    tag = "inventory",
    params(("id" = Uuid, Path, description = "Category id")),
    responses(
        (status = 200, description = "The category; `ETag` carries its version", body = CategoryOut),
    ),
    security(("bearer_auth" = []))
)]
#[get("/{id}")]
async fn get_category(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(PRODUCTS_READ)?;
    let out =
        catalogue::get_category(&state.db, principal.organization_id, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(out.version))
        .json(out))
}

/// Rename or move a category; a parent that would make a cycle is 422.
#[utoipa::path(
    description = PRODUCTS_MANAGE.requirement(),
    tag = "inventory",
    params(
        ("id" = Uuid, Path, description = "Category id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = CategoryPatch,
    responses(
        (status = 200, description = "Changed", body = CategoryOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/{id}")]
async fn patch_category(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<CategoryPatch>,
) -> AppResult<HttpResponse> {
    principal.require(PRODUCTS_MANAGE)?;
    let out =
        catalogue::patch_category(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(out.version))
        .json(out))
}

/// Delete a category without sub-categories or products (else 409).
#[utoipa::path(
    description = PRODUCTS_MANAGE.requirement(),
    tag = "inventory",
    params(
        ("id" = Uuid, Path, description = "Category id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being deleted"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[delete("/{id}")]
async fn delete_category(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(PRODUCTS_MANAGE)?;
    catalogue::delete_category(&state, &principal, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Suppliers, by name; archived ones with `active=false`.
#[utoipa::path(
    description = SUPPLIERS_READ.requirement(),
    tag = "inventory",
    params(SupplierFilter),
    responses(
        (status = 200, description = "A page of suppliers", body = Page<SupplierOut>),
    ),
    security(("bearer_auth" = []))
)]
#[get("")]
async fn list_suppliers(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<SupplierFilter>,
) -> AppResult<web::Json<Page<SupplierOut>>> {
    principal.require(SUPPLIERS_READ)?;
    Ok(web::Json(
        procurement::list_suppliers(&state.db, principal.organization_id, &filter).await?,
    ))
}

/// Create a supplier.
#[utoipa::path(
    description = SUPPLIERS_MANAGE.requirement(),
    tag = "inventory",
    request_body = SupplierIn,
    responses(
        (status = 201, description = "Created", body = SupplierOut,
            headers(("Location" = String, description = "The new supplier"), ("ETag" = String, description = "Its version, for `If-Match`"))),
    ),
    security(("bearer_auth" = []))
)]
#[post("")]
async fn create_supplier(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<SupplierIn>,
) -> AppResult<HttpResponse> {
    principal.require(SUPPLIERS_MANAGE)?;
    let out = procurement::create_supplier(&state, &principal, &body).await?;
    Ok(created(
        format!("/api/v1/suppliers/{}", out.id),
        Some(out.version),
        &out,
    ))
}

/// One supplier.
#[utoipa::path(
    description = SUPPLIERS_READ.requirement(),
    tag = "inventory",
    params(("id" = Uuid, Path, description = "Supplier id")),
    responses(
        (status = 200, description = "The supplier; `ETag` carries its version", body = SupplierOut),
    ),
    security(("bearer_auth" = []))
)]
#[get("/{id}")]
async fn get_supplier(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(SUPPLIERS_READ)?;
    let out = SupplierOut::from(
        procurement::find_supplier(&state.db, principal.organization_id, id.into_inner()).await?,
    );
    Ok(HttpResponse::Ok()
        .insert_header(etag(out.version))
        .json(out))
}

/// Change a supplier.
#[utoipa::path(
    description = SUPPLIERS_MANAGE.requirement(),
    tag = "inventory",
    params(
        ("id" = Uuid, Path, description = "Supplier id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = SupplierPatch,
    responses(
        (status = 200, description = "Changed", body = SupplierOut),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/{id}")]
async fn patch_supplier(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<SupplierPatch>,
) -> AppResult<HttpResponse> {
    principal.require(SUPPLIERS_MANAGE)?;
    let out =
        procurement::patch_supplier(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(out.version))
        .json(out))
}

/// Archive a supplier (its purchase orders stay; it takes no new ones).
#[utoipa::path(
    description = SUPPLIERS_MANAGE.requirement(),
    tag = "inventory",
    params(
        ("id" = Uuid, Path, description = "Supplier id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being archived"),
    ),
    responses(
        (status = 204, description = "Archived"),
    ),
    security(("bearer_auth" = []))
)]
#[delete("/{id}")]
async fn archive_supplier(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(SUPPLIERS_MANAGE)?;
    let archive = SupplierPatch {
        active: Some(false),
        ..SupplierPatch::default()
    };
    procurement::patch_supplier(&state, &principal, id.into_inner(), &archive, if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Purchase orders, newest first, with their lines.
#[utoipa::path(
    description = PURCHASE_ORDERS_READ.requirement(),
    tag = "inventory",
    params(PurchaseOrderFilter),
    responses(
        (status = 200, description = "A page of purchase orders", body = Page<PurchaseOrderOut>),
    ),
    security(("bearer_auth" = []))
)]
#[get("")]
async fn list_purchase_orders(
    state: web::Data<AppState>,
    principal: Principal,
    filter: ValidatedQuery<PurchaseOrderFilter>,
) -> AppResult<web::Json<Page<PurchaseOrderOut>>> {
    principal.require(PURCHASE_ORDERS_READ)?;
    Ok(web::Json(
        procurement::list_orders(&state.db, principal.organization_id, &filter).await?,
    ))
}

/// Create a draft purchase order (numbered `PO-000001`, ...).
#[utoipa::path(
    description = PURCHASE_ORDERS_MANAGE.requirement(),
    tag = "inventory",
    request_body = PurchaseOrderIn,
    responses(
        (status = 201, description = "Created as a draft", body = PurchaseOrderOut,
            headers(("Location" = String, description = "The new purchase order"), ("ETag" = String, description = "Its version, for `If-Match`"))),
    ),
    security(("bearer_auth" = []))
)]
#[post("")]
async fn create_purchase_order(
    state: web::Data<AppState>,
    principal: Principal,
    body: ValidatedJson<PurchaseOrderIn>,
) -> AppResult<HttpResponse> {
    principal.require(PURCHASE_ORDERS_MANAGE)?;
    let out = procurement::create_order(&state, &principal, &body).await?;
    Ok(created(
        format!("/api/v1/purchase-orders/{}", out.id),
        Some(out.version),
        &out,
    ))
}

/// One purchase order with its lines.
#[utoipa::path(
    description = PURCHASE_ORDERS_READ.requirement(),
    tag = "inventory",
    params(("id" = Uuid, Path, description = "Purchase order id")),
    responses(
        (status = 200, description = "The purchase order; `ETag` carries its version", body = PurchaseOrderOut),
    ),
    security(("bearer_auth" = []))
)]
#[get("/{id}")]
async fn get_purchase_order(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    principal.require(PURCHASE_ORDERS_READ)?;
    let out = procurement::get_order(&state.db, principal.organization_id, id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(out.version))
        .json(out))
}

/// Change a draft purchase order; `lines` replaces every line. Other states: 409.
#[utoipa::path(
    description = PURCHASE_ORDERS_MANAGE.requirement(),
    tag = "inventory",
    params(
        ("id" = Uuid, Path, description = "Purchase order id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed"),
    ),
    request_body = PurchaseOrderPatch,
    responses(
        (status = 200, description = "Changed", body = PurchaseOrderOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[patch("/{id}")]
async fn patch_purchase_order(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: ValidatedJson<PurchaseOrderPatch>,
) -> AppResult<HttpResponse> {
    principal.require(PURCHASE_ORDERS_MANAGE)?;
    let out =
        procurement::patch_order(&state, &principal, id.into_inner(), &body, if_match.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(out.version))
        .json(out))
}

/// Send a draft to the supplier: draft -> ordered (other states: 409 `invalid_state`).
#[utoipa::path(
    description = PURCHASE_ORDERS_MANAGE.requirement(),
    tag = "inventory",
    params(
        ("id" = Uuid, Path, description = "Purchase order id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being ordered"),
    ),
    responses(
        (status = 200, description = "Ordered", body = PurchaseOrderOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/{id}/order")]
async fn place_purchase_order(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(PURCHASE_ORDERS_MANAGE)?;
    let out = procurement::transition(
        &state,
        &principal,
        id.into_inner(),
        if_match.0,
        PurchaseOrderStatus::Ordered,
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(out.version))
        .json(out))
}

/// Cancel a draft or ordered purchase order (once goods arrived: 409 `invalid_state`).
#[utoipa::path(
    description = PURCHASE_ORDERS_MANAGE.requirement(),
    tag = "inventory",
    params(
        ("id" = Uuid, Path, description = "Purchase order id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being cancelled"),
    ),
    responses(
        (status = 200, description = "Cancelled", body = PurchaseOrderOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/{id}/cancel")]
async fn cancel_purchase_order(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(PURCHASE_ORDERS_MANAGE)?;
    let out = procurement::transition(
        &state,
        &principal,
        id.into_inner(),
        if_match.0,
        PurchaseOrderStatus::Cancelled,
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(out.version))
        .json(out))
}

/// Receive goods against an ordered purchase order: part or all of some lines,
/// into a warehouse, as receipts in the stock ledger. More than remains on a
/// line is 422 `over_receipt`; a draft, received or cancelled order is 409.
#[utoipa::path(
    description = PURCHASE_ORDERS_RECEIVE.requirement(),
    tag = "inventory",
    params(("id" = Uuid, Path, description = "Purchase order id")),
    request_body = ReceiveIn,
    responses(
        (status = 201, description = "The receipt movements and the order in its new state", body = ReceiptOut),
        (status = 409, response = Conflict),
    ),
    security(("bearer_auth" = []))
)]
#[post("/{id}/receive")]
async fn receive_purchase_order(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: ValidatedJson<ReceiveIn>,
) -> AppResult<HttpResponse> {
    principal.require(PURCHASE_ORDERS_RECEIVE)?;
    let out = procurement::receive(&state, &principal, id.into_inner(), &body).await?;
    Ok(HttpResponse::Created().json(out))
}
