//! The settings: one JSON document (see `docs/settings.md`), read and validated into typed
//! [`Settings`] once, at the edge, with every problem reported against its key.
//!
//! The document lives in `storage.local` under
//! [`storage_keys::SETTINGS`](crate::storage_keys::SETTINGS); an administrator may set any
//! subset of it in `storage.managed`, and those values win and are locked
//! ([`EffectiveSettings`]). The export file is exactly this document.
//!
//! ```
//! use jwi_core::settings::{Mode, Settings};
//!
//! let settings = Settings::from_json(
//!     r#"{"mode": "jivochat", "widgetId": "aBc123", "sites": ["https://*.example.com/*"]}"#,
//! )?;
//! assert_eq!(settings.mode(), Mode::JivoChat);
//! assert_eq!(
//!     settings.jivochat_loader_url().as_deref(),
//!     Some("https://code.jivosite.com/widget/aBc123")
//! );
//! assert_eq!(settings.spa().settle_ms, 500); // missing keys take their defaults
//! assert_eq!(Settings::from_json(&settings.to_json())?, settings);
//!
//! let err = Settings::from_json(r#"{"spa": {"settleMs": 20000}, "mode": "live"}"#).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "mode: must be \"sandbox\" or \"jivochat\", got the text \"live\"; \
//!      spa.settleMs: must be an integer from 0 to 10000, got 20000"
//! );
//! # Ok::<(), jwi_core::settings::SettingsError>(())
//! ```

mod document;
mod error;
mod managed;
mod status;
mod values;
mod written;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::site_rule::SiteRules;
use crate::spa::SpaConfig;

pub use error::{FieldError, Reason, SettingsError};
pub use managed::{apply_update, EffectiveSettings};
pub use status::SettingsStatus;
pub use values::{LoaderUrl, LogConfig, Mode, SiteWidgetConfig, WidgetId};

/// The largest settings document accepted, in bytes of JSON text (256 KiB). Import files and
/// storage writes come from outside, so this is checked before anything else.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;
/// The most site rules `sites` may hold.
pub const MAX_SITES: usize = 200;
/// The default `loaderTimeoutMs`.
pub const DEFAULT_LOADER_TIMEOUT_MS: u32 = 15_000;
/// The smallest `loaderTimeoutMs` accepted.
pub const MIN_LOADER_TIMEOUT_MS: u32 = 1_000;
/// The largest `loaderTimeoutMs` accepted.
pub const MAX_LOADER_TIMEOUT_MS: u32 = 120_000;
/// Every path a managed document can lock, in document order.
pub const PATHS: [&str; 14] = [
    "mode",
    "widgetId",
    "loaderUrl",
    "sites",
    "spa.enabled",
    "spa.settleMs",
    "spa.hash",
    "spa.titleOnly",
    "spa.reportIntervalMs",
    "log.maxEntries",
    "loaderTimeoutMs",
    "siteWidget.graceMs",
    "siteWidget.useMineOn",
    "siteWidget.sandboxStandIn",
];

/// The settings, typed and valid by construction: every value is in range, and `jivochat` mode
/// always has a widget ID. Build them with [`Settings::from_json`] or [`Settings::from_value`]
/// (or take [`Settings::default`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    mode: Mode,
    widget_id: Option<WidgetId>,
    loader_url: LoaderUrl,
    sites: SiteRules,
    spa: SpaConfig,
    log: LogConfig,
    loader_timeout_ms: u32,
    site_widget: SiteWidgetConfig,
}

impl Settings {
    /// Reads a settings document from JSON text (an import file, a storage value): size limit
    /// first, then JSON, then every key. Missing keys take their defaults; unknown keys, wrong
    /// types and bad values are all reported.
    pub fn from_json(text: &str) -> Result<Settings, SettingsError> {
        if text.len() > MAX_DOCUMENT_BYTES {
            return Err(document::too_large(Some(text.len())).into());
        }
        let doc: Value = serde_json::from_str(text).map_err(|e| {
            SettingsError::from(
                FieldError::new("", format!("the settings are not valid JSON: {e}"))
                    .keyed("err_not_json", vec![e.to_string()]),
            )
        })?;
        Settings::from_value(&doc)
    }

    /// Reads a settings document already parsed as JSON (as `storage.local` hands it over).
    pub fn from_value(doc: &Value) -> Result<Settings, SettingsError> {
        match managed::read_user_document(doc, &document::Layer::default()) {
            Ok(layer) => Ok(layer.fill()),
            Err(errors) => Err(SettingsError::from_errors(errors)
                .unwrap_or_else(|| SettingsError::single("", "the settings are not valid"))),
        }
    }

