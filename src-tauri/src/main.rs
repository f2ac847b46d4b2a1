//! The Vetter desktop app's entry point; everything lives in the library so tests can reach it.

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    prefer_cpu_compositing();
    vetter_app::run();
}

/// WebKitGTK composites through OpenGL by default. Where that GL is a software renderer (VMs,
/// remote desktops, no GPU) every frame costs ~80 ms; without compositing, WebKit paints this
/// text-only UI on the CPU in ~7 ms a frame (docs/design.md has the figures). So Vetter turns it
/// off unless the user has chosen: `WEBKIT_DISABLE_COMPOSITING_MODE` set either way, or
/// `VETTER_GPU_COMPOSITING=1` to keep WebKit's default.
fn prefer_cpu_compositing() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none()
        && std::env::var_os("VETTER_GPU_COMPOSITING").is_none()
    {
        // SAFETY: the first statement of `main`, before any other thread exists, so nothing
        // can read the environment concurrently.
        unsafe { std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1") };
    }
}
