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

/// Why a navigation the tracker saw was not reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum UnreportedReason {
    /// `spa.enabled` is off.
    Disabled,
    /// The widget had not loaded yet. When it loads, the page it did not see is reported then.
    BeforeLoad,
    /// The widget was destroyed (`jivo_destroy()`), before or while this waited.
    Destroyed,
    /// Not another page under `spa.hash` (an in-page anchor), and no title change with it.
    SamePage,
    /// Back on the page the widget already has (it saw it at load, or it was the last report):
    /// a push then back, a held report returning to the page last sent.
    AlreadyKnown,
    /// A later URL change in the same settle window took its place: the report carries the
    /// final URL (a redirect chain, a router's push then replace).
    Superseded,
    /// Decided, but held back by the rate limit (`spa.reportIntervalMs`) and replaced by a
    /// newer navigation before it could go out.
    RateLimited,
}

impl UnreportedReason {
    /// The reason in words, for the log.
    pub fn describe(self) -> &'static str {
        match self {
            UnreportedReason::Disabled => "SPA tracking is off (spa.enabled)",
            UnreportedReason::BeforeLoad => "the widget had not loaded yet",
            UnreportedReason::Destroyed => "the widget was destroyed (jivo_destroy)",
            UnreportedReason::SamePage => "the same page under spa.hash, title unchanged",
            UnreportedReason::AlreadyKnown => "the widget already has this page",
            UnreportedReason::Superseded => {
                "a later URL change in the same settle window replaced it"
            }
            UnreportedReason::RateLimited => {
                "held by the rate limit (spa.reportIntervalMs) and replaced by a newer navigation"
            }
        }
    }
}

/// A navigation (an observation that changed `location.href`) that will not be reported, for
/// the event log: every navigation the tracker sees is either carried by a [`PageReport`] or
/// comes out once as one of these.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unreported {
    /// `location.href` after it.
    pub url: String,
    /// `document.title` when it was seen.
    pub title: String,
    /// The event that revealed it.
    pub cause: UrlCause,
    /// When it was seen.
    pub at: Millis,
    /// Why it is not reported.
    pub reason: UnreportedReason,
}

/// A URL change waiting for its fate.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    url: String,
    title: String,
    cause: UrlCause,
    at: Millis,
}

impl Seen {
    fn unreported(self, reason: UnreportedReason) -> Unreported {
        Unreported {
            url: self.url,
            title: self.title,
            cause: self.cause,
            at: self.at,
            reason,
        }
    }
}

/// The most URL changes kept waiting in one settle window; beyond it the oldest is given up
/// as superseded at once (a page calling `replaceState` in a loop).
const MAX_PENDING: usize = 256;

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
    /// Navigations settled by this call that will not be reported, in the order seen: log each
    /// with its reason. (The ones a report carries are not repeated here.)
    pub unreported: Vec<Unreported>,
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
    /// The URL changes of the open window, not yet decided.
    pending: Vec<Seen>,
    /// The URL change `held` carries, if any.
    held_nav: Option<Seen>,
}

