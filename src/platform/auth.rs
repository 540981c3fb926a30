//! Bearer JWT -> [`Principal`] { user, organization, session, permissions }.
//!
//! Access tokens are HS256 JWTs (`sub, org, sid, exp, iat, iss, aud`), 15
//! minutes by default. A signature is not enough: every request also asks the
//! [`SessionResolver`] (implemented by the auth module, cached in the shared
//! cache) whether the session is still alive and what it may do, so a revoked
//! session is refused on the very next request, by every process sharing the
//! cache. The permission catalogue lives here because every module checks it.

use std::{collections::BTreeSet, future::Future, pin::Pin, sync::Arc, time::Duration};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, http::header, web};
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{cache::Cache, config::AuthSettings, error::AppError, state::AppState};

macro_rules! catalogue {
    ($($variant:ident = $name:literal : $desc:literal,)*) => {
        /// Everything a role can grant, named `module.resource.action`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Permission { $(#[doc = $desc] $variant,)* }

        impl Permission {
            /// The whole catalogue, in a stable order.
            pub const ALL: &'static [Permission] = &[$(Permission::$variant,)*];

            /// `module.resource.action`.
            pub fn name(self) -> &'static str {
                match self { $(Permission::$variant => $name,)* }
            }

            /// What it allows, for people.
            pub fn description(self) -> &'static str {
                match self { $(Permission::$variant => $desc,)* }
            }

            /// Parses a catalogue name.
            pub fn from_name(name: &str) -> Option<Self> {
                match name { $($name => Some(Permission::$variant),)* _ => None }
            }
        }
    };
}

catalogue! {
    SelfService = "auth.self.manage": "Manage one's own profile, password, MFA and sessions",
    OrganizationRead = "auth.organization.read": "View the organization",
    OrganizationUpdate = "auth.organization.update": "Change the organization's details",
    UsersRead = "auth.users.read": "List and view members",
    UsersManage = "auth.users.manage": "Invite, change, activate and deactivate members and their roles",
    RolesRead = "auth.roles.read": "List and view roles and the permission catalogue",
    RolesManage = "auth.roles.manage": "Create, change and delete custom roles",
    TeamsRead = "auth.teams.read": "List and view teams",
    TeamsManage = "auth.teams.manage": "Create, change and delete teams and their members",
    AuditRead = "auth.audit.read": "Read the audit log",
    SubscriptionRead = "auth.subscription.read": "View the plan and its limits",
    SubscriptionManage = "auth.subscription.manage": "Change the plan",
    ProductsRead = "inventory.products.read": "List and view products and categories",
    ProductsManage = "inventory.products.manage": "Create, change and archive products and categories",
    WarehousesRead = "inventory.warehouses.read": "List and view warehouses",
    WarehousesManage = "inventory.warehouses.manage": "Create, change and archive warehouses",
    StockRead = "inventory.stock.read": "View stock levels, movements and valuation",
    StockMove = "inventory.stock.move": "Record receipts, issues and transfers",
    StockAdjust = "inventory.stock.adjust": "Correct stock levels (counts and adjustments)",
    SuppliersRead = "inventory.suppliers.read": "List and view suppliers",
    SuppliersManage = "inventory.suppliers.manage": "Create, change and archive suppliers",
    PurchaseOrdersRead = "inventory.purchase_orders.read": "List and view purchase orders",
    PurchaseOrdersManage = "inventory.purchase_orders.manage": "Create, change, order and cancel purchase orders",
    PurchaseOrdersReceive = "inventory.purchase_orders.receive": "Receive goods against purchase orders",
}

/// A set of permissions, one bit each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PermissionSet(u128);

impl PermissionSet {
    /// Every permission.
    pub fn all() -> Self {
        Permission::ALL.iter().copied().collect()
    }

    /// True if `p` is granted.
    pub fn contains(self, p: Permission) -> bool {
        self.0 & (1u128 << p as u8) != 0
    }

    /// Adds `p`.
    pub fn insert(&mut self, p: Permission) {
        self.0 |= 1u128 << p as u8;
    }

