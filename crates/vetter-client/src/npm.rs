//! Package tarballs from an npm registry, for the library index (`vetter libs update`).
//!
//! The registry's answers are untrusted: the package document is read for one version's
//! tarball address and integrity only, the tarball must come from the registry's own origin
//! (or https), its size is capped, and its sha512 must match the `integrity` the document
//! gave before anything reads it. No redirect is followed.

use std::time::Duration;

use base64::Engine as _;
use futures_util::StreamExt as _;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use reqwest::Url;
use sha2::{Digest, Sha512};

/// The public npm registry.
pub const DEFAULT_REGISTRY: &str = "https://registry.npmjs.org/";

/// Largest package document read (popular packages list thousands of versions).
pub const MAX_DOCUMENT: usize = 64 * 1024 * 1024;

/// Largest tarball downloaded.
pub const MAX_TARBALL: usize = 256 * 1024 * 1024;

/// Time allowed to each request.
const TIMEOUT: Duration = Duration::from_secs(120);

/// What a path segment of a package name must escape (a scoped name's `/` included).
const SEGMENT: &AsciiSet = &CONTROLS.add(b' ').add(b'/').add(b'?').add(b'#').add(b'%');

/// Why a package could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum NpmError {
    /// The registry address is not https (or http on this machine).
    #[error("registry {0} must be https (http only on this machine)")]
    Insecure(String),
    /// A package spec is not `name` or `name@version`.
    #[error("{0:?} is not a package spec (name or name@version)")]
    BadSpec(String),
    /// The request failed.
    #[error("{url}: {reason}")]
    Http {
        /// The address.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The registry does not have that package or version.
    #[error("the registry has no {0}")]
    NotFound(String),
    /// The package document is not what a registry serves.
    #[error("the registry's document for {package} is not usable: {reason}")]
    BadDocument {
        /// The package.
        package: String,
        /// What is wrong.
        reason: String,
    },
    /// The tarball is larger than [`MAX_TARBALL`] or the document than [`MAX_DOCUMENT`].
    #[error("{0} is larger than allowed")]
    TooLarge(String),
    /// The tarball's sha512 is not the integrity the registry gave.
    #[error("the tarball of {0} does not match its integrity sha512; nothing was indexed")]
    Integrity(String),
}

/// A fetched package version.
#[derive(Debug, Clone)]
pub struct NpmPackage {
    /// Its name.
    pub name: String,
    /// Its version (the latest when the spec named none).
    pub version: String,
    /// The tarball's bytes, verified.
    pub tarball: Vec<u8>,
}

/// Splits `spec` into name and version (`None`: the latest).
pub fn parse_spec(spec: &str) -> Result<(String, Option<String>), NpmError> {
    let bad = || NpmError::BadSpec(spec.to_owned());
    // A scoped name starts with `@`: the version's `@` is the one after the scope.
    let split_at = spec.get(1..).and_then(|rest| rest.find('@')).map(|i| i + 1);
    let (name, version) = match split_at {
        Some(i) => (&spec[..i], Some(&spec[i + 1..])),
        None => (spec, None),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 214
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-._~@/".contains(c))
        && name.matches('/').count() <= usize::from(name.starts_with('@'));
    if !name_ok {
        return Err(bad());
    }
    match version {
        Some(v) if v.is_empty() || v == "latest" => Ok((name.to_owned(), None)),
        Some(v)
            if v.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-+".contains(c)) =>
        {
            Ok((name.to_owned(), Some(v.to_owned())))
        }
        Some(_) => Err(bad()),
        None => Ok((name.to_owned(), None)),
    }
}

/// Checks that `registry` is https, or http on a loopback host.
pub fn check_registry(registry: &str) -> Result<Url, NpmError> {
    let url = Url::parse(registry).map_err(|_| NpmError::Insecure(registry.to_owned()))?;
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" if vetter_protocol::routes::is_loopback(&url) => Ok(url),
        _ => Err(NpmError::Insecure(registry.to_owned())),
    }
}

