//! Browser APIs the options page needs beyond `shell::ext` and the crate's web-sys features:
//! `i18n`, `permissions`, `Blob`/`File`, object URLs and `<dialog>`. Declared here so the
//! options page adds no web-sys feature.

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `i18n.getMessage(name, substitutions)`: `""` when the message is missing.
    #[wasm_bindgen(js_namespace = ["browser", "i18n"], js_name = getMessage, catch)]
    fn i18n_get_message(name: &str, substitutions: &JsValue) -> Result<JsValue, JsValue>;

    /// `permissions.contains({origins})`: a promise of a boolean.
    #[wasm_bindgen(js_namespace = ["browser", "permissions"], js_name = contains, catch)]
    pub fn permissions_contains(permissions: &JsValue) -> Result<Promise, JsValue>;

    /// `permissions.request({origins})`: must run inside a user gesture (a click handler).
    #[wasm_bindgen(js_namespace = ["browser", "permissions"], js_name = request, catch)]
    pub fn permissions_request(permissions: &JsValue) -> Result<Promise, JsValue>;

    /// A `Blob` (also the base of `File`).
    pub type Blob;
    #[wasm_bindgen(constructor, catch)]
    fn new(parts: &Array, options: &JsValue) -> Result<Blob, JsValue>;
    /// `blob.text()`: a promise of the contents as UTF-8 text.
    #[wasm_bindgen(method)]
    pub fn text(this: &Blob) -> Promise;
    /// `blob.size` in bytes.
    #[wasm_bindgen(method, getter)]
    pub fn size(this: &Blob) -> f64;

    /// A `File` from an `<input type="file">`.
    #[wasm_bindgen(extends = Blob)]
    pub type File;
    /// The file's name, without its path.
    #[wasm_bindgen(method, getter)]
    pub fn name(this: &File) -> String;

    #[wasm_bindgen(js_namespace = URL, js_name = createObjectURL, catch)]
    fn url_create_object_url(blob: &Blob) -> Result<String, JsValue>;
    /// `URL.revokeObjectURL(url)`.
    #[wasm_bindgen(js_namespace = URL, js_name = revokeObjectURL)]
    pub fn revoke_object_url(url: &str);

    /// An `HTMLDialogElement`.
    pub type Dialog;
    /// `dialog.showModal()`: focus moves into it and `Esc` closes it.
    #[wasm_bindgen(method, js_name = showModal, catch)]
    pub fn show_modal(this: &Dialog) -> Result<(), JsValue>;
    /// `dialog.close()`.
    #[wasm_bindgen(method)]
    pub fn close(this: &Dialog);
}

/// The message `name` from `_locales` with `$1`… replaced by `subs`; `None` if it is missing.
pub fn message(name: &str, subs: &[&str]) -> Option<String> {
    let subs: Array = subs.iter().map(|s| JsValue::from_str(s)).collect();
    i18n_get_message(name, &subs)
        .ok()
        .and_then(|m| m.as_string())
        .filter(|m| !m.is_empty())
}

/// A `Blob` of UTF-8 text with a MIME type.
pub fn text_blob(text: &str, mime: &str) -> Option<Blob> {
    let parts = Array::of1(&JsValue::from_str(text));
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"type".into(), &mime.into()).ok()?;
    Blob::new(&parts, &options).ok()
}

/// `URL.createObjectURL(blob)`.
pub fn object_url(blob: &Blob) -> Option<String> {
    url_create_object_url(blob).ok()
}

/// The first file chosen in an `<input type="file">`, if any.
pub fn first_file(input: &JsValue) -> Option<File> {
    let files = js_sys::Reflect::get(input, &"files".into()).ok()?;
    let file = js_sys::Reflect::get(&files, &0.into()).ok()?;
    (!file.is_undefined() && !file.is_null()).then(|| file.unchecked_into())
}
