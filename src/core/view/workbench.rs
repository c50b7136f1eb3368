//! The QA workbench's view models (the DevTools panel, the side panel, the popup's findings
//! summary and the toolbar badge), without the DOM: what the badge says, the time between two
//! log rows, where a panel's view of the log starts, the remembered filters of a surface, and
//! how findings are summed up.

use serde::{Deserialize, Serialize};

use crate::checks::{Finding, Severity};
use crate::event_log::{Entry, Event, Filter, KindSet};

/// What the toolbar badge shows for a tab.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Badge {
    /// Nothing.
    Empty,
    /// Unread agent messages (the visitor has something to read).
    Unread(u32),
    /// Error findings of the integration checks.
    Errors(usize),
}

impl Badge {
    /// The badge rule: unread messages win, since they are what the visitor waits on; with
    /// none, the number of error findings; with neither, nothing.
    pub fn of(unread: u32, errors: usize) -> Badge {
        if unread > 0 {
            Badge::Unread(unread)
        } else if errors > 0 {
            Badge::Errors(errors)
        } else {
            Badge::Empty
        }
    }

    /// The badge's text ("" for none).
    pub fn text(&self) -> String {
        match self {
            Badge::Empty => String::new(),
            Badge::Unread(n) => n.to_string(),
            Badge::Errors(n) => n.to_string(),
        }
    }

    /// The badge's background colour: the browser's blue for unread messages, red for errors.
    pub fn color(&self) -> &'static str {
        match self {
            Badge::Errors(_) => "#c5221f",
            Badge::Empty | Badge::Unread(_) => "#1a73e8",
        }
    }
}

/// The time from the previous row to this one, as the panel shows it between rows:
/// `+0 ms` … `+999 ms`, `+1.00 s` … `+59.99 s`, then `+1 min 05 s`. Empty for the first row.
pub fn delta(previous: Option<f64>, at: f64) -> String {
    let Some(previous) = previous else {
        return String::new();
    };
    let ms = (at - previous).max(0.0);
    if !ms.is_finite() {
        return String::new();
    }
    if ms < 1000.0 {
        format!("+{} ms", ms.round() as u64)
    } else if ms < 60_000.0 {
        format!("+{:.2} s", ms / 1000.0)
    } else {
        let s = (ms / 1000.0).floor() as u64;
        format!("+{} min {:02} s", s / 60, s % 60)
    }
}

/// Whether an entry starts a new page (the panel draws a divider above it).
pub fn is_page_start(entry: &Entry) -> bool {
    matches!(entry.event, Event::PageLoad { .. })
}

/// The id of the first entry a panel shows: everything with "keep across reloads" on, else
/// the current page's entries only (from its `pageLoad`; everything if none was seen).
pub fn view_start(entries: &[Entry], keep_across_reloads: bool) -> u64 {
    if keep_across_reloads {
        return 0;
    }
    entries
        .iter()
        .rev()
        .find(|e| is_page_start(e))
        .map_or(0, |e| e.id)
}

/// What a surface remembers of its log view (`storage.local`, key [`Prefs::key`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Prefs {
    /// The kinds shown.
    pub kinds: KindSet,
    /// The search text.
    pub text: String,
    /// Keep the rows of earlier pages when the page reloads (on by default).
    pub keep_across_reloads: bool,
}

impl Default for Prefs {
    fn default() -> Prefs {
        Prefs {
            kinds: KindSet::ALL,
            text: String::new(),
            keep_across_reloads: true,
        }
    }
}

impl Prefs {
    /// The `storage.local` key of a surface's prefs: `prefs:panel`, `prefs:popup`…
    pub fn key(surface: &str) -> String {
        format!("prefs:{surface}")
    }

    /// Reads stored prefs; anything unreadable gives the defaults.
    pub fn from_stored(value: Option<&serde_json::Value>) -> Prefs {
        value
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }

    /// The log filter these prefs describe.
    pub fn filter(&self) -> Filter {
        Filter {
            kinds: self.kinds,
            text: self.text.clone(),
            ..Filter::default()
        }
    }
}

/// How many findings there are of each severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Errors.
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
    /// Notes.
    pub notes: usize,
}

impl Counts {
    /// Counts `findings` by severity.
    pub fn of(findings: &[Finding]) -> Counts {
        let mut c = Counts::default();
        for f in findings {
            match f.severity {
                Severity::Error => c.errors += 1,
                Severity::Warning => c.warnings += 1,
                Severity::Note => c.notes += 1,
            }
        }
        c
    }

