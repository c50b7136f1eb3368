//! SPA title/URL tracking: decides when a single-page app has landed on a new page and what
//! to report through `jivo_api.sendPageTitle(title, true, url)`.
//!
//! Single-page apps change the URL and the title without a page load. The browser shell
//! watches the top frame (`pushState`/`replaceState`, `popstate`, `hashchange`, Navigation API
//! events, the `<title>` element and `document.title`) and feeds each event to a
//! [`SpaTracker`] as an [`Observation`] carrying `location.href` or `document.title` as read
//! right after it. The tracker answers with a [`Step`]: at most one [`PageReport`] to send now,
//! and when to call [`SpaTracker::tick`] next. It has no browser types and no timers of its own.
//!
//! # The rules
//!
//! - **One report per navigation, with its final title and URL.** A change of the URL or the
//!   title opens a settle window of `settle_ms` (default 500). Once both the URL and the title
//!   differ (title set before or after the URL change, in the same task or later), the report
//!   waits for [`QUIET_MS`] (8 ms) with no further URL or title change, each change starting
//!   the wait again; so a router's transient title (the outgoing page re-titling itself for the
//!   new query, the new route setting its real title 2 ms later) gives one report, of the real
//!   title. If the window closes first, it is reported with whatever changed. The window is not
//!   extended: several URL changes inside it (a redirect chain, a router's push then replace)
//!   give one report of the final state. An ordinary navigation is reported [`QUIET_MS`] after
//!   its final state, within one 16 ms frame even with a browser timer's lateness.
//! - **Only visible changes count**, measured against what the widget knows (the page it saw
//!   at load or the last report): a `replaceState` that keeps the URL, the same URL pushed
//!   again, a title that flickers back within the window give nothing.
//! - **Hash changes** follow [`HashMode`]: with `Routes` only `#/…` and `#!/…` are pages, so
//!   `/a` → `/a#section` is the same page while `/a#/x` → `/a#section` leaves the route and is
//!   a navigation (see [`UrlParts::page_key`]). Query changes always count.
//! - **Title-only changes** on the same page are reported when the window closes, if
//!   `title_only` is on (a title arriving long after its URL gives a second report).
//! - **Rate limit**: at most [`REPORT_BURST`] reports back to back, then one per
//!   `report_interval_ms` (`spa.reportIntervalMs`, default [`REPORT_INTERVAL_MS`], 0 for no
//!   limit); a report held back is replaced by newer ones and goes out as soon as the limit
//!   allows, so the last report is always the latest state.
//! - **Every navigation is accounted for.** A navigation is an observation that changes
//!   `location.href`. Each one is either carried by a report or comes out exactly once in
//!   [`Step::unreported`] with an [`UnreportedReason`] (disabled, before load, destroyed, same
//!   page, already known, superseded, rate limited), so the shell can log it.
//! - **Lifecycle**: before the widget loads and after `jivo_destroy()` nothing is reported;
//!   on load the shell passes what the widget saw, and the page is reported only if it differs.
//!   With `enabled: false` nothing is ever reported.
//!
//! # Example
//!
//! ```
//! use jwi_core::spa::{Observation, PageState, SpaConfig, SpaTracker, UrlCause};
//!
//! let start = PageState::new("https://shop.example/", "Shop");
//! let mut spa = SpaTracker::new(SpaConfig::default(), start.clone());
//! // jivo_onLoadCallback: the widget saw the start page.
//! let step = spa.widget_loaded(20, start);
//! assert_eq!(step.report, None);
//!
//! // The router pushes a URL: wait (at most 500 ms) for the title.
//! let step = spa.observe(1_000, Observation::url("https://shop.example/cart", UrlCause::Push));
//! assert_eq!(step.report, None);
//! assert_eq!(step.wake_at, Some(1_500)); // arm the one timer, then call `tick`
//!
//! // The title follows 40 ms later: both changed, so the report goes out once nothing more
//! // changes for QUIET_MS.
//! let step = spa.observe(1_040, Observation::title("Cart"));
//! assert_eq!(step.report, None);
//! assert_eq!(step.wake_at, Some(1_048));
//! let step = spa.tick(1_048);
//! let report = step.report.expect("a report");
//! assert_eq!((report.title.as_str(), report.url.as_str()), ("Cart", "https://shop.example/cart"));
//! assert_eq!(step.wake_at, None); // clear the timer
//! assert!(step.unreported.is_empty()); // every navigation seen went into the report
//! ```

mod config;
mod limiter;
mod tracker;
mod url;

#[cfg(test)]
mod conformance;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod testkit;

pub use config::{HashMode, SpaConfig};
pub use limiter::{REPORT_BURST, REPORT_INTERVAL_MS};
pub use tracker::{
    Millis, Observation, PageReport, PageState, ReportReason, SpaTracker, Step, Unreported,
    UnreportedReason, UrlCause,
};

/// How long a navigation whose URL and title have both changed must stay unchanged before it
/// is reported (ms): long enough for a router's transient title (the outgoing page re-titling
/// itself, the new route setting its real title about 2 ms later), short enough that the
/// report still lands within one 16 ms frame with a browser timer's usual lateness.
pub const QUIET_MS: Millis = 8;
pub use url::{same_page, Fragment, PageKey, UrlParts};
