//! The reviewer's flow through the real app against the real reference server and a real GNOME
//! Keyring: log in from Settings, sync, open an add-on from its queue, review, decide in the
//! decision panel, and follow the decision through the outbox into the server's signed audit
//! log — online, and with the server stopped and restarted.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;
use vetter_decision::signing::SignedDecision;
use vetter_decision::{Action, Decision};
use vetter_server::storage::Storage;

use crate::harness::{self, SCRIPT_PAYLOADS, Session, text_js};

/// The demo seed's first reviewer (public demo credentials from fixtures/demo/seed.json).
const REVIEWER_KEY: &str = "user:4242:1";
const REVIEWER_SECRET: &str = "demo-secret-4242-not-for-production";

/// The reference server on its own thread and runtime, so a test can stop and restart it.
struct TestServer {
    url: String,
    port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// Starts the server on `data_dir` (seeded with the demo seed when empty) on `port` (0 = a
    /// free one) and waits until it accepts connections.
    fn start(data_dir: &Path, port: u16) -> Result<TestServer> {
        Self::start_seeded(
            data_dir,
            port,
            &harness::workspace_root().join("fixtures/demo"),
        )
    }

    /// Like [`TestServer::start`], seeded from the seed folder `seed`.
    fn start_seeded(data_dir: &Path, port: u16, seed: &Path) -> Result<TestServer> {
        // Bound here and handed over, so nothing else can take the port in between.
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let port = listener.local_addr()?.port();
        let config = vetter_server::Config {
            seed: Some(seed.to_owned()),
            ..vetter_server::Config::new(
                data_dir.to_owned(),
                SocketAddr::from(([127, 0, 0, 1], port)),
            )
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("server runtime");
            runtime.block_on(async {
                tokio::select! {
                    result = vetter_server::serve_on(config, listener) => {
                        if let Err(e) = result {
                            eprintln!("the review server stopped: {e:#}");
                        }
                    }
                    _ = stopped => {}
                }
            });
            runtime.shutdown_timeout(Duration::from_secs(5));
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            ensure!(
                !thread.is_finished(),
                "the review server exited while starting"
            );
            ensure!(
                Instant::now() < deadline,
                "the review server did not start within 60 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(TestServer {
            url: format!("http://127.0.0.1:{port}"),
            port,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Stops it and waits until connections are refused.
    fn stop(mut self) -> Result<()> {
        self.shutdown();
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            ensure!(Instant::now() < deadline, "the review server did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Polls `js` until it returns `want`, up to `secs` seconds.
async fn eventually(s: &Session, what: &str, js: &str, want: Value, secs: u64) -> Result<()> {
    s.eventually(what, js, &want, Duration::from_secs(secs))
        .await
        .map(drop)
}

/// Types `text` into the field matching `css`.
async fn type_into(s: &Session, css: &str, text: &str) -> Result<()> {
    let field = s.wait_for(css).await?;
    field.click().await?;
    field.send_keys(text).await?;
    Ok(())
}

/// Logs in from Settings with the demo reviewer; returns the signing key id Settings shows.
async fn login(s: &Session, server: &str) -> Result<String> {
    s.click("[data-testid=nav-settings]").await?;
    type_into(s, "[data-testid=login-server]", server).await?;
    type_into(s, "[data-testid=login-key]", REVIEWER_KEY).await?;
    type_into(s, "[data-testid=login-secret]", REVIEWER_SECRET).await?;
    s.click("[data-testid=login-button]").await?;
    let logged_in = eventually(
        s,
        "login",
        "const e = document.querySelector('[data-testid=login-message]'); return !!e && e.textContent.startsWith('Logged in')",
        Value::Bool(true),
        30,
    )
    .await;
    if logged_in.is_err() {
        let message = s.script(&text_js("[data-testid=login-message]")).await?;
        bail!("login did not succeed: {message}");
    }
    // The secret field is emptied and the secret is nowhere in the page.
    let page = s
        .script("return document.documentElement.outerHTML + JSON.stringify(localStorage)")
        .await?;
    ensure!(
        !page.to_string().contains(REVIEWER_SECRET),
        "the API secret is still in the page"
    );
    let kid = s.text_of("[data-testid=account-kid]").await?;
    ensure!(kid.len() == 43, "no signing key id shown: {kid:?}");
    Ok(kid)
}

/// Clicks Sync on the current view and waits for its result line.
async fn sync(s: &Session, want: &str) -> Result<()> {
    let before: u64 = s
        .wait_for("[data-testid=sync-bar]")
        .await?
        .attr("data-syncs-ended")
        .await?
        .context("sync bar without a count")?
        .parse()?;
    s.click("[data-testid=sync-button]").await?;
    // This sync's own result: the count of ended syncs moves on first.
    let js = format!(
        "const bar = document.querySelector('[data-testid=sync-bar]');
         if (Number(bar.dataset.syncsEnded) <= {before}) return false;
         const err = document.querySelector('[data-testid=sync-error]');
         if (err) return 'error: ' + err.textContent;
         const r = document.querySelector('[data-testid=sync-result]');
         return !!r && r.textContent.startsWith('{want}')"
    );
    eventually(s, "sync", &js, Value::Bool(true), 60).await
}

/// Opens the queue entry of add-on `slug` and waits for its review.
async fn open_entry(s: &Session, slug: &str) -> Result<()> {
    s.click("[data-testid=nav-queues]").await?;
    s.click(&format!(
        "[data-testid=queue-entry][data-addon='{slug}'] [data-testid=open-entry]"
    ))
    .await?;
    let title = s.text_of("[data-testid=review-title]").await?;
    ensure!(title.contains("1.0.0 → 1.1.0"), "review title {title:?}");
    Ok(())
}

/// Chooses `action` in the open decision panel's action list.
async fn choose_action(s: &Session, action: &str) -> Result<()> {
    s.wait_for("[data-testid=decision-action]").await?;
    s.script(&format!(
        "const el = document.querySelector('[data-testid=decision-action]');
         Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set.call(el, '{action}');
         el.dispatchEvent(new Event('change', {{ bubbles: true }})); return null"
    ))
    .await?;
    Ok(())
}

/// Ticks the store's reason `name` in the decision panel's list (the demo server's vocabulary
/// lists its reasons, so they are picked, not typed).
async fn choose_reason(s: &Session, name: &str) -> Result<()> {
    s.click(&format!(
        "[data-testid=decision-reason][data-reason='{name}'] input[type=checkbox]"
    ))
    .await
}

/// Waits for the review's note on the `count`th decision signed in this window (the panel closes
/// once a decision is recorded); returns the outbox state it was recorded in.
async fn decided(s: &Session, count: u64) -> Result<String> {
    let js = format!(
        "const n = document.querySelector('[data-testid=review-decided-note]');
         return !!n && Number(n.dataset.count) >= {count} && !document.querySelector('[data-testid=decision-panel]')"
    );
    eventually(s, "decision recorded", &js, Value::Bool(true), 30).await?;
    s.wait_for("[data-testid=review-decided-note]")
        .await?
        .attr("data-state")
        .await?
        .context("decision note without a state")
}

/// Waits until the outbox lists exactly one decision, in `state`; returns its id.
async fn outbox_state(s: &Session, state: &str, secs: u64) -> Result<String> {
    s.click("[data-testid=nav-outbox]").await?;
    eventually(
        s,
        "outbox state",
        "return [...document.querySelectorAll('[data-testid=outbox-entry]')].map(e => e.dataset.state).join(',')",
        Value::String(state.to_owned()),
        secs,
    )
    .await?;
    let id = s
        .wait_for("[data-testid=outbox-entry]")
        .await?
        .attr("data-decision")
        .await?
        .context("outbox entry without a decision id")?;
    Ok(id)
}

/// The decisions in the server's audit log, as the JWS the server stored, parsed.
fn audit_log(server_dir: &Path) -> Result<Vec<(SignedDecision, Decision)>> {
    let storage = vetter_server::open_storage(server_dir, None)?;
    let mut out = Vec::new();
    for row in storage.decisions(0, 100)? {
        let jws = row["decision"]
            .as_str()
            .context("audit row without its JWS")?;
        let signed = SignedDecision::parse(jws).map_err(|e| anyhow::anyhow!("{e}"))?;
        let decision: Decision = serde_json::from_slice(signed.unverified_payload())?;
        out.push((signed, decision));
    }
    Ok(out)
}

fn temp(prefix: &str) -> Result<tempfile::TempDir> {
    Ok(tempfile::Builder::new().prefix(prefix).tempdir()?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviewer_logs_in_syncs_reviews_and_rejects_into_the_signed_audit_log() -> Result<()> {
    harness::bounded(async {
        let keyring = harness::start_keyring()?;
        let server_dir = temp("vetter-e2e-server-")?;
        let server = TestServer::start(server_dir.path(), 0)?;
        let s = harness::start_with_env(&keyring.env).await?;

        let kid = login(&s, &server.url).await?;
        s.click("[data-testid=nav-queues]").await?;
        sync(&s, "Synced").await?;
        let status = s.text_of("[data-testid=status-online]").await?;
        ensure!(status.contains("Online"), "status bar says {status:?}");
        let cached = s
            .text_of("[data-testid=queue-entry][data-addon='tab-tidy'] [data-testid=entry-cached]")
            .await?;
        ensure!(cached == "Ready offline", "tab-tidy is {cached:?}");
        shot(&s, "synced-queues-light").await?;

        open_entry(&s, "tab-tidy").await?;
        let first = s.text_of("[data-testid=diff-path]").await?;
        s.press('j').await?;
        let moved = format!(
            "return document.querySelector('[data-testid=diff-path]').textContent !== {}",
            serde_json::to_string(&first)?
        );
        eventually(&s, "j moves to the next file", &moved, Value::Bool(true), 10).await?;
        let second = s.text_of("[data-testid=diff-path]").await?;
        ensure!(second != first, "j stayed on {first:?}");
        s.press('k').await?;
        eventually(
            &s,
            "k moves back",
            &text_js("[data-testid=diff-path]"),
            Value::String(first.clone()),
            10,
        )
        .await?;
        s.press('v').await?;
        eventually(
            &s,
            "viewed mark",
            "return document.querySelector('[data-testid=viewed-progress]').textContent.trim().startsWith('1 of')",
            Value::Bool(true),
            10,
        )
        .await?;

        // A line note on this file, inserted into the decision's comments below.
        s.click("[data-testid=audit-toggle]").await?;
        s.wait_for("[data-testid=note-line]").await?;
        type_into(&s, "[data-testid=note-body]", "checked the first line").await?;
        // The line goes in last and is checked before Add: once under CI load the field was
        // found empty again after it had been set first (the panel was drawn anew meanwhile).
        s.script(
            "const el = document.querySelector('[data-testid=note-line]');
             Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(el, '1');
             el.dispatchEvent(new Event('input', { bubbles: true })); return null",
        )
        .await?;
        eventually(
            &s,
            "note can be added",
            "const b = document.querySelector('[data-testid=note-add]'); return !!b && !b.disabled \
             && document.querySelector('[data-testid=note-line]').value === '1'",
            Value::Bool(true),
            10,
        )
        .await?;
        s.click("[data-testid=note-add]").await?;
        eventually(
            &s,
            "note listed",
            "const n = document.querySelector('[data-testid=note]'); return !!n && n.textContent.includes('checked the first line')",
            Value::Bool(true),
            10,
        )
        .await?;
        // Keys are commands again once no field has focus.
        s.script("document.activeElement.blur(); return null").await?;

        s.press('d').await?;
        s.wait_for("[data-testid=decision-panel]").await?;
        // The panel names exactly what the signature will: the queue entry's server version.
        let named = (
            s.text_of("[data-testid=decision-guid]").await?,
            s.text_of("[data-testid=decision-version-id]").await?,
            s.text_of("[data-testid=decision-file-hash]").await?,
        );
        ensure!(
            named.0 == "tab-tidy@vetter.example" && named.1 == "10102" && named.2.chars().count() == 13,
            "the panel names {named:?}"
        );
        choose_action(&s, "reject").await?;
        // Refused without a reason, at the reasons field, before anything is signed.
        s.click("[data-testid=decision-submit]").await?;
        let refusal = s.text_of("[data-testid=decision-error-reasons]").await?;
        ensure!(refusal.contains("reasons"), "refusal {refusal:?}");
        // The message first: ticking a reason appends its canned response after it.
        type_into(&s, "[data-testid=decision-comments]", "Please remove the remote script.").await?;
        choose_reason(&s, "Remote code execution").await?;
        s.click("[data-testid=decision-insert-notes]").await?;
        eventually(
            &s,
            "notes inserted",
            "return document.querySelector('[data-testid=decision-comments]').value.includes('checked the first line')",
            Value::Bool(true),
            10,
        )
        .await?;
        shot(&s, "synced-decision-light").await?;
        // Queue it only; the sync sends it.
        s.click("[data-testid=decision-send]").await?;
        s.click("[data-testid=decision-submit]").await?;
        let state = decided(&s, 1).await?;
        ensure!(state == "pending", "decided into {state:?}");

        let id = outbox_state(&s, "pending", 15).await?;
        shot(&s, "synced-outbox-light").await?;
        ensure!(audit_log(server_dir.path())?.is_empty(), "sent before the sync");
        sync(&s, "Synced").await?;
        ensure!(outbox_state(&s, "accepted", 30).await? == id);

        let log = audit_log(server_dir.path())?;
        ensure!(log.len() == 1, "audit log holds {} decisions", log.len());
        let (signed, decision) = &log[0];
        ensure!(decision.id == id, "audit log holds {} not {id}", decision.id);
        ensure!(signed.kid() == kid, "signed by {} not {kid}", signed.kid());
        ensure!(decision.action == Action::Reject);
        ensure!(decision.reasons == ["Remote code execution"]);
        // Queuing without sending said nothing about the server: the app stayed online.
        let status = s.text_of("[data-testid=status-online]").await?;
        ensure!(status.contains("Online"), "status bar says {status:?}");
        ensure!(
            decision.comments.starts_with(
                "Please remove the remote script.\n\nYour add-on loads and runs code that is not \
                 part of the package."
            ) && decision.comments.contains("\n\nReviewer notes:")
                && decision.comments.contains(":1: checked the first line"),
            "comments {:?}",
            decision.comments
        );
        ensure!((decision.addon.id, decision.version.id) == (101, 10102));
        s.screenshot("flow-outbox-accepted").await?;
        dark_pass(&s).await?;
        s.close().await?;
        server.stop()
    })
    .await
}

/// Lets WebKit paint, then saves a screenshot (the README's pictures of a synced app).
async fn shot(s: &Session, name: &str) -> Result<()> {
    tokio::time::sleep(Duration::from_millis(400)).await;
    s.screenshot(name).await?;
    Ok(())
}

/// Settings, Queues and Outbox of the logged-in, synced app in both themes.
async fn dark_pass(s: &Session) -> Result<()> {
    s.click("[data-testid=nav-settings]").await?;
    shot(s, "synced-settings-light").await?;
    s.wait_for("[data-testid=pref-theme]")
        .await?
        .select_by_value("dark")
        .await?;
    eventually(
        s,
        "dark theme applies",
        "return document.documentElement.dataset.theme || 'system'",
        Value::String("dark".into()),
        10,
    )
    .await?;
    shot(s, "synced-settings-dark").await?;
    for view in ["queues", "outbox"] {
        s.click(&format!("[data-testid=nav-{view}]")).await?;
        s.wait_for(&format!("[data-testid=view-{view}]")).await?;
        shot(s, &format!("synced-{view}-dark")).await?;
    }
    Ok(())
}

/// A logged-in app synced with a fresh server on the demo seed (the keyring and the server's
/// folder live as long as the returned guards).
async fn synced() -> Result<(harness::Keyring, tempfile::TempDir, TestServer, Session)> {
    let keyring = harness::start_keyring()?;
    let server_dir = temp("vetter-e2e-server-")?;
    let server = TestServer::start(server_dir.path(), 0)?;
    let s = harness::start_with_env(&keyring.env).await?;
    login(&s, &server.url).await?;
    s.click("[data-testid=nav-queues]").await?;
    sync(&s, "Synced").await?;
    Ok((keyring, server_dir, server, s))
}

/// Waits for `js` to return true and says how long that took: the time a reviewer waits.
async fn waited(s: &Session, what: &str, js: &str) -> Result<Duration> {
    let start = Instant::now();
    eventually(s, what, js, Value::Bool(true), 30).await?;
    Ok(start.elapsed())
}

/// The Huggle loop, counted: from a synced queue in another view, Alt+1, Enter, d and
/// Ctrl+Enter record the queue's usual decision on the first entry to do, and the next entry
/// opens. Prints the keys and the time spent waiting after each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_keys_take_a_synced_queue_to_a_recorded_decision() -> Result<()> {
    use fantoccini::key::Key;
    harness::bounded(async {
        let (_keyring, server_dir, server, s) = synced().await?;
        // A second reviewer has every demo add-on open, so both views should name them.
        let seed = vetter_fixtures::demo::Seed::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo"),
        )?;
        let second = vetter_protocol::auth::Credentials::new(
            "user:4343:1",
            "demo-secret-4343-not-for-production",
        );
        for addon in &seed.addons {
            vetter_client::presence::touch(&server.url, &second, addon.id).await?;
        }
        // Start elsewhere, with nothing focused, as a reviewer coming back to the app.
        s.click("[data-testid=nav-settings]").await?;
        s.script("document.activeElement.blur(); return null").await?;

        let mut keys = Vec::new();
        let mut waits = Vec::new();
        s.chord(&[Key::Alt], '1').await?;
        keys.push("Alt+1");
        let first = "const r = document.querySelector('[data-testid=queue-entry][aria-selected=true]');
             return !!r && !r.querySelector('[data-testid=open-entry]').disabled";
        waits.push(("queue", waited(&s, "queue with a selection", first).await?));
        let slug = s
            .wait_for("[data-testid=queue-entry][aria-selected=true]")
            .await?
            .attr("data-addon")
            .await?
            .context("selected row without an add-on")?;

        s.press(Key::Enter.into()).await?;
        keys.push("Enter");
        let opened = "const t = document.querySelector('[data-testid=review-title]');
             return !!t && !!document.querySelector('[data-testid=entry-context]')";
        waits.push(("review", waited(&s, "review of the selected entry", opened).await?));
        let title = s.text_of("[data-testid=review-title]").await?;
        // Whether the next entry, when it replaces this one, shows with its lines still being
        // counted: it should not, since it was prepared while this one was read.
        s.script(
            "window.__nextCounting = null;
             const first = document.querySelector('[data-testid=review-title]').textContent;
             new MutationObserver((_, seen) => {
               const t = document.querySelector('[data-testid=review-title]');
               if (t && t.textContent !== first) {
                 window.__nextCounting = !!document.querySelector('[data-testid=counting]');
                 seen.disconnect();
               }
             }).observe(document.body, { subtree: true, childList: true, characterData: true });
             return null",
        )
        .await?;
        // A reviewer reads before deciding; this pause is theirs, not the app's, and not counted.
        tokio::time::sleep(Duration::from_millis(1500)).await;

        s.press('d').await?;
        keys.push("d");
        let ready = "const b = document.querySelector('[data-testid=decision-submit]');
             return !!b && document.activeElement === b
               && document.querySelector('[data-testid=decision-action]').value === 'public'";
        waits.push(("panel", waited(&s, "panel on the usual action", ready).await?));

        s.chord(&[Key::Control], Key::Enter.into()).await?;
        keys.push("Ctrl+Enter");
        let start = Instant::now();
        let state = decided(&s, 1).await?;
        waits.push(("signing", start.elapsed()));
        ensure!(state == "accepted", "decided into {state:?}");

        // Recorded: the server's audit log holds the signed approval of the entry opened.
        let log = audit_log(server_dir.path())?;
        ensure!(log.len() == 1, "audit log holds {} decisions", log.len());
        ensure!(log[0].1.action == Action::Public, "recorded {:?}", log[0].1.action);
        // The next entry opens by itself, and the decided one is marked in the queue.
        let moved = format!(
            "const t = document.querySelector('[data-testid=review-title]');
             return !!t && t.textContent !== {}",
            serde_json::to_string(&title)?
        );
        let next = waited(&s, "the next entry", &moved).await?;
        ensure!(keys.len() == 4, "{} keys: {keys:?}", keys.len());
        let counting = s.script("return window.__nextCounting").await?;
        ensure!(
            counting == Value::Bool(false),
            "the next entry opened while its lines were still being counted ({counting}): it was not prepared"
        );
        let total: Duration = waits.iter().map(|(_, d)| *d).sum();
        vetter_reliability::support::write_figures(
            "review_loop",
            &serde_json::json!({
                "keys": keys,
                "waited_ms": total.as_millis() as u64,
                "waits_ms": waits.iter().map(|(what, d)| (what.to_string(), d.as_millis() as u64)).collect::<std::collections::BTreeMap<_, _>>(),
                "next_entry_ms": next.as_millis() as u64,
            }),
        )?;
        println!(
            "[e2e] keys from a synced queue to a recorded decision: {} ({}); waited {} ms ({}); next entry open {} ms later",
            keys.len(),
            keys.join(", "),
            total.as_millis(),
            waits
                .iter()
                .map(|(what, d)| format!("{what} {} ms", d.as_millis()))
                .collect::<Vec<_>>()
                .join(", "),
            next.as_millis()
        );
        // The next entry's header names the other reviewer who has it open.
        eventually(
            &s,
            "also open by, in the review",
            "const e = document.querySelector('[data-testid=entry-context] [data-testid=also-open]');
             return e && e.textContent",
            Value::String("Also open by Second Reviewer".into()),
            15,
        )
        .await?;
        s.click("[data-testid=nav-queues]").await?;
        let marked = format!(
            "return !!document.querySelector(\"[data-testid=queue-entry][data-addon='{slug}'] [data-testid=entry-decided]\")"
        );
        eventually(&s, "decided mark", &marked, Value::Bool(true), 15).await?;
        let also = format!(
            "const e = document.querySelector(\"[data-testid=queue-entry][data-addon='{slug}'] [data-testid=also-open]\");
             return e && e.textContent"
        );
        eventually(
            &s,
            "also open by, in the queue",
            &also,
            Value::String("Also open by Second Reviewer".into()),
            15,
        )
        .await?;
        s.close().await?;
        server.stop()
    })
    .await
}

/// axe-core's violations on the view on screen, printed one line per rule; returns how many
/// rules are serious or critical.
/// Checks the page with axe-core and the focus audit: (axe's serious or critical violations,
/// its other violations, controls checked for focus, controls without a visible focus).
async fn axe_view(s: &Session, label: &str) -> Result<(usize, usize, usize, usize)> {
    // Let a view's late data (counts, signals) land before it is judged.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    let found = s.axe().await?;
    let axe_took = started.elapsed();
    let rules = found.as_array().context("axe gave no list")?;
    let (mut grave, mut other) = (0, 0);
    // Visible focus, which axe does not judge: every control's ring, its contrast and clipping.
    // A real Tab first, so focus moved by the script counts as keyboard focus.
    s.script("window.__vetterFocusBefore = document.activeElement; return null")
        .await?;
    s.chord(&[], fantoccini::key::Key::Tab.into()).await?;
    let started = std::time::Instant::now();
    let focus = s.script(include_str!("focus_audit.js")).await?;
    println!(
        "[axe] {label}: axe {axe_took:?}, focus audit {:?}",
        started.elapsed()
    );
    let problems = focus["problems"].as_array().cloned().unwrap_or_default();
    println!(
        "[focus] {label}: {} controls, {} without a clearly visible focus",
        focus["controls"],
        problems.len()
    );
    for p in &problems {
        println!("[focus]   {}", p.as_str().unwrap_or("?"));
    }
    let focus_controls = focus["controls"].as_u64().unwrap_or(0) as usize;
    if rules.is_empty() {
        println!("[axe] {label}: no violations");
    }
    for v in rules {
        let impact = v["impact"].as_str().unwrap_or("?");
        if matches!(impact, "serious" | "critical") {
            grave += 1;
        } else {
            other += 1;
        }
        println!(
            "[axe] {label}: {impact} {} ({} nodes, first {}): {}",
            v["id"].as_str().unwrap_or("?"),
            v["nodes"],
            v["target"].as_str().unwrap_or("?"),
            v["help"].as_str().unwrap_or("")
        );
        if let Some(html) = v["html"].as_str() {
            println!("[axe]   {}", html.chars().take(300).collect::<String>());
        }
    }
    Ok((grave, other, focus_controls, problems.len()))
}

/// Every view of the synced app, the key list and the decision panel, in both themes, checked
/// by axe-core (Deque's accessibility engine, from npm): no serious or critical violation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_view_passes_axe_without_serious_or_critical_violations() -> Result<()> {
    harness::bounded(async {
        let (_keyring, _server_dir, server, s) = synced().await?;
        let (mut grave, mut other, mut views, mut controls, mut unfocused) = (0, 0, 0, 0, 0);
        let mut judge = |(g, o, c, u): (usize, usize, usize, usize)| {
            grave += g;
            other += o;
            controls += c;
            unfocused += u;
            views += 1;
        };
        for theme in ["light", "dark"] {
            s.click("[data-testid=nav-settings]")
                .await
                .context("back to Settings")?;
            s.wait_for("[data-testid=pref-theme]")
                .await?
                .select_by_value(theme)
                .await
                .context("theme choice")?;
            let applied =
                format!("return (document.documentElement.dataset.theme || 'light') === '{theme}'");
            eventually(&s, "theme applies", &applied, Value::Bool(true), 10).await?;
            judge(axe_view(&s, &format!("settings ({theme})")).await?);
            for view in ["queues", "outbox", "search"] {
                s.click(&format!("[data-testid=nav-{view}]")).await?;
                s.wait_for(&format!("[data-testid=view-{view}]")).await?;
                judge(axe_view(&s, &format!("{view} ({theme})")).await?);
            }
            open_entry(&s, "tab-tidy").await?;
            judge(axe_view(&s, &format!("review ({theme})")).await?);
            s.screenshot(&format!("review-entry-{theme}")).await?;
            s.script("document.activeElement.blur(); return null")
                .await?;
            s.press('?').await?;
            s.wait_for("[data-testid=key-help]").await?;
            judge(axe_view(&s, &format!("key list ({theme})")).await?);
            s.screenshot(&format!("keys-{theme}")).await?;
            s.press('?').await?;
            s.press('d').await?;
            s.wait_for("[data-testid=decision-submit]").await?;
            choose_action(&s, "reject").await?;
            judge(axe_view(&s, &format!("decision panel ({theme})")).await?);
            s.screenshot(&format!("decision-panel-{theme}")).await?;
            s.click("[data-testid=decision-cancel]")
                .await
                .context("closing the decision panel")?;
            eventually(
                &s,
                "decision panel closed",
                "return !document.querySelector('[data-testid=decision-panel]')",
                Value::Bool(true),
                10,
            )
            .await?;
        }
        // Printed at the end of every CI log by scripts/reliability-summary.
        vetter_reliability::support::write_figures(
            "axe",
            &serde_json::json!({
                "views": views, "serious_or_critical": grave, "other": other,
                "focus_controls": controls, "focus_not_visible": unfocused,
            }),
        )?;
        ensure!(
            grave == 0,
            "{grave} serious or critical axe rules failed (listed above)"
        );
        ensure!(
            unfocused == 0,
            "{unfocused} controls without a clearly visible focus (listed above)"
        );
        s.close().await?;
        server.stop()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decision_made_offline_waits_in_the_outbox_until_the_server_returns() -> Result<()> {
    harness::bounded(async {
        let keyring = harness::start_keyring()?;
        let server_dir = temp("vetter-e2e-server-")?;
        let server = TestServer::start(server_dir.path(), 0)?;
        let port = server.port;
        let s = harness::start_with_env(&keyring.env).await?;
        login(&s, &server.url).await?;
        s.click("[data-testid=nav-queues]").await?;
        sync(&s, "Synced").await?;

        server.stop()?;
        open_entry(&s, "tab-tidy").await?;
        // Shift+R: reject chosen, confirmed in the panel.
        s.press_with_shift('R').await?;
        s.wait_for("[data-testid=decision-panel]").await?;
        eventually(
            &s,
            "reject preselected",
            "const e = document.querySelector('[data-testid=decision-action]'); return e && e.value",
            Value::String("reject".into()),
            10,
        )
        .await?;
        choose_reason(&s, "Unexplained permission").await?;
        s.click("[data-testid=decision-submit]").await?;
        let state = decided(&s, 1).await?;
        ensure!(state == "pending", "decided into {state:?}");
        let status = s.text_of("[data-testid=status-online]").await?;
        ensure!(status.contains("Offline"), "status bar says {status:?}");

        let id = outbox_state(&s, "pending", 15).await?;
        s.click("[data-testid=nav-queues]").await?;
        sync(&s, "The server did not answer").await?;
        s.wait_for("[data-testid=offline-badge]").await?;

        let server = TestServer::start(server_dir.path(), port)?;
        sync(&s, "Synced").await?;
        ensure!(outbox_state(&s, "accepted", 30).await? == id);
        let status = s.text_of("[data-testid=status-online]").await?;
        ensure!(status.contains("Online"), "status bar says {status:?}");
        let log = audit_log(server_dir.path())?;
        ensure!(
            log.iter().filter(|(_, d)| d.id == id).count() == 1,
            "the audit log does not hold {id} exactly once"
        );
        s.close().await?;
        server.stop()
    })
    .await
}

/// Where the review is: file on screen, signal position, and the text of the chips on screen.
const SIGNAL_STATE_JS: &str = "const t = s => { const e = document.querySelector(s); return e ? e.textContent.trim() : null; };
     return [t('[data-testid=diff-path]'), t('[data-testid=signal-position]'),
             [...document.querySelectorAll('[data-testid=signal-chip]')].map(c => c.textContent).join(' | ')]";

/// Waits until the file on screen is `path` at signal position `position` with a chip that
/// contains `chip`.
async fn on_signal(s: &Session, path: &str, position: &str, chip: &str) -> Result<()> {
    let start = Instant::now();
    loop {
        let state = s.script(SIGNAL_STATE_JS).await?;
        let ok = state[0] == path
            && state[1] == position
            && state[2].as_str().is_some_and(|c| c.contains(chip));
        if ok {
            return Ok(());
        }
        if start.elapsed() > Duration::from_secs(15) {
            bail!("expected {path} at {position:?} with a {chip:?} chip; the review shows {state}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_signals_show_inline_and_a_and_z_reach_them_even_in_unchanged_files() -> Result<()> {
    harness::bounded(async {
        let (_keyring, _server_dir, server, s) = synced().await?;
        // Privacy Badge 1.1.0 → 1.2.0 (demo seed): customs flags the new lib/collect.js:3, yara
        // flags background.js:12 and :13, a file that did not change in this update.
        s.click("[data-testid=queue-entry][data-addon='privacy-badge'] [data-testid=open-entry]")
            .await?;
        let title = s.text_of("[data-testid=review-title]").await?;
        ensure!(title.contains("1.1.0 → 1.2.0"), "review title {title:?}");
        // background.js is listed for its signals, not counted as a change.
        let counts = s.text_of("[data-testid=review-counts]").await?;
        ensure!(counts.starts_with("2 files changed"), "counts {counts:?}");
        ensure!(counts.ends_with("0 of 2 viewed"), "counts {counts:?}");
        eventually(
            &s,
            "three signals",
            "const e = document.querySelector('[data-testid=signal-total]'); return !!e && e.textContent.includes('3 signals')",
            Value::Bool(true),
            15,
        )
        .await?;
        // The review opens on the first file of the tree, the new lib/collect.js, with its chip.
        on_signal(&s, "lib/collect.js", "1 signal", "customs: all_urls_webrequest").await?;
        s.press('a').await?;
        on_signal(&s, "lib/collect.js", "signal 1 of 1", "customs: all_urls_webrequest").await?;
        s.press('a').await?;
        on_signal(&s, "background.js", "signal 1 of 2", "yara: remote_code_eval").await?;
        s.press('a').await?;
        on_signal(&s, "background.js", "signal 2 of 2", "yara: remote_code_eval").await?;
        s.press('z').await?;
        on_signal(&s, "background.js", "signal 1 of 2", "yara: remote_code_eval").await?;
        // The first yara signal sits on line 12 of background.js.
        let numbers = s
            .script(
                "const c = document.querySelector('[data-testid=signal-chip]'); const r = c && c.closest('.drow');
                 return r ? [...r.querySelectorAll('.dnum')].map(n => n.textContent.trim()) : null",
            )
            .await?;
        ensure!(
            numbers.as_array().is_some_and(|n| n.iter().any(|v| v == "12")),
            "the first signal's row is numbered {numbers}"
        );
        // Pretty-printing keeps the signals on their (printed) lines.
        s.press('f').await?;
        eventually(
            &s,
            "pretty on",
            "return document.querySelector('[data-testid=pretty-toggle]').getAttribute('aria-pressed')",
            Value::String("true".into()),
            10,
        )
        .await?;
        s.press('a').await?;
        on_signal(&s, "background.js", "signal 2 of 2", "yara: remote_code_eval").await?;
        s.screenshot("review-server-signals").await?;
        s.close().await?;
        server.stop()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn script_payloads_from_the_server_are_shown_as_text_and_never_run() -> Result<()> {
    harness::bounded(async {
        // The demo seed, with Privacy Badge's name, summary and scanner hits made hostile.
        let seed_dir = temp("vetter-e2e-seed-")?;
        let demo = harness::workspace_root().join("fixtures/demo/seed.json");
        let mut seed: Value = serde_json::from_slice(&std::fs::read(demo)?)?;
        let addon = seed["addons"]
            .as_array_mut()
            .and_then(|a| a.iter_mut().find(|a| a["slug"] == "privacy-badge"))
            .context("privacy-badge is in the demo seed")?;
        let name = format!("Badge {}", SCRIPT_PAYLOADS[1]);
        addon["name"] = Value::String(name.clone());
        addon["summary"] = Value::String(SCRIPT_PAYLOADS.join(" "));
        let hits = addon["signals"]["scanners"]
            .as_array_mut()
            .context("privacy-badge has scanner hits")?;
        for hit in hits.iter_mut() {
            hit["scanner"] = Value::String(SCRIPT_PAYLOADS[0].into());
            hit["rule"] = Value::String(SCRIPT_PAYLOADS[4].into());
        }
        std::fs::write(
            seed_dir.path().join("seed.json"),
            serde_json::to_vec_pretty(&seed)?,
        )?;

        let keyring = harness::start_keyring()?;
        let server_dir = temp("vetter-e2e-server-")?;
        let server = TestServer::start_seeded(server_dir.path(), 0, seed_dir.path())?;
        let s = harness::start_with_env(&keyring.env).await?;
        login(&s, &server.url).await?;
        s.click("[data-testid=nav-queues]").await?;
        sync(&s, "Synced").await?;
        let entry = s
            .text_of("[data-testid=queue-entry][data-addon='privacy-badge']")
            .await?;
        ensure!(entry.contains(&name), "the queue shows {entry:?}");
        s.click("[data-testid=queue-entry][data-addon='privacy-badge'] [data-testid=open-entry]")
            .await?;
        s.wait_for("[data-testid=review]").await?;
        eventually(
            &s,
            "the hostile scanner and rule as text in a chip",
            &format!(
                "const c = document.querySelector('[data-testid=signal-chip]'); return !!c && c.textContent.includes({p0}) && c.textContent.includes({p4})",
                p0 = serde_json::to_string(SCRIPT_PAYLOADS[0])?,
                p4 = serde_json::to_string(SCRIPT_PAYLOADS[4])?,
            ),
            Value::Bool(true),
            15,
        )
        .await?;
        s.screenshot("review-server-xss").await?;
        s.ensure_no_payload_ran().await?;
        s.close().await?;
        server.stop()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_launch_login_without_a_keyring_says_so_syncs_and_writes_no_secret() -> Result<()> {
    harness::bounded(async {
        let server_dir = temp("vetter-e2e-server-")?;
        let server = TestServer::start(server_dir.path(), 0)?;
        // A bus address nothing listens on: the Secret Service cannot be reached, as on a
        // desktop without one.
        let env: Vec<(String, String)> = [
            (
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/vetter-no-bus",
            ),
            ("VETTER_API_KEY", REVIEWER_KEY),
            ("VETTER_API_SECRET", REVIEWER_SECRET),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let s = harness::start_with(&env, &["--server", &server.url, "--login-from-env"]).await?;

        let notice = s.text_of("[data-testid=session-only]").await?;
        ensure!(
            notice.contains("this session only") && notice.contains("never written to disk"),
            "the notice says {notice:?}"
        );
        ensure!(
            notice.contains("keyring is not available") || notice.contains("keyring is locked"),
            "the notice does not say why: {notice:?}"
        );
        eventually(
            &s,
            "the synced demo queue shows without a click",
            "return document.querySelectorAll('[data-testid=queue-entry]').length",
            Value::from(12),
            60,
        )
        .await?;
        let bar = s.text_of("[data-testid=status-server]").await?;
        ensure!(bar.contains(&server.url), "status bar says {bar:?}");
        let account = s.text_of("[data-testid=status-session-only]").await?;
        ensure!(
            account.contains("session only"),
            "status bar says {account:?}"
        );
        shot(&s, "session-only-login").await?;

        let holding = harness::files_holding(s.data_dir.path(), REVIEWER_SECRET)?;
        ensure!(
            holding.is_empty(),
            "the API secret is on disk in {holding:?}"
        );
        Ok(())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_goes_to_the_version_opened_when_a_decoy_has_the_same_file() -> Result<()> {
    harness::bounded(async {
        // The demo seed plus a decoy: version 10103 of Tab Tidy, uploaded later with exactly
        // the file of 10102 (same version string, nothing changed, so the same bytes), waiting
        // in the same queue. The reviewer opens 10102's entry.
        let seed_dir = temp("vetter-e2e-seed-")?;
        let mut seed: Value = serde_json::from_slice(&std::fs::read(
            harness::workspace_root().join("fixtures/demo/seed.json"),
        )?)?;
        let tab_tidy = seed["addons"]
            .as_array_mut()
            .and_then(|a| a.iter_mut().find(|a| a["id"] == 101))
            .context("the demo seed has Tab Tidy")?;
        tab_tidy["versions"]
            .as_array_mut()
            .context("Tab Tidy has versions")?
            .push(serde_json::json!({
                "id": 10103, "version": "1.1.0", "status": "unreviewed", "created": "now-70d"
            }));
        seed["queue_entries"]
            .as_array_mut()
            .context("the demo seed has queue entries")?
            .push(serde_json::json!({
                "id": 1999, "queue": "extension", "addon_id": 101, "version_id": 10103,
                "due_date": "now+30d", "reasons": ["unknown"], "flags": [], "weight": 0
            }));
        std::fs::write(
            seed_dir.path().join("seed.json"),
            serde_json::to_vec_pretty(&seed)?,
        )?;

        let keyring = harness::start_keyring()?;
        let server_dir = temp("vetter-e2e-server-")?;
        let server = TestServer::start_seeded(server_dir.path(), 0, seed_dir.path())?;
        let s = harness::start_with_env(&keyring.env).await?;
        login(&s, &server.url).await?;
        s.click("[data-testid=nav-queues]").await?;
        sync(&s, "Synced").await?;
        // Both entries are the one cached package: the bytes alone cannot tell them apart.
        let entries = s.invoke("queue_entries", "{ queue: null }").await?;
        let cached: Vec<&Value> = entries["ok"]
            .as_array()
            .context("queue_entries answered")?
            .iter()
            .filter(|e| e["addon_id"] == 101)
            .map(|e| &e["file"]["version_id"])
            .collect();
        ensure!(
            cached.len() == 2 && cached[0].is_number() && cached[0] == cached[1],
            "Tab Tidy's entries are cached as {cached:?}"
        );
        s.click("[data-testid=queue-entry][data-version='10102'] [data-testid=open-entry]")
            .await?;
        let title = s.text_of("[data-testid=review-title]").await?;
        ensure!(title.contains("1.0.0 → 1.1.0"), "review title {title:?}");

        s.click("[data-testid=decide-button]").await?;
        let shown = s.text_of("[data-testid=decision-version-id]").await?;
        ensure!(shown == "10102", "the panel names version {shown}");
        choose_action(&s, "reject").await?;
        choose_reason(&s, "Remote code execution").await?;
        s.click("[data-testid=decision-submit]").await?;
        let state = decided(&s, 1).await?;
        ensure!(state == "accepted", "decided into {state:?}");

        // The signed decision the server keeps names the version opened, not the decoy (the
        // old lookup by the cached bytes took the highest id, 10103).
        let log = audit_log(server_dir.path())?;
        ensure!(log.len() == 1, "audit log holds {} decisions", log.len());
        let (_, decision) = &log[0];
        ensure!(
            (decision.addon.id, decision.version.id) == (101, 10102),
            "the decision went to version {}",
            decision.version.id
        );
        s.close().await?;
        server.stop()
    })
    .await
}
