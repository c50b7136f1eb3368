//! Web page URLs taken apart the way match patterns need them.
//!
//! This is not a general URL parser: it accepts exactly the URLs the extension can inject into
//! (`http:` and `https:`), and canonicalises them the way a browser shows them in `tab.url`
//! (lowercase scheme and host, IPv6 in brackets in its shortest form, dot segments removed,
//! spaces and non-ASCII percent-encoded), so that a URL typed into the options page's test box
//! matches the same rules as the page the browser would load.

use std::fmt;
use std::net::Ipv6Addr;

/// The scheme of a web page URL: the only two the extension injects into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WebScheme {
    /// `http:`
    Http,
    /// `https:`
    Https,
}

impl WebScheme {
    /// The scheme as written in a URL, without the colon: `http` or `https`.
    pub fn as_str(self) -> &'static str {
        match self {
            WebScheme::Http => "http",
            WebScheme::Https => "https",
        }
    }
}

/// A web page URL (`http:` or `https:`), parsed and canonicalised for matching against
/// [`SiteRule`](super::SiteRule)s.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WebUrl {
    scheme: WebScheme,
    host: String,
    port: Option<u16>,
    path: String,
    query: Option<String>,
}

impl WebUrl {
    /// The longest URL accepted, in bytes (Chromium's own limit is 2 MiB).
    pub const MAX_LEN: usize = 2 * 1024 * 1024;

    /// Parses a URL such as a tab's `url`, or what a person typed into the options page.
    ///
    /// Leading and trailing spaces and any tab or newline are dropped first, as browsers do.
    /// The fragment (`#…`) is dropped: it is never matched.
    pub fn parse(input: &str) -> Result<WebUrl, UrlError> {
        if input.len() > WebUrl::MAX_LEN {
            return Err(UrlError::TooLong { len: input.len() });
        }
        let cleaned: String = input
            .trim_matches(|c: char| c <= ' ')
            .chars()
            .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
            .collect();
        if cleaned.is_empty() {
            return Err(UrlError::Empty);
        }
        let (scheme, rest) = split_scheme(&cleaned)?;
        let scheme = match scheme.as_str() {
            "http" => WebScheme::Http,
            "https" => WebScheme::Https,
            _ => return Err(UrlError::NotWebPage { scheme }),
        };

        // Fragment first, then query: `?` inside a fragment is part of the fragment.
        let before_fragment = rest.split('#').next().unwrap_or_default();
        let (before_query, query) = match before_fragment.split_once('?') {
            Some((before, query)) => (before, Some(query)),
            None => (before_fragment, None),
        };
        // Browsers treat `\` as `/` in http(s) URLs, before the query.
        let before_query = before_query.replace('\\', "/");
        let Some(after_slashes) = before_query.strip_prefix("//") else {
            return Err(UrlError::NoSlashes {
                scheme: scheme.as_str(),
            });
        };
        let (authority, path) = match after_slashes.find('/') {
            Some(at) => after_slashes.split_at(at),
            None => (after_slashes, ""),
        };
        let (host, port) = parse_authority(authority)?;
        let path = if path.is_empty() {
            "/".to_owned()
        } else {
            remove_dot_segments(&percent_encode(path, in_path_set))
        };
        let query = query.map(|q| percent_encode(q, in_query_set));
        Ok(WebUrl {
            scheme,
            host,
            port,
            path,
            query,
        })
    }

    /// The scheme.
    pub fn scheme(&self) -> WebScheme {
        self.scheme
    }

    /// The host: lowercase, an IPv6 address in brackets (`[::1]`).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, if the URL names one. Match patterns ignore it.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The path, always starting with `/`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The query without its `?`, if the URL has a `?`.
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// What a match pattern's path is matched against: the path, then `?` and the query if the
    /// URL has one (`/shop/cart?id=7`), as Chromium and Firefox do.
    pub fn path_and_query(&self) -> String {
        match &self.query {
            Some(q) => format!("{}?{}", self.path, q),
            None => self.path.clone(),
        }
    }

    /// Whether the host is an IP address literal (IPv4 or IPv6): subdomain patterns never
    /// match those.
    pub fn host_is_ip(&self) -> bool {
        self.host.starts_with('[') || self.host.parse::<std::net::Ipv4Addr>().is_ok()
    }
}

