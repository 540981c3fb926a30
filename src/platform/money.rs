//! Exact fixed-point numbers for money ([`Amount`]) and stock ([`Quantity`]).
//!
//! Both hold an `i64` count of ten-thousandths (scale 4: `1.0 == 10000`),
//! stored as BIGINT, so neither SQLite (which reads decimals through floating
//! point) nor arithmetic can lose a cent. In JSON they are decimal strings
//! (`"19.99"`), in one grammar, the documented `^-?\d{1,15}(\.\d{1,4})?$`.
//! A JSON number, more than 4 decimals, or anything else is refused with a
//! clear message (422 through [`crate::platform::extract::ValidatedJson`]).

use std::{fmt, str::FromStr};

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// Digits after the decimal point.
pub const SCALE: u32 = 4;
/// Units per whole: `10^SCALE`.
pub const ONE: i64 = 10_000;

/// Why a decimal string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FixedError {
    /// Not a decimal number.
    #[error("must be a decimal number written as a string, e.g. \"19.99\"")]
    Invalid,
    /// More than four digits after the point.
    #[error("must have at most 4 decimal places")]
    TooPrecise,
    /// Beyond ±922,337,203,685,477.5807.
    #[error("is out of range")]
    Overflow,
}

/// Parses a decimal string into units of 1/10000. The one grammar, as
/// documented in the schema: `^-?\d{1,15}(\.\d{1,4})?$`. No sign but `-`,
/// no surrounding space, digits on both sides of a point, no exponent.
pub fn parse_units(s: &str) -> Result<i64, FixedError> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || fraction.is_some_and(|f| !all_digits(f)) {
        return Err(FixedError::Invalid);
    }
    let fraction = fraction.unwrap_or("");
    if fraction.len() > SCALE as usize {
        return Err(FixedError::TooPrecise);
    }
    if whole.len() > 15 {
        return Err(FixedError::Overflow);
    }
    let whole: i64 = whole.parse().map_err(|_| FixedError::Overflow)?;
    let mut frac: i64 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().map_err(|_| FixedError::Invalid)?
    };
    for _ in fraction.len()..SCALE as usize {
        frac *= 10;
    }
    let units = whole
        .checked_mul(ONE)
        .and_then(|w| w.checked_add(frac))
        .ok_or(FixedError::Overflow)?;
    Ok(if negative { -units } else { units })
}

/// Formats units as the shortest exact decimal string (a quantity's form).
pub fn format_units(units: i64) -> String {
    Units::<0>(units).to_string()
}

/// Decimals an amount of money always shows: the currency's minor unit
/// (two, as for every currency Mainstay prices in today).
pub const AMOUNT_MIN_DECIMALS: usize = 2;

/// Writes units as an exact decimal with at least `MIN` decimals and no
/// other trailing zeros (`MIN = 0`: `-12.5`, `0.0001`, `3`; `MIN = 2`:
/// `0.30`, `3.00`, `1.2345`), without allocating: lists write several of
/// these per row.
struct Units<const MIN: usize>(i64);

impl<const MIN: usize> fmt::Display for Units<MIN> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let one = ONE.unsigned_abs();
        let abs = self.0.unsigned_abs();
        if self.0 < 0 {
            f.write_str("-")?;
        }
        write!(f, "{}", abs / one)?;
        let mut fraction = abs % one;
        let mut digits = SCALE as usize;
        while digits > MIN && fraction.is_multiple_of(10) {
            fraction /= 10;
            digits -= 1;
        }
        if digits == 0 {
            return Ok(());
        }
        write!(f, ".{fraction:0digits$}")
    }
}

