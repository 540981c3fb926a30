//! Contacts: people at customers (or on their own), archived rather than
//! deleted; one email per organization unless a write allows a duplicate.
//!
//! A contact that claims its email stores `lower(email)` in `email_key`,
//! which is unique per organization (`ux_contacts_org_email_key`): of two
//! concurrent claims of one email, one insert fails. A contact written with
//! `allow_duplicate` stores no key, and a later claim is refused while it
//! holds the email too (the lookup before the write).

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QuerySelect, Set,
    sea_query::{Expr, ExprTrait, Func},
};
use serde_json::json;
use uuid::Uuid;

use super::{
    check_member,
    custom_fields::{self, CustomFilter},
    customers::{check_customer, merge_refusal, merge_target, prefix_pattern},
    normalize_tags,
};
use crate::{
    modules::crm::{
        dto::*,
        entities::{CustomFieldEntity, contact},
    },
    platform::{
        pagination::{Keyset, Page, keyset_page},
        prelude::*,
    },
};

const EMAIL_TAKEN: &str = "contact_email_taken";
const EMAIL_TAKEN_DETAIL: &str = "Another contact of this organization has this email; send \"allow_duplicate\": true to keep both.";

/// The contact `id` of the organization when one is named, or 422 naming
/// `field`.
pub async fn check_contact(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Option<Uuid>,
    field: &str,
) -> Result<Option<contact::Model>, AppError> {
    let Some(id) = id else { return Ok(None) };
    match tenant::find_optional::<contact::Entity>(conn, org, id).await? {
        Some(c) if c.active => Ok(Some(c)),
        Some(_) => Err(AppError::invalid_field(
            field,
            "archived",
            "is an archived contact; restore it (PATCH active: true) to link it",
        )),
        None => Err(AppError::invalid_field(
            field,
            "not_found",
            "is not a contact of this organization",
        )),
    }
}

/// The `email_key` a contact writing `email` stores: `None` without an
/// email or with `allow_duplicate`; otherwise the lower-cased email, after
/// checking that no other contact (`except` the one being changed) has it,
/// claimed or not (409 `contact_email_taken`). The unique index settles
/// claims racing past this check.
pub async fn email_claim(
    conn: &impl ConnectionTrait,
    org: Uuid,
    email: Option<&str>,
    allow_duplicate: bool,
    except: Option<Uuid>,
) -> Result<Option<String>, AppError> {
    let Some(email) = email.filter(|_| !allow_duplicate) else {
        return Ok(None);
    };
    let key = email.trim().to_lowercase();
    let mut holders = contact::Entity::find()
        .select_only()
        .column(contact::Column::Id)
        .filter(contact::Column::OrganizationId.eq(org))
        .filter(
            Condition::any()
                .add(contact::Column::EmailKey.eq(key.clone()))
                .add(Expr::expr(Func::lower(Expr::col(contact::Column::Email))).eq(key.clone())),
        );
    if let Some(id) = except {
        holders = holders.filter(contact::Column::Id.ne(id));
    }
    match holders.limit(1).into_tuple::<Uuid>().one(conn).await? {
        Some(_) => Err(AppError::conflict(EMAIL_TAKEN, EMAIL_TAKEN_DETAIL)),
        None => Ok(Some(key)),
    }
}

fn email_taken(e: AppError) -> AppError {
    crate::platform::error::conflict_as(EMAIL_TAKEN, EMAIL_TAKEN_DETAIL)(e)
}

