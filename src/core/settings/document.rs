//! Reading a settings document key by key into a [`Layer`]: the typed values of the keys it
//! has, each valid on its own, and a [`FieldError`] for every problem.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::error::{FieldError, Reason};
use super::values::{LoaderUrl, LogConfig, Mode, SiteWidgetConfig, WidgetId};
use super::{
    Settings, MAX_DOCUMENT_BYTES, MAX_LOADER_TIMEOUT_MS, MAX_SITES, MIN_LOADER_TIMEOUT_MS,
};
use crate::site_rule::{SiteRule, SiteRules};
use crate::spa::{HashMode, SpaConfig};

/// The top-level keys, in document order.
pub(super) const TOP_KEYS: [&str; 8] = [
    "mode",
    "widgetId",
    "loaderUrl",
    "sites",
    "spa",
    "log",
    "loaderTimeoutMs",
    "siteWidget",
];
const SPA_KEYS: [&str; 5] = [
    "enabled",
    "settleMs",
    "hash",
    "titleOnly",
    "reportIntervalMs",
];
const SITE_WIDGET_KEYS: [&str; 3] = ["graceMs", "useMineOn", "sandboxStandIn"];
const LOG_KEYS: [&str; 1] = ["maxEntries"];

/// At most this many `sites[i]` problems are listed one by one; the rest are counted.
const MAX_LISTED_SITE_ERRORS: usize = 20;

/// What `widgetId: is required…` says.
pub(super) const WIDGET_ID_REQUIRED: &str = "is required when mode is \"jivochat\": enter the \
     widget ID from your JivoChat code (the part after `/widget/`)";

/// The keys one document sets, each parsed and valid on its own. `spa` and `log` are per
/// sub-key, so a layer can set `spa.settleMs` alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Layer {
    pub mode: Option<Mode>,
    /// `Some(None)` is an explicit empty `widgetId`.
    pub widget_id: Option<Option<WidgetId>>,
    pub loader_url: Option<LoaderUrl>,
    pub sites: Option<SiteRules>,
    pub spa_enabled: Option<bool>,
    pub spa_settle_ms: Option<u32>,
    pub spa_hash: Option<HashMode>,
    pub spa_title_only: Option<bool>,
    pub spa_report_interval_ms: Option<u32>,
    pub log_max_entries: Option<u32>,
    pub loader_timeout_ms: Option<u32>,
    pub grace_ms: Option<u32>,
    pub use_mine_on: Option<SiteRules>,
    pub sandbox_stand_in: Option<bool>,
}

impl Layer {
    /// This layer with `top`'s keys put over it.
    pub fn overlay(&self, top: &Layer) -> Layer {
        fn pick<T: Clone>(top: &Option<T>, base: &Option<T>) -> Option<T> {
            top.clone().or_else(|| base.clone())
        }
        Layer {
            mode: pick(&top.mode, &self.mode),
            widget_id: pick(&top.widget_id, &self.widget_id),
            loader_url: pick(&top.loader_url, &self.loader_url),
            sites: pick(&top.sites, &self.sites),
            spa_enabled: pick(&top.spa_enabled, &self.spa_enabled),
            spa_settle_ms: pick(&top.spa_settle_ms, &self.spa_settle_ms),
            spa_hash: pick(&top.spa_hash, &self.spa_hash),
            spa_title_only: pick(&top.spa_title_only, &self.spa_title_only),
            spa_report_interval_ms: pick(&top.spa_report_interval_ms, &self.spa_report_interval_ms),
            log_max_entries: pick(&top.log_max_entries, &self.log_max_entries),
            loader_timeout_ms: pick(&top.loader_timeout_ms, &self.loader_timeout_ms),
            grace_ms: pick(&top.grace_ms, &self.grace_ms),
            use_mine_on: pick(&top.use_mine_on, &self.use_mine_on),
            sandbox_stand_in: pick(&top.sandbox_stand_in, &self.sandbox_stand_in),
        }
    }

