//! What an add-on version can do, and what changed in that between two versions.
//!
//! Malicious add-ons mostly arrive as an update: a new permission, a new host, a remote script,
//! an obfuscated blob, a "library" that is not quite the library. This crate reads a version's
//! files (never runs them) and lists those facts, each at its file and line:
//! - network endpoints ([`Endpoint`]): URLs, hosts and IPs in code, pages, styles, data files
//!   and the manifest, and what each reaches them with (`fetch`, XHR, `WebSocket`, …);
//! - dangerous sinks ([`Sink`]): `eval`, `Function`, string timers, HTML injection, code
//!   injected into tabs, remote scripts, WebAssembly, native messaging;
//! - permissions against code ([`PermissionUse`]): where each permission's APIs are called,
//!   what is declared and unused, used and undeclared, and hosts contacted without a host
//!   permission;
//! - obfuscation indicators per file ([`FileMeasure`]);
//! - vendored libraries ([`LibraryFile`]) found in an index of npm packages ([`LibraryIndex`]);
//! - a local risk weight ([`Risk`]) from the factors of AMO's auto-approval weight that can be
//!   computed offline.
//!
//! [`analyze_version`] computes a [`Capabilities`]; [`CapabilityDelta::between`] compares two.
//! JavaScript is read through `vetter-syntax` (its guarded oxc parse, and its lexer where the
//! parser refuses a file), so nothing here recurses without a bound on hostile input.

mod endpoints;
pub mod fingerprint;
mod html;
mod js;
pub mod libraries;
pub mod linter;
mod obfuscation;
mod permissions;
mod risk;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use vetter_manifest::Manifest;

pub use libraries::{LibraryError, LibraryIndex, LibraryMatch};
pub use risk::{FactorPair, Risk, RiskFactor};

/// Bumped whenever an analysis changes what it reports, so cached results are recomputed.
pub const ANALYSIS_VERSION: u32 = 1;

/// Files larger than this are not analysed (listed as skipped).
pub const MAX_ANALYZED_FILE: usize = 16 * 1024 * 1024;

/// The most facts of one kind kept per version; a hostile file cannot grow a report without
/// bound.
pub const MAX_FACTS: usize = 5_000;

/// Where a fact was found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Location {
    /// The file's path in the package.
    pub path: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

/// How the code reaches an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum EndpointVia {
    /// A string in code, not (visibly) handed to a network call.
    Literal,
    /// `fetch(…)`.
    Fetch,
    /// `XMLHttpRequest.open(…)`.
    Xhr,
    /// `new WebSocket(…)`.
    WebSocket,
    /// `new EventSource(…)`.
    EventSource,
    /// `navigator.sendBeacon(…)`.
    Beacon,
    /// `importScripts(…)` or a dynamic `import(…)`.
    ScriptImport,
    /// An attribute of an HTML page (`src`, `href`, `action`).
    Page,
    /// A stylesheet (`url(…)`, `@import`).
    Style,
    /// A data file (JSON other than the manifest).
    Data,
    /// A source of the manifest's content security policy.
    Csp,
    /// Another manifest field (`homepage_url`, `update_url`).
    Manifest,
}

/// A network endpoint the version names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Endpoint {
    /// The host (lower case, without port), or `None` for a network call whose address is
    /// computed at run time.
    pub host: Option<String>,
    /// The URL as written (at most 300 characters), when there is one.
    pub url: Option<String>,
    /// Whether the host is an IP address.
    pub ip: bool,
    /// How the code reaches it.
    pub via: EndpointVia,
    /// Where.
    pub at: Location,
}

