//! The background: the one authority on settings, site-rule registrations and per-tab records.
//!
//! Chromium runs it as a service worker that may be stopped at any time, Firefox as an event
//! page. Listeners are attached synchronously in [`start_background`] (the glue instantiates the
//! module synchronously), so events that woke the worker are not missed; everything it must
//! remember lives in storage.

mod content_loader;
mod logs;
mod registry;
mod sandbox_store;
mod tabs;

use std::cell::RefCell;

use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;

use jwi_browser::ext::{self, Port};
use jwi_browser::storage::{self, Area};
use jwi_core::protocol::{self, decode, limits, popup, runtime};
use jwi_core::settings::{EffectiveSettings, SettingsStatus};
use jwi_core::storage_keys;

/// The background's in-memory state; rebuilt from storage after every restart.
struct Background {
    /// The user's and the administrator's settings as resolved; an invalid new document leaves
    /// the previous settings in force.
    effective: EffectiveSettings,
    /// Whether a settings load is running, and whether another was asked for meanwhile.
    loading: bool,
    load_again: bool,
    /// Whether settings were read since this background started.
    started: bool,
    /// The administrator's settings (`storage.managed`), once read; `None` if there are none.
    managed: Option<Value>,
    tabs: tabs::Tabs,
}

thread_local! {
    static BG: RefCell<Background> = RefCell::new(Background {
        effective: EffectiveSettings::resolve(None, None),
        loading: false,
        load_again: false,
        started: false,
        managed: None,
        tabs: tabs::Tabs::default(),
    });
}

/// Entry point, called by `background.js` right after synchronous instantiation.
#[wasm_bindgen]
pub fn start_background() {
    let on_connect = Closure::<dyn FnMut(Port)>::new(on_connect);
    ext::ON_CONNECT.with(|e| e.add_listener(on_connect.as_ref().unchecked_ref()));
    on_connect.forget();

    let on_storage =
        Closure::<dyn FnMut(JsValue, String)>::new(|changes: JsValue, area: String| {
            if area == "local" || area == "managed" {
                let touched = ext::from_js(&changes);
                if area == "managed" {
                    spawn_local(load_managed());
                } else if touched.get(storage_keys::SETTINGS).is_some() {
                    spawn_local(load_settings());
                }
            }
        });
    storage::ON_CHANGED.with(|e| e.add_listener(on_storage.as_ref().unchecked_ref()));
    on_storage.forget();

    let on_removed = Closure::<dyn FnMut(i32)>::new(|tab: i32| {
        BG.with(|bg| bg.borrow_mut().tabs.remove(tab));
        logs::remove(tab);
        content_loader::forget(tab);
    });
    ext::TABS_ON_REMOVED.with(|e| e.add_listener(on_removed.as_ref().unchecked_ref()));
    on_removed.forget();

    let on_updated = Closure::<dyn FnMut(i32, JsValue)>::new(|tab: i32, change: JsValue| {
        tabs::on_tab_updated(tab, &ext::from_js(&change));
    });
    ext::TABS_ON_UPDATED.with(|e| e.add_listener(on_updated.as_ref().unchecked_ref()));
    on_updated.forget();
    // Nothing else tells a new user where to start: the first install opens the welcome page.
    let on_installed = Closure::<dyn FnMut(JsValue)>::new(|details: JsValue| {
        if ext::from_js(&details)["reason"] == "install" {
            let url = ext::runtime_get_url("welcome.html");
            let _ = ext::tabs_create(&ext::to_js(&serde_json::json!({ "url": url })));
        }
    });
    ext::ON_INSTALLED.with(|e| e.add_listener(on_installed.as_ref().unchecked_ref()));
    on_installed.forget();
    content_loader::listen();

    spawn_local(load_settings());
    spawn_local(load_managed());
}

