//! Where a cached version came from, when it was fetched from a store, and the store's own
//! findings about it.
//!
//! A version imported from a local file has no row here. One fetched from AMO keeps the page it
//! came from and AMO's ids, so lists can say "from addons.mozilla.org" and a decision can link
//! the store's review page; AMO's validation results are kept per version as the store sent
//! them, and read leniently when a review opens.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

/// The `source` under which AMO's linter results are kept.
pub const VALIDATOR_SOURCE: &str = "amo_validator";

/// Where a fetched version came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionOrigin {
    /// The add-on's public page (or, when AMO gave none, its API URL).
    pub page_url: String,
    /// The AMO instance, `scheme://host[:port]`.
    pub amo_origin: String,
    /// AMO's add-on id.
    pub amo_addon_id: i64,
    /// AMO's version id.
    pub amo_version_id: i64,
    /// AMO's file id.
    pub amo_file_id: i64,
    /// `listed` or `unlisted`.
    pub channel: String,
    /// When it was fetched, RFC 3339 UTC.
    pub fetched_at: String,
}

impl Store {
    /// Records where version `version_id` came from (replacing an earlier record).
    pub fn set_origin(&self, version_id: i64, origin: &VersionOrigin) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO version_origins (version_id, page_url, amo_origin, amo_addon_id,
                 amo_version_id, amo_file_id, channel, fetched_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (version_id) DO UPDATE SET page_url = excluded.page_url,
                 amo_origin = excluded.amo_origin, amo_addon_id = excluded.amo_addon_id,
                 amo_version_id = excluded.amo_version_id, amo_file_id = excluded.amo_file_id,
                 channel = excluded.channel, fetched_at = excluded.fetched_at",
            params![
                version_id,
                origin.page_url,
                origin.amo_origin,
                origin.amo_addon_id,
                origin.amo_version_id,
                origin.amo_file_id,
                origin.channel,
                origin.fetched_at
            ],
        )?;
        Ok(())
    }

    /// Where version `version_id` came from, if it was fetched.
    pub fn origin(&self, version_id: i64) -> Result<Option<VersionOrigin>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT page_url, amo_origin, amo_addon_id, amo_version_id, amo_file_id, channel,
                     fetched_at
                 FROM version_origins WHERE version_id = ?1",
                [version_id],
                |r| {
                    Ok(VersionOrigin {
                        page_url: r.get(0)?,
                        amo_origin: r.get(1)?,
                        amo_addon_id: r.get(2)?,
                        amo_version_id: r.get(3)?,
                        amo_file_id: r.get(4)?,
                        channel: r.get(5)?,
                        fetched_at: r.get(6)?,
                    })
                },
            )
            .optional()?)
    }

    /// Keeps `body` (the store's JSON, unparsed) as version `version_id`'s findings from
    /// `source`, replacing earlier ones from that source.
    pub fn set_findings(
        &self,
        version_id: i64,
        source: &str,
        body: &str,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO version_findings (version_id, source, body) VALUES (?1, ?2, ?3)
             ON CONFLICT (version_id, source) DO UPDATE SET body = excluded.body",
            params![version_id, source, body],
        )?;
        Ok(())
    }

    /// The cached version whose package bytes hash to `sha256` (lowercase hex).
    pub fn version_by_sha256(&self, sha256: &str) -> Result<Option<i64>, StoreError> {
        super::version_id_by_sha256(self.conn(), sha256)
    }

    /// Version `version_id`'s findings from `source`, as stored.
    pub fn findings(&self, version_id: i64, source: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT body FROM version_findings WHERE version_id = ?1 AND source = ?2",
                params![version_id, source],
                |r| r.get(0),
            )
            .optional()?)
    }
}

/// A fetched version as AMO knows it: what a local decision on it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmoOrigin {
    /// AMO's add-on id.
    pub amo_addon_id: i64,
    /// The add-on's guid.
    pub guid: String,
    /// The add-on's name in that version.
    pub name: String,
    /// AMO's version id.
    pub amo_version_id: i64,
    /// The version string.
    pub version: String,
    /// The package's sha256.
    pub sha256: String,
    /// The AMO it came from (scheme, host, port).
    pub amo_origin: String,
    /// `listed` or `unlisted`.
    pub channel: String,
}

const AMO_ORIGIN_SELECT: &str = "
SELECT o.amo_addon_id, a.guid, v.name, o.amo_version_id, v.version, v.xpi_sha256, o.amo_origin,
       o.channel
FROM version_origins o JOIN versions v ON v.id = o.version_id JOIN addons a ON a.id = v.addon_id";

fn amo_origin(r: &rusqlite::Row<'_>) -> rusqlite::Result<AmoOrigin> {
    Ok(AmoOrigin {
        amo_addon_id: r.get(0)?,
        guid: r.get(1)?,
        name: r.get(2)?,
        amo_version_id: r.get(3)?,
        version: r.get(4)?,
        sha256: r.get(5)?,
        amo_origin: r.get(6)?,
        channel: r.get(7)?,
    })
}

impl Store {
    /// Where the cached version `version_id` was fetched from, if it was fetched from AMO.
    pub fn amo_origin_of(&self, version_id: i64) -> Result<Option<AmoOrigin>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!("{AMO_ORIGIN_SELECT} WHERE o.version_id = ?1"),
                [version_id],
                amo_origin,
            )
            .optional()?)
    }

    /// The fetched add-on named `addon` (AMO id, guid or slug) and its version with AMO id
    /// `amo_version_id`, or its newest fetched version.
    pub fn amo_origin_named(
        &self,
        addon: &str,
        amo_version_id: Option<i64>,
    ) -> Result<Option<AmoOrigin>, StoreError> {
        let slug_pattern = format!("%/addon/{addon}/%");
        Ok(self
            .conn()
            .query_row(
                &format!(
                    "{AMO_ORIGIN_SELECT}
                     WHERE (CAST(o.amo_addon_id AS TEXT) = ?1 OR a.guid = ?1 OR o.page_url LIKE ?2)
                       AND (?3 IS NULL OR o.amo_version_id = ?3)
                     ORDER BY o.amo_version_id DESC LIMIT 1"
                ),
                rusqlite::params![addon, slug_pattern, amo_version_id],
                amo_origin,
            )
            .optional()?)
    }

    /// The fetched versions of AMO add-on `amo_addon_id` from the AMO at `amo_origin`, newest
    /// first, with their channel as the status.
    pub fn amo_version_choices(
        &self,
        amo_origin: &str,
        amo_addon_id: i64,
    ) -> Result<Vec<vetter_decision::VersionChoice>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT o.amo_version_id, v.version, o.channel FROM version_origins o
             JOIN versions v ON v.id = o.version_id
             WHERE o.amo_origin = ?1 AND o.amo_addon_id = ?2
             ORDER BY o.amo_version_id DESC LIMIT 1000",
        )?;
        let rows = stmt.query_map(rusqlite::params![amo_origin, amo_addon_id], |r| {
            Ok(vetter_decision::VersionChoice {
                id: r.get(0)?,
                version: r.get(1)?,
                status: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
