//! The cached add-ons and their versions, so the reviewer can pick a pair before a review opens.

use std::collections::BTreeMap;

use serde::Serialize;
use ts_rs::TS;
use vetter_store::{Store, VersionInfo};

use crate::error::ReviewError;

/// One add-on with every cached version of it, oldest import first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct AddonVersions {
    /// The add-on identity.
    pub guid: String,
    /// The name in its latest version's manifest.
    pub name: String,
    /// Its versions, oldest import first.
    pub versions: Vec<VersionInfo>,
}

impl AddonVersions {
    /// The pair a review opens with: the version before the latest, then the latest. `None`
    /// when only one version is cached.
    pub fn default_pair(&self) -> Option<(i64, i64)> {
        match self.versions.as_slice() {
            [.., old, new] => Some((old.id, new.id)),
            _ => None,
        }
    }
}

/// Every cached add-on with its versions, sorted by name (then identity).
pub fn cached_addons(store: &Store) -> Result<Vec<AddonVersions>, ReviewError> {
    let mut by_guid: BTreeMap<String, Vec<VersionInfo>> = BTreeMap::new();
    for v in store.versions()? {
        by_guid.entry(v.guid.clone()).or_default().push(v);
    }
    let mut out: Vec<AddonVersions> = by_guid
        .into_iter()
        .map(|(guid, mut versions)| {
            versions.sort_by_key(|v| v.id);
            let name = versions.last().map(|v| v.name.clone()).unwrap_or_default();
            AddonVersions {
                guid,
                name,
                versions,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then_with(|| a.guid.cmp(&b.guid))
    });
    Ok(out)
}
