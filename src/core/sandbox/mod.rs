//! The sandbox widget model: our own offline widget that speaks the JivoChat Widget API exactly
//! as documented, with the extension popup acting as the agent.
//!
//! [`Sandbox`] is a pure state machine. The browser shell renders [`Sandbox::widget_view`] into
//! a closed shadow root, fires the callbacks the [`Effects`] ask for through `window.jivo_on…`,
//! stores [`Sandbox::record`] when asked to ([`Effect::Persist`]) and relays the agent's
//! actions from the popup ([`Sandbox::agent_view`] is what the popup shows).
//!
//! ```
//! use jwi_core::api::{Callback, Method};
//! use jwi_core::sandbox::{Sandbox, SiteContext, VisitorAction};
//! use serde_json::json;
//!
//! let site = SiteContext {
//!     origin: "https://shop.example".into(),
//!     page_url: "https://shop.example/?utm_source=ads".into(),
//!     page_title: "Shop".into(),
//!     now_ms: 0,
//! };
//! let mut w = Sandbox::new(site, None, 7);
//! assert_eq!(w.init().callbacks(), [Callback::OnLoadCallback]);
//! let (reply, fx) = w.call_raw(Method::Open, &[json!({"start": "chat"})]);
//! assert_eq!(reply.returned, Some(json!({"result": "ok"})));
//! assert_eq!(
//!     fx.callbacks(),
//!     [Callback::OnOpen, Callback::OnChangeState, Callback::OnResizeCallback]
//! );
//! let fx = w.visitor(VisitorAction::SendMessage { text: "Hello".into() });
//! assert_eq!(fx.callbacks(), [Callback::OnMessageSent, Callback::OnClientStartChat]);
//! ```
//!
//! # The rules
//!
//! ## Lifecycle
//!
//! - A new `Sandbox` is *not loaded*. [`Sandbox::init`] loads it: the widget appears minimised
//!   (`label`, or `chat/min` if the conversation has messages) and `jivo_onLoadCallback` fires.
//!   Appearing is not a state change or a resize: no `jivo_onChangeState`/`jivo_onResizeCallback`.
//! - `jivo_destroy()` removes the widget: effects `Destroyed`, then `jivo_onWidgetDestroy`. No
//!   `jivo_onClose` even if the window was open. The invitation, forms, window size and drag
//!   offset are forgotten; the record is not touched.
//! - `jivo_init()` after `jivo_destroy()` (or before the first load) is `init()`:
//!   `jivo_onLoadCallback` fires again. `jivo_init()` while loaded does nothing (note
//!   [`ALREADY_LOADED`]).
//! - Before the first load and after `jivo_destroy()`, every other call is refused and changes
//!   nothing: methods with a documented result object return `{result: 'fail', reason}`
//!   (`error` for `sendOfflineMessage`) with [`NOT_LOADED`] / [`DESTROYED`];
//!   `getVisitorNumber`'s callback gets `(reason, null)`; `isCallbackEnabled`'s gets
//!   `{result: 'fail', reason}`; every other method returns `undefined` and the reply's note
//!   carries the reason. Visitor actions are ignored. Agent actions still apply (see below).
//! - Calls with invalid arguments ([`ApiCall::from_args`](crate::api::call::ApiCall::from_args) errors, through
//!   [`Sandbox::call_raw`]/[`Sandbox::call_checked`]) change nothing and return the method's
//!   documented failure shape with the error sentence, or `undefined` with the sentence as note.
//!   `getVisitorNumber`/`isCallbackEnabled` without a function call nothing back.
//!
//! ## States (`jivo_onChangeState(state)`)
//!
//! | state | when |
//! |---|---|
//! | `label` | minimised, and the conversation has no visitor or agent message |
//! | `chat/min` | minimised, and the conversation has a visitor or agent message (the label shows it) |
//! | `chat` | the chat window is open (with the offline form instead of the input while agents are offline) |
//! | `call` | the window shows only the callback form: `open({start:'call'})` from a minimised widget or the menu, or the menu's call channel |
//! | `chat/call` | the callback form over the chat: `open({start:'call'})` or the visitor's "call me back" button while the chat window is open |
//! | `menu` | `open({start:'menu'})`: the channel menu (chat; call while callbacks are enabled) |
//!
//! Transitions: the visitor clicks the label → `chat`; minimises → `label`/`chat/min`; from the
//! menu picks chat → `chat` or call → `call`; from `chat` opens the callback form → `chat/call`;
//! closes it → back to `chat` (from `chat/call`) or minimised (from `call`). `open({start})` goes
//! straight to the state for `start` from anywhere (`call` → `chat/call` if the chat window is
//! open). `close()` minimises. A minimised widget moves between `label` and `chat/min` by itself
//! when the first message arrives (e.g. an agent writes first) or `clearHistory()` empties the
//! conversation.
//!
//! ## Generic callbacks, derived from every input
//!
//! After each input, while the widget is loaded before and after it, the model compares and
//! fires, after the input's own callbacks and in this order:
//! 1. `jivo_onOpen` when minimised → open (any of `chat`, `call`, `chat/call`, `menu`; by the
//!    visitor, by `open()`, or by a proactive invitation); `jivo_onClose` when open → minimised
//!    (by the visitor, `close()`, closing an invitation that opened the window, closing a
//!    standalone callback form). Moving between open states fires neither.
//! 2. `jivo_onChangeState(state)` when the state string changed.
//! 3. `jivo_onResizeCallback` when the widget's size or drag offset changed. Each state has its
//!    own size (label 240×56, chat/min 320×140, chat 370×560 or as the visitor resized it,
//!    chat/call 90 px taller than chat, call 370×380, menu 300×240), so every state change also
//!    resizes; the visitor resizing the chat window or dragging the widget resizes without a
//!    state change.
//!
//! ## Input-specific callbacks
//!
//! - `jivo_onMessageSent`: the visitor sends a chat message while there is no chat history
//!   (the record's `hasChatHistory` is false). Sending sets it; only `clearHistory()` clears it.
//!   So: at most once per history, and never again on later page loads.
//! - `jivo_onClientStartChat`: on that same first message, if no proactive invitation was shown
//!   since the history began (in this page view) and the agent has not written first. Fires
//!   after `jivo_onMessageSent`.
//! - The visitor can send only in state `chat` while agents are online; blank text is not sent.
//!   Offline messages (offline form, `sendOfflineMessage`) are not chat: no `jivo_onMessageSent`,
//!   no chat history; they appear in the conversation marked `offline`.
//! - `jivo_onIntroduction`: the visitor submits the contact form. The form is offered in the
//!   `chat` state while agents are online, after the visitor's first message, until a name,
//!   e-mail or phone is known. Fields are validated (a refused form shows its error and fires
//!   nothing; at least one field is needed). Afterwards `getContactInfo()` returns
//!   `{client_name, email, phone, description}` with `null` for empty fields. `setContactInfo`
//!   sets the same data but does not fire `jivo_onIntroduction` (it is not the visitor).
//! - `jivo_onAccept`: the agent accepts the chat, or writes while the chat is not accepted
//!   (starting the dialog), which accepts it first. Once per acceptance; going offline or
//!   `clearHistory()` ends the acceptance.
//! - `jivo_onMessageReceived`: every agent message. The unread count
//!   (`getUnreadMessagesCount()`, the label's badge) counts agent messages that arrived while
//!   the chat was not visible; the chat is visible (seen) in `chat` and `chat/call`, and
//!   entering either sets the count to 0. Never negative, never more than the agent messages
//!   in the conversation. Ordering when the agent writes first: `jivo_onAccept`,
//!   `jivo_onMessageReceived`, then any generic callbacks (`label` → `chat/min`).
//! - `jivo_onCallStart`: the visitor submits the callback form with a valid phone, or
//!   `startCall(phone)` succeeds. Refused while callbacks are disabled (`Callback disabled`) or
//!   a call is in progress ([`CALL_IN_PROGRESS`]). `startCall` does not open the window.
//! - `jivo_onCallEnd(res)`: the agent ends the call in progress: `{result: 'ok'}` or
//!   `{result: 'fail', reason}` (an empty reason becomes `Call failed`).
//! - `jivo_onWidgetDestroy`: `jivo_destroy()`.
//!
//! ## Methods
//!
//! - `open({start})` → `{result:'ok'}` (also when already in that state, with no callbacks);
//!   `{result:'fail', reason:'Callback disabled'}` for `start: 'call'` while callbacks are
//!   disabled. Opening the chat works offline too (the window shows the offline form).
//! - `close()` → `{result:'ok'}` (also when already minimised); the invitation bubble goes.
//! - `showProactiveInvitation(text, department_id)` → `undefined`. The reference says it
//!   "opens the chat window with a custom text": the window goes to `chat` (firing
//!   `jivo_onOpen` etc. if it was minimised), the bubble shows the text, and the conversation
//!   gets a system line for the agent. The bubble goes when the visitor writes, minimises, or
//!   closes it (which minimises again if the invitation had opened the window). Shown whether
//!   agents are online or not.
//! - `setWidgetColor(color, color2)` → `undefined`; the label and window use the colour, or a
//!   135° gradient with `color2`. Kept in the record.
//! - `chatMode()` → `"online"` / `"offline"` (the popup agent's status).
//! - `startCall(phone)` → `{result:'ok'}` / `{result:'fail', reason}` as above.
//! - `sendOfflineMessage({...})` → `{result:'ok'}` while agents are offline (the message joins
//!   the conversation, its contact fields are merged into the contact info);
//!   `{result:'fail', error}` while online ([`AGENTS_ONLINE`]: the reference describes it as
//!   "send a message in the offline chat mode") or on invalid fields.
//! - `sendPageTitle(title, fromApi, url)` → `undefined`; the report (URL defaults to the
//!   current page) is appended to the record's page list (last [`MAX_PAGES`]) and becomes the
//!   agent's "current page".
//! - `setContactInfo({...})` → `undefined`; given fields replace, absent fields stay.
//! - `setCustomData(fields)` → `undefined`; replaces the list, shown to the agent in order.
//! - `setUserToken(token)`, `setRules(rules)` → `undefined`; replace, shown to the agent.
//! - `getContactInfo()` → `{client_name, email, phone, description}`, `null` where unknown.
//! - `getVisitorNumber(cb)` → `undefined`; `cb(null, number)`.
//! - `getUnreadMessagesCount()` → the unread count.
//! - `getUtm()` → `{source, medium, campaign, content, term}` from the first visit's URL; all
//!   five keys always present, `null` for absent tags ([`parse_utm`]).
//! - `isCallbackEnabled(cb)` → `undefined`; `cb({result:'ok'})` or
//!   `cb({result:'fail', reason:'Callback disabled'})`.
//! - `clearHistory()` → `undefined`. "Clears the chat history and all JivoChat data": the record
//!   is reset to [`VisitorRecord::cleared`] — conversation, chat history, contact info, custom
//!   data, user token, rules, pages, UTM, unread count and the visitor number are gone; only
//!   the widget colour (page appearance, not visitor data) stays. The chat is no longer
//!   accepted and the invitation is forgotten. This page keeps answering `getVisitorNumber`
//!   with its number until it unloads; the next load, finding no number in the record, is a
//!   new visitor with the number the background assigns and UTM tags from that page's URL.
//!   A call in progress is the agent's and continues.
//!
//! ## Agent actions
//!
//! Online/offline, callbacks on/off, accept, write, end a call. They apply whether or not the
//! widget is loaded (a message to a destroyed widget is stored and counted unread); callbacks
//! fire only while it is loaded. Writing needs the agent online; accepting needs online and not
//! yet accepted; ending needs a call in progress. Everything else is ignored.
//!
//! Agents start online with callbacks enabled. Online, callbacks enabled, accepted and the call
//! in progress are the agent's facts, not the visitor's record: they live in [`AgentState`],
//! which the shell carries from page to page ([`Sandbox::agent_state`],
//! [`Sandbox::with_agent_state`]), so a reload mid-chat does not fire `jivo_onAccept` again. The agent state is stored with the record whenever
//! either changes (`Persist`): storing it only with record changes once let an "online" after an
//! offline message revert to offline on the next page (issue #16).
//!
//! ## Effects
//!
//! Each input returns its [`Effects`]: `Destroyed` first if the widget was removed, then
//! `Persist` if the record or the agent state changed, `Render` if the widget or agent view changed, then the
//! callbacks in the order the page should see them (the input's own first, then the generic
//! ones). The shell fires them asynchronously, after returning the [`Reply`].

