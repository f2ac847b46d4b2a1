//! Starts Xvfb, tauri-driver and the app, and hands a WebDriver session to a test.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};

/// One end-to-end session at a time; see the crate docs for why.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A child process, leading its own process group, that is killed with its whole group when the
/// test ends, however it ends (tauri-driver's WebKitWebDriver and the app must not outlive it).
pub struct Guarded(pub Child);

impl Guarded {
    /// Spawns `command` as the leader of a new process group.
    pub fn spawn(command: &mut Command) -> std::io::Result<Guarded> {
        command.process_group(0).spawn().map(Guarded)
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        // SAFETY: kill(2) with a negative pid signals the group this child leads; no memory is
        // touched.
        unsafe {
            libc::kill(-(self.0.id() as i32), libc::SIGKILL);
        }
        let _ = self.0.wait();
    }
}

/// A running app under test and the WebDriver session that drives it.
pub struct Session {
    /// The WebDriver client bound to the app's window.
    pub client: Client,
    /// The data folder the app was started with (fresh and empty at start).
    pub data_dir: tempfile::TempDir,
    /// Holds the answers file of the app's dialog test seam (`VETTER_TEST_DIALOG_ANSWERS`):
    /// native dialogs cannot be clicked under Xvfb, so [`Session::answer_dialog`] writes what
    /// the next one returns. Outside the data folder, and never written by the app.
    answers: tempfile::TempDir,
    // Dropped after the client: driver before display.
    _driver: Guarded,
    _display: Guarded,
    _serial: tokio::sync::MutexGuard<'static, ()>,
}

/// The workspace root (where `target/` lives).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Script payloads of every kind the XSS tests plant in add-on and server text: each would set
/// `window.__pwned` and change `document.title` if it ever ran.
pub const SCRIPT_PAYLOADS: [&str; 5] = [
    "<script>window.__pwned='script';document.title='pwned'</script>",
    "<img src=x onerror=\"window.__pwned='img';document.title='pwned'\">",
    "<a href=\"javascript:window.__pwned='link'\">click</a>",
    "</style><script>window.__pwned='style'</script>",
    "<svg><script>window.__pwned='svg'</script></svg>",
];

/// Every file under `dir` (recursively) whose bytes contain `needle`: a secret must never be found
/// in a data folder. Sockets (the running app's `links.sock`) hold no bytes and are skipped.
pub fn files_holding(dir: &Path, needle: &str) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                todo.push(entry.path());
            } else if kind.is_file()
                && std::fs::read(entry.path())?
                    .windows(needle.len())
                    .any(|w| w == needle.as_bytes())
            {
                found.push(entry.path());
            }
        }
    }
    Ok(found)
}

/// Where screenshots of each view are written for people to look at.
pub fn screenshot_dir() -> PathBuf {
    workspace_root().join("target").join("e2e-screenshots")
}

/// Prints a measuring test's figures and keeps them beside the screenshots as `file`, where
/// the benchmark scripts and the docs pick them up.
pub fn publish_figures(file: &str, lines: &[String]) -> Result<()> {
    for line in lines {
        println!("{line}");
    }
    std::fs::write(screenshot_dir().join(file), lines.join("\n") + "\n")?;
    Ok(())
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn need(program: &str) -> Result<PathBuf> {
    which(program).with_context(|| {
        format!("`{program}` is not installed; run `bash scripts/setup` (end-to-end tests need it)")
    })
}

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    // cargo-installed tools (tauri-driver) live here even when PATH lacks it.
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(Path::new(&home).join(".cargo/bin"));
    }
    dirs.into_iter()
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

