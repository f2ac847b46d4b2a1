//! Property: any tree of files, zipped and imported as a series of versions, reads back
//! byte-identical from every version, through whole blobs, deltas and shared blobs alike.

use std::collections::BTreeMap;

use proptest::prelude::*;
use vetter_archive::Limits;
use vetter_store::Store;

/// Path segments from ASCII and non-ASCII letters that no case folding or normalisation maps
/// onto each other, so the archive reader's duplicate-name rule never fires by accident.
fn segment() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            'a', 'b', 'c', 'x', 'y', 'z', '0', '7', '-', '_', '.', 'é', 'ñ', 'ж', '日', '本', '🦀',
        ]),
        1..8,
    )
    .prop_map(|chars| chars.into_iter().collect::<String>())
    .prop_filter("not a dot segment", |s| s != "." && s != "..")
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(segment(), 1..4).prop_map(|segments| segments.join("/"))
}

/// Contents: empty, binary noise, or text with repeated lines (the kind deltas help with).
fn contents() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        prop::collection::vec(any::<u8>(), 1..3000),
        (any::<u16>(), 1usize..400).prop_map(|(seed, lines)| {
            (0..lines)
                .map(|i| format!("line {i} of {seed}: {}\n", "ab".repeat(i % 13)))
                .collect::<String>()
                .into_bytes()
        }),
    ]
}

/// How a file changes from one version to the next.
#[derive(Debug, Clone)]
enum Change {
    Keep,
    Delete,
    /// Splice `insert` in at `at` (a fraction of the length), replacing `remove` bytes.
    Edit {
        at: u8,
        remove: u8,
        insert: Vec<u8>,
    },
    Replace(Vec<u8>),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        4 => Just(Change::Keep),
        1 => Just(Change::Delete),
        4 => (any::<u8>(), any::<u8>(), prop::collection::vec(any::<u8>(), 0..64))
            .prop_map(|(at, remove, insert)| Change::Edit { at, remove, insert }),
        1 => contents().prop_map(Change::Replace),
    ]
}

fn apply(old: &[u8], change: &Change) -> Option<Vec<u8>> {
    match change {
        Change::Keep => Some(old.to_vec()),
        Change::Delete => None,
        Change::Replace(data) => Some(data.clone()),
        Change::Edit { at, remove, insert } => {
            let start = old.len() * usize::from(*at) / 256;
            let end = (start + usize::from(*remove)).min(old.len());
            let mut new = old[..start].to_vec();
            new.extend_from_slice(insert);
            new.extend_from_slice(&old[end..]);
            Some(new)
        }
    }
}

/// Drops paths that would collide once lowercased, or where one file's path is another's folder.
fn valid_tree(files: BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    let mut out: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut lowered = std::collections::HashSet::new();
    for (path, data) in files {
        let lower = path.to_lowercase();
        let clashes = out.keys().any(|p| {
            let p = p.to_lowercase();
            lower.starts_with(&format!("{p}/")) || p.starts_with(&format!("{lower}/"))
        });
        if path != "manifest.json" && !clashes && lowered.insert(lower) {
            out.insert(path, data);
        }
    }
    out
}

fn xpi(version: usize, files: &BTreeMap<String, Vec<u8>>) -> Vec<u8> {
    let manifest = format!(
        r#"{{"manifest_version":3,"name":"Prop","version":"1.{version}","browser_specific_settings":{{"gecko":{{"id":"prop@test"}}}}}}"#
    );
    let mut list: Vec<(&str, &[u8])> = vec![("manifest.json", manifest.as_bytes())];
    list.extend(files.iter().map(|(p, d)| (p.as_str(), d.as_slice())));
    vetter_fixtures::zip_files(&list)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_version_reads_back_byte_identical(
        first in prop::collection::btree_map(path(), contents(), 0..12),
        shared in contents(),
        updates in prop::collection::vec(
            (prop::collection::vec(change(), 12), prop::collection::btree_map(path(), contents(), 0..3)),
            1..5,
        ),
    ) {
        let mut tree = valid_tree(first);
        // One content under two paths in every version: it must be stored once.
        tree.insert("shared/one.bin".to_owned(), shared.clone());
        tree.insert("shared/two.bin".to_owned(), shared.clone());
        let mut versions = vec![tree.clone()];
        for (changes, added) in updates {
            let mut next = BTreeMap::new();
            for ((path, data), change) in tree.iter().zip(changes.iter().cycle()) {
                if path.starts_with("shared/") {
                    next.insert(path.clone(), data.clone());
                } else if let Some(new) = apply(data, change) {
                    next.insert(path.clone(), new);
                }
            }
            next.extend(added);
            tree = valid_tree(next);
            versions.push(tree.clone());
        }

        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let mut ids = Vec::new();
        for (i, files) in versions.iter().enumerate() {
            let summary = store
                .import_archive(&format!("{i}.xpi"), &xpi(i, files), &Limits::default(), &mut |_| {})
                .unwrap();
            ids.push(summary.version_id);
        }
        for (id, files) in ids.iter().zip(&versions) {
            let listed = store.version_files(*id).unwrap();
            prop_assert_eq!(listed.len(), files.len() + 1);
            for (path, data) in files {
                prop_assert_eq!(&store.read_file(*id, path).unwrap(), data, "{}", path);
            }
            let a = listed.iter().find(|f| f.path == "shared/one.bin").unwrap();
            let b = listed.iter().find(|f| f.path == "shared/two.bin").unwrap();
            prop_assert_eq!(&a.sha256, &b.sha256);
        }
        let conn = rusqlite::Connection::open(dir.path().join(vetter_store::DB_FILE)).unwrap();
        let copies: i64 = conn
            .query_row(
                "SELECT count(*) FROM blobs b JOIN files f ON f.sha256 = b.sha256
                 WHERE f.path = 'shared/one.bin' AND f.version_id = ?1",
                [ids[0]],
                |r| r.get(0),
            )
            .unwrap();
        prop_assert_eq!(copies, 1);
    }
}
