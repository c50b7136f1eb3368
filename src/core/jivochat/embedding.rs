//! Whose widget a page gets: the embedding decision, as a small event-driven state machine
//! with no browser types and no timers of its own.
//!
//! # The rule
//!
//! **The page gets its chance first.** In JivoChat mode the extension injects the configured
//! loader only when nothing of the site's own JivoChat (a loader `<script>` recognised by
//! [`site_loader`](super::site_loader), `window.jivo_api`/`jivo_init`, or a
//! `jivo_onLoadCallback`) has appeared by the window's `load` event plus a grace period
//! (`siteWidget.graceMs`, default [`DEFAULT_GRACE_MS`]). If the site's widget appears first,
//! the extension **attaches** to it and injects nothing.
//!
//! - A site loader seen **after** we injected is reported
//!   ([`EmbedNotice::SiteLoaderAfterInjection`]): the page now has two loaders, which is what
//!   the grace period exists to avoid; raise it for that site.
//! - When the site's widget ID differs from the configured one both are reported
//!   ([`EmbedNotice::WidgetIdsDiffer`]), once per site ID.
//! - With "use my widget here" on for the site (`siteWidget.useMineOn`), every site loader seen
//!   is **held back** ([`EmbedAction::HoldBack`]) and ours is injected at DOMContentLoaded
//!   without waiting for `load`. If the site's widget shows up anyway (its loader ran before
//!   it could be held back) the extension attaches to it rather than add a second widget, and
//!   says so ([`EmbedNotice::NotHeldBack`]).
//! - An attached widget has the same states as an injected one: loading until
//!   `jivo_onLoadCallback`, and the same failures (HTTP error, CSP, timeout), fed as
//!   [`EmbedEvent::SiteLoaderFailed`]. A failed widget that still loads becomes loaded.
//! - **Sandbox mode**: the sandbox is on the page from the start. A site loader seen is held
//!   back while the sandbox stands in for it (`siteWidget.sandboxStandIn`, default on); with
//!   that off the sandbox stands down and leaves the page to its own widget.
//!
//! # Why 1500 ms of grace
//!
//! Sites add JivoChat in three ways: a tag in the HTML (seen by DOMContentLoaded), a tag
//! manager or a "load scripts later" plugin that inserts it on `load` or a timer of about a
//! second after it, and lazy loaders waiting for the visitor's first interaction (which no
//! grace period can wait for). Only the `<script>` being inserted matters, not its download,
//! so 1.5 s covers the first two with room for a slow main thread, and costs pages without a
//! widget of their own 1.5 s after `load`: a tenth of the 15 s the loader itself may take.
//!
//! ```
//! use jwi_core::jivochat::{
//!     EmbedAction, EmbedConfig, EmbedEvent, Embedding, OwnWidget,
//! };
//! let config = EmbedConfig::jivochat(Some(OwnWidget::new("AbC123", "https://code.jivosite.com/widget/AbC123")), false);
//! let mut e = Embedding::new(config);
//! let _ = e.handle(EmbedEvent::DomContentLoaded);
//! assert_eq!(e.handle(EmbedEvent::WindowLoad), vec![EmbedAction::ArmGrace { ms: 1500 }]);
//! let actions = e.handle(EmbedEvent::GraceElapsed);
//! assert_eq!(actions[0], EmbedAction::Inject { url: "https://code.jivosite.com/widget/AbC123".into() });
//! ```

use serde::{Deserialize, Serialize};

use super::{LoaderFailure, SiteLoader};

/// The default `siteWidget.graceMs`: how long after `load` the page's own widget may still
/// appear before ours is injected.
pub const DEFAULT_GRACE_MS: u32 = 1_500;
/// The largest `siteWidget.graceMs` accepted.
pub const MAX_GRACE_MS: u32 = 30_000;

/// The configured widget of JivoChat mode: its ID and the loader URL to inject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnWidget {
    /// `widgetId`.
    pub widget_id: String,
    /// `loaderUrl` with `{id}` replaced.
    pub url: String,
}

impl OwnWidget {
    /// The configured widget.
    pub fn new(widget_id: impl Into<String>, url: impl Into<String>) -> Self {
        OwnWidget {
            widget_id: widget_id.into(),
            url: url.into(),
        }
    }
}

