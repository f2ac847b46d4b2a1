//! The audit log can be verified by anyone outside: a decision recorded through the CLI, and
//! one signed after the reviewer's key was revoked and replaced, both verify with PyJWT (an
//! implementation nobody here wrote) against keys fetched from the server's key list, and a
//! tampered copy of the CLI's decision is refused. tests/audit-verify.py is the outside
//! auditor; it gets the credentials from the environment.

use crate::decide_support as support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use support::{REVIEWER_KEY, REVIEWER_SECRET, Server, get_json, reviewer};
use vetter_decision::signing::ReviewerKey;
use vetter_decision::{Action, AddonRef, Decision, DecisionInput, VersionRef};

fn vetter(data: &Path, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_vetter"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("VETTER_API_KEY", REVIEWER_KEY)
        .env("VETTER_API_SECRET", REVIEWER_SECRET)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "vetter {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_cli_decision_verifies_with_pyjwt_and_a_tampered_copy_does_not() {
    if !support::inside_keyring(
        module_path!(),
        "a_cli_decision_verifies_with_pyjwt_and_a_tampered_copy_does_not",
    ) {
        return;
    }
    let server_dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(server_dir.path(), 0).unwrap();
    vetter(data.path(), &["login", "--server", &server.url]);
    vetter(data.path(), &["sync"]);
    vetter(
        data.path(),
        &[
            "decide",
            "tab-tidy",
            "comment",
            "--comments",
            "checked the sync code",
        ],
    );

    // The reviewer rotates: the CLI's key is revoked, a new one signs the next decision.
    let keys = get_json(&server.url, "/api/v5/reviewers/keys/", &reviewer());
    let old_kid = keys["keys"][0]["kid"].as_str().unwrap().to_owned();
    let revoked = support::request(
        "DELETE",
        &format!("{}/api/v5/reviewers/keys/{old_kid}/", server.url),
        &reviewer().authorization(),
        None,
        None,
    );
    assert_eq!(revoked.status, 200, "{:?}", revoked.json);
    let new_key = ReviewerKey::generate().unwrap();
    support::register_key(&server.url, &reviewer(), &new_key);
    let (id, version, sha) = support::under_review(&server.url, 102);
    let second = Decision::new(
        REVIEWER_KEY,
        AddonRef {
            id: 102,
            guid: "focus-timer@vetter.example".to_owned(),
        },
        VersionRef {
            id,
            version,
            file_sha256: sha,
        },
        Action::Comment,
        DecisionInput {
            comments: "signed after the rotation".to_owned(),
            ..Default::default()
        },
    )
    .unwrap();
    let answer = support::post_decision(&server.url, &reviewer(), &new_key.sign(&second).unwrap());
    assert_eq!(answer.status, 201, "{:?}", answer.json);

    // A copy of the CLI's decision with its comment changed, its signature kept.
    let log = get_json(
        &server.url,
        "/api/v5/reviewers/decisions/?since=0",
        &reviewer(),
    );
    let jws = log["results"][0]["decision"].as_str().unwrap();
    let parts: Vec<&str> = jws.split('.').collect();
    let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert!(payload.contains("checked the sync code"), "{payload}");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(payload.replace("checked the sync code", "approved, all fine")),
        parts[2]
    );

    let python =
        vetter_fixtures::standin::python_with_pyjwt(Path::new(env!("CARGO_TARGET_TMPDIR")));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/audit-verify.py");
    let mut child = Command::new(python)
        .arg(script)
        .arg(&server.url)
        .env("VETTER_API_KEY", REVIEWER_KEY)
        .env("VETTER_API_SECRET", REVIEWER_SECRET)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{tampered}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    assert_eq!(report["keys"], 2, "{report}");
    let verdicts = report["log"].as_array().unwrap();
    assert_eq!(verdicts.len(), 2, "{report}");
    for v in verdicts {
        assert_eq!(v["ok"], true, "{v}");
    }
    // The first was signed by the revoked key, before it was revoked; the second by the new one.
    assert_eq!(verdicts[0]["kid"], old_kid.as_str());
    assert_eq!(verdicts[0]["payload"]["comments"], "checked the sync code");
    assert_eq!(
        verdicts[0]["payload"]["addon"]["guid"],
        "tab-tidy@vetter.example"
    );
    assert_eq!(verdicts[1]["kid"], new_key.public_key().kid().as_str());
    let extra = &report["extra"][0];
    assert_eq!(extra["ok"], false, "{extra}");
    assert!(
        extra["reason"].as_str().unwrap().contains("signature"),
        "{extra}"
    );
    server.stop();
}
