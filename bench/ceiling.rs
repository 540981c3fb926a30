//! Benchmark ceilings: bare actix-web handlers with no middleware, measured
//! in the same run as Mainstay on the same machine.
//!
//! - `GET /health`: the same JSON body as Mainstay's `/health`.
//! - `GET /pk/{id}`: one SeaORM primary-key select on `users` (needs
//!   `DATABASE_URL`), the ceiling for `GET /api/v1/auth/me`.
//! - `GET /movements/{organization}`: the newest 51 stock movements of an
//!   organization by the same index Mainstay's list uses, as JSON, the
//!   ceiling for `GET /api/v1/inventory/movements?limit=50` (`?product_id=`
//!   for the by-product page).
//! - `GET /contacts/{organization}`: the newest 51 active contacts of an
//!   organization, every column, by the index Mainstay's list uses, as JSON:
//!   the ceiling for `GET /api/v1/contacts?limit=50`.
//! - `GET /sales-orders/{organization}`: the newest 51 confirmed sales
//!   orders of an organization, every column, by the index Mainstay's list
//!   uses, as JSON: the ceiling for
//!   `GET /api/v1/sales-orders?status=confirmed&limit=50`.
//!
//! `cargo build --release --example ceiling`;
//! `PORT=8081 DATABASE_URL=postgres://... target/release/examples/ceiling`.

use actix_web::{App, HttpResponse, HttpServer, get, web};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde::Serialize;

#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
}

#[get("/health")]
async fn health() -> web::Json<Health> {
    web::Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

#[get("/pk/{id}")]
async fn pk(db: web::Data<Option<DatabaseConnection>>, id: web::Path<uuid::Uuid>) -> HttpResponse {
    let Some(db) = db.get_ref() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    let stmt = Statement::from_sql_and_values(
        db.get_database_backend(),
        "SELECT id, email, full_name FROM users WHERE id = $1",
        [id.into_inner().into()],
    );
    match db.query_one_raw(stmt).await {
        Ok(Some(row)) => {
            let email: String = row.try_get("", "email").unwrap_or_default();
            HttpResponse::Ok().json(serde_json::json!({ "email": email }))
        }
        Ok(None) => HttpResponse::NotFound().finish(),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

/// `?product_id=`: the by-product page.
#[derive(serde::Deserialize)]
struct MovementFilter {
    product_id: Option<uuid::Uuid>,
}

#[get("/movements/{org}")]
async fn movements(
    db: web::Data<Option<DatabaseConnection>>,
    org: web::Path<uuid::Uuid>,
    filter: web::Query<MovementFilter>,
) -> HttpResponse {
    let Some(db) = db.get_ref() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    let columns = "SELECT id, product_id, warehouse_id, kind, quantity, reason, created_at \
                   FROM stock_movements WHERE organization_id = $1";
    let stmt = match filter.product_id {
        None => Statement::from_sql_and_values(
            db.get_database_backend(),
            format!("{columns} ORDER BY id DESC LIMIT 51"),
            [org.into_inner().into()],
        ),
        Some(product) => Statement::from_sql_and_values(
            db.get_database_backend(),
            format!("{columns} AND product_id = $2 ORDER BY id DESC LIMIT 51"),
            [org.into_inner().into(), product.into()],
        ),
    };
    match db.query_all_raw(stmt).await {
        Ok(rows) => {
            let data: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.try_get::<uuid::Uuid>("", "id").ok(),
                        "product_id": r.try_get::<uuid::Uuid>("", "product_id").ok(),
                        "warehouse_id": r.try_get::<uuid::Uuid>("", "warehouse_id").ok(),
                        "kind": r.try_get::<String>("", "kind").ok(),
                        "quantity": r.try_get::<i64>("", "quantity").ok(),
                        "reason": r.try_get::<String>("", "reason").ok(),
                        "created_at": r.try_get::<chrono::DateTime<chrono::Utc>>("", "created_at").ok(),
                    })
                })
                .collect();
            HttpResponse::Ok().json(serde_json::json!({ "data": data }))
        }
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

#[get("/contacts/{org}")]
async fn contacts(
    db: web::Data<Option<DatabaseConnection>>,
    org: web::Path<uuid::Uuid>,
) -> HttpResponse {
    let Some(db) = db.get_ref() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    let stmt = Statement::from_sql_and_values(
        db.get_database_backend(),
        "SELECT id, first_name, last_name, email, phone, title, customer_id, owner_id, tags, \
         custom_fields, do_not_contact, active, created_at, updated_at, version \
         FROM contacts WHERE organization_id = $1 AND active = true ORDER BY id DESC LIMIT 51",
        [org.into_inner().into()],
    );
    match db.query_all_raw(stmt).await {
        Ok(rows) => {
            let data: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.try_get::<uuid::Uuid>("", "id").ok(),
                        "first_name": r.try_get::<String>("", "first_name").ok(),
                        "last_name": r.try_get::<String>("", "last_name").ok(),
                        "email": r.try_get::<Option<String>>("", "email").ok(),
                        "phone": r.try_get::<Option<String>>("", "phone").ok(),
                        "title": r.try_get::<Option<String>>("", "title").ok(),
                        "customer_id": r.try_get::<Option<uuid::Uuid>>("", "customer_id").ok(),
                        "owner_id": r.try_get::<Option<uuid::Uuid>>("", "owner_id").ok(),
                        "tags": r.try_get::<serde_json::Value>("", "tags").ok(),
                        "custom_fields": r.try_get::<serde_json::Value>("", "custom_fields").ok(),
                        "do_not_contact": r.try_get::<bool>("", "do_not_contact").ok(),
                        "active": r.try_get::<bool>("", "active").ok(),
                        "created_at": r.try_get::<chrono::DateTime<chrono::Utc>>("", "created_at").ok(),
                        "updated_at": r.try_get::<chrono::DateTime<chrono::Utc>>("", "updated_at").ok(),
                        "version": r.try_get::<i32>("", "version").ok(),
                    })
                })
                .collect();
            HttpResponse::Ok().json(serde_json::json!({ "data": data }))
        }
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

