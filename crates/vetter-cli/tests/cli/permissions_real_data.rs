//! The permission summary of each real extension, end to end: each Debian extension is
//! imported with the real `vetter import`, then `vetter diff --manifest --json` compares an
//! empty add-on with each cached version, so everything the extension asks for shows up as
//! added, with every risk note of the manifest/permission diff module.
//!
//! Every expected value below was written by reading the extension's manifest.json
//! (`unzip -p target/bench-data/zips/NAME.zip manifest.json`) and the risk rules in
//! `vetter_manifest::risk_notes`, not from the program's output. Each test first checks
//! that the fetched package is the version whose manifest was read. The data is fetched by
//! `bench/fetch-data` first; a failure to fetch fails the test (see real_data_support).

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::real_data_support;
use real_data_support::{fetched_source, zip_path};

fn vetter_json(data_dir: &Path, args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_vetter"))
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--json")
        .args(args)
        .output()
        .expect("vetter runs");
    assert!(
        out.status.success(),
        "vetter {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("vetter prints JSON")
}

/// The permission summary of the cached version imported from `NAME.zip`, as the diff from an
/// empty add-on.
fn summary(name: &str, expected_source: &str) -> Value {
    assert_eq!(
        fetched_source(name),
        expected_source,
        "Debian now ships a different {name}; re-read its manifest.json and update this test"
    );
    let data_dir = tempfile::tempdir().expect("temporary data folder");
    let zip = zip_path(name);
    vetter_json(
        data_dir.path(),
        &["import", zip.to_str().expect("UTF-8 path")],
    );
    let versions = vetter_json(data_dir.path(), &["versions"]);
    let id = versions
        .as_array()
        .expect("versions is a list")
        .iter()
        .find(|v| v["source_name"] == format!("{name}.zip"))
        .unwrap_or_else(|| panic!("{name}.zip is not cached"))["id"]
        .as_i64()
        .expect("numeric id");
    let empty = tempfile::tempdir().expect("temporary add-on folder");
    std::fs::write(
        empty.path().join("manifest.json"),
        r#"{"manifest_version": 2, "name": "empty", "version": "0"}"#,
    )
    .expect("empty manifest written");
    vetter_json(
        data_dir.path(),
        &[
            "diff",
            "--manifest",
            empty.path().to_str().expect("UTF-8 path"),
            &id.to_string(),
        ],
    )
}

/// A list change that only adds `items`, in order.
fn added(items: &[&str]) -> Value {
    json!({ "added": items, "removed": [] })
}

fn nothing() -> Value {
    added(&[])
}

fn risk(field: &str, item: &str, note: &str) -> Value {
    json!({ "field": field, "item": item, "note": note })
}

const BLOCKING: &str = "can intercept, block and rewrite every request it sees";
const EVERY_SITE: &str = "access to every site: can read and change all pages";
const EVERY_PAGE: &str = "injects scripts into every page the user visits";

#[test]
fn ublock_origin_permission_summary() {
    let s = summary(
        "ublock-origin",
        "debian:webext-ublock-origin-firefox=1.67.0+dfsg-1~deb12u1",
    );
    assert_eq!(
        s["permissions"],
        added(&[
            "alarms",
            "dns",
            "menus",
            "privacy",
            "storage",
            "tabs",
            "unlimitedStorage",
            "webNavigation",
            "webRequest",
            "webRequestBlocking",
        ])
    );
    assert_eq!(s["host_permissions"], added(&["<all_urls>"]));
    assert_eq!(s["optional_permissions"], nothing());
    assert_eq!(s["optional_host_permissions"], nothing());
    assert_eq!(
        s["content_script_matches"],
        added(&[
            "http://*/*",
            "https://*/*",
            "file://*/*",
            "https://easylist.to/*",
            "https://*.fanboy.co.nz/*",
            "https://filterlists.com/*",
            "https://forums.lanik.us/*",
            "https://github.com/*",
            "https://*.github.io/*",
            "https://github.com/uBlockOrigin/*",
            "https://ublockorigin.github.io/*",
            "https://*.reddit.com/r/uBlockOrigin/*",
        ])
    );
    assert_eq!(s["content_security_policy"], Value::Null);
    assert_eq!(
        s["web_accessible_resources"],
        added(&["/web_accessible_resources/*"])
    );
    assert_eq!(s["externally_connectable_matches"], nothing());
    assert_eq!(
        s["risks"],
        json!([
            risk(
                "permissions",
                "privacy",
                "can change the browser's privacy settings"
            ),
            risk("permissions", "webRequestBlocking", BLOCKING),
            risk("host_permissions", "<all_urls>", EVERY_SITE),
            risk("content_scripts", "file://*/*", EVERY_PAGE),
            risk("content_scripts", "http://*/*", EVERY_PAGE),
            risk("content_scripts", "https://*/*", EVERY_PAGE),
        ])
    );
}

#[test]
fn privacy_badger_permission_summary() {
    let s = summary("privacy-badger", "debian:webext-privacy-badger=2020.10.7-1");
    // Host patterns in MV2 `permissions` are host permissions.
    assert_eq!(
        s["permissions"],
        added(&[
            "tabs",
            "webNavigation",
            "webRequest",
            "webRequestBlocking",
            "storage",
            "cookies",
            "privacy",
        ])
    );
    assert_eq!(s["host_permissions"], added(&["http://*/*", "https://*/*"]));
    assert_eq!(s["optional_permissions"], nothing());
    assert_eq!(s["optional_host_permissions"], nothing());
    assert_eq!(s["content_security_policy"], Value::Null);
    assert_eq!(s["web_accessible_resources"], nothing());

    // Five content scripts: Facebook/Messenger (5 patterns), 190 Google search domains each
    // over https and http (380), Hangouts/Docs (4), and `<all_urls>` twice (listed once).
    let matches: Vec<&str> = s["content_script_matches"]["added"]
        .as_array()
        .expect("added is a list")
        .iter()
        .map(|v| v.as_str().expect("a pattern"))
        .collect();
    assert_eq!(matches.len(), 5 + 380 + 4 + 1);
    assert_eq!(
        matches[..9],
        [
            "https://*.facebook.com/*",
            "http://*.facebook.com/*",
            "https://*.messenger.com/*",
            "http://*.messenger.com/*",
            "*://*.facebookcorewwwi.onion/*",
            "https://www.google.com/*",
            "http://www.google.com/*",
            "https://www.google.ad/*",
            "http://www.google.ad/*",
        ]
    );
    let google = &matches[5..385];
    assert_eq!(
        google[378..],
        ["https://www.google.cat/*", "http://www.google.cat/*"]
    );
    for pair in google.chunks(2) {
        let host = pair[0]
            .strip_prefix("https://www.google.")
            .expect("https first");
        assert_eq!(pair[1], format!("http://www.google.{host}"), "{pair:?}");
    }
    assert_eq!(
        matches[385..],
        [
            "https://hangouts.google.com/*",
            "http://hangouts.google.com/*",
            "https://docs.google.com/*",
            "http://docs.google.com/*",
            "<all_urls>",
        ]
    );
    assert_eq!(s["content_script_matches"]["removed"], json!([]));

    // `cookies` with access to every site is a risk; so are `privacy` and blocking requests.
    assert_eq!(
        s["risks"],
        json!([
            risk(
                "permissions",
                "cookies",
                "can read and write the cookies (sessions) of every site"
            ),
            risk(
                "permissions",
                "privacy",
                "can change the browser's privacy settings"
            ),
            risk("permissions", "webRequestBlocking", BLOCKING),
            risk("host_permissions", "http://*/*", EVERY_SITE),
            risk("host_permissions", "https://*/*", EVERY_SITE),
            risk("content_scripts", "<all_urls>", EVERY_PAGE),
        ])
    );
}

#[test]
fn keepassxc_browser_permission_summary() {
    let s = summary(
        "keepassxc-browser",
        "debian:webext-keepassxc-browser=1.8.4+repack1-7",
    );
    assert_eq!(
        s["permissions"],
        added(&[
            "activeTab",
            "contextMenus",
            "clipboardWrite",
            "nativeMessaging",
            "notifications",
            "storage",
            "tabs",
            "webNavigation",
            "webRequest",
            "webRequestBlocking",
        ])
    );
    assert_eq!(
        s["host_permissions"],
        added(&["https://*/*", "http://*/*", "https://api.github.com/"])
    );
    assert_eq!(s["optional_permissions"], nothing());
    assert_eq!(s["optional_host_permissions"], nothing());
    assert_eq!(s["content_script_matches"], added(&["<all_urls>"]));
    assert_eq!(
        s["content_security_policy"],
        json!({
            "old": null,
            "new": "script-src 'self' 'sha256-UD5WN2QEhRDEZ6vkLdHKFlkHwzbemzW2ppJiOLooI8o=' \
                    'sha256-4nJ8uLezzRE3SiBFdkVN/uNwV9YTOGCqRXg6AvB5rCY='; object-src 'none'"
        })
    );
    assert_eq!(
        s["web_accessible_resources"],
        added(&[
            "icons/disconnected.svg",
            "icons/help.svg",
            "icons/keepassxc.svg",
            "icons/key.svg",
            "icons/locked.svg",
            "icons/otp.svg",
            "css/autocomplete.css",
            "css/banner.css",
            "css/button.css",
            "css/colors.css",
            "css/define.css",
            "css/notification.css",
            "css/pwgen.css",
            "css/username.css",
            "css/totp.css",
        ])
    );
    // The CSP only allows the add-on's own scripts and two hashed inline ones: no CSP risk.
    assert_eq!(
        s["risks"],
        json!([
            risk(
                "permissions",
                "nativeMessaging",
                "can talk to native programs on the reviewer's machine, outside the sandbox"
            ),
            risk("permissions", "webRequestBlocking", BLOCKING),
            risk("host_permissions", "http://*/*", EVERY_SITE),
            risk("host_permissions", "https://*/*", EVERY_SITE),
            risk("content_scripts", "<all_urls>", EVERY_PAGE),
        ])
    );
}

#[test]
fn tree_style_tab_permission_summary() {
    let s = summary("tree-style-tab", "debian:webext-treestyletab=3.5.20-1");
    assert_eq!(
        s["permissions"],
        added(&[
            "activeTab",
            "contextualIdentities",
            "cookies",
            "menus",
            "menus.overrideContext",
            "notifications",
            "search",
            "sessions",
            "storage",
            "tabs",
            "theme",
        ])
    );
    assert_eq!(s["host_permissions"], nothing());
    // `<all_urls>` in MV2 `optional_permissions` is an optional host permission.
    assert_eq!(s["optional_permissions"], added(&["bookmarks", "tabHide"]));
    assert_eq!(s["optional_host_permissions"], added(&["<all_urls>"]));
    assert_eq!(s["content_script_matches"], nothing());
    assert_eq!(s["content_security_policy"], Value::Null);
    assert_eq!(
        s["web_accessible_resources"],
        added(&["/resources/group-tab.html*"])
    );
    // `cookies` without access to every site is not flagged; the optional all-sites request is.
    assert_eq!(
        s["risks"],
        json!([risk("optional_host_permissions", "<all_urls>", EVERY_SITE)])
    );
}

#[test]
fn foxyproxy_permission_summary() {
    let s = summary("foxyproxy", "debian:webext-foxyproxy=7.5.1+dfsg-3");
    assert_eq!(
        s["permissions"],
        added(&[
            "browsingData",
            "proxy",
            "storage",
            "tabs",
            "webRequest",
            "webRequestBlocking",
            "downloads",
            "notifications",
        ])
    );
    assert_eq!(s["host_permissions"], added(&["<all_urls>"]));
    assert_eq!(s["optional_permissions"], nothing());
    assert_eq!(s["optional_host_permissions"], nothing());
    assert_eq!(s["content_script_matches"], nothing());
    assert_eq!(s["content_security_policy"], Value::Null);
    assert_eq!(s["web_accessible_resources"], nothing());
    assert_eq!(
        s["risks"],
        json!([
            risk(
                "permissions",
                "proxy",
                "can route all browsing traffic through a proxy of its choosing"
            ),
            risk("permissions", "webRequestBlocking", BLOCKING),
            risk("host_permissions", "<all_urls>", EVERY_SITE),
        ])
    );
}
