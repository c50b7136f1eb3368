//! Browser APIs beyond [`crate::ext`] and the crate's web-sys features: `permissions`,
//! `Blob`/`File`, object URLs and `<dialog>`. Declared by hand (a few lines each) rather than
//! through more web-sys features, which would add their bindings' glue to every bundle's
//! build for the same calls.

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
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

thread_local! {
    /// The object URL of the last file [`download_text`] offered, revoked by the next one.
    static LAST_DOWNLOAD: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Offers `text` as a file named `file_name`: a `Blob` behind a hidden `<a download>` with id
/// `link_id` (kept in the page, so its `href` can be read back), clicked once. The previous
/// download's object URL is revoked then, not before: the browser may still be reading it.
pub fn download_text(link_id: &str, file_name: &str, text: &str, mime: &str) -> Option<()> {
    let url = text_blob(text, mime).as_ref().and_then(object_url)?;
    if let Some(previous) = LAST_DOWNLOAD.with(|l| l.borrow_mut().replace(url.clone())) {
        revoke_object_url(&previous);
    }
    let link = match crate::dom::by_id(link_id) {
        Some(link) => link,
        None => {
            let link = crate::dom::el("a", "", "");
            let _ = link.set_attribute("id", link_id);
            let _ = link.set_attribute("hidden", "");
            crate::dom::document()?.body()?.append_child(&link).ok()?;
            link
        }
    };
    let _ = link.set_attribute("href", &url);
    let _ = link.set_attribute("download", file_name);
    link.dyn_into::<web_sys::HtmlElement>().ok()?.click();
    Some(())
}
