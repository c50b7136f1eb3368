use serde_json::{json, Value};

use super::report::{self, escape, English, Word, Words, CSP};
use super::*;
use crate::api::call::{ContactInfo, Reply};
use crate::api::{Callback, Method};
use crate::checks::{check, CheckId};
use crate::event_log::{Event, Origin};
use crate::sandbox::{ChatMode, Utm, WidgetFacts, WidgetState};

/// Strings a hostile page could put in its log.
const HOSTILE: [&str; 4] = [
    "</script><img src=x onerror=\"window.pwned=1\">",
    "<script>window.pwned=2</script>",
    "\"'><svg onload=alert(1)>&amp;",
    "</style></pre></details><a href=\"javascript:alert(1)\">x</a>",
];

fn entry(id: u64, event: Event) -> Entry {
    Entry {
        id,
        at: 1_718_000_000_000.0 + id as f64 * 10.0,
        event,
    }
}

fn page_call(method: Method, args: Vec<Value>) -> Event {
    Event::api_call(method, args, Origin::Page, &Reply::default())
}

fn sample() -> Session {
    let entries = vec![
        entry(
            1,
            Event::PageLoad {
                url: format!("https://shop.example/?q={}", HOSTILE[3]),
                title: HOSTILE[1].into(),
            },
        ),
        entry(
            2,
            page_call(Method::SetWidgetColor, vec![json!(HOSTILE[0])]),
        ),
        entry(
            3,
            Event::Callback {
                name: Callback::OnLoadCallback,
                args: vec![],
            },
        ),
        entry(
            4,
            page_call(Method::SetContactInfo, vec![json!({"name": HOSTILE[2]})]),
        ),
        entry(
            5,
            Event::Error {
                message: HOSTILE[2].into(),
            },
        ),
        entry(
            6,
            Event::Status {
                text: "connected".into(),
                fact: None,
            },
        ),
    ];
    let findings = check(&entries);
    Session {
        exported_at: 1_718_000_001_000.0,
        browser: BrowserInfo::from_user_agent(
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
             HeadlessChrome/131.0.6778.85 Safari/537.36",
        ),
        extension_version: "0.1.0".into(),
        tab: 42,
        url: Some(format!("https://shop.example/{}", HOSTILE[0])),
        settings: json!({"mode": "sandbox", "sites": [HOSTILE[1]]}),
        facts: Some(WidgetFacts {
            loaded: true,
            chat_mode: ChatMode::Online,
            state: Some(WidgetState::Label),
            visitor_number: 3,
            unread: 0,
            utm: Utm::default(),
            contact_info: ContactInfo {
                name: Some(HOSTILE[0].into()),
                ..ContactInfo::default()
            },
        }),
        findings,
        findings_overflow: 0,
        log: Export {
            tab: 42,
            exported_at: 1_718_000_001_000.0,
            dropped: 3,
            missed: 1,
            entries,
        },
    }
}

#[test]
fn a_session_survives_its_file() {
    let s = sample();
    assert!(!s.findings.is_empty());
    let text = s.to_json();
    assert_eq!(Session::parse(&text).unwrap(), s);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["format"], SESSION_FORMAT);
    assert_eq!(v["version"], 1);
    assert_eq!(v["extension"], json!({"version": "0.1.0"}));
    assert_eq!(v["browser"]["name"], "Chrome");
    assert_eq!(v["browser"]["version"], "131.0.6778.85");
    assert_eq!(v["log"]["format"], crate::event_log::EXPORT_FORMAT);
    // The keys in the documented order.
    let keys: Vec<&str> = [
        "\"format\"",
        "\"version\"",
        "\"exportedAt\"",
        "\"browser\"",
        "\"extension\"",
        "\"tab\"",
        "\"url\"",
        "\"settings\"",
        "\"facts\"",
        "\"findings\"",
        "\"findingsOverflow\"",
        "\"log\"",
    ]
    .to_vec();
    let at: Vec<usize> = keys.iter().map(|k| text.find(k).unwrap()).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");
    // No facts, no URL: still a session.
    let mut bare = s.clone();
    bare.facts = None;
    bare.url = None;
    bare.findings.clear();
    bare.log.entries.clear();
    assert_eq!(Session::parse(&bare.to_json()).unwrap(), bare);
    assert_eq!(bare.summary().len, 0);
}

