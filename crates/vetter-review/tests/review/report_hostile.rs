//! The audit report escapes every add-on string and can run or load nothing.

use vetter_archive::Limits;
use vetter_review::notes::add_note;
use vetter_review::report::{
    LocalSignal, build_report, render_html, render_markdown, write_report,
};
use vetter_store::Store;

const EVIL: &str = "<script>alert(1)</script><img src=x onerror=alert(2)>";

fn xpi(version: &str, extra_perm: &str, file: &str) -> Vec<u8> {
    let manifest = serde_json::json!({
        "manifest_version": 2,
        "name": format!("{EVIL} [link](javascript:alert(3))"),
        "version": version,
        "browser_specific_settings": { "gecko": { "id": "evil@example" } },
        "permissions": ["storage", extra_perm],
        "content_security_policy": "script-src 'self' https://cdn.evil.example; object-src 'self'",
    })
    .to_string();
    vetter_fixtures::zip_files(&[
        ("manifest.json", manifest.as_bytes()),
        (
            file,
            b"var a = 1;\n</td></tr></table><script>x()</script>\n".as_slice(),
        ),
    ])
}

#[test]
fn hostile_strings_are_escaped_and_the_html_is_inert() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let v1 = store
        .import_archive(
            "1.xpi",
            &xpi("1", "tabs", "a.js"),
            &Limits::default(),
            &mut |_| {},
        )
        .unwrap()
        .version_id;
    let evil_path = "<b onmouseover=alert(4)>.js";
    let v2 = store
        .import_archive(
            "2.xpi",
            &xpi("2", "nativeMessaging", evil_path),
            &Limits::default(),
            &mut |_| {},
        )
        .unwrap()
        .version_id;
    add_note(
        &mut store,
        v2,
        evil_path,
        2,
        "</td><script>steal()</script>",
    )
    .unwrap();
    let signals = vec![LocalSignal {
        rule: "<svg onload=alert(5)>".into(),
        path: evil_path.into(),
        offset: 11,
        line: 2,
    }];
    let report = build_report(&store, v1, v2, signals).unwrap();
    assert_eq!(report.permissions.permissions.added, ["nativeMessaging"]);
    assert!(
        report
            .permissions
            .risks
            .iter()
            .any(|r| r.item == "nativeMessaging")
    );
    assert!(
        report
            .risks
            .iter()
            .any(|r| r.item == "https://cdn.evil.example")
    );
    // a.js removed, the hostile path added, manifest.json modified.
    assert_eq!(report.changed_files.len(), 3);

    let html = render_html(&report);
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script"), "no script element");
    assert!(!lower.contains("<img"), "no image element");
    assert!(!lower.contains("<svg"));
    assert!(!lower.contains("<b "));
    assert!(!lower.contains("onerror=") || lower.contains("&lt;img src=x onerror="));
    assert!(
        !lower.contains("src=\"http") && !lower.contains("href="),
        "nothing remote"
    );
    assert!(
        html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';")
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("nativeMessaging"));
    assert!(html.contains(&report.new.xpi_sha256));

    let md = render_markdown(&report);
    assert!(
        !md.contains("<script") && !md.contains("](javascript"),
        "{md}"
    );
    assert!(md.contains("&lt;script&gt;"));
    // Each table row stays one line: hostile text cannot add rows or cells.
    for line in md.lines().filter(|l| l.starts_with('|')) {
        let cells = line.matches(" | ").count();
        assert!(cells <= 3, "{line}");
    }

    let out = dir.path().join("out");
    let (h, m) = write_report(&report, &out).unwrap();
    assert_eq!(std::fs::read_to_string(h).unwrap(), html);
    assert_eq!(std::fs::read_to_string(m).unwrap(), md);
}

#[test]
fn versions_of_different_addons_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let a = store
        .import_archive(
            "1.xpi",
            &xpi("1", "tabs", "a.js"),
            &Limits::default(),
            &mut |_| {},
        )
        .unwrap()
        .version_id;
    let other = vetter_fixtures::zip_files(&[(
        "manifest.json",
        br#"{"manifest_version":2,"name":"o","version":"1","browser_specific_settings":{"gecko":{"id":"other@example"}}}"#
            .as_slice(),
    )]);
    let b = store
        .import_archive("o.xpi", &other, &Limits::default(), &mut |_| {})
        .unwrap()
        .version_id;
    assert!(build_report(&store, a, b, Vec::new()).is_err());
}
