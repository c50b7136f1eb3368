//! JivoChat mode on a page: the shell of the embedding decision ([`Embedding`]).
//!
//! From document start it watches the page's `<script>` elements (those in the HTML and every
//! one inserted later, a Turbolinks-style body swap included) and the page's own `jivo_api`,
//! and feeds what it sees to the core's [`Embedding`], with `DOMContentLoaded`, `load`, the
//! grace timer, `jivo_onLoadCallback` and loader failures (the script's `error` event and the
//! background's probe of the same URL, a CSP violation, `loaderTimeoutMs`). It carries out
//! what the core decides: inject the configured loader, attach to the site's, hold the site's
//! back (the background's network rules do the holding; see `jivochat::hold_back_rules`), and
//! logs every decision and notice. Console calls made before the widget loaded wait for
//! `jivo_onLoadCallback`; once loading has failed they are answered at once with the reason
//! (a widget that still loads late is used from then on).

use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use web_sys::{Element, MutationObserver, MutationObserverInit, MutationRecord};

use super::{answer_console, recorder, send_to_background, set_status, spa_driver, Asker};
use jwi_browser::timers;
use jwi_core::api::call::{RawCall, Reply};
use jwi_core::api::Callback;
use jwi_core::jivochat::{
    site_loader, violation_blocks, widget_args, EmbedAction, EmbedEvent, Embedding, LoaderFailure,
    LoaderScript, WidgetState,
};
use jwi_core::protocol::page::ToPage;
use jwi_core::protocol::runtime::{EmbedView, FromContent, PageConfig};
use jwi_core::protocol::PageStatus;
use jwi_core::view::console_form::sent_anyway_note;

/// A `<script src>` as read from the page, before the settings are known.
struct ScriptSeen {
    src: String,
    data_jv_id: Option<String>,
    jv_id: Option<String>,
}

/// What happened on the page before the settings arrived, in order.
enum Seen {
    Script(ScriptSeen),
    DomContentLoaded,
    WindowLoad,
    SiteApi,
    WidgetLoaded,
}

#[derive(Default)]
struct State {
    /// Events from before [`start`], replayed into the embedding then.
    pending: Vec<Seen>,
    /// Whether the page is not in JivoChat mode: nothing is watched any more.
    stopped: bool,
    embedding: Option<Embedding>,
    template: String,
    timeout_ms: u32,
    /// The loader we injected, and its element (never taken for the site's).
    own_url: Option<String>,
    own_script: Option<Element>,
    /// The site's loader we attached to.
    site_url: Option<String>,
    /// Scripts that failed to load before the embedding attached to one of them (a site's
    /// loader can fail before the settings reach the page); a few at most.
    failed_early: Vec<String>,
    view: EmbedView,
    observer: Option<MutationObserver>,
    loaded: bool,
    /// Whether the widget has called `jivo_onLoadCallback` at least once on this page. Console
    /// calls wait only for that: after a `jivo_destroy` they go straight to the widget, or a
    /// console `jivo_init` would wait for the very callback it brings about.
    ready: bool,
    failed: bool,
    /// Why loading failed, while it has.
    reason: String,
    /// Console calls waiting for `jivo_onLoadCallback`.
    waiting: Vec<(Asker, RawCall, Option<String>)>,
}

thread_local! {
    static JIVO: RefCell<State> = RefCell::new(State::default());
}

fn with<R>(f: impl FnOnce(&mut State) -> R) -> R {
    JIVO.with(|s| f(&mut s.borrow_mut()))
}

/// Starts watching the page (document start, before the settings arrive): its `<script>`
/// elements, `DOMContentLoaded`, `load`, script errors and CSP violations.
pub fn watch() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(document) = window.document() else {
        return;
    };
    let on_mutations = Closure::<dyn FnMut(js_sys::Array)>::new(|records: js_sys::Array| {
        for record in records.iter() {
            let record: MutationRecord = record.unchecked_into();
            let added = record.added_nodes();
            for i in 0..added.length() {
                if let Some(el) = added.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                    scripts_in(&el);
                }
            }
        }
    });
    if let Ok(observer) = MutationObserver::new(on_mutations.as_ref().unchecked_ref()) {
        let init = MutationObserverInit::new();
        init.set_child_list(true);
        init.set_subtree(true);
        if observer.observe_with_options(&document, &init).is_ok() {
            with(|s| s.observer = Some(observer));
        }
    }
    on_mutations.forget();
    if let Some(root) = document.document_element() {
        scripts_in(&root);
    }
    let state = document.ready_state();
    if state == "loading" {
        let on_ready = Closure::once_into_js(|| seen(Seen::DomContentLoaded));
        let _ =
            document.add_event_listener_with_callback("DOMContentLoaded", on_ready.unchecked_ref());
    } else {
        seen(Seen::DomContentLoaded);
    }
    if state != "complete" {
        let on_load = Closure::once_into_js(|| seen(Seen::WindowLoad));
        let _ = window.add_event_listener_with_callback("load", on_load.unchecked_ref());
    } else {
        seen(Seen::WindowLoad);
    }
    // A script's `error` does not bubble; catch it on its way down.
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(on_resource_error);
    let _ = window.add_event_listener_with_callback_and_bool(
        "error",
        on_error.as_ref().unchecked_ref(),
        true,
    );
    on_error.forget();
    let on_violation = Closure::<dyn FnMut(web_sys::Event)>::new(on_csp_violation);
    let _ = document.add_event_listener_with_callback_and_bool(
        "securitypolicyviolation",
        on_violation.as_ref().unchecked_ref(),
        true,
    );
    on_violation.forget();
}

