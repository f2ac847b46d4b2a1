//! The cache's retention: what a prune would remove, the prune itself, and pins.

use tauri::AppHandle;
use tauri::ipc::Channel;
use vetter_store::Store;
use vetter_store::retention::{PrunePlan, PruneProgress, PruneReport, RetentionRules};

use super::blocking;
use crate::error::UiError;

/// What a prune under `rules` would remove and the space it would return; changes nothing.
#[tauri::command]
pub async fn prune_plan(app: AppHandle, rules: RetentionRules) -> Result<PrunePlan, UiError> {
    blocking(app, move |s| {
        let open = s.open_versions();
        s.with_store(|store| Ok(store.prune_plan(rules, &open)?))
    })
    .await
}

/// Prunes the cache under `rules`, keeping the versions open in the window, reporting each
/// step on `on_progress`.
#[tauri::command]
pub async fn prune_cache(
    app: AppHandle,
    rules: RetentionRules,
    on_progress: Channel<PruneProgress>,
) -> Result<PruneReport, UiError> {
    blocking(app, move |s| {
        let open = s.open_versions();
        // Its own connection, like an import: reads of the open review go on through WAL while
        // the prune holds the write lock batch by batch.
        let mut store = Store::open(&s.data_dir)?;
        let report = store.prune(rules, &open, &mut |p| {
            // A closed window cannot take the progress; the prune goes on regardless.
            let _ = on_progress.send(p);
        })?;
        Ok(report)
    })
    .await
}

/// Pins (or unpins) cached version `version`, so that no prune removes it.
#[tauri::command]
pub async fn set_pinned(app: AppHandle, version: i64, pinned: bool) -> Result<(), UiError> {
    blocking(app, move |s| {
        s.with_store(|store| {
            if pinned {
                store.pin_version(version)?;
            } else {
                store.unpin_version(version)?;
            }
            Ok(())
        })
    })
    .await
}

/// The pinned versions' ids.
#[tauri::command]
pub async fn pinned_versions(app: AppHandle) -> Result<Vec<i64>, UiError> {
    blocking(app, |s| s.with_store(|store| Ok(store.pinned_versions()?))).await
}
