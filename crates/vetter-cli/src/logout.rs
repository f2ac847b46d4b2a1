//! `vetter logout`: removes every secret Vetter keeps for the server from the OS keyring.

use std::path::Path;

use clap::Args;
use vetter_client::credentials::{KeyringStore, logout};

use crate::say;

/// `vetter logout` arguments.
#[derive(Args)]
pub struct LogoutArgs {
    /// The server to log out of (default: the one `vetter login` remembered).
    #[arg(long)]
    server: Option<String>,
}

/// Runs `vetter logout`.
pub fn run(data_dir: &Path, args: &LogoutArgs, json: bool) -> anyhow::Result<()> {
    let server = match &args.server {
        Some(s) => vetter_protocol::routes::normalize_server(s)?,
        None => crate::outbox::server(data_dir)?,
    };
    let removed = logout(&KeyringStore, &server)?;
    if json {
        say!(
            "{}",
            serde_json::json!({"server": server, "removed_secrets": removed})
        );
    } else if removed == 0 {
        say!("no secrets were stored for {server}");
    } else {
        say!("removed {removed} secrets for {server} from the OS keyring");
    }
    Ok(())
}
