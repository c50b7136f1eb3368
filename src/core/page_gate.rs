//! The gate every message from the page passes before the content script acts on it.
//!
//! The page channel is secret (a detached node only the shim holds, see `docs/security.md`), but
//! what comes through it is still the page's: the shim runs in the page's world, and a page that
//! watched an on-demand injection's handshake holds the node too. So every message is
//!
//! 1. **rate limited** by a token bucket ([`Limits::burst`] messages at once, refilled at
//!    [`Limits::per_second`]) *before* anything else is done with it, so a flood costs the page
//!    almost nothing per dropped message;
//! 2. **size limited** ([`Limits::message_bytes`]) before parsing;
//! 3. **decoded** into [`FromPage`], the protocol's only page type; anything else is malformed.
//!
//! One kind is never dropped for its rate: a **synchronous sandbox call**
//! ([`FromPage::SandboxCall`]). The page's `jivo_api` call waits for its answer, so such calls
//! arrive no faster than the content script answers them, and a page that calls
//! `getUnreadMessagesCount()` 20,000 times in a loop must get 20,000 answers. Over the rate such
//! a call is still size-limited, decoded and answered, but not logged or forwarded
//! ([`Admitted::log`] is false) and counted as [`DropCounts::unlogged`]: what is bounded is what
//! we store, not what the page's widget answers.
//!
//! **Batches.** The shim sends what it queued in one task as one [`FromPage::Batch`] (see
//! `docs/architecture.md`, "What a matched page pays"); [`PageGate::pass`] opens it and holds
//! each message in it to the same rate as a message of its own, oldest first. A batch is
//! size-limited as a whole ([`Limits::batch_bytes`]); one that finds the bucket empty is only
//! counted (its messages are skipped over, not decoded), so a batch over the rate costs about
//! what its messages would have cost one by one. What the shim counted without forwarding (the
//! batch's `unsent`, past the shim's channel bounds) is counted here too, as
//! [`DropCounts::unsent`]: the shim's bounds are channel bounds, the gate's rate is the
//! authority.
//!
//! Whatever fails is dropped and counted by reason ([`DropCounts`]). The shell shows the counts
//! in the log as one marker entry per quiet second ([`PageGate::take_report`] and
//! [`DropCounts::describe`]) and advances the page's sequence numbers by one per dropped message,
//! so the log's *missed* count includes them.
//!
//! ```
//! use jwi_core::page_gate::{DropReason, Limits, PageGate};
//!
//! let mut gate = PageGate::new(Limits { burst: 2, per_second: 10, ..Limits::DEFAULT });
//! let history = r#"{"history":{"kind":"push"}}"#;
//! assert!(gate.admit(0.0, history).is_ok());
//! assert_eq!(gate.admit(0.0, r#"{"evil":{}}"#).unwrap_err(), DropReason::Malformed);
//! assert_eq!(gate.admit(0.0, history).unwrap_err(), DropReason::RateLimited); // the burst is spent
//! assert!(gate.admit(100.0, history).is_ok()); // 100 ms at 10 a second: one more
//! let call = r#"{"sandboxCall":{"method":"getUnreadMessagesCount","args":[]}}"#;
//! assert!(!gate.admit(100.0, call).unwrap().log); // answered over the rate, not logged
//! let report = gate.take_report().unwrap();
//! assert_eq!((report.malformed, report.rate_limited, report.unlogged), (1, 1, 1));
//! assert_eq!(report.total(), 2);
//! assert!(gate.take_report().is_none());
//! ```

use serde::de::IgnoredAny;
use serde::Deserialize;

use crate::protocol::page::FromPage;
use crate::protocol::{decode, limits, DecodeError};

/// How the shim starts every batch's text (`extension/shim.js`, `flush`): the prefix that sends
/// a text to [`PageGate::pass`]'s batch path.
const BATCH_PREFIX: &str = r#"{"batch":{"#;

