//! Request extractors that fail as problem+json.
//!
//! [`ValidatedJson`] checks the content type (415), the size (413), the syntax
//! (400), the shape (422 naming the field: wrong type, missing or unknown
//! field; DTOs use `deny_unknown_fields`) and the `validator` rules (422 with
//! every invalid field). [`ValidatedQuery`] does the same for query strings.
//! [`configure_extractors`] routes actix's own `Json`, `Query` and `Path`
//! errors through [`AppError`] too.

use std::{future::Future, pin::Pin};

use actix_web::{
    FromRequest, HttpRequest,
    dev::Payload,
    error::{JsonPayloadError, PathError, QueryPayloadError},
    http::header,
    web,
};
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use super::error::{AppError, FieldError};

/// Default body limit when no configuration is registered (1 MiB).
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// The body limit registered by [`configure_extractors`].
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON body that parsed and passed its `validator` rules.
#[derive(Debug)]
pub struct ValidatedJson<T>(pub T);

impl<T> ValidatedJson<T> {
    /// The validated value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for ValidatedJson<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

fn is_json_content_type(req: &HttpRequest) -> bool {
    let Some(ct) = req.headers().get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(ct) = ct.to_str() else { return false };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidatedJson<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_validated::<T>(req, payload, false);
        Box::pin(async move { body.await.map(ValidatedJson) })
    }
}

/// A [`ValidatedJson`] body that holds no card number: any string or number
/// anywhere in it (keys too) that looks like a full card number is a 422
/// `card_number` naming the field, before anything else reads the body, so
/// the digits are never stored, logged or echoed (see `platform::card`).
/// Its query string is screened the same way.
#[derive(Debug)]
pub struct CardSafeJson<T>(pub T);

impl<T> CardSafeJson<T> {
    /// The validated value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for CardSafeJson<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if let Some(field) = super::card::find_in_query(req.query_string()) {
            return Box::pin(async move { Err(super::card::refusal(field)) });
        }
        let body = read_validated::<T>(req, payload, true);
        Box::pin(async move { body.await.map(CardSafeJson) })
    }
}

/// Reads, screens (with `cards`) and parses a JSON body.
fn read_validated<T: DeserializeOwned + Validate + 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    cards: bool,
) -> Pin<Box<dyn Future<Output = Result<T, AppError>>>> {
    let limit = req
        .app_data::<BodyLimit>()
        .map(|l| l.0)
        .unwrap_or(DEFAULT_BODY_LIMIT);
    if !is_json_content_type(req) {
        return Box::pin(async {
            Err(AppError::unsupported_media_type(
                "The request body must be JSON (Content-Type: application/json).",
            ))
        });
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Box::pin(async move { Err(AppError::payload_too_large(limit)) });
    }
    let body = web::Bytes::from_request(req, payload);
    Box::pin(async move {
        let bytes = body.await.map_err(|e| body_error(&e, limit))?;
        if cards
            && let Ok(document) = serde_json::from_slice::<serde_json::Value>(&bytes)
            && let Some(field) = super::card::find_in_body(&bytes, &document)
        {
            return Err(super::card::refusal(field));
        }
        let value: T = parse_json_with(&bytes, |v: &T| {
            v.validate()
                .err()
                .map(|e| validation_error(e).field_errors().to_vec())
                .unwrap_or_default()
        })?;
        value.validate().map_err(validation_error)?;
        Ok(value)
    })
}

/// The problem for a request body that could not be read: 413 over the
/// limit, 408 when it stalled (see `platform::lifecycle`), else 400.
pub fn body_error(err: &actix_web::Error, limit: usize) -> AppError {
    if let Some(payload) = err.as_error::<actix_web::error::PayloadError>()
        && let Some(timeout) = super::lifecycle::body_timeout_error(payload)
    {
        return timeout;
    }
    if err.as_response_error().status_code() == 413 {
        AppError::payload_too_large(limit)
    } else {
        AppError::bad_request("unreadable_body", "The request body could not be read.")
    }
}

/// Parses JSON with the failing field's path in the error. Every string in
/// the document (object keys too) is checked first ([`check_text`]): no
/// control characters but tab, newline and carriage return, and not blank
/// (whitespace only). An empty string is left to the field's own rules.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    parse_json_with(bytes, |_: &T| Vec::new())
}

