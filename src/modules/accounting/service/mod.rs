//! Business rules of the accounting module, by topic.

pub mod chart;
pub mod csv;
pub mod journal;
pub mod periods;
pub mod posting;
pub mod reports;

use sea_orm::{DbBackend, Statement, Value};

/// A statement written with `?` placeholders, numbered (`$1`, ...) for
/// PostgreSQL.
pub(crate) fn sql(backend: DbBackend, text: &str, values: Vec<Value>) -> Statement {
    if backend != DbBackend::Postgres {
        return Statement::from_sql_and_values(backend, text, values);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut n = 0;
    for c in text.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    Statement::from_sql_and_values(backend, out, values)
}