/// A kind of dangerous sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SinkKind {
    /// `eval(…)`.
    Eval,
    /// `Function(…)` or `new Function(…)`.
    FunctionConstructor,
    /// `setTimeout`/`setInterval` given a string to run.
    StringTimer,
    /// An assignment of non-literal HTML to `innerHTML` or `outerHTML`.
    HtmlAssignment,
    /// `insertAdjacentHTML` or `createContextualFragment` with non-literal HTML.
    HtmlInsertion,
    /// `document.write` or `document.writeln`.
    DocumentWrite,
    /// `tabs.executeScript`/`scripting.executeScript`/`contentScripts.register` with code as a
    /// string.
    InjectedCode,
    /// A script loaded from the network (`<script src="https://…">`, `importScripts`, dynamic
    /// `import` of a URL).
    RemoteScript,
    /// `importScripts` or dynamic `import` of an address computed at run time.
    DynamicScript,
    /// WebAssembly compiled or instantiated.
    WebAssembly,
    /// A native application reached (`runtime.connectNative`, `runtime.sendNativeMessage`).
    NativeMessaging,
    /// Known coin-miner code.
    CoinMiner,
}

impl SinkKind {
    /// The sink in words, for lists and signals.
    pub fn describe(self) -> &'static str {
        match self {
            SinkKind::Eval => "eval() runs a string as code",
            SinkKind::FunctionConstructor => "Function() builds code from a string",
            SinkKind::StringTimer => "a timer runs a string as code",
            SinkKind::HtmlAssignment => "HTML assigned from a non-literal value",
            SinkKind::HtmlInsertion => "HTML inserted from a non-literal value",
            SinkKind::DocumentWrite => "document.write() writes markup",
            SinkKind::InjectedCode => "code injected into a tab as a string",
            SinkKind::RemoteScript => "a script loaded from the network",
            SinkKind::DynamicScript => "a script loaded from a computed address",
            SinkKind::WebAssembly => "WebAssembly compiled or instantiated",
            SinkKind::NativeMessaging => "a native application is contacted",
            SinkKind::CoinMiner => "coin-miner code",
        }
    }

    /// The rule name used for the sink's signal.
    pub fn rule(self) -> &'static str {
        match self {
            SinkKind::Eval => "sink-eval",
            SinkKind::FunctionConstructor => "sink-function-constructor",
            SinkKind::StringTimer => "sink-string-timer",
            SinkKind::HtmlAssignment => "sink-html-assignment",
            SinkKind::HtmlInsertion => "sink-html-insertion",
            SinkKind::DocumentWrite => "sink-document-write",
            SinkKind::InjectedCode => "sink-injected-code",
            SinkKind::RemoteScript => "sink-remote-script",
            SinkKind::DynamicScript => "sink-dynamic-script",
            SinkKind::WebAssembly => "sink-webassembly",
            SinkKind::NativeMessaging => "sink-native-messaging",
            SinkKind::CoinMiner => "sink-coin-miner",
        }
    }
}

/// A dangerous sink in the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Sink {
    /// What it is.
    pub kind: SinkKind,
    /// The code at the sink, on one line, at most 120 characters.
    pub code: String,
    /// Where.
    pub at: Location,
}

/// An extension API the code calls, as `namespace.member` (`tabs.query`), with where it is
/// first called and how often.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ApiUse {
    /// `namespace.member`, or a namespace alone when only that is named.
    pub api: String,
    /// How many places name it.
    pub count: u32,
    /// The first place, in path order.
    pub first: Location,
}

/// How a permission stands against the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PermissionStatus {
    /// Declared and its APIs are called.
    Used,
    /// Declared but none of its APIs is called (as far as the code can be read).
    Unused,
    /// Its APIs are called but it is not declared at all.
    Undeclared,
    /// Its APIs are called and it is only an optional permission (asked for at run time).
    OnlyOptional,
    /// Declared; it has no API of its own to look for (`activeTab`, `unlimitedStorage`, …).
    NotCheckable,
}

/// One permission against the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PermissionUse {
    /// The permission's name.
    pub permission: String,
    /// How it stands.
    pub status: PermissionStatus,
    /// Where its APIs are called (first places, at most 5).
    pub used_at: Vec<Location>,
    /// How many places call its APIs.
    pub uses: u32,
}

