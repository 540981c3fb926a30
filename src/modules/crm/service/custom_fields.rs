//! Custom fields: definitions per organization and entity, the validation
//! of values on every write, and the `cf.<key>` filters of lists (JSONB
//! containment on PostgreSQL, `json_extract` on SQLite).

use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, sea_query::Expr,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::{
    modules::crm::{
        dto::*,
        entities::{CustomFieldEntity, CustomFieldType, custom_field},
    },
    platform::{
        error::{FieldError, conflict_as, unique_violation},
        prelude::*,
    },
};

/// The longest text value.
const MAX_TEXT: usize = 2000;

/// The active definitions of an entity's custom fields, by position.
pub async fn definitions(
    conn: &impl ConnectionTrait,
    org: Uuid,
    entity: CustomFieldEntity,
) -> Result<Vec<custom_field::Model>, AppError> {
    Ok(custom_field::Entity::find()
        .filter(custom_field::Column::OrganizationId.eq(org))
        .filter(custom_field::Column::Entity.eq(entity))
        .filter(custom_field::Column::Active.eq(true))
        .order_by_asc(custom_field::Column::Position)
        .order_by_asc(custom_field::Column::Key)
        .all(conn)
        .await?)
}

fn options_of(def: &custom_field::Model) -> Vec<&str> {
    def.options
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// One value checked against its definition and put in its stored shape
/// (numbers as JSON integers, decimals as canonical strings, dates as
/// `YYYY-MM-DD`). `Err` is the field error's code and message.
pub fn typed_value(def: &custom_field::Model, v: &Value) -> Result<Value, (&'static str, String)> {
    let wrong = |what: &str| ("invalid_type", format!("must be {what}"));
    match def.field_type {
        CustomFieldType::Text => match v.as_str() {
            Some(s) if s.chars().count() <= MAX_TEXT => Ok(json!(s)),
            Some(_) => Err(("length", format!("at most {MAX_TEXT} characters"))),
            None => Err(wrong("text")),
        },
        CustomFieldType::Number => v
            .as_i64()
            .map(|n| json!(n))
            .ok_or_else(|| wrong("a whole number")),
        CustomFieldType::Decimal => {
            let parsed = match v {
                Value::String(s) => s.trim().parse::<Decimal>().ok(),
                Value::Number(n) => n.to_string().parse::<Decimal>().ok(),
                _ => None,
            };
            match parsed {
                Some(d) if d.scale() <= 4 => Ok(json!(d.normalize().to_string())),
                Some(_) => Err(("precision", "at most 4 decimals".into())),
                None => Err(wrong("a decimal number, as a string (\"12.50\")")),
            }
        }
        CustomFieldType::Date => v
            .as_str()
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .map(|d| json!(d.format("%Y-%m-%d").to_string()))
            .ok_or_else(|| wrong("a date (YYYY-MM-DD)")),
        CustomFieldType::Boolean => v
            .as_bool()
            .map(|b| json!(b))
            .ok_or_else(|| wrong("true or false")),
        CustomFieldType::Select => {
            let options = options_of(def);
            match v.as_str() {
                Some(s) if options.contains(&s) => Ok(json!(s)),
                Some(_) => Err((
                    "not_an_option",
                    format!("must be one of {}", options.join(", ")),
                )),
                None => Err(wrong("one of the field's options")),
            }
        }
        CustomFieldType::MultiSelect => {
            let options = options_of(def);
            let Some(items) = v.as_array() else {
                return Err(wrong("a list of the field's options"));
            };
            let mut out: Vec<&str> = Vec::with_capacity(items.len());
            for item in items {
                match item.as_str() {
                    Some(s) if options.contains(&s) => {
                        if !out.contains(&s) {
                            out.push(s)
                        }
                    }
                    _ => {
                        return Err((
                            "not_an_option",
                            format!("every item must be one of {}", options.join(", ")),
                        ));
                    }
                }
            }
            Ok(json!(out))
        }
    }
}

/// The custom fields a write stores: `input` (a JSON object of key to value;
/// `null` removes a value) merged over `current` (the stored values, `None`
/// when creating, which also fills defaults), checked against `defs`. Every
/// problem is one error naming `custom_fields.<key>`; keys without an active
/// definition are refused.
pub fn validate(
    defs: &[custom_field::Model],
    current: Option<&Value>,
    input: Option<&Map<String, Value>>,
) -> Result<Value, AppError> {
    let creating = current.is_none();
    let mut out: Map<String, Value> = current
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    // Values of fields no longer defined stay as they were (a definition may
    // be archived); only keys in the input are checked against definitions.
    let mut errors = Vec::new();
    if let Some(input) = input {
        for (key, v) in input {
            let field = format!("custom_fields.{key}");
            let Some(def) = defs.iter().find(|d| &d.key == key) else {
                errors.push(FieldError::new(
                    field,
                    "unknown_field",
                    "is not a custom field of this record type",
                ));
                continue;
            };
            if v.is_null() {
                out.remove(key);
                continue;
            }
            match typed_value(def, v) {
                Ok(typed) => {
                    out.insert(key.clone(), typed);
                }
                Err((code, message)) => errors.push(FieldError::new(field, code, message)),
            }
        }
    }
    for def in defs {
        let field = format!("custom_fields.{}", def.key);
        if creating
            && !out.contains_key(&def.key)
            && let Some(d) = def.default_value.as_ref().filter(|d| !d.is_null())
        {
            out.insert(def.key.clone(), d.clone());
        }
        let given = input.is_some_and(|i| i.contains_key(&def.key));
        // A value already refused above is one error, not two.
        let refused = errors.iter().any(|e| e.field == field);
        if def.required && !out.contains_key(&def.key) && (creating || given) && !refused {
            errors.push(FieldError::new(field, "required", "is required"));
        }
    }
    if errors.is_empty() {
        Ok(Value::Object(out))
    } else {
        Err(AppError::validation(errors))
    }
}

/// The custom fields a write of a record of `entity` stores: the
/// organization's definitions loaded, then [`validate`].
pub async fn values(
    conn: &impl ConnectionTrait,
    org: Uuid,
    entity: CustomFieldEntity,
    current: Option<&Value>,
    input: Option<&Map<String, Value>>,
) -> Result<Value, AppError> {
    validate(&definitions(conn, org, entity).await?, current, input)
}

/// The condition of a list's `cf.` filters on records of `entity` (always
/// true without any: the definitions are then not read).
pub async fn filter(
    conn: &impl ConnectionTrait,
    org: Uuid,
    entity: CustomFieldEntity,
    custom: &[CustomFilter],
) -> Result<Condition, AppError> {
    if custom.is_empty() {
        return Ok(Condition::all());
    }
    let defs = definitions(conn, org, entity).await?;
    filter_condition(conn.get_database_backend(), &defs, custom)
}

/// [`validate`] for a new record of `entity` nested in a larger body: the
/// definitions are loaded here, and each error's field is put under
/// `prefix` (`customer.custom_fields.tier`).
pub async fn validate_new_at(
    conn: &impl ConnectionTrait,
    org: Uuid,
    entity: CustomFieldEntity,
    input: Option<&Map<String, Value>>,
    prefix: &str,
) -> Result<Value, AppError> {
    let defs = definitions(conn, org, entity).await?;
    validate(&defs, None, input).map_err(|e| {
        AppError::validation(
            e.field_errors()
                .iter()
                .map(|f| {
                    FieldError::new(
                        format!("{prefix}.{}", f.field),
                        f.code.clone(),
                        f.message.clone(),
                    )
                })
                .collect(),
        )
    })
}

/// How a `cf.` filter compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOp {
    /// `cf.<key>=v`
    Eq,
    /// `cf.<key>_gte=v`
    Gte,
    /// `cf.<key>_gt=v`
    Gt,
    /// `cf.<key>_lte=v`
    Lte,
    /// `cf.<key>_lt=v`
    Lt,
}

