//! The popup: shows one tab (the active one, or `?tab=<id>`) and keeps it live over a port —
//! the page's status, the widget's facts, the live event log, the sandbox agent's console and
//! the API console, and a summary of the integration checks' findings.
//!
//! Everything that came from a page is put into the DOM with `textContent`, never as HTML;
//! a custom-data link becomes an `<a>` only when it is http(s), set with `setAttribute`.

mod findings;
mod log_panel;

use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::Element;

use jwi_browser::dom::{self, append, el, on, set_disabled, set_hidden};
use jwi_browser::ext;
use jwi_browser::i18n::{self, t};
use jwi_core::protocol::popup::{FromPopup, TabView, ToPopup};
use jwi_core::protocol::{self, decode, PageStatus};
use jwi_core::sandbox::{AgentAction, AgentView, WidgetFacts};
use jwi_core::view::popup_page::{self, Notice};

use crate::shared;

/// The popup's state between events.
struct Popup {
    port: Option<ext::Port>,
    tab: i32,
    /// The site rule "Add a rule" adds, when offered.
    add_rule: Option<String>,
    /// Whether the tab's view and its log have been shown yet (for the `jwi:open` mark).
    shown: (bool, bool),
    /// Whether the popup is open (the frame showing both has been painted).
    open: bool,
    /// What waits for the popup to be open.
    after_open: Vec<Box<dyn FnOnce()>>,
}