/// Which widget the extension brings, and the per-site choices about the site's own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmbedMode {
    /// The sandbox widget.
    Sandbox {
        /// `siteWidget.sandboxStandIn`: hold the site's loader back and keep the sandbox
        /// (`true`), or stand down and leave the page to its own widget (`false`).
        stand_in: bool,
    },
    /// The real JivoChat widget.
    JivoChat {
        /// The configured widget; `None` without a widget ID (injecting then fails with
        /// [`LoaderFailure::NoWidgetId`]).
        own: Option<OwnWidget>,
        /// "Use my widget here": this page matches `siteWidget.useMineOn`.
        use_mine_here: bool,
    },
}

/// What [`Embedding`] decides with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmbedConfig {
    /// The mode and its per-site choices.
    pub mode: EmbedMode,
    /// `siteWidget.graceMs`.
    pub grace_ms: u32,
}

impl EmbedConfig {
    /// JivoChat mode with the default grace period.
    pub fn jivochat(own: Option<OwnWidget>, use_mine_here: bool) -> Self {
        EmbedConfig {
            mode: EmbedMode::JivoChat { own, use_mine_here },
            grace_ms: DEFAULT_GRACE_MS,
        }
    }

    /// Sandbox mode.
    pub fn sandbox(stand_in: bool) -> Self {
        EmbedConfig {
            mode: EmbedMode::Sandbox { stand_in },
            grace_ms: DEFAULT_GRACE_MS,
        }
    }
}

/// What the shell saw on the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmbedEvent {
    /// A `<script>` that [`site_loader`](super::site_loader) recognises appeared (in the HTML
    /// or inserted later): feed every one, from document start on.
    SiteLoaderSeen(SiteLoader),
    /// `window.jivo_api` or `jivo_init` was defined by the page (not by a loader we injected).
    SiteApiSeen,
    /// `DOMContentLoaded`.
    DomContentLoaded,
    /// The window's `load` event.
    WindowLoad,
    /// The timer armed by [`EmbedAction::ArmGrace`] fired.
    GraceElapsed,
    /// The widget called `jivo_onLoadCallback` (whichever loader brought it; in sandbox mode,
    /// the sandbox did).
    WidgetLoaded,
    /// Sandbox mode: the page had no handler when the sandbox called `jivo_onLoadCallback`.
    LoadUnheard,
    /// The loader we injected failed (its `error` event with the HTTP status, a CSP violation,
    /// or `loaderTimeoutMs` passed without `jivo_onLoadCallback`).
    OurLoaderFailed(LoaderFailure),
    /// The site's loader we attached to failed, detected the same ways.
    SiteLoaderFailed(LoaderFailure),
}

/// How far the widget in use has got.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum WidgetState {
    /// Its loader is loading; no `jivo_onLoadCallback` yet.
    Loading,
    /// `jivo_onLoadCallback` was called.
    Loaded,
    /// Its loader failed, for this reason (the last thing known: a late load still counts).
    Failed {
        /// Why, as the popup shows it.
        reason: String,
    },
}

/// Where the embedding stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// JivoChat mode, before `load`: the page's chance to bring its own widget.
    WaitingForPage,
    /// `load` fired; the grace timer runs.
    Grace,
    /// Our loader was injected.
    Injected(WidgetState),
    /// Attached to the site's own widget.
    Attached(WidgetState),
    /// Sandbox mode, the sandbox on the page.
    Sandbox,
    /// Sandbox mode, stood down for the site's own widget.
    StoodDown,
}

/// Something the log and the popup should say, beyond the status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "notice", rename_all = "camelCase")]
pub enum EmbedNotice {
    /// The site's loader appeared after we injected ours: the page has two loaders.
    #[serde(rename_all = "camelCase")]
    SiteLoaderAfterInjection {
        /// The site's loader.
        site: SiteLoader,
        /// How long after `load` we waited (`siteWidget.graceMs`).
        grace_ms: u32,
    },
    /// The site's widget ID is not the configured one.
    #[serde(rename_all = "camelCase")]
    WidgetIdsDiffer {
        /// The site's.
        site_id: String,
        /// The configured `widgetId`.
        configured_id: String,
    },
    /// "Use my widget here" is on, but the site's widget appeared before its loader could be
    /// held back: the extension attached to it instead of adding a second widget.
    NotHeldBack,
}

