//! Typed access to `storage.local` and `storage.session`: keys go in as strings (their owner is
//! the core), values come out as JSON for the core to decode, and a refused call is an error
//! with the browser's message, never a panic.

use js_sys::Promise;
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;

use crate::ext;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["browser", "storage", "local"], js_name = get)]
    fn local_get(keys: &JsValue) -> Promise;
    #[wasm_bindgen(js_namespace = ["browser", "storage", "local"], js_name = set)]
    fn local_set(items: &JsValue) -> Promise;
    #[wasm_bindgen(js_namespace = ["browser", "storage", "local"], js_name = remove)]
    fn local_remove(keys: &JsValue) -> Promise;
    #[wasm_bindgen(js_namespace = ["browser", "storage", "session"], js_name = get)]
    fn session_get(keys: &JsValue) -> Promise;
    #[wasm_bindgen(js_namespace = ["browser", "storage", "session"], js_name = set)]
    fn session_set(items: &JsValue) -> Promise;
    #[wasm_bindgen(js_namespace = ["browser", "storage", "session"], js_name = remove)]
    fn session_remove(keys: &JsValue) -> Promise;
    /// `storage.managed.get(null)`: the administrator's policy. Firefox rejects the call when
    /// there is no policy (and throws where managed storage is missing); Chromium answers `{}`.
    #[wasm_bindgen(js_namespace = ["browser", "storage", "managed"], js_name = get, catch)]
    pub fn managed_get(keys: &JsValue) -> Result<Promise, JsValue>;
    /// `storage.onChanged`: every writer's changes, in every context.
    #[wasm_bindgen(thread_local_v2, js_namespace = ["browser", "storage"], js_name = onChanged)]
    pub static ON_CHANGED: ext::ExtEvent;
}

/// A storage area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    /// `storage.local`: settings, sandbox visitors; kept across browser restarts.
    Local,
    /// `storage.session`: per-tab records and logs; kept while the browser runs, across
    /// background stops.
    Session,
}

/// The values stored under `keys` (a missing key is absent from the map).
pub async fn get<K: AsRef<str>>(area: Area, keys: &[K]) -> Result<Map<String, Value>, String> {
    let keys = ext::to_js(&Value::Array(
        keys.iter()
            .map(|k| Value::String(k.as_ref().to_owned()))
            .collect(),
    ));
    let promise = match area {
        Area::Local => local_get(&keys),
        Area::Session => session_get(&keys),
    };
    match ext::from_js(&ext::call(promise).await?) {
        Value::Object(map) => Ok(map),
        _ => Ok(Map::new()),
    }
}

/// The whole of `storage.managed` (the administrator's policy) as JSON, or `None` where the
/// browser has none to give (no managed storage, or Firefox's rejection when no policy is set).
/// Chromium answers `{}` when there is no policy: deciding what counts as one is the core's.
pub async fn managed() -> Option<Value> {
    let promise = managed_get(&JsValue::NULL).ok()?;
    ext::call(promise).await.ok().map(|v| ext::from_js(&v))
}

/// The values stored under `keys`, or none when storage refuses the read (callers start from
/// nothing, as after a first install).
pub async fn get_or_empty<K: AsRef<str>>(area: Area, keys: &[K]) -> Map<String, Value> {
    get(area, keys).await.unwrap_or_default()
}

/// Stores every key of `items`; an error carries the browser's reason (a full `storage.session`).
pub async fn set(area: Area, items: &Map<String, Value>) -> Result<(), String> {
    let items = ext::to_js(&Value::Object(items.clone()));
    let promise = match area {
        Area::Local => local_set(&items),
        Area::Session => session_set(&items),
    };
    ext::call(promise).await.map(drop)
}

/// Stores one value under one key.
pub async fn set_one(area: Area, key: &str, value: Value) -> Result<(), String> {
    let mut items = Map::new();
    items.insert(key.to_owned(), value);
    set(area, &items).await
}

/// Removes `keys`.
pub async fn remove<K: AsRef<str>>(area: Area, keys: &[K]) -> Result<(), String> {
    let keys = ext::to_js(&Value::Array(
        keys.iter()
            .map(|k| Value::String(k.as_ref().to_owned()))
            .collect(),
    ));
    let promise = match area {
        Area::Local => local_remove(&keys),
        Area::Session => session_remove(&keys),
    };
    ext::call(promise).await.map(drop)
}
