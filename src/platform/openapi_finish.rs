//! The last pass over the rendered OpenAPI document: what holds for every
//! operation of a kind is said here once, on the JSON, so no annotation can
//! forget it and a generated client (openapi-typescript) sees all of it:
//!
//! - `servers`, contact, the declared tags with their descriptions;
//! - `security: []` on public operations;
//! - the headers every response carries (`X-Request-Id`), those of
//!   authenticated ones (`RateLimit-*`), of authenticated POSTs
//!   (`Idempotent-Replayed`), of 401 (`WWW-Authenticate`) and of 429/503
//!   (`Retry-After`), each with a schema (no `unknown` in a typed client);
//! - conditional GET: `If-None-Match` and 304 where the 200 has an `ETag`;
//!   the `If-Match` format;
//! - one example per error status, and an example for every request body
//!   and JSON success response (built from the schema's own examples);
//! - in response schemas, every property is `required` (the server always
//!   writes every field; an optional one is written as `null`, and its schema
//!   says nullable). [`ProblemDetails`](super::error::ProblemDetails) is the
//!   exception: `request_id` and `errors` are left out when empty.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

/// Tags, in the order Swagger UI shows them.
const TAGS: [(&str, &str); 13] = [
    (
        "organizations",
        "Start here: onboarding creates an organization and its owner and returns tokens; \
         an organization's profile and subscription.",
    ),
    (
        "auth",
        "Sign in (tokens, or an MFA challenge), refresh with rotation, sessions, password \
         reset and TOTP multi-factor authentication.",
    ),
    (
        "users",
        "The organization's members: invitations, profiles, activation and role assignment.",
    ),
    ("roles", "Roles and the permissions they grant (RBAC)."),
    ("teams", "Teams of members."),
    (
        "subscriptions",
        "Plans, their limits, and the organization's subscription.",
    ),
    (
        "inventory",
        "Products, categories, warehouses, stock levels and movements, transfers, purchase \
         orders and receipts.",
    ),
    (
        "crm",
        "Customers, contacts, custom fields, leads with explainable scores and one-step \
         conversion, pipelines and deals with boards and forecasts, activities and the \
         timeline of customers and contacts.",
    ),
    (
        "sales",
        "Quotes with revisions, sales orders that reserve stock at confirmation (all lines or \
         none, or with backorders), and fulfilments that ship it; exact totals rounded per \
         line to the currency's minor unit.",
    ),
    (
        "billing",
        "Invoices and supplier bills (exact totals, PDF), credit notes, payments received and \
         sent with allocations no race can overpay, refunds, tokenized payment methods (card \
         numbers refused everywhere), aging reports and customer statements (JSON or CSV).",
    ),
    (
        "accounting",
        "Chart of accounts, posting roles, tax rates, fiscal years and periods, a double-entry \
         journal the database keeps balanced, account ledgers and reports (trial balance, \
         profit and loss, balance sheet; JSON or CSV).",
    ),
    (
        "audit",
        "The organization's audit log: who changed what, when.",
    ),
    (
        "ops",
        "Where to start, liveness, readiness and Prometheus metrics (no token).",
    ),
];

const PROBLEM: &str = "application/problem+json";
const UUID_EXAMPLE: &str = "0193a4f2-7c1e-7d33-9a51-2f0c7e1b9d10";

/// Applies every rule of the module docs to a rendered document.
pub fn finish(doc: &mut Value) {
    doc["servers"] = json!([{
        "url": "/",
        "description": "The server that serves this document"
    }]);
    doc["info"]["contact"] = json!({"name": "Mainstay maintainers"});
    doc["info"]["license"] = json!({
        "name": "MIT OR Apache-2.0",
        "identifier": "MIT OR Apache-2.0"
    });
    doc["tags"] = TAGS
        .iter()
        .map(|(name, description)| json!({"name": name, "description": description}))
        .collect();
    let components = doc["components"].clone();
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (_, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (method, op) in item.iter_mut() {
                finish_operation(method, op, &components);
            }
        }
    }
    finish_error_responses(doc);
    require_response_fields(doc);
    drop_unused_schemas(doc);
}

