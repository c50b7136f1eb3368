//! Writing a log to storage one batch at a time, and what to do when storage refuses a write
//! (`storage.session` is full, say).
//!
//! The promise to a content script is that an acknowledged event is *stored*: a background
//! stopped at any moment restores it. So an acknowledgement waits for the write that carries
//! the change it acknowledges, and a write that fails acknowledges nothing. [`Saver`] keeps that
//! bookkeeping for one tab's log; the shell does the writes:
//!
//! 1. after changing the log, [`Saver::changed`] (with the acknowledgement the change earns, if
//!    any) says whether to start a write now;
//! 2. [`Saver::start`], then write [`TabLog::take_changes`](super::TabLog::take_changes);
//! 3. [`Saver::finished`] with the write's result says which acknowledgements to send, what to
//!    record in the log, and whether to write again at once, retry later or stop.
//!
//! While writes fail the log lives on in memory (popups still see every entry), the content
//! script keeps the unacknowledged events (and resends them after a background restart), and
//! the user sees one `error` entry saying so; the shell retries every [`RETRY_MS`]. The first
//! write that succeeds stores everything (the shell marks the whole log unsaved after a
//! failure), sends the acknowledgements that waited, and records a `status` entry that saving
//! works again.
//!
//! ```
//! use jwi_core::event_log::{Next, Saver};
//!
//! let mut saver = Saver::default();
//! assert!(saver.changed(Some("ack 1")));
//! saver.start();
//! let done = saver.finished(Err("quota exceeded".into()));
//! assert!(done.acks.is_empty());
//! assert!(done.record.is_some()); // "the log could not be saved: quota exceeded …"
//! assert_eq!(done.next, Next::RetryLater);
//! saver.start();
//! let done = saver.finished(Ok(()));
//! assert_eq!(done.acks, ["ack 1"]);
//! assert!(done.record.is_some()); // "the log is saved again"
//! assert_eq!(done.next, Next::WriteNow); // to store that entry
//! ```

use super::Event;

/// How long to wait before writing again after a failed write, in ms.
pub const RETRY_MS: u32 = 2_000;

/// What to do after a write finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Nothing changed since the write started: wait for the next change.
    Idle,
    /// The log changed meanwhile: start the next write now.
    WriteNow,
    /// Writes are failing: try again after [`RETRY_MS`].
    RetryLater,
}

/// The outcome of [`Saver::finished`].
#[derive(Debug, PartialEq)]
#[must_use]
pub struct Finished<A> {
    /// Acknowledgements whose changes are now stored: send them, oldest first.
    pub acks: Vec<A>,
    /// An entry to record in the log: an error when writes start failing, a status when they
    /// work again. (Recording it is a change; [`Finished::next`] already counts it.)
    pub record: Option<Event>,
    /// What to do next.
    pub next: Next,
}

/// Where one tab log's writes stand, and the acknowledgements waiting for them.
///
/// `A` is whatever the shell sends as an acknowledgement (a closure posting to a port).
#[derive(Debug)]
pub struct Saver<A> {
    /// What is being saved, for the entries it records ("the log").
    what: String,
    /// Acknowledgements for changes not yet in any write, oldest first.
    waiting: Vec<A>,
    /// Acknowledgements for the changes the write in flight carries.
    in_flight: Vec<A>,
    /// A write is in flight.
    writing: bool,
    /// The log changed since the write in flight (or the last write) started.
    dirty: bool,
    /// Why the last write failed, while writes are failing.
    failing: Option<String>,
}

impl<A> Default for Saver<A> {
    /// The saver of a tab's event log.
    fn default() -> Saver<A> {
        Saver::new("the log")
    }
}

impl<A> Saver<A> {
    /// A saver of `what` ("the log", "the sandbox visitor record of https://shop.example"),
    /// as its error and status entries name it.
    pub fn new(what: impl Into<String>) -> Saver<A> {
        Saver {
            what: what.into(),
            waiting: Vec::new(),
            in_flight: Vec::new(),
            writing: false,
            dirty: false,
            failing: None,
        }
    }

    /// The log changed; `ack` is to be sent once the change is stored. Returns whether to start
    /// a write now: not while one is in flight (it is followed by another), and not while
    /// writes are failing (the retry picks the change up).
    pub fn changed(&mut self, ack: Option<A>) -> bool {
        self.waiting.extend(ack);
        self.dirty = true;
        !self.writing && self.failing.is_none()
    }

    /// A write of everything changed so far starts now.
    pub fn start(&mut self) {
        self.writing = true;
        self.dirty = false;
        let waiting = std::mem::take(&mut self.waiting);
        self.in_flight.extend(waiting);
    }

    /// Whether a write is in flight.
    pub fn is_writing(&self) -> bool {
        self.writing
    }

    /// Why writes are failing, while they are.
    pub fn failing(&self) -> Option<&str> {
        self.failing.as_deref()
    }

    /// How many acknowledgements wait for a successful write.
    pub fn pending_acks(&self) -> usize {
        self.waiting.len() + self.in_flight.len()
    }