    /// All of them.
    pub fn total(&self) -> usize {
        self.errors + self.warnings + self.notes
    }
}

/// The findings in the order a list shows them: most severe first, then in the order they
/// were first made.
pub fn by_severity(findings: &[Finding]) -> Vec<&Finding> {
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort_by_key(|f| std::cmp::Reverse(f.severity));
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{Cause, CheckId};
    use crate::event_log::Kind;

    fn entry(id: u64, event: Event) -> Entry {
        Entry { id, at: 0.0, event }
    }

    #[test]
    fn unread_messages_win_the_badge_then_errors() {
        assert_eq!(Badge::of(0, 0), Badge::Empty);
        assert_eq!(Badge::of(0, 0).text(), "");
        assert_eq!(Badge::of(2, 5), Badge::Unread(2));
        assert_eq!(Badge::of(0, 3), Badge::Errors(3));
        assert_eq!(Badge::of(0, 3).text(), "3");
        assert_ne!(Badge::of(0, 3).color(), Badge::of(1, 0).color());
    }

    #[test]
    fn deltas_read_naturally() {
        assert_eq!(delta(None, 5.0), "");
        assert_eq!(delta(Some(1000.0), 1012.4), "+12 ms");
        assert_eq!(delta(Some(1000.0), 999.0), "+0 ms");
        assert_eq!(delta(Some(0.0), 1234.0), "+1.23 s");
        assert_eq!(delta(Some(0.0), 65_400.0), "+1 min 05 s");
        assert_eq!(delta(Some(0.0), f64::INFINITY), "");
    }

    #[test]
    fn without_keeping_the_view_starts_at_the_last_page_load() {
        let load = |id| {
            entry(
                id,
                Event::PageLoad {
                    url: "https://a.example/".into(),
                    title: String::new(),
                },
            )
        };
        let status = |id| entry(id, Event::status("x"));
        let log = [status(1), load(2), status(3), load(4), status(5)];
        assert_eq!(view_start(&log, true), 0);
        assert_eq!(view_start(&log, false), 4);
        assert_eq!(view_start(&log[..1], false), 0);
        assert!(is_page_start(&log[1]) && !is_page_start(&log[0]));
    }

    #[test]
    fn prefs_default_and_survive_garbage() {
        let p = Prefs::default();
        assert!(p.keep_across_reloads);
        assert_eq!(Prefs::from_stored(None), p);
        assert_eq!(Prefs::from_stored(Some(&serde_json::json!("junk"))), p);
        let stored =
            serde_json::json!({"kinds": ["error"], "text": "open", "keepAcrossReloads": false});
        let p = Prefs::from_stored(Some(&stored));
        assert_eq!(p.kinds, KindSet::only(Kind::Error));
        assert!(!p.keep_across_reloads);
        assert_eq!(p.filter().text, "open");
        assert_eq!(
            Prefs::from_stored(Some(&serde_json::to_value(&p).unwrap())),
            p
        );
        assert_eq!(Prefs::key("panel"), "prefs:panel");
    }

    #[test]
    fn findings_are_counted_and_sorted_by_severity() {
        let f = |check: CheckId| Finding::new(check, "s", Cause::StartCallUnchecked);
        let list = [
            f(CheckId::StartCallUnchecked),
            f(CheckId::CallFailed),
            f(CheckId::ApiBeforeLoad),
            f(CheckId::WidgetColorNotHex),
        ];
        let c = Counts::of(&list);
        assert_eq!((c.errors, c.warnings, c.notes, c.total()), (2, 1, 1, 4));
        let order: Vec<CheckId> = by_severity(&list).iter().map(|f| f.check).collect();
        assert_eq!(
            order,
            [
                CheckId::ApiBeforeLoad,
                CheckId::WidgetColorNotHex,
                CheckId::CallFailed,
                CheckId::StartCallUnchecked
            ]
        );
    }

    #[test]
    fn every_check_is_translated_and_the_english_is_the_cores() {
        let (en, ru) = crate::test_support::locales();
        for check in CheckId::ALL {
            let id = check.id().replace('-', "_");
            for (part, english) in [("title", check.title()), ("advice", check.advice())] {
                let key = format!("check_{id}_{part}");
                assert_eq!(en[&key]["message"], english, "{key}");
                assert!(ru[&key]["message"].is_string(), "{key} has no Russian");
            }
        }
        for key in ["severity_error", "severity_warning", "severity_note"] {
            assert!(en[key]["message"].is_string() && ru[key]["message"].is_string());
        }
    }
}
