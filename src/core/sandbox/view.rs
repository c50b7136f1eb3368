//! Plain-data descriptions of what the visitor sees ([`WidgetView`]), what the popup agent
//! sees ([`AgentView`]) and the summary kept in the per-tab record ([`WidgetFacts`]).
//! All serialise in camelCase for the shells.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::record::{Message, VisitedPage, WidgetColor};
use super::utm::Utm;
use super::words::Lang;
use crate::api::call::{ContactInfo, CustomDataField, Phone};

/// The widget state reported by `jivo_onChangeState(state)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WidgetState {
    /// `label`: minimised to the launcher label, no conversation yet.
    #[serde(rename = "label")]
    Label,
    /// `chat/min`: minimised while a conversation exists (the label shows the last message).
    #[serde(rename = "chat/min")]
    ChatMin,
    /// `chat`: the chat window is open (with the offline form when agents are offline).
    #[serde(rename = "chat")]
    Chat,
    /// `call`: the window shows only the callback form.
    #[serde(rename = "call")]
    Call,
    /// `chat/call`: the chat window is open with the callback form over it.
    #[serde(rename = "chat/call")]
    ChatCall,
    /// `menu`: the channel menu opened by `open({start: 'menu'})`.
    #[serde(rename = "menu")]
    Menu,
}

impl WidgetState {
    /// The documented string.
    pub fn as_str(self) -> &'static str {
        match self {
            WidgetState::Label => "label",
            WidgetState::ChatMin => "chat/min",
            WidgetState::Chat => "chat",
            WidgetState::Call => "call",
            WidgetState::ChatCall => "chat/call",
            WidgetState::Menu => "menu",
        }
    }

    /// Whether the window is open (not `label`/`chat/min`).
    pub fn is_open(self) -> bool {
        !matches!(self, WidgetState::Label | WidgetState::ChatMin)
    }

    /// Whether the visitor sees the chat messages (`chat`, `chat/call`): agent messages
    /// arriving then are not unread.
    pub fn shows_chat(self) -> bool {
        matches!(self, WidgetState::Chat | WidgetState::ChatCall)
    }
}

/// `chatMode()`: whether at least one agent is online.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatMode {
    /// `online`.
    Online,
    /// `offline`.
    Offline,
}

impl ChatMode {
    /// `online` or `offline`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChatMode::Online => "online",
            ChatMode::Offline => "offline",
        }
    }
}

/// Whether the widget is on the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Phase {
    /// Created, `init()` not yet called.
    NotLoaded,
    /// On the page; `jivo_onLoadCallback` has fired.
    Loaded,
    /// Removed by `jivo_destroy()`; `jivo_init()` brings it back.
    Destroyed,
}

/// Where and how big the widget is; any change fires `jivo_onResizeCallback`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Geometry {
    /// Width in CSS pixels.
    pub width: u32,
    /// Height in CSS pixels.
    pub height: u32,
    /// Horizontal offset from the home corner (bottom right), set by dragging.
    pub x: i32,
    /// Vertical offset from the home corner, set by dragging.
    pub y: i32,
}

/// The widget's colours as the view paints them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Appearance {
    /// The main colour, `#rrggbb` or `#rgb`.
    pub color: String,
    /// The gradient's second colour, if any.
    pub color2: Option<String>,
    /// A CSS `background` value: the colour, or `linear-gradient(135deg, c1, c2)`.
    pub background: String,
}

/// The launcher label shown while minimised.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelView {
    /// `Chat with us` (online) or `Leave a message` (offline).
    pub text: String,
    /// The unread badge (0: no badge).
    pub unread: u32,
    /// In `chat/min`: the last visitor or agent message.
    pub preview: Option<String>,
}

/// The chat pane (states `chat` and `chat/call`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatPaneView {
    /// Whether agents are online (else the offline form replaces the input).
    pub online: bool,
    /// Whether an agent has joined (accepted).
    pub agent_joined: bool,
    /// The conversation as the visitor sees it, oldest first: the visitor's and the agent's
    /// lines, and the system lines meant for the visitor in the visitor's words (system lines
    /// for the agent, such as "Visitor introduced: …", are left out).
    pub messages: Vec<Message>,
    /// Whether the message input is shown (online).
    pub can_send: bool,
    /// Whether the "call me back" button is shown (callbacks enabled).
    pub can_request_call: bool,
    /// The contact form, when offered: online, after the visitor's first message, until a
    /// name, e-mail or phone is known.
    pub contact_form: Option<FormView>,
    /// The offline form, when agents are offline.
    pub offline_form: Option<OfflineFormView>,
}

/// A form's feedback.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FormView {
    /// The last validation error, shown under the form.
    pub error: Option<FormError>,
}

/// A refused form's reason, in the visitor's words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FormError {
    /// The sentence for the visitor.
    pub text: String,
    /// The field it is about (`name`, `email`, `phone`, `message`), if one: the shell marks
    /// that field invalid and ties the sentence to it.
    pub field: Option<String>,
}

