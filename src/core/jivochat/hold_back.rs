//! "Use my widget here": the site rule a page's "use my widget here" adds, and the
//! `declarativeNetRequest` session rules that keep a site's own JivoChat loader from running
//! on the pages `siteWidget.useMineOn` names.
//!
//! # Why network rules
//!
//! A content script cannot reliably stop a `<script>` it sees: a parser-inserted loader in
//! `<head>` may be fetched and run before the extension's settings reach the page, and a
//! script element that was inserted has started its request (removing it does not cancel it,
//! in either browser). A session rule is in place before the page starts and blocks the
//! request itself, the same way in Chromium and Firefox. So the background keeps one block
//! rule per `useMineOn` pattern, scoped to the pages of that pattern's host
//! (`initiatorDomains`; paths and ports cannot be told apart there, so a pattern with a path
//! holds back the site's loader on the whole host), for script requests to JivoChat's loader
//! paths ([`LOADER_REGEX`]), with a higher-priority allow rule for the configured loader URL
//! itself so that ours still loads. A self-hosted site loader (one matching the `loaderUrl`
//! template on another URL) is not blocked by these rules; the content script still reports
//! it as held back, and the docs say so.
//!
//! ```
//! use jwi_core::jivochat::use_mine_rule;
//! assert_eq!(use_mine_rule("https://Shop.example:8443/cart?x=1").as_deref(), Some("*://shop.example/*"));
//! assert_eq!(use_mine_rule("chrome://extensions"), None);
//! ```

use serde::{Deserialize, Serialize};

use crate::site_rule::{SiteRule, SiteRules, WebUrl};

/// The RE2 regular expression of JivoChat's loader paths (what [`site_loader`](super::site_loader)
/// recognises on JivoChat's hosts: `/widget/<id>`, `/script/widget/<id>`,
/// `/script/geo-widget/<id>`, `/widget.js`), used with [`LOADER_DOMAINS`]. Kept small: Chromium
/// refuses a rule whose compiled regex needs more than 2 KB, which one naming the hosts too did.
pub const LOADER_REGEX: &str = r"^[a-z]+://[^/]+/(script/(geo-)?)?widget(/[^/?#]+|\.js)([?#]|$)";

/// The request domains of JivoChat's loaders (`requestDomains` includes subdomains, so
/// `jivosite.com` covers `code.jivosite.com` and the regional `code-<region>.jivosite.com`).
pub const LOADER_DOMAINS: [&str; 3] = ["jivosite.com", "code.jivo.ru", "code.jivochat.com"];

/// The first id of the hold-back session rules; they are numbered from here on, and the
/// background replaces every rule from this id up when the settings change.
pub const FIRST_RULE_ID: u32 = 1000;

/// The `siteWidget.useMineOn` rule "use my widget here" adds for the page at `url`:
/// `*://host/*` (any scheme, the whole host, any port). `None` for a URL that is not an http(s)
/// page.
pub fn use_mine_rule(url: &str) -> Option<String> {
    let url = WebUrl::parse(url).ok()?;
    let rule = SiteRule::parse(&format!("*://{}/*", url.host())).ok()?;
    Some(rule.as_str().to_owned())
}

/// `rules` with `rule` appended unless an equal rule is already there; `None` if `rule` is
/// not a valid site rule.
pub fn with_use_mine_rule(rules: &SiteRules, rule: &str) -> Option<SiteRules> {
    let rule = SiteRule::parse(rule).ok()?;
    let mut list: Vec<SiteRule> = rules.iter().cloned().collect();
    if !list.contains(&rule) {
        list.push(rule);
    }
    Some(SiteRules::new(list))
}

/// One `declarativeNetRequest` rule, in the shape the API takes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetRule {
    /// Unique among the extension's session rules.
    pub id: u32,
    /// Higher wins; the allow rule outranks the block rules.
    pub priority: u32,
    /// What to do.
    pub action: NetAction,
    /// Which requests.
    pub condition: NetCondition,
}

/// `{"type": "block"}` or `{"type": "allow"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetAction {
    /// `block` or `allow`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// A rule's condition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetCondition {
    /// The request URL, as a regular expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex_filter: Option<String>,
    /// The request URL, as a `|…|` exact filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_filter: Option<String>,
    /// The request's host (subdomains included); absent for any host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_domains: Option<Vec<String>>,
    /// The pages (by host, subdomains included) whose requests count; absent for every page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiator_domains: Option<Vec<String>>,
    /// Only these request types (`script`).
    pub resource_types: Vec<String>,
}

