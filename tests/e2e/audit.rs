//! The audit tools through the real app: search the cache for a literal, open the hit in the
//! review at its line, write a note on that line, and export the audit report.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use serde_json::{Value, json};
use vetter_fixtures::addons::{mv2_addon, mv3_addon, next_version};

use crate::harness::{self, Session};

/// A literal on line 12 of the fixture's content/content.js, a file both versions share.
const NEEDLE: &str = "banner.remove()";
const NEEDLE_FILE: &str = "content/content.js";
const NEEDLE_LINE: u32 = 12;

/// Polls `js` until it returns something other than null/false, up to 20 s; returns it.
async fn until(s: &Session, what: &str, js: &str) -> Result<Value> {
    s.until(what, js, Duration::from_secs(20)).await
}

/// With the default preferences, imports the fixture add-on and its next version through the
/// review view's import form.
async fn import_fixture_pair(s: &Session) -> Result<()> {
    let xpis = tempfile::tempdir()?;
    let v1 = mv2_addon();
    let v2 = next_version(&v1);
    let (p1, p2) = (xpis.path().join("v1.xpi"), xpis.path().join("v2.xpi"));
    std::fs::write(&p1, v1.to_xpi())?;
    std::fs::write(&p2, v2.to_xpi())?;
    s.script("localStorage.removeItem('vetter.prefs'); return null")
        .await?;
    s.click("[data-testid=nav-review]").await?;
    s.wait_for("[data-testid=view-review]").await?;
    s.script("document.querySelector('.import-details').open = true; return null")
        .await?;
    s.import(&p1).await?;
    s.import(&p2).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_hit_opens_the_review_at_its_line_then_a_note_and_the_report() -> Result<()> {
    harness::bounded(async {
        let s = harness::start().await?;
        import_fixture_pair(&s).await?;

        // Search every cached version for the literal: one hit in each version.
        s.click("[data-testid=nav-search]").await?;
        s.wait_for("[data-testid=view-search]").await?;
        s.fill("search-pattern", NEEDLE).await?;
        s.click("[data-testid=search-run]").await?;
        let summary = until(
            &s,
            "search summary",
            "const e = document.querySelector('[data-testid=search-summary]'); return e && e.textContent",
        )
        .await?;
        ensure!(
            summary.as_str().unwrap_or_default().starts_with("2 matches"),
            "search summary is {summary}"
        );
        let hits = s
            .script(
                "return [...document.querySelectorAll('[data-testid=search-hit]')]
                   .map(b => [b.getAttribute('aria-label'), b.querySelector('mark').textContent])",
            )
            .await?;
        let want = format!("{NEEDLE_FILE}:{NEEDLE_LINE}");
        ensure!(
            hits == json!([[want, NEEDLE], [want, NEEDLE]]),
            "hits are {hits}"
        );
        s.screenshot("search").await?;

        // The newer version's hit opens v1 → v2 at the file (unchanged in the pair) and line.
        s.script(
            "const b = document.querySelectorAll('[data-testid=search-hit]'); b[b.length - 1].click(); return null",
        )
        .await?;
        s.wait_for("[data-testid=review]").await?;
        let path = until(
            &s,
            "diff path",
            &format!(
                "const e = document.querySelector('[data-testid=diff-path]');
                 return e && e.textContent === '{NEEDLE_FILE}' ? e.textContent : null"
            ),
        )
        .await?;
        ensure!(path == json!(NEEDLE_FILE));
        let visible = until(
            &s,
            "line on screen",
            &format!(
                "const sc = document.querySelector('[data-testid=diff-scroller]');
                 if (!sc) return null;
                 const box = sc.getBoundingClientRect();
                 const row = [...sc.querySelectorAll('.drow')].find(r =>
                   [...r.querySelectorAll('.dnum')].some(n => n.textContent.trim() === '{NEEDLE_LINE}'));
                 if (!row) return null;
                 const rb = row.getBoundingClientRect();
                 return rb.top >= box.top && rb.bottom <= box.bottom && row.textContent.includes({n})
                   ? row.textContent : null",
                n = serde_json::to_string(NEEDLE)?
            ),
        )
        .await?;
        ensure!(visible.as_str().unwrap_or_default().contains(NEEDLE));

        // A note on the landed line (prefilled) is listed.
        s.click("[data-testid=audit-toggle]").await?;
        let line = until(
            &s,
            "notes panel",
            "const e = document.querySelector('[data-testid=note-line]'); return e && e.value",
        )
        .await?;
        ensure!(line == json!(NEEDLE_LINE.to_string()), "note line is {line}");
        s.fill("note-body", "removes the banner on click, fine").await?;
        s.click("[data-testid=note-add]").await?;
        let note = until(
            &s,
            "note listed",
            "const n = document.querySelector('[data-testid=note]'); return n && n.textContent",
        )
        .await?;
        let note = note.as_str().unwrap_or_default();
        ensure!(
            note.contains("line 12") && note.contains("removes the banner on click, fine"),
            "note is {note:?}"
        );

        // The report goes to the default folder under the data folder; both files exist and
        // the HTML carries no script.
        until(
            &s,
            "default report folder",
            "const e = document.querySelector('[data-testid=report-dir]'); return e && e.value",
        )
        .await?;
        s.click("[data-testid=report-export]").await?;
        let html = until(
            &s,
            "report written",
            "const e = document.querySelector('[data-testid=report-html]');
             const err = document.querySelector('[data-testid=report-error]');
             return err ? 'error: ' + err.textContent : e && e.textContent",
        )
        .await?;
        let html = html.as_str().unwrap_or_default().to_owned();
        ensure!(!html.starts_with("error"), "export failed: {html}");
        let md = s.text_of("[data-testid=report-md]").await?;
        ensure!(
            Path::new(&html).starts_with(s.data_dir.path().join("reports")),
            "report written to {html}, outside the data folder's reports/"
        );
        let text = std::fs::read_to_string(&html).with_context(|| format!("reading {html}"))?;
        ensure!(Path::new(&md).is_file(), "{md} was not written");
        ensure!(
            !text.to_lowercase().contains("<script"),
            "the HTML report holds a script"
        );
        ensure!(
            text.contains("removes the banner on click, fine"),
            "the report lacks the note"
        );
        s.screenshot("review-audit").await?;
        s.close().await
    })
    .await
}

/// A rule matching the telemetry endpoint that the fixture's second version adds (line 4 of the
/// new file lib/telemetry.js).
const TELEMETRY_RULE: &str = r#"rule telemetry_endpoint {
  meta:
    description = "posts usage to a remote endpoint"
  strings:
    $host = "telemetry.example.net"
  condition:
    $host
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_added_in_settings_marks_its_match_inline_in_the_review() -> Result<()> {
    harness::bounded(async {
        let s = harness::start().await?;
        import_fixture_pair(&s).await?;

        // A rule that does not compile is refused with the compiler's message, and not stored.
        s.click("[data-testid=nav-settings]").await?;
        s.fill("rule-name", "broken.yar").await?;
        s.fill("rule-source", "rule broken { condition: $nope }").await?;
        s.click("[data-testid=rule-add]").await?;
        let refusal = until(
            &s,
            "compile error",
            "const e = document.querySelector('[data-testid=rule-add-error]'); return e && e.textContent",
        )
        .await?;
        ensure!(
            refusal.as_str().unwrap_or_default().contains("$nope"),
            "refusal {refusal}"
        );
        s.fill("rule-name", "telemetry.yar").await?;
        s.fill("rule-source", TELEMETRY_RULE).await?;
        s.click("[data-testid=rule-add]").await?;
        let files = until(
            &s,
            "rule file listed",
            "const l = [...document.querySelectorAll('[data-testid=rule-file]')].map(e => e.textContent);
             return l.length ? l : null",
        )
        .await?;
        let files = files.as_array().cloned().unwrap_or_default();
        ensure!(
            files.len() == 1 && files[0].as_str().unwrap_or_default().contains("telemetry.yar"),
            "rule files listed: {files:?}"
        );

        // Open the review: the rule runs in the background and its match joins the signals.
        s.click("[data-testid=nav-review]").await?;
        s.click("[data-testid=open-review]").await?;
        s.wait_for("[data-testid=review]").await?;
        let total = until(
            &s,
            "signal total",
            "const e = document.querySelector('[data-testid=signal-total]'); return e && e.textContent",
        )
        .await?;
        ensure!(
            total.as_str().unwrap_or_default().contains("· 1 signal"),
            "signal total {total}"
        );
        // `a` goes to the flagged file and its signal, shown inline at the matching line.
        s.press('a').await?;
        let path = until(
            &s,
            "flagged file",
            "const e = document.querySelector('[data-testid=diff-path]');
             return e && e.textContent === 'lib/telemetry.js' ? e.textContent : null",
        )
        .await?;
        ensure!(path == json!("lib/telemetry.js"));
        let row = until(
            &s,
            "inline signal",
            "const c = document.querySelector('[data-testid=signal-chip]');
             const r = c && c.closest('.drow');
             return r && document.querySelector('[data-testid=signal-position]') ? [c.textContent, r.textContent] : null",
        )
        .await?;
        let (chip, line) = (
            row[0].as_str().unwrap_or_default(),
            row[1].as_str().unwrap_or_default(),
        );
        ensure!(
            chip.contains("local rule telemetry.yar: telemetry_endpoint")
                && chip.contains("posts usage to a remote endpoint"),
            "chip {chip:?}"
        );
        ensure!(
            line.contains("telemetry.example.net"),
            "the signal sits on {line:?}"
        );
        // The count ("1 signal") shows first; the position once the jump has landed on it.
        let position = until(
            &s,
            "the cursor on the signal",
            "const e = document.querySelector('[data-testid=signal-position]');
             return e && e.textContent.startsWith('signal ') ? e.textContent : null",
        )
        .await?;
        ensure!(position == json!("signal 1 of 1"), "position {position}");
        s.screenshot("review-local-rule").await?;
        s.close().await
    })
    .await
}

/// Settings → Cache retention on the real app and cache: the preview keeps the pinned, open
/// review and says what goes; the prune removes exactly that, with its progress and sizes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prune_from_settings_keeps_the_pinned_open_review_and_removes_the_rest() -> Result<()> {
    harness::bounded(async {
        let s = harness::start().await?;
        import_fixture_pair(&s).await?;
        let other = tempfile::tempdir()?;
        let other_xpi = other.path().join("other.xpi");
        std::fs::write(&other_xpi, mv3_addon().to_xpi())?;
        s.import(&other_xpi).await?;

        // The review of the pair, pinned from its header.
        s.click("[data-testid=open-review]").await?;
        s.wait_for("[data-testid=review]").await?;
        s.click("[data-testid=pin-button]").await?;
        until(
            &s,
            "pin pressed",
            "const b = document.querySelector('[data-testid=pin-button]');
             return b && b.getAttribute('aria-pressed') === 'true' ? true : null",
        )
        .await?;

        s.click("[data-testid=nav-settings]").await?;
        s.fill("keep-last", "0").await?;
        s.click("[data-testid=prune-preview]").await?;
        let plan = until(
            &s,
            "prune plan",
            "const e = document.querySelector('[data-testid=prune-plan]'); return e && e.textContent",
        )
        .await?;
        let plan = plan.as_str().unwrap_or_default();
        ensure!(plan.contains("Would remove 1 of 3 versions"), "plan: {plan}");
        ensure!(
            plan.contains("2 kept: pinned") && plan.contains("2 kept: open in this window"),
            "plan: {plan}"
        );
        ensure!(plan.contains(&mv3_addon().id()), "plan names what goes: {plan}");
        s.script("document.querySelector('[data-testid=retention-settings]').scrollIntoView(); return null")
            .await?;
        s.screenshot("settings-retention").await?;

        s.click("[data-testid=prune-run]").await?;
        let result = until(
            &s,
            "prune result",
            "const e = document.querySelector('[data-testid=prune-result]'); return e && e.textContent",
        )
        .await?;
        let result = result.as_str().unwrap_or_default();
        ensure!(
            result.contains("Removed 1 version and") && result.contains("the cache went from"),
            "result: {result}"
        );
        let cached = s.invoke("cached_addons", "{}").await?;
        let cached = cached["ok"].as_array().cloned().unwrap_or_default();
        ensure!(
            cached.len() == 1
                && cached[0]["guid"] == json!(mv2_addon().id())
                && cached[0]["versions"].as_array().map(Vec::len) == Some(2),
            "left in the cache: {cached:?}"
        );
        let pinned = until(
            &s,
            "pinned list",
            "const e = document.querySelector('[data-testid=pinned-list]'); return e && e.children.length",
        )
        .await?;
        ensure!(pinned == json!(2), "pinned versions listed: {pinned}");
        s.ensure_no_payload_ran().await?;
        s.close().await
    })
    .await
}
