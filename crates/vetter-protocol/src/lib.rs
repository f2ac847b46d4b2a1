//! Vetter's wire protocol, owned in one place: the AMO API v5 objects it reads ([`amo`]), the
//! review routes its own server adds ([`vetter`], [`routes`]), AMO's JWT request auth
//! ([`auth`]), what a pasted add-on reference means ([`addon_ref`]), and the one HTTP client
//! that builds, signs, limits and redirects every request ([`client`]).
//!
//! The reference server serializes its answers with the same types the client parses, so the
//! two cannot drift apart; AMO itself is checked by a stand-in written from its docs.

pub mod addon_ref;
pub mod amo;
pub mod auth;
pub mod client;
pub mod error;
pub mod routes;
pub mod vetter;
pub mod vocabulary;

pub use addon_ref::{AddonRef, AddonRefError, Ident};
pub use client::{Client, Counters, Downloaded, PostError, ProtocolError, RetryPolicy};

/// An HTTP client error with its causes, without the URL (the caller names the URL once).
/// reqwest's own message stops at "error sending request"; the reason (connection refused,
/// reset, timed out) is in the chain, and a reviewer needs it to tell what went wrong.
pub fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // hyper and the OS sometimes repeat the same words one level down.
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_refused_connection_says_so() {
        // Bound then dropped: nothing listens there for the moment of the request.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = reqwest::get(format!("http://127.0.0.1:{port}/"))
            .await
            .unwrap_err();
        let text = describe(err);
        assert!(text.starts_with("error sending request"), "{text}");
        assert!(text.to_lowercase().contains("refused"), "{text}");
        assert!(
            !text.contains("127.0.0.1"),
            "the URL is left to the caller: {text}"
        );
    }
}
