//! Vetter's product logic, with no UI or Tauri dependency.
//!
//! The desktop app, the `vetter` CLI and the reference server are thin front ends over this
//! crate, so every behaviour is tested here once and shared by all three.

pub mod archive;
pub mod credentials;
pub mod decision;
pub mod diff;
pub mod fetch;
pub mod flow;
pub mod highlight;
pub mod info;
pub mod kept;
pub mod links;
pub mod manifest;
pub mod notes;
pub mod outbox;
pub mod pretty;
pub mod report;
pub mod review;
pub mod rules;
pub mod search;
pub mod signing;
pub mod store;
pub mod sync;
pub mod text;

pub use info::AppInfo;
/// The wire protocol, re-exported so front ends need one dependency.
pub use vetter_protocol as protocol;
pub use vetter_protocol::auth;
