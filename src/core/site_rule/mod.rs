//! Site rules: the pages the extension runs on, written as WebExtension match patterns
//! (`https://*.example.com/*`, `*://example.com/shop/*`, `<all_urls>`).
//!
//! A [`SiteRule`] is parsed once, with an error a person can act on, and is valid from then on:
//! its [`as_str`](SiteRule::as_str) is what `scripting.registerContentScripts` gets, and its
//! [`matches`](SiteRule::matches) answers the same way the browser will. [`SiteRules`] is the
//! configured list, with the options page's "test a URL" answer ([`SiteRules::test_url`]).
//!
//! ```
//! use jwi_core::site_rule::{RuleTest, SiteRule, SiteRules};
//!
//! let rule = SiteRule::parse("https://*.Example.com/shop/*")?;
//! assert_eq!(rule.as_str(), "https://*.example.com/shop/*");
//! assert!(rule.matches("https://www.example.com:8443/shop/cart?id=7"));
//! assert!(!rule.matches("http://www.example.com/shop/"));
//! assert_eq!(rule.origin_pattern(), "https://*.example.com/*");
//!
//! let err = SiteRule::parse("ftp://example.com/*").unwrap_err();
//! assert_eq!(err.to_string(), "scheme `ftp` is not supported: use http, https or *");
//!
//! let rules = SiteRules::new(vec![rule, SiteRule::parse("*://localhost/*")?]);
//! assert_eq!(rules.matches("http://localhost:3000/").map(|r| r.as_str()), Some("*://localhost/*"));
//! assert!(matches!(rules.test_url("chrome://extensions"), RuleTest::NotWebPage(_)));
//! # Ok::<(), jwi_core::site_rule::SiteRuleError>(())
//! ```

mod pattern;
mod url;

#[cfg(test)]
mod tests;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use pattern::{SiteRule, SiteRuleError};
pub use url::{origin_of, same_origin, UrlError, WebScheme, WebUrl};

/// An ordered list of site rules: the `sites` setting. The first rule that matches a URL is
/// the one reported.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SiteRules {
    rules: Vec<SiteRule>,
}

impl SiteRules {
    /// A list of rules, in the order given.
    pub fn new(rules: Vec<SiteRule>) -> SiteRules {
        SiteRules { rules }
    }

    /// Parses every pattern; on failure, every bad pattern's index (from 0) and error.
    pub fn parse_all<I, S>(patterns: I) -> Result<SiteRules, Vec<(usize, SiteRuleError)>>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut rules = Vec::new();
        let mut errors = Vec::new();
        for (i, p) in patterns.into_iter().enumerate() {
            match SiteRule::parse(p.as_ref()) {
                Ok(rule) => rules.push(rule),
                Err(e) => errors.push((i, e)),
            }
        }
        if errors.is_empty() {
            Ok(SiteRules { rules })
        } else {
            Err(errors)
        }
    }

    /// The rules, in order.
    pub fn as_slice(&self) -> &[SiteRule] {
        &self.rules
    }

    /// The rules, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, SiteRule> {
        self.rules.iter()
    }

    /// How many rules there are.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are no rules (the extension then runs nowhere).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The first rule matching `url`, if any. A string that is not an http(s) URL matches
    /// nothing.
    pub fn matches(&self, url: &str) -> Option<&SiteRule> {
        let url = WebUrl::parse(url).ok()?;
        self.matches_url(&url)
    }

    /// The first rule matching an already parsed URL, if any.
    pub fn matches_url(&self, url: &WebUrl) -> Option<&SiteRule> {
        self.rules.iter().find(|r| r.matches_url(url))
    }

    /// The options page's "test a URL against the rules" answer: which rule matched, that none
    /// did, or why the URL is not a web page the extension could run on.
    pub fn test_url(&self, url: &str) -> RuleTest {
        let url = match WebUrl::parse(url) {
            Ok(url) => url,
            Err(e) => return RuleTest::NotWebPage(e),
        };
        match self.rules.iter().position(|r| r.matches_url(&url)) {
            Some(index) => RuleTest::Matched {
                index,
                pattern: self
                    .rules
                    .get(index)
                    .map(|r| r.as_str().to_owned())
                    .unwrap_or_default(),
            },
            None => RuleTest::NoMatch,
        }
    }

    /// The patterns to register the content script with (`scripting.registerContentScripts`
    /// `matches`): each rule's [`SiteRule::registration_pattern`], without repeats, in order.
    pub fn patterns(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::with_capacity(self.rules.len());
        for rule in &self.rules {
            let pattern = rule.registration_pattern();
            if !out.contains(&pattern) {
                out.push(pattern);
            }
        }
        out
    }

    /// The host permissions the rules need (each rule's [`SiteRule::origin_pattern`]), without
    /// repeats, in first-seen order: what Firefox must be asked for before registering.
    pub fn origin_patterns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for rule in &self.rules {
            let origin = rule.origin_pattern();
            if !out.contains(&origin) {
                out.push(origin);
            }
        }
        out
    }
}

impl From<Vec<SiteRule>> for SiteRules {
    fn from(rules: Vec<SiteRule>) -> Self {
        SiteRules::new(rules)
    }
}

impl FromIterator<SiteRule> for SiteRules {
    fn from_iter<T: IntoIterator<Item = SiteRule>>(iter: T) -> Self {
        SiteRules::new(iter.into_iter().collect())
    }
}

impl<'a> IntoIterator for &'a SiteRules {
    type Item = &'a SiteRule;
    type IntoIter = std::slice::Iter<'a, SiteRule>;

    fn into_iter(self) -> Self::IntoIter {
        self.rules.iter()
    }
}

/// The answer to "does the extension run on this URL?" ([`SiteRules::test_url`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleTest {
    /// A rule matched; the first one that did.
    Matched {
        /// Its position in the list, from 0.
        index: usize,
        /// Its pattern.
        pattern: String,
    },
    /// The URL is a web page, but no rule matches it: the extension does nothing there.
    NoMatch,
    /// The text is not an http or https URL; the reason says why.
    NotWebPage(UrlError),
}

impl RuleTest {
    /// Whether a rule matched.
    pub fn is_match(&self) -> bool {
        matches!(self, RuleTest::Matched { .. })
    }
}

/// A sentence for the options page, counting rules from 1 as people do.
impl fmt::Display for RuleTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleTest::Matched { index, pattern } => write!(
                f,
                "rule {} (`{pattern}`) matches: the extension runs on this page",
                index + 1
            ),
            RuleTest::NoMatch => {
                f.write_str("no rule matches: the extension does nothing on this page")
            }
            RuleTest::NotWebPage(e) => write!(f, "not a web page URL: {e}"),
        }
    }
}
