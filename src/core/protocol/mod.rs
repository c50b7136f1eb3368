//! Every message that crosses a context boundary, as serde types.
//!
//! There are three channels, one submodule each:
//!
//! - [`page`]: the page's main world (the shim) ↔ the content script, over the secret DOM channel.
//!   Everything that arrives from it is untrusted: decode it with [`decode`], which checks the size
//!   before parsing.
//! - [`runtime`]: the content script ↔ the background, over a `runtime.Port` per page
//!   (named [`runtime::PORT_NAME`]).
//! - [`popup`]: the popup ↔ the background, over a `runtime.Port` per open popup
//!   (named [`popup::PORT_NAME`]).
//!
//! Every message is a JSON string of one of these types; a shell never builds or reads a message
//! field by hand.
//!
//! ```
//! use jwi_core::protocol::{decode, limits, page::FromPage};
//! let msg: FromPage = decode(r#"{"history":{"kind":"push"}}"#, limits::PAGE_MESSAGE_BYTES).unwrap();
//! assert!(matches!(msg, FromPage::History { .. }));
//! assert!(decode::<FromPage>(r#"{"nonsense":{}}"#, limits::PAGE_MESSAGE_BYTES).is_err());
//! ```

use core::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub(crate) mod wire;

pub(crate) use wire::serde_by_name;

/// Size limits for messages from outside the extension.
pub mod limits {
    /// The largest message the content script accepts from the page shim, in bytes.
    ///
    /// The shim's bounded serialiser keeps honest messages far below this; anything larger is
    /// dropped and counted.
    pub const PAGE_MESSAGE_BYTES: usize = 64 * 1024;
    /// The largest batch of messages ([`super::page::FromPage::Batch`]) the content script
    /// accepts from the page shim, in bytes: the shim's queue holds at most 1,000,000 UTF-16
    /// code units (at most 3 bytes each in UTF-8) plus the batch's own text.
    pub const PAGE_BATCH_BYTES: usize = 4 * 1024 * 1024;
    /// The largest message the background accepts from a content script, in bytes.
    pub const RUNTIME_MESSAGE_BYTES: usize = 1024 * 1024;
}

/// Why a message was dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The message was longer than the channel's limit.
    TooLarge {
        /// Its length in bytes.
        len: usize,
        /// The channel's limit in bytes.
        limit: usize,
    },
    /// The message was not valid JSON of the expected type.
    Malformed(String),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::TooLarge { len, limit } => {
                write!(f, "message of {len} bytes is over the {limit}-byte limit")
            }
            DecodeError::Malformed(why) => write!(f, "malformed message: {why}"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Decodes one message, refusing anything over `limit` bytes before parsing it.
pub fn decode<T: DeserializeOwned>(text: &str, limit: usize) -> Result<T, DecodeError> {
    if text.len() > limit {
        return Err(DecodeError::TooLarge {
            len: text.len(),
            limit,
        });
    }
    serde_json::from_str(text).map_err(|e| DecodeError::Malformed(e.to_string()))
}

/// Encodes one message. Protocol types always serialise, so this cannot fail.
pub fn encode<T: Serialize>(msg: &T) -> String {
    // Serialising these types has no failure mode (no non-string map keys, no custom errors).
    serde_json::to_string(msg).unwrap_or_default()
}

/// The widget mode a page runs in (one definition, the settings' own).
pub use crate::settings::Mode;

/// How far the extension has got with a tab, in the words the popup shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum PageStatus {
    /// No site rule matches the page and nothing was injected on demand.
    #[default]
    NotMatched,
    /// The content script runs but the page shim has not answered yet.
    Connecting,
    /// The content script and the page shim completed their handshake.
    Connected,
    /// The widget is being loaded (the sandbox initialising, or the JivoChat loader requested).
    Loading,
    /// The widget called `jivo_onLoadCallback`.
    Loaded,
    /// The page had its own JivoChat widget; the extension attached to it instead of injecting.
    Attached,
    /// The widget could not be loaded.
    Failed {
        /// Why, in plain words.
        reason: String,
    },
}

