//! The root OpenAPI document: info, the bearer JWT security scheme, the
//! problem schema, tags. Paths are collected from the mounted routes by
//! utoipa-actix-web (see `startup::openapi`), so docs and routes cannot drift.

use std::collections::HashMap;

use utoipa::{
    Modify, OpenApi, ToResponse,
    openapi::{
        self,
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

use super::error::{FieldError, ProblemDetails};

/// Name of the bearer security scheme in `components.securitySchemes`.
pub const BEARER: &str = "bearer_auth";

/// The document's fixed parts.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Mainstay API",
        description = "Multi-tenant ERP/CRM backend. Errors are `application/problem+json` \
            (RFC 9457) with a stable `code`; lists use cursor pagination \
            (`limit`, `cursor`, `next_cursor`, `has_more`); money and quantities are \
            decimal strings matching `^-?\\d{1,15}(\\.\\d{1,4})?$`. Every string in a body \
            or a query parameter is refused with 422 if it holds a control character (other \
            than tab, line feed and carriage return: `control_character`) or only whitespace \
            (`blank`). Authenticated POSTs take an `Idempotency-Key`; only 2xx and 409 \
            outcomes are stored and replayed.",
        license(name = "MIT OR Apache-2.0")
    ),
    components(
        schemas(ProblemDetails, FieldError),
        responses(
            BadRequest,
            Unauthorized,
            Forbidden,
            NotFound,
            Conflict,
            PreconditionFailed,
            PayloadTooLarge,
            UnsupportedMediaType,
            Unprocessable,
            TooManyRequests,
            RequestTimeout,
            ServiceUnavailable,
            InternalError
        )
    ),
    modifiers(&SecurityAddon),
    tags((name = "ops", description = "Liveness, readiness and metrics probes"))
)]
pub struct ApiDoc;

macro_rules! problem_responses {
    ($($name:ident = $desc:literal,)*) => {$(
        #[doc = $desc]
        #[derive(ToResponse)]
        #[response(description = $desc, content_type = "application/problem+json")]
        #[allow(dead_code)]
        pub struct $name(ProblemDetails);
    )*};
}

problem_responses! {
    BadRequest = "Malformed request: invalid JSON, query string, path parameter or token",
    Unauthorized = "Missing, invalid or expired access token, or an ended session",
    Forbidden = "Authenticated, but the caller lacks the permission (`permission_denied`) or the plan forbids it (`plan_limit_exceeded`)",
    NotFound = "No such resource in the caller's organization",
    Conflict = "Conflicts with the current state (duplicate, in use, last owner, ...)",
    PreconditionFailed = "`If-Match` names another version",
    Unprocessable = "Validation failed; `errors` lists the fields",
    TooManyRequests = "Rate limited; retry after `Retry-After` seconds",
    PayloadTooLarge = "The request body exceeds the configured limit",
    UnsupportedMediaType = "The request body is not `application/json`",
    RequestTimeout = "The request body did not arrive within `server.body_timeout_secs` of the request head",
    ServiceUnavailable = "A dependency is unreachable (`database_unavailable`, `cache_unavailable`) or the server is shutting down (`shutting_down`); retry after `Retry-After` seconds",
    InternalError = "An unexpected error; the body is opaque and the cause is logged under the request id",
}

/// Adds the answers the platform gives on every operation of a kind, so no
/// `#[utoipa::path]` lists them and none can forget them; a handler lists only
/// its own outcomes (and may describe a standard status its own way, which is
/// kept):
/// - every operation: 500; every API operation (`/api/v1`): 503 with
///   `Retry-After` (database or cache unreachable, or shutting down);
/// - a path, query, header or body input: 400 (malformed) and 422 (invalid);
/// - a body: 408 (it stalled), 413 and 415;
/// - a path id: 404;
/// - an `If-Match` header: 412;
/// - a bearer token: 401, 403 (permission or plan) and 429 (the
///   organization's request budget);
/// - an authenticated POST: 409 (a duplicate in flight), 422 (a key reused
///   with another request) and the `Idempotency-Key` header.
pub fn document_platform_responses(doc: &mut openapi::OpenApi) {
    use openapi::{RefOr, path::ParameterIn};
    for (path, item) in doc.paths.paths.iter_mut() {
        let api = path.starts_with("/api/v1/");
        let ops = [
            (false, &mut item.get),
            (true, &mut item.post),
            (false, &mut item.put),
            (false, &mut item.patch),
            (false, &mut item.delete),
        ];
        for (is_post, op) in ops
            .into_iter()
            .filter_map(|(p, o)| o.as_mut().map(|o| (p, o)))
        {
            let params: Vec<(ParameterIn, String)> = op
                .parameters
                .iter()
                .flatten()
                .filter_map(|p| match p {
                    RefOr::T(p) => Some((p.parameter_in.clone(), p.name.clone())),
                    RefOr::Ref(_) => None,
                })
                .collect();
            let has = |place: ParameterIn| params.iter().any(|(p, _)| *p == place);
            let has_body = op.request_body.is_some();
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let mut wanted: Vec<(&str, &str)> = vec![("500", "InternalError")];
            if api {
                wanted.push(("503", "ServiceUnavailable"));
            }
            if has_body || !params.is_empty() {
                wanted.extend([("400", "BadRequest"), ("422", "Unprocessable")]);
            }
            if has_body {
                wanted.extend([
                    ("408", "RequestTimeout"),
                    ("413", "PayloadTooLarge"),
                    ("415", "UnsupportedMediaType"),
                ]);
            }
            if has(ParameterIn::Path) {
                wanted.push(("404", "NotFound"));
            }
            if params
                .iter()
                .any(|(p, n)| *p == ParameterIn::Header && n.eq_ignore_ascii_case("If-Match"))
            {
                wanted.push(("412", "PreconditionFailed"));
            }
            if secured {
                wanted.extend([
                    ("401", "Unauthorized"),
                    ("403", "Forbidden"),
                    ("429", "TooManyRequests"),
                ]);
            }
            if secured && is_post {
                // A reused Idempotency-Key is a 422 even without a body.
                wanted.extend([
                    ("400", "BadRequest"),
                    ("409", "Conflict"),
                    ("422", "Unprocessable"),
                ]);
                op.parameters
                    .get_or_insert_with(Vec::new)
                    .push(RefOr::T(idempotency_key_parameter()));
            }
            for (status, name) in wanted {
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| RefOr::Ref(openapi::Ref::from_response_name(name)));
            }
        }
    }
}

