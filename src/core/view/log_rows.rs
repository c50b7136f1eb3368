//! The popup's log panel without the DOM: the mirror of the background's log (reset, append,
//! trim), what a row says (time, name, one-line summary) and the export file's name.

use serde_json::Value;

use crate::event_log::{Entry, Event, Summary};

/// The most characters a row's one-line summary shows.
pub const SUMMARY_CHARS: usize = 160;

/// The popup's copy of one tab's log: the background sends the whole log (`reset`) and then
/// each batch of new entries; the copy keeps what the background keeps.
///
/// Entries leave the front in O(1) amortised: the held ones are `entries[start..]`, and the
/// vector is compacted once more than half of it has gone. (Moving a full 20,000-entry log
/// down on every batch of a 1,000-events-a-second burst kept the panel busy for whole
/// seconds.)
#[derive(Clone, Debug, Default)]
pub struct Mirror {
    entries: Vec<Entry>,
    /// How many entries at the front of `entries` are gone.
    start: usize,
    summary: Summary,
}

impl PartialEq for Mirror {
    fn eq(&self, other: &Mirror) -> bool {
        self.entries() == other.entries() && self.summary == other.summary
    }
}

/// What [`Mirror::apply`] changed, for the view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// Everything was replaced: render all entries again.
    Reset,
    /// Entries were added at the end, starting at this index of [`Mirror::entries`]; entries
    /// with ids below [`Mirror::first_id`] went from the front.
    Appended {
        /// The index of the first new entry.
        from: usize,
    },
}

impl Mirror {
    /// An empty mirror.
    pub fn new() -> Mirror {
        Mirror::default()
    }

    /// Takes one `ToPopup::Log` message: `reset` replaces the entries, otherwise the new ones
    /// (ids above the last one held) are appended. Then the oldest go until the mirror holds
    /// no entry below `summary.first_id` and at most `summary.cap` entries.
    pub fn apply(&mut self, reset: bool, summary: Summary, entries: Vec<Entry>) -> Applied {
        self.summary = summary;
        let kept = if reset {
            self.entries = entries;
            self.start = 0;
            None
        } else {
            let before = self.entries().len();
            let last = self.entries().last().map_or(0, |e| e.id);
            self.entries
                .extend(entries.into_iter().filter(|e| e.id > last));
            Some(before)
        };
        let held = self.entries();
        let below = held.partition_point(|e| e.id < summary.first_id);
        let over = (held.len() - below).saturating_sub(summary.cap.max(1) as usize);
        let cut = below + over;
        self.start += cut;
        if self.start > self.entries.len() / 2 {
            self.compact();
        }
        match kept {
            None => Applied::Reset,
            Some(before) => Applied::Appended {
                from: before.saturating_sub(cut),
            },
        }
    }

    /// The ids the log holds (by the last summary) that are older than every entry held: what
    /// a popup given only the newest entries on `watch` still has to read. `None` when the
    /// mirror holds the whole log.
    pub fn missing_before(&self) -> Option<std::ops::Range<u64>> {
        let first_held = self
            .entries()
            .first()
            .map_or(self.summary.next_id, |e| e.id);
        (self.summary.first_id < first_held).then_some(self.summary.first_id..first_held)
    }

    /// Adds entries older than every entry held (read from storage after a partial reset):
    /// only ids the log still holds and the mirror lacks, within the cap. Returns how many
    /// were added.
    pub fn prepend(&mut self, older: Vec<Entry>) -> usize {
        let Some(missing) = self.missing_before() else {
            return 0;
        };
        self.compact();
        let mut older: Vec<Entry> = older
            .into_iter()
            .filter(|e| missing.contains(&e.id))
            .collect();
        older.sort_by_key(|e| e.id);
        older.dedup_by_key(|e| e.id);
        let room = (self.summary.cap.max(1) as usize).saturating_sub(self.entries.len());
        if older.len() > room {
            older.drain(..older.len() - room);
        }
        let added = older.len();
        older.append(&mut self.entries);
        self.entries = older;
        added
    }

