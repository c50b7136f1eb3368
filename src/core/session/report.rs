//! The HTML report of a [`Session`]: one self-contained page a person can open anywhere and
//! read: the session's facts, the findings (filtered by severity), the timeline of the log
//! (filtered by kind, with the Errors filter also showing error findings' evidence, as in the
//! panel), the widget's facts and the settings in force.
//!
//! Safe to open whatever the session holds: every text from it is escaped ([`escape`]) and
//! nothing from it lands in a script, a style, a URL or an event handler. The page has **no
//! script at all**: the filters are checkboxes and CSS (`:checked ~`), the JSON of a row is a
//! `<details>`. Its Content-Security-Policy ([`CSP`]) forbids every fetch, script, frame,
//! image and form, so even a mistake here could not reach the network.

use std::fmt::Write as _;

use serde_json::Value;

use super::Session;
use crate::checks::{CheckId, Finding, Severity};
use crate::event_log::{Event, Kind};
use crate::view::log_rows;
use crate::view::workbench::{self, by_severity, Counts};

/// The report's Content-Security-Policy (a `<meta http-equiv>`): nothing may be fetched or
/// run; only the report's own inline style applies.
pub const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

/// A word of the report, from `_locales` (`report_*`, [`Word::key`]) in the reader's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Word {
    /// The report's title.
    Title,
    /// "Exported".
    ExportedAt,
    /// "Browser".
    Browser,
    /// "Extension".
    Extension,
    /// "Tab".
    Tab,
    /// "Page".
    Page,
    /// "Log".
    Log,
    /// "entries".
    Entries,
    /// "dropped".
    Dropped,
    /// "missed".
    Missed,
    /// "Checks".
    Findings,
    /// "No findings."
    NoFindings,
    /// "Evidence:".
    Evidence,
    /// "Seen".
    Seen,
    /// "Timeline".
    Timeline,
    /// "Show:".
    Show,
    /// "Callbacks".
    KindCallback,
    /// "API calls".
    KindApiCall,
    /// "Navigation".
    KindNavigation,
    /// "Status".
    KindStatus,
    /// "Errors".
    KindError,
    /// "Page load".
    PageLoad,
    /// "Widget".
    Facts,
    /// "No widget facts."
    NoFacts,
    /// "Settings in force".
    Settings,
    /// The note at the end: no script, no network.
    Footer,
}

impl Word {
    /// Every word.
    pub const ALL: [Word; 26] = [
        Word::Title,
        Word::ExportedAt,
        Word::Browser,
        Word::Extension,
        Word::Tab,
        Word::Page,
        Word::Log,
        Word::Entries,
        Word::Dropped,
        Word::Missed,
        Word::Findings,
        Word::NoFindings,
        Word::Evidence,
        Word::Seen,
        Word::Timeline,
        Word::Show,
        Word::KindCallback,
        Word::KindApiCall,
        Word::KindNavigation,
        Word::KindStatus,
        Word::KindError,
        Word::PageLoad,
        Word::Facts,
        Word::NoFacts,
        Word::Settings,
        Word::Footer,
    ];

