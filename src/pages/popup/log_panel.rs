//! The popup's live log panel (`#log`): the background's log mirrored in memory
//! ([`Mirror`]), shown filtered ([`Filter`]) as rows built with `textContent` only.
//!
//! Opening: the background sends the newest [`WATCH_ENTRIES`](jwi_core::event_log::WATCH_ENTRIES)
//! entries, which are shown at once (the newest [`PAGE_ROWS`] that match); the older ones are
//! read from `storage.session` afterwards, a few chunks at a time, for "Show earlier", the
//! filters and search.
//!
//! Rendering is incremental: a filter change or a reset builds every matching row into one
//! `DocumentFragment`; new entries are appended once per animation frame, only their own rows;
//! rows of entries the background dropped are removed from the front, and while the list
//! follows the newest entries it keeps one page of rows, so a busy page never grows the DOM.

use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{Element, HtmlElement};

use super::{post, POPUP};
use jwi_browser::dom::{append, el, on};
use jwi_browser::i18n::t;
use jwi_browser::storage::{self, Area};
use jwi_browser::{dom, timers};
use jwi_core::event_log::{chunk_entries, ChunkKey, Entry, Export, Filter, Summary};
use jwi_core::protocol::popup::FromPopup;
use jwi_core::view::log_rows::{self, Applied, Mirror};

/// How many rows a full render shows at most (the newest); "Show earlier" adds as many again.
/// Building every row of a 2,000-entry log would take longer than the popup may to open.
const PAGE_ROWS: usize = 200;

/// How many rows a reset builds before the popup paints (more than the list shows); the rest
/// of the first [`PAGE_ROWS`] follow right after that frame.
const FIRST_ROWS: usize = 40;

use crate::shared::log as rows;

struct Panel {
    mirror: Mirror,
    filter: Filter,
    paused: bool,
    /// Entries that arrived while paused.
    waiting: usize,
    /// The highest id the view has considered (shown or filtered out).
    shown_to: u64,
    /// Local time minus UTC, in minutes.
    offset_min: i32,
    /// Whether new entries wait for the next frame to be shown.
    flush_pending: bool,
    /// Counts resets, so that older entries read for one reset are not added after the next.
    generation: u32,
    /// The entry whose row is the list's one Tab stop (roving tabindex), once one was chosen.
    active: Option<u64>,
}

thread_local! {
    static PANEL: RefCell<Panel> = RefCell::new(Panel {
        mirror: Mirror::new(),
        filter: Filter::default(),
        paused: false,
        waiting: 0,
        shown_to: 0,
        offset_min: 0,
        flush_pending: false,
        generation: 0,
        active: None,
    });
}

/// Wires the panel's controls; called once at start.
pub fn setup() {
    let offset = rows::utc_offset_min();
    PANEL.with(|p| p.borrow_mut().offset_min = offset);
    rows::wire_filters(
        |kinds| {
            PANEL.with(|p| p.borrow_mut().filter.kinds = kinds);
            render_all();
        },
        |text| {
            PANEL.with(|p| p.borrow_mut().filter.text = text);
            render_all();
        },
    );
    on("log-pause", "click", |_| {
        let paused = PANEL.with(|p| {
            let mut p = p.borrow_mut();
            p.paused = !p.paused;
            p.paused
        });
        if !paused {
            catch_up();
        }
        show_pause();
    });
    // Clearing cannot be undone (the background forgets the entries), so it asks first.
    on("log-clear", "click", |_| {
        let len = PANEL.with(|p| p.borrow().mirror.summary().len);
        if len == 0 {
            return;
        }
        dom::set_text(
            "log-clear-question",
            &t("popup_log_clear_question", &[&number(len as u64)]),
        );
        dom::set_hidden("log-clear-confirm", false);
        dom::focus("log-clear-no");
    });
    on("log-clear-yes", "click", |_| {
        post(|tab| FromPopup::ClearLog { tab });
        dom::set_hidden("log-clear-confirm", true);
        dom::focus("log-clear");
    });
    on("log-clear-no", "click", |_| {
        dom::set_hidden("log-clear-confirm", true);
        dom::focus("log-clear");
    });
    on("log-clear-confirm", "keydown", |e| {
        if e.dyn_ref::<web_sys::KeyboardEvent>()
            .is_some_and(|k| k.key() == "Escape")
        {
            e.prevent_default();
            dom::set_hidden("log-clear-confirm", true);
            dom::focus("log-clear");
        }
    });
    on("log-export", "click", |_| {
        dom::set_attr("log-export", "aria-busy", "true");
        post(|tab| FromPopup::ExportLog { tab });
    });
    on("log-more", "click", |_| show_earlier());
    on("log-list", "click", on_list_click);
    on("log-list", "keydown", on_list_key);
    on("log-list", "focusin", |e| {
        if let Some((li, id)) = e.target().and_then(|t| row_of(&t)) {
            make_tab_stop(&li, id);
        }
    });
    show_pause();
    show_header();
}

