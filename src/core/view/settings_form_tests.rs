//! Native tests of the options page's model: run with
//! `cargo test -p jwi-core view::settings_form`.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::*;
use crate::settings::{Settings, SettingsStatus, PATHS};
use crate::site_rule::SiteRules;

const HTML: &str = include_str!("../../../extension/options.html");
const EN: &str = include_str!("../../../extension/_locales/en/messages.json");
const RU: &str = include_str!("../../../extension/_locales/ru/messages.json");
const SOURCES: [&str; 4] = [
    include_str!("../../pages/options/mod.rs"),
    include_str!("../../pages/options/view.rs"),
    include_str!("settings_form.rs"),
    include_str!("../../browser/i18n.rs"),
];

fn defaults() -> Value {
    Settings::default().to_value()
}

#[test]
fn a_loaded_form_makes_the_document_it_shows() {
    let doc = Settings::from_json(
        r#"{"mode":"jivochat","widgetId":"aBcD1234","sites":["https://*.example.com/*"],
            "spa":{"settleMs":800,"hash":"all","titleOnly":false},"log":{"maxEntries":5000}}"#,
    )
    .unwrap()
    .to_value();
    let form = Form::from_document(&doc);
    assert_eq!(form.spa_settle_ms, "800");
    assert_eq!(form.spa_hash, "all");
    assert!(!form.spa_title_only);
    assert_eq!(form.to_document(), doc);
    assert_eq!(canonical(&form.to_document()), doc);
    assert!(validate(&form.to_document(), None).is_empty());
}

#[test]
fn missing_keys_show_their_defaults() {
    let form = Form::from_document(&json!({}));
    assert_eq!(form, Form::from_document(&defaults()));
    assert_eq!(form.to_document(), defaults());
}

#[test]
fn number_fields_become_numbers_only_when_they_are_numbers() {
    assert_eq!(number_value("500"), json!(500));
    assert_eq!(number_value(" 12 "), json!(12));
    assert_eq!(number_value("1.5"), json!(1.5));
    assert_eq!(number_value("abc"), json!("abc"));
    assert_eq!(number_value(""), json!(""));
}

#[test]
fn problems_come_from_the_settings_module_with_their_paths() {
    let mut form = Form::from_document(&defaults());
    form.widget_id = "a b".into();
    form.spa_settle_ms = "abc".into();
    form.loader_timeout_ms = "5".into();
    let problems = validate(&form.to_document(), None);
    let paths: Vec<&str> = problems.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["widgetId", "spa.settleMs", "loaderTimeoutMs"]);
    assert_eq!(
        problems[1].message,
        "must be an integer from 0 to 10000, got the text \"abc\""
    );
    assert!(inline_message(&problems[1]).starts_with("Must be an integer"));
    form.mode = "jivochat".into();
    form.widget_id = String::new();
    let problems = validate(&form.to_document(), None);
    assert!(problems.iter().any(|e| e.path == "widgetId"));
}

#[test]
fn text_fields_drop_surrounding_spaces() {
    let mut form = Form::from_document(&defaults());
    form.widget_id = "  aBcD1234\n".into();
    assert_eq!(form.to_document()["widgetId"], "aBcD1234");
    assert!(validate(&form.to_document(), None).is_empty());
}

#[test]
fn a_site_rule_is_added_in_canonical_form_or_refused_with_the_reason() {
    let mut form = Form::from_document(&defaults());
    let rule = add_site(&form, " HTTPS://Example.COM/a ", None).unwrap();
    assert_eq!(rule, "https://example.com/a");
    form.sites.push(rule);

    let err = add_site(&form, "example.com/*", None).unwrap_err();
    assert_eq!(err.len(), 1);
    assert_eq!(err[0].path, "sites[1]");
    assert!(err[0].message.contains("scheme"), "{}", err[0].message);

    let err = add_site(&form, "https://example.com/a", None).unwrap_err();
    assert!(
        err[0].message.starts_with("repeats sites[0]"),
        "{}",
        err[0].message
    );

    // Problems elsewhere in the form do not stop a good rule.
    form.spa_settle_ms = "x".into();
    assert!(add_site(&form, "*://localhost/*", None).is_ok());
}

