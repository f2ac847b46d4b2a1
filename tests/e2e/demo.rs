//! The README's demo command, run as a newcomer runs it: taken from the README's first code
//! block (not copied here), started under Xvfb on a small screen with a real GNOME Keyring, and
//! judged by what it leaves in the data folder and the keyring: synced queue entries, the demo
//! reviewer's credentials in the keyring and nowhere on disk. A screenshot of the screen goes to
//! `target/e2e-screenshots/demo.png`, and everything the demo started is stopped.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use crate::harness::{self, Guarded};

/// The demo reviewer's public demo secret (fixtures/demo/README.md), which must reach the keyring
/// and never the data folder.
const DEMO_SECRET: &str = "demo-secret-4242-not-for-production";
/// How many queue entries the demo seed holds (fixtures/demo/seed.json).
const DEMO_ENTRIES: i64 = 12;
/// A screen smaller than the app's configured 1280×800 window, as on a small laptop: the window
/// must open maximized rather than spill off the screen.
const SMALL_SCREEN: &str = "1366x768x24";
/// Building on a machine where `scripts/test` built everything already is quick; a cold build
/// is not, so the wait is generous and bounded.
const DEMO_TIMEOUT: Duration = Duration::from_secs(900);

/// The README's two set-up commands: the first code block's lines, without their comments.
fn readme_commands() -> Result<Vec<String>> {
    let readme = std::fs::read_to_string(harness::workspace_root().join("README.md"))?;
    let block = readme
        .split("```")
        .nth(1)
        .context("the README has no code block")?;
    // The block's first line names its language.
    let commands: Vec<String> = block
        .lines()
        .skip(1)
        .map(|l| l.split(" #").next().unwrap_or("").trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    Ok(commands)
}

#[test]
fn the_readme_starts_with_the_demo_and_the_test_command() -> Result<()> {
    let commands = readme_commands()?;
    ensure!(
        commands.len() == 2,
        "the README's first code block must hold exactly two commands, found {commands:?}"
    );
    ensure!(
        commands[1] == "bash scripts/test",
        "the README's second command must be the test command CI runs, found {:?}",
        commands[1]
    );
    Ok(())
}

/// Queue entries and the finished sync's time in the data folder's cache, once they are there.
fn synced_entries(data: &Path) -> Option<(i64, String)> {
    let db = data.join(vetter_store::DB_FILE);
    let conn = rusqlite::Connection::open_with_flags(
        db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .ok()?;
    conn.busy_timeout(Duration::from_secs(2)).ok()?;
    let entries: i64 = conn
        .query_row("SELECT count(*) FROM queue_entries", [], |r| r.get(0))
        .ok()?;
    let last_sync: String = conn
        .query_row(
            "SELECT value FROM sync_settings WHERE key = 'last_sync'",
            [],
            |r| r.get(0),
        )
        .ok()?;
    Some((entries, last_sync))
}

/// The server URL the app remembered.
fn remembered_server(data: &Path) -> Result<String> {
    vetter_client::sync::remembered_server(data)?.context("the demo app remembered no server")
}

/// Stops the demo's process group as a reviewer closing the terminal would (SIGTERM, so the
/// script's trap stops the server), then makes sure nothing of it is left.
fn stop_demo(demo: &mut Guarded) -> Result<()> {
    let group = demo.0.id() as i32;
    // SAFETY: kill(2) on the process group this child leads; no memory is touched.
    unsafe {
        libc::kill(-group, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while demo.0.try_wait()?.is_none() {
        ensure!(
            Instant::now() < deadline,
            "the demo did not stop within 20 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The script's children (server, app) end with it; anything left in the group is a leak.
    let deadline = Instant::now() + Duration::from_secs(10);
    // SAFETY: signal 0 only asks whether any process of the group exists.
    while unsafe { libc::kill(-group, 0) } == 0 {
        ensure!(
            Instant::now() < deadline,
            "processes of the demo outlived it by 10 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// Writes a PNG of the whole X screen `display` to `out`.
fn screenshot(display: &str, out: &Path) -> Result<()> {
    let status = Command::new("import")
        .args(["-window", "root"])
        .arg(out)
        .env("DISPLAY", display)
        .status()
        .context("`import` (imagemagick) is not installed; run `bash scripts/setup`")?;
    ensure!(status.success(), "import -window root failed: {status}");
    Ok(())
}

/// How many colours a PNG holds: a screen with nothing drawn on it has one.
fn colours(png: &Path) -> Result<u64> {
    let out = Command::new("identify")
        .args(["-format", "%k"])
        .arg(png)
        .output()?;
    ensure!(out.status.success(), "identify failed on {}", png.display());
    Ok(String::from_utf8_lossy(&out.stdout).trim().parse()?)
}

#[tokio::test]
async fn the_readme_demo_opens_synced_and_logged_in_with_the_secret_only_in_the_keyring()
-> Result<()> {
    let _slot = harness::exclusive().await;
    let command = readme_commands()?
        .into_iter()
        .next()
        .context("the README's first code block is empty")?;
    let keyring = harness::start_keyring()?;
    let (display, _display) = harness::start_display(SMALL_SCREEN)?;
    let data = tempfile::Builder::new().prefix("vetter-demo-").tempdir()?;
    let log_path = data.path().with_extension("log");
    let log = std::fs::File::create(&log_path)?;
    let mut demo = Guarded::spawn(
        Command::new("bash")
            .args(["-c", &command])
            .current_dir(harness::workspace_root())
            .env("DISPLAY", &display)
            .env("VETTER_DATA_DIR", data.path())
            .envs(keyring.env.iter().map(|(k, v)| (k, v)))
            .env_remove("VETTER_API_KEY")
            .env_remove("VETTER_API_SECRET")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log),
    )
    .with_context(|| format!("starting the README's demo command {command:?}"))?;
    let output = || std::fs::read_to_string(&log_path).unwrap_or_default();

    let start = Instant::now();
    let (entries, last_sync) = loop {
        if let Some(status) = demo.0.try_wait()? {
            bail!(
                "`{command}` exited ({status}) before the app showed synced queues:\n{}",
                output()
            );
        }
        if let Some((n, at)) = synced_entries(data.path())
            && n >= DEMO_ENTRIES
        {
            break (n, at);
        }
        if start.elapsed() > DEMO_TIMEOUT {
            stop_demo(&mut demo)?;
            bail!(
                "`{command}` showed no synced queue within {DEMO_TIMEOUT:?}:\n{}",
                output()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    eprintln!(
        "demo: {entries} queue entries synced at {last_sync}, {:.1} s after `{command}`",
        start.elapsed().as_secs_f64()
    );
    let server = remembered_server(data.path())?;

    // The secret is in the keyring, read back by libsecret (not by Vetter's own code)...
    let lookup = Command::new("secret-tool")
        .args(["lookup", "service", "vetter", "username"])
        .arg(format!("{server} api-secret"))
        .envs(keyring.env.iter().map(|(k, v)| (k, v)))
        .output()
        .context("secret-tool (libsecret-tools) must be installed")?;
    ensure!(
        String::from_utf8_lossy(&lookup.stdout) == DEMO_SECRET,
        "the keyring holds no demo secret for {server} (secret-tool: {})",
        String::from_utf8_lossy(&lookup.stderr)
    );
    // ... and in no file of the data folder.
    let holding = harness::files_holding(data.path(), DEMO_SECRET)?;
    ensure!(
        holding.is_empty(),
        "the API secret is on disk in {holding:?}"
    );

    // The queues view re-reads the cache when the sync's report arrives; give it a moment to
    // paint before the picture.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let shots = harness::screenshot_dir();
    std::fs::create_dir_all(&shots)?;
    let png = shots.join("demo.png");
    screenshot(&display, &png)?;
    let painted = colours(&png)?;
    stop_demo(&mut demo)?;
    ensure!(
        painted > 50,
        "the screen holds {painted} colours: the app drew nothing ({})",
        png.display()
    );
    let out = output();
    ensure!(
        !out.contains("logged in for this session only") && !out.contains("no usable OS keyring"),
        "the demo fell back to a session-only login though a keyring was running:\n{out}"
    );
    Ok(())
}
