//! The one error type every command returns to the UI.

use serde::Serialize;
use ts_rs::TS;

/// An error the UI shows: a stable machine code and a message a reviewer can act on.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct UiError {
    /// Which part failed, e.g. `store`.
    pub code: String,
    /// What went wrong, naming the item.
    pub message: String,
}

impl UiError {
    /// An error of the app shell itself (no review open, a background task that died).
    pub fn app(message: impl Into<String>) -> UiError {
        UiError {
            code: "app".into(),
            message: message.into(),
        }
    }
}

impl From<vetter_store::StoreError> for UiError {
    fn from(err: vetter_store::StoreError) -> Self {
        UiError {
            code: "store".into(),
            message: err.to_string(),
        }
    }
}

impl From<vetter_review::ReviewError> for UiError {
    fn from(err: vetter_review::ReviewError) -> Self {
        UiError {
            code: "review".into(),
            message: err.to_string(),
        }
    }
}
