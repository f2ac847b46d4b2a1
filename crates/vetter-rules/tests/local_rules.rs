//! Local YARA rules over the project's generated add-ons: matches land where the fixture bytes
//! say they are, broken and hostile rule files are refused naming the file, scans are bounded
//! and reused while neither the version nor the rules change.

use std::time::Duration;

use vetter_archive::Limits;
use vetter_fixtures::addons::{Addon, mv2_addon};
use vetter_fixtures::linked::{linked_family, payload_js};
use vetter_rules::{
    MAX_RULE_FILE_SIZE, RuleSignal, RuleSkipReason, RulesError, ScanLimits, add_rule_file,
    read_rule_file, remove_rule_file, rule_files, scan_version, set_rule_file_enabled,
    signals_for_version,
};
use vetter_store::Store;

/// Imports `addon` into a fresh cache and returns the cache and the version id.
fn cache_with(addon: &Addon) -> (tempfile::TempDir, Store, i64) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store
        .import_archive(
            "fixture.xpi",
            &addon.to_xpi(),
            &Limits::default(),
            &mut |_| {},
        )
        .unwrap();
    let id = store.versions().unwrap()[0].id;
    (dir, store, id)
}

fn alpha() -> Addon {
    linked_family()
        .into_iter()
        .find(|(id, _)| id == "alpha@family.example")
        .map(|(_, a)| a)
        .unwrap()
}

/// Where `needle` first occurs in `hay`: (byte offset, 1-based line, 1-based column), counted
/// here by splitting the text into lines rather than by the code under test.
fn position(hay: &str, needle: &str) -> (u64, u32, u32) {
    let mut offset = 0;
    for (i, line) in hay.split('\n').enumerate() {
        if let Some(col) = line.find(needle) {
            return ((offset + col) as u64, i as u32 + 1, col as u32 + 1);
        }
        offset += line.len() + 1;
    }
    panic!("{needle:?} is not in the fixture");
}

const PAYLOAD_RULES: &str = r#"
rule remote_code_from_fetch : exfiltration obfuscated {
    meta:
        description = "fetches text and runs it with new Function"
        author = "test"
    strings:
        $fn = "new Function("
        $url = "aHR0cHM6Ly9jb2xsZWN0LmV4YW1wbGUvcA=="
    condition:
        all of them
}
"#;

#[test]
fn payload_rule_reports_offset_line_and_column_of_each_match() {
    let addon = alpha();
    let (_dir, store, version) = cache_with(&addon);
    add_rule_file(&store, "payload.yar", PAYLOAD_RULES.as_bytes()).unwrap();
    let scan = scan_version(&store, version, &ScanLimits::default()).unwrap();
    assert!(!scan.cached);

    let text = payload_js();
    let mut expected = Vec::new();
    for (pattern, needle) in [
        ("$url", "aHR0cHM6Ly9jb2xsZWN0LmV4YW1wbGUvcA=="),
        ("$fn", "new Function("),
    ] {
        let (offset, line, column) = position(&text, needle);
        expected.push(RuleSignal {
            version_id: version,
            path: "js/analytics.js".to_owned(),
            offset,
            length: needle.len() as u64,
            line,
            column,
            rule: "remote_code_from_fetch".to_owned(),
            namespace: "payload.yar".to_owned(),
            pattern: Some(pattern.to_owned()),
            tags: vec!["exfiltration".to_owned(), "obfuscated".to_owned()],
            description: Some("fetches text and runs it with new Function".to_owned()),
        });
    }
    expected.sort_by_key(|s| s.offset);
    assert_eq!(scan.signals, expected);
    assert!(scan.skipped.is_empty());
}

#[test]
fn match_past_the_first_line_gets_its_own_line_and_column() {
    let addon = mv2_addon();
    let (_dir, store, version) = cache_with(&addon);
    add_rule_file(
        &store,
        "badge",
        br#"rule badge_writer { strings: $b = "setBadgeText" condition: $b }"#,
    )
    .unwrap();
    let background = String::from_utf8(addon.file("background.js").unwrap().to_vec()).unwrap();
    let (offset, line, column) = position(&background, "setBadgeText");
    assert!(line > 1, "the fixture should put the call below line 1");

    let signals = signals_for_version(&store, version).unwrap();
    assert_eq!(signals.len(), 1, "{signals:?}");
    let s = &signals[0];
    assert_eq!(
        (s.path.as_str(), s.offset, s.line, s.column),
        ("background.js", offset, line, column)
    );
    assert_eq!((s.tags.len(), s.description.as_deref()), (0, None));
}

#[test]
fn condition_only_rule_is_reported_at_the_start_of_each_file() {
    let addon = mv2_addon();
    let (_dir, store, version) = cache_with(&addon);
    add_rule_file(
        &store,
        "png",
        b"rule png_file { condition: uint32be(0) == 0x89504E47 }",
    )
    .unwrap();
    let signals = signals_for_version(&store, version).unwrap();
    let paths: Vec<&str> = signals.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(paths, ["icons/icon-48.png", "icons/icon-96.png"]);
    assert!(signals.iter().all(
        |s| (s.offset, s.length, s.line, s.column, s.pattern.as_deref()) == (0, 0, 1, 1, None)
    ));
}

