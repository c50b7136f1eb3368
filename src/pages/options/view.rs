//! Reading and drawing the options page's DOM. Text from settings or files goes in with
//! `textContent` only; the only markup set here is the page's own static icons.

use std::collections::{BTreeMap, BTreeSet};

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

use jwi_browser::dom;
use jwi_browser::dom::{checked, document, input, set_rich_text, set_value};
use jwi_browser::i18n::t;
use jwi_core::settings::{FieldError, PATHS};
use jwi_core::view::settings_form::{self, Form};

/// The remove button's icon: a cross, built as SVG elements (never from markup).
fn remove_icon() -> Option<web_sys::Element> {
    const SVG: &str = "http://www.w3.org/2000/svg";
    let doc = document()?;
    let svg = doc.create_element_ns(Some(SVG), "svg").ok()?;
    let _ = svg.set_attribute("aria-hidden", "true");
    let _ = svg.set_attribute("viewBox", "0 0 16 16");
    let path = doc.create_element_ns(Some(SVG), "path").ok()?;
    let _ = path.set_attribute("d", "M4 4l8 8M12 4l-8 8");
    let _ = svg.append_child(&path);
    Some(svg)
}

fn set_rich_text_by_id(id: &str, text: &str) {
    if let Some(el) = dom::by_id(id) {
        set_rich_text(&el, text);
    }
}

/// Sets `data-state` on the page's body.
pub fn set_page_state(state: &str) {
    if let Some(body) = document().and_then(|d| d.body()) {
        let _ = body.set_attribute("data-state", state);
    }
}

/// What the inputs hold now (the site list is kept by the page, not read back).
pub fn read_form() -> Form {
    let radio = |ids: &[(&str, &str)]| -> String {
        ids.iter()
            .find(|(id, _)| checked(id))
            .map(|(_, v)| (*v).to_owned())
            .unwrap_or_default()
    };
    Form {
        mode: radio(&[("mode-sandbox", "sandbox"), ("mode-jivochat", "jivochat")]),
        widget_id: dom::value_of("widget-id"),
        loader_url: dom::value_of("loader-url"),
        sites: Vec::new(),
        spa_enabled: checked("spa-enabled"),
        spa_settle_ms: dom::value_of("spa-settle-ms"),
        spa_hash: radio(&[
            ("spa-hash-routes", "routes"),
            ("spa-hash-all", "all"),
            ("spa-hash-ignore", "ignore"),
        ]),
        spa_title_only: checked("spa-title-only"),
        log_max_entries: dom::value_of("log-max-entries"),
        loader_timeout_ms: dom::value_of("loader-timeout-ms"),
        spa_report_interval_ms: dom::value_of("spa-report-interval-ms"),
        site_grace_ms: dom::value_of("site-grace-ms"),
        use_mine_on: dom::value_of("use-mine-on"),
        sandbox_stand_in: checked("sandbox-stand-in"),
    }
}

/// Puts `shown` into the inputs, disables the locked ones and shows their lock notes.
pub fn write_form(shown: &Form, locked: &BTreeSet<&'static str>) {
    let set_checked = |id: &str, on: bool| {
        if let Some(i) = input(id) {
            i.set_checked(on);
        }
    };
    set_checked("mode-sandbox", shown.mode == "sandbox");
    set_checked("mode-jivochat", shown.mode == "jivochat");
    set_value("widget-id", &shown.widget_id);
    set_value("loader-url", &shown.loader_url);
    set_checked("spa-enabled", shown.spa_enabled);
    set_value("spa-settle-ms", &shown.spa_settle_ms);
    for hash in ["routes", "all", "ignore"] {
        set_checked(&format!("spa-hash-{hash}"), shown.spa_hash == hash);
    }
    set_checked("spa-title-only", shown.spa_title_only);
    set_value("log-max-entries", &shown.log_max_entries);
    set_value("loader-timeout-ms", &shown.loader_timeout_ms);
    set_value("spa-report-interval-ms", &shown.spa_report_interval_ms);
    set_value("site-grace-ms", &shown.site_grace_ms);
    if let Some(area) = dom::by_id("use-mine-on")
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlTextAreaElement>(e).ok())
    {
        area.set_value(&shown.use_mine_on);
    }
    set_checked("sandbox-stand-in", shown.sandbox_stand_in);

    let lock_text = t("options_locked", &[]);
    let lock_title = t("options_lockedTitle", &[]);
    for path in PATHS {
        let is_locked = locked.contains(path);
        let inputs = settings_form::inputs_of(path);
        for id in inputs {
            dom::set_disabled(id, is_locked);
        }
        if let Ok(Some(note)) = document()
            .map(|d| d.query_selector(&format!("[data-lock-for=\"{path}\"]")))
            .transpose()
            .map(Option::flatten)
        {
            note.set_text_content(Some(&lock_text));
            let _ = note.set_attribute("title", &lock_title);
            if let Ok(note) = note.dyn_into::<HtmlElement>() {
                note.set_hidden(!is_locked);
            }
        }
    }
    render_sites(&shown.sites, locked.contains("sites"));
}