macro_rules! fixed_point {
    ($(#[$doc:meta])* $name:ident, $min_decimals:expr, $example:literal, $format:literal) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash,
            sea_orm::DeriveValueType,
        )]
        pub struct $name(i64);

        impl $name {
            /// Zero.
            pub const ZERO: Self = Self(0);

            /// From a raw count of ten-thousandths (the database value).
            pub const fn from_units(units: i64) -> Self {
                Self(units)
            }

            /// The raw count of ten-thousandths (the database value).
            pub const fn units(self) -> i64 {
                self.0
            }

            /// A whole number.
            pub fn from_whole(n: i64) -> Option<Self> {
                n.checked_mul(ONE).map(Self)
            }

            /// As a `Decimal`, for display and arithmetic beyond these helpers.
            pub fn to_decimal(self) -> Decimal {
                Decimal::new(self.0, SCALE)
            }

            /// Sum, `None` on overflow.
            pub fn checked_add(self, other: Self) -> Option<Self> {
                self.0.checked_add(other.0).map(Self)
            }

            /// Difference, `None` on overflow.
            pub fn checked_sub(self, other: Self) -> Option<Self> {
                self.0.checked_sub(other.0).map(Self)
            }

            /// True below zero.
            pub fn is_negative(self) -> bool {
                self.0 < 0
            }
        }

        impl FromStr for $name {
            type Err = FixedError;
            fn from_str(s: &str) -> Result<Self, FixedError> {
                parse_units(s).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                Units::<{ $min_decimals }>(self.0).fmt(f)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(FixedVisitor).map(Self)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                fixed_schema($example, $format)
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

fixed_point!(
    /// An exact amount of money (scale 4), a decimal string in JSON, always
    /// written with at least the currency's two decimals (`"0.30"`).
    Amount,
    AMOUNT_MIN_DECIMALS,
    "19.90",
    "Money: an exact decimal string with at most 4 decimal places. Responses always \
     show at least two decimals and no other trailing zeros (`\"0.30\"`, `\"3.00\"`, \
     `\"0.1250\"` is written `\"0.125\"`)."
);

fixed_point!(
    /// An exact quantity of stock or units (scale 4), a decimal string in JSON,
    /// written canonically: no trailing zeros, no point for a whole number.
    Quantity,
    0,
    "12.5",
    "Quantity: an exact decimal string with at most 4 decimal places. Responses write it \
     canonically, without trailing zeros (`\"12.5\"`, `\"3\"`)."
);

impl Amount {
    /// `price x quantity`, rounded half away from zero to 4 places; `None` on overflow.
    pub fn times(self, qty: Quantity) -> Option<Amount> {
        let product = i128::from(self.0) * i128::from(qty.0);
        let half = i128::from(ONE) / 2;
        let rounded = if product >= 0 {
            (product + half) / i128::from(ONE)
        } else {
            (product - half) / i128::from(ONE)
        };
        i64::try_from(rounded).ok().map(Amount)
    }
}

struct FixedVisitor;

impl de::Visitor<'_> for FixedVisitor {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a decimal string with at most 4 decimal places, e.g. \"19.99\"")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
        parse_units(v).map_err(|e| E::custom(format!("`{v}` {e}")))
    }

    // Numbers are refused like any other non-string: the one documented
    // form is the decimal string (a JSON number invites floating point).
}

fn fixed_schema(
    example: &str,
    description: &str,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(utoipa::openapi::schema::SchemaFormat::Custom(
            "decimal".into(),
        )))
        .pattern(Some(r"^-?\d{1,15}(\.\d{1,4})?$"))
        .description(Some(description))
        .examples([serde_json::Value::String(example.to_string())])
        .into()
}

