//! The board of a pipeline and the forecast of open deals: sums of deal
//! amounts, plain and weighted by their stage's probability.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Alias, Expr, ExprTrait, Func},
};
use uuid::Uuid;

use super::{deals::stages_of, money_sum, money_total, money_units};
use crate::{
    modules::crm::{
        dto::*,
        entities::{StageKind, deal, pipeline, stage},
    },
    platform::{money::Amount, prelude::*},
};

/// `amount x probability / 100` given the numerator `sum(amount) x
/// probability` in units, rounded half-up to 4 decimals (amounts are never
/// negative). Exact integer arithmetic.
pub fn weigh(numerator: i128) -> Result<Amount, AppError> {
    money_total((numerator + 50).div_euclid(100))
}

/// `GET /pipelines/{id}/board`: one GROUP BY (stage, currency) over the
/// pipeline's deals. Its version is the pipeline's plus the sum of its
/// deals' versions: deals never leave a pipeline nor get deleted, and every
/// write moves one of those versions, so it only grows.
pub async fn board(conn: &impl ConnectionTrait, org: Uuid, id: Uuid) -> Result<BoardOut, AppError> {
    let pipeline = tenant::find::<pipeline::Entity>(conn, org, id).await?;
    let stages = stages_of(conn, org, id).await?;
    let bigint = |e: Expr| Expr::expr(Func::cast_as(e, Alias::new("BIGINT")));
    let (whole, rest) = money_sum("amount");
    let groups: Vec<(Uuid, String, i64, i64, i64, i64)> = deal::Entity::find()
        .select_only()
        .column(deal::Column::StageId)
        .column(deal::Column::Currency)
        .column_as(bigint(Expr::col(deal::Column::Id).count()), "n")
        .column_as(whole, "whole")
        .column_as(rest, "rest")
        .column_as(bigint(Expr::col(deal::Column::Version).sum()), "versions")
        .filter(deal::Column::OrganizationId.eq(org))
        .filter(deal::Column::PipelineId.eq(id))
        .group_by(deal::Column::StageId)
        .group_by(deal::Column::Currency)
        .order_by_asc(deal::Column::Currency)
        .into_tuple()
        .all(conn)
        .await?;
    let mut version = i64::from(pipeline.version);
    let mut columns = Vec::with_capacity(stages.len());
    for s in stages {
        let mut count = 0;
        let mut totals = Vec::new();
        for (_, currency, n, whole, rest, versions) in groups.iter().filter(|g| g.0 == s.id) {
            count += n;
            version += versions;
            let units = money_units(*whole, *rest);
            totals.push(BoardTotal {
                currency: currency.clone(),
                amount: money_total(units)?,
                weighted: weigh(units * i128::from(s.probability))?,
            });
        }
        columns.push(BoardStage {
            stage_id: s.id,
            name: s.name,
            kind: s.kind,
            probability: s.probability,
            count,
            totals,
        });
    }
    Ok(BoardOut {
        pipeline_id: pipeline.id,
        name: pipeline.name,
        stages: columns,
        version,
    })
}

/// One SQL group of the forecast: close date, owner, currency, stage
/// probability, count, and the money sum (whole units, rest).
type ForecastGroup = (NaiveDate, Option<Uuid>, String, i32, i64, i64, i64);

/// A forecast row's key: month (`YYYY-MM`), owner, currency.
type ForecastKey = (String, Option<Uuid>, String);