    /// The paths this layer sets (`spa.settleMs` rather than `spa`).
    pub fn paths(&self) -> Vec<&'static str> {
        let present = [
            ("mode", self.mode.is_some()),
            ("widgetId", self.widget_id.is_some()),
            ("loaderUrl", self.loader_url.is_some()),
            ("sites", self.sites.is_some()),
            ("spa.enabled", self.spa_enabled.is_some()),
            ("spa.settleMs", self.spa_settle_ms.is_some()),
            ("spa.hash", self.spa_hash.is_some()),
            ("spa.titleOnly", self.spa_title_only.is_some()),
            (
                "spa.reportIntervalMs",
                self.spa_report_interval_ms.is_some(),
            ),
            ("log.maxEntries", self.log_max_entries.is_some()),
            ("loaderTimeoutMs", self.loader_timeout_ms.is_some()),
            ("siteWidget.graceMs", self.grace_ms.is_some()),
            ("siteWidget.useMineOn", self.use_mine_on.is_some()),
            ("siteWidget.sandboxStandIn", self.sandbox_stand_in.is_some()),
        ];
        present
            .into_iter()
            .filter_map(|(path, set)| set.then_some(path))
            .collect()
    }

    /// The widget ID this layer sets, if it sets a non-empty one.
    pub fn widget_id(&self) -> Option<&WidgetId> {
        self.widget_id.as_ref().and_then(Option::as_ref)
    }

    /// The settings with this layer's values and defaults for the rest. The result may be
    /// `jivochat` without a widget ID: callers check that.
    pub fn fill(&self) -> Settings {
        let spa_default = SpaConfig::default();
        Settings {
            mode: self.mode.unwrap_or_default(),
            widget_id: self.widget_id().cloned(),
            loader_url: self.loader_url.clone().unwrap_or_default(),
            sites: self.sites.clone().unwrap_or_default(),
            spa: SpaConfig {
                enabled: self.spa_enabled.unwrap_or(spa_default.enabled),
                settle_ms: self.spa_settle_ms.unwrap_or(spa_default.settle_ms),
                hash: self.spa_hash.unwrap_or(spa_default.hash),
                title_only: self.spa_title_only.unwrap_or(spa_default.title_only),
                report_interval_ms: self
                    .spa_report_interval_ms
                    .unwrap_or(spa_default.report_interval_ms),
            },
            log: LogConfig {
                max_entries: self
                    .log_max_entries
                    .unwrap_or(LogConfig::DEFAULT_MAX_ENTRIES),
            },
            loader_timeout_ms: self
                .loader_timeout_ms
                .unwrap_or(super::DEFAULT_LOADER_TIMEOUT_MS),
            site_widget: {
                let d = SiteWidgetConfig::default();
                SiteWidgetConfig {
                    grace_ms: self.grace_ms.unwrap_or(d.grace_ms),
                    use_mine_on: self.use_mine_on.clone().unwrap_or(d.use_mine_on),
                    sandbox_stand_in: self.sandbox_stand_in.unwrap_or(d.sandbox_stand_in),
                }
            },
        }
    }
}

/// Rejects a document larger than [`MAX_DOCUMENT_BYTES`] as JSON text, without building that
/// text: the walk adds up a lower bound of the encoded size and stops as soon as it is over.
pub(super) fn check_size(doc: &Value) -> Result<(), FieldError> {
    let mut total: usize = 0;
    let mut stack: Vec<&Value> = vec![doc];
    while let Some(v) = stack.pop() {
        total = total.saturating_add(match v {
            Value::Null => 4,
            Value::Bool(_) => 5,
            Value::Number(n) => n.to_string().len(),
            Value::String(s) => s.len() + 2,
            Value::Array(items) => {
                stack.extend(items.iter());
                2 + items.len()
            }
            Value::Object(map) => {
                for (k, v) in map {
                    total = total.saturating_add(k.len() + 3);
                    stack.push(v);
                }
                2 + map.len()
            }
        });
        if total > MAX_DOCUMENT_BYTES {
            return Err(too_large(None));
        }
    }
    Ok(())
}

/// The "document too large" problem, with the exact size when it is known.
pub(super) fn too_large(len: Option<usize>) -> FieldError {
    let size = match len {
        Some(len) => format!("is {len} bytes"),
        None => "is larger than that".to_owned(),
    };
    let (key, args) = match len {
        Some(len) => (
            "err_too_large_size",
            vec![len.to_string(), MAX_DOCUMENT_BYTES.to_string()],
        ),
        None => ("err_too_large", vec![MAX_DOCUMENT_BYTES.to_string()]),
    };
    FieldError::new(
        "",
        format!("the settings document {size}; the limit is {MAX_DOCUMENT_BYTES} bytes (256 KiB)"),
    )
    .keyed(key, args)
}

