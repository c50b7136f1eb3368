//! What more than one extension page shows or does the same way (the popup, the DevTools
//! panel, the side panel): written once here, so the surfaces cannot drift apart.

pub mod agent;
pub mod connection;
pub mod findings;
pub mod log;

use jwi_browser::dom;
use jwi_core::protocol::popup::TabView;

/// The tab given with `?tab=<id>`, if any.
pub fn tab_param() -> Option<i32> {
    let search = web_sys::window()?.location().search().ok()?;
    search
        .trim_start_matches('?')
        .split('&')
        .find_map(|kv| kv.strip_prefix("tab="))
        .and_then(|v| v.parse().ok())
}

/// The header of the DevTools panel and the side panel: the page's status and its site.
pub fn render_tab_header(view: &TabView) {
    dom::set_text("page-status", &crate::popup::status_words(&view.status));
    dom::set_attr("page-status", "data-state", view.status.id());
    let url = view.url.as_deref().unwrap_or_default();
    dom::set_text("page-site", crate::popup::site_of(url));
    dom::set_attr("page-site", "title", url);
}
