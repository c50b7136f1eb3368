//! Recognising a page's own JivoChat loader from one `<script>` tag, so that JivoChat mode
//! attaches to the site's widget instead of injecting a second one, and the sandbox knows the
//! page has a widget of its own.
//!
//! A script is a site loader when it loads
//!
//! - from one of JivoChat's loader hosts ([`JIVO_LOADER_HOSTS`], or a regional
//!   `code-<region>.jivosite.com` such as `code-eu1.jivosite.com`), over any scheme or
//!   protocol-relative (`//code.jivosite.com/…`), with any query and fragment, one of the paths
//!   `/widget/<id>`, `/script/widget/<id>`, `/script/geo-widget/<id>`, or `/widget.js` with the
//!   widget ID in a `data-jv-id` or `jv-id` attribute; or
//! - from the configured `loaderUrl` template, `{id}` standing for any run of characters
//!   within one path segment, query and fragment ignored (a self-hosted or proxied loader).
//!   When `{id}` is in the template's query instead (`…/loader.js?widget={id}`) the path must
//!   match exactly and the ID is read from that query parameter, if present.
//!
//! Hosts compare case-insensitively (a trailing dot and the scheme's default port ignored);
//! paths compare exactly. A URL with user info (`https://a@b/…`) is never a loader: no real
//! embed has one, and it is the usual way to dress one host up as another.
//!
//! ```
//! use jwi_core::jivochat::{site_loader, LoaderForm, LoaderScript};
//!
//! let found = site_loader(
//!     &LoaderScript::src("//code-eu1.jivosite.com/widget/AbC123?v=2"),
//!     "https://code.jivosite.com/widget/{id}",
//! )
//! .expect("a JivoChat loader");
//! assert_eq!(found.widget_id.as_deref(), Some("AbC123"));
//! assert_eq!(found.form, LoaderForm::Widget);
//!
//! let tag = LoaderScript { src: "https://code.jivo.ru/widget.js", data_jv_id: Some("xYz987"), jv_id: None };
//! assert_eq!(site_loader(&tag, "").unwrap().widget_id.as_deref(), Some("xYz987"));
//!
//! assert_eq!(site_loader(&LoaderScript::src("https://code.jivosite.com.evil.example/widget/x"), ""), None);
//! ```

use serde::{Deserialize, Serialize};

use crate::settings::LoaderUrl;

/// JivoChat's loader hosts, besides the regional `code-<region>.jivosite.com`.
pub const JIVO_LOADER_HOSTS: [&str; 3] = ["code.jivosite.com", "code.jivo.ru", "code.jivochat.com"];

/// What the shell reads from one `<script>` element.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoaderScript<'a> {
    /// The `src`, best resolved against the page (`script.src`); protocol-relative works too.
    pub src: &'a str,
    /// The `data-jv-id` attribute, if present.
    pub data_jv_id: Option<&'a str>,
    /// The `jv-id` attribute, if present.
    pub jv_id: Option<&'a str>,
}

impl<'a> LoaderScript<'a> {
    /// A script with this `src` and no ID attributes.
    pub fn src(src: &'a str) -> Self {
        LoaderScript {
            src,
            ..LoaderScript::default()
        }
    }

    /// The widget ID from the attributes: `data-jv-id`, else `jv-id`, trimmed, if not empty.
    fn attribute_id(&self) -> Option<&'a str> {
        [self.data_jv_id, self.jv_id]
            .into_iter()
            .flatten()
            .map(str::trim)
            .find(|id| !id.is_empty())
    }
}

/// Which form of loader a script matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LoaderForm {
    /// `code….jivosite.com/widget/<id>` and the other JivoChat hosts.
    Widget,
    /// `/script/widget/<id>` on a JivoChat host.
    ScriptWidget,
    /// `/script/geo-widget/<id>` on a JivoChat host.
    GeoWidget,
    /// `/widget.js` on a JivoChat host, the ID in `data-jv-id` or `jv-id`.
    WidgetJs,
    /// The configured `loaderUrl` template (self-hosted or proxied).
    Configured,
}

impl LoaderForm {
    /// The name used in the event log: `widget`, `scriptWidget`, `geoWidget`, `widgetJs`,
    /// `configured`.
    pub fn name(self) -> &'static str {
        match self {
            LoaderForm::Widget => "widget",
            LoaderForm::ScriptWidget => "scriptWidget",
            LoaderForm::GeoWidget => "geoWidget",
            LoaderForm::WidgetJs => "widgetJs",
            LoaderForm::Configured => "configured",
        }
    }
}