    /// The entries held, oldest first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries[self.start..]
    }

    /// Forgets the entries that are gone from the front.
    fn compact(&mut self) {
        self.entries.drain(..self.start);
        self.start = 0;
    }

    /// The last summary received.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// The id of the oldest entry held (the summary's `first_id` when empty).
    pub fn first_id(&self) -> u64 {
        self.entries()
            .first()
            .map_or(self.summary.first_id, |e| e.id)
    }

    /// The entry with this id, if held.
    pub fn get(&self, id: u64) -> Option<&Entry> {
        let held = self.entries();
        let i = held.partition_point(|e| e.id < id);
        held.get(i).filter(|e| e.id == id)
    }
}

/// `HH:MM:SS.mmm` of a time in ms since the epoch, shifted by `offset_min` minutes (local time
/// is UTC + offset).
pub fn clock(at: f64, offset_min: i32) -> String {
    let ms = local_ms(at, offset_min);
    let day_ms = ms.rem_euclid(86_400_000);
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        day_ms / 3_600_000,
        day_ms / 60_000 % 60,
        day_ms / 1000 % 60,
        day_ms % 1000
    )
}

fn local_ms(at: f64, offset_min: i32) -> i64 {
    let at = if at.is_finite() { at } else { 0.0 };
    at.floor() as i64 + i64::from(offset_min) * 60_000
}

/// The civil date (year, month, day) of a day count since 1970-01-01.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The export file's name: `jivo-log-tab<id>-<yyyymmdd-hhmmss>.json`, in local time.
pub fn export_file_name(tab: i32, at: f64, offset_min: i32) -> String {
    let ms = local_ms(at, offset_min);
    let (y, m, d) = civil(ms.div_euclid(86_400_000));
    let s = ms.rem_euclid(86_400_000) / 1000;
    format!(
        "jivo-log-tab{tab}-{y:04}{m:02}{d:02}-{:02}{:02}{:02}.json",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// A session file's name: `jivo-session-tab<id>-<yyyymmdd-hhmmss>.<ext>`, in local time
/// (`ext` is `json` or `html`).
pub fn session_file_name(tab: i32, at: f64, offset_min: i32, ext: &str) -> String {
    let log = export_file_name(tab, at, offset_min);
    let stamp = log
        .trim_start_matches("jivo-log-")
        .trim_end_matches(".json");
    format!("jivo-session-{stamp}.{ext}")
}

/// `YYYY-MM-DD HH:MM:SS.mmm` of a time in ms since the epoch, shifted by `offset_min` minutes.
pub fn date_time(at: f64, offset_min: i32) -> String {
    let ms = local_ms(at, offset_min);
    let (y, m, d) = civil(ms.div_euclid(86_400_000));
    format!("{y:04}-{m:02}-{d:02} {}", clock(at, offset_min))
}

/// `YYYY-MM-DD HH:MM:SS.mmm UTC` of a time in ms since the epoch (the HTML report's times).
pub fn utc_stamp(at: f64) -> String {
    format!("{} UTC", date_time(at, 0))
}

/// The JavaScript a developer can paste into the page's console to make the same call again:
/// `jivo_api.setContactInfo({"name":"Ann"});`, `jivo_destroy();`. Only for API calls. The
/// arguments are JSON (strings JSON-escaped, U+2028/U+2029 escaped too); a function argument
/// (`{"$function": true}`) becomes a function that logs what it is given; an argument with a
/// `__proto__` key becomes `JSON.parse("…")`, so that key stays a property. `None` for other
/// entries and for calls whose arguments the log cut down (`$truncated`, `$omitted`): those
/// cannot be made again as they were.
pub fn call_as_code(event: &Event) -> Option<String> {
    let Event::ApiCall { method, args, .. } = event else {
        return None;
    };
    let mut parts = Vec::with_capacity(args.len());
    for a in args {
        if crate::api::call::is_function_marker(a) {
            parts.push("function (...args) { console.log(args); }".to_owned());
            continue;
        }
        if has_marker(a) {
            return None;
        }
        let mut json = serde_json::to_string(a).ok()?;
        if has_proto_key(a) {
            // In an object literal `"__proto__": …` sets the prototype, not a property.
            json = format!("JSON.parse({})", serde_json::to_string(&json).ok()?);
        }
        parts.push(
            json.replace('\u{2028}', "\\u2028")
                .replace('\u{2029}', "\\u2029"),
        );
    }
    let callee = if method.is_jivo_api_method() {
        format!("jivo_api.{}", method.name())
    } else {
        method.name().to_owned()
    };
    Some(format!("{callee}({});", parts.join(", ")))
}

/// Whether a value has an object key `__proto__` anywhere.
fn has_proto_key(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.contains_key("__proto__") || m.values().any(has_proto_key),
        Value::Array(a) => a.iter().any(has_proto_key),
        _ => false,
    }
}

/// Whether a value holds a marker of the log's cutting down.
fn has_marker(v: &Value) -> bool {
    match v {
        Value::Object(m) => {
            m.contains_key(crate::event_log::TRUNCATED_KEY)
                || m.contains_key(crate::event_log::OMITTED_KEY)
                || m.values().any(has_marker)
        }
        Value::Array(a) => a.iter().any(has_marker),
        _ => false,
    }
}

/// The badge a row shows for its entry.
pub fn badge(event: &Event) -> &'static str {
    match event {
        Event::Callback { .. } => "callback",
        Event::CallbackThrew { .. } => "threw",
        Event::ApiCall { .. } => "api",
        Event::PageLoad { .. } => "load",
        Event::Navigation { .. } => "nav",
        Event::Status { .. } => "status",
        Event::Error { .. } => "error",
    }
}