/// An ISO 4217-shaped currency code (three capitals).
pub fn currency_code(code: &str) -> Result<(), validator::ValidationError> {
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("currency")
            .with_message("must be a three-letter ISO 4217 code in capitals, like EUR".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_strings_are_exact() {
        assert_eq!("19.99".parse::<Amount>().unwrap().units(), 199_900);
        assert_eq!("0.0001".parse::<Amount>().unwrap().units(), 1);
        assert_eq!("-3".parse::<Quantity>().unwrap().units(), -30_000);
        assert_eq!("1.5000".parse::<Amount>().unwrap().units(), 15_000);
        assert_eq!("007".parse::<Quantity>().unwrap().units(), 70_000);
        let sum = "0.1"
            .parse::<Amount>()
            .unwrap()
            .checked_add("0.2".parse().unwrap())
            .unwrap();
        assert_eq!(sum.to_string(), "0.30");
    }

    #[test]
    fn amounts_keep_two_decimals_and_quantities_are_canonical() {
        for (text, amount, quantity) in [
            ("0.30", "0.30", "0.3"),
            ("0.10", "0.10", "0.1"),
            ("3", "3.00", "3"),
            ("0", "0.00", "0"),
            ("1.2345", "1.2345", "1.2345"),
            ("0.1250", "0.125", "0.125"),
            ("-0.5", "-0.50", "-0.5"),
            ("0.0001", "0.0001", "0.0001"),
        ] {
            let a: Amount = text.parse().unwrap();
            assert_eq!(serde_json::to_value(a).unwrap(), amount, "{text}");
            let q: Quantity = text.parse().unwrap();
            assert_eq!(serde_json::to_value(q).unwrap(), quantity, "{text}");
        }
    }

    #[test]
    fn more_than_four_decimals_or_overflow_is_refused() {
        assert_eq!("1.00001".parse::<Amount>(), Err(FixedError::TooPrecise));
        assert_eq!(
            "922337203685477.5808".parse::<Amount>(),
            Err(FixedError::Overflow)
        );
        assert_eq!(
            "99999999999999999999999999999999999".parse::<Amount>(),
            Err(FixedError::Overflow)
        );
        assert_eq!("12abc".parse::<Amount>(), Err(FixedError::Invalid));
        assert_eq!("1e3".parse::<Amount>(), Err(FixedError::Invalid));
        assert!("922337203685477.5807".parse::<Amount>().is_ok());
    }

    #[test]
    fn formatting_is_the_shortest_exact_decimal() {
        for (units, text) in [
            (0, "0"),
            (10_000, "1"),
            (15_000, "1.5"),
            (1, "0.0001"),
            (-1, "-0.0001"),
            (-125_000, "-12.5"),
            (1_234_567, "123.4567"),
            (100, "0.01"),
            (i64::MAX, "922337203685477.5807"),
            (i64::MIN, "-922337203685477.5808"),
        ] {
            assert_eq!(format_units(units), text);
            assert_eq!(Decimal::new(units, SCALE).normalize().to_string(), text);
        }
    }

    #[test]
    fn only_the_documented_grammar_parses() {
        for lenient in [
            "+5", " 5", "5 ", ".5", "5.", "", "-", "1.50000", "1,5", "--1", "0x10", "١",
        ] {
            assert!(
                lenient.parse::<Quantity>().is_err(),
                "`{lenient}` must be refused"
            );
        }
        assert_eq!("1.50000".parse::<Quantity>(), Err(FixedError::TooPrecise));
        assert_eq!("-0.5".parse::<Quantity>().unwrap().units(), -5_000);
    }

    #[test]
    fn json_takes_decimal_strings_only() {
        let a: Amount = serde_json::from_str("\"19.99\"").unwrap();
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"19.99\"");
        assert!(serde_json::from_str::<Amount>("7").is_err());
        let err = serde_json::from_str::<Amount>("19.99").unwrap_err();
        assert!(err.to_string().contains("decimal string"), "{err}");
        assert!(serde_json::from_str::<Amount>("\"1.23456\"").is_err());
    }

    #[test]
    fn price_times_quantity_rounds_half_away_from_zero() {
        let price: Amount = "0.3333".parse().unwrap();
        let qty: Quantity = "0.5".parse().unwrap();
        assert_eq!(price.times(qty).unwrap().to_string(), "0.1667");
        let neg: Amount = "-0.3333".parse().unwrap();
        assert_eq!(neg.times(qty).unwrap().to_string(), "-0.1667");
        assert!(
            Amount::from_units(i64::MAX)
                .times(Quantity::from_units(20_000))
                .is_none()
        );
    }
}
