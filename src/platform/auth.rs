//! Bearer JWT -> [`Principal`] { user, organization, session, permissions }.
//!
//! Access tokens are HS256 JWTs (`sub, org, sid, exp, iat, iss, aud`), 15
//! minutes by default. A signature is not enough: every request also asks the
//! [`SessionResolver`] (implemented by the auth module, cached in the shared
//! cache) whether the session is still alive and what it may do, so a revoked
//! session is refused on the very next request, by every process sharing the
//! cache. Permissions are declared by the modules that enforce them
//! ([`declare_permissions!`](crate::declare_permissions)); this file holds
//! only the mechanism.

use std::{future::Future, pin::Pin, sync::Arc, time::Duration};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, http::header, web};
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    cache::{Cache, WindowCount},
    config::AuthSettings,
    error::AppError,
    request_id::RateLimitInfo,
};

/// The ladder of built-in roles every organization has, lowest first. A
/// permission names the lowest rung that holds it; each rung holds everything
/// the rungs below it hold. (The auth module names, describes and stores the
/// roles; custom roles list their permissions instead.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RoleLevel {
    /// Reads.
    Viewer,
    /// Works with the organization's data.
    Member,
    /// Runs a part of the business.
    Manager,
    /// Runs the organization.
    Admin,
    /// Owns it, including the plan.
    Owner,
}

/// A permission, declared by the module that enforces it (`module.resource.action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Permission {
    /// `module.resource.action`.
    pub name: &'static str,
    /// What it allows, for people.
    pub description: &'static str,
    /// The lowest built-in role that holds it.
    pub lowest_role: RoleLevel,
}

impl Permission {
    /// The sentence the OpenAPI description of every operation that
    /// enforces this permission carries (`description = P.requirement()`),
    /// so the documented permission is the enforced one.
    pub fn requirement(&self) -> String {
        format!("Requires the `{}` permission.", self.name)
    }

    /// `text`, then [`Permission::requirement`].
    pub fn described(&self, text: &str) -> String {
        format!("{text}\n\n{}", self.requirement())
    }
}

/// Declares a module's permissions as constants plus `PERMISSIONS`, the list
/// `modules::PERMISSIONS` gathers:
///
/// ```ignore
/// declare_permissions! {
///     CUSTOMERS_READ = "crm.customers.read", Viewer, "List and view customers";
/// }
/// ```
#[macro_export]
macro_rules! declare_permissions {
    ($($constant:ident = $name:literal, $lowest:ident, $description:literal;)*) => {
        $(
            #[doc = $description]
            pub const $constant: $crate::platform::auth::Permission =
                $crate::platform::auth::Permission {
                    name: $name,
                    description: $description,
                    lowest_role: $crate::platform::auth::RoleLevel::$lowest,
                };
        )*
        /// Every permission this module declares.
        pub const PERMISSIONS: &[$crate::platform::auth::Permission] = &[$($constant),*];
    };
}

/// Every permission of every mounted module, in declaration order
/// (`modules::PERMISSIONS`, handed over at start).
#[derive(Debug, Clone, Copy)]
pub struct Catalogue(&'static [&'static [Permission]]);

impl Catalogue {
    /// The catalogue of these modules' declarations.
    pub const fn new(modules: &'static [&'static [Permission]]) -> Self {
        Self(modules)
    }

    /// Every permission.
    pub fn iter(&self) -> impl Iterator<Item = &'static Permission> + use<> {
        self.0.iter().flat_map(|m| m.iter())
    }

    /// The permission named `name`.
    pub fn get(&self, name: &str) -> Option<&'static Permission> {
        self.iter().find(|p| p.name == name)
    }

    /// The names a built-in role at `level` holds, sorted.
    pub fn held_at(&self, level: RoleLevel) -> Vec<&'static str> {
        let mut names: Vec<_> = self
            .iter()
            .filter(|p| p.lowest_role <= level)
            .map(|p| p.name)
            .collect();
        names.sort_unstable();
        names
    }
}

/// Access token claims.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    /// User id.
    pub sub: Uuid,
    /// Organization id.
    pub org: Uuid,
    /// Session id.
    pub sid: Uuid,
    /// Expiry (Unix seconds).
    pub exp: i64,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Not before (Unix seconds); we never set it, but honour it when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
}

/// Clock difference tolerated between the processes that issue and verify
/// tokens, for `exp`, `nbf` and `iat`.
pub const CLOCK_SKEW_SECS: u64 = 30;

/// Signs and verifies access tokens.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    access_ttl_secs: i64,
}

