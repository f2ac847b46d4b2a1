//! Crash test: a client process recording and pushing up to 100 decisions is SIGKILLed at
//! seeded random moments, 50 times, against one server that keeps running. Afterwards every
//! decision the client announced is in its outbox, each is on the server exactly once or still
//! waiting locally (never lost, never doubled), and the client database passes
//! `integrity_check`. A final push then delivers every waiting decision exactly once.
//!
//! The child is this test binary run again with `VETTER_KILL_CHILD` set, so it is the real
//! outbox code in a separate process, killed for real.

use crate::decide_support as support;

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Server, register_key, reviewer, under_review};
use vetter_client::outbox::{Outbox, OutboxState};
use vetter_decision::signing::ReviewerKey;
use vetter_decision::{Action, AddonRef, Decision, DecisionInput, VersionRef};

const RUNS: usize = 50;
const DECISIONS_PER_RUN: usize = 100;
/// Kills land between 0 and this many milliseconds after the child starts.
const MAX_KILL_DELAY_MS: u64 = 800;
const SEED: u64 = 0x5EED_0006;

use vetter_testkit::Rng;

/// The child role: push what is waiting (rows a previous kill left in `sending` included),
/// then record and push decisions one by one, announcing each id once its record committed.
#[test]
#[ignore = "run by decisions_survive_random_kills as a child process"]
fn kill_child() {
    let Ok(dir) = std::env::var("VETTER_KILL_CHILD") else {
        return;
    };
    let var = |name: &str| std::env::var(name).unwrap();
    let server = var("VETTER_KILL_SERVER");
    let key = ReviewerKey::from_secret(&var("VETTER_KILL_KEY")).unwrap();
    let run = var("VETTER_KILL_RUN");
    let version = VersionRef {
        id: var("VETTER_KILL_VERSION_ID").parse().unwrap(),
        version: var("VETTER_KILL_VERSION"),
        file_sha256: var("VETTER_KILL_SHA"),
    };
    let outbox = Outbox::open(std::path::Path::new(&dir)).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(outbox.push(&server, &reviewer())).unwrap();
    let mut out = std::io::stdout().lock();
    for i in 0..DECISIONS_PER_RUN {
        let decision = Decision::new(
            support::REVIEWER_KEY,
            AddonRef {
                id: 101,
                guid: "tab-tidy@vetter.example".to_owned(),
            },
            version.clone(),
            Action::Comment,
            DecisionInput {
                comments: format!("run {run}, decision {i}"),
                ..Default::default()
            },
        )
        .unwrap();
        outbox.record(&server, &decision, &key).unwrap();
        writeln!(out, "recorded {}", decision.id).unwrap();
        out.flush().unwrap();
        runtime.block_on(outbox.push(&server, &reviewer())).unwrap();
    }
}

#[derive(Default)]
struct Tally {
    waiting: usize,
    sending: usize,
    sent_unconfirmed: usize,
}

/// Every announced decision is in the outbox; each local decision is on the server at most
/// once, exactly once if the outbox says accepted; the server holds nothing the client does not
/// know. Returns how many decisions wait, and adds the counts to `tally`.
fn check_invariants(
    outbox: &Outbox,
    server: &str,
    announced: &HashSet<String>,
    tally: &mut Tally,
) -> usize {
    let local = outbox.entries(None).unwrap();
    let local_ids: HashSet<String> = local.iter().map(|e| e.decision.id.clone()).collect();
    assert!(
        announced.is_subset(&local_ids),
        "{} announced decisions are missing locally",
        announced.difference(&local_ids).count()
    );
    let mut on_server: HashMap<String, usize> = HashMap::new();
    for id in support::server_decision_ids(server) {
        *on_server.entry(id).or_default() += 1;
    }
    assert!(
        on_server.values().all(|n| *n == 1),
        "a decision was recorded twice"
    );
    assert!(
        on_server.keys().all(|id| local_ids.contains(id)),
        "the server holds a decision the client does not know"
    );
    let mut waiting = 0;
    for entry in &local {
        let count = on_server.get(&entry.decision.id).copied().unwrap_or(0);
        match entry.state {
            OutboxState::Accepted => assert_eq!(count, 1, "{}", entry.decision.id),
            OutboxState::Pending => waiting += 1,
            // Killed mid-request: the server may or may not have it; the retry must not double it.
            OutboxState::Sending => {
                waiting += 1;
                tally.sending += 1;
                tally.sent_unconfirmed += count;
            }
            other => panic!("{} ended {other:?}", entry.decision.id),
        }
    }
    tally.waiting += waiting;
    waiting
}