    /// Its `_locales` key.
    pub fn key(self) -> &'static str {
        match self {
            Word::Title => "report_title",
            Word::ExportedAt => "report_exported_at",
            Word::Browser => "report_browser",
            Word::Extension => "report_extension",
            Word::Tab => "report_tab",
            Word::Page => "report_page",
            Word::Log => "report_log",
            Word::Entries => "report_entries",
            Word::Dropped => "report_dropped",
            Word::Missed => "report_missed",
            Word::Findings => "report_findings",
            Word::NoFindings => "report_no_findings",
            Word::Evidence => "report_evidence",
            Word::Seen => "report_seen",
            Word::Timeline => "report_timeline",
            Word::Show => "report_show",
            Word::KindCallback => "report_kind_callback",
            Word::KindApiCall => "report_kind_api",
            Word::KindNavigation => "report_kind_navigation",
            Word::KindStatus => "report_kind_status",
            Word::KindError => "report_kind_error",
            Word::PageLoad => "report_page_load",
            Word::Facts => "report_facts",
            Word::NoFacts => "report_no_facts",
            Word::Settings => "report_settings",
            Word::Footer => "report_footer",
        }
    }

    /// Its English text (the `en` locale's, checked by a test).
    pub fn english(self) -> &'static str {
        match self {
            Word::Title => "JivoChat session report",
            Word::ExportedAt => "Exported",
            Word::Browser => "Browser",
            Word::Extension => "Extension",
            Word::Tab => "Tab",
            Word::Page => "Page",
            Word::Log => "Log",
            Word::Entries => "entries",
            Word::Dropped => "dropped",
            Word::Missed => "missed",
            Word::Findings => "Checks",
            Word::NoFindings => "No findings.",
            Word::Evidence => "Evidence:",
            Word::Seen => "Seen",
            Word::Timeline => "Timeline",
            Word::Show => "Show:",
            Word::KindCallback => "Callbacks",
            Word::KindApiCall => "API calls",
            Word::KindNavigation => "Navigation",
            Word::KindStatus => "Status",
            Word::KindError => "Errors",
            Word::PageLoad => "Page load",
            Word::Facts => "Widget",
            Word::NoFacts => "No widget facts.",
            Word::Settings => "Settings in force",
            Word::Footer => {
                "Made by Jivo Widget Injector. This page runs no script and loads nothing."
            }
        }
    }

    fn of_kind(kind: Kind) -> Word {
        match kind {
            Kind::Callback => Word::KindCallback,
            Kind::ApiCall => Word::KindApiCall,
            Kind::Navigation => Word::KindNavigation,
            Kind::Status => Word::KindStatus,
            Kind::Error => Word::KindError,
        }
    }
}

/// The report's words in the reader's language; the defaults are the core's English.
pub trait Words {
    /// A word.
    fn word(&self, w: Word) -> String {
        w.english().to_owned()
    }
    /// A check's title.
    fn check_title(&self, c: CheckId) -> String {
        c.title().to_owned()
    }
    /// A check's advice.
    fn check_advice(&self, c: CheckId) -> String {
        c.advice().to_owned()
    }
    /// What exactly a finding saw.
    fn detail(&self, f: &Finding) -> String {
        f.detail.clone()
    }
    /// A severity's name.
    fn severity(&self, s: Severity) -> String {
        s.name().to_owned()
    }
    /// The language tag of these words (`<html lang>`).
    fn lang(&self) -> String {
        "en".to_owned()
    }
}

/// The core's English words.
#[derive(Clone, Copy, Debug, Default)]
pub struct English;

impl Words for English {}

/// `text` safe as HTML text and as a quoted attribute value: `&`, `<`, `>`, `"` and `'`
/// become character references.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "\
:root{color-scheme:light dark;--fg:#1f1f1f;--bg:#fff;--muted:#5f6368;--line:#dadce0;\
--err:#c5221f;--warn:#b06000;--note:#1a73e8;--link:#1558b0;--band:#f1f3f4}\
@media (prefers-color-scheme:dark){:root{--fg:#e8eaed;--bg:#202124;--muted:#9aa0a6;\
--line:#3c4043;--err:#f28b82;--warn:#fdd663;--note:#8ab4f8;--link:#8ab4f8;--band:#292a2d}}\
body{font:14px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;\
max-width:1100px;padding:16px}\
h1{font-size:20px;margin:0 0 8px}h2{font-size:16px;margin:20px 0 8px}\
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0}\
dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}\
ol{list-style:none;margin:0;padding:0}\
.finding{border-left:4px solid var(--note);padding:6px 10px;margin:6px 0;background:var(--band)}\
.finding.sev-error{border-color:var(--err)}.finding.sev-warning{border-color:var(--warn)}\
.sev{font-weight:600;text-transform:uppercase;font-size:12px;margin-right:6px}\
.finding blockquote{margin:4px 0;color:var(--muted);font-style:italic}\
.row{display:block;border-top:1px solid var(--line);padding:3px 0;overflow-wrap:anywhere}\
.row:target{outline:2px solid var(--note)}\
.divider{font-weight:600;margin:8px 0 2px;color:var(--muted)}\
.t,.d{color:var(--muted);font-variant-numeric:tabular-nums;margin-right:8px}\
.b{display:inline-block;min-width:56px;font-size:12px;font-weight:600;margin-right:6px}\
.k-error .b{color:var(--err)}.n{font-weight:600;margin-right:6px}\
.o{color:var(--muted);margin-right:6px}\
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--band);padding:6px;margin:4px 0}\
a{color:var(--link)}label{margin-right:12px}input:focus-visible+label{outline:2px solid var(--note)}\
footer{margin-top:24px;color:var(--muted);font-size:12px}\
#f-callback:not(:checked)~.log .k-callback,#f-apiCall:not(:checked)~.log .k-apiCall,\
#f-navigation:not(:checked)~.log .k-navigation,#f-status:not(:checked)~.log .k-status,\
#f-error:not(:checked)~.log .k-error,\
#s-error:not(:checked)~.findings .sev-error,#s-warning:not(:checked)~.findings .sev-warning,\
#s-note:not(:checked)~.findings .sev-note{display:none}\
#f-error:checked~.log .ev-error{display:block}";

