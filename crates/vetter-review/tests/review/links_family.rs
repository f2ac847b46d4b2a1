//! Linked add-ons on the generated family (see `vetter_fixtures::linked`): the byte-identical
//! and the renamed payload link their add-ons; an add-on sharing only the library does not.

use vetter_archive::Limits;
use vetter_fixtures::linked::linked_family;
use vetter_review::links::links_for;
use vetter_store::Store;

fn family_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    for (id, addon) in linked_family() {
        store
            .import_archive(
                &format!("{id}.xpi"),
                &addon.to_xpi(),
                &Limits::default(),
                &mut |_| {},
            )
            .unwrap();
    }
    (dir, store)
}

#[test]
fn shared_payload_links_across_developers_and_renaming() {
    let (_dir, mut store) = family_store();
    let report = links_for(&mut store, "alpha@family.example").unwrap();
    let find = |guid: &str| report.links.iter().find(|l| l.guid == guid);

    let beta = find("beta@other.example").expect("beta shares the payload");
    assert!(beta.linked);
    let shared = &beta.shared_files[0];
    assert_eq!(
        (shared.path.as_str(), shared.other_path.as_str()),
        ("js/analytics.js", "vendor/helper.js")
    );
    assert!(!shared.library);

    let gamma = find("gamma@third.example").expect("gamma carries the renamed payload");
    assert!(gamma.linked);
    assert!(gamma.shared_files.is_empty(), "no byte-identical file");
    let dup = &gamma.near_duplicates[0];
    assert_eq!(
        (dup.path.as_str(), dup.other_path.as_str()),
        ("js/analytics.js", "background/sync.js")
    );
    assert!(dup.similarity > 0.9, "{}", dup.similarity);

    let delta = find("delta@unrelated.example").expect("delta shares the library");
    assert!(!delta.linked, "a shared library is not a link");
    assert!(delta.shared_files.iter().all(|s| s.library));
    assert!(delta.near_duplicates.is_empty());

    // Linked add-ons rank above library-only overlaps.
    let rank = |guid: &str| report.links.iter().position(|l| l.guid == guid).unwrap();
    assert!(rank("beta@other.example") < rank("delta@unrelated.example"));
    assert!(rank("gamma@third.example") < rank("delta@unrelated.example"));
}

#[test]
fn renamed_payload_links_back_to_the_original() {
    let (_dir, mut store) = family_store();
    let report = links_for(&mut store, "gamma@third.example").unwrap();
    let linked: Vec<&str> = report
        .links
        .iter()
        .filter(|l| l.linked)
        .map(|l| l.guid.as_str())
        .collect();
    assert!(linked.contains(&"alpha@family.example"), "{linked:?}");
    assert!(linked.contains(&"beta@other.example"), "{linked:?}");
    assert!(!linked.contains(&"delta@unrelated.example"), "{linked:?}");
}

#[test]
fn unrelated_addon_is_linked_to_nothing() {
    let (_dir, mut store) = family_store();
    let report = links_for(&mut store, "delta@unrelated.example").unwrap();
    assert!(report.links.iter().all(|l| !l.linked), "{:?}", report.links);
}

#[test]
fn unknown_addon_is_a_typed_error() {
    let (_dir, mut store) = family_store();
    assert!(matches!(
        links_for(&mut store, "nobody@nowhere"),
        Err(vetter_review::links::LinkError::UnknownAddon(_))
    ));
}