/// `el` itself if it is a `<script src>`, and every such script below it.
fn scripts_in(el: &Element) {
    if el.tag_name().eq_ignore_ascii_case("script") {
        script_seen(el);
        return;
    }
    if el.first_element_child().is_none() {
        return;
    }
    let Ok(list) = el.query_selector_all("script[src]") else {
        return;
    };
    for i in 0..list.length() {
        if let Some(script) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
            script_seen(&script);
        }
    }
}

fn script_seen(el: &Element) {
    let Some(src) = el.get_attribute("src") else {
        return;
    };
    let is_ours = with(|s| s.own_script.as_ref().is_some_and(|o| o == el));
    if is_ours {
        return;
    }
    seen(Seen::Script(ScriptSeen {
        src: absolute(&src),
        data_jv_id: el.get_attribute("data-jv-id"),
        jv_id: el.get_attribute("jv-id"),
    }));
}

/// A script's `src` as an absolute URL (relative to the document's base URL).
fn absolute(src: &str) -> String {
    let base = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.base_uri().ok().flatten())
        .unwrap_or_default();
    web_sys::Url::new_with_base(src, &base)
        .map(|u| u.href())
        .unwrap_or_else(|_| src.to_owned())
}

/// Something seen on the page: buffered until [`start`], then fed to the embedding.
fn seen(what: Seen) {
    let started = with(|s| {
        if s.stopped {
            return None;
        }
        if s.embedding.is_none() {
            s.pending.push(what);
            return None;
        }
        Some(what)
    });
    let Some(what) = started else { return };
    let event = match what {
        Seen::Script(script) => {
            let template = with(|s| s.template.clone());
            let tag = LoaderScript {
                src: &script.src,
                data_jv_id: script.data_jv_id.as_deref(),
                jv_id: script.jv_id.as_deref(),
            };
            let Some(site) = site_loader(&tag, &template) else {
                return;
            };
            if let Some(id) = &site.widget_id {
                update_view(|v| {
                    if v.site_id.is_none() {
                        v.site_id = Some(id.clone());
                    }
                });
            }
            // Listed once the embedding decided: a loader it holds back never runs.
            let url = site.url.clone();
            feed(EmbedEvent::SiteLoaderSeen(site));
            super::loader_seen(&url);
            return;
        }
        Seen::DomContentLoaded => EmbedEvent::DomContentLoaded,
        Seen::WindowLoad => EmbedEvent::WindowLoad,
        Seen::SiteApi => EmbedEvent::SiteApiSeen,
        Seen::WidgetLoaded => EmbedEvent::WidgetLoaded,
    };
    feed(event);
}

/// Starts JivoChat mode with the page's settings (once the shim answered), replaying what was
/// seen since document start. `api_present`: whether the page's `jivo_api` exists already.
pub fn start(config: &PageConfig, api_present: bool) {
    let pending = with(|s| {
        s.embedding = Some(Embedding::new(config.embed_config()));
        s.template = config.loader_template().to_owned();
        s.timeout_ms = config.loader.as_ref().map_or(15_000, |l| l.timeout_ms);
        s.view.configured_id = config
            .loader
            .as_ref()
            .map(|l| l.widget_id.clone())
            .filter(|id| !id.is_empty());
        s.view.use_mine_here = config.site_widget.use_mine_here;
        std::mem::take(&mut s.pending)
    });
    send_view();
    if api_present {
        seen(Seen::SiteApi);
    }
    for what in pending {
        seen(what);
    }
}

/// The page is not in JivoChat mode: stop watching it.
pub fn stop() {
    let observer = with(|s| {
        s.stopped = true;
        s.pending.clear();
        s.observer.take()
    });
    if let Some(observer) = observer {
        observer.disconnect();
    }
}

