//! Fetching an add-on's versions from addons.mozilla.org (or any AMO instance) into the cache,
//! by page URL, API URL, slug, guid or id: what a reviewer does first with a reported add-on.
//!
//! Anonymous requests see public versions; with a key, the widest version list the key may see
//! is used (`all_with_deleted`, then `all_with_unlisted`, then public, falling back on 401/403).
//! Every download is checked against the store's `sha256:` hash before it is imported, follows
//! redirects only to the AMO origin and the CDN hosts on the allow-list, and never carries the
//! key off the AMO origin. One bad version (a wrong hash, no URL, a refused archive) is skipped
//! with its reason and never stops the others. Afterwards everything works offline.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde::Serialize;
use ts_rs::TS;
use vetter_protocol::amo::{Addon, FileValidation, Page, Version};
use vetter_protocol::auth::Credentials;
use vetter_protocol::routes::{self, VersionFilter};
use vetter_protocol::{AddonRef, AddonRefError, Client, Downloaded, ProtocolError, RetryPolicy};

use vetter_archive::Limits;
use vetter_decision::{rfc3339_millis, unix_millis_now};
use vetter_store::{Store, StoreError, VALIDATOR_SOURCE, VersionOrigin};

/// The AMO instance used when none is named.
pub const DEFAULT_AMO: &str = "https://addons.mozilla.org";
/// The CDN AMO redirects public downloads to.
pub const AMO_CDN: &str = "https://addons.cdn.mozilla.net";
/// The most versions one fetch downloads.
pub const MAX_VERSIONS: usize = 50;
/// Largest file downloaded (the archive reader's total limit is 250 MiB uncompressed).
const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// Version-list pages followed (50 per page).
const MAX_PAGES: usize = 40;

/// Why a fetch could not run at all (one version's failure is a [`VersionOutcome::Skipped`]).
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The reference names no add-on.
    #[error(transparent)]
    BadReference(#[from] AddonRefError),
    /// The AMO URL is not https (plain http is allowed for loopback only).
    #[error(
        "{url:?}: an AMO instance must be https:// (http:// only on 127.0.0.1, ::1 or localhost)"
    )]
    Insecure {
        /// The URL.
        url: String,
    },
    /// A pasted URL is on another host than the AMO instance.
    #[error(
        "{pasted} is on {pasted_origin}, but the AMO instance is {amo}; pass --amo {pasted_origin} to fetch from there"
    )]
    OtherOrigin {
        /// The pasted reference.
        pasted: String,
        /// Its origin.
        pasted_origin: String,
        /// The AMO instance.
        amo: String,
    },
    /// The add-on does not exist, or the caller may not see it.
    #[error("{amo} has no add-on {ident:?} that these credentials may see (HTTP {status})")]
    NotFound {
        /// The AMO instance.
        amo: String,
        /// What was asked for.
        ident: String,
        /// The status AMO answered.
        status: u16,
    },
    /// The add-on has no version this caller may see.
    #[error("{amo} lists no version of {addon} that these credentials may see")]
    NoVersions {
        /// The AMO instance.
        amo: String,
        /// The add-on.
        addon: String,
    },
    /// A request failed in a way that is not about one version.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// The cache could not be opened or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The partial-download folder could not be made.
    #[error("cannot create {path}: {error}")]
    Io {
        /// The folder.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
}

/// How many versions to fetch, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionCount {
    /// Every version the list holds (at most [`MAX_VERSIONS`]).
    All,
    /// The newest `n` (at most [`MAX_VERSIONS`]).
    Newest(usize),
}

impl std::str::FromStr for VersionCount {
    type Err = String;
    fn from_str(text: &str) -> Result<VersionCount, String> {
        match text {
            "all" => Ok(VersionCount::All),
            "latest" => Ok(VersionCount::Newest(1)),
            n => n
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .map(VersionCount::Newest)
                .ok_or_else(|| format!("{n:?} is not all, latest or a positive number")),
        }
    }
}

/// How to fetch.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// The AMO instance, e.g. `https://addons.mozilla.org`.
    pub amo: String,
    /// An API key; anonymous when `None`.
    pub credentials: Option<Credentials>,
    /// The data folder.
    pub data_dir: PathBuf,
    /// How many versions.
    pub versions: VersionCount,
    /// Origins downloads may be redirected to besides the AMO instance (its CDN).
    pub download_origins: Vec<String>,
    /// Retries of each request.
    pub retry: RetryPolicy,
    /// Read timeout of each request.
    pub read_timeout: Duration,
    /// Versions asked for per page (AMO allows 1 to 50).
    pub page_size: u32,
}