/// A host the code contacts, against the host permissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct HostAccess {
    /// The host.
    pub host: String,
    /// The host permission or content-script pattern that covers it, if any.
    pub covered_by: Option<String>,
    /// The first place the code names it.
    pub first: Location,
}

/// Obfuscation indicators of one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FileMeasure {
    /// The file.
    pub path: String,
    /// Its size in bytes.
    #[ts(type = "number")]
    pub bytes: u64,
    /// Its lines.
    pub lines: u32,
    /// Its longest line, in bytes.
    pub longest_line: u32,
    /// Whether it reads as minified (long lines, little whitespace).
    pub minified: bool,
    /// String literals of 64 characters or more with at least 5 bits of entropy per character
    /// (random-looking data or encoded code).
    pub high_entropy_strings: u32,
    /// The highest entropy of such a string, in bits per character.
    pub max_entropy: f32,
    /// String literals written mostly as `\x` or `\u` escapes.
    pub escape_heavy_strings: u32,
    /// Signatures of known packers and obfuscators found in the file.
    pub packers: Vec<String>,
    /// The file's indicators in words, most telling first; empty when nothing stands out.
    pub indicators: Vec<String>,
}

/// What a library file is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum LibraryState {
    /// Byte for byte the upstream file.
    Unmodified,
    /// The upstream file apart from whitespace and comments.
    SameCode,
    /// A modified copy of the upstream file: see [`LibraryFile::upstream_diff`].
    Modified,
}

/// A file of the version identified as (a copy of) a file of an npm package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LibraryFile {
    /// The file in the version.
    pub path: String,
    /// The npm package.
    pub package: String,
    /// Its version.
    pub version: String,
    /// The file inside the package.
    pub upstream_path: String,
    /// How the file stands against upstream.
    pub state: LibraryState,
    /// For a modified copy: a unified diff against the upstream file (upstream first), at most
    /// [`libraries::MAX_DIFF_LINES`] lines.
    pub upstream_diff: Vec<String>,
    /// Lines added against upstream (for a modified copy).
    pub added: u32,
    /// Lines removed against upstream (for a modified copy).
    pub removed: u32,
}

/// A file not analysed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SkippedFile {
    /// The file.
    pub path: String,
    /// Why, in words.
    pub reason: String,
}

/// Everything the analyses found in one version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Capabilities {
    /// [`ANALYSIS_VERSION`] of the analysis that produced this.
    pub analysis_version: u32,
    /// Network endpoints, in path order.
    pub endpoints: Vec<Endpoint>,
    /// Dangerous sinks, in path order.
    pub sinks: Vec<Sink>,
    /// Extension APIs called.
    pub apis: Vec<ApiUse>,
    /// Permissions against the code (declared ones, then undeclared ones used).
    pub permissions: Vec<PermissionUse>,
    /// Hosts the code contacts against the host permissions.
    pub hosts: Vec<HostAccess>,
    /// Obfuscation indicators of the files that have any, and of every minified file.
    pub obfuscation: Vec<FileMeasure>,
    /// Files identified as npm package files.
    pub libraries: Vec<LibraryFile>,
    /// The local risk weight.
    pub risk: Risk,
    /// Bytes of code analysed (JavaScript, HTML, CSS), for the size-of-change factor.
    #[ts(type = "number")]
    pub code_bytes: u64,
    /// Files of code that were read token by token because the parser refused them.
    pub token_read: Vec<SkippedFile>,
    /// Files not analysed.
    pub skipped: Vec<SkippedFile>,
    /// Facts inside unmodified library files, not listed (the library is listed instead).
    pub facts_in_libraries: u32,
    /// The sinks inside unmodified library files: not listed, but a later version whose copy
    /// of the library was modified does not show them as new.
    pub library_sinks: Vec<Sink>,
    /// The endpoints inside unmodified library files, kept for the same reason.
    pub library_endpoints: Vec<Endpoint>,
    /// Whether a list reached [`MAX_FACTS`] and was cut.
    pub truncated: bool,
}