impl FilterOp {
    fn sql(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Gte => ">=",
            Self::Gt => ">",
            Self::Lte => "<=",
            Self::Lt => "<",
        }
    }
}

/// One `cf.<key>[_op]=value` query parameter, as given.
#[derive(Debug, Clone)]
pub struct CustomFilter {
    /// The parameter name without `cf.` (`employees_gte`).
    pub name: String,
    /// The raw value.
    pub value: String,
}

/// Splits a query string into the `cf.` parameters and the rest.
pub fn split_query(query: &str) -> (String, Vec<CustomFilter>) {
    // Most list requests carry none: keep the query string as it is.
    if !query.contains("cf.") {
        return (query.to_string(), Vec::new());
    }
    let mut rest = form_urlencoded::Serializer::new(String::new());
    let mut custom = Vec::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        match name.strip_prefix("cf.") {
            Some(n) => custom.push(CustomFilter {
                name: n.to_string(),
                value: value.into_owned(),
            }),
            None => {
                rest.append_pair(&name, &value);
            }
        }
    }
    (rest.finish(), custom)
}

/// The SQL condition of the `cf.` filters on the `custom_fields` column of a
/// list's table. A key without a definition, an operator the type does not
/// have or a value of the wrong type is a 422 naming `cf.<name>`.
pub fn filter_condition(
    backend: DatabaseBackend,
    defs: &[custom_field::Model],
    filters: &[CustomFilter],
) -> Result<Condition, AppError> {
    let mut cond = Condition::all();
    let mut errors = Vec::new();
    for f in filters {
        let field = format!("cf.{}", f.name);
        let (key, op) = [
            ("_gte", FilterOp::Gte),
            ("_lte", FilterOp::Lte),
            ("_gt", FilterOp::Gt),
            ("_lt", FilterOp::Lt),
        ]
        .iter()
        .find_map(|(suffix, op)| {
            f.name
                .strip_suffix(suffix)
                .filter(|k| defs.iter().any(|d| d.key == *k))
                .map(|k| (k, *op))
        })
        .unwrap_or((f.name.as_str(), FilterOp::Eq));
        let Some(def) = defs.iter().find(|d| d.key == key) else {
            errors.push(FieldError::new(
                field,
                "unknown_field",
                "is not a custom field of this record type",
            ));
            continue;
        };
        match one_condition(backend, def, op, &f.value) {
            Ok(c) => cond = cond.add(c),
            Err((code, message)) => errors.push(FieldError::new(field, code, message)),
        }
    }
    if errors.is_empty() {
        Ok(cond)
    } else {
        Err(AppError::validation(errors))
    }
}

