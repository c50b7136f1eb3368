//! Bindings to the WebExtension APIs the shells use, through the `browser` namespace.
//!
//! Chromium has only `chrome`; each bundle's JS glue sets `globalThis.browser = chrome` there
//! (in the extension's own global or the isolated world, never the page's). Both browsers return
//! promises from these calls in Manifest V3.

use js_sys::Function;
use js_sys::Promise;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// A `runtime.Port`: one long-lived connection between two contexts.
    #[derive(Clone, Debug)]
    pub type Port;

    #[wasm_bindgen(method, js_name = postMessage, catch)]
    fn post_message_raw(this: &Port, msg: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, getter, js_name = onMessage)]
    pub fn on_message(this: &Port) -> ExtEvent;
    #[wasm_bindgen(method, getter, js_name = onDisconnect)]
    pub fn on_disconnect(this: &Port) -> ExtEvent;
    #[wasm_bindgen(method, getter)]
    pub fn name(this: &Port) -> String;
    #[wasm_bindgen(method, getter)]
    pub fn sender(this: &Port) -> JsValue;
    #[wasm_bindgen(method)]
    pub fn disconnect(this: &Port);

    /// A WebExtension event (`runtime.onConnect`, `storage.onChanged`, …).
    pub type ExtEvent;
    #[wasm_bindgen(method, js_name = addListener)]
    pub fn add_listener(this: &ExtEvent, f: &Function);
    /// `addListener(f, filter, extraInfoSpec)`, for the `webRequest` events.
    #[wasm_bindgen(method, js_name = addListener, catch)]
    pub fn add_listener_filtered(
        this: &ExtEvent,
        f: &Function,
        filter: &JsValue,
        extra_info: &JsValue,
    ) -> Result<(), JsValue>;

    #[wasm_bindgen(js_namespace = ["browser", "runtime"], js_name = connect, catch)]
    fn runtime_connect(info: &JsValue) -> Result<Port, JsValue>;
    #[wasm_bindgen(thread_local_v2, js_namespace = ["browser", "runtime"], js_name = onConnect)]
    pub static ON_CONNECT: ExtEvent;
    /// `runtime.onInstalled`: `{reason: "install" | "update" | …}`.
    #[wasm_bindgen(thread_local_v2, js_namespace = ["browser", "runtime"], js_name = onInstalled)]
    pub static ON_INSTALLED: ExtEvent;
    #[wasm_bindgen(js_namespace = ["browser", "runtime"], js_name = getURL)]
    pub fn runtime_get_url(path: &str) -> String;
    #[wasm_bindgen(js_namespace = ["browser", "runtime"], js_name = getManifest, catch)]
    fn runtime_get_manifest() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(thread_local_v2, js_namespace = ["browser", "runtime"], js_name = getBrowserInfo)]
    pub static GET_BROWSER_INFO: JsValue;
}

/// The value at `path` from `from` (`prop(&details, &["tab", "id"])`), if each step is there
/// and the last is neither `undefined` nor `null`. Reads only those properties: for an event's
/// details on a hot path, instead of turning the whole object into JSON ([`from_js`]).
pub fn prop(from: &JsValue, path: &[&str]) -> Option<JsValue> {
    path.iter().try_fold(from.clone(), |o, key| {
        js_sys::Reflect::get(&o, &(*key).into())
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    })
}

/// `webRequest.onHeadersReceived`, where the browser offers `webRequest` (only Chromium's
/// package asks for the permission: see `tools/manifest.py`).
pub fn web_request_on_headers_received() -> Option<ExtEvent> {
    prop(
        &js_sys::global(),
        &["browser", "webRequest", "onHeadersReceived"],
    )
    .map(JsCast::unchecked_into)
}

impl Port {
    /// Sends one protocol message (a JSON string). A port whose other end is gone is ignored:
    /// the caller learns of it through `onDisconnect`.
    pub fn post(&self, json: &str) -> bool {
        self.post_message_raw(&JsValue::from_str(json)).is_ok()
    }
}

/// Opens a port to the background, named after the context that opens it.
pub fn connect(name: &str) -> Option<Port> {
    let info = js_sys::Object::new();
    js_sys::Reflect::set(&info, &"name".into(), &name.into()).ok()?;
    runtime_connect(&info).ok()
}

/// Awaits a promise-returning API call, turning a rejection into its message.
pub async fn call(promise: Promise) -> Result<JsValue, String> {
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|e| error_text(&e))
}

