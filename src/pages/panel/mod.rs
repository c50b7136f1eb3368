//! The DevTools panel ("JivoChat"): the QA workbench for the inspected tab — its live log with
//! page-load dividers and the time between rows, filters and search remembered per surface
//! (`storage.local`, [`Prefs`]), pause, "keep across reloads", the widget's facts, the API
//! console and every finding of the integration checks with links to its evidence rows.
//!
//! The tab is `devtools.inspectedWindow.tabId` inside DevTools, else `?tab=<id>` (so the page
//! can be opened on its own, as the end-to-end tests do). The panel watches the tab over a
//! `popup` port like the popup; when the port goes (the background stopped, or restarted) it
//! connects again by itself and rebuilds its view from the log, whose entry ids make sure
//! nothing is lost or shown twice.

mod findings;
mod log;
mod session;

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;

use jwi_browser::dom;
use jwi_browser::i18n::{self, t};
use jwi_core::protocol::popup::{FromPopup, TabView, ToPopup};

use crate::shared::{self, connection};

/// Entry point, called by `panel.js` once the module is instantiated.
#[wasm_bindgen]
pub fn start_panel() {
    i18n::localize_page();
    log::setup();
    findings::setup();
    session::setup();
    crate::api_console::setup(|id, call, anyway| {
        post(|tab| FromPopup::CallApi {
            tab,
            id,
            call,
            anyway,
        })
    });
    spawn_local(async {
        let Some(tab) = inspected_tab().or(shared::tab_param()) else {
            dom::set_text("page-status", &t("popup_no_tab", &[]));
            return;
        };
        dom::set_attr("panel", "data-tab", &tab.to_string());
        log::load_prefs().await;
        connection::watch(
            tab,
            connection::Handlers {
                message: on_message,
                connected: show_connected,
            },
        );
    });
}

/// `devtools.inspectedWindow.tabId`, when the page runs inside DevTools.
fn inspected_tab() -> Option<i32> {
    jwi_browser::ext::prop(
        &js_sys::global(),
        &["browser", "devtools", "inspectedWindow", "tabId"],
    )?
    .as_f64()
    .map(|id| id as i32)
}

/// A message from the background.
fn on_message(msg: ToPopup) {
    if let ToPopup::LogExport { export } = &msg {
        session::on_export(export);
        return;
    }
    if session::is_imported() {
        // An imported session is shown: live updates are off.
        return;
    }
    match msg {
        ToPopup::Tab(view) => {
            session::on_view(&view);
            render(&view);
        }
        ToPopup::Log {
            reset,
            summary,
            entries,
        } => log::on_log(reset, summary, entries),
        ToPopup::ApiResult { id, outcome } => crate::api_console::show_result(id, &outcome),
        ToPopup::Findings { findings, overflow } => {
            session::on_findings(&findings, overflow);
            log::set_error_evidence(jwi_core::checks::error_evidence(&findings));
            findings::render(&findings, overflow);
        }
        ToPopup::LogExport { .. } | ToPopup::UseMine { .. } => {}
    }
}

fn show_connected(connected: bool) {
    dom::set_attr("panel", "data-connected", &connected.to_string());
    dom::set_text(
        "panel-connection",
        &if connected {
            String::new()
        } else {
            t("panel_reconnecting", &[])
        },
    );
}

/// Sends a message about the panel's tab, if connected.
fn post(msg: impl FnOnce(i32) -> FromPopup) {
    connection::post(msg);
}

fn render(view: &TabView) {
    shared::render_tab_header(view);
    crate::popup::render_facts(view.facts.as_ref());
    dom::set_disabled("api-call", !view.status.is_connected());
}