/// Removes schemas no operation or response reaches (a type registered for
/// a use that went away): a client generator would emit dead types.
fn drop_unused_schemas(doc: &mut Value) {
    let schemas = doc["components"]["schemas"].clone();
    let mut used = BTreeSet::new();
    reachable(&doc["paths"], &schemas, &mut used);
    reachable(&doc["components"]["responses"], &schemas, &mut used);
    if let Some(all) = doc["components"]["schemas"].as_object_mut() {
        all.retain(|name, _| used.contains(name));
    }
}

fn header(description: &str, schema: Value) -> Value {
    json!({"description": description, "schema": schema})
}

fn request_id_header() -> Value {
    header(
        "The request's id (the one sent, if it was safe, else a new UUIDv7); also in the \
         log line and in problem bodies.",
        json!({"type": "string", "maxLength": 128}),
    )
}

fn rate_limit_headers() -> [(&'static str, Value); 3] {
    let int = json!({"type": "integer", "minimum": 0});
    [
        (
            "RateLimit-Limit",
            header(
                "Requests per minute the organization's plan allows (sent when the plan has a limit).",
                int.clone(),
            ),
        ),
        (
            "RateLimit-Remaining",
            header("Requests left in the current minute.", int.clone()),
        ),
        (
            "RateLimit-Reset",
            header("Seconds until the minute's budget resets.", int),
        ),
    ]
}

fn retry_after_header() -> Value {
    header(
        "Seconds to wait before retrying.",
        json!({"type": "integer", "minimum": 1}),
    )
}

fn finish_operation(method: &str, op: &mut Value, components: &Value) {
    let Some(obj) = op.as_object_mut() else {
        return;
    };
    let secured = obj
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter()
                .any(|r| r.as_object().is_some_and(|r| !r.is_empty()))
        });
    if !secured {
        obj.insert("security".into(), json!([]));
    }
    if let Some(params) = obj.get_mut("parameters").and_then(Value::as_array_mut) {
        for p in params.iter_mut() {
            if p["in"] == "header" && p["name"].as_str() == Some("If-Match") {
                p["description"] = json!(
                    "The `ETag` of the version the change is based on, as received: `\"3\"` \
                     (a weak `W/\"3\"` is accepted too); `*` skips the check. Another \
                     version answers 412."
                );
                p["schema"] = json!({"type": "string", "pattern": "^(\\*|(W/)?\"[0-9]+\")$"});
                p["example"] = json!("\"3\"");
            }
            if p["in"] == "query" && p["name"].as_str() == Some("cursor") {
                p["description"] = json!(
                    "The `next_cursor` of the previous page; absent or empty for the first page."
                );
            }
        }
    }
    if let Some(body) = obj.get_mut("requestBody") {
        finish_request_body(body, components);
    }
    let is_get = method == "get";
    let is_post = method == "post";
    let mut etag_on_200 = None;
    if let Some(responses) = obj.get_mut("responses").and_then(Value::as_object_mut) {
        for (status, response) in responses.iter_mut() {
            if response.get("$ref").is_some() {
                continue; // a component: finished once, below
            }
            let success = status.starts_with('2');
            let response_schema = response
                .get("content")
                .and_then(|c| c.get("application/json"))
                .and_then(|c| c.get("schema"))
                .cloned();
            let headers = response
                .as_object_mut()
                .map(|r| r.entry("headers").or_insert_with(|| json!({})));
            if let Some(Value::Object(headers)) = headers {
                headers.insert("X-Request-Id".into(), request_id_header());
                if secured {
                    for (name, h) in rate_limit_headers() {
                        headers.insert(name.into(), h);
                    }
                }
                if secured && is_post && success {
                    headers.insert(
                        "Idempotent-Replayed".into(),
                        header(
                            "`true` when this is the stored response of an earlier request \
                             with the same `Idempotency-Key`.",
                            json!({"type": "string", "enum": ["true"]}),
                        ),
                    );
                }
                if success
                    && !headers.contains_key("ETag")
                    && response_is_versioned(response_schema.as_ref(), components)
                {
                    // Every answer that is a versioned resource carries its
                    // version (`tests/api/contract.rs` checks the server).
                    headers.insert(
                        "ETag".into(),
                        header(
                            "The resource's version, for `If-Match` and `If-None-Match`.",
                            json!({}),
                        ),
                    );
                }
                for (name, h) in headers.iter_mut() {
                    if h.get("schema").is_none() {
                        h["schema"] = json!({"type": "string"});
                    }
                    if name.eq_ignore_ascii_case("ETag") {
                        h["schema"] = json!({"type": "string", "pattern": "^\"[0-9]+\"$"});
                        if is_get && status == "200" {
                            etag_on_200 = Some(h.clone());
                        }
                    }
                }
            }
            if success {
                for (_, content) in response
                    .get_mut("content")
                    .and_then(Value::as_object_mut)
                    .into_iter()
                    .flat_map(|c| c.iter_mut())
                {
                    if content.get("example").is_none()
                        && let Some(schema) = content.get("schema")
                    {
                        let example = example_of(schema, components, 0);
                        if !example.is_null() {
                            content["example"] = example;
                        }
                    }
                }
            }
        }
        if let Some(etag) = etag_on_200 {
            responses.insert(
                "304".into(),
                json!({
                    "description": "Not modified: `If-None-Match` names the current `ETag`",
                    "headers": {"ETag": etag, "X-Request-Id": request_id_header()}
                }),
            );
        }
    }
    if obj.get("responses").and_then(|r| r.get("304")).is_some() {
        let params = obj
            .entry("parameters")
            .or_insert_with(|| json!([]))
            .as_array_mut();
        if let Some(params) = params {
            params.push(json!({
                "name": "If-None-Match",
                "in": "header",
                "required": false,
                "description": "An `ETag` received earlier (or a list, or `*`): when it names \
                    the current version, the answer is 304 without a body.",
                "schema": {"type": "string"},
                "example": "\"3\""
            }));
        }
    }
}

