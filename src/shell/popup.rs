//! The popup: shows one tab (the active one, or `?tab=<id>`) and keeps it live over a port.
//!
//! Everything that came from a page is put into the DOM with `textContent`, never as HTML.

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;

use crate::protocol::popup::{FromPopup, TabView, ToPopup};
use crate::protocol::{self, decode, limits, PageStatus};
use crate::shell::{dom, ext};

/// Entry point, called by `popup.js` once the module is instantiated.
#[wasm_bindgen]
pub fn start_popup() {
    spawn_local(async {
        let Some(tab) = target_tab().await else {
            dom::set_text("page-status", "No tab to show");
            return;
        };
        let Some(port) = ext::connect("popup") else {
            return;
        };
        let on_message = Closure::<dyn FnMut(JsValue)>::new(|msg: JsValue| {
            let Some(text) = msg.as_string() else { return };
            if let Ok(ToPopup::Tab(view)) = decode::<ToPopup>(&text, limits::RUNTIME_MESSAGE_BYTES)
            {
                render(&view);
            }
        });
        port.on_message()
            .add_listener(on_message.as_ref().unchecked_ref());
        on_message.forget();
        port.post(&protocol::encode(&FromPopup::Watch { tab }));
    });
}

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
        PageStatus::NotMatched => "Not matched: no site rule covers this page".into(),
        PageStatus::Connecting => "Injecting…".into(),
        PageStatus::Connected => "Connected".into(),
        PageStatus::Loading => "Loading the widget…".into(),
        PageStatus::Loaded => "Widget loaded".into(),
        PageStatus::Attached => "Attached to the page's own JivoChat widget".into(),
        PageStatus::Failed { reason } => format!("Failed: {reason}"),
    }
}

fn render(view: &TabView) {
    dom::set_text("page-status", &status_words(&view.status));
    dom::set_attr("page-status", "data-state", view.status.id());
    let site = view.url.as_deref().map(site_of).unwrap_or_default();
    dom::set_text("page-site", site);
    dom::set_text(
        "page-mode",
        match view.mode {
            protocol::Mode::Sandbox => "Sandbox",
            protocol::Mode::JivoChat => "JivoChat",
        },
    );
}

/// The host part of a URL, for the header.
fn site_of(url: &str) -> &str {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}