/// A batch read only to count it, when the bucket is empty: its messages are skipped over, not
/// decoded.
#[derive(Deserialize)]
struct BatchCountMessage {
    batch: BatchCount,
}

/// See [`BatchCountMessage`].
#[derive(Deserialize)]
struct BatchCount {
    messages: Vec<IgnoredAny>,
    #[serde(default)]
    unsent: u32,
}

/// How the shim starts every synchronous sandbox call's text (`extension/shim.js`,
/// `sandboxCall`): the one prefix the gate reads before deciding to parse a message over the
/// rate limit.
const SANDBOX_CALL_PREFIX: &str = r#"{"sandboxCall":{"#;

/// A message the gate let through.
#[derive(Clone, Debug, PartialEq)]
pub struct Admitted {
    /// The message.
    pub message: FromPage,
    /// Whether it may be logged and forwarded. False only for a synchronous sandbox call that
    /// arrived over the rate limit: it is answered, not logged.
    pub log: bool,
}

/// What the gate let through of one text from the page ([`PageGate::pass`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Passed {
    /// The messages let through, oldest first (never a [`FromPage::Batch`]).
    pub messages: Vec<Admitted>,
    /// How many messages the text stood for that were not let through: dropped here, and for a
    /// batch those the shim counted without forwarding. Each is one missed event in the log.
    pub missed: u64,
}

/// The gate's limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// How many messages may arrive back to back (the bucket's size).
    pub burst: u32,
    /// How many messages a second are let through once the burst is spent.
    pub per_second: u32,
    /// The largest message accepted, in bytes.
    pub message_bytes: usize,
    /// The largest batch accepted, in bytes.
    pub batch_bytes: usize,
}

impl Limits {
    /// The content script's limits.
    ///
    /// A real widget makes a handful of calls a second. The burst covers a page that calls the
    /// API a few thousand times in one task (as the log's own tests do) and equals the number of
    /// events the content script keeps unacknowledged, so a burst never outruns the recorder.
    /// The rate is twice the busiest sustained stream the product promises to log without loss
    /// (1,000 events a second, issue #7's burst benchmark).
    pub const DEFAULT: Limits = Limits {
        burst: 5_000,
        per_second: 2_000,
        message_bytes: limits::PAGE_MESSAGE_BYTES,
        batch_bytes: limits::PAGE_BATCH_BYTES,
    };
}

/// Why one message was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// More messages than the rate limit allows; not even looked at.
    RateLimited,
    /// Longer than [`Limits::message_bytes`].
    TooLarge,
    /// Not a [`FromPage`] message.
    Malformed,
}

/// Dropped messages by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DropCounts {
    /// Over the rate limit.
    pub rate_limited: u64,
    /// Over the size limit.
    pub too_large: u64,
    /// Not a protocol message.
    pub malformed: u64,
    /// Synchronous sandbox calls over the rate limit: answered, not logged (not a drop of the
    /// message, so not in [`DropCounts::total`]).
    pub unlogged: u64,
    /// Counted by the shim and not forwarded, past its channel bounds (a batch's `unsent`).
    pub unsent: u64,
}

impl DropCounts {
    /// All dropped messages.
    pub fn total(&self) -> u64 {
        self.rate_limited + self.too_large + self.malformed + self.unsent
    }

    /// Whether there is anything to report.
    pub fn is_empty(&self) -> bool {
        self.total() == 0 && self.unlogged == 0
    }

    fn add(&mut self, why: DropReason, n: u64) {
        let count = match why {
            DropReason::RateLimited => &mut self.rate_limited,
            DropReason::TooLarge => &mut self.too_large,
            DropReason::Malformed => &mut self.malformed,
        };
        *count = count.saturating_add(n);
    }

