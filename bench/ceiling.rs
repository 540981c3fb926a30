//! The benchmark ceiling: a bare actix-web JSON handler with no middleware,
//! serving the same body as Mainstay's `/health`. Mainstay's figures are read
//! against this one, measured in the same run on the same machine.
//!
//! `cargo build --release --example ceiling`; `PORT=8081 target/release/examples/ceiling`.

use actix_web::{App, HttpServer, get, web};
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

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8081);
    HttpServer::new(|| App::new().service(health))
        .bind(("127.0.0.1", port))?
        .run()
        .await
}
