//! Feeds the SPA tracker ([`jwi_core::spa`]) from the page and sends its reports through
//! `sendPageTitle`.
//!
//! URL changes come from the shim (`history.pushState`/`replaceState` returned), from
//! `popstate` and `hashchange`, and from the Navigation API's `currententrychange` where the
//! browser has it; title changes from a `MutationObserver` on `<head>` (the `<title>` element
//! replaced or its text changed; `document.title = …` does the same). The tracker decides;
//! this module only reads `location.href`/`document.title`, keeps one timer, and delivers.

use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use web_sys::{MutationObserver, MutationObserverInit};

use jwi_browser::timers::{self, Timeout};
use jwi_core::event_log::Event;
use jwi_core::spa::{Observation, PageReport, PageState, SpaConfig, SpaTracker, Step, UrlCause};

struct Driver {
    tracker: SpaTracker,
    timer: Option<Timeout>,
    deliver: fn(PageReport),
    /// Whether the `<title>` observer is installed.
    watching: bool,
}

thread_local! {
    static SPA: RefCell<Option<Driver>> = const { RefCell::new(None) };
}

fn now() -> u64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now().max(0.0) as u64)
        .unwrap_or(0)
}

/// The page as it is now.
fn current_page() -> PageState {
    let Some(window) = web_sys::window() else {
        return PageState::new("", "");
    };
    let url = window.location().href().unwrap_or_default();
    let title = window.document().map(|d| d.title()).unwrap_or_default();
    PageState::new(url, title)
}

/// Starts tracking at document start; `deliver` sends a report to the widget.
pub fn start(deliver: fn(PageReport)) {
    let tracker = SpaTracker::new(SpaConfig::default(), current_page());
    SPA.with(|s| {
        *s.borrow_mut() = Some(Driver {
            tracker,
            timer: None,
            deliver,
            watching: false,
        })
    });
    let Some(window) = web_sys::window() else {
        return;
    };
    listen(&window, "popstate", UrlCause::Pop);
    listen(&window, "hashchange", UrlCause::Hash);
    if let Ok(navigation) = js_sys::Reflect::get(&window, &"navigation".into()) {
        if let Some(target) = navigation.dyn_ref::<web_sys::EventTarget>() {
            listen(target, "currententrychange", UrlCause::Navigate);
        }
    }
    if let Some(document) = window.document() {
        // Watch the title from the end of parsing ("interactive"), not DOMContentLoaded: a
        // page's deferred scripts (an SPA's router among them) run in between.
        if document.ready_state() == "loading" {
            let on_change = Closure::<dyn FnMut()>::new(|| {
                let parsed = web_sys::window()
                    .and_then(|w| w.document())
                    .is_some_and(|d| d.ready_state() != "loading");
                let first = SPA.with(|s| {
                    s.borrow_mut()
                        .as_mut()
                        .is_some_and(|d| parsed && !std::mem::replace(&mut d.watching, true))
                });
                if first {
                    watch_title();
                }
            });
            let _ = document.add_event_listener_with_callback(
                "readystatechange",
                on_change.as_ref().unchecked_ref(),
            );
            on_change.forget();
        } else {
            SPA.with(|s| {
                if let Some(d) = s.borrow_mut().as_mut() {
                    d.watching = true;
                }
            });
            watch_title();
        }
    }
}

fn listen(target: &web_sys::EventTarget, event: &str, cause: UrlCause) {
    let listener = Closure::<dyn FnMut()>::new(move || url_changed(cause));
    let _ = target.add_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
    listener.forget();
}

/// Observes `<head>` (and `<html>`, in case `<head>` is replaced) for title changes.
fn watch_title() {
    title_changed();
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let callback = Closure::<dyn FnMut()>::new(title_changed);
    let Ok(observer) = MutationObserver::new(callback.as_ref().unchecked_ref()) else {
        return;
    };
    callback.forget();
    let subtree = MutationObserverInit::new();
    subtree.set_child_list(true);
    subtree.set_subtree(true);
    subtree.set_character_data(true);
    if let Some(head) = document.head() {
        let _ = observer.observe_with_options(&head, &subtree);
    }
    if let Some(root) = document.document_element() {
        let children = MutationObserverInit::new();
        children.set_child_list(true);
        let _ = observer.observe_with_options(&root, &children);
    }
}

fn title_changed() {
    let title = current_page().title;
    step(|t, now| t.observe(now, Observation::title(title)));
}

/// A URL change: from the shim's History hooks, or the events above.
pub fn url_changed(cause: UrlCause) {
    let url = current_page().url;
    step(|t, now| t.observe(now, Observation::url(url, cause)));
}

/// The settings' `spa` options arrived or changed.
pub fn set_config(config: SpaConfig) {
    step(|t, now| t.set_config(now, config));
}

/// The widget called `jivo_onLoadCallback` having seen the page as it is now.
pub fn widget_loaded() {
    // The widget may load before the title observer runs; bring the tracker up to date first,
    // so that what it holds as the latest state is what the widget saw.
    title_changed();
    url_changed(UrlCause::Navigate);
    let seen = current_page();
    step(|t, now| t.widget_loaded(now, seen));
}

/// The widget was destroyed: nothing is reported until it loads again.
pub fn widget_destroyed() {
    step(|t, _| t.widget_destroyed());
}

fn tick() {
    SPA.with(|s| {
        if let Some(d) = s.borrow_mut().as_mut() {
            d.timer = None;
        }
    });
    step(|t, now| t.tick(now));
}

/// Runs one tracker input, re-arms the one timer, and delivers the report (outside the borrow).
fn step(input: impl FnOnce(&mut SpaTracker, u64) -> Step) {
    let now = now();
    let Some((step, deliver, old_timer)) = SPA.with(|s| {
        let mut s = s.borrow_mut();
        let d = s.as_mut()?;
        let step = input(&mut d.tracker, now);
        Some((step, d.deliver, d.timer.take()))
    }) else {
        return;
    };
    if let Some(timer) = old_timer {
        timer.cancel();
    }
    if let Some(at) = step.wake_at {
        let delay = at.saturating_sub(now).min(i32::MAX as u64) as i32;
        if let Some(timer) = timers::set_timeout(delay, tick) {
            SPA.with(|s| {
                if let Some(d) = s.borrow_mut().as_mut() {
                    d.timer = Some(timer);
                }
            });
        }
    }
    // Every navigation seen and settled without a report goes in the log with its reason.
    for navigation in &step.unreported {
        super::recorder::record(Event::unreported(navigation));
    }
    if let Some(report) = step.report {
        deliver(report);
    }
}