thread_local! {
    static POPUP: RefCell<Popup> = const { RefCell::new(Popup {
        port: None, tab: -1, add_rule: None,
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
    on("keep-injecting", "change", |_| {
        let keep = dom::checked("keep-injecting");
        post(|tab| FromPopup::KeepInjecting { tab, keep });
    });
    on("add-rule", "click", |_| add_rule());
    on("use-mine", "click", |_| {
        set_disabled("use-mine", true);
        post(|tab| FromPopup::UseMineHere { tab })
    });
    // "Reload" (the offer) and "Reload the tab" (after "use my widget here") do the same.
    for id in ["reload", "reload-tab"] {
        on(id, "click", |_| {
            let tab = POPUP.with(|p| p.borrow().tab);
            spawn_local(async move {
                let _ = ext::call(ext::tabs_reload(tab)).await;
            });
        });
    }
    log_panel::setup();
    setup_agent_console();
    crate::api_console::setup(|id, call, anyway| {
        post(|tab| FromPopup::CallApi {
            tab,
            id,
            call,
            anyway,
        })
    });
    findings::setup();
    spawn_local(async {
        let Some(tab) = target_tab().await else {
            dom::set_text("page-status", &t("popup_no_tab", &[]));
            return;
        };
        let Some(port) = ext::connect(protocol::popup::PORT_NAME) else {
            return;
        };
        let on_message = Closure::<dyn FnMut(JsValue)>::new(|msg: JsValue| {
            let Some(text) = msg.as_string() else { return };
            let opening = POPUP.with(|p| p.borrow().shown != (true, true));
            if opening {
                mark("message");
            }
            match decode::<ToPopup>(&text, shared::connection::MESSAGE_BYTES) {
                Ok(ToPopup::Tab(view)) => render(&view),
                Ok(ToPopup::ApiResult { id, outcome }) => {
                    crate::api_console::show_result(id, &outcome)
                }
                Ok(ToPopup::Findings { findings, .. }) => {
                    log_panel::set_error_evidence(jwi_core::checks::error_evidence(&findings));
                    findings::render(&findings);
                }
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
pub(crate) async fn target_tab() -> Option<i32> {
    if let Some(id) = shared::tab_param() {
        return Some(id);
    }
    let query = ext::to_js(&serde_json::json!({ "active": true, "currentWindow": true }));
    let tabs = ext::from_js(&ext::call(ext::tabs_query(&query)).await.ok()?);
    tabs.get(0)?.get("id")?.as_i64().map(|id| id as i32)
}

/// Plain words for a status, as the header shows it.
pub(crate) fn status_words(status: &PageStatus) -> String {
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
    let offer = popup_page::offer(view);
    dom::set_text("page-status", &status_words(&view.status));
    dom::set_attr("page-status", "data-state", view.status.id());
    render_offer(view, &offer);
    let site = view
        .url
        .as_deref()
        .map(popup_page::site_label)
        .unwrap_or_default();
    dom::set_text("page-site", site);
    dom::set_attr(
        "page-site",
        "title",
        view.url.as_deref().unwrap_or_default(),
    );
    dom::set_text(
        "page-mode",
        &if offer.running {
            match view.mode {
                protocol::Mode::Sandbox => t("popup_mode_sandbox", &[]),
                protocol::Mode::JivoChat => t("popup_mode_jivochat", &[]),
            }
        } else {
            String::new()
        },
    );
    // Where nothing runs, nothing of a widget is shown (a reload or another site left none).
    render_facts(view.facts.as_ref().filter(|_| offer.running));
    render_site_widget(&view.site_widget);
    render_embed(view);
    match view.agent.as_ref().filter(|_| offer.running) {
        Some(a) => {
            set_hidden("agent", false);
            render_agent(a);
        }
        None => set_hidden("agent", true),
    }
    set_disabled("api-call", !view.status.is_connected());
    shown(Part::View);
}

/// The notice and buttons for a tab where the extension does not run (see
/// [`popup_page::offer`]).
fn render_offer(view: &TabView, offer: &popup_page::Offer) {
    let site = view
        .url
        .as_deref()
        .map(popup_page::site_label)
        .unwrap_or_default();
    let (id, text) = match offer.notice {
        Notice::None => ("none", String::new()),
        Notice::CoveredFromNextLoad => ("covered", t("popup_notice_covered", &[site])),
        Notice::InjectionGone => ("injectionGone", t("popup_notice_injection_gone", &[])),
        Notice::NoRule => ("noRule", t("popup_notice_no_rule", &[site])),
        Notice::CannotRun(why) => ("cannotRun", t(why.message_key(), &[])),
    };
    dom::set_text("page-notice", &text);
    dom::set_attr("page-notice", "data-notice", id);
    set_hidden("page-offer", offer.notice == Notice::None);
    set_hidden("reload", !offer.reload);
    set_hidden("inject", !offer.inject);
    match &offer.add_rule {
        Some(rule) => {
            dom::set_text("add-rule", &t("popup_add_rule", &[rule]));
            dom::set_attr("add-rule", "data-rule", rule);
            set_hidden("add-rule", false);
        }
        None => set_hidden("add-rule", true),
    }
    set_hidden("keep-injecting-row", !offer.keep_injecting);
    dom::set_checked("keep-injecting", view.keep_injecting);
    POPUP.with(|p| p.borrow_mut().add_rule = offer.add_rule.clone());
}

/// "Add a rule for …": adds the core's rule for the page's site to the user's settings, as
/// the options page does: the same validation, and the host permission asked for (in the click
/// itself, as browsers require). The background then registers it; the popup hears that the
/// page is covered from its next load.
fn add_rule() {
    let Some(rule) = POPUP.with(|p| p.borrow().add_rule.clone()) else {
        return;
    };
    let origins = jwi_core::site_rule::SiteRule::parse(&rule)
        .map(|r| {
            jwi_core::view::settings_form::permission_origins(&jwi_core::site_rule::SiteRules::new(
                vec![r],
            ))
        })
        .unwrap_or_default();
    let request = jwi_browser::bindings::permissions_request(&ext::to_js(
        &serde_json::json!({ "origins": origins }),
    ));
    set_disabled("add-rule", true);
    spawn_local(async move {
        let granted = match request {
            Ok(promise) => ext::call(promise).await.map(|v| v.as_bool() == Some(true)),
            Err(e) => Err(ext::error_text(&e)),
        };
        let result = write_rule(&rule).await;
        set_disabled("add-rule", false);
        let (kind, text) = match (result, granted) {
            (Err(e), _) => ("error", t("popup_add_rule_failed", &[&e])),
            (Ok(()), Ok(true)) => ("ok", t("popup_add_rule_done", &[&rule])),
            (Ok(()), _) => ("error", t("popup_add_rule_no_permission", &[&rule])),
        };
        dom::set_text("add-rule-status", &text);
        dom::set_attr("add-rule-status", "data-kind", kind);
    });
}

/// Adds `rule` to the stored settings document, or says why not.
async fn write_rule(rule: &str) -> Result<(), String> {
    use jwi_browser::storage::{self, Area};
    use jwi_core::storage_keys::{SETTINGS, SETTINGS_IN_FORCE};
    use jwi_core::view::settings_form;
    let stored = storage::get(Area::Local, &[SETTINGS, SETTINGS_IN_FORCE]).await?;
    let managed = storage::managed()
        .await
        .and_then(settings_form::managed_document);
    let loaded = settings_form::load(
        stored.get(SETTINGS).unwrap_or(&serde_json::Value::Null),
        stored
            .get(SETTINGS_IN_FORCE)
            .unwrap_or(&serde_json::Value::Null),
        managed.as_ref(),
    );
    if loaded.effective.is_locked("sites") {
        return Err(t("popup_add_rule_locked", &[]));
    }
    if !loaded.stored_problems.is_empty() {
        return Err(t("popup_add_rule_invalid_settings", &[]));
    }
    let mut form = loaded.form;
    let added = settings_form::add_site(&form, rule, managed.as_ref()).map_err(|problems| {
        problems
            .iter()
            .map(settings_form::inline_message)
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    form.sites.push(added);
    let doc = form.to_document();
    if let Some(e) = settings_form::validate(&doc, managed.as_ref()).first() {
        return Err(settings_form::inline_message(e));
    }
    storage::set_one(Area::Local, SETTINGS, settings_form::canonical(&doc)).await
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

/// What happened about the site's own JivoChat (sandbox mode): held back, or the sandbox
/// stayed out.
fn render_site_widget(notices: &[protocol::runtime::SiteWidgetNotice]) {
    use protocol::runtime::SiteWidgetNotice;
    let Some(list) = dom::by_id("site-widget") else {
        return;
    };
    list.set_text_content(None);
    for notice in notices {
        let (key, id, url) = match notice {
            SiteWidgetNotice::HeldBack { widget_id, url } => {
                ("popup_site_widget_held_back", widget_id, url)
            }
            SiteWidgetNotice::StoodDown { widget_id, url } => {
                ("popup_site_widget_stood_down", widget_id, url)
            }
        };
        let no_id = t("popup_site_widget_no_id", &[]);
        let id = id.as_deref().unwrap_or(&no_id);
        let _ = list.append_child(&dom::el("li", "", &t(key, &[id, url])));
    }
    set_hidden("site-widget", notices.is_empty());
}

pub(crate) fn render_facts(facts: Option<&WidgetFacts>) {
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
    fact_words(
        "fact-chat-mode",
        &t(popup_page::chat_mode_key(f.chat_mode), &[]),
        f.chat_mode.as_str(),
    );
    match f.state {
        Some(s) => fact_words("fact-state", &t(popup_page::state_key(s), &[]), s.as_str()),
        None => fact_words("fact-state", "—", ""),
    }
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

/// A fact in a person's words, with the API's value beside it (secondary text, also the
/// tooltip and `data-value`).
fn fact_words(id: &str, words: &str, api: &str) {
    let Some(dd) = clear(id) else { return };
    append(&dd, &el("span", "fact-words", words));
    if !api.is_empty() {
        let code = el("code", "fact-api", api);
        append(&dd, &code);
    }
    let _ = dd.set_attribute("data-value", api);
    let _ = dd.set_attribute("title", api);
}

pub(crate) fn contact_line(c: &jwi_core::api::call::ContactInfo) -> String {
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
pub(crate) fn site_of(url: &str) -> &str {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

// ---------------------------------------------------------------------------------------------
// Agent console
// ---------------------------------------------------------------------------------------------

fn setup_agent_console() {
    on("agent-online", "change", |_| {
        agent(AgentAction::SetOnline {
            online: dom::checked("agent-online"),
        });
    });
    on("agent-callbacks", "change", |_| {
        agent(AgentAction::SetCallbacksEnabled {
            enabled: dom::checked("agent-callbacks"),
        });
    });
    on("agent-accept", "click", |_| agent(AgentAction::AcceptChat));
    shared::agent::wire_reply(|| {
        shared::agent::send_reply(agent);
    });
    shared::agent::wire_call_end(agent);
}

fn render_agent(a: &AgentView) {
    dom::set_checked("agent-online", a.online);
    dom::set_attr(
        "agent-online",
        "data-online",
        if a.online { "true" } else { "false" },
    );
    dom::set_checked("agent-callbacks", a.callbacks_enabled);
    let (online, accepted) = shared::agent::state_words(a);
    let summary = format!("{online} · {accepted} · {}", a.current_title);
    dom::set_text("agent-summary", &summary);
    shared::agent::enable_controls(a);
    set_disabled("agent-message", !a.online);
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

    shared::agent::render_conversation(
        &a.conversation,
        |author| {
            let author = match author {
                jwi_core::sandbox::Author::Visitor => "visitor",
                jwi_core::sandbox::Author::Agent => "agent",
                jwi_core::sandbox::Author::System => "system",
            };
            t(&format!("popup_author_{author}"), &[])
        },
        |m, li| {
            // When, and whether it was left while the agents were offline.
            let at = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(m.time_ms as f64));
            let mut meta = format!("{:02}:{:02}", at.get_hours(), at.get_minutes());
            if m.offline {
                meta.push_str(" \u{b7} ");
                meta.push_str(&t("popup_msg_offline", &[]));
                let _ = li.class_list().add_1("msg-offline");
            }
            append(li, &el("span", "msg-time", &meta));
        },
    );
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
