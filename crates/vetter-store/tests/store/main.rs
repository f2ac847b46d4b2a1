//! The integration tests of this crate, as one test binary: a binary per file would link its own
//! copy of every dependency (tens of megabytes and a link step each), which once filled the CI
//! machine's disk.

mod retention;
mod store_corruption;
mod store_import;
mod store_proptest;
mod upgrade;
