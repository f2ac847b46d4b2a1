//! A `vetter://` link opened on the desktop goes to the Vetter already running on the same
//! data folder, instead of starting a second window on the same cache.
//!
//! The running app listens on a Unix socket in its data folder (`links.sock`, owner-only). A
//! second start with a link connects, writes the link, waits for the answer and exits; only a
//! well-formed `vetter://` link is taken, and it only moves the window within the app. Keyed by
//! data folder rather than a bus name: two data folders are two separate workspaces (and the
//! end-to-end tests run several at once). On other systems each start opens its own window.
//!
//! `vetter-app --register-link-handler` tells the desktop (freedesktop.org systems) that this
//! program opens `vetter://` links: a `.desktop` entry and the default handler for
//! `x-scheme-handler/vetter` in `mimeapps.list`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use vetter_review::deeplink::MAX_LINK;

/// The socket's name in the data folder.
pub const SOCKET: &str = "links.sock";

/// How long either side waits for the other.
const WAIT: Duration = Duration::from_secs(5);

/// Whether `link` is one this app opens: a `vetter://` link that parses.
fn acceptable(link: &str) -> bool {
    link.len() <= MAX_LINK && vetter_review::deeplink::DeepLink::parse(link).is_ok()
}

/// Hands `link` to the Vetter running on `data_dir`: `Ok(true)` when it took it, `Ok(false)`
/// when none is running there.
#[cfg(unix)]
pub fn hand_over(data_dir: &Path, link: &str) -> std::io::Result<bool> {
    use std::os::unix::net::UnixStream;
    let Ok(mut stream) = UnixStream::connect(data_dir.join(SOCKET)) else {
        return Ok(false);
    };
    stream.set_read_timeout(Some(WAIT))?;
    stream.set_write_timeout(Some(WAIT))?;
    writeln!(stream, "{link}")?;
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer)?;
    match answer.trim_end() {
        "ok" => Ok(true),
        other => Err(std::io::Error::other(format!(
            "the running Vetter refused the link: {other}"
        ))),
    }
}

/// Hands nothing over where there is no socket: each start opens its own window.
#[cfg(not(unix))]
pub fn hand_over(_data_dir: &Path, _link: &str) -> std::io::Result<bool> {
    Ok(false)
}

/// Listens on `data_dir`'s socket for links handed over by later starts, calling `on_link` with
/// each acceptable one, on a thread of its own. A socket left by an app that is gone is
/// replaced; one that answers belongs to another running Vetter, and this one does not listen.
#[cfg(unix)]
pub fn listen(
    data_dir: &Path,
    on_link: impl Fn(String) + Send + 'static,
) -> std::io::Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::net::{UnixListener, UnixStream};
    let path = data_dir.join(SOCKET);
    if UnixStream::connect(&path).is_ok() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            format!("another Vetter listens on {}", path.display()),
        ));
    }
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let listener = UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    std::thread::Builder::new()
        .name("link-handoff".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = stream.set_read_timeout(Some(WAIT));
                let _ = stream.set_write_timeout(Some(WAIT));
                let mut line = String::new();
                let read = BufReader::new(std::io::Read::take(&stream, MAX_LINK as u64 + 2))
                    .read_line(&mut line);
                let link = line.trim_end().to_owned();
                let answer = if read.is_err() {
                    "unreadable"
                } else if acceptable(&link) {
                    on_link(link);
                    "ok"
                } else {
                    "not a vetter:// link"
                };
                let _ = writeln!(&stream, "{answer}");
            }
        })?;
    Ok(path)
}

/// Listens nowhere where there is no socket.
#[cfg(not(unix))]
pub fn listen(
    _data_dir: &Path,
    _on_link: impl Fn(String) + Send + 'static,
) -> std::io::Result<PathBuf> {
    Err(std::io::Error::other("link handoff needs Unix sockets"))
}

