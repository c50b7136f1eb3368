//! The background's report on the settings: written by the background after every load to
//! `storage.session` ([`storage_keys::SETTINGS_STATUS`](crate::storage_keys::SETTINGS_STATUS)),
//! read by the options page. One type for both sides, so the two cannot drift apart.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{EffectiveSettings, FieldError};

/// What the background made of the stored settings.
///
/// Serialises as `{"userErrors": [FieldError…] | null, "managedErrors": […] | null,
/// "locked": ["mode", …]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SettingsStatus {
    /// Why the stored user document was not applied, or why the user's `jivochat` mode cannot
    /// apply.
    pub user_errors: Option<Vec<FieldError>>,
    /// Administrator values that are ignored, and why.
    pub managed_errors: Option<Vec<FieldError>>,
    /// The paths the administrator sets.
    pub locked: Vec<String>,
}

impl SettingsStatus {
    /// The report on the settings in force.
    pub fn of(effective: &EffectiveSettings) -> SettingsStatus {
        SettingsStatus {
            user_errors: effective.user_errors().map(|e| e.errors().to_vec()),
            managed_errors: effective.managed_errors().map(|e| e.errors().to_vec()),
            locked: effective.locked().iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    /// Reads the report; anything unreadable counts as no report.
    pub fn from_value(value: &Value) -> SettingsStatus {
        serde_json::from_value(value.clone()).unwrap_or_default()
    }
}
