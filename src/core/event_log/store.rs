//! Incremental persistence in `storage.session`.
//!
//! A log is stored as one *head* and any number of *chunks*, each under its own key:
//!
//! - the head ([`ChunkKey::Head`], storage key `log:<tab>`) holds the counters and the pages'
//!   acknowledgements: `{"version":1,"firstId":…,"nextId":…,"len":…,"dropped":…,"missed":…,
//!   "pages":[["<page id>",<acked>],…]}`;
//! - chunk `n` ([`ChunkKey::Entries`], storage key `log:<tab>:<n>`) holds the live entries
//!   whose ids are `n * CHUNK_LEN ..= n * CHUNK_LEN + CHUNK_LEN - 1`, as a JSON array, oldest
//!   first, in the export's entry format.
//!
//! Ids only grow, so appending touches only the last chunk (or starts a new one), and dropping
//! the oldest entries only ever empties whole chunks at the front (a partly dropped chunk is
//! left as it is: the head's `firstId` says where the log starts). [`TabLog::take_changes`]
//! hands back exactly what changed since the last call: the head, the chunks that got new
//! entries, and the chunks to remove; its cost is O(new entries + [`CHUNK_LEN`]) whatever the
//! size of the log.
//!
//! The shell must write one [`Changes::write`] in a single `storage.session.set` call (so the
//! head and the chunks it describes are stored together). It may remove [`Changes::remove`]
//! before or after: those chunks hold only dropped entries, so a stored head that still lists
//! one restores as those entries dropped. (The background removes first, which frees room when
//! storage is full.)

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::bound;
use super::event::{quantize_time, Entry, PageId};
use super::{PageMark, Stored, TabLog, MAX_PAGES};
use crate::settings::LogConfig;
use crate::storage_keys;

/// How many consecutive entry ids one chunk covers.
///
/// Rewriting the last chunk after an append costs at most this many entries; 20000 entries
/// take about 313 chunks.
pub const CHUNK_LEN: u64 = 64;

/// The version of the stored head; a head of another version is not restored.
pub const STORE_VERSION: u32 = 1;

/// One stored piece of a log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChunkKey {
    /// The head: counters and acknowledgements.
    Head,
    /// The chunk with this number: entries with ids `n * CHUNK_LEN .. (n + 1) * CHUNK_LEN`.
    Entries(u64),
}

impl ChunkKey {
    /// Chunk number `n`.
    pub fn chunk(n: u64) -> ChunkKey {
        ChunkKey::Entries(n)
    }

    /// The chunk that holds the entry with this id.
    pub fn of_entry(id: u64) -> ChunkKey {
        ChunkKey::Entries(id / CHUNK_LEN)
    }

    /// The entry ids a chunk covers (`None` for the head).
    pub fn entry_ids(self) -> Option<Range<u64>> {
        match self {
            ChunkKey::Head => None,
            ChunkKey::Entries(n) => {
                Some(n.saturating_mul(CHUNK_LEN)..(n.saturating_add(1)).saturating_mul(CHUNK_LEN))
            }
        }
    }

    /// The `storage.session` key for tab `tab`: `log:<tab>` for the head, `log:<tab>:<n>` for
    /// chunk `n` ([`storage_keys::log_head`], [`storage_keys::log_chunk`]).
    pub fn storage_key(self, tab: i32) -> String {
        match self {
            ChunkKey::Head => storage_keys::log_head(tab),
            ChunkKey::Entries(n) => storage_keys::log_chunk(tab, n),
        }
    }

    /// The tab and piece a `storage.session` key names, if it is one of [`ChunkKey::storage_key`]'s.
    pub fn parse_storage_key(key: &str) -> Option<(i32, ChunkKey)> {
        let rest = key.strip_prefix(storage_keys::LOG_PREFIX)?;
        let (tab, chunk) = match rest.split_once(':') {
            None => (rest, ChunkKey::Head),
            Some((tab, n)) => (tab, ChunkKey::Entries(canonical::<u64>(n)?)),
        };
        Some((canonical::<i32>(tab)?, chunk))
    }

    /// The chunks holding the entries with these ids, newest first (the order a popup reads
    /// them in: the ones next to what it shows come first).
    pub fn covering(ids: Range<u64>) -> impl Iterator<Item = ChunkKey> {
        let chunks = if ids.is_empty() {
            1..1
        } else {
            ids.start / CHUNK_LEN..(ids.end - 1) / CHUNK_LEN + 1
        };
        chunks.rev().map(ChunkKey::Entries)
    }

