//! Seeded fault schedules between the real sync engine and outbox and the real reference
//! server: every schedule syncs the demo seed and pushes three signed decisions through the
//! fault proxy until both succeed, and then the cache must equal a cache synced without faults,
//! no stored archive may have a hash other than the advertised one, and every decision must be
//! on the server exactly once. `VETTER_FAULT_SCHEDULES` sets the count (20 in CI, 200 nightly).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use vetter_client::outbox::{Outbox, OutboxState};
use vetter_client::sync::{self, QuarantineRetry, SyncOptions};
use vetter_decision::signing::ReviewerKey;
use vetter_decision::{Action, Decision, DecisionInput};
use vetter_reliability::proxy::{FaultProxy, Schedule};
use vetter_reliability::support::{
    self, CacheState, REVIEWER_KEY, Server, count_from_env, integrity, reviewer,
};

const CI_SCHEDULES: u64 = 20;
const BASE_SEED: u64 = 0xFA17_0009;
const DECISIONS_PER_SCHEDULE: usize = 3;

fn options(server: &str, dir: &std::path::Path) -> SyncOptions {
    let mut o = SyncOptions::new(server, reviewer(), dir);
    o.retry.base_delay = Duration::from_millis(20);
    o.retry.max_delay = Duration::from_secs(1);
    // Shorter than the proxy's 1.5 s stall, so a stall is a timeout the engine must survive.
    o.read_timeout = Duration::from_secs(1);
    // A download refused for a wrong hash is tried again by the next round, more times than the
    // schedule can tamper with downloads, so every tampered version must end cached.
    o.quarantine_retry = QuarantineRetry {
        max_downloads: 8,
        base_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
    };
    o
}

