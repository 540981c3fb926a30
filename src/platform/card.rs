//! Detection of full card numbers (PANs) in request bodies and query strings.
//!
//! Billing never stores a card number: a client keeps a gateway token. A
//! run of digits (single spaces or dashes may separate them) is a PAN when
//! it is 13 to 19 digits long and passes the Luhn check as a whole, or, in
//! a run of 20 digits or more, when any window of 13 to 19 of its digits
//! does. Hyphenated UUIDs and valid IBANs are skipped: their digit groups
//! would otherwise join into Luhn-valid runs. One pass over the bytes, at
//! most 19 steps per digit, no allocation. Refusals name the field, never
//! the digits.

use super::error::{AppError, FieldError};

/// Shortest and longest PAN (ISO/IEC 7812).
const MIN_LEN: usize = 13;
const MAX_LEN: usize = 19;
/// Digits kept of a run: enough to hold the first 20 when it turns long.
const KEPT: usize = MAX_LEN + 1;

/// The message of every refusal; it never quotes the input.
pub const MESSAGE: &str = "Card numbers are not accepted here: store a gateway token instead.";

/// True if `s` holds a card number: a 13-19 digit run passing Luhn, or
/// a Luhn-valid window of 13-19 digits inside a longer run.
pub fn looks_like_card_number(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut run = Run::default();
    // The last byte was a single separator following a digit of the run.
    let mut pending_separator = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let token_start = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if token_start && let Some(skip) = skippable(bytes, i) {
            if run.end() {
                return true;
            }
            pending_separator = false;
            i += skip;
            continue;
        }
        if b.is_ascii_digit() {
            pending_separator = false;
            if run.push(b - b'0') {
                return true;
            }
        } else if (b == b' ' || b == b'-') && !pending_separator && run.len > 0 {
            // Directly after a digit: a run only grows through digits and
            // single separators, so `len > 0` means the last byte was one
            // of them, and `!pending_separator` that it was a digit.
            pending_separator = true;
        } else {
            if run.end() {
                return true;
            }
            pending_separator = false;
        }
        i += 1;
    }
    run.end()
}

/// The digits of the current run: the last `KEPT`, at `index % KEPT`.
#[derive(Default)]
struct Run {
    digits: [u8; KEPT],
    len: usize,
}

impl Run {
    /// Adds a digit; true if the run, now 20 digits or more, holds a
    /// Luhn-valid window.
    fn push(&mut self, digit: u8) -> bool {
        self.digits[self.len % KEPT] = digit;
        self.len += 1;
        if self.len == KEPT {
            // Turning long: every window so far.
            (MIN_LEN - 1..KEPT).any(|end| self.luhn(end, MIN_LEN, MAX_LEN))
        } else if self.len > KEPT {
            self.luhn(self.len - 1, MIN_LEN, MAX_LEN)
        } else {
            false
        }
    }

    /// Ends the run; true if it was 13-19 digits long and passes Luhn.
    fn end(&mut self) -> bool {
        let len = std::mem::take(&mut self.len);
        (MIN_LEN..=MAX_LEN).contains(&len) && self.luhn(len - 1, len, len)
    }

    /// Whether a window of `min..=max` digits ending at digit `end` passes
    /// Luhn: walks back, doubling every second digit.
    fn luhn(&self, end: usize, min: usize, max: usize) -> bool {
        let mut sum = 0u32;
        for k in 0..max.min(end + 1) {
            let d = u32::from(self.digits[(end - k) % KEPT]);
            sum += match (k % 2, d) {
                (0, d) => d,
                (_, d) if d > 4 => d * 2 - 9,
                (_, d) => d * 2,
            };
            if k + 1 >= min && sum.is_multiple_of(10) {
                return true;
            }
        }
        false
    }
}

/// Bytes to skip at a token start: a hyphenated UUID or a valid IBAN.
fn skippable(bytes: &[u8], at: usize) -> Option<usize> {
    if bytes[at].is_ascii_hexdigit() && starts_uuid(bytes, at) {
        Some(UUID_LEN)
    } else if bytes[at].is_ascii_alphabetic() {
        iban_len(bytes, at)
    } else {
        None
    }
}

