//! Per-tab records and the ports of the content scripts and popups that report to or watch
//! them.
//!
//! A record is kept in memory and written through to `storage.session`
//! ([`storage_keys::tab_view`]), so a popup opened after the service worker restarted still
//! sees it.

use std::collections::{HashMap, HashSet};

use serde_json::json;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;

use super::{decode_from, page_config, post, BG};
use jwi_browser::ext::{self, Port};
use jwi_browser::storage::{self, Area};
use jwi_core::api::call::Reply;
use jwi_core::protocol::popup::{FromPopup, TabView, ToPopup};
use jwi_core::protocol::runtime::{CallId, FromContent, ToContent};
use jwi_core::protocol::PageStatus;
use jwi_core::storage_keys;
use jwi_core::view::console_form::invalid_args;
use jwi_core::view::workbench::Badge;

/// Every tab the background knows about, and who is watching which.
#[derive(Default)]
pub struct Tabs {
    views: HashMap<i32, TabView>,
    /// The content script's port that currently speaks for each tab, with its connection id.
    content_ports: HashMap<i32, (u32, Port)>,
    popups: Vec<(u32, i32, Port)>,
    /// API console calls sent to a page and not yet answered, by the id this background gave
    /// them.
    calls: HashMap<CallId, CallInFlight>,
    next_port: u32,
    /// The last console call id issued (they are never reused while this background runs).
    last_call: u64,
    /// Tabs closed since this background started. A page port's disconnect or a batch of
    /// events can arrive after `tabs.onRemoved`; they must not store the tab again. Tab ids
    /// are not reused while the browser runs.
    closed: HashSet<i32>,
}

/// A popup's API console call waiting for the page's answer. Its answer goes to this popup
/// only, under the popup's own request id.
struct CallInFlight {
    tab: i32,
    /// The connection id of the page port the call was sent on; only that port may answer it.
    page: u32,
    /// The request id the popup chose.
    request: u32,
    /// The popup that asked, and its connection id.
    popup: Port,
    popup_id: u32,
}

/// What a console call answers when its tab closes before the content script answered.
const TAB_CLOSED: &str = "the call did not finish: the tab was closed";
/// What it answers when the content script that had it goes away (its page closed, reloaded
/// or left).
const CONTENT_GONE: &str = "the call did not finish: the page was closed or left before answering";

impl Tabs {
    /// Forgets a closed tab, for good.
    pub fn remove(&mut self, tab: i32) {
        self.closed.insert(tab);
        self.views.remove(&tab);
        self.content_ports.remove(&tab);
        self.fail_calls(|c| c.tab == tab, TAB_CLOSED);
        let key = storage_keys::tab_view(tab);
        spawn_local(async move {
            let _ = storage::remove(Area::Session, &[key]).await;
        });
    }

    /// Answers every console call in flight that `cut_off` picks with `why`, so no popup
    /// waits forever.
    fn fail_calls(&mut self, cut_off: impl Fn(&CallInFlight) -> bool, why: &str) {
        let (mut gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.calls)
            .into_iter()
            .partition(|(_, c)| cut_off(c));
        self.calls = kept.into_iter().collect();
        gone.sort_by_key(|(id, _)| *id);
        for (_, call) in gone {
            let outcome = Reply::threw(why.to_owned());
            answer(&call, outcome);
        }
    }

    fn next_id(&mut self) -> u32 {
        self.next_port = self.next_port.wrapping_add(1);
        self.next_port
    }

    /// A console call id no other call of this background has had.
    fn next_call(&mut self) -> CallId {
        self.last_call += 1;
        CallId(self.last_call)
    }
}

/// Sends a console call's outcome to the popup that made it, under its own request id.
fn answer(call: &CallInFlight, outcome: Reply) {
    post(
        &call.popup,
        &ToPopup::ApiResult {
            id: call.request,
            outcome,
        },
    );
}

pub(super) fn sender_tab(port: &Port) -> Option<i32> {
    ext::prop(&port.sender(), &["tab", "id"])?
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
    let view = for_popup(view);
    refresh_badge(tab);
    let watchers = watchers_of(tab);
    for port in &watchers {
        post(port, &ToPopup::Tab(Box::new(view.clone())));
    }
    let key = storage_keys::tab_view(tab);
    let value = json!(view);
    spawn_local(async move {
        let _ = storage::set_one(Area::Session, &key, value).await;
    });
}