impl PageStatus {
    /// The stable identifier used in the popup's `data-state` attribute and in tests.
    pub fn id(&self) -> &'static str {
        match self {
            PageStatus::NotMatched => "not-matched",
            PageStatus::Connecting => "connecting",
            PageStatus::Connected => "connected",
            PageStatus::Loading => "loading",
            PageStatus::Loaded => "loaded",
            PageStatus::Attached => "attached",
            PageStatus::Failed { .. } => "failed",
        }
    }

    /// Whether the page side of the bridge is up (the shim answered).
    pub fn is_connected(&self) -> bool {
        !matches!(self, PageStatus::NotMatched | PageStatus::Connecting)
    }
}

/// The page's main world (shim) ↔ content script messages.
pub mod page {
    use serde::{Deserialize, Serialize};
    use serde_json::Value;

    use crate::api::call::Reply;
    use crate::api::{Callback, Method};
    use crate::checks::Removal;

    /// A URL change the shim saw the page make.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub enum HistoryKind {
        /// `history.pushState` returned normally.
        Push,
        /// `history.replaceState` returned normally.
        Replace,
    }

    /// What the shim sends to the content script.
    ///
    /// Externally tagged: `{"history":{"kind":"push"}}`. serde decodes an internally tagged
    /// enum (`{"type":"history",…}`) by buffering the whole message, and a batch's messages
    /// with it, before reading any of it; this way the content script reads a batch as it
    /// parses it, and carries 37 KB less code (docs/architecture.md, "What a matched page
    /// pays"). [`ToPage`], which the content script only writes, keeps its `type`.
    ///
    /// Its `Deserialize` is written by hand (`protocol/wire.rs`, which also says which fields
    /// may be left out): the derived one was the largest function in the content script.
    #[derive(Clone, Debug, PartialEq, Serialize)]
    #[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
    pub enum FromPage {
        /// The shim is installed; sent once right after the handshake.
        Ready {
            /// Whether `window.jivo_api` already existed (a widget of the page's own).
            jivo_api_present: bool,
        },
        /// A widget called one of the page's callbacks (recorded before the handler runs).
        Callback {
            /// Which callback.
            name: Callback,
            /// Its arguments as the shim's bounded serialiser saw them.
            args: Vec<Value>,
        },
        /// The page's own handler for a callback threw; the exception went back to the widget.
        CallbackThrew {
            /// Which callback.
            name: Callback,
            /// The exception's message, bounded.
            message: String,
        },
        /// The page called an entry point of a widget (JivoChat mode; the sandbox sees its own calls).
        ApiCalled {
            /// Which entry point.
            method: Method,
            /// Its arguments.
            args: Vec<Value>,
            /// What it returned synchronously; absent for `undefined`.
            #[serde(skip_serializing_if = "Option::is_none")]
            returned: Option<Value>,
        },
        /// The page changed its URL through the History API.
        History {
            /// Which method.
            kind: HistoryKind,
        },
        /// A synchronous call to the sandbox widget; the content script answers with
        /// [`ToPage::Reply`] before the dispatch returns.
        SandboxCall {
            /// Which entry point, by its name as the page called it.
            method: Method,
            /// The arguments as the page passed them.
            args: Vec<Value>,
        },
        /// The page called one of the sandbox's reads
        /// ([`READS`](crate::sandbox::READS)) with no arguments, and the shim answered it from
        /// the last [`ToPage::Reads`]: the call, for the log (queued in a batch like a callback).
        SandboxRead {
            /// Which read.
            method: Method,
            /// What the shim returned (absent for `undefined`).
            #[serde(skip_serializing_if = "Option::is_none")]
            returned: Option<Value>,
        },
        /// The result of a [`ToPage::CallApi`].
        ApiResult {
            /// The request's id, as the content script chose it.
            id: u32,
            /// The result.
            outcome: Reply,
        },
        /// The page (a widget's loader, not the sandbox) defined `window.jivo_api` or
        /// `jivo_init`; sent the first time either gets a value.
        SiteApi {},
        /// A widget called `jivo_onLoadCallback` and the page had no handler for it.
        LoadUnheard {},
        /// A `<script>` element failed to load (its `error` event) before the content script
        /// connected; the shim reports only those, the content script sees later ones itself.
        ScriptFailed {
            /// The element's absolute `src`, bounded.
            src: String,
        },
        /// The messages the shim queued, oldest first, sent as one dispatch: at the end of the
        /// page's task (a microtask), before a message that is answered within its own dispatch
        /// ([`FromPage::SandboxCall`], [`FromPage::Ready`]), or all at once when the content
        /// script connects. Only the page gate opens one ([`crate::page_gate::PageGate::pass`]);
        /// a batch inside a batch, or a sandbox call inside one, is malformed.
        Batch {
            /// The messages, oldest first.
            messages: Vec<FromPage>,
            /// How many messages the shim counted but did not forward, after these: past its
            /// channel bounds (the queue before the content script connects, the budget of one
            /// batch), without serialising them. The log counts them as missed.
            #[serde(skip_serializing_if = "is_zero")]
            unsent: u32,
        },
        /// The page gave a `jivo_on…` callback a new handler: assigned a function to it, or
        /// declared it (`function jivo_onOpen() {}`); sent for each one, the first included
        /// (the shim sends a bounded number per page).
        HandlerDefined {
            /// Which callback.
            name: Callback,
            /// The URL of the script whose top level assigned it (the page's URL for an inline
            /// script), when the shim can tell (`document.currentScript`): not for a
            /// declaration, nor from a timer, event handler or module.
            #[serde(skip_serializing_if = "Option::is_none")]
            script: Option<String>,
        },
        /// `window.jivo_api` lost the widget's API: the page deleted it or assigned something
        /// else. The shim notices an assignment at once and a deletion at its next look (a
        /// widget callback or a DOM change while the page loads).
        WidgetRemoved {
            /// Always [`Removal::Globals`] from the shim (the content script sees the nodes).
            how: Removal,
        },
    }

    fn is_zero(n: &u32) -> bool {
        *n == 0
    }

    /// What the content script sends to the shim.
    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    #[serde(
        rename_all = "camelCase",
        rename_all_fields = "camelCase",
        tag = "type"
    )]
    pub enum ToPage {
        /// The channel keeper (`extension/channel.js`, the extension's isolated world at
        /// document_start) took the channel's node: the shim stops answering announces and keeps
        /// the page's messages until [`ToPage::Connected`]. Sent by that keeper, never by Rust.
        Claimed,
        /// The content script took the channel; the shim answers with [`FromPage::Ready`].
        Connected,
        /// The synchronous answer to a [`FromPage::SandboxCall`].
        Reply {
            /// What the call returns and passes to its callback.
            outcome: Reply,
        },
        /// Define `window.jivo_api`, `jivo_init` and `jivo_destroy` backed by the sandbox.
        InstallSandboxApi,
        /// What each of the sandbox's reads ([`READS`](crate::sandbox::READS)) returns now, sent
        /// whenever that changes; the shim answers a page call of one with no arguments from
        /// it, without a round trip ([`FromPage::SandboxRead`]). Empty when the sandbox leaves
        /// the page: every call asks again.
        Reads {
            /// One answer per read.
            answers: Vec<ReadAnswer>,
        },
        /// Say again whether `window.jivo_api` exists ([`FromPage::Ready`]).
        CheckApi,
        /// Insert the JivoChat loader as an async `<script>` at the end of `<head>`, from the
        /// page's world: a script a content script inserts is checked against the extension's
        /// own CSP in MV3 (both browsers), which refuses a loader from another origin.
        InjectLoader {
            /// The loader URL.
            url: String,
        },
        /// Call these page callbacks, in order, through `window[name]` (so they are recorded).
        Fire {
            /// The callbacks and their arguments.
            callbacks: Vec<(Callback, Vec<Value>)>,
        },
        /// Call an entry point of the page's widget (`window.jivo_api`, `jivo_init`, `jivo_destroy`)
        /// and answer with [`FromPage::ApiResult`].
        CallApi {
            /// Request id, echoed in the answer. The content script issues these ids for every
            /// call it makes through the shim (its own and the console's), so they never
            /// collide.
            id: u32,
            /// Which entry point.
            method: Method,
            /// The arguments, already validated.
            args: Vec<Value>,
        },
    }

    /// What one read returns now ([`ToPage::Reads`]).
    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct ReadAnswer {
        /// The read.
        pub method: Method,
        /// The JSON text of what it returns (absent for `undefined`): the shim parses it for
        /// each call, so every call gets a fresh value, and never serialises one itself (that
        /// would consult a `toJSON` the page may have put on `Object.prototype`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub json: Option<String>,
    }

    impl ReadAnswer {
        /// The answer of `method` that returns `returned`.
        pub fn new(method: Method, returned: Option<&Value>) -> ReadAnswer {
            ReadAnswer {
                method,
                json: returned.map(Value::to_string),
            }
        }
    }
}