/// The widget's lifecycle as far as reporting goes.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Widget {
    /// Not loaded yet: only the latest page state is kept.
    NotLoaded,
    /// `jivo_destroy()` was called: nothing is reported until it loads again.
    Destroyed,
    /// Loaded (`jivo_onLoadCallback`): reporting.
    Loaded(Box<Session>),
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
    /// Navigations settled during the current call that will not be reported.
    unreported: Vec<Unreported>,
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
            unreported: Vec::new(),
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
            Window::Settling { opened_at, .. } => {
                let deadline = self.deadline(*opened_at);
                Some(match self.quiet_until(session) {
                    Some(quiet) => quiet.min(deadline),
                    None => deadline,
                })
            }
        };
        let ready = session
            .held
            .as_ref()
            .map(|_| self.limiter.ready_at(self.interval()));
        match (deadline, ready) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The shell saw a URL or title event at `now`. When both the URL and the title have
    /// changed, the report follows once nothing has changed for [`QUIET_MS`](super::QUIET_MS).
    pub fn observe(&mut self, now: Millis, observation: Observation) -> Step {
        let now = self.clock(now);
        // A window whose time ran out before this event closes with the state it had.
        self.check_window(now);
        let title_before = self.page.title.clone();
        let changed = match observation {
            Observation::Url { url, cause } => {
                let changed = url != self.page.url;
                if changed {
                    self.seen(Seen {
                        url: url.clone(),
                        title: self.page.title.clone(),
                        cause,
                        at: now,
                    });
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
        // What a previous load left waiting is settled against the new one.
        let pending = match std::mem::replace(&mut self.widget, Widget::NotLoaded) {
            Widget::Loaded(old) => old.held_nav.into_iter().chain(old.pending).collect(),
            _ => Vec::new(),
        };
        self.widget = Widget::Loaded(Box::new(Session {
            known: seen.clone(),
            sent: seen,
            window: Window::Idle,
            held: None,
            pending,
            held_nav: None,
        }));
        self.resync(now);
        self.finish(now)
    }

    /// The widget was destroyed (`jivo_destroy()`): nothing is reported until it loads again.
    /// A report held by the rate limit is dropped; the returned step clears the timer.
    pub fn widget_destroyed(&mut self) -> Step {
        if let Widget::Loaded(session) = &mut self.widget {
            session.give_up(UnreportedReason::Destroyed, &mut self.unreported);
        }
        self.widget = Widget::Destroyed;
        Step {
            unreported: std::mem::take(&mut self.unreported),
            ..Step::default()
        }
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
                session.give_up(UnreportedReason::Disabled, &mut self.unreported);
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
        matches!(&self.widget, Widget::Loaded(s) if matches!(s.window, Window::Settling { .. }))
    }

    /// Moves the clock to `now`, never back.
    fn clock(&mut self, now: Millis) -> Millis {
        self.now = self.now.max(now);
        self.now
    }

    /// The report rate limit's interval in force.
    fn interval(&self) -> Millis {
        Millis::from(self.config.report_interval_ms)
    }

    /// A URL change: into the open (or opening) window, or settled at once when it cannot be
    /// reported.
    fn seen(&mut self, seen: Seen) {
        let reason = if !self.config.enabled {
            UnreportedReason::Disabled
        } else {
            match &mut self.widget {
                Widget::NotLoaded => UnreportedReason::BeforeLoad,
                Widget::Destroyed => UnreportedReason::Destroyed,
                Widget::Loaded(session) => {
                    if session.pending.len() >= MAX_PENDING {
                        let oldest = session.pending.remove(0);
                        self.unreported
                            .push(oldest.unreported(UnreportedReason::Superseded));
                    }
                    session.pending.push(seen);
                    return;
                }
            }
        };
        self.unreported.push(seen.unreported(reason));
    }

    /// When the report of a window whose URL and title both changed may go out: once nothing
    /// has changed for [`QUIET_MS`](super::QUIET_MS). `None` while they do not both differ.
    fn quiet_until(&self, session: &Session) -> Option<Millis> {
        let Window::Settling { title_at_open, .. } = &session.window else {
            return None;
        };
        let page_changed = !same_page(&self.page.url, &session.known.url, self.config.hash);
        let both_changed = page_changed && self.page.title != *title_at_open;
        both_changed.then(|| {
            self.last_change_at
                .unwrap_or(self.now)
                .saturating_add(super::QUIET_MS)
        })
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
                session.settle_pending(&self.page, &mut self.unreported);
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
            session.settle_pending(&self.page, &mut self.unreported);
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
            _ => close(
                session,
                &self.page,
                &self.config,
                self.last_url_cause,
                &mut self.unreported,
            ),
        }
    }

    /// Decides the open window if it can be: both URL and title changed and nothing more for
    /// [`QUIET_MS`](super::QUIET_MS) (report that), or its time is up (report whatever changed).
    fn check_window(&mut self, now: Millis) {
        if !self.config.enabled {
            return;
        }
        let settle = Millis::from(self.config.settle_ms);
        let Widget::Loaded(session) = &self.widget else {
            return;
        };
        let Window::Settling { opened_at, .. } = &session.window else {
            return;
        };
        let due = now >= opened_at.saturating_add(settle);
        let quiet = self.quiet_until(session).is_some_and(|at| now >= at);
        let Widget::Loaded(session) = &mut self.widget else {
            return;
        };
        if quiet {
            let reason = ReportReason::Navigation {
                cause: self.last_url_cause,
            };
            session.decide(&self.page, reason, &mut self.unreported);
        } else if due {
            close(
                session,
                &self.page,
                &self.config,
                self.last_url_cause,
                &mut self.unreported,
            );
        }
    }

    /// Sends the held report if the rate limit allows, and says when to call back.
    fn finish(&mut self, now: Millis) -> Step {
        let report = self.flush(now);
        Step {
            report,
            wake_at: self.wake_at(),
            unreported: std::mem::take(&mut self.unreported),
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
            if let Some(nav) = session.held_nav.take() {
                self.unreported
                    .push(nav.unreported(UnreportedReason::AlreadyKnown));
            }
            return None;
        }
        let interval = Millis::from(self.config.report_interval_ms);
        if !self.limiter.try_acquire(now, interval) {
            session.held = Some(report);
            return None;
        }
        session.held_nav = None;
        session.sent = PageState::new(report.url.clone(), report.title.clone());
        Some(report)
    }
}

impl Session {
    /// Decides to report `page`: the widget will know it, and the window is done. The latest
    /// URL change to `page.url` rides with the report; the window's others were superseded, and
    /// a held report this one replaces was rate limited.
    fn decide(&mut self, page: &PageState, reason: ReportReason, out: &mut Vec<Unreported>) {
        self.known = page.clone();
        self.window = Window::Idle;
        if let Some(nav) = self.held_nav.take() {
            out.push(nav.unreported(UnreportedReason::RateLimited));
        }
        let carried = self.pending.iter().rposition(|s| s.url == page.url);
        for (i, nav) in std::mem::take(&mut self.pending).into_iter().enumerate() {
            if Some(i) == carried {
                self.held_nav = Some(nav);
            } else {
                out.push(nav.unreported(UnreportedReason::Superseded));
            }
        }
        self.held = Some(PageReport {
            title: page.title.clone(),
            url: page.url.clone(),
            reason,
        });
    }

    /// The window closed with nothing to report: each URL change it saw is settled.
    fn settle_pending(&mut self, page: &PageState, out: &mut Vec<Unreported>) {
        for nav in std::mem::take(&mut self.pending) {
            let reason = if nav.url != page.url {
                UnreportedReason::Superseded
            } else if nav.url == self.known.url {
                UnreportedReason::AlreadyKnown
            } else {
                UnreportedReason::SamePage
            };
            out.push(nav.unreported(reason));
        }
    }

    /// Everything waiting will not go out, for `reason`.
    fn give_up(&mut self, reason: UnreportedReason, out: &mut Vec<Unreported>) {
        let navs = self
            .held_nav
            .take()
            .into_iter()
            .chain(self.pending.drain(..));
        out.extend(navs.map(|nav| nav.unreported(reason)));
    }
}

/// Closes the window with whatever changed: a new page is reported with the title it has
/// now; a new title on the same page only when `title_only` is on.
fn close(
    session: &mut Session,
    page: &PageState,
    config: &SpaConfig,
    cause: Option<UrlCause>,
    out: &mut Vec<Unreported>,
) {
    session.window = Window::Idle;
    if !same_page(&page.url, &session.known.url, config.hash) {
        session.decide(page, ReportReason::Navigation { cause }, out);
    } else if config.title_only && page.title != session.known.title {
        session.decide(page, ReportReason::TitleOnly, out);
    } else {
        session.settle_pending(page, out);
    }
}

/// Whether `page` visibly differs from `known`: another page, or another title.
fn differs(page: &PageState, known: &PageState, config: &SpaConfig) -> bool {
    page.title != known.title || !same_page(&page.url, &known.url, config.hash)
}

/// `config` with `settle_ms` and `report_interval_ms` capped at their maximums.
fn capped(mut config: SpaConfig) -> SpaConfig {
    config.settle_ms = config.settle_ms.min(SpaConfig::MAX_SETTLE_MS);
    config.report_interval_ms = config
        .report_interval_ms
        .min(SpaConfig::MAX_REPORT_INTERVAL_MS);
    config
}
