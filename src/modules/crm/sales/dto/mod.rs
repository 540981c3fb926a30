//! Request and response bodies of quotes, sales orders and fulfilments.

mod lines;
mod orders;
mod quotes;

pub use lines::*;
pub use orders::*;
pub use quotes::*;
