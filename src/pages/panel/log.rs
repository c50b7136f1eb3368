//! The panel's log (`#log-list`): the background's log mirrored ([`Mirror`]) and shown as rows
//! with a divider at each page load and the time since the previous row, filtered by kind and
//! search (with the Errors filter also showing error findings' evidence), paused on demand,
//! and cut at the last page load when "keep across reloads" is off. The filters, search and
//! "keep" are remembered in `storage.local` ([`Prefs::key`]`("panel")`).
//!
//! After a reconnect the background sends the newest entries again as a reset; the older ones
//! are read from `storage.session` as the popup does, and the rows are rebuilt from the
//! mirror: by entry id, so nothing is shown twice or left out.
//!
//! An expanded row shows the entry's JSON and, for an API call, "Copy as code"
//! (`.log-code`): the call as JavaScript for the page's console
//! ([`log_rows::call_as_code`]). An imported session ([`show_imported`]) replaces the mirror.

use std::cell::RefCell;

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, HtmlElement};

use jwi_browser::dom::{self, append, checked, el, on};
use jwi_browser::i18n::t;
use jwi_browser::storage::{self, Area};
use jwi_core::event_log::{chunk_entries, ChunkKey, Entry, Event, Filter, KindSet, Summary};
use jwi_core::view::log_rows::{self, Applied, Mirror};
use jwi_core::view::workbench::{self, Prefs};

use crate::shared::log::{self as rows, FILTERS};

/// The most rows shown (the newest that match).
const MAX_ROWS: usize = 1000;
/// The rows kept while new entries arrive and the list follows the newest (as the popup does):
/// a busy page costs a short list's layout each frame, not a long one's. A full render (a
/// filter, the search, a reveal) shows [`MAX_ROWS`] again.
const FOLLOW_ROWS: usize = 200;

struct Log {
    mirror: Mirror,
    filter: Filter,
    keep: bool,
    paused: bool,
    /// The highest id shown or considered.
    shown_to: u64,
    /// Entries that arrived while paused.
    waiting: usize,
    offset_min: i32,
    /// Counts resets, so entries read for one are not added after the next.
    generation: u32,
    /// Which of the `jwi:open` / `jwi:full` marks are on the timeline.
    marked: (bool, bool),
}

thread_local! {
    static LOG: RefCell<Log> = RefCell::new(Log {
        mirror: Mirror::new(),
        filter: Filter::default(),
        keep: true,
        paused: false,
        shown_to: 0,
        waiting: 0,
        offset_min: 0,
        generation: 0,
        marked: (false, false),
    });
}

const SURFACE: &str = "panel";

/// Wires the controls; called once at start.
pub fn setup() {
    let offset = rows::utc_offset_min();
    LOG.with(|l| l.borrow_mut().offset_min = offset);
    rows::wire_filters(
        |kinds| {
            LOG.with(|l| l.borrow_mut().filter.kinds = kinds);
            changed_prefs();
        },
        |text| {
            LOG.with(|l| l.borrow_mut().filter.text = text);
            changed_prefs();
        },
    );
    on("log-keep", "change", |_| {
        let keep = checked("log-keep");
        LOG.with(|l| l.borrow_mut().keep = keep);
        changed_prefs();
    });
    on("log-pause", "click", |_| {
        let paused = LOG.with(|l| {
            let mut l = l.borrow_mut();
            l.paused = !l.paused;
            if !l.paused {
                l.waiting = 0;
            }
            l.paused
        });
        if !paused {
            append_new();
        }
        show_pause();
    });
    on("log-clear", "click", |_| {
        super::post(|tab| jwi_core::protocol::popup::FromPopup::ClearLog { tab })
    });
    on("log-list", "click", |ev| {
        if let Some(button) = code_button(&ev) {
            copy_code(button);
        } else if let Some(li) = row_of(&ev) {
            toggle(&li);
        }
    });
    on("log-list", "keydown", on_key);
    show_pause();
}

