//! Suppliers and purchase orders.

use super::*;

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
pub(super) async fn list_suppliers(
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
pub(super) async fn create_supplier(
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
pub(super) async fn get_supplier(
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
pub(super) async fn patch_supplier(
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
pub(super) async fn archive_supplier(
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
pub(super) async fn list_purchase_orders(
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
pub(super) async fn create_purchase_order(
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
pub(super) async fn get_purchase_order(
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
pub(super) async fn patch_purchase_order(
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
pub(super) async fn place_purchase_order(
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
pub(super) async fn cancel_purchase_order(
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
pub(super) async fn receive_purchase_order(
    state: web::Data<AppState>,
    principal: Principal,
    id: web::Path<Uuid>,
    body: ValidatedJson<ReceiveIn>,
) -> AppResult<HttpResponse> {
    principal.require(PURCHASE_ORDERS_RECEIVE)?;
    let out = procurement::receive(&state, &principal, id.into_inner(), &body).await?;
    Ok(HttpResponse::Created().json(out))
}