#[test]
fn rule_file_that_does_not_compile_is_refused_naming_file_and_error() {
    let (_dir, store, _) = cache_with(&mv2_addon());
    let err = add_rule_file(
        &store,
        "broken.yar",
        b"rule broken {\n  strings:\n    $a = \"xyzzy\"\n  condition:\n    $b\n}\n",
    )
    .unwrap_err();
    let RulesError::Compile { name, message } = &err else {
        panic!("expected a compile error, got {err}");
    };
    assert_eq!(name, "broken.yar");
    // yara-x's own report: the error, then the file, line and column it points at.
    assert!(message.contains("unknown pattern `$b`"), "{message}");
    assert!(message.contains("broken.yar:5:5"), "{message}");
    assert!(rule_files(&store).unwrap().is_empty(), "nothing stored");
}

#[test]
fn a_file_that_is_not_rules_is_refused_without_echoing_its_lines() {
    let (_dir, store, _) = cache_with(&mv2_addon());
    // A private key picked by mistake (or by a page naming a path): its text must stay put.
    let key = b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n";
    let err = add_rule_file(&store, "id_ed25519", key).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("id_ed25519:1:"), "{message}");
    for secret in [
        "OPENSSH PRIVATE KEY",
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ",
    ] {
        assert!(
            !message.contains(secret),
            "the message echoes {secret:?}: {message}"
        );
    }
}

#[test]
fn hostile_rule_files_are_refused() {
    let (_dir, store, _) = cache_with(&mv2_addon());
    let include = add_rule_file(
        &store,
        "include",
        b"include \"/etc/passwd\"\nrule x { condition: true }",
    )
    .unwrap_err();
    assert!(
        matches!(&include, RulesError::Compile { name, .. } if name == "include"),
        "{include}"
    );

    let huge = format!(
        "rule big {{ condition: true }}\n//{}\n",
        "x".repeat(vetter_rules::MAX_RULE_FILE_SIZE)
    );
    assert!(matches!(
        add_rule_file(&store, "huge", huge.as_bytes()),
        Err(RulesError::TooLarge { .. })
    ));

    let not_utf8 =
        add_rule_file(&store, "latin1", b"rule caf\xe9 { condition: true }").unwrap_err();
    assert!(matches!(not_utf8, RulesError::Compile { .. }), "{not_utf8}");

    for bad_name in ["../escape", "with space", ""] {
        assert!(matches!(
            add_rule_file(&store, bad_name, b"rule ok { condition: true }"),
            Err(RulesError::InvalidName { .. })
        ));
    }
    assert!(rule_files(&store).unwrap().is_empty());
}

#[test]
fn rule_files_are_listed_toggled_and_removed_by_name() {
    let (_dir, store, version) = cache_with(&mv2_addon());
    add_rule_file(
        &store,
        "b-rules",
        b"rule one { condition: true } rule two { condition: false }",
    )
    .unwrap();
    add_rule_file(
        &store,
        "a-rules",
        br#"rule three { strings: $a = "xyzzy" condition: $a }"#,
    )
    .unwrap();
    let dup = add_rule_file(&store, "a-rules", b"rule four { condition: true }").unwrap_err();
    assert!(matches!(dup, RulesError::NameTaken { .. }), "{dup}");

    let listed: Vec<(String, u32, bool)> = rule_files(&store)
        .unwrap()
        .into_iter()
        .map(|f| (f.name, f.rules, f.enabled))
        .collect();
    assert_eq!(
        listed,
        [
            ("a-rules".to_owned(), 1, true),
            ("b-rules".to_owned(), 2, true)
        ]
    );

    set_rule_file_enabled(&store, "b-rules", false).unwrap();
    assert!(
        signals_for_version(&store, version)
            .unwrap()
            .iter()
            .all(|s| s.namespace == "a-rules"),
        "a disabled file's rules do not run"
    );
    remove_rule_file(&store, "a-rules").unwrap();
    assert!(matches!(
        remove_rule_file(&store, "a-rules"),
        Err(RulesError::NotFound { .. })
    ));
    assert_eq!(rule_files(&store).unwrap().len(), 1);
}

#[test]
fn rescan_is_skipped_until_the_rules_change() {
    let (_dir, store, version) = cache_with(&mv2_addon());
    add_rule_file(
        &store,
        "badge",
        br#"rule badge { strings: $b = "setBadgeText" condition: $b }"#,
    )
    .unwrap();
    let first = scan_version(&store, version, &ScanLimits::default()).unwrap();
    let second = scan_version(&store, version, &ScanLimits::default()).unwrap();
    assert!(!first.cached);
    assert!(second.cached, "same version, same rules: read back");
    assert_eq!(second.signals, first.signals);
    assert_eq!(second.ruleset, first.ruleset);

    add_rule_file(
        &store,
        "notes",
        br#"rule notes_key { strings: $k = "NOTES_KEY" condition: $k }"#,
    )
    .unwrap();
    let third = scan_version(&store, version, &ScanLimits::default()).unwrap();
    assert!(!third.cached, "a new rule file means a new scan");
    assert_ne!(third.ruleset, first.ruleset);
    assert!(third.signals.iter().any(|s| s.rule == "notes_key"));

    set_rule_file_enabled(&store, "notes", false).unwrap();
    let fourth = scan_version(&store, version, &ScanLimits::default()).unwrap();
    assert!(!fourth.cached, "disabling a file changes the ruleset");
    assert_eq!(fourth.ruleset, first.ruleset);
    assert_eq!(fourth.signals, first.signals);
}

