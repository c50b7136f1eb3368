//! Every key the extension keeps in extension storage, in one place: the background, the options
//! page and the popup spell a key only through this module.
//!
//! | area | key | holds | written by |
//! |---|---|---|---|
//! | `local` | [`SETTINGS`] (`settings`) | the user's settings document (`docs/settings.md`) | the options page |
//! | `local` | [`SETTINGS_IN_FORCE`] (`settingsInForce`) | the last valid user document the background applied | the background |
//! | `local` | [`sandbox_record`] (`sandbox:<origin>`) | a site's sandbox visitor record and agent state | the background |
//! | `local` | [`SANDBOX_VISITORS`] (`sandboxVisitors`) | how many sandbox visitors were numbered | the background |
//! | `session` | [`SETTINGS_STATUS`] (`settingsStatus`) | the background's [`SettingsStatus`](crate::settings::SettingsStatus) | the background |
//! | `session` | [`tab_view`] (`tab:<id>`) | a tab's [`TabView`](crate::protocol::popup::TabView) | the background |
//! | `session` | [`log_head`], [`log_chunk`] (`log:<tab>`, `log:<tab>:<n>`) | a tab's event log ([`ChunkKey`](crate::event_log::ChunkKey)) | the background |
//!
//! ```
//! use jwi_core::storage_keys;
//! assert_eq!(storage_keys::SETTINGS, "settings");
//! assert_eq!(storage_keys::tab_view(7), "tab:7");
//! assert_eq!(storage_keys::log_chunk(7, 2), "log:7:2");
//! ```

/// `storage.local`: the user's settings document.
pub const SETTINGS: &str = "settings";

/// `storage.local`: the last valid user document the background applied, so that an invalid
/// document cannot take the settings in force away, not even across a restart. The options
/// page reads it to show what is in force.
pub const SETTINGS_IN_FORCE: &str = "settingsInForce";

/// `storage.session`: the background's report on the settings
/// ([`SettingsStatus`](crate::settings::SettingsStatus)), which the options page shows.
pub const SETTINGS_STATUS: &str = "settingsStatus";

/// `storage.local`: the profile-wide counter that numbers new sandbox visitors 1, 2, 3…
pub const SANDBOX_VISITORS: &str = "sandboxVisitors";

/// The prefix of [`sandbox_record`] keys.
pub const SANDBOX_RECORD_PREFIX: &str = "sandbox:";

/// The prefix of [`tab_view`] keys.
pub const TAB_VIEW_PREFIX: &str = "tab:";

/// The prefix of [`log_head`] and [`log_chunk`] keys.
pub const LOG_PREFIX: &str = "log:";

/// `storage.local`: the sandbox's record of the site `origin` (`scheme://host[:port]`).
pub fn sandbox_record(origin: &str) -> String {
    format!("{SANDBOX_RECORD_PREFIX}{origin}")
}

/// `storage.session`: what the popup shows of tab `tab`, kept across background restarts.
pub fn tab_view(tab: i32) -> String {
    format!("{TAB_VIEW_PREFIX}{tab}")
}

/// `storage.session`: the head of tab `tab`'s event log.
pub fn log_head(tab: i32) -> String {
    format!("{LOG_PREFIX}{tab}")
}

/// `storage.session`: chunk `n` of tab `tab`'s event log.
pub fn log_chunk(tab: i32, n: u64) -> String {
    format!("{LOG_PREFIX}{tab}:{n}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_stored_ones() {
        // These are stored in users' profiles: changing one loses what is stored under it.
        assert_eq!(SETTINGS, "settings");
        assert_eq!(SETTINGS_IN_FORCE, "settingsInForce");
        assert_eq!(SETTINGS_STATUS, "settingsStatus");
        assert_eq!(SANDBOX_VISITORS, "sandboxVisitors");
        assert_eq!(
            sandbox_record("https://shop.example"),
            "sandbox:https://shop.example"
        );
        assert_eq!(tab_view(-1), "tab:-1");
        assert_eq!(log_head(12), "log:12");
        assert_eq!(log_chunk(12, 0), "log:12:0");
    }
}
