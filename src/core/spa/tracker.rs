//! The clocked state machine: observations and ticks in, at most one report and the next
//! wake-up time out per call.

use serde::{Deserialize, Serialize};

use super::config::SpaConfig;
use super::limiter::RateLimiter;
use super::url::same_page;

/// A point in time in whole milliseconds on one monotonic clock (the shell uses
/// `performance.now()`, floored). A time earlier than one already seen is treated as that
/// time, so a clock that steps back cannot confuse the tracker.
pub type Millis = u64;

/// What the document shows: `location.href` and `document.title`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PageState {
    /// `location.href`.
    pub url: String,
    /// `document.title`.
    pub title: String,
}

impl PageState {
    /// A page state from its URL and title.
    pub fn new(url: impl Into<String>, title: impl Into<String>) -> Self {
        PageState {
            url: url.into(),
            title: title.into(),
        }
    }
}

/// Which browser event revealed a URL. Kept for the event log and the tests; the tracker
/// decides on what visibly changed, not on the cause.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UrlCause {
    /// `history.pushState` (by the page or its router).
    Push,
    /// `history.replaceState`.
    Replace,
    /// `popstate`: back or forward.
    Pop,
    /// `hashchange`.
    Hash,
    /// A Navigation API `navigate`/`navigatesuccess` event.
    Navigate,
}

impl UrlCause {
    /// The name used in the event log: `push`, `replace`, `pop`, `hash` or `navigate`.
    pub fn name(self) -> &'static str {
        match self {
            UrlCause::Push => "push",
            UrlCause::Replace => "replace",
            UrlCause::Pop => "pop",
            UrlCause::Hash => "hash",
            UrlCause::Navigate => "navigate",
        }
    }
}

/// One thing the shell saw in the top frame, with the value it read right after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Observation {
    /// The URL may have changed: `location.href` after the event.
    Url {
        /// `location.href` after the event.
        url: String,
        /// The event that revealed it.
        cause: UrlCause,
    },
    /// The title may have changed (`<title>` replaced or edited, `document.title` assigned):
    /// `document.title` after the change.
    Title {
        /// `document.title` after the change.
        title: String,
    },
}

impl Observation {
    /// A URL observation.
    pub fn url(url: impl Into<String>, cause: UrlCause) -> Self {
        Observation::Url {
            url: url.into(),
            cause,
        }
    }

    /// A title observation.
    pub fn title(title: impl Into<String>) -> Self {
        Observation::Title {
            title: title.into(),
        }
    }

    /// The event kind for the log: `push`, `replace`, `pop`, `hash`, `navigate` or `title`.
    pub fn kind(&self) -> &'static str {
        match self {
            Observation::Url { cause, .. } => cause.name(),
            Observation::Title { .. } => "title",
        }
    }
}

/// Why a report goes out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "camelCase")]
pub enum ReportReason {
    /// The page (URL, under the hash mode) differs from the one the widget knows.
    Navigation {
        /// The event behind the latest URL change, when one was seen.
        cause: Option<UrlCause>,
    },
    /// Only the title differs (reported because `title_only` is on).
    TitleOnly,
}

/// A call the shell must make: `jivo_api.sendPageTitle(title, true, url)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageReport {
    /// The title to send.
    pub title: String,
    /// The URL to send (`location.href`, fragment included).
    pub url: String,
    /// Why it is sent, for the event log.
    pub reason: ReportReason,
}

impl PageReport {
    /// Whether this report says exactly `state`.
    fn says(&self, state: &PageState) -> bool {
        self.title == state.title && self.url == state.url
    }
}

/// What the shell must do after a call.
///
/// `report`: call `sendPageTitle` now. `wake_at`: the one timer the shell keeps; every `Step`
/// replaces the previous timer (arm it for `wake_at`, or clear it when `None`), and when it
/// fires the shell calls [`SpaTracker::tick`].
#[must_use = "a Step carries the report to send and the timer to arm"]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Step {
    /// A report to send now, at most one per call.
    pub report: Option<PageReport>,
    /// When to call [`SpaTracker::tick`] next; always later than the call's `now`.
    pub wake_at: Option<Millis>,
}

