//! Logging, request ids and Prometheus metrics.
//!
//! [`request_middleware`] is the outermost layer: it accepts a sane incoming
//! `X-Request-Id` or makes one, runs the request inside a span carrying it (so
//! every log line of the request names it) and a task-local (so error bodies
//! and audit records name it), turns any error response that is not yet
//! `application/problem+json` into one, and records the request in [`Metrics`].

use std::{
    collections::HashMap,
    sync::{
        Arc, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};

use actix_web::{
    Error, HttpMessage, HttpResponse,
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderName, HeaderValue},
    middleware::Next,
    web,
};
use tracing::Instrument;
use tracing_subscriber::{EnvFilter, fmt};

use super::{
    config::{LogFormat, TelemetrySettings},
    error::{PROBLEM_JSON, code_for_status, problem_body},
    request_id::{REQUEST_ID, RateLimitInfo, RequestId},
};

pub use super::request_id::{REQUEST_ID_HEADER, current_request_id, scope_request_id};

/// Installs the global tracing subscriber: pretty or JSON, `RUST_LOG` wins
/// over the configured level. A second call (tests) is a no-op.
pub fn init_subscriber(settings: &TelemetrySettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = match settings.format {
        LogFormat::Json => fmt()
            .json()
            .with_env_filter(filter)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        // Colour only on a terminal: piped or collected logs stay plain text.
        LogFormat::Pretty => fmt()
            .with_env_filter(filter)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .try_init(),
    };
}

/// Accepts an incoming id only if it is short and made of safe characters, so
/// it cannot forge log lines or carry markup.
fn sane_request_id(value: &HeaderValue) -> Option<String> {
    let s = value.to_str().ok()?;
    let ok = !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    ok.then(|| s.to_string())
}

/// Paths polled by orchestrators: logged at debug so they do not flood logs.
fn is_probe(path: &str) -> bool {
    matches!(path, "/health" | "/ready" | "/metrics")
}

/// The outermost middleware (see the module docs).
pub async fn request_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(sane_request_id)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %req.method(),
        path = %super::card::loggable(req.path()),
    );
    req.extensions_mut().insert(RequestId(request_id.clone()));

    // An `Err` here comes from an inner middleware, not a handler (handlers turn
    // their errors into responses); actix renders it through its own
    // `ResponseError`, which for `AppError` is already problem+json.
    let res = REQUEST_ID
        .scope(request_id.clone(), next.call(req))
        .instrument(span.clone())
        .await?;
    let mut res = REQUEST_ID.sync_scope(request_id.clone(), || {
        normalize_error(res.map_into_boxed_body())
    });
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    let rate_limit = res.request().extensions().get::<RateLimitInfo>().copied();
    if let Some(rl) = rate_limit {
        let headers = res.headers_mut();
        for (name, value) in [
            ("ratelimit-limit", rl.limit),
            ("ratelimit-remaining", rl.remaining),
            ("ratelimit-reset", rl.reset_secs),
        ] {
            headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
        }
    }
    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    let route = res.request().match_pattern();
    if let Some(metrics) = metrics {
        metrics.observe(
            res.request().method().as_str(),
            route.as_deref().unwrap_or("unmatched"),
            status,
            elapsed.as_micros() as u64,
        );
    }
    let elapsed_us = elapsed.as_micros() as u64;
    if is_probe(res.request().path()) {
        tracing::debug!(parent: &span, status, elapsed_us, "request completed");
    } else if status >= 500 {
        tracing::error!(parent: &span, status, elapsed_us, "request completed");
    } else {
        tracing::info!(parent: &span, status, elapsed_us, "request completed");
    }
    Ok(res)
}

/// Rewrites an error response produced outside our handlers (actix's own
/// 404/405/413, CORS refusals, ...) into problem+json.
fn normalize_error(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem {
        return res;
    }
    let detail = match status.as_u16() {
        404 => "No resource exists at this path.",
        405 => "This resource does not support that HTTP method.",
        s if s >= 500 => "An unexpected error occurred. Quote the request id when reporting it.",
        _ => status
            .canonical_reason()
            .unwrap_or("The request was refused."),
    };
    let body = problem_body(
        status,
        code_for_status(status),
        detail,
        Vec::new(),
        current_request_id(),
    );
    let (req, old) = res.into_parts();
    let mut builder = HttpResponse::build(status);
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            builder.append_header((name.clone(), value.clone()));
        }
    }
    let new = builder
        .insert_header((header::CONTENT_TYPE, PROBLEM_JSON))
        .body(serde_json::to_vec(&body).unwrap_or_default());
    ServiceResponse::new(req, new)
}

/// Upper bounds of the latency histogram, in microseconds.
const BUCKETS_US: [u64; 12] = [
    1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    10_000_000,
];

#[derive(Default)]
struct Series {
    buckets: [AtomicU64; BUCKETS_US.len()],
    count: AtomicU64,
    sum_us: AtomicU64,
}

type SeriesKey = (String, String, u16);

/// Request counters and latency histograms by method, route pattern and status.
/// Lock-free on the hot path once a series exists (read lock + atomics).
#[derive(Default)]
pub struct Metrics {
    series: RwLock<HashMap<SeriesKey, Arc<Series>>>,
}

