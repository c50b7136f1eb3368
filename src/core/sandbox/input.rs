//! Inputs of the sandbox model besides API calls: what the visitor does in the widget and what
//! the agent does in the popup, plus the site the widget runs on.

use serde::{Deserialize, Serialize};

use super::view::CallView;

/// The page the sandbox widget runs on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteContext {
    /// The page's origin, e.g. `https://shop.example` (the record is kept per origin).
    pub origin: String,
    /// The page's URL when the widget was created (UTM tags of a first visit come from it).
    pub page_url: String,
    /// The page's title when the widget was created.
    pub page_title: String,
    /// The time, in milliseconds since the Unix epoch.
    pub now_ms: u64,
}

/// The agent-side facts: not part of the visitor's record, but they outlive a page load (the
/// agent stays online, the chat stays accepted, a call goes on while the visitor navigates).
/// The shell reads [`Sandbox::agent_state`](super::Sandbox::agent_state) after effects that
/// render and hands it to the next page's model with
/// [`Sandbox::with_agent_state`](super::Sandbox::with_agent_state).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AgentState {
    /// At least one agent online (`chatMode()`).
    pub online: bool,
    /// Return calls available.
    pub callbacks_enabled: bool,
    /// The chat is accepted (`jivo_onAccept` has fired for it).
    pub accepted: bool,
    /// A return call in progress.
    pub call: Option<CallView>,
}

impl Default for AgentState {
    /// Online, callbacks enabled, nothing accepted, no call: a configured widget on a staffed
    /// site.
    fn default() -> AgentState {
        AgentState {
            online: true,
            callbacks_enabled: true,
            accepted: false,
            call: None,
        }
    }
}

/// Something the visitor does in the widget.
///
/// An action the current view does not offer (typing into a minimised widget, submitting a
/// form that is not shown, opening the callback form when callbacks are disabled) is ignored:
/// it returns no effects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum VisitorAction {
    /// Click the minimised label (`label`/`chat/min`): open the chat window.
    ClickLabel,
    /// Minimise the open window (any open state).
    Minimise,
    /// Go to the chat: from the menu, or back from the callback form over the chat.
    OpenChat,
    /// Open the callback form: from the chat window (`chat/call`) or the menu (`call`).
    /// Offered only while callbacks are enabled.
    OpenCallbackForm,
    /// Close the callback form: back to the chat from `chat/call`, minimised from `call`.
    CloseCallbackForm,
    /// Send a chat message (chat window open, agents online).
    #[serde(rename_all = "camelCase")]
    SendMessage {
        /// The text typed; blank text is not sent.
        text: String,
    },
    /// Submit the contact form shown in the chat window after the first message.
    #[serde(rename_all = "camelCase")]
    SubmitContactForm {
        /// Name field.
        name: String,
        /// E-mail field.
        email: String,
        /// Phone field.
        phone: String,
    },
    /// Submit the callback form with a phone number.
    #[serde(rename_all = "camelCase")]
    SubmitCallbackForm {
        /// Phone field.
        phone: String,
    },
    /// Submit the offline form (chat window open, agents offline).
    #[serde(rename_all = "camelCase")]
    SubmitOfflineForm {
        /// Name field.
        name: String,
        /// E-mail field.
        email: String,
        /// Phone field.
        phone: String,
        /// Message field.
        message: String,
    },
    /// Close the proactive invitation bubble (and the window, if the invitation opened it).
    CloseInvitation,
    /// Resize the chat window (state `chat` only); clamped to sensible bounds.
    #[serde(rename_all = "camelCase")]
    Resize {
        /// Width in CSS pixels.
        width: u32,
        /// Height in CSS pixels.
        height: u32,
    },
    /// Drag the widget to an offset from its home corner; clamped.
    #[serde(rename_all = "camelCase")]
    Drag {
        /// Horizontal offset in CSS pixels (negative is left).
        x: i32,
        /// Vertical offset in CSS pixels (negative is up).
        y: i32,
    },
}

/// How the agent ends a return call.
///
/// Externally tagged on the wire (`"ok"`, `{"fail":{"reason":…}}`), as [`AgentAction`] is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CallEnd {
    /// The call went through: `jivo_onCallEnd({result: 'ok'})`.
    Ok,
    /// It failed or could not start: `jivo_onCallEnd({result: 'fail', reason})`.
    Fail {
        /// Why (an empty reason becomes `Call failed`).
        reason: String,
    },
}

/// Something the agent does in the popup.
///
/// Agent actions change agent-side facts whether or not the widget is on the page; callbacks
/// fire only while it is loaded. Actions that make no sense (accepting twice, writing while
/// offline, ending a call that is not in progress) are ignored.
///
/// Externally tagged on the wire (`{"sendMessage":{"text":…}}`, `"acceptChat"`): the content
/// script decodes it (`ToContent::Agent`), and serde decodes an internally tagged enum by
/// buffering it first, with code for that in every sandbox-mode page (docs/architecture.md,
/// "The page's messages, decoded by hand"). Only Rust writes and reads it, and it is never
/// stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AgentAction {
    /// Go online (`true`) or offline (`false`); going offline leaves the chat (not accepted).
    #[serde(rename_all = "camelCase")]
    SetOnline {
        /// The new status.
        online: bool,
    },
    /// Enable or disable return calls.
    #[serde(rename_all = "camelCase")]
    SetCallbacksEnabled {
        /// The new setting.
        enabled: bool,
    },
    /// Accept the chat, or start the dialog (online only).
    AcceptChat,
    /// Send a message to the visitor (online only; accepts the chat first if needed).
    #[serde(rename_all = "camelCase")]
    SendMessage {
        /// The text; blank text is not sent.
        text: String,
    },
    /// End the call in progress.
    #[serde(rename_all = "camelCase")]
    EndCall {
        /// How it ended.
        outcome: CallEnd,
    },
}
