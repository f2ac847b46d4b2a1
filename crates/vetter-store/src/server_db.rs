//! The reference review server's database: its schema and the one way to open it.
//!
//! The server keeps its own queries (its storage backend); what every SQLite file of Vetter
//! shares, the settings and the numbered, checksummed migrations, is kept here.

use std::path::Path;
use std::sync::{Condvar, Mutex};

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

use crate::{StoreError, open_file};

/// The server's migration steps, in order.
const STEPS: &[(&str, &str)] = &[
    (
        "0001_reference_server.sql",
        include_str!("../migrations/server/0001_reference_server.sql"),
    ),
    (
        "0002_key_history.sql",
        include_str!("../migrations/server/0002_key_history.sql"),
    ),
    (
        "0003_vocabulary.sql",
        include_str!("../migrations/server/0003_vocabulary.sql"),
    ),
    (
        "0004_presence.sql",
        include_str!("../migrations/server/0004_presence.sql"),
    ),
    (
        "0005_decision_log_append_only.sql",
        include_str!("../migrations/server/0005_decision_log_append_only.sql"),
    ),
];

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
    with_server_settings(conn)
}

/// One more connection to a server database [`open`] created and migrated.
fn connect(path: &Path) -> Result<Connection, StoreError> {
    with_server_settings(open_file(path)?)
}

/// What the server's connections add to every Vetter SQLite file's settings.
fn with_server_settings(conn: Connection) -> Result<Connection, StoreError> {
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// A few connections to the server database. Reads run side by side (WAL) on their own
/// connections; writes still queue on SQLite's write lock, which `open_file`'s busy timeout waits on.
pub struct Pool {
    idle: Mutex<Vec<Connection>>,
    returned: Condvar,
}

/// A connection taken from a [`Pool`]; it goes back when dropped.
pub struct Pooled<'a> {
    pool: &'a Pool,
    conn: Option<Connection>,
}

impl Pool {
    /// Opens `size` connections (at least one) to the server database at `path`, migrating it.
    pub fn open(path: &Path, size: usize) -> Result<Pool, StoreError> {
        // The first opens (and migrates) the file; the others only connect to it.
        let mut idle = vec![open(path)?];
        for _ in 1..size.max(1) {
            idle.push(connect(path)?);
        }
        Ok(Pool {
            idle: Mutex::new(idle),
            returned: Condvar::new(),
        })
    }

    /// Takes a connection, waiting for one to come back when all are in use. Call it only off
    /// the async workers (in `spawn_blocking`), since it blocks.
    pub fn get(&self) -> Pooled<'_> {
        // A panic while holding the list cannot leave it inconsistent: push and pop are whole.
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(conn) = idle.pop() {
                return Pooled {
                    pool: self,
                    conn: Some(conn),
                };
            }
            idle = self.returned.wait(idle).unwrap_or_else(|p| p.into_inner());
        }
    }
}

impl std::ops::Deref for Pooled<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
            .as_ref()
            .expect("a pooled connection is present until drop")
    }
}

impl std::ops::DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn
            .as_mut()
            .expect("a pooled connection is present until drop")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let mut idle = self.pool.idle.lock().unwrap_or_else(|p| p.into_inner());
            idle.push(conn);
            self.pool.returned.notify_one();
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    /// Each released step's sha256, recorded when it was released.
    const RELEASED: &[(&str, &str)] = &[
        (
            "0001_reference_server.sql",
            "6edd6058fc69a5abb311e6c0a959f4bbfc03d8288958c3b23753c48bfd6be1c4",
        ),
        (
            "0002_key_history.sql",
            "5d6bd94153c5598cec83aa04792b270d0f0e75e9326d93b37c370ea8a5431631",
        ),
        (
            "0003_vocabulary.sql",
            "855e3d9a3fed00e80d48823c1aab367435ff197cdbbadcad0c2dd4d234afebdb",
        ),
        (
            "0004_presence.sql",
            "fe8324fa8df9a4f598dccba6a4e77bb68dafca71f03db0dac51debf9f1d68e76",
        ),
        (
            "0005_decision_log_append_only.sql",
            "25c7686b55b0053bbb3d33045ec5e6e86ded86614384515d3dc40f972850c34e",
        ),
    ];

    /// Checks that `steps` are the `released` ones (name and sha256, in order), each in
    /// `folder` under `migrations/`; a released step is never edited, only followed by new ones.
    pub(crate) fn assert_released(steps: &[(&str, &str)], released: &[(&str, &str)], folder: &str) {
        assert_eq!(
            steps.len(),
            released.len(),
            "record each new step's checksum"
        );
        for ((name, sql), (released_name, sum)) in steps.iter().zip(released) {
            assert_eq!(name, released_name);
            assert_eq!(
                hex::encode(Sha256::digest(sql.as_bytes())),
                *sum,
                "migrations/{folder}/{name} was edited after release: add a new step instead"
            );
        }
    }

    #[test]
    fn released_server_migrations_are_unchanged() {
        assert_released(STEPS, RELEASED, "server");
    }

    #[test]
    fn key_rows_are_history_never_changed_or_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(&dir.path().join("server.sqlite3")).unwrap();
        conn.execute(
            "INSERT INTO reviewer_keys (kid, user_id, public_key, created_at) VALUES ('k', 1, 'A', 't')",
            [],
        )
        .unwrap();
        for refused in [
            "UPDATE reviewer_keys SET public_key = 'B' WHERE kid = 'k'",
            "UPDATE reviewer_keys SET user_id = 2 WHERE kid = 'k'",
            "DELETE FROM reviewer_keys WHERE kid = 'k'",
        ] {
            let err = conn.execute(refused, []).unwrap_err();
            assert!(
                err.to_string().contains("reviewer_keys"),
                "{refused}: {err}"
            );
        }
        conn.execute(
            "UPDATE reviewer_keys SET revoked_at = 'r1' WHERE kid = 'k'",
            [],
        )
        .unwrap();
        let again = conn.execute(
            "UPDATE reviewer_keys SET revoked_at = 'r2' WHERE kid = 'k'",
            [],
        );
        assert!(again.unwrap_err().to_string().contains("final"));
    }

    #[test]
    fn a_pool_hands_out_each_connection_once_and_takes_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let pool = Pool::open(&dir.path().join("server.sqlite3"), 2).unwrap();
        let a = pool.get();
        let b = pool.get();
        a.execute("INSERT INTO meta (key, value) VALUES ('x', '1')", [])
            .unwrap();
        let seen: String = b
            .query_row("SELECT value FROM meta WHERE key = 'x'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(seen, "1");
        drop(a);
        // The third taker waits for a return instead of opening a third connection.
        let c = pool.get();
        drop((b, c));
        assert_eq!(pool.idle.lock().unwrap().len(), 2);
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
