//! Builds the application: connects the database (and migrates), opens the
//! cache, renders the OpenAPI document once, binds the listener and mounts
//! every route. Used by `main` and by the integration tests alike.

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_cors::Cors;
use actix_web::{
    App, HttpRequest, HttpResponse, HttpServer, dev::Server, http::header, middleware::from_fn, web,
};
use sea_orm::DatabaseConnection;
use tokio::sync::Semaphore;
use utoipa::OpenApi;
use utoipa_actix_web::{AppExt, service_config::ServiceConfig};
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::{
    modules,
    platform::{
        auth::{AuthContext, TokenKeys},
        cache::Cache,
        config::{CorsSettings, Settings, redact_url},
        db,
        error::AppError,
        extract::configure_extractors,
        idempotency,
        openapi::{ApiDoc, ApiSpec, document_platform_responses},
        probes,
        state::AppState,
        telemetry::{Metrics, request_middleware},
    },
};

/// Where the spec is served.
pub const OPENAPI_PATH: &str = "/api-docs/openapi.json";

/// A built server, bound and ready to run.
pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
}

impl Application {
    /// Connects, migrates (unless disabled), opens the cache and binds.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = db::connect(&settings.database).await?;
        if settings.database.migrate_on_start {
            db::migrate(&db).await.map_err(|e| {
                anyhow::anyhow!(
                    "migrating {} failed: {e}",
                    redact_url(&settings.database.url)
                )
            })?;
        }
        let cache = Cache::from_settings(&settings.redis)?;
        Self::build_with(settings, db, cache)
    }

    /// Binds with an already opened database and cache (tests inject a
    /// prefixed cache this way).
    pub fn build_with(
        settings: Settings,
        db: DatabaseConnection,
        cache: Cache,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot listen on {}:{}: {e}",
                    settings.server.host,
                    settings.server.port
                )
            })?;
        let port = listener.local_addr()?.port();
        let auth = AuthContext {
            tokens: Arc::new(TokenKeys::new(&settings.auth)),
            sessions: modules::auth::api::session_loader(db.clone(), modules::PERMISSIONS),
            cache: cache.clone(),
        };
        // Password hashing may use every core but one.
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let state = AppState {
            db,
            cache,
            settings: Arc::new(settings),
            metrics: Arc::new(Metrics::default()),
            spec: Arc::new(ApiSpec::new(openapi())),
            permissions: modules::PERMISSIONS,
            auth,
            cpu_heavy: Arc::new(Semaphore::new(cores.saturating_sub(1).max(1))),
        };
        let server = serve(listener, state.clone())?;
        spawn_housekeeping(state.clone());
        modules::auth::api::spawn_mail_dispatcher(state.clone());
        Ok(Self {
            port,
            server,
            state,
        })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state (tests reach the database through it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT/SIGTERM, then drains in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Mounts the probes and every module, for both the server and the spec.
fn mount(cfg: &mut ServiceConfig) {
    cfg.service(probes::health)
        .service(probes::ready)
        .service(probes::metrics)
        .service(
            utoipa_actix_web::scope::scope("/api/v1")
                .wrap(from_fn(idempotency::middleware))
                .configure(modules::configure),
        );
}

/// The complete OpenAPI document, collected from the mounted routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(mount)
        .split_for_parts();
    document_platform_responses(&mut doc);
    doc
}

fn serve(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
    let settings = state.settings.clone();
    let data = web::Data::new(state);
    let mut server = HttpServer::new(move || {
        let body_limit = data.settings.server.body_limit;
        let cors = cors(&data.settings.cors);
        App::new()
            .into_utoipa_app()
            .app_data(data.clone())
            .app_data(web::Data::new(data.auth.clone()))
            .app_data(web::Data::from(data.metrics.clone()))
            .configure(mount)
            .map(|app| {
                app.configure(|cfg| configure_extractors(cfg, body_limit))
                    .route(OPENAPI_PATH, web::get().to(spec_json))
                    .service(SwaggerUi::new("/docs/{_:.*}").config(Config::from(OPENAPI_PATH)))
                    .service(web::redirect("/docs", "/docs/"))
                    .default_service(web::to(no_route))
                    .wrap(cors)
                    .wrap(from_fn(request_middleware))
            })
            .into_app()
    })
    .listen(listener)?
    .shutdown_timeout(settings.server.shutdown_timeout);
    if settings.server.workers > 0 {
        server = server.workers(settings.server.workers);
    }
    Ok(server.run())
}

/// The OpenAPI document, rendered once at start.
async fn spec_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(state.spec.json.clone())
}

/// 405 with `Allow` when the path exists under another method, else 404.
async fn no_route(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    Err(match req.resource_map().match_pattern(req.path()) {
        Some(pattern) => {
            AppError::method_not_allowed(state.spec.allowed_methods(&pattern).map(str::to_string))
        }
        None => AppError::not_found("No resource exists at this path."),
    })
}

fn cors(settings: &CorsSettings) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("ratelimit-limit"),
            header::HeaderName::from_static("ratelimit-remaining"),
            header::HeaderName::from_static("ratelimit-reset"),
        ])
        .max_age(settings.max_age_secs);
    for origin in &settings.allowed_origins {
        cors = if origin == "*" {
            cors.allow_any_origin()
        } else {
            cors.allowed_origin(origin)
        };
    }
    cors
}

/// Periodic clean-up: expired idempotency keys, hourly.
fn spawn_housekeeping(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match idempotency::purge_expired(&state.db).await {
                Ok(n) if n > 0 => tracing::info!(purged = n, "expired idempotency keys removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "idempotency purge failed"),
            }
        }
    });
}
