//! The watch the DevTools panel and the side panel keep on their tab: a `popup` port to the
//! background that says `watch` for the tab, and is opened again by itself whenever it goes
//! (the background stopped, or restarted). A connection count makes sure a stale port's
//! disconnect does not connect twice.
//!
//! One page keeps one watch, so its state lives here; the page is told what arrives and
//! whether it is connected through the [`Handlers`] it gives [`watch`].

use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;

use jwi_browser::ext;
use jwi_core::protocol::popup::{FromPopup, ToPopup, PORT_NAME};
use jwi_core::protocol::{self, decode, limits};

/// The biggest message read from the background: a whole log (at most
/// [`MAX_LOG_BYTES`](jwi_core::event_log::MAX_LOG_BYTES) of compact JSON) as a `Log` reset, or
/// pretty-printed as a `LogExport`, with room to spare.
pub const MESSAGE_BYTES: usize =
    3 * jwi_core::event_log::MAX_LOG_BYTES + limits::RUNTIME_MESSAGE_BYTES;

/// How long to wait before connecting again after the port went.
const RECONNECT_MS: u32 = 250;

/// What the page is told.
#[derive(Clone, Copy)]
pub struct Handlers {
    /// A message from the background.
    pub message: fn(ToPopup),
    /// Whether the watch stands (`true` once `watch` was sent, `false` when the port went).
    pub connected: fn(bool),
}

struct Link {
    /// The tab watched (-1 before it is known).
    tab: i32,
    port: Option<ext::Port>,
    /// Counts connections, so that a stale port's disconnect does not reconnect twice.
    connection: u32,
    handlers: Handlers,
}

thread_local! {
    static LINK: RefCell<Link> = const { RefCell::new(Link {
        tab: -1,
        port: None,
        connection: 0,
        handlers: Handlers { message: |_| {}, connected: |_| {} },
    }) };
}

/// The tab watched (-1 before one is).
pub fn tab() -> i32 {
    LINK.with(|l| l.borrow().tab)
}

/// Whether a port is open.
pub fn is_connected() -> bool {
    LINK.with(|l| l.borrow().port.is_some())
}

/// Watches `tab` (instead of the one watched before, whose port is closed), telling `handlers`.
pub fn watch(tab: i32, handlers: Handlers) {
    let old = LINK.with(|l| {
        let mut l = l.borrow_mut();
        l.tab = tab;
        l.handlers = handlers;
        l.port.take()
    });
    if let Some(port) = old {
        port.disconnect();
    }
    connect();
}

/// Sends a message about the tab watched, if connected.
pub fn post(msg: impl FnOnce(i32) -> FromPopup) {
    LINK.with(|l| {
        let l = l.borrow();
        if let Some(port) = &l.port {
            port.post(&protocol::encode(&msg(l.tab)));
        }
    });
}

fn connect() {
    let Some(port) = ext::connect(PORT_NAME) else {
        reconnect_later();
        return;
    };
    let (tab, connection, handlers) = LINK.with(|l| {
        let mut l = l.borrow_mut();
        l.connection += 1;
        l.port = Some(port.clone());
        (l.tab, l.connection, l.handlers)
    });
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |msg: JsValue| {
        let Some(text) = msg.as_string() else { return };
        if let Ok(msg) = decode::<ToPopup>(&text, MESSAGE_BYTES) {
            (handlers.message)(msg);
        }
    });
    port.on_message()
        .add_listener(on_message.as_ref().unchecked_ref());
    on_message.forget();
    let on_disconnect = Closure::<dyn FnMut()>::new(move || {
        let current = LINK.with(|l| l.borrow().connection == connection);
        if current {
            LINK.with(|l| l.borrow_mut().port = None);
            (handlers.connected)(false);
            reconnect_later();
        }
    });
    port.on_disconnect()
        .add_listener(on_disconnect.as_ref().unchecked_ref());
    on_disconnect.forget();
    if port.post(&protocol::encode(&FromPopup::Watch { tab })) {
        (handlers.connected)(true);
    } else {
        LINK.with(|l| l.borrow_mut().port = None);
        reconnect_later();
    }
}

fn reconnect_later() {
    spawn_local(async {
        jwi_browser::timers::sleep(RECONNECT_MS).await;
        if !is_connected() {
            connect();
        }
    });
}
