//! The per-tab event log the background keeps and the popup shows: every widget callback,
//! every API call with its outcome and origin, page loads and SPA navigations, the extension's
//! status changes and errors.
//!
//! A [`TabLog`] is a pure value: the background feeds it events and persists what
//! [`TabLog::take_changes`] hands back; nothing in here touches a browser.
//!
//! - **Bounded.** It keeps at most `cap` entries (`log.maxEntries`, 100 – 20000, default
//!   2000) and at most [`MAX_LOG_BYTES`] of JSON; the oldest go first and are counted in
//!   [`TabLog::dropped`]. One entry is at most [`MAX_ENTRY_BYTES`]: bigger ones are cut down
//!   with markers (see [Limits](#limits)).
//! - **Exactly once.** The content script sends each event with its page's id ([`PageId`]) and
//!   a per-page sequence number from 1, and resends what was not acknowledged after a
//!   background restart. [`TabLog::append`] stores a `(page, seq)` once and answers
//!   [`Appended::Duplicate`] to a repeat; [`TabLog::acked`] is the acknowledgement: every event
//!   of that page up to this number is stored.
//! - **Persisted incrementally.** Entries live in chunks of [`CHUNK_LEN`] consecutive ids, plus a
//!   small head; after appends only the head and the last chunk change, so write-through costs
//!   O(new entries), not O(log size). [`TabLog::restore`] rebuilds the very same log.
//!   [`Saver`] holds each acknowledgement back until the write carrying its change succeeded,
//!   and decides what the log says when storage refuses writes (full) and when it takes them
//!   again.
//! - **Filtered, searched, exported** for the popup: [`Filter`], [`TabLog::since`],
//!   [`TabLog::counts`], [`TabLog::export`] (the file format is `docs/log-format.md`).
//!
//! ```
//! use std::num::NonZeroU64;
//! use jwi_core::api::Callback;
//! use jwi_core::event_log::{Appended, Event, Filter, Kind, KindSet, PageId, TabLog};
//! use serde_json::json;
//!
//! let mut log = TabLog::new(2000);
//! let page = PageId::new("3f2a9c").unwrap();
//! let seq = |n| NonZeroU64::new(n).unwrap();
//! let open = Event::Callback { name: Callback::OnOpen, args: vec![] };
//! let state = Event::Callback { name: Callback::OnChangeState, args: vec![json!("chat")] };
//!
//! assert_eq!(log.append(&page, seq(1), 1_718_000_000_000.0, open.clone()), Appended::New(1));
//! assert_eq!(log.append(&page, seq(2), 1_718_000_000_005.0, state), Appended::New(2));
//! // After a background restart the content script resends what it has not seen acknowledged.
//! assert_eq!(log.append(&page, seq(1), 1_718_000_000_000.0, open), Appended::Duplicate);
//! assert_eq!(log.acked(&page), 2);
//!
//! let filter = Filter { kinds: KindSet::only(Kind::Callback), text: "CHAT".into(), ..Filter::default() };
//! let found: Vec<u64> = log.filter(&filter).map(|e| e.id).collect();
//! assert_eq!(found, [2]);
//!
//! // Persist: the first time everything, afterwards only what changed.
//! let changes = log.take_changes();
//! let restored = TabLog::restore(2000, changes.write).unwrap();
//! assert_eq!(restored, log);
//! ```
//!
//! # Limits
//!
//! | limit | value | what happens beyond it |
//! |---|---|---|
//! | entries per tab | `cap`, 100 – 20000 | the oldest go, counted in `dropped` |
//! | JSON bytes per tab | [`MAX_LOG_BYTES`] (4 MiB) | the oldest go, counted in `dropped` |
//! | JSON bytes per entry | [`MAX_ENTRY_BYTES`] (8 KiB) | the biggest values and texts are cut, with markers |
//! | arguments per entry | [`MAX_ARGS`] (16) | the first 15 are kept, then `{"$omitted": n}` |
//! | pages remembered for de-duplication | [`MAX_PAGES`] (32) | the least recently heard-from page is forgotten |

mod bound;
mod event;
mod export;
mod filter;
mod save;
mod store;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::num::NonZeroU64;

use serde::{Deserialize, Serialize};

pub use bound::{MAX_ARGS, MAX_ENTRY_BYTES, OMITTED_KEY, TRUNCATED_KEY};
pub use event::{
    quantize_time, Entry, Event, InvalidPageId, Kind, KindCounts, KindSet, Origin, PageId,
    MAX_TIME_MS,
};
pub use export::{Export, ImportError, EXPORT_FORMAT, EXPORT_VERSION};
pub use filter::{Filter, Matcher};
pub use save::{Finished, Next, Saver, RETRY_MS};
pub use store::{chunk_entries, Changes, ChunkKey, RestoreError, CHUNK_LEN, STORE_VERSION};

