//! The app frame: window, sidebar, every view, status bar, and the `app_info` command end to end.

use anyhow::{Result, ensure};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;

use crate::harness;

const VIEWS: [(&str, &str); 5] = [
    ("queues", "Queues"),
    ("review", "Review"),
    ("outbox", "Outbox"),
    ("search", "Search"),
    ("settings", "Settings"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sidebar_entry_shows_its_view() -> Result<()> {
    harness::bounded(async {
        let s = harness::start().await?;
        let title = s.client.title().await?;
        ensure!(title == "Vetter", "window title is {title:?}");
        ensure!(
            s.text_of("[data-testid=status-server]").await? == "Server: none configured",
            "status bar does not name the server state"
        );
        // Go round twice so that returning to a view works as well as opening it.
        for (id, heading) in VIEWS.iter().chain(VIEWS.iter()) {
            s.click(&format!("[data-testid=nav-{id}]")).await?;
            let shown = s.text_of(&format!("[data-testid=view-{id}] h1")).await?;
            ensure!(shown == *heading, "view {id} shows heading {shown:?}");
            let errors = s
                .client
                .find_all(fantoccini::Locator::Css("[data-testid=view-error]"))
                .await?;
            ensure!(errors.is_empty(), "view {id} failed to render");
            let focused = s
                .script("return document.activeElement && document.activeElement.id")
                .await?;
            ensure!(
                focused == serde_json::json!(format!("view-{id}-title")),
                "focus did not move to the {id} heading, it is on {focused}"
            );
            let current = s
                .wait_for(&format!("[data-testid=nav-{id}]"))
                .await?
                .attr("aria-current")
                .await?;
            ensure!(
                current.as_deref() == Some("page"),
                "sidebar does not mark {id} current"
            );
            s.screenshot(id).await?;
        }
        s.close().await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_shows_app_info_from_the_core() -> Result<()> {
    harness::bounded(async {
        let s = harness::start().await?;
        s.click("[data-testid=nav-settings]").await?;
        let version = s.text_of("[data-testid=app-info-version]").await?;
        ensure!(
            version == env!("CARGO_PKG_VERSION"),
            "version shown is {version:?}"
        );
        let data_dir = s.text_of("[data-testid=app-info-data-dir]").await?;
        let expected = s.data_dir.path().display().to_string();
        ensure!(
            data_dir == expected,
            "data folder shown is {data_dir:?}, expected {expected:?}"
        );
        let schema: u32 = s.text_of("[data-testid=app-info-schema]").await?.parse()?;
        ensure!(
            schema >= 1,
            "schema version {schema} means the cache was not migrated"
        );
        ensure!(
            s.data_dir.path().join("vetter.sqlite3").exists(),
            "the app did not create its cache in the data folder it was given"
        );
        s.close().await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_alone_reaches_every_view() -> Result<()> {
    harness::bounded(async {
        let s = harness::start().await?;
        // Alt+digit switches views from anywhere; arrow keys move along the sidebar.
        for (i, (id, _)) in VIEWS.iter().enumerate() {
            let key = char::from(b'1' + i as u8);
            let actions = KeyActions::new("keyboard".into())
                .then(KeyAction::Down {
                    value: Key::Alt.into(),
                })
                .then(KeyAction::Down { value: key })
                .then(KeyAction::Up { value: key })
                .then(KeyAction::Up {
                    value: Key::Alt.into(),
                });
            s.client.perform_actions(actions).await?;
            s.client.release_actions().await?;
            let shown = s.wait_for(&format!("[data-testid=view-{id}]")).await;
            ensure!(shown.is_ok(), "Alt+{key} did not open {id}");
        }
        s.close().await
    })
    .await
}