fn idempotency_key_parameter() -> openapi::path::Parameter {
    use openapi::{
        Required,
        path::{ParameterBuilder, ParameterIn},
        schema::{ObjectBuilder, Type},
    };
    ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Makes the POST safe to retry: the same key and body within 24 h \
             replays the first response (`Idempotent-Replayed: true`); the same \
             key with another body is a 422; while the first request runs, a 409.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(255))
                .pattern(Some("^[!-~]+$")),
        ))
        .build()
}

struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "Paste an `access_token` here (without `Bearer `). To get one: create \
                         an organization with `POST /api/v1/organizations/onboard` (Try it \
                         out; the answer holds the tokens), or sign in with `POST \
                         /api/v1/auth/login` (the demo organization's email and password are \
                         printed in the server log at the first start). It lasts 15 minutes; \
                         `POST /api/v1/auth/refresh` renews it. Swagger UI keeps it across \
                         reloads.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document as JSON, finished: what every operation of a kind shares
/// (headers, examples, required fields, ...; see `openapi_finish`).
pub fn finished(doc: openapi::OpenApi) -> serde_json::Value {
    let mut value = serde_json::to_value(&doc).unwrap_or_else(|e| {
        tracing::error!(error = %e, "the OpenAPI document did not serialize");
        serde_json::Value::Null
    });
    super::openapi_finish::finish(&mut value);
    value
}

/// The finished document, rendered once to JSON (shared by every worker,
/// served as is), plus what the router needs from it.
pub struct ApiSpec {
    /// The document as served at `/api-docs/openapi.json`.
    pub json: actix_web::web::Bytes,
    /// `Allow` header value per path pattern, for 405 answers.
    allow: HashMap<String, String>,
    /// Every documented path pattern, split into segments, for matching a
    /// request path the router refused.
    patterns: Vec<(Vec<String>, String)>,
}

impl ApiSpec {
    /// Finishes ([`super::openapi_finish::finish`]), renders and indexes a
    /// document.
    pub fn new(doc: openapi::OpenApi) -> Self {
        let value = finished(doc);
        let mut allow = HashMap::new();
        let mut patterns = Vec::new();
        for (path, item) in value["paths"].as_object().into_iter().flatten() {
            let methods: Vec<&str> = ["get", "post", "put", "patch", "delete", "head", "options"]
                .into_iter()
                .filter(|m| item.get(*m).is_some())
                .map(|m| match m {
                    "get" => "GET",
                    "post" => "POST",
                    "put" => "PUT",
                    "patch" => "PATCH",
                    "delete" => "DELETE",
                    "head" => "HEAD",
                    _ => "OPTIONS",
                })
                .collect();
            allow.insert(path.clone(), methods.join(", "));
            patterns.push((path.split('/').map(str::to_string).collect(), path.clone()));
        }
        let json = serde_json::to_vec(&value).unwrap_or_else(|e| {
            tracing::error!(error = %e, "the OpenAPI document did not serialize");
            b"{}".to_vec()
        });
        Self {
            json: json.into(),
            allow,
            patterns,
        }
    }

    /// The methods a documented path pattern supports.
    pub fn allowed_methods(&self, pattern: &str) -> Option<&str> {
        self.allow.get(pattern).map(String::as_str)
    }

    /// The documented path pattern a request path falls under: a literal
    /// segment wins over a `{parameter}` (`/invitations/accept` is not the
    /// invitation `accept`), left to right.
    pub fn pattern_of(&self, path: &str) -> Option<&str> {
        let segments: Vec<&str> = path.split('/').collect();
        self.patterns
            .iter()
            .filter(|(pattern, _)| {
                pattern.len() == segments.len()
                    && pattern.iter().zip(&segments).all(|(p, s)| {
                        p == s || (p.starts_with('{') && p.ends_with('}') && !s.is_empty())
                    })
            })
            // Literal segments as a bit string, the leftmost the highest bit:
            // the pattern with the earliest literal where they differ wins.
            .max_by_key(|(pattern, _)| {
                pattern.iter().fold(0u64, |acc, p| {
                    (acc << 1) | u64::from(!(p.starts_with('{') && p.ends_with('}')))
                })
            })
            .map(|(_, p)| p.as_str())
    }

    /// The methods the documented path a request path falls under supports.
    pub fn allowed_methods_of(&self, path: &str) -> Option<&str> {
        self.pattern_of(path).and_then(|p| self.allowed_methods(p))
    }
}
