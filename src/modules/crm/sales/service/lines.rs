//! Document lines shared by quotes and sales orders: checking and pricing
//! what a client sends (products and tax rates read through the inventory
//! and accounting `api`s, one query each), and showing stored lines with
//! their products' SKUs.

use std::collections::HashMap;

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::platform::pricing::{LineFigures, minor_digits, price_line, sum};
use crate::{
    modules::{
        accounting,
        crm::sales::dto::{LineIn, LineOut},
        inventory::{self, api::ProductRef},
    },
    platform::{
        error::FieldError,
        money::{Amount, ONE, Quantity},
        prelude::*,
    },
};

/// A checked, priced line, ready to store.
#[derive(Debug, Clone)]
pub struct PricedLine {
    /// Position, from 1.
    pub line_no: i32,
    /// The product.
    pub product_id: Option<Uuid>,
    /// What is sold.
    pub description: String,
    /// Quantity.
    pub quantity: Quantity,
    /// Price of one unit.
    pub unit_price: Amount,
    /// Discount in percent.
    pub discount_percent: Quantity,
    /// Tax rate.
    pub tax_rate_id: Option<Uuid>,
    /// Its percent.
    pub tax_percent: Quantity,
    /// The account the tax rate collects in.
    pub tax_account_id: Option<Uuid>,
    /// The rounded figures.
    pub figures: LineFigures,
    /// A stock product.
    pub stocked: bool,
    /// The product's SKU.
    pub sku: Option<String>,
}

/// The priced lines of a document and its totals.
#[derive(Debug, Clone)]
pub struct Priced {
    /// Lines, by position.
    pub lines: Vec<PricedLine>,
    /// Sums of the lines' figures.
    pub totals: LineFigures,
}

/// Checks `lines` (every problem at once, 422 naming `lines[i].<field>`) and
/// prices them in `currency`.
pub async fn price(
    conn: &impl ConnectionTrait,
    org: Uuid,
    currency: &str,
    lines: &[LineIn],
) -> Result<Priced, AppError> {
    let ids: Vec<Uuid> = lines.iter().filter_map(|l| l.product_id).collect();
    let products = inventory::api::products(conn, org, &ids).await?;
    let rates: HashMap<Uuid, (Quantity, Uuid)> = if lines.iter().any(|l| l.tax_rate_id.is_some()) {
        accounting::api::tax_rates(conn, org)
            .await?
            .into_iter()
            .map(|r| (r.id, (r.rate, r.account_id)))
            .collect()
    } else {
        HashMap::new()
    };
    let digits = minor_digits(currency);
    let mut errors = Vec::new();
    let mut out = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        if let Some(p) = price_one(i, l, &products, &rates, digits, &mut errors) {
            out.push(p);
        }
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let totals = sum(out.iter().map(|l| l.figures)).ok_or_else(overflow)?;
    Ok(Priced { lines: out, totals })
}

fn overflow() -> AppError {
    AppError::invalid_field("lines", "overflow", "the document total is out of range")
}

