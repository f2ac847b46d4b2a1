//! How the app was started: its data folder, the server it is pointed at, the AMO instance "Open
//! from AMO" fetches from, credentials handed over for a login at launch (the demo's), and a
//! window that fits the screen it opens on.
//!
//! Credentials are never read from the command line, which other users can see in `ps`: with
//! `--login-from-env` they come from `VETTER_API_KEY` and `VETTER_API_SECRET`, which are then
//! removed from the environment so WebKit's helper processes never inherit the secret.

use std::ffi::OsString;
use std::path::PathBuf;

use tauri::{LogicalPosition, LogicalSize, Runtime, WebviewWindow};
use vetter_decision::signing::SecretText;

/// The environment variable holding the API key for `--login-from-env`.
pub const API_KEY_VAR: &str = "VETTER_API_KEY";
/// The environment variable holding the API secret for `--login-from-env`.
pub const API_SECRET_VAR: &str = "VETTER_API_SECRET";
/// The environment variable naming the AMO instance when `--amo` is not given.
pub const AMO_VAR: &str = "VETTER_AMO";

/// Credentials handed to the app at launch, waiting for the window to ask for the login.
pub struct HandedLogin {
    /// The server to log in to.
    pub server: String,
    /// The API key (the JWT issuer; not secret on its own).
    pub api_key: String,
    /// The API secret, zeroed when dropped.
    pub api_secret: SecretText,
}

impl std::fmt::Debug for HandedLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandedLogin")
            .field("server", &self.server)
            .field("api_key", &self.api_key)
            .finish_non_exhaustive()
    }
}

/// What the command line asked for.
#[derive(Debug, Default)]
pub struct Launch {
    /// `--data-dir DIR` (else `$VETTER_DATA_DIR`, else the OS's per-user data folder).
    pub data_dir: Option<PathBuf>,
    /// `--server URL`: the review server to remember, as a login would.
    pub server: Option<String>,
    /// `--login-from-env`: log in to `server` with the credentials in the environment.
    pub login_from_env: bool,
    /// `--amo URL`: the AMO instance add-ons are fetched from (else `$VETTER_AMO`, else
    /// addons.mozilla.org; see [`Launch::amo`]).
    pub amo: Option<String>,
    /// `--download-host URL`, repeatable: origins besides the AMO instance that its downloads
    /// may be redirected to (its CDN).
    pub download_hosts: Vec<String>,
    /// A `vetter://` link to open once the window is up (how the desktop hands one over).
    pub link: Option<String>,
    /// `--register-link-handler`: make this program the desktop's opener of `vetter://` links,
    /// then exit.
    pub register_link_handler: bool,
}

