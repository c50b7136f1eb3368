//! Native tests of every method and callback rule of the sandbox model.

use super::*;
use crate::api::call::{ApiCall, HexColor, NonEmptyText, OpenStart, Phone, CALLBACK_DISABLED};
use crate::api::{Callback, Method};
use serde_json::{json, Value};

use Callback::*;

const URL: &str =
    "https://shop.example/landing?utm_source=google&utm_medium=cpc&utm_campaign=spring";

fn site(url: &str) -> SiteContext {
    SiteContext {
        origin: "https://shop.example".into(),
        page_url: url.into(),
        page_title: "Shop".into(),
        now_ms: 1_000,
    }
}

fn fresh() -> Sandbox {
    Sandbox::new(site(URL), None, 7)
}

fn loaded() -> Sandbox {
    let mut w = fresh();
    w.init();
    w
}

fn raw(w: &mut Sandbox, m: Method, args: &[Value]) -> (Reply, Effects) {
    w.call_raw(m, args)
}

fn returns(w: &mut Sandbox, m: Method, args: &[Value]) -> Option<Value> {
    raw(w, m, args).0.returned
}

fn cbs(fx: &Effects) -> Vec<Callback> {
    fx.callbacks()
}

fn state_changes(fx: &Effects) -> Vec<String> {
    fx.fired()
        .into_iter()
        .filter(|(c, _)| *c == OnChangeState)
        .filter_map(|(_, a)| a.first().and_then(Value::as_str).map(String::from))
        .collect()
}

fn ok() -> Option<Value> {
    Some(json!({"result": "ok"}))
}

fn fail_reason(r: &str) -> Option<Value> {
    Some(json!({"result": "fail", "reason": r}))
}

fn fail_error(r: &str) -> Option<Value> {
    Some(json!({"result": "fail", "error": r}))
}

fn send(w: &mut Sandbox, text: &str) -> Effects {
    w.visitor(VisitorAction::SendMessage { text: text.into() })
}

fn agent_says(w: &mut Sandbox, text: &str) -> Effects {
    w.agent(AgentAction::SendMessage { text: text.into() })
}

fn open_chat(w: &mut Sandbox) {
    assert_eq!(returns(w, Method::Open, &[]), ok());
    assert_eq!(w.state(), WidgetState::Chat);
}

fn cb() -> Value {
    crate::api::call::function_marker()
}

// ---- lifecycle ---------------------------------------------------------------------------------

#[test]
fn init_fires_the_load_callback_once() {
    let mut w = fresh();
    assert_eq!(w.phase(), Phase::NotLoaded);
    assert!(!w.widget_view().mounted);
    let fx = w.init();
    assert_eq!(cbs(&fx), [OnLoadCallback]);
    assert!(fx.renders());
    assert_eq!(w.phase(), Phase::Loaded);
    assert_eq!(w.state(), WidgetState::Label);
    assert!(w.widget_view().mounted);
    assert!(w.init().is_empty());
    let (r, fx) = raw(&mut w, Method::JivoInit, &[]);
    assert_eq!(r.returned, None);
    assert_eq!(r.note.as_deref(), Some(ALREADY_LOADED));
    assert!(fx.is_empty());
}

#[test]
fn calls_before_load_are_refused_in_the_documented_shapes() {
    let mut w = fresh();
    assert_eq!(returns(&mut w, Method::Open, &[]), fail_reason(NOT_LOADED));
    assert_eq!(returns(&mut w, Method::Close, &[]), fail_reason(NOT_LOADED));
    assert_eq!(
        returns(&mut w, Method::StartCall, &[json!("+14084987855")]),
        fail_reason(NOT_LOADED)
    );
    assert_eq!(
        returns(
            &mut w,
            Method::SendOfflineMessage,
            &[json!({"email": "a@b.co", "message": "hi"})]
        ),
        fail_error(NOT_LOADED)
    );
    let (r, fx) = raw(&mut w, Method::GetVisitorNumber, &[cb()]);
    assert_eq!(r.callback_args, Some(vec![json!(NOT_LOADED), Value::Null]));
    assert!(fx.is_empty());
    let (r, _) = raw(&mut w, Method::IsCallbackEnabled, &[cb()]);
    assert_eq!(
        r.callback_args,
        Some(vec![json!({"result": "fail", "reason": NOT_LOADED})])
    );
    let (r, fx) = raw(&mut w, Method::SetUserToken, &[json!("t")]);
    assert_eq!((r.returned, r.note.as_deref()), (None, Some(NOT_LOADED)));
    assert!(fx.is_empty());
    assert_eq!(w.record().user_token, None);
    let (r, _) = raw(&mut w, Method::GetUtm, &[]);
    assert_eq!(r.returned, None);
    assert!(w.visitor(VisitorAction::ClickLabel).is_empty());
    // jivo_init before the first load loads the widget.
    let (r, fx) = raw(&mut w, Method::JivoInit, &[]);
    assert_eq!(r.returned, None);
    assert_eq!(cbs(&fx), [OnLoadCallback]);
}

#[test]
fn destroy_and_init_cycles() {
    let mut w = loaded();
    open_chat(&mut w);
    send(&mut w, "hi");
    let (r, fx) = raw(&mut w, Method::JivoDestroy, &[]);
    assert_eq!(r.returned, None);
    assert_eq!(fx.as_slice().first(), Some(&Effect::Destroyed));
    // No jivo_onClose even though the window was open.
    assert_eq!(cbs(&fx), [OnWidgetDestroy]);
    assert!(fx.renders());
    assert!(!fx.persists());
    assert_eq!(w.phase(), Phase::Destroyed);
    assert!(!w.widget_view().mounted);
    assert!(!w.facts().loaded);
    assert_eq!(w.facts().state, None);

    // Calls fail clearly or are ignored.
    assert_eq!(returns(&mut w, Method::Open, &[]), fail_reason(DESTROYED));
    assert_eq!(
        returns(&mut w, Method::ChatMode, &[]),
        None,
        "no widget, no chat mode"
    );
    let (r, fx) = raw(&mut w, Method::JivoDestroy, &[]);
    assert_eq!(r.note.as_deref(), Some(DESTROYED));
    assert!(fx.is_empty());
    let (r, _) = raw(&mut w, Method::GetVisitorNumber, &[cb()]);
    assert_eq!(r.callback_args, Some(vec![json!(DESTROYED), Value::Null]));
    assert!(w.visitor(VisitorAction::ClickLabel).is_empty());

    // The agent still writes: stored and counted, but no callbacks without a widget.
    let fx = agent_says(&mut w, "still there?");
    assert!(cbs(&fx).is_empty());
    assert!(fx.persists());
    assert_eq!(w.record().unread, 1);

    // jivo_init brings it back minimised; the load callback fires again.
    let (_, fx) = raw(&mut w, Method::JivoInit, &[]);
    assert_eq!(cbs(&fx), [OnLoadCallback]);
    assert_eq!(w.state(), WidgetState::ChatMin);
    assert_eq!(w.widget_view().label.map(|l| l.unread), Some(1));
    assert_eq!(
        returns(&mut w, Method::GetUnreadMessagesCount, &[]),
        Some(json!(1))
    );

    // And again.
    let (_, fx) = raw(&mut w, Method::JivoDestroy, &[]);
    assert_eq!(cbs(&fx), [OnWidgetDestroy]);
    assert_eq!(cbs(&w.init()), [OnLoadCallback]);
}

// ---- open / close / states -----------------------------------------------------------------------