/// `POST /contacts`.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn create_contact(
    state: &AppState,
    p: &Principal,
    input: &ContactIn,
) -> Result<ContactOut, AppError> {
    let org = p.organization_id;
    let tags = normalize_tags(&input.tags)?;
    let tx = begin_write(&state.db).await?;
    check_customer(&tx, org, input.customer_id, "customer_id").await?;
    check_member(&tx, org, input.owner_id, "owner_id").await?;
    let custom = custom_fields::values(
        &tx,
        org,
        CustomFieldEntity::Contact,
        None,
        input.custom_fields.as_ref(),
    )
    .await?;
    let email_key = email_claim(
        &tx,
        org,
        input.email.as_deref(),
        input.allow_duplicate,
        None,
    )
    .await?;
    let now = Utc::now();
    let m = contact::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org),
        first_name: Set(input.first_name.trim().to_string()),
        last_name: Set(input.last_name.trim().to_string()),
        email: Set(input.email.clone()),
        email_key: Set(email_key),
        phone: Set(input.phone.clone()),
        title: Set(input.title.clone()),
        customer_id: Set(input.customer_id),
        owner_id: Set(input.owner_id),
        tags: Set(tags),
        custom_fields: Set(custom),
        do_not_contact: Set(input.do_not_contact),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(&tx)
    .await
    .map_err(|e| email_taken(e.into()))?;
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "crm.contact.created",
            "contact",
            m.id,
            json!({
                "name": format!("{} {}", m.first_name, m.last_name), "customer_id": m.customer_id,
                "allow_duplicate": input.allow_duplicate,
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(m.into())
}

/// `PATCH /contacts/{id}` and archiving (`active: false`). A new email
/// follows the create rule; custom fields merge into the stored ones.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn patch_contact(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    patch: &ContactPatch,
    if_match: Option<i32>,
) -> Result<ContactOut, AppError> {
    let org = p.organization_id;
    let mut changes = patch.changes();
    if let Some(tags) = &patch.tags {
        changes.tags = Set(normalize_tags(tags)?);
    }
    let tx = begin_write(&state.db).await?;
    let current = tenant::find::<contact::Entity>(&tx, org, id).await?;
    if let Some(customer) = patch.customer_id {
        check_customer(&tx, org, customer, "customer_id").await?;
    }
    if let Some(owner) = patch.owner_id {
        check_member(&tx, org, owner, "owner_id").await?;
    }
    if let Some(email) = &patch.email {
        let key = email_claim(&tx, org, email.as_deref(), patch.allow_duplicate, Some(id)).await?;
        changes.email = Set(email.clone());
        changes.email_key = Set(key);
    }
    if let Some(input) = &patch.custom_fields {
        changes.custom_fields = Set(custom_fields::values(
            &tx,
            org,
            CustomFieldEntity::Contact,
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
    let updated = tenant::update::<contact::Entity>(&tx, target, changes, None)
        .await
        .map_err(|e| email_taken(merge_refusal(if_match)(e)))?;
    let action = if patch.active == Some(false) {
        "crm.contact.archived"
    } else {
        "crm.contact.updated"
    };
    audit::record(&tx, AuditEntry::by(p, action, "contact", id, json!({
        "email": [current.email, updated.email], "customer_id": [current.customer_id, updated.customer_id],
        "owner_id": [current.owner_id, updated.owner_id], "active": [current.active, updated.active],
        "do_not_contact": [current.do_not_contact, updated.do_not_contact],
        "custom_fields": [current.custom_fields, updated.custom_fields],
    }))).await?;
    tx.commit().await?;
    Ok(updated.into())
}

/// `GET /contacts/{id}`.
pub async fn get_contact(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<ContactOut, AppError> {
    tenant::find::<contact::Entity>(conn, org, id)
        .await
        .map(ContactOut::from)
}

/// `GET /contacts`: filters q (first name, last name or email prefix),
/// customer, tag, owner, active (default true), do_not_contact and `cf.`
/// custom fields; newest first by default, or by last name, with a keyset
/// cursor. The plain list is one scan of `(organization_id, active, id)`:
/// nothing else is read (definitions only for `cf.` filters).
pub async fn list_contacts(
    conn: &impl ConnectionTrait,
    org: Uuid,
    me: Uuid,
    f: &ContactFilter,
    custom: &[CustomFilter],
) -> Result<Page<ContactOut>, AppError> {
    let limit = f.limit.unwrap_or(50).clamp(1, 200);
    let backend = conn.get_database_backend();
    let mut cond = Condition::all()
        .add(contact::Column::OrganizationId.eq(org))
        .add(contact::Column::Active.eq(f.active.unwrap_or(true)));
    if let Some(customer) = f.customer {
        cond = cond.add(contact::Column::CustomerId.eq(customer));
    }
    if let Some(owner) = &f.owner {
        cond = cond.add(contact::Column::OwnerId.eq(super::user_of(owner, me, "owner")?));
    }
    if let Some(dnc) = f.do_not_contact {
        cond = cond.add(contact::Column::DoNotContact.eq(dnc));
    }
    if let Some(tag) = &f.tag {
        cond = cond.add(custom_fields::has_tag(backend, tag));
    }
    if let Some(pattern) = prefix_pattern(f.q.as_deref()) {
        // Each side matches a `(organization_id, lower(col) text_pattern_ops)`
        // index on PostgreSQL.
        let prefix =
            |col: contact::Column| Expr::expr(Func::lower(Expr::col(col))).like(pattern.clone());
        cond = cond.add(
            Condition::any()
                .add(prefix(contact::Column::FirstName))
                .add(prefix(contact::Column::LastName))
                .add(prefix(contact::Column::Email)),
        );
    }
    cond = cond.add(custom_fields::filter(conn, org, CustomFieldEntity::Contact, custom).await?);
    let id = contact::Column::Id;
    let name = |desc| {
        let key = contact::Column::LastName;
        Keyset::by_key(
            id,
            |r: &contact::Model| r.id,
            key,
            |r: &contact::Model| r.last_name.clone(),
            desc,
        )
    };
    let order = match f.sort.unwrap_or_default() {
        ContactSort::CreatedAtDesc => Keyset::by_id(id, |r: &contact::Model| r.id, true),
        ContactSort::CreatedAt => Keyset::by_id(id, |r: &contact::Model| r.id, false),
        ContactSort::LastName => name(false),
        ContactSort::LastNameDesc => name(true),
    };
    let query = contact::Entity::find().filter(cond);
    Ok(keyset_page(conn, query, order, f.cursor.as_deref(), limit)
        .await?
        .map(ContactOut::from))
}