impl fmt::Display for WebUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme.as_str(), self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        f.write_str(&self.path_and_query())
    }
}

/// Why a string is not a web page URL the extension could run on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlError {
    /// Nothing but spaces.
    Empty,
    /// Longer than [`WebUrl::MAX_LEN`].
    TooLong {
        /// The length in bytes.
        len: usize,
    },
    /// No `scheme:` at the start (`example.com/shop`).
    NoScheme,
    /// A scheme other than http and https (`chrome:`, `file:`, `about:`…).
    NotWebPage {
        /// The scheme, lowercase, without the colon.
        scheme: String,
    },
    /// `http:` or `https:` not followed by `//`.
    NoSlashes {
        /// `http` or `https`.
        scheme: &'static str,
    },
    /// Nothing between `//` and the path.
    NoHost,
    /// A port that is not a number from 0 to 65535.
    BadPort {
        /// The port as written.
        port: String,
    },
    /// A host with a character host names cannot have.
    BadHost {
        /// The host as written.
        host: String,
        /// The first character that is not allowed.
        ch: char,
    },
    /// A host with letters outside ASCII: browsers use the punycode form (`xn--…`).
    NonAsciiHost {
        /// The host as written.
        host: String,
    },
    /// Something in brackets that is not an IPv6 address.
    BadIpv6 {
        /// The host as written, with its brackets.
        host: String,
    },
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::Empty => f.write_str("the URL is empty"),
            UrlError::TooLong { len } => write!(
                f,
                "the URL is {len} bytes long; the longest accepted is {} bytes",
                WebUrl::MAX_LEN
            ),
            UrlError::NoScheme => {
                f.write_str("the URL has no scheme: start it with `https://` or `http://`")
            }
            UrlError::NotWebPage { scheme } => write!(
                f,
                "`{scheme}:` pages are not web pages: the extension only runs on http and https pages"
            ),
            UrlError::NoSlashes { scheme } => {
                write!(f, "the URL needs `//` after `{scheme}:`")
            }
            UrlError::NoHost => f.write_str("the URL has no host"),
            UrlError::BadPort { port } => {
                write!(f, "port `{port}` is not a number from 0 to 65535")
            }
            UrlError::BadHost { host, ch } => write!(
                f,
                "host `{host}` has `{}`, which a host name cannot contain",
                ch.escape_default()
            ),
            UrlError::NonAsciiHost { host } => write!(
                f,
                "host `{host}` is not ASCII: use its punycode form (`xn--…`)"
            ),
            UrlError::BadIpv6 { host } => {
                write!(f, "host `{host}` is not a valid IPv6 address")
            }
        }
    }
}

impl std::error::Error for UrlError {}

/// Splits `scheme:rest`, lowercasing the scheme. Something that looks like `host:port` or a
/// dotted host is reported as a missing scheme rather than as an odd scheme.
fn split_scheme(url: &str) -> Result<(String, &str), UrlError> {
    let Some((scheme, rest)) = url.split_once(':') else {
        return Err(UrlError::NoScheme);
    };
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let looks_like_host = scheme.contains('.') || rest.starts_with(|c: char| c.is_ascii_digit());
    if !valid || looks_like_host {
        return Err(UrlError::NoScheme);
    }
    Ok((scheme.to_ascii_lowercase(), rest))
}

/// Host (canonical) and port from `userinfo@host:port`.
fn parse_authority(authority: &str) -> Result<(String, Option<u16>), UrlError> {
    let host_port = match authority.rfind('@') {
        Some(at) => authority.get(at + 1..).unwrap_or_default(),
        None => authority,
    };
    if host_port.is_empty() {
        return Err(UrlError::NoHost);
    }
    if let Some(inner_and_rest) = host_port.strip_prefix('[') {
        let Some((inner, after)) = inner_and_rest.split_once(']') else {
            return Err(UrlError::BadIpv6 {
                host: host_port.to_owned(),
            });
        };
        let Ok(addr) = inner.parse::<Ipv6Addr>() else {
            return Err(UrlError::BadIpv6 {
                host: format!("[{inner}]"),
            });
        };
        let port = match after {
            "" => None,
            _ => match after.strip_prefix(':') {
                Some(port) => parse_port(port)?,
                None => {
                    return Err(UrlError::BadPort {
                        port: after.to_owned(),
                    })
                }
            },
        };
        return Ok((format!("[{}]", ipv6_to_string(&addr)), port));
    }
    let (host, port) = match host_port.split_once(':') {
        Some((host, port)) => (host, parse_port(port)?),
        None => (host_port, None),
    };
    if host.is_empty() {
        return Err(UrlError::NoHost);
    }
    if !host.is_ascii() {
        return Err(UrlError::NonAsciiHost {
            host: host.to_owned(),
        });
    }
    if let Some(ch) = host.chars().find(|&c| !is_host_char(c)) {
        return Err(UrlError::BadHost {
            host: host.to_owned(),
            ch,
        });
    }
    Ok((host.to_ascii_lowercase(), port))
}