#[test]
fn open_and_close_fire_open_close_state_and_resize_in_order() {
    let mut w = loaded();
    let (r, fx) = raw(&mut w, Method::Open, &[json!({"start": "chat"})]);
    assert_eq!(r.returned, ok());
    assert_eq!(cbs(&fx), [OnOpen, OnChangeState, OnResizeCallback]);
    assert_eq!(state_changes(&fx), ["chat"]);
    assert!(fx.renders());
    assert!(!fx.persists());
    assert_eq!(fx.as_slice().first(), Some(&Effect::Render));

    // Same state again: ok, nothing happens.
    let (r, fx) = raw(&mut w, Method::Open, &[]);
    assert_eq!(r.returned, ok());
    assert!(fx.is_empty());

    let (r, fx) = raw(&mut w, Method::Close, &[]);
    assert_eq!(r.returned, ok());
    assert_eq!(cbs(&fx), [OnClose, OnChangeState, OnResizeCallback]);
    assert_eq!(state_changes(&fx), ["label"]);

    let (r, fx) = raw(&mut w, Method::Close, &[]);
    assert_eq!(r.returned, ok());
    assert!(fx.is_empty());
}

#[test]
fn open_call_and_menu_states() {
    let mut w = loaded();
    let (r, fx) = raw(&mut w, Method::Open, &[json!({"start": "call"})]);
    assert_eq!(r.returned, ok());
    assert_eq!(cbs(&fx), [OnOpen, OnChangeState, OnResizeCallback]);
    assert_eq!(state_changes(&fx), ["call"]);
    let v = w.widget_view();
    let win = v.window.unwrap();
    assert!(win.callback_form.is_some() && win.chat.is_none() && win.menu.is_none());

    // Between open states: no onOpen/onClose.
    let (_, fx) = raw(&mut w, Method::Open, &[json!({"start": "menu"})]);
    assert_eq!(cbs(&fx), [OnChangeState, OnResizeCallback]);
    assert_eq!(state_changes(&fx), ["menu"]);
    assert_eq!(
        w.widget_view().window.unwrap().menu,
        Some(MenuView {
            chat: true,
            call: true
        })
    );

    let (_, fx) = raw(&mut w, Method::Open, &[json!({"start": "chat"})]);
    assert_eq!(state_changes(&fx), ["chat"]);
    // From the open chat, start:'call' puts the form over the chat.
    let (_, fx) = raw(&mut w, Method::Open, &[json!({"start": "call"})]);
    assert_eq!(state_changes(&fx), ["chat/call"]);
    let win = w.widget_view().window.unwrap();
    assert!(win.callback_form.is_some() && win.chat.is_some());
    let (_, fx) = raw(&mut w, Method::Close, &[]);
    assert_eq!(cbs(&fx), [OnClose, OnChangeState, OnResizeCallback]);
}

#[test]
fn open_call_fails_while_callbacks_are_disabled() {
    let mut w = loaded();
    w.agent(AgentAction::SetCallbacksEnabled { enabled: false });
    let (r, fx) = raw(&mut w, Method::Open, &[json!({"start": "call"})]);
    assert_eq!(r.returned, fail_reason(CALLBACK_DISABLED));
    assert_eq!(r.note.as_deref(), Some(CALLBACK_DISABLED));
    assert!(fx.is_empty());
    assert_eq!(w.state(), WidgetState::Label);
    // The menu offers only chat.
    raw(&mut w, Method::Open, &[json!({"start": "menu"})]);
    assert!(!w.widget_view().window.unwrap().menu.unwrap().call);
    assert!(w.visitor(VisitorAction::OpenCallbackForm).is_empty());
}

