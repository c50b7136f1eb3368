//! Making sure no driver or browser process outlives the test run.
//!
//! Each driver is spawned as the leader of its own process group, and the browser it starts
//! (with all of the browser's helper processes) stays in that group. Killing the group kills
//! everything. [`Group`] does it on drop (so also when a thread unwinds from a panic), and the
//! SIGINT/SIGTERM/SIGHUP handler installed by [`install_signal_handlers`] does it for every
//! live group when the run is interrupted.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Once;

/// Live process groups, in a form a signal handler may read (no locks, no allocation).
static GROUPS: [AtomicI32; 16] = [const { AtomicI32::new(0) }; 16];

/// A registered process group, killed with SIGKILL when dropped.
#[derive(Debug)]
pub struct Group {
    pgid: i32,
}

impl Group {
    /// Registers the process group `pgid` (the pid of a child spawned with `process_group(0)`).
    pub fn register(pgid: u32) -> Group {
        let pgid = pgid as i32;
        install_signal_handlers();
        // Take the first free slot. With all slots taken (never, with two browsers) the group is
        // still killed on drop, just not on a signal.
        let _ = GROUPS.iter().any(|slot| {
            slot.compare_exchange(0, pgid, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        });
        Group { pgid }
    }

    /// Kills every process in the group now (idempotent).
    pub fn kill(&self) {
        kill_group(self.pgid);
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
        for slot in &GROUPS {
            let _ = slot.compare_exchange(self.pgid, 0, Ordering::SeqCst, Ordering::SeqCst);
        }
    }
}

fn kill_group(pgid: i32) {
    if pgid > 1 {
        // SAFETY: kill(2) has no memory-safety preconditions; a negative pid names a group.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
}

extern "C" fn on_signal(signal: libc::c_int) {
    for slot in &GROUPS {
        kill_group(slot.load(Ordering::SeqCst));
    }
    // SAFETY: async-signal-safe calls only: restore the default action and re-raise, so the
    // process ends with the usual status for this signal.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}

/// Installs (once) the handler that kills all registered groups on SIGINT, SIGTERM and SIGHUP.
pub fn install_signal_handlers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            // SAFETY: the handler only performs async-signal-safe operations.
            unsafe {
                libc::signal(signal, handler);
            }
        }
    });
}