impl Launch {
    /// Reads the options the app knows from `args` (without the program name). Other arguments
    /// are left alone: the WebDriver and the desktop may pass their own.
    pub fn parse(args: impl IntoIterator<Item = OsString>) -> Launch {
        let mut launch = Launch::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let text = arg.to_string_lossy();
            if let Some(dir) = text.strip_prefix("--data-dir=") {
                launch.data_dir = Some(PathBuf::from(dir));
            } else if let Some(url) = text.strip_prefix("--server=") {
                launch.server = Some(url.to_owned());
            } else if let Some(url) = text.strip_prefix("--amo=") {
                launch.amo = Some(url.to_owned());
            } else if let Some(url) = text.strip_prefix("--download-host=") {
                launch.download_hosts.push(url.to_owned());
            } else if text == "--data-dir" {
                launch.data_dir = args.next().map(PathBuf::from);
            } else if text == "--server" {
                launch.server = args.next().map(|u| u.to_string_lossy().into_owned());
            } else if text == "--amo" {
                launch.amo = args.next().map(|u| u.to_string_lossy().into_owned());
            } else if text == "--download-host" {
                let url = args.next().map(|u| u.to_string_lossy().into_owned());
                launch.download_hosts.extend(url);
            } else if text == "--login-from-env" {
                launch.login_from_env = true;
            } else if text == "--register-link-handler" {
                launch.register_link_handler = true;
            } else if text.starts_with("vetter://") {
                launch.link = Some(text.into_owned());
            }
        }
        launch.server = launch.server.as_deref().and_then(origin_text);
        launch.amo = launch.amo.as_deref().and_then(origin_text);
        launch.download_hosts = launch
            .download_hosts
            .iter()
            .filter_map(|h| origin_text(h))
            .collect();
        launch
    }

    /// The AMO instance to fetch from: `--amo`, else `$VETTER_AMO`, else addons.mozilla.org.
    /// Whether it is usable (https, or http on loopback) is checked by the fetch, which names
    /// the problem to the reviewer.
    pub fn amo(&self) -> String {
        self.amo_or(std::env::var(AMO_VAR).ok())
    }

    /// [`Launch::amo`] with the environment's value given.
    fn amo_or(&self, env: Option<String>) -> String {
        self.amo
            .clone()
            .or_else(|| env.as_deref().and_then(origin_text))
            .unwrap_or_else(|| vetter_client::fetch::DEFAULT_AMO.to_owned())
    }

    /// The data folder to use.
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .or_else(|| std::env::var_os("VETTER_DATA_DIR").map(PathBuf::from))
            .unwrap_or_else(vetter_store::info::default_data_dir)
    }

    /// Takes the credentials for `--login-from-env` out of the environment. Must run before the
    /// app starts any thread (changing the environment is not thread-safe). An error says what is
    /// missing; the variables are removed either way.
    pub fn take_handed_login(&self) -> Result<Option<HandedLogin>, String> {
        let key = std::env::var(API_KEY_VAR).ok();
        let secret = std::env::var(API_SECRET_VAR).ok().map(SecretText::new);
        // SAFETY: called from `run` before the tracing subscriber, the Tauri runtime or any
        // other thread exists, so nothing can read the environment concurrently.
        unsafe {
            std::env::remove_var(API_SECRET_VAR);
            std::env::remove_var(API_KEY_VAR);
        }
        if !self.login_from_env {
            return Ok(None);
        }
        let Some(server) = self.server.clone() else {
            return Err(
                "--login-from-env needs --server URL: there is no server to log in to".into(),
            );
        };
        match (key.filter(|k| !k.trim().is_empty()), secret) {
            (Some(api_key), Some(api_secret)) if !api_secret.as_str().is_empty() => {
                Ok(Some(HandedLogin {
                    server,
                    api_key: api_key.trim().to_owned(),
                    api_secret,
                }))
            }
            _ => Err(format!(
                "--login-from-env needs both {API_KEY_VAR} and {API_SECRET_VAR} in the environment"
            )),
        }
    }
}

/// A URL given on the command line, spelt as every part of Vetter spells a server; `None` when
/// blank. One that is no server URL is kept as typed, so the login or fetch that uses it names
/// the problem to the reviewer instead of the app quietly using another server.
fn origin_text(url: &str) -> Option<String> {
    if url.trim().is_empty() {
        return None;
    }
    Some(vetter_protocol::routes::normalize_server(url).unwrap_or_else(|_| url.to_owned()))
}

/// How much room around the window the screen must have for it to open at its own size: less,
/// and the window is maximized, since a window larger than the screen hides its status bar.
const SCREEN_MARGIN: f64 = 48.0;

/// Fits `window`, configured at `width`×`height` logical pixels, to the screen it opens on:
/// maximized when the screen's work area (without panels) has no room for that size, else
/// centered at that size. The window is placed and sized explicitly in both cases: maximizing is
/// only a request to the window manager, which a bare X server (a kiosk, Xvfb) does not have, and
/// before the window is first shown its own size reads as zero, so Tauri's `center` misplaces it.
pub fn fit_to_screen<R: Runtime>(
    window: &WebviewWindow<R>,
    width: f64,
    height: f64,
) -> tauri::Result<()> {
    let monitor = match window.current_monitor()? {
        Some(m) => Some(m),
        None => window.primary_monitor()?,
    };
    let Some(monitor) = monitor else {
        // No monitor information (some virtual displays): leave the configured size.
        return Ok(());
    };
    let scale = monitor.scale_factor();
    let work_area = monitor.work_area();
    let origin = work_area.position.to_logical::<f64>(scale);
    let area = work_area.size.to_logical::<f64>(scale);
    if too_small(area.width, area.height, width, height) {
        tracing::info!(
            screen = %format!("{:.0}x{:.0}", area.width, area.height),
            "small screen: the window opens maximized"
        );
        window.set_position(work_area.position)?;
        window.set_size(work_area.size)?;
        window.maximize()
    } else {
        window.set_size(LogicalSize::new(width, height))?;
        window.set_position(LogicalPosition::new(
            origin.x + (area.width - width) / 2.0,
            origin.y + (area.height - height) / 2.0,
        ))
    }
}

