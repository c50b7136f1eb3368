//! SPA title/URL tracking, end to end: the page navigates without loading, and the widget
//! gets exactly the `sendPageTitle(title, true, url)` calls the rules call for.
//!
//! One scenario per pattern and mode, `spa::MODE::PATTERN`. The patterns (what the page does
//! and the calls it must produce) are `e2e::spa_patterns::PATTERNS`, played by
//! `tests/fixtures/spa-patterns.js`; the benchmark (`bench spa`) runs the same ones. In sandbox
//! mode the calls are read from the site's stored visitor record (`pages`), which lists every
//! `sendPageTitle` the widget received; in JivoChat mode the widget is the fake loader
//! (`tests/fixtures/fake-loader.js`), which records them in the page (`fakeJivo.pages`).
//!
//! Each scenario loads its page once and plays one pattern. Patterns that do not depend on the
//! settle window's length run with a short one ([`spa_patterns::SHORT_SETTLE_MS`]); those that
//! define the rules (the title 50 ms, 300 ms and 1.5 s after the push, the flicker, the scroll)
//! run with the default 500 ms.

use anyhow::Result;
use e2e::runner::{Ctx, Scenario};
use e2e::spa_patterns::{self, Mode};

/// Plays pattern `name` in `mode` and checks the calls.
fn check(ctx: &mut Ctx, mode: Mode, name: &str) -> Result<()> {
    let pattern = spa_patterns::find(name)?;
    spa_patterns::run(&ctx.browser, &ctx.server, mode, pattern)?.check(pattern)
}

/// One scenario function per pattern in `mod sandbox` and in `mod jivochat`, and [`SCENARIOS`]
/// listing them.
macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        mod sandbox {
            use super::*;
            $(
                pub fn $name(ctx: &mut Ctx) -> Result<()> {
                    check(ctx, Mode::Sandbox, stringify!($name))
                }
            )*
        }

        mod jivochat {
            use super::*;
            $(
                pub fn $name(ctx: &mut Ctx) -> Result<()> {
                    check(ctx, Mode::JivoChat, stringify!($name))
                }
            )*
        }

        pub const SCENARIOS: &[Scenario] = &[
            $(Scenario::new(concat!("spa::sandbox::", stringify!($name)), sandbox::$name),)*
            $(Scenario::new(concat!("spa::jivochat::", stringify!($name)), jivochat::$name),)*
        ];
    };
}

scenarios![
    title_before_push,
    title_right_after_push,
    title_50ms_after_push,
    title_300ms_after_push,
    title_1500ms_after_push,
    push_then_replace,
    three_quick_pushes,
    replace_state_same_url,
    back_and_forward,
    hash_route,
    anchor,
    query_only,
    same_url_again,
    title_flicker,
    scroll_replace,
    page_wraps_push_state,
    destroy_navigate_init,
    before_load,
    slow_deferred_script,
];
