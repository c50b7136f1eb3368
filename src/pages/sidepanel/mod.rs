//! The side panel (Chrome's `side_panel`, Firefox's `sidebar_action`): the agent's seat for the
//! active tab's sandbox widget — the conversation, a reply box, online/offline, accept, ending
//! a call, and what the visitor sent (contact, custom data, user token).
//!
//! It follows the active tab (`tabs.onActivated`, and `tabs.onUpdated` of that tab), unless
//! opened with `?tab=<id>`, and keeps each tab's unsent reply in memory while it is open. Like
//! the DevTools panel it watches over a `popup` port and connects again when the port goes.

use std::cell::RefCell;
use std::collections::HashMap;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;

use jwi_browser::dom::{self, append, el, on, set_disabled, set_hidden, set_value, value_of};
use jwi_browser::ext;
use jwi_browser::i18n::{self, t};
use jwi_core::protocol::popup::{FromPopup, TabView, ToPopup};
use jwi_core::protocol::{self, decode, limits};
use jwi_core::sandbox::{AgentAction, AgentView, Author, CallEnd};

struct Side {
    /// The tab shown (-1 before it is known).
    tab: i32,
    /// Whether `?tab=` fixed it (then it does not follow the active tab).
    fixed: bool,
    port: Option<ext::Port>,
    connection: u32,
    /// Each tab's unsent reply.
    drafts: HashMap<i32, String>,
    online: bool,
}

thread_local! {
    static SIDE: RefCell<Side> = RefCell::new(Side {
        tab: -1, fixed: false, port: None, connection: 0, drafts: HashMap::new(), online: true,
    });
}

/// Entry point, called by `sidepanel.js` once the module is instantiated.
#[wasm_bindgen]
pub fn start_side_panel() {
    i18n::localize_page();
    setup_controls();
    let fixed = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .is_some_and(|s| s.contains("tab="));
    SIDE.with(|s| s.borrow_mut().fixed = fixed);
    let on_activated = Closure::<dyn FnMut(JsValue)>::new(|info: JsValue| {
        let tab = js_sys::Reflect::get(&info, &"tabId".into())
            .ok()
            .and_then(|v| v.as_f64());
        if let Some(tab) = tab {
            follow(tab as i32);
        }
    });
    ext::TABS_ON_ACTIVATED.with(|e| e.add_listener(on_activated.as_ref().unchecked_ref()));
    on_activated.forget();
    let on_updated = Closure::<dyn FnMut(JsValue, JsValue, JsValue)>::new(
        |tab: JsValue, change: JsValue, _: JsValue| {
            let tab = tab.as_f64().map(|t| t as i32);
            let url = js_sys::Reflect::get(&change, &"url".into())
                .ok()
                .and_then(|u| u.as_string());
            if let (true, Some(u)) = (tab == Some(SIDE.with(|s| s.borrow().tab)), url) {
                // The shown tab went to another page: its view follows over the port; show
                // the new address at once.
                dom::set_text("page-site", crate::popup::site_of(&u));
            }
        },
    );
    ext::TABS_ON_UPDATED.with(|e| e.add_listener(on_updated.as_ref().unchecked_ref()));
    on_updated.forget();
    spawn_local(async {
        match crate::popup::target_tab().await {
            Some(tab) => show_tab(tab),
            None => dom::set_text("page-status", &t("popup_no_tab", &[])),
        }
    });
}

/// The active tab changed: show it, unless a tab was given with `?tab=`.
fn follow(tab: i32) {
    if !SIDE.with(|s| s.borrow().fixed) {
        show_tab(tab);
    }
}

/// Switches to `tab`: keeps the old tab's draft, restores the new one's, watches it.
fn show_tab(tab: i32) {
    let (old_port, draft) = SIDE.with(|s| {
        let mut s = s.borrow_mut();
        if s.tab == tab && s.port.is_some() {
            return (None, None);
        }
        let old = s.tab;
        let text = value_of("agent-message");
        if old >= 0 {
            s.drafts.insert(old, text);
        }
        s.tab = tab;
        (
            s.port.take(),
            Some(s.drafts.get(&tab).cloned().unwrap_or_default()),
        )
    });
    let Some(draft) = draft else { return };
    if let Some(p) = old_port {
        p.disconnect();
    }
    set_value("agent-message", &draft);
    dom::set_attr("side", "data-tab", &tab.to_string());
    connect();
}

fn connect() {
    let Some(port) = ext::connect("popup") else {
        reconnect_later();
        return;
    };
    let (tab, connection) = SIDE.with(|s| {
        let mut s = s.borrow_mut();
        s.connection += 1;
        s.port = Some(port.clone());
        (s.tab, s.connection)
    });
    let on_message = Closure::<dyn FnMut(JsValue)>::new(|msg: JsValue| {
        let Some(text) = msg.as_string() else { return };
        let limit = 3 * jwi_core::event_log::MAX_LOG_BYTES + limits::RUNTIME_MESSAGE_BYTES;
        if let Ok(ToPopup::Tab(view)) = decode::<ToPopup>(&text, limit) {
            render(&view);
        }
    });
    port.on_message()
        .add_listener(on_message.as_ref().unchecked_ref());
    on_message.forget();
    let on_disconnect = Closure::<dyn FnMut()>::new(move || {
        let current = SIDE.with(|s| s.borrow().connection == connection);
        if current {
            SIDE.with(|s| s.borrow_mut().port = None);
            reconnect_later();
        }
    });
    port.on_disconnect()
        .add_listener(on_disconnect.as_ref().unchecked_ref());
    on_disconnect.forget();
    port.post(&protocol::encode(&FromPopup::Watch { tab }));
}

