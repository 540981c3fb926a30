//! Session state and request budgets kept in the process, so an
//! authenticated request costs no Redis round trip (`bench/RESULTS.md`,
//! read path: the round trip was a third of the request's context switches).
//!
//! Only with the Redis backend and `redis.session_cache_secs` > 0:
//!
//! - **Session state** (permissions, plan, profile) loaded through Redis is
//!   kept for up to `session_cache_secs`. Every change that revokes or
//!   evicts sessions ([`super::auth::mark_sessions_revoked`],
//!   [`super::auth::evict_sessions`]) forgets them here and publishes their
//!   ids on the `session-events` channel; every process's subscriber forgets
//!   them too and acknowledges. The publisher waits for as many
//!   acknowledgements as Redis counted subscribers (at most
//!   [`ACK_TIMEOUT`]), so when a logout answers, no process serves that
//!   session any more: the very next request is refused everywhere.
//! - **While the subscription is down** (Redis restarted, connection lost),
//!   nothing is kept: every request reads Redis as before, until the
//!   subscriber is back (it forgets everything when it reconnects). A
//!   subscriber that is silently cut off can serve a revoked session for at
//!   most `session_cache_secs`, and the revoking process logs that an
//!   acknowledgement is missing.
//! - **Request budgets** are counted here and added to Redis in batches of
//!   1% of the plan's limit (at least 1) or every [`SYNC_EVERY`], whichever
//!   comes first; a request is admitted on the last known total plus this
//!   process's own uncounted hits. Each process learns the total at least
//!   every batch of its own requests, so the overshoot beyond a limit is at
//!   most processes x batch (1% of the limit per process). Limits under 100
//!   a minute are counted in Redis on every request, exactly.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use uuid::Uuid;

use super::{
    auth::Grant,
    cache::{Cache, CacheError, WindowCount},
};

/// The channel invalidations travel on (prefixed like every key).
pub const CHANNEL: &str = "session-events";
/// How long a revocation waits for every process to acknowledge it.
pub const ACK_TIMEOUT: Duration = Duration::from_millis(250);
/// The longest a process's budget hits stay uncounted in Redis.
pub const SYNC_EVERY: Duration = Duration::from_millis(250);

struct Budget {
    /// The window's total in Redis at the last sync.
    known: u64,
    /// Hits admitted here since, not yet added to Redis.
    pending: u64,
    window_ends: Instant,
    synced: Option<Instant>,
}

/// The process's session state and budgets (see the module docs).
pub struct LocalSessions {
    ttl: Duration,
    live: AtomicBool,
    epoch: AtomicU64,
    entries: Mutex<HashMap<Uuid, (Arc<Grant>, Instant)>>,
    budgets: Mutex<HashMap<Uuid, Budget>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl LocalSessions {
    /// Keeps nothing: every request reads the cache.
    pub fn disabled() -> Self {
        Self::new(Duration::ZERO)
    }

    /// Keeps session state for up to `ttl` once the subscriber is live.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            live: AtomicBool::new(false),
            epoch: AtomicU64::new(0),
            entries: Mutex::default(),
            budgets: Mutex::default(),
        }
    }

    /// True when configured (Redis backend, a TTL).
    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    /// True when state may be served from here: configured and subscribed.
    pub fn usable(&self) -> bool {
        self.enabled() && self.live.load(Ordering::Acquire)
    }

    /// Changes with every invalidation; read it before loading a session
    /// and pass it to [`LocalSessions::put`].
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// A session's state, if kept and fresh.
    pub fn get(&self, session_id: Uuid) -> Option<Arc<Grant>> {
        if !self.usable() {
            return None;
        }
        let entries = lock(&self.entries);
        entries
            .get(&session_id)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(info, _)| info.clone())
    }

    /// Keeps a session's state, unless an invalidation happened since
    /// `epoch` was read (the state may predate it).
    pub fn put(&self, session_id: Uuid, info: Arc<Grant>, epoch: u64) {
        if !self.usable() {
            return;
        }
        let mut entries = lock(&self.entries);
        if self.epoch() != epoch {
            return;
        }
        if entries.len() >= 100_000 {
            let ttl = self.ttl;
            entries.retain(|_, (_, at)| at.elapsed() < ttl);
        }
        entries.insert(session_id, (info, Instant::now()));
    }

    /// Forgets sessions (`None`: all of them).
    pub fn forget(&self, session_ids: Option<&[Uuid]>) {
        let mut entries = lock(&self.entries);
        self.epoch.fetch_add(1, Ordering::AcqRel);
        match session_ids {
            Some(ids) => ids.iter().for_each(|id| {
                entries.remove(id);
            }),
            None => entries.clear(),
        }
    }

    fn set_live(&self, live: bool) {
        self.forget(None);
        lock(&self.budgets).clear();
        self.live.store(live, Ordering::Release);
    }

    /// Counts one request against an organization's budget of `limit` per
    /// `window` (see the module docs for the batching and its bound).
    pub async fn count(
        &self,
        cache: &Cache,
        key: &str,
        organization_id: Uuid,
        limit: u64,
        window: Duration,
    ) -> Result<WindowCount, CacheError> {
        let batch = (limit / 100).max(1);
        let now = Instant::now();
        let take = {
            let mut budgets = lock(&self.budgets);
            let b = budgets.entry(organization_id).or_insert(Budget {
                known: 0,
                pending: 0,
                window_ends: now,
                synced: None,
            });
            if now >= b.window_ends {
                b.known = 0;
            }
            b.pending += 1;
            let due = b.pending >= batch
                || now >= b.window_ends
                || b.synced
                    .is_none_or(|at| now.duration_since(at) >= SYNC_EVERY);
            if !due {
                return Ok(WindowCount {
                    count: b.known + b.pending,
                    resets_in: b.window_ends - now,
                });
            }
            b.synced = Some(now);
            std::mem::take(&mut b.pending)
        };
        let total = match cache.hit_by(key, take, window).await {
            Ok(total) => total,
            Err(e) => {
                // Not counted: keep the hits for the next sync.
                if let Some(b) = lock(&self.budgets).get_mut(&organization_id) {
                    b.pending += take;
                    b.synced = None;
                }
                return Err(e);
            }
        };
        let mut budgets = lock(&self.budgets);
        let pending = match budgets.get_mut(&organization_id) {
            Some(b) => {
                b.known = total.count;
                b.window_ends = now + total.resets_in;
                b.pending
            }
            None => 0,
        };
        Ok(WindowCount {
            count: total.count + pending,
            resets_in: total.resets_in,
        })
    }
}

