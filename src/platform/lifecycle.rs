//! The process's request lifecycle, in one middleware ([`middleware`]):
//!
//! - **Draining.** On SIGTERM/SIGINT the server stops accepting connections,
//!   answers any new request on a kept-alive connection with 503 +
//!   `Retry-After` + `Connection: close`, and waits until every request in
//!   flight has finished (work on the blocking pool and background work a
//!   request handed off included, see [`Lifecycle::hold`]) before the workers
//!   stop, bounded by `server.shutdown_timeout`. Workers stop only once
//!   nothing runs, so no request meets a runtime that is going away.
//! - **Database down.** A response that found the database unreachable
//!   ([`AppError::database_unavailable`]) marks it down; until a background
//!   probe reaches it again, requests that need it fail at once with 503 +
//!   `Retry-After` instead of each waiting out the pool's acquire timeout.
//! - **Slow bodies.** A request body must arrive within
//!   `server.body_timeout_secs` of the request head (408 otherwise), as
//!   actix already does for slow heads.

use std::{
    io,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use actix_web::{
    Error, HttpMessage, ResponseError,
    body::{BoxBody, MessageBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    error::PayloadError,
    http::header,
    middleware::Next,
    web::{self, Bytes},
};
use futures_core::Stream;
use sea_orm::DatabaseConnection;
use tokio::{sync::Notify, time::Instant};

use super::error::{AppError, DatabaseDown};

/// How often the probe asks a database marked down.
const PROBE_INTERVAL: Duration = Duration::from_millis(250);
/// How long a drain keeps answering open connections before it may end.
const CLOSE_WINDOW: Duration = Duration::from_millis(500);
/// How long one probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// In-flight accounting, the draining switch and the database's known state.
#[derive(Debug)]
pub struct Lifecycle {
    in_flight: AtomicUsize,
    draining: AtomicBool,
    idle: Notify,
    db_down: AtomicBool,
    body_timeout: Duration,
}

/// Counts as in flight while alive.
#[derive(Debug)]
pub struct InFlight(Arc<Lifecycle>);

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Lifecycle {
    /// A lifecycle whose request bodies must arrive within `body_timeout`.
    pub fn new(body_timeout: Duration) -> Arc<Self> {
        Arc::new(Self {
            in_flight: AtomicUsize::new(0),
            draining: AtomicBool::new(false),
            idle: Notify::new(),
            db_down: AtomicBool::new(false),
            body_timeout,
        })
    }

    /// Keeps the drain waiting while the guard lives: a request holds one,
    /// and so does work it hands to the background (`tokio::spawn`).
    pub fn hold(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(self.clone())
    }

    /// Requests (and held background work) not yet finished.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// True once a drain started.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }

    /// Refuses new requests from now on and waits until nothing is in flight
    /// or `timeout` passed; true if everything finished. It waits at least
    /// [`CLOSE_WINDOW`] (within the timeout) even when idle: a client sending on
    /// a kept-alive connection meanwhile gets its 503 with `Connection: close`
    /// instead of a connection closed under its request.
    pub async fn drain(&self, timeout: Duration) -> bool {
        self.draining.store(true, Ordering::Release);
        let deadline = Instant::now() + timeout;
        tokio::time::sleep_until(Instant::now() + CLOSE_WINDOW.min(timeout)).await;
        loop {
            let idle = self.idle.notified();
            if self.in_flight() == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return self.in_flight() == 0;
            }
        }
    }

    /// True while the database is known to be unreachable.
    pub fn database_down(&self) -> bool {
        self.db_down.load(Ordering::Acquire)
    }

    /// Marks the database down and, unless one already runs, starts the probe
    /// that marks it up again once a query succeeds.
    pub fn mark_database_down(self: &Arc<Self>, db: &DatabaseConnection) {
        if self.db_down.swap(true, Ordering::AcqRel) {
            return;
        }
        tracing::error!("database unreachable: failing fast until it answers again");
        let this = self.clone();
        let db = db.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(PROBE_INTERVAL).await;
                if let Ok(Ok(())) = tokio::time::timeout(PROBE_TIMEOUT, super::db::ping(&db)).await
                {
                    this.db_down.store(false, Ordering::Release);
                    tracing::info!("database reachable again");
                    return;
                }
            }
        });
    }
}

/// Paths served without the database (and during a drain, nothing is).
fn needs_database(path: &str) -> bool {
    path.starts_with("/api/v1/") || path == "/ready"
}

/// True when the request announces a body.
fn has_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .is_some_and(|n| n > 0)
}

/// The lifecycle middleware (see the module documentation).
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(life) = req
        .app_data::<web::Data<Lifecycle>>()
        .map(|l| l.clone().into_inner())
    else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    if life.is_draining() {
        let mut res = AppError::service_unavailable("The server is shutting down; retry.")
            .with_code("shutting_down")
            .with_retry_after(1)
            .error_response();
        res.head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
        return Ok(req.into_response(res));
    }
    if life.database_down() && needs_database(req.path()) {
        let res = AppError::database_unavailable(anyhow::anyhow!("database marked down"))
            .error_response();
        return Ok(req.into_response(res));
    }
    let _guard = life.hold();
    if has_body(&req) {
        let payload = req.take_payload();
        let timed = TimedPayload {
            inner: payload,
            deadline: Box::pin(tokio::time::sleep(life.body_timeout)),
            secs: life.body_timeout.as_secs(),
        };
        req.set_payload(Payload::from(
            Box::pin(timed) as Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>
        ));
    }
    let res = next.call(req).await?.map_into_boxed_body();
    // Only an outage needs the pool (for the probe): no clone per request.
    if res.response().extensions().contains::<DatabaseDown>()
        && let Some(state) = res
            .request()
            .app_data::<web::Data<super::state::AppState>>()
    {
        life.mark_database_down(&state.db);
    }
    Ok(res)
}

/// A request body that fails with [`BodyTimedOut`] once its deadline passed.
struct TimedPayload {
    inner: Payload,
    deadline: Pin<Box<tokio::time::Sleep>>,
    secs: u64,
}

/// The I/O error a [`TimedPayload`] ends with; extractors answer it with 408.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within {0} s")]
pub struct BodyTimedOut(pub u64);

impl Stream for TimedPayload {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(PayloadError::Io(io::Error::new(
                io::ErrorKind::TimedOut,
                BodyTimedOut(self.secs),
            ))))),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The 408 for a body read that timed out, if that is what `err` is.
pub fn body_timeout_error(err: &PayloadError) -> Option<AppError> {
    let PayloadError::Io(io) = err else {
        return None;
    };
    io.get_ref()
        .and_then(|e| e.downcast_ref::<BodyTimedOut>())
        .map(|t| AppError::request_timeout(t.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_drain_waits_for_held_work_and_refuses_after() {
        let life = Lifecycle::new(Duration::from_secs(1));
        let guard = life.hold();
        let waiter = {
            let life = life.clone();
            tokio::spawn(async move { life.drain(Duration::from_secs(5)).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(life.is_draining());
        assert!(!waiter.is_finished(), "the drain must wait for held work");
        drop(guard);
        assert!(waiter.await.unwrap(), "the drain ends once nothing is held");
    }

    #[tokio::test]
    async fn a_drain_gives_up_at_its_timeout() {
        let life = Lifecycle::new(Duration::from_secs(1));
        let _guard = life.hold();
        assert!(!life.drain(Duration::from_millis(50)).await);
    }
}
