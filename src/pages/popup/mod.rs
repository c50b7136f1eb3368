//! The popup: shows one tab (the active one, or `?tab=<id>`) and keeps it live over a port —
//! the page's status, the widget's facts, the live event log, the sandbox agent's console and
//! the API console.
//!
//! Everything that came from a page is put into the DOM with `textContent`, never as HTML;
//! a custom-data link becomes an `<a>` only when it is http(s), set with `setAttribute`.

mod log_panel;

use std::cell::RefCell;

use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::Element;

use jwi_browser::dom::{self, append, el, on, set_disabled, set_hidden, set_value, value_of};
use jwi_browser::ext;
use jwi_browser::i18n::{self, t};
use jwi_core::api::Method;
use jwi_core::protocol::page::CallOutcome;
use jwi_core::protocol::popup::{FromPopup, TabView, ToPopup};
use jwi_core::protocol::{self, decode, limits, PageStatus};
use jwi_core::sandbox::{AgentAction, AgentView, WidgetFacts};
use jwi_core::view::console_form::{self, Kind};

/// The biggest message the popup reads from the background: a whole log (at most
/// [`MAX_LOG_BYTES`](jwi_core::event_log::MAX_LOG_BYTES) of compact JSON) as a `Log` reset, or
/// pretty-printed as a `LogExport`, with room to spare.
const POPUP_MESSAGE_BYTES: usize =
    3 * jwi_core::event_log::MAX_LOG_BYTES + limits::RUNTIME_MESSAGE_BYTES;

/// The popup's state between events.
struct Popup {
    port: Option<ext::Port>,
    tab: i32,
    next_id: u32,
    /// The id of the last call sent; only its answer is shown.
    pending: Option<u32>,
    /// How many custom-data rows the `setCustomData` form has.
    rows: usize,
    /// Whether the last view had an agent that was online / had callbacks enabled.
    online: bool,
    callbacks: bool,
    /// Whether the tab's view and its log have been shown yet (for the `jwi:open` mark).
    shown: (bool, bool),
    /// Whether the popup is open (the frame showing both has been painted).
    open: bool,
    /// What waits for the popup to be open.
    after_open: Vec<Box<dyn FnOnce()>>,
}

thread_local! {
    static POPUP: RefCell<Popup> = const { RefCell::new(Popup {
        port: None, tab: -1, next_id: 1, pending: None, rows: 1, online: true, callbacks: true,
        shown: (false, false), open: false, after_open: Vec::new(),
    }) };
}

/// Puts a `jwi:<name>` mark on the popup's performance timeline (read by the benchmark).
fn mark(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(&format!("jwi:{name}"));
    }
}

/// The popup is *open* once the tab's view and its log have both been shown and the frame
/// showing them was painted: then the `jwi:open` mark goes on the timeline, once. "Painted"
/// is the task after the next animation frame's callbacks, when that frame has been drawn.
fn shown(part: Part) {
    let first_of_both = POPUP.with(|p| {
        let mut p = p.borrow_mut();
        let before = p.shown;
        match part {
            Part::View => p.shown.0 = true,
            Part::Log => p.shown.1 = true,
        }
        before != (true, true) && p.shown == (true, true)
    });
    if !first_of_both {
        return;
    }
    mark("shown");
    after_paint(|| {
        mark("open");
        let waiting = POPUP.with(|p| {
            let mut p = p.borrow_mut();
            p.open = true;
            std::mem::take(&mut p.after_open)
        });
        for f in waiting {
            f();
        }
    });
}

/// Runs `f` once the popup is open (see [`shown`]): work that must not delay the first frame.
fn after_open(f: impl FnOnce() + 'static) {
    let open = POPUP.with(|p| p.borrow().open);
    if open {
        f();
    } else {
        POPUP.with(|p| p.borrow_mut().after_open.push(Box::new(f)));
    }
}

/// Runs `f` in a task queued from the next animation frame's callbacks: once that frame, with
/// what the DOM holds now, has been drawn.
fn after_paint(f: impl FnOnce() + 'static) {
    jwi_browser::timers::after_next_paint(f);
}

/// What [`shown`] is told has been put on screen.
#[derive(Clone, Copy)]
enum Part {
    View,
    Log,
}

