use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::spa::HashMode;

fn errors_of(doc: &Value) -> Vec<(String, String)> {
    match Settings::from_value(doc) {
        Ok(s) => panic!("{doc} was accepted as {s:?}"),
        Err(e) => e
            .errors()
            .iter()
            .map(|f| (f.path.clone(), f.message.clone()))
            .collect(),
    }
}

fn one_error(doc: Value) -> String {
    let errors = errors_of(&doc);
    assert_eq!(errors.len(), 1, "{doc}: {errors:?}");
    let (path, message) = &errors[0];
    FieldError::new(path.clone(), message.clone()).to_string()
}

fn ok(doc: Value) -> Settings {
    Settings::from_value(&doc).unwrap_or_else(|e| panic!("{doc}: {e}"))
}

const DEFAULT_DOC: &str = r#"{
  "mode": "sandbox",
  "widgetId": "",
  "loaderUrl": "https://code.jivosite.com/widget/{id}",
  "sites": [],
  "spa": {
    "enabled": true,
    "settleMs": 500,
    "hash": "routes",
    "titleOnly": true,
    "reportIntervalMs": 500
  },
  "log": {
    "maxEntries": 2000
  },
  "loaderTimeoutMs": 15000,
  "siteWidget": {
    "graceMs": 1500,
    "useMineOn": [],
    "sandboxStandIn": true
  }
}
"#;

#[test]
fn every_default() {
    let s = Settings::default();
    assert_eq!(s.mode(), Mode::Sandbox);
    assert_eq!(s.widget_id(), None);
    assert_eq!(
        s.loader_url().as_str(),
        "https://code.jivosite.com/widget/{id}"
    );
    assert!(s.sites().is_empty());
    assert_eq!(
        *s.spa(),
        SpaConfig {
            enabled: true,
            settle_ms: 500,
            hash: HashMode::Routes,
            title_only: true,
            report_interval_ms: 500,
        }
    );
    assert_eq!(s.log().max_entries, 2000);
    assert_eq!(s.loader_timeout_ms(), 15_000);
    assert_eq!(s.jivochat_loader_url(), None);
    assert_eq!(Settings::from_json("{}").unwrap(), s);
    assert_eq!(ok(json!({"spa": {}, "log": {}})), s);
    assert_eq!(s.to_json_pretty(), DEFAULT_DOC);
    assert_eq!(Settings::from_json(DEFAULT_DOC).unwrap(), s);
}

#[test]
fn each_missing_key_takes_its_default() {
    let full = ok(json!({
        "mode": "jivochat",
        "widgetId": "abcd",
        "loaderUrl": "https://cdn.example.com/w/{id}.js",
        "sites": ["https://example.com/*"],
        "spa": {"enabled": false, "settleMs": 0, "hash": "all", "titleOnly": false},
        "log": {"maxEntries": 100},
        "loaderTimeoutMs": 1000
    }));
    assert_eq!(full.mode(), Mode::JivoChat);
    assert_eq!(full.widget_id().map(WidgetId::as_str), Some("abcd"));
    assert_eq!(
        full.loader_url().as_str(),
        "https://cdn.example.com/w/{id}.js"
    );
    assert_eq!(full.sites().patterns(), vec!["https://example.com/*"]);
    assert_eq!(
        *full.spa(),
        SpaConfig {
            enabled: false,
            settle_ms: 0,
            hash: HashMode::All,
            title_only: false,
            report_interval_ms: 500,
        }
    );
    assert_eq!(full.log().max_entries, 100);
    assert_eq!(full.loader_timeout_ms(), 1000);

    let d = Settings::default();
    let only_spa_hash = ok(json!({"spa": {"hash": "ignore"}}));
    assert_eq!(only_spa_hash.spa().hash, HashMode::Ignore);
    assert_eq!(only_spa_hash.spa().settle_ms, d.spa().settle_ms);
    assert_eq!(only_spa_hash.spa().enabled, d.spa().enabled);
    assert_eq!(only_spa_hash.spa().title_only, d.spa().title_only);
    assert_eq!(only_spa_hash.log(), d.log());
    assert_eq!(ok(json!({"widgetId": ""})).widget_id(), None);
    assert_eq!(
        ok(json!({"widgetId": "abcd"}))
            .widget_id()
            .map(WidgetId::as_str),
        Some("abcd")
    );
}

#[test]
fn loader_url_for_widget() {
    let s = ok(json!({"mode": "jivochat", "widgetId": "Xy_9-z"}));
    assert_eq!(
        s.jivochat_loader_url().as_deref(),
        Some("https://code.jivosite.com/widget/Xy_9-z")
    );
    let id = WidgetId::parse("abcd").unwrap();
    let url = LoaderUrl::parse("http://127.0.0.1:8080/loader.js?w={id}&v=2").unwrap();
    assert_eq!(
        url.loader_url_for(&id),
        "http://127.0.0.1:8080/loader.js?w=abcd&v=2"
    );
    assert_eq!(
        LoaderUrl::default().loader_url_for(&id),
        "https://code.jivosite.com/widget/abcd"
    );
    // Sandbox mode with a widget ID set: no loader.
    assert_eq!(ok(json!({"widgetId": "abcd"})).jivochat_loader_url(), None);
}

