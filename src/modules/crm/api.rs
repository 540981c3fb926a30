//! The CRM module's door for the rest of the application. Every function
//! runs inside the caller's transaction or connection and never begins or
//! commits.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
};
use uuid::Uuid;

use super::{
    entities::{contact, customer},
    sales::entities::{order_line, sales_order},
};
use crate::platform::{
    error::AppError,
    money::{Amount, Quantity},
    tenant,
};

pub use super::permissions::PERMISSIONS;
pub use super::sales::{
    dto::LineIn,
    service::lines::{Priced, PricedLine},
};

/// What billing and tickets need to know of a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRef {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Email.
    pub email: Option<String>,
    /// ISO 4217 currency the customer is invoiced in.
    pub currency: String,
    /// Days from invoice to payment.
    pub payment_terms_days: i32,
    /// Credit limit, if one is set.
    pub credit_limit: Option<Amount>,
    /// False once archived (new documents should refuse it).
    pub active: bool,
}

/// What billing and tickets need to know of a contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRef {
    /// Id.
    pub id: Uuid,
    /// The customer the contact works for.
    pub customer_id: Option<Uuid>,
    /// Full name (`first last`).
    pub name: String,
    /// Email.
    pub email: Option<String>,
    /// False once archived.
    pub active: bool,
}

