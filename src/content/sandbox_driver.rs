//! Runs the sandbox widget model on the page: page calls and visitor actions go in, and the
//! effects come out as page callbacks (through the shim), a re-rendered widget, and records for
//! the background. Effects of a synchronous page call are queued and applied by [`flush`] after
//! the call's reply has been delivered, so callbacks never run inside the page's own call.

use std::cell::RefCell;

use serde_json::Value;
use wasm_bindgen::prelude::*;

use super::widget_ui::WidgetUi;
use super::{send_to_background, send_to_page, set_status};
use jwi_core::api::{Callback, Method};
use jwi_core::protocol::page::{ReadAnswer, ToPage};
use jwi_core::protocol::runtime::{FromContent, SandboxSeed};
use jwi_core::protocol::PageStatus;
use jwi_core::sandbox::{
    AgentAction, Effect, Lang, Reply, Sandbox, SiteContext, VisitorAction, READS,
};

struct Driver {
    sandbox: Sandbox,
    ui: Option<WidgetUi>,
    pending: Vec<Effect>,
    /// The reads' answers the shim holds ([`ToPage::Reads`]).
    reads: Vec<ReadAnswer>,
}

thread_local! {
    static DRIVER: RefCell<Option<Driver>> = const { RefCell::new(None) };
}

fn now() -> u64 {
    js_sys::Date::now() as u64
}

/// Runs `f` on the driver, if the sandbox runs on this page.
fn with<R>(f: impl FnOnce(&mut Driver) -> R) -> Option<R> {
    DRIVER.with(|d| d.borrow_mut().as_mut().map(f))
}

/// Creates the sandbox for this page from the background's seed and loads it once the
/// document has been parsed (so that the page's own `jivo_on…` handlers exist).
pub fn start(seed: SandboxSeed) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    let site = SiteContext {
        origin: location.origin().unwrap_or_default(),
        page_url: location.href().unwrap_or_default(),
        page_title: window.document().map(|d| d.title()).unwrap_or_default(),
        now_ms: now(),
    };
    let sandbox = Sandbox::new(site, seed.record, seed.visitor_number).with_agent_state(seed.agent);
    let ui = WidgetUi::new(on_visitor_action, on_widget_removed);
    DRIVER.with(|d| {
        *d.borrow_mut() = Some(Driver {
            sandbox,
            ui,
            pending: Vec::new(),
            reads: Vec::new(),
        })
    });
    publish_reads();
    let Some(document) = window.document() else {
        return;
    };
    // The widget loads with the page's `load` event, as JivoChat's classic snippet loads it:
    // `jivo_api` exists from now on (installed by the caller), and `jivo_onLoadCallback` comes
    // after the page's own `load` handlers, which is where a site calling the API too early
    // makes that mistake (checks: api-before-load).
    if document.ready_state() != "complete" {
        let on_load = Closure::once_into_js(load);
        let _ = window.add_event_listener_with_callback("load", on_load.unchecked_ref());
    } else {
        load();
    }
}

/// The page took the widget's element off the document without `jivo_destroy()`.
fn on_widget_removed() {
    super::record_fact(jwi_core::checks::PageFact::WidgetRemoved {
        how: jwi_core::checks::Removal::Nodes,
    });
}

/// The visitor's language: the page's `<html lang>` (read once the document is parsed), else
/// the browser's `navigator.language`; English when the widget speaks neither.
fn visitor_lang() -> Lang {
    let Some(window) = web_sys::window() else {
        return Lang::En;
    };
    let page = window
        .document()
        .and_then(|d| d.document_element())
        .and_then(|e| e.get_attribute("lang"))
        .unwrap_or_default();
    let browser = window.navigator().language().unwrap_or_default();
    Lang::from_tags([page.as_str(), browser.as_str()])
}

/// The page has its own JivoChat and `siteWidget.sandboxStandIn` is off: the sandbox leaves
/// the page (before it loads, it never shows or calls a callback; after, it is taken off
/// without `jivo_onWidgetDestroy`, which is the site widget's to call).
pub fn stand_down() {
    let ui = DRIVER.with(|d| d.borrow_mut().take().and_then(|d| d.ui));
    drop(ui);
    // The page's calls ask again (and get `undefined` with the sandbox gone).
    send_to_page(&ToPage::Reads {
        answers: Vec::new(),
    });
    set_status(PageStatus::Connected);
}

fn load() {
    let lang = visitor_lang();
    with(|d| {
        d.sandbox.set_lang(lang);
        d.sandbox.set_now(now());
        let fx = d.sandbox.init();
        d.pending.extend(fx.as_slice().iter().cloned());
        d.pending.push(Effect::Persist);
        d.pending.push(Effect::Render);
    });
    flush();
}

