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

/// Files are rendered on several threads; the output must still be each file whole, in the
/// summary's order, with every file's own change and no other's. Sizes vary a hundredfold so
/// that renders finish out of order.
#[test]
fn many_files_come_out_whole_and_in_order_whatever_thread_rendered_them() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let mut paths = Vec::new();
    for i in 0..60 {
        let path = format!("dir{}/file{i:02}.js", i % 3);
        let body: String = (0..(if i % 7 == 0 { 5000 } else { 50 }))
            .map(|l| format!("const line{l} = {l};\n"))
            .collect();
        for (root, extra) in [
            (&a, String::new()),
            (&b, format!("export const changed{i} = {i};\n")),
        ] {
            let file = root.join(&path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, format!("{body}{extra}")).unwrap();
        }
        paths.push(path);
    }
    paths.sort();
    let out = vetter()
        .args(["diff", "--color", "never"])
        .arg(&a)
        .arg(&b)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let sections: Vec<&str> = text.split("--- a/").skip(1).collect();
    assert_eq!(sections.len(), paths.len(), "{text}");
    for (section, path) in sections.iter().zip(&paths) {
        assert!(
            section.starts_with(&format!("{path}\n+++ b/{path}\n")),
            "{section}"
        );
        let i: usize = path[path.len() - 5..path.len() - 3].parse().unwrap();
        let added: Vec<&str> = section.lines().filter(|l| l.starts_with("+e")).collect();
        assert_eq!(
            added,
            [format!("+export const changed{i} = {i};")],
            "{path}"
        );
    }
}
