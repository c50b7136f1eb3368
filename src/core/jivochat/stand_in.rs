//! Sandbox mode standing in for a site's own JivoChat: the `declarativeNetRequest` rules that
//! keep the site's loader from running on the matched sites, so that the page's `jivo_api`,
//! `jivo_init` and `jivo_destroy` stay the sandbox's.
//!
//! The rules block `script` requests to JivoChat's loader hosts ([`JIVO_LOADER_HOSTS`] and the
//! regional `code-<region>.jivosite.com`) made by pages of the sites the site rules match
//! (`initiatorDomains`: each rule's host; a rule for every host leaves it out). There are none
//! outside sandbox mode, with `siteWidget.sandboxStandIn` off, or without site rules.
//!
//! A request's initiator is known to the browser by host only, so a site rule narrowed to a
//! path (`https://shop.example/app/*`) holds the loader back on the host's other pages too,
//! and an exact host also covers its subdomains; see docs/sandbox.md.
//!
//! ```
//! use jwi_core::jivochat::stand_in_rules;
//! use jwi_core::settings::Settings;
//! use serde_json::json;
//! let s = Settings::from_json(&json!({"mode": "sandbox", "sites": ["https://shop.example/*"]}).to_string()).unwrap();
//! let rules = stand_in_rules(&s);
//! assert_eq!(rules[0]["condition"]["initiatorDomains"], json!(["shop.example"]));
//! let off = Settings::from_json(&json!({"mode": "sandbox", "sites": ["https://shop.example/*"],
//!     "siteWidget": {"sandboxStandIn": false}}).to_string()).unwrap();
//! assert!(stand_in_rules(&off).is_empty());
//! ```

use serde_json::{json, Value};

use super::JIVO_LOADER_HOSTS;
use crate::settings::{Mode, Settings};

/// The ids of the rules [`stand_in_rules`] makes: the extension's dynamic rules in this
/// range are its own to replace.
pub const STAND_IN_RULE_IDS: [u32; 2] = [1001, 1002];

/// The dynamic `declarativeNetRequest` rules the settings call for (see the
/// [module documentation](self)).
pub fn stand_in_rules(settings: &Settings) -> Vec<Value> {
    if settings.mode() != Mode::Sandbox
        || !settings.site_widget().sandbox_stand_in
        || settings.sites().is_empty()
    {
        return Vec::new();
    }
    let mut domains: Vec<String> = Vec::new();
    for rule in settings.sites().iter() {
        match rule.initiator_domain() {
            None => {
                domains.clear();
                break;
            }
            Some(d) => {
                if !domains.contains(&d) {
                    domains.push(d);
                }
            }
        }
    }
    let condition = |mut c: Value| {
        c["resourceTypes"] = json!(["script"]);
        if !domains.is_empty() {
            c["initiatorDomains"] = json!(domains);
        }
        c
    };
    vec![
        json!({
            "id": STAND_IN_RULE_IDS[0],
            "priority": 1,
            "action": {"type": "block"},
            "condition": condition(json!({"requestDomains": JIVO_LOADER_HOSTS})),
        }),
        json!({
            "id": STAND_IN_RULE_IDS[1],
            "priority": 1,
            "action": {"type": "block"},
            "condition": condition(json!({
                "regexFilter": "^(https?|wss?)://code-[a-z0-9-]+\\.jivosite\\.com(:[0-9]+)?/",
                "isUrlFilterCaseSensitive": false,
            })),
        }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(v: Value) -> Settings {
        Settings::from_json(&v.to_string()).unwrap()
    }

    #[test]
    fn only_sandbox_mode_standing_in_with_sites_holds_back() {
        for v in [
            json!({"mode": "jivochat", "widgetId": "abcd1234", "sites": ["https://a.example/*"]}),
            json!({"mode": "sandbox", "sites": []}),
            json!({"mode": "sandbox", "sites": ["https://a.example/*"], "siteWidget": {"sandboxStandIn": false}}),
        ] {
            assert!(stand_in_rules(&settings(v.clone())).is_empty(), "{v}");
        }
    }

    #[test]
    fn rules_are_scoped_to_the_matched_sites_hosts() {
        let s = settings(json!({"mode": "sandbox", "sites": [
            "https://a.example/*", "http://*.b.example/shop/*", "https://a.example/other/*", "http://127.0.0.1/x*"
        ]}));
        let rules = stand_in_rules(&s);
        assert_eq!(rules.len(), 2);
        for r in &rules {
            assert_eq!(
                r["condition"]["initiatorDomains"],
                json!(["a.example", "b.example", "127.0.0.1"])
            );
            assert_eq!(r["condition"]["resourceTypes"], json!(["script"]));
            assert_eq!(r["action"]["type"], "block");
        }
        assert_eq!(
            rules[0]["condition"]["requestDomains"],
            json!(JIVO_LOADER_HOSTS)
        );
        assert_eq!(rules[0]["id"], STAND_IN_RULE_IDS[0]);
        assert_eq!(rules[1]["id"], STAND_IN_RULE_IDS[1]);
        // A rule for every site leaves the initiator open.
        let all =
            settings(json!({"mode": "sandbox", "sites": ["https://a.example/*", "<all_urls>"]}));
        assert!(stand_in_rules(&all)[0]["condition"]
            .get("initiatorDomains")
            .is_none());
        let any_host = settings(json!({"mode": "sandbox", "sites": ["*://*/*"]}));
        assert!(stand_in_rules(&any_host)[0]["condition"]
            .get("initiatorDomains")
            .is_none());
    }
}
