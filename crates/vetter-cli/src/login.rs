//! `vetter login`: checks the API credentials against a review server, stores them in the OS
//! keyring, makes the reviewer's signing key on first login and registers it, and remembers the
//! server URL.
//!
//! Credentials come from `VETTER_API_KEY` / `VETTER_API_SECRET`, or from an interactive prompt
//! (the secret is read without echo) — never from an argument, which lands in shell history and
//! process listings, nor from a file. Only the server URL is stored in the data folder.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use anyhow::Context;
use clap::Args;
use vetter_client::credentials::{self, KeyringStore};
use vetter_client::sync;
use vetter_decision::signing::SecretText;
use vetter_protocol::auth::{API_KEY_ENV, API_SECRET_ENV};
use vetter_protocol::routes::normalize_server;

use crate::say;

/// Arguments of `vetter login`.
#[derive(Args)]
pub struct LoginArgs {
    /// The review server, e.g. http://127.0.0.1:8787.
    #[arg(long, env = "VETTER_SERVER")]
    server: String,
}

fn from_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The API key and secret: from the environment, else asked for on the terminal.
fn read_credentials() -> anyhow::Result<(String, SecretText)> {
    let key = match from_env(API_KEY_ENV) {
        Some(key) => key,
        None => {
            anyhow::ensure!(
                std::io::stdin().is_terminal(),
                "{API_KEY_ENV} is not set and there is no terminal to ask on: export {API_KEY_ENV} and {API_SECRET_ENV}"
            );
            eprint!("API key: ");
            std::io::stderr().flush()?;
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line.trim().to_owned()
        }
    };
    let secret = match from_env(API_SECRET_ENV) {
        Some(secret) => SecretText::new(secret),
        None => SecretText::new(
            rpassword::prompt_password("API secret (not shown): ")
                .with_context(|| {
                    format!("cannot read the secret: export {API_SECRET_ENV} or run in a terminal")
                })?
                .trim()
                .to_owned(),
        ),
    };
    anyhow::ensure!(
        !key.is_empty() && !secret.as_str().is_empty(),
        "the API key and secret must not be empty"
    );
    Ok((key, secret))
}

/// Runs `vetter login`.
pub fn run(data_dir: &Path, args: &LoginArgs, json: bool) -> anyhow::Result<()> {
    // A server that is no URL is refused before the secret is asked for.
    let server = normalize_server(&args.server)?;
    let (key, secret) = read_credentials()?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let outcome = runtime
        .block_on(credentials::login(
            &KeyringStore,
            &server,
            &key,
            secret.as_str(),
        ))
        .with_context(|| format!("cannot log in to {server}"))?;
    sync::remember_server(data_dir, &outcome.server)?;
    if json {
        say!("{}", serde_json::to_string(&outcome)?);
    } else {
        let field = |name: &str| {
            outcome
                .profile
                .get(name)
                .and_then(|v| v.as_str())
                .unwrap_or("?")
                .to_owned()
        };
        let key = match (outcome.key_created, outcome.key_registered) {
            (true, true) => "created and registered",
            (false, true) => "registered",
            (true, false) => "created (kept local: this server takes no keys)",
            (false, false) => "kept local (this server takes no keys)",
        };
        say!(
            "logged in to {server} as {} ({}), API key {}; signing key {} {key}",
            field("name"),
            field("username"),
            outcome.api_key,
            outcome.kid,
        );
        if outcome.kind == credentials::ServerKind::Amo {
            say!(
                "{server} is a plain AMO (no review routes): `vetter fetch` reads add-ons from it; \
                 decisions are signed and kept locally, with a comment to paste on its review page"
            );
        }
    }
    Ok(())
}
