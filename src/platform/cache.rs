//! Key-value cache for sessions, rate limits and short-lived state.
//!
//! Two backends behind one type: Redis (deadpool-redis) when `REDIS_URL` is set,
//! so several processes share state; otherwise an in-process map, enough for a
//! single process. Every key is prefixed (`redis.key_prefix`), which also lets
//! tests share one Redis without seeing each other's keys.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use deadpool_redis::{
    Config as RedisConfig, Pool, PoolConfig, Runtime, Timeouts,
    redis::{self, AsyncCommands, aio::MultiplexedConnection},
};

use super::config::RedisSettings;

/// A cache failure (Redis unreachable, protocol error).
#[derive(Debug, thiserror::Error)]
#[error("cache error: {0}")]
pub struct CacheError(String);

/// The problem code of a request the shared cache could not serve.
pub const CACHE_UNAVAILABLE: &str = "cache_unavailable";

impl From<CacheError> for super::error::AppError {
    fn from(err: CacheError) -> Self {
        Self::service_unavailable("The cache is unavailable; retry shortly.")
            .with_code(CACHE_UNAVAILABLE)
            .with_retry_after(1)
            .with_source(err)
    }
}

/// Returns `{generation, value}`; starts the generation with ARGV[2] when the
/// namespace has none. (Redis keeps compiled scripts, so EVAL costs no more
/// than EVALSHA here beyond a few hundred bytes.)
const GENERATION_GET: &str = r"local g = redis.call('HGET', KEYS[1], '~gen')
if not g then
  g = ARGV[2]
  redis.call('HSET', KEYS[1], '~gen', g)
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return {g, redis.call('HGET', KEYS[1], g .. ':' .. ARGV[1])}";

fn redis_err(e: impl std::fmt::Display) -> CacheError {
    CacheError(e.to_string())
}

/// The result of counting one hit in a fixed window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowCount {
    /// Hits in the current window, this one included.
    pub count: u64,
    /// Time until the window resets.
    pub resets_in: Duration,
}

/// The cache: cheap to clone, shared by every worker.
#[derive(Clone)]
pub struct Cache {
    prefix: Arc<str>,
    backend: Backend,
    /// Session state kept in this process between Redis invalidations
    /// (disabled on the in-process backend, which is local already).
    sessions: Arc<super::session_cache::LocalSessions>,
}

#[derive(Clone)]
enum Backend {
    Memory(Arc<Mutex<MemoryStore>>),
    Redis(Arc<RedisBackend>),
}

/// Redis connections: deadpool-redis opens them, but a pooled connection costs
/// an extra round trip (UNWATCH + PING) every time it is checked out. A
/// multiplexed connection already carries many concurrent requests, so each
/// worker thread takes one out of the pool and keeps it; a connection that
/// fails beyond recovery is dropped and the next call opens a fresh one.
struct RedisBackend {
    pool: Pool,
    shared: Mutex<Vec<(std::thread::ThreadId, MultiplexedConnection)>>,
    url: String,
}

impl RedisBackend {
    async fn conn(&self) -> Result<MultiplexedConnection, CacheError> {
        let me = std::thread::current().id();
        if let Some((_, c)) = lock(&self.shared).iter().find(|(t, _)| *t == me) {
            return Ok(c.clone());
        }
        let c = deadpool_redis::Connection::take(self.pool.get().await.map_err(redis_err)?);
        let mut shared = lock(&self.shared);
        shared.retain(|(t, _)| *t != me);
        shared.push((me, c.clone()));
        Ok(c)
    }

    /// Maps a command error, forgetting this thread's connection when it is
    /// broken (Redis restarted, network cut) so the next call reconnects.
    fn failed(&self, e: redis::RedisError) -> CacheError {
        if e.is_io_error() || e.is_connection_dropped() || e.is_unrecoverable_error() {
            let me = std::thread::current().id();
            lock(&self.shared).retain(|(t, _)| *t != me);
        }
        redis_err(e)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave the data inconsistent.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Default)]
struct MemoryStore {
    entries: HashMap<String, (Vec<u8>, Option<Instant>)>,
    writes_since_sweep: usize,
}

impl MemoryStore {
    fn live(&mut self, key: &str, now: Instant) -> Option<&mut (Vec<u8>, Option<Instant>)> {
        let expired = matches!(self.entries.get(key), Some((_, Some(exp))) if *exp <= now);
        if expired {
            self.entries.remove(key);
        }
        self.entries.get_mut(key)
    }

    /// Drops expired entries now and then so the map cannot grow without bound.
    fn note_write(&mut self, now: Instant) {
        self.writes_since_sweep += 1;
        if self.writes_since_sweep >= 1024 {
            self.writes_since_sweep = 0;
            self.entries
                .retain(|_, (_, exp)| exp.is_none_or(|e| e > now));
        }
    }
}