/// Length in bytes of the shortest valid IBAN (ISO 13616: two letters, two
/// check digits, up to 30 letters or digits, mod 97 = 1) starting at `at`,
/// plain or grouped by single spaces, and ending a token. The shortest, so
/// that digits written after an IBAN are still scanned.
fn iban_len(bytes: &[u8], at: usize) -> Option<usize> {
    let head = bytes.get(at..at + 4)?;
    let value = |b: u8| u32::from(b.to_ascii_uppercase() - b'A') + 10;
    if !(head[0].is_ascii_alphabetic()
        && head[1].is_ascii_alphabetic()
        && head[2].is_ascii_digit()
        && head[3].is_ascii_digit())
    {
        return None;
    }
    // The first four characters are checked last, letters as 10..=35.
    let tail = value(head[0]) * 10_000
        + value(head[1]) * 100
        + u32::from(head[2] - b'0') * 10
        + u32::from(head[3] - b'0');
    let (mut rest, mut count, mut j) = (0u32, 4, at + 4);
    while j < bytes.len() && count < 34 {
        let b = bytes[j];
        if b == b' ' && bytes.get(j + 1).is_some_and(u8::is_ascii_alphanumeric) {
            j += 1;
            continue;
        }
        if !b.is_ascii_alphanumeric() {
            break;
        }
        rest = if b.is_ascii_digit() {
            (rest * 10 + u32::from(b - b'0')) % 97
        } else {
            (rest * 100 + value(b)) % 97
        };
        count += 1;
        j += 1;
        let ends_token = bytes.get(j).is_none_or(|n| !n.is_ascii_alphanumeric());
        if count >= 15 && ends_token && (rest * 1_000_000 + tail) % 97 == 1 {
            return Some(j - at);
        }
    }
    None
}

const UUID_LEN: usize = 36;

/// A hyphenated UUID (8-4-4-4-12 hex digits) starts at `at`, not glued to
/// other letters or digits on either side.
fn starts_uuid(bytes: &[u8], at: usize) -> bool {
    let Some(candidate) = bytes.get(at..at + UUID_LEN) else {
        return false;
    };
    if at > 0 && bytes[at - 1].is_ascii_alphanumeric() {
        return false;
    }
    if bytes
        .get(at + UUID_LEN)
        .is_some_and(|b| b.is_ascii_alphanumeric())
    {
        return false;
    }
    candidate.iter().enumerate().all(|(k, b)| match k {
        8 | 13 | 18 | 23 => *b == b'-',
        _ => b.is_ascii_hexdigit(),
    })
}

/// The path of the first field of a JSON body holding a card number, from
/// the parsed document and from its raw text: a number too long for 64
/// bits parses as a float that keeps only its leading digits, so number
/// tokens are also read as written.
pub fn find_in_body(bytes: &[u8], v: &serde_json::Value) -> Option<String> {
    if let Some(field) = find_in_json(v) {
        return Some(field);
    }
    let token = long_numbers(bytes).find(|t| looks_like_card_number(t))?;
    let value = token.parse::<f64>().ok();
    let mut path = String::new();
    let found = value.is_some_and(|x| number_path(v, x, &mut path));
    Some(if found && !path.is_empty() {
        path
    } else {
        ".".to_string()
    })
}

/// The number tokens of a JSON text (outside strings) with more digits
/// than a 64-bit integer holds exactly.
fn long_numbers(bytes: &[u8]) -> impl Iterator<Item = &str> {
    let mut i = 0;
    let mut in_string = false;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            let b = bytes[i];
            if in_string {
                match b {
                    b'\\' => i += 2,
                    b'"' => {
                        in_string = false;
                        i += 1
                    }
                    _ => i += 1,
                }
                continue;
            }
            if b == b'"' {
                in_string = true;
                i += 1;
                continue;
            }
            if b == b'-' || b.is_ascii_digit() {
                let start = i;
                while i < bytes.len()
                    && matches!(bytes[i], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    i += 1;
                }
                let token = std::str::from_utf8(&bytes[start..i]).unwrap_or("");
                if token.bytes().filter(u8::is_ascii_digit).count() > MAX_LEN {
                    return Some(token);
                }
                continue;
            }
            i += 1;
        }
        None
    })
}