/// [`parse_json`], where a body with field errors also reports what `rules`
/// find in the rest of it.
fn parse_json_with<T: DeserializeOwned>(
    bytes: &[u8],
    rules: impl Fn(&T) -> Vec<FieldError>,
) -> Result<T, AppError> {
    let document: serde_json::Value = {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let value = serde::Deserialize::deserialize(&mut de).map_err(|e| json_error(".", &e))?;
        de.end().map_err(|e| json_error(".", &e))?;
        value
    };
    check_strings(&document, &mut String::new())?;
    // The typed parse reads the bytes again, not the tree: a tree keeps only
    // the last of two equal keys, and a duplicate field must stay an error.
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let first = json_error(&path, e.inner());
        every_field_error::<T>(document, first, rules)
    })
}

/// After a field error, the rest of the body's field errors: the offending
/// field is taken out of the document and the parse runs again, up to a
/// bound, so one 422 lists every unknown, mistyped or missing field instead
/// of one per round trip. When what remains parses, `rules` (the
/// `validator` rules) add their errors too.
fn every_field_error<T: DeserializeOwned>(
    mut document: serde_json::Value,
    first: AppError,
    rules: impl Fn(&T) -> Vec<FieldError>,
) -> AppError {
    const MAX_ERRORS: usize = 32;
    let mut errors: Vec<FieldError> = first.field_errors().to_vec();
    if errors.is_empty() {
        return first; // not a field error (the document is not JSON)
    }
    while errors.len() < MAX_ERRORS {
        let Some(last) = errors.last() else { break };
        let steps: Vec<&str> = last.field.split('.').collect();
        if last.code == "required" || !remove_field(&mut document, &steps) {
            break; // nothing to take out: the rest cannot be reached
        }
        match serde_path_to_error::deserialize::<_, T>(&document) {
            Ok(value) => {
                errors.extend(rules(&value));
                break;
            }
            Err(e) => {
                let next = json_error(&e.path().to_string(), e.inner());
                match next.field_errors().first() {
                    Some(f) if !errors.iter().any(|seen| seen.field == f.field) => {
                        errors.push(f.clone())
                    }
                    _ => break,
                }
            }
        }
    }
    errors.sort_by(|a, b| a.field.cmp(&b.field).then(a.code.cmp(&b.code)));
    AppError::validation(errors)
}

/// Removes the value at a field path (`["lines[0]", "quantity"]`); false if
/// it is not there. An array element is replaced by `null`, so its
/// siblings keep their indices.
fn remove_field(node: &mut serde_json::Value, steps: &[&str]) -> bool {
    match steps {
        [] => false,
        [last] => {
            let (key, indices) = split_indices(last);
            if indices.is_empty() {
                return node.as_object_mut().and_then(|m| m.remove(key)).is_some();
            }
            descend(node, key, &indices)
                .map(|target| !std::mem::take(target).is_null())
                .unwrap_or(false)
        }
        [first, rest @ ..] => {
            let (key, indices) = split_indices(first);
            descend(node, key, &indices).is_some_and(|next| remove_field(next, rest))
        }
    }
}

fn descend<'a>(
    node: &'a mut serde_json::Value,
    key: &str,
    indices: &[usize],
) -> Option<&'a mut serde_json::Value> {
    let mut cur = if key.is_empty() {
        node
    } else {
        node.get_mut(key)?
    };
    for i in indices {
        cur = cur.get_mut(*i)?;
    }
    Some(cur)
}

/// `lines[0][1]` into `("lines", [0, 1])`.
fn split_indices(step: &str) -> (&str, Vec<usize>) {
    let key_end = step.find('[').unwrap_or(step.len());
    let indices = step[key_end..]
        .split(['[', ']'])
        .filter_map(|i| i.parse().ok())
        .collect();
    (&step[..key_end], indices)
}

/// Why a piece of text is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    /// A C0 control character (other than tab, newline, carriage return) or DEL.
    Control,
    /// Only whitespace.
    Blank,
}

/// Checks one string: control characters and blankness.
pub fn check_text(s: &str) -> Result<(), TextProblem> {
    if s.chars()
        .any(|c| (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) && (c as u32) < 0x80)
    {
        return Err(TextProblem::Control);
    }
    if !s.is_empty() && s.trim().is_empty() {
        return Err(TextProblem::Blank);
    }
    Ok(())
}

