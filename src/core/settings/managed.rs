//! The settings in force: the user's document with the administrator's managed values over it,
//! and the rule that an invalid document never replaces valid settings.

use std::collections::BTreeSet;

use serde_json::Value;

use super::document::{check_size, parse_layer, Layer, WIDGET_ID_REQUIRED};
use super::error::{FieldError, SettingsError};
use super::values::Mode;
use super::Settings;

/// The settings in force and where they came from: the user's document (`storage.local`) with
/// the administrator's values (`storage.managed`) over it.
///
/// - Managed values override the user's **per key**, and per sub-key inside `spa` and `log`
///   (a policy with `{"spa": {"settleMs": 1000}}` locks `spa.settleMs` only). The overridden
///   paths are [`locked`](EffectiveSettings::locked): the options page shows them read-only.
/// - A managed value that is invalid is ignored and reported in
///   [`managed_errors`](EffectiveSettings::managed_errors); the rest of the policy still
///   applies. An empty managed `widgetId` counts as not set.
/// - A user document with any problem is not applied at all: the user's previously applied
///   values stay in force and the problems are in
///   [`user_errors`](EffectiveSettings::user_errors) until the next user document.
///
/// The background keeps one value and replaces it on every storage change:
/// [`resolve`](EffectiveSettings::resolve) at start-up, then
/// [`with_user_document`](EffectiveSettings::with_user_document) and
/// [`with_managed_document`](EffectiveSettings::with_managed_document).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EffectiveSettings {
    settings: Settings,
    locked: BTreeSet<&'static str>,
    user_errors: Option<SettingsError>,
    managed_errors: Option<SettingsError>,
    /// The last user layer that was accepted.
    user: Layer,
    /// Why the last user document was not accepted, if it was not.
    user_rejected: Vec<FieldError>,
    /// The valid part of the managed document.
    managed: Layer,
    /// The problems found reading the managed document.
    managed_read_errors: Vec<FieldError>,
}

impl EffectiveSettings {
    /// The settings from both documents, as at start-up: `user` is `storage.local["settings"]`,
    /// `managed` the whole of `storage.managed` (`None` when absent or unreadable, as in
    /// Firefox without a policy). Here, and in the `with_…` methods, a JSON `null` counts as
    /// absent, as a missing storage key often arrives. An invalid user document counts as absent (defaults), with
    /// its problems in [`user_errors`](EffectiveSettings::user_errors).
    pub fn resolve(user: Option<&Value>, managed: Option<&Value>) -> EffectiveSettings {
        let (managed, managed_read_errors) = read_managed(managed);
        let (user, user_rejected) = match read_user(user, &managed) {
            Ok(layer) => (layer, Vec::new()),
            Err(errors) => (Layer::default(), errors),
        };
        EffectiveSettings::combine(user, user_rejected, managed, managed_read_errors)
    }

    /// A new user document (or `None` when the key was removed, meaning defaults). If it has
    /// any problem the user values in force stay as they are and the problems are reported.
    pub fn with_user_document(&self, user: Option<&Value>) -> EffectiveSettings {
        let (user, rejected) = match read_user(user, &self.managed) {
            Ok(layer) => (layer, Vec::new()),
            Err(errors) => (self.user.clone(), errors),
        };
        EffectiveSettings::combine(
            user,
            rejected,
            self.managed.clone(),
            self.managed_read_errors.clone(),
        )
    }

    /// A new managed document (or `None` when the policy is gone), over the user values in
    /// force.
    pub fn with_managed_document(&self, managed: Option<&Value>) -> EffectiveSettings {
        let (managed, managed_read_errors) = read_managed(managed);
        EffectiveSettings::combine(
            self.user.clone(),
            self.user_rejected.clone(),
            managed,
            managed_read_errors,
        )
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The paths set by the administrator: any of [`PATHS`](super::PATHS).
    pub fn locked(&self) -> &BTreeSet<&'static str> {
        &self.locked
    }

    /// Whether `path` is set by the administrator; `spa`, `log` or `siteWidget` is locked if
    /// any of its sub-keys is.
    pub fn is_locked(&self, path: &str) -> bool {
        self.locked
            .iter()
            .any(|l| *l == path || l.strip_prefix(path).is_some_and(|r| r.starts_with('.')))
    }

    /// Problems with the user's document: why the last one was not applied, or why the user's
    /// `jivochat` mode cannot apply (no widget ID any more). `None` when all is well.
    pub fn user_errors(&self) -> Option<&SettingsError> {
        self.user_errors.as_ref()
    }

