//! A review team under load: N reviewers on loopback, each syncing its queues, reading the audit
//! log and deciding in a loop for a fixed time, against the real `vetter-server` on SQLite, on
//! PostgreSQL, and on PostgreSQL with two server processes. Prints throughput, p50/p99 latency
//! per kind of request, errors (target 0) and the server's memory; writes the figures to
//! `target/bench/server-load.json`.
//!
//! `bench/server-load [REVIEWERS] [SECONDS]` runs it (defaults 50 and 20).

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vetter_decision::Action;
use vetter_decision::signing::ReviewerKey;
use vetter_fixtures::demo::ApiKeySeed;
use vetter_protocol::auth::Credentials;
use vetter_testkit::postgres::{Cluster, peak_rss_of};

const QUEUES: &[&str] = &["extension", "mad", "content_review", "pending_rejection"];

/// What one kind of request did over a run.
#[derive(Default, Clone)]
struct Kind {
    micros: Vec<u64>,
    errors: u64,
    conflicts: u64,
}

impl Kind {
    /// The `p` quantile in milliseconds; `micros` is sorted once the run is over.
    fn percentile(&self, p: f64) -> f64 {
        if self.micros.is_empty() {
            return 0.0;
        }
        let at = ((self.micros.len() as f64 - 1.0) * p).round() as usize;
        self.micros[at] as f64 / 1000.0
    }
}

/// One reviewer's loop state.
struct Reviewer {
    credentials: Credentials,
    key: ReviewerKey,
    index: usize,
    cursors: HashMap<&'static str, String>,
    live: HashMap<i64, Value>,
    log_cursor: i64,
}

struct Run {
    label: String,
    kinds: HashMap<&'static str, Kind>,
    seconds: f64,
    server_peak_kb: Vec<u64>,
    database_kb: u64,
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let reviewers: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(50);
    let seconds: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20);
    let tmp = tempfile::tempdir().unwrap();
    let seed_dir = tmp.path().join("seed");
    write_seed(&seed_dir, reviewers);
    let cluster = Cluster::start(true).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "server-load: {reviewers} reviewers for {seconds} s each run, on 127.0.0.1 ({} cores); debug builds are not representative",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let mut runs = Vec::new();
    for (label, postgres, processes) in [
        ("SQLite, 1 process", false, 1),
        ("PostgreSQL, 1 process", true, 1),
        ("PostgreSQL, 2 processes", true, 2),
    ] {
        let data = tmp.path().join(label.replace([' ', ','], "_"));
        let mut extra = Vec::new();
        if postgres {
            extra = cluster.server_args(label).unwrap();
        }
        // Generous limits: the benchmark measures the server, not its rate limiter.
        extra.extend(["--rate-limit", "100000", "--burst", "100000"].map(str::to_owned));
        let servers: Vec<(Child, String)> = (0..processes)
            .map(|_| start_server(&data, &seed_dir, &extra))
            .collect();
        let bases: Vec<String> = servers.iter().map(|s| s.1.clone()).collect();
        let started = Instant::now();
        let kinds = drive(&bases, reviewers, Duration::from_secs(seconds));
        let elapsed = started.elapsed().as_secs_f64();
        let server_peak_kb = servers.iter().map(|s| peak_rss_of(s.0.id())).collect();
        let database_kb = if postgres { cluster.rss_kb() } else { 0 };
        for (mut child, _) in servers {
            let _ = child.kill();
            let _ = child.wait();
        }
        let run = Run {
            label: label.to_owned(),
            kinds,
            seconds: elapsed,
            server_peak_kb,
            database_kb,
        };
        print_run(&run);
        runs.push(run);
    }
    write_json(&runs, reviewers);
}

fn write_seed(dir: &Path, reviewers: usize) {
    // One queue entry per add-on; enough that no reviewer runs out of entries to approve.
    let mut seed = vetter_fixtures::demo::bench_seed(reviewers * 40, 2);
    seed.api_keys = (0..reviewers)
        .map(|n| ApiKeySeed {
            key: format!("user:{}:1", 100 + n),
            secret: format!("load-secret-{n}-not-for-production"),
            user_id: 100 + n as i64,
            name: format!("Reviewer {n}"),
            username: format!("reviewer{n}"),
        })
        .collect();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("seed.json"), serde_json::to_vec(&seed).unwrap()).unwrap();
}