fn one_condition(
    backend: DatabaseBackend,
    def: &custom_field::Model,
    op: FilterOp,
    raw: &str,
) -> Result<Expr, (&'static str, String)> {
    use CustomFieldType as T;
    let ranged = matches!(def.field_type, T::Number | T::Decimal | T::Date);
    if op != FilterOp::Eq && !ranged {
        return Err((
            "invalid_operator",
            "only numbers, decimals and dates compare by range".into(),
        ));
    }
    // The query value as the field's JSON shape (a multi-select filter names
    // one option and matches records holding it).
    let as_json = match def.field_type {
        T::Number => raw
            .trim()
            .parse::<i64>()
            .map(|n| json!(n))
            .map_err(|_| ("invalid_type", "must be a whole number".to_string()))?,
        T::Boolean => match raw {
            "true" => json!(true),
            "false" => json!(false),
            _ => return Err(("invalid_type", "must be true or false".into())),
        },
        T::MultiSelect => typed_value(def, &json!([raw]))?,
        _ => typed_value(def, &json!(raw))?,
    };
    let key = def.key.as_str();
    let pg = backend == DatabaseBackend::Postgres;
    Ok(match (op, def.field_type) {
        (FilterOp::Eq, _) if pg => Expr::cust_with_values(
            "custom_fields @> $1::jsonb",
            [json!({ key: as_json }).to_string()],
        ),
        (FilterOp::Eq, T::MultiSelect) => Expr::cust_with_values(
            "EXISTS (SELECT 1 FROM json_each(custom_fields, ?) WHERE value = ?)",
            [format!("$.{key}"), raw.to_string()],
        ),
        (FilterOp::Eq, T::Boolean) => Expr::cust_with_values(
            "json_extract(custom_fields, ?) = ?",
            [
                sea_orm::Value::from(format!("$.{key}")),
                sea_orm::Value::from(i64::from(as_json == json!(true))),
            ],
        ),
        (FilterOp::Eq, T::Number) => Expr::cust_with_values(
            "json_extract(custom_fields, ?) = ?",
            [
                sea_orm::Value::from(format!("$.{key}")),
                sea_orm::Value::from(as_json.as_i64()),
            ],
        ),
        (FilterOp::Eq, _) => Expr::cust_with_values(
            "json_extract(custom_fields, ?) = ?",
            [
                format!("$.{key}"),
                as_json.as_str().unwrap_or_default().to_string(),
            ],
        ),
        (op, T::Date) if pg => Expr::cust_with_values(
            format!("(custom_fields ->> $1) {} $2", op.sql()),
            [
                key.to_string(),
                as_json.as_str().unwrap_or_default().to_string(),
            ],
        ),
        (op, T::Date) => Expr::cust_with_values(
            format!("json_extract(custom_fields, ?) {} ?", op.sql()),
            [
                format!("$.{key}"),
                as_json.as_str().unwrap_or_default().to_string(),
            ],
        ),
        (op, _) if pg => Expr::cust_with_values(
            format!("(custom_fields ->> $1)::numeric {} $2::numeric", op.sql()),
            [key.to_string(), number_text(&as_json)],
        ),
        (op, _) => Expr::cust_with_values(
            format!(
                "CAST(json_extract(custom_fields, ?) AS NUMERIC) {} CAST(? AS NUMERIC)",
                op.sql()
            ),
            [format!("$.{key}"), number_text(&as_json)],
        ),
    })
}

