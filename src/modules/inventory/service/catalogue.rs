//! Warehouses and products: master data, archived rather than deleted.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, NotSet, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::IntoCondition,
    sea_query::{Expr, ExprTrait, Func},
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    modules::{
        auth::api::{Limit, check_plan_limit},
        inventory::{
            dto::*,
            entities::{category, product, warehouse},
        },
    },
    platform::{
        error::{conflict_as, unique_violation},
        pagination::{Page, after_key, decode_cursor},
        prelude::*,
    },
};

/// A warehouse of the organization, or 404.
pub async fn find_warehouse(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<warehouse::Model, AppError> {
    tenant::find::<warehouse::Entity>(conn, org, id).await
}

/// `GET /warehouses`, by code.
pub async fn list_warehouses(
    conn: &impl ConnectionTrait,
    org: Uuid,
) -> Result<Vec<WarehouseOut>, AppError> {
    Ok(warehouse::Entity::find()
        .filter(warehouse::Column::OrganizationId.eq(org))
        .order_by_asc(warehouse::Column::Code)
        .all(conn)
        .await?
        .into_iter()
        .map(WarehouseOut::from)
        .collect())
}

async fn clear_default(conn: &impl ConnectionTrait, org: Uuid) -> Result<(), AppError> {
    warehouse::Entity::update_many()
        .col_expr(warehouse::Column::IsDefault, false.into())
        .filter(warehouse::Column::OrganizationId.eq(org))
        .filter(warehouse::Column::IsDefault.eq(true))
        .exec(conn)
        .await?;
    Ok(())
}

/// `POST /warehouses`: the first warehouse is the default.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn create_warehouse(
    state: &AppState,
    p: &Principal,
    input: &WarehouseIn,
) -> Result<WarehouseOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let first = warehouse::Entity::find()
        .filter(warehouse::Column::OrganizationId.eq(org))
        .count(&tx)
        .await?
        == 0;
    let is_default = first || input.is_default;
    if is_default {
        clear_default(&tx, org).await?;
    }
    let now = Utc::now();
    let w = warehouse::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org),
        code: Set(input.code.trim().to_string()),
        name: Set(input.name.trim().to_string()),
        address: Set(input.address.clone()),
        active: Set(true),
        is_default: Set(is_default),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await
    .map_err(unique_violation(
        "warehouse_code_taken",
        "A warehouse with this code already exists.",
    ))?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "inventory.warehouse.created",
            "warehouse",
            w.id,
            json!({ "code": w.code }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(w.into())
}

/// `PATCH /warehouses/{id}` and archiving (`active: false`).
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn patch_warehouse(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    patch: &WarehousePatch,
    if_match: Option<i32>,
) -> Result<WarehouseOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let current = find_warehouse(&tx, org, id).await?;
    if patch.is_default == Some(true) && !current.is_default {
        clear_default(&tx, org).await?;
    }
    let mut changes = patch.changes();
    if patch.is_default != Some(true) {
        changes.is_default = NotSet;
    }
    // Archiving is refused for the default warehouse, checked in the write
    // itself so that a concurrent change of the default cannot slip past.
    let guard = (patch.active == Some(false)).then(|| {
        Guard::new(
            warehouse::Column::IsDefault.eq(false),
            |_: &warehouse::Model| {
                AppError::conflict(
                    "default_warehouse",
                    "Make another warehouse the default before archiving this one.",
                )
            },
        )
    });
    let updated =
        tenant::update::<warehouse::Entity>(&tx, Target::new(org, id, if_match), changes, guard)
            .await?;
    let action = if patch.active == Some(false) {
        "inventory.warehouse.archived"
    } else {
        "inventory.warehouse.updated"
    };
    audit::record(&tx, AuditEntry::by(p, action, "warehouse", id, json!({ "name": [current.name, updated.name], "active": [current.active, updated.active] }))).await?;
    tx.commit().await?;
    Ok(updated.into())
}

/// A product of the organization, or 404.
pub async fn find_product(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<product::Model, AppError> {
    tenant::find::<product::Entity>(conn, org, id).await
}

async fn check_category(conn: &impl ConnectionTrait, org: Uuid, id: Uuid) -> Result<(), AppError> {
    category::Entity::find_by_id(id)
        .filter(category::Column::OrganizationId.eq(org))
        .one(conn)
        .await?
        .map(|_| ())
        .ok_or_else(|| {
            AppError::invalid_field(
                "category_id",
                "not_found",
                "is not a category of this organization",
            )
        })
}

fn check_amounts(fields: &[(&str, i64)]) -> Result<(), AppError> {
    let negative: Vec<_> = fields
        .iter()
        .filter(|(_, v)| *v < 0)
        .map(|(f, _)| crate::platform::error::FieldError::new(*f, "range", "must not be negative"))
        .collect();
    if negative.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(negative))
    }
}

