//! SIGKILL of a client process at seeded random moments during an import, a sync and an outbox
//! push, all on one cache against one running reference server. After every kill the cache
//! passes `PRAGMA integrity_check` with no foreign-key violation and holds no archive whose
//! hash differs from the advertised one; after the last kill, one sync and one push without a
//! kill must bring the cache to the server's state (compared with a fresh cache), with every
//! announced decision on the server exactly once.
//!
//! The child is this test binary run again with `VETTER_REL_KILL_PHASE` set, so it is the real
//! import, sync and outbox code in a separate process, killed for real.
//! `VETTER_KILLS` sets the number of kills (30 in CI, 200 nightly).

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use sha2::Digest;
use vetter_archive::Limits;
use vetter_client::outbox::Outbox;
use vetter_client::sync::{self, SyncOptions};
use vetter_decision::signing::ReviewerKey;
use vetter_decision::{Action, AddonRef, Decision, DecisionInput, VersionRef};
use vetter_reliability::support::{
    self, CacheState, REVIEWER_KEY, Rng, Server, count_from_env, integrity, reviewer,
};
use vetter_store::Store;

const CI_KILLS: u64 = 30;
const SEED: u64 = 0x5EED_0009;
const DECISIONS_PER_PUSH_RUN: usize = 40;
const DECIDED_ADDON: i64 = 103;
/// Files in each add-on the import phase writes (the manifest and its scripts).
const ADDON_FILES: usize = 25;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Import,
    Sync,
    Push,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Import => "import",
            Phase::Sync => "sync",
            Phase::Push => "push",
        }
    }

    /// Kill moments are drawn from 0..this many ms after spawn; each phase's work takes
    /// about that long on the CI machine, so most kills land inside it.
    fn max_delay_ms(self) -> u64 {
        match self {
            Phase::Import => 700,
            // An incremental sync of one new version takes a few tens of milliseconds once the
            // core is optimised; a wider window lets every kill land after it has finished.
            Phase::Sync => 60,
            Phase::Push => 500,
        }
    }
}

fn sync_options(server: &str, dir: &Path) -> SyncOptions {
    let mut o = SyncOptions::new(server, reviewer(), dir);
    o.retry.base_delay = Duration::from_millis(20);
    o
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The child role: one phase's work on the cache, announcing each decision once recorded.
#[test]
#[ignore = "run by caches_survive_random_kills_during_import_sync_and_push as a child process"]
fn kill_child() {
    let Ok(phase) = std::env::var("VETTER_REL_KILL_PHASE") else {
        return;
    };
    let var = |name: &str| std::env::var(name).unwrap();
    let dir = std::path::PathBuf::from(var("VETTER_REL_KILL_DIR"));
    let server = var("VETTER_REL_KILL_SERVER");
    let rt = runtime();
    match phase.as_str() {
        "import" => {
            let bytes = std::fs::read(var("VETTER_REL_KILL_XPI")).unwrap();
            let mut store = Store::open(&dir).unwrap();
            store
                .import_archive("kill.xpi", &bytes, &Limits::default(), &mut |_| {})
                .unwrap();
        }
        "sync" => {
            rt.block_on(sync::sync(&sync_options(&server, &dir), &|_| {}))
                .unwrap();
        }
        "push" => {
            let key = ReviewerKey::from_secret(&var("VETTER_REL_KILL_KEY")).unwrap();
            let (addon, version): (AddonRef, VersionRef) =
                serde_json::from_str(&var("VETTER_REL_KILL_VERSION")).unwrap();
            let outbox = Outbox::open(&dir).unwrap();
            rt.block_on(outbox.push(&server, &reviewer())).unwrap();
            let mut out = std::io::stdout().lock();
            for i in 0..DECISIONS_PER_PUSH_RUN {
                let decision = Decision::new(
                    REVIEWER_KEY,
                    addon.clone(),
                    version.clone(),
                    Action::Comment,
                    DecisionInput {
                        comments: format!("kill run decision {i}"),
                        ..Default::default()
                    },
                )
                .unwrap();
                outbox.record(&server, &decision, &key).unwrap();
                writeln!(out, "recorded {}", decision.id).unwrap();
                out.flush().unwrap();
                rt.block_on(outbox.push(&server, &reviewer())).unwrap();
            }
        }
        other => panic!("unknown phase {other}"),
    }
}

/// A ~3 MB add-on with its own version string.
fn big_addon(rng: &mut Rng, run: u64) -> Vec<u8> {
    let manifest = json!({
        "manifest_version": 2,
        "name": "Kill import",
        "version": format!("1.0.{run}"),
        "browser_specific_settings": {"gecko": {"id": "kill-import@vetter.example"}},
    })
    .to_string();
    let mut files: Vec<(String, Vec<u8>)> = vec![("manifest.json".into(), manifest.into_bytes())];
    for i in 0..ADDON_FILES - 1 {
        files.push((
            format!("lib/part{i}.js"),
            vetter_testkit::code_like_text(rng, 120_000),
        ));
    }
    vetter_fixtures::zip_files(&files)
}

/// Moves add-on 101's queue entry to a new version, so the next sync has work to do.
fn new_server_version(data_dir: &Path, run: u64) {
    use vetter_server::storage::{NewVersion, Storage};
    let mut addon = vetter_fixtures::next_version(&vetter_fixtures::mv2_addon());
    let mut manifest = addon.manifest();
    manifest["version"] = json!(format!("9.{run}.0"));
    manifest["browser_specific_settings"] = json!({"gecko": {"id": "tab-tidy@vetter.example"}});
    addon.files[0].data = serde_json::to_vec(&manifest).unwrap();
    let storage = vetter_server::open_storage(data_dir, None).unwrap();
    storage
        .add_version(&NewVersion {
            addon_id: 101,
            version: format!("9.{run}.0"),
            xpi: addon.to_xpi(),
            permissions: vec![],
            host_permissions: vec![],
            queue: "extension".to_owned(),
        })
        .unwrap();
}

/// Every imported version has all of its files: a version row never becomes visible without
/// its entries. `files` holds the file count of each add-on the import phase wrote, by the
/// sha256 of its XPI; any other version must at least have one file.
fn check_versions_complete(dir: &Path, files: &HashMap<String, usize>, what: &str) {
    let conn = rusqlite::Connection::open(dir.join(vetter_store::DB_FILE)).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT v.xpi_sha256, (SELECT COUNT(*) FROM entries e WHERE e.version_id = v.id)
             FROM versions v",
        )
        .unwrap();
    let counts = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    for (sha, count) in counts {
        let expected = files.get(&sha).map(|n| *n as i64);
        assert!(
            count > 0 && expected.is_none_or(|n| n == count),
            "{what}: version with XPI sha256 {sha} has {count} files, expected {expected:?}"
        );
    }
}

