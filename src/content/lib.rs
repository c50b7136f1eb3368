//! The content script: runs in the isolated world of a matched page (top frame only).
//!
//! It completes the handshake with the page shim, keeps a port to the background, and runs the
//! sandbox widget ([`jwi_core::sandbox`]) when the page is in sandbox mode. Every message from the
//! page passes the [`PageGate`] (rate limit, size limit, decoding into the protocol's types);
//! anything else is dropped, counted and shown in the log (see `docs/security.md`).

mod channel;
mod jivochat_driver;
mod recorder;
mod sandbox_driver;
mod spa_driver;
mod widget_ui;

use std::cell::RefCell;
use std::collections::HashMap;

use wasm_bindgen::prelude::*;

use serde_json::Value;

use jwi_browser::ext::{self, Port};
use jwi_core::api::Method;
use jwi_core::event_log::{Event, Origin};
use jwi_core::page_gate::{Limits, PageGate};
use jwi_core::protocol::page::{CallOutcome, FromPage, HistoryKind, ToPage};
use jwi_core::protocol::runtime::{FromContent, PageConfig, ToContent};
use jwi_core::protocol::{self, decode, limits, Mode, PageStatus};
use jwi_core::spa::{PageReport, UrlCause};

use channel::PageChannel;

/// Everything the content script holds for its page.
struct Content {
    channel: Option<PageChannel>,
    /// Whether the shim answered the handshake.
    shim_ready: bool,
    /// Whether `window.jivo_api` existed when the shim last looked.
    api_present: bool,
    port: Option<Port>,
    status: PageStatus,
    config: Option<PageConfig>,
    /// Whether the widget for this page was started (once per page).
    widget_started: bool,
    /// Calls made on the page's widget through the shim, by request id, until they answer.
    pending_calls: HashMap<u32, (Method, Vec<Value>, Origin)>,
    /// The next id for a call of the SPA tracker (console ids come from popups, below 2^31).
    next_spa_call: u32,
    /// Rate limit, size limit and decoding of the page's messages, with the drop counters.
    gate: PageGate,
    /// Whether a drop report is scheduled.
    report_scheduled: bool,
}

impl Default for Content {
    fn default() -> Content {
        Content {
            channel: None,
            shim_ready: false,
            api_present: false,
            port: None,
            status: PageStatus::default(),
            config: None,
            widget_started: false,
            pending_calls: HashMap::new(),
            next_spa_call: 0,
            gate: PageGate::new(Limits::DEFAULT),
            report_scheduled: false,
        }
    }
}

/// How long the content script waits after a drop before it logs the drops as one marker, so
/// a flood gives one entry a second rather than one per message.
const DROP_REPORT_DELAY_MS: i32 = 1000;

thread_local! {
    static CONTENT: RefCell<Content> = RefCell::new(Content::default());
}

/// Entry point, called by the bundle's glue once the module is instantiated.
#[wasm_bindgen]
pub fn start_content() {
    CONTENT.with(|c| c.borrow_mut().status = PageStatus::Connecting);
    let hello = hello();
    if let FromContent::Hello { url, title } = &hello {
        recorder::record(Event::PageLoad {
            url: url.clone(),
            title: title.clone(),
        });
    }
    send_to_background(&hello);
    send_to_background(&FromContent::Status {
        status: PageStatus::Connecting,
    });
    spa_driver::start(deliver_page_report);
    jivochat_driver::watch();
    channel::listen_for_shim(on_channel_open);
}

/// Sends an SPA report to the widget as `sendPageTitle(title, true, url)`.
fn deliver_page_report(report: PageReport) {
    recorder::record(Event::reported(&report));
    let args = vec![
        Value::from(report.title),
        Value::from(true),
        Value::from(report.url),
    ];
    match current_mode() {
        Some(Mode::Sandbox) => {
            let reply = sandbox_driver::page_call(Method::SendPageTitle, &args);
            recorder::record(Event::api_call(
                Method::SendPageTitle,
                args,
                Origin::SpaTracker,
                &reply,
            ));
            sandbox_driver::flush();
        }
        Some(Mode::JivoChat) => {
            let id = CONTENT.with(|c| {
                let mut c = c.borrow_mut();
                c.next_spa_call = c.next_spa_call.wrapping_add(1);
                let id = SPA_CALL_IDS | c.next_spa_call;
                c.pending_calls.insert(
                    id,
                    (Method::SendPageTitle, args.clone(), Origin::SpaTracker),
                );
                id
            });
            send_to_page(&ToPage::CallApi {
                id,
                method: Method::SendPageTitle,
                args,
            });
        }
        None => {}
    }
}

