//! Exact fixed-point numbers for money ([`Amount`]) and stock ([`Quantity`]).
//!
//! Both hold an `i64` count of ten-thousandths (scale 4: `1.0 == 10000`),
//! stored as BIGINT, so neither SQLite (which reads decimals through floating
//! point) nor arithmetic can lose a cent. In JSON they are decimal strings
//! (`"19.99"`); integers are accepted too. More than 4 decimals, a
//! floating-point JSON number, or a value beyond the range is refused with a
//! clear message (422 through [`crate::platform::extract::ValidatedJson`]).

use std::{fmt, str::FromStr};

use rust_decimal::{Decimal, prelude::ToPrimitive};
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

/// Parses a decimal string into units of 1/10000.
pub fn parse_units(s: &str) -> Result<i64, FixedError> {
    let s = s.trim();
    if s.is_empty() || s.contains(['e', 'E']) {
        return Err(FixedError::Invalid);
    }
    let d = Decimal::from_str(s).map_err(|e| match e {
        rust_decimal::Error::ExceedsMaximumPossibleValue
        | rust_decimal::Error::LessThanMinimumPossibleValue => FixedError::Overflow,
        _ => {
            // rust_decimal rejects over-long literals; tell overflow from junk.
            if s.trim_start_matches(['-', '+'])
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.')
            {
                FixedError::Overflow
            } else {
                FixedError::Invalid
            }
        }
    })?;
    let d = d.normalize();
    if d.scale() > SCALE {
        return Err(FixedError::TooPrecise);
    }
    d.checked_mul(Decimal::from(ONE))
        .and_then(|v| v.to_i64())
        .ok_or(FixedError::Overflow)
}

/// Formats units as the shortest exact decimal string.
pub fn format_units(units: i64) -> String {
    Decimal::new(units, SCALE).normalize().to_string()
}

macro_rules! fixed_point {
    ($(#[$doc:meta])* $name:ident, $example:literal) => {
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
                f.write_str(&format_units(self.0))
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
                fixed_schema($example)
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

fixed_point!(
    /// An exact amount of money (scale 4), a decimal string in JSON.
    Amount,
    "19.99"
);

fixed_point!(
    /// An exact quantity of stock or units (scale 4), a decimal string in JSON.
    Quantity,
    "12.5"
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

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        v.checked_mul(ONE)
            .ok_or_else(|| E::custom(format!("`{v}` {}", FixedError::Overflow)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v)
            .ok()
            .and_then(|v| v.checked_mul(ONE))
            .ok_or_else(|| E::custom(format!("`{v}` {}", FixedError::Overflow)))
    }
}

fn fixed_schema(example: &str) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r"^-?\d{1,15}(\.\d{1,4})?$"))
        .description(Some(
            "Exact decimal with at most 4 decimal places, as a string.",
        ))
        .examples([serde_json::Value::String(example.to_string())])
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_strings_are_exact() {
        assert_eq!("19.99".parse::<Amount>().unwrap().units(), 199_900);
        assert_eq!("0.0001".parse::<Amount>().unwrap().units(), 1);
        assert_eq!("-3".parse::<Quantity>().unwrap().units(), -30_000);
        assert_eq!("1.50000".parse::<Amount>().unwrap().units(), 15_000);
        let sum = "0.1"
            .parse::<Amount>()
            .unwrap()
            .checked_add("0.2".parse().unwrap())
            .unwrap();
        assert_eq!(sum.to_string(), "0.3");
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
    fn json_takes_strings_and_integers_but_not_floats() {
        let a: Amount = serde_json::from_str("\"19.99\"").unwrap();
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"19.99\"");
        let b: Amount = serde_json::from_str("7").unwrap();
        assert_eq!(b.units(), 70_000);
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