impl TokenKeys {
    /// Keys from the configured secret.
    pub fn new(settings: &AuthSettings) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = CLOCK_SKEW_SECS;
        validation.validate_nbf = true;
        Self {
            encoding: EncodingKey::from_secret(settings.jwt_secret.as_bytes()),
            decoding: DecodingKey::from_secret(settings.jwt_secret.as_bytes()),
            validation,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            access_ttl_secs: settings.access_token_ttl_secs as i64,
        }
    }

    /// Lifetime of an access token in seconds.
    pub fn access_ttl_secs(&self) -> i64 {
        self.access_ttl_secs
    }

    /// Issues an access token.
    pub fn issue(&self, user_id: Uuid, org_id: Uuid, session_id: Uuid) -> Result<String, AppError> {
        let now = Utc::now().timestamp();
        self.sign(&AccessClaims {
            sub: user_id,
            org: org_id,
            sid: session_id,
            iat: now,
            nbf: None,
            exp: now + self.access_ttl_secs,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        })
    }

    /// Signs arbitrary claims (tests forge expired or foreign tokens with it).
    pub fn sign(&self, claims: &AccessClaims) -> Result<String, AppError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(AppError::internal)
    }

    /// Verifies signature, algorithm, expiry, not-before, issuer and
    /// audience, and refuses a token issued in the future (`iat` beyond the
    /// tolerated clock skew): we never issue one, so it is forged or from a
    /// clock gone wrong.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, AppError> {
        let claims = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map(|d| d.claims)
            .map_err(|_| AppError::invalid_token("The access token is invalid or expired."))?;
        if claims.iat > Utc::now().timestamp() + CLOCK_SKEW_SECS as i64 {
            return Err(AppError::invalid_token(
                "The access token is invalid: it was issued in the future.",
            ));
        }
        Ok(claims)
    }
}

/// What a live session may do, as the auth module resolves it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SessionInfo {
    /// The person.
    pub user_id: Uuid,
    /// The organization the session is scoped to.
    pub organization_id: Uuid,
    /// Granted permission names.
    pub permissions: Vec<String>,
    /// API requests per minute the organization's plan allows.
    #[serde(default)]
    pub requests_per_minute: u64,
    /// Opaque JSON the auth module caches with the session (the caller's
    /// profile, so `GET /auth/me` needs no database round trip). Whatever
    /// changes it evicts the sessions it belongs to.
    #[serde(default)]
    pub profile: Option<String>,
}

/// A live session's grants, ready to serve requests: permissions sorted
/// once, shared (a cached grant is not copied per request).
#[derive(Debug)]
pub struct Grant {
    /// The person.
    pub user_id: Uuid,
    /// The organization.
    pub organization_id: Uuid,
    /// Granted permission names, sorted.
    pub permissions: Arc<[String]>,
    /// API requests per minute the organization's plan allows.
    pub requests_per_minute: u64,
    /// See [`SessionInfo::profile`].
    pub profile: Option<Arc<str>>,
}

impl From<SessionInfo> for Grant {
    fn from(s: SessionInfo) -> Self {
        let mut permissions = s.permissions;
        permissions.sort_unstable();
        Self {
            user_id: s.user_id,
            organization_id: s.organization_id,
            permissions: permissions.into(),
            requests_per_minute: s.requests_per_minute,
            profile: s.profile.map(Into::into),
        }
    }
}

/// Boxed future returned by [`SessionLoader::load`].
pub type LoadFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<SessionInfo>, AppError>> + Send + 'a>>;

/// Loads a session from the database (implemented by the auth module):
/// `None` if it is revoked, expired or unknown, or its membership or account
/// is inactive. Only called when the shared cache has no entry.
pub trait SessionLoader: Send + Sync {
    /// Loads `session_id`.
    fn load(&self, session_id: Uuid) -> LoadFuture<'_>;
}

/// How long a loaded session stays cached (changes that affect it evict it).
const SESSION_TTL: Duration = Duration::from_secs(300);
/// How long a revocation marker outlives the session's last access token.
const REVOKED_TTL: Duration = Duration::from_secs(3600);
const REVOKED: &[u8] = b"revoked";

fn session_key(session_id: Uuid) -> String {
    format!("session:{session_id}")
}

/// After commit: tells every process sharing the cache that these sessions
/// are gone. The marker is never overwritten by a racing load (loads use
/// set-if-absent), so the very next request is refused everywhere.
pub async fn mark_sessions_revoked(cache: &Cache, session_ids: &[Uuid]) -> Result<(), AppError> {
    for id in session_ids {
        cache
            .set(&session_key(*id), REVOKED, Some(REVOKED_TTL))
            .await?;
    }
    super::session_cache::announce(cache, session_ids).await?;
    Ok(())
}

