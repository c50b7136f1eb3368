//! Per-tab records and the ports of the pages and popups that report to or watch them.
//!
//! A record is kept in memory and written through to `storage.session` (`tab:<id>`), so a
//! popup opened after the service worker restarted still sees it.

use std::collections::{HashMap, HashSet};

use serde_json::json;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;

use super::{decode_from, page_config, post, BG};
use jwi_browser::ext::{self, Port};
use jwi_browser::storage::{self, Area};
use jwi_core::protocol::page::CallOutcome;
use jwi_core::protocol::popup::{FromPopup, TabView, ToPopup};
use jwi_core::protocol::runtime::{FromContent, ToContent};
use jwi_core::protocol::PageStatus;

/// Every tab the background knows about, and who is watching which.
#[derive(Default)]
pub struct Tabs {
    views: HashMap<i32, TabView>,
    /// The page port that currently speaks for each tab, with its connection id.
    page_ports: HashMap<i32, (u32, Port)>,
    popups: Vec<(u32, i32, Port)>,
    /// API console calls sent to a page and not yet answered.
    calls: Vec<CallInFlight>,
    next_port: u32,
    /// Tabs closed since this background started. A page port's disconnect or a batch of
    /// events can arrive after `tabs.onRemoved`; they must not store the tab again. Tab ids
    /// are not reused while the browser runs.
    closed: HashSet<i32>,
}

/// A popup's API console call waiting for the page's answer.
struct CallInFlight {
    tab: i32,
    /// The request id the popup chose.
    id: u32,
    /// The popup that asked, and its connection id.
    popup: Port,
    popup_id: u32,
}

/// What a console call answers when its tab closes before the page answered.
const TAB_CLOSED: &str = "the call did not finish: the tab was closed";
/// What it answers when the page that had it goes away (closed, reloaded or left).
const PAGE_GONE: &str = "the call did not finish: the page was closed or left before answering";

impl Tabs {
    /// Forgets a closed tab, for good.
    pub fn remove(&mut self, tab: i32) {
        self.closed.insert(tab);
        self.views.remove(&tab);
        self.page_ports.remove(&tab);
        self.fail_calls(tab, TAB_CLOSED);
        let key = storage_key(tab);
        spawn_local(async move {
            let _ = storage::remove(Area::Session, &[key]).await;
        });
    }

    /// Answers every console call in flight on `tab` with `why`, so no popup waits forever.
    fn fail_calls(&mut self, tab: i32, why: &str) {
        let (gone, kept) = std::mem::take(&mut self.calls)
            .into_iter()
            .partition(|c| c.tab == tab);
        self.calls = kept;
        for call in gone {
            let outcome = CallOutcome {
                threw: Some(why.to_owned()),
                ..CallOutcome::default()
            };
            post(
                &call.popup,
                &ToPopup::ApiResult {
                    id: call.id,
                    outcome,
                },
            );
        }
    }

    fn next_id(&mut self) -> u32 {
        self.next_port = self.next_port.wrapping_add(1);
        self.next_port
    }
}

fn storage_key(tab: i32) -> String {
    format!("tab:{tab}")
}

fn sender_tab(port: &Port) -> Option<i32> {
    let sender = port.sender();
    let tab = js_sys::Reflect::get(&sender, &"tab".into()).ok()?;
    js_sys::Reflect::get(&tab, &"id".into())
        .ok()?
        .as_f64()
        .map(|id| id as i32)
}

/// Whether the tab was closed (nothing about it may be stored any more).
pub(super) fn is_closed(tab: i32) -> bool {
    BG.with(|bg| bg.borrow().tabs.closed.contains(&tab))
}

/// Applies `change` to a tab's record, stores it and shows it to the popups watching the tab.
/// A closed tab is left alone.
fn update(tab: i32, change: impl FnOnce(&mut TabView)) {
    let view = BG.with(|bg| {
        let mut bg = bg.borrow_mut();
        if bg.tabs.closed.contains(&tab) {
            return None;
        }
        let view = bg.tabs.views.entry(tab).or_insert_with(|| TabView {
            tab,
            ..TabView::default()
        });
        change(view);
        Some(view.clone())
    });
    let Some(view) = view else { return };
    show_unread_on_badge(tab, &view);
    let watchers = watchers_of(tab);
    for port in &watchers {
        post(port, &ToPopup::Tab(Box::new(view.clone())));
    }
    let key = storage_key(tab);
    let value = json!(view);
    spawn_local(async move {
        let _ = storage::set_one(Area::Session, &key, value).await;
    });
}