/// Entry point, called by `popup.js` once the module is instantiated.
#[wasm_bindgen]
pub fn start_popup() {
    i18n::localize_page();
    on("open-options", "click", |_| {
        spawn_local(async {
            let _ = ext::call(ext::runtime_open_options_page()).await;
        });
    });
    on("inject", "click", |_| {
        post(|tab| FromPopup::InjectIntoTab { tab })
    });
    on("use-mine", "click", |_| {
        set_disabled("use-mine", true);
        post(|tab| FromPopup::UseMineHere { tab })
    });
    on("reload-tab", "click", |_| {
        let tab = POPUP.with(|p| p.borrow().tab);
        if let Ok(promise) = ext::tabs_reload(tab) {
            spawn_local(async move {
                let _ = ext::call(promise).await;
            });
        }
    });
    log_panel::setup();
    setup_agent_console();
    setup_api_console();
    spawn_local(async {
        let Some(tab) = target_tab().await else {
            dom::set_text("page-status", &t("popup_no_tab", &[]));
            return;
        };
        let Some(port) = ext::connect("popup") else {
            return;
        };
        let on_message = Closure::<dyn FnMut(JsValue)>::new(|msg: JsValue| {
            let Some(text) = msg.as_string() else { return };
            let opening = POPUP.with(|p| p.borrow().shown != (true, true));
            if opening {
                mark("message");
            }
            match decode::<ToPopup>(&text, POPUP_MESSAGE_BYTES) {
                Ok(ToPopup::Tab(view)) => render(&view),
                Ok(ToPopup::ApiResult { id, outcome }) => show_result(id, &outcome),
                Ok(ToPopup::Log {
                    reset,
                    summary,
                    entries,
                }) => log_panel::on_log(reset, summary, entries),
                Ok(ToPopup::LogExport { export }) => log_panel::on_export(&export),
                Ok(ToPopup::UseMine { rule, error }) => show_use_mine(rule, error),
                Err(_) => {}
            }
        });
        port.on_message()
            .add_listener(on_message.as_ref().unchecked_ref());
        on_message.forget();
        port.post(&protocol::encode(&FromPopup::Watch { tab }));
        mark("watch");
        POPUP.with(|p| {
            let mut p = p.borrow_mut();
            p.tab = tab;
            p.port = Some(port);
        });
    });
}

fn post(msg: impl FnOnce(i32) -> FromPopup) {
    POPUP.with(|p| {
        let p = p.borrow();
        if let Some(port) = &p.port {
            port.post(&protocol::encode(&msg(p.tab)));
        }
    });
}

fn agent(action: AgentAction) {
    post(|tab| FromPopup::Agent { tab, action });
}

fn clear(id: &str) -> Option<Element> {
    let e = dom::by_id(id)?;
    e.set_text_content(None);
    Some(e)
}

// ---------------------------------------------------------------------------------------------
// Header and facts
// ---------------------------------------------------------------------------------------------

/// The tab to show: `?tab=<id>` if given, else the active tab of the current window.
async fn target_tab() -> Option<i32> {
    let search = web_sys::window()?.location().search().ok()?;
    if let Some(id) = search
        .trim_start_matches('?')
        .split('&')
        .find_map(|kv| kv.strip_prefix("tab="))
        .and_then(|v| v.parse::<i32>().ok())
    {
        return Some(id);
    }
    let query = ext::to_js(&serde_json::json!({ "active": true, "currentWindow": true }));
    let tabs = ext::from_js(&ext::call(ext::tabs_query(&query)).await.ok()?);
    tabs.get(0)?.get("id")?.as_i64().map(|id| id as i32)
}

/// Plain words for a status, as the header shows it.
fn status_words(status: &PageStatus) -> String {
    match status {
        PageStatus::NotMatched => t("popup_status_not_matched", &[]),
        PageStatus::Connecting => t("popup_status_connecting", &[]),
        PageStatus::Connected => t("popup_status_connected", &[]),
        PageStatus::Loading => t("popup_status_loading", &[]),
        PageStatus::Loaded => t("popup_status_loaded", &[]),
        PageStatus::Attached => t("popup_status_attached", &[]),
        PageStatus::Failed { reason } => {
            format!("{}: {reason}", t("popup_status_failed", &[]))
        }
    }
}

