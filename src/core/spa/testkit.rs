//! A simulated shell for the tests: plays a timeline of events against a [`SpaTracker`],
//! keeps the one timer the way the content shell does, and records every report with its time.

use super::{
    Millis, Observation, PageReport, PageState, SpaConfig, SpaTracker, Step, Unreported, UrlCause,
};

/// One scripted event of a timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ev {
    /// `location.href` after a history/hash/navigation event.
    Url(UrlCause, String),
    /// `document.title` after a title change.
    Title(String),
    /// `jivo_onLoadCallback`, the widget having seen this page.
    Load(PageState),
    /// `jivo_onLoadCallback`, the widget having seen the page as it is now.
    LoadHere,
    /// `jivo_destroy()`.
    Destroy,
    /// New settings.
    Config(SpaConfig),
}

/// `pushState` to `url`.
pub fn push(url: &str) -> Ev {
    Ev::Url(UrlCause::Push, url.to_owned())
}
/// `replaceState` to `url`.
pub fn replace(url: &str) -> Ev {
    Ev::Url(UrlCause::Replace, url.to_owned())
}
/// `popstate` at `url`.
pub fn pop(url: &str) -> Ev {
    Ev::Url(UrlCause::Pop, url.to_owned())
}
/// `hashchange` to `url`.
pub fn hash(url: &str) -> Ev {
    Ev::Url(UrlCause::Hash, url.to_owned())
}
/// Navigation API event at `url`.
pub fn navigate(url: &str) -> Ev {
    Ev::Url(UrlCause::Navigate, url.to_owned())
}
/// Title change to `title`.
pub fn title(title: &str) -> Ev {
    Ev::Title(title.to_owned())
}

/// The simulated shell.
pub struct Sim {
    /// The tracker under test.
    pub tracker: SpaTracker,
    /// The armed timer.
    pub timer: Option<Millis>,
    /// The time of the latest call.
    pub now: Millis,
    /// Every report, with the time it was sent.
    pub reports: Vec<(Millis, PageReport)>,
    /// Whether the widget is loaded, as the shell sees it.
    pub loaded: bool,
    /// Every load: the number of reports sent before it and what the widget saw.
    pub loads: Vec<(usize, PageState)>,
    /// Every navigation settled as not reported, with the time of the step that said so.
    pub unreported: Vec<(Millis, Unreported)>,
}

/// Upper bound on timer firings while quiescing (the tracker must settle far below it).
const MAX_TICKS: usize = 100_000;

impl Sim {
    /// A document starting at (`url`, `title`); the widget is not loaded.
    pub fn new(config: SpaConfig, url: &str, title: &str) -> Self {
        Sim {
            tracker: SpaTracker::new(config, PageState::new(url, title)),
            timer: None,
            now: 0,
            reports: Vec::new(),
            loaded: false,
            loads: Vec::new(),
            unreported: Vec::new(),
        }
    }

    /// A document starting at (`url`, `title`) whose widget loaded at time 0 on that page.
    pub fn loaded(config: SpaConfig, url: &str, title: &str) -> Self {
        let mut sim = Sim::new(config, url, title);
        sim.at(0, Ev::LoadHere);
        sim
    }

    /// Records a step returned at `now` and checks what every step must satisfy.
    fn apply(&mut self, now: Millis, step: Step) {
        if let Some(wake) = step.wake_at {
            assert!(wake > now, "wake_at {wake} not after now {now}");
        }
        assert_eq!(step.wake_at, self.tracker.wake_at());
        if let Some(report) = step.report {
            assert!(
                self.loaded,
                "report while the widget is not loaded: {report:?}"
            );
            assert!(self.tracker.config().enabled, "report while disabled");
            self.reports.push((now, report));
        }
        self.unreported
            .extend(step.unreported.into_iter().map(|u| (now, u)));
        self.timer = step.wake_at;
    }

    /// Fires the timer while it is due at or before `t`.
    pub fn run_until(&mut self, t: Millis) {
        for _ in 0..MAX_TICKS {
            match self.timer {
                Some(wake) if wake <= t => {
                    self.now = wake;
                    let step = self.tracker.tick(wake);
                    self.apply(wake, step);
                }
                _ => return,
            }
        }
        panic!("the timer kept firing");
    }

    /// Plays `ev` at time `t` (timers due first).
    pub fn at(&mut self, t: Millis, ev: Ev) {
        self.run_until(t);
        self.now = self.now.max(t);
        let step = match ev {
            Ev::Url(cause, url) => self.tracker.observe(t, Observation::Url { url, cause }),
            Ev::Title(title) => self.tracker.observe(t, Observation::Title { title }),
            Ev::Load(seen) => {
                self.loaded = true;
                self.loads.push((self.reports.len(), seen.clone()));
                self.tracker.widget_loaded(t, seen)
            }
            Ev::LoadHere => {
                self.loaded = true;
                let seen = self.tracker.page().clone();
                self.loads.push((self.reports.len(), seen.clone()));
                self.tracker.widget_loaded(t, seen)
            }
            Ev::Destroy => {
                self.loaded = false;
                self.tracker.widget_destroyed()
            }
            Ev::Config(config) => self.tracker.set_config(t, config),
        };
        self.apply(t, step);
    }

    /// Plays a whole timeline.
    pub fn play(&mut self, events: impl IntoIterator<Item = (Millis, Ev)>) {
        for (t, ev) in events {
            self.at(t, ev);
        }
    }

    /// Fires the timer until nothing more is asked for.
    pub fn quiesce(&mut self) {
        self.run_until(Millis::MAX);
        assert_eq!(self.timer, None);
    }

    /// The reports as (time, title, url).
    pub fn sent(&self) -> Vec<(Millis, &str, &str)> {
        self.reports
            .iter()
            .map(|(t, r)| (*t, r.title.as_str(), r.url.as_str()))
            .collect()
    }
}

/// Plays `events` on a page whose widget loaded at 0 on (`url`, `title`), lets it quiesce
/// and returns the reports as (time, title, url).
pub fn timeline(
    config: SpaConfig,
    url: &str,
    title: &str,
    events: impl IntoIterator<Item = (Millis, Ev)>,
) -> Vec<(Millis, String, String)> {
    let mut sim = Sim::loaded(config, url, title);
    sim.play(events);
    sim.quiesce();
    sim.sent()
        .into_iter()
        .map(|(t, ti, u)| (t, ti.to_owned(), u.to_owned()))
        .collect()
}

/// An expected report: (time, title, url).
pub fn r(t: Millis, title: &str, url: &str) -> (Millis, String, String) {
    (t, title.to_owned(), url.to_owned())
}
