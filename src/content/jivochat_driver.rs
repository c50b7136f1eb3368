//! JivoChat mode on a page: injects the real widget's loader once (top frame, async), or
//! attaches to the page's own JivoChat widget, and turns what happens into page statuses with
//! reasons (loaded; blocked by CSP; HTTP error or network error; no `jivo_onLoadCallback` in
//! time). Console calls made before the widget loaded wait for `jivo_onLoadCallback`; once
//! loading has failed they are answered at once with the reason (a widget that still loads
//! late is used from then on).

use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use web_sys::Element;

use super::{answer_console, send_to_background, set_status, spa_driver, Asker};
use jwi_core::api::call::{function_marker, is_function_marker, ApiCall, RawCall, Reply};
use jwi_core::api::Callback;
use jwi_core::jivochat::{site_loader, violation_blocks, widget_args, LoaderFailure, LoaderScript};
use jwi_core::protocol::runtime::{FromContent, LoaderConfig};
use jwi_core::protocol::PageStatus;

#[derive(Default)]
struct State {
    loader: Option<LoaderConfig>,
    loaded: bool,
    /// Whether the widget has called `jivo_onLoadCallback` at least once on this page. Console
    /// calls wait only for that: after a `jivo_destroy` they go straight to the widget, or a
    /// console `jivo_init` would wait for the very callback it brings about.
    ready: bool,
    failed: bool,
    /// Why loading failed, while it has.
    reason: String,
    attached: bool,
    /// Console calls waiting for `jivo_onLoadCallback`.
    waiting: Vec<(Asker, RawCall)>,
}

thread_local! {
    static JIVO: RefCell<Option<State>> = const { RefCell::new(None) };
}

fn with<R>(f: impl FnOnce(&mut State) -> R) -> Option<R> {
    JIVO.with(|s| s.borrow_mut().as_mut().map(f))
}

/// Starts JivoChat mode once the document is parsed (so the page's own loader tag, if any,
/// is there to be found). `api_present` says whether `window.jivo_api` already exists.
pub fn start(loader: Option<LoaderConfig>, api_present: fn() -> bool) {
    JIVO.with(|s| {
        *s.borrow_mut() = Some(State {
            loader,
            ..State::default()
        })
    });
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let on_violation = Closure::<dyn FnMut(web_sys::Event)>::new(on_csp_violation);
    let _ = document.add_event_listener_with_callback_and_bool(
        "securitypolicyviolation",
        on_violation.as_ref().unchecked_ref(),
        true,
    );
    on_violation.forget();
    let begin = move || attach_or_inject(api_present());
    if document.ready_state() == "loading" {
        let on_ready = Closure::once_into_js(begin);
        let _ =
            document.add_event_listener_with_callback("DOMContentLoaded", on_ready.unchecked_ref());
    } else {
        begin();
    }
}

fn page_has_loader_tag(configured: Option<&str>) -> bool {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return false;
    };
    let Ok(scripts) = document.query_selector_all("script[src]") else {
        return false;
    };
    (0..scripts.length())
        .filter_map(|i| scripts.item(i))
        .any(|node| {
            let Some(el) = node.dyn_ref::<Element>() else {
                return false;
            };
            let Some(src) = el.get_attribute("src").map(|s| absolute(&s)) else {
                return false;
            };
            let data_jv_id = el.get_attribute("data-jv-id");
            let jv_id = el.get_attribute("jv-id");
            let script = LoaderScript {
                src: &src,
                data_jv_id: data_jv_id.as_deref(),
                jv_id: jv_id.as_deref(),
            };
            // The loader config carries the resolved URL, which as a template matches itself.
            site_loader(&script, configured.unwrap_or("")).is_some()
        })
}

/// A script's `src` as an absolute URL (relative to the page).
fn absolute(src: &str) -> String {
    let base = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    web_sys::Url::new_with_base(src, &base)
        .map(|u| u.href())
        .unwrap_or_else(|_| src.to_owned())
}

fn attach_or_inject(api_present: bool) {
    let Some(loader) = with(|s| s.loader.clone()) else {
        return;
    };
    let configured = loader.as_ref().map(|l| l.url.as_str());
    if api_present || page_has_loader_tag(configured) {
        with(|s| s.attached = true);
        set_status(PageStatus::Attached);
        if api_present {
            loaded();
        }
        return;
    }
    let Some(loader) = loader else {
        fail(LoaderFailure::NoWidgetId);
        return;
    };
    inject(&loader);
}