/// The page's own `jivo_api` or `jivo_init` appeared (the shim saw it defined).
pub fn site_api() {
    seen(Seen::SiteApi);
}

fn feed(event: EmbedEvent) {
    let actions = with(|s| s.embedding.as_mut().map(|e| e.handle(event)));
    for action in actions.into_iter().flatten() {
        perform(action);
    }
}

fn perform(action: EmbedAction) {
    if let Some(event) = action.log_event() {
        recorder::record(event);
    }
    match action {
        EmbedAction::ArmGrace { ms } => {
            timers::set_timeout(ms.min(i32::MAX as u32) as i32, || {
                feed(EmbedEvent::GraceElapsed)
            });
        }
        EmbedAction::Inject { url } => inject(&url),
        EmbedAction::Attach { site } => {
            let url = site.as_ref().map(|s| s.url.clone());
            let id = site.and_then(|s| s.widget_id);
            // Attached on the page's `jivo_api` alone, there is no loader to wait for.
            let has_loader = url.is_some();
            let failed_already = with(|s| {
                s.site_url.clone_from(&url);
                url.as_ref().is_some_and(|u| s.failed_early.contains(u))
            });
            if let (true, Some(url)) = (failed_already, url.clone()) {
                probe_later(url);
            }
            update_view(|v| {
                v.attached = true;
                if id.is_some() {
                    v.site_id = id;
                }
            });
            if has_loader {
                arm_timeout(true);
            } else {
                // Its API is there: console calls go to it at once.
                with(|s| s.ready = true);
            }
        }
        // The background's session rules block the site's loader request (see the module
        // documentation); the log says it was held back.
        EmbedAction::HoldBack { site } => super::loader_held_back(&site.url),
        EmbedAction::StandDown | EmbedAction::FireLoad | EmbedAction::Notice(_) => {}
        EmbedAction::Status { attached, state } => match state {
            WidgetState::Loading => set_status(if attached {
                PageStatus::Attached
            } else {
                PageStatus::Loading
            }),
            WidgetState::Loaded => set_status(if attached {
                PageStatus::Attached
            } else {
                PageStatus::Loaded
            }),
            WidgetState::Failed { reason } => fail(reason),
        },
    }
}

fn update_view(change: impl FnOnce(&mut EmbedView)) {
    let changed = with(|s| {
        let before = s.view.clone();
        change(&mut s.view);
        s.view != before
    });
    if changed {
        send_view();
    }
}

fn send_view() {
    let embed = with(|s| s.view.clone());
    send_to_background(&FromContent::Embed { embed });
}

/// Has the shim insert our loader (from the page's world, see `ToPage::InjectLoader`), then
/// takes the element it inserted, the last child of `<head>`, as ours.
fn inject(url: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    with(|s| s.own_url = Some(absolute(url)));
    super::send_to_page(&ToPage::InjectLoader {
        url: url.to_owned(),
    });
    // The dispatch is synchronous: the element is in place now, before any observer runs.
    let parent = document
        .head()
        .map(Element::from)
        .or_else(|| document.document_element());
    let script = parent.and_then(|p| p.last_element_child()).filter(|el| {
        el.tag_name().eq_ignore_ascii_case("script")
            && el.get_attribute("src").as_deref() == Some(url)
    });
    with(|s| s.own_script = script);
    arm_timeout(false);
}

/// `loaderTimeoutMs` for the widget in use: ours (`attached` false) or the site's.
fn arm_timeout(attached: bool) {
    let ms = with(|s| s.timeout_ms);
    timers::set_timeout(ms.min(i32::MAX as u32) as i32, move || {
        if with(|s| s.loaded) {
            return;
        }
        let failure = LoaderFailure::Timeout { seconds: ms / 1000 };
        feed(if attached {
            EmbedEvent::SiteLoaderFailed(failure)
        } else {
            EmbedEvent::OurLoaderFailed(failure)
        });
    });
}

/// A resource's `error` (captured on the window): when it is our loader or the site's loader
/// in use, give a CSP violation a moment to arrive first (a CSP block fires `error` too), then
/// ask the background why the request failed.
fn on_resource_error(event: web_sys::Event) {
    let Some(el) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return;
    };
    if !el.tag_name().eq_ignore_ascii_case("script") {
        return;
    }
    let Some(src) = el.get_attribute("src").map(|s| absolute(&s)) else {
        return;
    };
    let ours = with(|s| s.own_script.as_ref().is_some_and(|o| *o == el));
    let site = with(|s| s.site_url.as_deref() == Some(src.as_str()));
    if !ours && !site {
        // Perhaps the site's loader, failing before the embedding attached to it.
        failed_before_start(src);
        return;
    }
    probe_later(src);
}