impl EmbedNotice {
    /// The notice as a log entry: a second loader after ours is an error (the page now runs
    /// two), the others are status entries.
    pub fn to_event(&self) -> crate::event_log::Event {
        use crate::event_log::Event;
        let text = self.to_string();
        match self {
            EmbedNotice::SiteLoaderAfterInjection { .. } => Event::Error { message: text },
            _ => Event::status(text),
        }
    }
}

impl core::fmt::Display for EmbedNotice {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            EmbedNotice::SiteLoaderAfterInjection { site, grace_ms } => write!(
                f,
                "the site's own JivoChat loader ({}) appeared after the configured widget was \
                 injected ({grace_ms} ms after load): the page now has two loaders; raise \
                 siteWidget.graceMs for this site",
                site.url
            ),
            EmbedNotice::WidgetIdsDiffer {
                site_id,
                configured_id,
            } => write!(
                f,
                "the site's widget ID {site_id} differs from the configured widget ID {configured_id}"
            ),
            EmbedNotice::NotHeldBack => f.write_str(
                "\"use my widget here\" is on, but the site's widget appeared before its loader \
                 could be held back: attached to it instead of adding a second widget",
            ),
        }
    }
}

impl EmbedAction {
    /// What the log says about this action, if anything (statuses and timers are logged
    /// elsewhere or not at all).
    pub fn log_event(&self) -> Option<crate::event_log::Event> {
        use crate::event_log::Event;
        let text = match self {
            EmbedAction::Inject { url } => format!("injecting the configured loader {url}"),
            EmbedAction::Attach { site: Some(site) } => format!(
                "attached to the site's own widget{} (loader {})",
                site.widget_id
                    .as_deref()
                    .map(|id| format!(" {id}"))
                    .unwrap_or_default(),
                site.url
            ),
            EmbedAction::Attach { site: None } => {
                "attached to the site's own widget (its jivo_api appeared)".to_owned()
            }
            EmbedAction::HoldBack { site } => format!(
                "held back the site's own JivoChat loader {} (use my widget here)",
                site.url
            ),
            EmbedAction::StandDown => "the sandbox stood down for the site's own widget".to_owned(),
            EmbedAction::FireLoad => {
                "jivo_onLoadCallback called again for the held-back loader: the page had no handler when the sandbox loaded".to_owned()
            }
            EmbedAction::Notice(notice) => return Some(notice.to_event()),
            EmbedAction::ArmGrace { .. } | EmbedAction::Status { .. } => return None,
        };
        Some(Event::status(text))
    }
}

/// What the shell must do, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmbedAction {
    /// Arm the grace timer for `ms`, then feed [`EmbedEvent::GraceElapsed`].
    ArmGrace {
        /// The grace period.
        ms: u32,
    },
    /// Inject this loader (async, top frame) and arm the `loaderTimeoutMs` timer.
    Inject {
        /// The configured loader URL.
        url: String,
    },
    /// Bridge the page's own widget (inject nothing) and arm the `loaderTimeoutMs` timer
    /// unless it has already loaded.
    Attach {
        /// Its loader, when one was seen (attaching on `jivo_api` alone has none).
        site: Option<SiteLoader>,
    },
    /// Keep this site loader from running (the user's choice, or the sandbox standing in).
    HoldBack {
        /// The loader to hold back.
        site: SiteLoader,
    },
    /// Sandbox mode: take the sandbox off the page; the page's own widget is left alone.
    StandDown,
    /// Sandbox mode, standing in: call the page's `jivo_onLoadCallback` now, as the held-back
    /// loader would have on loading. The sandbox loaded before the page had a handler, and the
    /// page then inserted its loader, its handler with it (a framework's effect does).
    FireLoad,
    /// The widget in use is now in this state (`attached`: the site's, else ours).
    Status {
        /// Whether it is the site's widget.
        attached: bool,
        /// Its state.
        state: WidgetState,
    },
    /// Tell the log and the popup.
    Notice(EmbedNotice),
}

/// The embedding decision for one document. Feed it [`EmbedEvent`]s; do the returned
/// [`EmbedAction`]s in order. See the [module documentation](self) for the rule.
#[derive(Clone, Debug)]
pub struct Embedding {
    config: EmbedConfig,
    phase: Phase,
    /// The site loaders already handled (by URL), so a tag seen twice counts once.
    seen: Vec<String>,
    /// Site widget IDs already reported as differing.
    differing: Vec<String>,
    /// Sandbox mode: the sandbox has loaded; a site loader was held back after that; the page
    /// had no handler for its load; `jivo_onLoadCallback` was called again for the page.
    sandbox_load: SandboxLoad,
}

