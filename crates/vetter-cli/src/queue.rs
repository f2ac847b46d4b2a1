//! `vetter queue [NAME]`: the synced queues, from the local cache (works offline).

use std::path::Path;

use clap::Args;
use vetter_client::sync::{self, LocalFileState};

use crate::display::printable as escape;
use crate::say;

/// Arguments of `vetter queue`.
#[derive(Args)]
pub struct QueueArgs {
    /// A queue to list; without it, every queue with its entry count.
    name: Option<String>,
}

/// Runs `vetter queue`.
pub fn run(data_dir: &Path, args: &QueueArgs, json: bool) -> anyhow::Result<()> {
    let Some(name) = &args.name else {
        let queues = sync::local_queues(data_dir)?;
        if json {
            say!("{}", serde_json::to_string_pretty(&queues)?);
        } else if queues.is_empty() {
            say!("no queues cached: run `vetter sync`");
        } else {
            for q in queues {
                say!("{:<20} {:>5}", escape(&q.name), q.count);
            }
        }
        return Ok(());
    };
    let entries = sync::local_entries(data_dir, Some(name))?;
    if json {
        say!("{}", serde_json::to_string_pretty(&entries)?);
        return Ok(());
    }
    if entries.is_empty() {
        say!("queue {} has no cached entries", escape(name));
    }
    for e in entries {
        let file = match &e.file {
            LocalFileState::Cached { version_id } => format!("cached #{version_id}"),
            LocalFileState::Quarantined { reason } => format!("QUARANTINED: {}", escape(reason)),
            LocalFileState::Pending => "not downloaded".to_owned(),
        };
        say!(
            "{:<6} {:<28} {:<10} due {:<20} weight {:>4}  {}",
            e.id,
            escape(&e.addon_name),
            escape(&e.version),
            escape(&e.due_date),
            e.weight,
            file
        );
        say!(
            "       reasons: {}  flags: {}",
            escape(&e.reasons.join(", ")),
            escape(&e.flags.join(", "))
        );
    }
    Ok(())
}
