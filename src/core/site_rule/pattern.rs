//! One site rule: a match pattern, parsed with plain-words errors.

use std::fmt;
use std::net::Ipv6Addr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::url::{ipv6_to_string, is_host_char, WebScheme, WebUrl};

/// A site rule: a WebExtension match pattern, valid by construction.
///
/// The accepted syntax is the part of Chromium's and Firefox's match patterns that makes sense
/// for web pages: `<all_urls>`, or `scheme://host/path` where
///
/// - *scheme* is `http`, `https` or `*` (http and https);
/// - *host* is `*` (any host), `*.example.com` (example.com and its subdomains), a host name,
///   an IPv4 address or an IPv6 address in brackets; no port (a URL's port is ignored);
/// - *path* starts with `/`; each `*` matches any run of characters. It is matched against the
///   URL's path and query (`/shop/*` matches `/shop/cart?id=7`), never the fragment.
///
/// Scheme and host are kept lowercase, so [`SiteRule::as_str`] is the canonical text, and two
/// rules are equal exactly when their canonical texts are.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SiteRule {
    text: String,
    kind: Kind,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    AllUrls,
    Pattern {
        scheme: SchemeFilter,
        host: HostFilter,
        path: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum SchemeFilter {
    Any,
    Only(WebScheme),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum HostFilter {
    /// `*`
    Any,
    /// A host name or IP literal, matched exactly.
    Exact(String),
    /// `*.domain`: the domain itself and any subdomain.
    Domain(String),
}

impl SiteRule {
    /// The longest pattern accepted, in bytes.
    pub const MAX_LEN: usize = 2048;

    /// Parses a match pattern. Surrounding whitespace is ignored; scheme and host may be in any
    /// case. The error says what is wrong and how to fix it.
    pub fn parse(input: &str) -> Result<SiteRule, SiteRuleError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(SiteRuleError::Empty);
        }
        if text.len() > SiteRule::MAX_LEN {
            return Err(SiteRuleError::TooLong { len: text.len() });
        }
        if text == "<all_urls>" {
            return Ok(SiteRule {
                text: text.to_owned(),
                kind: Kind::AllUrls,
            });
        }
        let Some((scheme, rest)) = text.split_once("://") else {
            return Err(SiteRuleError::NoScheme {
                suggestion: suggest_scheme(text),
            });
        };
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "*" => SchemeFilter::Any,
            "http" => SchemeFilter::Only(WebScheme::Http),
            "https" => SchemeFilter::Only(WebScheme::Https),
            "" => return Err(SiteRuleError::EmptyScheme),
            other => {
                return Err(SiteRuleError::UnsupportedScheme {
                    scheme: other.to_owned(),
                })
            }
        };
        let Some(slash) = rest.find('/') else {
            // `https://example.com:8080`: the port is the first thing to fix.
            if let Err(e @ (SiteRuleError::Port { .. } | SiteRuleError::EmptyHost)) =
                parse_host(rest)
            {
                return Err(e);
            }
            return Err(SiteRuleError::NoPath {
                suggestion: format!("{text}/*"),
            });
        };
        let (host, path) = rest.split_at(slash);
        let host = parse_host(host)?;
        check_path(path)?;
        let scheme_text = match scheme {
            SchemeFilter::Any => "*",
            SchemeFilter::Only(s) => s.as_str(),
        };
        let host_text = match &host {
            HostFilter::Any => "*".to_owned(),
            HostFilter::Exact(h) => h.clone(),
            HostFilter::Domain(d) => format!("*.{d}"),
        };
        Ok(SiteRule {
            text: format!("{scheme_text}://{host_text}{path}"),
            kind: Kind::Pattern {
                scheme,
                host,
                path: path.to_owned(),
            },
        })
    }

    /// The pattern as the browser needs it (for `scripting.registerContentScripts` `matches`),
    /// in canonical form.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The pattern to register the content script with: [`as_str`](SiteRule::as_str), except
    /// that `<all_urls>` becomes `*://*/*`, because browsers also match `file:` (and more) with
    /// `<all_urls>`, while the extension only runs on http and https pages, as
    /// [`matches`](SiteRule::matches) says.
    pub fn registration_pattern(&self) -> &str {
        if self.is_all_urls() {
            "*://*/*"
        } else {
            &self.text
        }
    }

    /// The host a request's initiator must have for a page this rule matches, as
    /// `declarativeNetRequest`'s `initiatorDomains` takes it (which also covers subdomains):
    /// the exact host or the `*.` domain; `None` when the rule matches any host.
    pub fn initiator_domain(&self) -> Option<String> {
        match &self.kind {
            Kind::Pattern {
                host: HostFilter::Exact(h) | HostFilter::Domain(h),
                ..
            } => Some(h.trim_start_matches('[').trim_end_matches(']').to_owned()),
            _ => None,
        }
    }

    /// Whether this is `<all_urls>`.
    pub fn is_all_urls(&self) -> bool {
        self.kind == Kind::AllUrls
    }

    /// Whether the rule matches a URL. A string that is not an http(s) URL matches nothing.
    pub fn matches(&self, url: &str) -> bool {
        WebUrl::parse(url).is_ok_and(|u| self.matches_url(&u))
    }

    /// Whether the rule matches an already parsed URL (parse once, test many rules).
    pub fn matches_url(&self, url: &WebUrl) -> bool {
        let Kind::Pattern { scheme, host, path } = &self.kind else {
            return true;
        };
        if let SchemeFilter::Only(s) = scheme {
            if *s != url.scheme() {
                return false;
            }
        }
        let url_host = url.host();
        let url_host = url_host.strip_suffix('.').unwrap_or(url_host);
        let host_ok = match host {
            HostFilter::Any => true,
            HostFilter::Exact(h) => h == url_host,
            HostFilter::Domain(d) => {
                d == url_host
                    || (!url.host_is_ip()
                        && url_host
                            .strip_suffix(d.as_str())
                            .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')))
            }
        };
        host_ok && glob_matches(path, &url.path_and_query())
    }

    /// The host permission that covers this rule: the same scheme and host with path `/*`
    /// (`https://*.example.com/shop/*` → `https://*.example.com/*`), for Firefox's
    /// `permissions.request` and `host_permissions`. `<all_urls>` gives `*://*/*`, since the
    /// extension only ever runs on http and https pages.
    pub fn origin_pattern(&self) -> String {
        match self.text.split_once("://") {
            Some((scheme, rest)) if !self.is_all_urls() => {
                let host = rest.split('/').next().unwrap_or_default();
                format!("{scheme}://{host}/*")
            }
            _ => "*://*/*".to_owned(),
        }
    }
}