/// One file handed to [`analyze_version`].
#[derive(Debug, Clone, Copy)]
pub struct InputFile<'a> {
    /// Its path in the package.
    pub path: &'a str,
    /// Its bytes.
    pub bytes: &'a [u8],
}

/// What kind of file the analyses read a path as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Js,
    Html,
    Css,
    Json,
}

/// Whether [`analyze_version`] reads file `path` (scripts, pages, stylesheets, data files);
/// other files need not be handed to it.
pub fn is_analyzed(path: &str) -> bool {
    lang_of(path).is_some()
}

fn lang_of(path: &str) -> Option<Lang> {
    let lower = path.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map(|(_, e)| e)?;
    match ext {
        "js" | "mjs" | "cjs" | "jsm" | "jsx" | "ts" => Some(Lang::Js),
        "html" | "htm" | "xhtml" => Some(Lang::Html),
        "css" => Some(Lang::Css),
        // Locale catalogues hold words, not addresses the add-on contacts.
        "json" if lower != "manifest.json" && !lower.starts_with("_locales/") => Some(Lang::Json),
        _ => None,
    }
}

/// Facts of one file before the version-wide steps.
#[derive(Debug, Default)]
struct FileFacts {
    endpoints: Vec<Endpoint>,
    sinks: Vec<Sink>,
    /// (api, location) per place an extension API is named.
    apis: Vec<(String, Location)>,
    /// Literal strings `"blocking"` seen (webRequestBlocking's use).
    says_blocking: Option<Location>,
    /// Set when the parser refused the file and the lexer read it.
    token_read: Option<String>,
}