/// The whole report of `session` as one HTML document in `words`' language.
pub fn render(session: &Session, words: &dyn Words) -> String {
    let w = |x: Word| escape(&words.word(x));
    let mut h = String::with_capacity(4096 + session.entries().len() * 400);
    let site = session.url.as_deref().unwrap_or_default();
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <meta name=\"viewport\" content=\"width=device-width\">\n\
         <title>{title} — {site}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        lang = escape(&words.lang()),
        csp = escape(CSP),
        title = w(Word::Title),
        site = escape(site),
    );
    header(&mut h, session, &w);
    h.push_str("<main>\n");
    findings(&mut h, &session.findings, words, &w);
    timeline(&mut h, session, &w);
    facts(&mut h, session, &w);
    let _ = writeln!(
        h,
        "<section aria-labelledby=\"settings-h\"><h2 id=\"settings-h\">{}</h2><pre>{}</pre></section>",
        w(Word::Settings),
        escape(&serde_json::to_string_pretty(&session.settings).unwrap_or_default()),
    );
    let _ = write!(
        h,
        "</main>\n<footer>{}</footer>\n</body>\n</html>\n",
        w(Word::Footer)
    );
    h
}

fn header(h: &mut String, s: &Session, w: &dyn Fn(Word) -> String) {
    let _ = write!(
        h,
        "<header>\n<h1>{}</h1>\n<dl class=\"meta\">\n",
        w(Word::Title)
    );
    let mut item = |label: Word, value: String| {
        let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", w(label), value);
    };
    item(
        Word::ExportedAt,
        escape(&log_rows::utc_stamp(s.exported_at)),
    );
    item(
        Word::Browser,
        format!(
            "{} {} <small>({})</small>",
            escape(&s.browser.name),
            escape(&s.browser.version),
            escape(&s.browser.user_agent)
        ),
    );
    item(Word::Extension, escape(&s.extension_version));
    item(Word::Tab, s.tab.to_string());
    item(Word::Page, escape(s.url.as_deref().unwrap_or("—")));
    item(
        Word::Log,
        format!(
            "{} {} · {} {} · {} {}",
            s.entries().len(),
            w(Word::Entries),
            s.log.dropped,
            w(Word::Dropped),
            s.log.missed,
            w(Word::Missed)
        ),
    );
    h.push_str("</dl>\n</header>\n");
}

fn findings(h: &mut String, list: &[Finding], words: &dyn Words, w: &dyn Fn(Word) -> String) {
    let c = Counts::of(list);
    let _ = write!(
        h,
        "<section aria-labelledby=\"findings-h\">\n<h2 id=\"findings-h\">{} ({})</h2>\n",
        w(Word::Findings),
        c.total()
    );
    if list.is_empty() {
        let _ = writeln!(h, "<p>{}</p>\n</section>", w(Word::NoFindings));
        return;
    }
    let _ = writeln!(h, "<span>{}</span>", w(Word::Show));
    for (sev, n) in [
        (Severity::Error, c.errors),
        (Severity::Warning, c.warnings),
        (Severity::Note, c.notes),
    ] {
        let name = sev.name();
        let _ = writeln!(
            h,
            "<input type=\"checkbox\" id=\"s-{name}\" checked><label for=\"s-{name}\">{} ({n})</label>",
            escape(&words.severity(sev))
        );
    }
    h.push_str("<ol class=\"findings\">\n");
    for f in by_severity(list) {
        let _ = write!(
            h,
            "<li class=\"finding sev-{sev}\" data-check=\"{id}\">\n<div><span class=\"sev\">{sevw}</span>\
             <strong>{title}</strong> <code>{id}</code> · {seen} {n}</div>\n<p>{detail}</p>\n\
             <blockquote lang=\"en\">{quote}</blockquote>\n<p>{advice}</p>\n",
            sev = f.severity.name(),
            id = escape(f.check.id()),
            sevw = escape(&words.severity(f.severity)),
            title = escape(&words.check_title(f.check)),
            seen = w(Word::Seen),
            n = f.occurrences,
            detail = escape(&words.detail(f)),
            quote = escape(f.check.quote()),
            advice = escape(&words.check_advice(f.check)),
        );
        if !f.evidence.is_empty() {
            let _ = write!(h, "<p>{}", w(Word::Evidence));
            for id in &f.evidence {
                let _ = write!(h, " <a href=\"#e{id}\">#{id}</a>");
            }
            h.push_str("</p>\n");
        }
        h.push_str("</li>\n");
    }
    h.push_str("</ol>\n</section>\n");
}

