//! Jivo Widget Injector: a Chrome and Firefox extension that puts a JivoChat widget on any page
//! and makes everything the widget does visible and drivable from the extension.
//!
//! The crate is a functional core with thin browser shells:
//!
//! - the core modules ([`api`], [`checks`], [`protocol`], [`settings`], [`site_rule`], [`spa`],
//!   [`sandbox`], [`event_log`]) are plain Rust with no browser types and are tested natively by
//!   `cargo test`;
//! - `shell` (only with the `content` or `pages` feature, built for wasm32) turns browser events
//!   into core inputs and core outputs into browser calls.
//!
//! See `docs/architecture.md` for how the contexts fit together.

pub mod api;
pub mod checks;
pub mod event_log;
pub mod jivochat;
pub mod page_gate;
pub mod protocol;
pub mod sandbox;
pub mod settings;
pub mod site_rule;
pub mod spa;

#[cfg(feature = "browser")]
pub mod shell;