fn number_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The SQL condition "the `tags` JSON array holds `tag`".
pub fn has_tag(backend: DatabaseBackend, tag: &str) -> Expr {
    let tag = tag.trim().to_lowercase();
    if backend == DatabaseBackend::Postgres {
        Expr::cust_with_values("tags @> $1::jsonb", [json!([tag]).to_string()])
    } else {
        Expr::cust_with_values(
            "EXISTS (SELECT 1 FROM json_each(tags) WHERE value = ?)",
            [tag],
        )
    }
}

// ---- definitions: use cases ----

fn check_definition(
    field_type: CustomFieldType,
    options: &[String],
    default: Option<&Value>,
    key: &str,
) -> Result<Value, AppError> {
    let choice = matches!(
        field_type,
        CustomFieldType::Select | CustomFieldType::MultiSelect
    );
    if choice && options.is_empty() {
        return Err(AppError::invalid_field(
            "options",
            "required",
            "a select field needs at least one option",
        ));
    }
    if !choice && !options.is_empty() {
        return Err(AppError::invalid_field(
            "options",
            "not_allowed",
            "only select fields have options",
        ));
    }
    let mut unique: Vec<&String> = Vec::new();
    for o in options {
        if o.trim().is_empty() || unique.contains(&o) {
            return Err(AppError::invalid_field(
                "options",
                "invalid",
                "options must be non-empty and distinct",
            ));
        }
        unique.push(o);
    }
    let probe = custom_field::Model {
        id: Uuid::nil(),
        organization_id: Uuid::nil(),
        entity: CustomFieldEntity::Contact,
        key: key.to_string(),
        label: String::new(),
        field_type,
        options: json!(options),
        required: false,
        default_value: None,
        position: 0,
        active: true,
        created_at: Utc::now(),
        updated_at: Utc::now(),
        version: 1,
    };
    match default.filter(|d| !d.is_null()) {
        Some(d) => typed_value(&probe, d)
            .map_err(|(code, message)| AppError::invalid_field("default_value", code, message)),
        None => Ok(Value::Null),
    }
}