fn reconnect_later() {
    spawn_local(async {
        jwi_browser::timers::sleep(250).await;
        if SIDE.with(|s| s.borrow().port.is_none()) {
            connect();
        }
    });
}

fn agent(action: AgentAction) {
    SIDE.with(|s| {
        let s = s.borrow();
        if let Some(port) = &s.port {
            let msg = FromPopup::Agent { tab: s.tab, action };
            port.post(&protocol::encode(&msg));
        }
    });
}

fn setup_controls() {
    on("agent-online", "click", |_| {
        let online = SIDE.with(|s| s.borrow().online);
        agent(AgentAction::SetOnline { online: !online });
    });
    on("agent-accept", "click", |_| agent(AgentAction::AcceptChat));
    let send = || {
        let text = value_of("agent-message");
        if text.trim().is_empty() {
            return;
        }
        agent(AgentAction::SendMessage { text });
        set_value("agent-message", "");
        SIDE.with(|s| {
            let mut s = s.borrow_mut();
            let tab = s.tab;
            s.drafts.remove(&tab);
        });
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
    on("agent-message", "input", |_| {
        let text = value_of("agent-message");
        SIDE.with(|s| {
            let mut s = s.borrow_mut();
            let tab = s.tab;
            s.drafts.insert(tab, text);
        });
    });
    on("agent-call-ok", "click", |_| {
        agent(AgentAction::EndCall {
            outcome: CallEnd::Ok,
        })
    });
    on("agent-call-fail", "click", |_| {
        agent(AgentAction::EndCall {
            outcome: CallEnd::Fail {
                reason: value_of("agent-call-reason"),
            },
        })
    });
}

fn render(view: &TabView) {
    dom::set_text("page-status", &crate::popup::status_words(&view.status));
    dom::set_attr("page-status", "data-state", view.status.id());
    let url = view.url.as_deref().unwrap_or_default();
    dom::set_text("page-site", crate::popup::site_of(url));
    dom::set_attr("page-site", "title", url);
    match &view.agent {
        Some(a) => {
            set_hidden("agent", false);
            set_hidden("no-agent", true);
            render_agent(a);
        }
        None => {
            set_hidden("agent", true);
            set_hidden("no-agent", false);
        }
    }
}

fn render_agent(a: &AgentView) {
    SIDE.with(|s| s.borrow_mut().online = a.online);
    dom::set_text(
        "agent-online",
        &if a.online {
            t("popup_agent_go_offline", &[])
        } else {
            t("popup_agent_go_online", &[])
        },
    );
    dom::set_attr("agent-online", "aria-pressed", &a.online.to_string());
    dom::set_attr("agent-online", "data-online", &a.online.to_string());
    dom::set_text(
        "agent-summary",
        &format!(
            "{} · {}",
            if a.online {
                t("popup_agent_online", &[])
            } else {
                t("popup_agent_offline", &[])
            },
            if a.accepted {
                t("popup_agent_accepted", &[])
            } else {
                t("popup_agent_not_accepted", &[])
            }
        ),
    );
    set_disabled("agent-accept", a.accepted || !a.online);
    set_disabled("agent-send", !a.online);
    let in_call = a.call.is_some();
    set_disabled("agent-call-ok", !in_call);
    set_disabled("agent-call-fail", !in_call);
    set_disabled("agent-call-reason", !in_call);
    dom::set_text(
        "agent-call",
        &match &a.call {
            Some(c) => format!("{} {}", t("popup_agent_calling", &[]), c.phone.as_str()),
            None => t("popup_agent_no_call", &[]),
        },
    );
    if let Some(list) = dom::by_id("agent-conversation") {
        list.set_text_content(None);
        for m in &a.conversation {
            let (class, who) = match m.author {
                Author::Visitor => ("visitor", t("side_author_visitor", &[])),
                Author::Agent => ("agent", t("side_author_agent", &[])),
                Author::System => ("system", t("side_author_system", &[])),
            };
            let li = el("li", &format!("msg msg-{class}"), "");
            append(&li, &el("span", "msg-author", &who));
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
    dom::set_text(
        "agent-contact",
        &crate::popup::contact_line(&a.contact_info),
    );
    dom::set_text("agent-user-token", a.user_token.as_deref().unwrap_or("—"));
    if let Some(list) = dom::by_id("agent-custom-data") {
        list.set_text_content(None);
        for f in &a.custom_data {
            let line = [
                f.title.as_deref(),
                f.key.as_deref(),
                Some(f.content.as_str()),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ");
            append(&list, &el("li", "custom-field", &line));
        }
        if a.custom_data.is_empty() {
            append(&list, &el("li", "empty", "—"));
        }
    }
}