/// What the sandbox-mode decision knows about `jivo_onLoadCallback` (see [`EmbedAction::FireLoad`]).
#[derive(Clone, Copy, Debug, Default)]
struct SandboxLoad {
    loaded: bool,
    held_after_load: bool,
    unheard: bool,
    fired_again: bool,
}

impl Embedding {
    /// The decision for a document starting now (document start).
    pub fn new(config: EmbedConfig) -> Self {
        let phase = match config.mode {
            EmbedMode::Sandbox { .. } => Phase::Sandbox,
            EmbedMode::JivoChat { .. } => Phase::WaitingForPage,
        };
        Embedding {
            config,
            phase,
            seen: Vec::new(),
            differing: Vec::new(),
            sandbox_load: SandboxLoad::default(),
        }
    }

    /// Where it stands.
    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// One event in, the actions to take out.
    #[must_use = "the actions are what the shell must do"]
    pub fn handle(&mut self, event: EmbedEvent) -> Vec<EmbedAction> {
        let mut out = Vec::new();
        match self.config.mode.clone() {
            EmbedMode::Sandbox { stand_in } => self.sandbox(event, stand_in, &mut out),
            EmbedMode::JivoChat { own, use_mine_here } => {
                self.jivochat(event, own.as_ref(), use_mine_here, &mut out)
            }
        }
        out
    }

    fn sandbox(&mut self, event: EmbedEvent, stand_in: bool, out: &mut Vec<EmbedAction>) {
        let load = &mut self.sandbox_load;
        match event {
            EmbedEvent::WidgetLoaded => load.loaded = true,
            EmbedEvent::LoadUnheard => load.unheard = load.loaded,
            _ => {}
        }
        let EmbedEvent::SiteLoaderSeen(site) = event else {
            self.fire_load_again(out);
            return;
        };
        if self.phase != Phase::Sandbox || !self.first_sight(&site) {
            return;
        }
        if stand_in {
            out.push(EmbedAction::HoldBack { site });
            self.sandbox_load.held_after_load |= self.sandbox_load.loaded;
            self.fire_load_again(out);
        } else {
            self.phase = Phase::StoodDown;
            out.push(EmbedAction::StandDown);
        }
    }

    /// Calls `jivo_onLoadCallback` once more for a page that had no handler when the sandbox
    /// loaded and held a loader back since (whichever of the two was learnt last).
    fn fire_load_again(&mut self, out: &mut Vec<EmbedAction>) {
        let load = &mut self.sandbox_load;
        if self.phase == Phase::Sandbox && load.unheard && load.held_after_load && !load.fired_again
        {
            load.fired_again = true;
            out.push(EmbedAction::FireLoad);
        }
    }

    fn jivochat(
        &mut self,
        event: EmbedEvent,
        own: Option<&OwnWidget>,
        use_mine: bool,
        out: &mut Vec<EmbedAction>,
    ) {
        let waiting = matches!(self.phase, Phase::WaitingForPage | Phase::Grace);
        match event {
            EmbedEvent::SiteLoaderSeen(site) => {
                if !self.first_sight(&site) {
                    return;
                }
                self.compare_ids(&site, own, out);
                if use_mine {
                    out.push(EmbedAction::HoldBack { site });
                } else if waiting {
                    self.attach(Some(site), WidgetState::Loading, out);
                } else if let Phase::Injected(_) = self.phase {
                    out.push(EmbedAction::Notice(EmbedNotice::SiteLoaderAfterInjection {
                        site,
                        grace_ms: self.config.grace_ms,
                    }));
                }
            }
            EmbedEvent::SiteApiSeen if waiting => {
                if use_mine {
                    out.push(EmbedAction::Notice(EmbedNotice::NotHeldBack));
                }
                self.attach(None, WidgetState::Loading, out);
            }
            EmbedEvent::DomContentLoaded if waiting && use_mine => self.inject(own, out),
            EmbedEvent::DomContentLoaded => {}
            EmbedEvent::WindowLoad if self.phase == Phase::WaitingForPage => {
                if use_mine || self.config.grace_ms == 0 {
                    self.inject(own, out);
                } else {
                    self.phase = Phase::Grace;
                    out.push(EmbedAction::ArmGrace {
                        ms: self.config.grace_ms,
                    });
                }
            }
            EmbedEvent::GraceElapsed if self.phase == Phase::Grace => self.inject(own, out),
            EmbedEvent::WidgetLoaded if waiting => {
                // The page's widget loaded by a way we did not recognise: it is there.
                if use_mine {
                    out.push(EmbedAction::Notice(EmbedNotice::NotHeldBack));
                }
                self.attach(None, WidgetState::Loaded, out);
            }
            EmbedEvent::WidgetLoaded => self.set_state(None, WidgetState::Loaded, out),
            EmbedEvent::OurLoaderFailed(failure) => self.fail(false, failure, out),
            EmbedEvent::SiteLoaderFailed(failure) => self.fail(true, failure, out),
            EmbedEvent::SiteApiSeen
            | EmbedEvent::WindowLoad
            | EmbedEvent::GraceElapsed
            | EmbedEvent::LoadUnheard => {}
        }
    }

