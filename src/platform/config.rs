//! Typed settings: `config/default.toml` < `config/{MAINSTAY_ENV}.toml` <
//! `MAINSTAY__SECTION__KEY` environment variables, plus the conventional
//! `DATABASE_URL`, `REDIS_URL`, `JWT_SECRET`, `HOST` and `PORT`.
//!
//! The TOML files are compiled into the binary as the fallback, so the binary
//! runs from any directory; a `config/` directory beside the working directory
//! (or `MAINSTAY_CONFIG_DIR`) overrides them file by file.

use std::{fmt, path::PathBuf, str::FromStr};

use config::{Config, File, FileFormat};
use serde::Deserialize;

/// The deployment environment, chosen by `MAINSTAY_ENV` (default `development`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Local development: pretty logs, demo conveniences.
    Development,
    /// The integration test suite.
    Test,
    /// A deployed system: JSON logs, strict secrets.
    Production,
}

impl Environment {
    /// The name used for the `config/{name}.toml` file.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Test => "test",
            Self::Production => "production",
        }
    }

    /// Reads `MAINSTAY_ENV`; unset means development.
    pub fn from_env() -> Result<Self, ConfigError> {
        match std::env::var("MAINSTAY_ENV") {
            Ok(v) if !v.trim().is_empty() => v.parse(),
            _ => Ok(Self::Development),
        }
    }

    fn embedded_file(&self) -> &'static str {
        match self {
            Self::Development => include_str!("../../config/development.toml"),
            Self::Test => include_str!("../../config/test.toml"),
            Self::Production => include_str!("../../config/production.toml"),
        }
    }
}

impl FromStr for Environment {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "development" | "dev" | "local" => Ok(Self::Development),
            "test" => Ok(Self::Test),
            "production" | "prod" => Ok(Self::Production),
            other => Err(ConfigError(format!(
                "MAINSTAY_ENV must be development, test or production (got `{other}`)"
            ))),
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A configuration problem, worded for the operator who has to fix it.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

/// All settings of one process.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// Not read from files: set by [`Settings::load`].
    #[serde(skip, default = "default_env")]
    pub environment: Environment,
    /// HTTP listener.
    pub server: ServerSettings,
    /// Database connection.
    pub database: DatabaseSettings,
    /// Shared cache; empty URL means in-process.
    pub redis: RedisSettings,
    /// Token signing and password hashing.
    pub auth: AuthSettings,
    /// Browser cross-origin access.
    pub cors: CorsSettings,
    /// Logging.
    pub telemetry: TelemetrySettings,
    /// Idempotency-Key retention.
    pub idempotency: IdempotencySettings,
    /// Outgoing mail.
    pub smtp: SmtpSettings,
    /// Background clean-up of data that only grows.
    pub retention: RetentionSettings,
}

/// Retention: expired rows are deleted in batches by every process.
#[derive(Debug, Clone, Deserialize)]
pub struct RetentionSettings {
    /// Seconds between clean-up rounds.
    pub interval_secs: u64,
    /// Rows per DELETE (short statements, no long locks).
    pub batch_size: u64,
    /// Days an ended (expired or revoked) session is kept for the record.
    pub session_days: i64,
}

fn default_env() -> Environment {
    Environment::Development
}

/// HTTP listener settings.
#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    /// Interface to bind (`0.0.0.0` in a container).
    pub host: String,
    /// Port; 0 picks a free one (tests).
    pub port: u16,
    /// Largest accepted request body in bytes.
    pub body_limit: usize,
    /// Worker threads; 0 means one per core.
    pub workers: usize,
    /// Seconds a graceful shutdown waits for in-flight requests.
    pub shutdown_timeout: u64,
    /// Seconds a request body may take to arrive after the head (408 after).
    pub body_timeout_secs: u64,
    /// Reverse proxies (IP addresses or CIDR blocks) whose `X-Forwarded-For`
    /// names the client; from any other peer the header is ignored.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
}