/// Draws the site list: each rule with its number and, unless locked, a remove button.
pub fn render_sites(sites: &[String], locked: bool) {
    let Some(list) = dom::by_id("site-list") else {
        return;
    };
    list.set_text_content(None);
    for (i, pattern) in sites.iter().enumerate() {
        let Some(li) = Some(dom::el("li", "", "")) else {
            continue;
        };
        if locked {
            let _ = li.set_attribute("class", "locked");
        }
        let _ = li.set_attribute("data-index", &i.to_string());
        if let Some(index) = Some(dom::el("span", "", "")) {
            let _ = index.set_attribute("class", "index");
            let _ = index.set_attribute("aria-hidden", "true");
            index.set_text_content(Some(&(i + 1).to_string()));
            let _ = li.append_child(&index);
        }
        if let Some(code) = Some(dom::el("code", "", "")) {
            let _ = code.set_attribute("class", "site-pattern");
            code.set_text_content(Some(pattern));
            let _ = li.append_child(&code);
        }
        if !locked {
            if let Some(button) = Some(dom::el("button", "", "")) {
                let _ = button.set_attribute("type", "button");
                let _ = button.set_attribute("class", "icon-button site-remove");
                let _ = button.set_attribute("id", &format!("site-remove-{i}"));
                let _ = button.set_attribute("data-index", &i.to_string());
                let label = t("options_siteRemove", &[pattern]);
                let _ = button.set_attribute("aria-label", &label);
                let _ = button.set_attribute("title", &label);
                if let Some(icon) = remove_icon() {
                    let _ = button.append_child(&icon);
                }
                let _ = li.append_child(&button);
            }
        }
        if let Some(error) = Some(dom::el("p", "", "")) {
            let path = format!("sites[{i}]");
            let _ = error.set_attribute("class", "field-error");
            let _ = error.set_attribute("id", &settings_form::error_id(&path));
            let _ = error.set_attribute("data-path", &path);
            let _ = error.set_attribute("hidden", "");
            let _ = li.append_child(&error);
        }
        let _ = list.append_child(&li);
    }
    dom::set_hidden("site-empty", !sites.is_empty());
    dom::set_text(
        "site-count",
        &if sites.is_empty() {
            String::new()
        } else {
            sites.len().to_string()
        },
    );
}

/// Shows each visible problem next to its field (several for one field one after another),
/// marks the fields `aria-invalid`, and clears the rest.
pub fn render_errors(errors: &[FieldError], visible: impl Fn(&str) -> bool) {
    let Some(doc) = document() else { return };
    if let Ok(boxes) = doc.query_selector_all("#settings-form .field-error[data-path]") {
        for i in 0..boxes.length() {
            if let Some(el) = boxes.item(i).and_then(|n| n.dyn_into::<HtmlElement>().ok()) {
                el.set_hidden(true);
                el.set_text_content(None);
            }
        }
    }
    if let Ok(invalid) = doc.query_selector_all("#settings-form [aria-invalid]") {
        for i in 0..invalid.length() {
            if let Some(el) = invalid.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                if el.id() != "site-add" {
                    let _ = el.remove_attribute("aria-invalid");
                }
            }
        }
    }
    let mut by_box: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for error in errors.iter().filter(|e| visible(&e.path)) {
        let path = settings_form::shown_path(&error.path);
        let text = crate::field_error_text(error).unwrap_or_else(|| {
            if path.is_empty() {
                error.to_string()
            } else {
                settings_form::inline_message(error)
            }
        });
        let id = if dom::by_id(&settings_form::error_id(path)).is_some() {
            settings_form::error_id(path)
        } else {
            settings_form::error_id("")
        };
        by_box.entry(id).or_default().push(text);
        if path != "sites" {
            for id in settings_form::inputs_of(path) {
                dom::set_attr(id, "aria-invalid", "true");
            }
        }
    }
    for (id, texts) in by_box {
        set_rich_text_by_id(&id, &texts.join(" "));
        dom::set_hidden(&id, false);
    }
}

