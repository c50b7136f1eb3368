//! The native conformance suite: each test is a scripted timeline of observations (times in
//! ms) and the exact reports expected, mirroring the end-to-end suite's pages. Unless a test
//! says otherwise the widget loaded at 0 on the start page and the settings are the defaults
//! (settle 500 ms, hash routes, title-only reports on).

use super::testkit::{hash, navigate, pop, push, r, replace, timeline, title, Ev, Sim};
use super::{
    HashMode, Observation, PageState, ReportReason, SpaConfig, SpaTracker, UnreportedReason,
    UrlCause, QUIET_MS, REPORT_BURST, REPORT_INTERVAL_MS,
};

/// The quiet period after a navigation whose URL and title both changed.
const Q: u64 = QUIET_MS;

const HOME: &str = "https://app.example/";
const ABOUT: &str = "https://app.example/about";

fn defaults() -> SpaConfig {
    SpaConfig::default()
}

fn with_hash(hash: HashMode) -> SpaConfig {
    SpaConfig {
        hash,
        ..SpaConfig::default()
    }
}

// --- Title and URL ordering -------------------------------------------------------------

#[test]
fn title_before_push_reports_on_the_push() {
    let got = timeline(
        defaults(),
        HOME,
        "Home",
        [(1000, title("About")), (1003, push(ABOUT))],
    );
    assert_eq!(got, [r(1003 + Q, "About", ABOUT)]);
}

#[test]
fn title_in_the_same_ms_as_push_reports_one_quiet_period_later() {
    let got = timeline(
        defaults(),
        HOME,
        "Home",
        [(1000, push(ABOUT)), (1000, title("About"))],
    );
    assert_eq!(got, [r(1000 + Q, "About", ABOUT)]);
}

#[test]
fn title_5ms_after_push_reports_on_the_title() {
    let got = timeline(
        defaults(),
        HOME,
        "Home",
        [(1000, push(ABOUT)), (1005, title("About"))],
    );
    assert_eq!(got, [r(1005 + Q, "About", ABOUT)]);
}

#[test]
fn title_50ms_after_push_reports_on_the_title() {
    let got = timeline(
        defaults(),
        HOME,
        "Home",
        [(1000, push(ABOUT)), (1050, title("About"))],
    );
    assert_eq!(got, [r(1050 + Q, "About", ABOUT)]);
}

#[test]
fn title_300ms_after_push_reports_on_the_title() {
    let got = timeline(
        defaults(),
        HOME,
        "Home",
        [(1000, push(ABOUT)), (1300, title("About"))],
    );
    assert_eq!(got, [r(1300 + Q, "About", ABOUT)]);
}

#[test]
fn title_1500ms_after_push_gives_a_url_report_then_a_title_only_report() {
    let mut sim = Sim::loaded(defaults(), HOME, "Home");
    sim.play([(1000, push(ABOUT)), (2500, title("About"))]);
    sim.quiesce();
    assert_eq!(
        sim.sent(),
        [(1500, "Home", ABOUT), (3000, "About", ABOUT)],
        "window close with the old title, then the late title on its own"
    );
    assert_eq!(
        sim.reports[0].1.reason,
        ReportReason::Navigation {
            cause: Some(UrlCause::Push)
        }
    );
    assert_eq!(sim.reports[1].1.reason, ReportReason::TitleOnly);
}

#[test]
fn title_flicker_then_push_reports_the_unchanged_title_at_window_close() {
    let got = timeline(
        defaults(),
        HOME,
        "Home",
        [
            (1000, title("Loading")),
            (1100, title("Home")),
            (1200, push(ABOUT)),
        ],
    );
    assert_eq!(got, [r(1500, "Home", ABOUT)]);
}

// --- Several URL changes ----------------------------------------------------------------

#[test]
fn push_then_replace_redirect_gives_one_report_of_the_final_url() {
    let got = timeline(
        defaults(),
        HOME,
        "Home",
        [
            (1000, push("https://app.example/old")),
            (1000, replace("https://app.example/new")),
            (1020, title("New")),
        ],
    );
    assert_eq!(got, [r(1020 + Q, "New", "https://app.example/new")]);
}

#[test]
fn push_then_replace_without_a_title_reports_the_final_url_at_window_close() {
    let got = timeline(
        defaults(),
        HOME,
        "Home",
        [
            (1000, push("https://app.example/old")),
            (1001, replace("https://app.example/new")),
        ],
    );
    assert_eq!(got, [r(1500, "Home", "https://app.example/new")]);
}

#[test]
fn three_quick_pushes_give_one_report() {
    let got = timeline(
        defaults(),
        HOME,
        "Home",
        [
            (1000, push("https://app.example/a")),
            (1100, push("https://app.example/b")),
            (1200, push("https://app.example/c")),
            (1250, title("C")),
        ],
    );
    assert_eq!(got, [r(1250 + Q, "C", "https://app.example/c")]);
}

