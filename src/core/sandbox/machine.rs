//! The [`Sandbox`] state machine: inputs in, ordered [`Effects`] out. The rules it implements
//! are written down in the [module documentation](super).

use serde_json::Value;

use super::effects::Effects;
use super::input::{AgentAction, AgentState, CallEnd, SiteContext, VisitorAction};
use super::record::{Author, Message, VisitorNote, VisitorRecord, WidgetColor};
use super::view::{
    AgentView, Appearance, CallEndView, CallView, CallbackFormView, ChatMode, ChatPaneView,
    FormError, FormView, Geometry, InvitationView, LabelView, MenuView, OfflineFormView, Phase,
    WidgetFacts, WidgetState, WidgetView, WindowView,
};
use super::words::{FormProblem, Lang};
use crate::api::call::{
    ApiCall, ApiResult, ArgError, ContactInfo, NonEmptyText, OfflineMessage, Phone, Reply,
    CALLBACK_DISABLED,
};
use crate::api::{Callback, Method};

/// The widget colour before any `setWidgetColor`.
pub const DEFAULT_COLOR: &str = "#2a7de1";

/// Why calls are refused before `init()`.
pub const NOT_LOADED: &str =
    "The widget has not loaded yet: call jivo_api methods from jivo_onLoadCallback";
/// Why calls are refused after `jivo_destroy()`.
pub const DESTROYED: &str =
    "The widget was removed by jivo_destroy(): call jivo_init() to show it again";
/// Why `startCall` and the callback form refuse a second call.
pub const CALL_IN_PROGRESS: &str = "A call is already in progress";
/// Why `sendOfflineMessage` refuses while an agent is online.
pub const AGENTS_ONLINE: &str =
    "Agents are online: offline messages can be sent only when chatMode() is \"offline\"";
/// The entry points that only read the widget's state, with no arguments and no callback:
/// [`Sandbox::read`] answers them.
pub const READS: [Method; 3] = [
    Method::GetContactInfo,
    Method::GetUnreadMessagesCount,
    Method::GetUtm,
];
/// Why a second `jivo_init()` does nothing.
pub const ALREADY_LOADED: &str = "The widget is already loaded: jivo_init() does nothing";
/// The contact form's error when every field is empty.
pub const CONTACT_FORM_EMPTY: &str = "Enter a name, an e-mail address or a phone number";

/// Size of the `label` state.
pub const LABEL_SIZE: (u32, u32) = (240, 56);
/// Size of the `chat/min` state (label with a preview of the last message).
pub const CHAT_MIN_SIZE: (u32, u32) = (320, 140);
/// Default size of the chat window (`chat`).
pub const CHAT_SIZE: (u32, u32) = (370, 560);
/// Extra height of `chat/call` over the chat window (the callback form below the chat).
pub const CHAT_CALL_EXTRA_HEIGHT: u32 = 90;
/// Size of the `call` state (the callback form alone).
pub const CALL_SIZE: (u32, u32) = (370, 380);
/// Size of the `menu` state.
pub const MENU_SIZE: (u32, u32) = (300, 240);
/// Smallest chat window a visitor can resize to.
pub const MIN_WINDOW: (u32, u32) = (300, 400);
/// Largest chat window a visitor can resize to.
pub const MAX_WINDOW: (u32, u32) = (900, 1200);
/// Largest drag offset in either direction.
pub const MAX_DRAG: i32 = 5000;

/// What the visitor has on screen, as the model tracks it (the documented state adds whether
/// a minimised widget has a conversation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Window {
    Minimised,
    Chat,
    Call,
    ChatCall,
    Menu,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Invitation {
    text: String,
    department_id: Option<u64>,
    /// Whether showing it opened the window (closing it then minimises again).
    opened_window: bool,
}

/// Visitor-side UI state that lives only while the widget is on the page.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Ui {
    window: Window,
    invitation: Option<Invitation>,
    contact_error: Option<FormProblem>,
    callback_error: Option<FormProblem>,
    offline_error: Option<FormProblem>,
    offline_sent: bool,
    window_size: Option<(u32, u32)>,
    offset: (i32, i32),
}

impl Ui {
    fn fresh() -> Ui {
        Ui {
            window: Window::Minimised,
            invitation: None,
            contact_error: None,
            callback_error: None,
            offline_error: None,
            offline_sent: false,
            window_size: None,
            offset: (0, 0),
        }
    }
}

