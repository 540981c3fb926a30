//! Builds the application: connects the database (and migrates), opens the
//! cache, renders the OpenAPI document once, binds the listener and mounts
//! every route. Used by `main` and by the integration tests alike.

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_cors::Cors;
use actix_web::{
    App, HttpRequest, HttpResponse, HttpServer,
    body::{EitherBody, MessageBody},
    dev::{Server, ServiceRequest, ServiceResponse},
    http::header,
    middleware::{Next, from_fn},
    web,
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
        client_ip::TrustedProxies,
        conditional,
        config::{CorsSettings, Settings, redact_url},
        db,
        error::AppError,
        extract::configure_extractors,
        idempotency, lifecycle,
        lifecycle::Lifecycle,
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
    /// The listening socket (a second handle), closed at shutdown.
    listener: TcpListener,
}

impl Application {
    /// Connects, migrates (unless disabled), opens the cache and binds.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        if settings.database.migrate_on_start {
            // Migrations run on a pool of their own, closed afterwards: a
            // connection that changed the schema keeps planner estimates from
            // before (SQLite then picks a worse index for the new lists).
            let migrating = db::connect(&settings.database).await?;
            db::migrate(&migrating).await.map_err(|e| {
                anyhow::anyhow!(
                    "migrating {} failed: {e}",
                    redact_url(&settings.database.url)
                )
            })?;
            migrating.close().await?;
        }
        let db = db::connect(&settings.database).await?;
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
        let lifecycle = Lifecycle::new(Duration::from_secs(settings.server.body_timeout_secs));
        let state = AppState {
            db,
            cache,
            settings: Arc::new(settings),
            metrics: Arc::new(Metrics::default()),
            spec: Arc::new(ApiSpec::new(openapi())),
            permissions: modules::PERMISSIONS,
            auth,
            cpu_heavy: Arc::new(Semaphore::new(cores.saturating_sub(1).max(1))),
            lifecycle,
            founded: modules::FOUNDED,
        };
        let shared = listener.try_clone()?;
        let server = serve(listener, state.clone())?;
        spawn_housekeeping(state.clone());
        crate::platform::session_cache::spawn_subscriber(state.cache.clone());
        modules::auth::api::spawn_mail_dispatcher(state.clone());
        modules::auth::api::spawn_revocation_delivery(state.clone());
        Ok(Self {
            port,
            server,
            state,
            listener: shared,
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

    /// Serves until SIGINT/SIGTERM, then shuts down gracefully: stops
    /// accepting, refuses new requests on open connections (503, `Connection:
    /// close`), waits for everything in flight (at most
    /// `server.shutdown_timeout`), and only then stops the workers.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        // The server runs as its own task: the handle's commands below are
        // carried out by it, so it must go on being polled meanwhile.
        let handle = self.server.handle();
        let mut server = tokio::spawn(self.server);
        let joined = |res: Result<std::io::Result<()>, tokio::task::JoinError>| {
            res.unwrap_or_else(|e| Err(std::io::Error::other(e)))
        };
        tokio::select! {
            res = &mut server => return joined(res),
            () = shutdown_signal() => {}
        }
        let timeout = Duration::from_secs(self.state.settings.server.shutdown_timeout);
        let life = &self.state.lifecycle;
        tracing::info!(
            in_flight = life.in_flight(),
            "shutdown: draining in-flight requests"
        );
        handle.pause().await;
        close_listener(&self.listener);
        if !life.drain(timeout).await {
            tracing::warn!(
                in_flight = life.in_flight(),
                "shutdown: requests still running after the shutdown timeout"
            );
        }
        handle.stop(true).await;
        joined(server.await)
    }
}

/// Mounts the probes and every module, for both the server and the spec.
fn mount(cfg: &mut ServiceConfig) {
    cfg.service(probes::index)
        .service(probes::health)
        .service(probes::ready)
        .service(probes::metrics)
        .service(
            utoipa_actix_web::scope::scope("/api/v1")
                .wrap(from_fn(idempotency::middleware))
                .wrap(from_fn(conditional::middleware))
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

/// Closes the listening socket, so new connections are refused at once (a
/// load balancer tries another replica) instead of waiting in the kernel's
/// backlog of a paused listener until the process exits under them.
fn close_listener(listener: &TcpListener) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: shutdown(2) on a socket this process owns; it only changes
        // the socket's state.
        unsafe {
            libc::shutdown(listener.as_raw_fd(), libc::SHUT_RDWR);
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = listener;
}

/// SIGTERM (container stop) or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn serve(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
    let settings = state.settings.clone();
    let lifecycle = web::Data::from(state.lifecycle.clone());
    let trusted = web::Data::new(TrustedProxies::new(&settings.server.trusted_proxies));
    let data = web::Data::new(state);
    let mut server = HttpServer::new(move || {
        let body_limit = data.settings.server.body_limit;
        let cors = cors(&data.settings.cors);
        App::new()
            .into_utoipa_app()
            .app_data(data.clone())
            .app_data(web::Data::new(data.auth.clone()))
            .app_data(web::Data::from(data.metrics.clone()))
            .app_data(lifecycle.clone())
            .app_data(trusted.clone())
            .configure(mount)
            .map(|app| {
                app.configure(|cfg| configure_extractors(cfg, body_limit))
                    .route(OPENAPI_PATH, web::get().to(spec_json))
                    .service(SwaggerUi::new("/docs/{_:.*}").config(swagger_config()))
                    .service(web::redirect("/docs", "/docs/"))
                    .default_service(web::to(no_route))
                    .wrap(cors)
                    .wrap(from_fn(cors_preflight))
                    .wrap(from_fn(lifecycle::middleware))
                    .wrap(from_fn(request_middleware))
            })
            .into_app()
    })
    .listen(listener)?
    // Signals are ours (`run_until_stopped`): the drain must finish before
    // any worker's runtime stops.
    .disable_signals()
    .shutdown_timeout(settings.server.shutdown_timeout);
    if settings.server.workers > 0 {
        server = server.workers(settings.server.workers);
    }
    Ok(server.run())
}

/// Swagger UI: the token survives a reload (`persistAuthorization`), and
/// "Try it out" is on, with request durations shown.
fn swagger_config() -> Config<'static> {
    Config::from(OPENAPI_PATH)
        .persist_authorization(true)
        .try_it_out_enabled(true)
        .display_request_duration(true)
}