/// After commit: drops cached session state (permissions, plan) so the next
/// request reloads it.
pub async fn evict_sessions(cache: &Cache, session_ids: &[Uuid]) -> Result<(), AppError> {
    for id in session_ids {
        cache.delete(&session_key(*id)).await?;
    }
    super::session_cache::announce(cache, session_ids).await?;
    Ok(())
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The person.
    pub user_id: Uuid,
    /// The organization every query is scoped to.
    pub organization_id: Uuid,
    /// The session (for logout and session listings).
    pub session_id: Uuid,
    /// The permission names the caller holds here, sorted.
    pub permissions: Arc<[String]>,
    /// The cached profile (see [`SessionInfo::profile`]).
    pub profile: Option<Arc<str>>,
}

impl Principal {
    /// The caller a verified token names, with its live session's grants.
    fn of_grant(claims: &AccessClaims, grant: &Grant) -> Self {
        Self {
            user_id: claims.sub,
            organization_id: claims.org,
            session_id: claims.sid,
            permissions: grant.permissions.clone(),
            profile: grant.profile.clone(),
        }
    }

    /// True if the caller holds `p`.
    pub fn holds(&self, p: Permission) -> bool {
        self.permissions
            .binary_search_by(|held| held.as_str().cmp(p.name))
            .is_ok()
    }

    /// 403 unless the caller holds `p`.
    pub fn require(&self, p: Permission) -> Result<(), AppError> {
        if self.holds(p) {
            Ok(())
        } else {
            Err(AppError::forbidden(
                "permission_denied",
                format!("This action requires the `{}` permission.", p.name),
            ))
        }
    }
}

/// Shared handles the extractor needs, registered as their own app data
/// (`web::Data<AuthContext>`), so this file needs nothing of `AppState`.
#[derive(Clone)]
pub struct AuthContext {
    /// Token keys.
    pub tokens: Arc<TokenKeys>,
    /// Database lookups of sessions missing from the cache.
    pub sessions: Arc<dyn SessionLoader>,
    /// The shared cache the session state lives in.
    pub cache: Cache,
}

fn bearer(req: &HttpRequest) -> Result<String, AppError> {
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        AppError::unauthorized("An `Authorization: Bearer <token>` header is required.")
    })?;
    let value = value
        .to_str()
        .map_err(|_| AppError::unauthorized("The Authorization header is malformed."))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim().to_string())
        }
        _ => Err(AppError::unauthorized(
            "The Authorization header must use the Bearer scheme.",
        )),
    }
}

impl FromRequest for Principal {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer(req);
        let auth = req
            .app_data::<web::Data<AuthContext>>()
            .map(|a| (a.clone().into_inner(), a.cache.clone()));
        let req = req.clone();
        Box::pin(async move {
            let token = token?;
            let (auth, cache) =
                auth.ok_or_else(|| AppError::internal(anyhow::anyhow!("AuthContext missing")))?;
            let claims = auth.tokens.verify(&token)?;
            let local = cache.local_sessions().clone();
            let budget_key = format!("rl:api:{}", claims.org);
            let (grant, window) = match local.get(claims.sid) {
                // Kept here: no Redis round trip (`session_cache`).
                Some(grant) => {
                    let window = if grant.requests_per_minute > 0 {
                        local
                            .count(
                                &cache,
                                &budget_key,
                                claims.org,
                                grant.requests_per_minute,
                                BUDGET_WINDOW,
                            )
                            .await?
                    } else {
                        WindowCount {
                            count: 0,
                            resets_in: BUDGET_WINDOW,
                        }
                    };
                    (Some(grant), window)
                }
                None => {
                    let epoch = local.epoch();
                    // One cache round trip: the session's state and the
                    // organization's request budget.
                    let (cached, window) = cache
                        .get_and_hit(&session_key(claims.sid), &budget_key, BUDGET_WINDOW)
                        .await?;
                    let session = match cached {
                        Some(bytes) if bytes == REVOKED => None,
                        Some(bytes) => match serde_json::from_slice::<SessionInfo>(&bytes) {
                            Ok(info) => Some(info),
                            Err(_) => load_and_cache(&auth, &cache, claims.sid).await?,
                        },
                        None => load_and_cache(&auth, &cache, claims.sid).await?,
                    };
                    let grant = session.map(|s| Arc::new(Grant::from(s)));
                    if let Some(g) = &grant {
                        local.put(claims.sid, g.clone(), epoch);
                    }
                    (grant, window)
                }
            };
            let grant = grant
                .filter(|s| s.user_id == claims.sub && s.organization_id == claims.org)
                .ok_or_else(|| AppError::invalid_token("The session has ended; sign in again."))?;
            if grant.requests_per_minute > 0 {
                let info = RateLimitInfo {
                    limit: grant.requests_per_minute,
                    remaining: grant.requests_per_minute.saturating_sub(window.count),
                    reset_secs: window.resets_in.as_secs().max(1),
                };
                req.extensions_mut().insert(info);
                if window.count > grant.requests_per_minute {
                    return Err(
                        AppError::too_many_requests(info.reset_secs).with_code("rate_limited")
                    );
                }
            }
            Ok(Principal::of_grant(&claims, &grant))
        })
    }
}

