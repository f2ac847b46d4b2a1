//! The one error type every command returns to the UI, and the codes it may carry.

use std::fmt::Display;

use serde::{Serialize, Serializer};
use ts_rs::TS;

/// An error the UI shows: a stable machine code and a message a reviewer can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct UiError {
    /// Which part failed.
    pub code: ErrorCode,
    /// What went wrong, naming the item.
    pub message: String,
}

/// Which part of the app an error comes from. The UI compares these strings, so each variant's
/// serialized form is fixed: renaming one is a change of the IPC contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ErrorCode {
    /// The app shell itself: no review open, a background task that died.
    App,
    /// The cache.
    Store,
    /// The open review (diff, layout, files).
    Review,
    /// Search across the cache.
    Search,
    /// Linked add-ons.
    Links,
    /// Line notes.
    Notes,
    /// The audit report.
    Report,
    /// The reviewer's local rule files.
    Rules,
    /// No review server is remembered yet: the reviewer has to log in first.
    NoServer,
    /// The account's secrets or the login.
    Credentials,
    /// Another step of the flow with the server (sync round, decision, push).
    Flow,
    /// The synced queues.
    Sync,
    /// The outbox of decisions.
    Outbox,
    /// Opening a page in the browser.
    Open,
    /// Refused because the same work is already running.
    Busy,
    /// "Open from AMO": the text names no add-on.
    #[serde(rename = "fetch:reference")]
    FetchReference,
    /// "Open from AMO": the AMO instance is refused (not https, or another origin).
    #[serde(rename = "fetch:amo")]
    FetchAmo,
    /// "Open from AMO": no such add-on, or none of its versions is available.
    #[serde(rename = "fetch:not_found")]
    FetchNotFound,
    /// "Open from AMO": the fetched versions could not be stored.
    #[serde(rename = "fetch:cache")]
    FetchCache,
    /// "Open from AMO": the network or AMO's answers failed.
    #[serde(rename = "fetch:network")]
    FetchNetwork,
    /// Never sent by the app: the UI's code for a call that failed before reaching a command
    /// (see `toUiError` in ui/src/ipc.ts), listed here so the UI's type has every code.
    Ipc,
    /// A decision form input is invalid; written `invalid:<field>` (e.g. `invalid:reasons`) so the
    /// form can show the message next to that input.
    #[serde(untagged)]
    #[ts(type = "`invalid:${string}`")]
    Invalid(Field),
}

/// The decision form input an [`ErrorCode::Invalid`] is about, e.g. `reasons`. It serializes
/// as the whole code, `invalid:<field>`, since the variant holding it is untagged.
#[derive(Debug, Clone, PartialEq, Eq, TS)]
pub struct Field(pub String);

impl Serialize for Field {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("invalid:{}", self.0))
    }
}

impl UiError {
    /// An error with `code` and the message `err` gives (the core's messages name the item).
    pub fn new(code: ErrorCode, err: impl Display) -> UiError {
        UiError {
            code,
            message: err.to_string(),
        }
    }

    /// An error of the app shell itself (no review open, a background task that died).
    pub fn app(message: impl Into<String>) -> UiError {
        UiError {
            code: ErrorCode::App,
            message: message.into(),
        }
    }
}

impl From<vetter_store::StoreError> for UiError {
    fn from(err: vetter_store::StoreError) -> Self {
        UiError::new(ErrorCode::Store, err)
    }
}

impl From<vetter_review::ReviewError> for UiError {
    fn from(err: vetter_review::ReviewError) -> Self {
        UiError::new(ErrorCode::Review, err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(code: ErrorCode) -> String {
        serde_json::to_value(UiError::new(code, "m")).unwrap()["code"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn codes_keep_the_strings_the_ui_compares() {
        assert_eq!(wire(ErrorCode::App), "app");
        assert_eq!(wire(ErrorCode::NoServer), "no_server");
        assert_eq!(wire(ErrorCode::FetchNotFound), "fetch:not_found");
        assert_eq!(wire(ErrorCode::FetchAmo), "fetch:amo");
        assert_eq!(
            wire(ErrorCode::Invalid(Field("reasons".into()))),
            "invalid:reasons"
        );
        let whole = serde_json::to_value(UiError::new(ErrorCode::Busy, "wait")).unwrap();
        assert_eq!(
            whole,
            serde_json::json!({"code": "busy", "message": "wait"})
        );
    }

    #[test]
    fn the_typescript_type_lists_every_code() {
        let ts = ErrorCode::decl(&ts_rs::Config::default());
        for code in ["\"app\"", "\"no_server\"", "\"fetch:network\"", "\"ipc\""] {
            assert!(ts.contains(code), "{code} missing from {ts}");
        }
        assert!(ts.contains("`invalid:${string}`"), "{ts}");
        assert!(
            !ts.contains("Field"),
            "the field is part of the string: {ts}"
        );
    }
}