fn start_server(data: &Path, seed: &Path, extra: &[String]) -> (Child, String) {
    vetter_testkit::spawn_server_process(
        Path::new(env!("CARGO_BIN_EXE_vetter-server")),
        data,
        seed,
        extra,
        "warn",
        Stdio::inherit(),
    )
}

/// Runs every reviewer's loop until `length` has passed; returns what each kind of request did.
fn drive(bases: &[String], reviewers: usize, length: Duration) -> HashMap<&'static str, Kind> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(reviewers * 2)
            .build()
            .unwrap();
        let deadline = Instant::now() + length;
        let tasks: Vec<_> = (0..reviewers)
            .map(|n| {
                let base = bases[n % bases.len()].clone();
                let http = http.clone();
                tokio::spawn(async move {
                    let mut me = Reviewer {
                        credentials: Credentials::new(
                            format!("user:{}:1", 100 + n),
                            format!("load-secret-{n}-not-for-production"),
                        ),
                        key: ReviewerKey::generate().unwrap(),
                        index: n,
                        cursors: HashMap::new(),
                        live: HashMap::new(),
                        log_cursor: 0,
                    };
                    let mut kinds: HashMap<&'static str, Kind> = HashMap::new();
                    let public = me.key.public_key();
                    let body = json!({"alg": "EdDSA", "public_key": public.to_base64url()});
                    let (status, _) = call(
                        &http,
                        &base,
                        &me.credentials,
                        "PUT",
                        &format!("/api/v5/reviewers/keys/{}/", public.kid()),
                        Some(("application/json", serde_json::to_vec(&body).unwrap())),
                    )
                    .await;
                    assert_eq!(status, 201, "key registration");
                    while Instant::now() < deadline {
                        sync(&http, &base, &mut me, &mut kinds).await;
                        read_log(&http, &base, &mut me, &mut kinds).await;
                        decide(&http, &base, &mut me, reviewers, &mut kinds).await;
                    }
                    kinds
                })
            })
            .collect();
        let mut all: HashMap<&'static str, Kind> = HashMap::new();
        for t in tasks {
            for (name, kind) in t.await.unwrap() {
                let into = all.entry(name).or_default();
                into.micros.extend(kind.micros);
                into.errors += kind.errors;
                into.conflicts += kind.conflicts;
            }
        }
        for kind in all.values_mut() {
            kind.micros.sort_unstable();
        }
        all
    })
}

async fn call(
    http: &reqwest::Client,
    base: &str,
    credentials: &Credentials,
    method: &str,
    path: &str,
    body: Option<(&str, Vec<u8>)>,
) -> (u16, Value) {
    let mut request = http
        .request(method.parse().unwrap(), format!("{base}{path}"))
        .header("Authorization", credentials.authorization());
    if let Some((kind, bytes)) = body {
        request = request.header("Content-Type", kind).body(bytes);
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let bytes = response.bytes().await.unwrap_or_default();
            (
                status,
                serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            )
        }
        Err(_) => (0, Value::Null),
    }
}

fn record(kinds: &mut HashMap<&'static str, Kind>, name: &'static str, started: Instant, ok: bool) {
    let kind = kinds.entry(name).or_default();
    kind.micros.push(started.elapsed().as_micros() as u64);
    if !ok {
        kind.errors += 1;
    }
}

/// The queue list, then each queue's changes since this reviewer's cursor.
async fn sync(
    http: &reqwest::Client,
    base: &str,
    me: &mut Reviewer,
    kinds: &mut HashMap<&'static str, Kind>,
) {
    let started = Instant::now();
    let (status, _) = call(
        http,
        base,
        &me.credentials,
        "GET",
        "/api/v5/reviewers/queues/",
        None,
    )
    .await;
    let mut ok = status == 200;
    for queue in QUEUES {
        let since = me
            .cursors
            .get(queue)
            .cloned()
            .unwrap_or_else(|| "0".to_owned());
        let path = format!("/api/v5/reviewers/queues/{queue}/?since={since}");
        let (status, page) = call(http, base, &me.credentials, "GET", &path, None).await;
        ok &= status == 200;
        if let Some(results) = page["results"].as_array() {
            for entry in results {
                let id = entry["id"].as_i64().unwrap_or_default();
                if entry["removed"].as_bool().unwrap_or(false) {
                    me.live.remove(&id);
                } else {
                    me.live.insert(id, entry.clone());
                }
            }
        }
        if let Some(cursor) = page["cursor"].as_str() {
            me.cursors.insert(queue, cursor.to_owned());
        }
    }
    record(kinds, "sync", started, ok);
}