/// A `ToPopup::Log` message.
///
/// A reset is shown at once (it is what the popup opens with); new entries are shown at the
/// next animation frame, all that arrived meanwhile together, so a busy page costs the popup
/// one layout a frame, not one per batch.
pub fn on_log(reset: bool, summary: Summary, entries: Vec<Entry>) {
    let (applied, generation) = PANEL.with(|p| {
        let mut p = p.borrow_mut();
        let applied = p.mirror.apply(reset, summary, entries);
        if let (Applied::Appended { from }, true) = (applied, p.paused) {
            p.waiting += p.mirror.entries().len() - from;
        }
        if applied == Applied::Reset {
            p.generation += 1;
        }
        (applied, p.generation)
    });
    match applied {
        Applied::Reset => {
            PANEL.with(|p| p.borrow_mut().waiting = 0);
            // What fits in view first; the rest of the page once that is on screen.
            render_newest(FIRST_ROWS);
            show_pause();
            show_header();
            super::shown(super::Part::Log);
            super::after_open(|| super::after_paint(fill_first_page));
            let missing = PANEL.with(|p| p.borrow().mirror.missing_before());
            if let Some(ids) = missing {
                super::after_open(move || spawn_local(load_earlier(ids, generation)));
            }
        }
        Applied::Appended { .. } => schedule_flush(),
    }
}

/// Shows the entries that arrived since the last frame, at the next one (or within 100 ms
/// where frames do not run, as in a hidden tab).
fn schedule_flush() {
    let first = PANEL.with(|p| !std::mem::replace(&mut p.borrow_mut().flush_pending, true));
    if !first {
        return;
    }
    timers::request_animation_frame(flush);
    later(100, flush);
}

fn flush() {
    let (pending, paused) = PANEL.with(|p| {
        let mut p = p.borrow_mut();
        (std::mem::take(&mut p.flush_pending), p.paused)
    });
    if !pending {
        return;
    }
    drop_old_rows();
    if !paused {
        let from = PANEL.with(|p| {
            let p = p.borrow();
            let to = p.shown_to;
            p.mirror.entries().partition_point(|e| e.id <= to)
        });
        append_rows(from);
    }
    show_pause();
    show_header();
}

/// Reads the entries older than the ones the background sent on `watch` from
/// `storage.session`, newest chunks first, a few chunks a task, and adds them to the mirror
/// (they are shown by "Show earlier", the filters and search). Stops if the log is reset
/// meanwhile (`generation`).
async fn load_earlier(ids: std::ops::Range<u64>, generation: u32) {
    const CHUNKS_PER_READ: usize = 8;
    let tab = POPUP.with(|p| p.borrow().tab);
    let keys: Vec<String> = ChunkKey::covering(ids)
        .map(|k| k.storage_key(tab))
        .collect();
    for group in keys.chunks(CHUNKS_PER_READ) {
        let Ok(stored) = storage::get(Area::Session, group).await else {
            break;
        };
        let older: Vec<Entry> = group
            .iter()
            .rev()
            .filter_map(|k| stored.get(k))
            .flat_map(chunk_entries)
            .collect();
        let current = PANEL.with(|p| {
            let mut p = p.borrow_mut();
            if p.generation != generation {
                return false;
            }
            p.mirror.prepend(older);
            p.mirror.missing_before().is_some()
        });
        if PANEL.with(|p| p.borrow().generation != generation) {
            return;
        }
        show_header();
        if !current {
            break;
        }
    }
    // A narrow filter may have shown fewer rows than a page while older matches were unread.
    let rows = dom::by_id("log-list").map_or(0, |l| l.child_element_count() as usize);
    if rows < PAGE_ROWS && earlier_count() > 0 {
        render_all();
    }
}