#[test]
fn the_summary_counts_the_log() {
    let s = sample().summary();
    assert_eq!((s.len, s.first_id, s.next_id), (6, 1, 7));
    assert_eq!((s.dropped, s.missed), (3, 1));
    assert_eq!(
        (s.counts.api_call, s.counts.error, s.counts.total()),
        (2, 1, 6)
    );
}

#[test]
fn bad_files_are_refused_with_their_reason() {
    let good: Value = serde_json::from_str(&sample().to_json()).unwrap();
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        f(&mut v);
        v.to_string()
    };
    let cases: Vec<(String, &str)> = vec![
        ("not json at all".into(), "session_error_not_json"),
        ("[1, 2]".into(), "session_error_format"),
        ("\"x\"".into(), "session_error_format"),
        (
            with(&|v| v["format"] = json!("jivo-widget-injector/log")),
            "session_error_format",
        ),
        (
            with(&|v| {
                v.as_object_mut().unwrap().remove("format");
            }),
            "session_error_format",
        ),
        (with(&|v| v["version"] = json!(2)), "session_error_version"),
        (
            with(&|v| v["version"] = json!("1")),
            "session_error_version",
        ),
        (
            with(&|v| {
                v.as_object_mut().unwrap().remove("version");
            }),
            "session_error_version",
        ),
        (with(&|v| v["extra"] = json!(1)), "session_error_malformed"),
        (
            with(&|v| {
                v.as_object_mut().unwrap().remove("findings");
            }),
            "session_error_malformed",
        ),
        (with(&|v| v["tab"] = json!("42")), "session_error_malformed"),
        (
            with(&|v| v["settings"] = json!([])),
            "session_error_malformed",
        ),
        (
            with(&|v| v["findings"][0]["check"] = json!("no-such-check")),
            "session_error_malformed",
        ),
        (
            with(&|v| v["log"]["entries"][1]["id"] = json!(1)),
            "session_error_malformed",
        ),
        (
            with(&|v| v["log"]["version"] = json!(9)),
            "session_error_malformed",
        ),
        (
            with(&|v| v["log"]["entries"][0]["kind"] = json!("eval")),
            "session_error_malformed",
        ),
    ];
    for (text, key) in cases {
        let err = Session::parse(&text).unwrap_err();
        assert_eq!(err.key(), key, "{err} for {text:.80}");
        assert!(!err.to_string().is_empty());
        assert!(!err.args().is_empty());
    }
    let big = format!("{{\"pad\": \"{}\"}}", "x".repeat(MAX_SESSION_BYTES));
    let err = Session::parse(&big).unwrap_err();
    assert_eq!(err, SessionError::TooBig { bytes: big.len() });
    assert_eq!(err.args()[1], "16.0");
    assert_eq!(
        Session::parse(&with(&|v| v["version"] = json!(2)))
            .unwrap_err()
            .args(),
        ["2", "1"]
    );
}

#[test]
fn browsers_are_named_from_their_user_agent() {
    let cases = [
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "Firefox",
            "128.0",
        ),
        (
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Chrome",
            "131.0.0.0",
        ),
        (
            "Mozilla/5.0 Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86",
            "Edge",
            "131.0.2903.86",
        ),
        ("curl/8", "unknown", ""),
    ];
    for (ua, name, version) in cases {
        let b = BrowserInfo::from_user_agent(ua);
        assert_eq!(
            (b.name.as_str(), b.version.as_str()),
            (name, version),
            "{ua}"
        );
        assert_eq!(b.user_agent, ua);
    }
}