    /// The canonical document: every key, defaults written out, site rules in canonical form.
    /// [`Settings::from_value`] gives back equal settings.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self.document()).unwrap_or(Value::Null)
    }

    /// The canonical document as compact JSON text, keys in document order.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.document()).unwrap_or_default()
    }

    /// The canonical document as indented JSON text with a final newline: the export file.
    pub fn to_json_pretty(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.document()).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The canonical document as a serialisable view, fields in document order.
    fn document(&self) -> written::Document<'_> {
        written::Document {
            mode: self.mode.as_str(),
            widget_id: self.widget_id.as_ref().map_or("", WidgetId::as_str),
            loader_url: self.loader_url.as_str(),
            sites: self.sites.iter().map(|r| r.as_str()).collect(),
            spa: written::Spa {
                enabled: self.spa.enabled,
                settle_ms: self.spa.settle_ms,
                hash: document::hash_mode_name(self.spa.hash),
                title_only: self.spa.title_only,
                report_interval_ms: self.spa.report_interval_ms,
            },
            log: written::Log {
                max_entries: self.log.max_entries,
            },
            loader_timeout_ms: self.loader_timeout_ms,
            site_widget: written::SiteWidget {
                grace_ms: self.site_widget.grace_ms,
                use_mine_on: self
                    .site_widget
                    .use_mine_on
                    .iter()
                    .map(|r| r.as_str())
                    .collect(),
                sandbox_stand_in: self.site_widget.sandbox_stand_in,
            },
        }
    }

    /// `mode`: which widget goes on matched pages.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// `widgetId`, if one is set (always, in `jivochat` mode).
    pub fn widget_id(&self) -> Option<&WidgetId> {
        self.widget_id.as_ref()
    }

    /// `loaderUrl`: the loader URL template.
    pub fn loader_url(&self) -> &LoaderUrl {
        &self.loader_url
    }

    /// In `jivochat` mode, the URL of the JivoChat loader script to inject; `None` in sandbox
    /// mode.
    pub fn jivochat_loader_url(&self) -> Option<String> {
        match (self.mode, &self.widget_id) {
            (Mode::JivoChat, Some(id)) => Some(self.loader_url.loader_url_for(id)),
            _ => None,
        }
    }

    /// `sites`: the pages the extension runs on.
    pub fn sites(&self) -> &SiteRules {
        &self.sites
    }

    /// `spa`: SPA title/URL tracking options.
    pub fn spa(&self) -> &SpaConfig {
        &self.spa
    }

    /// `log`: per-tab event log limits.
    pub fn log(&self) -> &LogConfig {
        &self.log
    }

    /// `loaderTimeoutMs`: how long `jivochat` mode waits for `jivo_onLoadCallback` before
    /// reporting the loader as failed, in ms.
    pub fn loader_timeout_ms(&self) -> u32 {
        self.loader_timeout_ms
    }

    /// `siteWidget`: what to do about a page's own JivoChat widget.
    pub fn site_widget(&self) -> &SiteWidgetConfig {
        &self.site_widget
    }

    /// What the embedding decision ([`crate::jivochat::Embedding`]) needs for the page at
    /// `url`: the mode, the configured widget, whether "use my widget here" is on for it, and
    /// the grace period.
    pub fn embed_config(&self, url: &str) -> crate::jivochat::EmbedConfig {
        use crate::jivochat::{EmbedConfig, EmbedMode, OwnWidget};
        let mode = match self.mode {
            Mode::Sandbox => EmbedMode::Sandbox {
                stand_in: self.site_widget.sandbox_stand_in,
            },
            Mode::JivoChat => EmbedMode::JivoChat {
                own: self
                    .widget_id
                    .as_ref()
                    .map(|id| OwnWidget::new(id.as_str(), self.loader_url.loader_url_for(id))),
                use_mine_here: self.site_widget.uses_mine_on(url),
            },
        };
        EmbedConfig {
            mode,
            grace_ms: self.site_widget.grace_ms,
        }
    }
}

impl Default for Settings {
    /// Every key at its default: sandbox mode, no widget ID, no sites.
    fn default() -> Self {
        document::Layer::default().fill()
    }
}

/// Settings serialise as their canonical document.
impl Serialize for Settings {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

/// Settings deserialise from a document, with all its problems as the serde error.
impl<'de> Deserialize<'de> for Settings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let doc = Value::deserialize(deserializer)?;
        Settings::from_value(&doc).map_err(serde::de::Error::custom)
    }
}

/// The user's settings document with `rule` added to `siteWidget.useMineOn` ("use my widget
/// here"), every other key as it was; `None` when `rule` is already there. A missing or
/// non-object document counts as empty, a `useMineOn` that is not a list is replaced.
///
/// ```
/// use jwi_core::settings::add_use_mine_rule;
/// use serde_json::json;
/// let doc = json!({"mode": "jivochat", "widgetId": "Mine1", "siteWidget": {"graceMs": 3000}});
/// let new = add_use_mine_rule(&doc, "*://shop.example/*").unwrap();
/// assert_eq!(new["siteWidget"], json!({"graceMs": 3000, "useMineOn": ["*://shop.example/*"]}));
/// assert_eq!(add_use_mine_rule(&new, "*://shop.example/*"), None);
/// ```
pub fn add_use_mine_rule(user_doc: &Value, rule: &str) -> Option<Value> {
    let mut doc = match user_doc {
        Value::Object(o) => o.clone(),
        _ => serde_json::Map::new(),
    };
    let site_widget = doc
        .entry("siteWidget")
        .or_insert_with(|| Value::Object(serde_json::Map::new()));
    if !site_widget.is_object() {
        *site_widget = Value::Object(serde_json::Map::new());
    }
    let map = site_widget.as_object_mut()?;
    let list = map
        .entry("useMineOn")
        .or_insert_with(|| Value::Array(Vec::new()));
    if !list.is_array() {
        *list = Value::Array(Vec::new());
    }
    let items = list.as_array_mut()?;
    if items.iter().any(|v| v.as_str() == Some(rule)) {
        return None;
    }
    items.push(Value::from(rule));
    Some(Value::Object(doc))
}
