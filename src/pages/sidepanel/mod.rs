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

use jwi_browser::dom::{self, append, el, on, set_hidden, set_value, value_of};
use jwi_browser::ext;
use jwi_browser::i18n::{self, t};
use jwi_core::protocol::popup::{FromPopup, TabView, ToPopup};
use jwi_core::sandbox::{AgentAction, AgentView, Author};

use crate::shared::{self, connection};

struct Side {
    /// Whether `?tab=` fixed the tab (then it does not follow the active tab).
    fixed: bool,
    /// Each tab's unsent reply.
    drafts: HashMap<i32, String>,
    online: bool,
}

thread_local! {
    static SIDE: RefCell<Side> = RefCell::new(Side {
        fixed: false, drafts: HashMap::new(), online: true,
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
            if let (true, Some(u)) = (tab == Some(connection::tab()), url) {
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
    let old = connection::tab();
    if old == tab && connection::is_connected() {
        return;
    }
    let draft = SIDE.with(|s| {
        let mut s = s.borrow_mut();
        let text = value_of("agent-message");
        if old >= 0 {
            s.drafts.insert(old, text);
        }
        s.drafts.get(&tab).cloned().unwrap_or_default()
    });
    set_value("agent-message", &draft);
    dom::set_attr("side", "data-tab", &tab.to_string());
    connection::watch(
        tab,
        connection::Handlers {
            message: |msg| {
                if let ToPopup::Tab(view) = msg {
                    render(&view);
                }
            },
            connected: |_| {},
        },
    );
}

fn agent(action: AgentAction) {
    connection::post(|tab| FromPopup::Agent { tab, action });
}

fn setup_controls() {
    on("agent-online", "click", |_| {
        let online = SIDE.with(|s| s.borrow().online);
        agent(AgentAction::SetOnline { online: !online });
    });
    on("agent-accept", "click", |_| agent(AgentAction::AcceptChat));
    shared::agent::wire_reply(|| {
        if shared::agent::send_reply(agent) {
            let tab = connection::tab();
            SIDE.with(|s| s.borrow_mut().drafts.remove(&tab));
        }
    });
    on("agent-message", "input", |_| {
        let text = value_of("agent-message");
        let tab = connection::tab();
        SIDE.with(|s| s.borrow_mut().drafts.insert(tab, text));
    });
    shared::agent::wire_call_end(agent);
}

fn render(view: &TabView) {
    crate::shared::render_tab_header(view);
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
    let (online, accepted) = shared::agent::state_words(a);
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
    dom::set_text("agent-summary", &format!("{online} · {accepted}"));
    shared::agent::enable_controls(a);
    dom::set_text(
        "agent-call",
        &match &a.call {
            Some(c) => format!("{} {}", t("popup_agent_calling", &[]), c.phone.as_str()),
            None => t("popup_agent_no_call", &[]),
        },
    );
    shared::agent::render_conversation(
        &a.conversation,
        |author| match author {
            Author::Visitor => t("side_author_visitor", &[]),
            Author::Agent => t("side_author_agent", &[]),
            Author::System => t("side_author_system", &[]),
        },
        |_, _| {},
    );
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
