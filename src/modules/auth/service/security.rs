//! Secrets: random tokens, their hashes, and bcrypt on the bounded blocking pool.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

use crate::platform::{error::AppError, state::AppState};

/// A random 256-bit token, base64url.
pub fn random_token() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| AppError::internal(anyhow::anyhow!("getrandom: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// SHA-256 hex of a token: what the database stores.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Lower-cased, trimmed email: the uniqueness key.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

async fn on_cpu_pool<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let _permit = state
        .cpu_heavy
        .acquire()
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("cpu semaphore closed: {e}")))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("blocking task failed: {e}")))
}

/// bcrypt hash at the configured cost, off the async workers.
pub async fn hash_password(state: &AppState, password: &str) -> Result<String, AppError> {
    let password = password.to_string();
    let cost = state.settings.auth.bcrypt_cost;
    on_cpu_pool(state, move || bcrypt::hash(password, cost))
        .await?
        .map_err(AppError::internal)
}

/// Verifies `password` against `hash`; with no hash (unknown email) it hashes
/// anyway, so both answers take the same time.
#[tracing::instrument(skip_all)]
pub async fn verify_password(
    state: &AppState,
    password: &str,
    hash: Option<String>,
) -> Result<bool, AppError> {
    let password = password.to_string();
    let cost = state.settings.auth.bcrypt_cost;
    on_cpu_pool(state, move || match hash {
        Some(h) => bcrypt::verify(password, &h).unwrap_or(false),
        None => {
            let _ = bcrypt::hash(password, cost);
            false
        }
    })
    .await
}

/// The most common passwords of at least 10 characters (breach corpora).
const COMMON: &[&str] = &[
    "1234567890",
    "12345678910",
    "123456789a",
    "1q2w3e4r5t",
    "1qaz2wsx3edc",
    "0987654321",
    "1111111111",
    "0000000000",
    "qwertyuiop",
    "password1",
    "password12",
    "password123",
    "password1234",
    "passw0rd123",
    "iloveyou12",
    "qwerty1234",
    "qwerty12345",
    "qwerty123456",
    "abcdefghij",
    "abc1234567",
    "abcd123456",
    "letmein123",
    "welcome123",
    "welcome1234",
    "administrator",
    "admin12345",
    "admin123456",
    "changeme123",
    "football123",
    "baseball123",
    "monkey12345",
    "dragon12345",
    "sunshine123",
    "princess123",
    "superman123",
    "trustno1234",
    "michael123",
    "jennifer123",
    "computer123",
    "internet123",
    "starwars123",
    "whatever123",
    "1q2w3e4r5t6y",
    "zaq12wsxcde3",
    "asdfghjkl1",
    "asdfghjkl123",
    "zxcvbnm123",
    "q1w2e3r4t5",
    "aaaaaaaaaa",
    "passwordpassword",
    "mainstay123",
    "mainstay2026",
];

/// Password policy beyond length: not common, not the email.
pub fn check_password_policy(password: &str, email: &str) -> Result<(), AppError> {
    let lower = password.to_lowercase();
    if COMMON.contains(&lower.as_str()) {
        return Err(AppError::invalid_field(
            "password",
            "common_password",
            "is too common; choose a longer or less predictable password",
        ));
    }
    if lower == normalize_email(email)
        || lower == normalize_email(email).split('@').next().unwrap_or("")
    {
        return Err(AppError::invalid_field(
            "password",
            "matches_email",
            "must not be the email address",
        ));
    }
    if password.len() > 72 {
        return Err(AppError::invalid_field(
            "password",
            "length",
            "must be at most 72 bytes",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_stable() -> Result<(), AppError> {
        let a = random_token()?;
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token()?);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_eq!(token_hash(&a).len(), 64);
        Ok(())
    }

    #[test]
    fn common_passwords_and_the_email_are_refused() {
        assert!(check_password_policy("Password123", "a@b.co").is_err());
        assert!(check_password_policy("ada@example.com", "Ada@Example.com").is_err());
        assert!(check_password_policy("tangerine-orbit-42", "a@b.co").is_ok());
    }
}
