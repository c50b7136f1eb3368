//! The content side of the secret page channel (see `docs/architecture.md`).
//!
//! The shim announces itself with a `MouseEvent` whose `relatedTarget` is a detached node; the
//! channel keeper (`extension/channel.js`, at document_start) or, on an on-demand injection, the
//! content script announces itself with a plain event so that a shim that ran first announces
//! again. After that, both sides talk only through `CustomEvent`s with string details dispatched
//! on the detached node, which no page script can reach.

use wasm_bindgen::prelude::*;
use web_sys::{CustomEvent, CustomEventInit, Event, EventTarget};

use jwi_core::protocol::{self, page::ToPage};

const PAGE_ANNOUNCE: &str = "jwi:page-announce";
const CONTENT_ANNOUNCE: &str = "jwi:content-announce";
const FROM_PAGE: &str = "jwi:from-page";
const TO_PAGE: &str = "jwi:to-page";

/// The open channel to the page shim.
#[derive(Clone)]
pub struct PageChannel {
    node: EventTarget,
}

impl PageChannel {
    /// Sends one message to the shim. Dispatch is synchronous: the shim has handled it when
    /// this returns.
    pub fn send(&self, msg: &ToPage) {
        let init = CustomEventInit::new();
        init.set_detail(&JsValue::from_str(&protocol::encode(msg)));
        if let Ok(event) = CustomEvent::new_with_event_init_dict(TO_PAGE, &init) {
            let _ = self.node.dispatch_event(&event);
        }
    }

    /// Calls `handler` with the text of every message from the shim. A `detail` that is not a
    /// string (only a page holding the node can send one) is passed as the empty text, which
    /// the gate drops and counts as malformed.
    pub fn on_message(&self, handler: fn(String)) {
        let listener = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
            let detail = js_sys::Reflect::get(&e, &"detail".into()).unwrap_or_default();
            handler(detail.as_string().unwrap_or_default());
        });
        let _ = self
            .node
            .add_event_listener_with_callback(FROM_PAGE, listener.as_ref().unchecked_ref());
        listener.forget();
    }
}

/// The global under which the channel keeper (`extension/channel.js`) leaves the node it took
/// at document_start, in this isolated world.
const KEPT_CHANNEL: &str = "jwiPageChannel";

#[wasm_bindgen]
extern "C" {
    /// The content scripts' own global, where the keeper writes. Not `js_sys::global()`: in a
    /// Firefox content script that is the page's window (through an Xray), while `globalThis` is
    /// the extension's sandbox that every content script of ours shares.
    #[wasm_bindgen(thread_local_v2, js_name = globalThis)]
    static CONTENT_GLOBAL: JsValue;
}

/// Calls `on_open` once with the channel: at once with the node the channel keeper took at
/// document_start (a registered page, where no page script could watch that handshake), else
/// (an on-demand injection) once the shim answers this script's announce.
pub fn listen_for_shim(on_open: fn(PageChannel)) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let kept = CONTENT_GLOBAL.with(|g| js_sys::Reflect::get(g, &KEPT_CHANNEL.into()));
    if let Ok(node) = kept {
        if node.is_object() {
            on_open(PageChannel {
                node: node.unchecked_into(),
            });
            return;
        }
    }
    let opened = std::rc::Rc::new(std::cell::Cell::new(false));
    let listener = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
        if opened.get() {
            return;
        }
        // Read the property rather than test `instanceof MouseEvent`: in Firefox the page's
        // event reaches the isolated world through an Xray wrapper.
        let Ok(node) = js_sys::Reflect::get(&e, &"relatedTarget".into()) else {
            return;
        };
        if !node.is_object() {
            return;
        }
        let node: EventTarget = node.unchecked_into();
        opened.set(true);
        e.stop_immediate_propagation();
        on_open(PageChannel { node });
    });
    let _ = window.add_event_listener_with_callback_and_bool(
        PAGE_ANNOUNCE,
        listener.as_ref().unchecked_ref(),
        true,
    );
    listener.forget();
    if let Ok(event) = Event::new(CONTENT_ANNOUNCE) {
        let _ = window.dispatch_event(&event);
    }
}
