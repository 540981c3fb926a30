//! Operational endpoints: `/` (where the documentation is), `/health` (the
//! process is alive), `/ready` (database and cache answer) and `/metrics`
//! (Prometheus text).

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, get, http::header, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::{db, error::AppError, state::AppState};

/// How long a dependency may take to answer before it counts as down.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Liveness answer.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` while the process serves requests.
    #[schema(example = "ok", value_type = String, pattern = "^ok$")]
    pub status: &'static str,
    /// The running version.
    #[schema(example = "0.1.0")]
    pub version: &'static str,
}

/// Readiness answer.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` (anything else answers 503).
    #[schema(example = "ready", value_type = String, pattern = "^ready$")]
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    #[schema(example = "sqlite")]
    pub database: &'static str,
    /// `memory` or `redis`.
    #[schema(example = "memory")]
    pub cache: &'static str,
}

/// Where to start.
#[derive(Serialize, ToSchema)]
pub struct Index {
    /// The product.
    #[schema(example = "Mainstay API")]
    pub name: &'static str,
    /// The running version.
    #[schema(example = "0.1.0")]
    pub version: &'static str,
    /// Swagger UI (interactive documentation).
    #[schema(example = "/docs/")]
    pub docs: &'static str,
    /// The OpenAPI document.
    #[schema(example = "/api-docs/openapi.json")]
    pub openapi: &'static str,
    /// How to begin.
    #[schema(
        example = "Create an organization with POST /api/v1/organizations/onboard, then sign in with POST /api/v1/auth/login."
    )]
    pub getting_started: &'static str,
}

/// Where to start.
///
/// Points to the documentation: a browser (`Accept: text/html`) is sent to
/// Swagger UI with a 303; any other client gets the links as JSON.
#[utoipa::path(
    tag = "ops",
    security(()),
    responses(
        (status = 200, description = "Links to the documentation", body = Index,
            headers(("Link" = String, description = "`</docs/>; rel=\"service-doc\"`"))),
        (status = 303, description = "A browser is sent to Swagger UI at `/docs/`",
            headers(("Location" = String, description = "`/docs/`"))),
    )
)]
#[get("/")]
pub async fn index(req: HttpRequest) -> HttpResponse {
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if wants_html {
        return HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/docs/"))
            .finish();
    }
    HttpResponse::Ok()
        .insert_header((header::LINK, r#"</docs/>; rel="service-doc""#))
        .json(Index {
            name: "Mainstay API",
            version: env!("CARGO_PKG_VERSION"),
            docs: "/docs/",
            openapi: crate::startup::OPENAPI_PATH,
            getting_started: "Create an organization with POST /api/v1/organizations/onboard \
                (or use the demo organization printed at the first start), sign in with POST \
                /api/v1/auth/login, and send `Authorization: Bearer <access_token>`.",
        })
}

/// The process is alive.
///
/// Liveness: 200 while the process serves requests, without touching the
/// database or the cache (a container restarts the process when it fails).
#[utoipa::path(
    tag = "ops",
    responses((status = 200, description = "The process is alive", body = Health))
)]
#[get("/health")]
pub async fn health() -> web::Json<Health> {
    web::Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// The database and the cache answer.
///
/// Readiness: 200 when a query on the database and a ping to the cache both
/// answer within 2 s; otherwise 503 naming the one that did not (a load
/// balancer stops sending traffic here meanwhile).
#[utoipa::path(
    tag = "ops",
    responses(
        (status = 200, description = "Database and cache reachable", body = Readiness),
        (status = 503, description = "A dependency is unreachable; `detail` names it",
            body = crate::platform::error::ProblemDetails, content_type = "application/problem+json")
    )
)]
#[get("/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<web::Json<Readiness>, AppError> {
    let (db_check, cache_check) = tokio::join!(
        tokio::time::timeout(CHECK_TIMEOUT, db::ping(&state.db)),
        tokio::time::timeout(CHECK_TIMEOUT, state.cache.ping()),
    );
    let mut failing = Vec::new();
    match db_check {
        Ok(Ok(())) => {}
        Ok(Err(e)) => failing.push(format!("database unreachable ({e})")),
        Err(_) => failing.push("database did not answer within 2 s".to_string()),
    }
    match cache_check {
        Ok(Ok(())) => {}
        Ok(Err(e)) => failing.push(format!(
            "cache ({}) unreachable ({e})",
            state.cache.backend_name()
        )),
        Err(_) => failing.push("cache did not answer within 2 s".to_string()),
    }
    if !failing.is_empty() {
        tracing::warn!(failing = ?failing, "not ready");
        return Err(AppError::new(
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            format!("Not ready: {}.", failing.join("; ")),
        ));
    }
    Ok(web::Json(Readiness {
        status: "ready",
        database: if state.settings.database.is_sqlite() {
            "sqlite"
        } else {
            "postgres"
        },
        cache: state.cache.backend_name(),
    }))
}

/// Request counts and latency histograms by route pattern and status.
///
/// Prometheus text format: `http_requests_total` and
/// `http_request_duration_seconds` by method, route pattern and status.
/// Unauthenticated: expose it only to the scraper (e.g. not through the
/// public proxy).
#[utoipa::path(
    tag = "ops",
    responses((status = 200, description = "Prometheus text exposition format",
        body = String, content_type = "text/plain; version=0.0.4"))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render())
}