/// The settle window: a change of URL or title opens it, and it waits for the other one.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Window {
    /// Nothing is waiting.
    Idle,
    /// A change relative to the widget's view is waiting for its partner until
    /// `opened_at + settle_ms`.
    Settling {
        /// When the first change of the window happened.
        opened_at: Millis,
        /// The title when the window opened: the title "changed" in this window when it differs.
        title_at_open: String,
    },
}

/// A loaded widget and what it knows.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Session {
    /// The page the widget has been told about, or will be once `held` goes out: the widget
    /// saw this at load, or it is the last decided report. Changes are measured against it.
    known: PageState,
    /// The last report actually sent (or the page seen at load): a report equal to it is
    /// never sent.
    sent: PageState,
    /// The settle window.
    window: Window,
    /// A decided report waiting for the rate limit; a newer decision replaces it.
    held: Option<PageReport>,
}

/// The widget's lifecycle as far as reporting goes.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Widget {
    /// Not loaded yet: only the latest page state is kept.
    NotLoaded,
    /// `jivo_destroy()` was called: nothing is reported until it loads again.
    Destroyed,
    /// Loaded (`jivo_onLoadCallback`): reporting.
    Loaded(Session),
}

/// The SPA tracker: fed URL and title observations of the top frame, it decides when the
/// visitor has landed on a new page and what to report through `sendPageTitle`.
///
/// Pure and clocked: every call takes the current time, and the tracker asks for a later
/// call through [`Step::wake_at`]. See the [module documentation](super) for the rules.
#[derive(Clone, Debug)]
pub struct SpaTracker {
    /// The configuration in force (`settle_ms` already capped).
    config: SpaConfig,
    /// What the document shows now.
    page: PageState,
    /// The cause of the latest URL change.
    last_url_cause: Option<UrlCause>,
    /// When the page state last changed at all.
    last_change_at: Option<Millis>,
    /// The latest time seen (the clock never steps back).
    now: Millis,
    /// The widget's lifecycle.
    widget: Widget,
    /// The report rate limit, shared by every load of the widget on this document.
    limiter: RateLimiter,
}

impl SpaTracker {
    /// A tracker for a document that starts at `initial` (URL and title at document start).
    /// The widget is not loaded yet: nothing is reported before [`SpaTracker::widget_loaded`].
    pub fn new(config: SpaConfig, initial: PageState) -> Self {
        SpaTracker {
            config: capped(config),
            page: initial,
            last_url_cause: None,
            last_change_at: None,
            now: 0,
            widget: Widget::NotLoaded,
            limiter: RateLimiter::default(),
        }
    }

    /// The configuration in force (`settle_ms` capped at [`SpaConfig::MAX_SETTLE_MS`]).
    pub fn config(&self) -> &SpaConfig {
        &self.config
    }

    /// What the document shows now, as far as the observations said.
    pub fn page(&self) -> &PageState {
        &self.page
    }

    /// Whether the widget is loaded (reports can go out when enabled).
    pub fn widget_is_loaded(&self) -> bool {
        matches!(self.widget, Widget::Loaded(_))
    }

