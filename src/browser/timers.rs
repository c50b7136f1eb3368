//! Timers for every context: extension pages, the service worker (no `window`) and the content
//! script. One binding of the global `setTimeout`/`queueMicrotask`, so no surface reaches for
//! them through `Reflect`.
//!
//! Hand-written rather than `gloo-timers`: the content script needs only these three calls and
//! pays for every byte on every matched page; `gloo-timers` adds its futures and interval types
//! to the bundle for nothing.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout, catch)]
    fn set_timeout_raw(f: &JsValue, ms: i32) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout_raw(id: &JsValue);
    #[wasm_bindgen(js_name = queueMicrotask, catch)]
    fn queue_microtask_raw(f: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = requestAnimationFrame, catch)]
    fn request_animation_frame_raw(f: &JsValue) -> Result<JsValue, JsValue>;
}

/// A scheduled timeout; [`Timeout::cancel`] stops it. Dropping it does not.
#[derive(Debug)]
pub struct Timeout(JsValue);

impl Timeout {
    /// Stops the timeout if it has not run yet.
    pub fn cancel(&self) {
        clear_timeout_raw(&self.0);
    }
}

/// Runs `f` once, `ms` milliseconds from now, in a task of its own. `None` if the global has
/// no `setTimeout` (never the case in the contexts the extension runs in).
pub fn set_timeout(ms: i32, f: impl FnOnce() + 'static) -> Option<Timeout> {
    let callback = Closure::once_into_js(f);
    set_timeout_raw(&callback, ms.max(0)).ok().map(Timeout)
}

/// Runs `f` at the end of the current task (a microtask), falling back to a zero timeout.
pub fn queue_microtask(f: impl FnOnce() + 'static) {
    let callback = Closure::once_into_js(f);
    if queue_microtask_raw(&callback).is_err() {
        let _ = set_timeout_raw(&callback, 0);
    }
}

/// Runs `f` before the next frame is painted (extension pages only).
pub fn request_animation_frame(f: impl FnOnce() + 'static) {
    let callback = Closure::once_into_js(f);
    if request_animation_frame_raw(&callback).is_err() {
        let _ = set_timeout_raw(&callback, 16);
    }
}

/// Runs `f` in the task after the next painted frame: the page has shown what was built so far
/// and is free to take input again.
pub fn after_next_paint(f: impl FnOnce() + 'static) {
    request_animation_frame(move || {
        set_timeout(0, f);
    });
}

/// Resolves after `ms` milliseconds.
pub async fn sleep(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let ms = i32::try_from(ms).unwrap_or(i32::MAX);
        if set_timeout(ms, move || drop(resolve.call0(&JsValue::NULL))).is_none() {
            // No timer at all: resolve at once rather than never.
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
