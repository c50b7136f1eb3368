//! The report rate limit: a token bucket, kept as one "theoretical arrival time" (the GCRA
//! form of a token bucket), so it is integer-only and needs no refill bookkeeping.

use super::Millis;

/// How many reports may go out back to back when the bucket is full.
pub const REPORT_BURST: u32 = 3;

/// After the burst, one report per this many ms at most (2 per second). The bucket refills
/// one report per interval, up to [`REPORT_BURST`].
pub const REPORT_INTERVAL_MS: Millis = 500;

/// How far ahead of the steady rate a burst may run.
const TOLERANCE_MS: Millis = (REPORT_BURST as Millis - 1) * REPORT_INTERVAL_MS;

/// A token bucket of [`REPORT_BURST`] reports refilled at one per [`REPORT_INTERVAL_MS`].
///
/// In any span of `d` ms at most `REPORT_BURST + d / REPORT_INTERVAL_MS` reports are allowed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RateLimiter {
    /// When the bucket would be full again if nothing more were sent: the next report is
    /// allowed once `now + TOLERANCE_MS >= tat`. Zero means full from the start.
    tat: Millis,
}

impl RateLimiter {
    /// Takes a token if one is available at `now`.
    pub(crate) fn try_acquire(&mut self, now: Millis) -> bool {
        if now.saturating_add(TOLERANCE_MS) >= self.tat {
            self.tat = self.tat.max(now).saturating_add(REPORT_INTERVAL_MS);
            true
        } else {
            false
        }
    }

    /// The earliest time a token is available.
    pub(crate) fn ready_at(&self) -> Millis {
        self.tat.saturating_sub(TOLERANCE_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_steady_rate() {
        let mut l = RateLimiter::default();
        assert!(l.try_acquire(0));
        assert!(l.try_acquire(0));
        assert!(l.try_acquire(0));
        assert!(!l.try_acquire(0));
        assert_eq!(l.ready_at(), 500);
        assert!(!l.try_acquire(499));
        assert!(l.try_acquire(500));
        assert_eq!(l.ready_at(), 1000);
        assert!(l.try_acquire(1000));
        // A quiet spell refills the bucket, but never beyond the burst.
        for _ in 0..REPORT_BURST {
            assert!(l.try_acquire(60_000));
        }
        assert!(!l.try_acquire(60_000));
    }

    #[test]
    fn saturates_at_the_end_of_time() {
        let mut l = RateLimiter::default();
        for _ in 0..10 {
            let _ = l.try_acquire(Millis::MAX);
        }
        assert_eq!(l.ready_at(), Millis::MAX - TOLERANCE_MS);
    }
}