#[test]
fn an_invalid_stored_document_leaves_the_settings_in_force_in_the_form() {
    let in_force = json!({ "sites": ["https://a.example/*"] });
    let loaded = load(&json!({ "widgetID": "x" }), &in_force, None);
    assert_eq!(loaded.stored_problems.len(), 1);
    assert_eq!(loaded.stored_problems[0].path, "");
    assert_eq!(loaded.form.sites, ["https://a.example/*"]);
    assert_eq!(
        loaded.effective.settings().sites().patterns(),
        ["https://a.example/*"]
    );

    let loaded = load(
        &json!({ "sites": ["https://b.example/*"] }),
        &in_force,
        None,
    );
    assert!(loaded.stored_problems.is_empty());
    assert_eq!(loaded.form.sites, ["https://b.example/*"]);

    let loaded = load(&Value::Null, &Value::Null, None);
    assert!(loaded.stored_problems.is_empty());
    assert_eq!(loaded.form.to_document(), defaults());
}

#[test]
fn managed_values_are_shown_locked_and_the_users_own_are_kept() {
    let managed = json!({
        "widgetId": "Policy01",
        "sites": ["https://*.corp.example/*"],
        "spa": { "settleMs": 1000 }
    });
    let managed = managed_document(managed);
    let user = json!({ "mode": "jivochat", "sites": ["http://localhost/*"] });
    // Valid only because the policy supplies the widget ID.
    assert!(validate(&user, managed.as_ref()).is_empty());
    assert!(!validate(&user, None).is_empty());

    let loaded = load(&user, &Value::Null, managed.as_ref());
    let locked = loaded.effective.locked().clone();
    assert_eq!(
        locked,
        BTreeSet::from(["widgetId", "sites", "spa.settleMs"])
    );
    let shown = displayed(&loaded.form, &loaded.effective);
    assert_eq!(shown.widget_id, "Policy01");
    assert_eq!(shown.sites, ["https://*.corp.example/*"]);
    assert_eq!(shown.spa_settle_ms, "1000");
    assert_eq!(shown.mode, "jivochat");

    // Reading the inputs back changes only what is not locked.
    let mut form = loaded.form.clone();
    let mut read = shown.clone();
    read.spa_hash = "ignore".into();
    merge_edits(&mut form, &read, &locked);
    assert_eq!(form.widget_id, "");
    assert_eq!(form.sites, ["http://localhost/*"]);
    assert_eq!(form.spa_settle_ms, "500");
    assert_eq!(form.spa_hash, "ignore");
    let doc = form.to_document();
    assert!(validate(&doc, managed.as_ref()).is_empty());
    // Not valid on its own, so it is stored as it is.
    assert_eq!(canonical(&doc), doc);

    // The test box checks the administrator's rules when they are locked.
    let rules = rules_for_test(&form, &loaded.effective);
    assert_eq!(rules.patterns(), ["https://*.corp.example/*"]);
    let unlocked = load(
        &json!({ "sites": ["http://localhost/*"] }),
        &Value::Null,
        None,
    );
    assert_eq!(
        rules_for_test(&unlocked.form, &unlocked.effective).patterns(),
        ["http://localhost/*"]
    );
}

#[test]
fn an_empty_managed_document_is_no_policy() {
    assert_eq!(managed_document(json!({})), None);
    assert_eq!(managed_document(Value::Null), None);
    assert!(managed_document(json!({ "mode": "sandbox" })).is_some());
}

#[test]
fn the_test_box_answers_with_a_message_per_outcome() {
    let rules: SiteRules = ["https://a.example/*", "*://b.example/*"]
        .iter()
        .map(|p| SiteRule::parse(p).unwrap())
        .collect();
    let (state, key, subs) = rule_test_message(&rules.test_url("http://b.example/x"));
    assert_eq!((state, key), ("matched", "options_siteTestMatched"));
    assert_eq!(subs, ["2", "*://b.example/*"]);
    let (state, _, _) = rule_test_message(&rules.test_url("https://c.example/"));
    assert_eq!(state, "none");
    let (state, _, subs) = rule_test_message(&rules.test_url("chrome://extensions"));
    assert_eq!(state, "invalid");
    assert!(!subs[0].is_empty());
}

