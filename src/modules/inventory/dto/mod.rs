//! Request and response bodies of the inventory module, by topic.

mod catalogue;
mod procurement;
mod stock;

use super::entities::{
    MovementKind, ProductKind, PurchaseOrderStatus, category, product, purchase_order, stock_level,
    stock_movement, supplier, warehouse,
};
use crate::{
    apply_patch,
    platform::{
        money::{Amount, Quantity},
        tenant::trimmed,
    },
};
pub use catalogue::*;
use chrono::{DateTime, Utc};
pub use procurement::*;
use serde::{Deserialize, Serialize};
pub use stock::*;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;
