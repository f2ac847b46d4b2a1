//! The cache's schema: the numbered `.sql` files under `migrations/`, applied in order.
//!
//! Released steps are never edited: a user's cache was migrated by them, so a change is a new
//! file. Each released file's sha256 is recorded here, and a test fails when a file no longer
//! matches its sum, so an edit cannot slip through review as a "harmless" comment fix.

use rusqlite_migration::{M, Migrations};

/// One migration step: its file name and its text.
pub(crate) struct Step {
    /// The file name under `migrations/`, numbered from `0001`.
    pub name: &'static str,
    /// The SQL, run in one transaction.
    pub sql: &'static str,
}

macro_rules! step {
    ($name:literal) => {
        Step {
            name: $name,
            sql: include_str!(concat!("../migrations/", $name)),
        }
    };
}

/// Every step, in order; step N sets `user_version` to N.
pub(crate) const STEPS: &[Step] = &[
    step!("0001_meta.sql"),
    step!("0002_versions.sql"),
    step!("0003_sync.sql"),
    step!("0004_viewed.sql"),
    step!("0005_outbox.sql"),
    step!("0006_search.sql"),
    step!("0007_notes.sql"),
    step!("0008_links.sql"),
    step!("0009_quarantine_retries.sql"),
    step!("0010_rules.sql"),
    step!("0011_builds.sql"),
    step!("0012_origins.sql"),
    step!("0013_kept.sql"),
    step!("0014_resketch.sql"),
    step!("0015_analyses.sql"),
    step!("0016_pins.sql"),
    step!("0017_search_rowids.sql"),
];

/// The step that rebuilds `versions` (0011) must run with foreign keys off, so it checks them
/// itself before committing.
const FOREIGN_KEY_CHECKED: &str = "0011_builds.sql";

/// The schema, one migration per step.
pub(crate) fn migrations() -> Migrations<'static> {
    Migrations::new(
        STEPS
            .iter()
            .map(|step| {
                let m = M::up(step.sql);
                if step.name == FOREIGN_KEY_CHECKED {
                    m.foreign_key_check()
                } else {
                    m
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn migrations_are_valid() {
        migrations().validate().unwrap();
    }

    /// Each released step's sha256 (lowercase hex), recorded when it was released.
    const RELEASED: &[(&str, &str)] = &[
        (
            "0001_meta.sql",
            "b927a8a1a6b496002464716364c1c26f1df942c044e2e5e706db20be3d654b2f",
        ),
        (
            "0002_versions.sql",
            "45cacb61d49dc7e35525310346c82941e9fd23ae6b82e5a7af3ff0754bc690f5",
        ),
        (
            "0003_sync.sql",
            "11f5ddc73a1192cf08389d6ceea6aba3a82767a17adc425f68c587627193a250",
        ),
        (
            "0004_viewed.sql",
            "496822961d35264140e07de2ed01e5dff74e37202f1dcd963f8918fc2794690b",
        ),
        (
            "0005_outbox.sql",
            "badb8f991393b4c7383e9ee170781501d28f5e5604620c2c3dd543fee9000b8d",
        ),
        (
            "0006_search.sql",
            "2c0fc98adfa0158a78db949dc6ad76d2f822feacf567ff0612d87175f6d2f19d",
        ),
        (
            "0007_notes.sql",
            "6a9140fa0de1b85e3919567d403deb973200ad8b20ab13bf09ae7dac0ae152e0",
        ),
        (
            "0008_links.sql",
            "d79a4d6064e867ad29e1b995667ab52464936000183c8d0f684ef84633462d56",
        ),
        (
            "0009_quarantine_retries.sql",
            "8ea1a9d607dce7a6afd203a9882f43accd6257ec04dada99a1f47cf050ebb1d5",
        ),
        (
            "0010_rules.sql",
            "105f8ce7996e7c0f083ec69e278a68f1c2801eb616ce80ac22c3bb9aa21cc68b",
        ),
        (
            "0011_builds.sql",
            "8da3fb122afbbdfaf913fce6ef3a0cee88353a34b2b88b0dabc7c1c2175c1571",
        ),
        (
            "0012_origins.sql",
            "c3e4829b527f95b1f2356be8a318201865ab8e61b57270b4a7d8c05526ea62de",
        ),
        (
            "0013_kept.sql",
            "e332b68b0eaeb9d6741db82d4088467aab83e65c5b640cb02c1fc21ecf99556d",
        ),
        (
            "0014_resketch.sql",
            "a637214567724ae67b1599eb966582dbb792e1036c8919a0d2b7594b52f2b9da",
        ),
        (
            "0015_analyses.sql",
            "ef0a1ce2ceda5c090e825b4cffec93a112ca253cd5aaa934b5d43f10190e1311",
        ),
        (
            "0016_pins.sql",
            "b164b4b14f586c248d440b91100521c2814caf502823e38eb1e8f8f61f07685d",
        ),
        (
            "0017_search_rowids.sql",
            "8d728fe269839fc807cfea1ed405dab56b5c0a7eb92744260a9f21da3eae41e4",
        ),
    ];

    #[test]
    fn released_migrations_are_unchanged() {
        assert!(
            STEPS.len() >= RELEASED.len(),
            "a released migration was removed"
        );
        for (step, (name, released)) in STEPS.iter().zip(RELEASED) {
            assert_eq!(
                step.name, *name,
                "released step {name} was renamed or moved"
            );
            let sum = hex::encode(Sha256::digest(step.sql.as_bytes()));
            assert_eq!(
                sum, *released,
                "migrations/{} was edited after release: add a new step instead",
                step.name
            );
        }
    }

    #[test]
    fn every_migration_file_is_listed_in_order() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<&str> = STEPS.iter().map(|s| s.name).collect();
        assert_eq!(
            files, listed,
            "a file under migrations/ is missing from STEPS, or out of order"
        );
        for (i, name) in listed.iter().enumerate() {
            assert!(
                name.starts_with(&format!("{:04}_", i + 1)),
                "{name} is not step {}",
                i + 1
            );
        }
    }
}
