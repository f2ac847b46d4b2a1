//! A download whose bytes were tampered with on the way is quarantined, and a later sync must
//! download it again: once the bytes are right it is cached (its refusal kept on record), while
//! bytes that stay wrong are refused every time and stop being asked for after the policy's
//! last download. The tampering is done by the fault proxy in front of the real server.

use std::time::Duration;

use vetter_client::sync::{self, QuarantineRetry, SyncOptions};
use vetter_reliability::proxy::{Fault, FaultProxy, Schedule};
use vetter_reliability::support::{CacheState, Server, integrity, reviewer};

fn options(server: &str, dir: &std::path::Path) -> SyncOptions {
    let mut o = SyncOptions::new(server, reviewer(), dir);
    o.retry.base_delay = Duration::from_millis(20);
    // No delay between syncs, so the test's next sync is the retry; three downloads in all.
    o.quarantine_retry = QuarantineRetry {
        max_downloads: 3,
        base_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
    };
    o
}

/// The download path of remote version `id` as the client sees it (URLs name the proxy).
fn download_path(dir: &std::path::Path, id: i64) -> String {
    let conn = rusqlite::Connection::open(dir.join(vetter_store::DB_FILE)).unwrap();
    let url: String = conn
        .query_row("SELECT url FROM remote_versions WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap();
    let at = url.find("/firefox/downloads/").expect("a download URL");
    url[at..].to_owned()
}

/// (refused downloads counted, retry pending) of the quarantine record of version `id`.
fn quarantine_record(dir: &std::path::Path, id: i64) -> Option<(i64, bool)> {
    let conn = rusqlite::Connection::open(dir.join(vetter_store::DB_FILE)).unwrap();
    conn.query_row(
        "SELECT attempts, retry_at IS NOT NULL FROM quarantined_versions
         WHERE remote_version_id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .ok()
}

#[test]
fn tampered_download_is_retried_by_the_next_sync_and_persistent_tampering_stays_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("server"), 0).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let reference_dir = tmp.path().join("reference");
    rt.block_on(sync::sync(&options(&server.url, &reference_dir), &|_| {}))
        .unwrap();
    let reference = CacheState::read(&reference_dir).unwrap();
    // Two versions the untampered sync caches: one tampered once, one every time.
    let cached: Vec<i64> = reference
        .versions
        .iter()
        .filter(|(_, (_, stored, _))| stored.is_some())
        .map(|(id, _)| *id)
        .collect();
    let [passing, persistent, ..] = cached[..] else {
        panic!("the demo seed caches fewer than two versions: {reference:?}");
    };

    let proxy = FaultProxy::start(
        &server.url,
        Schedule {
            rate_per_mille: 0,
            ..Schedule::new(0x7A3B)
        },
    )
    .unwrap();
    let client = tmp.path().join("client");
    let o = options(proxy.url(), &client);
    rt.block_on(sync::sync(
        &SyncOptions {
            metadata_only: true,
            ..o.clone()
        },
        &|_| {},
    ))
    .unwrap();
    let (passing_path, persistent_path) = (
        download_path(&client, passing),
        download_path(&client, persistent),
    );
    proxy.tamper(&passing_path, 1);
    proxy.tamper(&persistent_path, u32::MAX);
    let downloads_of = |path: &str| {
        proxy
            .injected()
            .iter()
            .filter(|i| i.path == path && i.fault == Fault::WrongHash)
            .count()
    };

    let first = rt.block_on(sync::sync(&o, &|_| {})).unwrap();
    assert!(first.quarantined >= 2, "{first:?}");
    let state = CacheState::read(&client).unwrap();
    assert_eq!(state.wrong_hash_blobs(), Vec::<i64>::new());
    assert_eq!(
        state.versions[&passing].1, None,
        "tampered bytes were stored"
    );
    assert_eq!(quarantine_record(&client, passing), Some((1, true)));

    // The server serves the right bytes again: the next sync downloads and caches them, and
    // the refusal stays on record without a pending retry.
    rt.block_on(sync::sync(&o, &|_| {})).unwrap();
    let state = CacheState::read(&client).unwrap();
    assert_eq!(state.versions[&passing], reference.versions[&passing]);
    assert_eq!(quarantine_record(&client, passing), Some((1, false)));
    assert_eq!(downloads_of(&passing_path), 1);

    // The persistently tampered version: refused on every download, then no longer asked for.
    assert_eq!(quarantine_record(&client, persistent), Some((2, true)));
    rt.block_on(sync::sync(&o, &|_| {})).unwrap();
    assert_eq!(quarantine_record(&client, persistent), Some((3, false)));
    rt.block_on(sync::sync(&o, &|_| {})).unwrap();
    assert_eq!(
        downloads_of(&persistent_path),
        3,
        "downloads past the policy"
    );
    let state = CacheState::read(&client).unwrap();
    let (advertised, stored, refused) = &state.versions[&persistent];
    assert_eq!(
        (advertised, stored, refused),
        (&reference.versions[&persistent].0, &None, &true)
    );

    // Everything else is as the untampered sync left it.
    for (id, expected) in &reference.versions {
        if *id != persistent {
            assert_eq!(&state.versions[id], expected, "version {id}");
        }
    }
    assert_eq!(state.entries, reference.entries);
    let (check, fk) = integrity(&client).unwrap();
    assert_eq!((check.as_str(), fk), ("ok", 0));
}
