//! Tests on real add-ons: five Firefox extensions from Debian packages and three pdfjs-dist
//! releases from npm, fetched by `bench/fetch-data` (see docs/bench-data.md).
//!
//! Every test first runs the fetch script (idempotent: seconds when the data is present) and
//! fails, never skips, when it cannot fetch: a missing data set must not look like a pass.
//! The expected permission summaries below were written from reading each manifest.json by
//! hand, not from the parser's output.

use std::path::{Path, PathBuf};
use std::process::Command;

use vetter_manifest::{Manifest, parse_manifest, resolve_locale};

use crate::real_data_support;
use real_data_support::{
    EXTENSIONS, bench_data, fetched_source, pdfjs_xpi_file, repo_root, zip_path,
};

/// Parses one fetched extension's manifest, first checking it is the package version whose
/// manifest the expectations were read from.
fn real_manifest(name: &str, expected_source: &str) -> Manifest {
    let source = fetched_source(name);
    assert_eq!(
        source, expected_source,
        "Debian now ships a different {name}; re-read its manifest.json and update this test"
    );
    let bytes = std::fs::read(bench_data().join("trees").join(name).join("manifest.json"))
        .expect("extension tree has a manifest.json");
    parse_manifest(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn ublock_origin_manifest_reads_as_written() {
    let m = real_manifest(
        "ublock-origin",
        "debian:webext-ublock-origin-firefox=1.67.0+dfsg-1~deb12u1",
    );
    assert_eq!(m.manifest_version, 2);
    assert_eq!(m.guid.as_deref(), Some("uBlock0@raymondhill.net"));
    assert_eq!(m.name, "uBlock Origin");
    assert_eq!(m.version, "1.67.0");
    assert_eq!(m.description.as_deref(), Some("__MSG_extShortDesc__"));
    assert_eq!(
        m.permissions,
        strings(&[
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
    assert_eq!(m.host_permissions, strings(&["<all_urls>"]));
    assert!(m.optional_permissions.is_empty());
    assert!(m.optional_host_permissions.is_empty());
    assert_eq!(m.content_scripts.len(), 3);
    let first = &m.content_scripts[0];
    assert_eq!(
        first.matches,
        strings(&["http://*/*", "https://*/*", "file://*/*"])
    );
    assert!(first.all_frames && first.match_about_blank);
    assert_eq!(first.run_at.as_deref(), Some("document_start"));
    assert_eq!(
        m.background.as_ref().and_then(|b| b.page.as_deref()),
        Some("background.html")
    );
    assert_eq!(m.web_accessible_resources.len(), 1);
    assert_eq!(
        m.web_accessible_resources[0].resources,
        strings(&["/web_accessible_resources/*"])
    );
}

#[test]
fn privacy_badger_manifest_reads_as_written() {
    let m = real_manifest("privacy-badger", "debian:webext-privacy-badger=2020.10.7-1");
    assert_eq!(m.manifest_version, 2);
    assert_eq!(m.guid.as_deref(), Some("jid1-MnnxcxisBPnSXQ@jetpack"));
    assert_eq!(m.name, "__MSG_name__");
    assert_eq!(m.version, "2020.10.7");
    assert_eq!(
        m.permissions,
        strings(&[
            "tabs",
            "webNavigation",
            "webRequest",
            "webRequestBlocking",
            "storage",
            "cookies",
            "privacy",
        ])
    );
    assert_eq!(m.host_permissions, strings(&["http://*/*", "https://*/*"]));
    assert!(m.optional_permissions.is_empty());
    assert_eq!(m.content_scripts.len(), 5);
    assert_eq!(m.content_scripts[3].matches, strings(&["<all_urls>"]));
    assert_eq!(
        m.content_scripts[3].run_at.as_deref(),
        Some("document_start")
    );
    assert_eq!(m.background.as_ref().map(|b| b.scripts.len()), Some(18));
    assert_eq!(m.default_locale.as_deref(), Some("en_US"));
}

#[test]
fn privacy_badger_name_resolves_from_its_default_locale() {
    let m = real_manifest("privacy-badger", "debian:webext-privacy-badger=2020.10.7-1");
    let messages =
        std::fs::read(bench_data().join("trees/privacy-badger/_locales/en_US/messages.json"))
            .expect("default locale's messages.json is shipped");
    let resolved = resolve_locale(&m, &messages).expect("messages.json parses");
    assert_eq!(resolved.name, "Privacy Badger");
}

#[test]
fn keepassxc_browser_manifest_reads_as_written() {
    let m = real_manifest(
        "keepassxc-browser",
        "debian:webext-keepassxc-browser=1.8.4+repack1-7",
    );
    assert_eq!(m.manifest_version, 2);
    assert_eq!(m.guid.as_deref(), Some("keepassxc-browser@keepassxc.org"));
    assert_eq!(m.name, "KeePassXC-Browser");
    assert_eq!(m.version, "1.8.4");
    assert_eq!(
        m.permissions,
        strings(&[
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
        m.host_permissions,
        strings(&["https://*/*", "http://*/*", "https://api.github.com/"])
    );
    assert_eq!(m.content_scripts.len(), 1);
    assert_eq!(m.content_scripts[0].matches, strings(&["<all_urls>"]));
    assert_eq!(m.content_scripts[0].js.len(), 18);
    assert!(matches!(
        &m.content_security_policy,
        Some(vetter_manifest::ContentSecurityPolicy::Legacy { policy })
            if policy.starts_with("script-src 'self' 'sha256-UD5WN2QE") && policy.ends_with("object-src 'none'")
    ));
    assert_eq!(m.web_accessible_resources.len(), 15);
}

#[test]
fn tree_style_tab_manifest_reads_as_written() {
    let m = real_manifest("tree-style-tab", "debian:webext-treestyletab=3.5.20-1");
    assert_eq!(m.manifest_version, 2);
    assert_eq!(m.guid.as_deref(), Some("treestyletab@piro.sakura.ne.jp"));
    assert_eq!(m.name, "__MSG_extensionName__");
    assert_eq!(m.version, "3.5.20");
    assert_eq!(
        m.permissions,
        strings(&[
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
    assert!(m.host_permissions.is_empty());
    assert_eq!(m.optional_permissions, strings(&["bookmarks", "tabHide"]));
    assert_eq!(m.optional_host_permissions, strings(&["<all_urls>"]));
    assert!(m.content_scripts.is_empty());
    assert_eq!(
        m.background.as_ref().and_then(|b| b.page.as_deref()),
        Some("/background/background.html")
    );
}

#[test]
fn foxyproxy_manifest_reads_as_written() {
    let m = real_manifest("foxyproxy", "debian:webext-foxyproxy=7.5.1+dfsg-3");
    assert_eq!(m.manifest_version, 2);
    assert_eq!(m.guid.as_deref(), Some("foxyproxy@eric.h.jung"));
    assert_eq!(m.name, "__MSG_extensionName__");
    assert_eq!(m.version, "7.5.1");
    assert_eq!(m.homepage_url.as_deref(), Some("https://getfoxyproxy.org/"));
    assert_eq!(
        m.permissions,
        strings(&[
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
    assert_eq!(m.host_permissions, strings(&["<all_urls>"]));
    assert_eq!(
        m.background.as_ref().map(|b| b.scripts.clone()),
        Some(strings(&[
            "scripts/utils.js",
            "scripts/background.js",
            "scripts/matcher.js"
        ]))
    );
    let messages = std::fs::read(bench_data().join("trees/foxyproxy/_locales/en/messages.json"))
        .expect("default locale's messages.json is shipped");
    let resolved = resolve_locale(&m, &messages).expect("messages.json parses");
    assert_eq!(resolved.name, "FoxyProxy Standard");
}

#[test]
fn symlinks_into_other_packages_are_listed_and_left_out() {
    let data = bench_data();
    // Privacy Badger links two Open Sans fonts from Debian's fonts package.
    let listed = std::fs::read_to_string(data.join("zips/privacy-badger.outside-links.txt"))
        .expect("outside-links file next to the zip");
    for font in [
        "skin/fonts/OpenSans-Bold.ttf",
        "skin/fonts/OpenSans-Light.ttf",
    ] {
        assert!(
            listed.lines().any(|l| l.starts_with(&format!("{font}\t"))),
            "{font} should be listed in:\n{listed}"
        );
        assert!(
            !data.join("trees/privacy-badger").join(font).exists(),
            "{font} must not be in the tree"
        );
    }
}

#[test]
fn second_fetch_run_does_nothing() {
    bench_data();
    let root = repo_root();
    let out = Command::new(root.join("bench/fetch-data"))
        .current_dir(&root)
        .output()
        .expect("bench/fetch-data runs");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let idle = stdout
        .lines()
        .filter(|l| l.ends_with("nothing to do"))
        .count();
    // Five extensions, three pdf.js versions and three npm library tarballs.
    assert_eq!(idle, 11, "every item should be skipped:\n{stdout}");
}

/// Every file under `dir`, as (path relative to `dir` with `/` separators, bytes), sorted.
fn tree_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).expect("tree folder is readable") {
            let path = entry.expect("tree entry is readable").path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path.strip_prefix(base).expect("under base");
                let rel = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push((rel, std::fs::read(&path).expect("tree file is readable")));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The eight fetched items, by zip name.
const ITEMS: [&str; 8] = [
    "ublock-origin",
    "privacy-badger",
    "keepassxc-browser",
    "tree-style-tab",
    "foxyproxy",
    "pdfjs-dist-6.4.299",
    "pdfjs-dist-5.7.284",
    "pdfjs-dist-6.5.438",
];

#[test]
fn archive_reader_accepts_every_real_zip_with_default_limits() {
    use vetter_archive::{Limits, read_archive_file};
    let data = bench_data();
    for name in ITEMS {
        let archive = read_archive_file(
            &data.join("zips").join(format!("{name}.zip")),
            &Limits::default(),
        )
        .unwrap_or_else(|e| panic!("{name}.zip refused: {e}"));
        let mut got: Vec<(String, Vec<u8>)> = archive
            .entries
            .into_iter()
            .map(|e| (e.path, e.data))
            .collect();
        got.sort();
        let want = tree_files(&data.join("trees").join(name));
        assert_eq!(got.len(), want.len(), "{name}: file count");
        for ((gp, gd), (wp, wd)) in got.iter().zip(&want) {
            assert_eq!(gp, wp, "{name}: paths differ");
            assert!(gd == wd, "{name}: {gp} differs from the tree");
        }
    }
}

/// Runs the real `vetter import` on `files` with a fresh data folder and returns the folder
/// with the command's output.
fn import_with_cli(files: &[PathBuf]) -> (tempfile::TempDir, std::process::Output) {
    let dir = tempfile::tempdir().expect("temporary data folder");
    let out = Command::new(env!("CARGO_BIN_EXE_vetter"))
        .arg("--data-dir")
        .arg(dir.path())
        .arg("import")
        .args(files)
        .output()
        .expect("vetter runs");
    (dir, out)
}

fn assert_success(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "vetter import failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Checks that the cached version imported as `source_name` holds exactly the files of the
/// tree `name` (plus `extra` paths the test added), byte for byte, read back through the store.
fn assert_reads_back_as_tree(data_dir: &Path, source_name: &str, name: &str, extra: &[&str]) {
    use vetter_store::Store;
    let store = Store::open(data_dir).expect("cache opens");
    let version = store
        .versions()
        .expect("versions list")
        .into_iter()
        .find(|v| v.source_name == source_name)
        .unwrap_or_else(|| panic!("{source_name} is not among the cached versions"));
    let mut cached: Vec<String> = store
        .version_files(version.id)
        .expect("file list")
        .into_iter()
        .map(|f| f.path)
        .filter(|p| !extra.contains(&p.as_str()))
        .collect();
    cached.sort();
    let want = tree_files(&bench_data().join("trees").join(name));
    let want_paths: Vec<&String> = want.iter().map(|(p, _)| p).collect();
    assert_eq!(
        cached.iter().collect::<Vec<_>>(),
        want_paths,
        "{name}: cached paths"
    );
    for (path, bytes) in &want {
        let got = store
            .read_file(version.id, path)
            .unwrap_or_else(|e| panic!("{name}: reading {path} back: {e}"));
        assert!(got == *bytes, "{name}: {path} reads back different bytes");
    }
}

#[test]
fn cli_imports_every_real_add_on_and_reads_them_back_byte_identical() {
    let work = tempfile::tempdir().expect("temporary folder");
    let mut files: Vec<PathBuf> = EXTENSIONS.iter().map(|n| zip_path(n)).collect();
    // Oldest first, so the newest release is stored against its predecessor.
    for version in ["5.7.284", "6.4.299", "6.5.438"] {
        files.push(pdfjs_xpi_file(version, work.path()));
    }
    let (dir, out) = import_with_cli(&files);
    assert_success(&out);
    for name in &EXTENSIONS {
        assert_reads_back_as_tree(dir.path(), &format!("{name}.zip"), name, &[]);
    }
    assert_reads_back_as_tree(
        dir.path(),
        "pdfjs-dist-6.5.438.xpi",
        "pdfjs-dist-6.5.438",
        &["manifest.json"],
    );
}