/// Callbacks collected while an input is applied.
#[derive(Default)]
struct Out {
    fires: Vec<(Callback, Vec<Value>)>,
    destroyed: bool,
}

impl Out {
    fn fire(&mut self, c: Callback, args: Vec<Value>) {
        self.fires.push((c, args));
    }
}

/// What is compared before and after an input to derive the generic callbacks and effects.
struct Snapshot {
    loaded: bool,
    state: WidgetState,
    geometry: Geometry,
    record: VisitorRecord,
    agent_state: AgentState,
    widget: WidgetView,
    agent: AgentView,
}

/// The sandbox widget: a pure model of a JivoChat widget on one page, with the popup as agent.
///
/// Create it with [`Sandbox::new`], call [`Sandbox::init`] when the widget loads, then feed it
/// page calls ([`Sandbox::call`], [`Sandbox::call_raw`]), visitor actions
/// ([`Sandbox::visitor`]) and agent actions ([`Sandbox::agent`]). Each input returns the
/// [`Effects`] the shell must carry out; the views describe what to show.
#[derive(Clone, Debug)]
pub struct Sandbox {
    site: SiteContext,
    now_ms: u64,
    visitor_number: u64,
    record: VisitorRecord,
    phase: Phase,
    online: bool,
    callbacks_enabled: bool,
    accepted: bool,
    /// Whether a proactive invitation was shown in this history (then the visitor's first
    /// message does not count as the client starting the chat).
    invitation_shown: bool,
    call: Option<CallView>,
    last_call: Option<CallEndView>,
    ui: Ui,
    /// The visitor's language: what the widget view says is in it.
    lang: Lang,
}

impl Sandbox {
    /// A widget for `site`, not yet loaded, with the default [`AgentState`] (agents online,
    /// callbacks enabled; see [`Sandbox::with_agent_state`]).
    ///
    /// `saved` is the visitor's stored record, if any. A record with a visitor number is the
    /// returning visitor: everything in it is kept (bounds enforced). Without one (no record,
    /// or one left by `clearHistory()`), this is a new visitor numbered `visitor_number`, and
    /// the UTM tags are read from `site.page_url`; what a number-less record still holds
    /// (the colour, anything said after the clear) is kept.
    pub fn new(site: SiteContext, saved: Option<VisitorRecord>, visitor_number: u64) -> Sandbox {
        let mut record = saved.unwrap_or_default().normalized();
        if record.visitor_number.is_none() {
            let fresh = VisitorRecord::new_visitor(visitor_number, &site.page_url, site.now_ms);
            record.visitor_number = fresh.visitor_number;
            record.first_visit = fresh.first_visit;
            record.utm = fresh.utm;
        }
        let number = record.visitor_number.unwrap_or(visitor_number);
        Sandbox {
            now_ms: site.now_ms,
            site,
            visitor_number: number,
            record,
            phase: Phase::NotLoaded,
            online: true,
            callbacks_enabled: true,
            accepted: false,
            invitation_shown: false,
            call: None,
            last_call: None,
            ui: Ui::fresh(),
            lang: Lang::En,
        }
    }

    /// The same widget speaking `lang` to the visitor (English by default). What the agent
    /// sees, the log and the page's API results stay in English.
    pub fn with_lang(mut self, lang: Lang) -> Sandbox {
        self.set_lang(lang);
        self
    }

    /// Speaks `lang` to the visitor from now on (the next widget view).
    pub fn set_lang(&mut self, lang: Lang) {
        self.lang = lang;
    }

    /// The same widget with the agent-side facts carried over from the previous page
    /// (see [`AgentState`]); an offline agent has no accepted chat. Meant for right after
    /// [`Sandbox::new`], before [`Sandbox::init`].
    pub fn with_agent_state(mut self, agent: AgentState) -> Sandbox {
        self.online = agent.online;
        self.callbacks_enabled = agent.callbacks_enabled;
        self.accepted = agent.accepted && agent.online;
        self.call = agent.call;
        self
    }

    /// The agent-side facts, to carry over to the next page.
    pub fn agent_state(&self) -> AgentState {
        AgentState {
            online: self.online,
            callbacks_enabled: self.callbacks_enabled,
            accepted: self.accepted,
            call: self.call.clone(),
        }
    }

    /// Advances the clock used to time-stamp messages, reports and calls (it never goes back).
    pub fn set_now(&mut self, now_ms: u64) {
        self.now_ms = self.now_ms.max(now_ms);
    }