/// Leaves `path` at the first number of `v` equal to `x`.
fn number_path(v: &serde_json::Value, x: f64, path: &mut String) -> bool {
    use serde_json::Value;
    match v {
        Value::Number(n) => n.as_f64() == Some(x),
        Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let hit = number_path(item, x, path);
            if !hit {
                path.truncate(len);
            }
            hit
        }),
        Value::Object(map) => map.iter().any(|(key, item)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&mask_digits(key));
            let hit = number_path(item, x, path);
            if !hit {
                path.truncate(len);
            }
            hit
        }),
        _ => false,
    }
}

/// The path of the first field of a JSON document holding a card number
/// (`notes`, `lines[0].description`; `.` for the root value). A key that
/// holds one is reported by its path with its digits masked (`*`), so the
/// answer never repeats the number.
pub fn find_in_json(v: &serde_json::Value) -> Option<String> {
    let mut path = String::new();
    if walk(v, &mut path) {
        Some(if path.is_empty() {
            ".".to_string()
        } else {
            path
        })
    } else {
        None
    }
}

/// Depth-first walk; on a hit `path` is left pointing at the field.
fn walk(v: &serde_json::Value, path: &mut String) -> bool {
    use serde_json::Value;
    match v {
        Value::String(s) => looks_like_card_number(s),
        // Integers under 13 digits are skipped without formatting them.
        Value::Number(n) if n.as_u64().is_some_and(|u| u < 1_000_000_000_000) => false,
        Value::Number(n) => looks_like_card_number(&n.to_string()),
        Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let hit = walk(item, path);
            if !hit {
                path.truncate(len);
            }
            hit
        }),
        Value::Object(map) => map.iter().any(|(key, item)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            if looks_like_card_number(key) {
                path.push_str(&mask_digits(key));
                return true;
            }
            path.push_str(key);
            let hit = walk(item, path);
            if !hit {
                path.truncate(len);
            }
            hit
        }),
        Value::Bool(_) | Value::Null => false,
    }
}

/// The name of the first query parameter (percent-decoded) whose value or
/// name holds a card number; a name that holds one comes back masked.
pub fn find_in_query(query: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes()).find_map(|(name, value)| {
        if looks_like_card_number(&name) {
            Some(mask_digits(&name))
        } else if looks_like_card_number(&value) {
            Some(name.into_owned())
        } else {
            None
        }
    })
}

/// The 422 refusing a card number in `field`: one field error with code
/// `card_number`. The problem's own code is `validation_failed`. A field
/// name that itself holds a card number is masked.
pub fn refusal(field: String) -> AppError {
    let field = if looks_like_card_number(&field) {
        mask_digits(&field)
    } else {
        field
    };
    AppError::validation(vec![FieldError::new(field, "card_number", MESSAGE)])
}