/// Calls the page's widget through the shim on behalf of the popup's console.
pub(crate) fn call_page_widget(id: u32, method: Method, args: Vec<Value>) {
    CONTENT.with(|c| {
        c.borrow_mut()
            .pending_calls
            .insert(id, (method, args.clone(), Origin::Popup))
    });
    send_to_page(&ToPage::CallApi { id, method, args });
}

/// The high bit marks the request ids of the SPA tracker's calls.
const SPA_CALL_IDS: u32 = 1 << 31;

fn on_channel_open(channel: PageChannel) {
    channel.on_message(on_page_message);
    CONTENT.with(|c| c.borrow_mut().channel = Some(channel.clone()));
    channel.send(&ToPage::Connected);
}

/// Sends a message to the shim, if the channel is open.
pub(crate) fn send_to_page(msg: &ToPage) {
    let channel = CONTENT.with(|c| c.borrow().channel.clone());
    if let Some(channel) = channel {
        channel.send(msg);
    }
}

fn on_page_message(text: String) {
    let now = js_sys::Date::now();
    let admitted = CONTENT.with(|c| {
        let mut c = c.borrow_mut();
        c.gate
            .admit(now, &text)
            .map_err(|_| !std::mem::replace(&mut c.report_scheduled, true))
    });
    let msg = match admitted {
        Ok(msg) => msg,
        Err(schedule_report) => {
            // The event this message might have been never gets a number: the log counts
            // the gap as missed.
            recorder::skip(1);
            if schedule_report {
                schedule_drop_report();
            }
            return;
        }
    };
    match msg {
        FromPage::Ready { jivo_api_present } => {
            let first = CONTENT.with(|c| {
                let mut c = c.borrow_mut();
                c.api_present = jivo_api_present;
                !std::mem::replace(&mut c.shim_ready, true)
            });
            if first {
                set_status(PageStatus::Connected);
                maybe_start_widget();
            }
        }
        FromPage::SandboxCall { method, args } => {
            let reply = sandbox_driver::page_call(method, &args);
            send_to_page(&ToPage::Reply {
                outcome: sandbox_driver::outcome_of(&reply),
            });
            recorder::record(Event::api_call(method, args, Origin::Page, &reply));
            sandbox_driver::flush();
        }
        FromPage::History { kind } => spa_driver::url_changed(match kind {
            HistoryKind::Push => UrlCause::Push,
            HistoryKind::Replace => UrlCause::Replace,
        }),
        FromPage::Callback { name, args } => {
            recorder::record(Event::Callback { name, args });
            if current_mode() == Some(Mode::JivoChat) {
                jivochat_driver::on_callback(name);
            }
        }
        FromPage::SiteApi {} => jivochat_driver::site_api(),
        FromPage::CallbackThrew { name, message } => {
            recorder::record(Event::CallbackThrew { name, message });
        }
        FromPage::ApiCalled {
            method,
            args,
            returned,
        } => {
            let outcome = CallOutcome {
                returned,
                ..CallOutcome::default()
            };
            recorder::record(Event::ApiCall {
                method,
                args,
                origin: Origin::Page,
                outcome,
                note: None,
            });
        }
        FromPage::ApiResult { id, outcome } => {
            let Some((method, args, origin)) =
                CONTENT.with(|c| c.borrow_mut().pending_calls.remove(&id))
            else {
                return;
            };
            recorder::record(Event::ApiCall {
                method,
                args,
                origin,
                outcome: outcome.clone(),
                note: None,
            });
            if origin == Origin::Popup {
                send_to_background(&FromContent::ApiResult { id, outcome });
            }
        }
    }
}