impl FetchOptions {
    /// Defaults: anonymous, every version, AMO's CDN allowed when `amo` is AMO itself.
    pub fn new(amo: &str, data_dir: &Path) -> FetchOptions {
        // One that is no server URL is kept as given: the fetch refuses it, naming it.
        let amo = routes::normalize_server(amo).unwrap_or_else(|_| amo.to_owned());
        let download_origins = if amo == DEFAULT_AMO {
            vec![AMO_CDN.to_owned()]
        } else {
            Vec::new()
        };
        FetchOptions {
            amo,
            credentials: None,
            data_dir: data_dir.to_owned(),
            versions: VersionCount::All,
            download_origins,
            retry: RetryPolicy::default(),
            read_timeout: Duration::from_secs(30),
            page_size: 50,
        }
    }
}

/// The phase a fetch is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FetchPhase {
    /// Looking the add-on up.
    Resolving,
    /// Listing its versions.
    Listing,
    /// Downloading and importing versions.
    Downloading,
    /// Finished.
    Done,
}

/// One progress event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct FetchProgress {
    /// The phase.
    pub phase: FetchPhase,
    /// Versions finished (downloaded, already cached or skipped).
    #[ts(type = "number")]
    pub done: u64,
    /// Versions to fetch.
    #[ts(type = "number")]
    pub total: u64,
    /// Bytes received so far.
    #[ts(type = "number")]
    pub bytes: u64,
    /// The version being worked on, or the last outcome, for a status line.
    pub message: String,
}

/// The add-on a fetch found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct FetchedAddon {
    /// AMO's id.
    #[ts(type = "number")]
    pub amo_id: i64,
    /// The extension id.
    pub guid: Option<String>,
    /// The slug.
    pub slug: Option<String>,
    /// The name, in the add-on's default locale.
    pub name: String,
    /// The public page (or the API URL when AMO gave none).
    pub page_url: String,
}

/// What happened to one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[ts(export)]
pub enum VersionOutcome {
    /// Downloaded, verified and imported (or found already cached with the same bytes).
    Imported {
        /// The cache's version id (usable with `vetter diff`).
        #[ts(type = "number")]
        version_id: i64,
        /// How lists name it (with a short hash when builds share the version string).
        label: String,
        /// The bytes were already in the cache; nothing was downloaded.
        already_cached: bool,
        /// Findings of AMO's validator kept with it.
        #[ts(type = "number")]
        findings: u64,
    },
    /// Not fetched, and why.
    Skipped {
        /// The reason, naming the file and the rule.
        reason: String,
    },
}

/// One version of the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct FetchedVersion {
    /// AMO's version id.
    #[ts(type = "number")]
    pub amo_version_id: i64,
    /// The version string.
    pub version: String,
    /// `listed` or `unlisted`.
    pub channel: String,
    /// Whether AMO marks it deleted.
    pub deleted: bool,
    /// What happened.
    pub outcome: VersionOutcome,
}

/// What a fetch did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct FetchReport {
    /// The AMO instance.
    pub amo: String,
    /// Whether requests were signed with an API key.
    pub signed: bool,
    /// The version filter AMO accepted (`all_with_deleted`, `all_with_unlisted` or `public`).
    pub filter: String,
    /// The add-on.
    pub addon: FetchedAddon,
    /// Versions AMO lists under that filter.
    #[ts(type = "number")]
    pub listed: u64,
    /// Set when fewer versions were fetched than listed, saying why.
    pub capped: Option<String>,
    /// The versions worked on, newest first.
    pub versions: Vec<FetchedVersion>,
    /// Whether AMO's validation results could be read (a reviewer key).
    pub validation_read: bool,
    /// HTTP requests sent.
    #[ts(type = "number")]
    pub requests: u64,
    /// Bytes received.
    #[ts(type = "number")]
    pub bytes: u64,
}