#[test]
fn every_validation_message() {
    let table: Vec<(Value, &str)> =
        vec![
        // mode
        (
            json!({"mode": "live"}),
            "mode: must be \"sandbox\" or \"jivochat\", got the text \"live\"",
        ),
        (
            json!({"mode": "JivoChat"}),
            "mode: must be \"sandbox\" or \"jivochat\", got the text \"JivoChat\"",
        ),
        (
            json!({"mode": 1}),
            "mode: must be \"sandbox\" or \"jivochat\", got 1",
        ),
        (
            json!({"mode": null}),
            "mode: must be \"sandbox\" or \"jivochat\", got null",
        ),
        // widgetId
        (
            json!({"widgetId": "abc"}),
            "widgetId: must be 4 to 64 characters long, got 3",
        ),
        (
            json!({"widgetId": "a".repeat(65)}),
            "widgetId: must be 4 to 64 characters long, got 65",
        ),
        (
            json!({"widgetId": "abc def"}),
            "widgetId: has ` `, which a widget ID cannot contain: use letters, digits, `_` or `-` \
             (copy the ID from the end of your JivoChat code's URL)",
        ),
        (
            json!({"widgetId": "abc/def"}),
            "widgetId: has `/`, which a widget ID cannot contain: use letters, digits, `_` or `-` \
             (copy the ID from the end of your JivoChat code's URL)",
        ),
        (
            json!({"widgetId": "абвг"}),
            "widgetId: has `\\u{430}`, which a widget ID cannot contain: use letters, digits, `_` \
             or `-` (copy the ID from the end of your JivoChat code's URL)",
        ),
        (
            json!({"widgetId": 1234}),
            "widgetId: must be text: the widget ID, or \"\" for none; got 1234",
        ),
        (
            json!({"mode": "jivochat"}),
            "widgetId: is required when mode is \"jivochat\": enter the widget ID from your \
             JivoChat code (the part after `/widget/`)",
        ),
        (
            json!({"mode": "jivochat", "widgetId": ""}),
            "widgetId: is required when mode is \"jivochat\": enter the widget ID from your \
             JivoChat code (the part after `/widget/`)",
        ),
        // loaderUrl
        (
            json!({"loaderUrl": "https://code.jivosite.com/widget/"}),
            "loaderUrl: must contain `{id}` exactly once, where the widget ID goes (as in \
             `https://code.jivosite.com/widget/{id}`); found it 0 times",
        ),
        (
            json!({"loaderUrl": "https://x.com/{id}/{id}"}),
            "loaderUrl: must contain `{id}` exactly once, where the widget ID goes (as in \
             `https://code.jivosite.com/widget/{id}`); found it 2 times",
        ),
        (
            json!({"loaderUrl": "https://x.com/{ID}"}),
            "loaderUrl: must contain `{id}` exactly once, where the widget ID goes (as in \
             `https://code.jivosite.com/widget/{id}`); found it 0 times",
        ),
        (
            json!({"loaderUrl": "https://x.com/{id}}"}),
            "loaderUrl: has `{` or `}` outside `{id}`: `{id}` is the only placeholder",
        ),
        (
            json!({"loaderUrl": "//code.jivosite.com/widget/{id}"}),
            "loaderUrl: must be an absolute URL starting with `https://` or `http://`, as in \
             `https://code.jivosite.com/widget/{id}`",
        ),
        (
            json!({"loaderUrl": "code.jivosite.com/widget/{id}"}),
            "loaderUrl: must be an absolute URL starting with `https://` or `http://`, as in \
             `https://code.jivosite.com/widget/{id}`",
        ),
        (
            json!({"loaderUrl": "https:code.jivosite.com/widget/{id}"}),
            "loaderUrl: must be an absolute URL starting with `https://` or `http://`, as in \
             `https://code.jivosite.com/widget/{id}`",
        ),
        (
            json!({"loaderUrl": "ftp://code.jivosite.com/widget/{id}"}),
            "loaderUrl: must be an `https://` or `http://` URL, got a `ftp:` URL",
        ),
        (
            json!({"loaderUrl": "javascript:alert({id})"}),
            "loaderUrl: must be an `https://` or `http://` URL, got a `javascript:` URL",
        ),
        (
            json!({"loaderUrl": "https:///widget/{id}"}),
            "loaderUrl: must have a host after `//`, as in `https://code.jivosite.com/widget/{id}`",
        ),
        (
            json!({"loaderUrl": "https://code.jivosite.com:99999/{id}"}),
            "loaderUrl: is not a valid URL: port `99999` is not a number from 0 to 65535",
        ),
        (
            json!({"loaderUrl": "https://code.jivosite.com/widget/ {id}"}),
            "loaderUrl: must not contain spaces, tabs or line breaks: percent-encode them (`%20`)",
        ),
        (
            json!({"loaderUrl": format!("https://x.com/{{id}}/{}", "a".repeat(2040))}),
            "loaderUrl: must be at most 2048 characters long, got 2059",
        ),
        (
            json!({"loaderUrl": ["https://x.com/{id}"]}),
            "loaderUrl: must be text: a URL template such as \
             \"https://code.jivosite.com/widget/{id}\"; got a list",
        ),
        // sites
        (
            json!({"sites": "https://example.com/*"}),
            "sites: must be a list of site patterns such as [\"https://example.com/*\"], got the \
             text \"https://example.com/*\"",
        ),
        (
            json!({"sites": {}}),
            "sites: must be a list of site patterns such as [\"https://example.com/*\"], got an \
             object",
        ),
        (
            json!({"sites": ["https://ok.com/*", "https://*./*"]}),
            "sites[1]: host `*.` is empty: write a domain after `*.`, as in `*.example.com`",
        ),
        (
            json!({"sites": ["https://example.com"]}),
            "sites[0]: a pattern needs a path: add `/*`, as in `https://example.com/*`",
        ),
        (
            json!({"sites": ["ftp://example.com/*"]}),
            "sites[0]: scheme `ftp` is not supported: use http, https or *",
        ),
        (
            json!({"sites": [5]}),
            "sites[0]: must be text: a site pattern such as \"https://example.com/*\"; got 5",
        ),
        (
            json!({"sites": ["https://a.com/*", "HTTPS://A.com/*"]}),
            "sites[1]: repeats sites[0] (`https://a.com/*`): remove one of them",
        ),
        // spa
        (
            json!({"spa": true}),
            "spa: must be an object such as {\"enabled\": true, \"settleMs\": 500}, got true",
        ),
        (
            json!({"spa": {"enabled": "yes"}}),
            "spa.enabled: must be true or false, got the text \"yes\"",
        ),
        (
            json!({"spa": {"settleMs": 20000}}),
            "spa.settleMs: must be an integer from 0 to 10000, got 20000",
        ),
        (
            json!({"spa": {"settleMs": -1}}),
            "spa.settleMs: must be an integer from 0 to 10000, got -1",
        ),
        (
            json!({"spa": {"settleMs": 1.5}}),
            "spa.settleMs: must be an integer from 0 to 10000, got 1.5",
        ),
        (
            json!({"spa": {"settleMs": "500"}}),
            "spa.settleMs: must be an integer from 0 to 10000, got the text \"500\"",
        ),
        (
            json!({"spa": {"hash": "none"}}),
            "spa.hash: must be \"routes\", \"all\" or \"ignore\", got the text \"none\"",
        ),
        (
            json!({"spa": {"titleOnly": 0}}),
            "spa.titleOnly: must be true or false, got 0",
        ),
        (
            json!({"spa": {"settle_ms": 500}}),
            "spa: unknown setting `settle_ms` (did you mean `settleMs`?)",
        ),
        (
            json!({"spa": {"debounce": 500}}),
            "spa: unknown setting `debounce` (the `spa` settings are `enabled`, `settleMs`, \
             `hash`, `titleOnly`, `reportIntervalMs`)",
        ),
        (
            json!({"spa": {"reportIntervalMs": 60001}}),
            "spa.reportIntervalMs: must be an integer from 0 to 60000, got 60001",
        ),
        // siteWidget
        (
            json!({"siteWidget": []}),
            "siteWidget: must be an object such as {\"graceMs\": 1500, \"useMineOn\": [], \
             \"sandboxStandIn\": true}, got an empty list",
        ),
        (
            json!({"siteWidget": {"graceMs": 30001}}),
            "siteWidget.graceMs: must be an integer from 0 to 30000, got 30001",
        ),
        (
            json!({"siteWidget": {"graceMs": -5}}),
            "siteWidget.graceMs: must be an integer from 0 to 30000, got -5",
        ),
        (
            json!({"siteWidget": {"useMineOn": "https://a.com/*"}}),
            "siteWidget.useMineOn: must be a list of site patterns such as \
             [\"https://example.com/*\"], got the text \"https://a.com/*\"",
        ),
        (
            json!({"siteWidget": {"useMineOn": ["example.com/*"]}}),
            "siteWidget.useMineOn[0]: a pattern starts with a scheme and `://`: use http, \
             https or *, as in `*://example.com/*`",
        ),
        (
            json!({"siteWidget": {"useMineOn": ["https://a.com/*", "HTTPS://A.com/*"]}}),
            "siteWidget.useMineOn[1]: repeats siteWidget.useMineOn[0] (`https://a.com/*`): \
             remove one of them",
        ),
        (
            json!({"siteWidget": {"sandboxStandIn": "on"}}),
            "siteWidget.sandboxStandIn: must be true or false, got the text \"on\"",
        ),
        (
            json!({"siteWidget": {"grace": 1}}),
            "siteWidget: unknown setting `grace` (the `siteWidget` settings are `graceMs`, \
             `useMineOn`, `sandboxStandIn`)",
        ),
        (
            json!({"siteWidget": {"grace_ms": 1}}),
            "siteWidget: unknown setting `grace_ms` (did you mean `graceMs`?)",
        ),
        // log
        (
            json!({"log": 2000}),
            "log: must be an object such as {\"maxEntries\": 2000}, got 2000",
        ),
        (
            json!({"log": {"maxEntries": 99}}),
            "log.maxEntries: must be an integer from 100 to 20000, got 99",
        ),
        (
            json!({"log": {"maxEntries": 20001}}),
            "log.maxEntries: must be an integer from 100 to 20000, got 20001",
        ),
        (
            json!({"log": {"max": 1}}),
            "log: unknown setting `max` (the `log` settings are `maxEntries`)",
        ),
        // loaderTimeoutMs
        (
            json!({"loaderTimeoutMs": 999}),
            "loaderTimeoutMs: must be an integer from 1000 to 120000, got 999",
        ),
        (
            json!({"loaderTimeoutMs": 120001}),
            "loaderTimeoutMs: must be an integer from 1000 to 120000, got 120001",
        ),
        (
            json!({"loaderTimeoutMs": 1e300}),
            "loaderTimeoutMs: must be an integer from 1000 to 120000, got 1e+300",
        ),
        (
            json!({"loaderTimeoutMs": 18446744073709551615u64}),
            "loaderTimeoutMs: must be an integer from 1000 to 120000, got 18446744073709551615",
        ),
        (
            json!({"loaderTimeoutMs": false}),
            "loaderTimeoutMs: must be an integer from 1000 to 120000, got false",
        ),
        // unknown keys and the document itself
        (json!({"foo": 1}), "unknown setting `foo` (the settings are `mode`, `widgetId`, \
             `loaderUrl`, `sites`, `spa`, `log`, `loaderTimeoutMs`, `siteWidget`)"),
        (
            json!({"widgetID": "abcd"}),
            "unknown setting `widgetID` (did you mean `widgetId`?)",
        ),
        (
            json!({"loader_url": "x"}),
            "unknown setting `loader_url` (did you mean `loaderUrl`?)",
        ),
        (
            json!([]),
            "the settings must be a JSON object ({ … }), got an empty list",
        ),
        (
            json!("sandbox"),
            "the settings must be a JSON object ({ … }), got the text \"sandbox\"",
        ),
        (
            json!(null),
            "the settings must be a JSON object ({ … }), got null",
        ),
    ];
    for (doc, message) in table {
        assert_eq!(one_error(doc.clone()), message, "{doc}");
    }
}