impl fmt::Display for SiteRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for SiteRule {
    type Err = SiteRuleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SiteRule::parse(s)
    }
}

/// A rule serialises as its pattern text.
impl Serialize for SiteRule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

/// A rule deserialises from pattern text, with the parse error as the serde error.
impl<'de> Deserialize<'de> for SiteRule {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        SiteRule::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// What is wrong with a site rule, in words a person can act on (see its `Display`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SiteRuleError {
    /// Nothing but whitespace.
    Empty,
    /// Longer than [`SiteRule::MAX_LEN`].
    TooLong {
        /// The length in bytes.
        len: usize,
    },
    /// No `://` (`example.com/*`).
    NoScheme {
        /// The pattern with `*://` (and a path if it had none) added.
        suggestion: String,
    },
    /// Nothing before `://`.
    EmptyScheme,
    /// A scheme other than `http`, `https` and `*`.
    UnsupportedScheme {
        /// The scheme, lowercase.
        scheme: String,
    },
    /// No `/` after the host (`https://example.com`).
    NoPath {
        /// The pattern with `/*` added.
        suggestion: String,
    },
    /// Nothing between `://` and the path.
    EmptyHost,
    /// `*.` with nothing after it.
    EmptyWildcardDomain,
    /// A `*` in the host other than a whole `*` or a leading `*.`.
    MisplacedWildcard {
        /// The host as written.
        host: String,
    },
    /// `host:port`.
    Port {
        /// The host as written, port included.
        host: String,
        /// The port part, without the colon.
        port: String,
    },
    /// A character host names cannot have.
    BadHostChar {
        /// The host as written.
        host: String,
        /// The first character not allowed.
        ch: char,
    },
    /// Letters outside ASCII in the host.
    NonAsciiHost {
        /// The host as written.
        host: String,
    },
    /// Two dots in a row, or a dot at the start or end of the host.
    EmptyLabel {
        /// The host as written.
        host: String,
    },
    /// Brackets around something that is not an IPv6 address.
    BadIpv6 {
        /// The host as written.
        host: String,
    },
    /// A path character that never appears in a URL as the browser shows it.
    BadPathChar {
        /// The character.
        ch: char,
    },
    /// A `#` in the path: fragments are not matched.
    PathFragment,
}