impl FetchReport {
    /// The cache ids of the imported versions, newest first.
    pub fn imported_ids(&self) -> Vec<i64> {
        self.versions
            .iter()
            .filter_map(|v| match v.outcome {
                VersionOutcome::Imported { version_id, .. } => Some(version_id),
                VersionOutcome::Skipped { .. } => None,
            })
            .collect()
    }
}

/// Checks that `amo` is https, or http on a loopback host.
pub fn check_amo_url(amo: &str) -> Result<reqwest::Url, FetchError> {
    let insecure = || FetchError::Insecure {
        url: amo.to_owned(),
    };
    let url = reqwest::Url::parse(amo).map_err(|_| insecure())?;
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" if vetter_protocol::routes::is_loopback(&url) => Ok(url),
        _ => Err(insecure()),
    }
}

/// Fetches `reference` from `options.amo` into the cache.
pub async fn fetch(
    reference: &str,
    options: &FetchOptions,
    progress: &(dyn Fn(FetchProgress) + Send + Sync),
) -> Result<FetchReport, FetchError> {
    let parsed = AddonRef::parse(reference)?;
    check_amo_url(&options.amo)?;
    for origin in &options.download_origins {
        check_amo_url(origin)?;
    }
    let client = Client::build(
        &options.amo,
        options.credentials.clone(),
        options.retry.clone(),
        options.read_timeout,
    )?
    .with_download_origins(&options.download_origins)?;
    let amo = client.origin();
    if let Some(pasted_origin) = &parsed.origin
        && *pasted_origin != amo
    {
        return Err(FetchError::OtherOrigin {
            pasted: reference.trim().chars().take(200).collect(),
            pasted_origin: pasted_origin.clone(),
            amo,
        });
    }
    let bytes = |c: &Client| c.counters.bytes.load(Ordering::Relaxed);
    let note = |phase, done, total, message: String| {
        progress(FetchProgress {
            phase,
            done,
            total,
            bytes: bytes(&client),
            message,
        })
    };
    note(
        FetchPhase::Resolving,
        0,
        0,
        format!("looking up {}", parsed.ident),
    );

    let detail_url = client.url(&routes::addon(&parsed.ident))?;
    let addon: Addon = match client.get(&detail_url).await {
        Ok(addon) => addon,
        Err(e) if matches!(e.status(), Some(401 | 403 | 404)) => {
            return Err(FetchError::NotFound {
                amo,
                ident: parsed.ident.to_string(),
                status: e.status().unwrap_or(404),
            });
        }
        Err(e) => return Err(e.into()),
    };
    let lang = addon
        .default_locale
        .clone()
        .unwrap_or_else(|| "en-US".into());
    let name = addon
        .name
        .best(&lang)
        .map(str::to_owned)
        .or_else(|| addon.slug.clone())
        .unwrap_or_else(|| format!("add-on {}", addon.id));
    let page_url = addon
        .url
        .clone()
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .unwrap_or_else(|| detail_url.to_string());
    let fetched_addon = FetchedAddon {
        amo_id: addon.id,
        guid: addon.guid.clone(),
        slug: addon.slug.clone(),
        name: name.clone(),
        page_url: page_url.clone(),
    };

    note(
        FetchPhase::Listing,
        0,
        0,
        format!("listing versions of {name}"),
    );
    let wanted = match options.versions {
        VersionCount::All => MAX_VERSIONS,
        VersionCount::Newest(n) => n.min(MAX_VERSIONS),
    };
    let (filter, listed, mut versions) =
        list_versions(&client, addon.id, wanted, options.page_size.clamp(1, 50)).await?;
    if versions.is_empty() {
        return Err(FetchError::NoVersions { amo, addon: name });
    }
    // AMO lists newest first (by creation), which is the order kept.
    versions.truncate(wanted);
    let capped = (listed as usize > versions.len()).then(|| {
        let why = match options.versions {
            VersionCount::Newest(n) if n <= MAX_VERSIONS => format!("as asked (--versions {n})"),
            _ => format!("the most one fetch takes is {MAX_VERSIONS}; use --versions N"),
        };
        format!(
            "{listed} versions listed; fetched the newest {}: {why}",
            versions.len()
        )
    });

    let partial = options.data_dir.join("partial");
    tokio::fs::create_dir_all(&partial)
        .await
        .map_err(|error| FetchError::Io {
            path: partial.clone(),
            error,
        })?;
    let mut store = Store::open(&options.data_dir)?;
    let total = versions.len() as u64;
    let mut out = Vec::new();
    let mut validation_allowed = client.is_signed();
    let mut validation_read = false;
    for (n, v) in versions.iter().enumerate() {
        note(
            FetchPhase::Downloading,
            n as u64,
            total,
            format!("{} {}", name, v.version),
        );
        let channel = v.channel.clone().unwrap_or_else(|| "listed".into());
        let outcome =
            match fetch_one(&client, &mut store, v, &partial, progress, n as u64, total).await? {
                Ok((version_id, file_id, already_cached)) => {
                    store.set_origin(
                        version_id,
                        &VersionOrigin {
                            page_url: page_url.clone(),
                            amo_origin: amo.clone(),
                            amo_addon_id: addon.id,
                            amo_version_id: v.id,
                            amo_file_id: file_id,
                            channel: channel.clone(),
                            fetched_at: rfc3339_millis(unix_millis_now()),
                        },
                    )?;
                    let mut findings = 0;
                    if validation_allowed {
                        match validation(&client, addon.id, file_id).await {
                            Ok(body) => {
                                validation_read = true;
                                findings = body.validation.all().count() as u64;
                                let text = serde_json::to_string(&body).unwrap_or_default();
                                store.set_findings(version_id, VALIDATOR_SOURCE, &text)?;
                            }
                            // Not a reviewer: skipped quietly, and not asked again.
                            Err(e) if matches!(e.status(), Some(401 | 403)) => {
                                validation_allowed = false;
                            }
                            // AMO keeps no results for this file (older uploads): nothing to show.
                            Err(e) if e.status() == Some(404) => {}
                            Err(e) => {
                                tracing::warn!(file_id, "AMO validation not read: {e}");
                            }
                        }
                    }
                    VersionOutcome::Imported {
                        version_id,
                        label: store.version(version_id)?.build.label,
                        already_cached,
                        findings,
                    }
                }
                Err(reason) => VersionOutcome::Skipped { reason },
            };
        note(
            FetchPhase::Downloading,
            n as u64 + 1,
            total,
            match &outcome {
                VersionOutcome::Imported { label, .. } => format!("{name} {label}: imported"),
                VersionOutcome::Skipped { reason } => format!("{name} {}: {reason}", v.version),
            },
        );
        out.push(FetchedVersion {
            amo_version_id: v.id,
            version: v.version.clone(),
            channel,
            deleted: v.is_deleted.unwrap_or(false),
            outcome,
        });
    }
    let report = FetchReport {
        amo,
        signed: client.is_signed(),
        filter: filter.param().unwrap_or("public").to_owned(),
        addon: fetched_addon,
        listed,
        capped,
        versions: out,
        validation_read,
        requests: client.counters.requests.load(Ordering::Relaxed),
        bytes: bytes(&client),
    };
    note(FetchPhase::Done, total, total, String::new());
    Ok(report)
}