    /// Whether this loader is new (a tag seen again, or the same URL twice, counts once).
    fn first_sight(&mut self, site: &SiteLoader) -> bool {
        if self.seen.contains(&site.url) {
            return false;
        }
        self.seen.push(site.url.clone());
        true
    }

    fn compare_ids(
        &mut self,
        site: &SiteLoader,
        own: Option<&OwnWidget>,
        out: &mut Vec<EmbedAction>,
    ) {
        let (Some(site_id), Some(own)) = (&site.widget_id, own) else {
            return;
        };
        if *site_id != own.widget_id && !self.differing.contains(site_id) {
            self.differing.push(site_id.clone());
            out.push(EmbedAction::Notice(EmbedNotice::WidgetIdsDiffer {
                site_id: site_id.clone(),
                configured_id: own.widget_id.clone(),
            }));
        }
    }

    fn attach(&mut self, site: Option<SiteLoader>, state: WidgetState, out: &mut Vec<EmbedAction>) {
        self.phase = Phase::Attached(state.clone());
        out.push(EmbedAction::Attach { site });
        out.push(EmbedAction::Status {
            attached: true,
            state,
        });
    }

    fn inject(&mut self, own: Option<&OwnWidget>, out: &mut Vec<EmbedAction>) {
        let state = match own {
            Some(own) => {
                out.push(EmbedAction::Inject {
                    url: own.url.clone(),
                });
                WidgetState::Loading
            }
            None => WidgetState::Failed {
                reason: LoaderFailure::NoWidgetId.to_string(),
            },
        };
        self.phase = Phase::Injected(state.clone());
        out.push(EmbedAction::Status {
            attached: false,
            state,
        });
    }

    /// A failure of the site's loader (`site`) or ours: it counts only for the widget in use,
    /// and not once that widget has loaded.
    fn fail(&mut self, site: bool, failure: LoaderFailure, out: &mut Vec<EmbedAction>) {
        let state = WidgetState::Failed {
            reason: failure.to_string(),
        };
        self.set_state(Some(site), state, out);
    }

    /// Moves the widget in use to `state` (`only_if_attached`: only when its attachment is
    /// that). A loaded widget does not fail afterwards; a failed one may still load.
    fn set_state(
        &mut self,
        only_if_attached: Option<bool>,
        state: WidgetState,
        out: &mut Vec<EmbedAction>,
    ) {
        let (attached, current) = match &mut self.phase {
            Phase::Injected(s) => (false, s),
            Phase::Attached(s) => (true, s),
            _ => return,
        };
        if only_if_attached.is_some_and(|a| a != attached) {
            return;
        }
        if *current == state
            || (*current == WidgetState::Loaded && matches!(state, WidgetState::Failed { .. }))
        {
            return;
        }
        *current = state.clone();
        out.push(EmbedAction::Status { attached, state });
    }
}

#[cfg(test)]
mod tests {
    use super::super::LoaderForm;
    use super::*;
    use EmbedAction as A;
    use EmbedEvent as E;

    const OURS: &str = "https://code.jivosite.com/widget/Mine1";

    fn own() -> Option<OwnWidget> {
        Some(OwnWidget::new("Mine1", OURS))
    }

