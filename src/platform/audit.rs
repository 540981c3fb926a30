//! The audit writer: every mutation records who did what to which entity,
//! inside the same transaction as the change (a rolled-back change leaves no
//! record, a committed one always has one). The request id comes from the
//! request being served.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    error::AppError,
    pagination::{Page, created_between, decode_cursor},
    request_id::current_request_id,
};

mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_logs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub organization_id: Uuid,
        pub actor_id: Option<Uuid>,
        pub action: String,
        pub entity_type: String,
        pub entity_id: Option<String>,
        #[sea_orm(column_type = "JsonBinary", nullable)]
        pub changes: Option<Json>,
        pub request_id: Option<String>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// What to record.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// The tenant.
    pub organization_id: Uuid,
    /// The acting user; `None` for the system or an anonymous caller.
    pub actor_id: Option<Uuid>,
    /// `module.resource.verb`, e.g. `crm.customer.created`.
    pub action: String,
    /// `product`, `user`, ...
    pub entity_type: String,
    /// The entity's id.
    pub entity_id: Option<String>,
    /// What changed (never secrets).
    pub changes: Option<serde_json::Value>,
}

impl AuditEntry {
    /// An entry for a change made by `p` to one entity.
    pub fn by(
        p: &super::auth::Principal,
        action: &str,
        entity: &str,
        id: Uuid,
        changes: serde_json::Value,
    ) -> Self {
        Self {
            organization_id: p.organization_id,
            actor_id: Some(p.user_id),
            action: action.into(),
            entity_type: entity.into(),
            entity_id: Some(id.to_string()),
            changes: Some(changes),
        }
    }
}

/// One audit record as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditRecord {
    /// Record id.
    pub id: Uuid,
    /// The acting user.
    pub actor_id: Option<Uuid>,
    /// What happened.
    pub action: String,
    /// Kind of entity.
    pub entity_type: String,
    /// Entity id.
    pub entity_id: Option<String>,
    /// What changed: an object of the changed fields (their new values, or
    /// `{"from": ..., "to": ...}`), or `null`.
    #[schema(value_type = Option<Object>, additional_properties)]
    pub changes: Option<serde_json::Value>,
    /// The request that made the change.
    pub request_id: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<entity::Model> for AuditRecord {
    fn from(m: entity::Model) -> Self {
        Self {
            id: m.id,
            actor_id: m.actor_id,
            action: m.action,
            entity_type: m.entity_type,
            entity_id: m.entity_id,
            changes: m.changes,
            request_id: m.request_id,
            created_at: m.created_at,
        }
    }
}

/// An entry with what the writer adds: its id, the request being served and
/// the time. `record` inserts it; a statement that writes its own audit row
/// (the stock issue on PostgreSQL) binds these fields.
#[derive(Debug, Clone)]
pub struct Stamped {
    /// Record id.
    pub id: Uuid,
    /// What happened.
    pub entry: AuditEntry,
    /// The request being served.
    pub request_id: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl AuditEntry {
    /// Stamps the entry as written at `at` by the request being served.
    pub fn stamp(self, at: DateTime<Utc>) -> Stamped {
        Stamped {
            id: Uuid::now_v7(),
            entry: self,
            request_id: current_request_id(),
            created_at: at,
        }
    }
}

/// Writes one record through `conn` (pass the mutation's transaction).
#[tracing::instrument(skip(conn, entry), fields(action = %entry.action))]
pub async fn record(conn: &impl ConnectionTrait, entry: AuditEntry) -> Result<Uuid, AppError> {
    let Stamped {
        id,
        entry,
        request_id,
        created_at,
    } = entry.stamp(Utc::now());
    let row = entity::ActiveModel {
        id: Set(id),
        organization_id: Set(entry.organization_id),
        actor_id: Set(entry.actor_id),
        action: Set(entry.action),
        entity_type: Set(entry.entity_type),
        entity_id: Set(entry.entity_id),
        changes: Set(entry.changes),
        request_id: Set(request_id),
        created_at: Set(created_at),
    };
    // No RETURNING: the caller needs only the id (this runs on every write).
    entity::Entity::insert(row)
        .exec_without_returning(conn)
        .await?;
    Ok(id)
}

/// The records of one entity, oldest first.
pub async fn for_entity(
    conn: &impl ConnectionTrait,
    organization_id: Uuid,
    entity_type: &str,
    entity_id: &str,
) -> Result<Vec<AuditRecord>, AppError> {
    use entity::Column;
    Ok(entity::Entity::find()
        .filter(Column::OrganizationId.eq(organization_id))
        .filter(Column::EntityType.eq(entity_type))
        .filter(Column::EntityId.eq(entity_id))
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Filters of an audit listing (all optional).
#[derive(Debug, Default, Clone)]
pub struct AuditQuery {
    /// Acting user.
    pub actor: Option<Uuid>,
    /// Entity type.
    pub entity_type: Option<String>,
    /// Entity id.
    pub entity_id: Option<String>,
    /// Action.
    pub action: Option<String>,
    /// From (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Before (exclusive).
    pub to: Option<DateTime<Utc>>,
    /// Page size.
    pub limit: u64,
    /// Cursor of the previous page.
    pub cursor: Option<String>,
}

/// An organization's audit records, newest first (ids are time-ordered v7).
pub async fn list(
    conn: &impl ConnectionTrait,
    organization_id: Uuid,
    q: &AuditQuery,
) -> Result<Page<AuditRecord>, AppError> {
    use entity::Column;
    let mut find = entity::Entity::find().filter(Column::OrganizationId.eq(organization_id));
    if let Some(a) = q.actor {
        find = find.filter(Column::ActorId.eq(a));
    }
    if let Some(t) = &q.entity_type {
        find = find.filter(Column::EntityType.eq(t.as_str()));
    }
    if let Some(i) = &q.entity_id {
        find = find.filter(Column::EntityId.eq(i.as_str()));
    }
    if let Some(a) = &q.action {
        find = find.filter(Column::Action.eq(a.as_str()));
    }
    find = find.filter(created_between(Column::Id, Column::CreatedAt, q.from, q.to));
    if let Some(c) = &q.cursor {
        let before: Uuid = decode_cursor(c)?;
        find = find.filter(Column::Id.lt(before));
    }
    let rows = find
        .order_by_desc(Column::Id)
        .limit(q.limit + 1)
        .all(conn)
        .await?;
    Ok(Page::from_rows(rows, q.limit, |r| r.id).map(Into::into))
}