/// Reads every key of a document. Keys with problems are left out of the layer and reported;
/// `sites` is all or nothing.
pub(super) fn parse_layer(doc: &Value) -> (Layer, Vec<FieldError>) {
    let mut layer = Layer::default();
    let mut errors = Vec::new();
    let Value::Object(map) = doc else {
        errors.push(
            FieldError::new(
                "",
                format!(
                    "the settings must be a JSON object ({{ … }}), got {}",
                    describe(doc)
                ),
            )
            .keyed("err_not_object", vec![got(doc)]),
        );
        return (layer, errors);
    };
    for (key, value) in in_document_order(map, &TOP_KEYS) {
        match key {
            "mode" => match value.as_str().and_then(Mode::from_name) {
                Some(mode) => layer.mode = Some(mode),
                None => errors.push(
                    FieldError::new(
                        "mode",
                        format!(
                            "must be \"sandbox\" or \"jivochat\", got {}",
                            describe(value)
                        ),
                    )
                    .keyed(
                        "err_one_of",
                        vec!["\"sandbox\", \"jivochat\"".into(), got(value)],
                    ),
                ),
            },
            "widgetId" => match value {
                Value::String(s) if s.is_empty() => layer.widget_id = Some(None),
                Value::String(s) => match WidgetId::parse(s) {
                    Ok(id) => layer.widget_id = Some(Some(id)),
                    Err(reason) => errors.push(reason.at("widgetId")),
                },
                other => errors.push(
                    FieldError::new(
                        "widgetId",
                        format!(
                            "must be text: the widget ID, or \"\" for none; got {}",
                            describe(other)
                        ),
                    )
                    .keyed("err_want_text", vec![got(other)]),
                ),
            },
            "loaderUrl" => match value {
                Value::String(s) => match LoaderUrl::parse(s) {
                    Ok(url) => layer.loader_url = Some(url),
                    Err(reason) => errors.push(reason.at("loaderUrl")),
                },
                other => errors.push(
                    FieldError::new(
                        "loaderUrl",
                        format!(
                            "must be text: a URL template such as \"{}\"; got {}",
                            LoaderUrl::DEFAULT,
                            describe(other)
                        ),
                    )
                    .keyed("err_want_text", vec![got(other)]),
                ),
            },
            "sites" => match parse_sites(value, "sites") {
                Ok(sites) => layer.sites = Some(sites),
                Err(mut site_errors) => errors.append(&mut site_errors),
            },
            "spa" => parse_spa(value, &mut layer, &mut errors),
            "log" => parse_log(value, &mut layer, &mut errors),
            "loaderTimeoutMs" => {
                match int_in(value, MIN_LOADER_TIMEOUT_MS, MAX_LOADER_TIMEOUT_MS) {
                    Ok(ms) => layer.loader_timeout_ms = Some(ms),
                    Err(reason) => errors.push(reason.at("loaderTimeoutMs")),
                }
            }
            "siteWidget" => parse_site_widget(value, &mut layer, &mut errors),
            unknown => errors.push(unknown_key("", unknown, &TOP_KEYS)),
        }
    }
    (layer, errors)
}

/// The entries of an object, known keys first in `order`, then the unknown ones, so errors
/// come out in the order a person reads the document.
fn in_document_order<'a>(map: &'a Map<String, Value>, order: &[&str]) -> Vec<(&'a str, &'a Value)> {
    let rank = |k: &str| order.iter().position(|o| *o == k).unwrap_or(order.len());
    let mut entries: Vec<(&str, &Value)> = map.iter().map(|(k, v)| (k.as_str(), v)).collect();
    entries.sort_by_key(|(k, _)| rank(k));
    entries
}