/// The entries that are evidence of an error finding: the Errors filter shows them too.
pub fn set_error_evidence(ids: std::collections::BTreeSet<u64>) {
    let changed = PANEL.with(|p| {
        let mut p = p.borrow_mut();
        let changed = p.filter.error_evidence != ids;
        p.filter.error_evidence = ids;
        changed
    });
    if changed {
        render_all();
    }
}

/// A `ToPopup::LogExport` message: download it as a file.
pub fn on_export(export: &serde_json::Value) {
    let _ = dom::by_id("log-export").map(|e| e.remove_attribute("aria-busy"));
    let (text, tab, at) = match Export::from_value(export) {
        Ok(e) => (e.to_json(), e.tab, e.exported_at),
        Err(_) => (
            serde_json::to_string_pretty(export).unwrap_or_default(),
            POPUP.with(|p| p.borrow().tab),
            js_sys::Date::now(),
        ),
    };
    let offset = PANEL.with(|p| p.borrow().offset_min);
    let name = log_rows::export_file_name(tab, at, offset);
    jwi_browser::bindings::download_text("log-export-link", &name, &text, "application/json");
}

fn later(ms: i32, f: impl FnOnce() + 'static) {
    timers::set_timeout(ms, f);
}

fn show_header() {
    let (s, shown) = PANEL.with(|p| {
        let p = p.borrow();
        // Filtered: how many of the entries the popup holds match.
        let shown = (!p.filter.is_everything()).then(|| {
            let matcher = p.filter.matcher();
            p.mirror
                .entries()
                .iter()
                .filter(|e| matcher.matches(e))
                .count()
        });
        (*p.mirror.summary(), shown)
    });
    let count = match shown {
        Some(n) => t(
            "popup_log_shown_of",
            &[&number(n as u64), &number(s.len as u64)],
        ),
        None => t("popup_log_entries", &[&number(s.len as u64)]),
    };
    dom::set_text("log-count", &count);
    dom::set_attr("log-count", "data-len", &s.len.to_string());
    dom::set_attr(
        "log-count",
        "data-shown",
        &shown.map(|n| n.to_string()).unwrap_or_default(),
    );
    dom::set_text(
        "log-dropped",
        &t("popup_log_dropped", &[&s.dropped.to_string()]),
    );
    dom::set_text(
        "log-missed",
        &t("popup_log_missed", &[&s.missed.to_string()]),
    );
    dom::set_hidden("log-missed-sep", s.missed == 0);
    dom::set_hidden("log-missed", s.missed == 0);
    let rows = dom::by_id("log-list").map_or(0, |l| l.child_element_count());
    let earlier = earlier_count();
    dom::set_text("log-more", &t("popup_log_earlier", &[&earlier.to_string()]));
    dom::set_hidden("log-more", earlier == 0);
    let empty = if s.len == 0 {
        t("popup_log_empty", &[])
    } else {
        t("popup_log_no_match", &[])
    };
    dom::set_text("log-empty", &empty);
    dom::set_hidden("log-empty", rows > 0);
    fix_tab_stop();
}

/// Keeps exactly one row a Tab stop: the active entry's row if it is shown, else the newest.
fn fix_tab_stop() {
    let Some(list) = dom::by_id("log-list") else {
        return;
    };
    let active = PANEL.with(|p| p.borrow().active);
    let current = list.query_selector("li[tabindex='0']").ok().flatten();
    let current_id = current
        .as_ref()
        .and_then(|li| li.get_attribute("data-id"))
        .and_then(|id| id.parse::<u64>().ok());
    if current.is_some() && current_id == active {
        return;
    }
    let wanted = active
        .and_then(|id| {
            list.query_selector(&format!("li[data-id='{id}']"))
                .ok()
                .flatten()
        })
        .or_else(|| current.clone())
        .or_else(|| list.last_element_child());
    if let Some(c) = &current {
        if Some(c) != wanted.as_ref() {
            let _ = c.set_attribute("tabindex", "-1");
        }
    }
    if let Some(w) = wanted {
        let _ = w.set_attribute("tabindex", "0");
    }
}

