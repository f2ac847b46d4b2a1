//! Runs tauri-build, and makes everything that names the app's commands from the one place they
//! are declared: the `#[tauri::command]` functions under `src-tauri/src`.
//!
//! From those functions it writes, into `OUT_DIR`:
//! - `invoke_handler.rs`: the `generate_handler!` call `lib.rs` includes;
//! - `commands.rs`: `COMMANDS`, the list of command names, for the app's tests;
//! - `permissions/app-commands.toml`: the `app-commands` permission set (every command's
//!   `allow-*` permission), which the window's capability grants;
//! - `commands.ts`: the typed TypeScript wrappers, copied to `ui/src/bindings/commands.ts` by
//!   `cargo test --workspace --lib export_bindings` (next to the ts-rs bindings it imports).
//!
//! So a command is written once: adding a function adds its handler, its permission and its
//! wrapper; no list has to be edited by hand.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use syn::{Attribute, FnArg, GenericArgument, Item, Pat, PathArguments, ReturnType, Type};

/// Where the command functions live, relative to the package root.
const SOURCE_DIR: &str = "src-tauri/src";

/// The permission set the capability grants: every command.
const COMMAND_SET: &str = "app-commands";

/// Commands with more value arguments than this take them as one object in TypeScript, so a
/// call names each field instead of passing a long row of positional values.
const MAX_POSITIONAL: usize = 5;

/// Argument types Tauri fills in itself; the window never passes them.
const INJECTED: &[&str] = &["AppHandle", "State", "Window", "WebviewWindow", "Webview"];

/// Words TypeScript does not allow as a parameter name; such an argument gets a `_` suffix in
/// the wrapper's signature (its IPC key stays the Rust name).
const RESERVED: &[&str] = &[
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "import",
    "in",
    "instanceof",
    "new",
    "null",
    "return",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "let",
    "static",
    "yield",
    "await",
];

/// One `#[tauri::command]` function.
struct Command {
    /// Its Rust module path below the crate root, e.g. `["commands", "flow"]`.
    module: Vec<String>,
    /// The function's name, which is also the IPC command name.
    name: String,
    /// Its doc comment, line by line.
    docs: Vec<String>,
    /// The arguments the window passes, in order.
    args: Vec<Arg>,
    /// What the returned promise resolves to, as TypeScript.
    returns: String,
}

/// One argument of a command, as the window passes it.
struct Arg {
    /// The Rust name.
    name: String,
    /// What it is in TypeScript.
    kind: ArgKind,
}

/// How an argument travels.
enum ArgKind {
    /// A JSON value of this TypeScript type.
    Value(String),
    /// A `Channel<T>`: the wrapper takes a callback for each message, of this TypeScript type.
    Channel(String),
}

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed={SOURCE_DIR}");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let commands = find_commands(Path::new(SOURCE_DIR));
    write(&out_dir.join("invoke_handler.rs"), &handler_rs(&commands));
    write(&out_dir.join("commands.rs"), &names_rs(&commands));
    write(&out_dir.join("commands.ts"), &commands_ts(&commands));
    let permissions = out_dir.join("permissions");
    std::fs::create_dir_all(&permissions).expect("cannot create the permissions folder");
    write(
        &permissions.join(format!("{COMMAND_SET}.toml")),
        &command_set_toml(&commands),
    );

    // tauri-build wants 'static strings; a build script runs once, so leaking them is free.
    let names: Vec<&'static str> = commands
        .iter()
        .map(|c| &*Box::leak(c.name.clone().into_boxed_str()))
        .collect();
    let pattern: &'static str =
        Box::leak(format!("{}/*.toml", permissions.display()).into_boxed_str());
    let names: &'static [&'static str] = Box::leak(names.into_boxed_slice());
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("src-tauri/capabilities/**/*")
        .app_manifest(
            tauri_build::AppManifest::new()
                .commands(names)
                .permissions_path_pattern(pattern),
        );
    tauri_build::try_build(attributes).expect("tauri-build failed");
}

