//! Properties: arbitrary sequences of page calls (valid and not), visitor and agent actions,
//! reloads and destroy/init cycles never panic and keep the model's invariants.

use super::*;
use crate::api::call::tests::{any_call, any_json};
use crate::api::call::{failure_field, ApiCall, ApiResult};
use crate::api::{Callback, Method};
use proptest::prelude::*;
use serde_json::Value;

#[derive(Clone, Debug)]
enum Op {
    Call(crate::api::call::ApiCall),
    Raw(Method, Vec<Value>),
    Visitor(VisitorAction),
    Agent(AgentAction),
    Init,
    Reload(u64),
    Tick(u64),
}

fn words() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("  ".to_string()),
        "[a-z ]{1,12}",
        "[a-z]{1,6}@[a-z]{1,6}\\.[a-z]{2,3}",
        "\\+?[0-9 ()-]{3,24}",
    ]
}

fn visitor_action() -> impl Strategy<Value = VisitorAction> {
    prop_oneof![
        // Weighted towards input that passes validation, so deep paths are reached often.
        3 => "[a-z]{1,8}".prop_map(|text| VisitorAction::SendMessage { text }),
        2 => ("[A-Z][a-z]{1,6}", prop_oneof![Just(String::new()), Just("a@b.co".to_string())])
            .prop_map(|(name, email)| VisitorAction::SubmitContactForm {
                name,
                email,
                phone: String::new(),
            }),
        2 => Just(VisitorAction::ClickLabel),
        1 => Just(VisitorAction::Minimise),
        1 => Just(VisitorAction::OpenChat),
        1 => Just(VisitorAction::OpenCallbackForm),
        1 => Just(VisitorAction::CloseCallbackForm),
        1 => Just(VisitorAction::CloseInvitation),
        1 => words().prop_map(|text| VisitorAction::SendMessage { text }),
        1 => (words(), words(), words()).prop_map(|(name, email, phone)| {
            VisitorAction::SubmitContactForm { name, email, phone }
        }),
        1 => words().prop_map(|phone| VisitorAction::SubmitCallbackForm { phone }),
        1 => (words(), words(), words(), words()).prop_map(|(name, email, phone, message)| {
            VisitorAction::SubmitOfflineForm {
                name,
                email,
                phone,
                message,
            }
        }),
        1 => (any::<u32>(), any::<u32>())
            .prop_map(|(width, height)| VisitorAction::Resize { width, height }),
        1 => (any::<i32>(), any::<i32>()).prop_map(|(x, y)| VisitorAction::Drag { x, y }),
    ]
}

fn agent_action() -> impl Strategy<Value = AgentAction> {
    prop_oneof![
        any::<bool>().prop_map(|online| AgentAction::SetOnline { online }),
        any::<bool>().prop_map(|enabled| AgentAction::SetCallbacksEnabled { enabled }),
        Just(AgentAction::AcceptChat),
        words().prop_map(|text| AgentAction::SendMessage { text }),
        Just(AgentAction::EndCall {
            outcome: CallEnd::Ok
        }),
        words().prop_map(|reason| AgentAction::EndCall {
            outcome: CallEnd::Fail { reason }
        }),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => any_call().prop_map(Op::Call),
        2 => (0usize..Method::ALL.len(), proptest::collection::vec(any_json(), 0..3))
            .prop_map(|(m, args)| Op::Raw(Method::ALL[m], args)),
        6 => visitor_action().prop_map(Op::Visitor),
        5 => agent_action().prop_map(Op::Agent),
        2 => Just(Op::Init),
        1 => (1u64..1000).prop_map(Op::Reload),
        1 => (0u64..100_000).prop_map(Op::Tick),
    ]
}

fn site() -> SiteContext {
    SiteContext {
        origin: "https://p.example".into(),
        page_url: "https://p.example/?utm_source=s&utm_term=t".into(),
        page_title: "P".into(),
        now_ms: 0,
    }
}

/// What the checker remembers across steps.
struct Track {
    /// Whether the page was told the window is open (onOpen without onClose since).
    told_open: bool,
    /// Whether `jivo_onMessageSent` fired in the current history.
    message_sent_in_history: bool,
}

