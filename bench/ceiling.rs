//! Benchmark ceilings: bare actix-web handlers with no middleware, measured
//! in the same run as Mainstay on the same machine.
//!
//! - `GET /health`: the same JSON body as Mainstay's `/health`.
//! - `GET /pk/{id}`: one SeaORM primary-key select on `users` (needs
//!   `DATABASE_URL`), the ceiling for `GET /api/v1/auth/me`.
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
    HttpServer::new(move || App::new().app_data(db.clone()).service(health).service(pk))
        .bind(("127.0.0.1", port))?
        .run()
        .await
}
