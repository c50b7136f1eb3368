//! The report rate limit: a token bucket, kept as one "theoretical arrival time" (the GCRA
//! form of a token bucket), so it is integer-only and needs no refill bookkeeping.

use super::Millis;

/// How many reports may go out back to back when the bucket is full.
pub const REPORT_BURST: u32 = 3;

/// The default `spa.reportIntervalMs`: after the burst, one report per this many ms at most
/// (2 per second). The bucket refills one report per interval, up to [`REPORT_BURST`].
pub const REPORT_INTERVAL_MS: Millis = 500;

/// How far ahead of the steady rate a burst may run, at `interval` ms per report.
fn tolerance(interval: Millis) -> Millis {
    (REPORT_BURST as Millis - 1).saturating_mul(interval)
}

/// A token bucket of [`REPORT_BURST`] reports refilled at one per `interval` ms
/// (`spa.reportIntervalMs`, default [`REPORT_INTERVAL_MS`]; 0 is no limit).
///
/// In any span of `d` ms at most `REPORT_BURST + d / interval` reports are allowed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RateLimiter {
    /// When the bucket would be full again if nothing more were sent: the next report is
    /// allowed once `now + TOLERANCE_MS >= tat`. Zero means full from the start.
    tat: Millis,
}

impl RateLimiter {
    /// Takes a token if one is available at `now`.
    pub(crate) fn try_acquire(&mut self, now: Millis, interval: Millis) -> bool {
        if now.saturating_add(tolerance(interval)) >= self.tat {
            self.tat = self.tat.max(now).saturating_add(interval);
            true
        } else {
            false
        }
    }

    /// The earliest time a token is available.
    pub(crate) fn ready_at(&self, interval: Millis) -> Millis {
        self.tat.saturating_sub(tolerance(interval))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_steady_rate() {
        const I: Millis = REPORT_INTERVAL_MS;
        let mut l = RateLimiter::default();
        assert!(l.try_acquire(0, I));
        assert!(l.try_acquire(0, I));
        assert!(l.try_acquire(0, I));
        assert!(!l.try_acquire(0, I));
        assert_eq!(l.ready_at(I), 500);
        assert!(!l.try_acquire(499, I));
        assert!(l.try_acquire(500, I));
        assert_eq!(l.ready_at(I), 1000);
        assert!(l.try_acquire(1000, I));
        // A quiet spell refills the bucket, but never beyond the burst.
        for _ in 0..REPORT_BURST {
            assert!(l.try_acquire(60_000, I));
        }
        assert!(!l.try_acquire(60_000, I));
    }

    #[test]
    fn the_interval_is_a_setting_and_zero_is_no_limit() {
        let mut l = RateLimiter::default();
        for _ in 0..1000 {
            assert!(l.try_acquire(7, 0));
        }
        let mut l = RateLimiter::default();
        for _ in 0..REPORT_BURST {
            assert!(l.try_acquire(0, 2_000));
        }
        assert!(!l.try_acquire(1_999, 2_000));
        assert_eq!(l.ready_at(2_000), 2_000);
    }

    #[test]
    fn saturates_at_the_end_of_time() {
        let mut l = RateLimiter::default();
        for _ in 0..10 {
            let _ = l.try_acquire(Millis::MAX, REPORT_INTERVAL_MS);
        }
        assert_eq!(
            l.ready_at(REPORT_INTERVAL_MS),
            Millis::MAX - tolerance(REPORT_INTERVAL_MS)
        );
    }
}
