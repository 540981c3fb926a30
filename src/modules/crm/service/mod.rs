//! Use cases and building blocks of the CRM module, one file per topic.
//! This file holds the checks several topics share.

use sea_orm::{
    ActiveModelTrait, ConnectionTrait, Set,
    sea_query::{Expr, SimpleExpr},
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::entities::timeline as timeline_entry;
use crate::{
    modules::auth,
    platform::{error::AppError, money::Amount},
};

pub mod activities;
pub mod contacts;
pub mod conversion;
pub mod custom_fields;
pub mod customers;
pub mod deals;
pub mod forecast;
pub mod leads;
pub mod moves;
pub mod pipelines;
pub mod scoring;
pub mod stages;
pub mod timeline;

/// 422 naming `field` unless `user_id` is an active member of the
/// organization.
pub async fn check_member(
    conn: &impl ConnectionTrait,
    org: Uuid,
    user_id: Option<Uuid>,
    field: &str,
) -> Result<(), AppError> {
    match user_id {
        Some(id) if !auth::api::is_active_member(conn, org, id).await? => {
            Err(AppError::invalid_field(
                field,
                "not_found",
                "is not an active member of this organization",
            ))
        }
        _ => Ok(()),
    }
}

/// The member a filter names (`owner`, `assignee`): `me` is the caller,
/// anything else a member id (422 naming `field` otherwise).
pub fn user_of(value: &str, me: Uuid, field: &str) -> Result<Uuid, AppError> {
    if value == "me" {
        return Ok(me);
    }
    Uuid::parse_str(value)
        .map_err(|_| AppError::invalid_field(field, "pattern", "must be a member id or `me`"))
}

/// Tags as stored: trimmed, lower-cased, unique, in the order given; each 1
/// to 50 characters, at most 50 tags (422 naming `tags`).
pub fn normalize_tags(tags: &[String]) -> Result<Value, AppError> {
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for t in tags {
        let t = t.trim().to_lowercase();
        if t.is_empty() || t.chars().count() > 50 {
            return Err(AppError::invalid_field(
                "tags",
                "length",
                "each tag must be 1 to 50 characters",
            ));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > 50 {
        return Err(AppError::invalid_field("tags", "length", "at most 50 tags"));
    }
    Ok(json!(out))
}

/// The tags of a stored JSON array.
pub fn tags_of(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `SUM(col)` of a money column (units, never negative) as two BIGINT
/// sums, whole currency units and the 4-decimal rest, so that no database
/// sum overflows (SQLite raises on an i64 overflow; PostgreSQL's NUMERIC sum
/// would overflow the cast back); [`money_total`] adds them in i128.
pub fn money_sum(col: &'static str) -> (SimpleExpr, SimpleExpr) {
    (
        Expr::cust(format!("CAST(SUM({col} / 10000) AS BIGINT)")),
        Expr::cust(format!("CAST(SUM({col} % 10000) AS BIGINT)")),
    )
}

/// The units of a [`money_sum`] pair.
pub fn money_units(whole: i64, rest: i64) -> i128 {
    i128::from(whole) * 10_000 + i128::from(rest)
}

/// A total in units as an amount, or a 422 `total_out_of_range` (beyond
/// 922 trillion: no real book gets there, but a request never answers 500).
pub fn money_total(units: i128) -> Result<Amount, AppError> {
    i64::try_from(units).map(Amount::from_units).map_err(|_| {
        AppError::unprocessable(
            "total_out_of_range",
            "The total is beyond 922,337,203,685,477.5807 and cannot be shown.",
        )
    })
}

/// What a timeline entry is about (customer, contact, lead, deal; any may be
/// absent).
#[derive(Debug, Clone, Copy, Default)]
pub struct Subjects {
    /// The customer.
    pub customer_id: Option<Uuid>,
    /// The contact.
    pub contact_id: Option<Uuid>,
    /// The lead.
    pub lead_id: Option<Uuid>,
    /// The deal.
    pub deal_id: Option<Uuid>,
}

/// Appends an event (`activity`, `stage_change`, `conversion`, ...) to the
/// timeline of its subjects, inside the caller's transaction. Entries with
/// neither a customer nor a contact are not written: only those two have a
/// timeline.
pub async fn record_timeline(
    conn: &impl ConnectionTrait,
    org: Uuid,
    subjects: Subjects,
    kind: &str,
    ref_id: Option<Uuid>,
    details: Value,
    actor_id: Option<Uuid>,
) -> Result<(), AppError> {
    if subjects.customer_id.is_none() && subjects.contact_id.is_none() {
        return Ok(());
    }
    timeline_entry::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org),
        customer_id: Set(subjects.customer_id),
        contact_id: Set(subjects.contact_id),
        lead_id: Set(subjects.lead_id),
        deal_id: Set(subjects.deal_id),
        kind: Set(kind.to_string()),
        ref_id: Set(ref_id),
        details: Set(details),
        actor_id: Set(actor_id),
        occurred_at: Set(chrono::Utc::now()),
    }
    .insert(conn)
    .await?;
    Ok(())
}