    /// The widget loads (first load, or `jivo_init()` after `jivo_destroy()`): it appears
    /// minimised and `jivo_onLoadCallback` fires. Does nothing if already loaded.
    pub fn init(&mut self) -> Effects {
        self.step(|s, out| {
            if s.phase != Phase::Loaded {
                s.phase = Phase::Loaded;
                s.ui = Ui::fresh();
                out.fire(Callback::OnLoadCallback, Vec::new());
            }
        })
        .1
    }

    /// A page call whose arguments may have been refused by
    /// [`ApiCall::from_args`]: a refusal answers with the method's documented failure shape
    /// (or `undefined`) and changes nothing.
    pub fn call_checked(
        &mut self,
        method: Method,
        parsed: Result<ApiCall, ArgError>,
    ) -> (Reply, Effects) {
        match parsed {
            Ok(call) => self.call(call),
            Err(e) => (Reply::invalid(method, &e), Effects::none()),
        }
    }

    /// A page call as the shim delivers it: validated, then applied.
    pub fn call_raw(&mut self, method: Method, args: &[Value]) -> (Reply, Effects) {
        self.call_checked(method, ApiCall::from_args(method, args))
    }

    /// A valid page call: the synchronous reply (and callback arguments) and the effects.
    ///
    /// Before `init()` and after `jivo_destroy()` every call but `jivo_init()` is refused with
    /// [`NOT_LOADED`] / [`DESTROYED`] in the documented failure shape (`undefined` for methods
    /// without one; `getVisitorNumber`'s callback gets `(reason, null)`, `isCallbackEnabled`'s
    /// `{result: 'fail', reason}`).
    pub fn call(&mut self, call: ApiCall) -> (Reply, Effects) {
        let method = call.method();
        match (self.phase, &call) {
            (Phase::Loaded, _) => self.step(|s, out| s.apply_call(call, out)),
            (_, ApiCall::JivoInit) => (Reply::undefined(), self.init()),
            (Phase::NotLoaded, _) => (Reply::refused(method, NOT_LOADED, true), Effects::none()),
            (Phase::Destroyed, _) => (Reply::refused(method, DESTROYED, true), Effects::none()),
        }
    }

    /// What a page call of `method` with no arguments returns now, if `method` is one of
    /// [`READS`] (else `None`): exactly [`Sandbox::call`]'s reply, without its step, since a
    /// read changes nothing. The page shim answers such calls from the last answers it was sent
    /// ([`ToPage::Reads`](crate::protocol::page::ToPage::Reads)), without a round trip.
    pub fn read(&self, method: Method) -> Option<Reply> {
        if !READS.contains(&method) {
            return None;
        }
        Some(match self.phase {
            Phase::Loaded => self.read_loaded(method),
            Phase::NotLoaded => Reply::refused(method, NOT_LOADED, true),
            Phase::Destroyed => Reply::refused(method, DESTROYED, true),
        })
    }

    /// The answer of one of [`READS`] while the widget is loaded.
    fn read_loaded(&self, method: Method) -> Reply {
        match method {
            Method::GetContactInfo => Reply::value(self.record.contact.to_contact_info_result()),
            Method::GetUnreadMessagesCount => Reply::value(Value::from(self.record.unread)),
            _ => Reply::value(self.record.utm.to_value()),
        }
    }

    /// Something the visitor does in the widget; ignored unless the widget is loaded and its
    /// view offers the action.
    pub fn visitor(&mut self, action: VisitorAction) -> Effects {
        if self.phase != Phase::Loaded {
            return Effects::none();
        }
        self.step(|s, out| s.apply_visitor(action, out)).1
    }

    /// Something the agent does in the popup. Applies whether or not the widget is on the
    /// page; callbacks fire only while it is loaded.
    pub fn agent(&mut self, action: AgentAction) -> Effects {
        self.step(|s, out| s.apply_agent(action, out)).1
    }

    /// The visitor record to persist.
    pub fn record(&self) -> &VisitorRecord {
        &self.record
    }

    /// The page the widget runs on (title and URL follow `sendPageTitle`).
    pub fn site(&self) -> &SiteContext {
        &self.site
    }

    /// Whether the widget is loaded, not yet loaded, or destroyed.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The visitor's number for this page (kept until the next load even after
    /// `clearHistory()`).
    pub fn visitor_number(&self) -> u64 {
        self.visitor_number
    }

    /// `chatMode()`.
    pub fn chat_mode(&self) -> ChatMode {
        if self.online {
            ChatMode::Online
        } else {
            ChatMode::Offline
        }
    }

