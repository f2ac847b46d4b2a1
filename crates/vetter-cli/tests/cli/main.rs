//! The command line's integration tests, as one test binary: each file of its own would link its
//! own copy of every dependency (tens of megabytes each, and a link step each), which once filled
//! the CI machine's disk.

mod cli_support;
mod decide_support;
mod real_data_support;

mod audit_pyjwt;
mod capabilities_real_data;
mod decide_amo;
mod decide_server;
mod decide_target;
mod diff_cli;
mod fetch_amo;
mod hidden_cli;
mod import_cli;
mod import_formats_real_data;
mod import_kill;
mod import_real_data;
mod keyring_real;
mod outbox_kill;
mod outbox_offline;
mod permissions_real_data;
mod prune_cli;
mod prune_kill;
mod real_data;
mod report_cli;
mod rules_cli;
mod search_cli;
mod search_real_data;
mod secrets_grep;
mod sync_cli;
