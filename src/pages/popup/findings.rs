//! The popup's summary of the integration checks (`#findings`): how many findings of each
//! severity, the most severe few with their advice, and the way to the rest (the DevTools
//! panel) and to the side panel.

use jwi_browser::dom::{self, append, on};
use jwi_browser::i18n::t;
use jwi_core::checks::Finding;
use jwi_core::view::workbench::by_severity;

use crate::shared::{self, findings::Detail};

/// How many findings the popup lists.
const TOP: usize = 3;

/// Wires the "Open side panel" button; called once at start.
pub fn setup() {
    on("open-side-panel", "click", |_| {
        // Called synchronously in the click: both browsers open a side panel only in a user
        // gesture.
        let tab = super::POPUP.with(|p| p.borrow().tab);
        if !jwi_browser::bindings::open_side_panel(tab) {
            dom::set_text("side-panel-error", &t("popup_side_panel_unavailable", &[]));
        }
    });
    render(&[]);
}

/// Shows the findings of a `ToPopup::Findings` message.
pub fn render(findings: &[Finding]) {
    let c = shared::findings::show_counts(findings);
    let Some(list) = dom::by_id("findings-top") else {
        return;
    };
    list.set_text_content(None);
    for f in by_severity(findings).into_iter().take(TOP) {
        append(&list, &shared::findings::item(f, Detail::Summary));
    }
    let more = c.total().saturating_sub(TOP);
    dom::set_text(
        "findings-more",
        &if more > 0 {
            t("popup_findings_more", &[&more.to_string()])
        } else {
            String::new()
        },
    );
}