#[test]
fn long_texts_are_shortened_in_messages() {
    let long = "x".repeat(100);
    assert_eq!(
        one_error(json!({"mode": long})),
        format!(
            "mode: must be \"sandbox\" or \"jivochat\", got the text \"{}…\"",
            "x".repeat(40)
        )
    );
}

#[test]
fn integral_floats_count_as_integers() {
    let s = ok(json!({"spa": {"settleMs": 700.0}, "loaderTimeoutMs": 2e3}));
    assert_eq!(s.spa().settle_ms, 700);
    assert_eq!(s.loader_timeout_ms(), 2000);
    assert_eq!(
        s.to_json(),
        ok(json!({"spa": {"settleMs": 700}, "loaderTimeoutMs": 2000})).to_json()
    );
}

#[test]
fn bounds_are_inclusive() {
    for (doc, check) in [
        (json!({"spa": {"settleMs": 0}}), 0),
        (json!({"spa": {"settleMs": 10000}}), 10000),
    ] {
        assert_eq!(ok(doc).spa().settle_ms, check);
    }
    assert_eq!(
        ok(json!({"log": {"maxEntries": 100}})).log().max_entries,
        100
    );
    assert_eq!(
        ok(json!({"log": {"maxEntries": 20000}})).log().max_entries,
        20000
    );
    assert_eq!(
        ok(json!({"loaderTimeoutMs": 1000})).loader_timeout_ms(),
        1000
    );
    assert_eq!(
        ok(json!({"loaderTimeoutMs": 120000})).loader_timeout_ms(),
        120000
    );
    assert!(Settings::from_value(&json!({"widgetId": "a".repeat(64)})).is_ok());
    assert!(Settings::from_value(&json!({"widgetId": "abcd"})).is_ok());
    let sites: Vec<String> = (0..MAX_SITES)
        .map(|i| format!("https://s{i}.example.com/*"))
        .collect();
    assert_eq!(ok(json!({ "sites": sites })).sites().len(), MAX_SITES);
    let url = format!("https://x.com/{{id}}/{}", "a".repeat(2048 - 19));
    assert_eq!(url.chars().count(), 2048);
    assert!(LoaderUrl::parse(&url).is_ok());
}

#[test]
fn all_errors_are_reported_in_document_order() {
    let doc = json!({
        "zzz": 1,
        "loaderTimeoutMs": 5,
        "spa": {"settleMs": 20000, "hash": "x", "enabled": 1},
        "mode": "live",
        "sites": ["ftp://a/*", "https://ok.com/*", "https://ok.com/*", 3],
        "log": {"maxEntries": 1},
        "widgetId": "!",
        "loaderUrl": "nope",
    });
    let paths: Vec<String> = errors_of(&doc).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        paths,
        vec![
            "mode",
            "widgetId",
            "loaderUrl",
            "sites[0]",
            "sites[2]",
            "sites[3]",
            "spa.enabled",
            "spa.settleMs",
            "spa.hash",
            "log.maxEntries",
            "loaderTimeoutMs",
            "",
        ]
    );
    let err = Settings::from_value(&doc).unwrap_err();
    assert_eq!(err.for_path("spa.hash").count(), 1);
    assert_eq!(err.for_path("nope").count(), 0);
    assert_eq!(err.errors().len(), 12);
    assert_eq!(err.clone().into_errors().len(), 12);
    assert!(err
        .to_string()
        .contains("; spa.settleMs: must be an integer from 0 to 10000, got 20000; "));
}

