//! The app's attack surface must not widen unnoticed: the window's capability may allow exactly
//! the app's own commands (the `#[tauri::command]` functions under src-tauri/src, granted one by
//! one or through the `app-commands` set build.rs generates from them) and the two core event
//! permissions the UI uses, and the CSP and security switches in tauri.conf.json must stay at least as
//! strict as the minimal set written here. A hostile add-on file rendered in the webview is the
//! threat: with a wider capability or CSP, script in it could reach plugins or the network.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// Core permissions the UI uses (progress events).
const CORE_PERMISSIONS: [&str; 2] = ["core:event:allow-listen", "core:event:allow-unlisten"];

/// The widest each CSP directive may be. A directive missing from the config, or a source not
/// listed here, is a widening.
const CSP: [(&str, &[&str]); 12] = [
    ("default-src", &["'self'"]),
    ("script-src", &["'self'"]),
    ("style-src", &["'self'"]),
    ("img-src", &["'self'", "data:", "blob:"]),
    ("font-src", &["'self'"]),
    ("connect-src", &["ipc:", "http://ipc.localhost"]),
    ("object-src", &["'none'"]),
    ("frame-src", &["'none'"]),
    ("child-src", &["'none'"]),
    ("worker-src", &["'self'"]),
    ("base-uri", &["'none'"]),
    ("form-action", &["'none'"]),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The permission set src-tauri/build.rs generates: `allow-<command>` for each command, nothing
/// else.
const COMMAND_SET: &str = "app-commands";

/// The names of the `#[tauri::command]` functions in `source` (the fn after each attribute).
fn app_commands(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = source.lines();
    while let Some(line) = lines.next() {
        if line.trim() != "#[tauri::command]" {
            continue;
        }
        let name = lines
            .by_ref()
            .find_map(|l| l.split_once("fn ").map(|(_, rest)| rest.to_owned()))
            .and_then(|rest| rest.split('(').next().map(str::to_owned))
            .expect("a #[tauri::command] attribute without a function");
        out.push(name);
    }
    out
}

/// Every way `capability` is wider than the app's own commands plus [`CORE_PERMISSIONS`].
fn capability_widenings(capability: &Value, commands: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let allowed: BTreeSet<String> = commands
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .chain(CORE_PERMISSIONS.iter().map(|s| s.to_string()))
        .chain([COMMAND_SET.to_owned()])
        .collect();
    for (key, value) in capability.as_object().into_iter().flatten() {
        match key.as_str() {
            "$schema" | "identifier" | "description" | "permissions" => {}
            "windows" if value == &json!(["main"]) => {}
            "local" if value == &json!(true) => {}
            other => out.push(format!("capability key {other:?} = {value}")),
        }
    }
    let permissions = capability["permissions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for permission in permissions {
        match permission.as_str() {
            Some(p) if allowed.contains(p) => {}
            Some(p) => out.push(format!("permission {p:?} is not one of the app's commands")),
            // An object is a scoped permission: every scope is a widening to review.
            None => out.push(format!("scoped permission {permission}")),
        }
    }
    out
}

/// Every way `conf` (tauri.conf.json) is less strict than the minimal set.
fn config_widenings(conf: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let app = &conf["app"];
    if app["withGlobalTauri"] != json!(false) {
        out.push(format!("app.withGlobalTauri = {}", app["withGlobalTauri"]));
    }
    let security = &app["security"];
    if security["freezePrototype"] != json!(true) {
        out.push(format!("freezePrototype = {}", security["freezePrototype"]));
    }
    if security["dangerousDisableAssetCspModification"] != json!(false) {
        out.push(format!(
            "dangerousDisableAssetCspModification = {}",
            security["dangerousDisableAssetCspModification"]
        ));
    }
    if security["capabilities"] != json!(["main-window"]) {
        out.push(format!("capabilities = {}", security["capabilities"]));
    }
    for (key, value) in security.as_object().into_iter().flatten() {
        if !matches!(
            key.as_str(),
            "csp" | "freezePrototype" | "dangerousDisableAssetCspModification" | "capabilities"
        ) {
            out.push(format!("app.security.{key} = {value}"));
        }
    }
    for window in app["windows"].as_array().into_iter().flatten() {
        for key in ["url", "webviewUrl"] {
            if let Some(url) = window.get(key) {
                out.push(format!("window {} loads {url}", window["label"]));
            }
        }
    }
    if conf.get("plugins").is_some_and(|p| p != &json!({})) {
        out.push(format!("plugins = {}", conf["plugins"]));
    }
    let csp: BTreeMap<String, String> = match &security["csp"] {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("*").to_owned()))
            .collect(),
        Value::String(text) => text
            .split(';')
            .filter_map(|d| {
                let d = d.trim();
                let (name, sources) = d.split_once(' ').unwrap_or((d, ""));
                (!name.is_empty()).then(|| (name.to_owned(), sources.to_owned()))
            })
            .collect(),
        other => {
            out.push(format!("csp = {other}"));
            BTreeMap::new()
        }
    };
    let expected: BTreeMap<&str, &[&str]> = CSP.into_iter().collect();
    for (directive, allowed) in &expected {
        match csp.get(*directive) {
            None => out.push(format!("CSP directive {directive} removed")),
            Some(sources) => {
                for source in sources.split_whitespace() {
                    if !allowed.contains(&source) {
                        out.push(format!("CSP {directive} allows {source}"));
                    }
                }
            }
        }
    }
    for (directive, sources) in &csp {
        if !expected.contains_key(directive.as_str()) {
            out.push(format!("CSP directive {directive} {sources} is new"));
        }
    }
    out
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap())
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Every command of the app, from every Rust file under src-tauri/src.
fn commands() -> Vec<String> {
    let mut dirs = vec![root().join("src-tauri/src")];
    let mut out = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.extend(app_commands(&std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    out
}

fn capabilities() -> Vec<(PathBuf, Value)> {
    let dir = root().join("src-tauri/capabilities");
    let mut out: Vec<(PathBuf, Value)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let v = read_json(&p);
            (p, v)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn capability_files_allow_only_the_apps_own_commands_and_core_events() {
    let commands = commands();
    for known in ["app_info", "search_cache", "decide"] {
        assert!(commands.iter().any(|c| c == known), "{known} not found");
    }
    let files = capabilities();
    assert_eq!(files.len(), 1, "one capability file, for the main window");
    for (path, capability) in files {
        let found = capability_widenings(&capability, &commands);
        assert!(found.is_empty(), "{} widened: {found:#?}", path.display());
    }
}

#[test]
fn csp_and_security_switches_are_no_wider_than_the_minimal_set() {
    let found = config_widenings(&read_json(&root().join("tauri.conf.json")));
    assert!(found.is_empty(), "tauri.conf.json widened: {found:#?}");
}

#[test]
fn each_kind_of_capability_widening_is_caught() {
    let commands = commands();
    let (_, base) = capabilities().remove(0);
    let widen = |f: &dyn Fn(&mut Value)| {
        let mut c = base.clone();
        f(&mut c);
        capability_widenings(&c, &commands)
    };
    let push =
        |p: Value| move |c: &mut Value| c["permissions"].as_array_mut().unwrap().push(p.clone());
    for widening in [
        widen(&push(json!("core:default"))),
        widen(&push(json!("shell:allow-open"))),
        widen(&push(json!("fs:default"))),
        widen(&push(json!("core:window:allow-create"))),
        widen(&push(json!("allow-not-a-command"))),
        widen(&push(
            json!({"identifier": "http:default", "allow": [{"url": "https://*"}]}),
        )),
        widen(&|c| c["remote"] = json!({"urls": ["https://*.example.com"]})),
        widen(&|c| c["windows"] = json!(["*"])),
        widen(&|c| c["webviews"] = json!(["*"])),
    ] {
        assert!(!widening.is_empty());
    }
    // The base itself, and a new app command once it is declared, are fine.
    assert!(widen(&|_| {}).is_empty());
    let mut more = commands.clone();
    more.push("new_command".into());
    let mut c = base.clone();
    c["permissions"]
        .as_array_mut()
        .unwrap()
        .push(json!("allow-new-command"));
    assert!(capability_widenings(&c, &more).is_empty());
}

#[test]
fn each_kind_of_csp_or_switch_widening_is_caught() {
    let base = read_json(&root().join("tauri.conf.json"));
    let widen = |f: &dyn Fn(&mut Value)| {
        let mut c = base.clone();
        f(&mut c);
        config_widenings(&c)
    };
    let csp = |d: &'static str, v: &'static str| {
        move |c: &mut Value| c["app"]["security"]["csp"][d] = json!(v)
    };
    for widening in [
        widen(&csp("script-src", "'self' 'unsafe-inline'")),
        widen(&csp("script-src", "'self' 'unsafe-eval'")),
        widen(&csp("style-src", "'self' 'unsafe-inline'")),
        widen(&csp(
            "connect-src",
            "ipc: http://ipc.localhost https://evil.example",
        )),
        widen(&csp("img-src", "*")),
        widen(&csp("frame-src", "https:")),
        widen(&|c| {
            c["app"]["security"]["csp"]
                .as_object_mut()
                .unwrap()
                .remove("default-src");
        }),
        widen(&|c| c["app"]["security"]["csp"] = Value::Null),
        widen(&|c| c["app"]["security"]["csp"] = json!("default-src *")),
        widen(&|c| c["app"]["withGlobalTauri"] = json!(true)),
        widen(&|c| c["app"]["security"]["freezePrototype"] = json!(false)),
        widen(&|c| c["app"]["security"]["dangerousDisableAssetCspModification"] = json!(true)),
        widen(&|c| {
            c["app"]["security"]["assetProtocol"] = json!({"enable": true, "scope": ["**"]})
        }),
        widen(&|c| c["app"]["windows"][0]["url"] = json!("https://addons.example")),
        widen(&|c| c["plugins"] = json!({"shell": {"open": true}})),
    ] {
        assert!(!widening.is_empty());
    }
    assert!(widen(&|_| {}).is_empty());
}