/// True when a response body is a resource with an integer `version`.
fn response_is_versioned(schema: Option<&Value>, components: &Value) -> bool {
    schema
        .and_then(|s| resolve(s, components))
        .and_then(|s| s.get("properties"))
        .and_then(|p| p.get("version"))
        .is_some_and(|v| v.get("type") == Some(&json!("integer")))
}

fn finish_request_body(body: &mut Value, components: &Value) {
    let Some(content) = body["content"].as_object_mut() else {
        return;
    };
    let mut described = None;
    for (_, media) in content.iter_mut() {
        let Some(schema) = media.get("schema").cloned() else {
            continue;
        };
        if media.get("example").is_none() {
            let example = example_of(&schema, components, 0);
            if !example.is_null() {
                media["example"] = example;
            }
        }
        described = described.or_else(|| {
            resolve(&schema, components)
                .and_then(|s| s.get("description"))
                .and_then(Value::as_str)
                .map(str::to_string)
        });
    }
    if body.get("description").is_none() {
        body["description"] = json!(described.unwrap_or_else(|| "A JSON document.".into()));
    }
}

/// The schema a `$ref` names, or the schema itself.
fn resolve<'a>(schema: &'a Value, components: &'a Value) -> Option<&'a Value> {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix("#/components/schemas/")
            .and_then(|name| components["schemas"].get(name)),
        None => Some(schema),
    }
}