fn check_step(
    before: &Sandbox,
    after: &Sandbox,
    fx: &Effects,
    track: &mut Track,
) -> Result<(), TestCaseError> {
    let rec = after.record();
    let was_loaded = before.phase() == Phase::Loaded;
    let is_loaded = after.phase() == Phase::Loaded;

    // Effects: order and de-duplication.
    let slice = fx.as_slice();
    let first_fire = slice
        .iter()
        .position(|e| matches!(e, Effect::Fire(..)))
        .unwrap_or(slice.len());
    prop_assert!(slice[first_fire..]
        .iter()
        .all(|e| matches!(e, Effect::Fire(..))));
    for e in [Effect::Persist, Effect::Render, Effect::Destroyed] {
        prop_assert!(slice.iter().filter(|x| **x == e).count() <= 1);
    }
    if let Some(i) = slice.iter().position(|e| *e == Effect::Destroyed) {
        prop_assert_eq!(i, 0);
    }
    prop_assert_eq!(
        fx.persists(),
        before.record() != after.record() || before.agent_state() != after.agent_state()
    );
    prop_assert_eq!(
        fx.renders(),
        before.widget_view() != after.widget_view() || before.agent_view() != after.agent_view()
    );

    // Callbacks only while there is a widget.
    if !was_loaded && !is_loaded {
        prop_assert!(fx.fired().is_empty());
    }
    for (c, args) in fx.fired() {
        match c {
            Callback::OnOpen => {
                prop_assert!(!track.told_open);
                track.told_open = true;
            }
            Callback::OnClose => {
                prop_assert!(track.told_open);
                track.told_open = false;
            }
            Callback::OnWidgetDestroy => {
                prop_assert!(was_loaded && !is_loaded);
                track.told_open = false;
            }
            Callback::OnLoadCallback => prop_assert!(!was_loaded && is_loaded),
            Callback::OnChangeState => {
                prop_assert_eq!(args.len(), 1);
                prop_assert_eq!(args[0].as_str(), Some(after.state().as_str()));
            }
            Callback::OnMessageSent => {
                prop_assert!(!before.record().has_chat_history);
                prop_assert!(!track.message_sent_in_history);
                track.message_sent_in_history = true;
            }
            Callback::OnClientStartChat => {
                prop_assert!(fx.callbacks().contains(&Callback::OnMessageSent));
            }
            Callback::OnCallEnd => {
                prop_assert_eq!(args.len(), 1);
                prop_assert!(ApiResult::from_value(&args[0]).is_some());
            }
            _ => prop_assert!(args.is_empty()),
        }
    }
    if is_loaded {
        prop_assert_eq!(track.told_open, after.state().is_open());
    }
    if !rec.has_chat_history {
        track.message_sent_in_history = false;
    }

    // Record invariants.
    prop_assert!(rec.unread <= rec.agent_message_count());
    if is_loaded && after.state().shows_chat() {
        prop_assert_eq!(rec.unread, 0);
    }
    prop_assert!(rec.messages.len() <= MAX_MESSAGES);
    prop_assert!(rec.pages.len() <= MAX_PAGES);
    prop_assert!(rec
        .visitor_number
        .is_none_or(|n| n == after.visitor_number()));
    let json = serde_json::to_string(rec).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let back: VisitorRecord =
        serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
    // serde_json (without `float_roundtrip`) may move a float's last bit on re-parsing, so the
    // page-supplied JSON inside (rules) is compared with a tolerance.
    let (a, b) = (
        serde_json::to_value(rec).map_err(|e| TestCaseError::fail(e.to_string()))?,
        serde_json::to_value(&back).map_err(|e| TestCaseError::fail(e.to_string()))?,
    );
    prop_assert!(
        same_json(&a, &b),
        "record changed through JSON: {} vs {}",
        a,
        b
    );

    // Views agree with the model and serialise.
    let v = after.widget_view();
    prop_assert_eq!(v.mounted, is_loaded);
    prop_assert_eq!(v.state, after.state());
    prop_assert_eq!(v.label.is_some(), !v.state.is_open());
    prop_assert_eq!(v.window.is_some(), v.state.is_open());
    prop_assert!(serde_json::to_string(&v).is_ok());
    prop_assert!(serde_json::to_string(&after.agent_view()).is_ok());
    prop_assert_eq!(after.facts().state.is_some(), is_loaded);
    Ok(())
}