fn sku_taken(e: AppError) -> AppError {
    conflict_as("sku_taken", "A product with this SKU already exists.")(e)
}

/// `POST /products`, within the plan's product limit.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn create_product(
    state: &AppState,
    p: &Principal,
    input: &ProductIn,
) -> Result<ProductOut, AppError> {
    let org = p.organization_id;
    check_amounts(&[
        ("sale_price", input.sale_price.units()),
        ("standard_cost", input.standard_cost.units()),
        ("reorder_point", input.reorder_point.units()),
        ("reorder_quantity", input.reorder_quantity.units()),
    ])?;
    let tx = begin_write(&state.db).await?;
    if let Some(c) = input.category_id {
        check_category(&tx, org, c).await?;
    }
    let count = product::Entity::find()
        .filter(product::Column::OrganizationId.eq(org))
        .count(&tx)
        .await?;
    check_plan_limit(&tx, org, Limit::Products, count, 1).await?;
    let now = Utc::now();
    let m = product::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org),
        sku: Set(input.sku.trim().to_string()),
        name: Set(input.name.trim().to_string()),
        description: Set(input.description.clone()),
        category_id: Set(input.category_id),
        kind: Set(input.kind.unwrap_or_default()),
        uom: Set(input.uom.clone().unwrap_or_else(|| "unit".into())),
        sale_price: Set(input.sale_price),
        standard_cost: Set(input.standard_cost),
        reorder_point: Set(input.reorder_point),
        reorder_quantity: Set(input.reorder_quantity),
        barcode: Set(input.barcode.clone()),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await
    .map_err(|e| sku_taken(e.into()))?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "inventory.product.created",
            "product",
            m.id,
            json!({ "sku": m.sku, "name": m.name }),
        ),
    )
    .await?;
    tx.commit().await?;
    product_lists_changed(state, org).await;
    Ok(m.into())
}

/// `PATCH /products/{id}` and archiving (`active: false`).
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn patch_product(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    patch: &ProductPatch,
    if_match: Option<i32>,
) -> Result<ProductOut, AppError> {
    let org = p.organization_id;
    let units = |v: Option<i64>, f: &'static str| (f, v.unwrap_or(0));
    check_amounts(&[
        units(patch.sale_price.map(|a| a.units()), "sale_price"),
        units(patch.standard_cost.map(|a| a.units()), "standard_cost"),
        units(patch.reorder_point.map(|a| a.units()), "reorder_point"),
        units(
            patch.reorder_quantity.map(|a| a.units()),
            "reorder_quantity",
        ),
    ])?;
    let tx = begin_write(&state.db).await?;
    let current = find_product(&tx, org, id).await?;
    if let Some(Some(c)) = patch.category_id {
        check_category(&tx, org, c).await?;
    }
    let updated = tenant::update::<product::Entity>(
        &tx,
        Target::new(org, id, if_match),
        patch.changes(),
        None,
    )
    .await
    .map_err(sku_taken)?;
    let action = if patch.active == Some(false) {
        "inventory.product.archived"
    } else {
        "inventory.product.updated"
    };
    audit::record(&tx, AuditEntry::by(p, action, "product", id, json!({ "sku": [current.sku, updated.sku], "active": [current.active, updated.active] }))).await?;
    tx.commit().await?;
    product_lists_changed(state, org).await;
    Ok(updated.into())
}

/// The cache namespace of an organization's product lists.
fn product_lists(org: Uuid) -> String {
    format!("inventory:product-lists:{org}")
}

/// How long a cached product list lives after its last fill.
const PRODUCT_LIST_TTL: Duration = Duration::from_secs(60);

/// `GET /products` as JSON, from the cache when the same query string was
/// answered since the organization's last product or category change (lists
/// are the hottest read of a catalogue). `low_stock` lists follow stock
/// levels and always come from the database. A cache failure falls back to
/// the database.
#[tracing::instrument(skip_all)]
pub async fn list_products_json(
    state: &AppState,
    org: Uuid,
    f: &ProductFilter,
    query: &str,
) -> Result<Vec<u8>, AppError> {
    let render = |page: Page<ProductOut>| serde_json::to_vec(&page).map_err(AppError::internal);
    if f.low_stock.is_some() || !state.settings.redis.list_cache {
        return render(list_products(&state.db, org, f).await?);
    }
    let ns = product_lists(org);
    let generation = match state
        .cache
        .generation_get(&ns, query, PRODUCT_LIST_TTL)
        .await
    {
        Ok((_, Some(hit))) => return Ok(hit),
        Ok((generation, None)) => Some(generation),
        Err(e) => {
            tracing::warn!(error = %e, "product list cache unavailable");
            None
        }
    };
    let body = render(list_products(&state.db, org, f).await?)?;
    if let Some(generation) = generation {
        let put = state
            .cache
            .generation_put(&ns, &generation, query, &body, PRODUCT_LIST_TTL);
        if let Err(e) = put.await {
            tracing::warn!(error = %e, "product list not cached");
        }
    }
    Ok(body)
}

