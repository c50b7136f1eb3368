//! The extension-pages bundle: one wasm module shared by the background (service worker in
//! Chromium, event page in Firefox) and the extension's pages (popup, options, the DevTools panel, the side panel). Each surface is
//! a thin shell over `jwi-core`, talking to the browser only through `jwi-browser`.
//!
//! Built for wasm32 by `build.sh`; natively, `cargo test --workspace` compiles it too.

pub mod api_console;
pub mod background;
mod check_text;
pub mod options;
pub mod panel;
pub mod popup;
mod shared;
pub mod sidepanel;
pub mod welcome;

use jwi_core::settings::FieldError;

/// A settings problem in the reader's language: its locale message when it has a key, else the
/// core's English sentence (see `FieldError::key`).
pub fn field_error_text(e: &FieldError) -> Option<String> {
    let key = e.key.as_deref()?;
    let args: Vec<&str> = e.args.iter().map(String::as_str).collect();
    jwi_browser::i18n::message(key, &args)
}