/// Fetches package `spec` (`name` or `name@version`) from `registry`.
pub async fn fetch_package(registry: &str, spec: &str) -> Result<NpmPackage, NpmError> {
    let base = check_registry(registry)?;
    let (name, wanted) = parse_spec(spec)?;
    let http = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| NpmError::Http {
            url: registry.to_owned(),
            reason: e.to_string(),
        })?;
    let mut doc_url = base.clone();
    let path = format!(
        "{}/{}",
        base.path().trim_end_matches('/'),
        utf8_percent_encode(&name, SEGMENT)
    );
    doc_url.set_path(&path);
    let doc = get(&http, &doc_url, MAX_DOCUMENT, &name).await?;
    let doc: serde_json::Value =
        serde_json::from_slice(&doc).map_err(|e| NpmError::BadDocument {
            package: name.clone(),
            reason: e.to_string(),
        })?;
    let bad = |reason: &str| NpmError::BadDocument {
        package: name.clone(),
        reason: reason.to_owned(),
    };
    let version = match wanted {
        Some(v) => v,
        None => doc["dist-tags"]["latest"]
            .as_str()
            .ok_or_else(|| bad("no latest version"))?
            .to_owned(),
    };
    let entry = &doc["versions"][&version];
    if entry.is_null() {
        return Err(NpmError::NotFound(format!("{name}@{version}")));
    }
    let tarball = entry["dist"]["tarball"]
        .as_str()
        .ok_or_else(|| bad("no tarball address"))?;
    let integrity = entry["dist"]["integrity"]
        .as_str()
        .ok_or_else(|| bad("no integrity"))?;
    let expected = integrity
        .split_whitespace()
        .find_map(|i| i.strip_prefix("sha512-"))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .ok_or_else(|| bad("no sha512 integrity"))?;
    let tarball_url =
        Url::parse(tarball).map_err(|_| bad("a tarball address that is not a URL"))?;
    let same_origin = tarball_url.origin() == base.origin();
    if !same_origin && tarball_url.scheme() != "https" {
        return Err(NpmError::Insecure(tarball.to_owned()));
    }
    let spec = format!("{name}@{version}");
    let bytes = get(&http, &tarball_url, MAX_TARBALL, &spec).await?;
    if Sha512::digest(&bytes).as_slice() != expected.as_slice() {
        return Err(NpmError::Integrity(spec));
    }
    Ok(NpmPackage {
        name,
        version,
        tarball: bytes,
    })
}

/// The body of `url`, at most `max` bytes.
async fn get(
    http: &reqwest::Client,
    url: &Url,
    max: usize,
    what: &str,
) -> Result<Vec<u8>, NpmError> {
    let fail = |reason: String| NpmError::Http {
        url: url.to_string(),
        reason,
    };
    let response = http
        .get(url.clone())
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| fail(e.to_string()))?;
    let status = response.status();
    if status == reqwest::StatusCode::NOT_FOUND {
        return Err(NpmError::NotFound(what.to_owned()));
    }
    if !status.is_success() {
        return Err(fail(format!("HTTP {status}")));
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| fail(e.to_string()))?;
        if body.len() + chunk.len() > max {
            return Err(NpmError::TooLarge(what.to_owned()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_name_a_package_and_maybe_a_version() {
        assert_eq!(parse_spec("jquery").unwrap(), ("jquery".into(), None));
        assert_eq!(
            parse_spec("jquery@3.5.1").unwrap(),
            ("jquery".into(), Some("3.5.1".into()))
        );
        assert_eq!(
            parse_spec("@babel/core@7.0.0").unwrap(),
            ("@babel/core".into(), Some("7.0.0".into()))
        );
        assert_eq!(
            parse_spec("@scope/pkg").unwrap(),
            ("@scope/pkg".into(), None)
        );
        assert_eq!(parse_spec("x@latest").unwrap(), ("x".into(), None));
        for bad in ["", "../etc", "a/b", "A", "x@1.0 && rm", "x@../../"] {
            assert!(parse_spec(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_https_or_loopback_registries() {
        assert!(check_registry("https://registry.npmjs.org/").is_ok());
        assert!(check_registry("http://127.0.0.1:4873/").is_ok());
        assert!(check_registry("http://registry.npmjs.org/").is_err());
        assert!(check_registry("file:///etc").is_err());
    }
}
