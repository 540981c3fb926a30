//! Accepting a quote: in one transaction the quote becomes `accepted`, a
//! sales order is made from its lines as priced on the quote (optionally
//! confirmed), and the quote's deal is won.

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, sea_query::Expr};
use serde_json::json;
use uuid::Uuid;

use super::{
    lines::{Priced, PricedLine},
    orders::{self, OrderHeader, Start},
    quotes::{lines_of, move_state, stored, today},
};
use crate::platform::pricing::LineFigures;
use crate::{
    modules::{
        crm::{
            sales::{
                dto::*,
                entities::{QuoteStatus, quote, quote_line},
            },
            service::moves,
        },
        inventory,
    },
    platform::prelude::*,
};

/// `POST /quotes/{id}/accept`: in one transaction, the quote becomes
/// `accepted`, a sales order is made from its lines (as priced on the
/// quote), optionally confirmed, and the quote's deal is won.
#[tracing::instrument(skip_all, fields(organization_id = %p.organization_id, id = %id))]
pub async fn accept(
    state: &AppState,
    p: &Principal,
    id: Uuid,
    input: &QuoteAccept,
) -> Result<SalesOrderOut, AppError> {
    let org = p.organization_id;
    let tx = begin_write(&state.db).await?;
    let q = tenant::find::<quote::Entity>(&tx, org, id).await?;
    let priced = Priced {
        lines: priced_from(&tx, org, &lines_of(&tx, org, &[id]).await?).await?,
        totals: LineFigures {
            subtotal: q.subtotal,
            discount: q.discount_total,
            tax: q.tax_total,
            total: q.total,
        },
    };
    let header = OrderHeader {
        customer_id: q.customer_id,
        contact_id: q.contact_id,
        quote_id: Some(q.id),
        warehouse_id: input.warehouse_id,
        order_date: today(),
        requested_delivery_date: input.requested_delivery_date,
        currency: q.currency.clone(),
        notes: q.notes.clone(),
    };
    // The quote is claimed before the order exists: a second acceptance
    // stops here with 409.
    let claim = quote::ActiveModel {
        accepted_at: Set(Some(Utc::now())),
        ..Default::default()
    };
    move_state(&tx, org, id, claim, QuoteStatus::Accepted, None).await?;
    let start = if input.confirm {
        Start::Confirmed {
            backorder: input.allow_backorder,
        }
    } else {
        Start::Draft
    };
    let out = orders::insert_order(&tx, p, header, &priced, start).await?;
    let order_id = out.order.id;
    quote::Entity::update_many()
        .col_expr(quote::Column::SalesOrderId, Expr::value(order_id))
        .filter(quote::Column::Id.eq(id))
        .exec(&tx)
        .await?;
    if let Some(d) = q.deal_id {
        moves::win_deal(&tx, org, p.user_id, d).await?;
    }
    audit::record(&tx, AuditEntry::by(p, "sales.quote.accepted", "quote", id, json!({
        "number": q.number, "revision": q.revision, "sales_order_id": order_id, "deal_id": q.deal_id,
        "order_status": out.order.status,
    })))
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// Stored quote lines as priced lines of a new order (the stock flag read
/// from the products).
async fn priced_from(
    conn: &impl ConnectionTrait,
    org: Uuid,
    rows: &[quote_line::Model],
) -> Result<Vec<PricedLine>, AppError> {
    let ids: Vec<Uuid> = rows.iter().filter_map(|l| l.product_id).collect();
    let products = inventory::api::products(conn, org, &ids).await?;
    Ok(rows
        .iter()
        .map(|l| (l, l.product_id.and_then(|p| products.get(&p))))
        .map(|(l, product)| PricedLine {
            line_no: l.line_no,
            product_id: l.product_id,
            description: l.description.clone(),
            quantity: l.quantity,
            unit_price: l.unit_price,
            discount_percent: l.discount_percent,
            tax_rate_id: l.tax_rate_id,
            tax_percent: l.tax_percent,
            tax_account_id: None,
            figures: stored(l).figures,
            stocked: product.is_some_and(|p| p.stocked),
            sku: product.map(|p| p.sku.clone()),
        })
        .collect())
}
