//! Who else has a review open ("also open by …", as AMO's review pages say): the heartbeat the
//! app sends while the review of a synced add-on is open, and the list the queue shows.
//!
//! Presence is a courtesy, not a lock: offline, or against a server that does not offer it,
//! there is simply nobody to show, so every call is a single quick request without retries.

use std::time::Duration;

use vetter_protocol::auth::Credentials;
use vetter_protocol::routes;
use vetter_protocol::vetter::{Presence, PresenceList};
use vetter_protocol::{Client, PostError, RetryPolicy};

/// How long one presence request may take: a late answer is no longer news.
pub const PRESENCE_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest presence answer read.
const MAX_ANSWER: usize = 256 * 1024;
/// Most reviewers shown per add-on, and add-ons kept from one list.
pub const MAX_VIEWERS: usize = 50;
/// Most add-ons kept from one list.
pub const MAX_ADDONS: usize = 5_000;

/// Why a presence request had no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum PresenceError {
    /// The request could not be made or was not answered.
    #[error("presence: {0}")]
    Unreachable(String),
    /// The server refused it, or answered something that is not presence.
    #[error("presence: the server answered {status}: {detail}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// What it said, or why its answer was unreadable (at most 200 characters).
        detail: String,
    },
}

fn client(server: &str, credentials: &Credentials) -> Result<Client, PresenceError> {
    let once = RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    };
    Client::new(server, credentials.clone(), once, PRESENCE_TIMEOUT)
        .map_err(|e| PresenceError::Unreachable(e.to_string()))
}

async fn send(
    server: &str,
    credentials: &Credentials,
    method: reqwest::Method,
    path: &str,
) -> Result<(u16, Vec<u8>), PresenceError> {
    let client = client(server, credentials)?;
    let url = client
        .url(path)
        .map_err(|e| PresenceError::Unreachable(e.to_string()))?;
    client
        .send_once(method, &url, "application/json", Vec::new(), MAX_ANSWER)
        .await
        .map_err(|e| match e {
            PostError::Unreachable(why) | PostError::Cut(why) => PresenceError::Unreachable(why),
            other => PresenceError::Unreachable(format!("{other:?}")),
        })
}

fn parse<T: serde::de::DeserializeOwned>(status: u16, body: &[u8]) -> Result<T, PresenceError> {
    let refused = |detail: String| PresenceError::Refused {
        status,
        detail: detail.chars().take(200).collect(),
    };
    if status != 200 {
        return Err(refused(String::from_utf8_lossy(body).into_owned()));
    }
    serde_json::from_slice(body).map_err(|e| refused(e.to_string()))
}

/// Keeps at most [`MAX_VIEWERS`] reviewers of an answer, each name cut to 200 characters and
/// free of control characters (names are shown to the reviewer).
fn bounded(mut p: Presence) -> Presence {
    p.others.truncate(MAX_VIEWERS);
    for v in &mut p.others {
        v.name = v
            .name
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
    }
    p
}

/// Says the reviewer has add-on `addon_id`'s review open, and answers who else has.
pub async fn touch(
    server: &str,
    credentials: &Credentials,
    addon_id: i64,
) -> Result<Presence, PresenceError> {
    let (status, body) = send(
        server,
        credentials,
        reqwest::Method::POST,
        &routes::presence(addon_id),
    )
    .await?;
    let p: Presence = parse(status, &body)?;
    if p.addon_id != addon_id {
        return Err(PresenceError::Refused {
            status,
            detail: format!(
                "asked about add-on {addon_id}, answered about {}",
                p.addon_id
            ),
        });
    }
    Ok(bounded(p))
}

/// Says the reviewer closed add-on `addon_id`'s review.
pub async fn leave(
    server: &str,
    credentials: &Credentials,
    addon_id: i64,
) -> Result<(), PresenceError> {
    let (status, body) = send(
        server,
        credentials,
        reqwest::Method::DELETE,
        &routes::presence(addon_id),
    )
    .await?;
    match status {
        204 | 200 => Ok(()),
        _ => Err(PresenceError::Refused {
            status,
            detail: String::from_utf8_lossy(&body).chars().take(200).collect(),
        }),
    }
}

/// Every add-on whose review other reviewers have open.
pub async fn others(
    server: &str,
    credentials: &Credentials,
) -> Result<Vec<Presence>, PresenceError> {
    let client = client(server, credentials)?;
    let url = client
        .url(routes::PRESENCE)
        .map_err(|e| PresenceError::Unreachable(e.to_string()))?;
    let list: PresenceList = client.get(&url).await.map_err(|e| match e {
        vetter_protocol::ProtocolError::Status { status, .. } => PresenceError::Refused {
            status,
            detail: e.to_string().chars().take(200).collect(),
        },
        other => PresenceError::Unreachable(other.to_string()),
    })?;
    Ok(list
        .results
        .into_iter()
        .take(MAX_ADDONS)
        .map(bounded)
        .collect())
}