/// An example value for a schema: its own example where it has one, else
/// one built from its properties' examples and types.
pub fn example_of(schema: &Value, components: &Value, depth: usize) -> Value {
    if depth > 8 {
        return Value::Null;
    }
    let Some(schema) = resolve(schema, components) else {
        return Value::Null;
    };
    if let Some(e) = schema.get("example") {
        return e.clone();
    }
    if let Some(e) = schema
        .get("examples")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return e.clone();
    }
    if let Some(v) = schema.get("const") {
        return v.clone();
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.iter().find(|v| !v.is_null()))
    {
        return first.clone();
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(variants) = schema.get(key).and_then(Value::as_array) {
            return variants
                .iter()
                .filter(|v| v.get("type") != Some(&json!("null")))
                .map(|v| example_of(v, components, depth + 1))
                .find(|v| !v.is_null())
                .unwrap_or(Value::Null);
        }
    }
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        let mut merged = Map::new();
        for part in parts {
            match example_of(part, components, depth + 1) {
                Value::Object(o) => merged.extend(o),
                other if parts.len() == 1 => return other,
                _ => {}
            }
        }
        return Value::Object(merged);
    }
    let ty = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ => return Value::Null,
    };
    match ty {
        "object" => {
            let mut out = Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (name, prop) in props {
                    let v = example_of(prop, components, depth + 1);
                    // A property of any type (a JSON value whose shape
                    // depends on another field) shows `null`, which it
                    // accepts, rather than going missing.
                    if !v.is_null() || is_any_value(prop) {
                        out.insert(name.clone(), v);
                    }
                }
            }
            Value::Object(out)
        }
        "array" => {
            let item = schema
                .get("items")
                .map(|i| example_of(i, components, depth + 1))
                .unwrap_or(Value::Null);
            if item.is_null() {
                json!([])
            } else {
                json!([item])
            }
        }
        "string" => json!(string_example(schema)),
        "integer" | "number" => {
            let min = schema.get("minimum").and_then(Value::as_i64);
            let max = schema.get("maximum").and_then(Value::as_i64);
            json!(
                min.unwrap_or(1)
                    .min(max.unwrap_or(i64::MAX))
                    .max(min.unwrap_or(0))
            )
        }
        "boolean" => json!(true),
        _ => Value::Null,
    }
}

/// A schema that accepts any JSON value: no type, reference or composition.
fn is_any_value(schema: &Value) -> bool {
    [
        "type",
        "$ref",
        "properties",
        "allOf",
        "oneOf",
        "anyOf",
        "items",
        "enum",
        "const",
    ]
    .iter()
    .all(|k| schema.get(k).is_none())
}

fn string_example(schema: &Value) -> String {
    let base = match schema.get("format").and_then(Value::as_str) {
        Some("uuid") => UUID_EXAMPLE,
        Some("date-time") => "2026-11-22T09:30:00Z",
        Some("date") => "2026-11-22",
        Some("email") => "ada@example.com",
        Some("uri") => "https://example.com/",
        _ => "text",
    };
    let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    let max = schema
        .get("maxLength")
        .and_then(Value::as_u64)
        .map_or(usize::MAX, |m| m as usize);
    let mut s = base.to_string();
    while s.len() < min {
        s.push('x');
    }
    s.truncate(max.max(min));
    s
}

/// The error responses (`components.responses`): headers and an example of
/// each status's own problem.
fn finish_error_responses(doc: &mut Value) {
    let Some(responses) = doc["components"]["responses"].as_object_mut() else {
        return;
    };
    for (name, response) in responses.iter_mut() {
        let mut headers = Map::new();
        headers.insert("X-Request-Id".into(), request_id_header());
        let (status, code, detail, errors) = match name.as_str() {
            "BadRequest" => (
                400,
                "malformed_json",
                "The request body is not valid JSON: expected `,` or `}` (line 1, column 18).",
                None,
            ),
            "Unauthorized" => {
                headers.insert(
                    "WWW-Authenticate".into(),
                    header(
                        "`Bearer realm=\"mainstay\"`, with `error=\"invalid_token\"` when a \
                         presented token was refused (sign in or refresh).",
                        json!({"type": "string"}),
                    ),
                );
                (
                    401,
                    "unauthorized",
                    "The access token is invalid or expired.",
                    None,
                )
            }
            "Forbidden" => (
                403,
                "permission_denied",
                "This action needs the `inventory.write` permission.",
                None,
            ),
            "NotFound" => (404, "not_found", "No such product.", None),
            "Conflict" => {
                headers.insert("Retry-After".into(), retry_after_header());
                (
                    409,
                    "duplicate_sku",
                    "A product with this SKU already exists.",
                    None,
                )
            }
            "PreconditionFailed" => (
                412,
                "version_mismatch",
                "The resource changed since version 3; fetch it again and reapply the change.",
                None,
            ),
            "PayloadTooLarge" => (
                413,
                "payload_too_large",
                "The request body exceeds the limit of 1048576 bytes.",
                None,
            ),
            "UnsupportedMediaType" => (
                415,
                "unsupported_media_type",
                "The request body must be JSON (Content-Type: application/json).",
                None,
            ),
            "Unprocessable" => (
                422,
                "validation_failed",
                "The request failed validation.",
                Some(json!([
                    {"field": "email", "code": "email", "message": "must be a valid email address"},
                    {"field": "nickname", "code": "unknown_field",
                     "message": "unknown field `nickname`, expected one of `email`, `password`"}
                ])),
            ),
            "TooManyRequests" => {
                headers.insert("Retry-After".into(), retry_after_header());
                for (name, h) in rate_limit_headers() {
                    headers.insert(name.into(), h);
                }
                (429, "rate_limited", "Too many requests; retry later.", None)
            }
            "RequestTimeout" => (
                408,
                "request_timeout",
                "The request body did not arrive within 30 s.",
                None,
            ),
            "ServiceUnavailable" => {
                headers.insert("Retry-After".into(), retry_after_header());
                (
                    503,
                    "database_unavailable",
                    "The database is unavailable; retry shortly.",
                    None,
                )
            }
            _ => (
                500,
                "internal_error",
                "An unexpected error occurred. Quote the request id when reporting it.",
                None,
            ),
        };
        let title = actix_web::http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error");
        let mut example = json!({
            "type": format!("https://mainstay.dev/problems/{code}"),
            "title": title,
            "status": status,
            "detail": detail,
            "code": code,
            "request_id": UUID_EXAMPLE,
        });
        if let Some(errors) = errors {
            example["errors"] = errors;
        }
        response["headers"] = Value::Object(headers);
        if let Some(content) = response.get_mut("content").and_then(|c| c.get_mut(PROBLEM)) {
            content["example"] = example;
        }
    }
}

