//! Human document numbers per organization and series (`SO-000042`).
//!
//! One atomic statement allocates the next value: an upsert that inserts 1 or
//! increments the stored counter and returns it. PostgreSQL serializes the
//! conflicting rows; SQLite serializes writers. Called inside the caller's
//! transaction, a rolled-back document gives its number back, so numbers stay
//! consecutive without gaps from failures.

use chrono::Utc;
use sea_orm::{
    ConnectionTrait,
    sea_query::{Alias, Expr, ExprTrait, OnConflict, Query},
};
use uuid::Uuid;

use super::error::AppError;

const TABLE: &str = "document_sequences";

/// Allocates the next value of `series` for `organization_id` (1, 2, 3, ...).
#[tracing::instrument(skip(conn))]
pub async fn next_value(
    conn: &impl ConnectionTrait,
    organization_id: Uuid,
    series: &str,
) -> Result<i64, AppError> {
    if series.is_empty() || series.len() > 32 {
        return Err(AppError::internal(anyhow::anyhow!(
            "document series `{series}` must be 1 to 32 characters"
        )));
    }
    let table = Alias::new(TABLE);
    let last_value = Alias::new("last_value");
    let stmt = Query::insert()
        .into_table(table.clone())
        .columns([
            Alias::new("organization_id"),
            Alias::new("series"),
            last_value.clone(),
            Alias::new("updated_at"),
        ])
        .values_panic([
            organization_id.into(),
            series.into(),
            1i64.into(),
            Utc::now().into(),
        ])
        .on_conflict(
            OnConflict::columns([Alias::new("organization_id"), Alias::new("series")])
                .value(
                    last_value.clone(),
                    Expr::col((table, last_value.clone())).add(1),
                )
                .update_column(Alias::new("updated_at"))
                .to_owned(),
        )
        .returning_col(last_value)
        .to_owned();
    let row = conn
        .query_one(&stmt)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("sequence upsert returned no row")))?;
    Ok(row.try_get::<i64>("", "last_value")?)
}

/// Formats a number as `PREFIX-000042` (at least six digits).
pub fn format_number(prefix: &str, value: i64) -> String {
    format!("{prefix}-{value:06}")
}

/// Allocates and formats the next document number of a series whose prefix
/// is its name (`next_number(tx, org, "SO")` -> `SO-000042`).
pub async fn next_number(
    conn: &impl ConnectionTrait,
    organization_id: Uuid,
    prefix: &str,
) -> Result<String, AppError> {
    next_value(conn, organization_id, prefix)
        .await
        .map(|n| format_number(prefix, n))
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_are_zero_padded_to_six_digits() {
        assert_eq!(super::format_number("SO", 42), "SO-000042");
        assert_eq!(super::format_number("INV", 1_234_567), "INV-1234567");
    }
}
