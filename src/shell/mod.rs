//! The browser side: thin shells that turn browser events into core inputs and core outputs
//! into browser calls. Built only for wasm32 with the `content` or `pages` feature.

pub mod ext;

#[cfg(feature = "content")]
pub mod content;

#[cfg(feature = "pages")]
pub mod background;
#[cfg(feature = "pages")]
pub mod dom;
#[cfg(feature = "pages")]
pub mod options;
#[cfg(feature = "pages")]
pub mod popup;
