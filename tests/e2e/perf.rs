//! Performance of the review on a large real update, measured in the app with performance marks:
//! pdfjs-dist 5.7.284 → 6.5.438 (197 changed files, +81,258 / −51,908 lines), from opening the
//! review to the first painted diff, and frame times while scrolling `build/pdf.mjs` (29,224
//! lines) and `build/pdf.worker.min.mjs` (a 1,016,063-character line).
//!
//! Needs the data from `bench/fetch-data` (target/bench-data/zips), so it is ignored by default:
//! `cargo test --test e2e -- --ignored --nocapture review_of_pdfjs` prints the figures.

use std::path::Path;

use anyhow::{Result, ensure};
use serde_json::{Value, json};
use vetter_archive::Limits;
use vetter_store::Store;

use crate::harness::{self, Session, workspace_root};

/// The pdfjs-dist zip as an add-on (see `vetter_testkit::pdfjs_xpi`).
fn pdfjs_xpi(zips: &Path, version: &str) -> Result<Vec<u8>> {
    let path = zips.join(format!("pdfjs-dist-{version}.zip"));
    ensure!(
        path.exists(),
        "{} is missing: run bench/fetch-data",
        path.display()
    );
    Ok(vetter_testkit::pdfjs_xpi(
        &path,
        version,
        "pdfjs-bundle@bench.invalid",
    )?)
}

/// Scrolls the diff for `frames` animation frames, `dy`/`dx` pixels per frame, and returns the
/// frame times in milliseconds.
async fn scroll_frames(s: &Session, frames: u32, dy: u32, dx: u32) -> Result<Vec<f64>> {
    let js = r#"
        const [frames, dy, dx, done] = arguments;
        const el = document.querySelector('[data-testid=diff-scroller]');
        const times = [];
        const t0 = performance.now();
        let last = t0;
        let n = 0;
        function step(now) {
            times.push(now - last);
            last = now;
            el.scrollTop += dy;
            el.scrollLeft += dx;
            // Stop after `frames` frames, or after 20 s on a machine too loaded to paint them.
            if (++n < frames && now - t0 < 20000) requestAnimationFrame(step); else done(times.slice(1));
        }
        requestAnimationFrame(step);
    "#;
    let v = s
        .client
        .execute_async(js, vec![json!(frames), json!(dy), json!(dx)])
        .await?;
    Ok(v.as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default())
}

fn summary(name: &str, times: &[f64]) -> String {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let pick = |q: f64| sorted[((sorted.len() as f64 - 1.0) * q) as usize];
    format!(
        "{name}: {} frames, median {:.1} ms, p95 {:.1} ms, max {:.1} ms, over 50 ms: {}",
        sorted.len(),
        pick(0.5),
        pick(0.95),
        sorted.last().copied().unwrap_or(0.0),
        sorted.iter().filter(|t| **t > 50.0).count()
    )
}

async fn open_file(s: &Session, path: &str) -> Result<()> {
    let js = format!(
        "const b = Array.from(document.querySelectorAll('[data-testid=tree-file]')).find(e => e.dataset.path === {path:?}); if (b) b.click(); return !!b"
    );
    ensure!(
        s.script(&js).await? == json!(true),
        "{path} is not in the review"
    );
    let start = std::time::Instant::now();
    loop {
        let ok = s
            .script(&format!(
                "const p = document.querySelector('[data-testid=diff-path]'); return !!p && p.textContent === {path:?} && document.querySelectorAll('.drow').length > 0"
            ))
            .await?;
        if ok == json!(true) {
            return Ok(());
        }
        ensure!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "{path} did not render"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs bench/fetch-data's pdfjs-dist zips; run with --ignored"]
async fn review_of_pdfjs_paints_fast_and_scrolls_smoothly() -> Result<()> {
    let zips = workspace_root().join("target/bench-data/zips");
    let old = pdfjs_xpi(&zips, "5.7.284")?;
    let new = pdfjs_xpi(&zips, "6.5.438")?;
    let s = harness::start().await?;
    // Straight into the app's cache, before the clock starts: importing is not what this test
    // measures (and in a debug build two 35 MB releases take longer than a test's bound).
    let dir = s.data_dir.path().to_owned();
    tokio::task::spawn_blocking(move || -> Result<()> {
        let mut store = Store::open(&dir)?;
        store.import_archive("pdfjs-5.7.284.xpi", &old, &Limits::default(), &mut |_| {})?;
        store.import_archive("pdfjs-6.5.438.xpi", &new, &Limits::default(), &mut |_| {})?;
        Ok(())
    })
    .await??;
    harness::bounded(async {
        s.script(
            "localStorage.removeItem('vetter.prefs'); window.dispatchEvent(new Event('vetter-prefs')); return null",
        )
        .await?;
        s.click("[data-testid=nav-review]").await?;
        s.wait_for("[data-testid=open-review]").await?;
        s.click("[data-testid=open-review]").await?;
        let start = std::time::Instant::now();
        let first = loop {
            let m = s
                .script("const m = performance.getEntriesByName('vetter:open-to-first-diff'); return m.length ? m[0].duration : null")
                .await?;
            if let Some(ms) = m.as_f64() {
                break ms;
            }
            ensure!(
                start.elapsed() < std::time::Duration::from_secs(60),
                "no diff was painted"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        // Under Xvfb, WebKit's accelerated compositing draws through a software GL renderer,
        // which alone costs ~80 ms a frame here; the figures name the mode they were taken in.
        let compositing = if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_some() {
            "off (WEBKIT_DISABLE_COMPOSITING_MODE=1)"
        } else {
            "on (WebKit's default)"
        };
        let build = if cfg!(debug_assertions) { "debug" } else { "release" };
        let mut report = vec![
            format!("{build} build, WebKit accelerated compositing {compositing}"),
            format!("open review → first painted diff: {first:.0} ms"),
        ];
        let steps = s
            .script(
                "const t = n => { const m = performance.getEntriesByName(n); return m.length ? m[m.length - 1].startTime : null; };
                 return [t('vetter:review-open'), t('vetter:review-summary'), t('vetter:first-file-layout'), t('vetter:first-diff-painted')]",
            )
            .await?;
        if let Some([Some(open), Some(summary), Some(layout), Some(painted)]) = steps
            .as_array()
            .map(|a| a.iter().map(Value::as_f64).collect::<Vec<_>>())
            .as_deref()
            .and_then(|v| <[Option<f64>; 4]>::try_from(v).ok())
        {
            report.push(format!(
                "  of which: file list {:.0} ms, first file laid out {:.0} ms, rows fetched and painted {:.0} ms",
                summary - open,
                layout - summary,
                painted - layout
            ));
        }
        open_file(&s, "build/pdf.mjs").await?;
        let t = scroll_frames(&s, 240, 400, 0).await?;
        report.push(summary("build/pdf.mjs, scrolling down 400 px per frame", &t));
        open_file(&s, "build/pdf.worker.min.mjs").await?;
        let t = scroll_frames(&s, 240, 0, 2_000).await?;
        report.push(summary(
            "build/pdf.worker.min.mjs, scrolling right 2,000 px per frame",
            &t,
        ));
        s.click("[data-testid=wrap-toggle]").await?;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let t = scroll_frames(&s, 240, 400, 0).await?;
        report.push(summary(
            "build/pdf.worker.min.mjs wrapped, scrolling down 400 px per frame",
            &t,
        ));
        s.screenshot("review-pdfjs-wrapped").await?;
        harness::publish_figures("pdfjs-perf.txt", &report)?;
        s.close().await
    })
    .await
}