/// Content script ↔ background messages.
pub mod runtime {
    use serde::{Deserialize, Serialize};

    /// The name a content script gives its `runtime.connect` port.
    pub const PORT_NAME: &str = "content";

    /// The name Chromium's content loader (`src/content/loader.js`) gives its port: it sends
    /// one [`LoadContent`], and the background injects the content build the page's policies
    /// allow ([`crate::content_build`]).
    pub const LOADER_PORT_NAME: &str = "content-loader";

    /// The content loader's one message: what the page's document says of its policies.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    pub struct LoadContent {
        /// The `content` of each `<meta http-equiv="Content-Security-Policy">` in the
        /// document (the background saw the headers itself).
        pub meta_policies: Vec<String>,
    }

    use std::num::NonZeroU64;

    use super::{Mode, PageStatus};
    use crate::api::call::{RawCall, Reply};
    use crate::event_log::{Event, PageId};
    use crate::jivochat::{EmbedConfig, EmbedMode, OwnWidget};
    #[cfg(feature = "sandbox")]
    use crate::sandbox::AgentAction;
    use crate::sandbox::{AgentState, AgentView, VisitorRecord, WidgetFacts};
    use crate::spa::SpaConfig;

    /// What a content script sends to the background.
    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    #[serde(
        rename_all = "camelCase",
        rename_all_fields = "camelCase",
        tag = "type"
    )]
    pub enum FromContent {
        /// First message on a new port: which page this is.
        Hello {
            /// `location.href`.
            url: String,
            /// `document.title`.
            title: String,
        },
        /// The page's status changed.
        Status {
            /// The new status.
            status: PageStatus,
        },
        /// The sandbox visitor's record or the agent's state changed: store them for the site.
        SandboxSave {
            /// The site (`scheme://host[:port]`) the record belongs to.
            origin: String,
            /// The visitor's record.
            record: Box<VisitorRecord>,
            /// The agent's side.
            agent: AgentState,
        },
        /// What the popup shows of the sandbox widget changed.
        SandboxView {
            /// The agent's view.
            view: Box<AgentView>,
            /// The widget's facts.
            facts: WidgetFacts,
        },
        /// The answer to [`ToContent::CallApi`], on the port the call came in on (a call whose
        /// port is gone is not answered: the background that asked is gone with it).
        ApiResult {
            /// The call's id, as the background issued it.
            id: CallId,
            /// What the call produced.
            outcome: Reply,
        },
        /// Something about the site's own widget the popup should say (once per page).
        SiteWidget {
            /// What happened.
            notice: SiteWidgetNotice,
        },
        /// JivoChat mode: what the extension last read of the real widget's state changed.
        WidgetFacts {
            /// The widget's facts, in the sandbox's shape.
            facts: WidgetFacts,
        },
        /// Events for the tab's log, numbered per page so that a resend after the background
        /// restarted is recognised; answered with [`ToContent::Ack`].
        Events {
            /// This page instance (a fresh id per page load).
            page: PageId,
            /// The events, in order.
            events: Vec<SequencedEvent>,
        },
        /// The loader script failed to load: find out why (the page only sees an `error` event).
        ProbeLoader {
            /// The loader URL (ours, or the site's loader we attached to).
            url: String,
        },
        /// Whose widget the page uses and the widget IDs involved (JivoChat mode), for the
        /// popup; sent when it changes.
        Embed {
            /// What the popup shows.
            embed: EmbedView,
        },
    }

    /// Whose widget a JivoChat-mode page uses, as the popup shows it.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct EmbedView {
        /// Whether the extension attached to the site's own widget (else it injected ours, or
        /// has not decided yet).
        pub attached: bool,
        /// The site's own widget ID, when a site loader naming one was seen.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub site_id: Option<String>,
        /// The configured `widgetId`, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub configured_id: Option<String>,
        /// Whether "use my widget here" is on for this page (the site's loader held back).
        #[serde(default)]
        pub use_mine_here: bool,
    }

    /// What the background sends to a content script.
    ///
    /// Externally tagged (`{"config":{…}}`), unlike the other messages: both ends are this
    /// crate, and serde decodes an internally tagged enum by buffering the whole message first,
    /// code the content script would carry for every type nested in it (docs/architecture.md,
    /// "What a matched page pays").
    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
    pub enum ToContent {
        /// The answer to `Hello`: how this page is to be run.
        Config(Box<PageConfig>),
        /// The popup agent did something (sandbox mode; a build without the `sandbox` feature
        /// does not decode it).
        #[cfg(feature = "sandbox")]
        Agent {
            /// The action.
            action: AgentAction,
        },
        /// The popup's API console calls an entry point; answer with [`FromContent::ApiResult`].
        CallApi {
            /// The call's id, issued by the background.
            id: CallId,
            /// The call.
            call: RawCall,
            /// Sent with "send anyway" ([`popup::FromPopup::CallApi`]): made even with invalid
            /// arguments, and logged with a note saying so.
            #[serde(default, skip_serializing_if = "std::ops::Not::not")]
            anyway: bool,
            /// Why the arguments are invalid, as the background judged them
            /// ([`invalid_args`](crate::view::console_form::invalid_args)); `None` when they
            /// are valid. The content script does not judge them again: the code that does is
            /// not in the JivoChat-mode bundle.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            invalid: Option<String>,
        },
        /// Every event of `page` up to `upto` is stored: the content script may forget them.
        Ack {
            /// The page instance.
            page: PageId,
            /// The highest sequence number stored.
            upto: u64,
        },
        /// Why the loader failed, as the background saw it fetching the same URL.
        LoaderProbe {
            /// The URL probed (as in [`FromContent::ProbeLoader`]).
            #[serde(default)]
            url: String,
            /// In plain words, e.g. "HTTP 404 Not Found" or "network error".
            reason: String,
        },
    }

    /// A console call's id on the content-script channel. The background issues them from one
    /// counter for all tabs and popups, so no two calls in flight share one, whichever popups
    /// asked and whatever request ids they chose; the background maps each back to the popup
    /// that asked and its own request id.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(transparent)]
    pub struct CallId(pub u64);

    /// Sandbox mode on a page with its own JivoChat widget.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(
        tag = "notice",
        rename_all = "camelCase",
        rename_all_fields = "camelCase"
    )]
    pub enum SiteWidgetNotice {
        /// The site's loader was held back; the sandbox answers in its place.
        HeldBack {
            /// The site's widget id, when its loader names one.
            widget_id: Option<String>,
            /// The loader's URL.
            url: String,
        },
        /// `siteWidget.sandboxStandIn` is off: the sandbox stays out of the page.
        StoodDown {
            /// The site's widget id, when its loader names one.
            widget_id: Option<String>,
            /// The loader's URL.
            url: String,
        },
    }

    /// One event for the log, with its page-local sequence number and time.
    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct SequencedEvent {
        /// 1, 2, 3… per page instance.
        pub seq: NonZeroU64,
        /// When it happened, in milliseconds since the Unix epoch.
        pub at: f64,
        /// What happened.
        pub event: Event,
    }

    /// How one page is to be run, from the settings in force.
    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct PageConfig {
        /// The widget mode.
        pub mode: Mode,
        /// SPA tracking options.
        pub spa: SpaConfig,
        /// The sandbox's stored state for this site (sandbox mode only; a build without the
        /// `sandbox` feature skips it, unread).
        #[cfg(feature = "sandbox")]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub sandbox: Option<SandboxSeed>,
        /// The JivoChat loader to inject (JivoChat mode only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub loader: Option<LoaderConfig>,
        /// What JivoChat mode does about the page's own widget (`siteWidget` for this page).
        #[serde(default)]
        pub site_widget: SiteWidgetPage,
    }

    impl PageConfig {
        /// The embedding decision's configuration for this page
        /// ([`Embedding`](crate::jivochat::Embedding)); sandbox mode stands in by default.
        pub fn embed_config(&self) -> EmbedConfig {
            let mode = match self.mode {
                Mode::Sandbox => EmbedMode::Sandbox { stand_in: true },
                Mode::JivoChat => EmbedMode::JivoChat {
                    own: self
                        .loader
                        .as_ref()
                        .filter(|l| !l.widget_id.is_empty())
                        .map(|l| OwnWidget::new(l.widget_id.clone(), l.url.clone())),
                    use_mine_here: self.site_widget.use_mine_here,
                },
            };
            EmbedConfig {
                mode,
                grace_ms: self.site_widget.grace_ms,
            }
        }

        /// The configured `loaderUrl` template, `""` without one: what
        /// [`site_loader`](crate::jivochat::site_loader) also recognises as a site loader.
        pub fn loader_template(&self) -> &str {
            self.loader.as_ref().map_or("", |l| l.template.as_str())
        }
    }

    /// `siteWidget` as it applies to one page.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct SiteWidgetPage {
        /// `siteWidget.graceMs`.
        pub grace_ms: u32,
        /// Whether the page matches `siteWidget.useMineOn`.
        pub use_mine_here: bool,
    }

    impl Default for SiteWidgetPage {
        fn default() -> Self {
            SiteWidgetPage {
                grace_ms: crate::jivochat::DEFAULT_GRACE_MS,
                use_mine_here: false,
            }
        }
    }

    /// The real widget's loader, from the settings.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct LoaderConfig {
        /// `loaderUrl` with `{id}` replaced by `widgetId`.
        pub url: String,
        /// `loaderUrl` as written, `{id}` in place: a page's script loading from it is the
        /// site's own loader (a self-hosted or proxied one).
        #[serde(default)]
        pub template: String,
        /// `widgetId`.
        #[serde(default)]
        pub widget_id: String,
        /// How long to wait for `jivo_onLoadCallback` before calling the load failed.
        pub timeout_ms: u32,
    }

    /// What the sandbox widget starts from on a page.
    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct SandboxSeed {
        /// The site's stored visitor record, if the visitor was here before.
        pub record: Option<VisitorRecord>,
        /// The visitor number to use if there is no record.
        pub visitor_number: u64,
        /// The agent's stored side.
        pub agent: AgentState,
        /// `siteWidget.sandboxStandIn`: on a page with its own JivoChat, stand in for it
        /// (its loader is held back) rather than stay out.
        #[serde(default = "stand_in_default")]
        pub stand_in: bool,
    }

    fn stand_in_default() -> bool {
        true
    }
}