impl Cache {
    /// An in-process cache.
    pub fn memory(prefix: &str) -> Self {
        Self {
            prefix: prefix.into(),
            backend: Backend::Memory(Arc::default()),
            sessions: Arc::new(super::session_cache::LocalSessions::disabled()),
        }
    }

    /// A Redis-backed cache; connections are opened lazily. Session state is
    /// not kept in the process (see [`Cache::with_local_sessions`]).
    pub fn redis(url: &str, pool_size: usize, prefix: &str) -> Result<Self, CacheError> {
        let mut cfg = RedisConfig::from_url(url);
        let mut pool = PoolConfig::new(pool_size.max(1));
        pool.timeouts = Timeouts {
            wait: Some(Duration::from_secs(2)),
            create: Some(Duration::from_secs(2)),
            recycle: Some(Duration::from_secs(2)),
        };
        cfg.pool = Some(pool);
        let pool = cfg.create_pool(Some(Runtime::Tokio1)).map_err(redis_err)?;
        Ok(Self {
            prefix: prefix.into(),
            backend: Backend::Redis(Arc::new(RedisBackend {
                pool,
                shared: Mutex::default(),
                url: url.into(),
            })),
            sessions: Arc::new(super::session_cache::LocalSessions::disabled()),
        })
    }

    /// Keeps session state in this process for up to `ttl` between
    /// invalidations (Redis backend only; see `session_cache`).
    pub fn with_local_sessions(mut self, ttl: Duration) -> Self {
        if matches!(self.backend, Backend::Redis(_)) && !ttl.is_zero() {
            self.sessions = Arc::new(super::session_cache::LocalSessions::new(ttl));
        }
        self
    }

    /// The session state kept in this process.
    pub fn local_sessions(&self) -> &Arc<super::session_cache::LocalSessions> {
        &self.sessions
    }

    /// The Redis URL (for a dedicated pub/sub connection), if Redis backs this cache.
    pub fn redis_url(&self) -> Option<&str> {
        match &self.backend {
            Backend::Redis(r) => Some(&r.url),
            Backend::Memory(_) => None,
        }
    }

    /// The key a name is stored under (the prefix applied).
    pub fn full_key(&self, key: &str) -> String {
        self.key(key)
    }

    /// Publishes on a channel (prefixed like keys); returns how many
    /// subscribers received it (0 on the in-process backend).
    pub async fn publish(&self, channel: &str, payload: &str) -> Result<u64, CacheError> {
        match &self.backend {
            Backend::Memory(_) => Ok(0),
            Backend::Redis(r) => r
                .conn()
                .await?
                .publish::<_, _, u64>(self.key(channel), payload)
                .await
                .map_err(|e| r.failed(e)),
        }
    }

    /// Redis when configured, else in-process.
    pub fn from_settings(settings: &RedisSettings) -> Result<Self, CacheError> {
        if settings.url.trim().is_empty() {
            Ok(Self::memory(&settings.key_prefix))
        } else {
            Ok(
                Self::redis(&settings.url, settings.pool_size, &settings.key_prefix)?
                    .with_local_sessions(Duration::from_secs(settings.session_cache_secs)),
            )
        }
    }