fn timeline(h: &mut String, s: &Session, w: &dyn Fn(Word) -> String) {
    let _ = write!(
        h,
        "<section aria-labelledby=\"timeline-h\">\n<h2 id=\"timeline-h\">{}</h2>\n<span>{}</span>\n",
        w(Word::Timeline),
        w(Word::Show)
    );
    let counts = s.summary().counts;
    for kind in Kind::ALL {
        let name = kind.name();
        let _ = writeln!(
            h,
            "<input type=\"checkbox\" id=\"f-{name}\" checked><label for=\"f-{name}\">{} ({})</label>",
            w(Word::of_kind(kind)),
            counts.get(kind)
        );
    }
    let evidence = crate::checks::error_evidence(&s.findings);
    h.push_str("<ol class=\"log\">\n");
    let entries = s.entries();
    for (i, e) in entries.iter().enumerate() {
        let mut class = format!("row k-{}", e.kind().name());
        if evidence.contains(&e.id) {
            class.push_str(" ev-error");
        }
        let _ = write!(
            h,
            "<li id=\"e{id}\" class=\"{class}\" data-kind=\"{tag}\">",
            id = e.id,
            tag = e.event.tag()
        );
        if let Event::PageLoad { url, .. } = &e.event {
            let _ = write!(
                h,
                "<div class=\"divider\" role=\"separator\">{}: {}</div>",
                w(Word::PageLoad),
                escape(url)
            );
        }
        let previous = i.checked_sub(1).map(|p| entries[p].at);
        let _ = write!(
            h,
            "<span class=\"t\">#{id} {time}</span><span class=\"d\">{delta}</span>\
             <span class=\"b\">{badge}</span><span class=\"n\">{name}</span>",
            id = e.id,
            time = escape(&log_rows::clock(e.at, 0)),
            delta = escape(&workbench::delta(previous, e.at)),
            badge = escape(log_rows::badge(&e.event)),
            name = escape(log_rows::row_name(&e.event)),
        );
        if let Event::ApiCall { origin, .. } = &e.event {
            let _ = write!(h, "<span class=\"o\">{}</span>", escape(origin.name()));
        }
        let _ = writeln!(
            h,
            "<span class=\"s\">{}</span><details><summary>JSON</summary><pre>{}</pre></details></li>",
            escape(&log_rows::row_summary(&e.event)),
            escape(&log_rows::pretty(e)),
        );
    }
    h.push_str("</ol>\n</section>\n");
}

fn facts(h: &mut String, s: &Session, w: &dyn Fn(Word) -> String) {
    let _ = write!(
        h,
        "<section aria-labelledby=\"facts-h\">\n<h2 id=\"facts-h\">{}</h2>\n",
        w(Word::Facts)
    );
    let facts = s.facts.as_ref().and_then(|f| serde_json::to_value(f).ok());
    match facts {
        Some(Value::Object(map)) => {
            h.push_str("<dl class=\"meta\">\n");
            for (k, v) in map {
                let v = match v {
                    Value::String(s) => s,
                    v => serde_json::to_string(&v).unwrap_or_default(),
                };
                let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", escape(&k), escape(&v));
            }
            h.push_str("</dl>\n");
        }
        _ => {
            let _ = writeln!(h, "<p>{}</p>", w(Word::NoFacts));
        }
    }
    h.push_str("</section>\n");
}