/// Popup ↔ background messages.
pub mod popup {
    use serde::{Deserialize, Serialize};

    /// The name a popup gives its `runtime.connect` port.
    pub const PORT_NAME: &str = "popup";

    use super::{Mode, PageStatus};
    use crate::api::call::{RawCall, Reply};
    use crate::checks::Finding;
    use crate::event_log::{Entry, Summary};
    use crate::sandbox::{AgentAction, AgentView, WidgetFacts};

    /// What a popup sends to the background.
    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    #[serde(
        rename_all = "camelCase",
        rename_all_fields = "camelCase",
        tag = "type"
    )]
    pub enum FromPopup {
        /// Show this tab, and keep sending its changes.
        Watch {
            /// The tab id.
            tab: i32,
        },
        /// The agent console did something (sandbox tab).
        Agent {
            /// The tab id.
            tab: i32,
            /// The action.
            action: AgentAction,
        },
        /// Empty the tab's log.
        ClearLog {
            /// The tab id.
            tab: i32,
        },
        /// Send the tab's whole log in the export format ([`ToPopup::LogExport`]).
        ExportLog {
            /// The tab id.
            tab: i32,
        },
        /// Inject the extension into this tab now ("inject into this tab"), even if no site
        /// rule matches it.
        InjectIntoTab {
            /// The tab id.
            tab: i32,
        },
        /// Keep injecting into this tab on its next loads until it closes (or stop).
        KeepInjecting {
            /// The tab id.
            tab: i32,
            /// Whether to keep injecting.
            keep: bool,
        },
        /// The API console calls an entry point on the tab's widget.
        CallApi {
            /// The tab id.
            tab: i32,
            /// Request id, the popup's own choice: echoed in [`ToPopup::ApiResult`], sent to
            /// this popup only.
            id: u32,
            /// The call, validated by the popup unless `anyway`.
            call: RawCall,
            /// "Send anyway": the console sends arguments it found invalid on purpose, to try
            /// the widget's failure path; the log notes it
            /// ([`sent_anyway_note`](crate::view::console_form::sent_anyway_note)).
            #[serde(default, skip_serializing_if = "std::ops::Not::not")]
            anyway: bool,
        },
        /// "Use my widget here": add the tab's site to `siteWidget.useMineOn` (from its next
        /// load); answered with [`ToPopup::UseMine`].
        UseMineHere {
            /// The tab id.
            tab: i32,
        },
    }

    /// What the background sends to a popup.
    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    #[serde(
        rename_all = "camelCase",
        rename_all_fields = "camelCase",
        tag = "type"
    )]
    pub enum ToPopup {
        /// The whole tab view (sent on `Watch` and when it changes).
        Tab(Box<TabView>),
        /// Log entries: on `Watch` and after a clear the whole log (`reset`), then each batch
        /// of new entries as it is stored.
        Log {
            /// Whether these entries replace what the popup shows.
            reset: bool,
            /// The log's counts (length, cap, dropped…) after these entries.
            summary: Summary,
            /// The entries, oldest first.
            entries: Vec<Entry>,
        },
        /// The whole log in the documented export format (`docs/log-format.md`).
        LogExport {
            /// The export document ([`Export::to_value`](crate::event_log::Export::to_value)).
            export: serde_json::Value,
        },
        /// The result of a [`FromPopup::CallApi`], sent only to the popup that made the call.
        ApiResult {
            /// The popup's request id.
            id: u32,
            /// What the call produced, or why it could not be made.
            outcome: Reply,
        },
        /// The integration checks' findings for the tab's log (`docs/checks.md`): all of them,
        /// on `Watch` and whenever they change (a cleared log sends an empty list).
        Findings {
            /// The findings, in the order they were first made.
            findings: Vec<Finding>,
            /// New findings not kept because the checker already held its maximum.
            #[serde(default)]
            overflow: u64,
        },
        /// The answer to [`FromPopup::UseMineHere`].
        UseMine {
            /// The rule added (or already there), e.g. `*://shop.example/*`; `None` if it
            /// could not be added.
            rule: Option<String>,
            /// Why not, in plain words.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            error: Option<String>,
        },
    }

    /// What the popup shows of one tab.
    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct TabView {
        /// The tab id.
        pub tab: i32,
        /// The page URL the content script reported, if any.
        pub url: Option<String>,
        /// The widget mode in force for the page.
        pub mode: Mode,
        /// How far the extension has got.
        pub status: PageStatus,
        /// The widget's facts as last known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub facts: Option<WidgetFacts>,
        /// The sandbox agent's view (sandbox tabs).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub agent: Option<Box<AgentView>>,
        /// Whether a site rule in force covers `url` (filled in by the background when it
        /// sends the record: it follows the settings, not the page).
        #[serde(default)]
        pub covered: bool,
        /// Whether the extension was injected into this tab by hand ("inject into this tab")
        /// since it opened or last changed site.
        #[serde(default)]
        pub injected: bool,
        /// The user's "keep injecting into this tab" choice: the background injects again on
        /// each of the tab's next loads, until the tab closes.
        #[serde(default)]
        pub keep_injecting: bool,
        /// What happened about the site's own widget on the current page.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub site_widget: Vec<super::runtime::SiteWidgetNotice>,
        /// Whose widget the page uses and the IDs involved (JivoChat tabs).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub embed: Option<super::runtime::EmbedView>,
    }
}