fn render(view: &TabView) {
    dom::set_text("page-status", &status_words(&view.status));
    dom::set_attr("page-status", "data-state", view.status.id());
    // "Inject into this tab" is offered where nothing runs yet.
    if let Some(button) = dom::by_id("inject") {
        let _ = button.toggle_attribute_with_force("hidden", view.status != PageStatus::NotMatched);
    }
    let site = view.url.as_deref().map(site_of).unwrap_or_default();
    dom::set_text("page-site", site);
    dom::set_attr(
        "page-site",
        "title",
        view.url.as_deref().unwrap_or_default(),
    );
    dom::set_text(
        "page-mode",
        &match view.mode {
            protocol::Mode::Sandbox => t("popup_mode_sandbox", &[]),
            protocol::Mode::JivoChat => t("popup_mode_jivochat", &[]),
        },
    );
    render_facts(view.facts.as_ref());
    render_embed(view);
    match &view.agent {
        Some(a) => {
            set_hidden("agent", false);
            render_agent(a);
        }
        None => set_hidden("agent", true),
    }
    set_disabled("api-call", !view.status.is_connected());
    shown(Part::View);
}

/// Whose widget a JivoChat page uses, the widget IDs when they differ, and "use my widget here"
/// where the site has a widget of its own.
fn render_embed(view: &TabView) {
    let embed = view
        .embed
        .as_ref()
        .filter(|_| view.mode == protocol::Mode::JivoChat);
    set_hidden("embed", embed.is_none());
    let Some(e) = embed else { return };
    let whose = if e.use_mine_here {
        "popup_embed_held_back"
    } else if e.attached {
        "popup_embed_attached"
    } else if matches!(view.status, PageStatus::Loading | PageStatus::Loaded)
        || matches!(view.status, PageStatus::Failed { .. })
    {
        "popup_embed_injected"
    } else {
        "popup_embed_undecided"
    };
    dom::set_text("embed-whose", &t(whose, &[]));
    dom::set_attr(
        "embed-whose",
        "data-whose",
        if e.attached { "site" } else { "ours" },
    );
    let site_id = e.site_id.as_deref().unwrap_or("");
    let configured = e.configured_id.as_deref().unwrap_or("");
    // The IDs are shown when the site has one: both when they differ.
    let differ = !site_id.is_empty() && site_id != configured;
    dom::set_text("embed-site-id", site_id);
    dom::set_text("embed-configured-id", configured);
    for id in ["embed-site-id", "embed-site-id-label"] {
        set_hidden(id, site_id.is_empty());
    }
    for id in ["embed-configured-id", "embed-configured-id-label"] {
        set_hidden(id, !differ || configured.is_empty());
    }
    // Offered where the site brings its own widget and the user has not chosen theirs yet.
    let offer = !e.use_mine_here && (e.attached || differ);
    set_hidden("use-mine", !offer);
}

/// The background's answer to "use my widget here".
fn show_use_mine(rule: Option<String>, error: Option<String>) {
    let text = match (&rule, error) {
        (Some(rule), _) => t("popup_use_mine_done", &[rule.as_str()]),
        (None, why) => t("popup_use_mine_failed", &[why.as_deref().unwrap_or("")]),
    };
    dom::set_text("use-mine-result", &text);
    set_hidden("use-mine-result", false);
    set_hidden("reload-tab", rule.is_none());
    set_hidden("use-mine", rule.is_some());
    set_disabled("use-mine", false);
}

fn render_facts(facts: Option<&WidgetFacts>) {
    set_hidden("facts-none", facts.is_some());
    set_hidden("facts-list", facts.is_none());
    let Some(f) = facts else { return };
    let yes_no = |b: bool| {
        if b {
            t("popup_yes", &[])
        } else {
            t("popup_no", &[])
        }
    };
    dom::set_text("fact-loaded", &yes_no(f.loaded));
    dom::set_text("fact-chat-mode", f.chat_mode.as_str());
    dom::set_text("fact-state", f.state.map_or("—", |s| s.as_str()));
    dom::set_text("fact-visitor-number", &f.visitor_number.to_string());
    dom::set_text("fact-unread", &f.unread.to_string());
    let utm: Vec<String> = [
        ("source", &f.utm.source),
        ("medium", &f.utm.medium),
        ("campaign", &f.utm.campaign),
        ("content", &f.utm.content),
        ("term", &f.utm.term),
    ]
    .iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
    .collect();
    dom::set_text(
        "fact-utm",
        &if utm.is_empty() {
            "—".into()
        } else {
            utm.join(", ")
        },
    );
    dom::set_text("fact-contact", &contact_line(&f.contact_info));
}

fn contact_line(c: &jwi_core::api::call::ContactInfo) -> String {
    let parts: Vec<&str> = [
        c.name.as_deref(),
        c.email.as_ref().map(|e| e.as_str()),
        c.phone.as_ref().map(|p| p.as_str()),
        c.description.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        "—".into()
    } else {
        parts.join(" · ")
    }
}

