//! The one browser layer of Jivo Widget Injector: every surface (content script, background,
//! popup, options) reaches the browser through this crate and nothing else.
//!
//! - [`ext`]: the WebExtension APIs (`runtime` ports, `storage`, `tabs`, `scripting`, `action`)
//!   through the `browser` namespace, plus JSON ⇄ JS conversion;
//! - [`dom`]: small DOM helpers for extension pages (text only, never HTML);
//! - [`bindings`]: `i18n`, `permissions`, `Blob`/`File`, object URLs and `<dialog>`.

pub mod bindings;
pub mod dom;
pub mod ext;
pub mod i18n;
pub mod storage;
pub mod timers;