#[test]
fn three_quick_pushes_without_a_title_report_the_last_at_window_close() {
    let got = timeline(
        defaults(),
        HOME,
        "Home",
        [
            (1000, push("https://app.example/a")),
            (1100, push("https://app.example/b")),
            (1200, push("https://app.example/c")),
        ],
    );
    assert_eq!(got, [r(1500, "Home", "https://app.example/c")]);
}

#[test]
fn push_and_back_within_the_window_reports_nothing() {
    let got = timeline(
        defaults(),
        HOME,
        "Home",
        [(1000, push(ABOUT)), (1100, pop(HOME))],
    );
    assert_eq!(got, []);
}

// --- Nothing visible changed ------------------------------------------------------------

#[test]
fn replace_state_keeping_the_url_reports_nothing() {
    let got = timeline(
        defaults(),
        HOME,
        "Home",
        [
            (1000, replace(HOME)),
            (1001, title("Home")),
            (2000, replace(HOME)),
        ],
    );
    assert_eq!(got, []);
}

#[test]
fn same_url_pushed_again_reports_nothing_more() {
    let got = timeline(
        defaults(),
        HOME,
        "Home",
        [
            (1000, push(ABOUT)),
            (1010, title("About")),
            (2000, push(ABOUT)),
            (2001, title("About")),
            (2002, navigate(ABOUT)),
        ],
    );
    assert_eq!(got, [r(1010 + Q, "About", ABOUT)]);
}

#[test]
fn title_flicker_back_within_the_window_reports_nothing() {
    let got = timeline(
        defaults(),
        HOME,
        "Home",
        [(1000, title("(1) Home")), (1300, title("Home"))],
    );
    assert_eq!(got, []);
}

#[test]
fn title_only_change_is_reported_at_window_close() {
    let got = timeline(defaults(), HOME, "Home", [(1000, title("Home — 3 items"))]);
    assert_eq!(got, [r(1500, "Home — 3 items", HOME)]);
}

// --- Back and forward -------------------------------------------------------------------

#[test]
fn back_and_forward_report_each_page() {
    let got = timeline(
        defaults(),
        HOME,
        "Home",
        [
            (1000, push(ABOUT)),
            (1010, title("About")),
            (2000, pop(HOME)),
            (2005, title("Home")),
            (3000, pop(ABOUT)),
            (3001, title("About")),
        ],
    );
    assert_eq!(
        got,
        [
            r(1010 + Q, "About", ABOUT),
            r(2005 + Q, "Home", HOME),
            r(3001 + Q, "About", ABOUT)
        ]
    );
}

#[test]
fn back_with_the_title_restored_first_reports_on_the_popstate() {
    let got = timeline(
        defaults(),
        HOME,
        "Home",
        [
            (1000, push(ABOUT)),
            (1010, title("About")),
            (2000, title("Home")),
            (2000, pop(HOME)),
        ],
    );
    assert_eq!(
        got,
        [r(1010 + Q, "About", ABOUT), r(2000 + Q, "Home", HOME)]
    );
}

// --- Hash changes -----------------------------------------------------------------------

const APP: &str = "https://app.example/app";

#[test]
fn hash_routes_are_pages_under_routes() {
    let got = timeline(
        with_hash(HashMode::Routes),
        "https://app.example/app#/a",
        "A",
        [
            (1000, hash("https://app.example/app#/b")),
            (1010, title("B")),
            (2000, hash("https://app.example/app#!/c")),
            (2499, title("C")),
        ],
    );
    assert_eq!(
        got,
        [
            r(1010 + Q, "B", "https://app.example/app#/b"),
            // 1 ms before its window closes: the window's end comes first.
            r(2500, "C", "https://app.example/app#!/c")
        ]
    );
}

#[test]
fn anchors_are_not_pages_under_routes() {
    let got = timeline(
        with_hash(HashMode::Routes),
        APP,
        "Docs",
        [
            (1000, hash("https://app.example/app#install")),
            (2000, hash("https://app.example/app#usage")),
            (3000, pop(APP)),
        ],
    );
    assert_eq!(got, []);
}

#[test]
fn an_anchor_inside_a_hash_route_is_not_a_page_under_routes() {
    let got = timeline(
        with_hash(HashMode::Routes),
        "https://app.example/app#/docs",
        "Docs",
        [(1000, hash("https://app.example/app#/docs#install"))],
    );
    assert_eq!(got, []);
}