use crate::settings::LogConfig;

/// The most JSON one tab's log keeps, in bytes (4 MiB); the oldest entries go first.
///
/// `storage.session` holds 10 MB in Chromium for the whole extension, and 20000 entries of up
/// to 8 KiB each would be 160 MB, so the entry count alone cannot keep a tab within it.
pub const MAX_LOG_BYTES: usize = 4 * 1024 * 1024;

/// How many of the newest entries a popup gets from the background when it starts watching a
/// tab. It shows those at once and reads the older ones from `storage.session` itself
/// ([`ChunkKey::covering`], [`chunk_entries`]) after it has opened: decoding a whole 2,000-entry
/// log before the first paint made opening the popup slow.
pub const WATCH_ENTRIES: usize = 256;

/// How many pages' sequence numbers a log remembers for de-duplication.
///
/// Only the tab's current page sends events, and a page resends only what was not yet
/// acknowledged, so a page not heard from while 32 others loaded has nothing left to resend.
pub const MAX_PAGES: usize = 32;

/// What [`TabLog::append`] did with an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Appended {
    /// Stored as the entry with this id.
    New(u64),
    /// Already stored (the same page and sequence number, or an older one): ignored.
    Duplicate,
}

/// The popup header's numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// The entries the log holds.
    pub len: u32,
    /// The most it holds (`log.maxEntries`).
    pub cap: u32,
    /// Entries dropped since the last clear to stay within the limits (oldest first).
    pub dropped: u64,
    /// Events that never arrived: gaps in a page's sequence numbers since the last clear.
    pub missed: u64,
    /// The entries per kind.
    pub counts: KindCounts,
    /// The id of the oldest entry held (`next_id` when empty): a popup forgets the entries it
    /// shows with lower ids (dropped or cleared).
    pub first_id: u64,
    /// The id the next entry will get: a popup that has every entry up to `next_id - 1` is up
    /// to date, and [`TabLog::since`] gives it what came after the last id it has.
    pub next_id: u64,
}

/// One tab's bounded, de-duplicated, persistable event log.
#[derive(Clone, Debug)]
pub struct TabLog {
    cap: usize,
    entries: VecDeque<Stored>,
    /// The JSON size of all entries.
    bytes: usize,
    dropped: u64,
    missed: u64,
    next_id: u64,
    /// Per page, the highest sequence number stored; least recently heard-from first.
    pages: Vec<PageMark>,
    counts: KindCounts,
    sync: store::SyncState,
}

/// An entry and its JSON size.
#[derive(Clone, Debug)]
struct Stored {
    entry: Entry,
    bytes: usize,
}

/// The highest sequence number stored for one page.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PageMark {
    page: PageId,
    acked: u64,
}

impl Default for TabLog {
    /// An empty log with the default cap (2000).
    fn default() -> TabLog {
        TabLog::new(LogConfig::DEFAULT_MAX_ENTRIES)
    }
}

impl PartialEq for TabLog {
    /// Logs are equal when they hold the same entries, counters, cap and acknowledgements
    /// (what is persisted), whatever their unsaved changes.
    fn eq(&self, other: &TabLog) -> bool {
        self.cap == other.cap
            && self.dropped == other.dropped
            && self.missed == other.missed
            && self.next_id == other.next_id
            && self.pages == other.pages
            && self.entries.len() == other.entries.len()
            && self.entries().eq(other.entries())
    }
}

/// The cap in force for a requested one: `log.maxEntries`' range, 100 – 20000.
fn clamp_cap(cap: u32) -> usize {
    cap.clamp(LogConfig::MIN_MAX_ENTRIES, LogConfig::MAX_MAX_ENTRIES) as usize
}

impl TabLog {
    /// An empty log keeping at most `cap` entries (clamped to 100 – 20000, the range of
    /// `log.maxEntries`).
    pub fn new(cap: u32) -> TabLog {
        TabLog {
            cap: clamp_cap(cap),
            entries: VecDeque::new(),
            bytes: 0,
            dropped: 0,
            missed: 0,
            next_id: 1,
            pages: Vec::new(),
            counts: KindCounts::default(),
            sync: store::SyncState::new(),
        }
    }

    /// Stores an event the content script of `page` sent with sequence number `seq`, at time
    /// `at` (ms since the epoch), unless that page's `seq` is already stored.
    ///
    /// Sequence numbers of a page start at 1 and increase by one per event. A number at or
    /// below [`TabLog::acked`] is a duplicate. A number more than one above it is stored, and
    /// the numbers skipped are counted in [`TabLog::missed`] (for a page already heard from).
    pub fn append(&mut self, page: &PageId, seq: NonZeroU64, at: f64, event: Event) -> Appended {
        let seq = seq.get();
        match self.pages.iter().position(|m| &m.page == page) {
            Some(i) => {
                let acked = self.pages[i].acked;
                if seq <= acked {
                    return Appended::Duplicate;
                }
                self.missed += seq - acked - 1;
                self.pages.remove(i);
            }
            None if self.pages.len() >= MAX_PAGES => {
                self.pages.remove(0);
            }
            None => {}
        }
        self.pages.push(PageMark {
            page: page.clone(),
            acked: seq,
        });
        Appended::New(self.push(at, event))
    }