/// A tab's record as popups see it: with whether a rule in force covers its URL now.
fn for_popup(mut view: TabView) -> TabView {
    view.covered = view.url.as_deref().is_some_and(|url| {
        BG.with(|bg| {
            bg.borrow()
                .effective
                .settings()
                .sites()
                .matches(url)
                .is_some()
        })
    });
    view
}

/// The settings changed: popups learn whether their tab's page is covered now.
pub fn settings_changed() {
    let views: Vec<TabView> = BG.with(|bg| {
        let bg = bg.borrow();
        bg.tabs
            .popups
            .iter()
            .filter_map(|(_, tab, _)| bg.tabs.views.get(tab).cloned())
            .collect()
    });
    for view in views {
        let view = for_popup(view);
        for port in watchers_of(view.tab) {
            post(&port, &ToPopup::Tab(Box::new(view.clone())));
        }
    }
}

/// `tabs.onUpdated`: keeps the record's URL that of the tab (also where nothing runs, so the
/// popup names the right site), forgets a hand injection when the tab changes site, and
/// injects again on each load of a tab whose user chose "keep injecting".
pub fn on_tab_updated(tab: i32, change: &serde_json::Value) {
    if is_closed(tab) {
        return;
    }
    if let Some(url) = change.get("url").and_then(|u| u.as_str()) {
        let url = url.to_owned();
        spawn_local(async move {
            let _ = current_view(tab).await;
            update(tab, |v| {
                let site = |u: Option<&str>| u.and_then(jwi_core::site_rule::origin_of);
                if site(v.url.as_deref()) != site(Some(&url)) && !v.keep_injecting {
                    v.injected = false;
                }
                v.url = Some(url);
            });
        });
    }
    if change.get("status").and_then(|s| s.as_str()) == Some("complete") {
        spawn_local(async move {
            let view = current_view(tab).await;
            let running = BG.with(|bg| bg.borrow().tabs.content_ports.contains_key(&tab));
            if view.keep_injecting && !running {
                inject(tab).await;
            }
        });
    }
}

/// Injects into a tab now ("inject into this tab"), and remembers that it was done by hand.
async fn inject(tab: i32) {
    let url = current_view(tab).await.url.unwrap_or_default();
    if !url.is_empty() && jwi_core::view::popup_page::injectable(&url).is_err() {
        return;
    }
    if super::registry::inject_into_tab(tab, super::mode_in_force()).await {
        update(tab, |v| v.injected = true);
    }
}

/// A content script connected: it speaks for its tab until it disconnects.
pub fn on_content_port(port: Port) {
    let Some(tab) = sender_tab(&port) else {
        port.disconnect();
        return;
    };
    let conn = BG.with(|bg| {
        let mut bg = bg.borrow_mut();
        let conn = bg.tabs.next_id();
        bg.tabs.content_ports.insert(tab, (conn, port.clone()));
        conn
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
                        // A new page: nothing of the previous one's widget is true of it.
                        if v.url.as_deref() != Some(url.as_str()) {
                            v.site_widget.clear();
                        }
                        v.url = Some(url);
                        v.mode = mode;
                        v.facts = None;
                        v.agent = None;
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
            FromContent::WidgetFacts { facts } => update(tab, |v| v.facts = Some(facts)),
            FromContent::SiteWidget { notice } => update(tab, |v| {
                if !v.site_widget.contains(&notice) {
                    v.site_widget.push(notice);
                }
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
                // Only the page port the call went to may answer it, and only once.
                let call = BG.with(|bg| {
                    let mut bg = bg.borrow_mut();
                    let calls = &mut bg.tabs.calls;
                    let ours = calls
                        .get(&id)
                        .is_some_and(|c| c.tab == tab && c.page == conn);
                    if ours {
                        calls.remove(&id)
                    } else {
                        None
                    }
                });
                if let Some(call) = call {
                    answer(&call, outcome);
                }
            }
        }
    });
    port.on_message()
        .add_listener(on_message.as_ref().unchecked_ref());
    on_message.forget();
    let on_disconnect = Closure::<dyn FnMut()>::new(move || {
        let current = BG.with(|bg| {
            let mut bg = bg.borrow_mut();
            // The calls this port had can no longer be answered, current port or not.
            bg.tabs.fail_calls(|c| c.page == conn, CONTENT_GONE);
            let current = bg.tabs.content_ports.get(&tab).map(|p| p.0) == Some(conn);
            if current {
                bg.tabs.content_ports.remove(&tab);
            }
            current
        });
        if current {
            // The page went (reload, another site, closed): so did its widget.
            update(tab, |v| {
                v.status = PageStatus::NotMatched;
                v.facts = None;
                v.agent = None;
            });
        }
    });
    port.on_disconnect()
        .add_listener(on_disconnect.as_ref().unchecked_ref());
    on_disconnect.forget();
}

