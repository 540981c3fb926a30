//! Customers: master data, archived rather than deleted.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, Func},
};
use serde_json::json;
use uuid::Uuid;

use super::{
    check_member,
    custom_fields::{self, CustomFilter},
    normalize_tags,
};
use crate::{
    modules::crm::{
        dto::*,
        entities::{CustomFieldEntity, CustomerKind, StageKind, contact, customer, deal},
    },
    platform::{
        money::Amount,
        pagination::{Keyset, Page, keyset_page},
        prelude::*,
    },
};

/// The customer `id` of the organization when one is named, or 422 naming
/// `field` (another organization's customer is "not found" too; an
/// archived one takes no new links).
pub async fn check_customer(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Option<Uuid>,
    field: &str,
) -> Result<Option<customer::Model>, AppError> {
    let Some(id) = id else { return Ok(None) };
    match tenant::find_optional::<customer::Entity>(conn, org, id).await? {
        Some(c) if c.active => Ok(Some(c)),
        Some(_) => Err(AppError::invalid_field(
            field,
            "archived",
            "is an archived customer; restore it (PATCH active: true) to link it",
        )),
        None => Err(AppError::invalid_field(
            field,
            "not_found",
            "is not a customer of this organization",
        )),
    }
}

/// The `LIKE` pattern of a case-insensitive prefix search: the query
/// lower-cased, without the wildcard and escape characters (a client's `%`
/// must not turn a prefix search into a scan), then `%`. `None` when nothing
/// is left.
pub(super) fn prefix_pattern(q: Option<&str>) -> Option<String> {
    let q: String = q?
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, '%' | '_' | '\\'))
        .collect();
    (!q.is_empty()).then(|| format!("{q}%"))
}

/// 422 naming `field` for a negative amount.
pub(super) fn not_negative(field: &str, amount: Option<Amount>) -> Result<(), AppError> {
    match amount {
        Some(a) if a.is_negative() => Err(AppError::invalid_field(
            field,
            "range",
            "must not be negative",
        )),
        _ => Ok(()),
    }
}

/// The target of a write that merges into the row it read (custom fields):
/// without an `If-Match` it is pinned to the version read, so that a
/// concurrent change is refused rather than overwritten.
pub(super) fn merge_target(
    org: Uuid,
    id: Uuid,
    if_match: Option<i32>,
    read: i32,
    merges: bool,
) -> Target {
    Target::new(org, id, if_match.or(merges.then_some(read)))
}

/// A refusal of a [`merge_target`] write the client did not make
/// conditional is a 409 `concurrent_change`, not a 412.
pub(super) fn merge_refusal(if_match: Option<i32>) -> impl Fn(AppError) -> AppError {
    move |e| {
        if if_match.is_none() && e.code() == "version_mismatch" {
            AppError::conflict(
                "concurrent_change",
                "The resource changed while this request ran; reload it and retry.",
            )
        } else {
            e
        }
    }
}

/// `POST /customers`.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn create_customer(
    state: &AppState,
    p: &Principal,
    input: &CustomerIn,
) -> Result<CustomerOut, AppError> {
    let org = p.organization_id;
    not_negative("credit_limit", input.credit_limit)?;
    let tags = normalize_tags(&input.tags)?;
    let tx = begin_write(&state.db).await?;
    check_member(&tx, org, input.owner_id, "owner_id").await?;
    let custom = custom_fields::values(
        &tx,
        org,
        CustomFieldEntity::Customer,
        None,
        input.custom_fields.as_ref(),
    )
    .await?;
    let now = Utc::now();
    let m = customer::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org),
        name: Set(input.name.trim().to_string()),
        kind: Set(input.kind.unwrap_or(CustomerKind::Company)),
        email: Set(input.email.clone()),
        phone: Set(input.phone.clone()),
        website: Set(input.website.clone()),
        billing_address: Set(input.billing_address.clone()),
        shipping_address: Set(input.shipping_address.clone()),
        tax_id: Set(input.tax_id.clone()),
        currency: Set(input.currency.clone()),
        payment_terms_days: Set(input.payment_terms_days.unwrap_or(30)),
        credit_limit: Set(input.credit_limit),
        tags: Set(tags),
        owner_id: Set(input.owner_id),
        custom_fields: Set(custom),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "crm.customer.created",
            "customer",
            m.id,
            json!({ "name": m.name, "currency": m.currency }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(m.into())
}

