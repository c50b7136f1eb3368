//! What the popup's log and the DevTools panel's log show the same way: the kind filters
//! (`#log-filter-<kind>`), pause (`#log-pause`, `#log-new`), and the line of a row (`.log-line`:
//! time, badge, name, the API call's origin, summary).

use web_sys::Element;

use jwi_browser::dom::{self, append, checked, el, on, value_of};
use jwi_browser::i18n::t;
use jwi_core::event_log::{Entry, Event, Kind, KindSet};
use jwi_core::view::log_rows;

/// The filter checkboxes: element id suffix and kind.
pub const FILTERS: [(&str, Kind); 5] = [
    ("callback", Kind::Callback),
    ("api", Kind::ApiCall),
    ("navigation", Kind::Navigation),
    ("status", Kind::Status),
    ("error", Kind::Error),
];

/// The kinds whose filter checkbox is checked.
pub fn checked_kinds() -> KindSet {
    FILTERS
        .iter()
        .filter(|(id, _)| checked(&format!("log-filter-{id}")))
        .map(|(_, k)| *k)
        .collect()
}

/// Wires the kind checkboxes and the search box (`#log-search`, with its placeholder): `kinds`
/// hears the checked kinds after a checkbox changed, `text` the search after it changed.
pub fn wire_filters(kinds: fn(KindSet), text: fn(String)) {
    dom::set_attr("log-search", "placeholder", &t("popup_log_search", &[]));
    for (id, _) in FILTERS {
        on(&format!("log-filter-{id}"), "change", move |_| {
            kinds(checked_kinds())
        });
    }
    on("log-search", "input", move |_| text(value_of("log-search")));
}

/// Local time minus UTC, in minutes (for the rows' clock).
pub fn utc_offset_min() -> i32 {
    -(js_sys::Date::new_0().get_timezone_offset() as i32)
}

/// Shows whether the log is paused, and how many entries wait meanwhile.
pub fn show_pause(paused: bool, waiting: usize) {
    dom::set_text(
        "log-pause",
        &if paused {
            t("popup_log_resume", &[])
        } else {
            t("popup_log_pause", &[])
        },
    );
    dom::set_attr("log-pause", "aria-pressed", &paused.to_string());
    dom::set_text(
        "log-new",
        &if paused && waiting > 0 {
            t("popup_log_new", &[&waiting.to_string()])
        } else {
            String::new()
        },
    );
}

/// Appends to a row's `line` what every log row shows of `e`: its time, badge, name, the API
/// call's origin and its summary.
pub fn append_line(line: &Element, e: &Entry, offset_min: i32) {
    append(
        line,
        &el("span", "log-time", &log_rows::clock(e.at, offset_min)),
    );
    append(line, &el("span", "log-badge", log_rows::badge(&e.event)));
    append(line, &el("span", "log-name", log_rows::row_name(&e.event)));
    if let Event::ApiCall { origin, .. } = &e.event {
        append(line, &el("span", "log-origin", origin.name()));
    }
    append(
        line,
        &el("span", "log-sum", &log_rows::row_summary(&e.event)),
    );
}
