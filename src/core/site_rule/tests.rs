use proptest::prelude::*;

use super::pattern::glob_matches;
use super::*;

fn rule(p: &str) -> SiteRule {
    SiteRule::parse(p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

#[test]
fn valid_patterns_and_their_canonical_text() {
    let table = [
        ("<all_urls>", "<all_urls>"),
        ("*://*/*", "*://*/*"),
        ("https://*/*", "https://*/*"),
        ("http://*/", "http://*/"),
        ("https://*.example.com/*", "https://*.example.com/*"),
        ("http://127.0.0.1/*", "http://127.0.0.1/*"),
        ("*://example.com/shop/*", "*://example.com/shop/*"),
        (
            "HTTPS://WWW.Example.COM/Shop/*",
            "https://www.example.com/Shop/*",
        ),
        ("  https://example.com/*  ", "https://example.com/*"),
        ("http://[::1]/*", "http://[::1]/*"),
        ("http://[0:0:0:0:0:0:0:1]/*", "http://[::1]/*"),
        ("http://[2001:DB8::1]/a", "http://[2001:db8::1]/a"),
        ("https://a_b-c.example/*", "https://a_b-c.example/*"),
        ("https://xn--bcher-kva.de/*", "https://xn--bcher-kva.de/*"),
        ("https://example.com/a?b=*", "https://example.com/a?b=*"),
        ("https://example.com/%20*", "https://example.com/%20*"),
        ("https://example.com/**", "https://example.com/**"),
        ("https://localhost/", "https://localhost/"),
        ("*://*.co.uk/*", "*://*.co.uk/*"),
    ];
    for (input, canonical) in table {
        let r = rule(input);
        assert_eq!(r.as_str(), canonical, "{input}");
        assert_eq!(r.to_string(), canonical);
        assert_eq!(rule(r.as_str()), r, "re-parse of {canonical}");
    }
}

#[test]
fn invalid_patterns_say_what_is_wrong() {
    let table = [
        ("", "the pattern is empty: write one like `https://example.com/*`"),
        ("   ", "the pattern is empty: write one like `https://example.com/*`"),
        (
            "example.com/*",
            "a pattern starts with a scheme and `://`: use http, https or *, as in `*://example.com/*`",
        ),
        (
            "example.com",
            "a pattern starts with a scheme and `://`: use http, https or *, as in `*://example.com/*`",
        ),
        (
            "https:/example.com/*",
            "a pattern starts with a scheme and `://`: use http, https or *, as in `*://example.com/*`",
        ),
        ("://example.com/*", "the scheme before `://` is empty: use http, https or *"),
        ("ftp://example.com/*", "scheme `ftp` is not supported: use http, https or *"),
        ("FILE:///tmp/*", "scheme `file` is not supported: use http, https or *"),
        ("ws://example.com/*", "scheme `ws` is not supported: use http, https or *"),
        (
            "chrome-extension://abc/*",
            "scheme `chrome-extension` is not supported: use http, https or *",
        ),
        (
            "https://example.com",
            "a pattern needs a path: add `/*`, as in `https://example.com/*`",
        ),
        (
            "https://",
            "the host is empty: use `*` for any host, or a name such as `example.com`",
        ),
        (
            "https:///*",
            "the host is empty: use `*` for any host, or a name such as `example.com`",
        ),
        (
            "https://*./*",
            "host `*.` is empty: write a domain after `*.`, as in `*.example.com`",
        ),
        (
            "https://*example.com/*",
            "host `*example.com`: `*` can only be the whole host or its first label, as in `*.example.com`",
        ),
        (
            "https://www.*.com/*",
            "host `www.*.com`: `*` can only be the whole host or its first label, as in `*.example.com`",
        ),
        (
            "https://*.*.com/*",
            "host `*.*.com`: `*` can only be the whole host or its first label, as in `*.example.com`",
        ),
        (
            "https://example.com:8080/*",
            "host `example.com:8080` has a port: patterns cannot name one (every port matches); remove `:8080`",
        ),
        (
            "https://example.com:8080",
            "host `example.com:8080` has a port: patterns cannot name one (every port matches); remove `:8080`",
        ),
        (
            "https://*:*/*",
            "host `*:*` has a port: patterns cannot name one (every port matches); remove `:*`",
        ),
        (
            "http://[::1]:80/*",
            "host `[::1]:80` has a port: patterns cannot name one (every port matches); remove `:80`",
        ),
        ("http://[::g]/*", "host `[::g]` is not a valid IPv6 address"),
        ("http://[::1/*", "host `[::1` is not a valid IPv6 address"),
        ("http://[::1]x/*", "host `[::1]x` is not a valid IPv6 address"),
        (
            "https://exa mple.com/*",
            "host `exa mple.com` has ` `, which a host name cannot contain",
        ),
        (
            "https://user@example.com/*",
            "host `user@example.com` has `@`, which a host name cannot contain",
        ),
        (
            "https://b\u{fc}cher.de/*",
            "host `b\u{fc}cher.de` is not ASCII: write its punycode form (`xn--…`)",
        ),
        (
            "https://example..com/*",
            "host `example..com` has an empty part: two dots in a row, or a dot at its start or end",
        ),
        (
            "https://.example.com/*",
            "host `.example.com` has an empty part: two dots in a row, or a dot at its start or end",
        ),
        (
            "https://example.com./*",
            "host `example.com.` has an empty part: two dots in a row, or a dot at its start or end",
        ),
        (
            "https://example.com/a b",
            "the path has a space, which never appears in a URL: write it as `%20`",
        ),
        (
            "https://example.com/caf\u{e9}",
            "the path has `\u{e9}`, which never appears in a URL as is: percent-encode it (%C3%A9)",
        ),
        (
            "https://example.com/a\u{7}",
            "the path has a control character (U+0007), which never appears in a URL",
        ),
        (
            "https://example.com/a\\b",
            "the path has `\\`, which browsers turn into `/`: write `/` instead",
        ),
        (
            "https://example.com/#top",
            "the path has `#`: the fragment is never matched, so remove `#` and what follows",
        ),
        (
            "https://example.com/<x>",
            "the path has `<`, which never appears in a URL as is: percent-encode it (%3C)",
        ),
    ];
    for (input, message) in table {
        match SiteRule::parse(input) {
            Ok(r) => panic!("{input:?} parsed as {r}"),
            Err(e) => assert_eq!(e.to_string(), message, "{input:?}"),
        }
    }
}

#[test]
fn too_long_pattern() {
    let p = format!("https://example.com/{}", "a".repeat(SiteRule::MAX_LEN));
    assert!(matches!(
        SiteRule::parse(&p),
        Err(SiteRuleError::TooLong { .. })
    ));
    let just_fits = format!(
        "https://example.com/{}",
        "a".repeat(SiteRule::MAX_LEN - "https://example.com/".len())
    );
    assert!(SiteRule::parse(&just_fits).is_ok());
}

#[test]
fn matching_table() {
    // (pattern, url, matches)
    let table = [
        ("<all_urls>", "https://example.com/", true),
        ("<all_urls>", "http://[::1]:8080/x", true),
        ("<all_urls>", "file:///tmp/a.html", false),
        ("<all_urls>", "chrome://extensions/", false),
        ("*://*/*", "http://example.com/", true),
        ("*://*/*", "https://a.b.c/d?e#f", true),
        ("*://*/*", "ftp://example.com/", false),
        ("http://*/*", "https://example.com/", false),
        ("https://*/*", "https://example.com/", true),
        ("https://*.example.com/*", "https://example.com/", true),
        ("https://*.example.com/*", "https://www.example.com/x", true),
        ("https://*.example.com/*", "https://a.b.example.com/x", true),
        ("https://*.example.com/*", "https://WWW.EXAMPLE.COM/x", true),
        ("https://*.example.com/*", "https://badexample.com/", false),
        (
            "https://*.example.com/*",
            "https://example.com.evil.io/",
            false,
        ),
        ("https://*.example.com/*", "https://example.org/", false),
        (
            "https://*.example.com/*",
            "https://www.example.com./x",
            true,
        ),
        ("https://example.com/*", "https://example.com./x", true),
        ("https://example.com/*", "https://www.example.com/", false),
        ("https://example.com/*", "https://example.com:8443/", true),
        (
            "https://example.com/*",
            "https://user:pw@example.com/",
            true,
        ),
        ("http://127.0.0.1/*", "http://127.0.0.1:5173/app", true),
        ("http://127.0.0.1/*", "http://127.0.0.2/", false),
        ("https://*.0.0.1/*", "https://127.0.0.1/", false),
        ("http://[::1]/*", "http://[::1]:3000/", true),
        ("http://[::1]/*", "http://[0::1]/", true),
        ("http://[::1]/*", "http://[::2]/", false),
        ("*://localhost/*", "http://localhost:3000/", true),
        ("*://example.com/shop/*", "https://example.com/shop/", true),
        (
            "*://example.com/shop/*",
            "https://example.com/shop/cart?id=1",
            true,
        ),
        ("*://example.com/shop/*", "https://example.com/shop", false),
        ("*://example.com/shop/*", "https://example.com/Shop/", false),
        (
            "*://example.com/shop/*",
            "https://example.com/shopping",
            false,
        ),
        (
            "*://example.com/shop*",
            "https://example.com/shopping",
            true,
        ),
        ("*://example.com/", "https://example.com", true),
        ("*://example.com/", "https://example.com/", true),
        ("*://example.com/", "https://example.com/?x", false),
        ("*://example.com/", "https://example.com/#x", true),
        ("*://example.com/a", "https://example.com/a", true),
        ("*://example.com/a", "https://example.com/a/", false),
        ("*://example.com/a", "https://example.com/a?", false),
        ("*://example.com/*?x=1", "https://example.com/p?x=1", true),
        ("*://example.com/*?x=1", "https://example.com/p?x=12", false),
        (
            "*://example.com/*x=1*",
            "https://example.com/p?a=2&x=1&b",
            true,
        ),
        ("*://example.com/a/*/c", "https://example.com/a/b/c", true),
        ("*://example.com/a/*/c", "https://example.com/a/b/d/c", true),
        ("*://example.com/a/*/c", "https://example.com/a/c", false),
        ("*://example.com/%20*", "https://example.com/ x", true),
        ("*://example.com/a/c", "https://example.com/a/b/../c", true),
        ("*://example.com/?", "https://example.com/?", true),
        ("*://example.com/*", "not a url", false),
        ("*://example.com/*", "", false),
    ];
    for (pattern, url, want) in table {
        let r = rule(pattern);
        assert_eq!(r.matches(url), want, "{pattern} vs {url}");
    }
}

#[test]
fn origin_patterns() {
    let table = [
        ("<all_urls>", "*://*/*"),
        ("*://*/*", "*://*/*"),
        ("https://*.example.com/shop/*", "https://*.example.com/*"),
        ("http://127.0.0.1/app", "http://127.0.0.1/*"),
        ("*://example.com/", "*://example.com/*"),
        ("http://[::1]/x/y", "http://[::1]/*"),
    ];
    for (pattern, origin) in table {
        let r = rule(pattern);
        assert_eq!(r.origin_pattern(), origin, "{pattern}");
        // The origin pattern is itself a valid rule that covers everything the rule matches.
        assert_eq!(rule(origin).as_str(), origin);
    }
}

#[test]
fn rules_list_first_match_and_test_url() {
    let rules = SiteRules::parse_all([
        "https://example.com/shop/*",
        "*://*.example.com/*",
        "http://localhost/*",
    ])
    .unwrap();
    assert_eq!(rules.len(), 3);
    assert!(!rules.is_empty());
    assert_eq!(
        rules
            .matches("https://example.com/shop/x")
            .map(SiteRule::as_str),
        Some("https://example.com/shop/*")
    );
    assert_eq!(
        rules
            .matches("https://example.com/blog")
            .map(SiteRule::as_str),
        Some("*://*.example.com/*")
    );
    assert_eq!(rules.matches("https://other.org/"), None);
    assert_eq!(rules.matches("chrome://newtab"), None);

    let cases = [
        (
            "https://example.com/shop/x",
            RuleTest::Matched {
                index: 0,
                pattern: "https://example.com/shop/*".into(),
            },
            "rule 1 (`https://example.com/shop/*`) matches: the extension runs on this page",
        ),
        (
            "http://localhost:8080/",
            RuleTest::Matched {
                index: 2,
                pattern: "http://localhost/*".into(),
            },
            "rule 3 (`http://localhost/*`) matches: the extension runs on this page",
        ),
        (
            "https://other.org/",
            RuleTest::NoMatch,
            "no rule matches: the extension does nothing on this page",
        ),
        (
            "chrome://extensions",
            RuleTest::NotWebPage(UrlError::NotWebPage {
                scheme: "chrome".into(),
            }),
            "not a web page URL: `chrome:` pages are not web pages: the extension only runs on http and https pages",
        ),
        (
            "example.com",
            RuleTest::NotWebPage(UrlError::NoScheme),
            "not a web page URL: the URL has no scheme: start it with `https://` or `http://`",
        ),
    ];
    for (url, want, text) in cases {
        let got = rules.test_url(url);
        assert_eq!(got, want, "{url}");
        assert_eq!(got.to_string(), text);
        assert_eq!(got.is_match(), matches!(want, RuleTest::Matched { .. }));
    }
}

#[test]
fn empty_list_matches_nothing() {
    let rules = SiteRules::default();
    assert!(rules.is_empty());
    assert_eq!(rules.matches("https://example.com/"), None);
    assert_eq!(rules.test_url("https://example.com/"), RuleTest::NoMatch);
    assert!(rules.patterns().is_empty());
    assert!(rules.origin_patterns().is_empty());
}

#[test]
fn parse_all_reports_every_bad_pattern() {
    let errors =
        SiteRules::parse_all(["https://ok.com/*", "ftp://x/*", "https://a.com"]).unwrap_err();
    assert_eq!(
        errors.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        vec![1, 2]
    );
}

#[test]
fn patterns_and_deduplicated_origins() {
    let rules: SiteRules = [
        "https://example.com/a/*",
        "https://example.com/b/*",
        "*://*.example.org/*",
    ]
    .into_iter()
    .map(rule)
    .collect();
    assert_eq!(
        rules.patterns(),
        vec![
            "https://example.com/a/*",
            "https://example.com/b/*",
            "*://*.example.org/*"
        ]
    );
    assert_eq!(
        rules.origin_patterns(),
        vec!["https://example.com/*", "*://*.example.org/*"]
    );
    assert_eq!((&rules).into_iter().count(), 3);
    assert_eq!(rules.iter().count(), 3);
    assert_eq!(rules.as_slice().len(), 3);
    assert_eq!(SiteRules::from(rules.as_slice().to_vec()), rules);
}

#[test]
fn serde_as_strings() {
    let rules: SiteRules =
        serde_json::from_str(r#"["HTTPS://Example.com/*", "<all_urls>"]"#).unwrap();
    assert_eq!(
        serde_json::to_string(&rules).unwrap(),
        r#"["https://example.com/*","<all_urls>"]"#
    );
    let err = serde_json::from_str::<SiteRule>(r#""ftp://x/*""#).unwrap_err();
    assert!(err
        .to_string()
        .contains("scheme `ftp` is not supported: use http, https or *"));
    assert_eq!(
        "https://a.b/*".parse::<SiteRule>().unwrap(),
        rule("https://a.b/*")
    );
}

#[test]
fn all_urls_flag() {
    assert!(rule("<all_urls>").is_all_urls());
    assert!(!rule("*://*/*").is_all_urls());
}

#[test]
fn all_urls_registers_as_web_pages_only() {
    assert_eq!(rule("<all_urls>").registration_pattern(), "*://*/*");
    assert_eq!(rule("<all_urls>").as_str(), "<all_urls>");
    assert_eq!(
        rule("https://a.com/x").registration_pattern(),
        "https://a.com/x"
    );
    let rules: SiteRules = ["<all_urls>", "*://*/*", "https://a.com/*"]
        .into_iter()
        .map(rule)
        .collect();
    assert_eq!(rules.patterns(), vec!["*://*/*", "https://a.com/*"]);
}

#[test]
fn glob_examples() {
    let table = [
        ("", "", true),
        ("", "a", false),
        ("*", "", true),
        ("*", "anything", true),
        ("a*", "a", true),
        ("a*", "ba", false),
        ("*a", "ba", true),
        ("*a", "ab", false),
        ("a*b*c", "abc", true),
        ("a*b*c", "aXbYc", true),
        ("a*b*c", "aXbYcZ", false),
        ("a*a", "a", false),
        ("a*a", "aa", true),
        ("ab*ba", "aba", false),
        ("**", "x", true),
        ("/*/x", "/a/b/x", true),
    ];
    for (p, t, want) in table {
        assert_eq!(glob_matches(p, t), want, "{p:?} vs {t:?}");
    }
}

/// The obvious quadratic glob matcher, to check the linear one against.
fn glob_reference(pattern: &[u8], text: &[u8]) -> bool {
    let (m, n) = (pattern.len(), text.len());
    // dp[i][j]: pattern[..i] matches text[..j]
    let mut dp = vec![vec![false; n + 1]; m + 1];
    dp[0][0] = true;
    for i in 1..=m {
        for j in 0..=n {
            dp[i][j] = if pattern[i - 1] == b'*' {
                dp[i - 1][j] || (j > 0 && dp[i][j - 1])
            } else {
                j > 0 && dp[i - 1][j - 1] && pattern[i - 1] == text[j - 1]
            };
        }
    }
    dp[m][n]
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Strings that look like patterns, so that parsing gets past the first checks often.
fn pattern_like() -> impl Strategy<Value = String> {
    let scheme = prop_oneof![
        Just("*".to_owned()),
        Just("http".to_owned()),
        Just("HTTPS".to_owned()),
        "[a-z]{0,5}",
    ];
    let host = prop_oneof![
        Just("*".to_owned()),
        "\\*\\.[a-zA-Z0-9.-]{0,12}",
        "[a-zA-Z0-9._*:\\[\\]-]{0,16}",
        "\\[[0-9a-fA-F:.]{0,20}\\]",
        "\\PC{0,6}",
    ];
    let path = prop_oneof!["/[ -~]{0,20}", "/\\PC{0,10}", "[^/]{0,4}"];
    let sep = prop_oneof![Just("://"), Just(":/"), Just("")];
    (scheme, sep, host, path).prop_map(|(s, sep, h, p)| format!("{s}{sep}{h}{p}"))
}

/// Patterns that are always valid.
fn valid_pattern() -> impl Strategy<Value = String> {
    let scheme = prop_oneof![Just("*"), Just("http"), Just("https"), Just("HTTP")];
    let label = "[a-zA-Z0-9_-]{1,8}";
    let host = prop_oneof![
        Just("*".to_owned()),
        prop::collection::vec(label, 1..4).prop_map(|l| l.join(".")),
        prop::collection::vec(label, 1..4).prop_map(|l| format!("*.{}", l.join("."))),
        any::<[u16; 8]>().prop_map(|g| format!("[{}]", std::net::Ipv6Addr::from(g))),
    ];
    let path = "/[!$-;=?-\\[\\]^_a-z|~*]{0,20}";
    (scheme, host, path).prop_map(|(s, h, p)| format!("{s}://{h}{p}"))
}

/// Strings that look like URLs.
fn url_like() -> impl Strategy<Value = String> {
    let scheme = prop_oneof![
        Just("http"),
        Just("https"),
        Just("HTTPS"),
        Just("ftp"),
        Just("")
    ];
    let sep = prop_oneof![Just("://"), Just(":"), Just(":\\\\"), Just("")];
    let authority = prop_oneof![
        "[a-zA-Z0-9.@:_-]{0,20}",
        "\\[[0-9a-fA-F:.]{0,20}\\](:[0-9]{0,6})?",
        "\\PC{0,8}",
    ];
    let rest = "[ -~]{0,30}|\\PC{0,10}";
    (scheme, sep, authority, rest).prop_map(|(s, sep, a, r)| format!("{s}{sep}{a}{r}"))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parse_never_panics(s in "\\PC*") {
        let _ = SiteRule::parse(&s);
    }

    #[test]
    fn parse_never_panics_on_pattern_like_text(s in pattern_like()) {
        if let Ok(r) = SiteRule::parse(&s) {
            prop_assert_eq!(SiteRule::parse(r.as_str()), Ok(r.clone()));
            let origin = SiteRule::parse(&r.origin_pattern());
            prop_assert!(origin.is_ok(), "origin of {} is {:?}", r, origin);
        }
    }

    #[test]
    fn parse_never_panics_on_any_chars(s in any::<String>()) {
        if let Ok(r) = SiteRule::parse(&s) {
            prop_assert_eq!(SiteRule::parse(r.as_str()), Ok(r.clone()));
        }
    }

    #[test]
    fn valid_patterns_round_trip(p in valid_pattern()) {
        let r = SiteRule::parse(&p);
        prop_assert!(r.is_ok(), "{} gave {:?}", p, r);
        let r = r.unwrap();
        prop_assert_eq!(SiteRule::parse(r.as_str()), Ok(r.clone()));
        prop_assert_eq!(SiteRule::parse(&r.to_string()), Ok(r.clone()));
        let json = serde_json::to_string(&r).unwrap();
        prop_assert_eq!(serde_json::from_str::<SiteRule>(&json).unwrap(), r);
    }

    #[test]
    fn matches_never_panics(p in valid_pattern(), url in url_like()) {
        let r = SiteRule::parse(&p).unwrap();
        let _ = r.matches(&url);
        let _ = SiteRules::new(vec![r]).test_url(&url);
    }

    #[test]
    fn matches_never_panics_on_any_string(url in any::<String>()) {
        let r = SiteRule::parse("*://*/*").unwrap();
        let _ = r.matches(&url);
        let _ = WebUrl::parse(&url);
    }

    #[test]
    fn a_rule_matches_urls_on_its_own_host(
        host in prop::collection::vec("[a-z][a-z0-9-]{0,7}", 1..4).prop_map(|l| l.join(".")),
        sub in "[a-z][a-z0-9-]{0,7}",
        path in "/[a-zA-Z0-9/._~-]{0,20}",
        port in prop::option::of(any::<u16>()),
        https in any::<bool>(),
    ) {
        let scheme = if https { "https" } else { "http" };
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        let url = format!("{scheme}://{sub}.{host}{port}{path}");
        let parsed = WebUrl::parse(&url).unwrap();
        let everything = SiteRule::parse("<all_urls>").unwrap();
        let any_host = SiteRule::parse("*://*/*").unwrap();
        let domain = SiteRule::parse(&format!("{scheme}://*.{host}/*")).unwrap();
        let exact = SiteRule::parse(&format!("*://{sub}.{host}{}", parsed.path())).unwrap();
        let wrong_scheme = SiteRule::parse(&format!("{}://*/*", if https { "http" } else { "https" })).unwrap();
        prop_assert!(everything.matches(&url));
        prop_assert!(any_host.matches(&url));
        prop_assert!(domain.matches(&url));
        prop_assert!(exact.matches(&url));
        prop_assert!(!wrong_scheme.matches(&url));
        prop_assert!(SiteRule::parse(&domain.origin_pattern()).unwrap().matches(&url));
    }

    #[test]
    fn glob_agrees_with_reference(p in "[ab*]{0,8}", t in "[ab]{0,10}") {
        prop_assert_eq!(glob_matches(&p, &t), glob_reference(p.as_bytes(), t.as_bytes()));
    }

    #[test]
    fn url_display_reparses_to_itself(url in url_like()) {
        if let Ok(u) = WebUrl::parse(&url) {
            prop_assert_eq!(WebUrl::parse(&u.to_string()), Ok(u.clone()));
        }
    }
}