#[test]
fn leaving_a_hash_route_for_an_anchor_is_a_navigation_under_routes() {
    // `/app#/x` → `/app#section`: the route is gone, so the page is `/app` itself.
    let got = timeline(
        with_hash(HashMode::Routes),
        "https://app.example/app#/x",
        "X",
        [(1000, hash("https://app.example/app#section"))],
    );
    assert_eq!(got, [r(1500, "X", "https://app.example/app#section")]);
}

#[test]
fn a_title_change_after_an_anchor_reports_the_url_with_its_anchor() {
    let got = timeline(
        with_hash(HashMode::Routes),
        APP,
        "Docs",
        [
            (1000, hash("https://app.example/app#install")),
            (1100, title("Docs: install")),
        ],
    );
    assert_eq!(
        got,
        [r(1600, "Docs: install", "https://app.example/app#install")]
    );
}

#[test]
fn every_hash_change_is_a_page_under_all() {
    let got = timeline(
        with_hash(HashMode::All),
        APP,
        "Docs",
        [
            (1000, hash("https://app.example/app#install")),
            (2000, hash("https://app.example/app#/b")),
            (2010, title("B")),
            (3000, hash("https://app.example/app#/b#more")),
        ],
    );
    assert_eq!(
        got,
        [
            r(1500, "Docs", "https://app.example/app#install"),
            r(2010 + Q, "B", "https://app.example/app#/b"),
            r(3500, "B", "https://app.example/app#/b#more")
        ]
    );
}

#[test]
fn hash_changes_are_never_pages_under_ignore() {
    let got = timeline(
        with_hash(HashMode::Ignore),
        "https://app.example/app#/a",
        "A",
        [
            (1000, hash("https://app.example/app#/b")),
            (2000, hash("https://app.example/app#section")),
        ],
    );
    assert_eq!(got, []);
}

#[test]
fn a_hash_route_with_a_new_title_is_title_only_under_ignore() {
    let got = timeline(
        with_hash(HashMode::Ignore),
        "https://app.example/app#/a",
        "A",
        [
            (1000, hash("https://app.example/app#/b")),
            (1010, title("B")),
        ],
    );
    assert_eq!(got, [r(1510, "B", "https://app.example/app#/b")]);
}

#[test]
fn query_only_changes_count_in_every_hash_mode() {
    for mode in [HashMode::Routes, HashMode::All, HashMode::Ignore] {
        let got = timeline(
            with_hash(mode),
            "https://app.example/list?page=1#top",
            "List",
            [(1000, push("https://app.example/list?page=2#top"))],
        );
        assert_eq!(
            got,
            [r(1500, "List", "https://app.example/list?page=2#top")],
            "{mode:?}"
        );
    }
}

#[test]
fn changing_the_hash_mode_brings_the_widget_up_to_date() {
    let mut sim = Sim::loaded(with_hash(HashMode::Routes), APP, "Docs");
    sim.play([
        (1000, hash("https://app.example/app#install")),
        (2000, Ev::Config(with_hash(HashMode::All))),
        (3000, hash("https://app.example/app#usage")),
    ]);
    sim.quiesce();
    assert_eq!(
        sim.sent(),
        [
            (2000, "Docs", "https://app.example/app#install"),
            (3500, "Docs", "https://app.example/app#usage")
        ]
    );
}

// --- Rate limit -------------------------------------------------------------------------

/// The time of frame `i` of a 60 frames-per-second animation starting at `start`.
fn frame(start: u64, i: u64) -> u64 {
    start + i * 1000 / 60
}

#[test]
fn scroll_driven_replace_state_gives_one_report_per_window_ending_with_the_final_url() {
    // 60 replaceState calls per second for 2 s, the title never changes.
    let events = (0..120).map(|i| {
        (
            frame(0, i),
            replace(&format!("https://app.example/article?y={i}")),
        )
    });
    let got = timeline(defaults(), "https://app.example/article", "Article", events);
    assert_eq!(
        got,
        [
            r(500, "Article", "https://app.example/article?y=29"),
            r(1000, "Article", "https://app.example/article?y=59"),
            r(1500, "Article", "https://app.example/article?y=89"),
            r(2000, "Article", "https://app.example/article?y=119"),
        ]
    );
}

#[test]
fn a_scrollspy_rewriting_the_anchor_reports_nothing_under_routes() {
    let events = (0..120).map(|i| {
        (
            frame(0, i),
            replace(&format!("https://app.example/guide#part-{}", i / 20)),
        )
    });
    let got = timeline(defaults(), "https://app.example/guide", "Guide", events);
    assert_eq!(got, []);
}