/// A page's own JivoChat loader, as recognised from its `<script>` tag.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteLoader {
    /// The widget ID, when the URL or the tag says it.
    pub widget_id: Option<String>,
    /// The script's `src`, trimmed.
    pub url: String,
    /// Which form matched.
    pub form: LoaderForm,
}

/// Whether `script` is a JivoChat widget loader (see the [module documentation](self)):
/// one of JivoChat's own, or one matching `template`, the configured `loaderUrl` (pass `""`
/// for none).
pub fn site_loader(script: &LoaderScript<'_>, template: &str) -> Option<SiteLoader> {
    let src = script.src.trim();
    let url = Parts::parse(src)?;
    let found = |widget_id: Option<&str>, form| SiteLoader {
        widget_id: widget_id.map(str::to_owned),
        url: src.to_owned(),
        form,
    };
    if is_jivo_host(&url.host) {
        if let Some(id) = url.path.strip_prefix("/widget/") {
            return is_segment(id).then(|| found(Some(id), LoaderForm::Widget));
        }
        if let Some(id) = url.path.strip_prefix("/script/widget/") {
            return is_segment(id).then(|| found(Some(id), LoaderForm::ScriptWidget));
        }
        if let Some(id) = url.path.strip_prefix("/script/geo-widget/") {
            return is_segment(id).then(|| found(Some(id), LoaderForm::GeoWidget));
        }
        if url.path == "/widget.js" {
            let id = script.attribute_id()?;
            return Some(found(Some(id), LoaderForm::WidgetJs));
        }
    }
    let id = matches_template(&url, template)?;
    let id = id.as_deref().or_else(|| script.attribute_id());
    Some(found(id, LoaderForm::Configured))
}

/// A widget ID as it appears in a loader path: one non-empty path segment.
fn is_segment(id: &str) -> bool {
    !id.is_empty() && !id.contains('/')
}

