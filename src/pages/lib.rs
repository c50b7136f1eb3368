//! The extension-pages bundle: one wasm module shared by the background (service worker in
//! Chromium, event page in Firefox) and the extension's pages (popup, options). Each surface is
//! a thin shell over `jwi-core`, talking to the browser only through `jwi-browser`.
//!
//! Built for wasm32 by `build.sh`; natively, `cargo test --workspace` compiles it too.

pub mod background;
pub mod options;
pub mod popup;