/// The session rules for `use_mine_on`, letting `own_url` (the configured loader) through.
/// Empty when `use_mine_on` is empty.
///
/// ```
/// use jwi_core::jivochat::hold_back_rules;
/// use jwi_core::site_rule::SiteRules;
/// let rules = SiteRules::parse_all(["*://shop.example/*"]).unwrap();
/// let net = hold_back_rules(&rules, Some("https://code.jivosite.com/widget/Mine1"));
/// assert_eq!(net.len(), 2);
/// assert_eq!(net[1].condition.initiator_domains, Some(vec!["shop.example".to_owned()]));
/// ```
pub fn hold_back_rules(use_mine_on: &SiteRules, own_url: Option<&str>) -> Vec<NetRule> {
    if use_mine_on.is_empty() {
        return Vec::new();
    }
    let script = || vec!["script".to_owned()];
    let mut out = Vec::new();
    let mut id = FIRST_RULE_ID;
    if let Some(own) = own_url.filter(|u| !u.is_empty()) {
        out.push(NetRule {
            id,
            priority: 2,
            action: NetAction {
                kind: "allow".into(),
            },
            condition: NetCondition {
                regex_filter: None,
                url_filter: Some(format!("|{own}|")),
                request_domains: None,
                initiator_domains: None,
                resource_types: script(),
            },
        });
        id += 1;
    }
    let mut domains: Vec<Option<String>> = Vec::new();
    for rule in use_mine_on {
        let domain = initiator_domain(rule);
        if domains.contains(&domain) {
            continue;
        }
        domains.push(domain.clone());
        out.push(NetRule {
            id,
            priority: 1,
            action: NetAction {
                kind: "block".into(),
            },
            condition: NetCondition {
                regex_filter: Some(LOADER_REGEX.to_owned()),
                url_filter: None,
                request_domains: Some(LOADER_DOMAINS.iter().map(|d| (*d).to_owned()).collect()),
                initiator_domains: domain.map(|d| vec![d]),
                resource_types: script(),
            },
        });
        id += 1;
    }
    out
}

/// The `initiatorDomains` entry of a site rule: its host without `*.` (DNR domains include
/// their subdomains); `None` for `<all_urls>` and a `*` host (every page).
fn initiator_domain(rule: &SiteRule) -> Option<String> {
    if rule.is_all_urls() {
        return None;
    }
    let (_, rest) = rule.as_str().split_once("://")?;
    let host = rest.split('/').next().unwrap_or_default();
    let host = host.strip_prefix("*.").unwrap_or(host);
    (host != "*" && !host.is_empty()).then(|| host.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_is_the_whole_host() {
        for (url, rule) in [
            (
                "https://www.shop.example/cart",
                Some("*://www.shop.example/*"),
            ),
            ("http://127.0.0.1:8080/x.html", Some("*://127.0.0.1/*")),
            ("file:///tmp/x.html", None),
            ("about:blank", None),
        ] {
            assert_eq!(use_mine_rule(url).as_deref(), rule, "{url}");
        }
        let rules = SiteRules::parse_all(["*://a.example/*"]).unwrap();
        let more = with_use_mine_rule(&rules, "*://b.example/*").unwrap();
        assert_eq!(more.patterns(), ["*://a.example/*", "*://b.example/*"]);
        let same = with_use_mine_rule(&more, "*://a.example/*").unwrap();
        assert_eq!(same, more);
        assert!(with_use_mine_rule(&rules, "nonsense").is_none());
    }

    #[test]
    fn net_rules_block_the_loader_paths_on_those_sites_only() {
        let rules = SiteRules::parse_all([
            "*://a.example/*",
            "https://*.b.example/shop/*",
            "https://a.example/x/*",
            "<all_urls>",
        ])
        .unwrap();
        let net = hold_back_rules(&rules, Some("https://code.jivosite.com/widget/Mine1"));
        let domains: Vec<_> = net
            .iter()
            .map(|r| r.condition.initiator_domains.clone())
            .collect();
        assert_eq!(
            domains,
            vec![
                None,
                Some(vec!["a.example".to_owned()]),
                Some(vec!["b.example".to_owned()]),
                None
            ]
        );
        assert_eq!(net[0].action.kind, "allow");
        assert_eq!(
            net[0].condition.url_filter.as_deref(),
            Some("|https://code.jivosite.com/widget/Mine1|")
        );
        assert!(hold_back_rules(&SiteRules::default(), Some("x")).is_empty());
        let json = serde_json::to_value(&net[1]).unwrap();
        assert_eq!(
            json["condition"]["resourceTypes"],
            serde_json::json!(["script"])
        );
        assert_eq!(json["action"]["type"], "block");
    }

    /// The regex and domains, checked against what `site_loader` recognises on JivoChat's
    /// hosts (a tiny matcher is not worth a regex dependency: check the parts instead).
    #[test]
    fn the_filter_names_the_loader_paths_and_hosts() {
        assert!(LOADER_REGEX.contains("(script/(geo-)?)?widget(/[^/?#]+|\\.js)"));
        for host in super::super::JIVO_LOADER_HOSTS {
            assert!(
                LOADER_DOMAINS
                    .iter()
                    .any(|d| host == *d || host.ends_with(&format!(".{d}"))),
                "{host}"
            );
        }
        assert!("code-eu1.jivosite.com".ends_with(".jivosite.com"));
    }
}
