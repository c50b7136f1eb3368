//! The settings document as it is written (storage, the export file): a derived `Serialize`
//! view whose field order is the document's order (`mode` first), which a `serde_json::Map`
//! (sorted keys) would not keep.

use serde::Serialize;

/// The whole document.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Document<'a> {
    pub mode: &'a str,
    pub widget_id: &'a str,
    pub loader_url: &'a str,
    pub sites: Vec<&'a str>,
    pub spa: Spa<'a>,
    pub log: Log,
    pub loader_timeout_ms: u32,
    pub site_widget: SiteWidget<'a>,
}

/// `spa`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Spa<'a> {
    pub enabled: bool,
    pub settle_ms: u32,
    pub hash: &'a str,
    pub title_only: bool,
    pub report_interval_ms: u32,
}

/// `log`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Log {
    pub max_entries: u32,
}

/// `siteWidget`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SiteWidget<'a> {
    pub grace_ms: u32,
    pub use_mine_on: Vec<&'a str>,
    pub sandbox_stand_in: bool,
}
