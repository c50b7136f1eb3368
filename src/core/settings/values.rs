//! The typed value of each setting that is more than a number or a flag.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::Reason;
use crate::jivochat::DEFAULT_GRACE_MS;
use crate::site_rule::{SiteRules, UrlError, WebUrl};

/// Which widget the extension puts on matched pages (`mode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The built-in sandbox widget: the whole Widget API, no JivoChat account needed.
    #[default]
    Sandbox,
    /// The real JivoChat widget, loaded from [`LoaderUrl`] with the configured [`WidgetId`].
    JivoChat,
}

impl Mode {
    /// The value as written in the settings document: `sandbox` or `jivochat`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Sandbox => "sandbox",
            Mode::JivoChat => "jivochat",
        }
    }

    /// The mode written as `name` in the settings document, if it is one.
    pub fn from_name(name: &str) -> Option<Mode> {
        match name {
            "sandbox" => Some(Mode::Sandbox),
            "jivochat" => Some(Mode::JivoChat),
            _ => None,
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A JivoChat widget ID (`widgetId`): 4 to 64 ASCII letters, digits, `_` or `-`, so it can go
/// into the loader URL as it is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WidgetId(String);

impl WidgetId {
    /// The shortest widget ID accepted.
    pub const MIN_LEN: usize = 4;
    /// The longest widget ID accepted.
    pub const MAX_LEN: usize = 64;

    /// Checks a widget ID; the error is the reason, worded to follow the key name
    /// (`widgetId: must be …`).
    pub fn parse(id: &str) -> Result<WidgetId, Reason> {
        if let Some(ch) = id
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        {
            let ch = ch.escape_default().to_string();
            return Err(Reason::new(
                format!(
                    "has `{ch}`, which a widget ID cannot contain: use letters, digits, `_` or \
                     `-` (copy the ID from the end of your JivoChat code's URL)"
                ),
                "err_widget_id_char",
                vec![ch],
            ));
        }
        let len = id.len();
        if !(WidgetId::MIN_LEN..=WidgetId::MAX_LEN).contains(&len) {
            let (min, max) = (WidgetId::MIN_LEN, WidgetId::MAX_LEN);
            return Err(Reason::new(
                format!("must be {min} to {max} characters long, got {len}"),
                "err_widget_id_len",
                vec![min.to_string(), max.to_string(), len.to_string()],
            ));
        }
        Ok(WidgetId(id.to_owned()))
    }

    /// The ID.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WidgetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The JivoChat loader URL template (`loaderUrl`): an absolute http(s) URL with a host, in which
/// `{id}` (exactly once) stands for the widget ID.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LoaderUrl(String);

impl LoaderUrl {
    /// The default template: JivoChat's own loader.
    pub const DEFAULT: &'static str = "https://code.jivosite.com/widget/{id}";
    /// The placeholder replaced by the widget ID.
    pub const PLACEHOLDER: &'static str = "{id}";
    /// The longest template accepted, in characters.
    pub const MAX_LEN: usize = 2048;

    /// Checks a template; the error is the reason, worded to follow the key name
    /// (`loaderUrl: must …`).
    pub fn parse(template: &str) -> Result<LoaderUrl, Reason> {
        let len = template.chars().count();
        if len > LoaderUrl::MAX_LEN {
            let max = LoaderUrl::MAX_LEN;
            return Err(Reason::new(
                format!("must be at most {max} characters long, got {len}"),
                "err_loader_too_long",
                vec![max.to_string(), len.to_string()],
            ));
        }
        if template
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(Reason::new(
                "must not contain spaces, tabs or line breaks: percent-encode them (`%20`)",
                "err_loader_space",
                vec![],
            ));
        }
        let count = template.matches(LoaderUrl::PLACEHOLDER).count();
        if count != 1 {
            return Err(Reason::new(
                format!(
                    "must contain `{{id}}` exactly once, where the widget ID goes (as in `{}`); \
                     found it {count} times",
                    LoaderUrl::DEFAULT
                ),
                "err_loader_placeholder",
                vec![LoaderUrl::DEFAULT.to_owned(), count.to_string()],
            ));
        }
        let rest = template.replace(LoaderUrl::PLACEHOLDER, "");
        if rest.contains(['{', '}']) {
            return Err(Reason::new(
                "has `{` or `}` outside `{id}`: `{id}` is the only placeholder",
                "err_loader_braces",
                vec![],
            ));
        }
        let sample = template.replace(LoaderUrl::PLACEHOLDER, "abcd");
        match WebUrl::parse(&sample) {
            Ok(_) => Ok(LoaderUrl(template.to_owned())),
            Err(UrlError::NoScheme | UrlError::NoSlashes { .. }) => Err(Reason::new(
                format!(
                    "must be an absolute URL starting with `https://` or `http://`, as in `{}`",
                    LoaderUrl::DEFAULT
                ),
                "err_loader_absolute",
                vec![LoaderUrl::DEFAULT.to_owned()],
            )),
            Err(UrlError::NotWebPage { scheme }) => Err(Reason::new(
                format!("must be an `https://` or `http://` URL, got a `{scheme}:` URL"),
                "err_loader_scheme",
                vec![scheme],
            )),
            Err(UrlError::NoHost) => Err(Reason::new(
                format!(
                    "must have a host after `//`, as in `{}`",
                    LoaderUrl::DEFAULT
                ),
                "err_loader_host",
                vec![LoaderUrl::DEFAULT.to_owned()],
            )),
            Err(e) => Err(Reason::new(
                format!("is not a valid URL: {e}"),
                "err_loader_invalid",
                vec![e.to_string()],
            )),
        }
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL of the loader script for a widget: the template with `{id}` replaced.
    pub fn loader_url_for(&self, widget_id: &WidgetId) -> String {
        self.0.replace(LoaderUrl::PLACEHOLDER, widget_id.as_str())
    }
}

impl Default for LoaderUrl {
    fn default() -> Self {
        LoaderUrl(LoaderUrl::DEFAULT.to_owned())
    }
}

impl fmt::Display for LoaderUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The `log` object: limits of the per-tab event log kept by the background.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LogConfig {
    /// How many events one tab's log keeps; the oldest are dropped first.
    pub max_entries: u32,
}

impl LogConfig {
    /// The smallest `log.maxEntries` accepted.
    pub const MIN_MAX_ENTRIES: u32 = 100;
    /// The largest `log.maxEntries` accepted.
    pub const MAX_MAX_ENTRIES: u32 = 20_000;
    /// The default `log.maxEntries`.
    pub const DEFAULT_MAX_ENTRIES: u32 = 2_000;
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            max_entries: LogConfig::DEFAULT_MAX_ENTRIES,
        }
    }
}

/// The `siteWidget` object: what to do about a page's own JivoChat widget.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteWidgetConfig {
    /// `graceMs`: how long after the window's `load` event JivoChat mode still waits for the
    /// page's own widget before injecting the configured one.
    pub grace_ms: u32,
    /// `useMineOn`: the pages (site rules) where the site's own JivoChat loader is held back and
    /// the configured widget used instead ("use my widget here").
    pub use_mine_on: SiteRules,
    /// `sandboxStandIn`: in sandbox mode, whether the sandbox stands in for a page's own
    /// JivoChat (its loader held back) or stays out of such a page.
    pub sandbox_stand_in: bool,
}

impl SiteWidgetConfig {
    /// The largest `siteWidget.graceMs` accepted.
    pub const MAX_GRACE_MS: u32 = crate::jivochat::MAX_GRACE_MS;

    /// Whether "use my widget here" is on for the page at `url`.
    pub fn uses_mine_on(&self, url: &str) -> bool {
        self.use_mine_on.matches(url).is_some()
    }
}

impl Default for SiteWidgetConfig {
    fn default() -> Self {
        SiteWidgetConfig {
            grace_ms: DEFAULT_GRACE_MS,
            use_mine_on: SiteRules::default(),
            sandbox_stand_in: true,
        }
    }
}