/// True if `id` is a customer of the organization (archived ones too).
pub async fn customer_exists(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<bool, AppError> {
    Ok(customer::Entity::find()
        .filter(customer::Column::OrganizationId.eq(org))
        .filter(customer::Column::Id.eq(id))
        .count(conn)
        .await?
        > 0)
}

/// True if `id` is a contact of the organization (archived ones too).
pub async fn contact_exists(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<bool, AppError> {
    Ok(contact::Entity::find()
        .filter(contact::Column::OrganizationId.eq(org))
        .filter(contact::Column::Id.eq(id))
        .count(conn)
        .await?
        > 0)
}

/// The customer `id` of the organization, if there is one (another
/// organization's is `None`, like a missing one).
pub async fn customer(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<Option<CustomerRef>, AppError> {
    Ok(tenant::find_optional::<customer::Entity>(conn, org, id)
        .await?
        .map(|c| CustomerRef {
            id: c.id,
            name: c.name,
            email: c.email,
            currency: c.currency,
            payment_terms_days: c.payment_terms_days,
            credit_limit: c.credit_limit,
            active: c.active,
        }))
}

/// The contact `id` of the organization, if there is one.
pub async fn contact(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<Option<ContactRef>, AppError> {
    Ok(tenant::find_optional::<contact::Entity>(conn, org, id)
        .await?
        .map(|c| ContactRef {
            id: c.id,
            customer_id: c.customer_id,
            name: format!("{} {}", c.first_name, c.last_name)
                .trim()
                .to_string(),
            email: c.email,
            active: c.active,
        }))
}

/// Seeds the default pipeline and lost reasons of a new organization (a
/// [`FoundedHook`](crate::platform::state::FoundedHook)).
pub fn organization_founded(
    tx: &DatabaseTransaction,
    org: Uuid,
) -> std::pin::Pin<Box<dyn Future<Output = Result<(), AppError>> + Send + '_>> {
    Box::pin(async move {
        migration::crm::seed(tx, org, chrono::Utc::now()).await?;
        Ok(())
    })
}

/// A sales order as billing sees it.
#[derive(Debug, Clone)]
pub struct SalesOrderRef {
    /// Id.
    pub id: Uuid,
    /// Number (`SO-000001`).
    pub number: String,
    /// Customer.
    pub customer_id: Uuid,
    /// Currency.
    pub currency: String,
    /// Status (`draft`, `confirmed`, `partially_fulfilled`, `fulfilled`,
    /// `cancelled`).
    pub status: &'static str,
}

/// A sales-order line with what was ordered, delivered and invoiced.
#[derive(Debug, Clone)]
pub struct SalesOrderLine {
    /// Id.
    pub id: Uuid,
    /// Position.
    pub line_no: i32,
    /// Product (absent for free text).
    pub product_id: Option<Uuid>,
    /// Description.
    pub description: String,
    /// Ordered.
    pub quantity: Quantity,
    /// Delivered so far.
    pub delivered_quantity: Quantity,
    /// Invoiced so far.
    pub invoiced_quantity: Quantity,
    /// Unit price.
    pub unit_price: Amount,
    /// Discount percent.
    pub discount_percent: Quantity,
    /// Tax rate.
    pub tax_rate_id: Option<Uuid>,
    /// Tax percent as ordered.
    pub tax_percent: Quantity,
}

/// The sales order `id` of the organization, locked for the caller's
/// transaction (a no-op UPDATE takes its row lock on PostgreSQL; SQLite's
/// write transactions are serial anyway): concurrent invoicing of one order
/// queues here and reads the lines the one before it left.
pub async fn claim_sales_order(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<Option<SalesOrderRef>, AppError> {
    use sea_orm::sea_query::Expr;
    sales_order::Entity::update_many()
        .col_expr(
            sales_order::Column::Version,
            Expr::col(sales_order::Column::Version),
        )
        .filter(sales_order::Column::OrganizationId.eq(org))
        .filter(sales_order::Column::Id.eq(id))
        .exec(conn)
        .await?;
    sales_order(conn, org, id).await
}

/// The sales order `id` of the organization, if there is one.
pub async fn sales_order(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<Option<SalesOrderRef>, AppError> {
    Ok(tenant::find_optional::<sales_order::Entity>(conn, org, id)
        .await?
        .map(|o| SalesOrderRef {
            id: o.id,
            number: o.number,
            customer_id: o.customer_id,
            currency: o.currency,
            status: o.status.as_str(),
        }))
}

/// The lines of a sales order of the organization, by position (404 for
/// another organization's order).
pub async fn sales_order_lines(
    conn: &impl ConnectionTrait,
    org: Uuid,
    id: Uuid,
) -> Result<Vec<SalesOrderLine>, AppError> {
    tenant::find::<sales_order::Entity>(conn, org, id).await?;
    Ok(super::sales::service::orders::order_lines(conn, org, id)
        .await?
        .into_iter()
        .map(|l| SalesOrderLine {
            id: l.id,
            line_no: l.line_no,
            product_id: l.product_id,
            description: l.description,
            quantity: l.quantity,
            delivered_quantity: l.delivered_quantity,
            invoiced_quantity: l.invoiced_quantity,
            unit_price: l.unit_price,
            discount_percent: l.discount_percent,
            tax_rate_id: l.tax_rate_id,
            tax_percent: l.tax_percent,
        })
        .collect())
}

/// Checks document lines (422 naming `lines[i].<field>`, every problem at
/// once) and prices them exactly in `currency`, as quotes and orders are:
/// products' sale prices by default, active tax rates, each figure rounded
/// half-up once to the currency's minor unit.
pub async fn price_lines(
    conn: &impl ConnectionTrait,
    org: Uuid,
    currency: &str,
    lines: &[LineIn],
) -> Result<Priced, AppError> {
    super::sales::service::lines::price(conn, org, currency, lines).await
}

/// What an invoice of a sales order may bill on a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceCap {
    /// Up to the ordered quantity.
    Ordered,
    /// Up to what was delivered.
    Delivered,
}

/// Adds `qty` to a line's invoiced quantity inside the caller's transaction
/// (negative for a credit note or a voided invoice), only while it stays
/// between zero and the `cap` (ordered or delivered quantity): one
/// conditional UPDATE, so two invoices racing for the same line can never
/// bill it twice. 409 `over_invoiced` otherwise.
pub async fn record_invoiced(
    conn: &impl ConnectionTrait,
    org: Uuid,
    line_id: Uuid,
    qty: Quantity,
    cap: InvoiceCap,
) -> Result<(), AppError> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let q = qty.units();
    let limit = match cap {
        InvoiceCap::Ordered => order_line::Column::Quantity,
        InvoiceCap::Delivered => order_line::Column::DeliveredQuantity,
    };
    let done = order_line::Entity::update_many()
        .col_expr(
            order_line::Column::InvoicedQuantity,
            Expr::col(order_line::Column::InvoicedQuantity).add(q),
        )
        .filter(order_line::Column::OrganizationId.eq(org))
        .filter(order_line::Column::Id.eq(line_id))
        // Written so that no quantity can overflow the arithmetic.
        .filter(Expr::col(order_line::Column::InvoicedQuantity).lte(Expr::col(limit).sub(q)))
        .filter(Expr::col(order_line::Column::InvoicedQuantity).gte(q.saturating_neg()))
        .exec(conn)
        .await?
        .rows_affected
        == 1;
    if done {
        Ok(())
    } else {
        Err(AppError::conflict(
            "over_invoiced",
            "The line would be invoiced beyond what was ordered (or below zero).",
        ))
    }
}

/// The names of the organization's customers among `ids` (one query).
pub async fn customer_names(
    conn: &impl ConnectionTrait,
    org: Uuid,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, String>, AppError> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(customer::Entity::find()
        .filter(customer::Column::OrganizationId.eq(org))
        .filter(customer::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}
