//! The popup's filter: which kinds to show, and a case-insensitive text search.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::event::{Entry, Event, Kind, KindSet};

/// What the popup shows: entries of these kinds whose text contains `text` (with the `error`
/// kind, also the entries that are evidence of an error finding).
///
/// The search is a case-insensitive substring match (both sides lowercased with Unicode
/// rules; leading and trailing spaces of `text` ignored; empty matches everything) against
/// each *text piece* of an entry on its own:
///
/// - the callback or entry-point name (`jivo_onOpen`, `setWidgetColor`) and the call's
///   origin (`page`, `popup`, `spaTracker`, `extension`);
/// - every string, object key, number (`42`, `1.5`), `true`, `false` and `null` inside the
///   arguments, the returned value and the callback arguments;
/// - the URL, title and cause of page loads and navigations; the exception, note, message and
///   status text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Filter {
    /// The kinds shown.
    pub kinds: KindSet,
    /// The search text.
    #[serde(default)]
    pub text: String,
    /// Entries that are evidence of an error finding (`checks::Checker::error_evidence`):
    /// shown when the `error` kind is, whatever their own kind. Not stored with the filter.
    #[serde(skip)]
    pub error_evidence: BTreeSet<u64>,
}

impl Default for Filter {
    /// Every kind, no search text: everything.
    fn default() -> Filter {
        Filter {
            kinds: KindSet::ALL,
            text: String::new(),
            error_evidence: BTreeSet::new(),
        }
    }
}

impl Filter {
    /// The filter prepared for matching many entries (the search text lowercased once).
    pub fn matcher(&self) -> Matcher {
        let evidence = if self.kinds.contains(Kind::Error) {
            self.error_evidence.clone()
        } else {
            BTreeSet::new()
        };
        Matcher {
            kinds: self.kinds,
            needle: self.text.trim().to_lowercase(),
            evidence,
        }
    }

    /// Whether the filter shows every entry (every kind, no search text), so a count of what it
    /// shows is the log's own. The error findings' evidence does not narrow it: it only adds
    /// entries to a filter that leaves kinds out.
    pub fn is_everything(&self) -> bool {
        self.kinds == KindSet::ALL && self.text.trim().is_empty()
    }

    /// Whether the filter shows `entry`. To test many entries use [`Filter::matcher`].
    pub fn matches(&self, entry: &Entry) -> bool {
        self.matcher().matches(entry)
    }
}

/// A [`Filter`] ready to test entries.
#[derive(Clone, Debug)]
pub struct Matcher {
    kinds: KindSet,
    needle: String,
    /// Error findings' evidence, when the `error` kind is shown.
    evidence: BTreeSet<u64>,
}

impl Matcher {
    /// Whether the filter shows `entry`.
    pub fn matches(&self, entry: &Entry) -> bool {
        (self.kinds.contains(entry.kind()) || self.evidence.contains(&entry.id))
            && (self.needle.is_empty() || any_piece(&entry.event, &mut |p| self.found_in(p)))
    }

    fn found_in(&self, hay: &str) -> bool {
        contains_folded(hay, &self.needle)
    }
}

/// Whether `hay`, lowercased, contains `needle` (already lowercased).
fn contains_folded(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        true
    } else if hay.is_ascii() {
        // The same answer as lowercasing `hay`, without allocating: an ASCII text lowercases
        // byte by byte, and a non-ASCII needle cannot occur in it.
        let (h, n) = (hay.as_bytes(), needle.as_bytes());
        n.len() <= h.len()
            && h.windows(n.len())
                .any(|w| w.iter().zip(n).all(|(a, b)| a.to_ascii_lowercase() == *b))
    } else {
        hay.to_lowercase().contains(needle)
    }
}

/// Calls `hit` on each text piece of `event` until it returns true; whether one did.
fn any_piece(event: &Event, hit: &mut dyn FnMut(&str) -> bool) -> bool {
    if event.name().is_some_and(&mut *hit) {
        return true;
    }
    match event {
        Event::Callback { args, .. } => args.iter().any(|v| any_in_value(v, hit)),
        Event::CallbackThrew { message, .. } => hit(message),
        Event::ApiCall {
            args,
            origin,
            outcome,
            note,
            ..
        } => {
            hit(origin.name())
                || args.iter().any(|v| any_in_value(v, hit))
                || outcome
                    .returned
                    .as_ref()
                    .is_some_and(|v| any_in_value(v, hit))
                || outcome
                    .callback_args
                    .iter()
                    .flatten()
                    .any(|v| any_in_value(v, hit))
                || outcome.threw.as_deref().is_some_and(&mut *hit)
                || note.as_deref().is_some_and(&mut *hit)
        }
        Event::PageLoad { url, title } => hit(url) || hit(title),
        Event::Navigation {
            url, title, cause, ..
        } => hit(url) || hit(title) || cause.is_some_and(|c| hit(c.name())),
        Event::Status { text, .. } => hit(text),
        Event::Error { message } => hit(message),
    }
}

fn any_in_value(v: &Value, hit: &mut dyn FnMut(&str) -> bool) -> bool {
    match v {
        Value::Null => hit("null"),
        Value::Bool(b) => hit(if *b { "true" } else { "false" }),
        Value::Number(n) => hit(&n.to_string()),
        Value::String(s) => hit(s),
        Value::Array(items) => items.iter().any(|v| any_in_value(v, hit)),
        Value::Object(map) => map.iter().any(|(k, v)| hit(k) || any_in_value(v, hit)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_evidence_does_not_make_a_filter_narrow() {
        let mut filter = Filter::default();
        assert!(filter.is_everything());
        filter.error_evidence.insert(7);
        assert!(filter.is_everything());
        filter.text = "  ".into();
        assert!(filter.is_everything());
        filter.text = "open".into();
        assert!(!filter.is_everything());
        let only_errors = Filter {
            kinds: [Kind::Error].into_iter().collect(),
            ..Filter::default()
        };
        assert!(!only_errors.is_everything());
    }

    #[test]
    fn the_errors_filter_shows_error_evidence() {
        let entry = Entry {
            id: 7,
            at: 0.0,
            event: Event::status("ok"),
        };
        let mut filter = Filter {
            kinds: [Kind::Error].into_iter().collect(),
            ..Filter::default()
        };
        assert!(!filter.matches(&entry));
        filter.error_evidence.insert(7);
        assert!(filter.matches(&entry));
        filter.text = "nothing like it".into();
        assert!(!filter.matches(&entry), "the search still applies");
        filter.text.clear();
        filter.kinds = [Kind::Callback].into_iter().collect();
        assert!(!filter.matches(&entry), "only with the Errors kind shown");
    }

    #[test]
    fn folding_agrees_with_lowercasing() {
        for (hay, needle) in [
            ("Hello World", "world"),
            ("HELLO", "hell"),
            ("Привет Мир", "мир"),
            ("ÉCOLE", "école"),
            ("abc", "abcd"),
            ("abc", ""),
            ("", ""),
            ("ascii only", "é"),
            ("straße", "STRASSE"),
        ] {
            let needle = needle.to_lowercase();
            assert_eq!(
                contains_folded(hay, &needle),
                hay.to_lowercase().contains(&needle),
                "{hay:?} {needle:?}"
            );
        }
    }
}