/// Remote versions the cache refuses (quarantined and not cached).
fn refused(state: &CacheState) -> Vec<i64> {
    state
        .versions
        .iter()
        .filter(|(_, (_, _, refused))| *refused)
        .map(|(id, _)| *id)
        .collect()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn sync_and_outbox_converge_under_seeded_fault_schedules() {
    let started = Instant::now();
    let schedules = count_from_env("VETTER_FAULT_SCHEDULES", CI_SCHEDULES);
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(&tmp.path().join("server"), 0).unwrap();
    let key = ReviewerKey::generate().unwrap();
    support::register_key(&server.url, &key).unwrap();
    let rt = runtime();

    // The reference: the same sync with nothing in the way.
    let reference_dir = tmp.path().join("reference");
    rt.block_on(sync::sync(&options(&server.url, &reference_dir), &|_| {}))
        .unwrap();
    let reference = CacheState::read(&reference_dir).unwrap();
    assert!(!reference.entries.is_empty());
    let (addon, version) = support::cached_under_review(&reference_dir, 101).unwrap();

    let mut by_kind: BTreeMap<&'static str, u64> = BTreeMap::new();
    let (mut failed_syncs, mut stopped_pushes, mut requests, mut decisions) = (0u64, 0u64, 0, 0);
    for s in 0..schedules {
        let seed = BASE_SEED.wrapping_add(s);
        let proxy = FaultProxy::start(&server.url, Schedule::new(seed)).unwrap();
        let client = tmp.path().join(format!("client-{s}"));
        let outbox = Outbox::open(&client).unwrap();
        let mut ids = Vec::new();
        for i in 0..DECISIONS_PER_SCHEDULE {
            let decision = Decision::new(
                REVIEWER_KEY,
                addon.clone(),
                version.clone(),
                Action::Comment,
                DecisionInput {
                    comments: format!("schedule {seed:#x}, decision {i}"),
                    ..Default::default()
                },
            )
            .unwrap();
            outbox.record(proxy.url(), &decision, &key).unwrap();
            ids.push(decision.id);
        }

        let o = options(proxy.url(), &client);
        let mut converged = false;
        // Each failed round spends at least one fault of the budget, so that many rounds plus
        // two is enough for a client that retries correctly.
        for _ in 0..proxy.max_faults() + 2 {
            let synced = rt.block_on(sync::sync(&o, &|_| {}));
            failed_syncs += u64::from(synced.is_err());
            let pushed = rt.block_on(outbox.push(proxy.url(), &reviewer())).unwrap();
            stopped_pushes += u64::from(pushed.stopped.is_some());
            let (check, fk) = integrity(&client).unwrap();
            assert_eq!(
                (check.as_str(), fk),
                ("ok", 0),
                "schedule {seed:#x}: corrupt cache"
            );
            let state = CacheState::read(&client).unwrap();
            assert_eq!(
                state.wrong_hash_blobs(),
                Vec::<i64>::new(),
                "schedule {seed:#x}: an archive with a wrong hash was stored"
            );
            // Converged: nothing left to push, and no refusal beyond the reference's, which
            // a tampered download leaves until the next round downloads it again.
            if synced.is_ok()
                && pushed.waiting == 0
                && pushed.stopped.is_none()
                && refused(&state) == refused(&reference)
            {
                converged = true;
                break;
            }
        }
        let injected = proxy.injected();
        assert!(
            converged,
            "schedule {seed:#x} did not converge; faults: {injected:?}"
        );

        let state = CacheState::read(&client).unwrap();
        assert_eq!(
            state.entries, reference.entries,
            "schedule {seed:#x}: queue differs"
        );
        assert_eq!(
            state.versions.keys().collect::<Vec<_>>(),
            reference.versions.keys().collect::<Vec<_>>(),
            "schedule {seed:#x}: remote versions differ"
        );
        // Tampered downloads were quarantined and then downloaded again: every version ends
        // byte-identical to the reference's, refused only where the reference refuses it.
        for (id, version) in &state.versions {
            assert_eq!(
                version, &reference.versions[id],
                "schedule {seed:#x}: version {id}; faults: {injected:?}"
            );
        }

        let counts = support::server_decision_counts(&server.url).unwrap();
        for id in &ids {
            assert_eq!(
                counts.get(id).copied().unwrap_or(0),
                1,
                "schedule {seed:#x}: decision {id} lost or doubled; faults: {injected:?}"
            );
            assert_eq!(
                outbox.entry(id).unwrap().state,
                OutboxState::Accepted,
                "schedule {seed:#x}: decision {id}"
            );
        }
        decisions += ids.len();
        requests += proxy.requests();
        for i in &injected {
            *by_kind.entry(i.fault.name()).or_default() += 1;
        }
    }

    let faults: u64 = by_kind.values().sum();
    assert!(faults >= schedules * 5, "only {faults} faults injected");
    if schedules >= CI_SCHEDULES {
        // Enough schedules to expect every kind of fault, and pushes that had to stop: a run
        // where they never happened would prove nothing about them.
        assert_eq!(by_kind.len(), 9, "kinds injected: {by_kind:?}");
        assert!(stopped_pushes > 0, "no push ever met a fault");
    }
    eprintln!(
        "fault schedules: {schedules} survived, {faults} faults ({by_kind:?}), {requests} requests, \
         {failed_syncs} failed syncs and {stopped_pushes} stopped pushes recovered, {:.1} s",
        started.elapsed().as_secs_f64()
    );
    support::write_figures(
        "faults",
        &serde_json::json!({
            "schedules": schedules,
            "schedules_survived": schedules,
            "faults_injected": faults,
            "faults_by_kind": by_kind,
            "requests": requests,
            "failed_syncs_recovered": failed_syncs,
            "stopped_pushes_recovered": stopped_pushes,
            "decisions": decisions,
            "lost": 0,
            "doubled": 0,
            "corrupt": 0,
            "wrong_hash_stored": 0,
            "seconds": started.elapsed().as_secs_f64(),
        }),
    )
    .unwrap();
}