    /// When the tracker next wants [`SpaTracker::tick`], as in the last [`Step`].
    pub fn wake_at(&self) -> Option<Millis> {
        let Widget::Loaded(session) = &self.widget else {
            return None;
        };
        if !self.config.enabled {
            return None;
        }
        let deadline = match &session.window {
            Window::Idle => None,
            Window::Settling { opened_at, .. } => Some(self.deadline(*opened_at)),
        };
        let ready = session.held.as_ref().map(|_| self.limiter.ready_at());
        match (deadline, ready) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The shell saw a URL or title event at `now`. When this completes a navigation (both the
    /// URL and the title changed) the report is in the returned step, with no delay.
    pub fn observe(&mut self, now: Millis, observation: Observation) -> Step {
        let now = self.clock(now);
        // A window whose time ran out before this event closes with the state it had.
        self.check_window(now);
        let title_before = self.page.title.clone();
        let changed = match observation {
            Observation::Url { url, cause } => {
                let changed = url != self.page.url;
                if changed {
                    self.page.url = url;
                    self.last_url_cause = Some(cause);
                }
                changed
            }
            Observation::Title { title } => {
                let changed = title != self.page.title;
                if changed {
                    self.page.title = title;
                }
                changed
            }
        };
        if changed {
            self.last_change_at = Some(now);
            self.on_change(now, title_before);
        }
        self.finish(now)
    }

    /// The time asked for by [`Step::wake_at`] has come (calling it early or late is harmless:
    /// whatever is due at `now` happens).
    pub fn tick(&mut self, now: Millis) -> Step {
        let now = self.clock(now);
        self.check_window(now);
        self.finish(now)
    }

    /// The widget has loaded (`jivo_onLoadCallback`) having seen `seen`, the page it was
    /// initialised on. From now on the widget is told about pages that differ from what it
    /// knows; if the page already differs from `seen`, that is reported now (or when a
    /// settle window still running from a recent change closes).
    pub fn widget_loaded(&mut self, now: Millis, seen: PageState) -> Step {
        let now = self.clock(now);
        self.widget = Widget::Loaded(Session {
            known: seen.clone(),
            sent: seen,
            window: Window::Idle,
            held: None,
        });
        self.resync(now);
        self.finish(now)
    }

    /// The widget was destroyed (`jivo_destroy()`): nothing is reported until it loads again.
    /// A report held by the rate limit is dropped; the returned step clears the timer.
    pub fn widget_destroyed(&mut self) -> Step {
        self.widget = Widget::Destroyed;
        Step::default()
    }

    /// New settings. Turning tracking off drops whatever is waiting. Otherwise an open settle
    /// window carries on with the new `settle_ms`; with no window open, the page is reported
    /// if it differs from what the widget knows under the new rules (as at load), so turning
    /// tracking on, or switching the hash mode to `All`, brings the widget up to date.
    pub fn set_config(&mut self, now: Millis, config: SpaConfig) -> Step {
        let now = self.clock(now);
        let was_enabled = self.config.enabled;
        self.config = capped(config);
        if !self.config.enabled {
            if let Widget::Loaded(session) = &mut self.widget {
                // The held report will not go out: the widget knows what was sent.
                session.window = Window::Idle;
                session.held = None;
                session.known = session.sent.clone();
            }
        } else if !was_enabled || !self.settling() {
            // Turned on, or the rules for "differs" may have changed (hash mode, title-only):
            // bring the widget up to date as at load.
            self.resync(now);
        } else {
            self.check_window(now);
        }
        self.finish(now)
    }

    /// Whether a settle window is open.
    fn settling(&self) -> bool {
        matches!(
            self.widget,
            Widget::Loaded(Session {
                window: Window::Settling { .. },
                ..
            })
        )
    }

    /// Moves the clock to `now`, never back.
    fn clock(&mut self, now: Millis) -> Millis {
        self.now = self.now.max(now);
        self.now
    }

    /// When a window opened at `opened_at` closes.
    fn deadline(&self, opened_at: Millis) -> Millis {
        opened_at.saturating_add(Millis::from(self.config.settle_ms))
    }

    /// The page state changed at `now` (`title_before` is the title just before the change).
    fn on_change(&mut self, now: Millis, title_before: String) {
        if !self.config.enabled {
            return;
        }
        let Widget::Loaded(session) = &mut self.widget else {
            return;
        };
        if session.window == Window::Idle {
            if !differs(&self.page, &session.known, &self.config) {
                return;
            }
            session.window = Window::Settling {
                opened_at: now,
                title_at_open: title_before,
            };
        }
        self.check_window(now);
    }

    /// Brings the widget up to date with the page after a load or after tracking is turned
    /// on: the window is measured from the latest change, if it is recent.
    fn resync(&mut self, now: Millis) {
        if !self.config.enabled {
            return;
        }
        let settle = Millis::from(self.config.settle_ms);
        let Widget::Loaded(session) = &mut self.widget else {
            return;
        };
        session.window = Window::Idle;
        if !differs(&self.page, &session.known, &self.config) {
            return;
        }
        match self.last_change_at {
            Some(at) if at.saturating_add(settle) > now => {
                session.window = Window::Settling {
                    opened_at: at,
                    title_at_open: session.known.title.clone(),
                };
                self.check_window(now);
            }
            _ => close(session, &self.page, &self.config, self.last_url_cause),
        }
    }

    /// Decides the open window if it can be: both URL and title changed (report now), or its
    /// time is up (report whatever changed).
    fn check_window(&mut self, now: Millis) {
        if !self.config.enabled {
            return;
        }
        let settle = Millis::from(self.config.settle_ms);
        let Widget::Loaded(session) = &mut self.widget else {
            return;
        };
        let Window::Settling {
            opened_at,
            title_at_open,
        } = &session.window
        else {
            return;
        };
        let page_changed = !same_page(&self.page.url, &session.known.url, self.config.hash);
        let both_changed = page_changed && self.page.title != *title_at_open;
        let due = now >= opened_at.saturating_add(settle);
        if both_changed {
            let reason = ReportReason::Navigation {
                cause: self.last_url_cause,
            };
            session.decide(&self.page, reason);
        } else if due {
            close(session, &self.page, &self.config, self.last_url_cause);
        }
    }

    /// Sends the held report if the rate limit allows, and says when to call back.
    fn finish(&mut self, now: Millis) -> Step {
        let report = self.flush(now);
        Step {
            report,
            wake_at: self.wake_at(),
        }
    }

    /// Takes the held report if it may go out at `now`.
    fn flush(&mut self, now: Millis) -> Option<PageReport> {
        if !self.config.enabled {
            return None;
        }
        let Widget::Loaded(session) = &mut self.widget else {
            return None;
        };
        let report = session.held.take()?;
        if report.says(&session.sent) {
            return None;
        }
        if !self.limiter.try_acquire(now) {
            session.held = Some(report);
            return None;
        }
        session.sent = PageState::new(report.url.clone(), report.title.clone());
        Some(report)
    }
}

impl Session {
    /// Decides to report `page`: the widget will know it, and the window is done.
    fn decide(&mut self, page: &PageState, reason: ReportReason) {
        self.known = page.clone();
        self.window = Window::Idle;
        self.held = Some(PageReport {
            title: page.title.clone(),
            url: page.url.clone(),
            reason,
        });
    }
}

/// Closes the window with whatever changed: a new page is reported with the title it has
/// now; a new title on the same page only when `title_only` is on.
fn close(session: &mut Session, page: &PageState, config: &SpaConfig, cause: Option<UrlCause>) {
    session.window = Window::Idle;
    if !same_page(&page.url, &session.known.url, config.hash) {
        session.decide(page, ReportReason::Navigation { cause });
    } else if config.title_only && page.title != session.known.title {
        session.decide(page, ReportReason::TitleOnly);
    }
}

/// Whether `page` visibly differs from `known`: another page, or another title.
fn differs(page: &PageState, known: &PageState, config: &SpaConfig) -> bool {
    page.title != known.title || !same_page(&page.url, &known.url, config.hash)
}

/// `config` with `settle_ms` capped at [`SpaConfig::MAX_SETTLE_MS`].
fn capped(mut config: SpaConfig) -> SpaConfig {
    config.settle_ms = config.settle_ms.min(SpaConfig::MAX_SETTLE_MS);
    config
}
