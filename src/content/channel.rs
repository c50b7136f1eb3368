//! The content side of the secret page channel (see `docs/architecture.md`).
//!
//! The shim announces itself with a `MouseEvent` whose `relatedTarget` is a detached node; the
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

/// Waits for the shim's announce and calls `on_open` once with the channel.
pub fn listen_for_shim(on_open: fn(PageChannel)) {
    let Some(window) = web_sys::window() else {
        return;
    };
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