/// The window of an organization's request budget.
const BUDGET_WINDOW: Duration = Duration::from_secs(60);

/// The caller of a request that only takes access away (logout). Verified
/// like [`Principal`]; but when the shared cache cannot answer, the session
/// is checked in the database instead of refusing with 503, so a sign-out is
/// never lost to a cache outage (every other request still fails closed).
#[derive(Debug, Clone)]
pub struct RevokingPrincipal(pub Principal);

impl FromRequest for RevokingPrincipal {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let cached = Principal::from_request(req, payload);
        let token = bearer(req);
        let auth = req
            .app_data::<web::Data<AuthContext>>()
            .map(|a| a.clone().into_inner());
        Box::pin(async move {
            match cached.await {
                Err(e) if e.code() == super::cache::CACHE_UNAVAILABLE => {
                    let auth = auth.ok_or_else(|| {
                        AppError::internal(anyhow::anyhow!("AuthContext missing"))
                    })?;
                    let claims = auth.tokens.verify(&token?)?;
                    let session = auth
                        .sessions
                        .load(claims.sid)
                        .await?
                        .filter(|s| s.user_id == claims.sub && s.organization_id == claims.org)
                        .ok_or_else(|| {
                            AppError::invalid_token("The session has ended; sign in again.")
                        })?;
                    Ok(Self(Principal::of_grant(&claims, &Grant::from(session))))
                }
                other => other.map(Self),
            }
        })
    }
}

async fn load_and_cache(
    auth: &AuthContext,
    cache: &Cache,
    session_id: Uuid,
) -> Result<Option<SessionInfo>, AppError> {
    let info = auth.sessions.load(session_id).await?;
    let value = match &info {
        Some(i) => serde_json::to_vec(i).map_err(AppError::internal)?,
        None => REVOKED.to_vec(),
    };
    cache
        .set_if_absent(&session_key(session_id), &value, SESSION_TTL)
        .await?;
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_principal_holds_exactly_its_sorted_names() {
        let p = |name| Permission {
            name,
            description: "",
            lowest_role: RoleLevel::Viewer,
        };
        let principal = Principal {
            user_id: Uuid::nil(),
            organization_id: Uuid::nil(),
            session_id: Uuid::nil(),
            permissions: vec!["a.b.read".to_string(), "a.b.write".to_string()].into(),
            profile: None,
        };
        assert!(principal.holds(p("a.b.read")));
        assert!(principal.holds(p("a.b.write")));
        assert!(!principal.holds(p("a.b.manage")));
        assert_eq!(principal.require(p("x.y.z")).unwrap_err().status(), 403);
    }

    #[test]
    fn a_level_holds_what_the_levels_below_hold() {
        const LOW: &[Permission] = &[Permission {
            name: "m.r.read",
            description: "",
            lowest_role: RoleLevel::Viewer,
        }];
        const HIGH: &[Permission] = &[Permission {
            name: "m.r.own",
            description: "",
            lowest_role: RoleLevel::Owner,
        }];
        let catalogue = Catalogue::new(&[LOW, HIGH]);
        assert_eq!(catalogue.held_at(RoleLevel::Viewer), vec!["m.r.read"]);
        assert_eq!(catalogue.held_at(RoleLevel::Admin), vec!["m.r.read"]);
        assert_eq!(
            catalogue.held_at(RoleLevel::Owner),
            vec!["m.r.own", "m.r.read"]
        );
        assert_eq!(
            catalogue.get("m.r.own").map(|p| p.lowest_role),
            Some(RoleLevel::Owner)
        );
    }
}