/// Database settings.
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// `sqlite://path/to/file.db` or `postgres://user@host/db`.
    pub url: String,
    /// Pool size.
    pub max_connections: u32,
    /// Connections kept open when idle.
    pub min_connections: u32,
    /// Seconds to wait for a free pooled connection.
    pub acquire_timeout_secs: u64,
    /// SQLite: milliseconds a writer waits for the write lock.
    pub busy_timeout_ms: u64,
    /// Apply pending migrations on start.
    pub migrate_on_start: bool,
}

impl DatabaseSettings {
    /// True for a `sqlite:` URL.
    pub fn is_sqlite(&self) -> bool {
        self.url.starts_with("sqlite:")
    }
}

/// Redis settings.
#[derive(Debug, Clone, Deserialize)]
pub struct RedisSettings {
    /// `redis://host:port/db`; empty for the in-process cache.
    pub url: String,
    /// Pool size.
    pub pool_size: usize,
    /// Prefix of every key this process writes.
    pub key_prefix: String,
    /// Serve repeated product lists from the cache (dropped on every product
    /// or category change). Off: every list comes from the database (the
    /// read-path benchmark measures that path).
    #[serde(default = "enabled")]
    pub list_cache: bool,
    /// Seconds a process keeps a session's state between Redis
    /// invalidations (pub/sub); 0 reads Redis on every request. See
    /// `platform::session_cache`.
    #[serde(default = "session_cache_secs")]
    pub session_cache_secs: u64,
}

fn session_cache_secs() -> u64 {
    5
}

fn enabled() -> bool {
    true
}

/// Authentication settings.
#[derive(Clone, Deserialize)]
pub struct AuthSettings {
    /// HS256 signing secret; 32 bytes or more in production.
    pub jwt_secret: String,
    /// `iss` claim.
    pub issuer: String,
    /// `aud` claim.
    pub audience: String,
    /// Access token lifetime.
    pub access_token_ttl_secs: u64,
    /// Refresh token lifetime.
    pub refresh_token_ttl_secs: u64,
    /// bcrypt work factor.
    pub bcrypt_cost: u32,
}

impl fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthSettings")
            .field("jwt_secret", &"[redacted]")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("access_token_ttl_secs", &self.access_token_ttl_secs)
            .field("refresh_token_ttl_secs", &self.refresh_token_ttl_secs)
            .field("bcrypt_cost", &self.bcrypt_cost)
            .finish()
    }
}

/// CORS settings.
#[derive(Debug, Clone, Deserialize)]
pub struct CorsSettings {
    /// Allowed origins; `"*"` allows any.
    pub allowed_origins: Vec<String>,
    /// Preflight cache lifetime.
    pub max_age_secs: usize,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Logging settings.
#[derive(Debug, Clone, Deserialize)]
pub struct TelemetrySettings {
    /// Output format.
    pub format: LogFormat,
    /// Default filter when `RUST_LOG` is unset.
    pub level: String,
}

/// Outgoing mail settings.
#[derive(Clone, Deserialize)]
pub struct SmtpSettings {
    /// `smtps://user:pw@host:465`, `smtp://host:25` (`?tls=required` for
    /// STARTTLS); empty keeps mail in the outbox.
    pub url: String,
    /// `From` header.
    pub from: String,
    /// Milliseconds between outbox deliveries.
    pub poll_interval_ms: u64,
    /// Attempts per mail before it is left for an operator.
    pub max_attempts: i32,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("url", &redact_url(&self.url))
            .field("from", &self.from)
            .field("poll_interval_ms", &self.poll_interval_ms)
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

/// Idempotency settings.
#[derive(Debug, Clone, Deserialize)]
pub struct IdempotencySettings {
    /// Hours a stored response is replayed for.
    pub ttl_hours: i64,
}

/// The placeholder secret of `config/default.toml`; production refuses it.
pub const DEVELOPMENT_JWT_SECRET: &str = "insecure-development-secret-change-me";

impl Settings {
    /// Loads settings for `MAINSTAY_ENV` from files and the process environment.
    pub fn load() -> Result<Self, ConfigError> {
        Self::load_for(Environment::from_env()?)
    }