#[cfg(test)]
mod tests {
    use super::page::{FromPage, ToPage};
    use super::*;
    use crate::api::call::Reply;
    use crate::api::{Callback, Method};
    use serde_json::json;

    #[test]
    fn oversized_messages_are_refused_before_parsing() {
        let big = format!(
            r#"{{"ready":{{"jivoApiPresent":false,"pad":"{}"}}}}"#,
            "x".repeat(100)
        );
        assert_eq!(
            decode::<FromPage>(&big, 50),
            Err(DecodeError::TooLarge {
                len: big.len(),
                limit: 50
            })
        );
    }

    #[test]
    fn unknown_shapes_and_fields_are_malformed() {
        for text in [
            "",
            "null",
            "[]",
            r#"{"history":{}}"#,
            r#"{"history":{"kind":"push","extra":1}}"#,
            r#"{"history":{"kind":"push"},"extra":1}"#,
            // Two messages in one, none, a missing field, the array form serde also reads.
            r#"{"history":{"kind":"push"},"ready":{"jivoApiPresent":true}}"#,
            "{}",
            r#"{"ready":{}}"#,
            r#"{"history":["push"]}"#,
            r#"{"history":{"kind":"pop"}}"#,
            r#"{"siteApi":{"x":1}}"#,
            r#"{"callback":{"name":"jivo_onEvil","args":[]}}"#,
            r#"{"sandboxCall":{"method":"eval","args":[]}}"#,
            // The shape ToPage keeps is not a FromPage.
            r#"{"type":"history","kind":"push"}"#,
        ] {
            assert!(matches!(
                decode::<FromPage>(text, limits::PAGE_MESSAGE_BYTES),
                Err(DecodeError::Malformed(_))
            ));
        }
    }