impl SiteRuleError {
    /// The `_locales` message that says the same to a person in their language, and its
    /// arguments (`$1`, `$2`): the surfaces show it; [`Display`](fmt::Display) stays the English
    /// for files and logs. The locale test in `view` checks every key is in both locales.
    pub fn message_key(&self) -> (&'static str, Vec<String>) {
        match self {
            SiteRuleError::Empty => ("err_rule_empty", vec![]),
            SiteRuleError::TooLong { len } => (
                "err_rule_too_long",
                vec![len.to_string(), SiteRule::MAX_LEN.to_string()],
            ),
            SiteRuleError::NoScheme { suggestion } => {
                ("err_rule_no_scheme", vec![suggestion.clone()])
            }
            SiteRuleError::EmptyScheme => ("err_rule_empty_scheme", vec![]),
            SiteRuleError::UnsupportedScheme { scheme } => {
                ("err_rule_scheme", vec![scheme.clone()])
            }
            SiteRuleError::NoPath { suggestion } => ("err_rule_no_path", vec![suggestion.clone()]),
            SiteRuleError::EmptyHost => ("err_rule_empty_host", vec![]),
            SiteRuleError::EmptyWildcardDomain => ("err_rule_empty_wildcard", vec![]),
            SiteRuleError::MisplacedWildcard { host } => ("err_rule_wildcard", vec![host.clone()]),
            SiteRuleError::Port { host, port } => {
                ("err_rule_port", vec![host.clone(), port.clone()])
            }
            SiteRuleError::BadHostChar { host, ch } => (
                "err_rule_host_char",
                vec![host.clone(), ch.escape_default().to_string()],
            ),
            SiteRuleError::NonAsciiHost { host } => ("err_rule_non_ascii", vec![host.clone()]),
            SiteRuleError::EmptyLabel { host } => ("err_rule_empty_label", vec![host.clone()]),
            SiteRuleError::BadIpv6 { host } => ("err_rule_ipv6", vec![host.clone()]),
            SiteRuleError::BadPathChar { ch } => {
                ("err_rule_path_char", vec![ch.escape_default().to_string()])
            }
            SiteRuleError::PathFragment => ("err_rule_fragment", vec![]),
        }
    }
}

impl fmt::Display for SiteRuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SiteRuleError::Empty => {
                f.write_str("the pattern is empty: write one like `https://example.com/*`")
            }
            SiteRuleError::TooLong { len } => write!(
                f,
                "the pattern is {len} characters long; the longest accepted is {}",
                SiteRule::MAX_LEN
            ),
            SiteRuleError::NoScheme { suggestion } => write!(
                f,
                "a pattern starts with a scheme and `://`: use http, https or *, as in `{suggestion}`"
            ),
            SiteRuleError::EmptyScheme => {
                f.write_str("the scheme before `://` is empty: use http, https or *")
            }
            SiteRuleError::UnsupportedScheme { scheme } => write!(
                f,
                "scheme `{scheme}` is not supported: use http, https or *"
            ),
            SiteRuleError::NoPath { suggestion } => write!(
                f,
                "a pattern needs a path: add `/*`, as in `{suggestion}`"
            ),
            SiteRuleError::EmptyHost => f.write_str(
                "the host is empty: use `*` for any host, or a name such as `example.com`",
            ),
            SiteRuleError::EmptyWildcardDomain => f.write_str(
                "host `*.` is empty: write a domain after `*.`, as in `*.example.com`",
            ),
            SiteRuleError::MisplacedWildcard { host } => write!(
                f,
                "host `{host}`: `*` can only be the whole host or its first label, as in `*.example.com`"
            ),
            SiteRuleError::Port { host, port } => write!(
                f,
                "host `{host}` has a port: patterns cannot name one (every port matches); remove `:{port}`"
            ),
            SiteRuleError::BadHostChar { host, ch } => write!(
                f,
                "host `{host}` has `{}`, which a host name cannot contain",
                ch.escape_default()
            ),
            SiteRuleError::NonAsciiHost { host } => write!(
                f,
                "host `{host}` is not ASCII: write its punycode form (`xn--…`)"
            ),
            SiteRuleError::EmptyLabel { host } => write!(
                f,
                "host `{host}` has an empty part: two dots in a row, or a dot at its start or end"
            ),
            SiteRuleError::BadIpv6 { host } => {
                write!(f, "host `{host}` is not a valid IPv6 address")
            }
            SiteRuleError::BadPathChar { ch } => match ch {
                ' ' => f.write_str(
                    "the path has a space, which never appears in a URL: write it as `%20`",
                ),
                '\\' => f.write_str(
                    "the path has `\\`, which browsers turn into `/`: write `/` instead",
                ),
                c if c.is_control() => write!(
                    f,
                    "the path has a control character (U+{:04X}), which never appears in a URL",
                    u32::from(*c)
                ),
                c => write!(
                    f,
                    "the path has `{c}`, which never appears in a URL as is: percent-encode it ({})",
                    percent_encoded(*c)
                ),
            },
            SiteRuleError::PathFragment => f.write_str(
                "the path has `#`: the fragment is never matched, so remove `#` and what follows",
            ),
        }
    }
}