#[test]
fn scroll_driven_url_and_title_changes_are_rate_limited_ending_with_the_final_state() {
    // Every frame for 2 s sets both a new URL and a new title: each frame is a complete
    // navigation, so only the rate limit stands between the page and the widget.
    let mut events = Vec::new();
    for i in 0..120 {
        let t = frame(1000, i);
        events.push((t, replace(&format!("https://app.example/doc?s={i}"))));
        events.push((t, title(&format!("Section {i}"))));
    }
    let got = timeline(defaults(), "https://app.example/doc", "Doc", events);
    let s = |i: u32| format!("https://app.example/doc?s={i}");
    let expected = [
        r(1000 + Q, "Section 0", &s(0)),
        r(1016 + Q, "Section 1", &s(1)),
        r(1033 + Q, "Section 2", &s(2)),
        // The limit allows the next at 1500 + Q; section 30 came at 1500.
        r(1500 + Q, "Section 30", &s(30)),
        r(2000 + Q, "Section 60", &s(60)),
        r(2500 + Q, "Section 90", &s(90)),
        r(3000 + Q, "Section 119", &s(119)),
    ];
    assert_eq!(got, expected);
    assert_eq!(REPORT_BURST, 3);
    assert_eq!(REPORT_INTERVAL_MS, 500);
}

#[test]
fn a_burst_of_navigations_sends_the_burst_then_the_latest_when_allowed() {
    let mut events = Vec::new();
    for i in 0..6u64 {
        let t = 1000 + i * 10;
        events.push((t, push(&format!("https://app.example/p{i}"))));
        events.push((t + 1, title(&format!("P{i}"))));
    }
    let got = timeline(defaults(), HOME, "Home", events);
    assert_eq!(
        got,
        [
            r(1001 + Q, "P0", "https://app.example/p0"),
            r(1011 + Q, "P1", "https://app.example/p1"),
            r(1021 + Q, "P2", "https://app.example/p2"),
            r(1501 + Q, "P5", "https://app.example/p5"),
        ]
    );
}

#[test]
fn a_held_report_that_returns_to_the_sent_page_is_dropped() {
    let mut events = Vec::new();
    for (i, (url, t)) in [(ABOUT, "About"), (HOME, "Home")]
        .iter()
        .cycle()
        .take(5)
        .enumerate()
    {
        let at = 1000 + i as u64 * 10;
        events.push((at, push(url)));
        events.push((at + 1, title(t)));
    }
    // Reports: About, Home, About (burst), then Home (held), then About (held, replacing it):
    // the held About equals the last sent, so nothing more goes out.
    let got = timeline(defaults(), HOME, "Home", events);
    assert_eq!(
        got,
        [
            r(1001 + Q, "About", ABOUT),
            r(1011 + Q, "Home", HOME),
            r(1021 + Q, "About", ABOUT)
        ]
    );
}

// --- Pages that touch history themselves ------------------------------------------------

#[test]
fn a_page_wrapping_push_state_is_just_a_push() {
    // The page's own pushState wrapper calls the original, then announces the change its own
    // way; the shell sees the push (and possibly a Navigation API event for the same URL).
    let got = timeline(
        defaults(),
        HOME,
        "Home",
        [
            (1000, push(ABOUT)),
            (1000, navigate(ABOUT)),
            (1000, push(ABOUT)),
            (1030, title("About")),
        ],
    );
    assert_eq!(got, [r(1030 + Q, "About", ABOUT)]);
}

#[test]
fn navigation_api_events_are_urls_like_any_other() {
    let got = timeline(
        defaults(),
        HOME,
        "Home",
        [(1000, navigate(ABOUT)), (1040, title("About"))],
    );
    assert_eq!(got, [r(1040 + Q, "About", ABOUT)]);
}

// --- Widget lifecycle -------------------------------------------------------------------

#[test]
fn navigation_before_the_widget_loads_is_reported_once_at_load() {
    let mut sim = Sim::new(defaults(), HOME, "Home");
    sim.play([
        (100, push("https://app.example/b")),
        (150, title("B")),
        (300, push("https://app.example/c")),
        (320, title("C")),
        (2000, Ev::Load(PageState::new(HOME, "Home"))),
    ]);
    sim.quiesce();
    assert_eq!(sim.sent(), [(2000, "C", "https://app.example/c")]);
}

#[test]
fn no_report_at_load_when_the_widget_saw_the_latest_page() {
    let mut sim = Sim::new(defaults(), HOME, "Home");
    sim.play([
        (100, push(ABOUT)),
        (150, title("About")),
        (2000, Ev::Load(PageState::new(ABOUT, "About"))),
    ]);
    sim.quiesce();
    assert_eq!(sim.sent(), []);
}

#[test]
fn a_navigation_in_progress_at_load_is_reported_when_it_completes() {
    let mut sim = Sim::new(defaults(), HOME, "Home");
    sim.play([
        (1000, push(ABOUT)),
        (1100, Ev::Load(PageState::new(HOME, "Home"))),
        (1200, title("About")),
    ]);
    sim.quiesce();
    assert_eq!(sim.sent(), [(1200 + Q, "About", ABOUT)]);
}

