//! The size limit of one entry: an entry whose JSON is over [`MAX_ENTRY_BYTES`] keeps its
//! shape, but its biggest texts and values are cut down, each with a marker saying so.
//!
//! The free parts of an event are its *slots*: every argument, the returned value, every
//! callback argument (JSON values), and the free texts (URL, title, message, status text,
//! exception, note). The fixed parts (id, time, kind, names, origin, flags) are never touched.
//! When the entry is too big, the room left by the fixed parts is shared among the slots
//! fairly: slots smaller than an equal share keep everything, and the rest get equal shares
//! of what remains. A value over its share becomes
//! `{"$truncated": <its JSON size in bytes>, "preview": "<the start of its JSON text>"}`;
//! a text over its share keeps its beginning and ends in `… [truncated from N characters]`.
//! Argument lists longer than [`MAX_ARGS`] keep the first `MAX_ARGS - 1` and end with
//! `{"$omitted": <how many more>}`.

use serde_json::{json, Value};

use super::event::{Entry, Event};
use crate::checks::PageFact;

/// The largest serialised size of one entry, in bytes of compact JSON (8 KiB).
pub const MAX_ENTRY_BYTES: usize = 8 * 1024;

/// The most arguments (or callback arguments) an entry keeps, an `$omitted` marker included.
pub const MAX_ARGS: usize = 16;

/// The key of the marker object that replaces a value too large to keep.
pub const TRUNCATED_KEY: &str = "$truncated";

/// The key of the marker object that ends an argument list cut to [`MAX_ARGS`].
pub const OMITTED_KEY: &str = "$omitted";

/// The JSON size of `entry`, in bytes.
pub(super) fn json_size(entry: &Entry) -> usize {
    // Entries always serialise: string keys only, and non-finite times are quantised away.
    serde_json::to_vec(entry).map_or(usize::MAX, |v| v.len())
}

/// Brings `entry` within [`MAX_ENTRY_BYTES`] and returns its JSON size.
///
/// An entry already in normal form (no returned `null`, at most [`MAX_ARGS`] arguments) and
/// within the limit is left exactly as it is, so bounding twice changes nothing.
pub(super) fn bound(entry: &mut Entry) -> usize {
    normalize(&mut entry.event);
    let size = json_size(entry);
    if size <= MAX_ENTRY_BYTES {
        return size;
    }
    let mut slots = slots(&mut entry.event);
    let sizes: Vec<usize> = slots.iter().map(Slot::json_len).collect();
    // Compact JSON is additive: the entry is its fixed parts plus each slot's own JSON.
    let fixed = size.saturating_sub(sizes.iter().sum::<usize>());
    let shares = fair_shares(&sizes, MAX_ENTRY_BYTES.saturating_sub(fixed));
    for ((slot, size), share) in slots.iter_mut().zip(&sizes).zip(shares) {
        if *size > share {
            slot.shrink(*size, share);
        }
    }
    let size = json_size(entry);
    if size <= MAX_ENTRY_BYTES {
        return size;
    }
    // Unreachable with the event shapes above (the fixed parts are a few hundred bytes at
    // most); kept so that the limit holds whatever a future field adds.
    entry.event = Event::Error {
        message: format!(
            "a {} event was too large to log ({size} bytes)",
            entry.event.tag()
        ),
    };
    json_size(entry)
}

/// Gives the event the one form its JSON reads back as: a returned `null` becomes absent
/// ([`Reply`](crate::api::call::Reply) reads `"returned": null` as absent), the outcome has no
/// note (the entry's own `note` carries it; a reply's is never serialised), and argument lists
/// are cut.
fn normalize(event: &mut Event) {
    if let Event::ApiCall { outcome, .. } = event {
        if outcome.returned.as_ref().is_some_and(Value::is_null) {
            outcome.returned = None;
        }
        outcome.note = None;
    }
    cap_args(event);
}

/// Cuts argument lists to [`MAX_ARGS`] values: the first `MAX_ARGS - 1` and an `$omitted`
/// marker saying how many more there were.
fn cap_args(event: &mut Event) {
    fn cap(args: &mut Vec<Value>) {
        if args.len() > MAX_ARGS {
            let more = args.len() - (MAX_ARGS - 1);
            args.truncate(MAX_ARGS - 1);
            args.push(json!({ OMITTED_KEY: more }));
        }
    }
    match event {
        Event::Callback { args, .. } => cap(args),
        Event::ApiCall { args, outcome, .. } => {
            cap(args);
            if let Some(cb) = &mut outcome.callback_args {
                cap(cb);
            }
        }
        _ => {}
    }
}