/// Every `$ref`'d schema name reachable from `value`, transitively.
fn reachable(value: &Value, schemas: &Value, seen: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                && seen.insert(name.to_string())
                && let Some(target) = schemas.get(name)
            {
                reachable(target, schemas, seen);
            }
            for v in map.values() {
                reachable(v, schemas, seen);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| reachable(v, schemas, seen)),
        _ => {}
    }
}

/// Marks every property of the response schemas `required` (see the module
/// docs); schemas also used in requests are left alone.
fn require_response_fields(doc: &mut Value) {
    let schemas = doc["components"]["schemas"].clone();
    let mut in_requests = BTreeSet::new();
    let mut in_responses = BTreeSet::new();
    for item in doc["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
    {
        for op in item.as_object().into_iter().flat_map(|o| o.values()) {
            reachable(&op["requestBody"], &schemas, &mut in_requests);
            reachable(&op["parameters"], &schemas, &mut in_requests);
            reachable(&op["responses"], &schemas, &mut in_responses);
        }
    }
    reachable(&doc["components"]["responses"], &schemas, &mut in_responses);
    let Some(targets) = doc["components"]["schemas"].as_object_mut() else {
        return;
    };
    for name in in_responses.difference(&in_requests) {
        if name == "ProblemDetails" {
            continue;
        }
        if let Some(schema) = targets.get_mut(name) {
            require_all(schema);
        }
    }
}

/// `required` on every property of an object schema and of the object
/// schemas written inline in it (a generic `Page<T>` inlines `T`); a `$ref`
/// is finished on its own.
fn require_all(schema: &mut Value) {
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        let names: Vec<Value> = props.keys().map(|k| json!(k)).collect();
        schema["required"] = Value::Array(names);
    }
    if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        props.values_mut().for_each(require_all);
    }
    if let Some(items) = schema.get_mut("items") {
        require_all(items);
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(parts) = schema.get_mut(key).and_then(Value::as_array_mut) {
            parts.iter_mut().for_each(require_all);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_follow_the_schema() {
        let components = json!({"schemas": {"Item": {
            "type": "object",
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "qty": {"type": "string", "examples": ["12.5"]},
                "note": {"type": ["string", "null"], "minLength": 6},
                "kind": {"type": "string", "enum": ["a", "b"]},
                "count": {"type": "integer", "minimum": 3}
            }
        }}});
        let example = example_of(
            &json!({"type": "array", "items": {"$ref": "#/components/schemas/Item"}}),
            &components,
            0,
        );
        assert_eq!(
            example,
            json!([{"id": UUID_EXAMPLE, "qty": "12.5", "note": "textxx", "kind": "a", "count": 3}])
        );
    }
}
