//! `fetch` against the stand-in AMO on what a small example does not reach by default: version
//! lists over several pages (AMO's absolute `next` links) and a download cut off earlier, which
//! resumes with `Range` from the bytes already on disk.

use std::path::Path;

use sha2::{Digest, Sha256};
use vetter_client::fetch::{FetchOptions, VersionOutcome, fetch};
use vetter_fixtures::standin::AmoStandin;

#[tokio::test]
async fn two_versions_a_page_follows_next_links_to_the_whole_list() {
    let work = tempfile::tempdir().unwrap();
    let (amo, _) = AmoStandin::start_example(Path::new(env!("CARGO_TARGET_TMPDIR")), work.path());
    let data = tempfile::tempdir().unwrap();
    let mut options = FetchOptions::new(&amo.origin, data.path());
    options.download_origins = vec![amo.cdn.clone()];
    options.page_size = 2;
    let report = fetch("tab-notes", &options, &|_| {}).await.unwrap();
    assert_eq!(report.listed, 4);
    assert_eq!(report.versions.len(), 4, "{report:?}");
    assert_eq!(report.imported_ids().len(), 3);
    let log = amo.log();
    assert!(
        log.contains("page=2"),
        "the second page was asked for by its next link:\n{log}"
    );
}

#[tokio::test]
async fn a_download_cut_off_earlier_resumes_from_the_bytes_on_disk() {
    let work = tempfile::tempdir().unwrap();
    let (amo, seed) =
        AmoStandin::start_example(Path::new(env!("CARGO_TARGET_TMPDIR")), work.path());
    let data = tempfile::tempdir().unwrap();
    // The current version's file, as far as an earlier fetch got before the network went.
    let current = seed["addons"][0]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["version"] == "1.0.2")
        .unwrap();
    let bytes = std::fs::read(current["file"]["path"].as_str().unwrap()).unwrap();
    let sha = hex::encode(Sha256::digest(&bytes));
    let file_id = current["file"]["id"].as_i64().unwrap();
    let partial = data.path().join("partial");
    std::fs::create_dir_all(&partial).unwrap();
    let half = bytes.len() / 2;
    std::fs::write(
        partial.join(format!("amo-{file_id}-{sha}.part")),
        &bytes[..half],
    )
    .unwrap();

    let mut options = FetchOptions::new(&amo.origin, data.path());
    options.download_origins = vec![amo.cdn.clone()];
    options.versions = "latest".parse().unwrap();
    let report = fetch("tab-notes", &options, &|_| {}).await.unwrap();
    assert!(
        matches!(
            report.versions[0].outcome,
            VersionOutcome::Imported {
                already_cached: false,
                ..
            }
        ),
        "{report:?}"
    );
    let log = amo.log();
    assert!(
        log.lines()
            .any(|l| l.contains("/user-media/") && l.contains("206")),
        "the rest came as a 206 partial answer:\n{log}"
    );
    // The whole file was never asked for again.
    assert!(
        !log.lines()
            .any(|l| l.contains("/user-media/") && l.ends_with(" 200")),
        "a whole-file answer came too:\n{log}"
    );
}