#[test]
fn escape_leaves_no_markup() {
    assert_eq!(
        escape(r#"<a href="x" title='y'>&</a>"#),
        "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
    );
    assert_eq!(escape("Анна ✓"), "Анна ✓");
}

/// The parts of the report outside its `<style>`: what a browser would parse as markup.
fn markup(html: &str) -> String {
    let start = html.find("<style>").unwrap();
    let end = html.find("</style>").unwrap();
    format!("{}{}", &html[..start], &html[end..])
}

#[test]
fn the_report_shows_hostile_strings_as_text_and_runs_nothing() {
    let s = sample();
    let html = report::render(&s, &English);
    let body = markup(&html);
    for bad in HOSTILE {
        assert!(!body.contains(bad), "{bad} is in the report as markup");
        assert!(body.contains(&escape(bad)), "{bad} is not shown");
    }
    // No script, no handler, no URL to fetch: only our own tags and in-page links.
    let lower = body.to_lowercase();
    for forbidden in [
        "<script", "<img", "<svg", "<iframe", "<link", "<object", "<base",
    ] {
        assert!(!lower.contains(forbidden), "{forbidden} in the report");
    }
    let hrefs: Vec<&str> = body
        .match_indices("href=\"")
        .map(|(i, _)| &body[i + 6..i + 8])
        .collect();
    assert!(hrefs.iter().all(|h| h.starts_with("#e")), "{hrefs:?}");
    // One element per tag name we write; every `<` starts a tag of ours.
    let allowed = [
        "!doctype",
        "html",
        "/html",
        "head",
        "/head",
        "meta",
        "title",
        "/title",
        "style",
        "/style",
        "body",
        "/body",
        "header",
        "/header",
        "h1",
        "/h1",
        "h2",
        "/h2",
        "dl",
        "/dl",
        "dt",
        "/dt",
        "dd",
        "/dd",
        "small",
        "/small",
        "main",
        "/main",
        "section",
        "/section",
        "p",
        "/p",
        "span",
        "/span",
        "input",
        "label",
        "/label",
        "ol",
        "/ol",
        "li",
        "/li",
        "div",
        "/div",
        "strong",
        "/strong",
        "code",
        "/code",
        "blockquote",
        "/blockquote",
        "a",
        "/a",
        "details",
        "/details",
        "summary",
        "/summary",
        "pre",
        "/pre",
        "footer",
        "/footer",
    ];
    for (i, _) in body.match_indices('<') {
        let name: String = body[i + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '/' || *c == '!')
            .collect();
        assert!(
            allowed.contains(&name.to_lowercase().as_str()),
            "<{name} at {i}"
        );
    }
    assert!(html.contains(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">",
        escape(CSP)
    )));
    assert!(CSP.starts_with("default-src 'none'") && !CSP.contains("script-src"));
}

#[test]
fn the_report_has_every_row_finding_and_filter() {
    let s = sample();
    let html = report::render(&s, &English);
    for e in s.entries() {
        assert!(html.contains(&format!(
            "<li id=\"e{}\" class=\"row k-{}",
            e.id,
            e.kind().name()
        )));
    }
    for f in &s.findings {
        assert!(html.contains(&format!("data-check=\"{}\"", f.check.id())));
    }
    assert!(s
        .findings
        .iter()
        .any(|f| f.check == CheckId::WidgetColorNotHex));
    // The setWidgetColor call is an error finding's evidence: the Errors filter shows it.
    assert!(html.contains("<li id=\"e2\" class=\"row k-apiCall ev-error\""));
    for id in [
        "f-callback",
        "f-apiCall",
        "f-navigation",
        "f-status",
        "f-error",
        "s-error",
    ] {
        assert!(
            html.contains(&format!(
                "<input type=\"checkbox\" id=\"{id}\" checked><label for=\"{id}\">"
            )),
            "{id}"
        );
    }
    assert!(html.contains("<a href=\"#e2\">#2</a>"));
    assert!(html.contains("131.0.6778.85") && html.contains("2024-06-10 06:13:21.000 UTC"));
    // With no findings and no facts it says so.
    let mut bare = s;
    bare.findings.clear();
    bare.facts = None;
    let html = report::render(&bare, &English);
    assert!(html.contains(Word::NoFindings.english()) && html.contains(Word::NoFacts.english()));
}

#[test]
fn the_report_speaks_the_readers_language() {
    struct Russian;
    impl Words for Russian {
        fn word(&self, w: Word) -> String {
            format!("ру-{}", w.key())
        }
        fn lang(&self) -> String {
            "ru".into()
        }
    }
    let html = report::render(&sample(), &Russian);
    assert!(html.contains("<html lang=\"ru\">"));
    assert!(html.contains("ру-report_timeline"));
}

#[test]
fn every_word_is_in_both_locales_and_the_english_is_the_cores() {
    let (en, ru) = crate::test_support::locales();
    for w in Word::ALL {
        assert_eq!(en[w.key()]["message"], w.english(), "{}", w.key());
        assert!(
            ru[w.key()]["message"].is_string(),
            "{} has no Russian",
            w.key()
        );
    }
    for key in [
        "session_error_too_big",
        "session_error_not_json",
        "session_error_format",
        "session_error_version",
        "session_error_malformed",
    ] {
        assert!(
            en[key]["message"].is_string() && ru[key]["message"].is_string(),
            "{key}"
        );
    }
}
