//! Hostile-input properties of the manifest parser: nothing panics, and Firefox-style comments
//! never change what a manifest means.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use vetter_manifest::{parse_manifest, resolve_locale, strip_comments};

/// Any JSON value, a few levels deep, with keys drawn partly from real manifest field names so
/// the typed extraction paths are exercised with wrong types.
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        Just(json!("__MSG_name__")),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((arb_key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "manifest_version",
            "name",
            "version",
            "description",
            "permissions",
            "host_permissions",
            "optional_permissions",
            "optional_host_permissions",
            "content_scripts",
            "matches",
            "js",
            "all_frames",
            "background",
            "scripts",
            "persistent",
            "content_security_policy",
            "extension_pages",
            "web_accessible_resources",
            "resources",
            "browser_specific_settings",
            "applications",
            "gecko",
            "id",
            "externally_connectable",
            "message",
            "placeholders",
            "content",
        ])
        .prop_map(str::to_owned),
        "[a-z_]{1,8}",
    ]
}

/// A manifest-shaped object: the required fields present, the rest arbitrary.
fn arb_manifest_object() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec![2u8, 3]),
        ".{0,10}",
        "[0-9.]{1,8}",
        prop::collection::vec((arb_key(), arb_json()), 0..6),
    )
        .prop_map(|(mv, name, version, extra)| {
            let mut obj = Map::new();
            for (k, v) in extra {
                obj.insert(k, v);
            }
            obj.insert("manifest_version".into(), json!(mv));
            obj.insert("name".into(), json!(name));
            obj.insert("version".into(), json!(version));
            Value::Object(obj)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_manifest(&bytes);
    }

    #[test]
    fn arbitrary_text_with_comment_syntax_never_panics(
        text in "[\"\\\\/\\n\\r\u{2028}{}:,a-z0-9 \\[\\]]{0,200}"
    ) {
        let _ = parse_manifest(text.as_bytes());
        let _ = strip_comments(&text);
    }

    #[test]
    fn arbitrary_json_never_panics(value in arb_json()) {
        let bytes = serde_json::to_vec(&value).unwrap();
        let _ = parse_manifest(&bytes);
    }

    #[test]
    fn arbitrary_manifest_shaped_json_never_panics(value in arb_manifest_object()) {
        let bytes = serde_json::to_vec_pretty(&value).unwrap();
        if let Ok(m) = parse_manifest(&bytes) {
            let _ = resolve_locale(&m, &bytes);
        }
    }

    #[test]
    fn line_comments_never_change_the_parse(value in arb_manifest_object(), note in "[ -~]{0,20}") {
        let plain = serde_json::to_string_pretty(&value).unwrap();
        let commented: String = plain
            .lines()
            .map(|line| format!("{line} // {note}\n"))
            .collect();
        let with_bom = format!("\u{FEFF}{commented}");
        let expected = parse_manifest(plain.as_bytes());
        let got = parse_manifest(with_bom.as_bytes());
        match (expected, got) {
            (Ok(mut a), Ok(b)) => {
                prop_assert_eq!(b.quirks.comments_removed as usize, plain.lines().count());
                prop_assert!(b.quirks.had_bom);
                a.quirks = b.quirks.clone();
                prop_assert_eq!(a, b);
            }
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (a, b) => prop_assert!(false, "plain {:?} but commented {:?}", a, b),
        }
    }
}