/// Reads the remembered prefs and puts them in the controls.
pub async fn load_prefs() {
    let key = Prefs::key(SURFACE);
    let stored = storage::get_or_empty(Area::Local, &[&key]).await;
    let prefs = Prefs::from_stored(stored.get(&key));
    for (id, kind) in FILTERS {
        if let Some(i) = dom::input(&format!("log-filter-{id}")) {
            i.set_checked(prefs.kinds.contains(kind));
        }
    }
    dom::set_value("log-search", &prefs.text);
    if let Some(i) = dom::input("log-keep") {
        i.set_checked(prefs.keep_across_reloads);
    }
    LOG.with(|l| {
        let mut l = l.borrow_mut();
        let evidence = std::mem::take(&mut l.filter.error_evidence);
        l.filter = prefs.filter();
        l.filter.error_evidence = evidence;
        l.keep = prefs.keep_across_reloads;
    });
}

/// A filter, the search or "keep" changed: show it and remember it.
fn changed_prefs() {
    render_all();
    let prefs = LOG.with(|l| {
        let l = l.borrow();
        Prefs {
            kinds: l.filter.kinds,
            text: l.filter.text.clone(),
            keep_across_reloads: l.keep,
        }
    });
    let key = Prefs::key(SURFACE);
    spawn_local(async move {
        let value = serde_json::to_value(&prefs).unwrap_or_default();
        let _ = storage::set_one(Area::Local, &key, value).await;
    });
}

/// The entries that are evidence of an error finding (shown with the Errors filter).
pub fn set_error_evidence(ids: std::collections::BTreeSet<u64>) {
    let changed = LOG.with(|l| {
        let mut l = l.borrow_mut();
        let changed = l.filter.error_evidence != ids;
        l.filter.error_evidence = ids;
        changed
    });
    if changed {
        render_all();
    }
}

/// Shows every kind with no search (to bring an evidence row into view).
pub fn show_everything() {
    for (id, _) in FILTERS {
        if let Some(i) = dom::input(&format!("log-filter-{id}")) {
            i.set_checked(true);
        }
    }
    dom::set_value("log-search", "");
    if let Some(i) = dom::input("log-keep") {
        i.set_checked(true);
    }
    LOG.with(|l| {
        let mut l = l.borrow_mut();
        l.filter.kinds = KindSet::ALL;
        l.filter.text.clear();
        l.keep = true;
        l.paused = false;
    });
    show_pause();
    changed_prefs();
}

/// Shows an imported session's log instead of the live one (whose entries, still arriving,
/// are no longer applied: see `super::session::is_imported`).
pub fn show_imported(summary: Summary, entries: Vec<Entry>) {
    LOG.with(|l| {
        let mut l = l.borrow_mut();
        l.mirror = Mirror::new();
        let _ = l.mirror.apply(true, summary, entries);
        l.generation += 1;
        l.paused = false;
        l.waiting = 0;
    });
    show_pause();
    render_all();
}

/// A `ToPopup::Log` message.
pub fn on_log(reset: bool, summary: Summary, entries: Vec<Entry>) {
    let (applied, generation) = LOG.with(|l| {
        let mut l = l.borrow_mut();
        let applied = l.mirror.apply(reset, summary, entries);
        if applied == Applied::Reset {
            l.generation += 1;
        }
        (applied, l.generation)
    });
    match applied {
        Applied::Reset => {
            render_all();
            let missing = LOG.with(|l| l.borrow().mirror.missing_before());
            mark_once(Mark::Open);
            match missing {
                Some(ids) => spawn_local(load_earlier(ids, generation)),
                None => mark_once(Mark::Full),
            }
        }
        Applied::Appended { from } => {
            let paused = LOG.with(|l| {
                let mut l = l.borrow_mut();
                if l.paused {
                    l.waiting += l.mirror.entries().len() - from;
                }
                l.paused
            });
            if paused {
                show_pause();
            } else {
                append_next_frame();
            }
        }
    }
}