/// Lists up to `wanted` versions with the widest filter the caller may use; returns the filter,
/// how many versions AMO lists under it, and the versions read.
async fn list_versions(
    client: &Client,
    addon_id: i64,
    wanted: usize,
    page_size: u32,
) -> Result<(VersionFilter, u64, Vec<Version>), ProtocolError> {
    let mut filter = if client.is_signed() {
        VersionFilter::AllWithDeleted
    } else {
        VersionFilter::Public
    };
    loop {
        let mut url = client.url(&routes::versions(addon_id))?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(f) = filter.param() {
                q.append_pair("filter", f);
            }
            q.append_pair("page_size", &page_size.to_string());
        }
        let first: Page<Version> = match client.get(&url).await {
            Ok(page) => page,
            Err(e) if matches!(e.status(), Some(401 | 403)) => match filter.narrower() {
                Some(narrower) => {
                    filter = narrower;
                    continue;
                }
                None => return Err(e),
            },
            Err(e) => return Err(e),
        };
        let listed = first.count;
        let mut versions = first.results;
        let mut next = first.next;
        let mut pages = 1;
        while let Some(link) = next.take() {
            if versions.len() >= wanted || pages >= MAX_PAGES {
                break;
            }
            // Pages are followed only on AMO's own origin: the key goes with them.
            let url = client.same_origin(&link)?;
            let page: Page<Version> = client.get(&url).await?;
            pages += 1;
            if page.results.is_empty() {
                break;
            }
            versions.extend(page.results);
            next = page.next;
        }
        return Ok((filter, listed, versions));
    }
}

