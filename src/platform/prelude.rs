//! What a use case imports, in one line: `use crate::platform::prelude::*;`.

pub use super::{
    audit::{self, AuditEntry},
    auth::Principal,
    db::begin_write,
    error::AppError,
    state::AppState,
    tenant::{self, ApplyTo, Guard, Target},
};