    /// Loads settings for an explicit environment (tests use [`Environment::Test`]).
    pub fn load_for(environment: Environment) -> Result<Self, ConfigError> {
        let dir = std::env::var("MAINSTAY_CONFIG_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from("config"));
        let layer = |name: &str, embedded: &'static str| {
            let path = dir.join(format!("{name}.toml"));
            match std::fs::read_to_string(&path) {
                Ok(text) => File::from_str(&text, FileFormat::Toml),
                Err(_) => File::from_str(embedded, FileFormat::Toml),
            }
        };
        let mut builder = Config::builder()
            .add_source(layer("default", include_str!("../../config/default.toml")))
            .add_source(layer(environment.as_str(), environment.embedded_file()))
            .add_source(
                config::Environment::with_prefix("MAINSTAY")
                    .prefix_separator("__")
                    .separator("__")
                    .list_separator(",")
                    .with_list_parse_key("cors.allowed_origins")
                    .with_list_parse_key("server.trusted_proxies")
                    .try_parsing(true),
            );
        for (var, key) in [
            ("DATABASE_URL", "database.url"),
            ("REDIS_URL", "redis.url"),
            ("JWT_SECRET", "auth.jwt_secret"),
            ("HOST", "server.host"),
            ("PORT", "server.port"),
            ("SMTP_URL", "smtp.url"),
        ] {
            if let Ok(value) = std::env::var(var) {
                builder = builder
                    .set_override(key, value)
                    .map_err(|e| ConfigError(format!("{var}: {e}")))?;
            }
        }
        let mut settings: Settings = builder
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| ConfigError(e.to_string()))?;
        settings.environment = environment;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks values that parse but cannot work; every problem is named.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        let db = &self.database.url;
        if !(db.starts_with("sqlite:")
            || db.starts_with("postgres://")
            || db.starts_with("postgresql://"))
        {
            problems.push(format!(
                "database.url (DATABASE_URL) must start with sqlite:, postgres:// or postgresql:// (got `{}`)",
                redact_url(db)
            ));
        }
        if self.database.max_connections == 0 {
            problems.push("database.max_connections must be at least 1".into());
        }
        if !self.database.is_sqlite() && self.database.max_connections < 2 {
            problems.push(
                "database.max_connections must be at least 2 on PostgreSQL (migrations hold a lock on one connection)"
                    .into(),
            );
        }
        if self.database.min_connections > self.database.max_connections {
            problems.push("database.min_connections must not exceed max_connections".into());
        }
        let redis = &self.redis.url;
        if !(redis.is_empty() || redis.starts_with("redis://") || redis.starts_with("rediss://")) {
            problems.push("redis.url (REDIS_URL) must start with redis:// or rediss://".into());
        }
        if self.server.body_timeout_secs == 0 {
            problems.push("server.body_timeout_secs must be greater than 0".into());
        }
        for proxy in &self.server.trusted_proxies {
            if super::client_ip::IpNet::parse(proxy).is_none() {
                problems.push(format!(
                    "server.trusted_proxies: `{proxy}` is not an IP address or CIDR block"
                ));
            }
        }
        if self.retention.interval_secs == 0 || self.retention.batch_size == 0 {
            problems.push(
                "retention.interval_secs and retention.batch_size must be greater than 0".into(),
            );
        }
        if self.server.body_limit == 0 {
            problems.push("server.body_limit must be greater than 0".into());
        }
        if !(4..=31).contains(&self.auth.bcrypt_cost) {
            problems.push("auth.bcrypt_cost must be between 4 and 31".into());
        }
        if self.auth.access_token_ttl_secs == 0 || self.auth.refresh_token_ttl_secs == 0 {
            problems.push("auth token lifetimes must be greater than 0".into());
        }
        let smtp = &self.smtp.url;
        if !(smtp.is_empty() || smtp.starts_with("smtp://") || smtp.starts_with("smtps://")) {
            problems.push("smtp.url (SMTP_URL) must start with smtp:// or smtps://".into());
        }
        if !smtp.is_empty() && self.smtp.from.parse::<lettre::message::Mailbox>().is_err() {
            problems.push(
                "smtp.from must be a mailbox such as `Mainstay <no-reply@example.com>`".into(),
            );
        }
        if self.idempotency.ttl_hours <= 0 {
            problems.push("idempotency.ttl_hours must be greater than 0".into());
        }
        if self.environment == Environment::Production {
            if let Some(why) = weak_jwt_secret(&self.auth.jwt_secret) {
                problems.push(format!(
                    "JWT_SECRET (auth.jwt_secret) {why}; production needs a random value of at \
                     least 32 bytes: make one with `openssl rand -hex 32` (or `head -c 32 \
                     /dev/urandom | base64`) and set JWT_SECRET to it"
                ));
            }
        } else if self.auth.jwt_secret.is_empty() {
            problems.push("auth.jwt_secret must not be empty".into());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError(problems.join("; ")))
        }
    }
}

