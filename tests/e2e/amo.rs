//! "Open from AMO" through the real app against the stand-in AMO (tests/amo-standin/amo.py, on
//! two loopback origins: the AMO instance and the CDN its downloads redirect to): paste an
//! add-on's page URL, fetch anonymously into an empty cache, and land on the diff of the newest
//! two public versions, with the key never sent to the CDN.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Result, bail, ensure};
use vetter_fixtures::standin::{ADDON_SLUG, AmoStandin, example_seed};

use crate::harness::{self, Session};

/// Polls `js` until it returns a string containing `want`, up to `limit`; returns that string.
async fn text_containing(
    s: &Session,
    what: &str,
    js: &str,
    want: &str,
    limit: Duration,
) -> Result<String> {
    let start = Instant::now();
    loop {
        let got = s.script(js).await?;
        if let Some(text) = got.as_str()
            && text.contains(want)
        {
            return Ok(text.to_owned());
        }
        let error = s
            .script("const e = document.querySelector('[data-testid=amo-error]'); return e ? e.textContent : null")
            .await?;
        ensure!(error.is_null(), "{what}: the fetch failed: {error}");
        if start.elapsed() > limit {
            let shot = s.screenshot("amo-open-failed").await?;
            bail!(
                "{what}: expected {want:?}, still {got} (see {})",
                shot.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pasted_amo_page_opens_the_diff_of_the_newest_two_public_versions() -> Result<()> {
    let files = tempfile::tempdir()?;
    let seed = example_seed(&files.path().join("xpis"));
    let amo = tokio::task::spawn_blocking({
        let seed = seed.clone();
        let work = files.path().join("standin");
        move || AmoStandin::start(Path::new(env!("CARGO_TARGET_TMPDIR")), &seed, &work)
    })
    .await?;
    let page = format!("{}/en-US/firefox/addon/{ADDON_SLUG}/", amo.origin);
    harness::bounded(async {
        // No keyring in this test: the app finds no stored AMO key at once and fetches anonymously.
        let env = [(
            "DBUS_SESSION_BUS_ADDRESS".to_owned(),
            "unix:path=/nonexistent".to_owned(),
        )];
        let s = harness::start_with(
            &env,
            &["--amo", &amo.origin, "--download-host", &amo.cdn],
        )
        .await?;
        s.script("localStorage.removeItem('vetter.prefs'); return null").await?;
        s.click("[data-testid=nav-review]").await?;
        s.wait_for("[data-testid=view-review]").await?;

        // `o` focuses the field, and the page URL is pasted into it as a reviewer would.
        s.press('o').await?;
        let focused = s
            .script("return document.activeElement && document.activeElement.dataset.testid || null")
            .await?;
        ensure!(
            focused.as_str() == Some("amo-ref"),
            "o focused {focused}, not the AMO field"
        );
        s.wait_for("[data-testid=amo-ref]").await?.send_keys(&page).await?;
        s.click("[data-testid=amo-fetch]").await?;

        // The newest two public versions open at once: 1.0.1 → 1.0.2 (1.1.0 awaits review, the
        // unlisted 1.0.3 is not public, 0.9.0 is deleted, 0.9.5's md5 hash is refused).
        let title = text_containing(
            &s,
            "the review",
            &harness::text_js("[data-testid=review-title]"),
            "1.0.1 → 1.0.2",
            Duration::from_secs(60),
        )
        .await?;
        ensure!(title.starts_with("Tab Notes"), "review title is {title:?}");
        let added = text_containing(
            &s,
            "the first changed file's diff",
            "return Array.from(document.querySelectorAll('.drow.added')).map(r => r.textContent).join('\\n')",
            "banner.innerHTML = note.html",
            Duration::from_secs(20),
        )
        .await?;
        ensure!(!added.is_empty());
        let path = s.text_of("[data-testid=diff-path]").await?;
        ensure!(path == "content/content.js", "the first file shown is {path:?}");
        let perms = s.text_of("[data-testid=permission-summary]").await?;
        ensure!(perms.contains("downloads"), "permission summary is {perms:?}");

        // The forms folded away for the diff; the fold still names what the fetch did.
        let last = s.text_of("[data-testid=amo-last]").await?;
        ensure!(
            last.contains("Tab Notes: 3 of 4 versions cached, 1 skipped"),
            "the folded fetch says {last:?}"
        );
        s.ensure_no_payload_ran().await?;
        let shot = s.screenshot("amo-open").await?;
        eprintln!("screenshot: {}", shot.display());

        // Unfolded: the add-on, its page and each version's outcome, as text.
        s.click("[data-testid=amo-toggle]").await?;
        let name = s.text_of("[data-testid=amo-addon-name]").await?;
        ensure!(name == "Tab Notes", "the add-on is named {name:?}");
        let shown_page = s.text_of("[data-testid=amo-page-url]").await?;
        ensure!(shown_page.starts_with(&amo.origin), "the AMO page shown is {shown_page:?}");
        let outcomes = s
            .script("return Array.from(document.querySelectorAll('[data-testid=amo-version]')).map(e => e.textContent)")
            .await?;
        let outcomes: Vec<String> = serde_json::from_value(outcomes)?;
        ensure!(outcomes.len() == 4, "versions listed: {outcomes:?}");
        ensure!(outcomes[0].starts_with("1.0.2 (listed) imported as version"), "{outcomes:?}");
        ensure!(outcomes[1].starts_with("1.0.1 (listed) imported as version"), "{outcomes:?}");
        ensure!(outcomes[3].starts_with("0.9.5 (listed) skipped:"), "{outcomes:?}");
        let next = s.text_of("[data-testid=amo-next]").await?;
        ensure!(next.contains("1.0.1 → 1.0.2"), "after the fetch: {next:?}");
        let summary = s.text_of("[data-testid=amo-summary]").await?;
        ensure!(summary.contains("anonymous"), "summary is {summary:?}");

        // The picker says where the versions came from.
        let host = amo.origin.trim_start_matches("http://");
        let choices = s
            .script("return Array.from(document.querySelectorAll('[data-testid=pick-new] option')).map(o => o.textContent)")
            .await?;
        let choices: Vec<String> = serde_json::from_value(choices)?;
        ensure!(
            choices.iter().all(|c| c.ends_with(&format!("· from {host}"))),
            "picker choices: {choices:?}"
        );
        s.screenshot("amo-outcome").await?;

        ensure!(!amo.cdn_saw_authorization(), "the CDN saw an Authorization header");
        let log = amo.log();
        ensure!(
            log.contains("/versions/"),
            "the stand-in was not asked for versions:\n{log}"
        );
        s.close().await
    })
    .await
}
