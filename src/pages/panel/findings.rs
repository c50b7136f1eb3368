//! The panel's findings (`#findings-list`): every finding of the integration checks, most
//! severe first, with its severity, title, detail, the reference's words, the advice, how
//! often it was seen and a link to each evidence row of the log.

use wasm_bindgen::JsCast;

use jwi_browser::dom::{self, append, el, on};
use jwi_browser::i18n::t;
use jwi_core::checks::Finding;
use jwi_core::view::workbench::{by_severity, Counts};

use crate::check_text;

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
    let c = Counts::of(findings);
    dom::set_text(
        "findings-counts",
        &if c.total() == 0 {
            t("popup_findings_none", &[])
        } else {
            t(
                "popup_findings_counts",
                &[
                    &c.errors.to_string(),
                    &c.warnings.to_string(),
                    &c.notes.to_string(),
                ],
            )
        },
    );
    dom::set_attr("findings", "data-count", &c.total().to_string());
    dom::set_attr("findings", "data-errors", &c.errors.to_string());
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
        let li = el("li", "finding", "");
        let _ = li.set_attribute("data-check", f.check.id());
        let _ = li.set_attribute("data-severity", f.severity.name());
        let head = el("div", "finding-head", "");
        append(&head, &el("span", "sev", &check_text::severity(f.severity)));
        append(
            &head,
            &el("span", "finding-title", &check_text::title(f.check)),
        );
        append(&head, &el("code", "finding-id", f.check.id()));
        if f.occurrences > 1 {
            append(
                &head,
                &el(
                    "span",
                    "finding-times",
                    &t("panel_finding_times", &[&f.occurrences.to_string()]),
                ),
            );
        }
        append(&li, &head);
        append(&li, &el("div", "finding-detail", &f.detail));
        let quote = el("blockquote", "finding-quote", f.check.quote());
        let _ = quote.set_attribute("lang", "en");
        append(&li, &quote);
        append(
            &li,
            &el("div", "finding-advice", &check_text::advice(f.check)),
        );
        if !f.evidence.is_empty() {
            let ev = el("div", "finding-evidence", &t("panel_evidence", &[]));
            for id in &f.evidence {
                let b = el("button", "link", &format!("#{id}"));
                let _ = b.set_attribute("type", "button");
                let _ = b.set_attribute("data-evidence", &id.to_string());
                let _ = b.set_attribute("aria-label", &t("panel_evidence_row", &[&id.to_string()]));
                append(&ev, &b);
            }
            append(&li, &ev);
        }
        append(&list, &li);
    }
}