/// The placeholder secret of `.env.example`, refused in production like the
/// development default.
pub const ENV_EXAMPLE_JWT_SECRET: &str = "replace-with-output-of-openssl-rand-hex-32";

/// Why a JWT secret is unfit for production, or `None`: unset, shorter than
/// 32 bytes, one of the published placeholders, or one repeated character.
pub fn weak_jwt_secret(secret: &str) -> Option<&'static str> {
    let bytes = secret.as_bytes();
    if secret.trim().is_empty() {
        Some("is not set")
    } else if secret == DEVELOPMENT_JWT_SECRET || secret == ENV_EXAMPLE_JWT_SECRET {
        Some("is a published placeholder (config/default.toml or .env.example)")
    } else if bytes.len() < 32 {
        Some("is shorter than 32 bytes")
    } else if bytes.iter().all(|b| *b == bytes[0]) {
        Some("is one character repeated")
    } else {
        None
    }
}

/// Hides the password of a connection URL for logs and messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_settings() -> Settings {
        Settings::load_for(Environment::Test).expect("test settings load")
    }

    #[test]
    fn production_refuses_the_default_or_a_short_jwt_secret() {
        let mut s = test_settings();
        s.environment = Environment::Production;
        s.auth.jwt_secret = DEVELOPMENT_JWT_SECRET.into();
        assert!(s.validate().unwrap_err().0.contains("JWT_SECRET"));
        s.auth.jwt_secret = "short".into();
        assert!(s.validate().is_err());
        s.auth.jwt_secret = "x".repeat(64);
        let err = s.validate().unwrap_err().0;
        assert!(
            err.contains("repeated") && err.contains("openssl rand"),
            "{err}"
        );
        s.auth.jwt_secret = "3f6c0a9e1b7d4c2f8a5e6d1c9b0a7f3e".into();
        assert!(s.validate().is_ok());
    }

    #[test]
    fn production_refuses_the_env_example_secret() {
        // The secret exactly as `.env.example` ships it.
        let example = include_str!("../../.env.example")
            .lines()
            .find_map(|l| l.strip_prefix("JWT_SECRET="))
            .expect(".env.example sets JWT_SECRET");
        assert_eq!(example, ENV_EXAMPLE_JWT_SECRET);
        let mut s = test_settings();
        s.environment = Environment::Production;
        s.auth.jwt_secret = example.into();
        let err = s.validate().unwrap_err().0;
        assert!(
            err.contains("JWT_SECRET") && err.contains("placeholder"),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_database_scheme_is_named_in_the_error() {
        let mut s = test_settings();
        s.database.url = "mysql://root:hunter2@db/x".into();
        let err = s.validate().unwrap_err().0;
        assert!(err.contains("DATABASE_URL"), "{err}");
        assert!(!err.contains("hunter2"), "password leaked: {err}");
    }

    #[test]
    fn environment_names_parse_and_unknown_ones_are_refused() {
        assert_eq!(
            "Production".parse::<Environment>().unwrap(),
            Environment::Production
        );
        assert!("staging".parse::<Environment>().is_err());
    }

    #[test]
    fn redact_url_hides_only_the_password() {
        assert_eq!(
            redact_url("postgres://app:secret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(redact_url("sqlite://data/m.db"), "sqlite://data/m.db");
    }
}