/// Analyses one version: `manifest` (when it parsed) and its `files`, identifying library files
/// with `libraries`.
pub fn analyze_version<'a>(
    manifest: Option<&Manifest>,
    files: impl IntoIterator<Item = InputFile<'a>>,
    libraries: &LibraryIndex,
) -> Capabilities {
    let mut facts = Vec::new();
    let mut obfuscation = Vec::new();
    let mut library_files = Vec::new();
    let mut skipped = Vec::new();
    let mut token_read = Vec::new();
    let mut code_bytes = 0u64;
    let mut facts_in_libraries = 0u32;
    let mut library_sinks = Vec::new();
    let mut library_endpoints = Vec::new();
    let mut files: Vec<InputFile<'a>> = files.into_iter().collect();
    files.sort_by(|a, b| a.path.cmp(b.path));
    for file in files {
        let Some(lang) = lang_of(file.path) else {
            continue;
        };
        if file.bytes.len() > MAX_ANALYZED_FILE {
            skipped.push(SkippedFile {
                path: file.path.to_owned(),
                reason: format!(
                    "{} bytes, over the analysis limit of {MAX_ANALYZED_FILE}",
                    file.bytes.len()
                ),
            });
            continue;
        }
        let text = String::from_utf8_lossy(file.bytes);
        if lang != Lang::Json {
            code_bytes += file.bytes.len() as u64;
        }
        let library = (lang == Lang::Js)
            .then(|| libraries.identify(file.path, file.bytes, &text))
            .flatten();
        let mut found = match lang {
            Lang::Js => js::analyze(file.path, &text),
            Lang::Html => html::analyze(file.path, &text),
            Lang::Css => endpoints::in_stylesheet(file.path, &text),
            Lang::Json => endpoints::in_text(file.path, &text, EndpointVia::Data),
        };
        match &library {
            // An unmodified library's facts are the library's: listed as one line instead.
            Some(lib) if lib.state != LibraryState::Modified => {
                facts_in_libraries += (found.endpoints.len() + found.sinks.len()) as u32;
                library_endpoints.append(&mut found.endpoints);
                library_sinks.append(&mut found.sinks);
            }
            _ => {
                if lang == Lang::Js {
                    let measure = obfuscation::measure(file.path, &text);
                    if measure.minified || !measure.indicators.is_empty() {
                        obfuscation.push(measure);
                    }
                }
            }
        }
        if let Some(reason) = found.token_read.take() {
            token_read.push(SkippedFile {
                path: file.path.to_owned(),
                reason,
            });
        }
        if let Some(lib) = library {
            library_files.push(lib);
        }
        facts.push(found);
    }

    let mut endpoints = Vec::new();
    let mut sinks = Vec::new();
    let mut api_places = Vec::new();
    let mut says_blocking = None;
    for f in facts {
        endpoints.extend(f.endpoints);
        sinks.extend(f.sinks);
        api_places.extend(f.apis);
        says_blocking = says_blocking.or(f.says_blocking);
    }
    if let Some(m) = manifest {
        endpoints.extend(endpoints::in_manifest(m));
        if m.permissions.iter().any(|p| p == "nativeMessaging") {
            sinks.push(Sink {
                kind: SinkKind::NativeMessaging,
                code: "\"permissions\": [\"nativeMessaging\"]".into(),
                at: Location {
                    path: "manifest.json".into(),
                    line: 1,
                    column: 1,
                },
            });
        }
    }
    let truncated = endpoints.len() > MAX_FACTS || sinks.len() > MAX_FACTS;
    endpoints.truncate(MAX_FACTS);
    sinks.truncate(MAX_FACTS);

    let apis = permissions::api_uses(&api_places);
    let permissions = permissions::against_code(manifest, &api_places, says_blocking.as_ref());
    let hosts = permissions::host_access(manifest, &endpoints);
    // AMO counts `.js` files only (its linter's list of unknown minified files).
    let unknown_minified = obfuscation
        .iter()
        .filter(|m| m.minified && m.path.to_ascii_lowercase().ends_with(".js"))
        .count() as u32;
    let risk = risk::weigh(manifest, &sinks, unknown_minified);
    Capabilities {
        analysis_version: ANALYSIS_VERSION,
        endpoints,
        sinks,
        apis,
        permissions,
        hosts,
        obfuscation,
        libraries: library_files,
        risk,
        code_bytes,
        token_read,
        skipped,
        facts_in_libraries,
        library_sinks: cap(library_sinks),
        library_endpoints: cap(library_endpoints),
        truncated,
    }
}

fn cap<T>(mut v: Vec<T>) -> Vec<T> {
    v.truncate(MAX_FACTS);
    v
}

/// How a set of facts changed: what the newer version has that the older has not, and the
/// reverse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Change<T> {
    /// In the newer version only.
    pub added: Vec<T>,
    /// In the older version only.
    pub removed: Vec<T>,
}

impl<T> Change<T> {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

/// A permission whose standing changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PermissionChange {
    /// The permission.
    pub permission: String,
    /// Its standing in the older version (`None`: not there).
    pub old: Option<PermissionStatus>,
    /// Its standing in the newer version (`None`: not there).
    pub new: Option<PermissionStatus>,
    /// Where the newer version calls its APIs.
    pub used_at: Vec<Location>,
}

/// What changed in capability between two versions: the facts a reviewer reads first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CapabilityDelta {
    /// Hosts (and computed addresses) contacted: one endpoint per new or gone host and way of
    /// reaching it.
    pub endpoints: Change<Endpoint>,
    /// Sinks new in the newer version or gone from it (compared by kind, file and code, so a
    /// sink that only moved is not listed).
    pub sinks: Change<Sink>,
    /// Extension APIs newly called or no longer called.
    pub apis: Change<ApiUse>,
    /// Permissions whose standing changed.
    pub permissions: Vec<PermissionChange>,
    /// Hosts newly contacted without a covering host permission.
    pub uncovered_hosts: Vec<HostAccess>,
    /// Files newly showing obfuscation indicators (or showing more of them).
    pub obfuscation: Vec<FileMeasure>,
    /// Library files new in the newer version (modified copies first) or gone.
    pub libraries: Change<LibraryFile>,
    /// The risk weight of both versions, factor by factor (the newer one counting the size of
    /// the code change).
    pub old_risk: Risk,
    /// See [`CapabilityDelta::old_risk`].
    pub new_risk: Risk,
    /// The factors of both weights side by side ([`Risk::compare`]), the newer version's first.
    pub risk_factors: Vec<FactorPair>,
    /// The newer version's full capabilities.
    pub new: Capabilities,
}

