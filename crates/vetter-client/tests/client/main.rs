//! The integration tests of this crate, as one test binary: a binary per file would link its own
//! copy of every dependency (tens of megabytes and a link step each), which once filled the CI
//! machine's disk.

mod fetch_paging;
mod flow_targets;
mod login_amo;
mod no_redirects;
mod outbox_local;
