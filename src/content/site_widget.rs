//! Sandbox mode on a page with its own JivoChat: the site's loader `<script>`s are recognised
//! ([`site_loader`]) and fed to the [`Embedding`] decision. Standing in (the default), the
//! loader was held back by the background's `declarativeNetRequest` rules and the log says
//! so; with `siteWidget.sandboxStandIn` off the sandbox stands down and leaves the page to its
//! own widget rather than running two.

use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use web_sys::{Element, MutationObserver, MutationObserverInit, MutationRecord};

use jwi_core::event_log::Event;
use jwi_core::jivochat::{
    site_loader, EmbedAction, EmbedConfig, EmbedEvent, Embedding, LoaderScript, SiteLoader,
};
use jwi_core::protocol::runtime::{FromContent, SiteWidgetNotice};

struct Watch {
    embedding: Embedding,
    observer: Option<MutationObserver>,
}

/// Whether the sandbox stood down for the page's own widget.
pub fn stood_down() -> bool {
    WATCH.with(|w| {
        w.borrow()
            .as_ref()
            .is_some_and(|w| *w.embedding.phase() == jwi_core::jivochat::Phase::StoodDown)
    })
}

thread_local! {
    static WATCH: RefCell<Option<Watch>> = const { RefCell::new(None) };
}

/// Starts watching the page's scripts (sandbox mode, document start).
pub fn start(stand_in: bool) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    WATCH.with(|w| {
        *w.borrow_mut() = Some(Watch {
            embedding: Embedding::new(EmbedConfig::sandbox(stand_in)),
            observer: None,
        })
    });
    if let Ok(scripts) = document.query_selector_all("script[src]") {
        for i in 0..scripts.length() {
            if let Some(el) = scripts.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                seen(&el);
            }
        }
    }
    let callback = Closure::<dyn FnMut(js_sys::Array)>::new(|records: js_sys::Array| {
        for record in records.iter() {
            let Ok(record) = record.dyn_into::<MutationRecord>() else {
                continue;
            };
            let added = record.added_nodes();
            for i in 0..added.length() {
                if let Some(el) = added.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                    seen(&el);
                }
            }
        }
    });
    let Ok(observer) = MutationObserver::new(callback.as_ref().unchecked_ref()) else {
        return;
    };
    callback.forget();
    let options = MutationObserverInit::new();
    options.set_child_list(true);
    options.set_subtree(true);
    let _ = observer.observe_with_options(&document, &options);
    WATCH.with(|w| {
        if let Some(w) = w.borrow_mut().as_mut() {
            w.observer = Some(observer);
        }
    });
}

/// One element added to the page: a site loader goes to the embedding decision.
fn seen(el: &Element) {
    if !el.tag_name().eq_ignore_ascii_case("script") {
        return;
    }
    // `script.src` is the resolved URL.
    let src = js_sys::Reflect::get(el, &"src".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    if src.is_empty() {
        return;
    }
    let data_jv_id = el.get_attribute("data-jv-id");
    let jv_id = el.get_attribute("jv-id");
    let script = LoaderScript {
        src: &src,
        data_jv_id: data_jv_id.as_deref(),
        jv_id: jv_id.as_deref(),
    };
    let Some(site) = site_loader(&script, "") else {
        return;
    };
    super::loader_seen(&site.url);
    let loader = site.clone();
    let actions = WATCH.with(|w| {
        w.borrow_mut()
            .as_mut()
            .map(|w| w.embedding.handle(EmbedEvent::SiteLoaderSeen(site)))
            .unwrap_or_default()
    });
    for action in actions {
        match action {
            EmbedAction::HoldBack { site } => {
                super::recorder::record(Event::status(held_back_text(&site)));
                super::send_to_background(&FromContent::SiteWidget {
                    notice: SiteWidgetNotice::HeldBack {
                        widget_id: site.widget_id,
                        url: site.url,
                    },
                });
            }
            EmbedAction::StandDown => {
                super::recorder::record(Event::status(stood_down_text(&loader)));
                super::send_to_background(&FromContent::SiteWidget {
                    notice: SiteWidgetNotice::StoodDown {
                        widget_id: loader.widget_id.clone(),
                        url: loader.url.clone(),
                    },
                });
                if let Some(o) =
                    WATCH.with(|w| w.borrow_mut().as_mut().and_then(|w| w.observer.take()))
                {
                    o.disconnect();
                }
                super::sandbox_driver::stand_down();
            }
            EmbedAction::FireLoad => {
                if let Some(event) = EmbedAction::FireLoad.log_event() {
                    super::recorder::record(event);
                }
                super::sandbox_driver::fire_load_again();
            }
            _ => {}
        }
    }
}

/// What is known of the sandbox's `jivo_onLoadCallback` ([`EmbedEvent::WidgetLoaded`], or
/// [`EmbedEvent::LoadUnheard`]: the page had no handler), for the [`Embedding`] decision.
pub fn sandbox_load(event: EmbedEvent) {
    let actions = WATCH.with(|w| {
        w.borrow_mut()
            .as_mut()
            .map(|w| w.embedding.handle(event))
            .unwrap_or_default()
    });
    for action in actions {
        if action == EmbedAction::FireLoad {
            if let Some(event) = action.log_event() {
                super::recorder::record(event);
            }
            super::sandbox_driver::fire_load_again();
        }
    }
}

/// What the log says when the sandbox stays out.
pub fn stood_down_text(site: &SiteLoader) -> String {
    let id = site.widget_id.as_deref().unwrap_or("(no id)");
    format!(
        "the site has its own JivoChat, widget {id} from {}; the sandbox stays out of this page (siteWidget.sandboxStandIn is off)",
        site.url
    )
}

/// What the log says about a held-back loader.
pub fn held_back_text(site: &SiteLoader) -> String {
    let id = site.widget_id.as_deref().unwrap_or("(no id)");
    format!(
        "the site's own JivoChat, widget {id} from {}, was held back; the sandbox answers in its place",
        site.url
    )
}
