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

use super::decode_from;
use super::sandbox_store::origin_of;

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

fn on_headers(details: JsValue) {
    let details = ext::from_js(&details);
    let (Some(tab), Some(url)) = (details["tabId"].as_i64(), details["url"].as_str()) else {
        return;
    };
    let Ok(tab) = i32::try_from(tab) else { return };
    if tab < 0 {
        return;
    }
    let policies: Vec<String> = details["responseHeaders"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|h| {
            h["name"].as_str().is_some_and(|n| {
                n.eq_ignore_ascii_case("content-security-policy")
                    || n.eq_ignore_ascii_case("content-security-policy-report-only")
            })
        })
        .filter_map(|h| h["value"].as_str().map(str::to_owned))
        // One more than the decision reads, so that a page past the bound is still past it.
        .take(MAX_POLICIES + 1)
        .collect();
    let url = url.to_owned();
    SEEN.with(|s| s.borrow_mut().insert(tab, Headers { url, policies }));
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
        Some(seen) if origin_of(&seen.url) == origin_of(url) => {
            ContentBuild::choose(&seen.policies, metas)
        }
        _ => ContentBuild::Wasm2js,
    })
}

/// A loader's port: one [`LoadContent`], answered by injecting the chosen build into the
/// loader's document; the port is then closed.
pub fn on_loader_port(port: Port) {
    let sender = ext::from_js(&port.sender());
    let tab = sender["tab"]["id"]
        .as_i64()
        .and_then(|t| i32::try_from(t).ok());
    let url = sender["url"].as_str().unwrap_or_default().to_owned();
    let Some(tab) = tab else {
        port.disconnect();
        return;
    };
    let target = match sender["documentId"].as_str() {
        Some(document) => json!({ "tabId": tab, "documentIds": [document] }),
        None => json!({ "tabId": tab, "frameIds": [sender["frameId"].as_i64().unwrap_or(0)] }),
    };
    let reply_port = port.clone();
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |msg: JsValue| {
        let port = reply_port.clone();
        // A message that does not decode (a page can make its <meta> policies larger than the
        // message limit) gets the build that runs under any policy.
        let build = match decode_from::<LoadContent>(&msg) {
            Some(load) => choose(tab, &url, &load.meta_policies),
            None => ContentBuild::Wasm2js,
        };
        let target = target.clone();
        spawn_local(async move {
            inject(&target, build).await;
            port.disconnect();
        });
    });
    port.on_message()
        .add_listener(on_message.as_ref().unchecked_ref());
    on_message.forget();
}

/// Injects `build` into `target`.
async fn inject(target: &Value, build: ContentBuild) {
    let injection = json!({ "target": target, "files": [build.file()], "injectImmediately": true });
    if let Err(e) = ext::call(ext::execute_script(&ext::to_js(&injection))).await {
        web_sys::console::warn_1(
            &format!("Jivo Widget Injector: could not start the page's content script: {e}").into(),
        );
    }
}