/// The row's name: the callback or method name, else what happened.
pub fn row_name(event: &Event) -> &'static str {
    event.name().unwrap_or(match event {
        Event::PageLoad { .. } => "page load",
        Event::Navigation { .. } => "navigation",
        Event::Status { .. } => "status",
        _ => "error",
    })
}

fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn list(args: &[Value]) -> String {
    args.iter().map(compact).collect::<Vec<_>>().join(", ")
}

/// The row's one-line summary: the arguments and outcome, the URL and title, the message;
/// at most [`SUMMARY_CHARS`] characters, line breaks as spaces.
pub fn row_summary(event: &Event) -> String {
    let text = match event {
        Event::Callback { args, .. } => format!("({})", list(args)),
        Event::CallbackThrew { message, .. } => format!("threw: {message}"),
        Event::ApiCall {
            args,
            outcome,
            note,
            ..
        } => {
            let mut s = format!("({})", list(args));
            if let Some(threw) = &outcome.threw {
                s.push_str(&format!(" threw: {threw}"));
            } else if let Some(cb) = &outcome.callback_args {
                s.push_str(&format!(" → callback({})", list(cb)));
            } else if let Some(v) = &outcome.returned {
                s.push_str(&format!(" → {}", compact(v)));
            }
            if let Some(note) = note {
                s.push_str(&format!(" — {note}"));
            }
            s
        }
        Event::PageLoad { url, title } => format!("{title} — {url}"),
        Event::Navigation {
            url,
            title,
            cause,
            reported,
            reason,
        } => {
            let mut s = format!("{title} — {url}");
            if let Some(c) = cause {
                s.push_str(&format!(" ({})", c.name()));
            }
            if *reported {
                s.push_str(" · reported");
            } else if let Some(reason) = reason {
                s.push_str(&format!(" · not reported: {}", reason.describe()));
            }
            s
        }
        Event::Status { text, .. } => text.clone(),
        Event::Error { message } => message.clone(),
    };
    one_line(&text, SUMMARY_CHARS)
}

