//! The options page as plain data, with no browser types: the form's values, the document they
//! make, what is locked, and where each problem is shown. The settings module does all the
//! checking ([`validate`]); this module only moves values between the form and documents.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::settings::{EffectiveSettings, FieldError, Settings, PATHS};
use crate::site_rule::{RuleTest, SiteRule, SiteRules};

/// The form's values as the user typed them: text fields stay text, so a number field holding
/// `abc` reaches the settings module and is reported there.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Form {
    /// `mode`: `sandbox` or `jivochat` (the checked radio button).
    pub mode: String,
    /// `widgetId`.
    pub widget_id: String,
    /// `loaderUrl`.
    pub loader_url: String,
    /// `sites`, as listed (each added through [`add_site`], so each is valid and canonical).
    pub sites: Vec<String>,
    /// `spa.enabled`.
    pub spa_enabled: bool,
    /// `spa.settleMs`, as typed.
    pub spa_settle_ms: String,
    /// `spa.hash`: `routes`, `all` or `ignore`.
    pub spa_hash: String,
    /// `spa.titleOnly`.
    pub spa_title_only: bool,
    /// `log.maxEntries`, as typed.
    pub log_max_entries: String,
    /// `loaderTimeoutMs`, as typed.
    pub loader_timeout_ms: String,
    /// `spa.reportIntervalMs`, as typed.
    pub spa_report_interval_ms: String,
    /// `siteWidget.graceMs`, as typed.
    pub site_grace_ms: String,
    /// `siteWidget.useMineOn`: one site rule per line, as typed.
    pub use_mine_on: String,
    /// `siteWidget.sandboxStandIn`.
    pub sandbox_stand_in: bool,
}

