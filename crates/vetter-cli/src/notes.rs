//! `vetter notes`: private line notes on cached versions, carried forward by content.

use std::path::Path;

use vetter_review::notes::{NotePlacement, add_note, delete_note, notes_for, notes_summary};
use vetter_store::Store;

use crate::display::printable;
use crate::say;

/// Arguments of `vetter notes`.
#[derive(clap::Args)]
pub struct NotesArgs {
    #[command(subcommand)]
    pub command: NotesCommand,
}

/// What to do with notes.
#[derive(clap::Subcommand)]
pub enum NotesCommand {
    /// Adds a note on one line of a file of a cached version.
    Add {
        /// The version id.
        version: i64,
        /// The file's path in the archive.
        path: String,
        /// The 1-based line.
        line: u32,
        /// The note.
        text: String,
    },
    /// Lists the notes visible from a version (its own and carried-forward ones).
    List {
        /// The version id.
        version: i64,
        /// Only this file's notes.
        #[arg(long)]
        path: Option<String>,
        /// Print the summary meant for a decision's comments instead.
        #[arg(long)]
        summary: bool,
    },
    /// Deletes a note.
    Delete {
        /// The note's id.
        id: i64,
    },
}

/// Runs `vetter notes`.
pub fn run(data_dir: &Path, args: &NotesArgs, json: bool) -> anyhow::Result<()> {
    let mut store = Store::open(data_dir)?;
    match &args.command {
        NotesCommand::Add {
            version,
            path,
            line,
            text,
        } => {
            let id = add_note(&mut store, *version, path, *line, text)?;
            if json {
                say!("{}", serde_json::json!({ "id": id }));
            } else {
                say!("note {id} added on {}:{line}", printable(path));
            }
        }
        NotesCommand::List {
            version,
            path,
            summary,
        } => {
            let notes = notes_for(&store, *version, path.as_deref())?;
            if json {
                say!("{}", serde_json::to_string_pretty(&notes)?);
            } else if *summary {
                print!("{}", printable(&notes_summary(&notes)));
            } else {
                for n in &notes {
                    let at = match n.line {
                        Some(l) => format!("{}:{l}", printable(&n.path)),
                        None => format!("{}:{}", printable(&n.path), n.original_line),
                    };
                    let state = match n.placement {
                        NotePlacement::Current => String::new(),
                        NotePlacement::Carried { from_version } => {
                            format!(" (from version {from_version})")
                        }
                        NotePlacement::Outdated { from_version } => {
                            format!(" (OUTDATED, from version {from_version})")
                        }
                    };
                    say!("[{}] {at}{state}: {}", n.id, printable(&n.body));
                }
            }
        }
        NotesCommand::Delete { id } => {
            delete_note(&mut store, *id)?;
            if !json {
                say!("note {id} deleted");
            }
        }
    }
    Ok(())
}