impl std::error::Error for SiteRuleError {}

/// `*://` in front, and `/*` behind if there is no path, for a pattern written without scheme.
fn suggest_scheme(text: &str) -> String {
    // Drop a half-written scheme such as `https:/` or `https:`.
    let bare = match text.split_once(':') {
        Some((scheme, rest))
            if !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphabetic()) =>
        {
            rest.trim_start_matches('/')
        }
        _ => text,
    };
    if bare.contains('/') {
        format!("*://{bare}")
    } else {
        format!("*://{bare}/*")
    }
}

fn percent_encoded(c: char) -> String {
    let mut buf = [0u8; 4];
    c.encode_utf8(&mut buf)
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect()
}

fn parse_host(host: &str) -> Result<HostFilter, SiteRuleError> {
    let lower = host.to_ascii_lowercase();
    if lower.is_empty() {
        return Err(SiteRuleError::EmptyHost);
    }
    if lower == "*" {
        return Ok(HostFilter::Any);
    }
    if let Some(domain) = lower.strip_prefix("*.") {
        if domain.is_empty() {
            return Err(SiteRuleError::EmptyWildcardDomain);
        }
        check_name(domain, host)?;
        return Ok(HostFilter::Domain(domain.to_owned()));
    }
    if let Some(inner_and_rest) = lower.strip_prefix('[') {
        let Some((inner, after)) = inner_and_rest.split_once(']') else {
            return Err(SiteRuleError::BadIpv6 {
                host: host.to_owned(),
            });
        };
        if let Some(port) = after.strip_prefix(':') {
            return Err(SiteRuleError::Port {
                host: host.to_owned(),
                port: port.to_owned(),
            });
        }
        let addr = match inner.parse::<Ipv6Addr>() {
            Ok(addr) if after.is_empty() => addr,
            _ => {
                return Err(SiteRuleError::BadIpv6 {
                    host: host.to_owned(),
                })
            }
        };
        return Ok(HostFilter::Exact(format!("[{}]", ipv6_to_string(&addr))));
    }
    check_name(&lower, host)?;
    Ok(HostFilter::Exact(lower))
}

/// Checks a host name (after any `*.`); `original` is the whole host as written, for messages.
fn check_name(name: &str, original: &str) -> Result<(), SiteRuleError> {
    if let Some((_, port)) = name.split_once(':') {
        return Err(SiteRuleError::Port {
            host: original.to_owned(),
            port: port.to_owned(),
        });
    }
    if name.contains('*') {
        return Err(SiteRuleError::MisplacedWildcard {
            host: original.to_owned(),
        });
    }
    if !name.is_ascii() {
        return Err(SiteRuleError::NonAsciiHost {
            host: original.to_owned(),
        });
    }
    if let Some(ch) = name.chars().find(|&c| !is_host_char(c)) {
        return Err(SiteRuleError::BadHostChar {
            host: original.to_owned(),
            ch,
        });
    }
    if name.split('.').any(str::is_empty) {
        return Err(SiteRuleError::EmptyLabel {
            host: original.to_owned(),
        });
    }
    Ok(())
}

/// A pattern path may hold any printable ASCII that can appear in a canonical URL's path or
/// query; `*` is the wildcard.
fn check_path(path: &str) -> Result<(), SiteRuleError> {
    for ch in path.chars() {
        if ch == '#' {
            return Err(SiteRuleError::PathFragment);
        }
        let never_in_url = ch == ' '
            || ch.is_control()
            || !ch.is_ascii()
            || matches!(ch, '"' | '<' | '>' | '`' | '{' | '}' | '\\');
        if never_in_url {
            return Err(SiteRuleError::BadPathChar { ch });
        }
    }
    Ok(())
}

/// Whether `text` matches `pattern`, where each `*` matches any run of characters and every
/// other character matches itself. Linear time: literal pieces between stars are found leftmost
/// first, which is always enough for `*`-only globs.
pub(super) fn glob_matches(pattern: &str, text: &str) -> bool {
    let mut pieces = pattern.split('*');
    let first = pieces.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let middle_and_last: Vec<&str> = pieces.collect();
    let Some((last, middle)) = middle_and_last.split_last() else {
        // No star at all: the whole text must be the literal.
        return rest.is_empty();
    };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = rest.get(at + piece.len()..).unwrap_or_default(),
            None => return false,
        }
    }
    rest.ends_with(last)
}
