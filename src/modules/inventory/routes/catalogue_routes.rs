//! Warehouses, categories and products.

use super::*;

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
pub(super) async fn list_warehouses(
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
pub(super) async fn create_warehouse(
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
pub(super) async fn get_warehouse(
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
pub(super) async fn patch_warehouse(
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
pub(super) async fn archive_warehouse(
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
pub(super) async fn list_products(
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
pub(super) async fn create_product(
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
pub(super) async fn get_product(
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
pub(super) async fn patch_product(
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
pub(super) async fn archive_product(
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
pub(super) async fn product_inventory(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
) -> AppResult<web::Json<ProductInventoryOut>> {
    principal.require(STOCK_READ)?;
    Ok(web::Json(
        stock::product_inventory(&state.db, principal.organization_id, id.into_inner()).await?,
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
pub(super) async fn list_categories(
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
pub(super) async fn create_category(
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
pub(super) async fn get_category(
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
pub(super) async fn patch_category(
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
pub(super) async fn delete_category(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> AppResult<HttpResponse> {
    principal.require(PRODUCTS_MANAGE)?;
    catalogue::delete_category(&state, &principal, id.into_inner(), if_match.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
