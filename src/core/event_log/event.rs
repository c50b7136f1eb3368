//! What one log entry says: [`Event`], where it came from ([`Origin`]), which popup filter it
//! belongs to ([`Kind`]), and the [`Entry`] that carries it with its id and time.

use core::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::api::call::Reply;
use crate::api::{Callback, Method};
use crate::checks::PageFact;
use crate::spa::{PageReport, ReportReason, Unreported, UnreportedReason, UrlCause};

/// Who made an API call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Origin {
    /// The page's own script (`jivo_api.open()` in the site's code).
    Page,
    /// The popup's API console.
    Popup,
    /// The SPA tracker (`sendPageTitle` after a client-side navigation).
    SpaTracker,
    /// The extension itself, e.g. reading the real widget's state for the popup (note
    /// "widget state").
    Extension,
}

impl Origin {
    /// Every origin.
    pub const ALL: [Origin; 4] = [
        Origin::Page,
        Origin::Popup,
        Origin::SpaTracker,
        Origin::Extension,
    ];

    /// The name used in the log format: `page`, `popup`, `spaTracker` or `extension`.
    pub fn name(self) -> &'static str {
        match self {
            Origin::Page => "page",
            Origin::Popup => "popup",
            Origin::SpaTracker => "spaTracker",
            Origin::Extension => "extension",
        }
    }
}

/// One thing that happened in a tab.
///
/// Serialises with a `kind` tag and camelCase fields, e.g.
/// `{"kind":"callback","name":"jivo_onOpen","args":[]}`; see `docs/log-format.md`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum Event {
    /// The widget called one of the page's callbacks (recorded before the page's handler runs).
    Callback {
        /// Which callback, by its documented name.
        name: Callback,
        /// Its arguments as the page shim serialised them.
        args: Vec<Value>,
    },
    /// The page's handler for a callback threw; the exception went back to the widget.
    CallbackThrew {
        /// Which callback.
        name: Callback,
        /// The exception's message.
        message: String,
    },
    /// An entry point of the widget was called.
    ApiCall {
        /// Which entry point.
        method: Method,
        /// The arguments it was called with.
        args: Vec<Value>,
        /// Who called it.
        origin: Origin,
        /// What it returned, passed to its callback or threw. A returned `null` is stored as
        /// absent, as [`Reply`] reads it back; its note is always `None` (the entry's `note`
        /// carries it).
        outcome: Reply,
        /// Why the call failed or was ignored, when the extension knows (sandbox, console).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// A page (document) loaded in the tab: a marker between pages.
    PageLoad {
        /// `location.href`.
        url: String,
        /// `document.title`.
        title: String,
    },
    /// A client-side (SPA) navigation: a URL change seen, or a `sendPageTitle` report sent.
    Navigation {
        /// The URL after the change.
        url: String,
        /// The title after the change.
        title: String,
        /// The browser event behind the URL change, when one was seen (a title-only change
        /// has none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cause: Option<UrlCause>,
        /// Whether the SPA tracker reported it to the widget with `sendPageTitle`.
        reported: bool,
        /// Why it was not reported (`reported: false` entries the SPA tracker settled; absent
        /// in reported entries and in logs written before reasons were recorded).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<UnreportedReason>,
    },
    /// The extension's own progress: injection, loader and connection state changes; and
    /// what the extension saw the page do that the checks need and no other kind records
    /// (a handler defined, the widget removed, the loaders on the page: `fact`).
    Status {
        /// What changed, in plain words.
        text: String,
        /// The fact this entry shows, for the integration checks ([`PageFact`]); absent in a
        /// plain progress entry. An entry with a fact is the fact's evidence.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fact: Option<PageFact>,
    },
    /// Something went wrong (a loader failure, a refused message, an internal error).
    Error {
        /// What went wrong.
        message: String,
    },
}

impl Event {
    /// A progress entry in plain words, with no fact.
    pub fn status(text: impl Into<String>) -> Event {
        Event::Status {
            text: text.into(),
            fact: None,
        }
    }

    /// An entry that shows a fact the page gave away ([`PageFact`]), described by `text`.
    pub fn fact(text: impl Into<String>, fact: PageFact) -> Event {
        Event::Status {
            text: text.into(),
            fact: Some(fact),
        }
    }

    /// An API call answered with a [`Reply`] (the sandbox and the popup console): the reply
    /// becomes the outcome, its note the entry's note.
    pub fn api_call(method: Method, args: Vec<Value>, origin: Origin, reply: &Reply) -> Event {
        Event::ApiCall {
            method,
            args,
            origin,
            outcome: reply.clone().without_note(),
            note: reply.note.clone(),
        }
    }

    /// The navigation the SPA tracker reported with `sendPageTitle`.
    pub fn reported(report: &PageReport) -> Event {
        Event::Navigation {
            url: report.url.clone(),
            title: report.title.clone(),
            cause: match report.reason {
                ReportReason::Navigation { cause } => cause,
                ReportReason::TitleOnly => None,
            },
            reported: true,
            reason: None,
        }
    }

