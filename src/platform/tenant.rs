//! The one tenant-scoped read and write path for rows that belong to an
//! organization (DESIGN.md sections 3 and 4).
//!
//! - [`find`]: a row by id within the caller's organization, or the 404 that
//!   a missing row and another organization's row both answer.
//! - [`update`] / [`delete`]: compare-and-set writes. The organization, the
//!   id, the `If-Match` version and any state guard go into the statement's
//!   WHERE clause, and `version = version + 1` into its SET, so two requests
//!   carrying the same ETag can never both apply (on PostgreSQL the second
//!   UPDATE waits for the first's row lock, re-reads the row and matches
//!   nothing). Zero rows is diagnosed after the fact: 404 if the row is not
//!   (or no longer) there, 412 if its version moved, else the guard's own
//!   refusal.
//!
//! An entity opts in with [`tenant_entity!`](crate::tenant_entity).

use chrono::Utc;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, ModelTrait, QueryFilter, Value,
    sea_query::{Expr, ExprTrait, IntoCondition},
};
use uuid::Uuid;

use super::error::AppError;

/// A table whose rows belong to one organization.
pub trait Tenant: EntityTrait {
    /// The primary key column (a UUID).
    const ID: Self::Column;
    /// The 404 detail (`No such product in this organization.`).
    const NOT_FOUND: &'static str;

    /// Rows owned by `organization_id`: its `organization_id` column (the id
    /// itself for organizations; people belong through memberships).
    fn in_organization(organization_id: Uuid) -> Condition;
}

/// A tenant table whose rows carry `version` and `updated_at`.
pub trait Versioned: Tenant {
    /// The `version` column (`ETag`).
    const VERSION: Self::Column;
    /// The `updated_at` column.
    const UPDATED_AT: Self::Column;
}

/// Implements [`Tenant`] (and [`Versioned`] with `versioned`) for a SeaORM
/// entity from its column names:
///
/// ```ignore
/// tenant_entity!(Entity, OrganizationId, "No such product in this organization.", versioned);
/// ```
#[macro_export]
macro_rules! tenant_entity {
    ($entity:ty, $org:ident, $not_found:literal) => {
        impl $crate::platform::tenant::Tenant for $entity {
            const ID: Column = Column::Id;
            const NOT_FOUND: &'static str = $not_found;
            fn in_organization(organization_id: Uuid) -> sea_orm::Condition {
                sea_orm::sea_query::IntoCondition::into_condition(
                    sea_orm::ColumnTrait::eq(&Column::$org, organization_id),
                )
            }
        }
    };
    ($entity:ty, $org:ident, $not_found:literal, versioned) => {
        $crate::tenant_entity!($entity, $org, $not_found);
        $crate::tenant_entity!(@versioned $entity);
    };
    (@versioned $entity:ty) => {
        impl $crate::platform::tenant::Versioned for $entity {
            const VERSION: Column = Column::Version;
            const UPDATED_AT: Column = Column::UpdatedAt;
        }
    };
}

/// The `Relation` and `ActiveModelBehavior` of an entity without
/// relations (no SeaORM relation crosses a module, and few are needed
/// within one): `no_relations!();` after its `Model`.
#[macro_export]
macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}
        impl ActiveModelBehavior for ActiveModel {}
    };
}

/// Which row a write targets, and the version the client last saw.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// The caller's organization (from the principal, never from input).
    pub organization_id: Uuid,
    /// The row.
    pub id: Uuid,
    /// The `If-Match` version, if the client sent one.
    pub if_match: Option<i32>,
}

impl Target {
    /// A write of `id` in `organization_id`, conditional on `if_match`.
    pub fn new(organization_id: Uuid, id: Uuid, if_match: Option<i32>) -> Self {
        Self {
            organization_id,
            id,
            if_match,
        }
    }
}

