//! The integration tests of this crate, as one test binary: a binary per file would link its own
//! copy of every dependency (tens of megabytes and a link step each), which once filled the CI
//! machine's disk.

mod faults;
mod fuzz_seeds;
mod hostile;
mod kills;
mod quarantine_retry;
mod security_config;