/// A content script connected: it speaks for its tab until it disconnects.
pub fn on_page_port(port: Port) {
    let Some(tab) = sender_tab(&port) else {
        port.disconnect();
        return;
    };
    let id = BG.with(|bg| {
        let mut bg = bg.borrow_mut();
        let id = bg.tabs.next_id();
        bg.tabs.page_ports.insert(tab, (id, port.clone()));
        id
    });
    let reply_port = port.clone();
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |msg: JsValue| {
        let Some(msg) = decode_from::<FromContent>(&msg) else {
            return;
        };
        match msg {
            FromContent::Hello { url, .. } => {
                let port = reply_port.clone();
                spawn_local(async move {
                    let config = page_config(&url).await;
                    let mode = config.mode;
                    post(&port, &ToContent::Config(Box::new(config)));
                    update(tab, |v| {
                        v.url = Some(url);
                        v.mode = mode;
                        v.embed = None;
                    });
                });
            }
            FromContent::Status { status } => update(tab, |v| v.status = status),
            FromContent::SandboxSave {
                origin,
                record,
                agent,
            } => {
                super::sandbox_store::save(tab, origin, *record, agent);
            }
            FromContent::SandboxView { view, facts } => update(tab, |v| {
                v.agent = Some(view);
                v.facts = Some(facts);
            }),
            FromContent::Events { page, events } => {
                super::logs::append(tab, page, events, reply_port.clone());
            }
            FromContent::ProbeLoader { url } => {
                let port = reply_port.clone();
                spawn_local(async move {
                    let reason = super::probe_loader(&url).await;
                    post(&port, &ToContent::LoaderProbe { url, reason });
                });
            }
            FromContent::Embed { embed } => update(tab, |v| v.embed = Some(embed)),
            FromContent::ApiResult { id, outcome } => {
                BG.with(|bg| {
                    bg.borrow_mut()
                        .tabs
                        .calls
                        .retain(|c| !(c.tab == tab && c.id == id))
                });
                for port in watchers_of(tab) {
                    post(
                        &port,
                        &ToPopup::ApiResult {
                            id,
                            outcome: outcome.clone(),
                        },
                    );
                }
            }
        }
    });
    port.on_message()
        .add_listener(on_message.as_ref().unchecked_ref());
    on_message.forget();
    let on_disconnect = Closure::<dyn FnMut()>::new(move || {
        let current = BG.with(|bg| bg.borrow().tabs.page_ports.get(&tab).map(|p| p.0) == Some(id));
        if current {
            BG.with(|bg| {
                let mut bg = bg.borrow_mut();
                bg.tabs.page_ports.remove(&tab);
                bg.tabs.fail_calls(tab, PAGE_GONE);
            });
            update(tab, |v| v.status = PageStatus::NotMatched);
        }
    });
    port.on_disconnect()
        .add_listener(on_disconnect.as_ref().unchecked_ref());
    on_disconnect.forget();
}

/// The toolbar badge shows the tab's unread agent messages, when there are any.
fn show_unread_on_badge(tab: i32, view: &TabView) {
    let unread = view.facts.as_ref().map(|f| f.unread).unwrap_or(0);
    let text = if unread > 0 {
        unread.to_string()
    } else {
        String::new()
    };
    let details = json!({ "tabId": tab, "text": text });
    spawn_local(async move {
        let _ = ext::call(ext::action_set_badge_text(&ext::to_js(&details))).await;
    });
}

/// The popups watching a tab.
pub(super) fn watchers_of(tab: i32) -> Vec<Port> {
    BG.with(|bg| {
        bg.borrow()
            .tabs
            .popups
            .iter()
            .filter(|(_, t, _)| *t == tab)
            .map(|(_, _, p)| p.clone())
            .collect()
    })
}