/// `s` with every ASCII digit replaced by `*`.
/// `s` as it may be logged: with its digits masked when it holds a card
/// number (a URL path naming one), else unchanged.
pub fn loggable(s: &str) -> std::borrow::Cow<'_, str> {
    if looks_like_card_number(s) {
        std::borrow::Cow::Owned(mask_digits(s))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

fn mask_digits(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_digit() { '*' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::StatusCode;
    use serde_json::json;

    type Res = Result<(), Box<dyn std::error::Error>>;

    const TEST_CARDS: [&str; 4] = [
        "4111111111111111",
        "5555555555554444",
        "378282246310005",
        "6011111111111117",
    ];

    #[test]
    fn test_card_numbers_are_card_numbers() {
        for pan in TEST_CARDS {
            assert!(looks_like_card_number(pan), "{pan}");
        }
    }

    #[test]
    fn card_numbers_grouped_by_spaces_or_dashes_are_card_numbers() {
        for s in [
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            "5555 5555-5555 4444",
            "3782 822463 10005",
        ] {
            assert!(looks_like_card_number(s), "{s}");
        }
    }

    #[test]
    fn card_numbers_inside_text_are_card_numbers() {
        for s in [
            "x4111111111111111y",
            "pay with 4111 1111 1111 1111 please",
            "card:6011111111111117.",
            "Amex 378282246310005",
        ] {
            assert!(looks_like_card_number(s), "{s}");
        }
    }

    #[test]
    fn a_card_number_inside_a_longer_digit_run_is_found() {
        assert!(looks_like_card_number("9904111111111111111123"));
        assert!(looks_like_card_number("4111111111111111 0000"));
        assert!(looks_like_card_number(
            "1-2-3-4-5-6-7-8-9-4111-1111-1111-1111"
        ));
    }

    #[test]
    fn sixteen_digits_failing_luhn_are_not_card_numbers() {
        assert!(!looks_like_card_number("4111111111111112"));
        assert!(!looks_like_card_number("1234 5678 9012 3456"));
    }

    #[test]
    fn twelve_luhn_valid_digits_are_not_card_numbers() {
        // 411111111113 passes Luhn but is shorter than any PAN.
        assert!(!looks_like_card_number("411111111113"));
        assert!(!looks_like_card_number("4111 1111 1113"));
    }

    #[test]
    fn doubled_separators_break_a_run() {
        assert!(!looks_like_card_number("4111  1111  1111  1111"));
        assert!(!looks_like_card_number("4111 - 1111 - 1111 - 1111"));
        assert!(!looks_like_card_number("4111.1111.1111.1111"));
    }

    #[test]
    fn everyday_values_are_not_card_numbers() {
        for s in [
            "0193a4f2-7c1e-7d33-9a51-2f0c7e1b9d10",
            "2024-01-31",
            "2024-01-31T10:00:00Z",
            "1234.5600",
            "+44 20 7946 0958",
            "INV-000042",
            "",
            "héllo wörld 12",
        ] {
            assert!(!looks_like_card_number(s), "{s}");
        }
    }

    #[test]
    fn uuids_made_only_of_decimal_digits_are_not_card_numbers() {
        // Its groups joined would be a Luhn-valid 32-digit run.
        let id = "12345678-1234-4234-8234-123456789012";
        assert!(!looks_like_card_number(id));
        assert!(!looks_like_card_number(&format!("ids {id}, {id}")));
    }

    #[test]
    fn valid_ibans_are_skipped_whole() {
        for s in [
            "DE89 3704 0044 0532 0130 00",
            "DE89370400440532013000",
            "GB82 WEST 1234 5698 7654 32",
            "FR14 2004 1010 0505 0001 3M02 606",
            "ch93 0076 2011 6238 5295 7",
        ] {
            assert_eq!(iban_len(s.as_bytes(), 0), Some(s.len()), "{s}");
            assert!(!looks_like_card_number(&format!("IBAN: {s}.")), "{s}");
        }
    }

    #[test]
    fn a_card_number_after_an_iban_is_found() {
        assert!(looks_like_card_number(
            "DE89 3704 0044 0532 0130 00 4111 1111 1111 1111"
        ));
    }

    #[test]
    fn a_card_number_dressed_as_an_invalid_iban_is_found() {
        assert_eq!(iban_len(b"DE00 4111 1111 1111 1111", 0), None);
        assert!(looks_like_card_number("DE00 4111 1111 1111 1111"));
    }

    #[test]
    fn a_card_number_beside_a_uuid_is_found() {
        let s = "0193a4f2-7c1e-7d33-9a51-2f0c7e1b9d10 4111111111111111";
        assert!(looks_like_card_number(s));
    }

    #[test]
    fn the_scan_agrees_with_a_slow_reference() -> Res {
        use proptest::{prelude::*, test_runner::Config, test_runner::TestRunner};
        let byte = prop_oneof![8 => b'0'..=b'9', 1 => Just(b' '), 1 => Just(b'-'), 1 => Just(b'.')];
        let mut runner = TestRunner::new(Config {
            cases: 4000,
            ..Config::default()
        });
        runner.run(&proptest::collection::vec(byte, 0..70), |bytes| {
            let s = String::from_utf8_lossy(&bytes);
            prop_assert_eq!(looks_like_card_number(&s), reference(&bytes));
            Ok(())
        })?;
        Ok(())
    }

    /// Splits the runs out first, then checks each run, then its windows.
    fn reference(b: &[u8]) -> bool {
        let luhn = |d: &[u32]| {
            let doubled = |(k, &x): (usize, &u32)| match (k % 2, x) {
                (0, x) => x,
                (_, x) => (x * 2) % 10 + x * 2 / 10,
            };
            d.iter().rev().enumerate().map(doubled).sum::<u32>() % 10 == 0
        };
        let mut runs = vec![Vec::new()];
        for (i, c) in b.iter().enumerate() {
            let joins = (*c == b' ' || *c == b'-')
                && i > 0
                && b[i - 1].is_ascii_digit()
                && b.get(i + 1).is_some_and(u8::is_ascii_digit);
            if let (true, Some(run)) = (c.is_ascii_digit(), runs.last_mut()) {
                run.push(u32::from(c - b'0'));
            } else if !c.is_ascii_digit() && !joins {
                runs.push(Vec::new());
            }
        }
        runs.iter().any(|r| match r.len() {
            13..=19 => luhn(r),
            n if n >= 20 => (13..=19).any(|len| r.windows(len).any(luhn)),
            _ => false,
        })
    }

    #[test]
    fn json_reports_the_first_string_field_holding_a_card_number() {
        let body = json!({"notes": "ok", "lines": [{"description": "a"}, {"description": "card 4111 1111 1111 1111"}]});
        assert_eq!(find_in_json(&body).as_deref(), Some("lines[1].description"));
    }

    #[test]
    fn json_reports_numbers_holding_a_card_number() {
        let body = json!({"allocations": [{"amount": "1.00"}, {"amount": "2.00"}, {"amount": 4111111111111111u64}]});
        assert_eq!(
            find_in_json(&body).as_deref(),
            Some("allocations[2].amount")
        );
    }

    #[test]
    fn json_reports_nested_arrays_and_top_level_fields() {
        assert_eq!(
            find_in_json(&json!({"notes": "5555555555554444"})).as_deref(),
            Some("notes")
        );
        let nested = json!({"a": [[1, 2], [3, {"b": ["x", "378282246310005"]}]]});
        assert_eq!(find_in_json(&nested).as_deref(), Some("a[1][1].b[1]"));
    }

    #[test]
    fn json_root_value_holding_a_card_number_is_reported_as_dot() {
        assert_eq!(
            find_in_json(&json!("4111111111111111")).as_deref(),
            Some(".")
        );
        assert_eq!(
            find_in_json(&json!(["4111111111111111"])).as_deref(),
            Some("[0]")
        );
    }

    #[test]
    fn json_key_holding_a_card_number_is_reported_masked() {
        let body = json!({"meta": {"4111111111111111": true}});
        assert_eq!(
            find_in_json(&body).as_deref(),
            Some("meta.****************")
        );
    }

    #[test]
    fn json_without_card_numbers_reports_nothing() {
        let body = json!({
            "customer_id": "12345678-1234-4234-8234-123456789012",
            "issue_date": "2024-01-31",
            "lines": [{"quantity": "1234.5600", "unit_price": 19.99, "discount_percent": 0}],
            "paid": true,
            "notes": null
        });
        assert_eq!(find_in_json(&body), None);
    }

    #[test]
    fn query_reports_the_parameter_holding_a_card_number() {
        assert_eq!(
            find_in_query("status=draft&q=4111+1111+1111+1111").as_deref(),
            Some("q")
        );
        assert_eq!(find_in_query("q=%34111111111111111").as_deref(), Some("q"));
        assert_eq!(
            find_in_query("4111111111111111=1").as_deref(),
            Some("****************")
        );
        assert_eq!(find_in_query("min_total=1234.56&limit=50"), None);
    }

    #[test]
    fn refusal_is_a_422_naming_the_field_with_code_card_number() {
        let e = refusal("notes".to_string());
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.code(), "validation_failed");
        assert_eq!(
            e.field_errors(),
            [FieldError::new("notes", "card_number", MESSAGE)]
        );
    }

    #[test]
    fn refusal_body_never_contains_the_digits() -> Res {
        for pan in TEST_CARDS {
            let body = json!({"notes": format!("card {pan}"), pan: 1});
            let field = find_in_json(&body).ok_or("no card number found")?;
            let text = serde_json::to_string(&refusal(field).problem())?;
            assert!(!text.contains(pan), "{text}");
            let text = serde_json::to_string(&refusal(pan.to_string()).problem())?;
            assert!(!text.contains(pan), "{text}");
        }
        Ok(())
    }
}
