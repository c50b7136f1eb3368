//! What the popup offers for the page in its tab: whether the extension can run there at all
//! ([`injectable`]), the site rule it would add ([`suggested_rule`]), and, from the tab's
//! record, the one notice and the buttons to show ([`offer`]).
//!
//! ```
//! use jwi_core::view::popup_page::{injectable, suggested_rule, NotInjectable};
//!
//! assert_eq!(injectable("https://shop.example/cart"), Ok(()));
//! assert_eq!(injectable("chrome://extensions/"), Err(NotInjectable::BrowserPage));
//! assert_eq!(injectable("https://addons.mozilla.org/en-US/"), Err(NotInjectable::Store));
//! assert_eq!(suggested_rule("https://Shop.Example:8443/cart?x=1").as_deref(), Some("*://shop.example/*"));
//! ```

use crate::protocol::popup::TabView;
use crate::protocol::PageStatus;
use crate::sandbox::{ChatMode, WidgetState};
use crate::site_rule::{SiteRule, WebUrl};

/// Why nothing of the extension can run on a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotInjectable {
    /// The tab has no URL the extension may read (or none yet).
    NoUrl,
    /// A page of the browser itself: `chrome://`, `about:`, `edge://`, `view-source:`…
    BrowserPage,
    /// A page of an extension (`chrome-extension://`, `moz-extension://`).
    ExtensionPage,
    /// The browser's add-on store, where browsers let no extension run.
    Store,
    /// Not a web page: `file:`, `data:`, `blob:`, `ftp:`… (site rules and injection are for
    /// http and https pages).
    NotWeb,
}

impl NotInjectable {
    /// The message key (`_locales`) that says why, in a person's words.
    pub fn message_key(self) -> &'static str {
        match self {
            NotInjectable::NoUrl => "popup_cannot_run_no_url",
            NotInjectable::BrowserPage => "popup_cannot_run_browser",
            NotInjectable::ExtensionPage => "popup_cannot_run_extension",
            NotInjectable::Store => "popup_cannot_run_store",
            NotInjectable::NotWeb => "popup_cannot_run_not_web",
        }
    }
}

/// Hosts of the browsers' add-on stores: Chromium and Firefox refuse every extension there
/// (`scripting.executeScript` fails, registered content scripts never run).
const STORE_HOSTS: [(&str, &str); 3] = [
    ("chromewebstore.google.com", "/"),
    ("chrome.google.com", "/webstore"),
    ("addons.mozilla.org", "/"),
];

/// Whether "inject into this tab" can work on a page at `url`.
pub fn injectable(url: &str) -> Result<(), NotInjectable> {
    let url = url.trim();
    if url.is_empty() {
        return Err(NotInjectable::NoUrl);
    }
    let scheme = url
        .split_once(':')
        .map(|(s, _)| s.to_ascii_lowercase())
        .unwrap_or_default();
    match scheme.as_str() {
        "http" | "https" => {}
        "chrome-extension" | "moz-extension" | "extension" | "safari-web-extension" => {
            return Err(NotInjectable::ExtensionPage)
        }
        "chrome" | "about" | "edge" | "brave" | "opera" | "vivaldi" | "view-source"
        | "chrome-untrusted" | "devtools" | "chrome-search" | "resource" | "jar" => {
            return Err(NotInjectable::BrowserPage)
        }
        _ => return Err(NotInjectable::NotWeb),
    }
    let Ok(parsed) = WebUrl::parse(url) else {
        return Err(NotInjectable::NotWeb);
    };
    let path = parsed.path();
    let store = STORE_HOSTS.iter().any(|(host, prefix)| {
        parsed.host() == *host && (path.starts_with(prefix) || path == prefix.trim_end_matches('/'))
    });
    if store {
        return Err(NotInjectable::Store);
    }
    Ok(())
}

/// The site rule the popup offers to add for a page: every page of its host, over http and
/// https (`*://host/*`). `None` where no rule could run (see [`injectable`]).
pub fn suggested_rule(url: &str) -> Option<String> {
    injectable(url).ok()?;
    let parsed = WebUrl::parse(url.trim()).ok()?;
    let rule = SiteRule::parse(&format!("*://{}/*", parsed.host())).ok()?;
    Some(rule.as_str().to_owned())
}

