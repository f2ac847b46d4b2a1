//! The reference review server's database: its schema and the one way to open it.
//!
//! The server keeps its own queries (its storage backend); what every SQLite file of Vetter
//! shares, the settings and the numbered, checksummed migrations, is kept here.

use std::path::Path;

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

use crate::{StoreError, open_file};

/// The server's migration steps, in order.
const STEPS: &[(&str, &str)] = &[(
    "0001_reference_server.sql",
    include_str!("../migrations/server/0001_reference_server.sql"),
)];

/// Opens (creating the folder and the file, and migrating) the server database at `path`.
pub fn open(path: &Path) -> Result<Connection, StoreError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|error| StoreError::CreateDir {
            path: dir.to_owned(),
            error,
        })?;
    }
    let mut conn = open_file(path)?;
    Migrations::new(STEPS.iter().map(|(_, sql)| M::up(sql)).collect()).to_latest(&mut conn)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    /// Each released step's sha256, recorded when it was released.
    const RELEASED: &[(&str, &str)] = &[(
        "0001_reference_server.sql",
        "6edd6058fc69a5abb311e6c0a959f4bbfc03d8288958c3b23753c48bfd6be1c4",
    )];

    #[test]
    fn released_server_migrations_are_unchanged() {
        for ((name, sql), (released_name, sum)) in STEPS.iter().zip(RELEASED) {
            assert_eq!(name, released_name);
            assert_eq!(
                hex::encode(Sha256::digest(sql.as_bytes())),
                *sum,
                "migrations/server/{name} was edited after release: add a new step instead"
            );
        }
    }

    #[test]
    fn a_server_database_made_before_migrations_opens_with_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.sqlite3");
        {
            // The server created its tables with IF NOT EXISTS and no user_version.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(STEPS[0].1).unwrap();
            conn.execute("INSERT INTO meta (key, value) VALUES ('seeded', '1')", [])
                .unwrap();
        }
        let conn = open(&path).unwrap();
        let seeded: String = conn
            .query_row("SELECT value FROM meta WHERE key = 'seeded'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(seeded, "1");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, STEPS.len() as i64);
    }
}