/// Answers a call of an entry point (from the page, the popup's console or the SPA tracker).
pub fn page_call(method: Method, args: &[Value]) -> Reply {
    let reply = with(|d| {
        d.sandbox.set_now(now());
        let (reply, fx) = d.sandbox.call_raw(method, args);
        d.pending.extend(fx.into_vec());
        reply
    });
    reply.unwrap_or_else(|| {
        Reply::undefined().with_note("the sandbox widget is not running on this page")
    })
}

/// The log's reply for a read the shim answered with `returned` ([`FromPage::SandboxRead`]):
/// the model's own (with its note) when it agrees, else what the page was given; `None` for a
/// method that is not a read.
///
/// [`FromPage::SandboxRead`]: jwi_core::protocol::page::FromPage::SandboxRead
pub fn read_reply(method: Method, returned: Option<Value>) -> Option<Reply> {
    if !READS.contains(&method) {
        return None;
    }
    let model = with(|d| d.sandbox.read(method)).flatten();
    Some(match model {
        Some(reply) if reply.returned == returned => reply,
        _ => match returned {
            Some(v) => Reply::value(v),
            None => Reply::undefined(),
        },
    })
}

/// Sends the shim what each read returns now, if that changed since it was last sent.
fn publish_reads() {
    let changed = with(|d| {
        let answers: Vec<ReadAnswer> = READS
            .iter()
            .map(|&m| {
                let reply = d.sandbox.read(m);
                ReadAnswer::new(m, reply.as_ref().and_then(|r| r.returned.as_ref()))
            })
            .collect();
        (answers != d.reads).then(|| {
            d.reads = answers.clone();
            answers
        })
    })
    .flatten();
    if let Some(answers) = changed {
        send_to_page(&ToPage::Reads { answers });
    }
}

/// Applies an action of the popup agent.
pub fn agent(action: AgentAction) {
    with(|d| {
        d.sandbox.set_now(now());
        let fx = d.sandbox.agent(action);
        d.pending.extend(fx.as_slice().iter().cloned());
    });
}

fn on_visitor_action(action: VisitorAction) {
    with(|d| {
        d.sandbox.set_now(now());
        let fx = d.sandbox.visitor(action);
        d.pending.extend(fx.as_slice().iter().cloned());
    });
    flush();
}

/// Calls the page's `jivo_onLoadCallback` once more, as the site's loader the sandbox holds
/// back would have on loading ([`jwi_core::jivochat::EmbedAction::FireLoad`]).
pub fn fire_load_again() {
    if with(|_| ()).is_some() {
        send_to_page(&ToPage::Fire {
            callbacks: vec![(Callback::OnLoadCallback, Vec::new())],
        });
    }
}

/// Applies the queued effects: callbacks to the page, the widget's view, the stored record.
pub fn flush() {
    let Some(pending) = with(|d| std::mem::take(&mut d.pending)) else {
        return;
    };
    let mut callbacks: Vec<(Callback, Vec<Value>)> = Vec::new();
    let (mut render, mut persist, mut destroyed, mut loaded) = (false, false, false, false);
    for effect in pending {
        match effect {
            Effect::Fire(callback, args) => {
                loaded |= callback == Callback::OnLoadCallback;
                callbacks.push((callback, args));
            }
            Effect::Persist => persist = true,
            Effect::Render => render = true,
            Effect::Destroyed => {
                destroyed = true;
                render = true;
            }
        }
    }
    if render {
        let views = with(|d| {
            let view = d.sandbox.widget_view();
            if let Some(ui) = d.ui.as_mut() {
                ui.render(&view);
            }
            (d.sandbox.agent_view(), d.sandbox.facts())
        });
        if let Some((view, facts)) = views {
            send_to_background(&FromContent::SandboxView {
                view: Box::new(view),
                facts,
            });
        }
    }
    if persist {
        if let Some((origin, record, agent)) = with(|d| {
            (
                d.sandbox.site().origin.clone(),
                Box::new(d.sandbox.record().clone()),
                d.sandbox.agent_state(),
            )
        }) {
            send_to_background(&FromContent::SandboxSave {
                origin,
                record,
                agent,
            });
        }
    }
    if destroyed {
        set_status(PageStatus::Connected);
        super::spa_driver::widget_destroyed();
    }
    if loaded {
        set_status(PageStatus::Loaded);
        super::spa_driver::widget_loaded();
        super::site_widget::sandbox_load(jwi_core::jivochat::EmbedEvent::WidgetLoaded);
    }
    if !callbacks.is_empty() {
        send_to_page(&ToPage::Fire { callbacks });
    }
    publish_reads();
}