/// JSON equality with floats equal to 1e-12 relative.
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) if x.is_finite() && y.is_finite() => {
                (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(f64::MIN_POSITIVE)
            }
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

fn check_reply(method: Method, reply: &Reply) -> Result<(), TestCaseError> {
    if let Some(field) = failure_field(method) {
        if method != Method::IsCallbackEnabled {
            let r = reply.returned.as_ref().and_then(ApiResult::from_value);
            prop_assert!(r.is_some(), "{:?} must return a result object", method);
            if let Some(ApiResult::Fail { field: f, .. }) = r {
                prop_assert_eq!(f, field);
            }
        }
    }
    if let Some(args) = &reply.callback_args {
        prop_assert!(method.answers_through_callback());
        match method {
            Method::GetVisitorNumber => {
                prop_assert_eq!(args.len(), 2);
                prop_assert!(args[0].is_null() != args[1].is_null());
            }
            _ => {
                prop_assert_eq!(args.len(), 1);
                prop_assert!(ApiResult::from_value(&args[0]).is_some());
            }
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn arbitrary_sequences_keep_the_invariants(ops in proptest::collection::vec(op(), 1..60)) {
        let mut w = Sandbox::new(site(), None, 1);
        let mut track = Track { told_open: false, message_sent_in_history: false };
        let fx = w.init();
        prop_assert_eq!(fx.callbacks(), vec![Callback::OnLoadCallback]);
        for op in ops {
            let before = w.clone();
            let fx = match op {
                Op::Call(call) => {
                    let m = call.method();
                    let (reply, fx) = w.call(call);
                    check_reply(m, &reply)?;
                    fx
                }
                Op::Raw(m, args) => {
                    let (reply, fx) = w.call_raw(m, &args);
                    if ApiCall::from_args(m, &args).is_ok() {
                        check_reply(m, &reply)?;
                    } else {
                        prop_assert!(fx.is_empty());
                        prop_assert!(reply.note.is_some());
                    }
                    fx
                }
                Op::Visitor(a) => w.visitor(a),
                Op::Agent(a) => w.agent(a),
                Op::Init => w.init(),
                Op::Reload(n) => {
                    let saved: VisitorRecord = serde_json::from_str(
                        &serde_json::to_string(w.record()).map_err(|e| TestCaseError::fail(e.to_string()))?,
                    ).map_err(|e| TestCaseError::fail(e.to_string()))?;
                    let number = saved.visitor_number;
                    let agent = w.agent_state();
                    w = Sandbox::new(site(), Some(saved), n).with_agent_state(agent.clone());
                    prop_assert_eq!(w.agent_state(), agent);
                    prop_assert_eq!(w.visitor_number(), number.unwrap_or(n));
                    track.told_open = false;
                    let fx = w.init();
                    prop_assert_eq!(fx.callbacks(), vec![Callback::OnLoadCallback]);
                    prop_assert_eq!(w.state().is_open(), false);
                    continue;
                }
                Op::Tick(t) => {
                    w.set_now(t);
                    continue;
                }
            };
            check_step(&before, &w, &fx, &mut track)?;
            check_reads(&w)?;
        }
        // Before the widget loads, too.
        check_reads(&Sandbox::new(site(), Some(w.record().clone()), 2))?;
    }
}

/// Each read answers what the call would, and the call changes nothing.
fn check_reads(w: &Sandbox) -> Result<(), TestCaseError> {
    for m in READS {
        let read = w.read(m);
        let mut probe = w.clone();
        let (reply, fx) = probe.call_raw(m, &[]);
        prop_assert_eq!(read, Some(reply), "{:?}", m);
        prop_assert!(fx.is_empty(), "{:?} had effects", m);
        prop_assert_eq!(probe.record(), w.record());
        prop_assert_eq!(probe.widget_view(), w.widget_view());
        prop_assert_eq!(probe.agent_view(), w.agent_view());
    }
    prop_assert_eq!(w.read(Method::Open), None);
    Ok(())
}
