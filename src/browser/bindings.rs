//! Browser APIs beyond [`crate::ext`] and [`crate::dom`]: `permissions` (a WebExtension API
//! that web-sys does not bind), files (`Blob`/`File` from web-sys) and downloads.

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, BlobPropertyBag, File, HtmlInputElement, Url};

#[wasm_bindgen]
extern "C" {
    /// `permissions.contains({origins})`: a promise of a boolean.
    #[wasm_bindgen(js_namespace = ["browser", "permissions"], js_name = contains, catch)]
    pub fn permissions_contains(permissions: &JsValue) -> Result<Promise, JsValue>;

    /// `permissions.request({origins})`: must run inside a user gesture (a click handler).
    #[wasm_bindgen(js_namespace = ["browser", "permissions"], js_name = request, catch)]
    pub fn permissions_request(permissions: &JsValue) -> Result<Promise, JsValue>;
}

/// `navigator.userAgent` (`""` where there is no window).
pub fn user_agent() -> String {
    web_sys::window()
        .and_then(|w| w.navigator().user_agent().ok())
        .unwrap_or_default()
}

/// Copies `text` to the clipboard: a promise that settles when it is there (or is refused).
pub fn copy_text(text: &str) -> Option<Promise> {
    Some(web_sys::window()?.navigator().clipboard().write_text(text))
}

/// A `Blob` of UTF-8 text with a MIME type.
pub fn text_blob(text: &str, mime: &str) -> Option<Blob> {
    let parts = Array::of1(&JsValue::from_str(text));
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    Blob::new_with_str_sequence_and_options(&parts, &options).ok()
}

/// The first file chosen in an `<input type="file">`, if any.
pub fn first_file(input: &JsValue) -> Option<File> {
    input.dyn_ref::<HtmlInputElement>()?.files()?.get(0)
}

thread_local! {
    /// The object URL of the last file [`download_text`] offered, revoked by the next one.
    static LAST_DOWNLOAD: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Offers `text` as a file named `file_name`: a `Blob` behind a hidden `<a download>` with id
/// `link_id` (kept in the page, so its `href` can be read back), clicked once. The previous
/// download's object URL is revoked then, not before: the browser may still be reading it.
pub fn download_text(link_id: &str, file_name: &str, text: &str, mime: &str) -> Option<()> {
    let url = Url::create_object_url_with_blob(&text_blob(text, mime)?).ok()?;
    if let Some(previous) = LAST_DOWNLOAD.with(|l| l.borrow_mut().replace(url.clone())) {
        let _ = Url::revoke_object_url(&previous);
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

/// Opens the browser's side panel for the extension: Chrome's `sidePanel.open({tabId})`, or
/// Firefox's `sidebarAction.open()`. Call it synchronously from a click: both browsers open it
/// only in a user gesture. Whether the browser has either.
pub fn open_side_panel(tab: i32) -> bool {
    let global = js_sys::global();
    let Ok(browser) = js_sys::Reflect::get(&global, &"browser".into()) else {
        return false;
    };
    let method = |ns: &str, name: &str| -> Option<(JsValue, js_sys::Function)> {
        let ns = js_sys::Reflect::get(&browser, &ns.into()).ok()?;
        let f = js_sys::Reflect::get(&ns, &name.into()).ok()?;
        Some((ns, f.dyn_into().ok()?))
    };
    let promise = if let Some((ns, open)) = method("sidePanel", "open") {
        let opts = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&opts, &"tabId".into(), &tab.into());
        open.call1(&ns, &opts)
    } else if let Some((ns, open)) = method("sidebarAction", "open") {
        open.call0(&ns)
    } else {
        return false;
    };
    if let Ok(p) = promise.and_then(|p| p.dyn_into::<Promise>()) {
        // A refusal is reported by the promise; nothing is waiting for it.
        let noop = Closure::<dyn FnMut(JsValue)>::new(|_: JsValue| {});
        let _ = p.catch(&noop);
        noop.forget();
    }
    true
}
