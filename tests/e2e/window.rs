//! What a compromised page can do through the real app (issue 15, finding 3): call any command
//! the window is granted, with any arguments, run any script. It must get nothing more than the
//! UI needs: no file read or written at a path it names, no navigation away from the app, no new
//! window, and no change of the review server without the reviewer's yes in a native dialog.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use anyhow::{Result, ensure};
use serde_json::Value;
use vetter_fixtures::addons::{mv2_addon, next_version};

use crate::harness::{self, Session};

/// A channel argument as the page's IPC library would send one, for commands that report
/// progress.
const CHANNEL: &str = "'__CHANNEL__:' + window.__TAURI_INTERNALS__.transformCallback(() => {})";

/// How many add-ons are cached, read through the window's own command.
async fn cached_count(s: &Session) -> Result<usize> {
    let listed = s.invoke("cached_addons", "{}").await?;
    listed["ok"]
        .as_array()
        .map(Vec::len)
        .ok_or_else(|| anyhow::anyhow!("cached_addons answered {listed}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_naming_a_path_imports_reads_and_writes_nothing() -> Result<()> {
    harness::bounded(async {
        let s = harness::start().await?;
        let files = tempfile::tempdir()?;
        let v1 = mv2_addon();
        let v2 = next_version(&v1);
        let (p1, p2) = (files.path().join("v1.xpi"), files.path().join("v2.xpi"));
        std::fs::write(&p1, v1.to_xpi())?;
        std::fs::write(&p2, v2.to_xpi())?;

        // The old command imported whatever path the page named; now the path comes from the
        // native dialog, which the reviewer (here: no answer) cancels, so nothing is imported.
        let imported = s
            .invoke(
                "import_xpi",
                &format!(
                    "{{ path: {:?}, onProgress: {CHANNEL} }}",
                    p1.display().to_string()
                ),
            )
            .await?;
        ensure!(
            imported == serde_json::json!({ "ok": null }),
            "import_xpi answered {imported}"
        );
        ensure!(
            cached_count(&s).await? == 0,
            "a path named by the page was imported"
        );

        // The reviewer's own choice in the dialog is imported (twice, for a pair to report on).
        s.answer_dialog(&p1.display().to_string())?;
        let first = s
            .invoke("import_xpi", &format!("{{ onProgress: {CHANNEL} }}"))
            .await?;
        s.answer_dialog(&p2.display().to_string())?;
        let second = s
            .invoke("import_xpi", &format!("{{ onProgress: {CHANNEL} }}"))
            .await?;
        let (old, new) = (&first["ok"]["version_id"], &second["ok"]["version_id"]);
        ensure!(
            old.is_number() && new.is_number(),
            "imports through the dialog failed: {first} {second}"
        );

        // A report into a folder the page names is refused; nothing is written there.
        let elsewhere = tempfile::tempdir()?;
        let written = s
            .invoke(
                "export_report",
                &format!(
                    "{{ old: {old}, new: {new}, dir: {:?} }}",
                    elsewhere.path().display().to_string()
                ),
            )
            .await?;
        ensure!(
            written.get("err").is_some(),
            "export_report answered {written}"
        );
        ensure!(
            std::fs::read_dir(elsewhere.path())?.next().is_none(),
            "the report was written into the folder the page named"
        );
        // The default folder is inside the data folder.
        let written = s
            .invoke(
                "export_report",
                &format!("{{ old: {old}, new: {new}, chooseFolder: false }}"),
            )
            .await?;
        let html = written["ok"]["html"].as_str().unwrap_or_default();
        ensure!(
            Path::new(html).starts_with(s.data_dir.path()),
            "the default report went to {written}"
        );

        // A rule file at a path the page names is not read: its lines cannot come back in a
        // compiler message.
        let secret = files.path().join("id_ed25519");
        std::fs::write(
            &secret,
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\n",
        )?;
        let added = s
            .invoke(
                "add_rule_path",
                &format!(
                    "{{ name: 'stolen.yar', path: {:?} }}",
                    secret.display().to_string()
                ),
            )
            .await?;
        ensure!(
            added == serde_json::json!({ "ok": null }),
            "add_rule_path answered {added}"
        );
        // Even the reviewer's own pick of a wrong file is refused without its lines.
        s.answer_dialog(&secret.display().to_string())?;
        let added = s.invoke("add_rule_path", "{ name: 'picked.yar' }").await?;
        let message = added["err"]["message"].as_str().unwrap_or_default();
        ensure!(
            message.contains("does not compile") && !message.contains("b3BlbnNzaC1rZXkt"),
            "add_rule_path answered {added}"
        );
        s.close().await
    })
    .await
}

/// Serves one tiny page on 127.0.0.1 (a place a hostile page would like to send the window) on
/// a thread; returns its URL.
fn elsewhere_page() -> Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/", listener.local_addr()?);
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = [0u8; 2048];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(
                b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<p id=elsewhere>elsewhere</p>",
            );
        }
    });
    Ok(url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_cannot_leave_the_app_open_windows_or_change_the_server_unasked() -> Result<()> {
    harness::bounded(async {
        let remembered = "http://127.0.0.1:9";
        // A keyring, since the account status the test reads looks there.
        let keyring = harness::start_keyring()?;
        let s = harness::start_with(&keyring.env, &["--server", remembered]).await?;
        let page = elsewhere_page()?;

        // A script navigating the window elsewhere: refused, the app stays.
        s.script(&format!("window.location.href = {page:?}; return null"))
            .await?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let here = s
            .script("return [location.href, !!document.querySelector('[data-testid=nav-queues]')]")
            .await?;
        ensure!(
            !here[0].as_str().unwrap_or_default().starts_with(&page),
            "the window navigated to {here}"
        );
        ensure!(
            here[1] == Value::Bool(true),
            "the app is no longer shown: {here}"
        );

        // A new window: refused.
        s.script(&format!("window.open({page:?}); return null"))
            .await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let windows = s.client.windows().await?;
        ensure!(windows.len() == 1, "{} windows are open", windows.len());

        // A login to another server without the reviewer's yes: refused before any request,
        // and the remembered server stays.
        let login = |server: &'static str| {
            format!("{{ server: {server:?}, apiKey: 'user:1:1', apiSecret: 'not-a-secret' }}")
        };
        let refused = s.invoke("login", &login("http://127.0.0.1:10")).await?;
        let message = refused["err"]["message"].as_str().unwrap_or_default();
        ensure!(
            message.contains("not confirmed") && message.contains(remembered),
            "login answered {refused}"
        );
        let status = s.invoke("server_status", "{}").await?;
        ensure!(
            status["ok"]["server"] == remembered,
            "server is now {status}"
        );
        // With the reviewer's yes the login goes ahead (and fails only because nothing listens).
        s.answer_dialog("yes")?;
        let tried = s.invoke("login", &login("http://127.0.0.1:10")).await?;
        let message = tried["err"]["message"].as_str().unwrap_or_default();
        ensure!(
            !message.contains("not confirmed"),
            "a confirmed change was refused: {tried}"
        );
        s.close().await
    })
    .await
}
