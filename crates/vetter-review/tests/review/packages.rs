//! Importing packages other than plain XPIs (CRX, npm packs, zipped folders, tarballs), and
//! several builds of one version string, through import, review, search and report.

use vetter_archive::{Limits, PackageFormat};
use vetter_fixtures::packages::{crx2, crx3, tgz_files};
use vetter_fixtures::zip_files;
use vetter_review::search::{SearchLimits, SearchQuery, search};
use vetter_review::{ReviewSession, cached_addons};
use vetter_store::*;

fn manifest(version: &str) -> Vec<u8> {
    format!(
        r#"{{"manifest_version":3,"name":"Builds","version":"{version}","browser_specific_settings":{{"gecko":{{"id":"builds@example.com"}}}}}}"#
    )
    .into_bytes()
}

fn addon(version: &str, script: &[u8]) -> Vec<u8> {
    zip_files(&[
        ("manifest.json", manifest(version).as_slice()),
        ("background.js", script),
    ])
}

fn import(store: &mut Store, name: &str, bytes: &[u8]) -> ImportSummary {
    store
        .import_archive(name, bytes, &Limits::default(), &mut |_| {})
        .unwrap()
}

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    (dir, store)
}

#[test]
fn two_builds_of_one_version_are_both_kept_and_told_apart() {
    let (_dir, mut store) = open();
    let a = import(&mut store, "builds-a.xpi", &addon("1.0", b"good();\n"));
    let b = import(&mut store, "builds-b.xpi", &addon("1.0", b"evil();\n"));
    assert!(!b.already_present);
    assert_ne!(a.version_id, b.version_id);
    assert_eq!(
        (a.build.same_version_builds, b.build.same_version_builds),
        (0, 1)
    );
    assert_eq!(b.build.label, format!("1.0 (build {})", b.build.short_hash));

    let versions = store.versions().unwrap();
    assert_eq!(versions.len(), 2);
    for v in &versions {
        assert_eq!(v.build.same_version_builds, 1);
        assert_eq!(v.build.short_hash, &v.xpi_sha256[..SHORT_HASH_LEN]);
        assert_eq!(v.build.label, format!("1.0 (build {})", v.build.short_hash));
    }
    assert_ne!(versions[0].build.label, versions[1].build.label);

    // The app's picker gets both, with the labels that tell them apart.
    let addons = cached_addons(&store).unwrap();
    assert_eq!(addons.len(), 1);
    assert_eq!(addons[0].default_pair(), Some((a.version_id, b.version_id)));

    // The builds diff like any two versions.
    let session =
        ReviewSession::open(&store, a.version_id, b.version_id, Default::default()).unwrap();
    let paths: Vec<&str> = session
        .summary()
        .files
        .iter()
        .map(|f| f.change.path.as_str())
        .collect();
    assert_eq!(paths, ["background.js"]);

    // The same bytes again change nothing.
    let again = import(&mut store, "copy.xpi", &addon("1.0", b"evil();\n"));
    assert!(again.already_present);
    assert_eq!(again.version_id, b.version_id);
    assert_eq!(again.build.label, b.build.label);
    assert_eq!(store.versions().unwrap().len(), 2);
}

#[test]
fn a_single_build_is_labelled_by_its_version_alone() {
    let (_dir, mut store) = open();
    let a = import(&mut store, "a.xpi", &addon("1.0", b"a"));
    let b = import(&mut store, "b.xpi", &addon("1.1", b"b"));
    assert_eq!(
        (a.build.label.as_str(), b.build.label.as_str()),
        ("1.0", "1.1")
    );
}

#[test]
fn crx_packages_import_with_an_unverified_signature_note() {
    let (_dir, mut store) = open();
    let zip = addon("2.0", b"crx();\n");
    let from_crx3 = import(&mut store, "builds.crx", &crx3(&zip));
    assert_eq!(from_crx3.build.format, PackageFormat::Crx3);
    assert_eq!(from_crx3.build.kind, PackageKind::Extension);
    let note = from_crx3.build.signature_note.clone().unwrap();
    assert!(
        note.contains("CRX3") && note.contains("not verified"),
        "{note}"
    );
    let info = store.version(from_crx3.version_id).unwrap();
    assert_eq!(info.build.signature_note.as_deref(), Some(note.as_str()));
    assert_eq!(
        store.read_file(info.id, "background.js").unwrap(),
        b"crx();\n"
    );

    // The same zip as a plain XPI and as a CRX2 are other builds of 2.0: other bytes.
    let from_zip = import(&mut store, "builds.xpi", &zip);
    let from_crx2 = import(&mut store, "old.crx", &crx2(&zip));
    assert_eq!(from_zip.build.format, PackageFormat::Zip);
    assert_eq!(from_zip.build.signature_note, None);
    assert_eq!(from_crx2.build.format, PackageFormat::Crx2);
    assert_eq!(from_crx2.build.same_version_builds, 2);
    for id in [from_zip.version_id, from_crx2.version_id] {
        assert_eq!(
            store.version_files(id).unwrap(),
            store.version_files(from_crx3.version_id).unwrap()
        );
    }
}

