//! JivoChat mode's decisions about the real widget's loader, kept apart from the browser:
//! which `<script>` on a page is the site's own JivoChat loader ([`site_loader`]), when to
//! inject ours or attach to the site's ([`Embedding`]), whether a CSP violation blocked our
//! loader, and how each kind of failure is put to the user.
//!
//! ```
//! use jwi_core::jivochat::{site_loader, LoaderFailure, LoaderScript};
//! let template = "https://code.jivosite.com/widget/{id}";
//! assert!(site_loader(&LoaderScript::src("https://code.jivosite.com/widget/AbC123"), template).is_some());
//! assert!(site_loader(&LoaderScript::src("https://cdn.example.com/app.js"), template).is_none());
//! assert_eq!(
//!     LoaderFailure::Timeout { seconds: 15 }.to_string(),
//!     "the widget did not call jivo_onLoadCallback within 15 s"
//! );
//! ```

use core::fmt;

use serde_json::Value;

use crate::api::call::{is_function_marker, RawCall};

mod embedding;
mod hold_back;
mod loader;
mod stand_in;
mod watch;

pub use embedding::{
    EmbedAction, EmbedConfig, EmbedEvent, EmbedMode, EmbedNotice, Embedding, OwnWidget, Phase,
    WidgetState, DEFAULT_GRACE_MS, MAX_GRACE_MS,
};
pub use hold_back::{
    hold_back_rules, use_mine_rule, with_use_mine_rule, NetAction, NetCondition, NetRule,
    FIRST_RULE_ID, LOADER_DOMAINS, LOADER_REGEX,
};
pub use loader::{site_loader, LoaderForm, LoaderScript, SiteLoader, JIVO_LOADER_HOSTS};
pub use stand_in::{stand_in_rules, STAND_IN_RULE_IDS};
pub use watch::{StateRead, StateWatch, WatchStep};

/// The widget id a loader URL names: its last path segment, without query or fragment
/// (`https://code.jivosite.com/widget/AbC123?x` → `AbC123`); `None` when the path has none.
///
/// Two loaders on one page may name the same widget twice or two different widgets; the
/// integration checks (`checks`) say which.
pub fn loader_widget_id(src: &str) -> Option<&str> {
    let src = src.trim();
    let rest = src.split_once("//").map_or(src, |(_, r)| r);
    let path = rest.split(['?', '#']).next().unwrap_or(rest);
    let (_, path) = path.split_once('/')?;
    path.rsplit('/').find(|s| !s.is_empty())
}

/// Whether a `securitypolicyviolation` with this `blockedURI` is about the widget: the loader
/// itself, or what the loader fetches from its own origin (JivoChat's loader adds the widget's
/// bundle from the page's world, where the page's CSP applies).
///
/// Browsers report the blocked URL in full or, for cross-origin URLs in some cases, only its
/// origin; both count.
pub fn violation_blocks(blocked_uri: &str, loader_url: &str) -> bool {
    if blocked_uri.is_empty() {
        return false;
    }
    blocked_uri == loader_url || crate::site_rule::same_origin(blocked_uri, loader_url)
}

/// Why the real widget could not be put on a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoaderFailure {
    /// JivoChat mode without a widget ID.
    NoWidgetId,
    /// The page's Content-Security-Policy refused the loader script.
    BlockedByCsp {
        /// The directive that refused it, e.g. `script-src-elem`.
        directive: String,
    },
    /// The loader request failed: an HTTP error or no answer at all.
    Fetch {
        /// What the background saw fetching the same URL ("HTTP 404 Not Found", "network error").
        detail: String,
    },
    /// The loader loaded but the widget never called `jivo_onLoadCallback`.
    Timeout {
        /// The configured timeout (`loaderTimeoutMs`), in whole seconds.
        seconds: u32,
    },
}

