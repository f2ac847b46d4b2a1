//! Runs tauri-build: embeds the config, and turns the app's command list into the `allow-*`
//! permissions that `src-tauri/capabilities/` grants, so no command is callable unless listed.

/// Every command the UI may invoke; a command missing here cannot be granted or called.
const COMMANDS: &[&str] = &[
    "app_info",
    "cached_addons",
    "import_xpi",
    "open_review",
    "view_file",
    "file_rows",
    "expand_gap",
    "find_in_file",
    "set_viewed",
    "image_data_url",
    "server_status",
    "login",
    "logout",
    "launch_login",
    "local_queues",
    "queue_entries",
    "sync_now",
    "decision_target",
    "decide",
    "decide_locally",
    "open_review_page",
    "outbox_entries",
    "push_outbox",
    "search_cache",
    "addon_links",
    "version_notes",
    "add_line_note",
    "delete_line_note",
    "default_report_dir",
    "export_report",
    "reveal_line",
    "rule_files",
    "add_rule_text",
    "add_rule_path",
    "remove_rule",
    "set_rule_enabled",
    "scan_open_review",
    "review_summary",
    "notes_summary",
    "fetch_from_amo",
];

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attributes).expect("tauri-build failed");
}
