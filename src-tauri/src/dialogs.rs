//! Native dialogs, opened from Rust: the files the app reads and the folders it writes come from
//! the reviewer's own choice in the system's dialog, never as text from the page, and changing
//! the review server needs the reviewer's yes in a dialog the page cannot draw or answer. A
//! compromised page can ask for a dialog; it cannot say what the answer is.
//!
//! **Test seam.** The end-to-end tests drive the real app under Xvfb, where a native dialog
//! cannot be clicked. When the app is started with `VETTER_TEST_DIALOG_ANSWERS=FILE` in its
//! environment, a dialog does not open: it takes its answer from FILE and deletes FILE, so each
//! answer is used once. The answer is a path for a file or folder dialog, `yes` or `no` for a
//! confirmation; no FILE means the reviewer cancelled. The variable is read once, at startup,
//! and removed from the environment before any thread starts, so nothing set later (and nothing
//! the page can do) turns the seam on; the app never writes FILE itself.

use std::path::{Path, PathBuf};

use tauri::{AppHandle, Manager};
use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};

/// The environment variable naming the test seam's answers file (see the module docs).
pub const TEST_ANSWERS_VAR: &str = "VETTER_TEST_DIALOG_ANSWERS";

/// Opens the app's native dialogs, or answers them from the test seam's file when the app was
/// launched with one.
#[derive(Debug, Default)]
pub struct Dialogs {
    /// The test seam's answers file, when set at launch.
    answers: Option<PathBuf>,
}

impl Dialogs {
    /// Reads (and removes) [`TEST_ANSWERS_VAR`]. Must run before any thread starts, since
    /// changing the environment is not thread-safe.
    pub fn from_launch_environment() -> Dialogs {
        let answers = std::env::var_os(TEST_ANSWERS_VAR).map(PathBuf::from);
        // SAFETY: called from `run` before the tracing subscriber, the Tauri runtime or any
        // other thread exists, so nothing can read the environment concurrently.
        unsafe { std::env::remove_var(TEST_ANSWERS_VAR) };
        if let Some(file) = &answers {
            eprintln!(
                "dialogs are answered from {} ({TEST_ANSWERS_VAR}, for tests)",
                file.display()
            );
        }
        Dialogs { answers }
    }

    /// With the seam on, its one answer (`None`: cancelled), taken so it is used once; `None`
    /// when the seam is off and a real dialog must open.
    fn seam_answer(&self) -> Option<Option<String>> {
        let file = self.answers.as_deref()?;
        let answer = std::fs::read_to_string(file)
            .ok()
            .map(|text| text.trim().to_owned());
        let _ = std::fs::remove_file(file);
        tracing::info!(?answer, "dialog answered by the test seam");
        Some(answer.filter(|a| !a.is_empty()))
    }

    /// Asks the reviewer for one existing file (`None`: cancelled).
    pub fn pick_file(
        &self,
        app: &AppHandle,
        title: &str,
        filter: (&str, &[&str]),
    ) -> Option<PathBuf> {
        if let Some(answer) = self.seam_answer() {
            return answer.map(PathBuf::from);
        }
        let mut dialog = app
            .dialog()
            .file()
            .set_title(title)
            .add_filter(filter.0, filter.1);
        if let Some(window) = app.get_webview_window("main") {
            dialog = dialog.set_parent(&window);
        }
        dialog.blocking_pick_file()?.into_path().ok()
    }

    /// Asks the reviewer for a folder, starting in `start` (`None`: cancelled).
    pub fn pick_folder(&self, app: &AppHandle, title: &str, start: &Path) -> Option<PathBuf> {
        if let Some(answer) = self.seam_answer() {
            return answer.map(PathBuf::from);
        }
        let mut dialog = app.dialog().file().set_title(title).set_directory(start);
        if let Some(window) = app.get_webview_window("main") {
            dialog = dialog.set_parent(&window);
        }
        dialog.blocking_pick_folder()?.into_path().ok()
    }

    /// Asks the reviewer to confirm `message`; true only for an explicit yes.
    pub fn confirm(&self, app: &AppHandle, title: &str, message: &str, yes: &str) -> bool {
        if let Some(answer) = self.seam_answer() {
            return answer.as_deref() == Some("yes");
        }
        let mut dialog = app
            .dialog()
            .message(message)
            .title(title)
            .kind(MessageDialogKind::Warning)
            .buttons(MessageDialogButtons::OkCancelCustom(
                yes.to_owned(),
                "Cancel".to_owned(),
            ));
        if let Some(window) = app.get_webview_window("main") {
            dialog = dialog.parent(&window);
        }
        dialog.blocking_show()
    }
}
