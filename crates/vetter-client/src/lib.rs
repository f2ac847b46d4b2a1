//! The workstation's side of a review server: everything that talks to one.
//!
//! Login keeps credentials in the OS keyring ([`credentials`]); [`sync`] brings queues and
//! versions into the cache; [`fetch`] brings versions from AMO itself; decisions are signed and
//! queued in the [`outbox`] (or [`kept`] locally where the server takes none) until they are
//! sent; [`presence`] says who else has a review open; [`flow`] strings these together the way the app and the CLI both use them.

pub mod credentials;
pub mod fetch;
pub mod flow;
pub mod kept;
pub mod npm;
pub mod outbox;
pub mod presence;
pub mod sync;
