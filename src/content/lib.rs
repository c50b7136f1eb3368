//! The content script: runs in the isolated world of a matched page (top frame only).
//!
//! It completes the handshake with the page shim, keeps a port to the background, and runs the
//! sandbox widget ([`jwi_core::sandbox`]) when the page is in sandbox mode. Every message from the
//! page passes the [`PageGate`] (rate limit, size limit, decoding into the protocol's types);
//! anything else is dropped, counted and shown in the log (see `docs/security.md`).

mod channel;
mod jivochat_driver;
mod recorder;
#[cfg(feature = "sandbox")]
mod sandbox_driver;
#[cfg(not(feature = "sandbox"))]
mod sandbox_off;
#[cfg(feature = "sandbox")]
mod site_widget;
mod spa_driver;
#[cfg(feature = "sandbox")]
mod widget_ui;
mod widget_watch;

#[cfg(not(feature = "sandbox"))]
use sandbox_off::{sandbox_driver, site_widget};

use std::cell::RefCell;
use std::collections::HashMap;

use wasm_bindgen::prelude::*;

use serde_json::Value;

use jwi_browser::ext::{self, Port};
use jwi_core::api::call::Reply;
use jwi_core::api::Method;
use jwi_core::checks::PageFact;
use jwi_core::event_log::{Event, Origin};
use jwi_core::page_gate::{Limits, PageGate};
use jwi_core::protocol::page::{FromPage, HistoryKind, ToPage};
use jwi_core::protocol::runtime::{CallId, FromContent, PageConfig, ToContent};
use jwi_core::protocol::{self, decode, limits, Mode, PageStatus};
use jwi_core::spa::{PageReport, UrlCause};
use jwi_core::view::console_form::sent_anyway_note;

use channel::PageChannel;

/// Everything the content script holds for its page.
struct Content {
    channel: Option<PageChannel>,
    /// Whether the shim answered the handshake.
    shim_ready: bool,
    /// Whether `window.jivo_api` existed when the shim last looked.
    api_present: bool,
    port: Option<Port>,
    /// Which connection to the background `port` is (one more for each new port).
    port_number: u32,
    status: PageStatus,
    config: Option<PageConfig>,
    /// The mode the page's widget was started in (once per page): a later `Config` with
    /// another mode changes nothing on the page until it is reloaded.
    widget_mode: Option<Mode>,
    /// Calls made on the page's widget through the shim, by request id, until they answer.
    pending_calls: HashMap<u32, PageCall>,
    /// The last request id given to a call through the shim. This script issues them for its
    /// own calls and the console's alike, so they never collide.
    last_page_call: u32,
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
            port_number: 0,
            status: PageStatus::default(),
            config: None,
            widget_mode: None,
            pending_calls: HashMap::new(),
            last_page_call: 0,
            gate: PageGate::new(Limits::DEFAULT),
            report_scheduled: false,
        }
    }
}

/// A call made on the page's widget through the shim, waiting for its answer.
struct PageCall {
    method: Method,
    args: Vec<Value>,
    origin: Origin,
    /// For a console call, whom to answer.
    asker: Option<Asker>,
    /// The log note of a console call sent anyway with invalid arguments.
    note: Option<String>,
}

/// Where a console call's answer goes: the background that asked, under its call id, on the
/// connection the call came in on. If that connection is gone, so is the background that asked
/// (and the popup waiting for it): the answer is only logged, never sent to a newer background,
/// whose call ids start again and might name another call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Asker {
    port_number: u32,
    call: CallId,
}

/// Answers a console call, if the connection it came in on is still open.
pub(crate) fn answer_console(asker: Asker, outcome: Reply) {
    let port = CONTENT.with(|c| {
        let c = c.borrow();
        c.port
            .clone()
            .filter(|_| c.port_number == asker.port_number)
    });
    if let Some(port) = port {
        port.post(&protocol::encode(&FromContent::ApiResult {
            id: asker.call,
            outcome,
        }));
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
            call_through_shim(Method::SendPageTitle, args, Origin::SpaTracker, None, None)
        }
        None => {}
    }
}

/// Calls the page's widget through the shim on behalf of the popup's console; `note` is the
/// log note of a call sent anyway with invalid arguments.
pub(crate) fn call_page_widget(
    asker: Asker,
    method: Method,
    args: Vec<Value>,
    note: Option<String>,
) {
    call_through_shim(method, args, Origin::Popup, Some(asker), note);
}

/// The highest request id for a call through the shim: the shim echoes ids as 32-bit signed
/// integers (`id | 0`), so larger ones would come back negative and fail to decode.
const MAX_PAGE_CALL_ID: u32 = i32::MAX as u32;