    /// Problems with the managed document; each value named here is ignored.
    pub fn managed_errors(&self) -> Option<&SettingsError> {
        self.managed_errors.as_ref()
    }

    /// The user's own values in force (the last user document applied, defaults filled in), as
    /// a canonical document: what the options page edits for the keys that are not locked.
    pub fn user_document(&self) -> Value {
        self.user.fill().to_value()
    }

    fn combine(
        user: Layer,
        user_rejected: Vec<FieldError>,
        managed: Layer,
        managed_read_errors: Vec<FieldError>,
    ) -> EffectiveSettings {
        let mut managed_errors = managed_read_errors.clone();
        let mut user_errors = user_rejected.clone();
        // What of the policy applies this time; `managed` itself is kept whole, so a value
        // set aside here applies again once it can.
        let mut applied = managed.clone();
        let mut merged = user.overlay(&applied);
        // A policy that forces `jivochat` while no widget ID is set anywhere cannot apply.
        if merged.mode == Some(Mode::JivoChat)
            && merged.widget_id().is_none()
            && applied.mode.is_some()
        {
            applied.mode = None;
            managed_errors.push(
                FieldError::new(
                    "mode",
                    "is \"jivochat\", but no widget ID is set: set `widgetId` in the policy too, \
                 or let the user enter one; ignored until then",
                )
                .keyed("err_policy_jivochat_no_id", vec![]),
            );
            merged = user.overlay(&applied);
        }
        let mut settings = merged.fill();
        // The user's `jivochat` was accepted while the policy supplied the widget ID, and the
        // policy no longer does.
        if settings.mode == Mode::JivoChat && settings.widget_id.is_none() {
            settings.mode = Mode::Sandbox;
            user_errors.push(
                FieldError::new(
                    "widgetId",
                    format!("{WIDGET_ID_REQUIRED}; the sandbox is used until then"),
                )
                .keyed("err_widget_id_required_sandbox", vec![]),
            );
        }
        EffectiveSettings {
            settings,
            locked: applied.paths().into_iter().collect(),
            user_errors: SettingsError::from_errors(user_errors),
            managed_errors: SettingsError::from_errors(managed_errors),
            user,
            user_rejected,
            managed,
            managed_read_errors,
        }
    }
}

impl Default for EffectiveSettings {
    /// Defaults, nothing locked, no errors.
    fn default() -> Self {
        EffectiveSettings::resolve(None, None)
    }
}

/// The background's rule for a new user document when no policy is involved: apply it if it is
/// valid, otherwise leave `current` exactly as it was and say why.
pub fn apply_update(current: &mut Settings, new_doc: &Value) -> Result<(), SettingsError> {
    *current = Settings::from_value(new_doc)?;
    Ok(())
}

/// The valid part of a managed document, and what was wrong with the rest.
fn read_managed(doc: Option<&Value>) -> (Layer, Vec<FieldError>) {
    let Some(doc) = doc.filter(|d| !d.is_null()) else {
        return (Layer::default(), Vec::new());
    };
    if let Err(e) = check_size(doc) {
        return (Layer::default(), vec![e]);
    }
    let (mut layer, errors) = parse_layer(doc);
    if layer.widget_id == Some(None) {
        layer.widget_id = None;
    }
    (layer, errors)
}

/// A user document as a layer, if it has no problem at all. The `jivochat` needs-a-widget-ID
/// rule is checked against what will be in force: a widget ID from the policy counts, and a
/// `mode` the policy overrides does not matter.
fn read_user(doc: Option<&Value>, managed: &Layer) -> Result<Layer, Vec<FieldError>> {
    match doc.filter(|d| !d.is_null()) {
        Some(doc) => read_user_document(doc, managed),
        None => Ok(Layer::default()),
    }
}

/// [`read_user`] for a document that is there (`null` is then an error like any non-object).
pub(super) fn read_user_document(doc: &Value, managed: &Layer) -> Result<Layer, Vec<FieldError>> {
    check_size(doc).map_err(|e| vec![e])?;
    let (layer, mut errors) = parse_layer(doc);
    let needs_widget_id = managed.mode.is_none()
        && layer.mode == Some(Mode::JivoChat)
        && managed.widget_id().or(layer.widget_id()).is_none();
    if needs_widget_id && !errors.iter().any(|e| e.path == "widgetId") {
        errors.push(
            FieldError::new("widgetId", WIDGET_ID_REQUIRED).keyed("err_widget_id_required", vec![]),
        );
    }
    if errors.is_empty() {
        Ok(layer)
    } else {
        Err(errors)
    }
}