/// Makes a row the list's Tab stop (it has focus, or is about to).
fn make_tab_stop(li: &Element, id: u64) {
    PANEL.with(|p| p.borrow_mut().active = Some(id));
    if li.get_attribute("tabindex").as_deref() == Some("0") {
        return;
    }
    if let Some(list) = dom::by_id("log-list") {
        if let Ok(Some(old)) = list.query_selector("li[tabindex='0']") {
            let _ = old.set_attribute("tabindex", "-1");
        }
    }
    let _ = li.set_attribute("tabindex", "0");
}

/// A count as the UI language writes it (`1,401`, `1 401`).
fn number(n: u64) -> String {
    let lang = jwi_browser::i18n::ui_language().unwrap_or_else(|| "en".into());
    js_sys::Number::from(n as f64)
        .to_locale_string(&lang)
        .as_string()
        .unwrap_or_else(|| n.to_string())
}

fn show_pause() {
    let (paused, waiting) = PANEL.with(|p| {
        let p = p.borrow();
        (p.paused, p.waiting)
    });
    rows::show_pause(paused, waiting);
}

fn at_bottom(list: &Element) -> bool {
    list.scroll_top() + list.client_height() >= list.scroll_height() - 4
}

/// Rebuilds every row from the mirror with the current filter.
fn render_all() {
    render_newest(PAGE_ROWS);
}

/// Rebuilds the rows from the mirror with the current filter: the newest `limit` that match.
fn render_newest(limit: usize) {
    let Some(list) = dom::by_id("log-list") else {
        return;
    };
    let perf = web_sys::window().and_then(|w| w.performance());
    let start = perf.as_ref().map_or(0.0, |p| p.now());
    list.set_text_content(None);
    PANEL.with(|p| {
        let mut p = p.borrow_mut();
        p.shown_to = 0;
        p.waiting = 0;
    });
    let from = PANEL.with(|p| {
        let p = p.borrow();
        let matcher = p.filter.matcher();
        let entries = p.mirror.entries();
        let mut seen = 0;
        let mut from = entries.len();
        while from > 0 && seen < limit {
            from -= 1;
            if matcher.matches(&entries[from]) {
                seen += 1;
            }
        }
        from
    });
    append_rows(from);
    list.set_scroll_top(list.scroll_height());
    show_header();
    // How long the last full render took, in ms (read by the end-to-end timing check).
    if let Some(p) = perf {
        let _ = list.set_attribute("data-render-ms", &format!("{:.1}", p.now() - start));
    }
}

/// Appends the rows of the mirror's entries from index `from` that the filter shows.
fn append_rows(from: usize) {
    let Some(list) = dom::by_id("log-list") else {
        return;
    };
    let stick = at_bottom(&list);
    let frag = dom::fragment();
    let mut any = false;
    PANEL.with(|p| {
        let mut p = p.borrow_mut();
        let matcher = p.filter.matcher();
        let entries = p.mirror.entries();
        let from = from.min(entries.len());
        for e in &entries[from..] {
            if matcher.matches(e) {
                let _ = frag.append_child(&row(e, p.offset_min));
                any = true;
            }
        }
        if let Some(last) = entries.last() {
            p.shown_to = p.shown_to.max(last.id);
        }
    });
    if any {
        let _ = list.append_child(&frag);
        if stick {
            // Following the newest: keep a page of rows, the rest is behind "Show earlier".
            let over = (list.child_element_count() as usize).saturating_sub(PAGE_ROWS);
            for _ in 0..over {
                if let Some(first) = list.first_element_child() {
                    first.remove();
                }
            }
            list.set_scroll_top(list.scroll_height());
        }
    }
}

/// The id of the first row shown, if any.
fn first_row_id(list: &Element) -> Option<u64> {
    list.first_element_child()?
        .get_attribute("data-id")?
        .parse()
        .ok()
}