/// The `.desktop` entry that opens `vetter://` links with `program`.
pub fn desktop_entry(program: &Path) -> String {
    // Exec quoting (Desktop Entry Specification): the path in double quotes, with `"`, `` ` ``,
    // `$` and `\` escaped by a backslash.
    let mut quoted = String::from("\"");
    for c in program.to_string_lossy().chars() {
        if matches!(c, '"' | '`' | '$' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    format!(
        "[Desktop Entry]\nType=Application\nName=Vetter\nComment=Review browser add-ons\n\
         Exec={quoted} %u\nTerminal=false\nNoDisplay=true\nMimeType=x-scheme-handler/vetter;\n"
    )
}

/// The desktop entry's file name.
pub const DESKTOP_FILE: &str = "vetter-links.desktop";

/// Registers `program` as the opener of `vetter://` links for this user: writes the desktop
/// entry under `data_home/applications` and makes it the default for `x-scheme-handler/vetter`
/// in `config_home/mimeapps.list`, keeping every other line. Returns the two files.
pub fn register(
    program: &Path,
    data_home: &Path,
    config_home: &Path,
) -> std::io::Result<(PathBuf, PathBuf)> {
    let apps = data_home.join("applications");
    std::fs::create_dir_all(&apps)?;
    let entry = apps.join(DESKTOP_FILE);
    std::fs::write(&entry, desktop_entry(program))?;
    std::fs::create_dir_all(config_home)?;
    let list = config_home.join("mimeapps.list");
    let old = match std::fs::read_to_string(&list) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    std::fs::write(&list, with_default_handler(&old))?;
    Ok((entry, list))
}

/// `mimeapps.list` text with `x-scheme-handler/vetter` opened by [`DESKTOP_FILE`] by default.
fn with_default_handler(old: &str) -> String {
    let key = "x-scheme-handler/vetter=";
    let line = format!("{key}{DESKTOP_FILE}");
    let mut out: Vec<String> = Vec::new();
    let mut section = String::new();
    let mut done = false;
    for l in old.lines() {
        if l.starts_with('[') {
            if section == "[Default Applications]" && !done {
                // At the end of the section, before the blank lines that close it.
                let blanks = out.iter().rev().take_while(|l| l.is_empty()).count();
                out.insert(out.len() - blanks, line.clone());
                done = true;
            }
            section = l.trim().to_owned();
        } else if section == "[Default Applications]" && l.starts_with(key) {
            continue;
        }
        out.push(l.to_owned());
    }
    if section == "[Default Applications]" && !done {
        out.push(line.clone());
        done = true;
    }
    if !done {
        if !out.is_empty() && out.last().is_some_and(|l| !l.is_empty()) {
            out.push(String::new());
        }
        out.push("[Default Applications]".into());
        out.push(line);
    }
    out.join("\n") + "\n"
}

/// Where freedesktop.org data and configuration live for this user (`$XDG_DATA_HOME`, else
/// `~/.local/share`; `$XDG_CONFIG_HOME`, else `~/.config`).
pub fn xdg_homes() -> Option<(PathBuf, PathBuf)> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let pick = |var: &str, fallback: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| home.as_ref().map(|h| h.join(fallback)))
    };
    Some((
        pick("XDG_DATA_HOME", ".local/share")?,
        pick("XDG_CONFIG_HOME", ".config")?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: &str = "vetter://addon/tab-tidy%40example.org/version/1.1.0/file/background.js#L4";

    #[test]
    fn a_link_reaches_the_app_listening_on_the_same_data_folder_only() {
        let dir = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        let (got, taken) = std::sync::mpsc::channel();
        listen(dir.path(), move |l| got.send(l).unwrap()).unwrap();
        assert!(hand_over(dir.path(), LINK).unwrap());
        assert_eq!(taken.recv_timeout(WAIT).unwrap(), LINK);
        // Nobody listens on another folder; and a second listener on the first is refused.
        assert!(!hand_over(other.path(), LINK).unwrap());
        assert!(listen(dir.path(), |_| {}).is_err());
        // What is not a link is answered with the reason and goes nowhere.
        let err = hand_over(dir.path(), "https://example.org/").unwrap_err();
        assert!(err.to_string().contains("not a vetter:// link"), "{err}");
        assert!(taken.recv_timeout(Duration::from_millis(200)).is_err());
    }

    #[test]
    fn a_socket_left_by_an_app_that_is_gone_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SOCKET), b"stale").unwrap();
        let (got, taken) = std::sync::mpsc::channel();
        listen(dir.path(), move |l| got.send(l).unwrap()).unwrap();
        assert!(hand_over(dir.path(), LINK).unwrap());
        assert_eq!(taken.recv_timeout(WAIT).unwrap(), LINK);
    }

    #[test]
    fn registration_names_the_program_and_keeps_other_handlers() {
        let homes = tempfile::tempdir().unwrap();
        let (data, config) = (homes.path().join("data"), homes.path().join("config"));
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(
            config.join("mimeapps.list"),
            "[Default Applications]\ntext/html=firefox.desktop\nx-scheme-handler/vetter=old.desktop\n\n[Added Associations]\nimage/png=gimp.desktop\n",
        )
        .unwrap();
        let program = Path::new("/opt/My \"Apps\"/vetter-app");
        let (entry, list) = register(program, &data, &config).unwrap();
        let entry = std::fs::read_to_string(entry).unwrap();
        assert!(
            entry.contains("Exec=\"/opt/My \\\"Apps\\\"/vetter-app\" %u\n"),
            "{entry}"
        );
        assert!(entry.contains("MimeType=x-scheme-handler/vetter;"));
        let list = std::fs::read_to_string(list).unwrap();
        assert_eq!(
            list,
            "[Default Applications]\ntext/html=firefox.desktop\nx-scheme-handler/vetter=vetter-links.desktop\n\n[Added Associations]\nimage/png=gimp.desktop\n"
        );
        assert_eq!(
            with_default_handler(""),
            "[Default Applications]\nx-scheme-handler/vetter=vetter-links.desktop\n"
        );
    }
}