/// A list of site rules at `key` (`sites`, `siteWidget.useMineOn`): all or nothing.
fn parse_sites(value: &Value, key: &str) -> Result<SiteRules, Vec<FieldError>> {
    let Value::Array(items) = value else {
        return Err(vec![FieldError::new(
            key,
            format!(
                "must be a list of site patterns such as [\"https://example.com/*\"], got {}",
                describe(value)
            ),
        )
        .keyed("err_want_list", vec![got(value)])]);
    };
    let mut errors = Vec::new();
    if items.len() > MAX_SITES {
        errors.push(
            FieldError::new(
                key,
                format!("has {} rules; at most {MAX_SITES} are allowed", items.len()),
            )
            .keyed(
                "err_too_many_rules",
                vec![items.len().to_string(), MAX_SITES.to_string()],
            ),
        );
    }
    let mut rules = Vec::with_capacity(items.len().min(MAX_SITES));
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut unlisted = 0usize;
    for (i, item) in items.iter().enumerate() {
        let path = format!("{key}[{i}]");
        let problem = match item {
            Value::String(text) => match SiteRule::parse(text) {
                Ok(rule) => match seen.get(rule.as_str()) {
                    Some(first) => Some(
                        FieldError::new(
                            &path,
                            format!(
                                "repeats {key}[{first}] (`{}`): remove one of them",
                                rule.as_str()
                            ),
                        )
                        .keyed(
                            "err_rule_repeats",
                            vec![(first + 1).to_string(), rule.as_str().to_owned()],
                        ),
                    ),
                    None => {
                        seen.insert(rule.as_str().to_owned(), i);
                        rules.push(rule);
                        None
                    }
                },
                Err(e) => {
                    let (k, args) = e.message_key();
                    Some(FieldError::new(&path, e.to_string()).keyed(k, args))
                }
            },
            other => Some(
                FieldError::new(
                    &path,
                    format!(
                        "must be text: a site pattern such as \"https://example.com/*\"; got {}",
                        describe(other)
                    ),
                )
                .keyed("err_want_text", vec![got(other)]),
            ),
        };
        if let Some(problem) = problem {
            let listed = errors.iter().filter(|e| e.path != key).count();
            if listed < MAX_LISTED_SITE_ERRORS {
                errors.push(problem);
            } else {
                unlisted += 1;
            }
        }
    }
    if unlisted > 0 {
        errors.push(
            FieldError::new(
                key,
                format!("{unlisted} more rules have problems; fix the ones listed first"),
            )
            .keyed("err_more_rule_problems", vec![unlisted.to_string()]),
        );
    }
    if errors.is_empty() {
        Ok(SiteRules::new(rules))
    } else {
        Err(errors)
    }
}

fn parse_spa(value: &Value, layer: &mut Layer, errors: &mut Vec<FieldError>) {
    let Value::Object(map) = value else {
        errors.push(
            FieldError::new(
                "spa",
                format!(
                    "must be an object such as {{\"enabled\": true, \"settleMs\": 500}}, got {}",
                    describe(value)
                ),
            )
            .keyed("err_want_object", vec![got(value)]),
        );
        return;
    };
    for (key, v) in in_document_order(map, &SPA_KEYS) {
        match key {
            "enabled" => match bool_value(v) {
                Ok(b) => layer.spa_enabled = Some(b),
                Err(reason) => errors.push(reason.at("spa.enabled")),
            },
            "settleMs" => match int_in(v, 0, SpaConfig::MAX_SETTLE_MS) {
                Ok(ms) => layer.spa_settle_ms = Some(ms),
                Err(reason) => errors.push(reason.at("spa.settleMs")),
            },
            "hash" => match v.as_str().and_then(hash_mode_from_name) {
                Some(mode) => layer.spa_hash = Some(mode),
                None => errors.push(
                    FieldError::new(
                        "spa.hash",
                        format!(
                            "must be \"routes\", \"all\" or \"ignore\", got {}",
                            describe(v)
                        ),
                    )
                    .keyed(
                        "err_one_of",
                        vec!["\"routes\", \"all\", \"ignore\"".into(), got(v)],
                    ),
                ),
            },
            "titleOnly" => match bool_value(v) {
                Ok(b) => layer.spa_title_only = Some(b),
                Err(reason) => errors.push(reason.at("spa.titleOnly")),
            },
            "reportIntervalMs" => match int_in(v, 0, SpaConfig::MAX_REPORT_INTERVAL_MS) {
                Ok(ms) => layer.spa_report_interval_ms = Some(ms),
                Err(reason) => errors.push(reason.at("spa.reportIntervalMs")),
            },
            unknown => errors.push(unknown_key("spa", unknown, &SPA_KEYS)),
        }
    }
}

fn parse_log(value: &Value, layer: &mut Layer, errors: &mut Vec<FieldError>) {
    let Value::Object(map) = value else {
        errors.push(
            FieldError::new(
                "log",
                format!(
                    "must be an object such as {{\"maxEntries\": 2000}}, got {}",
                    describe(value)
                ),
            )
            .keyed("err_want_object", vec![got(value)]),
        );
        return;
    };
    for (key, v) in in_document_order(map, &LOG_KEYS) {
        match key {
            "maxEntries" => match int_in(v, LogConfig::MIN_MAX_ENTRIES, LogConfig::MAX_MAX_ENTRIES)
            {
                Ok(n) => layer.log_max_entries = Some(n),
                Err(reason) => errors.push(reason.at("log.maxEntries")),
            },
            unknown => errors.push(unknown_key("log", unknown, &LOG_KEYS)),
        }
    }
}

