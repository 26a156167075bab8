//! Multi-row statements for the `VALUES` form: how a batch is cut into statements and how
//! their parameters are written on each backend. (On Postgres the writer's hot statements
//! take the batch as one JSON parameter instead: `progress_pg`.)

use sqlx::AnyConnection;

/// Rows per multi-row statement at most: well under both backends' bind-parameter limits.
const MAX_CHUNK: usize = 256;

/// Splits `rows` into chunks whose sizes are powers of two: a batch of any size then runs as
/// a few statements the connection has prepared before (its statement cache is keyed by the
/// SQL text), instead of one statement to parse anew for every batch size.
pub(super) fn chunks<T>(mut rows: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        if rows.is_empty() {
            return None;
        }
        let size = MAX_CHUNK.min(1 << rows.len().ilog2());
        let (chunk, rest) = rows.split_at(size);
        rows = rest;
        Some(chunk)
    })
}

/// How a multi-row statement writes its parameters.
#[derive(Clone, Copy)]
pub(super) enum Marks {
    /// `$1, $2, ...` (Postgres).
    Numbered,
    /// `?, ?, ...` (SQLite). SQLite treats `$n` as a named parameter and finds each one's
    /// index by walking a list of all names, which makes binding a statement of a few
    /// hundred parameters quadratic: it was the top entry of the ingest path's profile.
    Anonymous,
}

impl Marks {
    pub(super) fn of(conn: &AnyConnection) -> Marks {
        match super::Backend::of_connection(conn) {
            super::Backend::Sqlite => Marks::Anonymous,
            super::Backend::Postgres => Marks::Numbered,
        }
    }

    /// `($1, $2), ($3, $4)` for `rows` rows of `cols` values; `literals` follow each row's
    /// parameters as they are.
    pub(super) fn rows(self, rows: usize, cols: usize, literals: &str) -> String {
        use std::fmt::Write;
        // Built in one buffer: with a batch of rows this runs for thousands of parameters.
        let mut sql = String::with_capacity(rows * (cols * 6 + literals.len() + 4));
        for r in 0..rows {
            sql.push_str(if r == 0 { "(" } else { ", (" });
            for c in 1..=cols {
                if c > 1 {
                    sql.push_str(", ");
                }
                match self {
                    Marks::Numbered => write!(sql, "${}", r * cols + c).expect("writing to a String"),
                    Marks::Anonymous => sql.push('?'),
                }
            }
            sql.push_str(literals);
            sql.push(')');
        }
        sql
    }
}

#[cfg(test)]
mod tests;