/// Reads the administrator's settings. Kept off the path of [`load_settings`]: the first
/// `storage.managed.get()` after a browser starts can take seconds, and the user's settings
/// must not wait for it; they are applied at once and the managed ones folded in on arrival.
async fn load_managed() {
    let managed = match storage::managed_get(&JsValue::NULL) {
        Ok(p) => ext::call(p)
            .await
            .map(|v| ext::from_js(&v))
            .unwrap_or(Value::Null),
        Err(_) => Value::Null,
    };
    let managed = managed
        .as_object()
        .filter(|m| !m.is_empty())
        .map(|_| managed.clone());
    let changed = BG.with(|bg| {
        let mut bg = bg.borrow_mut();
        let changed = bg.managed != managed;
        bg.managed = managed;
        changed
    });
    if changed {
        load_settings().await;
    }
}

/// Reads the user's and the administrator's settings, keeps the previous ones if the new
/// document is invalid, and brings the content-script registrations in line. Runs one at a
/// time: a change that arrives meanwhile makes it run once more.
async fn load_settings() {
    let busy = BG.with(|bg| {
        let mut bg = bg.borrow_mut();
        let busy = bg.loading;
        bg.loading = true;
        bg.load_again = busy;
        busy
    });
    if busy {
        return;
    }
    loop {
        load_settings_once().await;
        let again = BG.with(|bg| {
            let mut bg = bg.borrow_mut();
            let again = bg.load_again;
            bg.load_again = false;
            bg.loading = again;
            again
        });
        if !again {
            break;
        }
    }
}

async fn load_settings_once() {
    let stored = storage::get_or_empty(
        Area::Local,
        &[storage_keys::SETTINGS, storage_keys::SETTINGS_IN_FORCE],
    )
    .await;
    let user = stored
        .get(storage_keys::SETTINGS)
        .cloned()
        .unwrap_or(Value::Null);
    let in_force = stored
        .get(storage_keys::SETTINGS_IN_FORCE)
        .cloned()
        .unwrap_or(Value::Null);
    let effective = BG.with(|bg| {
        let mut bg = bg.borrow_mut();
        if !bg.started {
            // After a restart, start from the last settings that were in force, so that an
            // invalid document written meanwhile cannot take them away.
            bg.started = true;
            bg.effective = EffectiveSettings::resolve(Some(&in_force), None);
        }
        let managed = bg.managed.clone();
        bg.effective = bg
            .effective
            .with_managed_document(managed.as_ref())
            .with_user_document(Some(&user));
        bg.effective.clone()
    });
    if effective.user_errors().is_none() {
        let in_force = effective.user_document();
        let _ = storage::set_one(Area::Local, storage_keys::SETTINGS_IN_FORCE, in_force).await;
    }
    let status = serde_json::to_value(SettingsStatus::of(&effective)).unwrap_or_default();
    let _ = storage::set_one(Area::Session, storage_keys::SETTINGS_STATUS, status).await;
    // The network rules first: a page the new content scripts match finds its site's own
    // loader already held back.
    registry::sync_stand_in(effective.settings()).await;
    registry::sync_hold_back(effective.settings()).await;
    registry::sync(effective.settings()).await;
    tabs::settings_changed();
}

/// "Use my widget here" for the page at `url`: adds its site's rule to the user's
/// `siteWidget.useMineOn` (it applies from the page's next load). The rule added, or why not.
async fn use_mine_here(url: &str) -> Result<String, String> {
    let Some(rule) = jwi_core::jivochat::use_mine_rule(url) else {
        return Err("this page is not an http or https page".into());
    };
    let locked = BG.with(|bg| bg.borrow().effective.is_locked("siteWidget.useMineOn"));
    if locked {
        return Err("siteWidget.useMineOn is set by your administrator".into());
    }
    let stored = storage::get(Area::Local, &[storage_keys::SETTINGS]).await?;
    let user = stored
        .get(storage_keys::SETTINGS)
        .cloned()
        .unwrap_or(Value::Null);
    if let Some(doc) = jwi_core::settings::add_use_mine_rule(&user, &rule) {
        storage::set_one(Area::Local, storage_keys::SETTINGS, doc).await?;
    }
    Ok(rule)
}