#[test]
fn the_widget_id_rule_is_reported_with_other_errors() {
    let paths: Vec<String> = errors_of(&json!({"mode": "jivochat", "log": {"maxEntries": 1}}))
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert_eq!(paths, vec!["log.maxEntries", "widgetId"]);
    // A bad widget ID is one problem, not two.
    let errors = errors_of(&json!({"mode": "jivochat", "widgetId": "a"}));
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].0, "widgetId");
}

#[test]
fn too_many_sites_and_capped_item_errors() {
    let sites: Vec<String> = (0..=MAX_SITES)
        .map(|i| format!("https://s{i}.example.com/*"))
        .collect();
    assert_eq!(
        one_error(json!({ "sites": sites })),
        "sites: has 201 rules; at most 200 are allowed"
    );
    let bad: Vec<&str> = vec!["ftp://x/*"; 30];
    let errors = errors_of(&json!({ "sites": bad }));
    assert_eq!(errors.len(), 21);
    assert_eq!(errors[19].0, "sites[19]");
    assert_eq!(
        errors[20],
        (
            "sites".to_owned(),
            "10 more rules have problems; fix the ones listed first".to_owned()
        )
    );
}

#[test]
fn site_rules_are_stored_canonical() {
    let s = ok(json!({"sites": ["  HTTPS://Example.COM/Shop/*", "*://[0::1]/*"]}));
    assert_eq!(
        s.to_value()["sites"],
        json!(["https://example.com/Shop/*", "*://[::1]/*"])
    );
}

#[test]
fn size_limit_comes_first() {
    let big = format!("{{\"sites\": [\"{}\"]}}", "a".repeat(MAX_DOCUMENT_BYTES));
    let err = Settings::from_json(&big).unwrap_err();
    assert_eq!(err.errors().len(), 1);
    assert_eq!(
        err.to_string(),
        format!(
            "the settings document is {} bytes; the limit is 262144 bytes (256 KiB)",
            big.len()
        )
    );
    // Too large as text, even though it is not JSON at all.
    let junk = "x".repeat(MAX_DOCUMENT_BYTES + 1);
    assert!(Settings::from_json(&junk)
        .unwrap_err()
        .to_string()
        .starts_with("the settings document is 262145 bytes"));
    // Exactly at the limit is fine as far as size goes.
    let padded = format!("{{}}{}", " ".repeat(MAX_DOCUMENT_BYTES - 2));
    assert_eq!(padded.len(), MAX_DOCUMENT_BYTES);
    assert_eq!(Settings::from_json(&padded).unwrap(), Settings::default());

    let value = json!({ "sites": vec!["https://a.com/*"; 20_000] });
    assert_eq!(
        Settings::from_value(&value).unwrap_err().to_string(),
        "the settings document is larger than that; the limit is 262144 bytes (256 KiB)"
    );
}

#[test]
fn not_json() {
    let err = Settings::from_json("{\"mode\": ").unwrap_err();
    assert_eq!(err.errors().len(), 1);
    assert_eq!(err.errors()[0].path, "");
    assert!(
        err.to_string()
            .starts_with("the settings are not valid JSON: EOF while parsing"),
        "{err}"
    );
    assert!(Settings::from_json("").is_err());
    assert!(Settings::from_json("{} {}").is_err());
}

#[test]
fn round_trips() {
    let docs = [
        json!({}),
        json!({"mode": "jivochat", "widgetId": "abc_DEF-123", "sites": ["<all_urls>"]}),
        json!({
            "loaderUrl": "http://localhost:8080/w/{id}?q=\"x\"",
            "sites": ["*://*.example.com/*", "http://127.0.0.1/*", "https://example.org/a?b=*"],
            "spa": {"enabled": false, "hash": "ignore"},
            "log": {"maxEntries": 20000},
            "loaderTimeoutMs": 120000
        }),
    ];
    for doc in docs {
        let s = ok(doc);
        assert_eq!(Settings::from_json(&s.to_json()).unwrap(), s);
        assert_eq!(Settings::from_json(&s.to_json_pretty()).unwrap(), s);
        assert_eq!(Settings::from_value(&s.to_value()).unwrap(), s);
        let via_serde: Settings =
            serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(via_serde, s);
        // The canonical text is a fixed point.
        assert_eq!(
            Settings::from_json(&s.to_json()).unwrap().to_json(),
            s.to_json()
        );
    }
}

#[test]
fn compact_json_is_in_document_order() {
    assert_eq!(
        Settings::default().to_json(),
        r#"{"mode":"sandbox","widgetId":"","loaderUrl":"https://code.jivosite.com/widget/{id}","sites":[],"spa":{"enabled":true,"settleMs":500,"hash":"routes","titleOnly":true,"reportIntervalMs":500},"log":{"maxEntries":2000},"loaderTimeoutMs":15000,"siteWidget":{"graceMs":1500,"useMineOn":[],"sandboxStandIn":true}}"#
    );
    let s = ok(json!({"sites": ["https://a.com/*", "https://b.com/*"]}));
    assert!(s
        .to_json_pretty()
        .contains("  \"sites\": [\n    \"https://a.com/*\",\n    \"https://b.com/*\"\n  ],\n"));
}

#[test]
fn serde_error_carries_every_problem() {
    let err = serde_json::from_str::<Settings>(r#"{"mode": "x", "log": 1}"#).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("mode: must be"), "{text}");
    assert!(text.contains("log: must be an object"), "{text}");
}

#[test]
fn field_error_display() {
    assert_eq!(
        FieldError::new("spa.hash", "bad").to_string(),
        "spa.hash: bad"
    );
    assert_eq!(FieldError::new("", "bad").to_string(), "bad");
    assert_eq!(SettingsError::single("a", "b").to_string(), "a: b");
    assert_eq!(SettingsError::from_errors(vec![]), None);
    let e: SettingsError = FieldError::new("x", "y").into();
    assert_eq!(e.errors().len(), 1);
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        json!([{"path": "x", "message": "y"}])
    );
}

#[test]
fn apply_update_keeps_the_old_settings_on_error() {
    let mut current =
        ok(json!({"mode": "jivochat", "widgetId": "abcd", "sites": ["https://a.com/*"]}));
    let before = current.clone();
    for bad in [
        json!({"mode": "x"}),
        json!({"mode": "jivochat", "widgetId": ""}),
        json!({"sites": ["https://a.com"]}),
        json!([]),
        json!({"typo": true}),
    ] {
        let err = apply_update(&mut current, &bad).unwrap_err();
        assert!(!err.errors().is_empty());
        assert_eq!(current, before, "changed by {bad}");
    }
    apply_update(&mut current, &json!({"spa": {"settleMs": 10}})).unwrap();
    assert_eq!(current.spa().settle_ms, 10);
    assert_eq!(current.mode(), Mode::Sandbox);
    assert!(current.sites().is_empty());
}

// ---------------------------------------------------------------- managed storage