/// Shows the tab's badge by the rule in `docs/architecture.md` ([`Badge::of`]): its unread
/// agent messages when there are any, else its error findings, else nothing.
pub(super) fn refresh_badge(tab: i32) {
    let unread = BG.with(|bg| {
        bg.borrow()
            .tabs
            .views
            .get(&tab)
            .and_then(|v| v.facts.as_ref())
            .map_or(0, |f| f.unread)
    });
    let badge = Badge::of(unread, super::logs::error_count(tab));
    let text = json!({ "tabId": tab, "text": badge.text() });
    let color = json!({ "tabId": tab, "color": badge.color() });
    spawn_local(async move {
        let _ = ext::call(ext::action_set_badge_background_color(&ext::to_js(&color))).await;
        let _ = ext::call(ext::action_set_badge_text(&ext::to_js(&text))).await;
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

/// The content script speaking for a tab, with its connection id.
fn content_port(tab: i32) -> Option<(u32, Port)> {
    BG.with(|bg| bg.borrow().tabs.content_ports.get(&tab).cloned())
}

/// Sends a message to the content script speaking for a tab; false if there is none.
fn to_content(tab: i32, msg: &ToContent) -> bool {
    match content_port(tab) {
        Some((_, port)) => port.post(&jwi_core::protocol::encode(msg)),
        None => false,
    }
}

/// Forwards a popup's console call to the tab's page under a call id of this background's,
/// remembering whom to answer; answers at once if no page speaks for the tab.
fn forward_call(
    tab: i32,
    request: u32,
    call: jwi_core::api::call::RawCall,
    anyway: bool,
    popup: &Port,
    popup_id: u32,
) {
    let sent = content_port(tab).and_then(|(page, port)| {
        let id = BG.with(|bg| bg.borrow_mut().tabs.next_call());
        let in_flight = CallInFlight {
            tab,
            page,
            request,
            popup: popup.clone(),
            popup_id,
        };
        BG.with(|bg| bg.borrow_mut().tabs.calls.insert(id, in_flight));
        let invalid = invalid_args(&call);
        if port.post(&jwi_core::protocol::encode(&ToContent::CallApi {
            id,
            call,
            anyway,
            invalid,
        })) {
            Some(())
        } else {
            BG.with(|bg| bg.borrow_mut().tabs.calls.remove(&id));
            None
        }
    });
    if sent.is_none() {
        let outcome = Reply::threw("the extension is not running on this tab");
        post(
            popup,
            &ToPopup::ApiResult {
                id: request,
                outcome,
            },
        );
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
                let already = BG.with(|bg| bg.borrow().tabs.content_ports.contains_key(&tab));
                if !already {
                    spawn_local(inject(tab));
                }
            }
            FromPopup::KeepInjecting { tab, keep } => {
                spawn_local(async move {
                    let _ = current_view(tab).await;
                    update(tab, |v| v.keep_injecting = keep);
                    let running = BG.with(|bg| bg.borrow().tabs.content_ports.contains_key(&tab));
                    if keep && !running {
                        inject(tab).await;
                    }
                });
            }
            FromPopup::Agent { tab, action } => {
                to_content(tab, &ToContent::Agent { action });
            }
            FromPopup::CallApi {
                tab,
                id,
                call,
                anyway,
            } => forward_call(tab, id, call, anyway, &keep, port_id),
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
                    let mut view = current_view(tab).await;
                    // A tab seen for the first time (nothing ran there since the background
                    // started): its URL first, so the popup can name the site.
                    if view.url.is_none() {
                        if let Ok(info) = ext::call(ext::tabs_get(tab)).await {
                            let info = ext::from_js(&info);
                            if let Some(url) = info.get("url").and_then(|u| u.as_str()) {
                                let url = url.to_owned();
                                update(tab, |v| {
                                    v.url.get_or_insert(url);
                                });
                                view = current_view(tab).await;
                            }
                        }
                    }
                    post(&port, &ToPopup::Tab(Box::new(for_popup(view))));
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
            // Nobody is left to show what its calls answer.
            bg.tabs.calls.retain(|_, c| c.popup_id != id);
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
    let key = storage_keys::tab_view(tab);
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
