//! The whole loop against a plain AMO (the stand-in of tests/amo-standin), in a private GNOME
//! Keyring: `vetter login` checks the profile and registers no key, `vetter fetch` uses the
//! stored key to see unlisted versions, and `vetter decide` keeps the signed decision locally
//! with the comment to paste on AMO's review page, sending nothing.

use std::path::Path;
use std::process::{Command, Output};

use vetter_fixtures::standin::{AmoStandin, REVIEWER_KEY, REVIEWER_SECRET};

use crate::decide_support;
use decide_support as support;

fn vetter(data: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vetter"));
    cmd.arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("VETTER_API_KEY")
        .env_remove("VETTER_API_SECRET")
        .env_remove("VETTER_AMO");
    cmd
}

fn ok(out: Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{}: {text}", out.status);
    text
}

#[test]
fn a_decision_on_an_amo_addon_is_signed_kept_locally_and_becomes_a_comment_to_paste() {
    if !support::inside_keyring(
        module_path!(),
        "a_decision_on_an_amo_addon_is_signed_kept_locally_and_becomes_a_comment_to_paste",
    ) {
        return;
    }
    let files = tempfile::tempdir().unwrap();
    let (amo, _) = AmoStandin::start_example(Path::new(env!("CARGO_TARGET_TMPDIR")), files.path());
    let data = tempfile::tempdir().unwrap();

    let said = ok(vetter(data.path(), &["login", "--server", &amo.origin])
        .env("VETTER_API_KEY", REVIEWER_KEY)
        .env("VETTER_API_SECRET", REVIEWER_SECRET)
        .output()
        .unwrap());
    assert!(said.contains("plain AMO"), "{said}");
    assert!(said.contains("kept local"), "{said}");

    // No key in the environment: the keyring's, stored by the login, is used.
    let said = ok(vetter(
        data.path(),
        &[
            "fetch",
            "tab-notes",
            "--amo",
            &amo.origin,
            "--download-host",
            &amo.cdn,
        ],
    )
    .output()
    .unwrap());
    assert!(said.contains("from the keyring"), "{said}");
    assert!(said.contains("filter: all_with_unlisted"), "{said}");

    // The version AMO lists as 1.0.2 (id 1003), with a line comment bound to its file.
    let db = rusqlite::Connection::open(data.path().join(vetter_store::DB_FILE)).unwrap();
    let sha: String = db
        .query_row(
            "SELECT f.sha256 FROM files f JOIN version_origins o ON o.version_id = f.version_id
             WHERE o.amo_version_id = 1003 AND f.path = 'content/content.js'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let comment = format!("content/content.js:18:{sha}:innerHTML from a note's text");
    let said = ok(vetter(
        data.path(),
        &[
            "decide",
            "tab-notes",
            "comment",
            "--version-id",
            "1003",
            "--comments",
            "Please sanitize notes before showing them.",
            "--line-comment",
            &comment,
        ],
    )
    .output()
    .unwrap());
    assert!(said.contains("kept comment"), "{said}");
    assert!(said.contains("has no API for decisions"), "{said}");
    let review_page = format!("{}/reviewers/review/101", amo.origin);
    assert!(said.contains(&review_page), "{said}");
    assert!(
        said.contains(
            "Please sanitize notes before showing them.\n\n\
             * content/content.js#L18: innerHTML from a note's text"
        ),
        "{said}"
    );

    // On record, signed, and nothing was sent to AMO.
    let (jws, action, version): (String, String, i64) = db
        .query_row(
            "SELECT k.jws, d.action, d.version_id FROM kept_decisions k
             JOIN local_decisions d ON d.id = k.decision_id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((action.as_str(), version), ("comment", 1003));
    assert_eq!(jws.split('.').count(), 3, "a compact JWS: {jws}");
    let outbox: i64 = db
        .query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        outbox, 0,
        "nothing waits to be sent to a server without the route"
    );
    let log = amo.log();
    assert!(
        log.lines().all(|l| l.starts_with("GET ")),
        "only reads reached AMO:\n{log}"
    );
}