    /// Every piece a stored head says the log has: the head and the chunks from its first to
    /// its last entry. The shell reads the head after a restart, then these keys, then calls
    /// [`TabLog::restore`].
    pub fn listed_by(head: &Value) -> Result<Vec<ChunkKey>, RestoreError> {
        let head = Head::parse(head)?;
        let mut keys = vec![ChunkKey::Head];
        if let Some(chunks) = head.chunk_range() {
            keys.extend(chunks.map(ChunkKey::Entries));
        }
        Ok(keys)
    }
}

/// `s` as a number, if it is written the way the number prints (no `+`, no leading zeros).
fn canonical<N: std::str::FromStr + ToString>(s: &str) -> Option<N> {
    s.parse::<N>().ok().filter(|n| n.to_string() == s)
}

/// The entries of one stored chunk's value, oldest first; what is not an entry is skipped.
/// For readers of `storage.session` other than [`TabLog::restore`] (the popup).
pub fn chunk_entries(value: &Value) -> Vec<Entry> {
    let Some(list) = value.as_array() else {
        return Vec::new();
    };
    let mut entries: Vec<Entry> = list
        .iter()
        .filter_map(|item| Entry::deserialize(item).ok())
        .collect();
    entries.sort_by_key(|e| e.id);
    entries.dedup_by_key(|e| e.id);
    entries
}

/// What to store after changes to a log.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Changes {
    /// Pieces to store, in one `storage.session.set` call; the head first.
    pub write: Vec<(ChunkKey, Value)>,
    /// Pieces to remove (chunks whose entries are all gone).
    pub remove: Vec<ChunkKey>,
}

impl Changes {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.write.is_empty() && self.remove.is_empty()
    }
}

/// Why a stored log could not be restored (the background then starts an empty one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RestoreError {
    /// There is no head among the pieces.
    NoHead,
    /// The head is of another [`STORE_VERSION`].
    Version(u64),
    /// The head is malformed or contradicts itself.
    Head(String),
}

impl fmt::Display for RestoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RestoreError::NoHead => f.write_str("the stored log has no head"),
            RestoreError::Version(v) => write!(
                f,
                "the stored log is version {v}, this extension reads version {STORE_VERSION}"
            ),
            RestoreError::Head(why) => write!(f, "the stored log's head is malformed: {why}"),
        }
    }
}

impl std::error::Error for RestoreError {}

/// The stored head.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Head {
    version: u64,
    /// The id of the oldest entry, or `next_id` when the log is empty.
    first_id: u64,
    next_id: u64,
    /// How many entries the chunks hold between `first_id` and `next_id`.
    len: u64,
    dropped: u64,
    missed: u64,
    /// Per page, the highest sequence number stored; least recently heard-from first.
    pages: Vec<(PageId, u64)>,
}

impl Head {
    fn parse(v: &Value) -> Result<Head, RestoreError> {
        if let Some(version) = v.get("version").and_then(Value::as_u64) {
            if version != u64::from(STORE_VERSION) {
                return Err(RestoreError::Version(version));
            }
        }
        let head = Head::deserialize(v).map_err(|e| RestoreError::Head(e.to_string()))?;
        if head.version != u64::from(STORE_VERSION) {
            return Err(RestoreError::Version(head.version));
        }
        if head.first_id == 0 || head.first_id > head.next_id {
            return Err(RestoreError::Head(format!(
                "firstId {} is not within 1..=nextId {}",
                head.first_id, head.next_id
            )));
        }
        // Ids are consecutive, so a log spans no more ids than the most entries a log may
        // hold; a corrupt head must not make a reader list (or fetch) billions of chunks.
        let most = u64::from(LogConfig::MAX_MAX_ENTRIES);
        if head.next_id - head.first_id > most {
            return Err(RestoreError::Head(format!(
                "ids {}..{} span more than the {most} entries a log holds",
                head.first_id, head.next_id
            )));
        }
        if head.len > head.next_id - head.first_id {
            return Err(RestoreError::Head(format!(
                "len {} is more than the ids {}..{} allow",
                head.len, head.first_id, head.next_id
            )));
        }
        Ok(head)
    }

