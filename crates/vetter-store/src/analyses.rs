//! `capability_analyses` and `linter_runs`: the results of Vetter's own analyses of a version
//! and of Mozilla's addons-linter, kept as JSON. The store does not read the bodies; the
//! layer that wrote them parses them back and recomputes what does not parse.

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use crate::{Store, StoreError};

impl Store {
    /// The stored analysis of `version_id` under `key`, as JSON, if any.
    pub fn stored_analysis(
        &self,
        version_id: i64,
        key: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT body FROM capability_analyses WHERE version_id = ?1 AND key = ?2",
                params![version_id, key],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Keeps the analysis `body` of `version_id` under `key`, replacing the version's analyses
    /// under other keys (made by an older analysis or with another library index).
    pub fn store_analysis(&self, version_id: i64, key: &str, body: &str) -> Result<(), StoreError> {
        let tx = Transaction::new_unchecked(self.conn(), TransactionBehavior::Immediate)?;
        tx.execute(
            "DELETE FROM capability_analyses WHERE version_id = ?1",
            [version_id],
        )?;
        tx.execute(
            "INSERT INTO capability_analyses (version_id, key, body, analyzed_at)
             VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
            params![version_id, key, body],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Keeps the linter report `body` (JSON) of `version_id`, made by `linter_version`,
    /// replacing an older run.
    pub fn store_linter_run(
        &self,
        version_id: i64,
        linter_version: &str,
        body: &str,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO linter_runs (version_id, linter_version, body, ran_at)
             VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
             ON CONFLICT (version_id) DO UPDATE SET
               linter_version = excluded.linter_version, body = excluded.body,
               ran_at = excluded.ran_at",
            params![version_id, linter_version, body],
        )?;
        Ok(())
    }

    /// The newest linter report of `version_id` as (linter version, JSON body, when), if the
    /// linter ran on it.
    pub fn linter_run(
        &self,
        version_id: i64,
    ) -> Result<Option<(String, String, String)>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT linter_version, body, ran_at FROM linter_runs WHERE version_id = ?1",
                [version_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_with_version() -> (tempfile::TempDir, Store, i64) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let xpi = vetter_fixtures::addons::mv2_addon().to_xpi();
        let id = store
            .import_archive(
                "a.xpi",
                &xpi,
                &vetter_archive::Limits::default(),
                &mut |_| {},
            )
            .unwrap()
            .version_id;
        (dir, store, id)
    }

    #[test]
    fn an_analysis_under_a_new_key_replaces_the_old_one() {
        let (_dir, store, id) = store_with_version();
        assert_eq!(store.stored_analysis(id, "k1").unwrap(), None);
        store.store_analysis(id, "k1", "{\"a\":1}").unwrap();
        assert_eq!(
            store.stored_analysis(id, "k1").unwrap().as_deref(),
            Some("{\"a\":1}")
        );
        store.store_analysis(id, "k2", "{\"a\":2}").unwrap();
        assert_eq!(store.stored_analysis(id, "k1").unwrap(), None);
        assert_eq!(
            store.stored_analysis(id, "k2").unwrap().as_deref(),
            Some("{\"a\":2}")
        );
    }

    #[test]
    fn a_linter_run_replaces_the_previous_one() {
        let (_dir, store, id) = store_with_version();
        store.store_linter_run(id, "10.14.0", "{}").unwrap();
        store
            .store_linter_run(id, "10.15.0", "{\"errors\":[]}")
            .unwrap();
        let (version, body, _) = store.linter_run(id).unwrap().unwrap();
        assert_eq!(
            (version.as_str(), body.as_str()),
            ("10.15.0", "{\"errors\":[]}")
        );
    }
}
