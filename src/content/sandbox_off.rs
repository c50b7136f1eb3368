//! The content script without the sandbox widget: the JivoChat-mode build
//! (`jwi-content` without its default `sandbox` feature), which a page in JivoChat mode loads
//! instead of the whole bundle (docs/architecture.md, "What a matched page pays"). The
//! sandbox's entry points the rest of the script calls are here, doing nothing: a page that
//! loaded this build and is then switched to sandbox mode says so and keeps its widget until
//! it is reloaded. Without the feature, `jwi-core`'s messages leave the sandbox's parts out
//! (its seed in `PageConfig`, the agent's actions), so this build carries no code to decode
//! them.

/// The sandbox widget's driver, absent.
pub mod sandbox_driver {
    use serde_json::Value;

    use jwi_core::api::call::Reply;
    use jwi_core::api::Method;
    use jwi_core::protocol::PageStatus;

    /// Why nothing of the sandbox runs on this page.
    const ABSENT: &str =
        "the page loaded JivoChat mode's content script: reload it for the sandbox";

    /// No sandbox to answer: `undefined`, with the reason in the log.
    pub fn page_call(_method: Method, _args: &[Value]) -> Reply {
        Reply::undefined().with_note(ABSENT)
    }

    /// No sandbox read to log.
    pub fn read_reply(_method: Method, _returned: Option<Value>) -> Option<Reply> {
        None
    }

    /// Nothing queued.
    pub fn flush() {}

    /// Says on the page's status that the sandbox cannot start before a reload.
    pub fn absent() {
        super::super::set_status(PageStatus::Failed {
            reason: ABSENT.to_owned(),
        });
    }
}

/// The sandbox's watch for the site's own widget, absent.
pub mod site_widget {
    use jwi_core::jivochat::EmbedEvent;

    /// Nothing to load.
    pub fn sandbox_load(_event: EmbedEvent) {}
}