/// Writes `text` to `path` unless it is there already, so an unchanged file keeps its time.
fn write(path: &Path, text: &str) {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return;
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// Every command under `dir`, ordered by file then by position in the file.
fn find_commands(dir: &Path) -> Vec<Command> {
    let mut files = Vec::new();
    rust_files(dir, &mut files);
    files.sort();
    let mut commands = Vec::new();
    for file in files {
        let relative = file.strip_prefix(dir).expect("found under dir");
        // main.rs is the binary, a crate of its own with no commands.
        if relative == Path::new("main.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let parsed = syn::parse_file(&text)
            .unwrap_or_else(|e| panic!("cannot parse {}: {e}", file.display()));
        collect(&parsed.items, module_of(relative), &file, &mut commands);
    }
    let mut seen = std::collections::BTreeSet::new();
    for c in &commands {
        assert!(seen.insert(&c.name), "two commands are named {}", c.name);
    }
    commands
}

/// Every `.rs` file below `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module a file is, from its path below `src`: `lib.rs` is the root, `a/mod.rs` and `a.rs`
/// are `a`, `a/b.rs` is `a::b`.
fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// Collects the commands among `items`, going into inline modules other than tests.
fn collect(items: &[Item], module: Vec<String>, file: &Path, out: &mut Vec<Command>) {
    for item in items {
        match item {
            Item::Fn(f) if f.attrs.iter().any(is_command_attr) => {
                out.push(command(f, module.clone(), file));
            }
            Item::Mod(m) if !m.attrs.iter().any(is_cfg_test) => {
                if let Some((_, inner)) = &m.content {
                    let mut path = module.clone();
                    path.push(m.ident.to_string());
                    collect(inner, path, file, out);
                }
            }
            _ => {}
        }
    }
}

/// Whether `attr` is `#[tauri::command]`.
fn is_command_attr(attr: &Attribute) -> bool {
    let segments: Vec<String> = attr
        .path()
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    segments == ["tauri", "command"]
}

/// Whether `attr` is `#[cfg(test)]`: commands are never declared in tests.
fn is_cfg_test(attr: &Attribute) -> bool {
    attr.path().is_ident("cfg")
        && attr
            .parse_args::<syn::Ident>()
            .is_ok_and(|ident| ident == "test")
}

/// A command as the window sees it; stops the build on a shape the wrappers cannot express.
fn command(f: &syn::ItemFn, module: Vec<String>, file: &Path) -> Command {
    let name = f.sig.ident.to_string();
    let place = || format!("command {name} in {}", file.display());
    assert!(
        matches!(f.vis, syn::Visibility::Public(_)),
        "{} must be pub for the invoke handler to reach it",
        place()
    );
    let mut args = Vec::new();
    for input in &f.sig.inputs {
        let FnArg::Typed(typed) = input else {
            panic!("{} takes self; commands are free functions", place());
        };
        let Pat::Ident(ident) = &*typed.pat else {
            panic!("{} has an argument that is not a plain name", place());
        };
        let arg = ident.ident.to_string();
        let kind = match last_segment(&typed.ty) {
            Some((ty, _)) if INJECTED.contains(&ty.as_str()) => continue,
            Some((ty, Some(inner))) if ty == "Channel" => {
                ArgKind::Channel(ts_type(inner, &place, &arg))
            }
            _ => ArgKind::Value(ts_type(&typed.ty, &place, &arg)),
        };
        args.push(Arg { name: arg, kind });
    }
    let returns = match &f.sig.output {
        ReturnType::Default => "null".to_owned(),
        ReturnType::Type(_, ty) => match last_segment(ty) {
            // The error half is the UiError every command rejects with; see ipc.ts's toUiError.
            Some((name, Some(ok))) if name == "Result" => ts_type(ok, &place, "its result"),
            _ => ts_type(ty, &place, "its result"),
        },
    };
    Command {
        module,
        name,
        docs: docs(&f.attrs),
        args,
        returns,
    }
}

/// The last segment of a path type and its first generic type argument, if any.
fn last_segment(ty: &Type) -> Option<(String, Option<&Type>)> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    let inner = match &last.arguments {
        PathArguments::AngleBracketed(args) => args.args.iter().find_map(|a| match a {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    };
    Some((last.ident.to_string(), inner))
}

/// The TypeScript type of a Rust type as serde writes it to JSON. Types not listed here are the
/// app's own, exported by ts-rs under their Rust name. Anything else stops the build: better
/// than a wrapper that lies about its type.
fn ts_type(ty: &Type, place: &dyn Fn() -> String, what: &str) -> String {
    match ty {
        Type::Reference(r) => ts_type(&r.elem, place, what),
        Type::Tuple(t) if t.elems.is_empty() => "null".to_owned(),
        Type::Slice(s) => format!("{}[]", element(&s.elem, place, what)),
        _ => match last_segment(ty) {
            Some((name, inner)) => match (name.as_str(), inner) {
                ("String" | "str" | "PathBuf" | "char", None) => "string".to_owned(),
                ("bool", None) => "boolean".to_owned(),
                (
                    "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize"
                    | "f32" | "f64",
                    None,
                ) => "number".to_owned(),
                ("Option", Some(inner)) => format!("{} | null", ts_type(inner, place, what)),
                ("Vec", Some(inner)) => format!("{}[]", element(inner, place, what)),
                (name, None) if name.starts_with(|c: char| c.is_ascii_uppercase()) => {
                    name.to_owned()
                }
                _ => panic!("{}: cannot write the type of {what} in TypeScript", place()),
            },
            None => panic!("{}: cannot write the type of {what} in TypeScript", place()),
        },
    }
}

/// An array's element type, parenthesised when it is a union.
fn element(ty: &Type, place: &dyn Fn() -> String, what: &str) -> String {
    let inner = ts_type(ty, place, what);
    if inner.contains('|') {
        format!("({inner})")
    } else {
        inner
    }
}

/// The `///` lines of an item, without the one leading space rustdoc drops too.
fn docs(attrs: &[Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .map(|line| line.strip_prefix(' ').unwrap_or(&line).to_owned())
        .collect()
}

/// The `generate_handler!` call with every command's path.
fn handler_rs(commands: &[Command]) -> String {
    let mut out = String::from(
        "// Generated by src-tauri/build.rs from the #[tauri::command] functions; do not edit.\n\
         tauri::generate_handler![\n",
    );
    for c in commands {
        let mut path = vec!["crate".to_owned()];
        path.extend(c.module.iter().cloned());
        path.push(c.name.clone());
        writeln!(out, "    {},", path.join("::")).expect("writing to a String");
    }
    out.push_str("]\n");
    out
}

/// `COMMANDS` as Rust source.
fn names_rs(commands: &[Command]) -> String {
    let mut out = String::from(
        "/// Every command the window may invoke, in declaration order (generated by \
         src-tauri/build.rs from the `#[tauri::command]` functions).\n\
         pub const COMMANDS: &[&str] = &[\n",
    );
    for c in commands {
        writeln!(out, "    {:?},", c.name).expect("writing to a String");
    }
    out.push_str("];\n");
    out
}

/// The permission tauri-build makes for a command.
fn allow(command: &str) -> String {
    format!("allow-{}", command.replace('_', "-"))
}

/// The `app-commands` permission set: every command's `allow-*` permission.
fn command_set_toml(commands: &[Command]) -> String {
    let list: Vec<String> = commands
        .iter()
        .map(|c| format!("  {:?},", allow(&c.name)))
        .collect();
    format!(
        "# Generated by src-tauri/build.rs from the #[tauri::command] functions; do not edit.\n\n\
         [[set]]\n\
         identifier = {COMMAND_SET:?}\n\
         description = \"Every command of the app: one per #[tauri::command] function.\"\n\
         permissions = [\n{}\n]\n",
        list.join("\n")
    )
}

/// `snake_case` → `camelCase`.
fn camel(name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for ch in name.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

/// The wrapper's parameter name of an argument.
fn param(name: &str) -> String {
    let camel = camel(name);
    if RESERVED.contains(&camel.as_str()) {
        format!("{camel}_")
    } else {
        camel
    }
}

/// Named types a TypeScript type mentions (the app's types, imported from their bindings).
fn named_types(ts: &str, out: &mut std::collections::BTreeSet<String>) {
    for word in ts.split(|c: char| !c.is_ascii_alphanumeric() && c != '_') {
        if word.starts_with(|c: char| c.is_ascii_uppercase()) {
            out.insert(word.to_owned());
        }
    }
}

/// A JSDoc comment at `indent`, or nothing when the function has no docs.
fn jsdoc(docs: &[String], indent: &str) -> String {
    match docs {
        [] => String::new(),
        [one] => format!("{indent}/** {} */\n", one.replace("*/", "*\\/")),
        lines => {
            let mut out = format!("{indent}/**\n");
            for line in lines {
                let line = line.replace("*/", "*\\/");
                if line.is_empty() {
                    writeln!(out, "{indent} *").expect("writing to a String");
                } else {
                    writeln!(out, "{indent} * {line}").expect("writing to a String");
                }
            }
            out.push_str(&format!("{indent} */\n"));
            out
        }
    }
}

/// ui/src/bindings/commands.ts: the `commands` object and one object per module.
fn commands_ts(commands: &[Command]) -> String {
    let mut types = std::collections::BTreeSet::new();
    for c in commands {
        named_types(&c.returns, &mut types);
        for a in &c.args {
            match &a.kind {
                ArgKind::Value(t) | ArgKind::Channel(t) => named_types(t, &mut types),
            }
        }
    }
    let mut out = String::from(
        "// Generated by src-tauri/build.rs from the app's #[tauri::command] functions; do not edit.\n\
         // `cargo test --workspace --lib export_bindings` writes it here; ui/src/ipc.ts re-exports it.\n\
         import { Channel, invoke } from \"@tauri-apps/api/core\";\n",
    );
    for t in &types {
        writeln!(out, "import type {{ {t} }} from \"./{t}\";").expect("writing to a String");
    }
    out.push_str(
        "\n/** A channel that hands each message the command sends to `on`. */\n\
         function channelTo<T>(on: (message: T) => void): Channel<T> {\n\
         \x20 const channel = new Channel<T>();\n\
         \x20 channel.onmessage = on;\n\
         \x20 return channel;\n\
         }\n\n\
         /** Every command of the app, by its camelCase name. */\n\
         export const commands = {\n",
    );
    for c in commands {
        out.push_str(&jsdoc(&c.docs, "  "));
        out.push_str(&wrapper(c));
    }
    out.push_str("};\n");

    // One object per module of commands besides `commands` itself, for callers that use one area.
    let mut groups: Vec<(&str, Vec<&Command>)> = Vec::new();
    for c in commands {
        let Some(last) = c.module.last() else {
            continue;
        };
        if c.module.len() < 2 {
            continue;
        }
        match groups.iter_mut().find(|(m, _)| *m == last.as_str()) {
            Some((_, list)) => list.push(c),
            None => groups.push((last, vec![c])),
        }
    }
    for (module, list) in groups {
        writeln!(
            out,
            "\n/** The commands of the `{}` module. */\nexport const {}Commands = {{",
            list[0].module.join("::"),
            camel(module)
        )
        .expect("writing to a String");
        for c in list {
            let name = camel(&c.name);
            writeln!(out, "  {name}: commands.{name},").expect("writing to a String");
        }
        out.push_str("};\n");
    }
    out
}

/// One entry of the `commands` object: `name: (params): Promise<T> => invoke<T>(…),`.
fn wrapper(c: &Command) -> String {
    let values: Vec<&Arg> = c
        .args
        .iter()
        .filter(|a| matches!(a.kind, ArgKind::Value(_)))
        .collect();
    let as_object = values.len() > MAX_POSITIONAL;
    let mut params = Vec::new();
    let mut payload = Vec::new();
    if as_object {
        let fields: Vec<String> = values
            .iter()
            .map(|a| match &a.kind {
                ArgKind::Value(t) => format!("{}: {t}", camel(&a.name)),
                ArgKind::Channel(_) => unreachable!("only values"),
            })
            .collect();
        params.push(format!("args: {{ {} }}", fields.join("; ")));
    }
    for a in &c.args {
        let key = camel(&a.name);
        let name = param(&a.name);
        match &a.kind {
            ArgKind::Value(_) if as_object => payload.push(format!("{key}: args.{key}")),
            ArgKind::Value(t) => {
                params.push(format!("{name}: {t}"));
                payload.push(if key == name {
                    key
                } else {
                    format!("{key}: {name}")
                });
            }
            ArgKind::Channel(t) => {
                params.push(format!("{name}: (message: {t}) => void = () => {{}}"));
                payload.push(format!("{key}: channelTo({name})"));
            }
        }
    }
    let payload = if payload.is_empty() {
        String::new()
    } else {
        format!(", {{ {} }}", payload.join(", "))
    };
    format!(
        "  {}: ({}): Promise<{ret}> =>\n    invoke<{ret}>({:?}{payload}),\n",
        camel(&c.name),
        params.join(", "),
        c.name,
        ret = c.returns,
    )
}
