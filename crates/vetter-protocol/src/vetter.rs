//! What Vetter's own server adds to AMO's API: a capability document naming its review routes.
//!
//! A client asks for it before using any review route. AMO has no such route (404), so a
//! client knows it talks to a plain AMO and keeps decisions local instead of failing half-way.

use serde::{Deserialize, Serialize};

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