#[get("/sales-orders/{org}")]
async fn sales_orders(
    db: web::Data<Option<DatabaseConnection>>,
    org: web::Path<uuid::Uuid>,
) -> HttpResponse {
    use chrono::{DateTime, NaiveDate, Utc};
    use uuid::Uuid;
    let Some(db) = db.get_ref() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    let stmt = Statement::from_sql_and_values(
        db.get_database_backend(),
        "SELECT id, number, status, customer_id, contact_id, quote_id, warehouse_id, order_date, \
         requested_delivery_date, currency, notes, subtotal, discount_total, tax_total, total, \
         backordered, line_count, created_by, confirmed_at, fulfilled_at, cancelled_at, \
         created_at, updated_at, version FROM sales_orders \
         WHERE organization_id = $1 AND status = 'confirmed' ORDER BY id DESC LIMIT 51",
        [org.into_inner().into()],
    );
    let Ok(rows) = db.query_all_raw(stmt).await else {
        return HttpResponse::InternalServerError().finish();
    };
    let data: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let money = |c: &str| r.try_get::<i64>("", c).ok().map(|u| u as f64 / 10_000.0);
            serde_json::json!({
                "id": r.try_get::<Uuid>("", "id").ok(),
                "number": r.try_get::<String>("", "number").ok(),
                "status": r.try_get::<String>("", "status").ok(),
                "customer_id": r.try_get::<Uuid>("", "customer_id").ok(),
                "contact_id": r.try_get::<Option<Uuid>>("", "contact_id").ok(),
                "quote_id": r.try_get::<Option<Uuid>>("", "quote_id").ok(),
                "warehouse_id": r.try_get::<Option<Uuid>>("", "warehouse_id").ok(),
                "order_date": r.try_get::<NaiveDate>("", "order_date").ok(),
                "requested_delivery_date": r.try_get::<Option<NaiveDate>>("", "requested_delivery_date").ok(),
                "currency": r.try_get::<String>("", "currency").ok(),
                "notes": r.try_get::<String>("", "notes").ok(),
                "subtotal": money("subtotal"),
                "discount_total": money("discount_total"),
                "tax_total": money("tax_total"),
                "total": money("total"),
                "backordered": r.try_get::<bool>("", "backordered").ok(),
                "line_count": r.try_get::<i32>("", "line_count").ok(),
                "created_by": r.try_get::<Option<Uuid>>("", "created_by").ok(),
                "confirmed_at": r.try_get::<Option<DateTime<Utc>>>("", "confirmed_at").ok(),
                "fulfilled_at": r.try_get::<Option<DateTime<Utc>>>("", "fulfilled_at").ok(),
                "cancelled_at": r.try_get::<Option<DateTime<Utc>>>("", "cancelled_at").ok(),
                "created_at": r.try_get::<DateTime<Utc>>("", "created_at").ok(),
                "updated_at": r.try_get::<DateTime<Utc>>("", "updated_at").ok(),
                "version": r.try_get::<i32>("", "version").ok(),
            })
        })
        .collect();
    HttpResponse::Ok().json(serde_json::json!({ "data": data }))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8081);
    let db = match std::env::var("DATABASE_URL") {
        Ok(url) => Some(
            Database::connect(url)
                .await
                .map_err(std::io::Error::other)?,
        ),
        Err(_) => None,
    };
    let db = web::Data::new(db);
    HttpServer::new(move || {
        App::new()
            .app_data(db.clone())
            .service(health)
            .service(pk)
            .service(movements)
            .service(contacts)
            .service(sales_orders)
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
