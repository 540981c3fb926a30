//! Request and response bodies of the accounting module, by topic.

mod chart;
mod journal;
mod reports;

use super::entities::{
    AccountSubtype, AccountType, EntryState, PartyType, PeriodState, account, fiscal_period,
    fiscal_year, journal_entry, settings, tax_rate,
};
use crate::{
    apply_patch,
    platform::{
        money::{Amount, Quantity},
        tenant::trimmed,
    },
};
pub use chart::*;
use chrono::{DateTime, NaiveDate, Utc};
pub use journal::*;
pub use reports::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;