thread_local! {
    /// Whether new rows wait for the next animation frame.
    static FRAME_PENDING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Shows the entries that arrived, once per animation frame: a burst of messages (1,000
/// events a second come as hundreds of small batches) costs one append and one layout of the
/// list a frame, not one per message. A hidden panel draws no frames and catches up when shown.
fn append_next_frame() {
    if FRAME_PENDING.with(|p| p.replace(true)) {
        return;
    }
    jwi_browser::timers::request_animation_frame(|| {
        FRAME_PENDING.with(|p| p.set(false));
        if LOG.with(|l| l.borrow().paused) {
            return;
        }
        if cut_moved() {
            render_all();
        } else {
            append_new();
        }
    });
}

/// Reads the entries older than the ones sent on `watch` from `storage.session` (as the
/// popup does) and shows them.
async fn load_earlier(ids: std::ops::Range<u64>, generation: u32) {
    let tab = crate::shared::connection::tab();
    let keys: Vec<String> = ChunkKey::covering(ids)
        .map(|k| k.storage_key(tab))
        .collect();
    let Ok(stored) = storage::get(Area::Session, &keys).await else {
        return;
    };
    let older: Vec<Entry> = keys
        .iter()
        .filter_map(|k| stored.get(k))
        .flat_map(chunk_entries)
        .collect();
    let current = LOG.with(|l| {
        let mut l = l.borrow_mut();
        if l.generation != generation {
            return false;
        }
        l.mirror.prepend(older);
        true
    });
    if current {
        render_all();
        mark_once(Mark::Full);
    }
}

/// The panel's opening steps on its performance timeline (read by `./build.sh bench panel`).
#[derive(Clone, Copy)]
enum Mark {
    /// `jwi:open`: the rows of the newest entries (sent on `Watch`) painted.
    Open,
    /// `jwi:full`: the rows of the whole log (older entries read from storage) painted.
    Full,
}

/// Puts the mark on the timeline once the frame showing what the DOM holds now is painted
/// (the first time only).
fn mark_once(mark: Mark) {
    let first = LOG.with(|l| {
        let mut l = l.borrow_mut();
        let done = match mark {
            Mark::Open => &mut l.marked.0,
            Mark::Full => &mut l.marked.1,
        };
        !std::mem::replace(done, true)
    });
    if !first {
        return;
    }
    jwi_browser::timers::after_next_paint(move || {
        let name = match mark {
            Mark::Open => "jwi:open",
            Mark::Full => "jwi:full",
        };
        if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
            let _ = p.mark(name);
        }
    });
}

/// The first id the view shows ("keep across reloads" off: the current page's).
fn view_start(l: &Log) -> u64 {
    workbench::view_start(l.mirror.entries(), l.keep)
}

/// Whether new entries start a page while "keep" is off (the view must be cut again).
fn cut_moved() -> bool {
    LOG.with(|l| {
        let l = l.borrow();
        let first_row = dom::by_id("log-list")
            .and_then(|list| list.query_selector("li[data-id]").ok().flatten())
            .and_then(|li| li.get_attribute("data-id"))
            .and_then(|id| id.parse::<u64>().ok())
            .unwrap_or(0);
        !l.keep && view_start(&l) > first_row
    })
}

/// Rebuilds every row.
fn render_all() {
    let Some(list) = dom::by_id("log-list") else {
        return;
    };
    list.set_text_content(None);
    LOG.with(|l| l.borrow_mut().shown_to = 0);
    append_rows(true);
}

/// Appends the rows of entries newer than the last shown, and removes rows of entries the log
/// dropped.
fn append_new() {
    if let Some(list) = dom::by_id("log-list") {
        let first = LOG.with(|l| l.borrow().mirror.first_id());
        while let Some(li) = list.first_element_child() {
            let id = li
                .get_attribute("data-id")
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(u64::MAX);
            if id >= first {
                break;
            }
            li.remove();
        }
    }
    append_rows(false);
}

/// Appends the rows of the mirror's entries after `shown_to` that the view shows, keeping the
/// newest [`MAX_ROWS`] in the list, or [`FOLLOW_ROWS`] when new rows arrive while it follows
/// the newest (older rows go: the list's layout stays as cheap with 20,000 entries in the log
/// as with 200). While paused a full render stops at `shown_to` as it was.
fn append_rows(all: bool) {
    let Some(list) = dom::by_id("log-list") else {
        return;
    };
    let stick = list.scroll_top() + list.client_height() >= list.scroll_height() - 4;
    let frag = dom::fragment();
    let rows = LOG.with(|l| {
        let mut l = l.borrow_mut();
        let start = view_start(&l);
        let matcher = l.filter.matcher();
        let entries = l.mirror.entries();
        let from = entries.partition_point(|e| e.id <= l.shown_to);
        let mut picked: Vec<usize> = (from..entries.len())
            .filter(|&i| entries[i].id >= start && matcher.matches(&entries[i]))
            .collect();
        if picked.len() > MAX_ROWS {
            picked.drain(..picked.len() - MAX_ROWS);
        }
        for &i in &picked {
            // The time since the previous entry of the log (shown or not).
            let previous = i.checked_sub(1).map(|p| entries[p].at);
            let _ = frag.append_child(&row(&entries[i], previous, l.offset_min));
        }
        if let Some(last) = entries.last() {
            l.shown_to = l.shown_to.max(last.id);
        }
        picked.len()
    });
    if rows > 0 {
        let _ = list.append_child(&frag);
        let limit = if stick && !all { FOLLOW_ROWS } else { MAX_ROWS };
        let extra = (list.child_element_count() as usize).saturating_sub(limit);
        for _ in 0..extra {
            if let Some(oldest) = list.first_element_child() {
                oldest.remove();
            }
        }
        if stick || all {
            list.set_scroll_top(list.scroll_height());
        }
    }
    show_header();
}

fn show_header() {
    let (s, shown) = LOG.with(|l| {
        let l = l.borrow();
        (*l.mirror.summary(), l.mirror.entries().len())
    });
    let rows = dom::by_id("log-list").map_or(0, |l| l.child_element_count());
    dom::set_text("log-count", &t("popup_log_entries", &[&s.len.to_string()]));
    dom::set_text(
        "log-dropped",
        &t("popup_log_dropped", &[&s.dropped.to_string()]),
    );
    let empty = if shown == 0 {
        t("popup_log_empty", &[])
    } else {
        t("popup_log_no_match", &[])
    };
    dom::set_text("log-empty", &empty);
    dom::set_hidden("log-empty", rows > 0);
}

fn show_pause() {
    let (paused, waiting) = LOG.with(|p| {
        let p = p.borrow();
        (p.paused, p.waiting)
    });
    rows::show_pause(paused, waiting);
}

fn row(e: &Entry, previous: Option<f64>, offset_min: i32) -> Element {
    let page_start = workbench::is_page_start(e);
    let li = el(
        "li",
        if page_start {
            "log-row log-page"
        } else {
            "log-row"
        },
        "",
    );
    let _ = li.set_attribute("data-id", &e.id.to_string());
    let _ = li.set_attribute("data-kind", e.event.tag());
    let _ = li.set_attribute("tabindex", "0");
    let _ = li.set_attribute("aria-expanded", "false");
    if let Event::PageLoad { url, .. } = &e.event {
        let divider = el("div", "log-divider", &t("panel_page_load", &[url]));
        let _ = divider.set_attribute("role", "separator");
        append(&li, &divider);
    }
    let line = el("div", "log-line", "");
    append(
        &line,
        &el("span", "log-delta", &workbench::delta(previous, e.at)),
    );
    rows::append_line(&line, e, offset_min);
    append(&li, &line);
    li
}

fn row_of(ev: &web_sys::Event) -> Option<Element> {
    let target = ev.target()?;
    let el = target.dyn_ref::<Element>()?;
    if el.closest(".log-detail").ok().flatten().is_some() {
        return None;
    }
    el.closest("li[data-id]").ok()?
}

fn on_key(ev: web_sys::Event) {
    let Some(k) = ev.dyn_ref::<web_sys::KeyboardEvent>() else {
        return;
    };
    let Some(li) = ev
        .target()
        .and_then(|t| t.dyn_into::<Element>().ok())
        .filter(|t| t.matches("li[data-id]").unwrap_or(false))
    else {
        return;
    };
    let next = match k.key().as_str() {
        "Enter" | " " => {
            ev.prevent_default();
            toggle(&li);
            return;
        }
        "ArrowDown" => li.next_element_sibling(),
        "ArrowUp" => li.previous_element_sibling(),
        _ => return,
    };
    if let Some(h) = next.and_then(|n| n.dyn_into::<HtmlElement>().ok()) {
        ev.prevent_default();
        let _ = h.focus();
    }
}

fn toggle(li: &Element) {
    if let Ok(Some(detail)) = li.query_selector(".log-detail") {
        detail.remove();
        let _ = li.set_attribute("aria-expanded", "false");
        return;
    }
    let Some(id) = li
        .get_attribute("data-id")
        .and_then(|s| s.parse::<u64>().ok())
    else {
        return;
    };
    let shown = LOG.with(|l| {
        l.borrow()
            .mirror
            .get(id)
            .map(|e| (log_rows::pretty(e), log_rows::call_as_code(&e.event)))
    });
    let Some((text, code)) = shown else { return };
    let detail = el("div", "log-detail", "");
    append(&detail, &el("pre", "log-json", &text));
    if code.is_some() {
        let b = el("button", "log-code", &t("panel_copy_code", &[]));
        let _ = b.set_attribute("type", "button");
        let _ = b.set_attribute("data-code-id", &id.to_string());
        let _ = b.set_attribute(
            "aria-label",
            &t("panel_copy_code_label", &[&id.to_string()]),
        );
        append(&detail, &b);
    }
    append(li, &detail);
    let _ = li.set_attribute("aria-expanded", "true");
}

/// The "Copy as code" button a click was on, if any.
fn code_button(ev: &web_sys::Event) -> Option<Element> {
    let target = ev.target()?;
    target.dyn_ref::<Element>()?.closest(".log-code").ok()?
}

/// Copies the call of the button's entry as JavaScript, and says whether it worked.
fn copy_code(button: Element) {
    let code = button
        .get_attribute("data-code-id")
        .and_then(|s| s.parse::<u64>().ok())
        .and_then(|id| {
            LOG.with(|l| {
                l.borrow()
                    .mirror
                    .get(id)
                    .and_then(|e| log_rows::call_as_code(&e.event))
            })
        });
    let Some(code) = code else { return };
    let said = |button: &Element, ok: bool| {
        button.set_text_content(Some(&if ok {
            t("popup_log_copied", &[])
        } else {
            t("popup_log_copy_failed", &[])
        }));
        let _ = button.set_attribute("data-copied", &ok.to_string());
    };
    let Some(promise) = jwi_browser::bindings::copy_text(&code) else {
        said(&button, false);
        return;
    };
    spawn_local(async move {
        let ok = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
        said(&button, ok);
        jwi_browser::timers::set_timeout(1500, move || {
            button.set_text_content(Some(&t("panel_copy_code", &[])));
            let _ = button.remove_attribute("data-copied");
        });
    });
}

/// Brings the row of entry `id` into view, focused and marked; whether it is shown.
pub fn reveal(id: u64) -> bool {
    let selector = format!("#log-list li[data-id=\"{id}\"]");
    let Some(li) = dom::document().and_then(|d| d.query_selector(&selector).ok().flatten()) else {
        return false;
    };
    if let Some(old) =
        dom::document().and_then(|d| d.query_selector(".log-row.revealed").ok().flatten())
    {
        let _ = old.class_list().remove_1("revealed");
    }
    let _ = li.class_list().add_1("revealed");
    li.scroll_into_view();
    if let Some(h) = li.dyn_ref::<HtmlElement>() {
        let _ = h.focus();
    }
    true
}