#[test]
fn npm_pack_is_a_package_named_from_package_json() {
    let (_dir, mut store) = open();
    let one = tgz_files(&[
        (
            "package/package.json",
            br#"{"name":"left-pad","version":"1.3.0"}"#,
        ),
        (
            "package/index.js",
            b"module.exports = leftPad;\nfunction leftPad() {}\n",
        ),
    ]);
    let two = tgz_files(&[
        (
            "package/package.json",
            br#"{"name":"left-pad","version":"1.4.0"}"#,
        ),
        (
            "package/index.js",
            b"module.exports = leftPad;\nfunction leftPad() { fetch(u); }\n",
        ),
    ]);
    let a = import(&mut store, "whatever.tgz", &one);
    let b = import(&mut store, "other-name.tgz", &two);
    for s in [&a, &b] {
        assert_eq!(s.build.format, PackageFormat::TarGz);
        assert_eq!(s.build.kind, PackageKind::Package);
        assert_eq!(s.guid, "package:left-pad");
        assert_eq!(s.build.root_prefix.as_deref(), Some("package/"));
    }
    assert_eq!((a.version.as_str(), b.version.as_str()), ("1.3.0", "1.4.0"));
    let info = store.version(b.version_id).unwrap();
    assert_eq!(info.manifest_version, 0);
    let paths: Vec<String> = store
        .version_files(b.version_id)
        .unwrap()
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert_eq!(paths, ["index.js", "package.json"]);

    // Diffable like any version: no manifest means no permission changes.
    let session =
        ReviewSession::open(&store, a.version_id, b.version_id, Default::default()).unwrap();
    let summary = session.summary();
    assert_eq!(summary.files.len(), 2);
    assert_eq!(summary.permissions, Default::default());

    // Reported like any version (the report read manifest.json and failed on packages).
    let report =
        vetter_review::report::build_report(&store, a.version_id, b.version_id, Vec::new())
            .expect("a report of two package versions");
    assert_eq!(report.permissions, Default::default());
    assert!(report.risks.is_empty());
    let changed: Vec<&str> = report
        .changed_files
        .iter()
        .map(|c| c.path.as_str())
        .collect();
    assert_eq!(changed, ["index.js", "package.json"]);

    // Searchable like any version.
    let results = search(
        &mut store,
        &SearchQuery::regex(r"fetch\(u\)"),
        &SearchLimits::default(),
    )
    .unwrap();
    let hits: Vec<(i64, &str)> = results
        .hits
        .iter()
        .map(|h| (h.version_id, h.path.as_str()))
        .collect();
    assert_eq!(hits, [(b.version_id, "index.js")]);
}

#[test]
fn archive_without_manifest_or_package_json_is_named_from_its_file() {
    let (_dir, mut store) = open();
    let s = import(
        &mut store,
        "my-source-2.1.0.zip",
        &zip_files(&[("src/a.js", b"a"), ("README", b"r")]),
    );
    assert_eq!(s.build.kind, PackageKind::Package);
    assert_eq!(
        (s.name.as_str(), s.version.as_str()),
        ("my-source", "2.1.0")
    );
    assert_eq!(s.guid, "package:my-source");
    assert_eq!(s.build.root_prefix, None);
    let bare = import(&mut store, "notes.tgz", &tgz_files(&[("a.txt", b"a")]));
    assert_eq!((bare.name.as_str(), bare.version.as_str()), ("notes", ""));
    assert_eq!(bare.build.label, "(no version)");
}

#[test]
fn a_zipped_folder_holding_a_manifest_is_an_add_on() {
    let (_dir, mut store) = open();
    let bytes = zip_files(&[
        ("builds/manifest.json", manifest("3.0").as_slice()),
        ("builds/a.js", b"a"),
    ]);
    let s = import(&mut store, "builds.zip", &bytes);
    assert_eq!(s.build.kind, PackageKind::Extension);
    assert_eq!(s.guid, "builds@example.com");
    assert_eq!(s.build.root_prefix.as_deref(), Some("builds/"));
    assert!(store.read_file(s.version_id, "manifest.json").is_ok());
}

#[test]
fn a_refused_tar_writes_nothing_and_names_the_rule() {
    use vetter_fixtures::packages::{TarEntry, gzip, kind, tar};
    let (_dir, mut store) = open();
    let bytes = gzip(&tar(&[
        TarEntry::file("package/package.json", b"{}"),
        TarEntry::special("package/link", kind::SYMLINK, "/etc/passwd"),
    ]));
    let err = store
        .import_archive("evil.tgz", &bytes, &Limits::default(), &mut |_| {})
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("evil.tgz")
            && text.contains("package/link")
            && text.contains("symbolic link"),
        "{text}"
    );
    assert!(store.versions().unwrap().is_empty());
}
