//! Conversion: a lead becomes a customer (linked or created), a contact
//! (linked or created) and optionally a deal, in one transaction that
//! leaves either all of it or none of it.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use super::{
    Subjects,
    contacts::{check_contact, email_claim},
    custom_fields::validate_new_at,
    customers::check_customer,
    deals::{NewDeal, open_deal},
    leads::not_converted,
    record_timeline,
};
use crate::{
    modules::crm::{
        dto::*,
        entities::{CustomFieldEntity, CustomerKind, LeadStatus, contact, customer, lead},
    },
    platform::{error::unique_violation, money::Amount, prelude::*},
};

/// The 409 when another contact holds the lead's email.
const EMAIL_HELD: &str =
    "Another contact has the lead's email; pass its id as contact_id to link it instead.";

/// `POST /leads/{id}/convert`. The lead is claimed first, by a guarded
/// compare-and-set to `converted` (409 `lead_converted` if it already is):
/// of concurrent conversions exactly one gets past it (PostgreSQL makes the
/// others wait on the row lock and then match nothing; SQLite serializes
/// write transactions). Any later refusal rolls the claim back with the rest.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn convert_lead(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    input: &LeadConvertIn,
    if_match: Option<i32>,
) -> Result<LeadConversionOut, AppError> {
    let org = p.organization_id;
    check_body(input)?;
    let tx = begin_write(&state.db).await?;
    let claim = lead::ActiveModel {
        status: Set(LeadStatus::Converted),
        converted_at: Set(Some(Utc::now())),
        ..Default::default()
    };
    let mut l = tenant::update::<lead::Entity>(
        &tx,
        Target::new(org, id, if_match),
        claim,
        Some(not_converted()),
    )
    .await?;
    let (customer, customer_created) = match input.customer_id {
        Some(cid) => (linked_customer(&tx, org, cid).await?, false),
        None => (create_customer(&tx, &l, input).await?, true),
    };
    let contact_id = match input.contact_id {
        Some(cid) => check_contact(&tx, org, Some(cid), "contact_id")
            .await?
            .map(|c| match c.customer_id {
                Some(other) if other != customer.id => Err(AppError::invalid_field(
                    "contact_id",
                    "other_customer",
                    "is a contact of another customer than the one the lead becomes",
                )),
                _ => Ok(c.id),
            })
            .transpose()?,
        None if input.create_contact.unwrap_or(true) => {
            Some(create_contact(&tx, &l, customer.id).await?)
        }
        None => None,
    };
    let deal_id = match &input.deal {
        Some(d) => Some(open_lead_deal(&tx, p, &l, d, &customer, contact_id).await?),
        None => None,
    };
    record_links(&tx, &mut l, customer.id, contact_id, deal_id).await?;
    record_created(
        &tx,
        p,
        &l,
        customer_created.then_some(customer.id),
        input,
        contact_id,
        deal_id,
    )
    .await?;
    let details = json!({
        "lead_id": l.id, "lead_name": l.name, "customer_id": customer.id, "customer_created": customer_created,
        "contact_id": contact_id, "deal_id": deal_id,
    });
    audit::record(
        &tx,
        AuditEntry::by(p, "crm.lead.converted", "lead", l.id, details.clone()),
    )
    .await?;
    let subjects = Subjects {
        customer_id: Some(customer.id),
        contact_id,
        lead_id: Some(l.id),
        deal_id,
    };
    record_timeline(
        &tx,
        org,
        subjects,
        "conversion",
        Some(l.id),
        details,
        Some(p.user_id),
    )
    .await?;
    tx.commit().await?;
    Ok(LeadConversionOut {
        lead: l.into(),
        customer_id: customer.id,
        contact_id,
        deal_id,
    })
}