impl Metrics {
    /// Records one finished request.
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed_us: u64) {
        let key = (method.to_string(), route.to_string(), status);
        let existing = self
            .series
            .read()
            .ok()
            .and_then(|map| map.get(&key).cloned());
        let series = match existing {
            Some(s) => s,
            None => match self.series.write() {
                Ok(mut map) => map.entry(key).or_default().clone(),
                Err(_) => return,
            },
        };
        series.count.fetch_add(1, Ordering::Relaxed);
        series.sum_us.fetch_add(elapsed_us, Ordering::Relaxed);
        if let Some(i) = BUCKETS_US.iter().position(|&b| elapsed_us <= b) {
            series.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Prometheus text exposition format 0.0.4.
    pub fn render(&self) -> String {
        let map = match self.series.read() {
            Ok(m) => m,
            Err(_) => return String::new(),
        };
        let mut keys: Vec<_> = map.keys().collect();
        keys.sort();
        let mut out = String::with_capacity(256 + keys.len() * 1024);
        out.push_str("# HELP http_requests_total HTTP requests served, by method, route pattern and status.\n");
        out.push_str("# TYPE http_requests_total counter\n");
        for key in &keys {
            let s = &map[*key];
            out.push_str(&format!(
                "http_requests_total{{{}}} {}\n",
                labels(key),
                s.count.load(Ordering::Relaxed)
            ));
        }
        out.push_str("# HELP http_request_duration_seconds HTTP request latency, by method, route pattern and status.\n");
        out.push_str("# TYPE http_request_duration_seconds histogram\n");
        for key in &keys {
            let s = &map[*key];
            let l = labels(key);
            let mut cumulative = 0;
            for (i, bound) in BUCKETS_US.iter().enumerate() {
                cumulative += s.buckets[i].load(Ordering::Relaxed);
                out.push_str(&format!(
                    "http_request_duration_seconds_bucket{{{l},le=\"{}\"}} {cumulative}\n",
                    micros_as_seconds(*bound)
                ));
            }
            let count = s.count.load(Ordering::Relaxed);
            out.push_str(&format!(
                "http_request_duration_seconds_bucket{{{l},le=\"+Inf\"}} {count}\n"
            ));
            out.push_str(&format!(
                "http_request_duration_seconds_sum{{{l}}} {}\n",
                micros_as_seconds(s.sum_us.load(Ordering::Relaxed))
            ));
            out.push_str(&format!(
                "http_request_duration_seconds_count{{{l}}} {count}\n"
            ));
        }
        out
    }
}

fn labels((method, route, status): &SeriesKey) -> String {
    let route = route.replace('\\', "\\\\").replace('"', "\\\"");
    format!("method=\"{method}\",route=\"{route}\",status=\"{status}\"")
}

/// Exact decimal seconds from integer microseconds (`2500` -> `0.0025`).
fn micros_as_seconds(us: u64) -> String {
    let frac = format!("{:06}", us % 1_000_000);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{}", us / 1_000_000)
    } else {
        format!("{}.{frac}", us / 1_000_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micros_render_as_exact_seconds() {
        assert_eq!(micros_as_seconds(2_500), "0.0025");
        assert_eq!(micros_as_seconds(1_000_000), "1");
        assert_eq!(micros_as_seconds(10_250_000), "10.25");
    }

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.observe("GET", "/health", 200, 800);
        m.observe("GET", "/health", 200, 30_000);
        let text = m.render();
        assert!(text.contains(
            "http_request_duration_seconds_bucket{method=\"GET\",route=\"/health\",status=\"200\",le=\"0.001\"} 1"
        ));
        assert!(text.contains(
            "http_request_duration_seconds_bucket{method=\"GET\",route=\"/health\",status=\"200\",le=\"0.05\"} 2"
        ));
        assert!(
            text.contains("http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 2")
        );
    }

    #[test]
    fn only_safe_request_ids_are_accepted() {
        assert!(sane_request_id(&HeaderValue::from_static("abc-123_x.y:z")).is_some());
        assert!(sane_request_id(&HeaderValue::from_static("bad id")).is_none());
        assert!(sane_request_id(&HeaderValue::from_str(&"a".repeat(129)).unwrap()).is_none());
    }

    // Every log line written while serving a request names its request id.
    // A unit test on purpose: the request span's callsite interest is cached
    // process-wide, and in the integration binary other tests' apps reach that
    // callsite concurrently (a registration racing this test's subscriber
    // could cache it as uninteresting). Here nothing else serves requests.
    use std::{
        io::Write,
        sync::{Arc, Mutex},
    };

    use actix_web::{App, HttpResponse, middleware::from_fn, test as actix_test, web};
    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Capture {
        type Writer = Capture;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    async fn noisy() -> HttpResponse {
        tracing::info!("inside the handler");
        tracing::warn!(detail = "x", "a warning from deep inside");
        HttpResponse::Ok().finish()
    }

    #[actix_web::test]
    async fn every_log_line_of_a_request_carries_its_request_id() {
        let capture = Capture::default();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_max_level(tracing::Level::INFO)
            .with_writer(capture.clone())
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        // Callsite interest is cached process-wide: a log line first reached by
        // another test's app while this subscriber was being installed could be
        // cached as uninteresting. Recompute it with this subscriber in place.
        tracing::callsite::rebuild_interest_cache();

        let app = actix_test::init_service(
            App::new()
                .wrap(from_fn(request_middleware))
                .route("/noisy", web::get().to(noisy)),
        )
        .await;
        let req = actix_test::TestRequest::get()
            .uri("/noisy")
            .insert_header(("X-Request-Id", "log-test-1"))
            .to_request();
        let res = actix_test::call_service(&app, req).await;
        assert_eq!(res.status(), 200);

        let text = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON log line"))
            .collect();
        let messages: Vec<&str> = lines
            .iter()
            .filter_map(|l| l["fields"]["message"].as_str())
            .collect();
        assert!(messages.contains(&"inside the handler"), "{text}");
        assert!(messages.contains(&"request completed"), "{text}");
        for line in &lines {
            assert_eq!(
                line["span"]["request_id"], "log-test-1",
                "line without the id: {line}"
            );
        }
    }
}
