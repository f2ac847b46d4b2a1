//! What the fault, kill and hostile-input tests share: the real reference server run in-process
//! on 127.0.0.1 with the demo seed, its reviewers, raw calls to the decision API, the cache
//! invariants every test checks, a seeded generator, and the figures file each test writes.
//!
//! The server, the demo seed and its reviewers come from `vetter-testkit`, shared with the
//! CLI's tests.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

pub use vetter_testkit::{REVIEWER_KEY, REVIEWER_SECRET, Rng, Server, demo_seed, reviewer};

/// Errors of the support code: all are setup failures of a test, never findings.
#[derive(Debug, thiserror::Error)]
pub enum SupportError {
    /// A direct call to the server failed.
    #[error("{method} {url} failed: {detail}")]
    Http {
        /// Method.
        method: String,
        /// URL.
        url: String,
        /// Status or transport error.
        detail: String,
    },
    /// The client cache could not be read.
    #[error("cannot read the cache in {dir}: {detail}")]
    Cache {
        /// The data folder.
        dir: PathBuf,
        /// What failed.
        detail: String,
    },
    /// A figures file could not be written.
    #[error("cannot write figures to {path}: {error}")]
    Figures {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime always builds")
        .block_on(future)
}

/// Sends one request straight to the server (not through a proxy) and returns status and JSON.
pub fn call(
    method: &str,
    url: &str,
    content_type: Option<&str>,
    body: Option<Vec<u8>>,
) -> Result<(u16, serde_json::Value), SupportError> {
    let fail = |detail: String| SupportError::Http {
        method: method.to_owned(),
        url: url.to_owned(),
        detail,
    };
    block_on(async {
        let client = reqwest::Client::new();
        let method_value: reqwest::Method =
            method.parse().map_err(|_| fail("bad method".into()))?;
        let mut req = client
            .request(method_value, url)
            .header("Authorization", reviewer().authorization());
        if let Some(ct) = content_type {
            req = req.header("Content-Type", ct);
        }
        if let Some(body) = body {
            req = req.body(body);
        }
        let response = req.send().await.map_err(|e| fail(e.to_string()))?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(|e| fail(e.to_string()))?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        ))
    })
}

/// Registers `key` for the demo reviewer.
pub fn register_key(
    server: &str,
    key: &vetter_decision::signing::ReviewerKey,
) -> Result<(), SupportError> {
    let public = key.public_key();
    let url = format!("{server}/api/v5/reviewers/keys/{}/", public.kid());
    let body = serde_json::json!({"alg": "EdDSA", "public_key": public.to_base64url()});
    let (status, json) = call(
        "PUT",
        &url,
        Some("application/json"),
        Some(body.to_string().into_bytes()),
    )?;
    if matches!(status, 200 | 201) {
        Ok(())
    } else {
        Err(SupportError::Http {
            method: "PUT".into(),
            url,
            detail: format!("{status}: {json}"),
        })
    }
}

/// How many times each decision id is in the server's audit log (a count above 1 is a double).
pub fn server_decision_counts(server: &str) -> Result<HashMap<String, usize>, SupportError> {
    let mut counts = HashMap::new();
    let mut since = "0".to_owned();
    // Bounded: the CI and nightly runs record far fewer than 1,000 pages of decisions.
    for _ in 0..1000 {
        let url = format!("{server}/api/v5/reviewers/decisions/?since={since}&page_size=1000");
        let (status, page) = call("GET", &url, None, None)?;
        let results = page["results"].as_array().cloned().unwrap_or_default();
        if status != 200 || results.is_empty() {
            if status != 200 {
                return Err(SupportError::Http {
                    method: "GET".into(),
                    url,
                    detail: format!("{status}: {page}"),
                });
            }
            break;
        }
        for row in results {
            if let Some(id) = row["id"].as_str() {
                *counts.entry(id.to_owned()).or_default() += 1;
            }
        }
        since = page["cursor"].as_str().unwrap_or_default().to_owned();
    }
    Ok(counts)
}

