//! The panel's findings (`#findings-list`): every finding of the integration checks, most
//! severe first, with its severity, title, detail, the reference's words, the advice, how
//! often it was seen and a link to each evidence row of the log.

use wasm_bindgen::JsCast;

use jwi_browser::dom::{self, append, on};
use jwi_browser::i18n::t;
use jwi_core::checks::Finding;
use jwi_core::view::workbench::by_severity;

use crate::shared::{self, findings::Detail};

/// Wires the evidence links; called once at start.
pub fn setup() {
    on("findings-list", "click", |ev| {
        let Some(id) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|t| t.closest("[data-evidence]").ok().flatten())
            .and_then(|b| b.get_attribute("data-evidence"))
            .and_then(|s| s.parse::<u64>().ok())
        else {
            return;
        };
        if !super::log::reveal(id) {
            // Filtered out or cut: show the whole log, then the row.
            super::log::show_everything();
            if !super::log::reveal(id) {
                dom::set_text(
                    "findings-note",
                    &t("panel_evidence_gone", &[&id.to_string()]),
                );
            }
        }
    });
    render(&[], 0);
}

/// Shows the findings of a `ToPopup::Findings` message.
pub fn render(findings: &[Finding], overflow: u64) {
    shared::findings::show_counts(findings);
    dom::set_text(
        "findings-note",
        &if overflow > 0 {
            t("panel_findings_overflow", &[&overflow.to_string()])
        } else {
            String::new()
        },
    );
    let Some(list) = dom::by_id("findings-list") else {
        return;
    };
    list.set_text_content(None);
    for f in by_severity(findings) {
        append(&list, &shared::findings::item(f, Detail::Full));
    }
}