/// How many entries the filter shows that are older than the first row.
fn earlier_count() -> usize {
    let Some(list) = dom::by_id("log-list") else {
        return 0;
    };
    let first = first_row_id(&list).unwrap_or(u64::MAX);
    PANEL.with(|p| {
        let p = p.borrow();
        let matcher = p.filter.matcher();
        let entries = p.mirror.entries();
        let end = entries.partition_point(|e| e.id < first);
        entries[..end].iter().filter(|e| matcher.matches(e)).count()
    })
}

/// "Show earlier": the next [`PAGE_ROWS`] older rows, above the first one.
fn show_earlier() {
    prepend_older(PAGE_ROWS);
}

/// After the first paint of a reset: the rest of the first page of rows, above the ones shown.
fn fill_first_page() {
    let rows = dom::by_id("log-list").map_or(0, |l| l.child_element_count() as usize);
    if rows > 0 && rows < PAGE_ROWS {
        prepend_older(PAGE_ROWS - rows);
    }
}

/// Adds up to `limit` older matching rows above the first one, keeping what is in view.
fn prepend_older(limit: usize) {
    let Some(list) = dom::by_id("log-list") else {
        return;
    };
    let first = first_row_id(&list).unwrap_or(u64::MAX);
    let frag = dom::fragment();
    PANEL.with(|p| {
        let p = p.borrow();
        let matcher = p.filter.matcher();
        let entries = p.mirror.entries();
        let end = entries.partition_point(|e| e.id < first);
        let picked: Vec<&Entry> = entries[..end]
            .iter()
            .rev()
            .filter(|e| matcher.matches(e))
            .take(limit)
            .collect();
        for e in picked.into_iter().rev() {
            let _ = frag.append_child(&row(e, p.offset_min));
        }
    });
    let height = list.scroll_height();
    let _ = list.insert_before(&frag, list.first_child().as_ref());
    list.set_scroll_top(list.scroll_top() + list.scroll_height() - height);
    show_header();
}

/// After a pause: the entries that came meanwhile.
fn catch_up() {
    let from = PANEL.with(|p| {
        let mut p = p.borrow_mut();
        p.waiting = 0;
        let to = p.shown_to;
        p.mirror.entries().partition_point(|e| e.id <= to)
    });
    drop_old_rows();
    append_rows(from);
    show_header();
}

/// Removes the rows of entries the mirror no longer holds (from the front).
fn drop_old_rows() {
    let Some(list) = dom::by_id("log-list") else {
        return;
    };
    let first = PANEL.with(|p| p.borrow().mirror.first_id());
    while let Some(li) = list.first_element_child() {
        let id = li
            .get_attribute("data-id")
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0);
        if id >= first {
            break;
        }
        li.remove();
    }
}

fn row(e: &Entry, offset_min: i32) -> Element {
    let li = el("li", "log-row", "");
    let _ = li.set_attribute("data-id", &e.id.to_string());
    let _ = li.set_attribute("data-kind", e.event.tag());
    let _ = li.set_attribute("role", "treeitem");
    // One Tab stop for the whole list: see `fix_tab_stop`.
    let _ = li.set_attribute("tabindex", "-1");
    let _ = li.set_attribute("aria-expanded", "false");
    let _ = li.set_attribute("aria-keyshortcuts", "Enter Escape C");
    let cell = el("div", "log-cell", "");
    let line = el("div", "log-line", "");
    rows::append_line(&line, e, offset_min);
    // For the mouse; the keyboard copies the focused row with C (the button is no Tab stop).
    let copy = el("button", "log-copy", &t("popup_log_copy", &[]));
    let _ = copy.set_attribute("type", "button");
    let _ = copy.set_attribute("tabindex", "-1");
    append(&line, &copy);
    append(&cell, &line);
    append(&li, &cell);
    li
}

fn row_of(target: &JsValue) -> Option<(Element, u64)> {
    let el = target.dyn_ref::<Element>()?;
    let li = el.closest("li[data-id]").ok()??;
    let id = li.get_attribute("data-id")?.parse().ok()?;
    Some((li, id))
}

