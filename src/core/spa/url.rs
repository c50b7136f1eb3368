//! Which part of a URL decides "the same page": a URL split at its fragment, with hash routes
//! told apart from in-page anchors. Pure string work on `location.href` values; no URL crate.
//!
//! The browser already normalises `location.href` (scheme and host lower-cased, path resolved,
//! percent-encoding applied), so plain string comparison of the parts is enough here.

use super::config::HashMode;

/// A URL split at its first `#`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UrlParts<'a> {
    /// Everything before the first `#`: scheme, host, path and query. Query changes always
    /// count as navigations because the query is part of this.
    pub document: &'a str,
    /// The raw text after the first `#` (empty when there is no `#`).
    pub fragment_text: &'a str,
    /// The same fragment, classified.
    pub fragment: Fragment<'a>,
}

/// The fragment of a URL (`#…`), classified as a hash route or an in-page anchor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fragment<'a> {
    /// No `#`, or nothing after it (`/a` and `/a#` are the same page in every mode).
    None,
    /// An in-page anchor such as `#section`: the text after the `#`.
    Anchor(&'a str),
    /// A hash route: the fragment starts with `/` or `!/` (`#/cart`, `#!/cart`).
    Route {
        /// The route: the text after the first `#` up to a second `#` (`/docs` in
        /// `#/docs#install`), with its `!` if it had one (`!/docs`).
        route: &'a str,
        /// An anchor inside the route's page (`install` in `#/docs#install`), if any.
        anchor: Option<&'a str>,
    },
}

/// The identity of a page under a [`HashMode`]: two URLs with equal keys are the same page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PageKey<'a> {
    /// The URL without its fragment.
    pub document: &'a str,
    /// The part of the fragment that counts under the mode, if any.
    pub hash: Option<&'a str>,
}

impl<'a> UrlParts<'a> {
    /// Splits `url` at its first `#` and classifies the fragment. Never fails: any string is
    /// accepted (a string without `#` is all document).
    pub fn parse(url: &'a str) -> Self {
        let (document, fragment_text) = url.split_once('#').unwrap_or((url, ""));
        let fragment = if fragment_text.is_empty() {
            Fragment::None
        } else if fragment_text.starts_with('/') || fragment_text.starts_with("!/") {
            match fragment_text.split_once('#') {
                Some((route, anchor)) => Fragment::Route {
                    route,
                    anchor: Some(anchor).filter(|a| !a.is_empty()),
                },
                None => Fragment::Route {
                    route: fragment_text,
                    anchor: None,
                },
            }
        } else {
            Fragment::Anchor(fragment_text)
        };
        UrlParts {
            document,
            fragment_text,
            fragment,
        }
    }

    /// The page this URL shows under `mode`:
    ///
    /// - [`HashMode::Routes`]: the document plus the route, if the fragment is one. An anchor
    ///   (`#section`, or `#install` in `#/docs#install`) is not part of the page. So `/a` and
    ///   `/a#section` are the same page, but `/a#/x` and `/a#section` are *different* pages:
    ///   the route `/x` is gone and the page is now `/a` itself (a hash router shows its root
    ///   or not-found view, or redirects, which is then a further change).
    /// - [`HashMode::All`]: the document plus the whole fragment.
    /// - [`HashMode::Ignore`]: the document only.
    pub fn page_key(&self, mode: HashMode) -> PageKey<'a> {
        let hash = match (mode, self.fragment) {
            (HashMode::Ignore, _) | (_, Fragment::None) => None,
            (HashMode::Routes, Fragment::Anchor(_)) => None,
            (HashMode::Routes, Fragment::Route { route, .. }) => Some(route),
            (HashMode::All, _) => Some(self.fragment_text),
        };
        PageKey {
            document: self.document,
            hash,
        }
    }
}

/// Whether `a` and `b` are the same page under `mode` (see [`UrlParts::page_key`]).
pub fn same_page(a: &str, b: &str, mode: HashMode) -> bool {
    UrlParts::parse(a).page_key(mode) == UrlParts::parse(b).page_key(mode)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_document_and_fragment() {
        let p = UrlParts::parse("https://x.example/a?q=1#/cart?step=2");
        assert_eq!(p.document, "https://x.example/a?q=1");
        assert_eq!(p.fragment_text, "/cart?step=2");
        assert_eq!(
            p.fragment,
            Fragment::Route {
                route: "/cart?step=2",
                anchor: None
            }
        );
        let p = UrlParts::parse("https://x.example/a");
        assert_eq!(
            (p.document, p.fragment),
            ("https://x.example/a", Fragment::None)
        );
        assert_eq!(UrlParts::parse("/a#").fragment, Fragment::None);
    }

    #[test]
    fn classifies_routes_anchors_and_hashbangs() {
        assert_eq!(
            UrlParts::parse("/a#section").fragment,
            Fragment::Anchor("section")
        );
        assert_eq!(
            UrlParts::parse("/a#!section").fragment,
            Fragment::Anchor("!section")
        );
        assert_eq!(
            UrlParts::parse("/a#!/x").fragment,
            Fragment::Route {
                route: "!/x",
                anchor: None
            }
        );
        assert_eq!(
            UrlParts::parse("/a#/docs#install").fragment,
            Fragment::Route {
                route: "/docs",
                anchor: Some("install")
            }
        );
        assert_eq!(
            UrlParts::parse("/a#/docs#").fragment,
            Fragment::Route {
                route: "/docs",
                anchor: None
            }
        );
        assert_eq!(
            UrlParts::parse("/a#/").fragment,
            Fragment::Route {
                route: "/",
                anchor: None
            }
        );
    }

    #[test]
    fn same_page_under_routes() {
        let m = HashMode::Routes;
        assert!(same_page("/a", "/a#section", m));
        assert!(same_page("/a#one", "/a#two", m));
        assert!(same_page("/a#/docs", "/a#/docs#install", m));
        assert!(!same_page("/a#/x", "/a#/y", m));
        assert!(
            !same_page("/a#/x", "/a#section", m),
            "leaving a route is a navigation"
        );
        assert!(!same_page("/a#/x", "/a", m));
        assert!(!same_page("/a#/x", "/a#!/x", m));
        assert!(
            !same_page("/a?p=1#s", "/a?p=2#s", m),
            "query changes always count"
        );
        assert!(!same_page("/a", "/b", m));
    }

    #[test]
    fn same_page_under_all_and_ignore() {
        assert!(!same_page("/a", "/a#section", HashMode::All));
        assert!(!same_page("/a#/docs", "/a#/docs#install", HashMode::All));
        assert!(same_page("/a", "/a#", HashMode::All));
        assert!(same_page("/a#/x", "/a#/y", HashMode::Ignore));
        assert!(same_page("/a#/x", "/a", HashMode::Ignore));
        assert!(!same_page("/a?p=1", "/a?p=2", HashMode::Ignore));
    }

    #[test]
    fn odd_input_does_not_panic() {
        for url in ["", "#", "##", "#/#", "#!/", "é#ü#/ß", "\u{0}#\u{0}", "#!"] {
            let p = UrlParts::parse(url);
            for mode in [HashMode::Routes, HashMode::All, HashMode::Ignore] {
                let _ = p.page_key(mode);
                assert!(same_page(url, url, mode));
            }
        }
    }
}