fn text_error(field: String, problem: TextProblem) -> AppError {
    match problem {
        TextProblem::Control => AppError::invalid_field(
            field,
            "control_character",
            "must not contain control characters (only tab and line breaks are allowed)",
        ),
        TextProblem::Blank => {
            AppError::invalid_field(field, "blank", "must not be blank (only whitespace)")
        }
    }
}

fn check_strings(value: &serde_json::Value, path: &mut String) -> Result<(), AppError> {
    use serde_json::Value;
    let field = |path: &str| {
        if path.is_empty() {
            "$".to_string()
        } else {
            path.to_string()
        }
    };
    match value {
        Value::String(s) => check_text(s).map_err(|p| text_error(field(path), p)),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                check_strings(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                if let Err(TextProblem::Control) = check_text(key) {
                    return Err(text_error(field(path), TextProblem::Control));
                }
                check_strings(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn json_error(path: &str, err: &serde_json::Error) -> AppError {
    use serde_json::error::Category;
    let message = strip_location(&err.to_string());
    match err.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            let detail = if err.classify() == Category::Eof && err.line() == 1 && err.column() == 0
            {
                "The request body is empty; a JSON document is expected.".to_string()
            } else {
                format!(
                    "The request body is not valid JSON: {message} (line {}, column {}).",
                    err.line(),
                    err.column()
                )
            };
            AppError::bad_request("malformed_json", detail)
        }
        Category::Data => {
            let (field, code) = field_of(path, &message);
            AppError::invalid_field(field, code, message)
        }
    }
}

fn strip_location(message: &str) -> String {
    match message.rsplit_once(" at line ") {
        Some((head, _)) => head.to_string(),
        None => message.to_string(),
    }
}

/// Names the field of a serde data error: the path, plus the backticked name
/// for unknown and missing fields (serde reports those at the parent).
fn field_of(path: &str, message: &str) -> (String, &'static str) {
    let named = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_string)
    };
    let join = |name: String| {
        if path == "." || path.is_empty() {
            name
        } else if path == name || path.ends_with(&format!(".{name}")) {
            // serde_path_to_error already descended into an unknown field.
            path.to_string()
        } else {
            format!("{path}.{name}")
        }
    };
    if let Some(name) = named("unknown field `") {
        (join(name), "unknown_field")
    } else if let Some(name) = named("missing field `") {
        (join(name), "required")
    } else if path == "." || path.is_empty() {
        ("$".to_string(), "invalid_type")
    } else if message.starts_with("invalid type") {
        (path.to_string(), "invalid_type")
    } else {
        (path.to_string(), "invalid_value")
    }
}

/// Turns `validator` errors into a 422 naming every invalid field.
pub fn validation_error(errors: ValidationErrors) -> AppError {
    let mut out = Vec::new();
    flatten(&errors, "", &mut out);
    out.sort_by(|a, b| a.field.cmp(&b.field).then(a.code.cmp(&b.code)));
    AppError::validation(out)
}

fn flatten(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let message = e
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| describe(e));
                    out.push(FieldError::new(path.clone(), e.code.to_string(), message));
                }
            }
            ValidationErrorsKind::Struct(inner) => flatten(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    flatten(inner, &format!("{path}[{i}]"), out);
                }
            }
        }
    }
}

/// A readable message for a built-in rule without a custom message.
fn describe(e: &validator::ValidationError) -> String {
    let p = |k: &str| e.params.get(k).map(|v| v.to_string());
    match e.code.as_ref() {
        "length" => match (p("min"), p("max"), p("equal")) {
            (_, _, Some(eq)) => format!("must be exactly {eq} characters long"),
            (Some(min), Some(max), _) => format!("must be between {min} and {max} characters long"),
            (Some(min), None, _) => format!("must be at least {min} characters long"),
            (None, Some(max), _) => format!("must be at most {max} characters long"),
            _ => "has an invalid length".into(),
        },
        "range" => match (p("min"), p("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "is out of range".into(),
        },
        "email" => "must be a valid email address".into(),
        "url" => "must be a valid URL".into(),
        "required" => "is required".into(),
        other => format!("is invalid ({other})"),
    }
}

/// For PATCH fields that can be cleared: absent -> `None`, `null` ->
/// `Some(None)`, a value -> `Some(Some(v))`. Use with `#[serde(default,
/// deserialize_with = "...")]`.
pub fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

/// The version named by an `If-Match` header (`"3"`, `W/"3"`); `*` or no
/// header means "any version".
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub Option<i32>);

