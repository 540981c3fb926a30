//! Business rules of the auth module, by topic.

pub mod identity;
pub mod invitations;
pub mod members;
pub mod mfa;
pub mod organizations;
pub mod outbox;
pub mod profile;
pub mod security;
pub mod sessions;
pub mod teams;
pub mod totp;