/// The host part of a URL, for the header.
fn site_of(url: &str) -> &str {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

// ---------------------------------------------------------------------------------------------
// Agent console
// ---------------------------------------------------------------------------------------------

fn setup_agent_console() {
    on("agent-online", "click", |_| {
        let online = POPUP.with(|p| p.borrow().online);
        agent(AgentAction::SetOnline { online: !online });
    });
    on("agent-callbacks", "click", |_| {
        let enabled = POPUP.with(|p| p.borrow().callbacks);
        agent(AgentAction::SetCallbacksEnabled { enabled: !enabled });
    });
    on("agent-accept", "click", |_| agent(AgentAction::AcceptChat));
    let send = || {
        let text = value_of("agent-message");
        if text.trim().is_empty() {
            return;
        }
        agent(AgentAction::SendMessage { text });
        set_value("agent-message", "");
    };
    on("agent-send", "click", move |_| send());
    on("agent-message", "keydown", move |e| {
        let enter = e
            .dyn_ref::<web_sys::KeyboardEvent>()
            .is_some_and(|k| k.key() == "Enter" && !k.is_composing());
        if enter {
            e.prevent_default();
            send();
        }
    });
    on("agent-call-ok", "click", |_| {
        agent(AgentAction::EndCall {
            outcome: jwi_core::sandbox::CallOutcome::Ok,
        })
    });
    on("agent-call-fail", "click", |_| {
        agent(AgentAction::EndCall {
            outcome: jwi_core::sandbox::CallOutcome::Fail {
                reason: value_of("agent-call-reason"),
            },
        })
    });
}

fn render_agent(a: &AgentView) {
    POPUP.with(|p| {
        let mut p = p.borrow_mut();
        p.online = a.online;
        p.callbacks = a.callbacks_enabled;
    });
    dom::set_text(
        "agent-online",
        &if a.online {
            t("popup_agent_go_offline", &[])
        } else {
            t("popup_agent_go_online", &[])
        },
    );
    dom::set_attr("agent-online", "aria-pressed", &a.online.to_string());
    dom::set_attr(
        "agent-online",
        "data-online",
        if a.online { "true" } else { "false" },
    );
    dom::set_text(
        "agent-callbacks",
        &if a.callbacks_enabled {
            t("popup_agent_disable_callbacks", &[])
        } else {
            t("popup_agent_enable_callbacks", &[])
        },
    );
    dom::set_attr(
        "agent-callbacks",
        "aria-pressed",
        &a.callbacks_enabled.to_string(),
    );
    let summary = format!(
        "{} · {} · {}",
        if a.online {
            t("popup_agent_online", &[])
        } else {
            t("popup_agent_offline", &[])
        },
        if a.accepted {
            t("popup_agent_accepted", &[])
        } else {
            t("popup_agent_not_accepted", &[])
        },
        a.current_title
    );
    dom::set_text("agent-summary", &summary);
    set_disabled("agent-accept", a.accepted || !a.online);
    set_disabled("agent-send", !a.online);
    set_disabled("agent-message", !a.online);
    let in_call = a.call.is_some();
    set_disabled("agent-call-ok", !in_call);
    set_disabled("agent-call-fail", !in_call);
    set_disabled("agent-call-reason", !in_call);
    let call_text = match (&a.call, &a.last_call) {
        (Some(c), _) => format!("{} {}", t("popup_agent_calling", &[]), c.phone.as_str()),
        (None, Some(end)) => format!(
            "{} {}: {}",
            t("popup_agent_last_call", &[]),
            end.phone.as_str(),
            if end.ok {
                "ok".to_owned()
            } else {
                format!("fail ({})", end.reason.as_deref().unwrap_or(""))
            }
        ),
        (None, None) => t("popup_agent_no_call", &[]),
    };
    dom::set_text("agent-call", &call_text);

    if let Some(list) = clear("agent-conversation") {
        for m in &a.conversation {
            let author = match m.author {
                jwi_core::sandbox::Author::Visitor => "visitor",
                jwi_core::sandbox::Author::Agent => "agent",
                jwi_core::sandbox::Author::System => "system",
            };
            let li = el("li", &format!("msg msg-{author}"), "");
            append(&li, &el("span", "msg-author", author));
            append(&li, &el("span", "msg-text", &m.text));
            append(&list, &li);
        }
        if a.conversation.is_empty() {
            append(
                &list,
                &el("li", "empty", &t("popup_agent_no_messages", &[])),
            );
        }
        list.set_scroll_top(list.scroll_height());
    }
    dom::set_text("agent-contact", &contact_line(&a.contact_info));
    if let Some(list) = clear("agent-custom-data") {
        for f in &a.custom_data {
            let li = el("li", "custom-field", "");
            if let Some(title) = &f.title {
                append(&li, &el("div", "cf-title", title));
            }
            let line = el("div", "cf-line", "");
            if let Some(key) = &f.key {
                append(&line, &el("b", "cf-key", &format!("{key}: ")));
            }
            let link = f.link.as_deref().filter(|l| {
                let l = l.trim_start().to_ascii_lowercase();
                l.starts_with("http://") || l.starts_with("https://")
            });
            match link {
                Some(url) => {
                    let a = el("a", "cf-content", &f.content);
                    let _ = a.set_attribute("href", url);
                    let _ = a.set_attribute("target", "_blank");
                    let _ = a.set_attribute("rel", "noopener noreferrer");
                    append(&line, &a);
                }
                None => append(&line, &el("span", "cf-content", &f.content)),
            }
            append(&li, &line);
            if let (Some(l), None) = (&f.link, link) {
                append(&li, &el("div", "cf-link", l));
            }
            append(&list, &li);
        }
        if a.custom_data.is_empty() {
            append(&list, &el("li", "empty", "—"));
        }
    }
    dom::set_text("agent-user-token", a.user_token.as_deref().unwrap_or("—"));
    dom::set_text(
        "agent-rules",
        &a.rules
            .as_ref()
            .and_then(|r| serde_json::to_string_pretty(r).ok())
            .unwrap_or_else(|| "—".into()),
    );
    if let Some(list) = clear("agent-pages") {
        for page in &a.pages {
            let li = el("li", "", "");
            append(&li, &el("div", "page-title", &page.title));
            append(&li, &el("div", "page-url", &page.url));
            append(&list, &li);
        }
        if a.pages.is_empty() {
            append(&list, &el("li", "empty", "—"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// API console
// ---------------------------------------------------------------------------------------------

fn setup_api_console() {
    if let Some(select) = dom::by_id("api-method") {
        for m in Method::ALL {
            let opt = el("option", "", m.name());
            let _ = opt.set_attribute("value", m.name());
            append(&select, &opt);
        }
    }
    build_fields();
    on("api-method", "change", |_| {
        POPUP.with(|p| p.borrow_mut().rows = 1);
        build_fields();
    });
    on("api-call", "click", |_| call_api());
}

fn selected_method() -> Method {
    Method::from_name(&value_of("api-method")).unwrap_or(Method::Open)
}

/// Builds the selected method's inputs into `#api-args`.
fn build_fields() {
    let method = selected_method();
    let Some(box_) = clear("api-args") else {
        return;
    };
    clear_errors();
    dom::set_text("api-result", "");
    dom::set_attr("api-result", "data-kind", "none");
    for f in console_form::fields(method) {
        append(&box_, &field_row(f.name, f.kind, f.placeholder));
    }
    if method == Method::SetCustomData {
        let rows = POPUP.with(|p| p.borrow().rows);
        let list = el("div", "cd-rows", "");
        list.set_id("api-arg-fields");
        for row in 0..rows {
            let fs = el("fieldset", "cd-row", "");
            append(&fs, &el("legend", "", &format!("fields[{row}]")));
            for part in console_form::CUSTOM_FIELD_PARTS {
                append(
                    &fs,
                    &field_row(&format!("fields-{row}-{part}"), Kind::Text, ""),
                );
            }
            append(&list, &fs);
        }
        append(&box_, &list);
        let add = el("button", "", &t("popup_api_add_field", &[]));
        add.set_id("api-arg-fields-add");
        let _ = add.set_attribute("type", "button");
        append(&box_, &add);
        on("api-arg-fields-add", "click", |_| {
            // Keep what was typed: read the rows, rebuild with one more, write them back.
            let rows = POPUP.with(|p| p.borrow().rows);
            let saved: Vec<(String, String)> = (0..rows)
                .flat_map(|r| console_form::CUSTOM_FIELD_PARTS.map(|p| format!("fields-{r}-{p}")))
                .map(|n| {
                    let v = value_of(&format!("api-arg-{n}"));
                    (n, v)
                })
                .collect();
            POPUP.with(|p| p.borrow_mut().rows = (rows + 1).min(20));
            build_fields();
            for (n, v) in saved {
                set_value(&format!("api-arg-{n}"), &v);
            }
        });
    }
    if console_form::fields(method).is_empty() && method != Method::SetCustomData {
        append(&box_, &el("p", "hint", &t("popup_api_no_args", &[])));
    }
}

/// A labelled input for one field, with its error slot `api-err-<name>`.
fn field_row(name: &str, kind: Kind, placeholder: &str) -> Element {
    let row = el("div", "arg", "");
    let id = format!("api-arg-{name}");
    let label = el("label", "", name.rsplit('-').next().unwrap_or(name));
    let _ = label.set_attribute("for", &id);
    let input = match kind {
        Kind::Text => {
            let i = el("input", "", "");
            let _ = i.set_attribute("type", "text");
            i
        }
        Kind::Check => {
            let i = el("input", "", "");
            let _ = i.set_attribute("type", "checkbox");
            i
        }
        Kind::Area => {
            let a = el("textarea", "", "");
            let _ = a.set_attribute("rows", "3");
            a
        }
        Kind::Select(options) => {
            let s = el("select", "", "");
            for o in options {
                let opt = el("option", "", o);
                let _ = opt.set_attribute("value", o);
                append(&s, &opt);
            }
            s
        }
    };
    input.set_id(&id);
    if !placeholder.is_empty() {
        let _ = input.set_attribute("placeholder", placeholder);
    }
    let err_id = format!("api-err-{name}");
    let _ = input.set_attribute("aria-describedby", &err_id);
    append(&row, &label);
    append(&row, &input);
    let err = el("span", "field-error", "");
    err.set_id(&err_id);
    let _ = err.set_attribute("role", "alert");
    append(&row, &err);
    row
}

fn clear_errors() {
    if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
        if let Ok(list) = doc.query_selector_all(".field-error") {
            for i in 0..list.length() {
                if let Some(n) = list.item(i) {
                    n.set_text_content(None);
                }
            }
        }
        if let Ok(list) = doc.query_selector_all("[aria-invalid]") {
            for i in 0..list.length() {
                if let Some(e) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                    let _ = e.remove_attribute("aria-invalid");
                }
            }
        }
    }
    dom::set_text("api-error", "");
}

fn call_api() {
    clear_errors();
    let method = selected_method();
    let rows = POPUP.with(|p| p.borrow().rows);
    let get = |name: &str| value_of(&format!("api-arg-{name}"));
    match console_form::build_call(method, &get, rows) {
        Err(e) => {
            let slot = console_form::error_slot(e.field());
            let target = format!("api-err-{slot}");
            if dom::by_id(&target).is_some() {
                dom::set_text(&target, &e.to_string());
                dom::set_attr(&format!("api-arg-{slot}"), "aria-invalid", "true");
            } else {
                dom::set_text("api-error", &e.to_string());
            }
            dom::set_text("api-result", "");
            dom::set_attr("api-result", "data-kind", "refused");
        }
        Ok(call) => {
            let id = POPUP.with(|p| {
                let mut p = p.borrow_mut();
                let id = p.next_id;
                p.next_id += 1;
                p.pending = Some(id);
                id
            });
            dom::set_text("api-result", &t("popup_api_waiting", &[]));
            dom::set_attr("api-result", "data-kind", "pending");
            dom::set_attr("api-result", "data-id", &id.to_string());
            post(|tab| FromPopup::CallApi { tab, id, call });
        }
    }
}

fn show_result(id: u32, outcome: &CallOutcome) {
    if POPUP.with(|p| p.borrow().pending) != Some(id) {
        return;
    }
    let compact = |v: &Value| serde_json::to_string(v).unwrap_or_default();
    let (kind, text) = if let Some(threw) = &outcome.threw {
        ("threw", format!("{}: {threw}", t("popup_api_threw", &[])))
    } else if let Some(args) = &outcome.callback_args {
        (
            "callback",
            format!(
                "{} {}",
                t("popup_api_callback", &[]),
                compact(&Value::Array(args.clone()))
            ),
        )
    } else if let Some(v) = &outcome.returned {
        (
            "returned",
            format!("{} {}", t("popup_api_returned", &[]), compact(v)),
        )
    } else {
        ("returned", t("popup_api_undefined", &[]))
    };
    dom::set_text("api-result", &text);
    dom::set_attr("api-result", "data-kind", kind);
    let value = outcome
        .callback_args
        .as_ref()
        .map(|a| Value::Array(a.clone()))
        .or_else(|| outcome.returned.clone())
        .map(|v| compact(&v))
        .unwrap_or_default();
    dom::set_attr("api-result", "data-value", &value);
}
