//! A finding of the integration checks as the popup and the DevTools panel show it, and their
//! shared counts line (`#findings-counts`, `#findings[data-count][data-errors]`).

use web_sys::Element;

use jwi_browser::dom::{self, append, el};
use jwi_browser::i18n::t;
use jwi_core::checks::Finding;
use jwi_core::view::workbench::Counts;

use crate::check_text;

/// How much of a finding is shown.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// The popup's summary: severity, title, detail and advice.
    Summary,
    /// The panel's: also the check's id, how often it was seen, the reference's words and the
    /// links to its evidence rows.
    Full,
}

/// Counts `findings` and shows the counts; returns them.
pub fn show_counts(findings: &[Finding]) -> Counts {
    let c = Counts::of(findings);
    let text = if c.total() == 0 {
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
    };
    dom::set_text("findings-counts", &text);
    dom::set_attr("findings", "data-count", &c.total().to_string());
    dom::set_attr("findings", "data-errors", &c.errors.to_string());
    c
}

/// The `li.finding` of one finding.
pub fn item(f: &Finding, detail: Detail) -> Element {
    let full = detail == Detail::Full;
    let li = el("li", "finding", "");
    let _ = li.set_attribute("data-check", f.check.id());
    let _ = li.set_attribute("data-severity", f.severity.name());
    let head = el("div", "finding-head", "");
    append(&head, &el("span", "sev", &check_text::severity(f.severity)));
    append(
        &head,
        &el("span", "finding-title", &check_text::title(f.check)),
    );
    if full {
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
    }
    append(&li, &head);
    append(&li, &el("div", "finding-detail", &check_text::detail(f)));
    if full {
        let quote = el("blockquote", "finding-quote", f.check.quote());
        let _ = quote.set_attribute("lang", "en");
        append(&li, &quote);
    }
    append(
        &li,
        &el("div", "finding-advice", &check_text::advice(f.check)),
    );
    if full && !f.evidence.is_empty() {
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
    li
}