    /// A navigation the SPA tracker saw and settled without reporting it, with its reason.
    pub fn unreported(navigation: &Unreported) -> Event {
        Event::Navigation {
            url: navigation.url.clone(),
            title: navigation.title.clone(),
            cause: Some(navigation.cause),
            reported: false,
            reason: Some(navigation.reason),
        }
    }

    /// The popup filter this event belongs to.
    pub fn kind(&self) -> Kind {
        match self {
            Event::Callback { .. } => Kind::Callback,
            Event::ApiCall { .. } => Kind::ApiCall,
            Event::PageLoad { .. } | Event::Navigation { .. } => Kind::Navigation,
            Event::Status { .. } => Kind::Status,
            Event::CallbackThrew { .. } | Event::Error { .. } => Kind::Error,
        }
    }

    /// The documented name of the callback or entry point (`jivo_onOpen`, `setWidgetColor`),
    /// for the events that have one.
    pub fn name(&self) -> Option<&'static str> {
        match self {
            Event::Callback { name, .. } | Event::CallbackThrew { name, .. } => Some(name.name()),
            Event::ApiCall { method, .. } => Some(method.name()),
            _ => None,
        }
    }

    /// The `kind` tag this event serialises with (`callback`, `callbackThrew`, `apiCall`,
    /// `pageLoad`, `navigation`, `status`, `error`).
    pub fn tag(&self) -> &'static str {
        match self {
            Event::Callback { .. } => "callback",
            Event::CallbackThrew { .. } => "callbackThrew",
            Event::ApiCall { .. } => "apiCall",
            Event::PageLoad { .. } => "pageLoad",
            Event::Navigation { .. } => "navigation",
            Event::Status { .. } => "status",
            Event::Error { .. } => "error",
        }
    }
}

/// The popup's filter groups. Every event belongs to exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// [`Event::Callback`].
    Callback,
    /// [`Event::ApiCall`].
    ApiCall,
    /// [`Event::PageLoad`] and [`Event::Navigation`].
    Navigation,
    /// [`Event::Status`].
    Status,
    /// [`Event::Error`] and [`Event::CallbackThrew`].
    Error,
}

impl Kind {
    /// Every kind, in the popup's order.
    pub const ALL: [Kind; 5] = [
        Kind::Callback,
        Kind::ApiCall,
        Kind::Navigation,
        Kind::Status,
        Kind::Error,
    ];

    /// The name used in filters and counts: `callback`, `apiCall`, `navigation`, `status`,
    /// `error`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Callback => "callback",
            Kind::ApiCall => "apiCall",
            Kind::Navigation => "navigation",
            Kind::Status => "status",
            Kind::Error => "error",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of [`Kind`]s. Serialises as an array of kind names, e.g. `["callback","error"]`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KindSet(u8);

impl KindSet {
    /// No kind.
    pub const EMPTY: KindSet = KindSet(0);
    /// Every kind.
    pub const ALL: KindSet = KindSet(0b1_1111);

    /// The set holding just `kind`.
    pub fn only(kind: Kind) -> KindSet {
        KindSet(kind.bit())
    }

    /// This set with `kind` added.
    #[must_use]
    pub fn with(self, kind: Kind) -> KindSet {
        KindSet(self.0 | kind.bit())
    }

    /// This set with `kind` removed.
    #[must_use]
    pub fn without(self, kind: Kind) -> KindSet {
        KindSet(self.0 & !kind.bit())
    }

