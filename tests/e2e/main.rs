//! End-to-end tests: the real Vetter app in a real WebKitGTK window under Xvfb, driven through
//! tauri-driver and WebKitWebDriver with the W3C WebDriver protocol.
//!
//! Each test starts its own display, driver and app with a fresh data folder, so tests share no
//! state; they run one at a time because two WebKit windows would halve a 2-core CI machine.

mod amo;
mod amo_decide;
mod audit;
mod demo;
mod flow;
mod frame;
mod harness;
mod perf;
mod review;
mod window;
mod year;