#[test]
fn files_over_the_size_cap_are_skipped_and_listed() {
    let (_dir, store, version) = cache_with(&mv2_addon());
    add_rule_file(&store, "any", b"rule any_file { condition: true }").unwrap();
    let limits = ScanLimits {
        max_file_size: 1000,
        ..ScanLimits::default()
    };
    let scan = scan_version(&store, version, &limits).unwrap();
    let files = store.version_files(version).unwrap();
    let big: Vec<&str> = files
        .iter()
        .filter(|f| f.size > 1000)
        .map(|f| f.path.as_str())
        .collect();
    assert!(!big.is_empty());
    let skipped: Vec<&str> = scan.skipped.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(skipped, big);
    assert!(
        scan.skipped
            .iter()
            .all(|s| matches!(s.reason, RuleSkipReason::TooLarge { limit: 1000, .. }))
    );
    assert_eq!(scan.files_scanned as usize, files.len() - big.len());
    assert!(scan.signals.iter().all(|s| !big.contains(&s.path.as_str())));
}

#[test]
fn runaway_rule_hits_the_timeout_and_the_scan_is_not_reused() {
    // A quadratic loop over a 64 KiB file: billions of steps, stopped by yara-x's timeout.
    let mut addon = mv2_addon();
    addon.files.push(vetter_fixtures::addons::AddonFile {
        path: "data/blob.bin".to_owned(),
        data: (0..64 * 1024).map(|i| (i % 251) as u8).collect(),
    });
    let (_dir, store, version) = cache_with(&addon);
    add_rule_file(
        &store,
        "slow",
        b"rule slow { condition: filesize > 60000 and for all i in (0..filesize) : \
          (for all j in (0..filesize) : (uint8(i) != 0xFF or uint8(j) != 0xFE)) }",
    )
    .unwrap();
    let limits = ScanLimits {
        timeout_per_file: Duration::from_secs(1),
        ..ScanLimits::default()
    };
    let scan = scan_version(&store, version, &limits).unwrap();
    assert_eq!(scan.skipped.len(), 1, "{:?}", scan.skipped);
    assert_eq!(scan.skipped[0].path, "data/blob.bin");
    assert!(matches!(
        scan.skipped[0].reason,
        RuleSkipReason::Timeout { .. }
    ));
    // Small files finish long before the timeout.
    assert_eq!(scan.files_scanned as usize, addon.files.len() - 1);
    // An incomplete scan is not a cache hit: the next call scans again.
    let again = scan_version(&store, version, &limits).unwrap();
    assert!(!again.cached);
}

#[test]
fn unknown_version_is_an_error() {
    let (_dir, store, version) = cache_with(&mv2_addon());
    let err = signals_for_version(&store, version + 100).unwrap_err();
    assert!(err.to_string().contains("no cached version"), "{err}");
}

#[test]
fn a_rule_file_on_disk_is_read_up_to_the_one_cap() {
    let dir = tempfile::tempdir().unwrap();
    let at_cap = dir.path().join("at-cap.yar");
    std::fs::write(&at_cap, "x".repeat(MAX_RULE_FILE_SIZE)).unwrap();
    assert_eq!(read_rule_file(&at_cap).unwrap().len(), MAX_RULE_FILE_SIZE);

    let over = dir.path().join("over.yar");
    std::fs::write(&over, "x".repeat(MAX_RULE_FILE_SIZE + 1)).unwrap();
    let err = read_rule_file(&over).unwrap_err();
    assert!(
        matches!(
            err,
            RulesError::FileTooLarge {
                limit: MAX_RULE_FILE_SIZE,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("over.yar is over the"), "{err}");

    let missing = dir.path().join("missing.yar");
    let err = read_rule_file(&missing).unwrap_err();
    assert!(matches!(err, RulesError::Read { .. }), "{err:?}");
    assert!(err.to_string().starts_with("cannot read "), "{err}");
}

#[test]
fn a_one_byte_pattern_is_refused_as_slow() {
    // A hostile or careless rule that matches at nearly every offset would make every scan of
    // the cache crawl; yara-x 1.22 flags one-byte literals, and slow patterns are errors here.
    let (_dir, store, _) = cache_with(&mv2_addon());
    let err = add_rule_file(
        &store,
        "slow.yar",
        br#"rule slow { strings: $a = "x" condition: $a }"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("slow pattern"), "{err}");
    assert!(rule_files(&store).unwrap().is_empty(), "nothing stored");
}