#[test]
fn open_with_bad_arguments_fails_with_the_error_sentence() {
    let mut w = loaded();
    let (r, fx) = raw(&mut w, Method::Open, &[json!({"start": "video"})]);
    assert_eq!(
        r.returned,
        fail_reason(r#"start must be one of "chat", "call", "menu", got "video""#)
    );
    assert!(fx.is_empty());
    assert_eq!(w.state(), WidgetState::Label);
}

#[test]
fn visitor_navigation() {
    let mut w = loaded();
    let fx = w.visitor(VisitorAction::ClickLabel);
    assert_eq!(cbs(&fx), [OnOpen, OnChangeState, OnResizeCallback]);
    assert!(
        w.visitor(VisitorAction::ClickLabel).is_empty(),
        "label not shown"
    );
    let fx = w.visitor(VisitorAction::OpenCallbackForm);
    assert_eq!(state_changes(&fx), ["chat/call"]);
    assert_eq!(cbs(&fx), [OnChangeState, OnResizeCallback]);
    let fx = w.visitor(VisitorAction::CloseCallbackForm);
    assert_eq!(state_changes(&fx), ["chat"]);
    let fx = w.visitor(VisitorAction::Minimise);
    assert_eq!(cbs(&fx), [OnClose, OnChangeState, OnResizeCallback]);
    assert!(w.visitor(VisitorAction::Minimise).is_empty());

    // Menu → call → close form minimises.
    raw(&mut w, Method::Open, &[json!({"start": "menu"})]);
    let fx = w.visitor(VisitorAction::OpenCallbackForm);
    assert_eq!(state_changes(&fx), ["call"]);
    let fx = w.visitor(VisitorAction::CloseCallbackForm);
    assert_eq!(cbs(&fx), [OnClose, OnChangeState, OnResizeCallback]);
    assert_eq!(state_changes(&fx), ["label"]);
    // Menu → chat.
    raw(&mut w, Method::Open, &[json!({"start": "menu"})]);
    let fx = w.visitor(VisitorAction::OpenChat);
    assert_eq!(state_changes(&fx), ["chat"]);
    assert!(w.visitor(VisitorAction::OpenChat).is_empty());
}

#[test]
fn minimised_state_depends_on_the_conversation() {
    let mut w = loaded();
    open_chat(&mut w);
    send(&mut w, "hello");
    let fx = w.visitor(VisitorAction::Minimise);
    assert_eq!(state_changes(&fx), ["chat/min"]);
    let v = w.widget_view();
    assert_eq!(v.state, WidgetState::ChatMin);
    assert_eq!(v.label.unwrap().preview.as_deref(), Some("hello"));
    assert_eq!((v.geometry.width, v.geometry.height), CHAT_MIN_SIZE);
    // clearHistory empties the conversation: chat/min → label by itself.
    let (_, fx) = raw(&mut w, Method::ClearHistory, &[]);
    assert_eq!(cbs(&fx), [OnChangeState, OnResizeCallback]);
    assert_eq!(state_changes(&fx), ["label"]);
}

#[test]
fn resize_and_drag_fire_only_the_resize_callback() {
    let mut w = loaded();
    assert!(
        w.visitor(VisitorAction::Resize {
            width: 500,
            height: 700
        })
        .is_empty(),
        "the label cannot be resized"
    );
    let fx = w.visitor(VisitorAction::Drag { x: -20, y: -30 });
    assert_eq!(cbs(&fx), [OnResizeCallback]);
    assert!(w.visitor(VisitorAction::Drag { x: -20, y: -30 }).is_empty());
    open_chat(&mut w);
    let fx = w.visitor(VisitorAction::Resize {
        width: 500,
        height: 700,
    });
    assert_eq!(cbs(&fx), [OnResizeCallback]);
    let g = w.geometry();
    assert_eq!((g.width, g.height, g.x, g.y), (500, 700, -20, -30));
    w.visitor(VisitorAction::Resize {
        width: 1,
        height: u32::MAX,
    });
    assert_eq!(
        (w.geometry().width, w.geometry().height),
        (MIN_WINDOW.0, MAX_WINDOW.1)
    );
    w.visitor(VisitorAction::Drag {
        x: i32::MIN,
        y: i32::MAX,
    });
    assert_eq!((w.geometry().x, w.geometry().y), (-MAX_DRAG, MAX_DRAG));
    // chat/call is the resized chat plus the form.
    w.visitor(VisitorAction::OpenCallbackForm);
    assert_eq!(w.geometry().height, MAX_WINDOW.1 + CHAT_CALL_EXTRA_HEIGHT);
}

#[test]
fn every_state_has_its_own_size() {
    let mut sizes = std::collections::BTreeSet::new();
    let mut w = loaded();
    sizes.insert((w.geometry().width, w.geometry().height));
    for start in ["chat", "call", "menu"] {
        raw(&mut w, Method::Close, &[]);
        raw(&mut w, Method::Open, &[json!({"start": start})]);
        sizes.insert((w.geometry().width, w.geometry().height));
    }
    raw(&mut w, Method::Open, &[json!({"start": "chat"})]);
    raw(&mut w, Method::Open, &[json!({"start": "call"})]);
    assert_eq!(w.state(), WidgetState::ChatCall);
    sizes.insert((w.geometry().width, w.geometry().height));
    w.visitor(VisitorAction::CloseCallbackForm);
    send(&mut w, "x");
    raw(&mut w, Method::Close, &[]);
    assert_eq!(w.state(), WidgetState::ChatMin);
    sizes.insert((w.geometry().width, w.geometry().height));
    assert_eq!(sizes.len(), 6);
}

// ---- proactive invitation ------------------------------------------------------------------------

#[test]
fn invitation_opens_the_chat_window() {
    let mut w = loaded();
    let (r, fx) = raw(
        &mut w,
        Method::ShowProactiveInvitation,
        &[json!("How can I help you?"), json!(3)],
    );
    assert_eq!(r.returned, None);
    assert_eq!(cbs(&fx), [OnOpen, OnChangeState, OnResizeCallback]);
    assert_eq!(state_changes(&fx), ["chat"]);
    assert!(
        fx.persists(),
        "the invitation is in the conversation for the agent"
    );
    let v = w.widget_view();
    assert_eq!(
        v.invitation,
        Some(InvitationView {
            text: "How can I help you?".into(),
            department_id: Some(3)
        })
    );
    assert_eq!(w.agent_view().invitation, v.invitation);
    let last = w.record().messages.last().unwrap();
    assert_eq!(last.author, Author::System);
    assert_eq!(
        last.text,
        "Proactive invitation (department 3): How can I help you?"
    );
    // An invitation-only conversation is not a conversation: minimised it is `label`.
    assert!(!w.record().has_conversation());

    // Closing an invitation that opened the window minimises it again.
    let fx = w.visitor(VisitorAction::CloseInvitation);
    assert_eq!(cbs(&fx), [OnClose, OnChangeState, OnResizeCallback]);
    assert_eq!(w.widget_view().invitation, None);
    assert!(w.visitor(VisitorAction::CloseInvitation).is_empty());

    // On an open window it only shows the bubble; closing it keeps the window.
    open_chat(&mut w);
    let (_, fx) = raw(&mut w, Method::ShowProactiveInvitation, &[json!("Psst")]);
    assert_eq!(cbs(&fx), Vec::<Callback>::new());
    assert!(fx.renders());
    let fx = w.visitor(VisitorAction::CloseInvitation);
    assert_eq!(cbs(&fx), Vec::<Callback>::new());
    assert_eq!(w.state(), WidgetState::Chat);

    // From the callback form it switches to the chat.
    raw(&mut w, Method::Open, &[json!({"start": "call"})]);
    let (_, fx) = raw(&mut w, Method::ShowProactiveInvitation, &[json!("Hi")]);
    assert_eq!(state_changes(&fx), ["chat"]);
    // Minimising dismisses the bubble.
    w.visitor(VisitorAction::Minimise);
    assert_eq!(w.widget_view().invitation, None);
}

#[test]
fn invitation_with_bad_text_is_ignored_with_a_note() {
    let mut w = loaded();
    let (r, fx) = raw(&mut w, Method::ShowProactiveInvitation, &[json!("  ")]);
    assert_eq!(r.returned, None);
    assert_eq!(r.note.as_deref(), Some("invitation_text must not be empty"));
    assert!(fx.is_empty());
}

// ---- messages, chat start, introduction ----------------------------------------------------------

#[test]
fn message_sent_only_for_the_first_message_without_history() {
    let mut w = loaded();
    open_chat(&mut w);
    let fx = send(&mut w, "Hello");
    assert_eq!(cbs(&fx), [OnMessageSent, OnClientStartChat]);
    assert!(fx.persists() && fx.renders());
    assert!(w.record().has_chat_history);
    let fx = send(&mut w, "Anyone?");
    assert!(cbs(&fx).is_empty());
    assert!(fx.persists());

    // A reload keeps the history: no jivo_onMessageSent.
    let saved: VisitorRecord =
        serde_json::from_str(&serde_json::to_string(w.record()).unwrap()).unwrap();
    let mut w2 = Sandbox::new(site("https://shop.example/other"), Some(saved), 99);
    w2.init();
    assert_eq!(w2.state(), WidgetState::ChatMin);
    open_chat(&mut w2);
    assert!(cbs(&send(&mut w2, "back again")).is_empty());

    // clearHistory starts a new history.
    raw(&mut w2, Method::ClearHistory, &[]);
    assert_eq!(
        cbs(&send(&mut w2, "new me")),
        [OnMessageSent, OnClientStartChat]
    );
}

#[test]
fn client_start_chat_not_after_an_invitation_or_an_agent_first() {
    let mut w = loaded();
    raw(
        &mut w,
        Method::ShowProactiveInvitation,
        &[json!("Need help?")],
    );
    let fx = send(&mut w, "Yes");
    assert_eq!(cbs(&fx), [OnMessageSent]);
    assert_eq!(
        w.widget_view().invitation,
        None,
        "the reply absorbs the bubble"
    );

    let mut w = loaded();
    open_chat(&mut w);
    agent_says(&mut w, "Hi, I am Ann");
    assert_eq!(cbs(&send(&mut w, "Hi Ann")), [OnMessageSent]);

    // An invitation shown and dismissed still counts.
    let mut w = loaded();
    raw(
        &mut w,
        Method::ShowProactiveInvitation,
        &[json!("Need help?")],
    );
    w.visitor(VisitorAction::CloseInvitation);
    w.visitor(VisitorAction::ClickLabel);
    assert_eq!(cbs(&send(&mut w, "Actually yes")), [OnMessageSent]);
}

#[test]
fn sending_needs_the_open_chat_online_and_text() {
    let mut w = loaded();
    assert!(send(&mut w, "from the label").is_empty());
    open_chat(&mut w);
    assert!(send(&mut w, "   ").is_empty());
    w.visitor(VisitorAction::OpenCallbackForm);
    assert!(send(&mut w, "behind the form").is_empty());
    w.visitor(VisitorAction::OpenChat);
    w.agent(AgentAction::SetOnline { online: false });
    assert!(send(&mut w, "offline").is_empty());
    let pane = w.widget_view().window.unwrap().chat.unwrap();
    assert!(!pane.can_send);
    assert!(pane.offline_form.is_some());
    assert!(w.record().messages.is_empty());
}

#[test]
fn contact_form_and_introduction() {
    let mut w = loaded();
    open_chat(&mut w);
    let pane = |w: &Sandbox| w.widget_view().window.unwrap().chat.unwrap();
    assert_eq!(
        pane(&w).contact_form,
        None,
        "offered after the first message"
    );
    let submit = |w: &mut Sandbox, n: &str, e: &str, p: &str| {
        w.visitor(VisitorAction::SubmitContactForm {
            name: n.into(),
            email: e.into(),
            phone: p.into(),
        })
    };
    assert!(submit(&mut w, "Ann", "", "").is_empty());
    send(&mut w, "hi");
    assert_eq!(pane(&w).contact_form, Some(FormView { error: None }));

    let fx = submit(&mut w, "Ann", "not-an-email", "");
    assert!(cbs(&fx).is_empty());
    assert!(!fx.persists());
    assert_eq!(
        pane(&w).contact_form.unwrap().error,
        Some(FormError {
            text: "Please enter an e-mail address, like name@example.com".into(),
            field: Some("email".into())
        }),
        "the visitor's words, not the developer's argument error"
    );
    let fx = submit(&mut w, " ", "", "");
    assert!(cbs(&fx).is_empty());
    assert_eq!(
        pane(&w).contact_form.unwrap().error.map(|e| e.text),
        Some(Words::EN.error_contact_empty.into())
    );

    assert_eq!(
        returns(&mut w, Method::GetContactInfo, &[]),
        Some(json!({"client_name": null, "email": null, "phone": null, "description": null}))
    );
    let fx = submit(&mut w, "Ann Lee", "ann@example.com", "");
    assert_eq!(cbs(&fx), [OnIntroduction]);
    assert!(fx.persists());
    assert_eq!(
        returns(&mut w, Method::GetContactInfo, &[]),
        Some(
            json!({"client_name": "Ann Lee", "email": "ann@example.com", "phone": null, "description": null})
        )
    );
    assert_eq!(pane(&w).contact_form, None, "introduced: no more form");
    assert!(submit(&mut w, "Again", "", "").is_empty());
}

#[test]
fn set_contact_info_merges_and_does_not_introduce() {
    let mut w = loaded();
    let (r, fx) = raw(
        &mut w,
        Method::SetContactInfo,
        &[
            json!({"name": "John Smith", "email": "", "phone": "+1 408 498 7855", "description": "Description text"}),
        ],
    );
    assert_eq!(r.returned, None);
    assert!(cbs(&fx).is_empty());
    assert!(fx.persists() && fx.renders());
    raw(
        &mut w,
        Method::SetContactInfo,
        &[json!({"email": "john@example.com"})],
    );
    assert_eq!(
        returns(&mut w, Method::GetContactInfo, &[]),
        Some(
            json!({"client_name": "John Smith", "email": "john@example.com", "phone": "+14084987855", "description": "Description text"})
        )
    );
    assert_eq!(
        w.agent_view().contact_info.name.as_deref(),
        Some("John Smith")
    );
    let (r, fx) = raw(&mut w, Method::SetContactInfo, &[json!({})]);
    assert!(r.note.is_some());
    assert!(fx.is_empty());
    let (r, fx) = raw(&mut w, Method::SetContactInfo, &[json!({"email": "bad"})]);
    assert_eq!(r.returned, None);
    assert_eq!(
        r.note.as_deref(),
        Some(r#"email is not a valid address, got "bad""#)
    );
    assert!(fx.is_empty());
}

// ---- agent: accept, messages, unread -------------------------------------------------------------

#[test]
fn accept_fires_once_and_needs_an_online_agent() {
    let mut w = loaded();
    let fx = w.agent(AgentAction::AcceptChat);
    assert_eq!(cbs(&fx), [OnAccept]);
    assert!(w.agent_view().accepted);
    assert!(w.agent(AgentAction::AcceptChat).is_empty());
    // Going offline ends the acceptance.
    w.agent(AgentAction::SetOnline { online: false });
    assert!(!w.agent_view().accepted);
    assert!(w.agent(AgentAction::AcceptChat).is_empty());
    assert!(agent_says(&mut w, "offline agents cannot write").is_empty());
    w.agent(AgentAction::SetOnline { online: true });
    assert_eq!(cbs(&w.agent(AgentAction::AcceptChat)), [OnAccept]);
}

#[test]
fn agent_messages_count_unread_until_the_chat_is_seen() {
    let mut w = loaded();
    // The agent starts the dialog while the widget is a label.
    let fx = agent_says(&mut w, "Hello!");
    assert_eq!(
        cbs(&fx),
        [OnAccept, OnMessageReceived, OnChangeState, OnResizeCallback]
    );
    assert_eq!(state_changes(&fx), ["chat/min"]);
    assert_eq!(w.record().unread, 1);
    assert_eq!(
        returns(&mut w, Method::GetUnreadMessagesCount, &[]),
        Some(json!(1))
    );
    let fx = agent_says(&mut w, "Are you there?");
    assert_eq!(cbs(&fx), [OnMessageReceived]);
    assert_eq!(w.widget_view().label.unwrap().unread, 2);
    assert_eq!(w.facts().unread, 2);

    // The menu does not show the chat.
    raw(&mut w, Method::Open, &[json!({"start": "menu"})]);
    agent_says(&mut w, "third");
    assert_eq!(w.record().unread, 3);

    // Opening the chat reads them.
    let fx = w.visitor(VisitorAction::OpenChat);
    assert!(fx.persists());
    assert_eq!(w.record().unread, 0);
    assert_eq!(
        returns(&mut w, Method::GetUnreadMessagesCount, &[]),
        Some(json!(0))
    );

    // Messages while the chat (or chat/call) is visible are seen at once.
    let fx = agent_says(&mut w, "seen");
    assert_eq!(cbs(&fx), [OnMessageReceived]);
    assert_eq!(w.record().unread, 0);
    w.visitor(VisitorAction::OpenCallbackForm);
    agent_says(&mut w, "seen too");
    assert_eq!(w.record().unread, 0);

    // Blank agent messages are not sent.
    assert!(agent_says(&mut w, " ").is_empty());
}

#[test]
fn chat_mode_follows_the_agent() {
    let mut w = loaded();
    assert_eq!(
        returns(&mut w, Method::ChatMode, &[]),
        Some(json!("online"))
    );
    let fx = w.agent(AgentAction::SetOnline { online: false });
    assert!(fx.renders() && fx.persists() && cbs(&fx).is_empty());
    assert_eq!(
        returns(&mut w, Method::ChatMode, &[]),
        Some(json!("offline"))
    );
    assert_eq!(w.facts().chat_mode, ChatMode::Offline);
    assert_eq!(w.widget_view().label.unwrap().text, "Leave a message");
    assert!(w.agent(AgentAction::SetOnline { online: false }).is_empty());
}

/// The shell stores what the last `Persist` asked for and the next page starts from it.
/// Issue #16: offline, an offline message (a record change, stored with "offline"), then
/// online (no record change): the next page must start online.
#[test]
fn going_online_after_an_offline_message_survives_a_reload() {
    let mut w = loaded();
    let mut stored = (w.record().clone(), w.agent_state());
    let mut keep = |w: &Sandbox, fx: &Effects| {
        if fx.persists() {
            stored = (w.record().clone(), w.agent_state());
        }
        stored.clone()
    };
    let fx = w.agent(AgentAction::SetOnline { online: false });
    keep(&w, &fx);
    let msg = json!({"name": "Ann", "email": "ann@example.com", "message": "Call me"});
    let (r, fx) = raw(&mut w, Method::SendOfflineMessage, &[msg]);
    assert_eq!(r.returned, ok());
    keep(&w, &fx);
    let fx = w.agent(AgentAction::SetOnline { online: true });
    assert!(fx.persists(), "an agent-state change is stored");
    let (record, agent) = keep(&w, &fx);
    assert!(agent.online);

    let mut next = Sandbox::new(site(URL), Some(record), 7).with_agent_state(agent);
    next.init();
    assert_eq!(
        returns(&mut next, Method::ChatMode, &[]),
        Some(json!("online"))
    );
    // And the other way round: offline with no record change survives too.
    let fx = next.agent(AgentAction::SetOnline { online: false });
    assert!(fx.persists());
    let mut third = Sandbox::new(site(URL), Some(next.record().clone()), 7)
        .with_agent_state(next.agent_state());
    third.init();
    assert_eq!(
        returns(&mut third, Method::ChatMode, &[]),
        Some(json!("offline"))
    );
}

// ---- calls ---------------------------------------------------------------------------------------

#[test]
fn start_call_and_end_call() {
    let mut w = loaded();
    let (r, fx) = raw(&mut w, Method::StartCall, &[json!("+14084987855")]);
    assert_eq!(r.returned, ok());
    assert_eq!(cbs(&fx), [OnCallStart]);
    assert_eq!(
        w.state(),
        WidgetState::Label,
        "startCall does not open the window"
    );
    let call = w.widget_view().call.unwrap();
    assert_eq!(call.phone.as_str(), "+14084987855");
    assert!(call.from_api);
    assert_eq!(
        returns(&mut w, Method::StartCall, &[json!("+14084987855")]),
        fail_reason(CALL_IN_PROGRESS)
    );

    let fx = w.agent(AgentAction::EndCall {
        outcome: CallEnd::Ok,
    });
    assert_eq!(fx.fired(), [(OnCallEnd, &[json!({"result": "ok"})][..])]);
    assert!(w.widget_view().call.is_none());
    assert!(w
        .agent(AgentAction::EndCall {
            outcome: CallEnd::Ok
        })
        .is_empty());

    raw(&mut w, Method::StartCall, &[json!("12345")]);
    let fx = w.agent(AgentAction::EndCall {
        outcome: CallEnd::Fail {
            reason: "Busy".into(),
        },
    });
    assert_eq!(
        fx.fired(),
        [(
            OnCallEnd,
            &[json!({"result": "fail", "reason": "Busy"})][..]
        )]
    );
    assert_eq!(
        w.agent_view().last_call.unwrap().reason.as_deref(),
        Some("Busy")
    );
    raw(&mut w, Method::StartCall, &[json!("12345")]);
    let fx = w.agent(AgentAction::EndCall {
        outcome: CallEnd::Fail { reason: " ".into() },
    });
    assert_eq!(
        fx.fired(),
        [(
            OnCallEnd,
            &[json!({"result": "fail", "reason": "Call failed"})][..]
        )]
    );
}

#[test]
fn start_call_refusals() {
    let mut w = loaded();
    let (r, fx) = raw(&mut w, Method::StartCall, &[json!("call me")]);
    assert_eq!(
        r.returned,
        fail_reason(r#"phone must be 5–20 digits with an optional leading +, got "call me""#)
    );
    assert!(fx.is_empty());
    w.agent(AgentAction::SetCallbacksEnabled { enabled: false });
    let (r, fx) = raw(&mut w, Method::StartCall, &[json!("+14084987855")]);
    assert_eq!(r.returned, fail_reason("Callback disabled"));
    assert!(fx.is_empty());
}

#[test]
fn callback_form() {
    let mut w = loaded();
    raw(&mut w, Method::Open, &[json!({"start": "call"})]);
    let submit =
        |w: &mut Sandbox, p: &str| w.visitor(VisitorAction::SubmitCallbackForm { phone: p.into() });
    let form = |w: &Sandbox| w.widget_view().window.unwrap().callback_form.unwrap();
    let fx = submit(&mut w, "12");
    assert!(cbs(&fx).is_empty());
    assert_eq!(
        form(&w).error,
        Some(FormError {
            text: "Please enter a phone number, like +1 555 123 4567".into(),
            field: Some("phone".into())
        })
    );
    let fx = submit(&mut w, "+7 (900) 123-45-67");
    assert_eq!(cbs(&fx), [OnCallStart]);
    assert_eq!(form(&w).error, None);
    let call = form(&w).call.unwrap();
    assert_eq!(
        (call.phone.as_str(), call.from_api),
        ("+79001234567", false)
    );
    let fx = submit(&mut w, "+7 (900) 123-45-67");
    assert!(cbs(&fx).is_empty());
    assert_eq!(
        form(&w).error.map(|e| e.text),
        Some(Words::EN.error_call_in_progress.into())
    );
    w.agent(AgentAction::EndCall {
        outcome: CallEnd::Ok,
    });
    assert!(form(&w).last_call.unwrap().ok);

    w.agent(AgentAction::SetCallbacksEnabled { enabled: false });
    assert!(!form(&w).available);
    let fx = submit(&mut w, "12345");
    assert!(cbs(&fx).is_empty());
    assert_eq!(
        form(&w).error.map(|e| e.text),
        Some(Words::EN.callback_unavailable.into())
    );

    // Not offered outside the form.
    w.visitor(VisitorAction::CloseCallbackForm);
    w.agent(AgentAction::SetCallbacksEnabled { enabled: true });
    assert!(submit(&mut w, "12345").is_empty());
}

#[test]
fn is_callback_enabled_and_visitor_number_answer_through_callbacks() {
    let mut w = loaded();
    let (r, fx) = raw(&mut w, Method::IsCallbackEnabled, &[cb()]);
    assert_eq!(r.returned, None);
    assert_eq!(r.callback_args, Some(vec![json!({"result": "ok"})]));
    assert!(fx.is_empty());
    w.agent(AgentAction::SetCallbacksEnabled { enabled: false });
    let (r, _) = raw(&mut w, Method::IsCallbackEnabled, &[cb()]);
    assert_eq!(
        r.callback_args,
        Some(vec![
            json!({"result": "fail", "reason": "Callback disabled"})
        ])
    );
    let (r, _) = raw(&mut w, Method::GetVisitorNumber, &[cb()]);
    assert_eq!(r.callback_args, Some(vec![Value::Null, json!(7)]));
    // Without a function there is nobody to answer.
    let (r, fx) = raw(&mut w, Method::GetVisitorNumber, &[]);
    assert_eq!((r.returned, r.callback_args), (None, None));
    assert_eq!(
        r.note.as_deref(),
        Some("callback must be a function, got nothing")
    );
    assert!(fx.is_empty());
}

// ---- offline messages ------------------------------------------------------------------------------

#[test]
fn send_offline_message_only_in_offline_mode() {
    let mut w = loaded();
    let msg = json!({"name": "John Smith", "email": "", "phone": "+14084987855",
                     "description": "Description text", "message": "Offline message"});
    let (r, fx) = raw(
        &mut w,
        Method::SendOfflineMessage,
        std::slice::from_ref(&msg),
    );
    assert_eq!(r.returned, fail_error(AGENTS_ONLINE));
    assert!(fx.is_empty());

    w.agent(AgentAction::SetOnline { online: false });
    let (r, fx) = raw(&mut w, Method::SendOfflineMessage, &[msg]);
    assert_eq!(r.returned, ok());
    assert!(fx.persists());
    assert!(cbs(&fx)
        .iter()
        .all(|c| !matches!(c, OnMessageSent | OnClientStartChat)));
    let m = w.record().messages.last().unwrap().clone();
    assert_eq!(
        (m.author, m.text.as_str(), m.offline),
        (Author::Visitor, "Offline message", true)
    );
    assert!(!w.record().has_chat_history);
    assert_eq!(
        returns(&mut w, Method::GetContactInfo, &[]),
        Some(
            json!({"client_name": "John Smith", "email": null, "phone": "+14084987855", "description": "Description text"})
        )
    );

    let (r, fx) = raw(
        &mut w,
        Method::SendOfflineMessage,
        &[json!({"message": "no contact"})],
    );
    assert_eq!(
        r.returned,
        fail_error("email or phone is required so that an agent can answer")
    );
    assert!(fx.is_empty());
}

#[test]
fn offline_form() {
    let mut w = loaded();
    w.agent(AgentAction::SetOnline { online: false });
    open_chat(&mut w);
    let submit = |w: &mut Sandbox, e: &str, m: &str| {
        w.visitor(VisitorAction::SubmitOfflineForm {
            name: "Ann".into(),
            email: e.into(),
            phone: "".into(),
            message: m.into(),
        })
    };
    let form = |w: &Sandbox| {
        w.widget_view()
            .window
            .unwrap()
            .chat
            .unwrap()
            .offline_form
            .unwrap()
    };
    assert_eq!(w.widget_view().window.unwrap().header, "Leave us a message");
    let fx = submit(&mut w, "ann@example.com", "");
    assert!(!fx.persists());
    assert_eq!(
        form(&w).error.map(|e| (e.text, e.field)),
        Some((Words::EN.error_message.into(), Some("message".into())))
    );
    let fx = submit(&mut w, "ann@example.com", "Call me tomorrow");
    assert!(fx.persists());
    assert!(cbs(&fx).is_empty());
    assert_eq!(
        form(&w),
        OfflineFormView {
            error: None,
            sent: true
        }
    );
    // Not offered while online.
    w.agent(AgentAction::SetOnline { online: true });
    assert!(submit(&mut w, "ann@example.com", "x").is_empty());
}

// ---- page data -------------------------------------------------------------------------------------

#[test]
fn send_page_title_is_reported_to_the_agent_and_bounded() {
    let mut w = loaded();
    w.set_now(5_000);
    let (r, fx) = raw(&mut w, Method::SendPageTitle, &[json!("Only a title")]);
    assert_eq!(r.returned, None);
    assert!(fx.persists() && fx.renders());
    assert!(cbs(&fx).is_empty());
    let p = w.record().pages.last().unwrap().clone();
    assert_eq!(
        p,
        VisitedPage {
            title: "Only a title".into(),
            url: URL.into(),
            from_api: false,
            time_ms: 5_000
        }
    );
    raw(
        &mut w,
        Method::SendPageTitle,
        &[
            json!("Cart"),
            json!(true),
            json!("https://shop.example/cart"),
        ],
    );
    let a = w.agent_view();
    assert_eq!(
        (a.current_title.as_str(), a.current_url.as_str()),
        ("Cart", "https://shop.example/cart")
    );
    assert!(a.pages.last().unwrap().from_api);
    for i in 0..(MAX_PAGES + 10) {
        raw(&mut w, Method::SendPageTitle, &[json!(format!("p{i}"))]);
    }
    assert_eq!(w.record().pages.len(), MAX_PAGES);
    assert_eq!(
        w.record().pages.last().unwrap().title,
        format!("p{}", MAX_PAGES + 9)
    );
}

#[test]
fn custom_data_token_and_rules_reach_the_agent() {
    let mut w = loaded();
    let (r, fx) = raw(
        &mut w,
        Method::SetCustomData,
        &[
            json!([{"content": "User balance: $56"}, {"title": "Actions", "content": "Add contact", "link": "https://crm.example/add"}]),
        ],
    );
    assert_eq!(r.returned, None);
    assert!(fx.persists() && fx.renders());
    let a = w.agent_view();
    assert_eq!(a.custom_data.len(), 2);
    assert_eq!(a.custom_data[0].content, "User balance: $56");
    assert_eq!(a.custom_data[1].title.as_deref(), Some("Actions"));
    raw(
        &mut w,
        Method::SetCustomData,
        &[json!([{"content": "replaced"}])],
    );
    assert_eq!(w.agent_view().custom_data.len(), 1);

    let (r, fx) = raw(
        &mut w,
        Method::SetCustomData,
        &[json!([{"title": "no content"}])],
    );
    assert_eq!(r.note.as_deref(), Some("fields[0].content is required"));
    assert!(fx.is_empty());

    raw(&mut w, Method::SetUserToken, &[json!("u-8f3a")]);
    assert_eq!(w.agent_view().user_token.as_deref(), Some("u-8f3a"));

    raw(
        &mut w,
        Method::SetRules,
        &[json!({"invites": [{"delay": 5}]})],
    );
    assert_eq!(
        w.agent_view().rules.map(Value::Object),
        Some(json!({"invites": [{"delay": 5}]}))
    );
    let (r, fx) = raw(&mut w, Method::SetRules, &[json!("[]")]);
    assert_eq!(r.returned, None);
    assert_eq!(
        r.note.as_deref(),
        Some(r#"rules must be a JSON object, got "[]""#)
    );
    assert!(fx.is_empty());
}

#[test]
fn widget_colour_and_gradient() {
    let mut w = loaded();
    assert_eq!(w.widget_view().appearance.background, DEFAULT_COLOR);
    let (_, fx) = raw(&mut w, Method::SetWidgetColor, &[json!("#FFFFFF")]);
    assert!(fx.persists() && fx.renders());
    assert_eq!(w.widget_view().appearance.background, "#ffffff");
    raw(
        &mut w,
        Method::SetWidgetColor,
        &[json!("#ffffff"), json!("#000")],
    );
    let a = w.widget_view().appearance;
    assert_eq!(a.color2.as_deref(), Some("#000"));
    assert_eq!(a.background, "linear-gradient(135deg, #ffffff, #000)");
    let (r, fx) = raw(&mut w, Method::SetWidgetColor, &[json!("red")]);
    assert_eq!(
        r.note.as_deref(),
        Some(r##"color must be a hex colour like #1a2b3c, got "red""##)
    );
    assert!(fx.is_empty());
}

#[test]
fn utm_of_the_first_visit() {
    let mut w = loaded();
    assert_eq!(
        returns(&mut w, Method::GetUtm, &[]),
        Some(
            json!({"source": "google", "medium": "cpc", "campaign": "spring", "content": null, "term": null})
        )
    );
    // A later visit with other tags keeps the first ones.
    let saved = w.record().clone();
    let mut w2 = Sandbox::new(
        site("https://shop.example/?utm_source=bing"),
        Some(saved),
        8,
    );
    w2.init();
    assert_eq!(w2.visitor_number(), 7);
    assert_eq!(w2.facts().utm.source.as_deref(), Some("google"));
    // No tags at all: every key null.
    let mut w3 = Sandbox::new(site("https://shop.example/"), None, 9);
    w3.init();
    assert_eq!(
        returns(&mut w3, Method::GetUtm, &[]),
        Some(
            json!({"source": null, "medium": null, "campaign": null, "content": null, "term": null})
        )
    );
}

// ---- clearHistory ----------------------------------------------------------------------------------

#[test]
fn clear_history_forgets_the_visitor() {
    let mut w = loaded();
    open_chat(&mut w);
    send(&mut w, "hi");
    agent_says(&mut w, "hello");
    raw(&mut w, Method::SetContactInfo, &[json!({"name": "Ann"})]);
    raw(&mut w, Method::SetCustomData, &[json!([{"content": "c"}])]);
    raw(&mut w, Method::SetUserToken, &[json!("tok")]);
    raw(&mut w, Method::SetRules, &[json!({"a": 1})]);
    raw(&mut w, Method::SendPageTitle, &[json!("T")]);
    raw(&mut w, Method::SetWidgetColor, &[json!("#123456")]);
    raw(&mut w, Method::ShowProactiveInvitation, &[json!("Hey")]);
    raw(&mut w, Method::StartCall, &[json!("12345")]);
    assert!(w.agent_view().accepted);

    let (r, fx) = raw(&mut w, Method::ClearHistory, &[]);
    assert_eq!(r.returned, None);
    assert!(fx.persists() && fx.renders());
    let rec = w.record();
    assert_eq!(rec.visitor_number, None);
    assert_eq!(rec.first_visit, None);
    assert!(rec.messages.is_empty() && rec.pages.is_empty() && rec.custom_data.is_empty());
    assert!(!rec.has_chat_history);
    assert_eq!(
        (rec.user_token.clone(), rec.rules.clone(), rec.unread),
        (None, None, 0)
    );
    assert!(rec.contact.is_empty() && rec.utm.is_empty());
    assert_eq!(
        rec.color.as_ref().map(|c| c.color.as_str()),
        Some("#123456"),
        "the page's colour is not visitor data"
    );
    assert!(!w.agent_view().accepted);
    assert_eq!(w.widget_view().invitation, None);
    assert!(w.agent_view().call.is_some(), "the agent's call goes on");
    assert_eq!(
        returns(&mut w, Method::GetContactInfo, &[]),
        Some(json!({"client_name": null, "email": null, "phone": null, "description": null}))
    );
    assert_eq!(
        returns(&mut w, Method::GetUtm, &[]).unwrap()["source"],
        Value::Null
    );
    // This page keeps its number…
    let (r, _) = raw(&mut w, Method::GetVisitorNumber, &[cb()]);
    assert_eq!(r.callback_args, Some(vec![Value::Null, json!(7)]));
    // …the next load is a new visitor, with that page's UTM.
    send(&mut w, "after the clear");
    let saved = w.record().clone();
    let mut w2 = Sandbox::new(
        site("https://shop.example/?utm_source=newsletter"),
        Some(saved),
        12,
    );
    w2.init();
    assert_eq!(w2.visitor_number(), 12);
    assert_eq!(w2.record().visitor_number, Some(12));
    assert_eq!(w2.facts().utm.source.as_deref(), Some("newsletter"));
    assert_eq!(
        w2.record().messages.len(),
        1,
        "what was said after the clear stays"
    );
}

// ---- record, views, effects ------------------------------------------------------------------------

fn busy_record() -> VisitorRecord {
    let mut w = loaded();
    w.set_now(2_000);
    open_chat(&mut w);
    send(&mut w, "hi");
    agent_says(&mut w, "hello");
    w.visitor(VisitorAction::SubmitContactForm {
        name: "Ann".into(),
        email: "ann@example.com".into(),
        phone: "+1 408 498 7855".into(),
    });
    raw(
        &mut w,
        Method::SetContactInfo,
        &[json!({"description": "VIP"})],
    );
    raw(
        &mut w,
        Method::SetCustomData,
        &[json!([{"content": "c", "title": "t", "link": "/x", "key": "k"}])],
    );
    raw(&mut w, Method::SetUserToken, &[json!("tok")]);
    raw(&mut w, Method::SetRules, &[json!({"a": [1, {"b": null}]})]);
    raw(
        &mut w,
        Method::SendPageTitle,
        &[json!("T"), json!(true), json!("https://x.y/")],
    );
    raw(
        &mut w,
        Method::SetWidgetColor,
        &[json!("#123"), json!("#456789")],
    );
    w.visitor(VisitorAction::Minimise);
    agent_says(&mut w, "unread one");
    w.record().clone()
}

#[test]
fn visitor_record_round_trips_through_json() {
    let rec = busy_record();
    assert_eq!(rec.unread, 1);
    assert!(rec.has_chat_history);
    let json = serde_json::to_value(&rec).unwrap();
    assert_eq!(json["visitorNumber"], json!(7));
    assert_eq!(json["utm"]["source"], json!("google"));
    assert_eq!(json["contact"]["phone"], json!("+14084987855"));
    assert_eq!(json["hasChatHistory"], json!(true));
    assert_eq!(json["color"], json!({"color": "#123", "color2": "#456789"}));
    let back: VisitorRecord = serde_json::from_value(json).unwrap();
    assert_eq!(back, rec);

    // A reload from it restores everything.
    let mut w = Sandbox::new(site(URL), Some(back), 100);
    w.init();
    assert_eq!(w.visitor_number(), 7);
    assert_eq!(w.state(), WidgetState::ChatMin);
    assert_eq!(w.widget_view().label.unwrap().unread, 1);
    assert_eq!(w.agent_view().user_token.as_deref(), Some("tok"));
}

#[test]
fn visitor_record_loading_is_tolerant_but_validating() {
    let rec: VisitorRecord =
        serde_json::from_value(json!({"visitorNumber": 3, "future": 1})).unwrap();
    assert_eq!(rec.visitor_number, Some(3));
    assert!(serde_json::from_value::<VisitorRecord>(json!({"contact": {"email": "bad"}})).is_err());
    assert!(serde_json::from_value::<VisitorRecord>(json!({"color": {"color": "red"}})).is_err());

    // Bounds are enforced on load.
    let mut rec = VisitorRecord::new_visitor(1, URL, 0);
    for i in 0..(MAX_MESSAGES + 20) {
        rec.messages.push(Message {
            author: Author::Agent,
            text: format!("m{i}"),
            time_ms: 0,
            offline: false,
            note: None,
        });
    }
    rec.unread = u32::MAX;
    let w = Sandbox::new(site(URL), Some(rec), 1);
    assert_eq!(w.record().messages.len(), MAX_MESSAGES);
    assert_eq!(w.record().unread as usize, MAX_MESSAGES);
    assert_eq!(w.record().messages[0].text, "m20");
}

#[test]
fn messages_are_bounded_while_running() {
    let mut w = loaded();
    for i in 0..(MAX_MESSAGES + 5) {
        agent_says(&mut w, &format!("m{i}"));
    }
    assert_eq!(w.record().messages.len(), MAX_MESSAGES);
    assert!(w.record().unread as usize <= MAX_MESSAGES);
}

#[test]
fn effects_are_ordered_and_deduplicated() {
    let mut w = loaded();
    let fx = agent_says(&mut w, "hi");
    let kinds: Vec<&str> = fx
        .as_slice()
        .iter()
        .map(|e| match e {
            Effect::Destroyed => "destroyed",
            Effect::Persist => "persist",
            Effect::Render => "render",
            Effect::Fire(..) => "fire",
        })
        .collect();
    assert_eq!(kinds, ["persist", "render", "fire", "fire", "fire", "fire"]);
    let json = serde_json::to_value(&fx).unwrap();
    assert_eq!(json[0], json!("persist"));
    assert_eq!(
        json[4],
        json!({"fire": ["jivo_onChangeState", ["chat/min"]]})
    );
    let back: Effects = serde_json::from_value(json).unwrap();
    assert_eq!(back, fx);
}

#[test]
fn views_serialise_in_camel_case() {
    let mut w = loaded();
    raw(&mut w, Method::Open, &[json!({"start": "call"})]);
    let v = serde_json::to_value(w.widget_view()).unwrap();
    assert_eq!(v["state"], json!("call"));
    assert_eq!(v["mounted"], json!(true));
    assert!(v["window"]["callbackForm"].is_object());
    let a = serde_json::to_value(w.agent_view()).unwrap();
    assert_eq!(a["callbacksEnabled"], json!(true));
    assert_eq!(a["phase"], json!("loaded"));
    assert_eq!(a["visitorNumber"], json!(7));
    let f = serde_json::to_value(w.facts()).unwrap();
    assert_eq!(f["chatMode"], json!("online"));
    assert_eq!(f["state"], json!("call"));
    let s: WidgetState = serde_json::from_value(json!("chat/call")).unwrap();
    assert_eq!(s, WidgetState::ChatCall);
    // Inputs travel as tagged JSON.
    let va: VisitorAction =
        serde_json::from_value(json!({"type": "sendMessage", "text": "hi"})).unwrap();
    assert_eq!(va, VisitorAction::SendMessage { text: "hi".into() });
    let aa: AgentAction =
        serde_json::from_value(json!({"endCall": {"outcome": {"fail": {"reason": "Busy"}}}}))
            .unwrap();
    assert_eq!(
        aa,
        AgentAction::EndCall {
            outcome: CallEnd::Fail {
                reason: "Busy".into()
            }
        }
    );
}

#[test]
fn window_view_parts_match_the_state() {
    let mut w = loaded();
    let v = w.widget_view();
    assert!(v.label.is_some() && v.window.is_none());
    assert_eq!(v.label.unwrap().text, "Chat with us");
    open_chat(&mut w);
    let v = w.widget_view();
    assert!(v.label.is_none());
    let win = v.window.unwrap();
    assert_eq!(win.header, "Chat");
    let pane = win.chat.unwrap();
    assert!(pane.can_send && pane.can_request_call && pane.online && !pane.agent_joined);
    assert!(pane.offline_form.is_none() && pane.contact_form.is_none());
    w.agent(AgentAction::AcceptChat);
    assert!(w.widget_view().window.unwrap().chat.unwrap().agent_joined);
}

#[test]
fn facts_summarise_the_widget() {
    let mut w = loaded();
    raw(&mut w, Method::SetContactInfo, &[json!({"name": "Ann"})]);
    let f = w.facts();
    assert!(f.loaded);
    assert_eq!(f.chat_mode, ChatMode::Online);
    assert_eq!(f.state, Some(WidgetState::Label));
    assert_eq!(f.visitor_number, 7);
    assert_eq!(f.unread, 0);
    assert_eq!(f.utm.campaign.as_deref(), Some("spring"));
    assert_eq!(f.contact_info.name.as_deref(), Some("Ann"));
}

#[test]
fn clock_never_goes_back() {
    let mut w = loaded();
    w.set_now(10_000);
    w.set_now(5);
    open_chat(&mut w);
    send(&mut w, "x");
    assert_eq!(w.record().messages[0].time_ms, 10_000);
}

#[test]
fn typed_calls_work_like_raw_ones() {
    let mut w = loaded();
    let (r, fx) = w.call(ApiCall::Open {
        start: OpenStart::Menu,
    });
    assert_eq!(r.returned, ok());
    assert_eq!(state_changes(&fx), ["menu"]);
    let (r, _) = w.call(ApiCall::ShowProactiveInvitation {
        text: NonEmptyText::parse("Hi").unwrap(),
        department_id: None,
    });
    assert_eq!(r.returned, None);
    let (r, _) = w.call(ApiCall::SetWidgetColor {
        color: HexColor::parse("#abc").unwrap(),
        color2: None,
    });
    assert_eq!(r, Reply::undefined());
    let (r, fx) = w.call_checked(
        Method::StartCall,
        Phone::parse("x").map(|phone| ApiCall::StartCall { phone }),
    );
    assert_eq!(r.returned.unwrap()["result"], json!("fail"));
    assert!(fx.is_empty());
}

#[test]
fn agent_state_carries_over_to_the_next_page() {
    let mut w = loaded();
    open_chat(&mut w);
    send(&mut w, "hi");
    agent_says(&mut w, "hello");
    raw(&mut w, Method::StartCall, &[json!("12345")]);
    w.agent(AgentAction::SetCallbacksEnabled { enabled: false });
    let agent = w.agent_state();
    assert!(agent.online && agent.accepted && !agent.callbacks_enabled && agent.call.is_some());
    let json = serde_json::to_value(&agent).unwrap();
    let agent: AgentState = serde_json::from_value(json).unwrap();

    let mut w2 = Sandbox::new(site(URL), Some(w.record().clone()), 8).with_agent_state(agent);
    w2.init();
    assert_eq!(w2.agent_state(), w.agent_state());
    // Already accepted: the next agent message does not accept again.
    assert_eq!(
        cbs(&agent_says(&mut w2, "welcome back")),
        [OnMessageReceived]
    );
    // The call goes on and can be ended on the new page.
    let fx = w2.agent(AgentAction::EndCall {
        outcome: CallEnd::Ok,
    });
    assert_eq!(cbs(&fx), [OnCallEnd]);
    // Defaults, and an offline agent has no accepted chat.
    assert_eq!(
        AgentState::default(),
        serde_json::from_value::<AgentState>(json!({})).unwrap()
    );
    let w3 = fresh().with_agent_state(AgentState {
        online: false,
        accepted: true,
        ..AgentState::default()
    });
    assert!(!w3.agent_state().accepted);
    assert_eq!(w3.chat_mode(), ChatMode::Offline);
}

#[test]
fn the_visitor_sees_only_lines_meant_for_the_visitor() {
    let mut w = loaded();
    raw(
        &mut w,
        Method::ShowProactiveInvitation,
        &[json!("Need help?"), json!(2)],
    );
    send(&mut w, "hi");
    w.visitor(VisitorAction::SubmitContactForm {
        name: "Ann".into(),
        email: "".into(),
        phone: "".into(),
    });
    agent_says(&mut w, "Hello Ann");
    raw(&mut w, Method::StartCall, &[json!("+15551234567")]);
    let agent: Vec<String> = w
        .agent_view()
        .conversation
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(
        agent,
        [
            "Proactive invitation (department 2): Need help?",
            "hi",
            "Visitor introduced: Ann",
            "An agent joined the chat",
            "Hello Ann",
            "Callback requested to +15551234567",
        ]
    );
    let pane = |w: &Sandbox| w.widget_view().window.unwrap().chat.unwrap();
    let seen: Vec<String> = pane(&w).messages.into_iter().map(|m| m.text).collect();
    assert_eq!(
        seen,
        ["Need help?", "hi", "An agent joined the chat", "Hello Ann"]
    );

    // In Russian, the widget's own words change; what people wrote does not.
    let mut ru = w.clone().with_lang(Lang::Ru);
    let v = ru.widget_view();
    assert_eq!(v.lang, Lang::Ru);
    assert_eq!(v.window.as_ref().unwrap().header, "Чат");
    let seen: Vec<String> = pane(&ru).messages.into_iter().map(|m| m.text).collect();
    assert_eq!(
        seen,
        [
            "Need help?",
            "hi",
            "Оператор подключился к чату",
            "Hello Ann"
        ]
    );
    ru.visitor(VisitorAction::Minimise);
    assert_eq!(ru.widget_view().label.unwrap().text, "Напишите нам");
    // The agent's view and the page's API stay in English.
    assert_eq!(
        ru.agent_view().conversation[3].text,
        "An agent joined the chat"
    );

    // A record written before visitor notes existed: its system lines stay the agent's.
    let mut old = w.record().clone();
    for m in &mut old.messages {
        m.note = None;
    }
    let mut again = Sandbox::new(site(URL), Some(old), 1);
    again.init();
    open_chat(&mut again);
    let seen: Vec<String> = pane(&again).messages.into_iter().map(|m| m.text).collect();
    assert_eq!(seen, ["hi", "Hello Ann"]);
}
