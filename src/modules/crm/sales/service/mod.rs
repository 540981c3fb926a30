//! Use cases of quotes, sales orders and fulfilments, one file per topic.

pub mod acceptance;
pub mod fulfilments;
pub mod lines;
pub mod order_changes;
pub mod orders;
pub mod quotes;
