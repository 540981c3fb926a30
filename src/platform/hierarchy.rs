//! Guards for parent/child trees (teams, categories): a node's new parent
//! must exist and must not be the node itself or one of its descendants.

use std::future::Future;

use uuid::Uuid;

use super::error::AppError;

/// Walks up from `parent` (via `parent_of`, which answers `None` for an
/// unknown node and `Some(parent)` otherwise) and refuses with 422 on
/// `field` if it reaches `node` or an unknown node.
pub async fn ensure_no_cycle<F, Fut>(
    field: &str,
    node: Option<Uuid>,
    parent: Uuid,
    mut parent_of: F,
) -> Result<(), AppError>
where
    F: FnMut(Uuid) -> Fut,
    Fut: Future<Output = Result<Option<Option<Uuid>>, AppError>>,
{
    let cycle = || AppError::invalid_field(field, "cycle", "would make the node its own ancestor");
    let mut cursor = Some(parent);
    for _ in 0..10_000 {
        let Some(id) = cursor else { return Ok(()) };
        if Some(id) == node {
            return Err(cycle());
        }
        cursor = parent_of(id).await?.ok_or_else(|| {
            AppError::invalid_field(field, "not_found", "does not exist in this organization")
        })?;
    }
    Err(cycle())
}