/// Call after a committed change to the organization's products or
/// categories: cached lists are dropped.
async fn product_lists_changed(state: &AppState, org: Uuid) {
    if let Err(e) = state.cache.generation_drop(&product_lists(org)).await {
        tracing::warn!(error = %e, "product lists not invalidated; they may be stale for a minute");
    }
}

/// Available stock of the product row at or below its positive reorder point
/// (the same rule as `GET /inventory/low-stock`).
const LOW_STOCK_SQL: &str = r#""products"."kind" = 'stock' AND "products"."reorder_point" > 0 AND COALESCE((SELECT SUM("stock_levels"."on_hand" - "stock_levels"."reserved") FROM "stock_levels" WHERE "stock_levels"."product_id" = "products"."id"), 0) <= "products"."reorder_point""#;

/// The key a product list is ordered by.
enum SortKey {
    Created,
    Sku,
    Name,
}

/// The key and whether it runs descending.
fn product_sort(sort: ProductSort) -> (SortKey, bool) {
    match sort {
        ProductSort::CreatedAt => (SortKey::Created, false),
        ProductSort::CreatedAtDesc => (SortKey::Created, true),
        ProductSort::Sku => (SortKey::Sku, false),
        ProductSort::SkuDesc => (SortKey::Sku, true),
        ProductSort::Name => (SortKey::Name, false),
        ProductSort::NameDesc => (SortKey::Name, true),
    }
}

/// `GET /products`: filters q, kind, active (default true), category,
/// low_stock; sorted by creation (id), SKU or name with a keyset cursor.
pub async fn list_products(
    conn: &impl ConnectionTrait,
    org: Uuid,
    f: &ProductFilter,
) -> Result<Page<ProductOut>, AppError> {
    let limit = f.limit.unwrap_or(50).clamp(1, 200);
    let (sort, desc) = product_sort(f.sort.unwrap_or_default());
    let mut cond = Condition::all()
        .add(product::Column::OrganizationId.eq(org))
        .add(product::Column::Active.eq(f.active.unwrap_or(true)));
    if let Some(k) = &f.kind {
        cond = cond.add(product::Column::Kind.eq(*k));
    }
    if let Some(c) = f.category {
        let tree = with_descendants(conn, org, c).await?;
        cond = cond.add(product::Column::CategoryId.is_in(tree));
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", q.to_lowercase().replace(['%', '_'], ""));
        cond = cond.add(
            Condition::any()
                .add(
                    Expr::expr(Func::lower(Expr::col(product::Column::Name))).like(pattern.clone()),
                )
                .add(Expr::expr(Func::lower(Expr::col(product::Column::Sku))).like(pattern)),
        );
    }
    match f.low_stock {
        Some(true) => cond = cond.add(Expr::cust(LOW_STOCK_SQL)),
        Some(false) => cond = cond.add(Expr::cust(LOW_STOCK_SQL).not()),
        None => {}
    }
    let key_col = match sort {
        SortKey::Created => None,
        SortKey::Sku => Some(product::Column::Sku),
        SortKey::Name => Some(product::Column::Name),
    };
    if let Some(c) = &f.cursor {
        cond = cond.add(match key_col {
            None => {
                let after: Uuid = decode_cursor(c)?;
                if desc {
                    product::Column::Id.lt(after).into_condition()
                } else {
                    product::Column::Id.gt(after).into_condition()
                }
            }
            Some(col) => after_key(
                col,
                product::Column::Id,
                decode_cursor::<(String, Uuid)>(c)?,
                desc,
            ),
        });
    }
    let order = if desc { Order::Desc } else { Order::Asc };
    let mut query = product::Entity::find().filter(cond);
    if let Some(col) = key_col {
        query = query.order_by(col, order.clone());
    }
    let rows = query
        .order_by(product::Column::Id, order)
        .limit(limit + 1)
        .all(conn)
        .await?;
    let page = match sort {
        SortKey::Created => Page::from_rows(rows, limit, |r| r.id).map(ProductOut::from),
        SortKey::Sku => {
            Page::from_rows(rows, limit, |r| (r.sku.clone(), r.id)).map(ProductOut::from)
        }
        SortKey::Name => {
            Page::from_rows(rows, limit, |r| (r.name.clone(), r.id)).map(ProductOut::from)
        }
    };
    Ok(page)
}