/// `text` on one line (control characters as spaces), cut to `max` characters with `…`.
pub fn one_line(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max * 4));
    for (n, c) in text.chars().enumerate() {
        if n == max {
            out.push('…');
            break;
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out
}

/// The entry as the row's expanded view and the Copy button show it: pretty JSON.
pub fn pretty(entry: &Entry) -> String {
    serde_json::to_string_pretty(entry).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::call::Reply;
    use crate::api::{Callback, Method};
    use crate::event_log::{KindCounts, Origin};
    use serde_json::json;

    fn entry(id: u64) -> Entry {
        Entry {
            id,
            at: 1_718_000_000_000.0 + id as f64,
            event: Event::status(format!("s{id}")),
        }
    }

    fn summary(first_id: u64, next_id: u64, cap: u32) -> Summary {
        Summary {
            len: (next_id - first_id) as u32,
            cap,
            dropped: 0,
            missed: 0,
            counts: KindCounts::default(),
            first_id,
            next_id,
        }
    }

    fn ids(m: &Mirror) -> Vec<u64> {
        m.entries().iter().map(|e| e.id).collect()
    }

    #[test]
    fn a_full_mirror_keeps_the_newest_through_a_long_stream() {
        // At its cap, every batch drops as many from the front as it adds: the held entries,
        // the index of the new ones, lookups and a later prepend stay right across the
        // compactions.
        let mut m = Mirror::new();
        m.apply(true, summary(1, 11, 10), (1..11).map(entry).collect());
        for next in 11..200u64 {
            let applied = m.apply(false, summary(next - 9, next + 1, 10), vec![entry(next)]);
            assert_eq!(applied, Applied::Appended { from: 9 }, "entry {next}");
            assert_eq!(ids(&m), ((next - 9)..=next).collect::<Vec<_>>());
            assert_eq!(m.first_id(), next - 9);
            assert_eq!(m.get(next - 9).map(|e| e.id), Some(next - 9));
            assert_eq!(m.get(next - 10), None);
        }
        let mut other = Mirror::new();
        other.apply(true, summary(190, 200, 10), (190..200).map(entry).collect());
        assert_eq!(m, other);
        // A reset with the newest only, then the older ones read back.
        m.apply(true, summary(190, 200, 10), (195..200).map(entry).collect());
        assert_eq!(m.missing_before(), Some(190..195));
        assert_eq!(m.prepend((185..197).map(entry).collect()), 5);
        assert_eq!(ids(&m), (190..200).collect::<Vec<_>>());
    }

    #[test]
    fn reset_replaces_and_append_adds() {
        let mut m = Mirror::new();
        assert_eq!(
            m.apply(true, summary(1, 4, 100), (1..4).map(entry).collect()),
            Applied::Reset
        );
        assert_eq!(ids(&m), [1, 2, 3]);
        assert_eq!(
            m.apply(false, summary(1, 6, 100), (4..6).map(entry).collect()),
            Applied::Appended { from: 3 }
        );
        assert_eq!(ids(&m), [1, 2, 3, 4, 5]);
        // A repeat of what is held is ignored.
        assert_eq!(
            m.apply(false, summary(1, 6, 100), (5..6).map(entry).collect()),
            Applied::Appended { from: 5 }
        );
        assert_eq!(ids(&m), [1, 2, 3, 4, 5]);
        // After a clear the background resets with nothing.
        assert_eq!(m.apply(true, summary(6, 6, 100), vec![]), Applied::Reset);
        assert!(m.entries().is_empty());
        assert_eq!(m.first_id(), 6);
        assert_eq!(m.get(3), None);
    }

    #[test]
    fn trims_to_first_id_and_cap() {
        let mut m = Mirror::new();
        m.apply(true, summary(1, 6, 5), (1..6).map(entry).collect());
        // Two more arrive; the background dropped 1 and 2.
        let a = m.apply(false, summary(3, 8, 5), (6..8).map(entry).collect());
        assert_eq!(ids(&m), [3, 4, 5, 6, 7]);
        assert_eq!(a, Applied::Appended { from: 3 });
        assert_eq!(m.get(6).map(|e| e.id), Some(6));
        // The cap alone trims too (a summary from a smaller cap).
        let a = m.apply(false, summary(3, 9, 2), vec![entry(8)]);
        assert_eq!(ids(&m), [7, 8]);
        assert_eq!(a, Applied::Appended { from: 1 });
        // A batch bigger than the cap: only its newest stay, all of them new.
        let a = m.apply(false, summary(9, 14, 2), (9..14).map(entry).collect());
        assert_eq!(ids(&m), [12, 13]);
        assert_eq!(a, Applied::Appended { from: 0 });
    }

    #[test]
    fn a_partial_reset_is_completed_from_older_entries() {
        let mut m = Mirror::new();
        // The log holds 1..=10; the popup got the newest four.
        m.apply(true, summary(1, 11, 100), (7..11).map(entry).collect());
        assert_eq!(m.missing_before(), Some(1..7));
        // Newest chunk first; what the mirror has or the log dropped is ignored.
        assert_eq!(m.prepend((4..9).map(entry).collect()), 3);
        assert_eq!(ids(&m), [4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(m.missing_before(), Some(1..4));
        assert_eq!(m.prepend(vec![entry(3), entry(1), entry(2), entry(2)]), 3);
        assert_eq!(ids(&m), (1..11).collect::<Vec<_>>());
        assert_eq!(m.missing_before(), None);
        assert_eq!(m.prepend(vec![entry(0)]), 0);
        // Entries since dropped by the log are not brought back.
        m.apply(true, summary(5, 11, 100), (9..11).map(entry).collect());
        m.prepend((1..9).map(entry).collect());
        assert_eq!(ids(&m), [5, 6, 7, 8, 9, 10]);
        // Nor beyond the cap.
        m.apply(true, summary(1, 11, 3), (9..11).map(entry).collect());
        assert_eq!(m.prepend((1..9).map(entry).collect()), 1);
        assert_eq!(ids(&m), [8, 9, 10]);
        // An empty log misses nothing.
        m.apply(true, summary(11, 11, 3), vec![]);
        assert_eq!(m.missing_before(), None);
    }

    #[test]
    fn times_and_file_names() {
        // 2024-06-10T06:13:20.123Z
        let at = 1_718_000_000_123.0;
        assert_eq!(clock(at, 0), "06:13:20.123");
        assert_eq!(clock(at, 180), "09:13:20.123");
        assert_eq!(clock(at, -420), "23:13:20.123");
        assert_eq!(
            export_file_name(42, at, 0),
            "jivo-log-tab42-20240610-061320.json"
        );
        assert_eq!(
            export_file_name(7, at, -420),
            "jivo-log-tab7-20240609-231320.json"
        );
        assert_eq!(
            export_file_name(1, 951_782_400_000.0, 0),
            "jivo-log-tab1-20000229-000000.json"
        );
        assert_eq!(clock(f64::NAN, 0), "00:00:00.000");
    }

    #[test]
    fn row_texts() {
        let cb = Event::Callback {
            name: Callback::OnChangeState,
            args: vec![json!("chat"), json!({"a": 1})],
        };
        assert_eq!(row_name(&cb), "jivo_onChangeState");
        assert_eq!(badge(&cb), "callback");
        assert_eq!(row_summary(&cb), r#"("chat", {"a":1})"#);

        let call = Event::ApiCall {
            method: Method::GetVisitorNumber,
            args: vec![json!({"$function": true})],
            origin: Origin::Page,
            outcome: Reply {
                callback_args: Some(vec![Value::Null, json!(42)]),
                ..Reply::default()
            },
            note: None,
        };
        assert_eq!(row_name(&call), "getVisitorNumber");
        assert_eq!(
            row_summary(&call),
            r#"({"$function":true}) → callback(null, 42)"#
        );
        let refused = Event::ApiCall {
            method: Method::SetWidgetColor,
            args: vec![json!("red")],
            origin: Origin::Popup,
            outcome: Reply {
                returned: Some(json!({"result": "fail"})),
                ..Reply::default()
            },
            note: Some("not a hex colour".into()),
        };
        assert_eq!(
            row_summary(&refused),
            r#"("red") → {"result":"fail"} — not a hex colour"#
        );

        let nav = Event::Navigation {
            url: "https://shop.example/cart".into(),
            title: "Cart\nnow".into(),
            cause: Some(crate::spa::UrlCause::Push),
            reported: true,
            reason: None,
        };
        assert_eq!(row_name(&nav), "navigation");
        assert_eq!(
            row_summary(&nav),
            "Cart now — https://shop.example/cart (push) · reported"
        );
        let load = Event::PageLoad {
            url: "u".into(),
            title: "<b>t</b>".into(),
        };
        assert_eq!(
            (row_name(&load), row_summary(&load).as_str()),
            ("page load", "<b>t</b> — u")
        );

        let long = Event::Error {
            message: "x".repeat(500),
        };
        let s = row_summary(&long);
        assert_eq!(s.chars().count(), SUMMARY_CHARS + 1);
        assert!(s.ends_with('…'));
        assert_eq!(one_line("abc", 3), "abc");
    }

    #[test]
    fn pretty_is_the_entry_json() {
        let e = entry(3);
        let back: Entry = serde_json::from_str(&pretty(&e)).unwrap();
        assert_eq!(back, e);
        assert!(pretty(&e).contains("\n  \"kind\": \"status\""));
    }

    fn call(method: Method, args: Vec<Value>) -> Event {
        Event::api_call(method, args, Origin::Page, &Reply::default())
    }

    #[test]
    fn calls_copy_as_code_a_console_takes() {
        use crate::api::call::function_marker;
        let table: Vec<(Event, Option<&str>)> = vec![
            (
                call(
                    Method::SetContactInfo,
                    vec![json!({"name": "Ann", "email": "a@b.c"})],
                ),
                Some(r#"jivo_api.setContactInfo({"email":"a@b.c","name":"Ann"});"#),
            ),
            (call(Method::Open, vec![]), Some("jivo_api.open();")),
            (
                call(Method::SetWidgetColor, vec![json!("red"), json!(1.5)]),
                Some(r#"jivo_api.setWidgetColor("red", 1.5);"#),
            ),
            (call(Method::JivoDestroy, vec![]), Some("jivo_destroy();")),
            (call(Method::JivoInit, vec![]), Some("jivo_init();")),
            (
                call(Method::GetVisitorNumber, vec![function_marker()]),
                Some("jivo_api.getVisitorNumber(function (...args) { console.log(args); });"),
            ),
            // Quotes, backslashes, line breaks and markup stay inside the string literal.
            (
                call(
                    Method::SetUserToken,
                    vec![json!("\"); alert(1); (\"\\\n</script>\u{2028}")],
                ),
                Some(r#"jivo_api.setUserToken("\"); alert(1); (\"\\\n</script>\u2028");"#),
            ),
            (
                call(Method::SetRules, vec![json!({"__proto__": {"x": 1}})]),
                Some(r#"jivo_api.setRules(JSON.parse("{\"__proto__\":{\"x\":1}}"));"#),
            ),
            // Cut down by the log: not the call that was made.
            (
                call(
                    Method::SetCustomData,
                    vec![json!([{"content": {"$truncated": 9000, "preview": "x"}}])],
                ),
                None,
            ),
            (
                call(Method::Open, vec![json!(1), json!({"$omitted": 3})]),
                None,
            ),
            (Event::status("x"), None),
            (
                Event::Callback {
                    name: Callback::OnOpen,
                    args: vec![],
                },
                None,
            ),
        ];
        for (event, want) in table {
            assert_eq!(call_as_code(&event).as_deref(), want, "{event:?}");
        }
    }

    #[test]
    fn session_names_and_utc_stamps() {
        let at = 1_718_000_000_123.0;
        assert_eq!(
            session_file_name(42, at, 0, "html"),
            "jivo-session-tab42-20240610-061320.html"
        );
        assert_eq!(utc_stamp(at), "2024-06-10 06:13:20.123 UTC");
        assert_eq!(date_time(at, 180), "2024-06-10 09:13:20.123");
    }
}