impl fmt::Display for LoaderFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoaderFailure::NoWidgetId => {
                f.write_str("JivoChat mode needs a widget ID: set widgetId in the settings")
            }
            LoaderFailure::BlockedByCsp { directive } if directive.is_empty() => {
                f.write_str("the page's Content-Security-Policy blocked the loader")
            }
            LoaderFailure::BlockedByCsp { directive } => {
                write!(
                    f,
                    "the page's Content-Security-Policy blocked the loader ({directive})"
                )
            }
            LoaderFailure::Fetch { detail } => {
                write!(f, "the loader could not be loaded: {detail}")
            }
            LoaderFailure::Timeout { seconds } => {
                write!(
                    f,
                    "the widget did not call jivo_onLoadCallback within {seconds} s"
                )
            }
        }
    }
}

/// The arguments a console call passes to the real widget: the validated call's arguments
/// without its function stand-ins (`{"$function": true}`), because the page shim appends its own
/// function to `getVisitorNumber` and `isCallbackEnabled` to catch the widget's answer. Passing
/// the stand-in on would give the widget an object where the reference has the callback.
pub fn widget_args(call: &RawCall) -> Vec<Value> {
    call.args
        .iter()
        .filter(|a| !is_function_marker(a))
        .cloned()
        .collect()
}

/// Puts an HTTP answer to the loader request in plain words; `None` means it succeeded.
pub fn describe_http_status(status: u16, status_text: &str) -> Option<String> {
    if (200..300).contains(&status) {
        return None;
    }
    let text = status_text.trim();
    Some(if text.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status} {text}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widget_ids_are_the_last_path_segment() {
        for (src, id) in [
            ("https://code.jivosite.com/widget/AbC123", Some("AbC123")),
            ("//code.jivosite.com/widget/AbC123/?v=2#x", Some("AbC123")),
            ("https://code.jivo.ru/widget/xyz", Some("xyz")),
            ("http://127.0.0.1:8080/loader/abc.js", Some("abc.js")),
            ("https://code.jivosite.com", None),
            ("https://code.jivosite.com/", None),
            ("", None),
        ] {
            assert_eq!(loader_widget_id(src), id, "{src}");
        }
    }

    #[test]
    fn violations_match_the_full_url_or_its_origin() {
        let url = "http://127.0.0.1:9000/loader/abc.js";
        assert!(violation_blocks(url, url));
        assert!(violation_blocks("http://127.0.0.1:9000", url));
        assert!(violation_blocks("http://127.0.0.1:9000/", url));
        assert!(!violation_blocks("http://127.0.0.1:9001", url));
        assert!(violation_blocks(
            "http://127.0.0.1:9000/bundle/widget.js",
            url
        ));
        assert!(!violation_blocks(
            "http://127.0.0.1:9001/loader/abc.js",
            url
        ));
        assert!(!violation_blocks("", url));
        assert!(!violation_blocks("inline", url));
        assert!(!violation_blocks("eval", url));
    }

    #[test]
    fn widget_args_leave_the_callback_to_the_shim() {
        use crate::api::call::{function_marker, ApiCall};
        use crate::api::Method;
        use serde_json::json;
        let number = ApiCall::from_args(Method::GetVisitorNumber, &[function_marker()])
            .unwrap()
            .to_raw();
        assert_eq!(widget_args(&number), Vec::<Value>::new());
        let enabled = ApiCall::IsCallbackEnabled.to_raw();
        assert_eq!(widget_args(&enabled), Vec::<Value>::new());
        let open = ApiCall::from_args(Method::Open, &[json!({"start": "call"})])
            .unwrap()
            .to_raw();
        assert_eq!(widget_args(&open), vec![json!({"start": "call"})]);
    }

    #[test]
    fn failures_read_as_plain_words() {
        assert_eq!(
            LoaderFailure::BlockedByCsp {
                directive: "script-src-elem".into()
            }
            .to_string(),
            "the page's Content-Security-Policy blocked the loader (script-src-elem)"
        );
        assert_eq!(
            LoaderFailure::Fetch {
                detail: "HTTP 404 Not Found".into()
            }
            .to_string(),
            "the loader could not be loaded: HTTP 404 Not Found"
        );
        assert_eq!(describe_http_status(200, "OK"), None);
        assert_eq!(
            describe_http_status(404, "Not Found").as_deref(),
            Some("HTTP 404 Not Found")
        );
        assert_eq!(describe_http_status(500, "").as_deref(), Some("HTTP 500"));
    }
}
