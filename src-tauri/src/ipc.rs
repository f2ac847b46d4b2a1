//! What the window may call, as src-tauri/build.rs found it in the `#[tauri::command]`
//! functions: the only place a command is declared. The build script also writes the invoke
//! handler `run` installs, the `app-commands` permission set the window's capability grants, and
//! the TypeScript wrappers (`ui/src/bindings/commands.ts`); the tests here fail when a copy
//! outside the build drifts from them.

include!(concat!(env!("OUT_DIR"), "/commands.rs"));

/// The TypeScript wrappers of [`COMMANDS`], as build.rs wrote them.
pub const COMMANDS_TS: &str = include_str!(concat!(env!("OUT_DIR"), "/commands.ts"));

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    /// The committed wrappers, next to the ts-rs bindings they import.
    fn committed_path() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/bindings/commands.ts")
    }

    fn source(relative: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// Writes the wrappers where ts-rs writes the bindings (so `cargo test export_bindings`
    /// refreshes them all). Through a rename, so the test below never reads half a file.
    #[test]
    fn export_bindings_commands_ts() {
        let dir = std::env::var_os("TS_RS_EXPORT_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| committed_path().parent().unwrap().to_owned());
        std::fs::create_dir_all(&dir).unwrap();
        let partial = dir.join(format!(".commands.ts.{}", std::process::id()));
        std::fs::write(&partial, COMMANDS_TS).unwrap();
        std::fs::rename(&partial, dir.join("commands.ts")).unwrap();
    }

    #[test]
    fn the_committed_wrappers_are_the_generated_ones() {
        let committed = std::fs::read_to_string(committed_path()).unwrap_or_default();
        assert!(
            committed == COMMANDS_TS,
            "ui/src/bindings/commands.ts is not what build.rs generates from the commands: run \
             `cargo test --workspace --lib export_bindings` and commit it"
        );
    }

    #[test]
    fn every_command_has_a_wrapper_a_handler_and_a_permission() {
        let handler = include_str!(concat!(env!("OUT_DIR"), "/invoke_handler.rs"));
        let set = include_str!(concat!(env!("OUT_DIR"), "/permissions/app-commands.toml"));
        assert!(
            COMMANDS.len() >= 40,
            "only {} commands found",
            COMMANDS.len()
        );
        for name in COMMANDS {
            assert!(
                COMMANDS_TS.contains(&format!(">(\"{name}\"")),
                "no wrapper invokes {name}"
            );
            assert!(
                handler.contains(&format!("::{name},")),
                "{name} not handled"
            );
            let allow = format!("\"allow-{}\"", name.replace('_', "-"));
            assert!(
                set.contains(&allow),
                "{allow} missing from the app-commands set"
            );
        }
        assert_eq!(COMMANDS_TS.matches("invoke<").count(), COMMANDS.len());
        // The set grants the commands and nothing else: one quoted entry per command.
        let list = &set[set.find("permissions = [").expect("a permission list")..];
        assert_eq!(list.matches('"').count(), 2 * COMMANDS.len(), "{set}");
    }

    #[test]
    fn the_capability_grants_the_generated_set_and_no_command_by_hand() {
        let capability: serde_json::Value =
            serde_json::from_str(&source("src-tauri/capabilities/main-window.json")).unwrap();
        let granted: Vec<&str> = capability["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        assert!(granted.contains(&"app-commands"), "{granted:?}");
        // An app permission is one without a plugin prefix; a hand-listed one would drift.
        let by_hand: Vec<&&str> = granted
            .iter()
            .filter(|p| !p.contains(':') && **p != "app-commands")
            .collect();
        assert!(by_hand.is_empty(), "listed by hand: {by_hand:?}");
    }

    #[test]
    fn ipc_ts_calls_no_command_itself() {
        let ipc = source("ui/src/ipc.ts");
        assert!(
            ipc.contains("from \"./bindings/commands\""),
            "ipc.ts must re-export the generated wrappers"
        );
        for word in ["invoke", "Channel"] {
            assert!(
                !ipc.contains(word),
                "ipc.ts uses {word}: commands are called only through the generated wrappers"
            );
        }
    }
}