/// `PATCH /customers/{id}` and archiving (`active: false`). Custom fields
/// merge into the stored ones (`null` removes a value).
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn patch_customer(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    patch: &CustomerPatch,
    if_match: Option<i32>,
) -> Result<CustomerOut, AppError> {
    let org = p.organization_id;
    not_negative("credit_limit", patch.credit_limit.flatten())?;
    let mut changes = patch.changes();
    if let Some(tags) = &patch.tags {
        changes.tags = Set(normalize_tags(tags)?);
    }
    let tx = begin_write(&state.db).await?;
    let current = tenant::find::<customer::Entity>(&tx, org, id).await?;
    if let Some(owner) = patch.owner_id {
        check_member(&tx, org, owner, "owner_id").await?;
    }
    if let Some(input) = &patch.custom_fields {
        changes.custom_fields = Set(custom_fields::values(
            &tx,
            org,
            CustomFieldEntity::Customer,
            Some(&current.custom_fields),
            Some(input),
        )
        .await?);
    }
    let target = merge_target(
        org,
        id,
        if_match,
        current.version,
        patch.custom_fields.is_some(),
    );
    let updated = tenant::update::<customer::Entity>(&tx, target, changes, None)
        .await
        .map_err(merge_refusal(if_match))?;
    let action = if patch.active == Some(false) {
        "crm.customer.archived"
    } else {
        "crm.customer.updated"
    };
    audit::record(&tx, AuditEntry::by(p, action, "customer", id, json!({
        "name": [current.name, updated.name], "active": [current.active, updated.active],
        "owner_id": [current.owner_id, updated.owner_id], "currency": [current.currency, updated.currency],
        "credit_limit": [current.credit_limit.map(|a| a.to_string()), updated.credit_limit.map(|a| a.to_string())],
        "custom_fields": [current.custom_fields, updated.custom_fields],
    }))).await?;
    tx.commit().await?;
    Ok(updated.into())
}

/// `GET /customers/{id}`: the customer with its summary.
pub async fn get_customer(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<CustomerOut, AppError> {
    let m = tenant::find::<customer::Entity>(conn, org, id).await?;
    let summary = summary(conn, org, id).await?;
    Ok(CustomerOut::from(m).with_summary(summary))
}

/// Active contacts and open deals of a customer: one count and one
/// aggregate by currency.
pub async fn summary(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<CustomerSummary, AppError> {
    let contacts = contact::Entity::find()
        .filter(contact::Column::OrganizationId.eq(org))
        .filter(contact::Column::CustomerId.eq(id))
        .filter(contact::Column::Active.eq(true))
        .count(conn)
        .await?;
    let (whole, rest) = super::money_sum("amount");
    let open: Vec<(String, i64, i64, i64)> = deal::Entity::find()
        .select_only()
        .column(deal::Column::Currency)
        .column_as(Expr::col(deal::Column::Id).count(), "deals")
        .column_as(whole, "whole")
        .column_as(rest, "rest")
        .filter(deal::Column::OrganizationId.eq(org))
        .filter(deal::Column::CustomerId.eq(id))
        .filter(deal::Column::Status.eq(StageKind::Open))
        .group_by(deal::Column::Currency)
        .order_by_asc(deal::Column::Currency)
        .into_tuple()
        .all(conn)
        .await?;
    let (orders, last_order_date) =
        crate::modules::crm::sales::service::orders::customer_orders(conn, org, id).await?;
    Ok(CustomerSummary {
        orders,
        last_order_date,
        contacts,
        open_deals: open
            .iter()
            .map(|(_, n, _, _)| u64::try_from(*n).unwrap_or(0))
            .sum(),
        open_deal_value: open
            .into_iter()
            .map(|(currency, _, whole, rest)| {
                Ok(CurrencyTotal {
                    currency,
                    amount: super::money_total(super::money_units(whole, rest))?,
                })
            })
            .collect::<Result<_, AppError>>()?,
    })
}

/// `GET /customers`: filters q (name prefix), tag, owner, active (default
/// true), kind and `cf.` custom fields; newest first by default, or by name,
/// with a keyset cursor. Definitions are read only for `cf.` filters.
pub async fn list_customers(
    conn: &impl ConnectionTrait,
    org: Uuid,
    me: Uuid,
    f: &CustomerFilter,
    custom: &[CustomFilter],
) -> Result<Page<CustomerOut>, AppError> {
    let limit = f.limit.unwrap_or(50).clamp(1, 200);
    let backend = conn.get_database_backend();
    let mut cond = Condition::all()
        .add(customer::Column::OrganizationId.eq(org))
        .add(customer::Column::Active.eq(f.active.unwrap_or(true)));
    if let Some(kind) = f.kind {
        cond = cond.add(customer::Column::Kind.eq(kind));
    }
    if let Some(owner) = &f.owner {
        cond = cond.add(customer::Column::OwnerId.eq(super::user_of(owner, me, "owner")?));
    }
    if let Some(tag) = &f.tag {
        cond = cond.add(custom_fields::has_tag(backend, tag));
    }
    if let Some(pattern) = prefix_pattern(f.q.as_deref()) {
        cond = cond.add(Expr::expr(Func::lower(Expr::col(customer::Column::Name))).like(pattern));
    }
    cond = cond.add(custom_fields::filter(conn, org, CustomFieldEntity::Customer, custom).await?);
    let id = customer::Column::Id;
    let name = |desc| {
        Keyset::by_key(
            id,
            |r: &customer::Model| r.id,
            customer::Column::Name,
            |r: &customer::Model| r.name.clone(),
            desc,
        )
    };
    let order = match f.sort.unwrap_or_default() {
        CustomerSort::CreatedAtDesc => Keyset::by_id(id, |r: &customer::Model| r.id, true),
        CustomerSort::CreatedAt => Keyset::by_id(id, |r: &customer::Model| r.id, false),
        CustomerSort::Name => name(false),
        CustomerSort::NameDesc => name(true),
    };
    let query = customer::Entity::find().filter(cond);
    Ok(keyset_page(conn, query, order, f.cursor.as_deref(), limit)
        .await?
        .map(CustomerOut::from))
}