/// Shows a problem with the rule being added under the add box, or clears it.
pub fn render_add_error(problems: &[FieldError]) {
    let text = problems
        .iter()
        .map(|p| crate::field_error_text(p).unwrap_or_else(|| settings_form::inline_message(p)))
        .collect::<Vec<_>>()
        .join(" ");
    set_rich_text_by_id("field-error-site-add", &text);
    dom::set_hidden("field-error-site-add", problems.is_empty());
    match problems.is_empty() {
        true => {
            if let Some(el) = dom::by_id("site-add") {
                let _ = el.remove_attribute("aria-invalid");
            }
        }
        false => dom::set_attr("site-add", "aria-invalid", "true"),
    }
}

/// Fills a list with one item per problem: the path as code, then the message.
pub fn render_problems(list_id: &str, problems: &[FieldError]) {
    let Some(list) = dom::by_id(list_id) else {
        return;
    };
    list.set_text_content(None);
    for problem in problems {
        let Some(li) = Some(dom::el("li", "", "")) else {
            continue;
        };
        let message = crate::field_error_text(problem).unwrap_or_else(|| problem.message.clone());
        if problem.path.is_empty() {
            set_rich_text(&li, &message);
        } else {
            set_rich_text(&li, &format!("`{}`: {}", problem.path, message));
        }
        let _ = list.append_child(&li);
    }
}

/// Fills a list with one plain-text item per entry.
pub fn render_items(list_id: &str, items: &[String]) {
    let Some(list) = dom::by_id(list_id) else {
        return;
    };
    list.set_text_content(None);
    for item in items {
        if let Some(li) = Some(dom::el("li", "", "")) {
            li.set_text_content(Some(item));
            let _ = list.append_child(&li);
        }
    }
}

/// The save bar's status: a state for styling and tests (`clean`, `dirty`, `invalid`,
/// `saving`, `saved`, `error`) and its words.
pub fn set_save_status(state: &str, text: &str) {
    dom::set_attr("save-status", "data-state", state);
    dom::set_text("save-status", text);
}

/// Shows the import result: `ok` or `error`, a title and the problems found.
pub fn set_import_status(state: &str, title: &str, problems: &[FieldError]) {
    dom::set_attr(
        "import-status",
        "class",
        if state == "ok" {
            "notice ok"
        } else {
            "notice error"
        },
    );
    dom::set_attr("import-status", "data-state", state);
    dom::set_text("import-message", title);
    render_problems("import-errors", problems);
    dom::set_hidden("import-status", false);
}

/// The "test a URL" result, or nothing.
pub fn set_test_result(result: Option<(&str, String)>) {
    match result {
        Some((state, text)) => {
            dom::set_attr("site-test-result", "data-result", state);
            set_rich_text_by_id("site-test-result", &text);
        }
        None => {
            if let Some(el) = dom::by_id("site-test-result") {
                let _ = el.remove_attribute("data-result");
            }
            dom::set_text("site-test-result", "");
        }
    }
}

/// The line under the loader URL that shows the URL JivoChat mode will load.
pub fn set_loader_preview(url: Option<&str>) {
    let Some(el) = dom::by_id("loader-url-preview") else {
        return;
    };
    el.set_text_content(None);
    if let Some(url) = url {
        if let Some(code) = Some(dom::el("code", "", "")) {
            let label = format!("{} ", t("options_loaderUrlPreview", &[]));
            let _ = el.insert_adjacent_text("beforeend", &label);
            code.set_text_content(Some(url));
            let _ = el.append_child(&code);
        }
    }
    dom::set_hidden("loader-url-preview", url.is_none());
}