/// `GET /deals/forecast`: open deals expected to close in `[from, to]`,
/// summed in SQL by (date, owner, currency, stage probability) in one
/// query, then folded by month in Rust (month extraction differs between
/// SQLite and PostgreSQL). Weighted sums are kept exact until the final
/// rounding.
pub async fn forecast(
    conn: &impl ConnectionTrait,
    org: Uuid,
    me: Uuid,
    q: &ForecastQuery,
) -> Result<ForecastOut, AppError> {
    let (from, to) = forecast_window(q.from, q.to, Utc::now().date_naive());
    if to < from {
        return Err(AppError::invalid_field(
            "to",
            "range",
            "must be on or after `from`",
        ));
    }
    let mut cond = Condition::all()
        .add(deal::Column::OrganizationId.eq(org))
        .add(deal::Column::Status.eq(StageKind::Open))
        .add(deal::Column::ExpectedCloseDate.gte(from))
        .add(deal::Column::ExpectedCloseDate.lte(to));
    if let Some(p) = q.pipeline {
        cond = cond.add(deal::Column::PipelineId.eq(p));
    }
    if let Some(o) = &q.owner {
        cond = cond.add(deal::Column::OwnerId.eq(super::user_of(o, me, "owner")?));
    }
    let bigint = |e: Expr| Expr::expr(Func::cast_as(e, Alias::new("BIGINT")));
    let on_stage = deal::Entity::belongs_to(stage::Entity)
        .from(deal::Column::StageId)
        .to(stage::Column::Id)
        .into();
    let (whole, rest) = money_sum("deals.amount");
    let groups: Vec<ForecastGroup> = deal::Entity::find()
        .select_only()
        .column(deal::Column::ExpectedCloseDate)
        .column(deal::Column::OwnerId)
        .column(deal::Column::Currency)
        .column_as(stage::Column::Probability, "probability")
        .column_as(
            bigint(Expr::col((deal::Entity, deal::Column::Id)).count()),
            "n",
        )
        .column_as(whole, "whole")
        .column_as(rest, "rest")
        .join(sea_orm::JoinType::InnerJoin, on_stage)
        .filter(cond)
        .group_by(deal::Column::ExpectedCloseDate)
        .group_by(deal::Column::OwnerId)
        .group_by(deal::Column::Currency)
        .group_by(stage::Column::Probability)
        .into_tuple()
        .all(conn)
        .await?;
    // (month, owner, currency) -> (count, amount, amount x probability)
    let mut rows: BTreeMap<ForecastKey, (i64, i128, i128)> = BTreeMap::new();
    for (date, owner, currency, probability, n, whole, rest) in groups {
        let e = rows
            .entry((date.format("%Y-%m").to_string(), owner, currency))
            .or_default();
        let units = money_units(whole, rest);
        e.0 += n;
        e.1 += units;
        e.2 += units * i128::from(probability);
    }
    let mut out = Vec::with_capacity(rows.len());
    for ((month, owner_id, currency), (count, amount, weighted)) in rows {
        out.push(ForecastRow {
            month,
            owner_id,
            currency,
            count,
            amount: money_total(amount)?,
            weighted: weigh(weighted)?,
        });
    }
    Ok(ForecastOut {
        from,
        to,
        rows: out,
    })
}

/// The forecast's dates: `from` defaults to the first day of today's month,
/// `to` to the last day of the twelfth month counted from `from`'s.
fn forecast_window(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> (NaiveDate, NaiveDate) {
    let from = from.unwrap_or_else(|| today.with_day(1).unwrap_or(today));
    let to = to.unwrap_or_else(|| {
        let first = from.with_day(1).unwrap_or(from);
        first
            .checked_add_months(chrono::Months::new(12))
            .and_then(|d| d.pred_opt())
            .unwrap_or(NaiveDate::MAX)
    });
    (from, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forecast_window_defaults_to_twelve_months_from_this_one() {
        let d = |s: &str| match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(date) => date,
            Err(e) => panic!("{s}: {e}"),
        };
        assert_eq!(
            forecast_window(None, None, d("2026-12-05")),
            (d("2026-12-01"), d("2027-11-30"))
        );
        assert_eq!(
            forecast_window(Some(d("2026-03-15")), None, d("2026-12-05")),
            (d("2026-03-15"), d("2027-02-28"))
        );
        assert_eq!(
            forecast_window(None, Some(d("2027-01-31")), d("2026-12-05")),
            (d("2026-12-01"), d("2027-01-31"))
        );
    }
}