/// The host a page's URL names, for the popup's header (`shop.example:8443`), or the URL's
/// start for pages that have none (`about:blank`).
pub fn site_label(url: &str) -> &str {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

/// The message key of a widget state in a person's words (the popup shows the API string
/// beside it).
pub fn state_key(state: WidgetState) -> &'static str {
    match state {
        WidgetState::Label => "popup_state_label",
        WidgetState::ChatMin => "popup_state_chat_min",
        WidgetState::Chat => "popup_state_chat",
        WidgetState::Call => "popup_state_call",
        WidgetState::ChatCall => "popup_state_chat_call",
        WidgetState::Menu => "popup_state_menu",
    }
}

/// The message key of a chat mode in a person's words.
pub fn chat_mode_key(mode: ChatMode) -> &'static str {
    match mode {
        ChatMode::Online => "popup_chat_mode_online",
        ChatMode::Offline => "popup_chat_mode_offline",
    }
}

/// The one notice the popup shows about a tab where nothing of the extension runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// The extension runs on the page: no notice.
    None,
    /// A rule in force covers the page, added after it loaded: it runs from the next load.
    CoveredFromNextLoad,
    /// The extension was injected into this tab by hand and the page has since been reloaded
    /// or left, which removed it.
    InjectionGone,
    /// No site rule covers the page.
    NoRule,
    /// Nothing can run on this page, and why.
    CannotRun(NotInjectable),
}

/// What the popup shows for a tab: derived from its record only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    /// The notice.
    pub notice: Notice,
    /// Whether the widget's facts and the agent console belong on screen (the page runs the
    /// extension now).
    pub running: bool,
    /// The rule "Add a rule" would add, when offered.
    pub add_rule: Option<String>,
    /// Whether "Inject into this tab" is offered.
    pub inject: bool,
    /// Whether the "keep injecting into this tab" choice is offered.
    pub keep_injecting: bool,
    /// Whether "Reload this page" is offered.
    pub reload: bool,
}