impl CapabilityDelta {
    /// Compares the capabilities of an older and a newer version.
    pub fn between(old: &Capabilities, new: &Capabilities) -> CapabilityDelta {
        let endpoint_key = |e: &Endpoint| {
            (
                e.host.clone().unwrap_or_default(),
                e.host.is_none().then(|| e.at.path.clone()),
                e.via,
            )
        };
        // A fact inside a library copy counts as there on both sides, listed or not: a copy
        // that became modified does not make the library's own sinks new.
        let endpoints = change_by(
            &joined(&old.endpoints, &old.library_endpoints),
            &joined(&new.endpoints, &new.library_endpoints),
            endpoint_key,
            false,
        );
        let endpoints = Change {
            added: only_listed(endpoints.added, &new.endpoints),
            removed: only_listed(endpoints.removed, &old.endpoints),
        };
        let sink_key = |s: &Sink| (s.kind, s.at.path.clone(), s.code.clone());
        let sinks = change_by(
            &joined(&old.sinks, &old.library_sinks),
            &joined(&new.sinks, &new.library_sinks),
            sink_key,
            true,
        );
        let sinks = Change {
            added: only_listed(sinks.added, &new.sinks),
            removed: only_listed(sinks.removed, &old.sinks),
        };
        let apis = change_by(&old.apis, &new.apis, |a: &ApiUse| a.api.clone(), false);

        let old_perm: BTreeMap<&str, &PermissionUse> = old
            .permissions
            .iter()
            .map(|p| (p.permission.as_str(), p))
            .collect();
        let new_perm: BTreeMap<&str, &PermissionUse> = new
            .permissions
            .iter()
            .map(|p| (p.permission.as_str(), p))
            .collect();
        let mut names: Vec<&str> = old_perm.keys().chain(new_perm.keys()).copied().collect();
        names.sort_unstable();
        names.dedup();
        let permissions = names
            .into_iter()
            .filter_map(|name| {
                let o = old_perm.get(name).map(|p| p.status);
                let n = new_perm.get(name).map(|p| p.status);
                (o != n).then(|| PermissionChange {
                    permission: name.to_owned(),
                    old: o,
                    new: n,
                    used_at: new_perm
                        .get(name)
                        .map(|p| p.used_at.clone())
                        .unwrap_or_default(),
                })
            })
            .collect();

        let old_uncovered: std::collections::HashSet<&str> = old
            .hosts
            .iter()
            .filter(|h| h.covered_by.is_none())
            .map(|h| h.host.as_str())
            .collect();
        let uncovered_hosts = new
            .hosts
            .iter()
            .filter(|h| h.covered_by.is_none() && !old_uncovered.contains(h.host.as_str()))
            .cloned()
            .collect();

        let old_measures: BTreeMap<&str, &FileMeasure> = old
            .obfuscation
            .iter()
            .map(|m| (m.path.as_str(), m))
            .collect();
        let obfuscation = new
            .obfuscation
            .iter()
            .filter(|m| {
                !m.indicators.is_empty()
                    && old_measures
                        .get(m.path.as_str())
                        .is_none_or(|o| m.indicators.len() > o.indicators.len())
            })
            .cloned()
            .collect();

        let lib_key = |l: &LibraryFile| {
            (
                l.path.clone(),
                l.package.clone(),
                l.version.clone(),
                l.state.clone(),
                l.upstream_diff.clone(),
            )
        };
        let mut libraries = change_by(&old.libraries, &new.libraries, lib_key, false);
        libraries
            .added
            .sort_by_key(|l| (l.state != LibraryState::Modified, l.path.clone()));

        let old_risk = old.risk.clone();
        let new_risk = risk::with_change_size(&new.risk, old.code_bytes.abs_diff(new.code_bytes));
        CapabilityDelta {
            endpoints,
            sinks,
            apis,
            permissions,
            uncovered_hosts,
            obfuscation,
            libraries,
            risk_factors: Risk::compare(&old_risk, &new_risk),
            old_risk,
            new_risk,
            new: new.clone(),
        }
    }