    /// The widget state (`label`, `chat/min`, `chat`, `call`, `chat/call`, `menu`).
    pub fn state(&self) -> WidgetState {
        match self.ui.window {
            Window::Minimised if self.record.has_conversation() => WidgetState::ChatMin,
            Window::Minimised => WidgetState::Label,
            Window::Chat => WidgetState::Chat,
            Window::Call => WidgetState::Call,
            Window::ChatCall => WidgetState::ChatCall,
            Window::Menu => WidgetState::Menu,
        }
    }

    /// The widget's size and drag offset.
    pub fn geometry(&self) -> Geometry {
        let chat = self.ui.window_size.unwrap_or(CHAT_SIZE);
        let (width, height) = match self.state() {
            WidgetState::Label => LABEL_SIZE,
            WidgetState::ChatMin => CHAT_MIN_SIZE,
            WidgetState::Chat => chat,
            WidgetState::ChatCall => (chat.0, chat.1.saturating_add(CHAT_CALL_EXTRA_HEIGHT)),
            WidgetState::Call => CALL_SIZE,
            WidgetState::Menu => MENU_SIZE,
        };
        Geometry {
            width,
            height,
            x: self.ui.offset.0,
            y: self.ui.offset.1,
        }
    }

    /// What the visitor sees.
    pub fn widget_view(&self) -> WidgetView {
        let state = self.state();
        let words = self.lang.words();
        let label = (!state.is_open()).then(|| LabelView {
            text: if self.online {
                words.label_online.into()
            } else {
                words.label_offline.into()
            },
            unread: self.record.unread,
            preview: (state == WidgetState::ChatMin)
                .then(|| {
                    self.record
                        .messages
                        .iter()
                        .rev()
                        .find(|m| m.author != Author::System)
                        .map(|m| m.text.chars().take(100).collect())
                })
                .flatten(),
        });
        let window = state.is_open().then(|| WindowView {
            header: match state {
                WidgetState::Call => words.title_call.into(),
                WidgetState::Menu => words.title_menu.into(),
                _ if self.online => words.title_chat.into(),
                _ => words.title_offline.into(),
            },
            chat: state.shows_chat().then(|| self.chat_pane()),
            callback_form: matches!(state, WidgetState::Call | WidgetState::ChatCall).then(|| {
                CallbackFormView {
                    available: self.callbacks_enabled,
                    error: self.form_error(self.ui.callback_error),
                    call: self.call.clone(),
                    last_call: self.last_call.clone(),
                }
            }),
            menu: (state == WidgetState::Menu).then_some(MenuView {
                chat: true,
                call: self.callbacks_enabled,
            }),
        });
        WidgetView {
            lang: self.lang,
            mounted: self.phase == Phase::Loaded,
            state,
            geometry: self.geometry(),
            appearance: self.appearance(),
            label,
            window,
            invitation: self.invitation_view(),
            call: self.call.clone(),
        }
    }

    /// What the popup agent sees.
    pub fn agent_view(&self) -> AgentView {
        AgentView {
            phase: self.phase,
            state: self.state(),
            online: self.online,
            callbacks_enabled: self.callbacks_enabled,
            accepted: self.accepted,
            visitor_number: self.visitor_number,
            current_title: self.site.page_title.clone(),
            current_url: self.site.page_url.clone(),
            conversation: self.record.messages.clone(),
            has_chat_history: self.record.has_chat_history,
            contact_info: self.record.contact.clone(),
            custom_data: self.record.custom_data.clone(),
            user_token: self.record.user_token.clone(),
            rules: self.record.rules.clone(),
            pages: self.record.pages.clone(),
            utm: self.record.utm.clone(),
            unread: self.record.unread,
            invitation: self.invitation_view(),
            call: self.call.clone(),
            last_call: self.last_call.clone(),
            color: self.record.color.clone(),
        }
    }

    /// The summary for the per-tab record.
    pub fn facts(&self) -> WidgetFacts {
        let loaded = self.phase == Phase::Loaded;
        WidgetFacts {
            loaded,
            chat_mode: self.chat_mode(),
            state: loaded.then(|| self.state()),
            visitor_number: self.visitor_number,
            unread: self.record.unread,
            utm: self.record.utm.clone(),
            contact_info: self.record.contact.clone(),
        }
    }