#[test]
fn a_url_change_in_progress_at_load_without_a_title_waits_for_its_window() {
    let mut sim = Sim::new(defaults(), HOME, "Home");
    sim.play([
        (1000, push(ABOUT)),
        (1100, Ev::Load(PageState::new(HOME, "Home"))),
    ]);
    sim.quiesce();
    assert_eq!(sim.sent(), [(1500, "Home", ABOUT)]);
}

#[test]
fn nothing_is_reported_before_load_however_long() {
    let mut sim = Sim::new(defaults(), HOME, "Home");
    sim.play([
        (1000, push(ABOUT)),
        (1010, title("About")),
        (60_000, title("About (1)")),
    ]);
    sim.quiesce();
    assert_eq!(sim.sent(), []);
}

#[test]
fn destroy_then_navigation_then_init_and_load_on_the_new_page() {
    let got = timeline(
        defaults(),
        HOME,
        "Home",
        [
            (1000, Ev::Destroy),
            (2000, push(ABOUT)),
            (2010, title("About")),
            // jivo_init() then jivo_onLoadCallback: the widget initialised on /about.
            (5000, Ev::Load(PageState::new(ABOUT, "About"))),
        ],
    );
    assert_eq!(got, []);
}

#[test]
fn destroy_then_navigation_then_load_having_seen_the_old_page() {
    let got = timeline(
        defaults(),
        HOME,
        "Home",
        [
            (1000, Ev::Destroy),
            (2000, push(ABOUT)),
            (2010, title("About")),
            (5000, Ev::Load(PageState::new(HOME, "Home"))),
        ],
    );
    assert_eq!(got, [r(5000, "About", ABOUT)]);
}

#[test]
fn destroy_drops_a_pending_window_and_a_held_report() {
    let got = timeline(
        defaults(),
        HOME,
        "Home",
        [
            (1000, push(ABOUT)),
            (1100, Ev::Destroy),
            (3000, Ev::Load(PageState::new(ABOUT, "Home"))),
        ],
    );
    assert_eq!(got, []);
}

#[test]
fn a_navigation_racing_the_reload_completes_after_load() {
    let got = timeline(
        defaults(),
        HOME,
        "Home",
        [
            (1000, Ev::Destroy),
            (4800, push("https://app.example/c")),
            (5000, Ev::Load(PageState::new(HOME, "Home"))),
            (5100, title("C")),
        ],
    );
    assert_eq!(got, [r(5100 + Q, "C", "https://app.example/c")]);
}

// --- Settings ---------------------------------------------------------------------------

fn title_only_off() -> SpaConfig {
    SpaConfig {
        title_only: false,
        ..SpaConfig::default()
    }
}

#[test]
fn title_only_off_ignores_titles_on_the_same_page() {
    let got = timeline(
        title_only_off(),
        HOME,
        "Home",
        [(1000, title("(1) Home")), (3000, title("(2) Home"))],
    );
    assert_eq!(got, []);
}

#[test]
fn title_only_off_reports_the_late_title_case_once() {
    let got = timeline(
        title_only_off(),
        HOME,
        "Home",
        [(1000, push(ABOUT)), (2500, title("About"))],
    );
    assert_eq!(got, [r(1500, "Home", ABOUT)]);
}

#[test]
fn title_only_off_still_pairs_a_title_set_before_the_push() {
    let got = timeline(
        title_only_off(),
        HOME,
        "Home",
        [(1000, title("About")), (1020, push(ABOUT))],
    );
    assert_eq!(got, [r(1020 + Q, "About", ABOUT)]);
}

#[test]
fn title_only_off_waits_for_the_new_title_despite_an_unreported_one() {
    // The title changed long ago and was never reported; a push must not pair with that
    // stale title but wait for the new page's own.
    let got = timeline(
        title_only_off(),
        HOME,
        "Home",
        [
            (1000, title("(1) Home")),
            (5000, push(ABOUT)),
            (5040, title("About")),
        ],
    );
    assert_eq!(got, [r(5040 + Q, "About", ABOUT)]);
}

#[test]
fn disabled_never_reports() {
    let disabled = SpaConfig {
        enabled: false,
        ..SpaConfig::default()
    };
    let mut sim = Sim::new(disabled, HOME, "Home");
    sim.play([
        (
            0,
            Ev::Load(PageState::new("https://elsewhere.example/", "X")),
        ),
        (1000, push(ABOUT)),
        (1010, title("About")),
        (2000, title("Later")),
        (3000, Ev::Destroy),
        (4000, Ev::LoadHere),
        (5000, pop(HOME)),
    ]);
    sim.quiesce();
    assert_eq!(sim.sent(), []);
}