/// Links the lead to what it became. The claim already moved the version;
/// this completes the same change.
async fn record_links(
    conn: &impl ConnectionTrait,
    l: &mut lead::Model,
    customer_id: Uuid,
    contact_id: Option<Uuid>,
    deal_id: Option<Uuid>,
) -> Result<(), AppError> {
    (
        l.converted_customer_id,
        l.converted_contact_id,
        l.converted_deal_id,
    ) = (Some(customer_id), contact_id, deal_id);
    lead::Entity::update_many()
        .set(lead::ActiveModel {
            converted_customer_id: Set(l.converted_customer_id),
            converted_contact_id: Set(contact_id),
            converted_deal_id: Set(deal_id),
            ..Default::default()
        })
        .filter(lead::Column::Id.eq(l.id))
        .filter(lead::Column::OrganizationId.eq(l.organization_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Refusals of the body alone, before anything is written.
fn check_body(input: &LeadConvertIn) -> Result<(), AppError> {
    if input.customer_id.is_some() && input.customer.is_some() {
        return Err(AppError::invalid_field(
            "customer",
            "not_allowed",
            "give customer_id to link a customer, or customer to create one, not both",
        ));
    }
    if input.contact_id.is_some() && input.create_contact == Some(true) {
        return Err(AppError::invalid_field(
            "create_contact",
            "not_allowed",
            "give contact_id to link a contact, or create_contact, not both",
        ));
    }
    Ok(())
}

/// The existing, active customer of the organization a conversion links
/// (422 naming `customer_id` otherwise, another organization's included).
async fn linked_customer(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<customer::Model, AppError> {
    check_customer(conn, org, Some(id), "customer_id")
        .await?
        .filter(|c| c.active)
        .ok_or_else(|| {
            AppError::invalid_field("customer_id", "archived", "is an archived customer")
        })
}

/// The deal a conversion opens: defaults from the lead (title from its
/// company or name, amount from its estimated value, its owner) and the
/// customer (currency).
async fn open_lead_deal(
    conn: &impl ConnectionTrait,
    p: &Principal,
    l: &lead::Model,
    d: &ConvertDealIn,
    customer: &customer::Model,
    contact_id: Option<Uuid>,
) -> Result<Uuid, AppError> {
    let title = d
        .title
        .clone()
        .or_else(|| l.company.clone())
        .unwrap_or_else(|| l.name.clone());
    let deal = open_deal(
        conn,
        p.organization_id,
        Some(p.user_id),
        NewDeal {
            title,
            customer_id: Some(customer.id),
            contact_id,
            pipeline_id: d.pipeline_id,
            stage_id: d.stage_id,
            amount: d.amount.or(l.estimated_value).unwrap_or(Amount::ZERO),
            currency: d
                .currency
                .clone()
                .unwrap_or_else(|| customer.currency.clone()),
            expected_close_date: d.expected_close_date,
            owner_id: l.owner_id,
            lead_id: Some(l.id),
            custom_fields: validate_new_at(
                conn,
                p.organization_id,
                CustomFieldEntity::Deal,
                d.custom_fields.as_ref(),
                "deal",
            )
            .await?,
        },
    )
    .await?;
    Ok(deal.id)
}

/// The customer a conversion creates, from the lead and the overrides.
async fn create_customer(
    conn: &impl ConnectionTrait,
    l: &lead::Model,
    input: &LeadConvertIn,
) -> Result<customer::Model, AppError> {
    let overrides = input.customer.as_ref();
    let currency = overrides
        .and_then(|c| c.currency.clone())
        .or_else(|| input.deal.as_ref().and_then(|d| d.currency.clone()))
        .ok_or_else(|| {
            AppError::invalid_field(
                "customer.currency",
                "required",
                "required when a customer is created (or give deal.currency)",
            )
        })?;
    let name = overrides
        .and_then(|c| c.name.as_deref())
        .or(l.company.as_deref())
        .unwrap_or(&l.name)
        .trim()
        .to_string();
    let kind = overrides
        .and_then(|c| c.kind)
        .unwrap_or(if l.company.is_some() {
            CustomerKind::Company
        } else {
            CustomerKind::Person
        });
    let custom_fields = validate_new_at(
        conn,
        l.organization_id,
        CustomFieldEntity::Customer,
        overrides.and_then(|c| c.custom_fields.as_ref()),
        "customer",
    )
    .await?;
    let now = Utc::now();
    Ok(customer::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(l.organization_id),
        name: Set(name),
        kind: Set(kind),
        email: Set(l.email.clone()),
        phone: Set(l.phone.clone()),
        website: Set(None),
        billing_address: Set(String::new()),
        shipping_address: Set(String::new()),
        tax_id: Set(None),
        currency: Set(currency),
        payment_terms_days: Set(30),
        credit_limit: Set(None),
        tags: Set(json!([])),
        owner_id: Set(l.owner_id),
        custom_fields: Set(custom_fields),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(conn)
    .await?)
}

/// The contact a conversion creates. It claims the lead's email like any
/// contact (`email_key`), so an email another contact holds is a 409
/// `contact_email_taken` that rolls the whole conversion back.
async fn create_contact(
    conn: &impl ConnectionTrait,
    l: &lead::Model,
    customer_id: Uuid,
) -> Result<Uuid, AppError> {
    let (first_name, last_name) = split_name(&l.name);
    // The same email rule as `POST /contacts` (also against contacts written
    // with `allow_duplicate`); the unique index settles a race.
    let email_key = email_claim(conn, l.organization_id, l.email.as_deref(), false, None)
        .await
        .map_err(|e| {
            if e.code() == "contact_email_taken" {
                AppError::conflict("contact_email_taken", EMAIL_HELD)
            } else {
                e
            }
        })?;
    // Defaults of contact custom fields; a required one without a default
    // cannot be filled from a lead (422 naming it).
    let custom_fields = validate_new_at(
        conn,
        l.organization_id,
        CustomFieldEntity::Contact,
        None,
        "contact",
    )
    .await?;
    let now = Utc::now();
    let c = contact::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(l.organization_id),
        first_name: Set(first_name),
        last_name: Set(last_name),
        email: Set(l.email.clone()),
        email_key: Set(email_key),
        phone: Set(l.phone.clone()),
        title: Set(None),
        customer_id: Set(Some(customer_id)),
        owner_id: Set(l.owner_id),
        tags: Set(json!([])),
        custom_fields: Set(custom_fields),
        do_not_contact: Set(false),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
    .insert(conn)
    .await
    .map_err(unique_violation("contact_email_taken", EMAIL_HELD))?;
    Ok(c.id)
}

/// A lead's name as a contact's first and last name: the last word is the
/// last name (a single word is only a last name: lists sort by it), each
/// cut to 100 characters.
fn split_name(name: &str) -> (String, String) {
    let name = name.trim();
    let (first, last) = match name.rsplit_once(char::is_whitespace) {
        Some((first, last)) => (first.trim(), last.trim()),
        None => ("", name),
    };
    let cut = |s: &str| s.chars().take(100).collect::<String>();
    (cut(first), cut(last))
}

/// The creation records of what the conversion made, so each new record's
/// audit trail starts where it was born (`crm.customer.created`, ...).
async fn record_created(
    conn: &impl ConnectionTrait,
    p: &Principal,
    l: &lead::Model,
    customer: Option<Uuid>,
    input: &LeadConvertIn,
    contact: Option<Uuid>,
    deal: Option<Uuid>,
) -> Result<(), AppError> {
    let from = json!({ "from_lead": l.id });
    let created_contact = contact.filter(|_| input.contact_id.is_none());
    for (action, entity, id) in [
        ("crm.customer.created", "customer", customer),
        ("crm.contact.created", "contact", created_contact),
        ("crm.deal.created", "deal", deal),
    ] {
        if let Some(id) = id {
            audit::record(conn, AuditEntry::by(p, action, entity, id, from.clone())).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::split_name;

    #[test]
    fn the_last_word_of_a_name_is_the_last_name() {
        assert_eq!(
            split_name("Grace Brewster Hopper"),
            ("Grace Brewster".into(), "Hopper".into())
        );
        assert_eq!(split_name("  Cher "), (String::new(), "Cher".into()));
    }
}