fn parse_site_widget(value: &Value, layer: &mut Layer, errors: &mut Vec<FieldError>) {
    let Value::Object(map) = value else {
        errors.push(
            FieldError::new(
                "siteWidget",
                format!(
                    "must be an object such as {{\"graceMs\": 1500, \"useMineOn\": [], \
                 \"sandboxStandIn\": true}}, got {}",
                    describe(value)
                ),
            )
            .keyed("err_want_object", vec![got(value)]),
        );
        return;
    };
    for (key, v) in in_document_order(map, &SITE_WIDGET_KEYS) {
        match key {
            "graceMs" => match int_in(v, 0, SiteWidgetConfig::MAX_GRACE_MS) {
                Ok(ms) => layer.grace_ms = Some(ms),
                Err(reason) => errors.push(reason.at("siteWidget.graceMs")),
            },
            "useMineOn" => match parse_sites(v, "siteWidget.useMineOn") {
                Ok(rules) => layer.use_mine_on = Some(rules),
                Err(mut site_errors) => errors.append(&mut site_errors),
            },
            "sandboxStandIn" => match bool_value(v) {
                Ok(b) => layer.sandbox_stand_in = Some(b),
                Err(reason) => errors.push(reason.at("siteWidget.sandboxStandIn")),
            },
            unknown => errors.push(unknown_key("siteWidget", unknown, &SITE_WIDGET_KEYS)),
        }
    }
}

/// `spa.hash` as written in the document.
pub(super) fn hash_mode_name(mode: HashMode) -> &'static str {
    match mode {
        HashMode::Routes => "routes",
        HashMode::All => "all",
        HashMode::Ignore => "ignore",
    }
}

fn hash_mode_from_name(name: &str) -> Option<HashMode> {
    [HashMode::Routes, HashMode::All, HashMode::Ignore]
        .into_iter()
        .find(|m| hash_mode_name(*m) == name)
}

/// An unknown key, reported on its parent object (`""` for the top level), with a guess at the
/// key that was meant.
fn unknown_key(parent: &str, key: &str, known: &[&str]) -> FieldError {
    let squash = |s: &str| -> String {
        s.chars()
            .filter(|c| !matches!(c, '_' | '-' | ' ' | '.'))
            .flat_map(char::to_lowercase)
            .collect()
    };
    let wanted = squash(key);
    let guess = known.iter().find(|k| squash(k) == wanted);
    let (lkey, largs) = match guess {
        Some(k) => (
            "err_unknown_key_guess",
            vec![shorten(key, 60), (*k).to_owned()],
        ),
        None => (
            "err_unknown_key",
            vec![
                shorten(key, 60),
                known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ],
        ),
    };
    let hint = match guess {
        Some(k) => format!("did you mean `{k}`?"),
        None => format!(
            "the {}settings are {}",
            if parent.is_empty() {
                String::new()
            } else {
                format!("`{parent}` ")
            },
            known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    FieldError::new(
        parent,
        format!("unknown setting `{}` ({hint})", shorten(key, 60)),
    )
    .keyed(lkey, largs)
}

fn bool_value(v: &Value) -> Result<bool, Reason> {
    v.as_bool().ok_or_else(|| {
        Reason::new(
            format!("must be true or false, got {}", describe(v)),
            "err_want_bool",
            vec![got(v)],
        )
    })
}

/// An integer in `min..=max`. JSON numbers written with a zero fraction (`500.0`) count:
/// every number is a double in JavaScript.
fn int_in(v: &Value, min: u32, max: u32) -> Result<u32, Reason> {
    let whole = match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && f.fract() == 0.0 && (0.0..=f64::from(max)).contains(f))
                .map(|f| f as u64)
        }),
        _ => None,
    };
    match whole.and_then(|w| u32::try_from(w).ok()) {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(Reason::new(
            format!(
                "must be an integer from {min} to {max}, got {}",
                describe(v)
            ),
            "err_int_range",
            vec![min.to_string(), max.to_string(), got(v)],
        )),
    }
}

/// A short description of a value for "got …": `20000`, `true`, `the text "500"`, `a list`.
pub(super) fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!(
            "the text {}",
            serde_json::to_string(&shorten(s, 40)).unwrap_or_default()
        ),
        Value::Array(items) if items.is_empty() => "an empty list".to_owned(),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// A value for "got …" in any language: the JSON as written (text quoted, cut at 40
/// characters), `[…]` for a list, `{…}` for an object.
pub(super) fn got(v: &Value) -> String {
    match v {
        Value::String(s) => serde_json::to_string(&shorten(s, 40)).unwrap_or_default(),
        Value::Array(items) if items.is_empty() => "[]".to_owned(),
        Value::Array(_) => "[…]".to_owned(),
        Value::Object(_) => "{…}".to_owned(),
        other => other.to_string(),
    }
}

/// At most `max` characters, with `…` when cut.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}