/// Downloads, verifies and imports one version. The outer error stops the fetch (the cache
/// failed); the inner one skips this version with its reason.
async fn fetch_one(
    client: &Client,
    store: &mut Store,
    v: &Version,
    partial: &Path,
    progress: &(dyn Fn(FetchProgress) + Send + Sync),
    done: u64,
    total: u64,
) -> Result<Result<(i64, i64, bool), String>, FetchError> {
    let Some(file) = &v.file else {
        return Ok(Err(format!("version {}: AMO lists no file", v.id)));
    };
    let sha256 = match file.sha256() {
        Ok(h) => h,
        Err(reason) => return Ok(Err(reason)),
    };
    let Some(size) = file.size.filter(|s| *s <= MAX_FILE_BYTES) else {
        return Ok(Err(format!(
            "file {}: size missing or over {MAX_FILE_BYTES} bytes",
            file.id
        )));
    };
    if let Some(id) = store.version_by_sha256(&sha256)? {
        return Ok(Ok((id, file.id, true)));
    }
    let Some(link) = &file.url else {
        return Ok(Err(format!("file {}: AMO gives no download URL", file.id)));
    };
    let url = match client.download_url(link) {
        Ok(u) => u,
        Err(e) => return Ok(Err(format!("file {}: {e}", file.id))),
    };
    let part = partial.join(format!("amo-{}-{sha256}.part", file.id));
    let on_bytes = |got: u64| {
        progress(FetchProgress {
            phase: FetchPhase::Downloading,
            done,
            total,
            bytes: client.counters.bytes.load(Ordering::Relaxed),
            message: format!("{} ({} of {} KiB)", v.version, got / 1024, size / 1024),
        })
    };
    let data = match client.download(&url, &part, size, &sha256, &on_bytes).await {
        Ok(Downloaded::Bytes(data, _)) => data,
        Ok(Downloaded::Mismatch { reason, .. }) => {
            return Ok(Err(format!("file {}: {reason}", file.id)));
        }
        Err(ProtocolError::Io { path, error }) => {
            return Err(FetchError::Io { path, error });
        }
        Err(e) => return Ok(Err(format!("file {}: {e}", file.id))),
    };
    let name = url
        .path_segments()
        .and_then(|mut s| s.next_back().map(str::to_owned))
        .map(|s| {
            percent_encoding::percent_decode_str(&s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("{}-{}.xpi", v.id, v.version));
    let result = store.import_archive(&name, &data, &Limits::default(), &mut |_| {});
    let _ = tokio::fs::remove_file(&part).await;
    match result {
        Ok(summary) => Ok(Ok((summary.version_id, file.id, false))),
        Err(
            e @ (StoreError::Sqlite(_) | StoreError::Migration(_) | StoreError::CreateDir { .. }),
        ) => Err(e.into()),
        Err(refusal) => Ok(Err(format!("file {}: {refusal}", file.id))),
    }
}

async fn validation(
    client: &Client,
    addon_id: i64,
    file_id: i64,
) -> Result<FileValidation, ProtocolError> {
    let url = client.url(&routes::file_validation(addon_id, file_id))?;
    client.get(&url).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_counts_read_all_latest_and_numbers() {
        assert_eq!("all".parse(), Ok(VersionCount::All));
        assert_eq!("latest".parse(), Ok(VersionCount::Newest(1)));
        assert_eq!("3".parse(), Ok(VersionCount::Newest(3)));
        assert!("0".parse::<VersionCount>().is_err());
        assert!("some".parse::<VersionCount>().is_err());
    }

    #[test]
    fn plain_http_is_for_loopback_only() {
        assert!(check_amo_url("https://addons.mozilla.org").is_ok());
        assert!(check_amo_url("http://127.0.0.1:8000").is_ok());
        assert!(check_amo_url("http://[::1]:8000").is_ok());
        assert!(check_amo_url("http://localhost:8000").is_ok());
        let err = check_amo_url("http://addons.example.org").unwrap_err();
        assert!(err.to_string().contains("must be https"), "{err}");
    }
}