#[test]
fn problems_are_shown_where_their_path_says() {
    assert_eq!(error_id("spa.settleMs"), "field-error-spa-settleMs");
    assert_eq!(error_id("sites[12]"), "field-error-sites-12");
    assert_eq!(error_id(""), "field-error-document");
    assert_eq!(shown_path("spa"), "");
    assert_eq!(shown_path("sites[3]"), "sites[3]");
    assert!(!is_site_index("sites[]"));
    let touched = BTreeSet::from(["widgetId".to_owned()]);
    assert!(problem_visible("widgetId", &touched, false));
    assert!(!problem_visible("loaderUrl", &touched, false));
    assert!(problem_visible("loaderUrl", &touched, true));
    assert!(problem_visible("sites[0]", &touched, false));
    assert!(problem_visible("log", &touched, false));
}

#[test]
fn every_path_has_an_error_box_and_an_input_in_the_page() {
    for path in PATHS {
        let error = format!("id=\"{}\"", error_id(path));
        assert!(HTML.contains(&error), "options.html lacks {error}");
        let input = input_id(path).unwrap();
        assert!(
            HTML.contains(&format!("id=\"{input}\"")),
            "options.html lacks #{input}"
        );
        assert_eq!(path_of_input(input), Some(path));
        assert!(
            HTML.contains(&format!("data-lock-for=\"{path}\"")),
            "options.html has no lock note for {path}"
        );
    }
    assert!(HTML.contains("id=\"field-error-document\""));
    assert!(HTML.contains("id=\"settings-form\""));
}

#[test]
fn the_background_status_is_read() {
    let status = SettingsStatus::from_value(&json!({
        "userErrors": [{ "path": "", "message": "the settings are not valid JSON" }],
        "managedErrors": null,
        "locked": ["mode"],
    }));
    assert_eq!(
        status.user_errors.unwrap()[0].message,
        "the settings are not valid JSON"
    );
    assert_eq!(status.managed_errors, None);
    assert_eq!(status.locked, ["mode"]);
    assert_eq!(
        SettingsStatus::from_value(&Value::Null),
        SettingsStatus::default()
    );
}

#[test]
fn the_background_status_is_written_as_it_is_read() {
    let managed = json!({"spa": {"titleOnly": true, "settleMs": 99999}});
    let effective = EffectiveSettings::resolve(Some(&json!({"mode": 7})), Some(&managed));
    let status = SettingsStatus::of(&effective);
    assert!(status.user_errors.is_some() && status.managed_errors.is_some());
    assert_eq!(status.locked, ["spa.titleOnly"]);
    let stored = serde_json::to_value(&status).unwrap();
    assert_eq!(
        stored.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["locked", "managedErrors", "userErrors"]
    );
    assert_eq!(SettingsStatus::from_value(&stored), status);
}

/// Every `options_…` key used by the page and its Rust code is in both locales, and both
/// locales have the same `options_…` keys with the same `$n` substitutions.
#[test]
fn every_message_key_is_in_both_locales() {
    let en: Value = serde_json::from_str(EN).unwrap();
    let ru: Value = serde_json::from_str(RU).unwrap();
    let keys = |v: &Value| -> BTreeSet<String> {
        v.as_object()
            .unwrap()
            .keys()
            .filter(|k| k.starts_with("options_"))
            .cloned()
            .collect()
    };
    assert_eq!(keys(&en), keys(&ru), "en and ru differ in options_ keys");
    let mut used = BTreeSet::new();
    for text in SOURCES.iter().chain([&HTML]) {
        let mut rest = *text;
        while let Some(at) = rest.find("options_") {
            let tail = &rest[at..];
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(tail.len());
            used.insert(tail[..end].to_owned());
            rest = &tail[end..];
        }
    }
    used.remove("options_");
    for key in &used {
        assert!(
            en.get(key).is_some(),
            "{key} is used but not in en/messages.json"
        );
    }
    let placeholders = |v: &Value, key: &str| -> Vec<char> {
        crate::test_support::placeholders(v[key]["message"].as_str().unwrap())
    };
    for key in keys(&en) {
        assert_eq!(
            placeholders(&en, &key),
            placeholders(&ru, &key),
            "{key}: $n differ"
        );
    }
}

