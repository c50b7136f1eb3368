//! SPA title/URL tracking: decides when a single-page app has landed on a new page and what
//! to report through `jivo_api.sendPageTitle(title, true, url)`.

mod config;
mod url;

pub use config::{HashMode, SpaConfig};
pub use url::{same_page, Fragment, PageKey, UrlParts};