    fn site(id: &str) -> SiteLoader {
        SiteLoader {
            widget_id: Some(id.to_owned()),
            url: format!("https://code.jivosite.com/widget/{id}"),
            form: LoaderForm::Widget,
        }
    }

    fn jivo() -> EmbedConfig {
        EmbedConfig::jivochat(own(), false)
    }

    fn mine() -> EmbedConfig {
        EmbedConfig::jivochat(own(), true)
    }

    fn status(attached: bool, state: WidgetState) -> A {
        A::Status { attached, state }
    }

    fn loading(attached: bool) -> A {
        status(attached, WidgetState::Loading)
    }

    fn failed(f: LoaderFailure) -> WidgetState {
        WidgetState::Failed {
            reason: f.to_string(),
        }
    }

    fn inject() -> A {
        A::Inject { url: OURS.into() }
    }

    fn attach(id: &str) -> A {
        A::Attach {
            site: Some(site(id)),
        }
    }

    fn differ(id: &str) -> A {
        A::Notice(EmbedNotice::WidgetIdsDiffer {
            site_id: id.into(),
            configured_id: "Mine1".into(),
        })
    }

    fn timeout() -> LoaderFailure {
        LoaderFailure::Timeout { seconds: 15 }
    }

    fn http404() -> LoaderFailure {
        LoaderFailure::Fetch {
            detail: "HTTP 404 Not Found".into(),
        }
    }

    fn csp() -> LoaderFailure {
        LoaderFailure::BlockedByCsp {
            directive: "script-src-elem".into(),
        }
    }