    /// The write started by [`Saver::start`] finished with `result` (the browser's error text
    /// on failure).
    ///
    /// On success its acknowledgements are due. On failure they wait again (ahead of newer
    /// ones): the shell must count the whole log as unsaved, since storage may hold none of
    /// the write. The first failure of a run records an error; the first success after
    /// failures records a status.
    pub fn finished(&mut self, result: Result<(), String>) -> Finished<A> {
        self.writing = false;
        let mut record = None;
        let acks = match result {
            Ok(()) => {
                if let Some(why) = self.failing.take() {
                    record = Some(Event::status(format!(
                        "{} is saved again (writes had failed: {why})",
                        self.what
                    )));
                }
                std::mem::take(&mut self.in_flight)
            }
            Err(why) => {
                if self.failing.is_none() {
                    record = Some(Event::Error {
                        message: format!(
                            "{} could not be saved: {why}. It is kept in memory and saving is \
                             retried every {} s",
                            self.what,
                            RETRY_MS / 1000
                        ),
                    });
                }
                self.failing = Some(why);
                let mut again = std::mem::take(&mut self.in_flight);
                again.append(&mut self.waiting);
                self.waiting = again;
                self.dirty = true;
                Vec::new()
            }
        };
        if record.is_some() {
            self.dirty = true;
        }
        let next = if self.failing.is_some() {
            Next::RetryLater
        } else if self.dirty {
            Next::WriteNow
        } else {
            Next::Idle
        };
        Finished { acks, record, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_text(f: &Finished<u32>) -> String {
        match &f.record {
            Some(Event::Error { message }) => message.clone(),
            other => panic!("expected an error entry, got {other:?}"),
        }
    }

    #[test]
    fn a_successful_write_sends_its_acks_and_idles() {
        let mut s = Saver::default();
        assert!(s.changed(Some(1)));
        s.start();
        let done = s.finished(Ok(()));
        assert_eq!(done.acks, [1]);
        assert_eq!(done.record, None);
        assert_eq!(done.next, Next::Idle);
        assert_eq!(s.pending_acks(), 0);
    }

    #[test]
    fn changes_during_a_write_wait_for_the_next_one() {
        let mut s = Saver::default();
        assert!(s.changed(Some(1)));
        s.start();
        assert!(
            !s.changed(Some(2)),
            "no second write while one is in flight"
        );
        assert!(s.is_writing());
        let done = s.finished(Ok(()));
        assert_eq!(done.acks, [1], "ack 2's change is not in this write");
        assert_eq!(done.next, Next::WriteNow);
        s.start();
        let done = s.finished(Ok(()));
        assert_eq!(done.acks, [2]);
        assert_eq!(done.next, Next::Idle);
    }

    #[test]
    fn a_failed_write_acknowledges_nothing_and_says_why_once() {
        let mut s = Saver::default();
        assert!(s.changed(Some(1)));
        s.start();
        assert!(!s.changed(Some(2)));
        let done = s.finished(Err("Session storage quota bytes exceeded".into()));
        assert!(done.acks.is_empty());
        let text = error_text(&done);
        assert!(
            text.starts_with("the log could not be saved: Session storage quota bytes exceeded"),
            "{text}"
        );
        assert_eq!(done.next, Next::RetryLater);
        assert_eq!(s.failing(), Some("Session storage quota bytes exceeded"));
        assert_eq!(s.pending_acks(), 2);

        // While failing, changes do not start writes; the retry does.
        assert!(!s.changed(Some(3)));
        s.start();
        let again = s.finished(Err("still full".into()));
        assert!(again.acks.is_empty());
        assert_eq!(again.record, None, "one error entry per run of failures");
        assert_eq!(again.next, Next::RetryLater);
        assert_eq!(s.failing(), Some("still full"));

        // Space frees: everything waiting goes, in order, and the recovery is recorded.
        s.start();
        let ok = s.finished(Ok(()));
        assert_eq!(ok.acks, [1, 2, 3]);
        match &ok.record {
            Some(Event::Status { text, .. }) => {
                assert!(
                    text.contains("saved again") && text.contains("still full"),
                    "{text}"
                )
            }
            other => panic!("expected a status entry, got {other:?}"),
        }
        assert_eq!(
            ok.next,
            Next::WriteNow,
            "the status entry itself must be stored"
        );
        assert!(s.changed(None), "writes start on change again");
        s.start();
        let done = s.finished(Ok(()));
        assert_eq!(done.next, Next::Idle);
        assert_eq!(s.failing(), None);
    }

    #[test]
    fn acks_keep_their_order_across_failures() {
        let mut s = Saver::default();
        let _ = s.changed(Some(1));
        s.start();
        let _ = s.changed(Some(2));
        let _ = s.finished(Err("full".into()));
        let _ = s.changed(Some(3));
        s.start();
        let _ = s.changed(Some(4));
        let _ = s.finished(Err("full".into()));
        s.start();
        let done = s.finished(Ok(()));
        assert_eq!(done.acks, [1, 2, 3, 4]);
    }

    #[test]
    fn changes_without_acks_still_need_a_write() {
        let mut s: Saver<u32> = Saver::default();
        assert!(s.changed(None));
        s.start();
        let _ = s.changed(None);
        let done = s.finished(Ok(()));
        assert!(done.acks.is_empty());
        assert_eq!(done.next, Next::WriteNow);
    }

    #[test]
    fn entries_name_what_is_saved() {
        let mut s: Saver<()> = Saver::new("the sandbox visitor record of https://shop.example");
        let _ = s.changed(None);
        s.start();
        let done = s.finished(Err("QUOTA_BYTES quota exceeded".into()));
        match &done.record {
            Some(Event::Error { message }) => assert_eq!(
                message,
                "the sandbox visitor record of https://shop.example could not be saved: \
                 QUOTA_BYTES quota exceeded. It is kept in memory and saving is retried every 2 s"
            ),
            other => panic!("expected an error entry, got {other:?}"),
        }
    }
}
