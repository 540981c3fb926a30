//! Business rules of the inventory module, by topic.

pub mod catalogue;
pub mod procurement;
pub mod stock;
