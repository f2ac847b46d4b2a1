//! `vetter diff` on two directories: summary, unified output, escaping, filters and JSON.

use std::process::Command;

fn vetter() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vetter"))
}

fn trees() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    std::fs::write(a.join("x.js"), "let a = 1;\nlet b = 2;\n").unwrap();
    std::fs::write(b.join("x.js"), "let a = 1;\nlet b = 3;\n\x1b]0;pwned\x07\n").unwrap();
    std::fs::write(b.join("y.css"), "p { color: red; }\n").unwrap();
    dir
}

#[test]
fn prints_summary_then_unified_diff_with_control_chars_escaped() {
    let dir = trees();
    let out = vetter()
        .args(["diff", "--color", "never"])
        .arg(dir.path().join("a"))
        .arg(dir.path().join("b"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("M +2      -1      x.js"), "{text}");
    assert!(text.contains("A +1      -0      y.css"), "{text}");
    assert!(text.contains("-let b = 2;\n+let b = 3;\n"), "{text}");
    assert!(
        !text.contains('\x1b'),
        "raw escape reached the terminal: {text:?}"
    );
    assert!(text.contains("\\u{1b}]0;pwned\\u{7}"));
}

#[test]
fn path_glob_and_json_summary_select_files() {
    let dir = trees();
    let out = vetter()
        .args(["diff", "--json", "--path", "*.css"])
        .arg(dir.path().join("a"))
        .arg(dir.path().join("b"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["path"], "y.css");
    assert_eq!(files[0]["status"], "added");
}

#[test]
fn unknown_side_is_refused_with_a_reason() {
    let out = vetter()
        .args(["diff", "no-such.xpi", "other"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such.xpi"));
}
