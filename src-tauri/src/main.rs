//! The Vetter desktop app's entry point; everything lives in the library so tests can reach it.

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    vetter_app::run();
}
