use serde::{Deserialize, Serialize};

/// How hash (`#…`) changes count as navigations (`spa.hash` in the settings).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HashMode {
    /// Only hash routes (`#/…` and `#!/…`) are pages; in-page anchors are not.
    #[default]
    Routes,
    /// Every hash change is a page.
    All,
    /// Hash changes are never pages.
    Ignore,
}

/// The `spa` object of the settings: options for title/URL tracking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct SpaConfig {
    /// Whether SPA tracking runs at all.
    pub enabled: bool,
    /// How long after a title or URL change the tracker waits for the other one (ms). The
    /// window starts at the first change and is not extended by later ones; values above
    /// [`SpaConfig::MAX_SETTLE_MS`] are capped.
    pub settle_ms: u32,
    /// Which hash changes count as navigations.
    pub hash: HashMode,
    /// Whether a title change on the same URL is reported on its own.
    pub title_only: bool,
    /// The rate limit: after a burst of [`REPORT_BURST`](super::REPORT_BURST) reports, at most
    /// one report per this many ms (`0`: no limit).
    pub report_interval_ms: u32,
}

impl SpaConfig {
    /// The largest settle window accepted, in ms.
    pub const MAX_SETTLE_MS: u32 = 10_000;
    /// The largest `reportIntervalMs` accepted, in ms.
    pub const MAX_REPORT_INTERVAL_MS: u32 = 60_000;
}

impl Default for SpaConfig {
    fn default() -> Self {
        SpaConfig {
            enabled: true,
            settle_ms: 500,
            hash: HashMode::Routes,
            title_only: true,
            report_interval_ms: super::REPORT_INTERVAL_MS as u32,
        }
    }
}
