//! Customers' payment methods as a gateway tokenized them: gateway, token,
//! brand, last four digits and expiry. Never a card number (the request
//! extractor refuses one anywhere in the body before this code runs).

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use uuid::Uuid;

use crate::{
    modules::{
        billing::{dto::*, entities::payment_method},
        crm,
    },
    platform::prelude::*,
};

async fn customer(conn: &impl ConnectionTrait, org: Uuid, id: Uuid) -> Result<(), AppError> {
    if crm::api::customer_exists(conn, org, id).await? {
        Ok(())
    } else {
        Err(AppError::not_found(
            "No such customer in this organization.",
        ))
    }
}

fn method_out(m: payment_method::Model) -> PaymentMethodOut {
    PaymentMethodOut {
        id: m.id,
        customer_id: m.customer_id,
        gateway: m.gateway,
        token: m.token,
        brand: m.brand,
        last4: m.last4,
        exp_month: m.exp_month,
        exp_year: m.exp_year,
        created_at: m.created_at,
    }
}

/// `GET /customers/{id}/payment-methods`, oldest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    org: Uuid,
    customer_id: Uuid,
) -> Result<Vec<PaymentMethodOut>, AppError> {
    customer(conn, org, customer_id).await?;
    Ok(payment_method::Entity::find()
        .filter(payment_method::Column::OrganizationId.eq(org))
        .filter(payment_method::Column::CustomerId.eq(customer_id))
        .order_by_asc(payment_method::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(method_out)
        .collect())
}

/// `POST /customers/{id}/payment-methods`.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn create(
    state: &AppState,
    p: &Principal,
    customer_id: Uuid,
    input: PaymentMethodIn,
) -> Result<PaymentMethodOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    customer(&tx, org, customer_id).await?;
    let m = payment_method::Model {
        id: Uuid::now_v7(),
        organization_id: org,
        customer_id,
        gateway: input.gateway.trim().to_string(),
        token: input.token,
        brand: input.brand.trim().to_string(),
        last4: input.last4,
        exp_month: input.exp_month,
        exp_year: input.exp_year,
        created_by: Some(p.user_id),
        created_at: super::now(),
    };
    payment_method::Entity::insert(payment_method::ActiveModel::from(m.clone()))
        .exec_without_returning(&tx)
        .await?;
    // The token is a credential of the gateway: the audit names the card
    // only by brand and last four digits.
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "billing.payment_method.created",
            "customer",
            customer_id,
            json!({
                "payment_method_id": m.id, "gateway": m.gateway, "brand": m.brand, "last4": m.last4,
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(method_out(m))
}

/// `DELETE /customers/{id}/payment-methods/{method_id}`.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id))]
pub async fn delete(
    state: &AppState,
    p: &Principal,
    customer_id: Uuid,
    id: Uuid,
) -> Result<(), AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let gone = payment_method::Entity::delete_many()
        .filter(payment_method::Column::OrganizationId.eq(org))
        .filter(payment_method::Column::CustomerId.eq(customer_id))
        .filter(payment_method::Column::Id.eq(id))
        .exec(&tx)
        .await?;
    if gone.rows_affected != 1 {
        return Err(AppError::not_found(
            "No such payment method for this customer.",
        ));
    }
    audit::record(
        &tx,
        AuditEntry::by(
            p,
            "billing.payment_method.deleted",
            "customer",
            customer_id,
            json!({
                "payment_method_id": id,
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