#[test]
fn disabling_drops_what_waits_and_enabling_catches_up() {
    let off = SpaConfig {
        enabled: false,
        ..SpaConfig::default()
    };
    let got = timeline(
        defaults(),
        HOME,
        "Home",
        [
            (1000, push(ABOUT)),
            (1100, Ev::Config(off)),
            (1200, title("About")),
            (9000, Ev::Config(SpaConfig::default())),
        ],
    );
    assert_eq!(got, [r(9000, "About", ABOUT)]);
}

#[test]
fn settle_zero_reports_every_change_at_once() {
    let zero = SpaConfig {
        settle_ms: 0,
        ..SpaConfig::default()
    };
    let got = timeline(
        zero,
        HOME,
        "Home",
        [(1000, push(ABOUT)), (1010, title("About"))],
    );
    assert_eq!(got, [r(1000, "Home", ABOUT), r(1010, "About", ABOUT)]);
}

#[test]
fn a_new_settle_time_applies_to_the_open_window() {
    let short = SpaConfig {
        settle_ms: 100,
        ..SpaConfig::default()
    };
    let got = timeline(
        defaults(),
        HOME,
        "Home",
        [(1000, push(ABOUT)), (1050, Ev::Config(short.clone()))],
    );
    assert_eq!(got, [r(1100, "Home", ABOUT)]);
    let got = timeline(
        defaults(),
        HOME,
        "Home",
        [(1000, push(ABOUT)), (1200, Ev::Config(short))],
    );
    assert_eq!(got, [r(1200, "Home", ABOUT)]);
}

#[test]
fn settle_time_is_capped() {
    let huge = SpaConfig {
        settle_ms: u32::MAX,
        ..SpaConfig::default()
    };
    let got = timeline(huge, HOME, "Home", [(1000, push(ABOUT))]);
    let cap = u64::from(SpaConfig::MAX_SETTLE_MS);
    assert_eq!(got, [r(1000 + cap, "Home", ABOUT)]);
}

// --- The clock --------------------------------------------------------------------------

#[test]
fn a_late_timer_still_closes_the_window_before_the_next_event() {
    // The shell's timer never fired (a throttled background tab): the next observation first
    // closes the window with the state it had.
    let mut spa = SpaTracker::new(defaults(), PageState::new(HOME, "Home"));
    let _ = spa.widget_loaded(0, PageState::new(HOME, "Home"));
    let step = spa.observe(1000, Observation::url(ABOUT, UrlCause::Push));
    assert_eq!((step.report, step.wake_at), (None, Some(1500)));
    let step = spa.observe(2500, Observation::title("About"));
    let report = step.report.expect("the window closed at 1500");
    assert_eq!(
        (report.title.as_str(), report.url.as_str()),
        ("Home", ABOUT)
    );
    assert_eq!(step.wake_at, Some(3000));
    let step = spa.tick(9000);
    let report = step.report.expect("title-only");
    assert_eq!(report.reason, ReportReason::TitleOnly);
    assert_eq!(step.wake_at, None);
}

#[test]
fn an_early_tick_does_nothing() {
    let mut spa = SpaTracker::new(defaults(), PageState::new(HOME, "Home"));
    let _ = spa.widget_loaded(0, PageState::new(HOME, "Home"));
    let _ = spa.observe(1000, Observation::url(ABOUT, UrlCause::Push));
    let step = spa.tick(1200);
    assert_eq!((step.report, step.wake_at), (None, Some(1500)));
}

#[test]
fn a_clock_stepping_back_is_held_at_the_latest_time() {
    let mut spa = SpaTracker::new(defaults(), PageState::new(HOME, "Home"));
    let _ = spa.widget_loaded(5000, PageState::new(HOME, "Home"));
    let step = spa.observe(1000, Observation::url(ABOUT, UrlCause::Push));
    assert_eq!(step.wake_at, Some(5500));
    let step = spa.tick(0);
    assert_eq!((step.report, step.wake_at), (None, Some(5500)));
    assert!(spa.tick(5500).report.is_some());
}

#[test]
fn loading_twice_starts_over_from_what_the_widget_saw() {
    let got = timeline(
        defaults(),
        HOME,
        "Home",
        [
            (1000, push(ABOUT)),
            (1010, title("About")),
            (2000, Ev::Load(PageState::new(HOME, "Home"))),
        ],
    );
    assert_eq!(got, [r(1010 + Q, "About", ABOUT), r(2000, "About", ABOUT)]);
}