    #[test]
    fn page_messages_round_trip() {
        let msgs = vec![
            FromPage::Ready {
                jivo_api_present: true,
            },
            FromPage::Callback {
                name: Callback::OnChangeState,
                args: vec![json!("chat")],
            },
            FromPage::SandboxCall {
                method: Method::Open,
                args: vec![json!({"start": "call"})],
            },
            FromPage::ApiResult {
                id: 7,
                outcome: Reply::callback(vec![json!(null), json!(3)]),
            },
            FromPage::SandboxRead {
                method: Method::GetUnreadMessagesCount,
                returned: Some(json!(3)),
            },
            FromPage::SandboxRead {
                method: Method::GetUtm,
                returned: None,
            },
        ];
        for m in msgs {
            let text = encode(&m);
            assert_eq!(decode::<FromPage>(&text, limits::PAGE_MESSAGE_BYTES), Ok(m));
        }
        let fire = ToPage::Fire {
            callbacks: vec![(Callback::OnOpen, vec![])],
        };
        assert_eq!(
            encode(&fire),
            r#"{"type":"fire","callbacks":[["jivo_onOpen",[]]]}"#
        );
    }

    #[test]
    fn decodes_the_shims_wire_text() {
        // As extension/shim.js writes them (tests/shim_contract.rs checks the shim itself).
        let ready = r#"{"ready":{"jivoApiPresent":false}}"#;
        assert_eq!(
            decode::<FromPage>(ready, limits::PAGE_MESSAGE_BYTES),
            Ok(FromPage::Ready {
                jivo_api_present: false
            })
        );
        let threw = r#"{"callbackThrew":{"name":"jivo_onOpen","message":"boom"}}"#;
        assert!(decode::<FromPage>(threw, limits::PAGE_MESSAGE_BYTES).is_ok());
        let result =
            r#"{"apiResult":{"id":3,"outcome":{"returned":{"result":"ok"},"callbackArgs":null}}}"#;
        assert!(decode::<FromPage>(result, limits::PAGE_MESSAGE_BYTES).is_ok());
        let call = r#"{"sandboxCall":{"method":"jivo_init","args":[]}}"#;
        assert!(decode::<FromPage>(call, limits::PAGE_MESSAGE_BYTES).is_ok());
    }

    #[test]
    fn status_ids_are_stable() {
        assert_eq!(PageStatus::Connected.id(), "connected");
        assert_eq!(PageStatus::Failed { reason: "x".into() }.id(), "failed");
        assert!(!PageStatus::Connecting.is_connected());
        assert_eq!(
            encode(&PageStatus::Failed {
                reason: "404".into()
            }),
            r#"{"state":"failed","reason":"404"}"#
        );
    }
}