async fn read_log(
    http: &reqwest::Client,
    base: &str,
    me: &mut Reviewer,
    kinds: &mut HashMap<&'static str, Kind>,
) {
    let started = Instant::now();
    let path = format!("/api/v5/reviewers/decisions/?since={}", me.log_cursor);
    let (status, page) = call(http, base, &me.credentials, "GET", &path, None).await;
    if let Some(cursor) = page["cursor"].as_str().and_then(|c| c.parse().ok()) {
        me.log_cursor = cursor;
    }
    record(kinds, "audit log", started, status == 200);
}

/// Approves one of this reviewer's own entries (entry id modulo the team size), so approvals
/// never race; once none is left, comments on any live entry, which a teammate may have
/// settled since this reviewer's last sync (the expected 409).
async fn decide(
    http: &reqwest::Client,
    base: &str,
    me: &mut Reviewer,
    team: usize,
    kinds: &mut HashMap<&'static str, Kind>,
) {
    let mine = me
        .live
        .iter()
        .filter(|(id, _)| (**id as usize) % team == me.index)
        .map(|(id, e)| (*id, e.clone()))
        .next();
    let (action, entry) = match mine {
        Some((_, entry)) => (Action::Public, entry),
        None => match me.live.values().next() {
            Some(entry) => (Action::Comment, entry.clone()),
            None => return,
        },
    };
    let body = vetter_testkit::signed_decision(&me.key, me.credentials.key(), &entry, action);
    let started = Instant::now();
    let (status, _) = call(
        http,
        base,
        &me.credentials,
        "POST",
        "/api/v5/reviewers/decisions/",
        Some(("application/jose", body)),
    )
    .await;
    if action == Action::Public {
        // Settled: it leaves this reviewer's view now; the next sync says so too.
        me.live.remove(&entry["id"].as_i64().unwrap_or_default());
    }
    let kind = if action == Action::Public {
        "decide (approve)"
    } else {
        "decide (comment)"
    };
    // A 409 is the answer a reviewer gets when a teammate settled the entry since the last
    // sync: counted apart, not as an error.
    if status == 409 {
        kinds.entry(kind).or_default().conflicts += 1;
    }
    record(kinds, kind, started, status == 201 || status == 409);
}

fn print_run(run: &Run) {
    let requests: usize = run.kinds.values().map(|k| k.micros.len()).sum();
    let errors: u64 = run.kinds.values().map(|k| k.errors).sum();
    println!();
    println!(
        "{}: {:.0} operations/s over {:.1} s, {} errors; server peak RSS {} MB{}",
        run.label,
        requests as f64 / run.seconds,
        run.seconds,
        errors,
        run.server_peak_kb
            .iter()
            .map(|kb| format!("{:.1}", *kb as f64 / 1024.0))
            .collect::<Vec<_>>()
            .join(" + "),
        if run.database_kb > 0 {
            format!(", PostgreSQL RSS {:.1} MB", run.database_kb as f64 / 1024.0)
        } else {
            String::new()
        }
    );
    let mut names: Vec<&&str> = run.kinds.keys().collect();
    names.sort();
    for name in names {
        let k = &run.kinds[*name];
        println!(
            "  {:<18} {:>7} done  {:>8.0}/s  p50 {:>7.2} ms  p99 {:>7.2} ms  errors {}  409s {}",
            name,
            k.micros.len(),
            k.micros.len() as f64 / run.seconds,
            k.percentile(0.5),
            k.percentile(0.99),
            k.errors,
            k.conflicts
        );
    }
}

fn write_json(runs: &[Run], reviewers: usize) {
    let out = json!({
        "reviewers": reviewers,
        "runs": runs.iter().map(|r| json!({
            "label": r.label,
            "seconds": r.seconds,
            "server_peak_rss_kb": r.server_peak_kb,
            "postgres_rss_kb": r.database_kb,
            "kinds": r.kinds.iter().map(|(name, k)| (name.to_string(), json!({
                "count": k.micros.len(),
                "per_second": k.micros.len() as f64 / r.seconds,
                "p50_ms": k.percentile(0.5),
                "p99_ms": k.percentile(0.99),
                "errors": k.errors,
                "conflicts": k.conflicts,
            }))).collect::<serde_json::Map<_, _>>(),
        })).collect::<Vec<_>>(),
    });
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("server-load.json"),
        serde_json::to_vec_pretty(&out).unwrap(),
    )
    .unwrap();
}
