//! Vetter's reliability and adversarial suite (dev-only). The library holds the seeded fault
//! proxy and what the tests under `tests/` share; the tests themselves run the real reference
//! server, the real sync engine and outbox, and real child processes that they SIGKILL.
//!
//! Every test writes its figures to `target/reliability/<test>.json`, which
//! `scripts/reliability-summary` prints as the end-of-run table.

pub mod proxy;
pub mod support;