impl Form {
    /// The form showing a settings document; keys it lacks show their defaults.
    pub fn from_document(doc: &Value) -> Form {
        let defaults = Settings::default().to_value();
        let get = |pointer: &str| -> Value {
            doc.pointer(pointer)
                .or_else(|| defaults.pointer(pointer))
                .cloned()
                .unwrap_or(Value::Null)
        };
        let text = |pointer: &str| -> String {
            match get(pointer) {
                Value::String(s) => s,
                Value::Null => String::new(),
                other => other.to_string(),
            }
        };
        Form {
            mode: text("/mode"),
            widget_id: text("/widgetId"),
            loader_url: text("/loaderUrl"),
            sites: get("/sites")
                .as_array()
                .map(|list| {
                    list.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            spa_enabled: get("/spa/enabled").as_bool().unwrap_or(true),
            spa_settle_ms: text("/spa/settleMs"),
            spa_hash: text("/spa/hash"),
            spa_title_only: get("/spa/titleOnly").as_bool().unwrap_or(true),
            log_max_entries: text("/log/maxEntries"),
            loader_timeout_ms: text("/loaderTimeoutMs"),
            spa_report_interval_ms: text("/spa/reportIntervalMs"),
            site_grace_ms: text("/siteWidget/graceMs"),
            use_mine_on: get("/siteWidget/useMineOn")
                .as_array()
                .map(|list| {
                    list.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default(),
            sandbox_stand_in: get("/siteWidget/sandboxStandIn").as_bool().unwrap_or(true),
        }
    }

    /// The whole settings document the form stands for. Surrounding spaces are dropped from
    /// text; a number field becomes a JSON number when its text is one, and stays text (which
    /// the settings module then reports) when it is not.
    pub fn to_document(&self) -> Value {
        json!({
            "mode": self.mode,
            "widgetId": self.widget_id.trim(),
            "loaderUrl": self.loader_url.trim(),
            "sites": self.sites,
            "spa": {
                "enabled": self.spa_enabled,
                "settleMs": number_value(&self.spa_settle_ms),
                "hash": self.spa_hash,
                "titleOnly": self.spa_title_only,
                "reportIntervalMs": number_value(&self.spa_report_interval_ms),
            },
            "log": { "maxEntries": number_value(&self.log_max_entries) },
            "loaderTimeoutMs": number_value(&self.loader_timeout_ms),
            "siteWidget": {
                "graceMs": number_value(&self.site_grace_ms),
                "useMineOn": self
                    .use_mine_on
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .collect::<Vec<_>>(),
                "sandboxStandIn": self.sandbox_stand_in,
            },
        })
    }

    /// Copies the value at `path` (one of [`PATHS`]) from `other`.
    pub fn copy_path(&mut self, other: &Form, path: &str) {
        match path {
            "mode" => self.mode.clone_from(&other.mode),
            "widgetId" => self.widget_id.clone_from(&other.widget_id),
            "loaderUrl" => self.loader_url.clone_from(&other.loader_url),
            "sites" => self.sites.clone_from(&other.sites),
            "spa.enabled" => self.spa_enabled = other.spa_enabled,
            "spa.settleMs" => self.spa_settle_ms.clone_from(&other.spa_settle_ms),
            "spa.hash" => self.spa_hash.clone_from(&other.spa_hash),
            "spa.titleOnly" => self.spa_title_only = other.spa_title_only,
            "log.maxEntries" => self.log_max_entries.clone_from(&other.log_max_entries),
            "loaderTimeoutMs" => self.loader_timeout_ms.clone_from(&other.loader_timeout_ms),
            "spa.reportIntervalMs" => self
                .spa_report_interval_ms
                .clone_from(&other.spa_report_interval_ms),
            "siteWidget.graceMs" => self.site_grace_ms.clone_from(&other.site_grace_ms),
            "siteWidget.useMineOn" => self.use_mine_on.clone_from(&other.use_mine_on),
            "siteWidget.sandboxStandIn" => self.sandbox_stand_in = other.sandbox_stand_in,
            _ => {}
        }
    }
}

/// A number field's text as a JSON value: a number if it is one, else the text itself.
pub fn number_value(text: &str) -> Value {
    let trimmed = text.trim();
    serde_json::from_str::<serde_json::Number>(trimmed)
        .map(Value::Number)
        .unwrap_or_else(|_| Value::String(trimmed.to_owned()))
}

/// Every problem with a user document, as the background will judge it: with the
/// administrator's values in place (a widget ID set by policy counts). Empty when it is valid.
pub fn validate(doc: &Value, managed: Option<&Value>) -> Vec<FieldError> {
    EffectiveSettings::resolve(Some(doc), managed)
        .user_errors()
        .map(|e| e.errors().to_vec())
        .unwrap_or_default()
}

/// The document to store for a valid form: the canonical document when it is valid on its
/// own, else (valid only with the administrator's values) as it is.
pub fn canonical(doc: &Value) -> Value {
    Settings::from_value(doc).map_or_else(|_| doc.clone(), |s| s.to_value())
}

/// Adds `text` to the form's site rules if the settings module accepts the list with it;
/// returns the rule's canonical text, or the problems with it (paths `sites[n]` or `sites`).
pub fn add_site(
    form: &Form,
    text: &str,
    managed: Option<&Value>,
) -> Result<String, Vec<FieldError>> {
    let index = form.sites.len();
    let mut candidate = form.clone();
    candidate.sites.push(text.to_owned());
    let own_path = format!("sites[{index}]");
    let problems: Vec<FieldError> = validate(&candidate.to_document(), managed)
        .into_iter()
        .filter(|e| e.path == own_path || e.path == "sites")
        .collect();
    if !problems.is_empty() {
        return Err(problems);
    }
    SiteRule::parse(text)
        .map(|rule| rule.as_str().to_owned())
        .map_err(|e| {
            let (key, args) = e.message_key();
            vec![FieldError::new(own_path, e.to_string()).keyed(key, args)]
        })
}

/// What the options page found in storage, and the form to show for it.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The settings in force, as the options page can tell from storage.
    pub effective: EffectiveSettings,
    /// The user's own values (for locked keys too: they apply again if the policy goes).
    pub form: Form,
    /// Problems with `storage.local["settings"]`; when there are any, the form shows the
    /// settings in force instead.
    pub stored_problems: Vec<FieldError>,
}

/// Reads the stored documents: `stored` is `storage.local["settings"]`, `in_force` the
/// background's last accepted document
/// ([`SETTINGS_IN_FORCE`](crate::storage_keys::SETTINGS_IN_FORCE)), `managed` the policy (`None` when
/// there is none). `null` means absent.
pub fn load(stored: &Value, in_force: &Value, managed: Option<&Value>) -> Loaded {
    let stored_problems = if stored.is_null() {
        Vec::new()
    } else {
        validate(stored, managed)
    };
    let source = if stored_problems.is_empty() {
        stored
    } else {
        in_force
    };
    let effective = EffectiveSettings::resolve(Some(source), managed);
    let form = Form::from_document(&effective.user_document());
    Loaded {
        effective,
        form,
        stored_problems,
    }
}

/// The managed document to use: `storage.managed.get()`'s result, `None` when empty or absent.
pub fn managed_document(value: Value) -> Option<Value> {
    value
        .as_object()
        .is_some_and(|m| !m.is_empty())
        .then_some(value)
}

/// What the form shows: the user's values, with the administrator's in place of locked ones.
pub fn displayed(form: &Form, effective: &EffectiveSettings) -> Form {
    let forced = Form::from_document(&effective.settings().to_value());
    let mut shown = form.clone();
    for path in effective.locked() {
        shown.copy_path(&forced, path);
    }
    shown
}

/// Takes the values the user can edit from what the form's inputs hold (`read`), keeping the
/// user's own values for locked paths and the site list (which the page keeps itself).
pub fn merge_edits(form: &mut Form, read: &Form, locked: &BTreeSet<&'static str>) {
    for path in PATHS {
        if path != "sites" && !locked.contains(path) {
            form.copy_path(read, path);
        }
    }
}

/// The rules the "test a URL" box checks: the administrator's when `sites` is locked, else
/// the list being edited.
pub fn rules_for_test(form: &Form, effective: &EffectiveSettings) -> SiteRules {
    if effective.is_locked("sites") {
        effective.settings().sites().clone()
    } else {
        form.sites
            .iter()
            .filter_map(|s| SiteRule::parse(s).ok())
            .collect()
    }
}

/// The host permissions to check and ask for, one pattern each: the rules' origin patterns,
/// with `*://` split into `http://` and `https://`. Browsers check each asked pattern against
/// one granted pattern, and the manifest grants `http://*/*` and `https://*/*` apart, so
/// `*://example.com/*` as a whole is never "contained".
pub fn permission_origins(rules: &SiteRules) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for origin in rules.origin_patterns() {
        let split = match origin.strip_prefix("*://") {
            Some(rest) => vec![format!("http://{rest}"), format!("https://{rest}")],
            None => vec![origin],
        };
        for o in split {
            if !out.contains(&o) {
                out.push(o);
            }
        }
    }
    out
}

/// The "test a URL" answer as a result state (`matched`, `none`, `invalid`), a message key and
/// its substitutions.
pub fn rule_test_message(test: &RuleTest) -> (&'static str, &'static str, Vec<String>) {
    match test {
        RuleTest::Matched { index, pattern } => (
            "matched",
            "options_siteTestMatched",
            vec![(index + 1).to_string(), pattern.clone()],
        ),
        RuleTest::NoMatch => ("none", "options_siteTestNoMatch", Vec::new()),
        RuleTest::NotWebPage(e) => ("invalid", "options_siteTestInvalid", vec![e.to_string()]),
    }
}

/// The id of the element that shows problems about `path`: `field-error-` and the path with
/// `.` and `[` as `-` and no `]` (`field-error-spa-settleMs`, `field-error-sites-2`);
/// `field-error-document` for the document as a whole.
pub fn error_id(path: &str) -> String {
    if path.is_empty() {
        return "field-error-document".to_owned();
    }
    let mut id = String::from("field-error-");
    for c in path.chars() {
        match c {
            '.' | '[' => id.push('-'),
            ']' => {}
            c => id.push(c),
        }
    }
    id
}

/// The inputs that edit `path` (one of [`PATHS`]), first the one to focus.
pub fn inputs_of(path: &str) -> &'static [&'static str] {
    match path {
        "mode" => &["mode-sandbox", "mode-jivochat"],
        "widgetId" => &["widget-id"],
        "loaderUrl" => &["loader-url"],
        "sites" => &["site-add", "site-add-button"],
        "spa.enabled" => &["spa-enabled"],
        "spa.settleMs" => &["spa-settle-ms"],
        "spa.hash" => &["spa-hash-routes", "spa-hash-all", "spa-hash-ignore"],
        "spa.titleOnly" => &["spa-title-only"],
        "log.maxEntries" => &["log-max-entries"],
        "loaderTimeoutMs" => &["loader-timeout-ms"],
        "spa.reportIntervalMs" => &["spa-report-interval-ms"],
        "siteWidget.graceMs" => &["site-grace-ms"],
        "siteWidget.useMineOn" => &["use-mine-on"],
        "siteWidget.sandboxStandIn" => &["sandbox-stand-in"],
        _ => &[],
    }
}

/// The input to focus for a problem at `path`.
pub fn input_id(path: &str) -> Option<&'static str> {
    inputs_of(path).first().copied()
}