/// `code.jivosite.com`, `code.jivo.ru`, `code.jivochat.com`, or `code-<region>.jivosite.com`.
fn is_jivo_host(host: &str) -> bool {
    if JIVO_LOADER_HOSTS.contains(&host) {
        return true;
    }
    host.strip_suffix(".jivosite.com")
        .and_then(|label| label.strip_prefix("code-"))
        .is_some_and(|region| {
            !region.is_empty()
                && region
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// The pieces of a URL the rule looks at.
#[derive(Debug, PartialEq, Eq)]
struct Parts<'a> {
    /// Lowercase host with port (default ports and a trailing dot removed).
    host: String,
    /// The path, `/` at least; exact.
    path: &'a str,
    /// The query without `?`, if any.
    query: Option<&'a str>,
}

impl<'a> Parts<'a> {
    /// Splits an absolute (`scheme://…`) or protocol-relative (`//…`) URL. `None` for anything
    /// else, and for URLs with user info or no host.
    fn parse(url: &'a str) -> Option<Parts<'a>> {
        let (scheme, rest) = match url.strip_prefix("//") {
            Some(rest) => ("", rest),
            None => {
                let (scheme, rest) = url.split_once("://")?;
                let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                    && scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
                if !valid {
                    return None;
                }
                (scheme, rest)
            }
        };
        let end = rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if authority.contains('@') || authority.is_empty() {
            return None;
        }
        let (before_fragment, _) = tail.split_once('#').unwrap_or((tail, ""));
        let (path, query) = match before_fragment.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (before_fragment, None),
        };
        let path = if path.is_empty() { "/" } else { path };
        if path.contains('\\') {
            // Browsers read `\` as `/` in web URLs; a loader URL never has one.
            return None;
        }
        let mut host = authority.to_ascii_lowercase();
        // The scheme's default port says nothing; a protocol-relative URL has the page's
        // scheme, http or https.
        for (port, for_scheme) in [(":443", "https"), (":80", "http")] {
            if (scheme.is_empty() || scheme.eq_ignore_ascii_case(for_scheme))
                && host.ends_with(port)
            {
                host.truncate(host.len() - port.len());
                break;
            }
        }
        let (name, port) = match host.rfind(':') {
            Some(i) if !host[i..].contains(']') => host.split_at(i),
            _ => (host.as_str(), ""),
        };
        let host = format!("{}{port}", name.strip_suffix('.').unwrap_or(name));
        if host.is_empty() || host.starts_with(':') {
            return None;
        }
        Some(Parts { host, path, query })
    }
}

/// Whether `url` matches the `loaderUrl` template: `None` if not, else the ID it says, if any.
fn matches_template(url: &Parts<'_>, template: &str) -> Option<Option<String>> {
    let template = template.trim();
    if template.is_empty() {
        return None;
    }
    let t = Parts::parse(template)?;
    let mut id = None;
    if t.host.contains(LoaderUrl::PLACEHOLDER) {
        id = Some(wildcard(&t.host, &url.host, '.')?);
    } else if t.host != url.host {
        return None;
    }
    if t.path.contains(LoaderUrl::PLACEHOLDER) {
        id = Some(wildcard(t.path, url.path, '/')?);
    } else if t.path != url.path {
        return None;
    }
    if id.is_none() {
        // `{id}` in the query (`?widget={id}`): the ID, if the script's query has that key.
        let key = t.query.and_then(|q| {
            q.split('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(_, v)| *v == LoaderUrl::PLACEHOLDER)
                .map(|(k, _)| k)
        });
        id = key.and_then(|key| {
            url.query?
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(k, v)| *k == key && !v.is_empty())
                .map(|(_, v)| v)
        });
    }
    Some(id.map(str::to_owned))
}

/// What `{id}` in `pattern` stands for in `text`: the rest must match exactly, and the ID is
/// not empty and has no `sep` (it stays within one path segment or host label).
fn wildcard<'t>(pattern: &str, text: &'t str, sep: char) -> Option<&'t str> {
    let (before, after) = pattern.split_once(LoaderUrl::PLACEHOLDER)?;
    let id = text.strip_prefix(before)?.strip_suffix(after)?;
    (!id.is_empty() && !id.contains(sep) && !id.contains('/')).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: &str = LoaderUrl::DEFAULT;

    fn tag<'a>(
        src: &'a str,
        data_jv_id: Option<&'a str>,
        jv_id: Option<&'a str>,
    ) -> LoaderScript<'a> {
        LoaderScript {
            src,
            data_jv_id,
            jv_id,
        }
    }

    #[test]
    fn every_form_of_site_loader_is_recognised() {
        use LoaderForm::*;
        let cases: &[(LoaderScript<'_>, &str, Option<&str>, LoaderForm)] = &[
            (
                LoaderScript::src("https://code.jivosite.com/widget/AbC123"),
                DEFAULT,
                Some("AbC123"),
                Widget,
            ),
            (
                LoaderScript::src("http://code.jivosite.com/widget/AbC123"),
                DEFAULT,
                Some("AbC123"),
                Widget,
            ),
            (
                LoaderScript::src("//code.jivosite.com/widget/AbC123"),
                DEFAULT,
                Some("AbC123"),
                Widget,
            ),
            (
                LoaderScript::src("  https://CODE.JivoSite.COM/widget/AbC123  "),
                DEFAULT,
                Some("AbC123"),
                Widget,
            ),
            (
                LoaderScript::src("https://code.jivosite.com./widget/AbC123"),
                DEFAULT,
                Some("AbC123"),
                Widget,
            ),
            (
                LoaderScript::src("https://code.jivosite.com:443/widget/AbC123"),
                DEFAULT,
                Some("AbC123"),
                Widget,
            ),
            (
                LoaderScript::src("https://code.jivosite.com/widget/AbC123?v=2&x=1#frag"),
                DEFAULT,
                Some("AbC123"),
                Widget,
            ),
            (
                LoaderScript::src("https://code.jivosite.com/widget/AbC123#x"),
                "",
                Some("AbC123"),
                Widget,
            ),
            (
                LoaderScript::src("https://code.jivo.ru/widget/zz_99-Q"),
                "",
                Some("zz_99-Q"),
                Widget,
            ),
            (
                LoaderScript::src("https://code.jivochat.com/widget/AbC123"),
                "",
                Some("AbC123"),
                Widget,
            ),
            (
                LoaderScript::src("https://code-eu1.jivosite.com/widget/AbC123"),
                "",
                Some("AbC123"),
                Widget,
            ),
            (
                LoaderScript::src("//code-ru-2.jivosite.com/widget/AbC123"),
                "",
                Some("AbC123"),
                Widget,
            ),
            (
                LoaderScript::src("https://code.jivosite.com/script/widget/AbC123"),
                "",
                Some("AbC123"),
                ScriptWidget,
            ),
            (
                LoaderScript::src("https://code.jivo.ru/script/geo-widget/AbC123?lang=ru"),
                "",
                Some("AbC123"),
                GeoWidget,
            ),
            (
                tag("https://code.jivosite.com/widget.js", Some("AbC123"), None),
                "",
                Some("AbC123"),
                WidgetJs,
            ),
            (
                tag(
                    "https://code.jivosite.com/widget.js?v=1",
                    None,
                    Some(" AbC123 "),
                ),
                "",
                Some("AbC123"),
                WidgetJs,
            ),
            (
                tag(
                    "//code-eu1.jivosite.com/widget.js",
                    Some(""),
                    Some("AbC123"),
                ),
                "",
                Some("AbC123"),
                WidgetJs,
            ),
            // The path's ID wins over an attribute.
            (
                tag(
                    "https://code.jivosite.com/widget/FromPath",
                    Some("FromAttr"),
                    None,
                ),
                "",
                Some("FromPath"),
                Widget,
            ),
            // The configured template, `{id}` a wildcard within one segment.
            (
                LoaderScript::src("http://127.0.0.1:8080/loader/abc.js"),
                "http://127.0.0.1:8080/loader/{id}.js",
                Some("abc"),
                Configured,
            ),
            (
                LoaderScript::src("HTTP://127.0.0.1:8080/loader/abc.js?cache=1#x"),
                "http://127.0.0.1:8080/loader/{id}.js",
                Some("abc"),
                Configured,
            ),
            (
                LoaderScript::src("https://proxy.example/jivo/AbC123"),
                "https://PROXY.example/jivo/{id}",
                Some("AbC123"),
                Configured,
            ),
            (
                LoaderScript::src("//proxy.example/jivo/AbC123"),
                "https://proxy.example/jivo/{id}",
                Some("AbC123"),
                Configured,
            ),
            (
                LoaderScript::src("https://proxy.example/jivo/AbC123"),
                "https://proxy.example:443/jivo/{id}",
                Some("AbC123"),
                Configured,
            ),
            // `{id}` in the query: the path must match, the ID comes from that parameter.
            (
                LoaderScript::src("https://cdn.example.org/jivo/loader.js?widget=AbC123&v=3"),
                "https://cdn.example.org/jivo/loader.js?widget={id}",
                Some("AbC123"),
                Configured,
            ),
            (
                LoaderScript::src("https://cdn.example.org/jivo/loader.js"),
                "https://cdn.example.org/jivo/loader.js?widget={id}",
                None,
                Configured,
            ),
            (
                tag(
                    "https://cdn.example.org/jivo/loader.js",
                    Some("AbC123"),
                    None,
                ),
                "https://cdn.example.org/jivo/loader.js?widget={id}",
                Some("AbC123"),
                Configured,
            ),
            // A resolved loader URL (no `{id}`) as the template matches itself.
            (
                LoaderScript::src("http://127.0.0.1:9000/l.js?x=1"),
                "http://127.0.0.1:9000/l.js",
                None,
                Configured,
            ),
            // IPv6 hosts keep their brackets and port.
            (
                LoaderScript::src("http://[::1]:8080/jivo/abcd"),
                "http://[::1]:8080/jivo/{id}",
                Some("abcd"),
                Configured,
            ),
        ];
        for (script, template, id, form) in cases {
            let found = site_loader(script, template)
                .unwrap_or_else(|| panic!("{script:?} with {template:?} is a loader"));
            assert_eq!(found.widget_id.as_deref(), *id, "{script:?}");
            assert_eq!(found.form, *form, "{script:?}");
            assert_eq!(found.url, script.src.trim());
        }
    }

    #[test]
    fn near_misses_are_not_loaders() {
        let cases: &[(LoaderScript<'_>, &str)] = &[
            (LoaderScript::src(""), DEFAULT),
            (LoaderScript::src("https://cdn.example.com/app.js"), DEFAULT),
            (
                LoaderScript::src("https://evil.example/code.jivosite.com/widget/x"),
                DEFAULT,
            ),
            (
                LoaderScript::src("https://code.jivosite.com.evil.example/widget/x"),
                DEFAULT,
            ),
            (
                LoaderScript::src("https://code.jivosite.com@evil.example/widget/x"),
                DEFAULT,
            ),
            (
                LoaderScript::src("https://evil.example@code.jivosite.com/widget/x"),
                DEFAULT,
            ),
            (
                LoaderScript::src("https://user:pw@code.jivosite.com/widget/x"),
                DEFAULT,
            ),
            (
                LoaderScript::src("https://evil.example?code.jivosite.com/widget/x"),
                DEFAULT,
            ),
            (
                LoaderScript::src("https://evil.example#//code.jivosite.com/widget/x"),
                DEFAULT,
            ),
            (
                LoaderScript::src("https://evil.example\\@code.jivosite.com/widget/x"),
                DEFAULT,
            ),
            (
                LoaderScript::src("https://xcode.jivosite.com/widget/x"),
                DEFAULT,
            ),
            (
                LoaderScript::src("https://code.jivosite.co/widget/x"),
                DEFAULT,
            ),
            (
                LoaderScript::src("https://cdn.jivosite.com/widget/x"),
                DEFAULT,
            ),
            (
                LoaderScript::src("https://code-.jivosite.com/widget/x"),
                DEFAULT,
            ),
            (
                LoaderScript::src("https://code-eu1.jivosite.com.evil.example/widget/x"),
                DEFAULT,
            ),
            (
                LoaderScript::src("https://code-eu_1.jivosite.com/widget/x"),
                DEFAULT,
            ),
            (
                LoaderScript::src("https://code-eu1.jivo.ru/widget/x"),
                DEFAULT,
            ),
            (
                LoaderScript::src("https://code.jivosite.com/widget/"),
                DEFAULT,
            ),
            (
                LoaderScript::src("https://code.jivosite.com/widget/a/b"),
                DEFAULT,
            ),
            (
                LoaderScript::src("https://code.jivosite.com/widgets/x"),
                DEFAULT,
            ),
            (
                LoaderScript::src("https://code.jivosite.com/Widget/x"),
                DEFAULT,
            ),
            (
                LoaderScript::src("https://code.jivosite.com/x/widget/AbC123"),
                DEFAULT,
            ),
            (
                LoaderScript::src("https://code.jivosite.com/widget.js"),
                DEFAULT,
            ),
            (
                tag("https://code.jivosite.com/widget.js", Some("  "), None),
                DEFAULT,
            ),
            (
                tag("https://code.jivosite.com/other.js", Some("AbC123"), None),
                DEFAULT,
            ),
            (LoaderScript::src("code.jivosite.com/widget/x"), DEFAULT),
            (LoaderScript::src("/widget/x"), DEFAULT),
            (
                LoaderScript::src("data:text/javascript,code.jivosite.com/widget/x"),
                DEFAULT,
            ),
            (
                LoaderScript::src("1http://code.jivosite.com/widget/x"),
                DEFAULT,
            ),
            // The configured template's near misses.
            (
                LoaderScript::src("http://127.0.0.1:8080/loader/a/b.js"),
                "http://127.0.0.1:8080/loader/{id}.js",
            ),
            (
                LoaderScript::src("http://127.0.0.1:8080/loader/.js"),
                "http://127.0.0.1:8080/loader/{id}.js",
            ),
            (
                LoaderScript::src("http://127.0.0.1:8081/loader/abc.js"),
                "http://127.0.0.1:8080/loader/{id}.js",
            ),
            (
                LoaderScript::src("http://127.0.0.1/loader/abc.js"),
                "http://127.0.0.1:8080/loader/{id}.js",
            ),
            (
                LoaderScript::src("http://127.0.0.1:8080/Loader/abc.js"),
                "http://127.0.0.1:8080/loader/{id}.js",
            ),
            (
                LoaderScript::src("https://proxy.example.evil/jivo/AbC123"),
                "https://proxy.example/jivo/{id}",
            ),
            (
                LoaderScript::src("https://evil.example/proxy.example/jivo/AbC123"),
                "https://proxy.example/jivo/{id}",
            ),
            (
                LoaderScript::src("https://proxy.example@evil.example/jivo/AbC123"),
                "https://proxy.example/jivo/{id}",
            ),
            (
                LoaderScript::src("https://cdn.example.org/jivo/other.js?widget=AbC123"),
                "https://cdn.example.org/jivo/loader.js?widget={id}",
            ),
            (
                LoaderScript::src("https://cdn.example.org/jivo/loader.js"),
                "",
            ),
            (
                LoaderScript::src("https://cdn.example.org/jivo/loader.js"),
                "not a url {id}",
            ),
        ];
        for (script, template) in cases {
            assert_eq!(
                site_loader(script, template),
                None,
                "{script:?} with {template:?}"
            );
        }
    }
}