/// `GET /crm/custom-fields`, by entity then position.
pub async fn list(
    conn: &impl ConnectionTrait,
    org: Uuid,
    f: &CustomFieldFilter,
) -> Result<Vec<CustomFieldOut>, AppError> {
    let mut q = custom_field::Entity::find().filter(custom_field::Column::OrganizationId.eq(org));
    if let Some(e) = f.entity {
        q = q.filter(custom_field::Column::Entity.eq(e));
    }
    if let Some(a) = f.active {
        q = q.filter(custom_field::Column::Active.eq(a));
    }
    Ok(q.order_by_asc(custom_field::Column::Entity)
        .order_by_asc(custom_field::Column::Position)
        .order_by_asc(custom_field::Column::Key)
        .all(conn)
        .await?
        .into_iter()
        .map(CustomFieldOut::from)
        .collect())
}

/// `GET /crm/custom-fields/{id}`.
pub async fn get(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<CustomFieldOut, AppError> {
    tenant::find::<custom_field::Entity>(conn, org, id)
        .await
        .map(CustomFieldOut::from)
}

/// `POST /crm/custom-fields`: key unique per organization and entity.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn create(
    state: &AppState,
    p: &Principal,
    input: &CustomFieldIn,
) -> Result<CustomFieldOut, AppError> {
    let org = p.organization_id;
    let default = check_definition(
        input.field_type,
        &input.options,
        input.default_value.as_ref(),
        &input.key,
    )?;
    let tx = begin_write(&state.db).await?;
    let now = Utc::now();
    let m = custom_field::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org),
        entity: Set(input.entity),
        key: Set(input.key.clone()),
        label: Set(input.label.trim().to_string()),
        field_type: Set(input.field_type),
        options: Set(json!(input.options)),
        required: Set(input.required),
        default_value: Set((!default.is_null()).then_some(default)),
        position: Set(input.position.unwrap_or(0)),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await
    .map_err(unique_violation(
        "custom_field_key_taken",
        "This record type already has a custom field with this key.",
    ))?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "crm.custom_field.created",
            "custom_field",
            m.id,
            json!({ "entity": m.entity, "key": m.key, "type": m.field_type }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(m.into())
}

/// `PATCH /crm/custom-fields/{id}` and archiving (`active: false`). The key,
/// entity and type never change (stored values depend on them).
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn patch(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    patch: &CustomFieldPatch,
    if_match: Option<i32>,
) -> Result<CustomFieldOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    // Locked: the options and the default are checked together against
    // what is stored, so a concurrent change of either must wait.
    let current = custom_field::Entity::find_by_id(id)
        .filter(custom_field::Column::OrganizationId.eq(org))
        .lock_exclusive()
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("No such custom field in this organization."))?;
    let options: Vec<String> = match &patch.options {
        Some(o) => o.clone(),
        None => options_of(&current)
            .into_iter()
            .map(str::to_string)
            .collect(),
    };
    let default = match &patch.default_value {
        Some(d) => d.clone(),
        None => current.default_value.clone(),
    };
    let default = check_definition(current.field_type, &options, default.as_ref(), &current.key)?;
    let mut changes = patch.changes();
    if patch.options.is_some() {
        changes.options = Set(json!(options));
    }
    if patch.default_value.is_some() {
        changes.default_value = Set((!default.is_null()).then_some(default));
    }
    let updated =
        tenant::update::<custom_field::Entity>(&tx, Target::new(org, id, if_match), changes, None)
            .await
            .map_err(conflict_as(
                "custom_field_key_taken",
                "This record type already has a custom field with this key.",
            ))?;
    let action = if patch.active == Some(false) {
        "crm.custom_field.archived"
    } else {
        "crm.custom_field.updated"
    };
    audit::record(&tx, AuditEntry::by(p, action, "custom_field", id, json!({
        "label": [current.label, updated.label], "required": [current.required, updated.required],
        "options": [current.options, updated.options], "active": [current.active, updated.active],
    }))).await?;
    tx.commit().await?;
    Ok(updated.into())
}