/// A script that failed to load before this script started (the shim saw its `error`): perhaps
/// the site's loader, failing before the embedding could attach to it.
pub fn failed_before_start(src: String) {
    with(|s| {
        if s.failed_early.len() < 16 && !s.failed_early.contains(&src) {
            s.failed_early.push(src);
        }
    });
}

/// Asks the background why the loader at `url` failed (it fetches the URL itself), unless the
/// widget has already failed.
fn probe_later(url: String) {
    timers::set_timeout(50, move || {
        if with(|s| s.failed) {
            return;
        }
        send_to_background(&FromContent::ProbeLoader { url });
    });
}

fn on_csp_violation(event: web_sys::Event) {
    let field = |name: &str| {
        js_sys::Reflect::get(&event, &name.into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    let blocked = field("blockedURI");
    let (own, site) = with(|s| (s.own_url.clone(), s.site_url.clone()));
    let ours = own
        .as_deref()
        .is_some_and(|u| violation_blocks(&blocked, u));
    let theirs = site
        .as_deref()
        .is_some_and(|u| violation_blocks(&blocked, u));
    if !ours && !theirs {
        return;
    }
    let directive = field("effectiveDirective");
    let directive = if directive.is_empty() {
        field("violatedDirective")
    } else {
        directive
    };
    let failure = LoaderFailure::BlockedByCsp { directive };
    feed(if ours {
        EmbedEvent::OurLoaderFailed(failure)
    } else {
        EmbedEvent::SiteLoaderFailed(failure)
    });
}

/// The background's answer to `ProbeLoader`.
pub fn on_probe(url: String, detail: String) {
    let (own, site) = with(|s| (s.own_url.clone(), s.site_url.clone()));
    let failure = LoaderFailure::Fetch { detail };
    if own.as_deref() == Some(url.as_str()) {
        feed(EmbedEvent::OurLoaderFailed(failure));
    } else if site.as_deref() == Some(url.as_str()) {
        feed(EmbedEvent::SiteLoaderFailed(failure));
    }
}

/// The widget in use failed: answer the waiting console calls with the reason.
fn fail(reason: String) {
    let waiting = with(|s| {
        s.failed = true;
        s.reason = reason.clone();
        std::mem::take(&mut s.waiting)
    });
    for (asker, _, _) in waiting {
        refuse(asker, &reason);
    }
    set_status(PageStatus::Failed { reason });
}

/// Answers a console call the widget cannot take because it did not load.
fn refuse(asker: Asker, reason: &str) {
    let outcome = Reply::threw(format!("the widget is not loaded: {reason}"));
    answer_console(asker, outcome);
}

/// A callback the widget called (recorded by the shim).
pub fn on_callback(name: Callback) {
    match name {
        Callback::OnLoadCallback => loaded(),
        Callback::OnWidgetDestroy => {
            with(|s| s.loaded = false);
            spa_driver::widget_destroyed();
        }
        _ => {}
    }
}

fn loaded() {
    let waiting = with(|s| {
        s.loaded = true;
        s.ready = true;
        s.failed = false;
        std::mem::take(&mut s.waiting)
    });
    seen(Seen::WidgetLoaded);
    spa_driver::widget_loaded();
    if waiting.is_empty() {
        return;
    }
    // We are inside the page's `jivo_onLoadCallback` dispatch: a call made from here would
    // re-enter the page channel, and its answer would be lost. Make the calls in a task of
    // their own.
    timers::set_timeout(0, move || {
        for (asker, call, note) in waiting {
            super::call_page_widget(asker, call.method, widget_args(&call), note);
        }
    });
}

/// A call from the popup's API console, made on the real widget once it has first loaded (with
/// the shim's function in place of any function stand-in). `invalid` says why its arguments
/// are invalid, as the background judged them: such a call is refused, unless sent `anyway`,
/// when it is made and logged with a note saying so.
pub fn console_call(asker: Asker, call: RawCall, anyway: bool, invalid: Option<String>) {
    let note = match invalid {
        None => None,
        Some(why) if anyway => Some(sent_anyway_note(&why)),
        Some(why) => {
            let outcome = Reply::threw(format!("refused: {why}"));
            answer_console(asker, outcome);
            return;
        }
    };
    let ready = with(|s| {
        if s.ready {
            Ok(true)
        } else if s.failed {
            Err(s.reason.clone())
        } else {
            s.waiting.push((asker, call.clone(), note.clone()));
            Ok(false)
        }
    });
    match ready {
        Ok(true) => super::call_page_widget(asker, call.method, widget_args(&call), note),
        Err(reason) => refuse(asker, &reason),
        Ok(false) => {}
    }
}