async fn find_category(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<category::Model, AppError> {
    tenant::find::<category::Entity>(conn, org, id).await
}

async fn check_parent(
    conn: &impl ConnectionTrait,
    org: Uuid,
    node: Option<Uuid>,
    parent: Uuid,
) -> Result<(), AppError> {
    crate::platform::hierarchy::ensure_no_cycle("parent_id", node, parent, |id| async move {
        Ok(category::Entity::find_by_id(id)
            .filter(category::Column::OrganizationId.eq(org))
            .one(conn)
            .await?
            .map(|c| c.parent_id))
    })
    .await
}

/// `GET /categories`, by name.
pub async fn list_categories(
    conn: &impl ConnectionTrait,
    org: Uuid,
) -> Result<Vec<CategoryOut>, AppError> {
    Ok(category::Entity::find()
        .filter(category::Column::OrganizationId.eq(org))
        .order_by_asc(category::Column::Name)
        .all(conn)
        .await?
        .into_iter()
        .map(CategoryOut::from)
        .collect())
}

/// `GET /categories/{id}`.
pub async fn get_category(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<CategoryOut, AppError> {
    find_category(conn, org, id).await.map(CategoryOut::from)
}

/// A category and all categories below it.
pub async fn with_descendants(
    conn: &impl ConnectionTrait,
    org: Uuid,
    root: Uuid,
) -> Result<Vec<Uuid>, AppError> {
    let all = category::Entity::find()
        .filter(category::Column::OrganizationId.eq(org))
        .all(conn)
        .await?;
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            all.iter()
                .filter(|c| c.parent_id == Some(parent))
                .map(|c| c.id),
        );
        i += 1;
    }
    Ok(found)
}

/// `POST /categories`.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn create_category(
    state: &AppState,
    p: &Principal,
    input: &CategoryIn,
) -> Result<CategoryOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    if let Some(parent) = input.parent_id {
        check_parent(&tx, org, None, parent).await?;
    }
    let now = Utc::now();
    let c = category::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org),
        name: Set(input.name.trim().to_string()),
        parent_id: Set(input.parent_id),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await
    .map_err(unique_violation(
        "category_name_taken",
        "A category with this name already exists.",
    ))?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "inventory.category.created",
            "category",
            c.id,
            json!({ "name": c.name }),
        ),
    )
    .await?;
    tx.commit().await?;
    product_lists_changed(state, org).await;
    Ok(c.into())
}

/// `PATCH /categories/{id}`.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn patch_category(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    patch: &CategoryPatch,
    if_match: Option<i32>,
) -> Result<CategoryOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let current = find_category(&tx, org, id).await?;
    if let Some(Some(parent)) = patch.parent_id {
        check_parent(&tx, org, Some(id), parent).await?;
    }
    let updated = tenant::update::<category::Entity>(
        &tx,
        Target::new(org, id, if_match),
        patch.changes(),
        None,
    )
    .await
    .map_err(conflict_as(
        "category_name_taken",
        "A category with this name already exists.",
    ))?;
    audit::record(&tx, AuditEntry::by(p, "inventory.category.updated", "category", id, json!({
        "name": [current.name, updated.name], "parent_id": [current.parent_id, updated.parent_id],
    }))).await?;
    tx.commit().await?;
    product_lists_changed(state, org).await;
    Ok(updated.into())
}

/// `DELETE /categories/{id}`: only without sub-categories and products.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn delete_category(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    if_match: Option<i32>,
) -> Result<(), AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let current = find_category(&tx, org, id).await?;
    let children = category::Entity::find()
        .filter(category::Column::OrganizationId.eq(org))
        .filter(category::Column::ParentId.eq(id))
        .count(&tx)
        .await?;
    let products = product::Entity::find()
        .filter(product::Column::OrganizationId.eq(org))
        .filter(product::Column::CategoryId.eq(id))
        .count(&tx)
        .await?;
    if children + products > 0 {
        return Err(AppError::conflict(
            "category_in_use",
            format!(
                "{children} sub-categories and {products} products use this category; move them first."
            ),
        ));
    }
    tenant::delete::<category::Entity>(&tx, Target::new(org, id, if_match), None).await?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "inventory.category.deleted",
            "category",
            id,
            json!({ "name": current.name }),
        ),
    )
    .await?;
    tx.commit().await?;
    product_lists_changed(state, org).await;
    Ok(())
}