mod effects;
mod input;
mod machine;
mod record;
mod utm;
mod view;
mod words;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use crate::api::call::Reply;
pub use effects::{Effect, Effects};
pub use input::{AgentAction, AgentState, CallEnd, SiteContext, VisitorAction};
pub use machine::{
    Sandbox, AGENTS_ONLINE, ALREADY_LOADED, CALL_IN_PROGRESS, CALL_SIZE, CHAT_CALL_EXTRA_HEIGHT,
    CHAT_MIN_SIZE, CHAT_SIZE, CONTACT_FORM_EMPTY, DEFAULT_COLOR, DESTROYED, LABEL_SIZE, MAX_DRAG,
    MAX_WINDOW, MENU_SIZE, MIN_WINDOW, NOT_LOADED, READS,
};
pub use record::{
    Author, FirstVisit, Message, VisitedPage, VisitorNote, VisitorRecord, WidgetColor,
    MAX_MESSAGES, MAX_PAGES,
};
pub use utm::{parse_utm, Utm};
pub use view::{
    AgentView, Appearance, CallEndView, CallView, CallbackFormView, ChatMode, ChatPaneView,
    FormError, FormView, Geometry, InvitationView, LabelView, MenuView, OfflineFormView, Phase,
    WidgetFacts, WidgetState, WidgetView, WindowView,
};
pub use words::{fill, FormProblem, Lang, Words};
