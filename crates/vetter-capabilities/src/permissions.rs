//! Permissions against code: which APIs each permission unlocks, where the code calls them,
//! and which hosts the code contacts against the host permissions.

use std::collections::BTreeMap;

use vetter_manifest::Manifest;

use crate::{ApiUse, Endpoint, HostAccess, Location, PermissionStatus, PermissionUse};

/// Places listed per permission.
const MAX_PLACES: usize = 5;

/// API prefixes (`namespace` or `namespace.member`) and the permission each needs, after
/// MDN's "JavaScript APIs" pages. A longer prefix is looked up first.
const API_PERMISSIONS: &[(&str, &str)] = &[
    ("alarms", "alarms"),
    ("bookmarks", "bookmarks"),
    ("browserSettings", "browserSettings"),
    ("browsingData", "browsingData"),
    ("captivePortal", "captivePortal"),
    ("clipboard", "clipboardWrite"),
    ("contentSettings", "contentSettings"),
    ("contextMenus", "contextMenus"),
    ("contextualIdentities", "contextualIdentities"),
    ("cookies", "cookies"),
    ("debugger", "debugger"),
    ("declarativeNetRequest", "declarativeNetRequest"),
    ("dns", "dns"),
    ("downloads", "downloads"),
    ("downloads.open", "downloads.open"),
    ("find", "find"),
    ("history", "history"),
    ("identity", "identity"),
    ("idle", "idle"),
    ("management", "management"),
    ("menus", "menus"),
    ("menus.overrideContext", "menus.overrideContext"),
    ("nativeMessaging", "nativeMessaging"),
    ("notifications", "notifications"),
    ("pageCapture", "pageCapture"),
    ("pkcs11", "pkcs11"),
    ("privacy", "privacy"),
    ("proxy", "proxy"),
    ("runtime.connectNative", "nativeMessaging"),
    ("runtime.sendNativeMessage", "nativeMessaging"),
    ("scripting", "scripting"),
    ("search", "search"),
    ("sessions", "sessions"),
    ("storage", "storage"),
    ("tabGroups", "tabGroups"),
    ("tabs.hide", "tabHide"),
    ("tabs.show", "tabHide"),
    ("tabs.captureTab", "<all_urls>"),
    ("tabs.captureVisibleTab", "<all_urls>"),
    ("theme", "theme"),
    ("topSites", "topSites"),
    ("userScripts", "userScripts"),
    ("webNavigation", "webNavigation"),
    ("webRequest", "webRequest"),
];

/// Permissions with no API of their own to look for in the code.
const NOT_CHECKABLE: &[&str] = &[
    "activeTab",
    "unlimitedStorage",
    "tabs",
    "clipboardRead",
    "geolocation",
    "webRequestFilterResponse.serviceWorkerScript",
    "declarativeNetRequestWithHostAccess",
    "declarativeNetRequestFeedback",
    "mozillaAddons",
    "<all_urls>",
];

/// The permission API `api` (`tabs.query`, `storage`) needs, if any.
fn permission_of(api: &str) -> Option<&'static str> {
    let mut best: Option<(&str, &'static str)> = None;
    for &(prefix, permission) in API_PERMISSIONS {
        let matches = api == prefix
            || api
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('.'));
        if matches && best.is_none_or(|(p, _)| prefix.len() > p.len()) {
            best = Some((prefix, permission));
        }
    }
    best.map(|(_, p)| p)
}

/// The extension APIs called, one entry per `namespace.member` (namespace-only names are
/// folded into the members of that namespace when there are any).
pub(crate) fn api_uses(places: &[(String, Location)]) -> Vec<ApiUse> {
    let mut by_api: BTreeMap<&str, ApiUse> = BTreeMap::new();
    for (api, at) in places {
        by_api
            .entry(api.as_str())
            .and_modify(|u| {
                u.count += 1;
                if *at < u.first {
                    u.first = at.clone();
                }
            })
            .or_insert_with(|| ApiUse {
                api: api.clone(),
                count: 1,
                first: at.clone(),
            });
    }
    let namespaces_with_members: std::collections::HashSet<&str> = by_api
        .keys()
        .filter_map(|a| a.split_once('.').map(|(ns, _)| ns))
        .collect();
    by_api
        .into_iter()
        .filter(|(api, _)| api.contains('.') || !namespaces_with_members.contains(api))
        .map(|(_, u)| u)
        .collect()
}