    /// The log marker's text, e.g. "Dropped 15000 messages from the page: 15000 over the rate
    /// limit (2000 a second after a burst of 5000)".
    pub fn describe(&self, limits: &Limits) -> String {
        let mut parts = Vec::new();
        if self.rate_limited > 0 {
            parts.push(format!(
                "{} over the rate limit ({} a second after a burst of {})",
                self.rate_limited, limits.per_second, limits.burst
            ));
        }
        if self.too_large > 0 {
            parts.push(format!(
                "{} over the size limit ({} bytes)",
                self.too_large, limits.message_bytes
            ));
        }
        if self.malformed > 0 {
            parts.push(format!("{} malformed", self.malformed));
        }
        if self.unsent > 0 {
            parts.push(format!(
                "{} counted but not forwarded by the page shim (over its channel bounds)",
                self.unsent
            ));
        }
        let total = self.total();
        let unlogged = (self.unlogged > 0).then(|| {
            format!(
                "{} synchronous call{} over the rate limit answered but not logged",
                self.unlogged,
                if self.unlogged == 1 { "" } else { "s" }
            )
        });
        match (total, unlogged) {
            (0, Some(unlogged)) => format!("From the page: {unlogged}"),
            (_, unlogged) => format!(
                "Dropped {total} message{} from the page: {}{}",
                if total == 1 { "" } else { "s" },
                parts.join(", "),
                unlogged.map(|u| format!("; {u}")).unwrap_or_default()
            ),
        }
    }
}

/// Rate limit, size limit and decoding for one page's messages, with the drop counters.
#[derive(Clone, Debug)]
pub struct PageGate {
    limits: Limits,
    /// Messages that may pass now (fractional while refilling).
    tokens: f64,
    /// When `tokens` was last brought up to date (ms, any monotonic-enough clock).
    last_ms: Option<f64>,
    total: DropCounts,
    unreported: DropCounts,
}