    /// The chunks holding ids `first_id .. next_id`, if any.
    fn chunk_range(&self) -> Option<std::ops::RangeInclusive<u64>> {
        (self.first_id < self.next_id)
            .then(|| self.first_id / CHUNK_LEN..=(self.next_id - 1) / CHUNK_LEN)
    }
}

/// What a log knows about its stored copy.
#[derive(Clone, Debug)]
pub(super) struct SyncState {
    /// The head changed since the last [`TabLog::take_changes`].
    head: bool,
    /// Chunks with new entries since then.
    dirty: BTreeSet<u64>,
    /// Chunks in storage (written and not yet removed).
    stored: BTreeSet<u64>,
}

impl SyncState {
    /// A log never stored: its head is due.
    pub(super) fn new() -> SyncState {
        SyncState {
            head: true,
            dirty: BTreeSet::new(),
            stored: BTreeSet::new(),
        }
    }

    /// An entry with this id was added.
    pub(super) fn entry_added(&mut self, id: u64) {
        self.head = true;
        self.dirty.insert(id / CHUNK_LEN);
    }

    /// The head's counters changed.
    pub(super) fn head_changed(&mut self) {
        self.head = true;
    }
}

impl TabLog {
    /// What changed since the last call (the first time: everything), to be stored as
    /// [`Changes`] says; from then on the log counts it as stored.
    ///
    /// The cost is O(new entries + [`CHUNK_LEN`]), whatever the size of the log: after any
    /// number of appends it writes the head and the chunks that got entries, and removes the
    /// chunks whose entries are all dropped.
    pub fn take_changes(&mut self) -> Changes {
        let mut changes = Changes::default();
        if self.sync.head {
            changes.write.push((ChunkKey::Head, self.head_value()));
            self.sync.head = false;
        }
        for n in std::mem::take(&mut self.sync.dirty) {
            match self.chunk_value(n) {
                Some(value) => {
                    changes.write.push((ChunkKey::Entries(n), value));
                    self.sync.stored.insert(n);
                }
                None => {
                    if self.sync.stored.remove(&n) {
                        changes.remove.push(ChunkKey::Entries(n));
                    }
                }
            }
        }
        let gone: Vec<u64> = match self.live_chunks() {
            None => self.sync.stored.iter().copied().collect(),
            Some((lo, hi)) => self
                .sync
                .stored
                .range(..lo)
                .chain(self.sync.stored.range(hi.saturating_add(1)..))
                .copied()
                .collect(),
        };
        for n in gone {
            self.sync.stored.remove(&n);
            changes.remove.push(ChunkKey::Entries(n));
        }
        changes
    }