/// Checks and prices line `i`, pushing what is wrong onto `errors`.
fn price_one(
    i: usize,
    l: &LineIn,
    products: &HashMap<Uuid, ProductRef>,
    rates: &HashMap<Uuid, (Quantity, Uuid)>,
    digits: u32,
    errors: &mut Vec<FieldError>,
) -> Option<PricedLine> {
    let mut found = Vec::new();
    let fe = |field: &str, code: &str, message: &str| {
        FieldError::new(format!("lines[{i}].{field}"), code, message)
    };
    let product = match l.product_id.map(|id| products.get(&id)) {
        Some(None) => {
            found.push(fe(
                "product_id",
                "not_found",
                "is not a product of this organization",
            ));
            None
        }
        Some(Some(p)) if !p.active => {
            found.push(fe("product_id", "archived", "is an archived product"));
            None
        }
        Some(p) => p,
        None => None,
    };
    if l.product_id.is_none() && l.description.is_none() {
        found.push(fe(
            "description",
            "required",
            "is required on a line without a product",
        ));
    }
    let unit_price = l.unit_price.or(product.map(|p| p.sale_price));
    if l.product_id.is_none() && l.unit_price.is_none() {
        found.push(fe(
            "unit_price",
            "required",
            "is required on a line without a product",
        ));
    }
    if l.quantity.units() <= 0 {
        found.push(fe("quantity", "range", "must be more than zero"));
    }
    if unit_price.is_some_and(|p| p.is_negative()) {
        found.push(fe("unit_price", "range", "must not be negative"));
    }
    let discount = l.discount_percent.unwrap_or(Quantity::ZERO);
    if !(0..=100 * ONE).contains(&discount.units()) {
        found.push(fe("discount_percent", "range", "must be between 0 and 100"));
    }
    let (tax_percent, tax_account_id) = match l.tax_rate_id.map(|id| rates.get(&id)) {
        Some(None) => {
            found.push(fe(
                "tax_rate_id",
                "not_found",
                "is not an active tax rate of this organization",
            ));
            (Quantity::ZERO, None)
        }
        Some(Some((rate, account))) => (*rate, Some(*account)),
        None => (Quantity::ZERO, None),
    };
    if !found.is_empty() {
        errors.extend(found);
        return None;
    }
    let unit_price = unit_price.unwrap_or(Amount::ZERO);
    let Some(figures) = price_line(l.quantity, unit_price, discount, tax_percent, digits) else {
        found.push(fe(
            "quantity",
            "overflow",
            "quantity x unit price is out of range",
        ));
        errors.extend(found);
        return None;
    };
    Some(PricedLine {
        line_no: i as i32 + 1,
        product_id: l.product_id,
        description: l
            .description
            .clone()
            .or(product.map(|p| p.name.clone()))
            .unwrap_or_default(),
        quantity: l.quantity,
        unit_price,
        discount_percent: discount,
        tax_rate_id: l.tax_rate_id,
        tax_percent,
        tax_account_id,
        figures,
        stocked: product.is_some_and(|p| p.stocked),
        sku: product.map(|p| p.sku.clone()),
    })
}

/// The SKUs of the products among `ids` (one query).
pub async fn skus(
    conn: &impl ConnectionTrait,
    org: Uuid,
    ids: impl Iterator<Item = Uuid>,
) -> Result<HashMap<Uuid, String>, AppError> {
    let mut ids: Vec<Uuid> = ids.collect();
    ids.sort();
    ids.dedup();
    Ok(inventory::api::products(conn, org, &ids)
        .await?
        .into_values()
        .map(|p| (p.id, p.sku))
        .collect())
}

/// The stored columns every line has, in the shape responses show.
pub struct StoredLine<'a> {
    /// Id.
    pub id: Uuid,
    /// Position.
    pub line_no: i32,
    /// Product.
    pub product_id: Option<Uuid>,
    /// Description.
    pub description: &'a str,
    /// Quantity.
    pub quantity: Quantity,
    /// Unit price.
    pub unit_price: Amount,
    /// Discount percent.
    pub discount_percent: Quantity,
    /// Tax rate.
    pub tax_rate_id: Option<Uuid>,
    /// Tax percent.
    pub tax_percent: Quantity,
    /// Figures.
    pub figures: LineFigures,
}

impl StoredLine<'_> {
    /// The response line, with the product's SKU from `skus`.
    pub fn out(&self, skus: &HashMap<Uuid, String>) -> LineOut {
        LineOut {
            id: self.id,
            line_no: self.line_no,
            product_id: self.product_id,
            sku: self.product_id.and_then(|p| skus.get(&p).cloned()),
            description: self.description.to_string(),
            quantity: self.quantity,
            unit_price: self.unit_price,
            discount_percent: self.discount_percent,
            tax_rate_id: self.tax_rate_id,
            tax_percent: self.tax_percent,
            subtotal: self.figures.subtotal,
            discount: self.figures.discount,
            tax: self.figures.tax,
            total: self.figures.total,
        }
    }
}