/// The message of a JS error value, or its string form.
pub fn error_text(e: &JsValue) -> String {
    if let Some(s) = e.as_string() {
        return s;
    }
    js_sys::Reflect::get(e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| "unknown error".to_owned())
}

/// Converts a serde value into a plain JS object for an API call.
pub fn to_js(value: &serde_json::Value) -> JsValue {
    js_sys::JSON::parse(&value.to_string()).unwrap_or(JsValue::UNDEFINED)
}

/// Converts a JS value from an API call into a serde value (`null` for anything not JSON).
pub fn from_js(value: &JsValue) -> serde_json::Value {
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(serde_json::Value::Null)
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["browser", "scripting"], js_name = registerContentScripts)]
    pub fn register_content_scripts(scripts: &JsValue) -> Promise;
    #[wasm_bindgen(js_namespace = ["browser", "scripting"], js_name = unregisterContentScripts)]
    pub fn unregister_content_scripts(filter: &JsValue) -> Promise;
    #[wasm_bindgen(js_namespace = ["browser", "scripting"], js_name = getRegisteredContentScripts)]
    pub fn get_registered_content_scripts() -> Promise;
    #[wasm_bindgen(js_namespace = ["browser", "scripting"], js_name = executeScript)]
    pub fn execute_script(injection: &JsValue) -> Promise;

    #[wasm_bindgen(js_namespace = ["browser", "declarativeNetRequest"], js_name = getDynamicRules)]
    pub fn dnr_get_dynamic_rules() -> Promise;
    #[wasm_bindgen(js_namespace = ["browser", "declarativeNetRequest"], js_name = updateDynamicRules)]
    pub fn dnr_update_dynamic_rules(options: &JsValue) -> Promise;

    #[wasm_bindgen(js_namespace = ["browser", "tabs"], js_name = query)]
    pub fn tabs_query(query: &JsValue) -> Promise;
    #[wasm_bindgen(js_namespace = ["browser", "tabs"], js_name = get)]
    pub fn tabs_get(tab_id: i32) -> Promise;
    #[wasm_bindgen(js_namespace = ["browser", "tabs"], js_name = reload)]
    pub fn tabs_reload(tab_id: i32) -> Promise;
    /// `tabs.create({url, …})`.
    #[wasm_bindgen(js_namespace = ["browser", "tabs"], js_name = create, catch)]
    pub fn tabs_create(properties: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(thread_local_v2, js_namespace = ["browser", "tabs"], js_name = onRemoved)]
    pub static TABS_ON_REMOVED: ExtEvent;
    #[wasm_bindgen(thread_local_v2, js_namespace = ["browser", "tabs"], js_name = onUpdated)]
    pub static TABS_ON_UPDATED: ExtEvent;
    #[wasm_bindgen(thread_local_v2, js_namespace = ["browser", "tabs"], js_name = onActivated)]
    pub static TABS_ON_ACTIVATED: ExtEvent;

    #[wasm_bindgen(js_namespace = ["browser", "action"], js_name = setBadgeText)]
    pub fn action_set_badge_text(details: &JsValue) -> Promise;
    #[wasm_bindgen(js_namespace = ["browser", "action"], js_name = setBadgeBackgroundColor)]
    pub fn action_set_badge_background_color(details: &JsValue) -> Promise;

    #[wasm_bindgen(js_namespace = ["browser", "runtime"], js_name = openOptionsPage)]
    pub fn runtime_open_options_page() -> Promise;

    /// `declarativeNetRequest.getSessionRules()`; throws where the API is missing.
    #[wasm_bindgen(js_namespace = ["browser", "declarativeNetRequest"], js_name = getSessionRules, catch)]
    pub fn dnr_get_session_rules() -> Result<Promise, JsValue>;
    /// `declarativeNetRequest.updateSessionRules({removeRuleIds, addRules})`.
    #[wasm_bindgen(js_namespace = ["browser", "declarativeNetRequest"], js_name = updateSessionRules, catch)]
    pub fn dnr_update_session_rules(options: &JsValue) -> Result<Promise, JsValue>;
}

/// The extension's version, from its manifest (`""` if unreadable).
pub fn extension_version() -> String {
    runtime_get_manifest()
        .ok()
        .and_then(|m| js_sys::Reflect::get(&m, &"version".into()).ok())
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// Whether this is Firefox (it alone has `runtime.getBrowserInfo`).
pub fn is_firefox() -> bool {
    GET_BROWSER_INFO.with(|f| f.is_function())
}
