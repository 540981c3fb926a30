//! Every log line written while serving a request names its request id.

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use actix_web::{App, HttpResponse, middleware::from_fn, test, web};
use mainstay::platform::telemetry::request_middleware;
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

    let app = test::init_service(
        App::new()
            .wrap(from_fn(request_middleware))
            .route("/noisy", web::get().to(noisy)),
    )
    .await;
    let req = test::TestRequest::get()
        .uri("/noisy")
        .insert_header(("X-Request-Id", "log-test-1"))
        .to_request();
    let res = test::call_service(&app, req).await;
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