/// `None` for an empty port (`http://a:/`), which browsers accept as no port.
fn parse_port(port: &str) -> Result<Option<u16>, UrlError> {
    if port.is_empty() {
        return Ok(None);
    }
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(UrlError::BadPort {
            port: port.to_owned(),
        });
    }
    let digits = port.trim_start_matches('0');
    if digits.is_empty() {
        return Ok(Some(0));
    }
    digits
        .parse::<u16>()
        .map(Some)
        .map_err(|_| UrlError::BadPort {
            port: port.to_owned(),
        })
}

/// Characters allowed in a (non-IP-literal) host name, beyond which we do not try to be clever.
pub(super) fn is_host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')
}

/// The IPv6 text form browsers show: lowercase hex, the longest run (two or more) of zero
/// groups shortened to `::`, the first such run on a tie, never a dotted IPv4 tail.
pub(super) fn ipv6_to_string(addr: &Ipv6Addr) -> String {
    let groups = addr.segments();
    // Longest run of zero groups: (start, len).
    let mut best: Option<(usize, usize)> = None;
    let mut run_start = None;
    for (i, &g) in groups.iter().enumerate() {
        if g == 0 {
            let start = *run_start.get_or_insert(i);
            let len = i + 1 - start;
            if len >= 2 && best.is_none_or(|(_, best_len)| len > best_len) {
                best = Some((start, len));
            }
        } else {
            run_start = None;
        }
    }
    let mut out = String::new();
    let mut i = 0;
    while i < groups.len() {
        if let Some((start, len)) = best {
            if i == start {
                out.push_str("::");
                i += len;
                continue;
            }
        }
        if !out.is_empty() && !out.ends_with(':') {
            out.push(':');
        }
        if let Some(g) = groups.get(i) {
            out.push_str(&format!("{g:x}"));
        }
        i += 1;
    }
    out
}

/// Bytes a browser percent-encodes in a path: controls, space, `"`, `<`, `>`, `` ` ``, `{`, `}`
/// and everything outside ASCII.
fn in_path_set(b: u8) -> bool {
    b <= 0x20 || b >= 0x7f || matches!(b, b'"' | b'<' | b'>' | b'`' | b'{' | b'}')
}

/// Bytes a browser percent-encodes in an http(s) query: controls, space, `"`, `'`, `<`, `>`
/// and everything outside ASCII.
fn in_query_set(b: u8) -> bool {
    b <= 0x20 || b >= 0x7f || matches!(b, b'"' | b'\'' | b'<' | b'>')
}

fn percent_encode(s: &str, encode: fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if encode(b) {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(char::from(b));
        }
    }
    out
}

fn is_single_dot(seg: &str) -> bool {
    seg == "." || seg.eq_ignore_ascii_case("%2e")
}

fn is_double_dot(seg: &str) -> bool {
    matches!(
        seg.to_ascii_lowercase().as_str(),
        ".." | ".%2e" | "%2e." | "%2e%2e"
    )
}

/// Resolves `.` and `..` segments in a path that starts with `/`.
fn remove_dot_segments(path: &str) -> String {
    let body = path.strip_prefix('/').unwrap_or(path);
    let segments: Vec<&str> = body.split('/').collect();
    let last_index = segments.len().saturating_sub(1);
    let mut out: Vec<&str> = Vec::with_capacity(segments.len());
    for (i, seg) in segments.iter().enumerate() {
        let last = i == last_index;
        if is_single_dot(seg) {
            if last {
                out.push("");
            }
        } else if is_double_dot(seg) {
            out.pop();
            if last {
                out.push("");
            }
        } else {
            out.push(seg);
        }
    }
    format!("/{}", out.join("/"))
}