    // ---- the step: apply, settle, derive generic callbacks and effects ----------------------

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            loaded: self.phase == Phase::Loaded,
            state: self.state(),
            geometry: self.geometry(),
            record: self.record.clone(),
            agent_state: self.agent_state(),
            widget: self.widget_view(),
            agent: self.agent_view(),
        }
    }

    fn step<R>(&mut self, f: impl FnOnce(&mut Sandbox, &mut Out) -> R) -> (R, Effects) {
        let before = self.snapshot();
        let mut out = Out::default();
        let r = f(self, &mut out);
        self.settle();
        let after = self.snapshot();
        if before.loaded && after.loaded {
            match (before.state.is_open(), after.state.is_open()) {
                (false, true) => out.fire(Callback::OnOpen, Vec::new()),
                (true, false) => out.fire(Callback::OnClose, Vec::new()),
                _ => {}
            }
            if before.state != after.state {
                out.fire(
                    Callback::OnChangeState,
                    vec![Value::String(after.state.as_str().into())],
                );
            }
            if before.geometry != after.geometry {
                out.fire(Callback::OnResizeCallback, Vec::new());
            }
        }
        // The agent state is stored with the record: storing only on record changes would
        // leave the stored agent state of the last record change (offline, after an offline
        // message) to overrule a later "online" on the next page.
        let persist = before.record != after.record || before.agent_state != after.agent_state;
        let render = before.widget != after.widget || before.agent != after.agent;
        (r, Effects::build(out.destroyed, persist, render, out.fires))
    }

    /// Invariants restored after every input: messages the visitor can see are read, and the
    /// unread count never exceeds the agent messages it counts.
    fn settle(&mut self) {
        if self.phase == Phase::Loaded && self.state().shows_chat() {
            self.record.unread = 0;
        }
        self.record.unread = self.record.unread.min(self.record.agent_message_count());
    }

    fn fire_if_loaded(&self, out: &mut Out, c: Callback, args: Vec<Value>) {
        if self.phase == Phase::Loaded {
            out.fire(c, args);
        }
    }

    // ---- page calls --------------------------------------------------------------------------

    fn apply_call(&mut self, call: ApiCall, out: &mut Out) -> Reply {
        match call {
            ApiCall::Open { start } => {
                use crate::api::call::OpenStart;
                self.ui.window = match start {
                    OpenStart::Chat => Window::Chat,
                    OpenStart::Menu => Window::Menu,
                    OpenStart::Call if !self.callbacks_enabled => {
                        return Reply::result(ApiResult::fail_reason(CALLBACK_DISABLED))
                    }
                    OpenStart::Call => match self.ui.window {
                        Window::Chat | Window::ChatCall => Window::ChatCall,
                        _ => Window::Call,
                    },
                };
                Reply::result(ApiResult::Ok)
            }
            ApiCall::Close => {
                self.minimise();
                Reply::result(ApiResult::Ok)
            }
            ApiCall::ShowProactiveInvitation {
                text,
                department_id,
            } => {
                let opened = self.ui.window == Window::Minimised
                    || self.ui.invitation.as_ref().is_some_and(|i| i.opened_window);
                self.ui.invitation = Some(Invitation {
                    text: text.as_str().to_string(),
                    department_id,
                    opened_window: opened,
                });
                self.invitation_shown = true;
                self.ui.window = Window::Chat;
                let from = department_id
                    .map(|d| format!(" (department {d})"))
                    .unwrap_or_default();
                self.system_with(
                    &format!("Proactive invitation{from}: {}", text.as_str()),
                    Some(VisitorNote::Invitation {
                        text: text.as_str().to_string(),
                    }),
                );
                Reply::undefined()
            }
            ApiCall::SetWidgetColor { color, color2 } => {
                self.record.color = Some(WidgetColor { color, color2 });
                Reply::undefined()
            }
            ApiCall::ChatMode => Reply::value(Value::String(self.chat_mode().as_str().into())),
            ApiCall::StartCall { phone } => {
                if !self.callbacks_enabled {
                    return Reply::result(ApiResult::fail_reason(CALLBACK_DISABLED));
                }
                if self.call.is_some() {
                    return Reply::result(ApiResult::fail_reason(CALL_IN_PROGRESS));
                }
                self.start_call(phone, true, out);
                Reply::result(ApiResult::Ok)
            }
            ApiCall::SendOfflineMessage(m) => {
                if self.online {
                    return Reply::result(ApiResult::fail_error(AGENTS_ONLINE));
                }
                self.leave_offline_message(&m);
                Reply::result(ApiResult::Ok)
            }
            ApiCall::SendPageTitle {
                title,
                from_api,
                url,
            } => {
                let url = url.unwrap_or_else(|| self.site.page_url.clone());
                self.site.page_title.clone_from(&title);
                self.site.page_url.clone_from(&url);
                self.record.push_page(super::record::VisitedPage {
                    title,
                    url,
                    from_api,
                    time_ms: self.now_ms,
                });
                Reply::undefined()
            }
            ApiCall::SetContactInfo(c) => {
                let empty = c.is_empty();
                self.record.contact.merge(&c);
                if empty {
                    Reply::undefined().with_note("No contact fields were given; nothing changed")
                } else {
                    Reply::undefined()
                }
            }
            ApiCall::SetCustomData(fields) => {
                self.record.custom_data = fields;
                Reply::undefined()
            }
            ApiCall::SetUserToken(t) => {
                self.record.user_token = Some(t);
                Reply::undefined()
            }
            ApiCall::SetRules(r) => {
                self.record.rules = Some(r);
                Reply::undefined()
            }
            ApiCall::GetContactInfo => self.read_loaded(Method::GetContactInfo),
            ApiCall::GetVisitorNumber => {
                Reply::callback(vec![Value::Null, Value::from(self.visitor_number)])
            }
            ApiCall::GetUnreadMessagesCount => self.read_loaded(Method::GetUnreadMessagesCount),
            ApiCall::GetUtm => self.read_loaded(Method::GetUtm),
            ApiCall::IsCallbackEnabled => Reply::callback(vec![if self.callbacks_enabled {
                ApiResult::Ok.to_value()
            } else {
                ApiResult::fail_reason(CALLBACK_DISABLED).to_value()
            }]),
            ApiCall::ClearHistory => {
                self.record = self.record.cleared();
                self.invitation_shown = false;
                self.accepted = false;
                self.ui.invitation = None;
                self.ui.contact_error = None;
                self.ui.offline_error = None;
                self.ui.offline_sent = false;
                Reply::undefined()
            }
            ApiCall::JivoInit => Reply::undefined().with_note(ALREADY_LOADED),
            ApiCall::JivoDestroy => {
                self.phase = Phase::Destroyed;
                self.ui = Ui::fresh();
                out.destroyed = true;
                out.fire(Callback::OnWidgetDestroy, Vec::new());
                Reply::undefined()
            }
        }
    }

    // ---- visitor actions ---------------------------------------------------------------------

    fn apply_visitor(&mut self, action: VisitorAction, out: &mut Out) {
        let w = self.ui.window;
        match action {
            VisitorAction::ClickLabel => {
                if w == Window::Minimised {
                    self.ui.window = Window::Chat;
                }
            }
            VisitorAction::Minimise => {
                if w != Window::Minimised {
                    self.minimise();
                }
            }
            VisitorAction::OpenChat => {
                if matches!(w, Window::Menu | Window::ChatCall) {
                    self.ui.window = Window::Chat;
                }
            }
            VisitorAction::OpenCallbackForm => {
                if self.callbacks_enabled {
                    match w {
                        Window::Chat => self.ui.window = Window::ChatCall,
                        Window::Menu => self.ui.window = Window::Call,
                        _ => {}
                    }
                }
            }
            VisitorAction::CloseCallbackForm => match w {
                Window::ChatCall => {
                    self.ui.window = Window::Chat;
                    self.ui.callback_error = None;
                }
                Window::Call => self.minimise(),
                _ => {}
            },
            VisitorAction::SendMessage { text } => {
                if w != Window::Chat || !self.online {
                    return;
                }
                let Ok(text) = NonEmptyText::parse(&text) else {
                    return;
                };
                let first = !self.record.has_chat_history;
                let client_started = first
                    && !self.invitation_shown
                    && !self
                        .record
                        .messages
                        .iter()
                        .any(|m| m.author == Author::Agent);
                self.record
                    .push_message(Author::Visitor, text.as_str(), self.now_ms, false);
                self.record.has_chat_history = true;
                self.ui.invitation = None;
                if first {
                    out.fire(Callback::OnMessageSent, Vec::new());
                }
                if client_started {
                    out.fire(Callback::OnClientStartChat, Vec::new());
                }
            }
            VisitorAction::SubmitContactForm { name, email, phone } => {
                if !self.contact_form_offered() {
                    return;
                }
                match ContactInfo::from_form(&name, &email, &phone, "") {
                    Err(e) => self.ui.contact_error = Some(FormProblem::of_field(e.field())),
                    Ok(c) if c.is_empty() => {
                        self.ui.contact_error = Some(FormProblem::ContactEmpty);
                    }
                    Ok(c) => {
                        self.record.contact.merge(&c);
                        self.ui.contact_error = None;
                        let said: Vec<&str> = [
                            c.name.as_deref(),
                            c.email.as_ref().map(|e| e.as_str()),
                            c.phone.as_ref().map(Phone::as_str),
                        ]
                        .into_iter()
                        .flatten()
                        .collect();
                        self.system(&format!("Visitor introduced: {}", said.join(", ")));
                        out.fire(Callback::OnIntroduction, Vec::new());
                    }
                }
            }
            VisitorAction::SubmitCallbackForm { phone } => {
                if !matches!(w, Window::Call | Window::ChatCall) {
                    return;
                }
                if !self.callbacks_enabled {
                    self.ui.callback_error = Some(FormProblem::CallbacksUnavailable);
                } else if self.call.is_some() {
                    self.ui.callback_error = Some(FormProblem::CallInProgress);
                } else {
                    match Phone::parse(&phone) {
                        Err(e) => self.ui.callback_error = Some(FormProblem::of_field(e.field())),
                        Ok(p) => self.start_call(p, false, out),
                    }
                }
            }
            VisitorAction::SubmitOfflineForm {
                name,
                email,
                phone,
                message,
            } => {
                if w != Window::Chat || self.online {
                    return;
                }
                match OfflineMessage::from_form(&name, &email, &phone, "", &message) {
                    Err(e) => self.ui.offline_error = Some(FormProblem::of_field(e.field())),
                    Ok(m) => {
                        self.leave_offline_message(&m);
                        self.ui.offline_error = None;
                        self.ui.offline_sent = true;
                    }
                }
            }
            VisitorAction::CloseInvitation => {
                if let Some(inv) = self.ui.invitation.take() {
                    if inv.opened_window {
                        self.minimise();
                    }
                }
            }
            VisitorAction::Resize { width, height } => {
                if w == Window::Chat {
                    self.ui.window_size = Some((
                        width.clamp(MIN_WINDOW.0, MAX_WINDOW.0),
                        height.clamp(MIN_WINDOW.1, MAX_WINDOW.1),
                    ));
                }
            }
            VisitorAction::Drag { x, y } => {
                self.ui.offset = (x.clamp(-MAX_DRAG, MAX_DRAG), y.clamp(-MAX_DRAG, MAX_DRAG));
            }
        }
    }

    // ---- agent actions -----------------------------------------------------------------------

    fn apply_agent(&mut self, action: AgentAction, out: &mut Out) {
        match action {
            AgentAction::SetOnline { online } => {
                if self.online != online {
                    self.online = online;
                    if !online {
                        self.accepted = false;
                    }
                    self.ui.offline_error = None;
                    self.ui.offline_sent = false;
                    self.ui.contact_error = None;
                }
            }
            AgentAction::SetCallbacksEnabled { enabled } => {
                self.callbacks_enabled = enabled;
                self.ui.callback_error = None;
            }
            AgentAction::AcceptChat => {
                if self.online && !self.accepted {
                    self.accept(out);
                }
            }
            AgentAction::SendMessage { text } => {
                if !self.online {
                    return;
                }
                let Ok(text) = NonEmptyText::parse(&text) else {
                    return;
                };
                if !self.accepted {
                    self.accept(out);
                }
                self.record
                    .push_message(Author::Agent, text.as_str(), self.now_ms, false);
                self.record.unread = self.record.unread.saturating_add(1);
                self.fire_if_loaded(out, Callback::OnMessageReceived, Vec::new());
            }
            AgentAction::EndCall { outcome } => {
                let Some(call) = self.call.take() else {
                    return;
                };
                let (result, end) = match outcome {
                    CallEnd::Ok => (
                        ApiResult::Ok,
                        CallEndView {
                            phone: call.phone,
                            ok: true,
                            reason: None,
                        },
                    ),
                    CallEnd::Fail { reason } => {
                        let reason = match reason.trim() {
                            "" => "Call failed".to_string(),
                            r => r.to_string(),
                        };
                        (
                            ApiResult::fail_reason(reason.clone()),
                            CallEndView {
                                phone: call.phone,
                                ok: false,
                                reason: Some(reason),
                            },
                        )
                    }
                };
                let line = match &end.reason {
                    None => format!("Call to {} ended", end.phone),
                    Some(r) => format!("Call to {} failed: {r}", end.phone),
                };
                self.system(&line);
                self.last_call = Some(end);
                self.fire_if_loaded(out, Callback::OnCallEnd, vec![result.to_value()]);
            }
        }
    }

    // ---- shared pieces -----------------------------------------------------------------------

    fn minimise(&mut self) {
        self.ui.window = Window::Minimised;
        self.ui.invitation = None;
        self.ui.callback_error = None;
    }

    /// A system line for the agent only.
    fn system(&mut self, text: &str) {
        self.system_with(text, None);
    }

    /// A system line for the agent (`text`), shown to the visitor as `note` if one.
    fn system_with(&mut self, text: &str, note: Option<VisitorNote>) {
        self.record.push_system(text, self.now_ms, note);
    }

    /// A form problem as the visitor reads it.
    fn form_error(&self, p: Option<FormProblem>) -> Option<FormError> {
        p.map(|p| FormError {
            text: p.text(self.lang.words()).to_string(),
            field: p.field().map(str::to_string),
        })
    }

    /// The conversation as the visitor sees it: system lines for the agent left out, those for
    /// the visitor in the visitor's words.
    fn visitor_messages(&self) -> Vec<Message> {
        let w = self.lang.words();
        self.record
            .messages
            .iter()
            .filter_map(|m| {
                if m.author != Author::System {
                    return Some(m.clone());
                }
                let text = match m.note.as_ref()? {
                    VisitorNote::AgentJoined => w.agent_joined.to_string(),
                    VisitorNote::Invitation { text } => text.clone(),
                };
                Some(Message { text, ..m.clone() })
            })
            .collect()
    }

    fn accept(&mut self, out: &mut Out) {
        self.accepted = true;
        self.system_with("An agent joined the chat", Some(VisitorNote::AgentJoined));
        self.fire_if_loaded(out, Callback::OnAccept, Vec::new());
    }

    fn start_call(&mut self, phone: Phone, from_api: bool, out: &mut Out) {
        self.system(&format!("Callback requested to {phone}"));
        self.call = Some(CallView {
            phone,
            started_ms: self.now_ms,
            from_api,
        });
        self.ui.callback_error = None;
        out.fire(Callback::OnCallStart, Vec::new());
    }

    fn leave_offline_message(&mut self, m: &OfflineMessage) {
        self.record.contact.merge(&ContactInfo {
            name: m.name.clone(),
            email: m.email.clone(),
            phone: m.phone.clone(),
            description: m.description.clone(),
        });
        self.record
            .push_message(Author::Visitor, m.message.as_str(), self.now_ms, true);
    }

    fn contact_form_offered(&self) -> bool {
        let c = &self.record.contact;
        self.ui.window == Window::Chat
            && self.online
            && self.record.has_chat_history
            && c.name.is_none()
            && c.email.is_none()
            && c.phone.is_none()
    }

    fn chat_pane(&self) -> ChatPaneView {
        ChatPaneView {
            online: self.online,
            agent_joined: self.accepted,
            messages: self.visitor_messages(),
            can_send: self.online && self.ui.window == Window::Chat,
            can_request_call: self.callbacks_enabled,
            contact_form: self.contact_form_offered().then(|| FormView {
                error: self.form_error(self.ui.contact_error),
            }),
            offline_form: (!self.online).then(|| OfflineFormView {
                error: self.form_error(self.ui.offline_error),
                sent: self.ui.offline_sent,
            }),
        }
    }

    fn appearance(&self) -> Appearance {
        match &self.record.color {
            None => Appearance {
                color: DEFAULT_COLOR.into(),
                color2: None,
                background: DEFAULT_COLOR.into(),
            },
            Some(WidgetColor {
                color,
                color2: None,
            }) => Appearance {
                color: color.as_str().into(),
                color2: None,
                background: color.as_str().into(),
            },
            Some(WidgetColor {
                color,
                color2: Some(c2),
            }) => Appearance {
                color: color.as_str().into(),
                color2: Some(c2.as_str().into()),
                background: format!("linear-gradient(135deg, {color}, {c2})"),
            },
        }
    }

    fn invitation_view(&self) -> Option<InvitationView> {
        self.ui.invitation.as_ref().map(|i| InvitationView {
            text: i.text.clone(),
            department_id: i.department_id,
        })
    }
}