    /// `redis` or `memory`, for logs and probes.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Memory(_) => "memory",
            Backend::Redis(_) => "redis",
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn lock(store: &Mutex<MemoryStore>) -> std::sync::MutexGuard<'_, MemoryStore> {
        lock(store)
    }

    /// Reads a value.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let key = self.key(key);
        match &self.backend {
            Backend::Memory(store) => {
                let mut s = Self::lock(store);
                Ok(s.live(&key, Instant::now()).map(|(v, _)| v.clone()))
            }
            Backend::Redis(r) => r
                .conn()
                .await?
                .get::<_, Option<Vec<u8>>>(key)
                .await
                .map_err(|e| r.failed(e)),
        }
    }

    /// Writes a value, with an optional time to live.
    pub async fn set(
        &self,
        key: &str,
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<(), CacheError> {
        let key = self.key(key);
        match &self.backend {
            Backend::Memory(store) => {
                let now = Instant::now();
                let mut s = Self::lock(store);
                s.entries
                    .insert(key, (value.to_vec(), ttl.map(|t| now + t)));
                s.note_write(now);
                Ok(())
            }
            Backend::Redis(r) => {
                let mut conn = r.conn().await?;
                match ttl {
                    Some(t) => conn
                        .pset_ex::<_, _, ()>(key, value, t.as_millis().max(1) as u64)
                        .await
                        .map_err(|e| r.failed(e)),
                    None => conn
                        .set::<_, _, ()>(key, value)
                        .await
                        .map_err(|e| r.failed(e)),
                }
            }
        }
    }

    /// Writes a value only if the key is absent; true when written. Lets a
    /// reader that repopulates the cache never overwrite a newer marker.
    pub async fn set_if_absent(
        &self,
        key: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<bool, CacheError> {
        let key = self.key(key);
        match &self.backend {
            Backend::Memory(store) => {
                let now = Instant::now();
                let mut s = Self::lock(store);
                if s.live(&key, now).is_some() {
                    return Ok(false);
                }
                s.entries.insert(key, (value.to_vec(), Some(now + ttl)));
                s.note_write(now);
                Ok(true)
            }
            Backend::Redis(r) => {
                let mut conn = r.conn().await?;
                let reply: Option<String> = redis::cmd("SET")
                    .arg(&key)
                    .arg(value)
                    .arg("PX")
                    .arg(ttl.as_millis().max(1) as u64)
                    .arg("NX")
                    .query_async(&mut conn)
                    .await
                    .map_err(|e| r.failed(e))?;
                Ok(reply.is_some())
            }
        }
    }

    /// The current count of a [`Cache::hit`] window without adding a hit.
    pub async fn count(&self, key: &str) -> Result<WindowCount, CacheError> {
        let full = self.key(key);
        match &self.backend {
            Backend::Memory(store) => {
                let now = Instant::now();
                let mut s = Self::lock(store);
                Ok(match s.live(&full, now) {
                    Some((value, exp)) => WindowCount {
                        count: parse_count(value),
                        resets_in: exp.map(|e| e - now).unwrap_or_default(),
                    },
                    None => WindowCount {
                        count: 0,
                        resets_in: Duration::ZERO,
                    },
                })
            }
            Backend::Redis(r) => {
                let mut conn = r.conn().await?;
                let (value, ttl_ms): (Option<u64>, i64) = redis::pipe()
                    .get(&full)
                    .cmd("PTTL")
                    .arg(&full)
                    .query_async(&mut conn)
                    .await
                    .map_err(|e| r.failed(e))?;
                Ok(WindowCount {
                    count: value.unwrap_or(0),
                    resets_in: Duration::from_millis(ttl_ms.max(0) as u64),
                })
            }
        }
    }

    /// Removes a key; true when it existed.
    pub async fn delete(&self, key: &str) -> Result<bool, CacheError> {
        let key = self.key(key);
        match &self.backend {
            Backend::Memory(store) => {
                let mut s = Self::lock(store);
                let existed = s.live(&key, Instant::now()).is_some();
                s.entries.remove(&key);
                Ok(existed)
            }
            Backend::Redis(r) => r
                .conn()
                .await?
                .del::<_, u64>(key)
                .await
                .map(|n| n > 0)
                .map_err(|e| r.failed(e)),
        }
    }

    /// Counts one hit in a fixed window that starts at the first hit: the
    /// building block of rate limits. Atomic across processes on Redis.
    pub async fn hit(&self, key: &str, window: Duration) -> Result<WindowCount, CacheError> {
        self.hit_by(key, 1, window).await
    }

    /// Counts `n` hits at once (a batch counted locally first).
    pub async fn hit_by(
        &self,
        key: &str,
        n: u64,
        window: Duration,
    ) -> Result<WindowCount, CacheError> {
        let key = self.key(key);
        let window_ms = window.as_millis().max(1) as u64;
        match &self.backend {
            Backend::Memory(store) => {
                let now = Instant::now();
                let mut s = Self::lock(store);
                let count = match s.live(&key, now) {
                    Some((value, exp)) => {
                        let total = parse_count(value) + n;
                        *value = total.to_string().into_bytes();
                        let resets_in = exp.map(|e| e - now).unwrap_or(window);
                        return Ok(WindowCount {
                            count: total,
                            resets_in,
                        });
                    }
                    None => n,
                };
                s.entries
                    .insert(key, (n.to_string().into_bytes(), Some(now + window)));
                s.note_write(now);
                Ok(WindowCount {
                    count,
                    resets_in: window,
                })
            }
            Backend::Redis(r) => {
                let mut conn = r.conn().await?;
                let (count, ttl_ms): (u64, i64) = redis::pipe()
                    .atomic()
                    .incr(&key, n)
                    .cmd("PEXPIRE")
                    .arg(&key)
                    .arg(window_ms)
                    .arg("NX")
                    .ignore()
                    .cmd("PTTL")
                    .arg(&key)
                    .query_async(&mut conn)
                    .await
                    .map_err(|e| r.failed(e))?;
                Ok(WindowCount {
                    count,
                    resets_in: Duration::from_millis(ttl_ms.max(0) as u64),
                })
            }
        }
    }

    /// Reads `get_key` and counts a hit on `hit_key` in one round trip (the
    /// per-request session lookup plus the organization's request budget).
    pub async fn get_and_hit(
        &self,
        get_key: &str,
        hit_key: &str,
        window: Duration,
    ) -> Result<(Option<Vec<u8>>, WindowCount), CacheError> {
        match &self.backend {
            Backend::Memory(_) => {
                let value = self.get(get_key).await?;
                let count = self.hit(hit_key, window).await?;
                Ok((value, count))
            }
            Backend::Redis(r) => {
                let (get_key, hit_key) = (self.key(get_key), self.key(hit_key));
                let mut conn = r.conn().await?;
                let (value, count, ttl_ms): (Option<Vec<u8>>, u64, i64) = redis::pipe()
                    .get(&get_key)
                    .incr(&hit_key, 1u64)
                    .cmd("PEXPIRE")
                    .arg(&hit_key)
                    .arg(window.as_millis().max(1) as u64)
                    .arg("NX")
                    .ignore()
                    .cmd("PTTL")
                    .arg(&hit_key)
                    .query_async(&mut conn)
                    .await
                    .map_err(|e| r.failed(e))?;
                Ok((
                    value,
                    WindowCount {
                        count,
                        resets_in: Duration::from_millis(ttl_ms.max(0) as u64),
                    },
                ))
            }
        }
    }

    /// Reads `field` in the current generation of namespace `ns`, starting a
    /// generation if there is none: one round trip. Returns the generation
    /// (pass it to [`Cache::generation_put`]) and the value if cached.
    ///
    /// Generations make read-through caching safe under concurrent writes: a
    /// writer calls [`Cache::generation_drop`] after it commits, and a reader
    /// that filled with older data wrote under a generation nobody reads again.
    pub async fn generation_get(
        &self,
        ns: &str,
        field: &str,
        ttl: Duration,
    ) -> Result<(String, Option<Vec<u8>>), CacheError> {
        let key = self.key(ns);
        let fresh = uuid::Uuid::now_v7().simple().to_string();
        match &self.backend {
            Backend::Memory(store) => {
                let now = Instant::now();
                let mut s = Self::lock(store);
                let generation = match s.live(&key, now) {
                    Some((g, _)) => String::from_utf8_lossy(g).into_owned(),
                    None => {
                        s.entries
                            .insert(key.clone(), (fresh.clone().into_bytes(), Some(now + ttl)));
                        s.note_write(now);
                        fresh
                    }
                };
                let value = s
                    .live(&format!("{key}\u{0}{generation}:{field}"), now)
                    .map(|(v, _)| v.clone());
                Ok((generation, value))
            }
            Backend::Redis(r) => {
                let mut conn = r.conn().await?;
                redis::cmd("EVAL")
                    .arg(GENERATION_GET)
                    .arg(1)
                    .arg(&key)
                    .arg(field)
                    .arg(&fresh)
                    .arg(ttl.as_millis().max(1) as u64)
                    .query_async(&mut conn)
                    .await
                    .map_err(|e| r.failed(e))
            }
        }
    }

    /// Stores `field` under `generation` of namespace `ns` (see
    /// [`Cache::generation_get`]); the namespace expires `ttl` after its last fill.
    pub async fn generation_put(
        &self,
        ns: &str,
        generation: &str,
        field: &str,
        value: &[u8],
        ttl: Duration,
    ) -> Result<(), CacheError> {
        let key = self.key(ns);
        match &self.backend {
            Backend::Memory(store) => {
                let now = Instant::now();
                let mut s = Self::lock(store);
                s.entries.insert(
                    format!("{key}\u{0}{generation}:{field}"),
                    (value.to_vec(), Some(now + ttl)),
                );
                s.note_write(now);
                Ok(())
            }
            Backend::Redis(r) => {
                let mut conn = r.conn().await?;
                redis::pipe()
                    .hset(&key, format!("{generation}:{field}"), value)
                    .ignore()
                    .pexpire(&key, ttl.as_millis().max(1) as i64)
                    .ignore()
                    .query_async::<()>(&mut conn)
                    .await
                    .map_err(|e| r.failed(e))
            }
        }
    }

    /// Ends the current generation of `ns`: every value cached in it is gone
    /// for readers. Call after the change it reflects has committed.
    pub async fn generation_drop(&self, ns: &str) -> Result<(), CacheError> {
        self.delete(ns).await.map(|_| ())
    }

    /// Confirms the backend answers (readiness probe).
    pub async fn ping(&self) -> Result<(), CacheError> {
        match &self.backend {
            Backend::Memory(_) => Ok(()),
            Backend::Redis(r) => {
                let mut conn = r.conn().await?;
                redis::cmd("PING")
                    .query_async::<String>(&mut conn)
                    .await
                    .map(|_| ())
                    .map_err(|e| r.failed(e))
            }
        }
    }
}

fn parse_count(value: &[u8]) -> u64 {
    std::str::from_utf8(value)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}
