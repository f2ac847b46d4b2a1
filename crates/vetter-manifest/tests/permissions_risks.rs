//! The permission diff names every dangerous request an update adds, with a risk note.

use vetter_manifest::{RiskField, parse_manifest, permission_changes, risk_notes};

const OLD: &str = r#"{
  "manifest_version": 2, "name": "p", "version": "1",
  "permissions": ["storage", "https://api.example/*"],
  "content_scripts": [{"matches": ["https://example.com/*"], "js": ["c.js"]}],
  "web_accessible_resources": ["img/a.png"]
}"#;

const NEW: &str = r#"{
  "manifest_version": 2, "name": "p", "version": "2",
  "permissions": ["storage", "cookies", "webRequest", "webRequestBlocking", "nativeMessaging",
                  "debugger", "proxy", "<all_urls>"],
  "optional_permissions": ["management"],
  "content_scripts": [{"matches": ["*://*/*"], "js": ["c.js"]}],
  "content_security_policy": "script-src 'self' 'unsafe-eval' https://cdn.example.net; object-src 'self'",
  "externally_connectable": {"matches": ["<all_urls>"], "ids": ["*"]},
  "web_accessible_resources": ["img/a.png", "inject.js"]
}"#;

#[test]
fn dangerous_additions_each_get_a_risk_note() {
    let old = parse_manifest(OLD.as_bytes()).unwrap();
    let new = parse_manifest(NEW.as_bytes()).unwrap();
    let c = permission_changes(&old, &new);
    assert_eq!(
        c.permissions.added,
        [
            "cookies",
            "webRequest",
            "webRequestBlocking",
            "nativeMessaging",
            "debugger",
            "proxy"
        ]
    );
    assert_eq!(c.host_permissions.added, ["<all_urls>"]);
    assert_eq!(c.host_permissions.removed, ["https://api.example/*"]);
    assert_eq!(c.content_script_matches.added, ["*://*/*"]);
    assert_eq!(c.externally_connectable_matches.added, ["<all_urls>"]);
    assert_eq!(c.externally_connectable_ids.added, ["*"]);
    assert_eq!(c.web_accessible_resources.added, ["inject.js"]);
    let csp = c.content_security_policy.as_ref().unwrap();
    assert_eq!(csp.old, None);
    assert!(csp.new.as_deref().unwrap().contains("cdn.example.net"));

    let items: Vec<(RiskField, &str)> =
        c.risks.iter().map(|r| (r.field, r.item.as_str())).collect();
    for want in [
        (RiskField::Permissions, "webRequestBlocking"),
        (RiskField::Permissions, "nativeMessaging"),
        (RiskField::Permissions, "debugger"),
        (RiskField::Permissions, "proxy"),
        (RiskField::Permissions, "cookies"),
        (RiskField::OptionalPermissions, "management"),
        (RiskField::HostPermissions, "<all_urls>"),
        (RiskField::ContentScripts, "*://*/*"),
        (RiskField::ContentSecurityPolicy, "https://cdn.example.net"),
        (RiskField::ContentSecurityPolicy, "'unsafe-eval'"),
        (RiskField::ExternallyConnectable, "<all_urls>"),
    ] {
        assert!(items.contains(&want), "missing {want:?} in {items:?}");
    }
    assert!(
        !items
            .iter()
            .any(|(_, i)| *i == "webRequest" || *i == "storage")
    );
}

#[test]
fn cookies_are_only_risky_with_access_to_every_host() {
    let m = parse_manifest(
        br#"{"manifest_version": 2, "name": "c", "version": "1", "permissions": ["cookies", "https://bank.example/*"]}"#,
    )
    .unwrap();
    assert!(risk_notes(&m).is_empty());
}

#[test]
fn risks_already_present_are_not_reported_as_new() {
    let new = parse_manifest(NEW.as_bytes()).unwrap();
    let c = permission_changes(&new, &new);
    assert!(c.is_empty());
    assert!(c.risks.is_empty());
    assert!(!risk_notes(&new).is_empty());
}

#[test]
fn self_only_policy_has_no_remote_script() {
    let m = parse_manifest(
        br#"{"manifest_version": 3, "name": "c", "version": "1",
             "content_security_policy": {"extension_pages": "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'"}}"#,
    )
    .unwrap();
    assert!(risk_notes(&m).is_empty());
}