/// The OpenAPI document, rendered once at start.
async fn spec_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(state.spec.json.clone())
}

/// 405 with `Allow` when the path exists under another method, else 404.
/// The documented paths decide (a literal segment beats a parameter); the
/// undocumented ones (Swagger UI, the spec) are read-only.
async fn no_route(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    if let Some(allow) = state.spec.allowed_methods_of(req.path()) {
        return Err(AppError::method_not_allowed(Some(allow.to_string())));
    }
    Err(match req.resource_map().match_pattern(req.path()) {
        Some(_) => AppError::method_not_allowed(Some("GET".to_string())),
        None => AppError::not_found("No resource exists at this path."),
    })
}

/// Methods a browser may use cross-origin.
const CORS_METHODS: [&str; 6] = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
/// Request headers a browser may send cross-origin.
const CORS_HEADERS: [&str; 7] = [
    "authorization",
    "content-type",
    "accept",
    "if-match",
    "if-none-match",
    "idempotency-key",
    "x-request-id",
];

fn cors(settings: &CorsSettings) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(CORS_METHODS)
        .allowed_headers(CORS_HEADERS.map(header::HeaderName::from_static))
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::ALLOW,
            header::WWW_AUTHENTICATE,
            header::HeaderName::from_static(idempotency::REPLAYED_HEADER),
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

/// Answers a CORS preflight the CORS layer would refuse with a problem that
/// says why and which setting decides, instead of its bare-text 400: an
/// origin outside `cors.allowed_origins` is a 403 `cors_origin_not_allowed`;
/// a method or header outside the allowed ones a 400 `cors_preflight_refused`.
async fn cors_preflight(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let headers = req.headers();
    let preflight = req.method() == actix_web::http::Method::OPTIONS
        && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let (true, Some(origin), Some(state)) =
        (preflight, origin, req.app_data::<web::Data<AppState>>())
    else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let allowed = &state.settings.cors.allowed_origins;
    let refusal = if !allowed.iter().any(|o| o == "*" || o == origin) {
        Some(AppError::forbidden(
            "cors_origin_not_allowed",
            format!(
                "The origin `{origin}` may not call this API from a browser: add it to \
                 cors.allowed_origins (environment: MAINSTAY__CORS__ALLOWED_ORIGINS, a \
                 comma-separated list; currently {}).",
                if allowed.is_empty() {
                    "empty".to_string()
                } else {
                    allowed.join(", ")
                }
            ),
        ))
    } else {
        let method = headers
            .get(header::ACCESS_CONTROL_REQUEST_METHOD)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let requested = headers
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let unknown: Vec<&str> = requested
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .filter(|h| !CORS_HEADERS.iter().any(|a| a.eq_ignore_ascii_case(h)))
            .collect();
        if !CORS_METHODS.contains(&method) || !unknown.is_empty() {
            Some(AppError::bad_request(
                "cors_preflight_refused",
                format!(
                    "The preflight asks for method `{method}` and headers `{requested}`; \
                     allowed are the methods {} and the headers {}.",
                    CORS_METHODS.join(", "),
                    CORS_HEADERS.join(", ")
                ),
            ))
        } else {
            None
        }
    };
    match refusal {
        Some(e) => Ok(req.error_response(e).map_into_right_body()),
        None => Ok(next.call(req).await?.map_into_left_body()),
    }
}

/// Retention, by itself: every `retention.interval_secs`, expired
/// idempotency keys and long-ended sessions are deleted in batches of
/// `retention.batch_size` (each batch its own short statement, so no long
/// lock is held). Every process runs it; the batches of two processes at once
/// only find less to delete.
fn spawn_housekeeping(state: AppState) {
    tokio::spawn(async move {
        let retention = state.settings.retention.clone();
        let mut tick = tokio::time::interval(Duration::from_secs(retention.interval_secs));
        loop {
            tick.tick().await;
            if state.lifecycle.database_down() {
                continue;
            }
            match idempotency::purge_expired(&state.db, retention.batch_size).await {
                Ok(n) if n > 0 => tracing::info!(purged = n, "expired idempotency keys removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "idempotency purge failed"),
            }
            let days = chrono::Duration::days(retention.session_days);
            match modules::auth::api::purge_ended_sessions(&state.db, days, retention.batch_size)
                .await
            {
                Ok(n) if n > 0 => tracing::info!(purged = n, "ended sessions removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "session purge failed"),
            }
        }
    });
}