/// The origin of a URL as its text gives it, without parsing the rest: `scheme://host[:port]`
/// in lowercase, any `user:password@` left out; `None` without a `scheme://` or a host. What a
/// site is for the extension's per-site state (the sandbox's stored record, a tab's site) and
/// for comparing a reported URL with a loader's.
///
/// ```
/// use jwi_core::site_rule::origin_of;
/// assert_eq!(origin_of("HTTPS://Shop.Example:8443/cart?x#y").as_deref(), Some("https://shop.example:8443"));
/// assert_eq!(origin_of("https://user:pw@example.com/").as_deref(), Some("https://example.com"));
/// assert_eq!(origin_of("inline"), None);
/// ```
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    (!host.is_empty()).then(|| {
        format!(
            "{}://{}",
            scheme.to_ascii_lowercase(),
            host.to_ascii_lowercase()
        )
    })
}

/// Whether both URLs have an origin ([`origin_of`]) and it is the same one.
pub fn same_origin(a: &str, b: &str) -> bool {
    origin_of(a).is_some_and(|o| Some(o) == origin_of(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(url: &str) -> (WebScheme, String, Option<u16>, String) {
        let u = WebUrl::parse(url).unwrap();
        (
            u.scheme(),
            u.host().to_owned(),
            u.port(),
            u.path_and_query(),
        )
    }

    #[test]
    fn canonical_parts() {
        use WebScheme::*;
        let table: &[(&str, WebScheme, &str, Option<u16>, &str)] = &[
            ("https://example.com", Https, "example.com", None, "/"),
            ("https://example.com/", Https, "example.com", None, "/"),
            (
                "HTTP://EXAMPLE.com/Shop",
                Http,
                "example.com",
                None,
                "/Shop",
            ),
            ("http://a.b:8080/x?y#z", Http, "a.b", Some(8080), "/x?y"),
            ("http://a.b:/x", Http, "a.b", None, "/x"),
            ("https://user:pw@host.io/p", Https, "host.io", None, "/p"),
            ("https://h/?", Https, "h", None, "/?"),
            ("https://h?q=1", Https, "h", None, "/?q=1"),
            ("https://h#frag?not-query", Https, "h", None, "/"),
            ("http://[::1]/", Http, "[::1]", None, "/"),
            ("http://[0:0::1]:81/", Http, "[::1]", Some(81), "/"),
            (
                "http://[2001:DB8:0:0:1:0:0:1]/",
                Http,
                "[2001:db8::1:0:0:1]",
                None,
                "/",
            ),
            (
                "http://[::ffff:1.2.3.4]/",
                Http,
                "[::ffff:102:304]",
                None,
                "/",
            ),
            ("https://h/a/./b/../c", Https, "h", None, "/a/c"),
            ("https://h/a/b/..", Https, "h", None, "/a/"),
            ("https://h/..", Https, "h", None, "/"),
            ("https://h/a b?c d", Https, "h", None, "/a%20b?c%20d"),
            ("https://h/caf\u{e9}", Https, "h", None, "/caf%C3%A9"),
            ("  https://h/x \n", Https, "h", None, "/x"),
            ("https://h/a\tb", Https, "h", None, "/ab"),
            ("https:\\\\h\\a\\b?c\\d", Https, "h", None, "/a/b?c\\d"),
            ("http://127.0.0.1:0000/", Http, "127.0.0.1", Some(0), "/"),
        ];
        for &(url, scheme, host, port, pq) in table {
            assert_eq!(
                parts(url),
                (scheme, host.to_owned(), port, pq.to_owned()),
                "{url}"
            );
        }
    }

    #[test]
    fn errors() {
        let table: &[(&str, UrlError)] = &[
            ("", UrlError::Empty),
            ("   ", UrlError::Empty),
            ("example.com/shop", UrlError::NoScheme),
            ("example.com:8080/shop", UrlError::NoScheme),
            ("localhost:3000", UrlError::NoScheme),
            (
                "chrome://extensions",
                UrlError::NotWebPage {
                    scheme: "chrome".into(),
                },
            ),
            (
                "FILE:///tmp/a.html",
                UrlError::NotWebPage {
                    scheme: "file".into(),
                },
            ),
            (
                "about:blank",
                UrlError::NotWebPage {
                    scheme: "about".into(),
                },
            ),
            ("https:example.com", UrlError::NoSlashes { scheme: "https" }),
            ("https://", UrlError::NoHost),
            ("https:///path", UrlError::NoHost),
            ("https://user@/x", UrlError::NoHost),
            ("https://:80/", UrlError::NoHost),
            (
                "https://h:99999/",
                UrlError::BadPort {
                    port: "99999".into(),
                },
            ),
            ("https://h:8a/", UrlError::BadPort { port: "8a".into() }),
            (
                "https://exa mple.com/",
                UrlError::BadHost {
                    host: "exa mple.com".into(),
                    ch: ' ',
                },
            ),
            (
                "https://b\u{fc}cher.de/",
                UrlError::NonAsciiHost {
                    host: "b\u{fc}cher.de".into(),
                },
            ),
            (
                "http://[zz]/",
                UrlError::BadIpv6 {
                    host: "[zz]".into(),
                },
            ),
            (
                "http://[::1/",
                UrlError::BadIpv6 {
                    host: "[::1".into(),
                },
            ),
            ("http://[::1]x/", UrlError::BadPort { port: "x".into() }),
        ];
        for (url, want) in table {
            assert_eq!(WebUrl::parse(url).as_ref(), Err(want), "{url:?}");
            assert!(!want.to_string().is_empty());
        }
    }

    #[test]
    fn origins_as_the_text_gives_them() {
        assert_eq!(
            origin_of("http://127.0.0.1:8080/spa#x").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin_of("HTTP://[::1]?q").as_deref(), Some("http://[::1]"));
        assert_eq!(
            origin_of("http://a@b@Host/").as_deref(),
            Some("http://host")
        );
        for no_origin in ["", "http://", "http:///path", "about:blank", "eval"] {
            assert_eq!(origin_of(no_origin), None, "{no_origin}");
            assert!(!same_origin(no_origin, no_origin), "{no_origin}");
        }
        assert!(same_origin("HTTP://Host:1/a", "http://host:1/b?c"));
        assert!(!same_origin("http://host:1/", "http://host:2/"));
    }

    #[test]
    fn too_long() {
        let url = format!("https://h/{}", "a".repeat(WebUrl::MAX_LEN));
        assert!(matches!(WebUrl::parse(&url), Err(UrlError::TooLong { .. })));
    }

    #[test]
    fn error_messages_are_plain_words() {
        assert_eq!(
            UrlError::NotWebPage {
                scheme: "chrome".into()
            }
            .to_string(),
            "`chrome:` pages are not web pages: the extension only runs on http and https pages"
        );
        assert_eq!(
            UrlError::NoScheme.to_string(),
            "the URL has no scheme: start it with `https://` or `http://`"
        );
    }

    #[test]
    fn display_round_trips() {
        for url in [
            "https://example.com/",
            "http://[::1]:8080/a?b",
            "https://h/a%20b?c",
        ] {
            let u = WebUrl::parse(url).unwrap();
            assert_eq!(u.to_string(), url);
            assert_eq!(WebUrl::parse(&u.to_string()).unwrap(), u);
        }
    }

    #[test]
    fn ip_hosts() {
        assert!(WebUrl::parse("http://127.0.0.1/").unwrap().host_is_ip());
        assert!(WebUrl::parse("http://[::1]/").unwrap().host_is_ip());
        assert!(!WebUrl::parse("http://a.127.0.0.1/").unwrap().host_is_ip());
    }

    #[test]
    fn ipv6_text_form() {
        let cases = [
            ("::", "::"),
            ("::1", "::1"),
            ("1::", "1::"),
            ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
            ("1:0:0:2:0:0:3:4", "1::2:0:0:3:4"),
            ("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"),
            ("ABCD:ef01::", "abcd:ef01::"),
        ];
        for (input, want) in cases {
            let addr: Ipv6Addr = input.parse().unwrap();
            assert_eq!(ipv6_to_string(&addr), want, "{input}");
        }
    }
}
