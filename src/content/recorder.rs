//! Sends this page's events to the background's per-tab log, at least once: each event gets a
//! page-local sequence number and stays queued until the background acknowledges it, so a
//! background restarted in the middle of a stream loses nothing (the background drops
//! repeats). Events are batched per task, with a bounded message size.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::num::NonZeroU64;

use super::send_to_background;
use jwi_browser::timers;
use jwi_core::event_log::{Event, PageId};
use jwi_core::protocol::runtime::{FromContent, SequencedEvent};

/// At most this many events per message (each is bounded by the log's entry limit).
const BATCH: usize = 200;
/// At most this many unacknowledged events are kept; older ones are given up (the background
/// counts the gap as missed).
const MAX_UNACKED: usize = 5_000;

struct Recorder {
    page: PageId,
    next_seq: u64,
    /// Recorded but not yet acknowledged, oldest first.
    unacked: VecDeque<SequencedEvent>,
    /// How many of `unacked` (from the front) have been sent on the current port.
    sent: usize,
    flush_scheduled: bool,
}

thread_local! {
    static RECORDER: RefCell<Recorder> = RefCell::new(Recorder {
        page: new_page_id(),
        next_seq: 1,
        unacked: VecDeque::new(),
        sent: 0,
        flush_scheduled: false,
    });
}

fn new_page_id() -> PageId {
    let random = (js_sys::Math::random() * 9.0e15) as u64;
    let now = js_sys::Date::now() as u64;
    PageId::from(random ^ now.rotate_left(32))
}

/// Records one event; it is sent at the end of the current task.
pub fn record(event: Event) {
    let schedule = RECORDER.with(|r| {
        let mut r = r.borrow_mut();
        let Some(seq) = NonZeroU64::new(r.next_seq) else {
            return false;
        };
        r.next_seq += 1;
        r.unacked.push_back(SequencedEvent {
            seq,
            at: js_sys::Date::now(),
            event,
        });
        if r.unacked.len() > MAX_UNACKED {
            r.unacked.pop_front();
            r.sent = r.sent.saturating_sub(1);
        }
        !std::mem::replace(&mut r.flush_scheduled, true)
    });
    if schedule {
        // A microtask: after the page's current task, so a burst becomes one batch, but soon
        // enough that an open popup shows it at once.
        timers::queue_microtask(flush);
    }
}

/// Gives up `n` sequence numbers without events: the background counts the gap as missed
/// (messages from the page the content script dropped).
pub fn skip(n: u64) {
    RECORDER.with(|r| {
        let mut r = r.borrow_mut();
        r.next_seq = r.next_seq.saturating_add(n);
    });
}

/// Sends what has not been sent on the current port yet.
pub fn flush() {
    loop {
        let batch = RECORDER.with(|r| {
            let mut r = r.borrow_mut();
            r.flush_scheduled = false;
            let start = r.sent.min(r.unacked.len());
            let end = (start + BATCH).min(r.unacked.len());
            if start == end {
                return None;
            }
            r.sent = end;
            let events: Vec<SequencedEvent> = r.unacked.range(start..end).cloned().collect();
            Some(FromContent::Events {
                page: r.page.clone(),
                events,
            })
        });
        match batch {
            Some(msg) => send_to_background(&msg),
            None => break,
        }
    }
}

/// The background stored everything of `page` up to `upto`.
pub fn acked(page: &PageId, upto: u64) {
    RECORDER.with(|r| {
        let mut r = r.borrow_mut();
        if &r.page != page {
            return;
        }
        while r.unacked.front().is_some_and(|e| e.seq.get() <= upto) {
            r.unacked.pop_front();
            r.sent = r.sent.saturating_sub(1);
        }
    });
}

/// Whether any recorded event still waits for the background's acknowledgement.
pub fn has_unacked() -> bool {
    RECORDER.with(|r| !r.borrow().unacked.is_empty())
}

/// A new port to a (possibly restarted) background: everything unacknowledged goes again.
pub fn resend_all() {
    RECORDER.with(|r| r.borrow_mut().sent = 0);
    flush();
}