#[test]
fn no_documents_mean_defaults() {
    let e = EffectiveSettings::resolve(None, None);
    assert_eq!(*e.settings(), Settings::default());
    assert!(e.locked().is_empty());
    assert_eq!(e.user_errors(), None);
    assert_eq!(e.managed_errors(), None);
    assert_eq!(e, EffectiveSettings::default());
    assert_eq!(e.user_document(), Settings::default().to_value());
}

#[test]
fn null_documents_count_as_absent() {
    let null = Value::Null;
    let e = EffectiveSettings::resolve(Some(&null), Some(&null));
    assert_eq!(e, EffectiveSettings::default());
    let e = EffectiveSettings::resolve(Some(&json!({"spa": {"settleMs": 1}})), None);
    assert_eq!(
        e.with_user_document(Some(&null)).settings(),
        &Settings::default()
    );
    assert_eq!(e.with_managed_document(Some(&null)), e);
    // A plain document that is `null` is still not a settings document.
    assert!(Settings::from_value(&null).is_err());
}

#[test]
fn managed_keys_override_and_lock() {
    let user = json!({
        "mode": "sandbox",
        "sites": ["https://user.example/*"],
        "spa": {"enabled": false, "settleMs": 100},
        "loaderTimeoutMs": 5000
    });
    let managed = json!({
        "sites": ["https://corp.example/*"],
        "spa": {"settleMs": 2000},
        "log": {"maxEntries": 500}
    });
    let e = EffectiveSettings::resolve(Some(&user), Some(&managed));
    let s = e.settings();
    assert_eq!(s.sites().patterns(), vec!["https://corp.example/*"]);
    assert_eq!(s.spa().settle_ms, 2000, "managed sub-key wins");
    assert!(!s.spa().enabled, "the user's other spa sub-keys stay");
    assert_eq!(s.log().max_entries, 500);
    assert_eq!(s.loader_timeout_ms(), 5000);
    assert_eq!(s.mode(), Mode::Sandbox);
    assert_eq!(
        e.locked().iter().copied().collect::<Vec<_>>(),
        vec!["log.maxEntries", "sites", "spa.settleMs"]
    );
    assert!(e.is_locked("sites"));
    assert!(e.is_locked("spa.settleMs"));
    assert!(e.is_locked("spa"), "a locked sub-key locks its group");
    assert!(e.is_locked("log"));
    assert!(!e.is_locked("spa.enabled"));
    assert!(!e.is_locked("mode"));
    assert!(!e.is_locked("sp"));
    assert!(!e.is_locked(""));
    assert_eq!(e.user_errors(), None);
    assert_eq!(e.managed_errors(), None);
    // The user's own values are still there for the options page (and for when the policy goes).
    assert_eq!(
        e.user_document()["sites"],
        json!(["https://user.example/*"])
    );
    assert_eq!(e.user_document()["spa"]["settleMs"], json!(100));
    let without_policy = e.with_managed_document(None);
    assert_eq!(
        without_policy.settings().sites().patterns(),
        vec!["https://user.example/*"]
    );
    assert_eq!(without_policy.settings().spa().settle_ms, 100);
    assert!(without_policy.locked().is_empty());
}

#[test]
fn every_key_can_be_locked() {
    let managed = json!({
        "mode": "jivochat",
        "widgetId": "corp1",
        "loaderUrl": "https://proxy.corp/{id}",
        "sites": [],
        "spa": {"enabled": false, "settleMs": 0, "hash": "all", "titleOnly": false,
                "reportIntervalMs": 0},
        "log": {"maxEntries": 100},
        "loaderTimeoutMs": 1000,
        "siteWidget": {"graceMs": 0, "useMineOn": ["https://a.example/*"], "sandboxStandIn": false}
    });
    let e = EffectiveSettings::resolve(None, Some(&managed));
    assert_eq!(
        e.locked()
            .iter()
            .copied()
            .collect::<std::collections::BTreeSet<_>>(),
        PATHS.into_iter().collect()
    );
    assert_eq!(*e.settings(), ok(managed));
    assert_eq!(e.managed_errors(), None);
}

#[test]
fn invalid_managed_values_are_ignored_with_errors() {
    let user = json!({"sites": ["https://user.example/*"], "spa": {"settleMs": 300}});
    let managed = json!({
        "sites": ["https://corp.example/*", "ftp://nope/*"],
        "spa": {"settleMs": 99999, "hash": "all"},
        "loaderTimeoutMs": 30000,
        "colour": "red"
    });
    let e = EffectiveSettings::resolve(Some(&user), Some(&managed));
    let s = e.settings();
    assert_eq!(
        s.sites().patterns(),
        vec!["https://user.example/*"],
        "sites is all or nothing"
    );
    assert_eq!(s.spa().settle_ms, 300);
    assert_eq!(s.spa().hash, HashMode::All);
    assert_eq!(s.loader_timeout_ms(), 30000);
    assert_eq!(
        e.locked().iter().copied().collect::<Vec<_>>(),
        vec!["loaderTimeoutMs", "spa.hash"]
    );
    let managed_errors = e.managed_errors().unwrap();
    let paths: Vec<&str> = managed_errors
        .errors()
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(paths, vec!["sites[1]", "spa.settleMs", ""]);
    assert_eq!(e.user_errors(), None);
}

#[test]
fn a_managed_document_that_is_not_an_object_or_too_large_is_ignored() {
    let user = json!({"spa": {"settleMs": 300}});
    for managed in [
        json!("x"),
        json!([1]),
        json!({ "sites": vec!["https://a.com/*"; 20_000] }),
    ] {
        let e = EffectiveSettings::resolve(Some(&user), Some(&managed));
        assert_eq!(e.settings().spa().settle_ms, 300);
        assert!(e.locked().is_empty());
        assert_eq!(e.managed_errors().unwrap().errors().len(), 1);
        assert_eq!(e.managed_errors().unwrap().errors()[0].path, "");
    }
}

#[test]
fn an_empty_managed_widget_id_is_not_set() {
    let user = json!({"mode": "jivochat", "widgetId": "mine1"});
    let e = EffectiveSettings::resolve(Some(&user), Some(&json!({"widgetId": ""})));
    assert_eq!(
        e.settings().widget_id().map(WidgetId::as_str),
        Some("mine1")
    );
    assert!(e.locked().is_empty());
    assert_eq!(e.managed_errors(), None);
}

#[test]
fn a_managed_widget_id_satisfies_the_users_jivochat_mode() {
    let user = json!({"mode": "jivochat", "widgetId": ""});
    // Alone, the user document is invalid…
    assert!(Settings::from_value(&user).is_err());
    // …but with the policy's widget ID it is what the options page would write.
    let managed = json!({"widgetId": "corp1"});
    let e = EffectiveSettings::resolve(Some(&user), Some(&managed));
    assert_eq!(e.user_errors(), None);
    assert_eq!(e.settings().mode(), Mode::JivoChat);
    assert_eq!(
        e.settings().jivochat_loader_url().as_deref(),
        Some("https://code.jivosite.com/widget/corp1")
    );
    assert_eq!(
        e.locked().iter().copied().collect::<Vec<_>>(),
        vec!["widgetId"]
    );

    // The policy goes away: the user's jivochat cannot apply; sandbox, and the user is told.
    let gone = e.with_managed_document(None);
    assert_eq!(gone.settings().mode(), Mode::Sandbox);
    assert_eq!(gone.settings().widget_id(), None);
    let errors = gone.user_errors().unwrap();
    assert_eq!(errors.errors().len(), 1);
    assert_eq!(errors.errors()[0].path, "widgetId");
    assert!(errors.errors()[0]
        .message
        .ends_with("; the sandbox is used until then"));
    assert_eq!(gone.managed_errors(), None);
}