    /// Union.
    pub fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// The granted permissions, in catalogue order.
    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .iter()
            .copied()
            .filter(move |p| self.contains(*p))
    }

    /// Names, sorted.
    pub fn names(self) -> Vec<&'static str> {
        self.iter()
            .map(Permission::name)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    /// From catalogue names; unknown names are ignored (a permission removed
    /// from the catalogue simply stops granting anything).
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        names
            .into_iter()
            .filter_map(Permission::from_name)
            .collect()
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        let mut set = Self::default();
        for p in iter {
            set.insert(p);
        }
        set
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
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
}

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
        validation.leeway = 5;
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

    /// Verifies signature, algorithm, expiry, issuer and audience.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, AppError> {
        jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map(|d| d.claims)
            .map_err(|_| AppError::unauthorized("The access token is invalid or expired."))
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

/// The organization's rate-limit state for this request; the request
/// middleware turns it into `RateLimit-*` headers.
#[derive(Debug, Clone, Copy)]
pub struct RateLimitInfo {
    /// Requests allowed per window.
    pub limit: u64,
    /// Requests left in the window.
    pub remaining: u64,
    /// Seconds until the window resets.
    pub reset_secs: u64,
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
    Ok(())
}

/// After commit: drops cached session state (permissions, plan) so the next
/// request reloads it.
pub async fn evict_sessions(cache: &Cache, session_ids: &[Uuid]) -> Result<(), AppError> {
    for id in session_ids {
        cache.delete(&session_key(*id)).await?;
    }
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
    /// What the caller may do here.
    pub permissions: PermissionSet,
    /// The cached profile (see [`SessionInfo::profile`]).
    pub profile: Option<String>,
}

impl Principal {
    /// 403 unless the caller holds `p`.
    pub fn require(&self, p: Permission) -> Result<(), AppError> {
        if self.permissions.contains(p) {
            Ok(())
        } else {
            Err(AppError::forbidden(
                "permission_denied",
                format!("This action requires the `{}` permission.", p.name()),
            ))
        }
    }
}

/// Shared handles the extractor needs.
#[derive(Clone)]
pub struct AuthContext {
    /// Token keys.
    pub tokens: Arc<TokenKeys>,
    /// Database lookups of sessions missing from the cache.
    pub sessions: Arc<dyn SessionLoader>,
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
            .app_data::<web::Data<AppState>>()
            .map(|s| (s.auth.clone(), s.cache.clone()));
        let req = req.clone();
        Box::pin(async move {
            let token = token?;
            let (auth, cache) =
                auth.ok_or_else(|| AppError::internal(anyhow::anyhow!("AppState missing")))?;
            let claims = auth.tokens.verify(&token)?;
            // One cache round trip: the session's state and the organization's
            // request budget.
            let (cached, window) = cache
                .get_and_hit(
                    &session_key(claims.sid),
                    &format!("rl:api:{}", claims.org),
                    Duration::from_secs(60),
                )
                .await?;
            let session = match cached {
                Some(bytes) if bytes == REVOKED => None,
                Some(bytes) => match serde_json::from_slice::<SessionInfo>(&bytes) {
                    Ok(info) => Some(info),
                    Err(_) => load_and_cache(&auth, &cache, claims.sid).await?,
                },
                None => load_and_cache(&auth, &cache, claims.sid).await?,
            };
            let session = session
                .filter(|s| s.user_id == claims.sub && s.organization_id == claims.org)
                .ok_or_else(|| AppError::unauthorized("The session has ended; sign in again."))?;
            if session.requests_per_minute > 0 {
                let info = RateLimitInfo {
                    limit: session.requests_per_minute,
                    remaining: session.requests_per_minute.saturating_sub(window.count),
                    reset_secs: window.resets_in.as_secs().max(1),
                };
                req.extensions_mut().insert(info);
                if window.count > session.requests_per_minute {
                    return Err(
                        AppError::too_many_requests(info.reset_secs).with_code("rate_limited")
                    );
                }
            }
            Ok(Principal {
                user_id: claims.sub,
                organization_id: claims.org,
                session_id: claims.sid,
                permissions: PermissionSet::from_names(
                    session.permissions.iter().map(String::as_str),
                ),
                profile: session.profile,
            })
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
    fn every_permission_round_trips_its_name_and_fits_the_set() {
        assert!(Permission::ALL.len() <= 128);
        for p in Permission::ALL {
            assert_eq!(Permission::from_name(p.name()), Some(*p));
            assert_eq!(p.name().split('.').count(), 3, "{}", p.name());
        }
        let set = PermissionSet::from_names(["auth.users.read", "nope.x.y"]);
        assert!(set.contains(Permission::UsersRead));
        assert!(!set.contains(Permission::UsersManage));
        assert_eq!(set.names(), vec!["auth.users.read"]);
    }
}