    /// Whether nothing a reviewer reads first changed.
    pub fn is_empty(&self) -> bool {
        self.endpoints.is_empty()
            && self.sinks.is_empty()
            && self.apis.is_empty()
            && self.permissions.is_empty()
            && self.uncovered_hosts.is_empty()
            && self.obfuscation.is_empty()
            && self.libraries.is_empty()
    }
}

/// The listed facts and those inside library copies, as one list.
fn joined<T: Clone>(listed: &[T], in_libraries: &[T]) -> Vec<T> {
    listed.iter().chain(in_libraries).cloned().collect()
}

/// The facts of `changed` that are among `listed` (not inside an unmodified library).
fn only_listed<T: PartialEq>(changed: Vec<T>, listed: &[T]) -> Vec<T> {
    changed.into_iter().filter(|c| listed.contains(c)).collect()
}

/// The facts of `new` whose key `old` lacks and the reverse. With `counted`, keys are compared
/// as multisets (a second `eval` in a file where there was one is new); without, the first
/// fact of each new key stands for it.
fn change_by<T: Clone, K: Ord>(
    old: &[T],
    new: &[T],
    key: impl Fn(&T) -> K,
    counted: bool,
) -> Change<T> {
    let count = |items: &[T]| {
        let mut m: BTreeMap<K, usize> = BTreeMap::new();
        for i in items {
            *m.entry(key(i)).or_default() += 1;
        }
        m
    };
    let (old_count, new_count) = (count(old), count(new));
    let pick = |items: &[T], theirs: &BTreeMap<K, usize>| {
        let mut seen: BTreeMap<K, usize> = BTreeMap::new();
        items
            .iter()
            .filter(|i| {
                let k = key(i);
                let other = theirs.get(&k).copied().unwrap_or(0);
                let n = seen.entry(k).or_default();
                *n += 1;
                if counted {
                    // Keep the occurrences beyond the other side's count.
                    *n > other
                } else {
                    other == 0 && *n == 1
                }
            })
            .cloned()
            .collect()
    };
    Change {
        added: pick(new, &old_count),
        removed: pick(old, &new_count),
    }
}

/// The 1-based line and character column of byte `offset` in `text`, given the byte offsets
/// where its lines start.
fn position(line_starts: &[usize], text: &str, offset: usize) -> (u32, u32) {
    let offset = offset.min(text.len());
    let line = line_starts.partition_point(|&s| s <= offset).max(1);
    let start = line_starts[line - 1];
    let mut column_end = offset;
    while !text.is_char_boundary(column_end) {
        column_end -= 1;
    }
    let column = text[start..column_end].chars().count() + 1;
    (line as u32, column as u32)
}

/// The byte offsets where the lines of `text` start.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// `code` on one line, at most `max` characters (an ellipsis marks a cut).
fn one_line(code: &str, max: usize) -> String {
    let mut out = String::new();
    let mut last_space = false;
    for c in code.chars() {
        let c = if c.is_whitespace() { ' ' } else { c };
        if c == ' ' && last_space {
            continue;
        }
        last_space = c == ' ';
        if out.chars().count() >= max {
            out.push('…');
            return out;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests;