#[test]
fn a_policy_forcing_jivochat_without_a_widget_id_is_ignored_until_there_is_one() {
    let managed = json!({"mode": "jivochat"});
    let e = EffectiveSettings::resolve(None, Some(&managed));
    assert_eq!(e.settings().mode(), Mode::Sandbox);
    assert!(e.locked().is_empty());
    let errors = e.managed_errors().unwrap();
    assert_eq!(errors.errors().len(), 1);
    assert_eq!(errors.errors()[0].path, "mode");
    assert_eq!(e.user_errors(), None);

    // The user enters a widget ID (mode not theirs to set any more): the policy applies.
    let e = e.with_user_document(Some(&json!({"widgetId": "mine1"})));
    assert_eq!(e.settings().mode(), Mode::JivoChat);
    assert_eq!(
        e.settings().widget_id().map(WidgetId::as_str),
        Some("mine1")
    );
    assert!(e.is_locked("mode"));
    assert_eq!(e.managed_errors(), None);
    assert_eq!(e.user_errors(), None);
}

#[test]
fn the_users_mode_under_a_managed_mode_does_not_need_a_widget_id() {
    let user = json!({"mode": "jivochat", "widgetId": ""});
    let managed = json!({"mode": "sandbox"});
    let e = EffectiveSettings::resolve(Some(&user), Some(&managed));
    assert_eq!(e.user_errors(), None);
    assert_eq!(e.settings().mode(), Mode::Sandbox);
}

#[test]
fn an_invalid_user_document_keeps_the_previous_user_values() {
    let managed = json!({"log": {"maxEntries": 500}});
    let e = EffectiveSettings::resolve(
        Some(&json!({"sites": ["https://a.com/*"], "spa": {"settleMs": 42}})),
        Some(&managed),
    );
    assert_eq!(e.settings().spa().settle_ms, 42);

    let bad = json!({"sites": ["https://b.com"], "spa": {"settleMs": 43}});
    let after = e.with_user_document(Some(&bad));
    assert_eq!(
        after.settings(),
        e.settings(),
        "nothing from the bad document applies"
    );
    assert_eq!(after.locked(), e.locked());
    let errors = after.user_errors().unwrap();
    assert_eq!(errors.errors()[0].path, "sites[0]");
    assert_eq!(after.user_document(), e.user_document());

    // A policy change keeps both the old user values and the report about the bad document.
    let policy_change = after.with_managed_document(Some(&json!({"log": {"maxEntries": 600}})));
    assert_eq!(policy_change.settings().log().max_entries, 600);
    assert_eq!(policy_change.settings().spa().settle_ms, 42);
    assert_eq!(policy_change.user_errors(), after.user_errors());

    // The next good document clears the report.
    let fixed = after.with_user_document(Some(&json!({"sites": ["https://b.com/*"]})));
    assert_eq!(fixed.user_errors(), None);
    assert_eq!(fixed.settings().sites().patterns(), vec!["https://b.com/*"]);
    assert_eq!(fixed.settings().spa().settle_ms, 500);
    assert_eq!(fixed.settings().log().max_entries, 500);

    // Removing the document means defaults (the user reset everything).
    let reset = fixed.with_user_document(None);
    assert_eq!(reset.settings().sites().len(), 0);
    assert_eq!(reset.settings().log().max_entries, 500);
}

#[test]
fn an_invalid_user_document_at_start_up_means_defaults() {
    let e = EffectiveSettings::resolve(Some(&json!({"mode": 3})), None);
    assert_eq!(*e.settings(), Settings::default());
    assert_eq!(e.user_errors().unwrap().errors()[0].path, "mode");
}

#[test]
fn user_and_managed_errors_are_separate() {
    let e = EffectiveSettings::resolve(
        Some(&json!({"spa": {"hash": 1}})),
        Some(&json!({"log": {"maxEntries": 1}})),
    );
    assert_eq!(e.user_errors().unwrap().errors()[0].path, "spa.hash");
    assert_eq!(
        e.managed_errors().unwrap().errors()[0].path,
        "log.maxEntries"
    );
    assert_eq!(*e.settings(), Settings::default());
}