    /// The pieces [`TabLog::take_changes`] would write now, without taking them.
    pub fn dirty_chunks(&self) -> impl Iterator<Item = ChunkKey> + '_ {
        self.sync
            .head
            .then_some(ChunkKey::Head)
            .into_iter()
            .chain(self.sync.dirty.iter().map(|&n| ChunkKey::Entries(n)))
    }

    /// Counts everything as unsaved, so the next [`TabLog::take_changes`] writes the whole
    /// log (after a failed write, say).
    pub fn mark_unsaved(&mut self) {
        self.sync.head = true;
        self.sync.dirty = self.chunk_numbers().collect();
    }

    /// The pieces this log believes are in storage (to remove them all when the tab closes):
    /// the head and every chunk written and not yet removed.
    pub fn stored_keys(&self) -> Vec<ChunkKey> {
        std::iter::once(ChunkKey::Head)
            .chain(self.sync.stored.iter().map(|&n| ChunkKey::Entries(n)))
            .collect()
    }

    /// The whole log as stored pieces: the head, then each chunk holding entries.
    /// `TabLog::restore(cap, log.chunks())` gives back `log`.
    pub fn chunks(&self) -> impl Iterator<Item = (ChunkKey, Value)> + '_ {
        std::iter::once((ChunkKey::Head, self.head_value())).chain(
            self.chunk_numbers()
                .filter_map(|n| Some((ChunkKey::Entries(n), self.chunk_value(n)?))),
        )
    }

    /// Rebuilds a log from its stored pieces (in any order; pieces of other logs must not be
    /// among them), keeping at most `cap` entries.
    ///
    /// Strict about the head ([`RestoreError`]); forgiving about chunks: a missing or
    /// malformed chunk loses its entries, which are counted in [`TabLog::dropped`], entries
    /// outside the head's range are ignored, and chunks the head does not need are removed by
    /// the next [`TabLog::take_changes`]. The restored log counts the given pieces as stored.
    pub fn restore(
        cap: u32,
        pieces: impl IntoIterator<Item = (ChunkKey, Value)>,
    ) -> Result<TabLog, RestoreError> {
        let mut head = None;
        let mut chunks = BTreeMap::new();
        for (key, value) in pieces {
            match key {
                ChunkKey::Head => head = Some(value),
                ChunkKey::Entries(n) => {
                    chunks.insert(n, value);
                }
            }
        }
        let mut head = Head::parse(&head.ok_or(RestoreError::NoHead)?)?;
        let mut log = TabLog::new(cap);
        log.next_id = head.next_id;
        log.dropped = head.dropped;
        log.missed = head.missed;
        let skip = head.pages.len().saturating_sub(MAX_PAGES);
        log.pages = head
            .pages
            .drain(..)
            .skip(skip)
            .map(|(page, acked)| PageMark { page, acked })
            .collect();
        log.sync.head = false;
        log.sync.stored = chunks.keys().copied().collect();

        let mut last = head.first_id - 1;
        if let Some(range) = head.chunk_range() {
            for (&n, value) in chunks.range(range) {
                let Ok(list) = Vec::<Value>::deserialize(value) else {
                    log.sync.dirty.insert(n);
                    continue;
                };
                for item in list {
                    let entry = Entry::deserialize(&item).ok();
                    if entry.as_ref().is_some_and(|e| e.id < head.first_id) {
                        // Dropped since the chunk was written (a partly dropped first chunk).
                        continue;
                    }
                    let entry = entry
                        .filter(|e| e.id > last && e.id < head.next_id && e.id / CHUNK_LEN == n);
                    let Some(mut entry) = entry else {
                        // Malformed, out of order or beyond the head: rewrite the chunk.
                        log.sync.dirty.insert(n);
                        continue;
                    };
                    last = entry.id;
                    entry.at = quantize_time(entry.at);
                    let bytes = bound::bound(&mut entry);
                    log.bytes += bytes;
                    log.counts.add(entry.kind());
                    log.entries.push_back(Stored { entry, bytes });
                }
            }
        }
        let found = log.entries.len() as u64;
        if found != head.len {
            log.dropped += head.len.saturating_sub(found);
            log.sync.head = true;
        }
        log.evict();
        Ok(log)
    }

    /// The head as stored.
    fn head_value(&self) -> Value {
        let head = Head {
            version: u64::from(STORE_VERSION),
            first_id: self.first_id(),
            next_id: self.next_id,
            len: self.entries.len() as u64,
            dropped: self.dropped,
            missed: self.missed,
            pages: self
                .pages
                .iter()
                .map(|m| (m.page.clone(), m.acked))
                .collect(),
        };
        serde_json::to_value(head).unwrap_or(Value::Null)
    }

    /// Chunk `n` as stored, or `None` if the log holds none of its entries.
    fn chunk_value(&self, n: u64) -> Option<Value> {
        let ids = ChunkKey::Entries(n).entry_ids()?;
        let from = self.entries.partition_point(|s| s.entry.id < ids.start);
        let list: Vec<Value> = self
            .entries
            .range(from..)
            .take_while(|s| s.entry.id < ids.end)
            .map(|s| serde_json::to_value(&s.entry).unwrap_or(Value::Null))
            .collect();
        (!list.is_empty()).then_some(Value::Array(list))
    }

    /// The chunk numbers of the entries the log holds, in order, each once.
    fn chunk_numbers(&self) -> impl Iterator<Item = u64> + '_ {
        let mut last = None;
        self.entries.iter().filter_map(move |s| {
            let n = s.entry.id / CHUNK_LEN;
            (last != Some(n)).then(|| {
                last = Some(n);
                n
            })
        })
    }

    /// The chunks of the oldest and the newest entry.
    fn live_chunks(&self) -> Option<(u64, u64)> {
        Some((
            self.entries.front()?.entry.id / CHUNK_LEN,
            self.entries.back()?.entry.id / CHUNK_LEN,
        ))
    }
}
