//! Business rules of the auth module, by topic.

pub mod identity;
pub mod members;
pub mod security;
pub mod sessions;