impl PageGate {
    /// A gate with a full bucket.
    pub fn new(limits: Limits) -> PageGate {
        PageGate {
            limits,
            tokens: f64::from(limits.burst),
            last_ms: None,
            total: DropCounts::default(),
            unreported: DropCounts::default(),
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Lets one message through at time `now_ms`, or says why not (and counts it).
    ///
    /// The rate limit is checked first, so a dropped flood is not even measured or parsed; over
    /// it, only a text that starts as a synchronous sandbox call is parsed, and let through
    /// unlogged if it is one (see the module's doc). A clock that goes backwards refills
    /// nothing.
    ///
    /// A batch is not one message: this takes it for malformed (only [`PageGate::pass`] opens
    /// batches).
    pub fn admit(&mut self, now_ms: f64, text: &str) -> Result<Admitted, DropReason> {
        let admitted = self.admit_one(now_ms, text)?;
        if matches!(admitted.message, FromPage::Batch { .. }) {
            // Its token stays spent: a forged batch costs what a message would.
            return Err(self.count(DropReason::Malformed));
        }
        Ok(admitted)
    }

    /// Lets through what one text from the page holds at time `now_ms`: a message (as
    /// [`PageGate::admit`]) or a batch of them, each held to the rate in order (see the module's
    /// doc). Every message not let through is counted, and in [`Passed::missed`].
    pub fn pass(&mut self, now_ms: f64, text: &str) -> Passed {
        if !text.starts_with(BATCH_PREFIX) {
            return match self.admit(now_ms, text) {
                Ok(admitted) => Passed {
                    messages: vec![admitted],
                    missed: 0,
                },
                Err(_) => Passed {
                    messages: Vec::new(),
                    missed: 1,
                },
            };
        }
        self.refill(now_ms);
        let dropped = |gate: &mut PageGate, why| {
            gate.count(why);
            Passed {
                messages: Vec::new(),
                missed: 1,
            }
        };
        if self.tokens < 1.0 {
            // Over the rate: counted, not decoded.
            if text.len() > self.limits.batch_bytes {
                return dropped(self, DropReason::TooLarge);
            }
            let Ok(BatchCountMessage { batch }) = serde_json::from_str(text) else {
                return dropped(self, DropReason::Malformed);
            };
            let over = batch.messages.len() as u64;
            self.add(DropReason::RateLimited, over);
            self.add_unsent(batch.unsent);
            return Passed {
                messages: Vec::new(),
                missed: over + u64::from(batch.unsent),
            };
        }
        let (messages, unsent) = match decode::<FromPage>(text, self.limits.batch_bytes) {
            Ok(FromPage::Batch { messages, unsent }) => (messages, unsent),
            Ok(_) | Err(DecodeError::Malformed(_)) => return dropped(self, DropReason::Malformed),
            Err(DecodeError::TooLarge { .. }) => return dropped(self, DropReason::TooLarge),
        };
        let mut passed = Passed {
            messages: Vec::with_capacity(messages.len()),
            missed: u64::from(unsent),
        };
        for message in messages {
            let why = if matches!(
                message,
                FromPage::Batch { .. } | FromPage::SandboxCall { .. }
            ) {
                // Never queued by the shim: a sandbox call is answered within its own dispatch.
                Some(DropReason::Malformed)
            } else if self.tokens < 1.0 {
                if matches!(message, FromPage::SandboxRead { .. }) {
                    // The shim has answered it already: it goes unlogged, as a sandbox call
                    // over the rate does.
                    self.note_unlogged();
                    passed.missed += 1;
                    continue;
                }
                Some(DropReason::RateLimited)
            } else {
                self.tokens -= 1.0;
                None
            };
            match why {
                Some(why) => {
                    self.count(why);
                    passed.missed += 1;
                }
                None => passed.messages.push(Admitted { message, log: true }),
            }
        }
        self.add_unsent(unsent);
        passed
    }

    fn admit_one(&mut self, now_ms: f64, text: &str) -> Result<Admitted, DropReason> {
        self.refill(now_ms);
        let over = self.tokens < 1.0;
        if over && !text.starts_with(SANDBOX_CALL_PREFIX) {
            return Err(self.count(DropReason::RateLimited));
        }
        if !over {
            self.tokens -= 1.0;
        }
        let message = decode::<FromPage>(text, self.limits.message_bytes).map_err(|e| {
            self.count(match e {
                DecodeError::TooLarge { .. } => DropReason::TooLarge,
                DecodeError::Malformed(_) => DropReason::Malformed,
            })
        })?;
        if !over {
            return Ok(Admitted { message, log: true });
        }
        if !matches!(message, FromPage::SandboxCall { .. }) {
            // The prefix without the type (a key repeated later): over the rate like any other.
            return Err(self.count(DropReason::RateLimited));
        }
        self.note_unlogged();
        Ok(Admitted {
            message,
            log: false,
        })
    }

    /// Counts a page call that was answered but is not logged (over the rate).
    fn note_unlogged(&mut self) {
        self.total.unlogged = self.total.unlogged.saturating_add(1);
        self.unreported.unlogged = self.unreported.unlogged.saturating_add(1);
    }

    /// Everything dropped since the gate was made.
    pub fn dropped(&self) -> DropCounts {
        self.total
    }

    /// What was dropped since the last report, if anything; the next report starts from zero.
    pub fn take_report(&mut self) -> Option<DropCounts> {
        let report = std::mem::take(&mut self.unreported);
        (!report.is_empty()).then_some(report)
    }

    fn refill(&mut self, now_ms: f64) {
        let burst = f64::from(self.limits.burst);
        if let Some(last) = self.last_ms {
            let elapsed = now_ms - last;
            if elapsed > 0.0 && elapsed.is_finite() {
                let added = elapsed * f64::from(self.limits.per_second) / 1000.0;
                self.tokens = (self.tokens + added).min(burst);
            }
        }
        if self.last_ms.is_none_or(|last| now_ms > last) && now_ms.is_finite() {
            self.last_ms = Some(now_ms);
        }
    }

    fn count(&mut self, why: DropReason) -> DropReason {
        self.add(why, 1);
        why
    }

    fn add(&mut self, why: DropReason, n: u64) {
        self.total.add(why, n);
        self.unreported.add(why, n);
    }

    fn add_unsent(&mut self, n: u32) {
        for counts in [&mut self.total, &mut self.unreported] {
            counts.unsent = counts.unsent.saturating_add(u64::from(n));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HISTORY: &str = r#"{"history":{"kind":"push"}}"#;

    fn small() -> PageGate {
        PageGate::new(Limits {
            burst: 3,
            per_second: 100,
            message_bytes: 64,
            batch_bytes: 256,
        })
    }

    #[test]
    fn a_burst_passes_then_the_rate_applies() {
        let mut gate = small();
        for _ in 0..3 {
            assert!(gate.admit(1000.0, HISTORY).is_ok());
        }
        assert_eq!(gate.admit(1000.0, HISTORY), Err(DropReason::RateLimited));
        // 100 a second: one every 10 ms.
        assert_eq!(gate.admit(1005.0, HISTORY), Err(DropReason::RateLimited));
        assert!(gate.admit(1010.0, HISTORY).is_ok());
        assert_eq!(gate.admit(1010.0, HISTORY), Err(DropReason::RateLimited));
        // A long pause refills only up to the burst.
        for _ in 0..3 {
            assert!(gate.admit(60_000.0, HISTORY).is_ok());
        }
        assert_eq!(gate.admit(60_000.0, HISTORY), Err(DropReason::RateLimited));
        assert_eq!(gate.dropped().rate_limited, 4);
    }

    #[test]
    fn a_steady_rate_under_the_limit_loses_nothing() {
        let mut gate = small();
        for i in 0..10_000 {
            assert!(
                gate.admit(f64::from(i) * 10.0, HISTORY).is_ok(),
                "message {i}"
            );
        }
        assert_eq!(gate.dropped().total(), 0);
    }

    #[test]
    fn a_clock_going_backwards_refills_nothing() {
        let mut gate = small();
        for _ in 0..3 {
            assert!(gate.admit(5000.0, HISTORY).is_ok());
        }
        assert_eq!(gate.admit(1000.0, HISTORY), Err(DropReason::RateLimited));
        assert_eq!(gate.admit(5000.0, HISTORY), Err(DropReason::RateLimited));
        assert_eq!(gate.admit(f64::NAN, HISTORY), Err(DropReason::RateLimited));
        assert!(gate.admit(5010.0, HISTORY).is_ok());
    }

    #[test]
    fn oversized_and_malformed_messages_are_told_apart_and_counted() {
        let mut gate = small();
        let big = format!(r#"{{"history":{{"kind":"{}"}}}}"#, "x".repeat(100));
        assert_eq!(gate.admit(0.0, &big), Err(DropReason::TooLarge));
        assert_eq!(gate.admit(10.0, "not json"), Err(DropReason::Malformed));
        assert_eq!(
            gate.admit(20.0, r#"{"history":{"kind":"push","x":1}}"#),
            Err(DropReason::Malformed)
        );
        assert_eq!(
            gate.dropped(),
            DropCounts {
                rate_limited: 0,
                too_large: 1,
                malformed: 2,
                unlogged: 0,
                unsent: 0,
            }
        );
    }

    const CALL: &str = r#"{"sandboxCall":{"method":"getUtm","args":[]}}"#;

    #[test]
    fn synchronous_sandbox_calls_are_answered_over_the_rate_but_not_logged() {
        let mut gate = small();
        for _ in 0..3 {
            assert!(gate.admit(0.0, CALL).unwrap().log);
        }
        for _ in 0..20_000 {
            let admitted = gate.admit(0.0, CALL).unwrap();
            assert!(!admitted.log);
            assert!(matches!(admitted.message, FromPage::SandboxCall { .. }));
        }
        // Everything else over the rate is still dropped, unparsed.
        assert_eq!(gate.admit(0.0, HISTORY), Err(DropReason::RateLimited));
        // A text that only starts like a call is held to the rate (or is malformed).
        let forged = r#"{"sandboxCall":{},"history":{"kind":"push"}}"#;
        assert!(gate.admit(0.0, forged).is_err());
        assert_eq!(
            gate.admit(0.0, r#"{"sandboxCall":{"#),
            Err(DropReason::Malformed)
        );
        let report = gate.take_report().unwrap();
        assert_eq!(report.unlogged, 20_000);
        assert_eq!(report.rate_limited + report.malformed, 3);
        // The calls do not spend tokens they don't have: the refill serves others again.
        assert!(gate.admit(10.0, HISTORY).unwrap().log);
    }

    fn batch(messages: &[&str], unsent: u32) -> String {
        format!(
            r#"{{"batch":{{"messages":[{}],"unsent":{unsent}}}}}"#,
            messages.join(",")
        )
    }

    fn big() -> PageGate {
        PageGate::new(Limits {
            burst: 3,
            per_second: 100,
            message_bytes: 64,
            batch_bytes: 4096,
        })
    }

    #[test]
    fn a_batch_is_opened_in_order_and_its_unsent_count_is_missed() {
        let mut gate = big();
        let callback = r#"{"callback":{"name":"jivo_onOpen","args":[]}}"#;
        let passed = gate.pass(0.0, &batch(&[HISTORY, callback], 7));
        let kinds: Vec<_> = passed
            .messages
            .iter()
            .map(|a| (matches!(a.message, FromPage::History { .. }), a.log))
            .collect();
        assert_eq!(kinds, [(true, true), (false, true)]);
        assert_eq!(passed.missed, 7);
        let report = gate.take_report().unwrap();
        assert_eq!((report.unsent, report.total()), (7, 7));
        assert!(report
            .describe(&Limits::DEFAULT)
            .contains("7 counted but not forwarded by the page shim (over its channel bounds)"));
        // The batch's own text need not be under the message limit, only its messages' count
        // is held to the rate: one token was left.
        let passed = gate.pass(0.0, &batch(&[HISTORY, HISTORY, HISTORY], 0));
        assert_eq!((passed.messages.len(), passed.missed), (1, 2));
        assert_eq!(gate.dropped().rate_limited, 2);
        // A single message passes as one.
        let passed = gate.pass(10.0, HISTORY);
        assert_eq!((passed.messages.len(), passed.missed), (1, 0));
    }

    #[test]
    fn a_batch_over_the_rate_is_counted_not_decoded() {
        let mut gate = big();
        let _ = gate.pass(0.0, &batch(&[HISTORY, HISTORY, HISTORY], 0));
        // Messages that would not even decode: counted by the rate, unread.
        let passed = gate.pass(0.0, &batch(&[r#"{"evil":{}}"#, "1", "[]"], 5));
        assert!(passed.messages.is_empty());
        assert_eq!(passed.missed, 8);
        let report = gate.take_report().unwrap();
        assert_eq!(
            (report.rate_limited, report.unsent, report.malformed),
            (3, 5, 0)
        );
        // Not a batch at all, over the rate: one malformed text.
        let passed = gate.pass(0.0, r#"{"batch":{"nope":1}}"#);
        assert_eq!((passed.messages.len(), passed.missed), (0, 1));
        assert_eq!(gate.dropped().malformed, 1);
    }

    #[test]
    fn batches_are_size_limited_and_never_nest_nor_carry_sandbox_calls() {
        let mut gate = big();
        let huge = batch(&vec![HISTORY; 200], 0);
        assert!(huge.len() > 4096);
        assert_eq!(gate.pass(0.0, &huge).missed, 1);
        assert_eq!(gate.dropped().too_large, 1);
        let inner = batch(&[HISTORY], 0);
        let passed = gate.pass(0.0, &batch(&[&inner, CALL, HISTORY], 0));
        assert_eq!((passed.messages.len(), passed.missed), (1, 2));
        assert_eq!(gate.dropped().malformed, 2);
        // A batch sent as a single message (not the shim's exact prefix) is malformed too.
        let reordered = r#"{ "batch":{"messages":[]}}"#;
        assert_eq!(gate.admit(10.0, reordered), Err(DropReason::Malformed));
        assert_eq!(gate.pass(20.0, reordered).missed, 1);
    }

    #[test]
    fn reads_in_a_batch_over_the_rate_are_unlogged_not_dropped() {
        const READ: &str = r#"{"sandboxRead":{"method":"getUnreadMessagesCount","returned":0}}"#;
        let mut gate = big();
        let passed = gate.pass(0.0, &batch(&[READ, READ, READ, READ, HISTORY], 0));
        assert_eq!((passed.messages.len(), passed.missed), (3, 2));
        let counts = gate.dropped();
        assert_eq!((counts.unlogged, counts.rate_limited), (1, 1));
    }

    #[test]
    fn the_marker_names_unlogged_calls() {
        let limits = Limits::DEFAULT;
        let only = DropCounts {
            unlogged: 3,
            ..DropCounts::default()
        };
        assert_eq!(
            only.describe(&limits),
            "From the page: 3 synchronous calls over the rate limit answered but not logged"
        );
        let both = DropCounts {
            rate_limited: 1,
            unlogged: 1,
            ..DropCounts::default()
        };
        assert_eq!(
            both.describe(&limits),
            "Dropped 1 message from the page: 1 over the rate limit (2000 a second after a \
             burst of 5000); 1 synchronous call over the rate limit answered but not logged"
        );
    }

    #[test]
    fn reports_cover_each_drop_once() {
        let mut gate = small();
        assert!(gate.take_report().is_none());
        let _ = gate.admit(0.0, "x");
        let _ = gate.admit(0.0, "y");
        assert_eq!(gate.take_report().map(|r| r.malformed), Some(2));
        assert!(gate.take_report().is_none());
        let _ = gate.admit(0.0, HISTORY);
        let _ = gate.admit(0.0, HISTORY);
        assert_eq!(gate.take_report().map(|r| r.rate_limited), Some(1));
        assert_eq!(gate.dropped().total(), 3);
    }

    #[test]
    fn the_marker_says_how_many_and_why() {
        let limits = Limits::DEFAULT;
        let counts = DropCounts {
            rate_limited: 15_000,
            too_large: 1,
            malformed: 2,
            unlogged: 0,
            unsent: 0,
        };
        assert_eq!(
            counts.describe(&limits),
            "Dropped 15003 messages from the page: 15000 over the rate limit (2000 a second \
             after a burst of 5000), 1 over the size limit (65536 bytes), 2 malformed"
        );
        let one = DropCounts {
            malformed: 1,
            ..DropCounts::default()
        };
        assert_eq!(
            one.describe(&limits),
            "Dropped 1 message from the page: 1 malformed"
        );
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Over any run of arrival times, what passes never exceeds the burst plus the refill
        /// for the time covered, and every message is either let through or counted.
        #[test]
        fn never_more_than_the_limit_and_nothing_uncounted(
            gaps in proptest::collection::vec(0.0f64..50.0, 1..400)
        ) {
            let limits = Limits { burst: 20, per_second: 100, message_bytes: 1024, batch_bytes: 4096 };
            let mut gate = PageGate::new(limits);
            let mut now = 0.0;
            let mut passed = 0u64;
            for gap in &gaps {
                now += gap;
                if gate.admit(now, r#"{"history":{"kind":"replace"}}"#).is_ok_and(|a| a.log) {
                    passed += 1;
                }
            }
            let allowed = 20.0 + now * 100.0 / 1000.0;
            prop_assert!(passed as f64 <= allowed + 1e-9);
            prop_assert_eq!(passed + gate.dropped().total(), gaps.len() as u64);
        }
    }
}
