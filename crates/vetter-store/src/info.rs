//! Facts about this build and its cache, shown in the app's settings and by `vetter --version`.

use std::path::{Path, PathBuf};

use serde::Serialize;
use ts_rs::TS;

use crate::{Store, StoreError};

/// What a front end shows about the running Vetter and its local cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct AppInfo {
    /// The Vetter version, from the crate manifest.
    pub version: String,
    /// The folder that holds the SQLite cache.
    pub data_dir: String,
    /// The schema version of the cache (SQLite `user_version` after migrations).
    pub schema_version: u32,
}

impl AppInfo {
    /// Opens (creating and migrating if needed) the cache in `data_dir` and reports on it.
    pub fn gather(data_dir: &Path) -> Result<AppInfo, StoreError> {
        let store = Store::open(data_dir)?;
        Ok(AppInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            data_dir: data_dir.display().to_string(),
            schema_version: store.schema_version()?,
        })
    }
}

/// The default data folder: `$VETTER_DATA_DIR`, else the OS's per-user data folder.
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("VETTER_DATA_DIR") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("vetter")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gather_reports_migrated_schema_of_a_fresh_cache() {
        let dir = tempfile::tempdir().unwrap();
        let info = AppInfo::gather(dir.path()).unwrap();
        assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
        assert!(info.schema_version >= 1, "fresh cache must be migrated");
        assert!(dir.path().join(crate::DB_FILE).exists());
    }
}
