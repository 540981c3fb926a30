//! RFC 6238 TOTP (HMAC-SHA1, 30-second steps, 6 digits) and RFC 4648 base32.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Seconds per step.
pub const STEP_SECS: i64 = 30;
const DIGITS: u32 = 6;
const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Base32 without padding.
pub fn base32_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in data {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Base32 decoding (case-insensitive, padding and spaces ignored).
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| *c != b'=' && *c != b' ') {
        let v = ALPHABET.iter().position(|a| *a == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push((buffer >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    Some(out)
}

/// The code for one time step.
pub fn code_at_step(secret: &[u8], step: i64) -> u32 {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return 0;
    };
    mac.update(&step.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = (h[h.len() - 1] & 0x0f) as usize;
    let bin = (u32::from(h[offset] & 0x7f) << 24)
        | (u32::from(h[offset + 1]) << 16)
        | (u32::from(h[offset + 2]) << 8)
        | u32::from(h[offset + 3]);
    bin % 10u32.pow(DIGITS)
}

/// The step of a Unix time.
pub fn step_of(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP_SECS)
}

/// The 6-digit code for a base32 secret at a Unix time.
pub fn code(secret_b32: &str, unix_secs: i64) -> Option<String> {
    let secret = base32_decode(secret_b32)?;
    Some(format!("{:06}", code_at_step(&secret, step_of(unix_secs))))
}

/// The step (now, one before, one after: clock drift) that `code` matches.
pub fn matching_step(secret_b32: &str, code: &str, unix_secs: i64) -> Option<i64> {
    let secret = base32_decode(secret_b32)?;
    let code: u32 = code
        .trim()
        .parse()
        .ok()
        .filter(|_| code.trim().len() == DIGITS as usize)?;
    let now = step_of(unix_secs);
    [now, now - 1, now + 1]
        .into_iter()
        .find(|s| code_at_step(&secret, *s) == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_sha1_vectors_hold() {
        // RFC 6238 appendix B, SHA-1 seed "12345678901234567890" (8 digits there;
        // the last 6 digits here).
        let secret = b"12345678901234567890";
        for (t, expected) in [
            (59, 287_082),
            (1_111_111_109, 81_804),
            (1_234_567_890, 5_924),
            (2_000_000_000, 279_037),
        ] {
            assert_eq!(code_at_step(secret, step_of(t)), expected, "T={t}");
        }
    }

    #[test]
    fn base32_round_trips_rfc_4648_vectors() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("MZXW6YTBOI"), Some(b"foobar".to_vec()));
        assert_eq!(base32_decode("mzxw6ytboi======"), Some(b"foobar".to_vec()));
        assert!(base32_decode("not base32!").is_none());
    }

    #[test]
    fn a_code_matches_its_step_and_neighbours_only() {
        let secret = base32_encode(b"12345678901234567890");
        let now = 1_700_000_000;
        let Some(c) = code(&secret, now) else {
            panic!("the secret decodes");
        };
        assert_eq!(matching_step(&secret, &c, now), Some(step_of(now)));
        assert_eq!(matching_step(&secret, &c, now + 30), Some(step_of(now)));
        assert_eq!(matching_step(&secret, &c, now + 90), None);
        assert_eq!(matching_step(&secret, "12345", now), None);
    }
}