/// Logs what the gate dropped since the last report, a second after the first drop.
fn schedule_drop_report() {
    let report = Closure::once_into_js(|| {
        let marker = CONTENT.with(|c| {
            let mut c = c.borrow_mut();
            c.report_scheduled = false;
            let limits = *c.gate.limits();
            c.gate.take_report().map(|r| r.describe(&limits))
        });
        if let Some(message) = marker {
            recorder::record(Event::Error { message });
        }
    });
    let scheduled = web_sys::window().and_then(|w| {
        w.set_timeout_with_callback_and_timeout_and_arguments_0(
            report.unchecked_ref(),
            DROP_REPORT_DELAY_MS,
        )
        .ok()
    });
    if scheduled.is_none() {
        CONTENT.with(|c| c.borrow_mut().report_scheduled = false);
    }
}

/// Starts the page's widget once both the settings and the shim are there.
fn maybe_start_widget() {
    let config = CONTENT.with(|c| {
        let mut c = c.borrow_mut();
        if c.widget_started || !c.shim_ready {
            return None;
        }
        let config = c.config.clone()?;
        c.widget_started = true;
        Some(config)
    });
    let Some(config) = config else { return };
    match config.mode {
        Mode::Sandbox => {
            jivochat_driver::stop();
            let Some(seed) = config.sandbox else { return };
            set_status(PageStatus::Loading);
            send_to_page(&ToPage::InstallSandboxApi);
            sandbox_driver::start(seed);
        }
        Mode::JivoChat => jivochat_driver::start(&config, api_present()),
    }
}

/// Asks the shim whether `window.jivo_api` exists now (it answers within the dispatch).
fn api_present() -> bool {
    send_to_page(&ToPage::CheckApi);
    CONTENT.with(|c| c.borrow().api_present)
}

fn current_mode() -> Option<Mode> {
    CONTENT.with(|c| c.borrow().config.as_ref().map(|c| c.mode))
}

fn set_status(status: PageStatus) {
    let changed = CONTENT.with(|c| {
        let mut c = c.borrow_mut();
        let changed = c.status != status;
        c.status = status.clone();
        changed
    });
    if changed {
        recorder::record(match &status {
            PageStatus::Failed { reason } => Event::Error {
                message: reason.clone(),
            },
            other => Event::Status {
                text: other.id().replace('-', " "),
            },
        });
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
        // The background stopped. Events posted just before we heard of it may be lost with
        // the port, and nothing else may come to trigger a resend: reconnect at once while any
        // event is unacknowledged (an idle page lets the background sleep).
        if recorder::has_unacked() {
            recorder::resend_all();
        }
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
        if !matches!(msg, FromContent::Events { .. }) {
            port.post(&json);
        }
    }
    CONTENT.with(|c| c.borrow_mut().port = Some(port));
    // Everything the background has not acknowledged goes again (it drops repeats).
    recorder::resend_all();
}

fn on_background_message(text: &str) {
    let Ok(msg) = decode::<ToContent>(text, limits::RUNTIME_MESSAGE_BYTES) else {
        return;
    };
    match msg {
        ToContent::Config(config) => {
            let spa = config.spa.clone();
            let first = CONTENT.with(|c| {
                let mut c = c.borrow_mut();
                let first = c.config.is_none();
                c.config = Some(*config);
                first
            });
            spa_driver::set_config(spa);
            if first {
                maybe_start_widget();
            }
        }
        ToContent::Agent { action } => {
            sandbox_driver::agent(action);
            sandbox_driver::flush();
        }
        ToContent::CallApi { id, call } => match current_mode() {
            Some(Mode::JivoChat) => jivochat_driver::console_call(id, call),
            _ => {
                let reply = sandbox_driver::page_call(call.method, &call.args);
                let outcome = sandbox_driver::outcome_of(&reply);
                recorder::record(Event::api_call(
                    call.method,
                    call.args,
                    Origin::Popup,
                    &reply,
                ));
                send_to_background(&FromContent::ApiResult { id, outcome });
                sandbox_driver::flush();
            }
        },
        ToContent::Ack { page, upto } => recorder::acked(&page, upto),
        ToContent::LoaderProbe { url, reason } => jivochat_driver::on_probe(url, reason),
    }
}