fn wait_until(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) -> Result<()> {
    let start = Instant::now();
    while !ready() {
        if start.elapsed() > timeout {
            bail!("{what} did not come up within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// The screen the end-to-end tests draw on, larger than the app's window.
const SCREEN: &str = "1280x800x24";

/// Starts Xvfb with a screen of `screen` (`WxHxDEPTH`) on a free display number and returns the
/// display with its guard.
pub fn start_display(screen: &str) -> Result<(String, Guarded)> {
    let xvfb = need("Xvfb")?;
    for n in (100 + std::process::id() % 400)..1000 {
        if Path::new(&format!("/tmp/.X{n}-lock")).exists() {
            continue;
        }
        let mut guard = Guarded::spawn(
            Command::new(&xvfb)
                .args([
                    format!(":{n}"),
                    "-screen".into(),
                    "0".into(),
                    screen.into(),
                    "-nolisten".into(),
                    "tcp".into(),
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        )
        .context("starting Xvfb")?;
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
        let up = wait_until("Xvfb", Duration::from_secs(10), || {
            socket.exists() || matches!(guard.0.try_wait(), Ok(Some(_)))
        });
        if up.is_ok() && socket.exists() && guard.0.try_wait()?.is_none() {
            return Ok((format!(":{n}"), guard));
        }
        drop(guard);
    }
    bail!("no free X display number for Xvfb")
}

/// Builds nothing: the app binary comes from cargo (`CARGO_BIN_EXE_vetter-app`), which embeds
/// `ui/dist`, so `npm run build` in ui/ must have run first (scripts/test does).
fn app_binary() -> Result<PathBuf> {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_vetter-app"));
    let dist = workspace_root().join("ui/dist/index.html");
    if !dist.exists() {
        bail!("ui/dist is missing: run `npm run build` in ui/ before the end-to-end tests");
    }
    Ok(bin)
}

/// Starts display, driver and app, and waits for the app's frame to render.
pub async fn start() -> Result<Session> {
    start_with_env(&[]).await
}

/// A private D-Bus session with an unlocked GNOME Keyring (`scripts/with-keyring`), alive until
/// dropped. An app started with [`Keyring::env`] stores its secrets there, never in the
/// keyring of the person running the tests.
pub struct Keyring {
    /// `DBUS_SESSION_BUS_ADDRESS` and the XDG folders of the session.
    pub env: Vec<(String, String)>,
    scratch: Option<PathBuf>,
    _session: Guarded,
}

impl Drop for Keyring {
    fn drop(&mut self) {
        // The session is killed, so its script cannot clean up after itself.
        if let Some(dir) = &self.scratch {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Starts a keyring session and waits (up to 30 s) until its Secret Service answers.
pub fn start_keyring() -> Result<Keyring> {
    use std::io::BufRead;
    let script = workspace_root().join("scripts/with-keyring");
    let mut session = Guarded::spawn(
        Command::new(script)
            .args([
                "bash",
                "-c",
                "env | grep -E '^(DBUS_SESSION_BUS_ADDRESS|XDG_DATA_HOME|XDG_RUNTIME_DIR|XDG_CONFIG_HOME)='; \
                 echo KEYRING-READY; exec sleep 600",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit()),
    )
    .context("starting scripts/with-keyring")?;
    let stdout = session
        .0
        .stdout
        .take()
        .context("no stdout from with-keyring")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut env = Vec::new();
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if line == "KEYRING-READY" {
                let _ = tx.send(env);
                return;
            }
            if let Some((k, v)) = line.split_once('=') {
                env.push((k.to_owned(), v.to_owned()));
            }
        }
    });
    let env = rx
        .recv_timeout(Duration::from_secs(30))
        .context("the keyring session did not come up within 30 s (see its stderr)")?;
    anyhow::ensure!(
        env.iter().any(|(k, _)| k == "DBUS_SESSION_BUS_ADDRESS"),
        "the keyring session has no D-Bus address"
    );
    let scratch = env
        .iter()
        .find(|(k, _)| k == "XDG_DATA_HOME")
        .and_then(|(_, v)| Path::new(v).parent().map(Path::to_owned));
    Ok(Keyring {
        env,
        scratch,
        _session: session,
    })
}

/// Like [`start`], with extra environment for the driver and so for the app it starts (a
/// keyring session's D-Bus address).
pub async fn start_with_env(env: &[(String, String)]) -> Result<Session> {
    start_with(env, &[]).await
}

/// Takes the one end-to-end slot, for a test that starts the app without WebDriver.
pub async fn exclusive() -> tokio::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().await
}

/// Like [`start_with_env`], with command-line arguments for the app.
pub async fn start_with(env: &[(String, String)], args: &[&str]) -> Result<Session> {
    let serial = ONE_AT_A_TIME.lock().await;
    let app = app_binary()?;
    let driver_bin = need("tauri-driver")?;
    let native = need("WebKitWebDriver")?;
    let data_dir = tempfile::Builder::new().prefix("vetter-e2e-").tempdir()?;
    let answers = tempfile::Builder::new()
        .prefix("vetter-e2e-dialogs-")
        .tempdir()?;
    let (display, display_guard) = start_display(SCREEN)?;

    let port = free_port()?;
    let native_port = free_port()?;
    let driver = Guarded::spawn(
        Command::new(driver_bin)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .arg("--native-driver")
            .arg(native)
            .env("DISPLAY", &display)
            .env("VETTER_DATA_DIR", data_dir.path())
            .env("VETTER_TEST_DIALOG_ANSWERS", answers.path().join("answer"))
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit()),
    )
    .context("starting tauri-driver")?;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    wait_until("tauri-driver", Duration::from_secs(20), || {
        TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
    })?;

    let mut caps = serde_json::Map::new();
    caps.insert(
        "tauri:options".into(),
        serde_json::json!({ "application": app, "args": args }),
    );
    // tauri-driver accepts connections a moment before it can serve them, and under load the
    // first request is sometimes dropped; a few retries tell that apart from a real failure.
    let mut attempt = 0;
    let client = loop {
        attempt += 1;
        let result = ClientBuilder::rustls()
            .context("TLS setup for the WebDriver client")?
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await;
        match result {
            Ok(client) => break client,
            Err(
                fantoccini::error::NewSessionError::FailedC(_)
                | fantoccini::error::NewSessionError::Failed(_)
                | fantoccini::error::NewSessionError::Lost(_),
            ) if attempt < 4 => {
                tokio::time::sleep(Duration::from_millis(500 * attempt)).await;
            }
            Err(e) => return Err(e).context("opening a WebDriver session on the app"),
        }
    };
    let session = Session {
        client,
        data_dir,
        answers,
        _driver: driver,
        _display: display_guard,
        _serial: serial,
    };
    session
        .wait_for("[data-testid=view-queues]")
        .await
        .context("the app's first view never rendered")?;
    Ok(session)
}

impl Session {
    /// Waits (up to 15 s) for an element matching `css` and returns it.
    pub async fn wait_for(&self, css: &str) -> Result<Element> {
        self.client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("no element matches {css:?}"))
    }

    /// The text of the element matching `css`, once it exists.
    pub async fn text_of(&self, css: &str) -> Result<String> {
        Ok(self.wait_for(css).await?.text().await?)
    }

    /// Clicks the element matching `css`, scrolled to the middle of the view first: WebDriver
    /// scrolls an element only to the edge, where the status bar can lie over it and take the
    /// click.
    pub async fn click(&self, css: &str) -> Result<()> {
        let element = self.wait_for(css).await?;
        self.client
            .execute(
                "arguments[0].scrollIntoView({block: 'center', inline: 'center'})",
                vec![serde_json::to_value(&element)?],
            )
            .await?;
        element.click().await?;
        Ok(())
    }

    /// Presses and releases one key on whatever has focus.
    pub async fn press(&self, key: char) -> Result<()> {
        self.keys(key, false).await
    }

    /// Presses one key with Shift held (`Shift+A` for "approve").
    pub async fn press_with_shift(&self, key: char) -> Result<()> {
        self.keys(key, true).await
    }

    async fn keys(&self, key: char, shift: bool) -> Result<()> {
        use fantoccini::key::Key;
        let held: &[Key] = if shift { &[Key::Shift] } else { &[] };
        self.chord(held, key).await
    }

    /// Presses `key` with `held` (Shift, Alt, Control…) held down, as a reviewer types a
    /// shortcut: `chord(&[Key::Alt], '1')`, `chord(&[Key::Control], Key::Enter.into())`.
    pub async fn chord(&self, held: &[fantoccini::key::Key], key: char) -> Result<()> {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let mut actions = KeyActions::new("keyboard".into());
        for k in held {
            actions = actions.then(KeyAction::Down { value: (*k).into() });
        }
        actions = actions
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        for k in held.iter().rev() {
            actions = actions.then(KeyAction::Up { value: (*k).into() });
        }
        self.client.perform_actions(actions).await?;
        self.client.release_actions().await?;
        Ok(())
    }

    /// Saves a PNG of the window as `target/e2e-screenshots/{name}.png` and returns its path.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let png = tokio::time::timeout(Duration::from_secs(20), self.client.screenshot())
            .await
            .with_context(|| format!("the driver took no screenshot of {name} within 20 s"))??;
        if !png.starts_with(b"\x89PNG") {
            bail!("the driver's screenshot of {name} is not a PNG");
        }
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// Fails if any of [`SCRIPT_PAYLOADS`] ran or became markup: no global was set, the title is
    /// the app's, and the main view holds no script, image, SVG or `javascript:` link.
    pub async fn ensure_no_payload_ran(&self) -> Result<()> {
        let state = self
            .script(
                "return { pwned: typeof window.__pwned, title: document.title,
                   made: document.querySelectorAll('main script, main img:not(.bin-image), main svg, main a[href^=javascript]').length }",
            )
            .await?;
        anyhow::ensure!(
            state == serde_json::json!({ "pwned": "undefined", "title": "Vetter", "made": 0 }),
            "a payload ran or became markup: {state}"
        );
        Ok(())
    }

    /// What the app's next native dialog returns (through its test seam): a path for a file or
    /// folder dialog, `yes` or `no` for a confirmation. Without an answer a dialog is cancelled.
    pub fn answer_dialog(&self, answer: &str) -> Result<()> {
        std::fs::write(self.answers.path().join("answer"), answer)?;
        Ok(())
    }

    /// Calls app command `command` with `args` (a JavaScript object literal) the way any script
    /// in the page could, and returns `{ok: value}` or `{err: error}`.
    pub async fn invoke(&self, command: &str, args: &str) -> Result<serde_json::Value> {
        let js = format!(
            "const done = arguments[arguments.length - 1];
             window.__TAURI_INTERNALS__.invoke({command:?}, {args})
               .then((ok) => done({{ ok: ok === undefined ? null : ok }}), (err) => done({{ err }}));"
        );
        Ok(self.client.execute_async(&js, vec![]).await?)
    }

    /// Runs axe-core (npm, pinned in ui/package.json) on the page as it is and returns its
    /// violations as `[{id, impact, help, nodes, target}]`. The script is injected by the
    /// driver, which the page's CSP does not govern; the app never ships or loads it.
    pub async fn axe(&self) -> Result<serde_json::Value> {
        let path = workspace_root().join("ui/node_modules/axe-core/axe.min.js");
        let source = std::fs::read_to_string(&path)
            .with_context(|| format!("{} (run `npm ci` in ui/)", path.display()))?;
        self.client
            .execute(
                &format!("{source}\n; window.__vetterAxe = axe; return null"),
                vec![],
            )
            .await?;
        let js = "const done = arguments[arguments.length - 1];
             window.__vetterAxe.run(document, { resultTypes: ['violations'] }).then(
               (r) => done(r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                 nodes: v.nodes.length, target: String(v.nodes[0] && v.nodes[0].target),
                 html: v.nodes[0] && v.nodes[0].html, summary: v.nodes[0] && v.nodes[0].failureSummary }))),
               (e) => done({ error: String(e) }));";
        let found = self.client.execute_async(js, vec![]).await?;
        if let Some(error) = found.get("error") {
            anyhow::bail!("axe did not run: {error}");
        }
        Ok(found)
    }

    /// Runs a script in the page and returns its JSON result.
    pub async fn script(&self, js: &str) -> Result<serde_json::Value> {
        Ok(self.client.execute(js, vec![]).await?)
    }

    /// Polls `js` until it returns `want`, up to `limit`; on timeout fails with what it last
    /// saw and a screenshot named after `what`.
    pub async fn eventually(
        &self,
        what: &str,
        js: &str,
        want: &serde_json::Value,
        limit: Duration,
    ) -> Result<serde_json::Value> {
        let start = Instant::now();
        loop {
            let got = self.script(js).await?;
            if &got == want {
                return Ok(got);
            }
            if start.elapsed() > limit {
                let shot = self.screenshot(&shot_name(what)).await?;
                bail!(
                    "{what}: expected {want}, still {got} (see {})",
                    shot.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Polls `js` until it returns something other than null or false, up to `limit`; returns it.
    pub async fn until(&self, what: &str, js: &str, limit: Duration) -> Result<serde_json::Value> {
        let start = Instant::now();
        loop {
            let got = self.script(js).await?;
            if !got.is_null() && got != serde_json::Value::Bool(false) {
                return Ok(got);
            }
            if start.elapsed() > limit {
                let shot = self.screenshot(&shot_name(what)).await?;
                bail!("{what}: still {got} (see {})", shot.display());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sets the React-controlled input with `testid` to `value` the way typing does
    /// (WebKitWebDriver's clear does not fire `input`, so React would not see it).
    pub async fn fill(&self, testid: &str, value: &str) -> Result<()> {
        self.wait_for(&format!("[data-testid={testid}]")).await?;
        let js = format!(
            "const el = document.querySelector('[data-testid={testid}]');
             const proto = el instanceof HTMLTextAreaElement ? HTMLTextAreaElement : HTMLInputElement;
             Object.getOwnPropertyDescriptor(proto.prototype, 'value').set.call(el, {v});
             el.dispatchEvent(new Event('input', {{ bubbles: true }})); return null",
            v = serde_json::to_string(value)?
        );
        self.script(&js).await?;
        Ok(())
    }

    /// Imports one package through the review view's import form and waits until it is done,
    /// failing with the form's error when the import is refused.
    pub async fn import(&self, path: &Path) -> Result<()> {
        self.answer_dialog(&path.display().to_string())?;
        // The form counts finished imports: the result shown before the click (the last
        // import's) must not be taken for this one's.
        let finished = "const f = document.querySelector('form.import-panel');
                        return f ? Number(f.dataset.finished) : 0";
        let before = self.script(finished).await?.as_u64().unwrap_or(0);
        self.click("[data-testid=import-button]").await?;
        let got = self
            .until(
                &format!("import of {}", path.display()),
                &format!(
                    "const f = document.querySelector('form.import-panel');
                     if (!f || Number(f.dataset.finished) <= {before}) return null;
                     const r = document.querySelector('[data-testid=import-result]');
                     const e = document.querySelector('[data-testid=import-error]');
                     if (e) return 'error: ' + e.textContent;
                     return r ? r.textContent : 'error: no result (was the dialog cancelled?)'"
                ),
                Duration::from_secs(20),
            )
            .await?;
        let text = got.as_str().unwrap_or_default();
        if text.starts_with("error") {
            bail!("import of {}: {text}", path.display());
        }
        Ok(())
    }

    /// Ends the WebDriver session (closing the app) before the processes are torn down.
    pub async fn close(self) -> Result<()> {
        let Session { client, .. } = self;
        client.close().await?;
        Ok(())
    }
}

/// A script returning the text of the first element matching `css`, or null.
pub fn text_js(css: &str) -> String {
    format!("const e = document.querySelector('{css}'); return e ? e.textContent : null")
}

/// A screenshot file name for a failed wait on `what`.
fn shot_name(what: &str) -> String {
    let name: String = what
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    format!("failed-{name}")
}

/// Runs one test body with an overall time limit, so a hung driver fails the test instead of
/// hanging CI.
pub async fn bounded<F: std::future::Future<Output = Result<()>>>(body: F) -> Result<()> {
    let result = tokio::time::timeout(Duration::from_secs(120), body)
        .await
        .context("end-to-end test ran past its 120 s limit")
        .and_then(|r| r);
    // Said at once, next to the app's log: CI keeps only part of a long run's output, and the
    // failures listed at the end are the part most often cut.
    if let Err(e) = &result {
        // Straight to the process's stderr: the test harness captures `eprintln!` and prints
        // it only in the failures list at the end.
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "end-to-end test failed: {e:#}");
    }
    result
}