/// The path an input edits.
pub fn path_of_input(id: &str) -> Option<&'static str> {
    PATHS.into_iter().find(|path| inputs_of(path).contains(&id))
}

/// The path a problem is shown under: its own for the form's fields and rules, `""` (the
/// whole-document box) for anything else (`spa`, `log`, unknown keys).
pub fn shown_path(path: &str) -> &str {
    if PATHS.contains(&path) || is_site_index(path) {
        path
    } else if path.starts_with("siteWidget.useMineOn[") {
        "siteWidget.useMineOn"
    } else {
        ""
    }
}

/// Whether `path` is `sites[N]`.
pub fn is_site_index(path: &str) -> bool {
    path.strip_prefix("sites[")
        .and_then(|rest| rest.strip_suffix(']'))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether a problem at `path` is shown now: once its field was left (`touched`), after a save
/// was tried (`all`), and always for a site rule and the whole document.
pub fn problem_visible(path: &str, touched: &BTreeSet<String>, all: bool) -> bool {
    let shown = shown_path(path);
    all || shown.is_empty() || is_site_index(shown) || touched.contains(shown)
}

/// A problem's message for showing next to its field: the path is already clear from where it
/// is, so only the message, with a capital first letter.
pub fn inline_message(error: &FieldError) -> String {
    let mut chars = error.message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The name of the export file.
pub const EXPORT_FILE_NAME: &str = "jivo-widget-injector-settings.json";

/// The largest import file read at all, in bytes; larger ones are refused unread. Anything up
/// to this size is read and judged by the settings module (which has its own, smaller limit).
pub const MAX_IMPORT_FILE_BYTES: f64 = 16.0 * 1024.0 * 1024.0;

#[cfg(test)]
#[path = "settings_form_tests.rs"]
mod tests;