/// Each declared permission against the code, then each permission the code needs and the
/// manifest does not declare as required.
pub(crate) fn against_code(
    manifest: Option<&Manifest>,
    places: &[(String, Location)],
    says_blocking: Option<&Location>,
) -> Vec<PermissionUse> {
    // Permission -> places its APIs are called (namespace-only places count too).
    let mut used: BTreeMap<&'static str, Vec<&Location>> = BTreeMap::new();
    for (api, at) in places {
        if let Some(p) = permission_of(api) {
            used.entry(p).or_default().push(at);
        }
    }
    let webrequest_used = used.contains_key("webRequest");
    if let (Some(at), true) = (says_blocking, webrequest_used) {
        used.entry("webRequestBlocking").or_default().push(at);
    }
    for places in used.values_mut() {
        places.sort();
        places.dedup();
    }
    let (required, optional): (Vec<&str>, Vec<&str>) = match manifest {
        Some(m) => (
            m.permissions.iter().map(String::as_str).collect(),
            m.optional_permissions.iter().map(String::as_str).collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let entry = |permission: &str, status: PermissionStatus, places: Option<&Vec<&Location>>| {
        let places = places.map(Vec::as_slice).unwrap_or_default();
        PermissionUse {
            permission: permission.to_owned(),
            status,
            used_at: places.iter().take(MAX_PLACES).map(|&l| l.clone()).collect(),
            uses: places.len() as u32,
        }
    };
    let mut out = Vec::new();
    for &p in &required {
        // Host patterns in MV2's `permissions` are host permissions, handled by `host_access`.
        if is_host_pattern(p) {
            continue;
        }
        let places = used.get(p);
        let status = if places.is_some() {
            PermissionStatus::Used
        } else if NOT_CHECKABLE.contains(&p)
            || !API_PERMISSIONS.iter().any(|(_, q)| *q == p) && p != "webRequestBlocking"
        {
            PermissionStatus::NotCheckable
        } else {
            PermissionStatus::Unused
        };
        out.push(entry(p, status, places));
    }
    for (p, places) in &used {
        if required.contains(p) || *p == "<all_urls>" {
            continue;
        }
        let status = if optional.contains(p) {
            PermissionStatus::OnlyOptional
        } else {
            PermissionStatus::Undeclared
        };
        out.push(entry(p, status, Some(places)));
    }
    out
}

fn is_host_pattern(p: &str) -> bool {
    p == "<all_urls>" || p.contains("://")
}

/// Every host the code names, with the host permission or content-script pattern that covers
/// it.
pub(crate) fn host_access(manifest: Option<&Manifest>, endpoints: &[Endpoint]) -> Vec<HostAccess> {
    let mut patterns: Vec<&str> = Vec::new();
    if let Some(m) = manifest {
        patterns.extend(m.host_permissions.iter().map(String::as_str));
        patterns.extend(m.optional_host_permissions.iter().map(String::as_str));
        patterns.extend(
            m.permissions
                .iter()
                .map(String::as_str)
                .filter(|p| is_host_pattern(p)),
        );
        patterns.extend(
            m.optional_permissions
                .iter()
                .map(String::as_str)
                .filter(|p| is_host_pattern(p)),
        );
    }
    let mut first: BTreeMap<&str, &Location> = BTreeMap::new();
    for e in endpoints {
        if matches!(
            e.via,
            crate::EndpointVia::Csp | crate::EndpointVia::Manifest
        ) {
            continue;
        }
        if let Some(h) = &e.host {
            first
                .entry(h.as_str())
                .and_modify(|l| {
                    if e.at < **l {
                        *l = &e.at;
                    }
                })
                .or_insert(&e.at);
        }
    }
    first
        .into_iter()
        .map(|(host, at)| HostAccess {
            host: host.to_owned(),
            covered_by: patterns
                .iter()
                .find(|p| pattern_covers(p, host))
                .map(|p| (*p).to_owned()),
            first: at.clone(),
        })
        .collect()
}

/// Whether match pattern `pattern` (`*://*.example.com/*`, `<all_urls>`) covers `host`.
pub(crate) fn pattern_covers(pattern: &str, host: &str) -> bool {
    if pattern == "<all_urls>" {
        return true;
    }
    let Some((_, rest)) = pattern.split_once("://") else {
        return false;
    };
    let pattern_host = rest.split('/').next().unwrap_or_default();
    let pattern_host = pattern_host
        .split(':')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let host = host.to_ascii_lowercase();
    if pattern_host == "*" {
        return true;
    }
    match pattern_host.strip_prefix("*.") {
        Some(domain) => host == domain || host.ends_with(&format!(".{domain}")),
        None => host == pattern_host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_api_prefix_names_the_permission() {
        assert_eq!(permission_of("tabs.query"), None);
        assert_eq!(permission_of("tabs.hide"), Some("tabHide"));
        assert_eq!(permission_of("storage.local"), Some("storage"));
        assert_eq!(permission_of("storageX"), None);
        assert_eq!(
            permission_of("runtime.connectNative"),
            Some("nativeMessaging")
        );
        assert_eq!(
            permission_of("menus.overrideContext"),
            Some("menus.overrideContext")
        );
    }

    #[test]
    fn match_patterns_cover_hosts_like_firefox_reads_them() {
        assert!(pattern_covers("<all_urls>", "a.example"));
        assert!(pattern_covers("*://*/*", "a.example"));
        assert!(pattern_covers("*://*.example.com/*", "example.com"));
        assert!(pattern_covers("https://*.example.com/*", "api.example.com"));
        assert!(!pattern_covers(
            "https://*.example.com/*",
            "evilexample.com"
        ));
        assert!(pattern_covers(
            "https://api.example.com:8443/v1/*",
            "api.example.com"
        ));
        assert!(!pattern_covers("https://api.example.com/*", "example.com"));
        assert!(!pattern_covers("storage", "example.com"));
    }
}
