//! Chromium: runs on each matched page the build of the content bundle its CSP allows
//! ([`jwi_core::content_build`]). The real WebAssembly where the page lets a content script
//! compile it (most pages), the wasm2js build elsewhere.
//!
//! The background reads each top-level document's CSP headers as they arrive
//! (`webRequest.onHeadersReceived`, which also wakes a stopped service worker in time); the
//! registered content script in Chromium's package is a loader (`src/content/loader.js`) that
//! sends the document's `<meta>` policies over a port named
//! [`LOADER_PORT_NAME`](runtime::LOADER_PORT_NAME), and the background injects the build into
//! that document. Without a record of the document's headers (the background restarted since,
//! or the page was loaded before the extension), the page gets the wasm2js build, which runs
//! under any policy. Firefox's package registers the real-wasm bundle itself: Firefox does not
//! apply the page's CSP to content-script WebAssembly.

use std::cell::RefCell;
use std::collections::HashMap;

use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;

use jwi_browser::ext::{self, Port};
use jwi_core::content_build::{ContentBuild, MAX_POLICIES};
use jwi_core::protocol::runtime::LoadContent;
use jwi_core::site_rule::same_origin;

use super::{decode_from, tabs};

/// The CSP headers of the last top-level response a tab received.
struct Headers {
    /// The response's URL.
    url: String,
    /// The values of its `Content-Security-Policy` and `…-Report-Only` headers.
    policies: Vec<String>,
}

thread_local! {
    static SEEN: RefCell<HashMap<i32, Headers>> = RefCell::new(HashMap::new());
}

/// Starts reading the CSP headers of top-level documents, where the browser has `webRequest`.
/// Called in the background's first turn, so that the event that woke it is not missed.
pub fn listen() {
    let Some(event) = ext::web_request_on_headers_received() else {
        return;
    };
    let on_headers = Closure::<dyn FnMut(JsValue)>::new(on_headers);
    let filter = json!({ "urls": ["http://*/*", "https://*/*"], "types": ["main_frame"] });
    let added = event.add_listener_filtered(
        on_headers.as_ref().unchecked_ref(),
        &ext::to_js(&filter),
        &ext::to_js(&json!(["responseHeaders"])),
    );
    if added.is_ok() {
        on_headers.forget();
    }
}

/// Runs for every top-level http(s) response in the browser, matched or not: it reads only the
/// tab, the URL and the CSP headers' values, not the whole details object.
fn on_headers(details: JsValue) {
    let tab = ext::prop(&details, &["tabId"])
        .and_then(|t| t.as_f64())
        .filter(|t| *t >= 0.0 && *t <= f64::from(i32::MAX));
    let (Some(tab), Some(url)) = (
        tab,
        ext::prop(&details, &["url"]).and_then(|u| u.as_string()),
    ) else {
        return;
    };
    let headers: js_sys::Array = ext::prop(&details, &["responseHeaders"])
        .map(JsCast::unchecked_into)
        .unwrap_or_default();
    let policies: Vec<String> = headers
        .iter()
        .filter(|h| {
            ext::prop(h, &["name"])
                .and_then(|n| n.as_string())
                .is_some_and(|n| {
                    n.eq_ignore_ascii_case("content-security-policy")
                        || n.eq_ignore_ascii_case("content-security-policy-report-only")
                })
        })
        .filter_map(|h| ext::prop(&h, &["value"]).and_then(|v| v.as_string()))
        // One more than the decision reads, so that a page past the bound is still past it.
        .take(MAX_POLICIES + 1)
        .collect();
    SEEN.with(|s| s.borrow_mut().insert(tab as i32, Headers { url, policies }));
}

/// Forgets a closed tab's headers.
pub fn forget(tab: i32) {
    SEEN.with(|s| s.borrow_mut().remove(&tab));
}

/// The build for the document at `url` in `tab`, whose `<meta>` policies are `metas`.
fn choose(tab: i32, url: &str, metas: &[String]) -> ContentBuild {
    SEEN.with(|s| match s.borrow().get(&tab) {
        // The document's own response (history.pushState may have changed its path since,
        // never its origin).
        Some(seen) if same_origin(&seen.url, url) => ContentBuild::choose(&seen.policies, metas),
        _ => ContentBuild::Wasm2js,
    })
}

/// A loader's port: one [`LoadContent`], answered by injecting the chosen build into the
/// loader's document; the port is then closed.
pub fn on_loader_port(port: Port) {
    let Some(tab) = tabs::sender_tab(&port) else {
        port.disconnect();
        return;
    };
    let sender = port.sender();
    let url = ext::prop(&sender, &["url"])
        .and_then(|u| u.as_string())
        .unwrap_or_default();
    let target = match ext::prop(&sender, &["documentId"]).and_then(|d| d.as_string()) {
        Some(document) => json!({ "tabId": tab, "documentIds": [document] }),
        None => {
            let frame = ext::prop(&sender, &["frameId"]).and_then(|f| f.as_f64());
            json!({ "tabId": tab, "frameIds": [frame.unwrap_or(0.0) as i64] })
        }
    };
    let reply_port = port.clone();
    // The loader sends one message: the listener is freed once it has run.
    let on_message = Closure::once_into_js(move |msg: JsValue| {
        // A message that does not decode (a page can make its <meta> policies larger than the
        // message limit) gets the build that runs under any policy.
        let build = match decode_from::<LoadContent>(&msg) {
            Some(load) => choose(tab, &url, &load.meta_policies),
            None => ContentBuild::Wasm2js,
        };
        spawn_local(async move {
            inject(&target, build.file(super::mode_in_force())).await;
            reply_port.disconnect();
        });
    });
    port.on_message().add_listener(on_message.unchecked_ref());
}

/// Injects the build in `file` into `target`.
async fn inject(target: &Value, file: &str) {
    let injection = json!({ "target": target, "files": [file], "injectImmediately": true });
    if let Err(e) = ext::call(ext::execute_script(&ext::to_js(&injection))).await {
        web_sys::console::warn_1(
            &format!("Jivo Widget Injector: could not start the page's content script: {e}").into(),
        );
    }
}
