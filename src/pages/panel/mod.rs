//! The DevTools panel ("JivoChat"): the QA workbench for the inspected tab — its live log with
//! page-load dividers and the time between rows, filters and search remembered per surface
//! (`storage.local`, [`Prefs`]), pause, "keep across reloads", the widget's facts, the API
//! console and every finding of the integration checks with links to its evidence rows.
//!
//! The tab is `devtools.inspectedWindow.tabId` inside DevTools, else `?tab=<id>` (so the page
//! can be opened on its own, as the end-to-end tests do). The panel watches the tab over a
//! `popup` port like the popup; when the port goes (the background stopped, or restarted) it
//! connects again by itself and rebuilds its view from the log, whose entry ids make sure
//! nothing is lost or shown twice.

mod findings;
mod log;

use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;

use jwi_browser::dom;
use jwi_browser::ext;
use jwi_browser::i18n::{self, t};
use jwi_core::protocol::popup::{FromPopup, TabView, ToPopup};
use jwi_core::protocol::{self, decode, limits};

/// The biggest message the panel reads (as the popup: a whole log with room to spare).
const MESSAGE_BYTES: usize = 3 * jwi_core::event_log::MAX_LOG_BYTES + limits::RUNTIME_MESSAGE_BYTES;

/// How long the panel waits before connecting again after its port went.
const RECONNECT_MS: u32 = 250;

struct Panel {
    tab: i32,
    port: Option<ext::Port>,
    /// Counts connections, so that a stale port's disconnect does not reconnect twice.
    connection: u32,
}

thread_local! {
    static PANEL: RefCell<Panel> = const { RefCell::new(Panel { tab: -1, port: None, connection: 0 }) };
}

/// Entry point, called by `panel.js` once the module is instantiated.
#[wasm_bindgen]
pub fn start_panel() {
    i18n::localize_page();
    log::setup();
    findings::setup();
    crate::api_console::setup(|id, call| post(|tab| FromPopup::CallApi { tab, id, call }));
    spawn_local(async {
        let Some(tab) = inspected_tab().or(query_tab()) else {
            dom::set_text("page-status", &t("popup_no_tab", &[]));
            return;
        };
        PANEL.with(|p| p.borrow_mut().tab = tab);
        dom::set_attr("panel", "data-tab", &tab.to_string());
        log::load_prefs().await;
        connect();
    });
}

/// `devtools.inspectedWindow.tabId`, when the page runs inside DevTools.
fn inspected_tab() -> Option<i32> {
    let browser = js_sys::Reflect::get(&js_sys::global(), &"browser".into()).ok()?;
    let devtools = js_sys::Reflect::get(&browser, &"devtools".into()).ok()?;
    let window = js_sys::Reflect::get(&devtools, &"inspectedWindow".into()).ok()?;
    js_sys::Reflect::get(&window, &"tabId".into())
        .ok()?
        .as_f64()
        .map(|id| id as i32)
}

/// `?tab=<id>`.
fn query_tab() -> Option<i32> {
    let search = web_sys::window()?.location().search().ok()?;
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|kv| kv.strip_prefix("tab="))
        .and_then(|v| v.parse().ok())
}

/// Connects to the background and watches the tab; connects again whenever the port goes.
fn connect() {
    let Some(port) = ext::connect("popup") else {
        reconnect_later();
        return;
    };
    let (tab, connection) = PANEL.with(|p| {
        let mut p = p.borrow_mut();
        p.connection += 1;
        p.port = Some(port.clone());
        (p.tab, p.connection)
    });
    let on_message = Closure::<dyn FnMut(JsValue)>::new(|msg: JsValue| {
        let Some(text) = msg.as_string() else { return };
        match decode::<ToPopup>(&text, MESSAGE_BYTES) {
            Ok(ToPopup::Tab(view)) => render(&view),
            Ok(ToPopup::Log {
                reset,
                summary,
                entries,
            }) => log::on_log(reset, summary, entries),
            Ok(ToPopup::ApiResult { id, outcome }) => crate::api_console::show_result(id, &outcome),
            Ok(ToPopup::Findings { findings, overflow }) => {
                log::set_error_evidence(jwi_core::checks::error_evidence(&findings));
                findings::render(&findings, overflow);
            }
            Ok(ToPopup::LogExport { .. } | ToPopup::UseMine { .. }) | Err(_) => {}
        }
    });
    port.on_message()
        .add_listener(on_message.as_ref().unchecked_ref());
    on_message.forget();
    let on_disconnect = Closure::<dyn FnMut()>::new(move || {
        let current = PANEL.with(|p| p.borrow().connection == connection);
        if current {
            PANEL.with(|p| p.borrow_mut().port = None);
            show_connected(false);
            reconnect_later();
        }
    });
    port.on_disconnect()
        .add_listener(on_disconnect.as_ref().unchecked_ref());
    on_disconnect.forget();
    if port.post(&protocol::encode(&FromPopup::Watch { tab })) {
        show_connected(true);
    } else {
        PANEL.with(|p| p.borrow_mut().port = None);
        reconnect_later();
    }
}

fn reconnect_later() {
    spawn_local(async {
        jwi_browser::timers::sleep(RECONNECT_MS).await;
        let connected = PANEL.with(|p| p.borrow().port.is_some());
        if !connected {
            connect();
        }
    });
}

fn show_connected(connected: bool) {
    dom::set_attr("panel", "data-connected", &connected.to_string());
    dom::set_text(
        "panel-connection",
        &if connected {
            String::new()
        } else {
            t("panel_reconnecting", &[])
        },
    );
}

/// Sends a message about the panel's tab, if connected.
fn post(msg: impl FnOnce(i32) -> FromPopup) {
    PANEL.with(|p| {
        let p = p.borrow();
        if let Some(port) = &p.port {
            port.post(&protocol::encode(&msg(p.tab)));
        }
    });
}

fn render(view: &TabView) {
    dom::set_text("page-status", &crate::popup::status_words(&view.status));
    dom::set_attr("page-status", "data-state", view.status.id());
    let url = view.url.as_deref().unwrap_or_default();
    dom::set_text("page-site", crate::popup::site_of(url));
    dom::set_attr("page-site", "title", url);
    crate::popup::render_facts(view.facts.as_ref());
    dom::set_disabled("api-call", !view.status.is_connected());
}