/// Fetches the loader URL to say why the page could not load it: an HTTP status, or a network
/// error.
pub(crate) async fn probe_loader(url: &str) -> String {
    let global = js_sys::global();
    let Some(fetch) = js_sys::Reflect::get(&global, &"fetch".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    else {
        return "network error".into();
    };
    let init = ext::to_js(&serde_json::json!({ "cache": "no-store", "credentials": "omit" }));
    let Ok(promise) = fetch.call2(&global, &url.into(), &init) else {
        return "network error".into();
    };
    match ext::call(promise.unchecked_into()).await {
        Ok(response) => {
            let status = js_sys::Reflect::get(&response, &"status".into())
                .ok()
                .and_then(|s| s.as_f64())
                .unwrap_or(0.0) as u16;
            let text = js_sys::Reflect::get(&response, &"statusText".into())
                .ok()
                .and_then(|s| s.as_string())
                .unwrap_or_default();
            jwi_core::jivochat::describe_http_status(status, &text).unwrap_or_else(|| {
                format!("the server answered HTTP {status}, but the page could not run the script")
            })
        }
        Err(e) => format!("network error ({e})"),
    }
}

fn on_connect(port: Port) {
    match port.name().as_str() {
        runtime::PORT_NAME => tabs::on_content_port(port),
        runtime::LOADER_PORT_NAME => content_loader::on_loader_port(port),
        popup::PORT_NAME => tabs::on_popup_port(port),
        _ => port.disconnect(),
    }
}

/// The mode in force: the settings' once read; before that (a worker just started), the
/// default, sandbox mode, whose content bundle is the whole one and runs either mode.
fn mode_in_force() -> jwi_core::protocol::Mode {
    BG.with(|bg| bg.borrow().effective.settings().mode())
}

/// How a content script is to run the page at `url`, from the settings in force (and, in
/// sandbox mode, the site's stored sandbox state).
async fn page_config(url: &str) -> runtime::PageConfig {
    let (mode, spa, loader, stand_in, site_widget) = BG.with(|bg| {
        let bg = bg.borrow();
        let s = bg.effective.settings();
        let loader = s.jivochat_loader_url().map(|url| runtime::LoaderConfig {
            url,
            template: s.loader_url().as_str().to_owned(),
            widget_id: s
                .widget_id()
                .map(|w| w.as_str().to_owned())
                .unwrap_or_default(),
            timeout_ms: s.loader_timeout_ms(),
        });
        let site_widget = runtime::SiteWidgetPage {
            grace_ms: s.site_widget().grace_ms,
            use_mine_here: s.site_widget().uses_mine_on(url),
        };
        (
            s.mode(),
            s.spa().clone(),
            loader,
            s.site_widget().sandbox_stand_in,
            site_widget,
        )
    });
    let sandbox = match mode {
        jwi_core::protocol::Mode::Sandbox => Some(runtime::SandboxSeed {
            stand_in,
            ..sandbox_store::seed(url).await
        }),
        jwi_core::protocol::Mode::JivoChat => None,
    };
    let loader = match mode {
        jwi_core::protocol::Mode::JivoChat => loader,
        jwi_core::protocol::Mode::Sandbox => None,
    };
    runtime::PageConfig {
        mode,
        spa,
        sandbox,
        loader,
        site_widget,
    }
}

/// Decodes a message from a content script or popup; `None` drops it.
fn decode_from<T: serde::de::DeserializeOwned>(msg: &JsValue) -> Option<T> {
    decode(&msg.as_string()?, limits::RUNTIME_MESSAGE_BYTES).ok()
}

fn post(port: &Port, msg: &impl serde::Serialize) {
    port.post(&protocol::encode(msg));
}