fn inject(loader: &LoaderConfig) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(script) = document.create_element("script") else {
        return;
    };
    let _ = script.set_attribute("src", &loader.url);
    let _ = script.set_attribute("async", "");
    let on_error = Closure::once_into_js(on_script_error);
    let _ = script.add_event_listener_with_callback("error", on_error.unchecked_ref());
    let parent = document
        .head()
        .map(Element::from)
        .or_else(|| document.document_element());
    let Some(parent) = parent else { return };
    set_status(PageStatus::Loading);
    let _ = parent.append_child(&script);
    let timeout_ms = loader.timeout_ms;
    let on_timeout = Closure::once_into_js(move || {
        if with(|s| !s.loaded && !s.failed).unwrap_or(false) {
            fail(LoaderFailure::Timeout {
                seconds: timeout_ms / 1000,
            });
        }
    });
    if let Some(window) = web_sys::window() {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
            on_timeout.unchecked_ref(),
            timeout_ms.min(i32::MAX as u32) as i32,
        );
    }
}

/// The loader's `error` event: a CSP block fires one too, so give the violation event a moment
/// to arrive first, then ask the background why the request failed.
fn on_script_error() {
    let later = Closure::once_into_js(|| {
        let Some(url) = with(|s| (!s.failed).then(|| s.loader.as_ref().map(|l| l.url.clone())))
            .flatten()
            .flatten()
        else {
            return;
        };
        send_to_background(&FromContent::ProbeLoader { url });
    });
    if let Some(window) = web_sys::window() {
        let _ =
            window.set_timeout_with_callback_and_timeout_and_arguments_0(later.unchecked_ref(), 50);
    }
}

fn on_csp_violation(event: web_sys::Event) {
    let field = |name: &str| {
        js_sys::Reflect::get(&event, &name.into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    let Some(url) = with(|s| s.loader.as_ref().map(|l| l.url.clone())).flatten() else {
        return;
    };
    if violation_blocks(&field("blockedURI"), &url) {
        let directive = field("effectiveDirective");
        let directive = if directive.is_empty() {
            field("violatedDirective")
        } else {
            directive
        };
        fail(LoaderFailure::BlockedByCsp { directive });
    }
}

/// The background's answer to `ProbeLoader`.
pub fn on_probe(detail: String) {
    fail(LoaderFailure::Fetch { detail });
}

fn fail(failure: LoaderFailure) {
    let reason = failure.to_string();
    let waiting = with(|s| {
        let first = !s.failed && !s.loaded;
        s.failed = true;
        if first {
            s.reason = reason.clone();
        }
        first.then(|| std::mem::take(&mut s.waiting))
    })
    .flatten();
    let Some(waiting) = waiting else { return };
    for (asker, _) in waiting {
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
    let Some((attached, waiting)) = with(|s| {
        s.loaded = true;
        s.ready = true;
        s.failed = false;
        (s.attached, std::mem::take(&mut s.waiting))
    }) else {
        return;
    };
    set_status(if attached {
        PageStatus::Attached
    } else {
        PageStatus::Loaded
    });
    spa_driver::widget_loaded();
    if waiting.is_empty() {
        return;
    }
    // We are inside the page's `jivo_onLoadCallback` dispatch: a call made from here would
    // re-enter the page channel, and its answer would be lost. Make the calls in a task of
    // their own.
    let later = Closure::once_into_js(move || {
        for (asker, call) in waiting {
            super::call_page_widget(asker, call.method, widget_args(&call));
        }
    });
    if let Some(window) = web_sys::window() {
        let _ =
            window.set_timeout_with_callback_and_timeout_and_arguments_0(later.unchecked_ref(), 0);
    }
}

/// A call from the popup's API console: validated again, then made on the real widget once it
/// has first loaded (with the shim's function in place of any function stand-in).
pub fn console_call(asker: Asker, call: RawCall) {
    // The shim passes its own function to callback-style methods; validate with it in place.
    let mut checked = call.clone();
    if call.method.answers_through_callback() && !call.args.iter().any(is_function_marker) {
        checked.args.push(function_marker());
    }
    if let Err(e) = ApiCall::from_raw(&checked) {
        let outcome = Reply::threw(format!("refused: {e}"));
        answer_console(asker, outcome);
        return;
    }
    let ready = with(|s| {
        if s.ready {
            Ok(true)
        } else if s.failed {
            Err(s.reason.clone())
        } else {
            s.waiting.push((asker, call.clone()));
            Ok(false)
        }
    });
    match ready {
        Some(Ok(true)) => super::call_page_widget(asker, call.method, widget_args(&call)),
        Some(Err(reason)) => refuse(asker, &reason),
        _ => {}
    }
}
