//! The app on the year-sized cache `bench/year` builds (10,000 versions, 1,000 queue entries):
//! from the app's process start to its painted queue, from Enter on the first entry to the
//! review's first painted diff, and the memory of the app and its web process.
//!
//! Needs that cache, so it is ignored by default: `bench/year` runs it with
//! `VETTER_BENCH_YEAR_DATA` naming the cache and prints the figures.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, ensure};

use crate::harness::{self, Session};

/// The processes whose executable is `exe`.
fn processes_of(exe: &Path) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|p| p == exe))
        .collect()
}

/// Children of `parent` whose name starts with `name`.
fn children_named(parent: u32, name: &str) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            let Some((comm, rest)) = stat.split_once(") ") else {
                return false;
            };
            let ppid = rest.split_whitespace().nth(1).and_then(|p| p.parse().ok());
            comm.split_once('(')
                .is_some_and(|(_, c)| c.starts_with(name))
                && ppid == Some(parent)
        })
        .collect()
}

/// A `/proc/PID/status` field in kB.
fn status_kb(pid: u32, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .trim()
                .strip_suffix(" kB")?
                .trim()
                .parse()
                .ok()
        })
        .with_context(|| format!("no {field} for process {pid}"))
}

/// When process `pid` started, in milliseconds since the epoch (to the kernel's 10 ms tick):
/// its start in ticks since boot, and boot as now minus `/proc/uptime`.
fn started_ms(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let (_, rest) = stat
        .rsplit_once(") ")
        .context("/proc/PID/stat without a name")?;
    // Field 22 of stat is the start time; `rest` begins at field 3.
    let ticks: f64 = rest
        .split_whitespace()
        .nth(19)
        .and_then(|t| t.parse().ok())
        .context("/proc/PID/stat without a start time")?;
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")?
        .split_whitespace()
        .next()
        .and_then(|u| u.parse().ok())
        .context("unreadable /proc/uptime")?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs_f64();
    let hz = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse::<f64>().ok())
        .unwrap_or(100.0);
    Ok((now - uptime + ticks / hz) * 1000.0)
}

/// Polls `js` until it returns a number.
async fn number(s: &Session, what: &str, js: &str, limit: Duration) -> Result<f64> {
    let v = s.until(what, js, limit).await?;
    v.as_f64().with_context(|| format!("{what}: {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the cache bench/year builds; bench/year runs it"]
async fn year_sized_cache_paints_its_queue_and_opens_a_review() -> Result<()> {
    let data = PathBuf::from(
        std::env::var_os("VETTER_BENCH_YEAR_DATA")
            .context("VETTER_BENCH_YEAR_DATA must name the cache bench/year built")?,
    );
    ensure!(
        data.join("vetter.sqlite3").exists(),
        "{} holds no cache",
        data.display()
    );
    let env = [(
        "VETTER_DATA_DIR".to_owned(),
        data.to_string_lossy().into_owned(),
    )];
    let s = harness::start_with_env(&env).await?;
    harness::bounded(async {
        let exe = PathBuf::from(env!("CARGO_BIN_EXE_vetter-app"));
        let apps = processes_of(&exe.canonicalize()?);
        ensure!(apps.len() == 1, "expected one app process, found {apps:?}");
        let app = apps[0];
        let started = started_ms(app)?;
        let painted = number(
            &s,
            "the queue's first paint",
            "const m = performance.getEntriesByName('vetter:queue-painted'); return m.length ? performance.timeOrigin + m[0].startTime : null",
            Duration::from_secs(60),
        )
        .await?;
        let rows = s
            .script("return document.querySelectorAll('[data-testid=queue-entry]').length")
            .await?;
        s.screenshot("year-queue").await?;
        s.until(
            "a selected entry that can be opened",
            "const r = document.querySelector('[data-testid=queue-entry][aria-selected=true]');
             return !!r && !r.querySelector('[data-testid=open-entry]').disabled || null",
            Duration::from_secs(30),
        )
        .await?;
        s.press(fantoccini::key::Key::Enter.into()).await?;
        let opened = number(
            &s,
            "the review's first painted diff",
            "const m = performance.getEntriesByName('vetter:open-to-first-diff'); return m.length ? m[0].duration : null",
            Duration::from_secs(60),
        )
        .await?;
        let title = s.text_of("[data-testid=review-title]").await?;
        s.screenshot("year-review").await?;
        let web: Vec<u32> = children_named(app, "WebKitWebProces");
        let mut web_rss = 0;
        let mut web_hwm = 0;
        for pid in &web {
            web_rss += status_kb(*pid, "VmRSS:")?;
            web_hwm += status_kb(*pid, "VmHWM:")?;
        }
        let build = if cfg!(debug_assertions) { "debug" } else { "release" };
        let report = [
            format!("app ({build} build) on {}", data.display()),
            format!(
                "process start → painted queue ({} rows): {:.0} ms",
                rows.as_u64().unwrap_or(0),
                painted - started
            ),
            format!("Enter on the first entry → first painted diff ({title}): {opened:.0} ms"),
            format!(
                "memory: app {:.0} MB resident (peak {:.0} MB); web process{} {:.0} MB (peak {:.0} MB)",
                status_kb(app, "VmRSS:")? as f64 / 1024.0,
                status_kb(app, "VmHWM:")? as f64 / 1024.0,
                if web.len() == 1 { "" } else { "es" },
                web_rss as f64 / 1024.0,
                web_hwm as f64 / 1024.0
            ),
        ];
        harness::publish_figures("year-app.txt", &report)?;
        s.close().await
    })
    .await
}