fn check_after_kill(dir: &Path, what: &str) {
    let (check, fk) = integrity(dir).unwrap();
    assert_eq!((check.as_str(), fk), ("ok", 0), "{what}: corrupt cache");
    // The store opens (migrations and all) and every cached archive has its advertised hash.
    let store = Store::open(dir).unwrap();
    drop(store);
    let state = CacheState::read(dir).unwrap();
    assert_eq!(state.wrong_hash_blobs(), Vec::<i64>::new(), "{what}");
}

#[test]
fn caches_survive_random_kills_during_import_sync_and_push() {
    let started = Instant::now();
    let kills = count_from_env("VETTER_KILLS", CI_KILLS);
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("server"), 0).unwrap();
    let key = ReviewerKey::generate().unwrap();
    support::register_key(&server.url, &key).unwrap();
    let client = tmp.path().join("client");
    let rt = runtime();

    // The version to decide on comes from a first cache; the killed cache starts empty.
    let first = tmp.path().join("first");
    rt.block_on(sync::sync(&sync_options(&server.url, &first), &|_| {}))
        .unwrap();
    // Add-on 103: the sync kills move add-on 101 to new versions, which would (rightly) turn
    // decisions on 101 into conflicts.
    let (addon, version) = support::cached_under_review(&first, DECIDED_ADDON).unwrap();
    drop(Outbox::open(&client).unwrap());

    let mut rng = Rng(SEED);
    let mut announced: HashSet<String> = HashSet::new();
    let mut imported_files: HashMap<String, usize> = HashMap::new();
    let mut mid_run = [0u64; 3];
    let mut runs = [0u64; 3];
    let xpi = tmp.path().join("kill.xpi");
    for run in 0..kills {
        let phase = [Phase::Import, Phase::Sync, Phase::Push][(run % 3) as usize];
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .args([
                "kills::kill_child",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("VETTER_REL_KILL_PHASE", phase.name())
            .env("VETTER_REL_KILL_DIR", &client)
            .env("VETTER_REL_KILL_SERVER", &server.url)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        match phase {
            Phase::Import => {
                let bytes = big_addon(&mut rng, run);
                imported_files.insert(hex::encode(sha2::Sha256::digest(&bytes)), ADDON_FILES);
                std::fs::write(&xpi, bytes).unwrap();
                command.env("VETTER_REL_KILL_XPI", &xpi);
            }
            Phase::Sync => new_server_version(&server.data_dir, run),
            Phase::Push => {
                command
                    .env("VETTER_REL_KILL_KEY", key.to_secret().as_str())
                    .env(
                        "VETTER_REL_KILL_VERSION",
                        serde_json::to_string(&(&addon, &version)).unwrap(),
                    );
            }
        }
        let delay = Duration::from_millis(rng.below(phase.max_delay_ms() + 1));
        let mut child = command.spawn().unwrap();
        std::thread::sleep(delay);
        let index = (run % 3) as usize;
        runs[index] += 1;
        if child.try_wait().unwrap().is_none() {
            mid_run[index] += 1;
        }
        child.kill().ok();
        let out = child.wait_with_output().unwrap();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            if let Some(id) = line.strip_prefix("recorded ") {
                announced.insert(id.to_owned());
            }
        }
        let what = format!("kill {run} during {}", phase.name());
        check_after_kill(&client, &what);
        check_versions_complete(&client, &imported_files, &what);
    }
    let killed: u64 = mid_run.iter().sum();
    assert!(
        kills < 3 || mid_run.iter().all(|n| *n > 0),
        "a phase was never killed while working: {mid_run:?}"
    );
    assert!(
        killed * 2 >= kills,
        "only {killed} of {kills} kills landed while the child was working ({mid_run:?})"
    );

    // The next successful sync and push, without kills.
    rt.block_on(sync::sync(&sync_options(&server.url, &client), &|_| {}))
        .unwrap();
    let outbox = Outbox::open(&client).unwrap();
    let pushed = rt.block_on(outbox.push(&server.url, &reviewer())).unwrap();
    assert_eq!(pushed.waiting, 0, "{pushed:?}");
    check_after_kill(&client, "after the final sync");

    let fresh = tmp.path().join("fresh");
    rt.block_on(sync::sync(&sync_options(&server.url, &fresh), &|_| {}))
        .unwrap();
    let expected = CacheState::read(&fresh).unwrap();
    let state = CacheState::read(&client).unwrap();
    assert_eq!(state.entries, expected.entries, "queue after kills");
    for (id, (advertised, stored, quarantined)) in &expected.versions {
        let Some((a, s, q)) = state.versions.get(id) else {
            // Versions that left the queue before the killed cache first saw them are history
            // the killed cache never needed; everything in the queue is compared above.
            continue;
        };
        assert_eq!((a, q), (advertised, quarantined), "version {id}");
        if stored.is_some() {
            assert_eq!(s, stored, "version {id}: stored bytes");
        }
    }

    let entries = outbox.entries(None).unwrap();
    for entry in &entries {
        assert_eq!(
            entry.state,
            vetter_client::outbox::OutboxState::Accepted,
            "{}: {:?}",
            entry.decision.id,
            entry.last_error
        );
    }
    let local: HashSet<String> = entries.into_iter().map(|e| e.decision.id).collect();
    let lost = announced.difference(&local).count();
    assert_eq!(lost, 0, "announced decisions missing from the outbox");
    let counts = support::server_decision_counts(&server.url).unwrap();
    let doubled = local
        .iter()
        .filter(|id| counts.get(*id).copied().unwrap_or(0) > 1)
        .count();
    let missing = local.iter().filter(|id| !counts.contains_key(*id)).count();
    assert_eq!(
        (doubled, missing),
        (0, 0),
        "decisions doubled / not delivered"
    );
    // Only the killed client sends decisions to this server: one the outbox has no record of
    // was sent before it was recorded, and a kill in between lost the reviewer's record of it.
    let unrecorded: Vec<&String> = counts.keys().filter(|id| !local.contains(*id)).collect();
    assert_eq!(
        unrecorded,
        Vec::<&String>::new(),
        "decisions on the server that the outbox never recorded"
    );

    eprintln!(
        "kills: {kills} ({killed} mid-work: import {}, sync {}, push {}), {} decisions, {:.1} s",
        mid_run[0],
        mid_run[1],
        mid_run[2],
        local.len(),
        started.elapsed().as_secs_f64()
    );
    support::write_figures(
        "kills",
        &json!({
            "kills": kills,
            "kills_survived": kills,
            "killed_mid_work": {"import": mid_run[0], "sync": mid_run[1], "push": mid_run[2]},
            "runs": {"import": runs[0], "sync": runs[1], "push": runs[2]},
            "decisions": local.len(),
            "lost": lost,
            "doubled": doubled,
            "corrupt": 0,
            "seconds": started.elapsed().as_secs_f64(),
        }),
    )
    .unwrap();
}