    /// Stores an event the background itself saw (a status change, a popup console call, an
    /// error), which needs no de-duplication; returns its id.
    pub fn record(&mut self, at: f64, event: Event) -> u64 {
        self.push(at, event)
    }

    /// The acknowledgement for `page`: every event of it with a sequence number up to this is
    /// stored (0: none, or the page is not remembered).
    pub fn acked(&self, page: &PageId) -> u64 {
        self.pages
            .iter()
            .find(|m| &m.page == page)
            .map_or(0, |m| m.acked)
    }

    /// Changes the cap (clamped to 100 – 20000); shrinking drops the oldest entries and counts
    /// them in [`TabLog::dropped`].
    pub fn set_cap(&mut self, cap: u32) {
        self.cap = clamp_cap(cap);
        self.evict();
    }

    /// Empties the log for the popup's "clear" button: no entries, `dropped` and `missed` 0.
    ///
    /// Ids keep increasing and the pages' acknowledgements are kept, so an event resent after
    /// a clear is still recognised as a duplicate.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
        self.dropped = 0;
        self.missed = 0;
        self.counts = KindCounts::default();
        self.sync.head_changed();
    }

    /// The cap in force.
    pub fn cap(&self) -> u32 {
        self.cap as u32
    }

    /// How many entries the log holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the log holds no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries dropped (oldest first) since the last clear to stay within the cap or
    /// [`MAX_LOG_BYTES`], or lost from storage.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Events that never arrived since the last clear: gaps in a page's sequence numbers.
    pub fn missed(&self) -> u64 {
        self.missed
    }

    /// The JSON size of all entries, in bytes.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The id the next entry will get.
    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    /// How many entries of each kind the log holds.
    pub fn counts(&self) -> KindCounts {
        self.counts
    }

    /// The popup header's numbers.
    pub fn summary(&self) -> Summary {
        Summary {
            len: self.entries.len() as u32,
            cap: self.cap(),
            dropped: self.dropped,
            missed: self.missed,
            counts: self.counts,
            first_id: self.first_id(),
            next_id: self.next_id,
        }
    }

    /// The id of the oldest entry held, or [`TabLog::next_id`] when the log is empty.
    pub fn first_id(&self) -> u64 {
        self.entries.front().map_or(self.next_id, |s| s.entry.id)
    }

    /// All entries, oldest first.
    pub fn entries(&self) -> impl DoubleEndedIterator<Item = &Entry> + ExactSizeIterator + '_ {
        self.entries.iter().map(|s| &s.entry)
    }

    /// The entry with this id, if the log still holds it.
    pub fn get(&self, id: u64) -> Option<&Entry> {
        let i = self.entries.partition_point(|s| s.entry.id < id);
        self.entries.get(i).map(|s| &s.entry).filter(|e| e.id == id)
    }

    /// The entries after `id`, oldest first: the popup's live update from the last id it has
    /// (0 for everything).
    pub fn since(
        &self,
        id: u64,
    ) -> impl DoubleEndedIterator<Item = &Entry> + ExactSizeIterator + '_ {
        let from = self.entries.partition_point(|s| s.entry.id <= id);
        self.entries.range(from..).map(|s| &s.entry)
    }

    /// The entries `filter` shows, oldest first.
    pub fn filter(&self, filter: &Filter) -> impl DoubleEndedIterator<Item = &Entry> + '_ {
        let matcher = filter.matcher();
        self.entries().filter(move |e| matcher.matches(e))
    }

    /// Stores an accepted event as the next entry.
    fn push(&mut self, at: f64, event: Event) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let mut entry = Entry {
            id,
            at: quantize_time(at),
            event,
        };
        let bytes = bound::bound(&mut entry);
        self.counts.add(entry.kind());
        self.bytes += bytes;
        self.entries.push_back(Stored { entry, bytes });
        self.sync.entry_added(id);
        self.evict();
        id
    }

    /// Drops the oldest entries until the log is within its cap and [`MAX_LOG_BYTES`].
    fn evict(&mut self) {
        while self.entries.len() > self.cap || self.bytes > MAX_LOG_BYTES {
            let Some(old) = self.entries.pop_front() else {
                break;
            };
            self.bytes -= old.bytes;
            self.counts.remove(old.entry.kind());
            self.dropped += 1;
            self.sync.head_changed();
        }
    }
}