/// Calls the page's widget through the shim under a request id no call in flight has; the
/// answer ([`FromPage::ApiResult`]) is logged, and for a console call sent to the asker.
fn call_through_shim(
    method: Method,
    args: Vec<Value>,
    origin: Origin,
    asker: Option<Asker>,
    note: Option<String>,
) {
    let id = CONTENT.with(|c| {
        let mut c = c.borrow_mut();
        let next = |id: u32| if id >= MAX_PAGE_CALL_ID { 1 } else { id + 1 };
        let mut id = next(c.last_page_call);
        while c.pending_calls.contains_key(&id) {
            id = next(id);
        }
        c.last_page_call = id;
        c.pending_calls.insert(
            id,
            PageCall {
                method,
                args: args.clone(),
                origin,
                asker,
                note,
            },
        );
        id
    });
    send_to_page(&ToPage::CallApi { id, method, args });
}

/// The note of the extension's own reads of the real widget's state in the log.
const STATE_NOTE: &str = "widget state";

/// Reads one value of the real widget's state through the shim (JivoChat mode), for the popup.
pub(crate) fn call_page_widget_for_state(read: jwi_core::jivochat::StateRead) {
    call_through_shim(read.method(), Vec::new(), Origin::Extension, None, None);
}

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
    let passed = CONTENT.with(|c| c.borrow_mut().gate.pass(now, &text));
    for admitted in passed.messages {
        handle_page_message(admitted.message, admitted.log);
    }
    if passed.missed > 0 {
        // The events these messages might have been never get a number: the log counts the
        // gap as missed, and the gate's report says why.
        recorder::skip(passed.missed);
        schedule_report_once();
    }
}

/// Acts on one message the gate let through; `log` is false for a synchronous sandbox call
/// over the rate (answered, not logged).
fn handle_page_message(msg: FromPage, log: bool) {
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
            // The reply's note is the extension's own: it is not serialised, so the page never
            // sees it.
            send_to_page(&ToPage::Reply {
                outcome: reply.clone(),
            });
            if log {
                recorder::record(Event::api_call(method, args, Origin::Page, &reply));
            } else {
                // Answered over the rate limit: not logged, counted in the gate's report and
                // as missed in the log.
                recorder::skip(1);
                schedule_report_once();
            }
            sandbox_driver::flush();
        }
        FromPage::SandboxRead { method, returned } => {
            if let Some(reply) = sandbox_driver::read_reply(method, returned) {
                recorder::record(Event::api_call(method, Vec::new(), Origin::Page, &reply));
            }
        }
        FromPage::History { kind } => spa_driver::url_changed(match kind {
            HistoryKind::Push => UrlCause::Push,
            HistoryKind::Replace => UrlCause::Replace,
        }),
        FromPage::Callback { name, args } => {
            let jivochat = current_mode() == Some(Mode::JivoChat);
            if jivochat {
                widget_watch::on_callback(name, &args);
            }
            recorder::record(Event::Callback { name, args });
            if jivochat {
                jivochat_driver::on_callback(name);
            }
        }
        FromPage::SiteApi {} => jivochat_driver::site_api(),
        FromPage::LoadUnheard {} => {
            if current_mode() == Some(Mode::Sandbox) {
                site_widget::sandbox_load(jwi_core::jivochat::EmbedEvent::LoadUnheard);
            }
        }
        FromPage::ScriptFailed { src } => jivochat_driver::failed_before_start(src),
        // The gate opens batches; it never lets one through.
        FromPage::Batch { .. } => {}
        FromPage::HandlerDefined { name, script } => {
            record_fact(PageFact::HandlerDefined { name, script });
        }
        FromPage::WidgetRemoved { how } => record_fact(PageFact::WidgetRemoved { how }),
        FromPage::CallbackThrew { name, message } => {
            recorder::record(Event::CallbackThrew { name, message });
        }
        FromPage::ApiCalled {
            method,
            args,
            returned,
        } => {
            let outcome = Reply {
                returned,
                ..Reply::default()
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
            let Some(call) = CONTENT.with(|c| c.borrow_mut().pending_calls.remove(&id)) else {
                return;
            };
            recorder::record(Event::ApiCall {
                method: call.method,
                args: call.args.clone(),
                origin: call.origin,
                outcome: outcome.clone(),
                note: call
                    .note
                    .or_else(|| (call.origin == Origin::Extension).then(|| STATE_NOTE.to_owned())),
            });
            match (call.asker, call.origin) {
                (Some(asker), _) => answer_console(asker, outcome),
                (None, Origin::Extension) => {
                    if let Some(read) = jwi_core::jivochat::StateRead::of(call.method) {
                        widget_watch::answered(read, &outcome);
                    }
                }
                _ => {}
            }
        }
    }
}

/// Schedules the gate's report unless one is scheduled already.
fn schedule_report_once() {
    if !CONTENT.with(|c| std::mem::replace(&mut c.borrow_mut().report_scheduled, true)) {
        schedule_drop_report();
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
        if c.widget_mode.is_some() || !c.shim_ready {
            return None;
        }
        let config = c.config.clone()?;
        c.widget_mode = Some(config.mode);
        Some(config)
    });
    let Some(config) = config else { return };
    match config.mode {
        Mode::Sandbox => {
            jivochat_driver::stop();
            start_sandbox(config);
        }
        Mode::JivoChat => jivochat_driver::start(&config, api_present()),
    }
}

