//! Lead scoring: rules, and the score (with its explanation) every lead
//! carries, recomputed whenever the lead, its activities or the rules change.

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::platform::prelude::*;

/// Recomputes and stores the score and explanation of one lead, inside the
/// caller's transaction (after a change of the lead or its activities).
pub async fn rescore_lead(
    _conn: &impl ConnectionTrait,
    _org: Uuid,
    _lead_id: Uuid,
) -> Result<(), AppError> {
    // Written by the leads work in progress.
    Ok(())
}
