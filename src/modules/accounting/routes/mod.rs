//! HTTP handlers of the accounting module: extract -> authorize -> service -> DTO.

use actix_web::{HttpRequest, HttpResponse, delete, get, http::header, patch, post, web};
use utoipa_actix_web::{scope::scope, service_config::ServiceConfig};
use uuid::Uuid;

use super::{
    dto::*,
    entities::PeriodState,
    permissions::*,
    service::{chart, csv::Csv, journal, periods, reports},
};
use crate::platform::{
    auth::Principal,
    error::AppResult,
    extract::{IfMatch, ValidatedJson, ValidatedQuery, etag},
    openapi::Conflict,
    pagination::Page,
    state::AppState,
};

mod chart_routes;
mod journal_routes;
mod reports_routes;

use chart_routes::*;
use journal_routes::*;
use reports_routes::*;

/// Mounts the module's routes (inside `/api/v1`).
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/accounting")
            .service(list_accounts)
            .service(create_account)
            .service(account_tree)
            .service(get_account)
            .service(patch_account)
            .service(archive_account)
            .service(get_settings)
            .service(patch_settings)
            .service(list_tax_rates)
            .service(create_tax_rate)
            .service(get_tax_rate)
            .service(patch_tax_rate)
            .service(deactivate_tax_rate)
            .service(list_fiscal_years)
            .service(create_fiscal_year)
            .service(get_fiscal_year)
            .service(close_fiscal_year)
            .service(close_period)
            .service(reopen_period)
            .service(list_journal)
            .service(create_journal_entry)
            .service(get_journal_entry)
            .service(patch_journal_entry)
            .service(delete_journal_entry)
            .service(post_journal_entry)
            .service(reverse_journal_entry)
            .service(ledger)
            .service(trial_balance)
            .service(profit_and_loss)
            .service(balance_sheet),
    );
}

fn created<T: serde::Serialize>(location: String, version: i32, body: &T) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header(etag(version))
        .json(body)
}

fn versioned<T: serde::Serialize>(version: i32, body: &T) -> HttpResponse {
    HttpResponse::Ok().insert_header(etag(version)).json(body)
}

/// JSON, or CSV when the client asks for `text/csv` first.
fn report<T: serde::Serialize + Csv>(req: &HttpRequest, body: &T) -> HttpResponse {
    let wants_csv = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let csv = v.find("text/csv");
            let json = v.find("application/json");
            csv.is_some_and(|c| json.is_none_or(|j| c < j))
        });
    if wants_csv {
        HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(body.to_csv())
    } else {
        HttpResponse::Ok().json(body)
    }
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}