fn on_list_click(ev: web_sys::Event) {
    let Some(target) = ev.target() else { return };
    let Some(t_el) = target.dyn_ref::<Element>() else {
        return;
    };
    let Some((li, id)) = row_of(&target) else {
        return;
    };
    if let Ok(Some(button)) = t_el.closest(".log-copy") {
        copy_entry(id, button);
    } else if t_el.closest(".log-json").ok().flatten().is_none() {
        toggle(&li, id);
    }
}

/// How many rows PageUp/PageDown move.
const PAGE_STEP: usize = 10;

fn on_list_key(ev: web_sys::Event) {
    let Some(k) = ev.dyn_ref::<web_sys::KeyboardEvent>() else {
        return;
    };
    if k.alt_key() || k.ctrl_key() || k.meta_key() {
        return;
    }
    let Some(target) = ev.target() else { return };
    let Some(t_el) = target.dyn_ref::<Element>() else {
        return;
    };
    if !t_el.matches("li[data-id]").unwrap_or(false) {
        return;
    }
    let Some((li, id)) = row_of(&target) else {
        return;
    };
    let expanded = li.get_attribute("aria-expanded").as_deref() == Some("true");
    let step = |from: &Element, n: usize, down: bool| {
        let mut at = from.clone();
        for _ in 0..n {
            let next = if down {
                at.next_element_sibling()
            } else {
                at.previous_element_sibling()
            };
            match next {
                Some(e) => at = e,
                None => break,
            }
        }
        Some(at)
    };
    let list = li.parent_element();
    let next = match k.key().as_str() {
        "Enter" | " " => {
            ev.prevent_default();
            toggle(&li, id);
            return;
        }
        "ArrowRight" if !expanded => {
            ev.prevent_default();
            toggle(&li, id);
            return;
        }
        "ArrowLeft" | "Escape" if expanded => {
            // Escape collapses the row and stays in the popup (it does not close it).
            ev.prevent_default();
            ev.stop_propagation();
            toggle(&li, id);
            return;
        }
        "c" | "C" => {
            ev.prevent_default();
            if let Ok(Some(button)) = li.query_selector(".log-copy") {
                copy_entry(id, button);
            }
            return;
        }
        "ArrowDown" => step(&li, 1, true),
        "ArrowUp" => step(&li, 1, false),
        "PageDown" => step(&li, PAGE_STEP, true),
        "PageUp" => step(&li, PAGE_STEP, false),
        "Home" => list.as_ref().and_then(|l| l.first_element_child()),
        "End" => list.as_ref().and_then(|l| l.last_element_child()),
        _ => return,
    };
    ev.prevent_default();
    if let Some(row) = next {
        let id = row.get_attribute("data-id").and_then(|v| v.parse().ok());
        if let Some(id) = id {
            make_tab_stop(&row, id);
        }
        if let Ok(h) = row.dyn_into::<HtmlElement>() {
            let _ = h.focus();
        }
    }
}

fn toggle(li: &Element, id: u64) {
    if let Ok(Some(pre)) = li.query_selector(".log-json") {
        pre.remove();
        let _ = li.set_attribute("aria-expanded", "false");
        return;
    }
    let text = PANEL.with(|p| p.borrow().mirror.get(id).map(log_rows::pretty));
    let Some(text) = text else { return };
    let cell = li
        .query_selector(".log-cell")
        .ok()
        .flatten()
        .unwrap_or_else(|| li.clone());
    append(&cell, &el("pre", "log-json", &text));
    let _ = li.set_attribute("aria-expanded", "true");
}

fn copy_entry(id: u64, button: Element) {
    let text = PANEL.with(|p| p.borrow().mirror.get(id).map(log_rows::pretty));
    let Some(text) = text else { return };
    let Some(promise) = jwi_browser::bindings::copy_text(&text) else {
        button.set_text_content(Some(&t("popup_log_copy_failed", &[])));
        return;
    };
    spawn_local(async move {
        let ok = JsFuture::from(promise).await.is_ok();
        button.set_text_content(Some(&if ok {
            t("popup_log_copied", &[])
        } else {
            t("popup_log_copy_failed", &[])
        }));
        let _ = button.set_attribute("data-copied", if ok { "true" } else { "false" });
        later(1500, move || {
            button.set_text_content(Some(&t("popup_log_copy", &[])));
            let _ = button.remove_attribute("data-copied");
        });
    });
}