impl FromRequest for IfMatch {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = match req.headers().get(header::IF_MATCH) {
            None => Ok(IfMatch(None)),
            Some(v) => {
                let s = v.to_str().unwrap_or("").trim();
                if s == "*" {
                    Ok(IfMatch(None))
                } else {
                    s.trim_start_matches("W/")
                        .trim_matches('"')
                        .parse::<i32>()
                        .map(|n| IfMatch(Some(n)))
                        .map_err(|_| {
                            AppError::bad_request(
                                "invalid_if_match",
                                "If-Match must be an ETag from a previous response, e.g. \"3\".",
                            )
                        })
                }
            }
        };
        std::future::ready(parsed)
    }
}

/// The `ETag` header value for a resource version.
pub fn etag(version: i32) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
}

/// 201 with `Location` and `ETag`.
pub fn created<T: serde::Serialize>(
    location: String,
    version: i32,
    body: &T,
) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header(etag(version))
        .json(body)
}

/// 200 with `ETag`.
pub fn versioned<T: serde::Serialize>(version: i32, body: &T) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .insert_header(etag(version))
        .json(body)
}

/// True when the request's `Accept` header asks for `mime` (a `q=0` entry
/// does not count).
pub fn accepts(req: &HttpRequest, mime: &str) -> bool {
    req.headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|part| {
            let mut bits = part.split(';').map(str::trim);
            bits.next().is_some_and(|m| m.eq_ignore_ascii_case(mime))
                && !bits.any(|b| b.replace(' ', "") == "q=0")
        })
}

/// A query string that parsed and passed its `validator` rules.
#[derive(Debug)]
pub struct ValidatedQuery<T>(pub T);

impl<T> std::ops::Deref for ValidatedQuery<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidatedQuery<T> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = parse_query::<T>(req.query_string()).and_then(|value| {
            value.validate().map_err(validation_error)?;
            Ok(ValidatedQuery(value))
        });
        std::future::ready(result)
    }
}

/// A [`ValidatedQuery`] whose parameters hold no card number (422
/// `card_number` naming the parameter; see [`CardSafeJson`]).
#[derive(Debug)]
pub struct CardSafeQuery<T>(pub T);

impl<T> std::ops::Deref for CardSafeQuery<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for CardSafeQuery<T> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = match super::card::find_in_query(req.query_string()) {
            Some(field) => Err(super::card::refusal(field)),
            None => parse_query::<T>(req.query_string()).and_then(|value| {
                value.validate().map_err(validation_error)?;
                Ok(CardSafeQuery(value))
            }),
        };
        std::future::ready(result)
    }
}

/// Parses a query string; a value outside a documented set (an enum's
/// unknown variant) is a 422 naming the parameter, anything else a 400.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, AppError> {
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if let Err(problem) = check_text(&name).and_then(|()| check_text(&value)) {
            return Err(text_error(name.into_owned(), problem));
        }
    }
    // An empty `cursor=` (a client that always sends the parameter) is the
    // first page, as if it were absent.
    let empty_cursor = |(name, value): &(std::borrow::Cow<str>, std::borrow::Cow<str>)| {
        name == "cursor" && value.is_empty()
    };
    let without_empty_cursor;
    let query = if form_urlencoded::parse(query.as_bytes()).any(|p| empty_cursor(&p)) {
        without_empty_cursor = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form_urlencoded::parse(query.as_bytes()).filter(|p| !empty_cursor(p)))
            .finish();
        without_empty_cursor.as_str()
    } else {
        query
    };
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let message = e.inner().to_string();
        if message.starts_with("unknown variant") && field != "." {
            AppError::invalid_field(field, "invalid_value", message)
        } else {
            AppError::bad_request(
                "invalid_query",
                format!("The query string is invalid: {message}."),
            )
        }
    })
}

fn query_error(err: QueryPayloadError) -> AppError {
    let message = match &err {
        QueryPayloadError::Deserialize(e) => e.to_string(),
        other => other.to_string(),
    };
    AppError::bad_request(
        "invalid_query",
        format!("The query string is invalid: {message}."),
    )
}

/// Registers the body limit and problem+json error handlers for actix's own
/// `Json`, `Query`, `Path` and `Bytes` extractors.
pub fn configure_extractors(cfg: &mut web::ServiceConfig, body_limit: usize) {
    cfg.app_data(BodyLimit(body_limit))
        .app_data(web::PayloadConfig::new(body_limit))
        .app_data(
            web::JsonConfig::default()
                .limit(body_limit)
                .error_handler(move |err, _| json_payload_error(err, body_limit).into()),
        )
        .app_data(web::QueryConfig::default().error_handler(|err, _| query_error(err).into()))
        .app_data(
            web::PathConfig::default()
                .error_handler(|err: PathError, req| path_error(&err, req).into()),
        );
}

