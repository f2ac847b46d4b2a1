//! The integration tests of this crate, as one test binary: a binary per file would link its own
//! copy of every dependency (tens of megabytes and a link step each), which once filled the CI
//! machine's disk.

mod common;

mod api_fuzz;
mod limits;
mod openapi_spec;
mod operators;
mod presence;
mod review_paths;
mod sync_packages;
mod sync_server;
mod team;
mod vocabulary;