fn ack_key(message_id: &str) -> String {
    format!("{CHANNEL}:ack:{message_id}")
}

/// After a commit that revokes or changes sessions: forgets them here, tells
/// every process, and waits until each has forgotten them (see the module
/// docs). A no-op when no process keeps session state.
pub async fn announce(cache: &Cache, session_ids: &[Uuid]) -> Result<(), CacheError> {
    let local = cache.local_sessions();
    if !local.enabled() || session_ids.is_empty() {
        return Ok(());
    }
    local.forget(Some(session_ids));
    let message_id = Uuid::now_v7().simple().to_string();
    let ids: Vec<String> = session_ids.iter().map(Uuid::to_string).collect();
    let receivers = cache
        .publish(CHANNEL, &format!("{message_id} {}", ids.join(",")))
        .await?;
    let deadline = Instant::now() + ACK_TIMEOUT;
    loop {
        let acked = cache.count(&ack_key(&message_id)).await?.count;
        if acked >= receivers {
            return Ok(());
        }
        if Instant::now() >= deadline {
            tracing::warn!(
                receivers,
                acked,
                "a session invalidation was not acknowledged by every process; \
                 one may serve the old state for up to redis.session_cache_secs"
            );
            return Ok(());
        }
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
}

/// Subscribes to invalidations for as long as the process runs; while
/// subscribed, session state may be kept here. Reconnects after a loss
/// (nothing is kept meanwhile).
pub fn spawn_subscriber(cache: Cache) {
    let local = cache.local_sessions().clone();
    let Some(url) = cache.redis_url().map(str::to_string) else {
        return;
    };
    if !local.enabled() {
        return;
    }
    let channel = cache.full_key(CHANNEL);
    tokio::spawn(async move {
        use futures_core::Stream;
        let mut failures = 0u32;
        loop {
            let subscribed = async {
                let client = deadpool_redis::redis::Client::open(url.as_str())?;
                let mut pubsub = client.get_async_pubsub().await?;
                pubsub.subscribe(&channel).await?;
                Ok::<_, deadpool_redis::redis::RedisError>(pubsub)
            }
            .await;
            match subscribed {
                Ok(pubsub) => {
                    failures = 0;
                    local.set_live(true);
                    tracing::debug!("session invalidations: subscribed");
                    let mut messages = std::pin::pin!(pubsub.into_on_message());
                    while let Some(message) =
                        std::future::poll_fn(|cx| messages.as_mut().poll_next(cx)).await
                    {
                        let payload = String::from_utf8_lossy(message.get_payload_bytes());
                        let Some((id, sessions)) = payload.split_once(' ') else {
                            continue;
                        };
                        let ids: Vec<Uuid> =
                            sessions.split(',').filter_map(|s| s.parse().ok()).collect();
                        local.forget(Some(&ids));
                        if let Err(e) = cache.hit(&ack_key(id), Duration::from_secs(10)).await {
                            tracing::warn!(error = %e, "session invalidation not acknowledged");
                        }
                    }
                    local.set_live(false);
                    tracing::warn!("session invalidations: subscription lost; reconnecting");
                }
                Err(e) => {
                    local.set_live(false);
                    if failures == 0 {
                        tracing::warn!(error = %e, "session invalidations: cannot subscribe");
                    }
                    failures = failures.saturating_add(1);
                }
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
}