    /// Whether `kind` is in the set.
    pub fn contains(self, kind: Kind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The kinds in the set, in [`Kind::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Kind> {
        Kind::ALL.into_iter().filter(move |k| self.contains(*k))
    }
}

impl FromIterator<Kind> for KindSet {
    fn from_iter<I: IntoIterator<Item = Kind>>(iter: I) -> KindSet {
        iter.into_iter().fold(KindSet::EMPTY, KindSet::with)
    }
}

impl fmt::Debug for KindSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for KindSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for KindSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<KindSet, D::Error> {
        Ok(Vec::<Kind>::deserialize(d)?.into_iter().collect())
    }
}

/// How many entries of each kind the log holds (the popup header's counters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KindCounts {
    /// [`Kind::Callback`] entries.
    pub callback: u32,
    /// [`Kind::ApiCall`] entries.
    pub api_call: u32,
    /// [`Kind::Navigation`] entries.
    pub navigation: u32,
    /// [`Kind::Status`] entries.
    pub status: u32,
    /// [`Kind::Error`] entries.
    pub error: u32,
}

impl KindCounts {
    /// The counts of `entries`.
    pub fn of(entries: &[Entry]) -> KindCounts {
        let mut c = KindCounts::default();
        for e in entries {
            c.add(e.kind());
        }
        c
    }

    /// The count for `kind`.
    pub fn get(&self, kind: Kind) -> u32 {
        match kind {
            Kind::Callback => self.callback,
            Kind::ApiCall => self.api_call,
            Kind::Navigation => self.navigation,
            Kind::Status => self.status,
            Kind::Error => self.error,
        }
    }

    /// All entries.
    pub fn total(&self) -> u32 {
        Kind::ALL.into_iter().map(|k| self.get(k)).sum()
    }

    fn slot(&mut self, kind: Kind) -> &mut u32 {
        match kind {
            Kind::Callback => &mut self.callback,
            Kind::ApiCall => &mut self.api_call,
            Kind::Navigation => &mut self.navigation,
            Kind::Status => &mut self.status,
            Kind::Error => &mut self.error,
        }
    }

    pub(super) fn add(&mut self, kind: Kind) {
        *self.slot(kind) += 1;
    }

    pub(super) fn remove(&mut self, kind: Kind) {
        let n = self.slot(kind);
        *n = n.saturating_sub(1);
    }
}

/// One log entry: an [`Event`] with its log-wide id and its time.
///
/// Serialises as the event's object with `id` and `at` first:
/// `{"id":7,"at":1718000000000.5,"kind":"status","text":"connected"}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// Log-wide id: each accepted entry gets the next one (from 1), never reused, not even
    /// after a clear, so the popup can ask for everything after the last id it has.
    pub id: u64,
    /// Wall-clock time in milliseconds since the epoch, as the caller supplied it (to the
    /// microsecond, see [`quantize_time`]).
    pub at: f64,
    /// What happened.
    pub event: Event,
}

impl Entry {
    /// The popup filter this entry belongs to.
    pub fn kind(&self) -> Kind {
        self.event.kind()
    }
}

/// The latest (and, negated, the earliest) time an entry can have, in ms since the epoch:
/// 9·10¹² ms, in the year 2255.
pub const MAX_TIME_MS: f64 = 9.0e12;

/// The time an entry keeps for a time given: rounded to whole microseconds, within
/// ±[`MAX_TIME_MS`], and 0 for NaN.
///
/// JSON has no NaN or infinity, and such a time has at most 16 significant digits, so it
/// survives a trip through JSON text (the export, `storage.session`) exactly.
pub fn quantize_time(at: f64) -> f64 {
    if at.is_nan() {
        return 0.0;
    }
    (at.clamp(-MAX_TIME_MS, MAX_TIME_MS) * 1000.0).round() / 1000.0
}

#[derive(Serialize)]
struct EntryOut<'a> {
    id: u64,
    at: f64,
    #[serde(flatten)]
    event: &'a Event,
}

impl Serialize for Entry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        EntryOut {
            id: self.id,
            at: self.at,
            event: &self.event,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Entry {
    /// Strict: `id` (a whole number), `at` (a finite number) and exactly the event's fields.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Entry, D::Error> {
        let mut map = Map::<String, Value>::deserialize(d)?;
        let id = map
            .remove("id")
            .ok_or_else(|| D::Error::missing_field("id"))?;
        let id = id
            .as_u64()
            .ok_or_else(|| D::Error::custom(format!("id must be a whole number, got {id}")))?;
        let at = map
            .remove("at")
            .ok_or_else(|| D::Error::missing_field("at"))?;
        let at = at
            .as_f64()
            .ok_or_else(|| D::Error::custom(format!("at must be a number, got {at}")))?;
        let event = Event::deserialize(Value::Object(map)).map_err(D::Error::custom)?;
        Ok(Entry { id, at, event })
    }
}

/// Identifies one page load: the content script picks it when the page loads (a random UUID,
/// say) and sends it with every event, with that page's sequence numbers.
///
/// 1 to [`PageId::MAX_LEN`] printable ASCII characters. Serialises as a string.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PageId(String);

impl PageId {
    /// The longest page id, in characters.
    pub const MAX_LEN: usize = 64;

    /// Checks a page id.
    pub fn new(id: impl Into<String>) -> Result<PageId, InvalidPageId> {
        let id = id.into();
        if id.is_empty() || id.len() > PageId::MAX_LEN || !id.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(InvalidPageId(
                id.chars().take(PageId::MAX_LEN + 1).collect(),
            ));
        }
        Ok(PageId(id))
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<u64> for PageId {
    /// A number as a page id (its decimal text).
    fn from(n: u64) -> PageId {
        PageId(n.to_string())
    }
}

impl TryFrom<String> for PageId {
    type Error = InvalidPageId;
    fn try_from(s: String) -> Result<PageId, InvalidPageId> {
        PageId::new(s)
    }
}

impl From<PageId> for String {
    fn from(p: PageId) -> String {
        p.0
    }
}

impl fmt::Display for PageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A page id that is empty, too long or not printable ASCII.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidPageId(pub String);

impl fmt::Display for InvalidPageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a page id must be 1–{} printable ASCII characters, got {:?}",
            PageId::MAX_LEN,
            self.0
        )
    }
}

impl std::error::Error for InvalidPageId {}
