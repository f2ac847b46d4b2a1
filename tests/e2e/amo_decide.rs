//! A reviewer's decision on an add-on from a plain AMO, through the real app: logged in at launch
//! to the stand-in AMO (tests/amo-standin/amo.py) with the key kept in a private GNOME Keyring,
//! the add-on opened by its pasted page URL, a rejection signed and kept on this computer (AMO
//! has no decision API), its comment shown for pasting, and AMO's review page opened in the
//! "browser" (a stand-in `xdg-open` on PATH that writes down the URL it was given).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use serde_json::Value;
use vetter_fixtures::standin::{ADDON_SLUG, AmoStandin, REVIEWER_KEY, REVIEWER_SECRET};

use crate::harness::{self, Session};

/// Polls `js` until it returns `want`, up to `secs` seconds.
async fn eventually(s: &Session, what: &str, js: &str, want: &Value, secs: u64) -> Result<Value> {
    s.eventually(what, js, want, Duration::from_secs(secs))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_of_an_amo_addon_is_kept_signed_with_its_comment_and_opens_the_review_page()
-> Result<()> {
    let files = tempfile::tempdir()?;
    let (amo, _) = tokio::task::spawn_blocking({
        let work = files.path().to_owned();
        move || AmoStandin::start_example(Path::new(env!("CARGO_TARGET_TMPDIR")), &work)
    })
    .await?;
    // The browser: an `xdg-open` first on PATH, writing down what it was asked to open.
    let bin = files.path().join("bin");
    std::fs::create_dir_all(&bin)?;
    let opened = files.path().join("opened.txt");
    let opener = bin.join("xdg-open");
    std::fs::write(
        &opener,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n",
            opened.display()
        ),
    )?;
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755))?;
    let page = format!("{}/en-US/firefox/addon/{ADDON_SLUG}/", amo.origin);

    harness::bounded(async {
        let keyring = harness::start_keyring()?;
        let mut env = keyring.env.clone();
        env.push(("VETTER_API_KEY".into(), REVIEWER_KEY.into()));
        env.push(("VETTER_API_SECRET".into(), REVIEWER_SECRET.into()));
        let path = std::env::var("PATH").unwrap_or_default();
        env.push(("PATH".into(), format!("{}:{path}", bin.display())));
        let s = harness::start_with(
            &env,
            &[
                "--server",
                &amo.origin,
                "--login-from-env",
                "--amo",
                &amo.origin,
                "--download-host",
                &amo.cdn,
            ],
        )
        .await?;

        // Logged in at launch (no queue sync follows: AMO has none); the add-on by its page.
        s.click("[data-testid=nav-review]").await?;
        s.wait_for("[data-testid=view-review]").await?;
        s.press('o').await?;
        s.wait_for("[data-testid=amo-ref]").await?.send_keys(&page).await?;
        s.click("[data-testid=amo-fetch]").await?;
        eventually(
            &s,
            "the fetched versions' diff",
            "return document.querySelector('[data-testid=diff-path]') !== null",
            &Value::Bool(true),
            90,
        )
        .await?;

        // Shift+R: reject, in a form that says nothing will be sent.
        s.press_with_shift('R').await?;
        s.wait_for("[data-testid=decision-panel]").await?;
        let note = s.text_of("[data-testid=decision-amo-note]").await?;
        ensure!(note.contains("takes no decisions over its API"), "{note:?}");
        ensure!(
            s.script("return document.querySelector('[data-testid=decision-send]') === null")
                .await?
                == Value::Bool(true),
            "a send-now choice is offered for AMO"
        );
        eventually(
            &s,
            "reject preselected",
            "const e = document.querySelector('[data-testid=decision-action]'); return e && e.value",
            &Value::String("reject".into()),
            10,
        )
        .await?;
        let reasons = s.wait_for("[data-testid=decision-reasons]").await?;
        reasons.click().await?;
        reasons.send_keys("policy-remote-code").await?;
        let comments = s.wait_for("[data-testid=decision-comments]").await?;
        comments.click().await?;
        comments.send_keys("Notes are shown with innerHTML.").await?;
        s.click("[data-testid=decision-submit]").await?;

        let comment = s
            .wait_for("[data-testid=decision-amo-comment]")
            .await?
            .prop("value")
            .await?
            .unwrap_or_default();
        ensure!(comment == "Notes are shown with innerHTML.", "comment {comment:?}");
        let url = s.text_of("[data-testid=decision-review-url]").await?;
        let want = format!("{}/reviewers/review/101", amo.origin);
        ensure!(url == want, "review page {url:?}");
        s.screenshot("amo-decision-kept").await?;

        s.click("[data-testid=decision-open-review]").await?;
        let said = s.text_of("[data-testid=decision-kept-said]").await?;
        ensure!(said.contains("Opened"), "opening said {said:?}");
        let start = Instant::now();
        let got = loop {
            if let Ok(text) = std::fs::read_to_string(&opened)
                && !text.is_empty()
            {
                break text;
            }
            ensure!(
                start.elapsed() < Duration::from_secs(10),
                "xdg-open was never run"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        ensure!(got.trim() == want, "the browser was asked to open {got:?}");

        // Kept, signed, and nothing was ever sent to AMO but reads.
        let db = rusqlite::Connection::open(s.data_dir.path().join(vetter_store::DB_FILE))
            .context("opening the app's cache")?;
        let (action, jws): (String, String) = db.query_row(
            "SELECT d.action, k.jws FROM kept_decisions k JOIN local_decisions d ON d.id = k.decision_id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        ensure!(action == "reject" && jws.split('.').count() == 3, "{action} {jws}");
        // The fetch used the key the launch login stored: the unlisted version came too.
        let unlisted: i64 = db.query_row(
            "SELECT count(*) FROM version_origins WHERE channel = 'unlisted'",
            [],
            |r| r.get(0),
        )?;
        ensure!(unlisted == 1, "unlisted versions fetched: {unlisted}");
        let log = amo.log();
        ensure!(
            log.lines().all(|l| l.starts_with("GET ")),
            "only reads reached AMO:\n{log}"
        );
        s.ensure_no_payload_ran().await?;
        s.close().await
    })
    .await
}