/// Whether a screen of `screen_w`×`screen_h` is too small for a window of `w`×`h` (logical
/// pixels) with [`SCREEN_MARGIN`] to spare.
fn too_small(screen_w: f64, screen_h: f64, w: f64, h: f64) -> bool {
    screen_w < w + SCREEN_MARGIN || screen_h < h + SCREEN_MARGIN
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Launch {
        Launch::parse(args.iter().map(OsString::from))
    }

    #[test]
    fn a_vetter_link_among_the_arguments_is_kept_to_open() {
        let l = parse(&["--data-dir", "/tmp/d", "vetter://addon/x@y/version/2"]);
        assert_eq!(l.link.as_deref(), Some("vetter://addon/x@y/version/2"));
        assert!(parse(&["https://example.org/"]).link.is_none());
    }

    #[test]
    fn options_in_both_spellings_and_unknown_ones_ignored() {
        let l = parse(&[
            "--server",
            "http://127.0.0.1:9/",
            "--data-dir=/d",
            "--other",
            "x",
        ]);
        assert_eq!(l.server.as_deref(), Some("http://127.0.0.1:9"));
        assert_eq!(l.data_dir, Some(PathBuf::from("/d")));
        assert!(!l.login_from_env);
        let l = parse(&["--server=http://h", "--data-dir", "/e", "--login-from-env"]);
        assert_eq!(l.server.as_deref(), Some("http://h"));
        assert_eq!(l.data_dir, Some(PathBuf::from("/e")));
        assert!(l.login_from_env);
        assert_eq!(parse(&["--server", "  "]).server, None);
        assert_eq!(parse(&["--server"]).server, None);
    }

    #[test]
    fn amo_and_download_hosts_in_both_spellings() {
        let l = parse(&[
            "--amo",
            "http://127.0.0.1:8001/",
            "--download-host",
            "http://127.0.0.1:8002/",
            "--download-host=https://cdn.example.org",
            "--download-host",
            " ",
        ]);
        assert_eq!(l.amo.as_deref(), Some("http://127.0.0.1:8001"));
        assert_eq!(
            l.download_hosts,
            ["http://127.0.0.1:8002", "https://cdn.example.org"]
        );
        let l = parse(&["--amo=https://amo.example.org/", "--download-host"]);
        assert_eq!(l.amo.as_deref(), Some("https://amo.example.org"));
        assert!(l.download_hosts.is_empty());
        assert_eq!(parse(&["--amo", " "]).amo, None);
        assert_eq!(parse(&["--amo"]).amo, None);
        // Not a server URL: kept as typed for the fetch to refuse by name, not dropped for AMO.
        assert_eq!(
            parse(&["--amo", "amo.example.org/"]).amo.as_deref(),
            Some("amo.example.org/")
        );
    }

    #[test]
    fn amo_from_the_option_then_the_environment_then_the_default() {
        let given = parse(&["--amo", "https://a.example.org"]);
        let env = Some("https://b.example.org/".to_owned());
        assert_eq!(given.amo_or(env.clone()), "https://a.example.org");
        let none = parse(&[]);
        assert_eq!(none.amo_or(env), "https://b.example.org");
        assert_eq!(none.amo_or(Some("  ".into())), "https://addons.mozilla.org");
        assert_eq!(none.amo_or(None), "https://addons.mozilla.org");
    }

    #[test]
    fn small_screens_maximize_and_large_ones_do_not() {
        assert!(too_small(1280.0, 800.0, 1280.0, 800.0));
        assert!(too_small(1366.0, 768.0, 1280.0, 800.0));
        assert!(!too_small(1920.0, 1080.0, 1280.0, 800.0));
    }
}