    #[test]
    fn the_embedding_table() {
        type Case = (&'static str, EmbedConfig, Vec<E>, Vec<A>, Phase);
        let grace0 = EmbedConfig {
            grace_ms: 0,
            ..jivo()
        };
        let cases: Vec<Case> = vec![
            (
                "nothing of the site's: inject at load plus grace, not before",
                jivo(),
                vec![E::DomContentLoaded, E::WindowLoad, E::GraceElapsed, E::WidgetLoaded],
                vec![A::ArmGrace { ms: 1500 }, inject(), loading(false), status(false, WidgetState::Loaded)],
                Phase::Injected(WidgetState::Loaded),
            ),
            (
                "a grace of 0 injects on load",
                grace0,
                vec![E::DomContentLoaded, E::WindowLoad],
                vec![inject(), loading(false)],
                Phase::Injected(WidgetState::Loading),
            ),
            (
                "the site's tag in the HTML: attach, never inject",
                jivo(),
                vec![E::SiteLoaderSeen(site("Mine1")), E::DomContentLoaded, E::WindowLoad, E::GraceElapsed, E::WidgetLoaded],
                vec![attach("Mine1"), loading(true), status(true, WidgetState::Loaded)],
                Phase::Attached(WidgetState::Loaded),
            ),
            (
                "a tag manager inserts the site's loader during the grace period: attach",
                jivo(),
                vec![E::DomContentLoaded, E::WindowLoad, E::SiteLoaderSeen(site("Mine1")), E::GraceElapsed],
                vec![A::ArmGrace { ms: 1500 }, attach("Mine1"), loading(true)],
                Phase::Attached(WidgetState::Loading),
            ),
            (
                "the page's jivo_api appears: attach without a loader",
                jivo(),
                vec![E::DomContentLoaded, E::SiteApiSeen, E::WidgetLoaded],
                vec![A::Attach { site: None }, loading(true), status(true, WidgetState::Loaded)],
                Phase::Attached(WidgetState::Loaded),
            ),
            (
                "the page's widget loads by a way not recognised: attached and loaded",
                jivo(),
                vec![E::DomContentLoaded, E::WidgetLoaded, E::WindowLoad, E::GraceElapsed],
                vec![A::Attach { site: None }, status(true, WidgetState::Loaded)],
                Phase::Attached(WidgetState::Loaded),
            ),
            (
                "the site's widget ID differs: both reported, once",
                jivo(),
                vec![E::SiteLoaderSeen(site("Theirs")), E::SiteLoaderSeen(site("Theirs")), E::DomContentLoaded],
                vec![differ("Theirs"), attach("Theirs"), loading(true)],
                Phase::Attached(WidgetState::Loading),
            ),
            (
                "the site's loader after we injected: reported, not attached",
                jivo(),
                vec![E::DomContentLoaded, E::WindowLoad, E::GraceElapsed, E::SiteLoaderSeen(site("Mine1")), E::SiteApiSeen],
                vec![
                    A::ArmGrace { ms: 1500 },
                    inject(),
                    loading(false),
                    A::Notice(EmbedNotice::SiteLoaderAfterInjection { site: site("Mine1"), grace_ms: 1500 }),
                ],
                Phase::Injected(WidgetState::Loading),
            ),
            (
                "the site's loader after we injected, with another ID: both notices",
                jivo(),
                vec![E::WindowLoad, E::GraceElapsed, E::SiteLoaderSeen(site("Theirs"))],
                vec![
                    A::ArmGrace { ms: 1500 },
                    inject(),
                    loading(false),
                    differ("Theirs"),
                    A::Notice(EmbedNotice::SiteLoaderAfterInjection { site: site("Theirs"), grace_ms: 1500 }),
                ],
                Phase::Injected(WidgetState::Loading),
            ),
            (
                "use my widget here: hold the site's loader back, inject at DOMContentLoaded",
                mine(),
                vec![E::SiteLoaderSeen(site("Theirs")), E::DomContentLoaded, E::WindowLoad, E::GraceElapsed, E::WidgetLoaded],
                vec![differ("Theirs"), A::HoldBack { site: site("Theirs") }, inject(), loading(false), status(false, WidgetState::Loaded)],
                Phase::Injected(WidgetState::Loaded),
            ),
            (
                "use my widget here: a site loader inserted later is held back too, without the after-injection notice",
                mine(),
                vec![E::DomContentLoaded, E::SiteLoaderSeen(site("Mine1"))],
                vec![inject(), loading(false), A::HoldBack { site: site("Mine1") }],
                Phase::Injected(WidgetState::Loading),
            ),
            (
                "use my widget here, but the site's widget got in first: attach and say so",
                mine(),
                vec![E::SiteApiSeen, E::DomContentLoaded],
                vec![A::Notice(EmbedNotice::NotHeldBack), A::Attach { site: None }, loading(true)],
                Phase::Attached(WidgetState::Loading),
            ),
            (
                "no widget ID: injecting fails with the reason",
                EmbedConfig::jivochat(None, false),
                vec![E::WindowLoad, E::GraceElapsed],
                vec![A::ArmGrace { ms: 1500 }, status(false, failed(LoaderFailure::NoWidgetId))],
                Phase::Injected(failed(LoaderFailure::NoWidgetId)),
            ),
            (
                "no widget ID, but the site has its own: attach",
                EmbedConfig::jivochat(None, false),
                vec![E::SiteLoaderSeen(site("Theirs"))],
                vec![attach("Theirs"), loading(true)],
                Phase::Attached(WidgetState::Loading),
            ),
            (
                "our loader fails, then arrives late",
                jivo(),
                vec![E::WindowLoad, E::GraceElapsed, E::OurLoaderFailed(timeout()), E::WidgetLoaded],
                vec![
                    A::ArmGrace { ms: 1500 },
                    inject(),
                    loading(false),
                    status(false, failed(timeout())),
                    status(false, WidgetState::Loaded),
                ],
                Phase::Injected(WidgetState::Loaded),
            ),
            (
                "an attached widget's loader fails like ours: HTTP error",
                jivo(),
                vec![E::SiteLoaderSeen(site("Mine1")), E::SiteLoaderFailed(http404())],
                vec![attach("Mine1"), loading(true), status(true, failed(http404()))],
                Phase::Attached(failed(http404())),
            ),
            (
                "an attached widget's loader fails like ours: CSP, then timeout replaces it",
                jivo(),
                vec![E::SiteLoaderSeen(site("Mine1")), E::SiteLoaderFailed(csp()), E::SiteLoaderFailed(timeout())],
                vec![
                    attach("Mine1"),
                    loading(true),
                    status(true, failed(csp())),
                    status(true, failed(timeout())),
                ],
                Phase::Attached(failed(timeout())),
            ),
            (
                "a loaded widget does not fail afterwards, and failures of the other loader do not count",
                jivo(),
                vec![E::SiteLoaderSeen(site("Mine1")), E::OurLoaderFailed(timeout()), E::WidgetLoaded, E::SiteLoaderFailed(timeout())],
                vec![attach("Mine1"), loading(true), status(true, WidgetState::Loaded)],
                Phase::Attached(WidgetState::Loaded),
            ),
            (
                "a stale grace timer does nothing",
                jivo(),
                vec![E::GraceElapsed, E::DomContentLoaded, E::GraceElapsed],
                vec![],
                Phase::WaitingForPage,
            ),
            (
                "sandbox standing in: the site's loader is held back, once",
                EmbedConfig::sandbox(true),
                vec![E::SiteLoaderSeen(site("Theirs")), E::SiteLoaderSeen(site("Theirs")), E::WindowLoad, E::WidgetLoaded],
                vec![A::HoldBack { site: site("Theirs") }],
                Phase::Sandbox,
            ),
            (
                "sandbox: a loader inserted after an unheard load gets the load called again, once",
                EmbedConfig::sandbox(true),
                vec![E::WidgetLoaded, E::LoadUnheard, E::SiteLoaderSeen(site("Theirs")), E::SiteLoaderSeen(site("Other")), E::LoadUnheard],
                vec![A::HoldBack { site: site("Theirs") }, A::FireLoad, A::HoldBack { site: site("Other") }],
                Phase::Sandbox,
            ),
            (
                "sandbox: the unheard load learnt after the loader was held back still counts",
                EmbedConfig::sandbox(true),
                vec![E::WidgetLoaded, E::SiteLoaderSeen(site("Theirs")), E::LoadUnheard],
                vec![A::HoldBack { site: site("Theirs") }, A::FireLoad],
                Phase::Sandbox,
            ),
            (
                "sandbox: a heard load, or a loader held back before the load, is not called again",
                EmbedConfig::sandbox(true),
                vec![E::SiteLoaderSeen(site("Theirs")), E::WidgetLoaded, E::LoadUnheard],
                vec![A::HoldBack { site: site("Theirs") }],
                Phase::Sandbox,
            ),
            (
                "sandbox: a page that heard the load gets no second one",
                EmbedConfig::sandbox(true),
                vec![E::WidgetLoaded, E::SiteLoaderSeen(site("Theirs"))],
                vec![A::HoldBack { site: site("Theirs") }],
                Phase::Sandbox,
            ),
            (
                "sandbox not standing in: it stands down for the site's widget",
                EmbedConfig::sandbox(false),
                vec![E::DomContentLoaded, E::SiteLoaderSeen(site("Theirs")), E::SiteLoaderSeen(site("Other"))],
                vec![A::StandDown],
                Phase::StoodDown,
            ),
            (
                "sandbox on a page without a widget of its own: nothing to decide",
                EmbedConfig::sandbox(false),
                vec![E::DomContentLoaded, E::WindowLoad, E::GraceElapsed],
                vec![],
                Phase::Sandbox,
            ),
        ];
        for (name, config, events, expected, phase) in cases {
            let mut e = Embedding::new(config);
            let got: Vec<A> = events.into_iter().flat_map(|ev| e.handle(ev)).collect();
            assert_eq!(got, expected, "{name}");
            assert_eq!(*e.phase(), phase, "{name}");
        }
    }

    #[test]
    fn notices_read_as_log_entries() {
        use crate::event_log::Event;
        let differ = EmbedNotice::WidgetIdsDiffer {
            site_id: "Theirs".into(),
            configured_id: "Mine1".into(),
        };
        assert_eq!(
            differ.to_event(),
            Event::status(
                "the site's widget ID Theirs differs from the configured widget ID Mine1"
            )
        );
        let after = EmbedNotice::SiteLoaderAfterInjection {
            site: site("Theirs"),
            grace_ms: 1500,
        };
        assert!(
            matches!(after.to_event(), Event::Error { message } if message.contains("two loaders"))
        );
        assert_eq!(A::ArmGrace { ms: 1 }.log_event(), None);
        assert!(
            matches!(attach("Theirs").log_event(), Some(Event::Status { text, .. }) if text.contains("Theirs"))
        );
    }

    #[test]
    fn notices_serialise_for_the_log() {
        let json = serde_json::to_value(EmbedNotice::WidgetIdsDiffer {
            site_id: "a".into(),
            configured_id: "b".into(),
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"notice": "widgetIdsDiffer", "siteId": "a", "configuredId": "b"})
        );
    }
}
