//! The reference review server's database on PostgreSQL: its schema steps and the one way to
//! bring a database up to date. Like [`crate::server_db`] for SQLite, the schema lives here and
//! the server keeps only its queries.

use postgres::GenericClient;
use sha2::{Digest, Sha256};

/// The schema steps, in order; a released step never changes (its checksum is kept).
const STEPS: &[(&str, &str)] = &[(
    "0001_reference_server.sql",
    include_str!("../migrations/server-postgres/0001_reference_server.sql"),
)];

/// The advisory lock held while the schema is migrated, so processes starting at once do not
/// both apply a step.
const MIGRATE_LOCK: i64 = 0x7665_7474_6572_0002;

/// Why a database could not be brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// PostgreSQL refused a statement.
    #[error("migrating the server database: {0}")]
    Postgres(#[from] postgres::Error),
    /// The database's applied steps are not this build's.
    #[error("{0}")]
    Mismatch(String),
}

/// Applies the steps not applied yet, each in its own transaction, and refuses a database whose
/// applied steps differ from this build's (an edited release, or a newer server).
pub fn migrate(client: &mut postgres::Client) -> Result<(), MigrateError> {
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATE_LOCK])?;
    let result = apply(client);
    client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATE_LOCK])?;
    result
}

fn apply(client: &mut postgres::Client) -> Result<(), MigrateError> {
    client.batch_execute(
        "SET client_min_messages TO WARNING;
         CREATE TABLE IF NOT EXISTS schema_steps (
            step INTEGER PRIMARY KEY, name TEXT NOT NULL, sha256 TEXT NOT NULL,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
         RESET client_min_messages",
    )?;
    let applied: Vec<(i32, String, String)> = client
        .query(
            "SELECT step, name, sha256 FROM schema_steps ORDER BY step",
            &[],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    if applied.len() > STEPS.len() {
        return Err(MigrateError::Mismatch(format!(
            "the database has {} schema steps and this server knows {}: it was migrated by a newer server",
            applied.len(),
            STEPS.len()
        )));
    }
    for (n, (name, sql)) in STEPS.iter().enumerate() {
        let step = n as i32 + 1;
        let sha = hex::encode(Sha256::digest(sql.as_bytes()));
        if let Some((_, done_name, done_sha)) = applied.get(n) {
            if done_sha != &sha {
                return Err(MigrateError::Mismatch(format!(
                    "schema step {step} ({done_name}) was applied with other contents than this server's {name}"
                )));
            }
            continue;
        }
        let mut tx = client.transaction()?;
        tx.batch_execute(sql)?;
        tx.execute(
            "INSERT INTO schema_steps (step, name, sha256) VALUES ($1, $2, $3)",
            &[&step, name, &sha],
        )?;
        tx.commit()?;
    }
    Ok(())
}

/// Whether `client` can run queries (a trivial one).
pub fn ping(client: &mut impl GenericClient) -> Result<(), postgres::Error> {
    client.query_one("SELECT 1", &[]).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each released step's sha256, recorded when it was released: a database records the
    /// checksums it was migrated with and refuses a build whose steps differ.
    const RELEASED: &[(&str, &str)] = &[(
        "0001_reference_server.sql",
        "68afe676ff4a8ba14becda23b95c270a4bfe9f68327d49dc7df8d8db0ebccb60",
    )];

    #[test]
    fn released_postgres_steps_are_unchanged() {
        crate::server_db::tests::assert_released(STEPS, RELEASED, "server-postgres");
    }
}