/// What the popup offers for `view`.
///
/// While the extension runs on the page, nothing but the "keep injecting" choice (when it was
/// injected by hand). Otherwise exactly one notice: a rule that covers the page from its next
/// load (with Reload); an injection the reload removed (Inject again, keep injecting, add a
/// rule); no rule (add one, inject); or why nothing can run here (no buttons at all).
pub fn offer(view: &TabView) -> Offer {
    let url = view.url.as_deref().unwrap_or("");
    if view.status != PageStatus::NotMatched {
        return Offer {
            notice: Notice::None,
            running: true,
            add_rule: None,
            inject: false,
            keep_injecting: view.injected || view.keep_injecting,
            reload: false,
        };
    }
    if let Err(why) = injectable(url) {
        return Offer {
            notice: Notice::CannotRun(why),
            running: false,
            add_rule: None,
            inject: false,
            keep_injecting: false,
            reload: false,
        };
    }
    if view.covered {
        return Offer {
            notice: Notice::CoveredFromNextLoad,
            running: false,
            add_rule: None,
            inject: false,
            keep_injecting: false,
            reload: true,
        };
    }
    Offer {
        notice: if view.injected {
            Notice::InjectionGone
        } else {
            Notice::NoRule
        },
        running: false,
        add_rule: suggested_rule(url),
        inject: true,
        keep_injecting: true,
        reload: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injectable_table() {
        use NotInjectable::*;
        let table: &[(&str, Result<(), NotInjectable>)] = &[
            ("https://shop.example/", Ok(())),
            ("http://127.0.0.1:8080/a?b#c", Ok(())),
            ("HTTPS://Shop.Example/", Ok(())),
            ("", Err(NoUrl)),
            ("   ", Err(NoUrl)),
            ("chrome://extensions/", Err(BrowserPage)),
            ("chrome://newtab/", Err(BrowserPage)),
            ("about:blank", Err(BrowserPage)),
            ("about:addons", Err(BrowserPage)),
            ("edge://settings", Err(BrowserPage)),
            ("view-source:https://shop.example/", Err(BrowserPage)),
            (
                "chrome-extension://abcdefghijklmnop/popup.html",
                Err(ExtensionPage),
            ),
            ("moz-extension://0000-1111/options.html", Err(ExtensionPage)),
            ("https://chromewebstore.google.com/detail/x/abc", Err(Store)),
            ("https://chromewebstore.google.com", Err(Store)),
            ("https://chrome.google.com/webstore/detail/x", Err(Store)),
            ("https://addons.mozilla.org/en-US/firefox/", Err(Store)),
            // Other pages of those hosts are ordinary pages.
            ("https://chrome.google.com/intl/en/chrome/", Ok(())),
            ("https://mozilla.org/", Ok(())),
            ("https://addons.mozilla.org.evil.example/", Ok(())),
            ("file:///home/me/page.html", Err(NotWeb)),
            ("data:text/html,<p>x", Err(NotWeb)),
            ("blob:https://shop.example/123", Err(NotWeb)),
            ("ftp://files.example/", Err(NotWeb)),
            ("not a url", Err(NotWeb)),
        ];
        for (url, want) in table {
            assert_eq!(injectable(url), *want, "{url}");
        }
    }

    #[test]
    fn suggested_rule_covers_the_host() {
        let table: &[(&str, Option<&str>)] = &[
            ("https://shop.example/cart", Some("*://shop.example/*")),
            ("http://Shop.Example:8443/?q=1", Some("*://shop.example/*")),
            ("http://127.0.0.1:41234/plain.html", Some("*://127.0.0.1/*")),
            ("chrome://extensions/", None),
            ("https://addons.mozilla.org/", None),
            ("", None),
        ];
        for (url, want) in table {
            assert_eq!(suggested_rule(url).as_deref(), *want, "{url}");
        }
    }

    fn view(status: PageStatus, url: &str) -> TabView {
        TabView {
            tab: 1,
            url: (!url.is_empty()).then(|| url.to_owned()),
            status,
            ..TabView::default()
        }
    }

    #[test]
    fn offer_table() {
        let page = "https://shop.example/cart";
        // Running: nothing offered, the widget's sections shown.
        let o = offer(&view(PageStatus::Loaded, page));
        assert_eq!(o.notice, Notice::None);
        assert!(o.running && !o.inject && !o.reload && o.add_rule.is_none());
        assert!(!o.keep_injecting);
        // Running after a hand injection: the keep-injecting choice stays on offer.
        let o = offer(&TabView {
            injected: true,
            ..view(PageStatus::Loaded, page)
        });
        assert!(o.running && o.keep_injecting);

        // Not matched, no rule: add one or inject.
        let o = offer(&view(PageStatus::NotMatched, page));
        assert_eq!(o.notice, Notice::NoRule);
        assert!(!o.running && o.inject && o.keep_injecting && !o.reload);
        assert_eq!(o.add_rule.as_deref(), Some("*://shop.example/*"));

        // A rule covers it now (added after the page loaded): reload, nothing else.
        let o = offer(&TabView {
            covered: true,
            ..view(PageStatus::NotMatched, page)
        });
        assert_eq!(o.notice, Notice::CoveredFromNextLoad);
        assert!(o.reload && !o.inject && o.add_rule.is_none() && !o.running);

        // Injected by hand, then reloaded.
        let o = offer(&TabView {
            injected: true,
            ..view(PageStatus::NotMatched, page)
        });
        assert_eq!(o.notice, Notice::InjectionGone);
        assert!(o.inject && o.keep_injecting && o.add_rule.is_some());

        // Browser pages and stores: why not, and no buttons.
        for (url, why) in [
            ("chrome://extensions/", NotInjectable::BrowserPage),
            ("about:blank", NotInjectable::BrowserPage),
            ("moz-extension://x/popup.html", NotInjectable::ExtensionPage),
            ("https://chromewebstore.google.com/", NotInjectable::Store),
            ("", NotInjectable::NoUrl),
        ] {
            let o = offer(&view(PageStatus::NotMatched, url));
            assert_eq!(o.notice, Notice::CannotRun(why), "{url}");
            assert!(!o.inject && !o.reload && !o.keep_injecting && o.add_rule.is_none());
        }
    }

    /// Every message key this module hands the popup is in both locales.
    #[test]
    fn message_keys_are_in_both_locales() {
        let (en, ru) = crate::test_support::locales();
        use NotInjectable::*;
        let mut keys: Vec<&str> = [NoUrl, BrowserPage, ExtensionPage, Store, NotWeb]
            .iter()
            .map(|w| w.message_key())
            .collect();
        keys.extend(
            [
                WidgetState::Label,
                WidgetState::ChatMin,
                WidgetState::Chat,
                WidgetState::Call,
                WidgetState::ChatCall,
                WidgetState::Menu,
            ]
            .map(state_key),
        );
        keys.extend([ChatMode::Online, ChatMode::Offline].map(chat_mode_key));
        for key in keys {
            assert!(en.get(key).is_some(), "{key} missing in en");
            assert!(ru.get(key).is_some(), "{key} missing in ru");
        }
    }

    #[test]
    fn site_label_is_the_host() {
        assert_eq!(
            site_label("https://shop.example:8443/a?b"),
            "shop.example:8443"
        );
        assert_eq!(site_label("about:blank"), "about:blank");
    }
}