/// The row `id` of the organization, or 404.
pub async fn find<E: Tenant>(
    conn: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> Result<E::Model, AppError> {
    find_optional::<E>(conn, organization_id, id)
        .await?
        .ok_or_else(|| AppError::not_found(E::NOT_FOUND))
}

/// The row `id` of the organization, if there is one.
pub async fn find_optional<E: Tenant>(
    conn: &impl ConnectionTrait,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Option<E::Model>, AppError> {
    Ok(E::find()
        .filter(E::ID.eq(id))
        .filter(E::in_organization(organization_id))
        .one(conn)
        .await?)
}

/// A state guard of a conditional write: the condition the row must meet
/// (`status IN ('draft')`) and the refusal when it does not.
pub struct Guard<M> {
    condition: Condition,
    refusal: Box<dyn FnOnce(&M) -> AppError + Send>,
}

impl<M> Guard<M> {
    /// The row must meet `condition`; otherwise `refusal` of the current row
    /// is the answer (typically a 409).
    pub fn new(
        condition: impl IntoCondition,
        refusal: impl FnOnce(&M) -> AppError + Send + 'static,
    ) -> Self {
        Self {
            condition: condition.into_condition(),
            refusal: Box::new(refusal),
        }
    }
}

/// The states a state machine's `transitions` (from, to) reach `to` from:
/// what a transition's [`Guard`] accepts as the current state.
pub fn sources_of<S: Copy + PartialEq>(transitions: &[(S, S)], to: S) -> Vec<S> {
    transitions
        .iter()
        .filter(|(_, t)| *t == to)
        .map(|(f, _)| *f)
        .collect()
}

fn targeted<E: Versioned>(target: Target, guard: Option<&Guard<E::Model>>) -> Condition {
    let mut cond = Condition::all()
        .add(E::ID.eq(target.id))
        .add(E::in_organization(target.organization_id));
    if let Some(v) = target.if_match {
        cond = cond.add(E::VERSION.eq(v));
    }
    if let Some(g) = guard {
        cond = cond.add(g.condition.clone());
    }
    cond
}

/// Compare-and-set update: writes the `Set` fields of `changes` (start from
/// `ActiveModel::default()` or a PATCH applied to one) plus `version + 1` and
/// `updated_at`, only if the row is the organization's, at the `If-Match`
/// version and past `guard`. Returns the row as written.
pub async fn update<E>(
    conn: &impl ConnectionTrait,
    target: Target,
    changes: E::ActiveModel,
    guard: Option<Guard<E::Model>>,
) -> Result<E::Model, AppError>
where
    E: Versioned,
{
    let update = E::update_many()
        .set(changes)
        .col_expr(E::VERSION, Expr::col(E::VERSION).add(1))
        .col_expr(E::UPDATED_AT, Expr::value(Utc::now()))
        .filter(targeted::<E>(target, guard.as_ref()));
    let written = if conn.support_returning() {
        update.exec_with_returning(conn).await?.into_iter().next()
    } else if update.exec(conn).await?.rows_affected == 1 {
        find_optional::<E>(conn, target.organization_id, target.id).await?
    } else {
        None
    };
    match written {
        Some(row) => Ok(row),
        None => Err(refusal::<E>(conn, target, guard).await),
    }
}

/// Compare-and-set delete: removes the row only if it is the organization's,
/// at the `If-Match` version and past `guard`.
pub async fn delete<E: Versioned>(
    conn: &impl ConnectionTrait,
    target: Target,
    guard: Option<Guard<E::Model>>,
) -> Result<(), AppError> {
    let deleted = E::delete_many()
        .filter(targeted::<E>(target, guard.as_ref()))
        .exec(conn)
        .await?
        .rows_affected;
    if deleted == 1 {
        Ok(())
    } else {
        Err(refusal::<E>(conn, target, guard).await)
    }
}

/// Why a conditional write matched no row: 404 if the row is gone (RFC 9110
/// section 13.2.1: without the precondition the answer would be 404, so the
/// precondition is not evaluated), 412 if its version moved, else the guard's
/// refusal.
async fn refusal<E: Versioned>(
    conn: &impl ConnectionTrait,
    target: Target,
    guard: Option<Guard<E::Model>>,
) -> AppError {
    let current = match find_optional::<E>(conn, target.organization_id, target.id).await {
        Ok(Some(row)) => row,
        Ok(None) => return AppError::not_found(E::NOT_FOUND),
        Err(e) => return e,
    };
    let version = match current.get(E::VERSION) {
        Value::Int(Some(v)) => v,
        _ => 0,
    };
    if let Some(expected) = target.if_match.filter(|v| *v != version) {
        return version_mismatch(version, expected);
    }
    match guard {
        Some(g) => (g.refusal)(&current),
        // The row was there, at the version, with no guard: it changed
        // between the write and this read.
        None => AppError::conflict(
            "concurrent_change",
            "The resource changed while this request ran; reload it and retry.",
        ),
    }
}

/// 412: the resource is at `current`, not at the `If-Match` version.
pub fn version_mismatch(current: i32, expected: i32) -> AppError {
    AppError::precondition_failed(format!(
        "The resource is at version {current}, not {expected}; reload it and retry."
    ))
}

/// A PATCH body that applies its present fields to an active model.
pub trait ApplyTo<A> {
    /// Sets every field the body carries; absent fields stay `NotSet`.
    fn apply_to(&self, active: &mut A);

    /// The body as an active model of only the fields it carries.
    fn changes(&self) -> A
    where
        A: Default,
    {
        let mut active = A::default();
        self.apply_to(&mut active);
        active
    }
}

/// Implements [`ApplyTo`] for a PATCH DTO: each listed field, when present,
/// is set on the active model's column of the same name (or the one after
/// `as`), through the conversion after `=>` if one is given:
///
/// ```ignore
/// apply_patch!(ProductPatch => product::ActiveModel {
///     sku => trimmed, name => trimmed, description, category_id, active,
/// });
/// ```
#[macro_export]
macro_rules! apply_patch {
    ($patch:ty => $active:ty { $($field:ident $(as $column:ident)? $(=> $convert:expr)?),* $(,)? }) => {
        impl $crate::platform::tenant::ApplyTo<$active> for $patch {
            fn apply_to(&self, active: &mut $active) {
                $(
                    if let Some(value) = &self.$field {
                        $crate::apply_patch!(@set active, $field $(, $column)?) =
                            sea_orm::Set($crate::apply_patch!(@convert value $(, $convert)?));
                    }
                )*
            }
        }
    };
    (@set $active:ident, $field:ident) => { $active.$field };
    (@set $active:ident, $field:ident, $column:ident) => { $active.$column };
    (@convert $value:ident) => { ::std::clone::Clone::clone($value) };
    (@convert $value:ident, $convert:expr) => { $convert($value) };
}

/// Trimmed text, the conversion of names and codes in PATCH bodies.
pub fn trimmed(s: &str) -> String {
    s.trim().to_string()
}

/// Declares a string-backed enum stored as its snake_case name (the caller
/// imports `sea_orm::sea_query::StringLen`).
#[macro_export]
macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sea_orm::EnumIter, sea_orm::DeriveActiveEnum, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))", rename_all = "snake_case")]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $name {
            /// The wire (and database) name.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $wire),+ }
            }
        }
    };
}