/// A path parameter that did not parse: 400, unless the path is a literal
/// one the router gave to a `{parameter}` sibling because only the sibling
/// takes this method (`DELETE /invitations/accept` is not the invitation
/// "accept"): then 405 with the literal path's `Allow`.
fn path_error(err: &PathError, req: &HttpRequest) -> AppError {
    if let Some(state) = req.app_data::<web::Data<super::state::AppState>>()
        && let Some(pattern) = state.spec.pattern_of(req.path())
        && req
            .match_pattern()
            .is_some_and(|matched| matched != pattern)
    {
        return AppError::method_not_allowed(
            state.spec.allowed_methods(pattern).map(str::to_string),
        );
    }
    AppError::bad_request(
        "invalid_path",
        format!("A path parameter is invalid: {err}."),
    )
}

fn json_payload_error(err: JsonPayloadError, limit: usize) -> AppError {
    match err {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            AppError::payload_too_large(limit)
        }
        JsonPayloadError::ContentType => AppError::unsupported_media_type(
            "The request body must be JSON (Content-Type: application/json).",
        ),
        JsonPayloadError::Deserialize(e) => json_error(".", &e),
        JsonPayloadError::Payload(p) => {
            super::lifecycle::body_timeout_error(&p).unwrap_or_else(|| {
                AppError::bad_request("unreadable_body", "The request body could not be read.")
            })
        }
        _ => AppError::bad_request("unreadable_body", "The request body could not be read."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        quantity: i64,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        lines: Vec<Inner>,
    }

    fn field(r: Result<Body, AppError>) -> (u16, String, String) {
        let e = r.unwrap_err();
        let f = e.field_errors().first().cloned();
        (
            e.status().as_u16(),
            f.as_ref().map(|f| f.field.clone()).unwrap_or_default(),
            f.map(|f| f.code).unwrap_or_default(),
        )
    }

    #[test]
    fn unknown_fields_are_named_with_their_path() {
        let r = parse_json::<Body>(br#"{"name":"a","lines":[{"quantity":1,"is_owner":true}]}"#);
        assert_eq!(
            field(r),
            (422, "lines[0].is_owner".into(), "unknown_field".into())
        );
    }

    #[test]
    fn wrong_types_and_missing_fields_are_422() {
        let r = parse_json::<Body>(br#"{"name":"a","lines":[{"quantity":"x"}]}"#);
        assert_eq!(
            field(r),
            (422, "lines[0].quantity".into(), "invalid_type".into())
        );
        let r = parse_json::<Body>(br#"{"lines":[]}"#);
        assert_eq!(field(r), (422, "name".into(), "required".into()));
    }

    #[test]
    fn control_characters_and_blank_strings_are_422_naming_the_field() {
        let r = parse_json::<Body>(br#"{"name":"a\u0000b","lines":[]}"#);
        assert_eq!(field(r), (422, "name".into(), "control_character".into()));
        let r = parse_json::<Body>(br#"{"name":"a","lines":[{"quantity":1,"x\u001b":2}]}"#);
        assert_eq!(
            field(r),
            (422, "lines[0].x\u{1b}".into(), "control_character".into())
        );
        let r = parse_json::<Body>(br#"{"name":"   ","lines":[]}"#);
        assert_eq!(field(r), (422, "name".into(), "blank".into()));
        assert!(parse_json::<Body>(br#"{"name":"two\nlines\tand tab","lines":[]}"#).is_ok());
        // Equal keys stay an error (the check's tree would keep the last).
        let dup = parse_json::<Body>(br#"{"name":"a","name":"b","lines":[]}"#);
        assert_eq!(dup.unwrap_err().status(), 422);
    }

    #[test]
    fn malformed_or_empty_json_is_400() {
        assert_eq!(parse_json::<Body>(b"{\"name\":").unwrap_err().status(), 400);
        assert_eq!(parse_json::<Body>(b"").unwrap_err().status(), 400);
        assert_eq!(
            parse_json::<Body>(br#"{"name":"a","lines":[]} x"#)
                .unwrap_err()
                .status(),
            400
        );
    }
}
