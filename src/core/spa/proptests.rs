//! Properties over arbitrary timelines: no panics, no repeated report, the rate limit holds
//! in every span, and once things go quiet the widget knows the final page.

use proptest::prelude::*;

use super::testkit::{Ev, Sim};
use super::{
    same_page, HashMode, Millis, PageState, SpaConfig, UrlCause, REPORT_BURST, REPORT_INTERVAL_MS,
};

const URLS: &[&str] = &[
    "https://p.example/",
    "https://p.example/a",
    "https://p.example/a?q=1",
    "https://p.example/a?q=2",
    "https://p.example/a#",
    "https://p.example/a#s",
    "https://p.example/a#t",
    "https://p.example/a#/r",
    "https://p.example/a#/r#s",
    "https://p.example/a#!/r",
    "https://p.example/a#/q",
    "https://p.example/b",
    "https://p.example/b#/x",
    "",
    "#",
    "é#/ü#",
];

const TITLES: &[&str] = &["", "A", "B", "C", "(1) A", "é"];

fn url() -> impl Strategy<Value = String> {
    prop::sample::select(URLS).prop_map(str::to_owned)
}

fn title() -> impl Strategy<Value = String> {
    prop::sample::select(TITLES).prop_map(str::to_owned)
}

fn page() -> impl Strategy<Value = PageState> {
    (url(), title()).prop_map(|(u, t)| PageState::new(u, t))
}

fn cause() -> impl Strategy<Value = UrlCause> {
    prop::sample::select(vec![
        UrlCause::Push,
        UrlCause::Replace,
        UrlCause::Pop,
        UrlCause::Hash,
        UrlCause::Navigate,
    ])
}

fn config() -> impl Strategy<Value = SpaConfig> {
    (
        prop::bool::weighted(0.9),
        prop_oneof![Just(500u32), Just(0), 0u32..2_000, Just(u32::MAX)],
        prop::sample::select(vec![HashMode::Routes, HashMode::All, HashMode::Ignore]),
        any::<bool>(),
        // The rate property below is stated for the default interval; other intervals are
        // the limiter's own tests.
        Just(REPORT_INTERVAL_MS as u32),
    )
        .prop_map(
            |(enabled, settle_ms, hash, title_only, report_interval_ms)| SpaConfig {
                enabled,
                settle_ms,
                hash,
                title_only,
                report_interval_ms,
            },
        )
}

fn event() -> impl Strategy<Value = Ev> {
    prop_oneof![
        12 => (cause(), url()).prop_map(|(c, u)| Ev::Url(c, u)),
        12 => title().prop_map(Ev::Title),
        1 => page().prop_map(Ev::Load),
        1 => Just(Ev::LoadHere),
        1 => Just(Ev::Destroy),
        1 => config().prop_map(Ev::Config),
    ]
}

/// Gaps between events: same frame, a few frames, around the settle window, long pauses.
fn gap(dense: bool) -> BoxedStrategy<Millis> {
    if dense {
        prop_oneof![0u64..3, 0u64..20].boxed()
    } else {
        prop_oneof![0u64..3, 0u64..60, 300u64..800, 0u64..3_000].boxed()
    }
}

#[derive(Debug, Clone)]
struct Case {
    config: SpaConfig,
    start: PageState,
    loaded_at_start: bool,
    events: Vec<(Millis, Ev)>,
}

fn case() -> impl Strategy<Value = Case> {
    (config(), page(), prop::bool::weighted(0.8), any::<bool>()).prop_flat_map(
        |(config, start, loaded_at_start, dense)| {
            prop::collection::vec((gap(dense), event()), 0..120).prop_map(move |steps| {
                let mut t = 0;
                let events = steps
                    .into_iter()
                    .map(|(dt, ev)| {
                        t += dt;
                        (t, ev)
                    })
                    .collect();
                Case {
                    config: config.clone(),
                    start: start.clone(),
                    loaded_at_start,
                    events,
                }
            })
        },
    )
}

/// Cases per property: `PROPTEST_CASES` if set, else 500.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500)
}

/// Plays a case (the simulated shell checks each step) and lets it quiesce.
fn play(case: &Case) -> Sim {
    let mut sim = if case.loaded_at_start {
        Sim::loaded(case.config.clone(), &case.start.url, &case.start.title)
    } else {
        Sim::new(case.config.clone(), &case.start.url, &case.start.title)
    };
    sim.play(case.events.iter().cloned());
    sim.quiesce();
    sim
}

proptest! {
    // 500 cases per property by default (a few seconds in a debug build); set PROPTEST_CASES
    // for a longer run (30 000 per property passed in a release build).
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// Arbitrary timelines never panic, and every step is well-formed (checked by `Sim`:
    /// a wake-up is always in the future, reports only while loaded and enabled).
    #[test]
    fn spa_arbitrary_timelines_never_panic(case in case()) {
        let _ = play(&case);
    }

    /// Within one load of the widget no report repeats the previous one, and the first does
    /// not repeat what the widget saw at load.
    #[test]
    fn spa_reports_never_repeat_the_previous_one(case in case()) {
        let sim = play(&case);
        let mut bounds: Vec<(usize, &PageState)> = sim.loads.iter().map(|(i, s)| (*i, s)).collect();
        bounds.push((sim.reports.len(), &case.start));
        for pair in bounds.windows(2) {
            let (from, seen) = pair[0];
            let to = pair[1].0;
            let mut previous = (seen.title.as_str(), seen.url.as_str());
            for (_, report) in &sim.reports[from..to] {
                let this = (report.title.as_str(), report.url.as_str());
                prop_assert_ne!(this, previous);
                previous = this;
            }
        }
    }

    /// Any `n` consecutive reports beyond the burst span at least the steady-rate interval
    /// for each extra report: at most `REPORT_BURST + d / REPORT_INTERVAL_MS` in `d` ms, so at
    /// most 5 in any second.
    #[test]
    fn spa_report_rate_is_bounded_in_every_span(case in case()) {
        let sim = play(&case);
        let times: Vec<Millis> = sim.reports.iter().map(|(t, _)| *t).collect();
        let burst = REPORT_BURST as usize;
        for i in 0..times.len() {
            for j in i + burst..times.len() {
                let extra = (j - i + 1 - burst) as Millis;
                prop_assert!(
                    times[j] - times[i] >= extra * REPORT_INTERVAL_MS,
                    "{} reports within {} ms: {:?}", j - i + 1, times[j] - times[i], times
                );
            }
            let in_a_second = times[i..].iter().take_while(|&&t| t < times[i] + 1000).count();
            prop_assert!(in_a_second <= burst + 2);
        }
    }

    /// Once the timeline goes quiet, a loaded and enabled widget knows the final page: the
    /// last report (or the page it saw at load) is the same page, with the same title when
    /// title-only reports are on.
    #[test]
    fn spa_after_quiescence_the_widget_knows_the_final_state(case in case()) {
        let sim = play(&case);
        let config = sim.tracker.config().clone();
        let Some((from, seen)) = sim.loads.last() else { return Ok(()) };
        if !sim.loaded || !config.enabled {
            return Ok(());
        }
        let known = sim.reports[*from..]
            .last()
            .map(|(_, r)| PageState::new(r.url.clone(), r.title.clone()))
            .unwrap_or_else(|| seen.clone());
        let page = sim.tracker.page();
        prop_assert!(
            same_page(&known.url, &page.url, config.hash),
            "widget knows {:?}, page is {:?}", known, page
        );
        if config.title_only {
            prop_assert_eq!(&known.title, &page.title);
        }
    }
}