/// A free part of an event.
enum Slot<'a> {
    Text(&'a mut String),
    Value(&'a mut Value),
}

fn slots(event: &mut Event) -> Vec<Slot<'_>> {
    let mut out = Vec::new();
    match event {
        Event::Callback { args, .. } => out.extend(args.iter_mut().map(Slot::Value)),
        Event::CallbackThrew { message, .. } => out.push(Slot::Text(message)),
        Event::ApiCall {
            args,
            outcome,
            note,
            ..
        } => {
            out.extend(args.iter_mut().map(Slot::Value));
            out.extend(outcome.returned.as_mut().map(Slot::Value));
            if let Some(cb) = &mut outcome.callback_args {
                out.extend(cb.iter_mut().map(Slot::Value));
            }
            out.extend(outcome.threw.as_mut().map(Slot::Text));
            out.extend(note.as_mut().map(Slot::Text));
        }
        Event::PageLoad { url, title } | Event::Navigation { url, title, .. } => {
            out.push(Slot::Text(url));
            out.push(Slot::Text(title));
        }
        Event::Status { text, fact } => {
            out.push(Slot::Text(text));
            match fact {
                Some(PageFact::Loaders { srcs }) => out.extend(srcs.iter_mut().map(Slot::Text)),
                Some(PageFact::HandlerDefined {
                    script: Some(script),
                    ..
                }) => out.push(Slot::Text(script)),
                _ => {}
            }
        }
        Event::Error { message } => out.push(Slot::Text(message)),
    }
    out
}

impl Slot<'_> {
    fn json_len(&self) -> usize {
        match self {
            Slot::Text(s) => json_str_len(s),
            Slot::Value(v) => serde_json::to_vec(&**v).map_or(usize::MAX, |b| b.len()),
        }
    }

    /// Makes the slot at most `share` bytes of JSON; it is `size` bytes now.
    fn shrink(&mut self, size: usize, share: usize) {
        match self {
            Slot::Text(s) => {
                let suffix = format!("… [truncated from {} characters]", s.chars().count());
                let room = share.saturating_sub(json_str_len(&suffix));
                let cut = prefix_within(s, room);
                s.truncate(cut);
                s.push_str(&suffix);
            }
            Slot::Value(v) => {
                let text = serde_json::to_string(&**v).unwrap_or_default();
                let empty = json!({ TRUNCATED_KEY: size, "preview": "" });
                let room = share.saturating_sub(empty.to_string().len()) + 2;
                let preview = &text[..prefix_within(&text, room)];
                **v = json!({ TRUNCATED_KEY: size, "preview": preview });
            }
        }
    }
}

/// Shares `budget` among slots of `sizes` fairly: a slot no bigger than an equal share of
/// what is left keeps its size; once one is bigger, it and all bigger ones get equal shares.
fn fair_shares(sizes: &[usize], budget: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by_key(|&i| sizes[i]);
    let mut shares = sizes.to_vec();
    let mut left = budget;
    for (done, &i) in order.iter().enumerate() {
        let fair = left / (sizes.len() - done);
        if sizes[i] > fair {
            for &j in &order[done..] {
                shares[j] = fair;
            }
            break;
        }
        left -= sizes[i];
    }
    shares
}

/// Bytes `c` takes inside a JSON string as `serde_json` writes it.
fn escaped_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\u{8}' | '\u{c}' | '\n' | '\r' | '\t' => 2,
        c if (c as u32) < 0x20 => 6,
        c => c.len_utf8(),
    }
}

/// Bytes `s` takes as a JSON string, quotes included.
pub(super) fn json_str_len(s: &str) -> usize {
    2 + s.chars().map(escaped_len).sum::<usize>()
}

/// The byte length of the longest prefix of `s` that takes at most `room` bytes as a JSON
/// string, quotes included (a whole number of characters).
fn prefix_within(s: &str, room: usize) -> usize {
    let mut used = 2;
    for (i, c) in s.char_indices() {
        used += escaped_len(c);
        if used > room {
            return i;
        }
    }
    s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_lengths_match_serde_json() {
        for s in [
            "",
            "plain",
            "quote \" and \\ backslash",
            "\u{0}\u{1}\u{8}\u{9}\u{a}\u{b}\u{c}\u{d}\u{1f}\u{7f}",
            "é ü 中文 🙂",
        ] {
            assert_eq!(
                json_str_len(s),
                serde_json::to_string(s).unwrap().len(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn fair_shares_keep_small_slots_whole() {
        assert_eq!(fair_shares(&[10, 20, 30], 100), vec![10, 20, 30]);
        assert_eq!(
            fair_shares(&[10, 500, 30, 900], 340),
            vec![10, 150, 30, 150]
        );
        assert_eq!(fair_shares(&[], 100), Vec::<usize>::new());
        assert_eq!(fair_shares(&[50, 50], 60), vec![30, 30]);
    }

    #[test]
    fn prefixes_end_on_character_boundaries() {
        let s = "aé中🙂\"";
        for room in 0..20 {
            let cut = prefix_within(s, room);
            assert!(s.is_char_boundary(cut));
            assert!(json_str_len(&s[..cut]) <= room.max(2));
        }
    }
}