/// Starts the sandbox widget from the background's seed for this site.
#[cfg(feature = "sandbox")]
fn start_sandbox(config: PageConfig) {
    let Some(seed) = config.sandbox else { return };
    // The page's own JivoChat first: with the stand-in off, a loader already in the
    // document keeps the sandbox out before it installs anything.
    site_widget::start(seed.stand_in);
    if site_widget::stood_down() {
        return;
    }
    set_status(PageStatus::Loading);
    send_to_page(&ToPage::InstallSandboxApi);
    sandbox_driver::start(seed);
}

/// This build has no sandbox: the page says so.
#[cfg(not(feature = "sandbox"))]
fn start_sandbox(_config: PageConfig) {
    sandbox_driver::absent();
}

/// Asks the shim whether `window.jivo_api` exists now (it answers within the dispatch).
fn api_present() -> bool {
    send_to_page(&ToPage::CheckApi);
    CONTENT.with(|c| c.borrow().api_present)
}

/// The page's mode: the one its widget was started in, else the latest `Config`'s (a
/// background restarted after a mode change sends the new one, but the page keeps its widget).
fn current_mode() -> Option<Mode> {
    CONTENT.with(|c| {
        let c = c.borrow();
        c.widget_mode.or(c.config.as_ref().map(|c| c.mode))
    })
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
            other => Event::status(other.id().replace('-', " ")),
        });
        send_to_background(&FromContent::Status { status });
    }
}

/// Logs something the page did that the integration checks judge (`docs/checks.md`): a status
/// entry that carries the fact, so the background's checker sees it in order with the calls
/// and callbacks, after a restart and in an exported log alike.
pub(crate) fn record_fact(fact: PageFact) {
    recorder::record(Event::fact(fact.describe(), fact));
}

/// The most loader URLs one page's `loaders` fact lists: more says no more to the checks.
const MAX_LOADERS: usize = 16;

thread_local! {
    /// The JivoChat loader scripts seen on this page, in order (the extension's own included).
    static LOADERS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// Site loaders JivoChat mode held back for the configured widget: they never run.
    static HELD_BACK: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// A JivoChat loader `<script>` was seen on the page ([`jwi_core::jivochat::site_loader`]):
/// when it is a new one, logs the page's loaders as a `loaders` fact.
pub(crate) fn loader_seen(url: &str) {
    if HELD_BACK.with(|h| h.borrow().iter().any(|u| u == url)) {
        return;
    }
    let srcs = LOADERS.with(|l| {
        let mut l = l.borrow_mut();
        if l.len() >= MAX_LOADERS || l.iter().any(|u| u == url) {
            return None;
        }
        l.push(url.to_owned());
        Some(l.clone())
    });
    if let Some(srcs) = srcs {
        record_fact(PageFact::Loaders { srcs });
    }
}

/// JivoChat mode held back the site's loader `url` ("use my widget here"): it is not one of
/// the page's widgets.
pub(crate) fn loader_held_back(url: &str) {
    HELD_BACK.with(|h| {
        let mut h = h.borrow_mut();
        if h.len() < MAX_LOADERS {
            h.push(url.to_owned());
        }
    });
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
    let Some(port) = ext::connect(protocol::runtime::PORT_NAME) else {
        return;
    };
    let port_number = CONTENT.with(|c| {
        let mut c = c.borrow_mut();
        c.port_number = c.port_number.wrapping_add(1);
        c.port_number
    });
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |msg: JsValue| {
        if let Some(text) = msg.as_string() {
            on_background_message(&text, port_number);
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

/// A message from the background, which came on connection number `port_number`.
fn on_background_message(text: &str, port_number: u32) {
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
        #[cfg(feature = "sandbox")]
        ToContent::Agent { action } => {
            sandbox_driver::agent(action);
            sandbox_driver::flush();
        }
        ToContent::CallApi {
            id,
            call,
            anyway,
            invalid,
        } => match current_mode() {
            Some(Mode::JivoChat) => jivochat_driver::console_call(
                Asker {
                    port_number,
                    call: id,
                },
                call,
                anyway,
                invalid,
            ),
            _ => {
                let mut reply = sandbox_driver::page_call(call.method, &call.args);
                if anyway {
                    if let Some(why) = invalid {
                        let note = sent_anyway_note(&why);
                        let note = match reply.note.take() {
                            Some(why) => format!("{note}; {why}"),
                            None => note,
                        };
                        reply = reply.with_note(note);
                    }
                }
                recorder::record(Event::api_call(
                    call.method,
                    call.args,
                    Origin::Popup,
                    &reply,
                ));
                answer_console(
                    Asker {
                        port_number,
                        call: id,
                    },
                    reply,
                );
                sandbox_driver::flush();
            }
        },
        ToContent::Ack { page, upto } => recorder::acked(&page, upto),
        ToContent::LoaderProbe { url, reason } => jivochat_driver::on_probe(url, reason),
    }
}
