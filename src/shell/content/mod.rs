//! The content script: runs in the isolated world of a matched page (top frame only).
//!
//! It completes the handshake with the page shim, keeps a port to the background, and (in later
//! layers) runs the sandbox model and the SPA tracker. Every message from the page is decoded
//! with [`protocol::decode`] under [`limits::PAGE_MESSAGE_BYTES`]; anything else is dropped and
//! counted.

mod channel;

use std::cell::RefCell;

use wasm_bindgen::prelude::*;

use crate::protocol::page::{FromPage, ToPage};
use crate::protocol::runtime::{FromContent, PageConfig, ToContent};
use crate::protocol::{self, decode, limits, PageStatus};
use crate::shell::ext::{self, Port};

use channel::PageChannel;

/// Everything the content script holds for its page.
#[derive(Default)]
struct Content {
    channel: Option<PageChannel>,
    port: Option<Port>,
    status: PageStatus,
    config: Option<PageConfig>,
    /// Messages from the page that failed to decode.
    dropped: u32,
}

thread_local! {
    static CONTENT: RefCell<Content> = RefCell::new(Content::default());
}

/// Entry point, called by the bundle's glue once the module is instantiated.
#[wasm_bindgen]
pub fn start_content() {
    CONTENT.with(|c| c.borrow_mut().status = PageStatus::Connecting);
    send_to_background(&hello());
    send_to_background(&FromContent::Status {
        status: PageStatus::Connecting,
    });
    channel::listen_for_shim(on_channel_open);
}

fn on_channel_open(channel: PageChannel) {
    channel.on_message(on_page_message);
    channel.send(&ToPage::Connected);
    CONTENT.with(|c| c.borrow_mut().channel = Some(channel));
}

fn on_page_message(text: String) {
    let msg = match decode::<FromPage>(&text, limits::PAGE_MESSAGE_BYTES) {
        Ok(msg) => msg,
        Err(_) => {
            CONTENT.with(|c| c.borrow_mut().dropped += 1);
            return;
        }
    };
    if let FromPage::Ready { .. } = msg {
        set_status(PageStatus::Connected);
    }
}

fn set_status(status: PageStatus) {
    let changed = CONTENT.with(|c| {
        let mut c = c.borrow_mut();
        let changed = c.status != status;
        c.status = status.clone();
        changed
    });
    if changed {
        send_to_background(&FromContent::Status { status });
    }
}

fn hello() -> FromContent {
    let (url, title) = web_sys::window()
        .map(|w| {
            let url = w.location().href().unwrap_or_default();
            let title = w.document().map(|d| d.title()).unwrap_or_default();
            (url, title)
        })
        .unwrap_or_default();
    FromContent::Hello { url, title }
}

/// Sends a message to the background, reconnecting (and re-introducing the page) if the
/// background was restarted since the last message.
fn send_to_background(msg: &FromContent) {
    let json = protocol::encode(msg);
    let sent = CONTENT.with(|c| {
        c.borrow()
            .port
            .as_ref()
            .map(|p| p.post(&json))
            .unwrap_or(false)
    });
    if sent {
        return;
    }
    let Some(port) = ext::connect("page") else {
        return;
    };
    let on_message = Closure::<dyn FnMut(JsValue)>::new(|msg: JsValue| {
        if let Some(text) = msg.as_string() {
            on_background_message(&text);
        }
    });
    port.on_message()
        .add_listener(on_message.as_ref().unchecked_ref());
    on_message.forget();
    let on_disconnect = Closure::<dyn FnMut()>::new(|| {
        CONTENT.with(|c| c.borrow_mut().port = None);
    });
    port.on_disconnect()
        .add_listener(on_disconnect.as_ref().unchecked_ref());
    on_disconnect.forget();
    let status = CONTENT.with(|c| c.borrow().status.clone());
    port.post(&protocol::encode(&hello()));
    if !matches!(msg, FromContent::Hello { .. }) {
        if !matches!(msg, FromContent::Status { .. }) {
            port.post(&protocol::encode(&FromContent::Status { status }));
        }
        port.post(&json);
    }
    CONTENT.with(|c| c.borrow_mut().port = Some(port));
}

fn on_background_message(text: &str) {
    let Ok(msg) = decode::<ToContent>(text, limits::RUNTIME_MESSAGE_BYTES) else {
        return;
    };
    match msg {
        ToContent::Config(config) => CONTENT.with(|c| c.borrow_mut().config = Some(config)),
    }
}