/// The add-on `addon_id` and its version under review in the cache of `client_dir` (synced
/// before): what a reviewer would decide on.
pub fn cached_under_review(
    client_dir: &Path,
    addon_id: i64,
) -> Result<(vetter_decision::AddonRef, vetter_decision::VersionRef), SupportError> {
    let fail = |detail: String| SupportError::Cache {
        dir: client_dir.to_owned(),
        detail,
    };
    let conn = vetter_store::open_read_only(&client_dir.join(vetter_store::DB_FILE))
        .map_err(|e| fail(e.to_string()))?;
    conn.query_row(
        "SELECT v.id, v.version, v.sha256, a.guid FROM queue_entries q
         JOIN remote_versions v ON v.id = q.version_id
         JOIN remote_addons a ON a.id = q.addon_id WHERE q.addon_id = ?1 LIMIT 1",
        [addon_id],
        |r| {
            Ok((
                vetter_decision::AddonRef {
                    id: addon_id,
                    guid: r.get(3)?,
                },
                vetter_decision::VersionRef {
                    id: r.get(0)?,
                    version: r.get(1)?,
                    file_sha256: r.get(2)?,
                },
            ))
        },
    )
    .map_err(|e| fail(format!("add-on {addon_id} is not in the synced queue: {e}")))
}

/// `PRAGMA integrity_check` and the number of foreign-key violations of the cache in `dir`.
pub fn integrity(dir: &Path) -> Result<(String, i64), SupportError> {
    vetter_testkit::integrity(dir).map_err(|e| SupportError::Cache {
        dir: dir.to_owned(),
        detail: e.to_string(),
    })
}

/// What the cache holds of the server's review state, in a shape two caches can be compared
/// by: queue entry id → (queue, add-on, version id, version), plus each remote version's
/// advertised sha256 and, when cached, the sha256 of the bytes actually stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CacheState {
    /// Queue entries.
    pub entries: BTreeMap<i64, (String, i64, i64, String)>,
    /// Remote version id → (advertised sha256, sha256 of the stored archive if cached,
    /// refused: quarantined and not cached). A download retried after a refusal keeps its
    /// quarantine record once it succeeds, but is no longer refused.
    pub versions: BTreeMap<i64, (String, Option<String>, bool)>,
}

impl CacheState {
    /// Reads the state of the cache in `dir`.
    pub fn read(dir: &Path) -> Result<CacheState, SupportError> {
        let fail = |detail: String| SupportError::Cache {
            dir: dir.to_owned(),
            detail,
        };
        let conn = vetter_store::open_read_only(&dir.join(vetter_store::DB_FILE))
            .map_err(|e| fail(e.to_string()))?;
        let mut state = CacheState::default();
        let mut stmt = conn
            .prepare(
                "SELECT q.id, q.queue, q.addon_id, q.version_id, v.version FROM queue_entries q
                 JOIN remote_versions v ON v.id = q.version_id",
            )
            .map_err(|e| fail(e.to_string()))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            })
            .map_err(|e| fail(e.to_string()))?;
        for row in rows {
            let (id, value) = row.map_err(|e| fail(e.to_string()))?;
            state.entries.insert(id, value);
        }
        let mut stmt = conn
            .prepare(
                "SELECT r.id, r.sha256, v.xpi_sha256,
                        r.cached_version_id IS NULL AND EXISTS (SELECT 1 FROM quarantined_versions qv
                                                                WHERE qv.remote_version_id = r.id)
                 FROM remote_versions r LEFT JOIN versions v ON v.id = r.cached_version_id",
            )
            .map_err(|e| fail(e.to_string()))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))))
            .map_err(|e| fail(e.to_string()))?;
        for row in rows {
            let (id, value) = row.map_err(|e| fail(e.to_string()))?;
            state.versions.insert(id, value);
        }
        Ok(state)
    }

    /// Remote versions whose stored bytes do not hash to what the server advertised.
    pub fn wrong_hash_blobs(&self) -> Vec<i64> {
        self.versions
            .iter()
            .filter(|(_, (advertised, stored, _))| stored.as_ref().is_some_and(|s| s != advertised))
            .map(|(id, _)| *id)
            .collect()
    }
}

/// A count from the environment variable `name`, or `default` (the CI size) when unset or not
/// a number; the nightly script raises them.
pub fn count_from_env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The folder figures go to: `VETTER_RELIABILITY_DIR`, or `reliability/` in the cargo target
/// folder the running test binary was built into (`<target>/debug/deps/<test>`).
pub fn figures_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("VETTER_RELIABILITY_DIR") {
        return PathBuf::from(dir);
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_owned()))
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("reliability")
}

/// Writes `figures` as `<figures_dir>/<name>.json`, which scripts/reliability-summary prints.
pub fn write_figures(name: &str, figures: &serde_json::Value) -> Result<PathBuf, SupportError> {
    let dir = figures_dir();
    let path = dir.join(format!("{name}.json"));
    let fail = |error| SupportError::Figures {
        path: path.clone(),
        error,
    };
    std::fs::create_dir_all(&dir).map_err(fail)?;
    let text = serde_json::to_string_pretty(figures).unwrap_or_default();
    std::fs::write(&path, text).map_err(fail)?;
    Ok(path)
}
