//! Exact document totals (quotes, orders, invoices, bills). Each line's figures are rounded half-up (away
//! from zero) to the currency's minor unit, then summed: the document shows
//! what its lines show, to the cent.

use crate::platform::money::{Amount, Quantity, SCALE};

/// The decimals of a currency's minor unit (ISO 4217): 0 for the yen and its
/// kind, 3 for the dinars, 2 for everything else.
pub fn minor_digits(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// `numerator / denominator` rounded half away from zero (denominator > 0).
fn div_round(numerator: i128, denominator: i128) -> i128 {
    let half = denominator / 2;
    if numerator >= 0 {
        (numerator + half) / denominator
    } else {
        (numerator - half) / denominator
    }
}

/// `value / divisor`, where `value` is at scale 8, rounded once to `digits`
/// decimals, back as Amount units (scale 4); `None` beyond the range of an
/// amount.
fn to_minor(value: i128, divisor: i128, digits: u32) -> Option<Amount> {
    let drop = 10_i128.pow(2 * SCALE - digits) * divisor;
    let minor = div_round(value, drop);
    let units = minor.checked_mul(10_i128.pow(SCALE - digits))?;
    i64::try_from(units).ok().map(Amount::from_units)
}

/// One line's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineFigures {
    /// quantity x unit price.
    pub subtotal: Amount,
    /// subtotal x discount percent.
    pub discount: Amount,
    /// (subtotal - discount) x tax percent.
    pub tax: Amount,
    /// subtotal - discount + tax.
    pub total: Amount,
}

/// Prices one line in a currency with `digits` minor decimals; `None` when a
/// figure leaves the range of an amount.
pub fn price_line(
    quantity: Quantity,
    unit_price: Amount,
    discount_percent: Quantity,
    tax_percent: Quantity,
    digits: u32,
) -> Option<LineFigures> {
    // Products of two scale-4 numbers are at scale 8; each is rounded once.
    let gross = i128::from(quantity.units()) * i128::from(unit_price.units());
    let subtotal = to_minor(gross, 1, digits)?;
    let off = i128::from(subtotal.units()) * i128::from(discount_percent.units());
    let discount = to_minor(off, 100, digits)?;
    let net = subtotal.checked_sub(discount)?;
    let levy = i128::from(net.units()) * i128::from(tax_percent.units());
    let tax = to_minor(levy, 100, digits)?;
    Some(LineFigures {
        subtotal,
        discount,
        tax,
        total: net.checked_add(tax)?,
    })
}

/// `amount x part / whole`, rounded half-up once to `digits` decimals (a
/// share of a line's figure); `None` out of range or for a zero `whole`.
pub fn prorate(amount: Amount, part: Quantity, whole: Quantity, digits: u32) -> Option<Amount> {
    if whole.units() <= 0 {
        return None;
    }
    let value = i128::from(amount.units()) * 10_i128.pow(SCALE) * i128::from(part.units());
    to_minor(value, i128::from(whole.units()), digits)
}

/// The sum of lines' figures; `None` on overflow.
pub fn sum(lines: impl IntoIterator<Item = LineFigures>) -> Option<LineFigures> {
    lines
        .into_iter()
        .try_fold(LineFigures::default(), |acc, l| {
            Some(LineFigures {
                subtotal: acc.subtotal.checked_add(l.subtotal)?,
                discount: acc.discount.checked_add(l.discount)?,
                tax: acc.tax.checked_add(l.tax)?,
                total: acc.total.checked_add(l.total)?,
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        s.parse().unwrap_or_default()
    }

    fn a(s: &str) -> Amount {
        s.parse().unwrap_or_default()
    }

    fn line(qty: &str, price: &str, disc: &str, tax: &str, digits: u32) -> LineFigures {
        price_line(q(qty), a(price), q(disc), q(tax), digits).unwrap_or_default()
    }

    #[test]
    fn three_tenths_are_exactly_thirty_cents() {
        let l = line("3", "0.1", "0", "0", 2);
        assert_eq!(l.subtotal, a("0.30"));
        assert_eq!(l.total, a("0.30"));
    }

    #[test]
    fn a_third_off_rounds_half_up_to_the_cent() {
        // 100.00 x 33.3333% = 33.3333 -> 33.33; net 66.67; 20% tax = 13.334 -> 13.33.
        let l = line("1", "100", "33.3333", "20", 2);
        assert_eq!(
            (l.subtotal, l.discount, l.tax, l.total),
            (a("100"), a("33.33"), a("13.33"), a("80.00"))
        );
    }

    #[test]
    fn halves_round_away_from_zero() {
        assert_eq!(line("1", "0.125", "0", "0", 2).subtotal, a("0.13"));
        assert_eq!(line("1", "0.005", "0", "0", 2).subtotal, a("0.01"));
        assert_eq!(line("1", "0.0049", "0", "0", 2).subtotal, a("0.00"));
    }

    #[test]
    fn lines_are_rounded_before_they_are_summed() {
        // 0.333 each rounds to 0.33; fifty of them are 16.50, not 16.65.
        let total = sum((0..50).map(|_| line("1", "0.333", "0", "0", 2))).unwrap_or_default();
        assert_eq!(total.subtotal, a("16.50"));
    }

    #[test]
    fn minor_units_follow_the_currency() {
        assert_eq!(
            line("3", "33.5", "0", "0", minor_digits("JPY")).subtotal,
            a("101")
        );
        assert_eq!(
            line("1", "1.2345", "0", "0", minor_digits("KWD")).subtotal,
            a("1.235")
        );
        assert_eq!(minor_digits("EUR"), 2);
    }

    #[test]
    fn an_out_of_range_line_is_none_not_a_panic() {
        let huge = Amount::from_units(i64::MAX);
        assert!(price_line(Quantity::from_units(i64::MAX), huge, q("0"), q("0"), 2).is_none());
    }
}