#[test]
fn decisions_survive_random_kills() {
    let started = Instant::now();
    let server_dir = tempfile::tempdir().unwrap();
    let client_dir = tempfile::tempdir().unwrap();
    let server = Server::start(server_dir.path(), 0).unwrap();
    let key = ReviewerKey::generate().unwrap();
    register_key(&server.url, &reviewer(), &key);
    let (version_id, version, sha) = under_review(&server.url, 101);
    // Create the schema once, so every child starts on a migrated database.
    drop(Outbox::open(client_dir.path()).unwrap());

    let mut rng = Rng(SEED);
    let mut announced: HashSet<String> = HashSet::new();
    let mut killed_mid_run = 0;
    let mut tally = Tally::default();
    for run in 0..RUNS {
        let delay = Duration::from_millis(rng.next_u64() % (MAX_KILL_DELAY_MS + 1));
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "outbox_kill::kill_child",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("VETTER_KILL_CHILD", client_dir.path())
            .env("VETTER_KILL_SERVER", &server.url)
            .env("VETTER_KILL_KEY", key.to_secret().as_str())
            .env("VETTER_KILL_RUN", run.to_string())
            .env("VETTER_KILL_VERSION_ID", version_id.to_string())
            .env("VETTER_KILL_VERSION", &version)
            .env("VETTER_KILL_SHA", &sha)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            killed_mid_run += 1;
        }
        child.kill().ok();
        let out = child.wait_with_output().unwrap();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            if let Some(id) = line.strip_prefix("recorded ") {
                announced.insert(id.to_owned());
            }
        }
        assert_eq!(
            vetter_testkit::integrity(client_dir.path()).unwrap().0,
            "ok",
            "after run {run}"
        );
        let outbox = Outbox::open(client_dir.path()).unwrap();
        check_invariants(&outbox, &server.url, &announced, &mut tally);
    }
    assert!(
        killed_mid_run >= RUNS / 2,
        "only {killed_mid_run} runs were killed mid-way"
    );

    let outbox = Outbox::open(client_dir.path()).unwrap();
    let local_ids: HashSet<String> = outbox
        .entries(None)
        .unwrap()
        .iter()
        .map(|e| e.decision.id.clone())
        .collect();
    let waiting = check_invariants(&outbox, &server.url, &announced, &mut Tally::default());
    // A final push (no kill) delivers everything that waited, each exactly once.
    let summary = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(outbox.push(&server.url, &reviewer()))
        .unwrap();
    assert_eq!(summary.waiting, 0, "{summary:?}");
    assert_eq!(summary.accepted as usize, waiting);
    let mut server_ids = support::server_decision_ids(&server.url);
    let total = server_ids.len();
    server_ids.sort();
    server_ids.dedup();
    assert_eq!(server_ids.len(), total, "a decision was recorded twice");
    let server_set: HashSet<String> = server_ids.into_iter().collect();
    assert_eq!(server_set, local_ids);
    assert_eq!(
        vetter_testkit::integrity(client_dir.path()).unwrap().0,
        "ok"
    );
    eprintln!(
        "kill test: {RUNS} runs ({killed_mid_run} killed mid-way), {} decisions; after the kills {} waited in total, {} in sending, {} of those already on the server; {:.1} s",
        local_ids.len(),
        tally.waiting,
        tally.sending,
        tally.sent_unconfirmed,
        started.elapsed().as_secs_f64()
    );
    server.stop();
}