#[test]
fn host_permissions_are_checked_one_scheme_at_a_time() {
    let rules: SiteRules = [
        "*://localhost/*",
        "https://*.a.example/shop/*",
        "http://localhost/x",
    ]
    .iter()
    .map(|p| SiteRule::parse(p).unwrap())
    .collect();
    assert_eq!(
        permission_origins(&rules),
        [
            "http://localhost/*",
            "https://localhost/*",
            "https://*.a.example/*"
        ]
    );
    let all: SiteRules = [SiteRule::parse("<all_urls>").unwrap()]
        .into_iter()
        .collect();
    assert_eq!(permission_origins(&all), ["http://*/*", "https://*/*"]);
}

/// Every locale key a field error can carry (`err_…`, from the site-rule parser and the
/// settings module) and every `welcome_…` key is in both locales with the same `$n`.
#[test]
fn field_error_and_welcome_keys_are_in_both_locales() {
    let en: Value = serde_json::from_str(EN).unwrap();
    let ru: Value = serde_json::from_str(RU).unwrap();
    let sources = [
        include_str!("../site_rule/pattern.rs"),
        include_str!("../settings/document.rs"),
        include_str!("../settings/values.rs"),
        include_str!("../settings/managed.rs"),
        include_str!("../settings/mod.rs"),
        include_str!("../../pages/welcome/mod.rs"),
        include_str!("../../../extension/welcome.html"),
    ];
    let mut used = BTreeSet::new();
    for text in sources {
        for prefix in ["\"err_", "\"welcome_"] {
            let mut rest = text;
            while let Some(at) = rest.find(prefix) {
                let tail = &rest[at + 1..];
                let end = tail.find('"').unwrap_or(tail.len());
                used.insert(tail[..end].to_owned());
                rest = &tail[end..];
            }
        }
    }
    assert!(used.len() > 20, "{used:?}");
    let dollars = |v: &Value, key: &str| -> Vec<char> {
        let mut d: Vec<char> = v[key]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("{key} missing"))
            .split('$')
            .skip(1)
            .filter_map(|s| s.chars().next().filter(char::is_ascii_digit))
            .collect();
        d.sort_unstable();
        d.dedup();
        d
    };
    for key in &used {
        assert_eq!(dollars(&en, key), dollars(&ru, key), "{key}");
    }
    // A keyed rule error carries as many arguments as its message has.
    let e = crate::site_rule::SiteRule::parse("https://shop.example:8080/*").unwrap_err();
    let (key, args) = e.message_key();
    assert_eq!(key, "err_rule_port");
    assert_eq!(dollars(&en, key).len(), args.len());
    // So does every other keyed settings error (item 6 of issue #16): a document with one of
    // each problem.
    let doc = serde_json::json!({
        "mode": "x", "widgetId": "a b", "loaderUrl": "ftp://x/{id}", "sites": "no",
        "spa": {"settleMs": -1, "enabled": 1, "hash": 2, "titleOnly": "y", "bogus": 1},
        "log": {"maxEntries": 1}, "loaderTimeoutMs": true,
        "siteWidget": {"graceMs": "z", "useMineOn": [3], "sandboxStandIn": 0}, "Mode": 1
    });
    let errors = crate::settings::Settings::from_value(&doc)
        .unwrap_err()
        .into_errors();
    assert!(errors.len() >= 13, "{errors:?}");
    for e in errors
        .iter()
        .chain(
            crate::settings::Settings::from_json("{")
                .unwrap_err()
                .errors(),
        )
        .chain(
            crate::settings::Settings::from_value(&serde_json::json!([]))
                .unwrap_err()
                .errors(),
        )
    {
        let key = e.key.as_deref().unwrap_or_else(|| panic!("no key: {e}"));
        assert!(used.contains(key), "{key} not found in the sources");
        assert_eq!(dollars(&en, key).len(), e.args.len(), "{key}: {e:?}");
    }
}