#[test]
fn observation_kinds_and_serde_names_are_the_logged_ones() {
    let kinds: Vec<&str> = [
        Observation::url(HOME, UrlCause::Push),
        Observation::url(HOME, UrlCause::Replace),
        Observation::url(HOME, UrlCause::Pop),
        Observation::url(HOME, UrlCause::Hash),
        Observation::url(HOME, UrlCause::Navigate),
        Observation::title("T"),
    ]
    .iter()
    .map(Observation::kind)
    .collect();
    assert_eq!(
        kinds,
        ["push", "replace", "pop", "hash", "navigate", "title"]
    );
    let json = serde_json::to_string(&Observation::url(HOME, UrlCause::Pop)).expect("json");
    assert_eq!(
        json,
        r#"{"kind":"url","url":"https://app.example/","cause":"pop"}"#
    );
    let json = serde_json::to_string(&ReportReason::Navigation {
        cause: Some(UrlCause::Push),
    })
    .expect("json");
    assert_eq!(json, r#"{"reason":"navigation","cause":"push"}"#);
}

// --- Real routers: transient titles -------------------------------------------------------

const SEARCH_A: &str = "https://shop.example/search?q=a";
const SEARCH_B: &str = "https://shop.example/search?q=b";

#[test]
fn a_transient_title_then_the_real_one_2ms_later_gives_one_report_of_the_real_one() {
    // The outgoing results page re-titles itself for the new query as the URL changes, then
    // the new route sets its real title 2 ms later.
    let got = timeline(
        defaults(),
        SEARCH_A,
        "a — Search",
        [
            (1000, push(SEARCH_B)),
            (1000, title("Searching for b…")),
            (1002, title("b — Search — Shop")),
        ],
    );
    assert_eq!(got, [r(1002 + Q, "b — Search — Shop", SEARCH_B)]);
}

#[test]
fn a_transient_title_before_the_push_gives_one_report_of_the_real_one() {
    let got = timeline(
        defaults(),
        SEARCH_A,
        "a — Search",
        [
            (1000, title("Searching for b…")),
            (1000, push(SEARCH_B)),
            (1001, replace("https://shop.example/search?q=b&page=1")),
            (1003, title("b — Search — Shop")),
        ],
    );
    assert_eq!(
        got,
        [r(
            1003 + Q,
            "b — Search — Shop",
            "https://shop.example/search?q=b&page=1"
        )]
    );
}

#[test]
fn transient_titles_up_to_just_under_the_quiet_period_apart_are_all_absorbed() {
    for gap in 1..Q {
        let got = timeline(
            defaults(),
            SEARCH_A,
            "a",
            [
                (1000, push(SEARCH_B)),
                (1000, title("transient 1")),
                (1000 + gap, title("transient 2")),
                (1000 + 2 * gap, title("b")),
            ],
        );
        assert_eq!(got, [r(1000 + 2 * gap + Q, "b", SEARCH_B)], "gap {gap}");
    }
    // A title a whole quiet period later is a second, title-only, change.
    let got = timeline(
        defaults(),
        SEARCH_A,
        "a",
        [
            (1000, push(SEARCH_B)),
            (1000, title("transient")),
            (1000 + Q, title("b")),
        ],
    );
    assert_eq!(
        got,
        [
            r(1000 + Q, "transient", SEARCH_B),
            r(1000 + Q + 500, "b", SEARCH_B)
        ]
    );
}

#[test]
fn ordinary_navigations_are_reported_within_one_frame_of_their_final_state() {
    // Latency: from the moment the final URL and title are both in place to the report.
    // Patterns: (events, when the final state is complete).
    let patterns: Vec<(Vec<(u64, Ev)>, u64)> = vec![
        (vec![(1000, push(ABOUT)), (1000, title("About"))], 1000),
        (vec![(1000, title("About")), (1003, push(ABOUT))], 1003),
        (vec![(1000, push(ABOUT)), (1005, title("About"))], 1005),
        (vec![(1000, push(ABOUT)), (1050, title("About"))], 1050),
        (vec![(1000, push(ABOUT)), (1300, title("About"))], 1300),
        (vec![(1000, navigate(ABOUT)), (1040, title("About"))], 1040),
        (vec![(1000, pop(ABOUT)), (1001, title("About"))], 1001),
        (
            vec![
                (1000, push("https://app.example/old")),
                (1000, replace("https://app.example/new")),
                (1020, title("New")),
            ],
            1020,
        ),
        (
            vec![
                (1000, push(ABOUT)),
                (1000, title("Loading…")),
                (1002, title("About")),
            ],
            1002,
        ),
    ];
    let mut latencies: Vec<u64> = patterns
        .into_iter()
        .map(|(events, complete)| {
            let got = timeline(defaults(), HOME, "Home", events);
            assert_eq!(got.len(), 1, "{got:?}");
            got[0].0 - complete
        })
        .collect();
    latencies.sort_unstable();
    let p95 = latencies[(latencies.len() * 95).div_ceil(100) - 1];
    assert_eq!(p95, Q);
    assert!(p95 <= 16, "p95 latency {p95} ms is over one frame");
}

// --- Navigations seen but not reported --------------------------------------------------

fn reasons(sim: &Sim) -> Vec<(&str, UnreportedReason)> {
    sim.unreported
        .iter()
        .map(|(_, u)| (u.url.as_str(), u.reason))
        .collect()
}

#[test]
fn every_navigation_not_reported_comes_out_once_with_its_reason() {
    use UnreportedReason::*;
    let b = "https://app.example/b";
    let c = "https://app.example/c";
    let off = SpaConfig {
        enabled: false,
        ..SpaConfig::default()
    };
    type Case = (
        &'static str,
        Sim,
        Vec<(u64, Ev)>,
        Vec<(&'static str, UnreportedReason)>,
    );
    let cases: Vec<Case> = vec![
        (
            "before load",
            Sim::new(defaults(), HOME, "Home"),
            vec![(100, push(b)), (120, title("B"))],
            vec![(b, BeforeLoad)],
        ),
        (
            "disabled",
            Sim::loaded(off.clone(), HOME, "Home"),
            vec![(100, push(b))],
            vec![(b, Disabled)],
        ),
        (
            "destroyed, and a window dropped by destroy",
            Sim::loaded(defaults(), HOME, "Home"),
            vec![(100, push(b)), (200, Ev::Destroy), (300, push(c))],
            vec![(b, Destroyed), (c, Destroyed)],
        ),
        (
            "turned off while waiting",
            Sim::loaded(defaults(), HOME, "Home"),
            vec![(100, push(b)), (200, Ev::Config(off))],
            vec![(b, Disabled)],
        ),
        (
            "an anchor is the same page",
            Sim::loaded(defaults(), APP, "Docs"),
            vec![(100, hash("https://app.example/app#install"))],
            vec![("https://app.example/app#install", SamePage)],
        ),
        (
            "push then back: superseded, then already known",
            Sim::loaded(defaults(), HOME, "Home"),
            vec![(100, push(b)), (150, pop(HOME))],
            vec![(b, Superseded), (HOME, AlreadyKnown)],
        ),
        (
            "push then replace: the push is superseded, the replace reported",
            Sim::loaded(defaults(), HOME, "Home"),
            vec![(100, push(b)), (100, replace(c)), (110, title("C"))],
            vec![(b, Superseded)],
        ),
        (
            "a held report replaced by a newer one is rate limited",
            Sim::loaded(defaults(), HOME, "Home"),
            (0..5u64)
                .flat_map(|i| {
                    let url: &'static str = [
                        "https://app.example/p0",
                        "https://app.example/p1",
                        "https://app.example/p2",
                        "https://app.example/p3",
                        "https://app.example/p4",
                    ][i as usize];
                    [
                        (100 + i * 20, push(url)),
                        (101 + i * 20, title(&format!("P{i}"))),
                    ]
                })
                .collect(),
            vec![("https://app.example/p3", RateLimited)],
        ),
    ];
    for (name, mut sim, events, expected) in cases {
        sim.play(events);
        sim.quiesce();
        assert_eq!(reasons(&sim), expected, "{name}");
    }
}

#[test]
fn unreported_navigations_carry_what_the_log_needs() {
    let mut sim = Sim::loaded(defaults(), HOME, "Home");
    sim.play([(100, push("https://app.example/b")), (150, pop(HOME))]);
    sim.quiesce();
    let (at, first) = &sim.unreported[0];
    assert_eq!(*at, 600, "settled when the window closed");
    assert_eq!(first.at, 100);
    assert_eq!(first.cause, UrlCause::Push);
    assert_eq!(first.title, "Home");
    assert_eq!(
        serde_json::to_value(first).unwrap(),
        serde_json::json!({
            "url": "https://app.example/b", "title": "Home", "cause": "push", "at": 100,
            "reason": "superseded"
        })
    );
    assert_eq!(
        UnreportedReason::RateLimited.describe(),
        "held by the rate limit (spa.reportIntervalMs) and replaced by a newer navigation"
    );
}

#[test]
fn the_report_interval_is_a_setting() {
    let mut events = Vec::new();
    for i in 0..6u64 {
        let t = 1000 + i * 10;
        events.push((t, push(&format!("https://app.example/p{i}"))));
        events.push((t + 1, title(&format!("P{i}"))));
    }
    let unlimited = SpaConfig {
        report_interval_ms: 0,
        ..SpaConfig::default()
    };
    assert_eq!(timeline(unlimited, HOME, "Home", events.clone()).len(), 6);
    let slow = SpaConfig {
        report_interval_ms: 2_000,
        ..SpaConfig::default()
    };
    let got = timeline(slow, HOME, "Home", events);
    assert_eq!(got.len(), 4);
    assert_eq!(got[3], r(1001 + Q + 2_000, "P5", "https://app.example/p5"));
}