// ---------------------------------------------------------------- properties

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn key_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "mode", "widgetId", "loaderUrl", "sites", "spa", "log", "loaderTimeoutMs",
            "enabled", "settleMs", "hash", "titleOnly", "maxEntries",
        ])
        .prop_map(str::to_owned),
        1 => "\\PC{0,8}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        (0u32..130_000).prop_map(Value::from),
        prop::sample::select(vec![
            "sandbox",
            "jivochat",
            "routes",
            "all",
            "ignore",
            "",
            "abcd",
            "https://a.com/*",
            "https://code.jivosite.com/widget/{id}",
            "*://*/*",
            "<all_urls>",
            "ftp://x/*",
        ])
        .prop_map(Value::from),
        "\\PC{0,20}".prop_map(Value::from),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(key_name(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn valid_document() -> impl Strategy<Value = Value> {
    let widget_id = prop_oneof![Just(String::new()), "[A-Za-z0-9_-]{4,64}"];
    let loader = prop_oneof![
        Just("https://code.jivosite.com/widget/{id}".to_owned()),
        "[a-z]{1,10}".prop_map(|h| format!("http://{h}.test:8080/x/{{id}}.js?v=1")),
        "[a-z0-9/]{0,10}".prop_map(|p| format!("https://cdn.example/{p}{{id}}")),
    ];
    let site = prop_oneof![
        Just("<all_urls>".to_owned()),
        ("[a-z]{1,8}", "[a-z0-9/*]{0,10}").prop_map(|(h, p)| format!("https://*.{h}.com/{p}")),
        ("[a-z]{1,8}", "[a-z0-9/*?=]{0,10}").prop_map(|(h, p)| format!("*://{h}/{p}")),
    ];
    let sites = prop::collection::vec(site, 0..12).prop_map(|mut v| {
        let mut seen = std::collections::BTreeSet::new();
        v.retain(|s| seen.insert(s.clone()));
        v
    });
    let hash = prop::sample::select(vec!["routes", "all", "ignore"]);
    (
        any::<bool>(),
        widget_id,
        loader,
        sites,
        (any::<bool>(), 0u32..=10_000, hash, any::<bool>()),
        100u32..=20_000,
        1_000u32..=120_000,
        prop::collection::vec(any::<bool>(), 7),
    )
        .prop_map(
            |(jivo, id, loader, sites, (enabled, settle, hash, title), log, timeout, keep)| {
                let mode = if jivo && !id.is_empty() { "jivochat" } else { "sandbox" };
                let entries = [
                    ("mode", json!(mode)),
                    ("widgetId", json!(id)),
                    ("loaderUrl", json!(loader)),
                    ("sites", json!(sites)),
                    (
                        "spa",
                        json!({"enabled": enabled, "settleMs": settle, "hash": hash, "titleOnly": title}),
                    ),
                    ("log", json!({ "maxEntries": log })),
                    ("loaderTimeoutMs", json!(timeout)),
                ];
                // Leave some keys out (but never the widget ID that jivochat needs).
                let map = entries
                    .into_iter()
                    .zip(keep)
                    .filter(|((k, _), keep)| *keep || *k == "widgetId" || *k == "mode")
                    .map(|((k, v), _)| (k.to_owned(), v))
                    .collect();
                Value::Object(map)
            },
        )
}

fn is_consistent(s: &Settings) -> bool {
    s.mode() != Mode::JivoChat || s.widget_id().is_some()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn from_json_never_panics_on_any_string(s in "\\PC*") {
        let _ = Settings::from_json(&s);
    }

    #[test]
    fn from_json_never_panics_on_json_like_text(v in any_json(), cut in any::<usize>()) {
        let text = v.to_string();
        let _ = Settings::from_json(&text);
        let end = cut % (text.len() + 1);
        if let Some(prefix) = text.get(..end) {
            let _ = Settings::from_json(prefix);
        }
    }

    #[test]
    fn from_value_never_panics_and_accepts_only_consistent_settings(v in any_json()) {
        match Settings::from_value(&v) {
            Ok(s) => {
                prop_assert!(is_consistent(&s));
                prop_assert_eq!(Settings::from_value(&s.to_value()), Ok(s.clone()));
            }
            Err(e) => prop_assert!(!e.errors().is_empty()),
        }
    }

    #[test]
    fn valid_documents_are_accepted_and_round_trip(doc in valid_document()) {
        let s = Settings::from_value(&doc);
        prop_assert!(s.is_ok(), "{} gave {:?}", doc, s);
        let s = s.unwrap();
        prop_assert_eq!(Settings::from_json(&s.to_json()), Ok(s.clone()));
        prop_assert_eq!(Settings::from_json(&s.to_json_pretty()), Ok(s.clone()));
        prop_assert_eq!(Settings::from_json(&doc.to_string()), Ok(s.clone()));
        prop_assert_eq!(Settings::from_value(&s.to_value()), Ok(s.clone()));
        prop_assert_eq!(Settings::from_json(&s.to_json()).unwrap().to_json(), s.to_json());
    }

    #[test]
    fn resolve_never_panics_and_is_consistent(user in any_json(), managed in any_json()) {
        let e = EffectiveSettings::resolve(Some(&user), Some(&managed));
        prop_assert!(is_consistent(e.settings()));
        prop_assert!(e.locked().iter().all(|p| PATHS.contains(p)));
        let again = e.with_user_document(Some(&user)).with_managed_document(Some(&managed));
        prop_assert!(is_consistent(again.settings()));
    }

    #[test]
    fn managed_values_always_win(user in valid_document(), managed in valid_document()) {
        let e = EffectiveSettings::resolve(Some(&user), Some(&managed));
        prop_assert_eq!(e.user_errors(), None);
        let m = Settings::from_value(&managed).unwrap().to_value();
        let got = e.settings().to_value();
        for path in e.locked() {
            let pointer = format!("/{}", path.replace('.', "/"));
            prop_assert_eq!(got.pointer(&pointer), m.pointer(&pointer), "{}", path);
        }
    }

    #[test]
    fn a_bad_user_document_never_changes_the_settings(
        good in valid_document(),
        bad in any_json(),
        managed in prop::option::of(valid_document()),
    ) {
        let e = EffectiveSettings::resolve(Some(&good), managed.as_ref());
        let after = e.with_user_document(Some(&bad));
        if after.user_errors().is_some() {
            prop_assert_eq!(after.settings(), e.settings());
        }
        let mut current = Settings::from_value(&good).unwrap();
        let before = current.clone();
        if apply_update(&mut current, &bad).is_err() {
            prop_assert_eq!(current, before);
        }
    }
}

// ---------------------------------------------------------------- managed_schema.json

const SCHEMA: &str = include_str!("../../../extension/managed_schema.json");

fn schema() -> Value {
    serde_json::from_str(SCHEMA).expect("managed_schema.json is JSON")
}

/// Chromium's rules for a `storage.managed_schema` (components/policy `Schema::Parse`): it
/// refuses to load the extension when these fail, so they are checked here.
fn check_chrome_schema(node: &Value, path: &str) -> Result<(), String> {
    let Value::Object(map) = node else {
        return Err(format!("{path}: a schema must be an object"));
    };
    if map.contains_key("additionalProperties") || map.contains_key("patternProperties") {
        return Err(format!("{path}: no additionalProperties/patternProperties"));
    }
    let Some(Value::String(ty)) = map.get("type") else {
        return Err(format!(
            "{path}: every schema needs exactly one string `type`"
        ));
    };
    let allowed: &[&str] = match ty.as_str() {
        "array" => &[
            "description",
            "id",
            "items",
            "sensitiveValue",
            "title",
            "type",
        ],
        "boolean" | "number" => &["description", "id", "sensitiveValue", "title", "type"],
        "integer" => &[
            "description",
            "enum",
            "id",
            "maximum",
            "minimum",
            "sensitiveValue",
            "title",
            "type",
        ],
        "object" => &[
            "description",
            "id",
            "properties",
            "required",
            "sensitiveValue",
            "title",
            "type",
        ],
        "string" => &[
            "description",
            "enum",
            "id",
            "pattern",
            "sensitiveValue",
            "title",
            "type",
        ],
        other => return Err(format!("{path}: unknown type {other}")),
    };
    for (attr, value) in map {
        if !allowed.contains(&attr.as_str()) {
            return Err(format!("{path}: `{attr}` is not allowed for type {ty}"));
        }
        let type_ok = match attr.as_str() {
            "description" | "id" | "pattern" | "title" | "type" => value.is_string(),
            "enum" | "required" => value.is_array(),
            "minimum" | "maximum" => value.is_number(),
            "items" | "properties" => value.is_object(),
            "sensitiveValue" => value.is_boolean(),
            _ => false,
        };
        if !type_ok {
            return Err(format!("{path}: `{attr}` has the wrong type"));
        }
    }
    if let Some(Value::Array(values)) = map.get("enum") {
        let item_ok = |v: &Value| {
            if ty == "string" {
                v.is_string()
            } else {
                v.is_i64()
            }
        };
        if values.is_empty() || !values.iter().all(item_ok) {
            return Err(format!("{path}: enum must be a non-empty list of {ty}"));
        }
    }
    if ty == "integer" {
        if let (Some(min), Some(max)) = (map.get("minimum"), map.get("maximum")) {
            if min.as_f64() > max.as_f64() {
                return Err(format!("{path}: minimum > maximum"));
            }
        }
    }
    if ty == "array" {
        let items = map
            .get("items")
            .ok_or_else(|| format!("{path}: arrays need `items`"))?;
        check_chrome_schema(items, &format!("{path}[]"))?;
    }
    if let Some(Value::Object(props)) = map.get("properties") {
        for (key, sub) in props {
            check_chrome_schema(sub, &format!("{path}.{key}"))?;
        }
    }
    Ok(())
}

/// Whether `value` has the shape `schema` describes (types, enums, ranges; not patterns).
fn conforms(value: &Value, schema: &Value) -> bool {
    let ty = schema["type"].as_str().unwrap_or_default();
    let type_ok = match ty {
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    };
    if !type_ok {
        return false;
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        if !values.contains(value) {
            return false;
        }
    }
    if let Some(n) = value.as_i64() {
        if schema
            .get("minimum")
            .and_then(Value::as_i64)
            .is_some_and(|min| n < min)
            || schema
                .get("maximum")
                .and_then(Value::as_i64)
                .is_some_and(|max| n > max)
        {
            return false;
        }
    }
    match value {
        Value::Array(items) => items.iter().all(|i| conforms(i, &schema["items"])),
        Value::Object(map) => map.iter().all(|(k, v)| {
            schema["properties"]
                .get(k)
                .is_some_and(|sub| conforms(v, sub))
        }),
        _ => true,
    }
}

#[test]
fn managed_schema_is_valid_for_chromium() {
    let s = schema();
    assert_eq!(s["type"], "object", "the top level must be an object");
    check_chrome_schema(&s, "schema").unwrap();
}

#[test]
fn managed_schema_describes_exactly_the_settings() {
    let s = schema();
    let keys = |v: &Value| -> Vec<String> {
        v["properties"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let mut top: Vec<&str> = document::TOP_KEYS.to_vec();
    top.sort_unstable();
    assert_eq!(keys(&s), top);
    assert_eq!(
        keys(&s["properties"]["spa"]),
        vec![
            "enabled",
            "hash",
            "reportIntervalMs",
            "settleMs",
            "titleOnly"
        ]
    );
    assert_eq!(
        keys(&s["properties"]["siteWidget"]),
        vec!["graceMs", "sandboxStandIn", "useMineOn"]
    );
    assert_eq!(keys(&s["properties"]["log"]), vec!["maxEntries"]);

    let p = &s["properties"];
    assert_eq!(
        p["mode"]["enum"],
        json!([Mode::Sandbox.as_str(), Mode::JivoChat.as_str()])
    );
    assert_eq!(
        p["spa"]["properties"]["hash"]["enum"],
        json!(["routes", "all", "ignore"])
    );
    let range = |v: &Value| (v["minimum"].as_u64(), v["maximum"].as_u64());
    assert_eq!(
        range(&p["spa"]["properties"]["settleMs"]),
        (Some(0), Some(u64::from(SpaConfig::MAX_SETTLE_MS)))
    );
    assert_eq!(
        range(&p["spa"]["properties"]["reportIntervalMs"]),
        (Some(0), Some(u64::from(SpaConfig::MAX_REPORT_INTERVAL_MS)))
    );
    assert_eq!(
        range(&p["siteWidget"]["properties"]["graceMs"]),
        (Some(0), Some(u64::from(SiteWidgetConfig::MAX_GRACE_MS)))
    );
    assert_eq!(
        range(&p["log"]["properties"]["maxEntries"]),
        (
            Some(u64::from(LogConfig::MIN_MAX_ENTRIES)),
            Some(u64::from(LogConfig::MAX_MAX_ENTRIES))
        )
    );
    assert_eq!(
        range(&p["loaderTimeoutMs"]),
        (
            Some(u64::from(MIN_LOADER_TIMEOUT_MS)),
            Some(u64::from(MAX_LOADER_TIMEOUT_MS))
        )
    );
    assert_eq!(
        p["widgetId"]["pattern"],
        format!(
            "^([A-Za-z0-9_-]{{{},{}}})?$",
            WidgetId::MIN_LEN,
            WidgetId::MAX_LEN
        )
    );
    assert!(conforms(&Settings::default().to_value(), &s));
}

#[test]
fn out_of_range_values_fail_the_schema_too() {
    let s = schema();
    for doc in [
        json!({"mode": "live"}),
        json!({"spa": {"settleMs": 10001}}),
        json!({"log": {"maxEntries": 99}}),
        json!({"loaderTimeoutMs": 120001}),
        json!({"sites": [1]}),
        json!({"spa": {"hash": "none"}}),
        json!({"spa": {"reportIntervalMs": 60001}}),
        json!({"siteWidget": {"graceMs": 30001}}),
        json!({"siteWidget": {"useMineOn": [1]}}),
        json!({"siteWidget": {"sandboxStandIn": "yes"}}),
    ] {
        assert!(!conforms(&doc, &s), "{doc}");
        assert!(Settings::from_value(&doc).is_err(), "{doc}");
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_valid_document_conforms_to_the_managed_schema(doc in valid_document()) {
        let s = Settings::from_value(&doc).unwrap();
        prop_assert!(conforms(&s.to_value(), &schema()));
        prop_assert!(conforms(&doc, &schema()));
    }
}

#[test]
fn site_widget_settings_read_and_apply() {
    let d = Settings::default();
    assert_eq!(d.site_widget().grace_ms, 1500);
    assert!(d.site_widget().use_mine_on.is_empty());
    assert!(d.site_widget().sandbox_stand_in);
    let s = ok(json!({
        "mode": "jivochat",
        "widgetId": "Mine1",
        "siteWidget": {"graceMs": 3000.0, "useMineOn": ["https://*.shop.example/*"]}
    }));
    assert_eq!(s.site_widget().grace_ms, 3000);
    assert!(
        s.site_widget().sandbox_stand_in,
        "a missing sub-key takes its default"
    );
    assert!(s
        .site_widget()
        .uses_mine_on("https://www.shop.example/cart"));
    assert!(!s.site_widget().uses_mine_on("https://other.example/"));
    use crate::jivochat::{EmbedMode, OwnWidget};
    let e = s.embed_config("https://www.shop.example/cart");
    assert_eq!(e.grace_ms, 3000);
    assert_eq!(
        e.mode,
        EmbedMode::JivoChat {
            own: Some(OwnWidget::new(
                "Mine1",
                "https://code.jivosite.com/widget/Mine1"
            )),
            use_mine_here: true
        }
    );
    let sandbox = ok(json!({"siteWidget": {"sandboxStandIn": false}}));
    assert_eq!(
        sandbox.embed_config("https://x.example/").mode,
        EmbedMode::Sandbox { stand_in: false }
    );
    assert_eq!(
        ok(json!({"spa": {"reportIntervalMs": 0}}))
            .spa()
            .report_interval_ms,
        0
    );
}