/// Sends a message to the content script speaking for a tab; false if there is none.
fn to_page(tab: i32, msg: &ToContent) -> bool {
    let port = BG.with(|bg| {
        bg.borrow()
            .tabs
            .page_ports
            .get(&tab)
            .map(|(_, p)| p.clone())
    });
    match port {
        Some(port) => port.post(&jwi_core::protocol::encode(msg)),
        None => false,
    }
}

/// A popup connected: it names the tab it shows with `Watch`.
pub fn on_popup_port(port: Port) {
    let id = BG.with(|bg| bg.borrow_mut().tabs.next_id());
    let port_id = id;
    let keep = port.clone();
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |msg: JsValue| {
        let Some(msg) = decode_from::<FromPopup>(&msg) else {
            return;
        };
        match msg {
            FromPopup::ClearLog { tab } => super::logs::clear(tab),
            FromPopup::ExportLog { tab } => super::logs::export(tab, keep.clone()),
            FromPopup::InjectIntoTab { tab } => {
                let already = BG.with(|bg| bg.borrow().tabs.page_ports.contains_key(&tab));
                if !already {
                    spawn_local(super::registry::inject_into_tab(tab));
                }
            }
            FromPopup::Agent { tab, action } => {
                to_page(tab, &ToContent::Agent { action });
            }
            FromPopup::CallApi { tab, id, call } => {
                if to_page(tab, &ToContent::CallApi { id, call }) {
                    let call = CallInFlight {
                        tab,
                        id,
                        popup: keep.clone(),
                        popup_id: port_id,
                    };
                    BG.with(|bg| bg.borrow_mut().tabs.calls.push(call));
                } else {
                    let outcome = CallOutcome {
                        threw: Some("the extension is not running on this tab".into()),
                        ..CallOutcome::default()
                    };
                    post(&keep, &ToPopup::ApiResult { id, outcome });
                }
            }
            FromPopup::UseMineHere { tab } => {
                let port = keep.clone();
                spawn_local(async move {
                    let url = current_view(tab).await.url.unwrap_or_default();
                    let answer = match super::use_mine_here(&url).await {
                        Ok(rule) => ToPopup::UseMine {
                            rule: Some(rule),
                            error: None,
                        },
                        Err(error) => ToPopup::UseMine {
                            rule: None,
                            error: Some(error),
                        },
                    };
                    post(&port, &answer);
                });
            }
            FromPopup::Watch { tab } => {
                let watcher = keep.clone();
                BG.with(|bg| bg.borrow_mut().tabs.popups.push((id, tab, watcher)));
                let port = keep.clone();
                spawn_local(async move {
                    let view = current_view(tab).await;
                    post(&port, &ToPopup::Tab(Box::new(view)));
                });
                super::logs::show(tab, keep.clone());
            }
        }
    });
    port.on_message()
        .add_listener(on_message.as_ref().unchecked_ref());
    on_message.forget();
    let on_disconnect = Closure::<dyn FnMut()>::new(move || {
        BG.with(|bg| {
            let mut bg = bg.borrow_mut();
            bg.tabs.popups.retain(|(pid, _, _)| *pid != id);
            bg.tabs.calls.retain(|c| c.popup_id != id);
        });
    });
    port.on_disconnect()
        .add_listener(on_disconnect.as_ref().unchecked_ref());
    on_disconnect.forget();
}

/// The record of a tab: from memory, else from `storage.session` (after a restart).
async fn current_view(tab: i32) -> TabView {
    if let Some(view) = BG.with(|bg| bg.borrow().tabs.views.get(&tab).cloned()) {
        return view;
    }
    let key = storage_key(tab);
    let stored = storage::get_or_empty(Area::Session, &[&key]).await;
    let view = stored
        .get(&key)
        .and_then(|v| serde_json::from_value::<TabView>(v.clone()).ok())
        .unwrap_or(TabView {
            tab,
            ..TabView::default()
        });
    BG.with(|bg| {
        bg.borrow_mut()
            .tabs
            .views
            .entry(tab)
            .or_insert(view)
            .clone()
    })
}