/// The offline form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfflineFormView {
    /// The last validation error.
    pub error: Option<FormError>,
    /// Whether a message was sent from it (shows a "thank you" line).
    pub sent: bool,
}

/// The callback form (states `call` and `chat/call`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallbackFormView {
    /// Whether callbacks are enabled (else the form says the callback is unavailable).
    pub available: bool,
    /// The last validation error.
    pub error: Option<FormError>,
    /// The call in progress, if any.
    pub call: Option<CallView>,
    /// How the last call ended, if one did since the widget loaded.
    pub last_call: Option<CallEndView>,
}

/// The channel menu (state `menu`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MenuView {
    /// The chat channel (always offered).
    pub chat: bool,
    /// The call channel (offered while callbacks are enabled).
    pub call: bool,
}

/// The open window; exactly the parts of its state are present.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowView {
    /// The window's title line.
    pub header: String,
    /// The chat pane (`chat`, `chat/call`).
    pub chat: Option<ChatPaneView>,
    /// The callback form (`call`, `chat/call`).
    pub callback_form: Option<CallbackFormView>,
    /// The menu (`menu`).
    pub menu: Option<MenuView>,
}

/// A return call in progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallView {
    /// The number being called.
    pub phone: Phone,
    /// When it was requested.
    pub started_ms: u64,
    /// Whether it came from `startCall` (else from the callback form).
    pub from_api: bool,
}

/// How a call ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallEndView {
    /// The number that was called.
    pub phone: Phone,
    /// Whether it went through.
    pub ok: bool,
    /// Why it failed.
    pub reason: Option<String>,
}

/// The proactive invitation bubble.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationView {
    /// The invitation text.
    pub text: String,
    /// The department it comes from.
    pub department_id: Option<u64>,
}

/// Everything the visitor sees; the shell renders exactly this into its shadow root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetView {
    /// The visitor's language: every text in this view is in it, and the shell takes its own
    /// words from the same table ([`Lang::words`]).
    pub lang: Lang,
    /// Whether the widget is on the page at all (false before load and after destroy: render
    /// nothing).
    pub mounted: bool,
    /// The current state.
    pub state: WidgetState,
    /// Size and drag offset.
    pub geometry: Geometry,
    /// Colours.
    pub appearance: Appearance,
    /// The label, while minimised.
    pub label: Option<LabelView>,
    /// The window, while open.
    pub window: Option<WindowView>,
    /// The invitation bubble, while shown.
    pub invitation: Option<InvitationView>,
    /// A call in progress (shown in any state).
    pub call: Option<CallView>,
}

/// Everything the popup agent sees.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentView {
    /// Whether the widget is on the page.
    pub phase: Phase,
    /// The widget state (also meaningful while not mounted: the state it will show).
    pub state: WidgetState,
    /// Agent online.
    pub online: bool,
    /// Return calls enabled.
    pub callbacks_enabled: bool,
    /// Chat accepted.
    pub accepted: bool,
    /// The visitor's number for this page.
    pub visitor_number: u64,
    /// The current page (last `sendPageTitle`, else the page the widget loaded on).
    pub current_title: String,
    /// The current page's URL.
    pub current_url: String,
    /// The conversation, oldest first.
    pub conversation: Vec<Message>,
    /// Whether the visitor has sent a chat message in this history.
    pub has_chat_history: bool,
    /// Contact details.
    pub contact_info: ContactInfo,
    /// `setCustomData` fields, in order.
    pub custom_data: Vec<CustomDataField>,
    /// `setUserToken`.
    pub user_token: Option<String>,
    /// `setRules`.
    pub rules: Option<Map<String, Value>>,
    /// `sendPageTitle` reports, oldest first.
    pub pages: Vec<VisitedPage>,
    /// UTM tags of the first visit.
    pub utm: Utm,
    /// Unread agent messages on the visitor's side.
    pub unread: u32,
    /// The invitation currently shown, if any.
    pub invitation: Option<InvitationView>,
    /// The call in progress, if any.
    pub call: Option<CallView>,
    /// How the last call ended, if one did since the widget loaded.
    pub last_call: Option<CallEndView>,
    /// `setWidgetColor`.
    pub color: Option<WidgetColor>,
}

/// The summary of the widget kept in the per-tab record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetFacts {
    /// Whether the widget is loaded (on the page).
    pub loaded: bool,
    /// `chatMode()`.
    pub chat_mode: ChatMode,
    /// The state, while loaded.
    pub state: Option<WidgetState>,
    /// `getVisitorNumber`.
    pub visitor_number: u64,
    /// `getUnreadMessagesCount()`.
    pub unread: u32,
    /// `getUtm()`.
    pub utm: Utm,
    /// `getContactInfo()`.
    pub contact_info: ContactInfo,
}
