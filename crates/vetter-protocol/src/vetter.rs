//! What Vetter's own server adds to AMO's API: a capability document naming its review routes.
//!
//! A client asks for it before using any review route. AMO has no such route (404), so a
//! client knows it talks to a plain AMO and keeps decisions local instead of failing half-way.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The service name a Vetter server puts in its capability document.
pub const SERVICE: &str = "vetter";

/// The capability document at [`crate::routes::CAPABILITIES`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Always [`SERVICE`].
    pub service: String,
    /// The protocol revision.
    pub version: u32,
    /// The review features offered.
    pub features: Vec<Feature>,
}

/// One review feature of a Vetter server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// Queues with cursors (`/reviewers/queues/`).
    Queues,
    /// Scanner signals per add-on.
    Signals,
    /// Decision-signing key registration (`/reviewers/keys/{kid}/`).
    SigningKeys,
    /// Signed decisions (`/reviewers/decisions/`).
    Decisions,
}

impl Capabilities {
    /// Everything this protocol revision defines.
    pub fn full() -> Capabilities {
        Capabilities {
            service: SERVICE.to_owned(),
            version: 1,
            features: vec![
                Feature::Queues,
                Feature::Signals,
                Feature::SigningKeys,
                Feature::Decisions,
            ],
        }
    }

    /// Whether `feature` is offered.
    pub fn offers(&self, feature: Feature) -> bool {
        self.service == SERVICE && self.features.contains(&feature)
    }
}

/// A reviewer who has an add-on's review open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Viewer {
    /// Their user id.
    #[ts(type = "number")]
    pub user_id: i64,
    /// Their display name.
    pub name: String,
}

/// Who else has one add-on's review open: the answer to the presence heartbeat
/// (`POST /reviewers/addon/{id}/presence/`), and one row of [`PresenceList`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Presence {
    /// The add-on.
    #[ts(type = "number")]
    pub addon_id: i64,
    /// The other reviewers with its review open (never the one asking).
    pub others: Vec<Viewer>,
    /// How often to renew the heartbeat, in seconds; presence expires after a few missed ones.
    pub interval_seconds: u32,
}

/// Every add-on whose review other reviewers have open (`GET /reviewers/presence/`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceList {
    /// One row per add-on with at least one other reviewer.
    pub results: Vec<Presence>,
}

/// The queue list (`GET /reviewers/queues/`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueList {
    /// Queues listed.
    pub count: u64,
    /// The queues.
    pub results: Vec<QueueSummary>,
    /// A tag of the server's vocabulary ([`crate::routes::VOCABULARY`]) that changes whenever it
    /// does, so a client fetches the words only when they changed; none from a server without.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vocabulary: Option<String>,
}

/// One queue with its live entry count and the cursor of its latest change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueSummary {
    /// Queue name (1-64 of a-z, 0-9, `_`, `-`).
    pub name: String,
    /// Live entries.
    #[serde(default)]
    pub count: u64,
    /// Opaque cursor of the latest change; equal to the client's, nothing changed.
    #[serde(default)]
    pub cursor: String,
    /// The queue's changes (absolute URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// One page of a queue's changes after a cursor (`GET /reviewers/queues/{name}/`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuePage {
    /// The queue.
    pub name: String,
    /// Entries on this page.
    pub count: u64,
    /// The cursor to send as `since` next time.
    pub cursor: String,
    /// The next page (absolute URL), when more changes follow.
    #[serde(default)]
    pub next: Option<String>,
    /// The changes, oldest first.
    pub results: Vec<QueueEntry>,
}

/// One change of a queue: an entry added or changed, or a tombstone (`removed`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueEntry {
    /// Entry id.
    pub id: i64,
    /// The entry left the queue: delete it (the other fields may be absent).
    #[serde(default)]
    pub removed: bool,
    /// The queue.
    #[serde(default)]
    pub queue: Option<String>,
    /// The cursor after this change.
    #[serde(default)]
    pub cursor: Option<String>,
    /// The add-on.
    #[serde(default)]
    pub addon: Option<EntryAddon>,
    /// The version under review.
    #[serde(default)]
    pub version: Option<crate::amo::Version>,
    /// When the review is due, RFC 3339.
    #[serde(default)]
    pub due_date: Option<String>,
    /// Why the version needs a human (AMO's needs-human-review reasons).
    #[serde(default)]
    pub reasons: Vec<String>,
    /// Flags (promoted, needs admin review…).
    #[serde(default)]
    pub flags: Vec<String>,
    /// Auto-approval risk weight.
    #[serde(default)]
    pub weight: i64,
}

/// The add-on of a queue entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryAddon {
    /// Server id.
    pub id: i64,
    /// Extension id.
    #[serde(default)]
    pub guid: String,
    /// Slug.
    #[serde(default)]
    pub slug: String,
    /// Name (a string or a translated object).
    #[serde(default)]
    pub name: crate::amo::Translated,
}
