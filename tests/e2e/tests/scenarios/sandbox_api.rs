//! Sandbox: every entry point and every callback of the Widget API, driven the way a site and a
//! visitor would, on a normal and a strict-CSP page.
//!
//! The site is `tests/fixtures/sandbox-api.{html,js}`: all 13 callbacks defined, every method
//! called from `jivo_onLoadCallback` (right and wrong calls), everything it saw in
//! `window.siteLog`. Later calls are page code too (WebDriver scripts run in the page's world).
//! The visitor uses the keyboard, the pointer and the screen (`e2e::widget`): the widget is in a
//! closed shadow root. The agent is the popup (`popup.html?tab=<id>`), through its buttons where
//! the check is about the popup, else through a popup port as the popup's buttons do.
//!
//! Each scenario runs twice: on `/sandbox-api.html` and on `/strict/sandbox-api.html`, served
//! with `Content-Security-Policy: default-src 'none'; script-src 'self'`.

use std::time::Duration;

use anyhow::{ensure, Context as _, Result};
use e2e::browser::BrowserKind;
use e2e::popup_port;
use e2e::runner::{Ctx, Scenario};
use e2e::scenario;
use e2e::widget::{Rgb, Widget, ENTER, ESCAPE, TAB};
use jwi_core::sandbox::{AgentAction, CallEnd, Words};
use serde_json::{json, Value};

pub const SCENARIOS: &[Scenario] = &[
    scenario!(calls_from_on_load::<false>, "normal"),
    scenario!(calls_from_on_load::<true>, "strict"),
    scenario!(window_states_and_calls::<false>, "normal"),
    scenario!(window_states_and_calls::<true>, "strict"),
    scenario!(offline_messages::<false>, "normal"),
    scenario!(offline_messages::<true>, "strict"),
    scenario!(visitor_chats_by_keyboard::<false>, "normal"),
    scenario!(visitor_chats_by_keyboard::<true>, "strict"),
    scenario!(invitation_then_visitor::<false>, "normal"),
    scenario!(invitation_then_visitor::<true>, "strict"),
    scenario!(clear_destroy_init::<false>, "normal"),
    scenario!(clear_destroy_init::<true>, "strict"),
    scenario!(history_across_reloads::<false>, "normal"),
    scenario!(history_across_reloads::<true>, "strict"),
    scenario!(visitor_menu_and_offline_form::<false>, "normal"),
    scenario!(visitor_menu_and_offline_form::<true>, "strict"),
    scenario!(callbacks_call_the_api::<false>, "normal"),
    scenario!(callbacks_call_the_api::<true>, "strict"),
    scenario!(only_the_api_globals::<false>, "normal"),
    scenario!(only_the_api_globals::<true>, "strict"),
    scenario!(dark_mode::<false>, "normal"),
    scenario!(dark_mode::<true>, "strict"),
    scenario!(narrow_viewport::<false>, "normal"),
    scenario!(narrow_viewport::<true>, "strict"),
    // Reads the accessibility tree through the DevTools protocol, which only chromedriver
    // offers; geckodriver's computed-label command needs element references, and the widget's
    // elements are unreachable in its closed shadow root.
    scenario!(controls_are_labelled).only(BrowserKind::Chromium),
];

const SITES: [&str; 2] = [
    "http://127.0.0.1/sandbox-api*",
    "http://127.0.0.1/strict/sandbox-api*",
];
/// Generous: the machine running the suite may be busy.
const TIMEOUT: Duration = Duration::from_secs(10);
/// After the last expected callback, how long to keep listening for unexpected ones. A page
/// call's callbacks are all scheduled (as zero-delay timers in the page) before the call
/// returns, so they run within milliseconds; this leaves a wide margin on a busy machine.
const SETTLE: Duration = Duration::from_millis(150);
const PHONE: &str = "+14084987855";
/// Where the message input is in the open chat window: this far above the window's bottom
/// edge (below it: the "Request a call" link), at the window's left.
const INPUT_FROM_BOTTOM: f64 = 64.0;

/// The fixture's URL on the normal or the strict page, with `query` (may be empty).
fn page_url(ctx: &Ctx, strict: bool, query: &str) -> String {
    let dir = if strict { "/strict" } else { "" };
    ctx.url(&format!("{dir}/sandbox-api.html{query}"))
}

/// Configures the sandbox for the fixture, loads it and waits until its `jivo_onLoadCallback`
/// has run its calls and got its async answers. Returns the site's log.
fn load(ctx: &Ctx, url: &str) -> Result<Vec<Value>> {
    ctx.configure(json!({ "mode": "sandbox", "sites": SITES }))?;
    ctx.goto(url)?;
    let log = e2e::site::site_log_with(ctx, "isCallbackEnabled", TIMEOUT)?;
    Widget::new(ctx).wait_rect("the widget on the page", TIMEOUT, |r| r.height > 0.0)?;
    Ok(log)
}

/// Fails if the page saw an uncaught error, an unhandled rejection or a CSP violation
/// (`window.siteProblems`, kept by the fixture since the page started). Firefox's own request
/// for `/favicon.ico` is refused by the strict page's `img-src` and reported to the page; that
/// one is the browser's, not the widget's.
fn no_page_problems(ctx: &Ctx) -> Result<()> {
    let problems = ctx.eval(
        "return (window.siteProblems || [null]).filter(p => !(p && p.kind === 'csp'\
           && p.directive === 'img-src' && /\\/favicon\\.ico$/.test(p.blocked)));",
    )?;
    ensure!(problems == json!([]), "the page saw problems: {problems}");
    Ok(())
}

fn entry<'a>(log: &'a [Value], name: &str) -> Option<&'a Value> {
    log.iter().find(|e| e["name"] == name)
}

/// The callbacks in the log, in order: `(name, args)`.
fn callbacks(log: &[Value]) -> Vec<(String, Value)> {
    log.iter()
        .filter_map(|e| {
            let name = e["name"].as_str()?;
            name.starts_with("jivo_on")
                .then(|| (name.to_owned(), e["args"].clone()))
        })
        .collect()
}

fn names(log: &[Value]) -> Vec<String> {
    callbacks(log).into_iter().map(|(n, _)| n).collect()
}

/// Empties the site's log.
fn clear_log(ctx: &Ctx) -> Result<()> {
    ctx.eval("siteLog.length = 0; return null;").map(drop)
}

/// Waits for the log entry `last`, then a little longer for anything unexpected after it.
fn log_after(ctx: &Ctx, last: &str) -> Result<Vec<Value>> {
    e2e::site::site_log_with(ctx, last, TIMEOUT)?;
    std::thread::sleep(SETTLE);
    e2e::site::site_log(ctx)
}

/// Runs page code `js` (a function body) on a fresh log and returns its result.
fn page_call(ctx: &Ctx, js: &str) -> Result<Value> {
    clear_log(ctx)?;
    ctx.eval(&format!(
        "try {{ const r = (() => {{ {js} }})(); return r === undefined ? 'undefined' : r; }}\
         catch (e) {{ return 'THREW ' + e; }}"
    ))
}

/// Checks that `log`'s callbacks are exactly `expected` (name, and args where given).
fn expect_callbacks(log: &[Value], expected: &[(&str, Option<Value>)], after: &str) -> Result<()> {
    let seen = callbacks(log);
    let ok = seen.len() == expected.len()
        && seen
            .iter()
            .zip(expected)
            .all(|((n, a), (en, ea))| n == en && ea.as_ref().is_none_or(|ea| a == ea));
    ensure!(
        ok,
        "after {after}: callbacks {seen:?}, expected {expected:?}"
    );
    ensure!(
        log.iter()
            .filter(|e| e["name"].as_str().is_some_and(|n| n.starts_with("jivo_on")))
            .all(|e| e["thisIsWindow"] == true),
        "after {after}: a callback ran with this !== window"
    );
    Ok(())
}

/// The state callbacks an open/close step fires: `[onOpen|onClose], onChangeState(state),
/// onResizeCallback`.
fn state_change(
    open_close: Option<&'static str>,
    state: &str,
) -> Vec<(&'static str, Option<Value>)> {
    let mut v: Vec<(&str, Option<Value>)> = open_close.map(|n| (n, None)).into_iter().collect();
    v.push(("jivo_onChangeState", Some(json!([state]))));
    v.push(("jivo_onResizeCallback", None));
    v
}

/// Runs `js`, checks it returned `returned`, and that exactly `expected` callbacks followed.
fn call_expect(
    ctx: &Ctx,
    js: &str,
    returned: Value,
    expected: &[(&str, Option<Value>)],
) -> Result<()> {
    let got = page_call(ctx, js)?;
    ensure!(got == returned, "{js} returned {got}, expected {returned}");
    let log = match expected.last() {
        Some((last, _)) => log_after(ctx, last)?,
        None => {
            std::thread::sleep(SETTLE);
            e2e::site::site_log(ctx)?
        }
    };
    expect_callbacks(&log, expected, js)
}

// ---- the agent --------------------------------------------------------------------------------

/// The page tab and the popup tab showing it.
struct Tabs {
    page: String,
    popup: String,
}

/// Opens `popup.html?tab=<id of url>` in a new tab, waits for it to show the loaded widget and
/// switches back to the page.
fn open_popup(ctx: &Ctx, url: &str) -> Result<Tabs> {
    let page = ctx.current_tab()?;
    let tab = ctx.tab_id_of(url)?;
    let popup = ctx.new_tab()?;
    ctx.open_extension_page(&format!("popup.html?tab={tab}"))?;
    ctx.wait_for_attr("#page-status", "data-state", "loaded", TIMEOUT)?;
    ctx.switch_to(&page)?;
    Ok(Tabs { page, popup })
}

/// Waits until the popup's `css` text satisfies `pred`; returns it.
fn popup_text(ctx: &Ctx, css: &str, pred: impl Fn(&str) -> bool) -> Result<String> {
    let mut seen = String::new();
    ctx.wait_for(&format!("{css} in the popup"), TIMEOUT, |b| {
        seen = b.text(css)?;
        Ok(pred(&seen).then_some(()))
    })
    .with_context(|| format!("{css} shows {seen:?}"))?;
    Ok(seen)
}

/// In the popup: ends the call in progress with its "End call: ok" or "End call: fail" button
/// (with `reason` typed first).
fn end_call_in_popup(ctx: &Ctx, tabs: &Tabs, ok: bool, reason: &str) -> Result<()> {
    ctx.switch_to(&tabs.popup)?;
    let button = if ok {
        "agent-call-ok"
    } else {
        "agent-call-fail"
    };
    ctx.wait_for_js(
        &format!("return !document.getElementById('{button}').disabled;"),
        TIMEOUT,
    )
    .with_context(|| format!("#{button} never became enabled (no call in progress?)"))?;
    if !reason.is_empty() {
        ctx.type_into("#agent-call-reason", reason)?;
    }
    ctx.click(&format!("#{button}"))?;
    ctx.switch_to(&tabs.page)
}

// ---- scenarios ------------------------------------------------------------------------------

/// Everything the fixture calls from `jivo_onLoadCallback` answers the documented way; the
/// setters take visible effect in the popup's agent view and on the widget's colour; the UTM
/// tags are the first visit's.
fn calls_from_on_load<const STRICT: bool>(ctx: &mut Ctx) -> Result<()> {
    let url = page_url(
        ctx,
        STRICT,
        "?utm_source=news&utm_medium=email&utm_campaign=spring&utm_term=chat+widget",
    );
    let log = load(ctx, &url)?;
    let on_load = entry(&log, "jivo_onLoadCallback").context("jivo_onLoadCallback")?;
    ensure!(
        on_load["thisIsWindow"] == true && on_load["args"] == json!([]),
        "jivo_onLoadCallback: {on_load}"
    );
    let r = &entry(&log, "calls").context("the site's calls")?["results"];
    let expect = |key: &str, want: Value| -> Result<()> {
        ensure!(r[key] == want, "{key}: {} (expected {want})", r[key]);
        Ok(())
    };
    expect("chatMode", json!("online"))?;
    expect(
        "getContactInfo",
        json!({"client_name": null, "email": null, "phone": null, "description": null}),
    )?;
    expect(
        "getUtm",
        json!({"source": "news", "medium": "email", "campaign": "spring", "content": null, "term": "chat widget"}),
    )?;
    expect("getUnreadMessagesCount", json!(0))?;
    expect("unreadWithArgs", json!(0))?;
    expect("closeWithArgs", json!({"result": "ok"}))?;
    expect(
        "contactAfterBadSet",
        json!({"client_name": null, "email": null, "phone": null, "description": null}),
    )?;
    for setter in [
        "setCustomData",
        "setUserToken",
        "setRules",
        "sendPageTitle",
        "setWidgetColor",
        "badColor",
        "badRules",
        "badCustomData",
        "visitorNumberWithoutCallback",
        "callbackCheckWithoutCallback",
        "badUserToken",
        "badContactInfo",
        "badPageTitle",
        "badInvitation",
    ] {
        expect(setter, json!("undefined"))?;
    }
    for (key, field) in [
        ("badOpen", "reason"),
        ("badStartCall", "reason"),
        ("offlineWhileOnline", "error"),
        ("badOfflineMessage", "error"),
    ] {
        ensure!(
            r[key]["result"] == "fail" && r[key][field].as_str().is_some_and(|s| !s.is_empty()),
            "{key}: {} (expected {{result: 'fail', {field}}})",
            r[key]
        );
    }
    let number = entry(&log, "getVisitorNumber").context("getVisitorNumber's callback")?;
    ensure!(
        number["err"].is_null() && number["number"].as_u64().is_some_and(|n| n >= 1),
        "getVisitorNumber(cb): {number}"
    );
    let enabled = entry(&log, "isCallbackEnabled").context("isCallbackEnabled's callback")?;
    ensure!(
        enabled["result"] == json!({"result": "ok"}),
        "isCallbackEnabled(cb): {enabled}"
    );
    // Loading is not a state change or a resize.
    expect_callbacks(&log, &[("jivo_onLoadCallback", None)], "the load")?;

    // The widget wears the site's colour: one colour, then a gradient.
    let w = Widget::new(ctx);
    let rect = w.wait_rect("the label", TIMEOUT, |r| r.height > 40.0)?;
    let bar_y = rect.height - 28.0;
    let green = Rgb::hex("#1a7f37").unwrap();
    let seen = w.pixel(rect.width - 40.0, bar_y)?;
    ensure!(
        seen.near(green, 8),
        "the label is {seen:?}, not the site's #1a7f37"
    );
    let got = page_call(ctx, "return jivo_api.setWidgetColor('#ff0000', '#0000ff');")?;
    ensure!(got == "undefined", "setWidgetColor(c1, c2) returned {got}");
    let (mut left, mut right) = (Rgb(0, 0, 0), Rgb(0, 0, 0));
    ctx.wait_for("the gradient on the label", TIMEOUT, |_| {
        left = w.pixel(30.0, bar_y)?;
        right = w.pixel(rect.width - 30.0, bar_y)?;
        Ok((left.0 > left.2 && right.2 > right.0).then_some(()))
    })
    .with_context(|| format!("label left {left:?}, right {right:?}"))?;
    let got = page_call(ctx, "return jivo_api.setWidgetColor('#00ff00', 'blue');")?;
    ensure!(
        got == "undefined",
        "setWidgetColor with a bad color2 returned {got}"
    );
    std::thread::sleep(SETTLE);
    let still = w.pixel(30.0, bar_y)?;
    ensure!(
        still == left,
        "a refused setWidgetColor changed the label from {left:?} to {still:?}"
    );

    // The agent sees the custom data in order, the user token, the rules and the page title.
    let tabs = open_popup(ctx, &url)?;
    ctx.switch_to(&tabs.popup)?;
    popup_text(ctx, "#agent-custom-data", |t| t.contains("Add contact"))?;
    let fields = ctx.eval(
        "return [...document.querySelectorAll('#agent-custom-data li')].map(li => li.innerText.replace(/\\s+/g, ' ').trim());",
    )?;
    ensure!(
        fields
            == json!([
                "User balance: $56",
                "Open customer profile",
                "Actions Next: Add contact"
            ]),
        "custom data in the popup: {fields}"
    );
    let links = ctx.eval(
        "return [...document.querySelectorAll('#agent-custom-data a')].map(a => a.getAttribute('href'));",
    )?;
    ensure!(
        links == json!(["https://shop.example/profile", "https://shop.example/add"]),
        "custom-data links: {links}"
    );
    popup_text(ctx, "#agent-user-token", |t| t == "user-7f3a9c")?;
    let rules = popup_text(ctx, "#agent-rules", |t| t.contains("Greet on cart"))?;
    let rules: Value = serde_json::from_str(&rules).context("the popup's rules are not JSON")?;
    ensure!(
        rules == json!({"rules": [{"name": "Greet on cart", "delay": 5}]}),
        "rules in the popup: {rules}"
    );
    popup_text(ctx, "#agent-pages", |t| {
        t.contains("Cart - Shop") && t.contains("https://shop.example/cart")
    })?;
    ctx.switch_to(&tabs.page)?;

    // A later visit without tags still reports the first visit's.
    let again = page_url(ctx, STRICT, "?utm_source=other");
    ctx.goto(&again)?;
    let log = e2e::site::site_log_with(ctx, "isCallbackEnabled", TIMEOUT)?;
    let utm = &entry(&log, "calls").context("calls")?["results"]["getUtm"];
    ensure!(
        utm["source"] == "news" && utm["campaign"] == "spring",
        "getUtm() on a later visit: {utm}"
    );
    no_page_problems(ctx)?;
    Ok(())
}

/// `open` with every `start`, `close`, `isCallbackEnabled`/`startCall` with callbacks disabled
/// and enabled, and calls ended ok and failed from the popup's agent console.
fn window_states_and_calls<const STRICT: bool>(ctx: &mut Ctx) -> Result<()> {
    let url = page_url(ctx, STRICT, "");
    load(ctx, &url)?;
    let ok = json!({"result": "ok"});
    // Callbacks come after the call has returned, never inside it.
    let inside = ctx.eval(
        "siteLog.length = 0; const r = jivo_api.open({start: 'chat'});\
         const seen = siteLog.length; jivo_api.close(); return [r, seen];",
    )?;
    ensure!(
        inside == json!([{"result": "ok"}, 0]),
        "open() returned {inside} (result, callbacks seen before it returned)"
    );
    log_after(ctx, "jivo_onClose")?;
    call_expect(
        ctx,
        "return jivo_api.open({start: 'menu'});",
        ok.clone(),
        &state_change(Some("jivo_onOpen"), "menu"),
    )?;
    call_expect(
        ctx,
        "return jivo_api.open({start: 'call'});",
        ok.clone(),
        &state_change(None, "call"),
    )?;
    call_expect(
        ctx,
        "return jivo_api.open({start: 'chat'});",
        ok.clone(),
        &state_change(None, "chat"),
    )?;
    call_expect(
        ctx,
        "return jivo_api.open({start: 'call'});",
        ok.clone(),
        &state_change(None, "chat/call"),
    )?;
    call_expect(
        ctx,
        "return jivo_api.open();",
        ok.clone(),
        &state_change(None, "chat"),
    )?;
    call_expect(ctx, "return jivo_api.open();", ok.clone(), &[])?;
    call_expect(
        ctx,
        "return jivo_api.close();",
        ok.clone(),
        &state_change(Some("jivo_onClose"), "label"),
    )?;
    call_expect(ctx, "return jivo_api.close();", ok.clone(), &[])?;

    // Callbacks disabled by the agent.
    popup_port::agent_on(
        ctx,
        &url,
        AgentAction::SetCallbacksEnabled { enabled: false },
    )?;
    let disabled = json!({"result": "fail", "reason": "Callback disabled"});
    ctx.wait_for("isCallbackEnabled to report disabled", TIMEOUT, |b| {
        let v = b.eval_async("jivo_api.isCallbackEnabled(r => done(r));")?;
        Ok((v == disabled).then_some(()))
    })?;
    call_expect(
        ctx,
        "return jivo_api.open({start: 'call'});",
        disabled.clone(),
        &[],
    )?;
    call_expect(
        ctx,
        &format!("return jivo_api.startCall('{PHONE}');"),
        disabled,
        &[],
    )?;

    // Enabled again: a call starts, a second one is refused while it runs, the agent ends it.
    popup_port::agent_on(
        ctx,
        &url,
        AgentAction::SetCallbacksEnabled { enabled: true },
    )?;
    ctx.wait_for("isCallbackEnabled to report ok", TIMEOUT, |b| {
        let v = b.eval_async("jivo_api.isCallbackEnabled(r => done(r));")?;
        Ok((v == json!({"result": "ok"})).then_some(()))
    })?;
    let tabs = open_popup(ctx, &url)?;
    call_expect(
        ctx,
        &format!("return jivo_api.startCall('{PHONE}');"),
        ok.clone(),
        &[("jivo_onCallStart", Some(json!([])))],
    )?;
    let again = page_call(ctx, &format!("return jivo_api.startCall('{PHONE}');"))?;
    ensure!(
        again["result"] == "fail" && again["reason"].as_str().is_some_and(|r| !r.is_empty()),
        "startCall during a call: {again}"
    );
    clear_log(ctx)?;
    end_call_in_popup(ctx, &tabs, true, "")?;
    let log = log_after(ctx, "jivo_onCallEnd")?;
    expect_callbacks(
        &log,
        &[("jivo_onCallEnd", Some(json!([{"result": "ok"}])))],
        "the agent ended the call ok",
    )?;

    // A failed call, with and without a reason.
    call_expect(
        ctx,
        &format!("return jivo_api.startCall('{PHONE}');"),
        ok.clone(),
        &[("jivo_onCallStart", None)],
    )?;
    clear_log(ctx)?;
    end_call_in_popup(ctx, &tabs, false, "Line busy")?;
    let log = log_after(ctx, "jivo_onCallEnd")?;
    expect_callbacks(
        &log,
        &[(
            "jivo_onCallEnd",
            Some(json!([{"result": "fail", "reason": "Line busy"}])),
        )],
        "the agent ended the call as failed",
    )?;
    call_expect(
        ctx,
        &format!("return jivo_api.startCall('{PHONE}');"),
        ok,
        &[("jivo_onCallStart", None)],
    )?;
    clear_log(ctx)?;
    popup_port::agent_on(
        ctx,
        &url,
        AgentAction::EndCall {
            outcome: CallEnd::Fail {
                reason: String::new(),
            },
        },
    )?;
    let log = log_after(ctx, "jivo_onCallEnd")?;
    expect_callbacks(
        &log,
        &[(
            "jivo_onCallEnd",
            Some(json!([{"result": "fail", "reason": "Call failed"}])),
        )],
        "the agent ended the call as failed without a reason",
    )?;
    no_page_problems(ctx)?;
    Ok(())
}

/// `sendOfflineMessage` while agents are offline: accepted when valid (and its contact fields
/// reach `getContactInfo`), refused with an `error` when not; `chatMode()` follows the agent.
fn offline_messages<const STRICT: bool>(ctx: &mut Ctx) -> Result<()> {
    let url = page_url(ctx, STRICT, "");
    load(ctx, &url)?;
    popup_port::agent_on(ctx, &url, AgentAction::SetOnline { online: false })?;
    ctx.wait_for("chatMode() offline", TIMEOUT, |b| {
        Ok((b.eval("return jivo_api.chatMode();")? == "offline").then_some(()))
    })?;
    let bad = page_call(
        ctx,
        "return jivo_api.sendOfflineMessage({name: 'Ann', email: 'not an e-mail', message: 'Hi'});",
    )?;
    ensure!(
        bad["result"] == "fail" && bad["error"].as_str().is_some_and(|e| !e.is_empty()),
        "sendOfflineMessage with a bad e-mail: {bad}"
    );
    let good = page_call(
        ctx,
        &format!(
            "return jivo_api.sendOfflineMessage({{name: 'John Smith', email: 'john@example.com',\
             phone: '{PHONE}', description: 'Description text', message: 'Offline message'}});"
        ),
    )?;
    ensure!(
        good == json!({"result": "ok"}),
        "sendOfflineMessage while offline: {good}"
    );
    let contact = ctx.eval("return jivo_api.getContactInfo();")?;
    ensure!(
        contact["client_name"] == "John Smith" && contact["email"] == "john@example.com",
        "getContactInfo() after an offline message: {contact}"
    );
    // An offline message is not a chat message.
    std::thread::sleep(SETTLE);
    let log = e2e::site::site_log(ctx)?;
    ensure!(
        !names(&log).iter().any(|n| n == "jivo_onMessageSent"),
        "an offline message fired jivo_onMessageSent: {log:?}"
    );
    let tabs = open_popup(ctx, &url)?;
    ctx.switch_to(&tabs.popup)?;
    popup_text(ctx, "#agent-conversation", |t| {
        t.contains("Offline message")
    })?;
    ctx.switch_to(&tabs.page)?;
    popup_port::agent_on(ctx, &url, AgentAction::SetOnline { online: true })?;
    ctx.wait_for("chatMode() online", TIMEOUT, |b| {
        Ok((b.eval("return jivo_api.chatMode();")? == "online").then_some(()))
    })?;
    no_page_problems(ctx)?;
    Ok(())
}

/// The visitor, by keyboard and pointer: opens the chat, writes the first message
/// (`jivo_onMessageSent`, `jivo_onClientStartChat`), introduces themselves
/// (`jivo_onIntroduction`), is accepted and written to (`jivo_onAccept`,
/// `jivo_onMessageReceived` with the unread count), minimises with Escape, reopens with a
/// click, drags the window (`jivo_onResizeCallback` alone) and orders a call through the
/// callback form (`jivo_onCallStart`), which the agent ends as failed from the popup.
fn visitor_chats_by_keyboard<const STRICT: bool>(ctx: &mut Ctx) -> Result<()> {
    let url = page_url(ctx, STRICT, "");
    load(ctx, &url)?;
    let tabs = open_popup(ctx, &url)?;
    let w = Widget::new(ctx);

    // Tab into the widget: the label. Enter opens the chat; the message input takes focus.
    clear_log(ctx)?;
    w.tab_in_after("#site-last")?;
    w.keys(&[ENTER])?;
    let log = log_after(ctx, "jivo_onResizeCallback")?;
    expect_callbacks(
        &log,
        &state_change(Some("jivo_onOpen"), "chat"),
        "Enter on the label",
    )?;
    w.wait_rect("the chat window", TIMEOUT, |r| r.height > 300.0)?;

    // The first message. Keys typed into the widget are not the page's keyboard shortcuts.
    ctx.eval(
        "window.pageKeys = 0;\
         document.addEventListener('keydown', () => { window.pageKeys += 1; });\
         return null;",
    )?;
    clear_log(ctx)?;
    w.type_text("Hello, is the blue one in stock?\u{E007}")?;
    let log = log_after(ctx, "jivo_onClientStartChat")?;
    expect_callbacks(
        &log,
        &[
            ("jivo_onMessageSent", None),
            ("jivo_onClientStartChat", None),
        ],
        "the visitor's first message",
    )?;
    let keys = ctx.eval("return window.pageKeys;")?;
    ensure!(
        keys == 0,
        "the page's keydown listener saw {keys} keys typed into the widget"
    );
    ctx.switch_to(&tabs.popup)?;
    popup_text(ctx, "#agent-conversation", |t| {
        t.contains("blue one in stock")
    })?;
    ctx.switch_to(&tabs.page)?;

    // The contact form is now offered above the input: name, e-mail, phone, Send. Sent
    // empty, it is refused (it shows why) and nothing fires.
    clear_log(ctx)?;
    w.shift_tab(1)?;
    w.keys(&[ENTER])?;
    std::thread::sleep(SETTLE);
    let log = e2e::site::site_log(ctx)?;
    expect_callbacks(&log, &[], "the empty contact form")?;
    let contact = ctx.eval("return jivo_api.getContactInfo();")?;
    ensure!(
        contact["client_name"].is_null() && contact["phone"].is_null(),
        "getContactInfo() after the empty contact form: {contact}"
    );
    // The focus stayed on the form's Send button; its name field is three stops back.
    w.shift_tab(3)?;
    w.type_text("Ann")?;
    w.keys(&[TAB, TAB])?;
    w.type_text("+14155550100\u{E007}")?;
    let log = log_after(ctx, "introducedAs")?;
    expect_callbacks(&log, &[("jivo_onIntroduction", None)], "the contact form")?;
    let contact = &entry(&log, "introducedAs").unwrap()["contact"];
    ensure!(
        contact["client_name"] == "Ann"
            && contact["email"].is_null()
            && contact["description"].is_null()
            && contact["phone"]
                .as_str()
                .is_some_and(|p| p.contains("4155550100")),
        "getContactInfo() in jivo_onIntroduction: {contact}"
    );

    // The agent joins and writes while the chat is visible: nothing unread.
    clear_log(ctx)?;
    ctx.switch_to(&tabs.popup)?;
    ctx.wait_for_js(
        "return !document.getElementById('agent-accept').disabled;",
        TIMEOUT,
    )?;
    ctx.click("#agent-accept")?;
    ctx.switch_to(&tabs.page)?;
    let log = log_after(ctx, "jivo_onAccept")?;
    expect_callbacks(&log, &[("jivo_onAccept", None)], "the agent accepted")?;
    clear_log(ctx)?;
    popup_port::agent_on(
        ctx,
        &url,
        AgentAction::SendMessage {
            text: "Yes, we have it.".into(),
        },
    )?;
    let log = log_after(ctx, "unreadOnReceive")?;
    expect_callbacks(
        &log,
        &[("jivo_onMessageReceived", None)],
        "an agent message in the open chat",
    )?;
    ensure!(
        entry(&log, "unreadOnReceive").unwrap()["count"] == 0,
        "unread while the chat is open: {log:?}"
    );

    // Half a sentence typed when the agent's next message arrives survives the re-render,
    // caret included.
    w.type_text("Half a sen")?;
    clear_log(ctx)?;
    popup_port::agent_on(
        ctx,
        &url,
        AgentAction::SendMessage {
            text: "Take your time".into(),
        },
    )?;
    log_after(ctx, "jivo_onMessageReceived")?;
    w.type_text("tence\u{E007}")?;
    ctx.switch_to(&tabs.popup)?;
    popup_text(ctx, "#agent-conversation", |t| {
        t.contains("Half a sentence")
    })?;
    ctx.switch_to(&tabs.page)?;

    // Escape minimises (the focus is still in the window); an agent message is then unread.
    clear_log(ctx)?;
    w.keys(&[ESCAPE])?;
    let log = log_after(ctx, "jivo_onResizeCallback")?;
    expect_callbacks(
        &log,
        &state_change(Some("jivo_onClose"), "chat/min"),
        "Escape in the window",
    )?;
    clear_log(ctx)?;
    popup_port::agent_on(
        ctx,
        &url,
        AgentAction::SendMessage {
            text: "Anything else?".into(),
        },
    )?;
    let log = log_after(ctx, "unreadOnReceive")?;
    expect_callbacks(
        &log,
        &[("jivo_onMessageReceived", None)],
        "an agent message while minimised",
    )?;
    ensure!(
        entry(&log, "unreadOnReceive").unwrap()["count"] == 1,
        "unread while minimised: {log:?}"
    );

    // A click on the label reopens the chat, which reads the message.
    let label = w.wait_rect("the label with the preview", TIMEOUT, |r| r.height > 60.0)?;
    clear_log(ctx)?;
    w.click_at(label.width - 40.0, label.height - 28.0)?;
    let log = log_after(ctx, "jivo_onResizeCallback")?;
    expect_callbacks(
        &log,
        &state_change(Some("jivo_onOpen"), "chat"),
        "a click on the label",
    )?;
    let unread = ctx.eval("return jivo_api.getUnreadMessagesCount();")?;
    ensure!(unread == 0, "unread after opening the chat: {unread}");

    // Dragging the header moves the widget: a resize callback, no state change.
    let before = w.wait_rect("the chat window", TIMEOUT, |r| r.height > 300.0)?;
    clear_log(ctx)?;
    w.drag(80.0, 22.0, -120, -60)?;
    let log = log_after(ctx, "jivo_onResizeCallback")?;
    expect_callbacks(
        &log,
        &[("jivo_onResizeCallback", None)],
        "dragging the window",
    )?;
    let after = w.wait_rect("the moved window", TIMEOUT, |r| r.x < before.x - 50.0)?;
    ensure!(
        after.y < before.y - 20.0,
        "the window did not move up: {before:?} → {after:?}"
    );

    // Dragging the grip in the window's top-left corner resizes it: again only a resize.
    clear_log(ctx)?;
    w.drag(8.0, 8.0, -60, -40)?;
    let log = log_after(ctx, "jivo_onResizeCallback")?;
    expect_callbacks(
        &log,
        &[("jivo_onResizeCallback", None)],
        "resizing the window",
    )?;
    let bigger = w.wait_rect("the bigger window", TIMEOUT, |r| {
        r.width > after.width + 40.0
    })?;
    ensure!(
        bigger.height > after.height + 20.0,
        "the window did not grow taller: {after:?} → {bigger:?}"
    );

    // "Request a call" sits after the input and its Send button; its form takes the focus.
    clear_log(ctx)?;
    w.keys(&[TAB, TAB, ENTER])?;
    let log = log_after(ctx, "jivo_onResizeCallback")?;
    expect_callbacks(
        &log,
        &state_change(None, "chat/call"),
        "the visitor's call button",
    )?;
    clear_log(ctx)?;
    w.type_text(&format!("{PHONE}\u{E007}"))?;
    let log = log_after(ctx, "jivo_onCallStart")?;
    expect_callbacks(&log, &[("jivo_onCallStart", None)], "the callback form")?;
    clear_log(ctx)?;
    end_call_in_popup(ctx, &tabs, false, "No answer")?;
    let log = log_after(ctx, "jivo_onCallEnd")?;
    expect_callbacks(
        &log,
        &[(
            "jivo_onCallEnd",
            Some(json!([{"result": "fail", "reason": "No answer"}])),
        )],
        "the agent ended the visitor's call",
    )?;
    no_page_problems(ctx)?;
    Ok(())
}

/// A proactive invitation opens the window; the visitor's first message after it fires
/// `jivo_onMessageSent` but not `jivo_onClientStartChat` (the chat was not the visitor's idea).
fn invitation_then_visitor<const STRICT: bool>(ctx: &mut Ctx) -> Result<()> {
    let url = page_url(ctx, STRICT, "");
    load(ctx, &url)?;
    // The page's own control has the focus: the invitation must not take it.
    ctx.eval("document.getElementById('site-last').focus(); return null;")?;
    call_expect(
        ctx,
        "return jivo_api.showProactiveInvitation('How can I help you?', 3);",
        json!("undefined"),
        &state_change(Some("jivo_onOpen"), "chat"),
    )?;
    let focus = ctx.eval("return document.activeElement && document.activeElement.id;")?;
    ensure!(
        focus == "site-last",
        "the invitation took the focus from the page's control (now on {focus})"
    );
    let tabs = open_popup(ctx, &url)?;
    ctx.switch_to(&tabs.popup)?;
    popup_text(ctx, "#agent-conversation", |t| {
        t.contains("How can I help you?")
    })?;
    ctx.switch_to(&tabs.page)?;
    let bad = page_call(ctx, "return jivo_api.showProactiveInvitation();")?;
    ensure!(
        bad == "undefined",
        "showProactiveInvitation() returned {bad}"
    );
    let w = Widget::new(ctx);
    // The visitor clicks into the message input at the bottom of the window.
    clear_log(ctx)?;
    let win = w.wait_rect("the chat window", TIMEOUT, |r| r.height > 300.0)?;
    w.click_at(60.0, win.height - INPUT_FROM_BOTTOM)?;
    w.type_text("Just looking, thanks\u{E007}")?;
    let log = log_after(ctx, "jivo_onMessageSent")?;
    expect_callbacks(
        &log,
        &[("jivo_onMessageSent", None)],
        "the first message after an invitation",
    )?;

    // Minimised, a second invitation opens the window again; the visitor closes the bubble
    // (Minimise, then the bubble's close button), which minimises the window it opened.
    call_expect(
        ctx,
        "return jivo_api.close();",
        json!({"result": "ok"}),
        &state_change(Some("jivo_onClose"), "chat/min"),
    )?;
    call_expect(
        ctx,
        "return jivo_api.showProactiveInvitation('Free delivery today');",
        json!("undefined"),
        &state_change(Some("jivo_onOpen"), "chat"),
    )?;
    clear_log(ctx)?;
    w.tab_in_after("#site-last")?;
    w.keys(&[TAB, ENTER])?;
    let log = log_after(ctx, "jivo_onResizeCallback")?;
    expect_callbacks(
        &log,
        &state_change(Some("jivo_onClose"), "chat/min"),
        "closing the invitation that opened the window",
    )?;
    no_page_problems(ctx)?;
    Ok(())
}

/// `clearHistory()` forgets the visitor's data; `jivo_destroy()` removes the widget
/// (`jivo_onWidgetDestroy`), after which calls fail the documented way; `jivo_init()` brings it
/// back and `jivo_onLoadCallback` runs again.
fn clear_destroy_init<const STRICT: bool>(ctx: &mut Ctx) -> Result<()> {
    let url = page_url(ctx, STRICT, "");
    load(ctx, &url)?;
    page_call(
        ctx,
        "jivo_api.setContactInfo({name: 'John Smith', email: 'john@example.com', description: 'VIP'});",
    )?;
    let contact = ctx.eval("return jivo_api.getContactInfo();")?;
    ensure!(
        contact
            == json!({"client_name": "John Smith", "email": "john@example.com", "phone": null, "description": "VIP"}),
        "getContactInfo() after setContactInfo: {contact}"
    );
    let tabs = open_popup(ctx, &url)?;
    ctx.switch_to(&tabs.popup)?;
    popup_text(ctx, "#agent-contact", |t| {
        t == "John Smith · john@example.com · VIP"
    })?;
    ctx.switch_to(&tabs.page)?;
    // The agent writes first: the minimised label gets the conversation (chat/min).
    clear_log(ctx)?;
    popup_port::agent_on(
        ctx,
        &url,
        AgentAction::SendMessage {
            text: "Hello John".into(),
        },
    )?;
    let log = log_after(ctx, "jivo_onResizeCallback")?;
    let mut expected = vec![("jivo_onAccept", None), ("jivo_onMessageReceived", None)];
    expected.extend(state_change(None, "chat/min"));
    expect_callbacks(&log, &expected, "the agent writing first")?;
    // Clearing the history empties the conversation: back to the plain label.
    clear_log(ctx)?;
    let got =
        ctx.eval("const r = jivo_api.clearHistory(); return r === undefined ? 'undefined' : r;")?;
    ensure!(got == "undefined", "clearHistory() returned {got}");
    let log = log_after(ctx, "jivo_onResizeCallback")?;
    expect_callbacks(
        &log,
        &state_change(None, "label"),
        "clearHistory() in chat/min",
    )?;
    let contact = ctx.eval("return jivo_api.getContactInfo();")?;
    ensure!(
        contact == json!({"client_name": null, "email": null, "phone": null, "description": null}),
        "getContactInfo() after clearHistory: {contact}"
    );
    ctx.switch_to(&tabs.popup)?;
    popup_text(ctx, "#agent-contact", |t| t == "—")?;
    popup_text(ctx, "#agent-user-token", |t| t == "—")?;
    popup_text(ctx, "#agent-custom-data", |t| !t.contains("User balance"))?;
    ctx.switch_to(&tabs.page)?;

    // Destroy.
    call_expect(
        ctx,
        "return jivo_destroy();",
        json!("undefined"),
        &[("jivo_onWidgetDestroy", Some(json!([])))],
    )?;
    Widget::new(ctx).wait_gone(TIMEOUT)?;
    call_expect(ctx, "return jivo_destroy();", json!("undefined"), &[])?;
    let after = ctx.eval(
        "const out = {};\
         const calls = {\
           open: () => jivo_api.open(),\
           close: () => jivo_api.close(),\
           startCall: () => jivo_api.startCall('+14084987855'),\
           offline: () => jivo_api.sendOfflineMessage({name: 'A', message: 'B'}),\
           title: () => jivo_api.sendPageTitle('x'),\
         };\
         for (const k in calls) { try { const r = calls[k](); out[k] = r === undefined ? 'undefined' : r; }\
           catch (e) { out[k] = 'THREW ' + e; } }\
         return new Promise(done => jivo_api.getVisitorNumber((err, n) => { out.number = [err, n]; done(out); }));",
    )?;
    for (key, field) in [
        ("open", "reason"),
        ("close", "reason"),
        ("startCall", "reason"),
        ("offline", "error"),
    ] {
        ensure!(
            after[key]["result"] == "fail" && after[key][field].is_string(),
            "{key} after jivo_destroy(): {}",
            after[key]
        );
    }
    ensure!(
        after["title"] == "undefined",
        "sendPageTitle after destroy: {}",
        after["title"]
    );
    ensure!(
        after["number"][0].is_string() && after["number"][1].is_null(),
        "getVisitorNumber after destroy: {}",
        after["number"]
    );
    std::thread::sleep(SETTLE);
    let log = e2e::site::site_log(ctx)?;
    expect_callbacks(&log, &[], "calls after destroy")?;

    // Init again: the site's jivo_onLoadCallback runs its calls a second time.
    clear_log(ctx)?;
    ctx.eval("jivo_init(); return null;")?;
    let log = e2e::site::site_log_with(ctx, "isCallbackEnabled", TIMEOUT)?;
    let calls = entry(&log, "calls").context("the second load's calls")?;
    ensure!(
        calls["load"] == 2,
        "jivo_onLoadCallback runs: {}",
        calls["load"]
    );
    ensure!(
        calls["results"]["chatMode"] == "online",
        "chatMode() after jivo_init(): {}",
        calls["results"]["chatMode"]
    );
    Widget::new(ctx).wait_rect("the widget back on the page", TIMEOUT, |r| r.height > 0.0)?;
    let again = page_call(ctx, "return jivo_init();")?;
    ensure!(again == "undefined", "jivo_init() while loaded: {again}");
    std::thread::sleep(SETTLE);
    let log = e2e::site::site_log(ctx)?;
    ensure!(
        names(&log).is_empty(),
        "jivo_init() while loaded fired {:?}",
        names(&log)
    );
    no_page_problems(ctx)?;
    Ok(())
}

/// Makes the current tab's viewport phone-sized (400 CSS px wide) for one scenario, and
/// restores the harness's 1280×900 afterwards, also when the scenario fails. Firefox keeps a
/// window at least 500 px wide, so there the page is also zoomed to 125% (call after loading
/// the page: navigation re-applies the site's zoom).
struct NarrowViewport<'a>(&'a Ctx);

impl<'a> NarrowViewport<'a> {
    fn set(ctx: &'a Ctx) -> Result<NarrowViewport<'a>> {
        let guard = NarrowViewport(ctx);
        ctx.session().set_window_size(400, 800)?;
        if ctx.kind() == BrowserKind::Firefox {
            guard.zoom(1.25)?;
        }
        Ok(guard)
    }

    fn zoom(&self, zoom: f64) -> Result<()> {
        let s = self.0.session();
        s.set_context("chrome")?;
        let r = s.execute(
            "gBrowser.selectedBrowser.fullZoom = arguments[0]; return null;",
            vec![json!(zoom)],
        );
        s.set_context("content")?;
        r.map(drop)
    }
}

impl Drop for NarrowViewport<'_> {
    fn drop(&mut self) {
        if self.0.kind() == BrowserKind::Firefox {
            let _ = self.zoom(1.0);
        }
        let _ = self.0.session().set_window_size(1280, 900);
    }
}

/// On a phone-sized viewport the open window spans the viewport's width, the widget still
/// works by keyboard, and dragging the header does not move it.
fn narrow_viewport<const STRICT: bool>(ctx: &mut Ctx) -> Result<()> {
    let url = page_url(ctx, STRICT, "");
    load(ctx, &url)?;
    let _narrow = NarrowViewport::set(ctx)?;
    let vw = ctx
        .eval("return document.documentElement.clientWidth;")?
        .as_f64()
        .context("viewport width")?;
    ensure!(vw < 480.0, "the viewport is {vw} px wide, not narrow");
    let w = Widget::new(ctx);
    clear_log(ctx)?;
    w.tab_in_after("#site-last")?;
    w.keys(&[ENTER])?;
    let log = log_after(ctx, "jivo_onResizeCallback")?;
    expect_callbacks(
        &log,
        &state_change(Some("jivo_onOpen"), "chat"),
        "Enter on the label",
    )?;
    // The header (in the site's colour) runs from the left edge to the right edge, 90% of the
    // viewport's height from its bottom.
    let vh = ctx
        .eval("return window.innerHeight;")?
        .as_f64()
        .context("viewport height")?;
    let header_y = vh * 0.1 + 16.0;
    let green = Rgb::hex("#1a7f37").unwrap();
    let mut seen = (Rgb(0, 0, 0), Rgb(0, 0, 0));
    ctx.wait_for("the full-width header", TIMEOUT, |_| {
        seen = (
            w.screen_pixel(4.0, header_y)?,
            w.screen_pixel(vw - 60.0, header_y)?,
        );
        Ok((seen.0.near(green, 8) && seen.1.near(green, 8)).then_some(()))
    })
    .with_context(|| format!("at y={header_y}: left {:?}, right {:?}", seen.0, seen.1))?;
    // Dragging the header does nothing here.
    let host = w.rect()?.context("the widget host")?;
    clear_log(ctx)?;
    w.drag(60.0 - host.x, header_y - host.y, 80, -40)?;
    std::thread::sleep(SETTLE);
    let log = e2e::site::site_log(ctx)?;
    expect_callbacks(&log, &[], "dragging the header on a narrow screen")?;
    // Pressing on the header took the focus from the input (as any click on text does); the
    // visitor taps the input, at the bottom of the full-width window, and types.
    clear_log(ctx)?;
    let host = w.rect()?.context("the widget host")?;
    w.click_at(60.0 - host.x, vh - INPUT_FROM_BOTTOM - host.y)?;
    w.type_text("Hi from my phone\u{E007}")?;
    let log = log_after(ctx, "jivo_onClientStartChat")?;
    expect_callbacks(
        &log,
        &[
            ("jivo_onMessageSent", None),
            ("jivo_onClientStartChat", None),
        ],
        "a message typed on a narrow screen",
    )?;
    no_page_problems(ctx)?;
    Ok(())
}

/// Every button and text field of the widget has an accessible name, in the label, the chat
/// window with the contact form, and the callback form over the chat; the window is a dialog
/// named by its header.
fn controls_are_labelled(ctx: &mut Ctx) -> Result<()> {
    let url = page_url(ctx, false, "");
    load(ctx, &url)?;
    let unnamed = |ctx: &Ctx, min_controls: usize, what: &str| -> Result<Vec<Value>> {
        let tree = ctx
            .session()
            .cdp("Accessibility.getFullAXTree", json!({}))?;
        let nodes = tree["nodes"].as_array().cloned().unwrap_or_default();
        let controls: Vec<&Value> = nodes
            .iter()
            .filter(|n| n["ignored"] != true)
            .filter(|n| {
                matches!(
                    n["role"]["value"].as_str(),
                    Some("button" | "textbox" | "dialog")
                )
            })
            .collect();
        // The page's own "Subscribe" button is among them.
        ensure!(
            controls.len() > min_controls,
            "{what}: only {} controls in the accessibility tree",
            controls.len()
        );
        Ok(controls
            .into_iter()
            .filter(|n| {
                n["name"]["value"]
                    .as_str()
                    .is_none_or(|s| s.trim().is_empty())
            })
            .map(|n| json!({"role": n["role"]["value"], "name": n["name"]}))
            .collect())
    };
    let w = Widget::new(ctx);
    let bad = unnamed(ctx, 1, "the label")?;
    ensure!(bad.is_empty(), "unnamed controls with the label: {bad:?}");
    w.tab_in_after("#site-last")?;
    w.keys(&[ENTER])?;
    w.wait_rect("the chat window", TIMEOUT, |r| r.height > 300.0)?;
    clear_log(ctx)?;
    w.type_text("Hello\u{E007}")?;
    e2e::site::site_log_with(ctx, "jivo_onMessageSent", TIMEOUT)?;
    // Minimise, input, Send, Request a call, the contact form's three fields and Send.
    let bad = unnamed(ctx, 9, "the chat window")?;
    ensure!(
        bad.is_empty(),
        "unnamed controls in the chat window: {bad:?}"
    );
    // The empty contact form is refused with an alert that says why.
    w.shift_tab(1)?;
    w.keys(&[ENTER])?;
    let mut roles = Vec::new();
    ctx.wait_for("the contact form's alert", TIMEOUT, |b| {
        let tree = b.session().cdp("Accessibility.getFullAXTree", json!({}))?;
        let nodes = tree["nodes"].as_array().cloned().unwrap_or_default();
        roles = nodes
            .iter()
            .filter(|n| n["ignored"] != true)
            .map(|n| {
                format!(
                    "{}:{}",
                    n["role"]["value"].as_str().unwrap_or(""),
                    n["name"]["value"].as_str().unwrap_or("")
                )
            })
            .collect();
        let alert = roles.iter().any(|r| r.starts_with("alert:"));
        let text = roles
            .iter()
            .any(|r| r.contains(Words::EN.error_contact_empty));
        Ok((alert && text).then_some(()))
    })
    .with_context(|| format!("accessibility tree: {roles:?}"))?;
    page_call(ctx, "return jivo_api.open({start: 'call'});")?;
    e2e::site::site_log_with(ctx, "jivo_onResizeCallback", TIMEOUT)?;
    let bad = unnamed(ctx, 4, "the callback form")?;
    ensure!(
        bad.is_empty(),
        "unnamed controls with the callback form: {bad:?}"
    );
    no_page_problems(ctx)?;
    Ok(())
}

/// The chat outlives a reload: the unread count and the acceptance carry over, the widget comes
/// back minimised without state callbacks, and the visitor's next message is not a "first
/// message" again, until `clearHistory()` starts a new history.
fn history_across_reloads<const STRICT: bool>(ctx: &mut Ctx) -> Result<()> {
    let url = page_url(ctx, STRICT, "");
    load(ctx, &url)?;
    let w = Widget::new(ctx);
    w.tab_in_after("#site-last")?;
    w.keys(&[ENTER])?;
    w.wait_rect("the chat window", TIMEOUT, |r| r.height > 300.0)?;
    clear_log(ctx)?;
    w.type_text("First message\u{E007}")?;
    log_after(ctx, "jivo_onClientStartChat")?;
    clear_log(ctx)?;
    popup_port::agent_on(
        ctx,
        &url,
        AgentAction::SendMessage {
            text: "Hi, one moment".into(),
        },
    )?;
    let log = log_after(ctx, "jivo_onMessageReceived")?;
    expect_callbacks(
        &log,
        &[("jivo_onAccept", None), ("jivo_onMessageReceived", None)],
        "the agent's first message",
    )?;
    w.keys(&[ESCAPE])?;
    e2e::site::site_log_with(ctx, "jivo_onClose", TIMEOUT)?;
    clear_log(ctx)?;
    popup_port::agent_on(
        ctx,
        &url,
        AgentAction::SendMessage {
            text: "Still there?".into(),
        },
    )?;
    log_after(ctx, "jivo_onMessageReceived")?;

    // Reload: still one unread message, minimised with the conversation (no state callbacks).
    ctx.goto(&url)?;
    let log = e2e::site::site_log_with(ctx, "isCallbackEnabled", TIMEOUT)?;
    let calls = &entry(&log, "calls").context("calls")?["results"];
    ensure!(
        calls["getUnreadMessagesCount"] == 1,
        "unread after a reload: {}",
        calls["getUnreadMessagesCount"]
    );
    std::thread::sleep(SETTLE);
    expect_callbacks(
        &e2e::site::site_log(ctx)?,
        &[("jivo_onLoadCallback", None)],
        "the reload",
    )?;

    // Open by keyboard, write again: not a first message; the agent writes: no new acceptance.
    w.wait_rect("the label", TIMEOUT, |r| r.height > 0.0)?;
    clear_log(ctx)?;
    w.tab_in_after("#site-last")?;
    w.keys(&[ENTER])?;
    let log = log_after(ctx, "jivo_onResizeCallback")?;
    expect_callbacks(
        &log,
        &state_change(Some("jivo_onOpen"), "chat"),
        "opening the chat after the reload",
    )?;
    let unread = ctx.eval("return jivo_api.getUnreadMessagesCount();")?;
    ensure!(unread == 0, "unread once the chat is open: {unread}");
    clear_log(ctx)?;
    w.type_text("Yes, still here\u{E007}")?;
    let tabs = open_popup(ctx, &url)?;
    ctx.switch_to(&tabs.popup)?;
    popup_text(ctx, "#agent-conversation", |t| {
        t.contains("Yes, still here")
    })?;
    ctx.switch_to(&tabs.page)?;
    popup_port::agent_on(
        ctx,
        &url,
        AgentAction::SendMessage {
            text: "Great".into(),
        },
    )?;
    let log = log_after(ctx, "jivo_onMessageReceived")?;
    expect_callbacks(
        &log,
        &[("jivo_onMessageReceived", None)],
        "a second message after the reload (the visitor's, then the agent's)",
    )?;

    // A new history: the next message is a first message again.
    page_call(ctx, "return jivo_api.clearHistory();")?;
    std::thread::sleep(SETTLE);
    clear_log(ctx)?;
    let host = w.wait_rect("the chat window", TIMEOUT, |r| r.height > 300.0)?;
    w.click_at(60.0, host.height - INPUT_FROM_BOTTOM)?;
    w.type_text("Starting over\u{E007}")?;
    let log = log_after(ctx, "jivo_onClientStartChat")?;
    expect_callbacks(
        &log,
        &[
            ("jivo_onMessageSent", None),
            ("jivo_onClientStartChat", None),
        ],
        "the first message after clearHistory()",
    )?;
    no_page_problems(ctx)?;
    Ok(())
}

/// The visitor picks the call channel from the menu by keyboard, leaves with Escape, and
/// (agents offline) fills the offline form: its contact fields reach `getContactInfo()` and the
/// message reaches the agent, with no chat callbacks.
fn visitor_menu_and_offline_form<const STRICT: bool>(ctx: &mut Ctx) -> Result<()> {
    let url = page_url(ctx, STRICT, "");
    load(ctx, &url)?;
    let w = Widget::new(ctx);
    call_expect(
        ctx,
        "return jivo_api.open({start: 'menu'});",
        json!({"result": "ok"}),
        &state_change(Some("jivo_onOpen"), "menu"),
    )?;
    // The menu window: Minimise, Chat, Request a call.
    clear_log(ctx)?;
    w.tab_in_after("#site-last")?;
    w.keys(&[TAB, TAB, ENTER])?;
    let log = log_after(ctx, "jivo_onResizeCallback")?;
    expect_callbacks(&log, &state_change(None, "call"), "the menu's call channel")?;
    clear_log(ctx)?;
    w.keys(&[ESCAPE])?;
    let log = log_after(ctx, "jivo_onResizeCallback")?;
    expect_callbacks(
        &log,
        &state_change(Some("jivo_onClose"), "label"),
        "Escape in the callback form",
    )?;
    // The focus went back to the label: Enter opens the chat again, Escape closes it again.
    clear_log(ctx)?;
    w.keys(&[ENTER])?;
    let log = log_after(ctx, "jivo_onResizeCallback")?;
    expect_callbacks(
        &log,
        &state_change(Some("jivo_onOpen"), "chat"),
        "Enter after Escape",
    )?;
    clear_log(ctx)?;
    w.keys(&[ESCAPE])?;
    let log = log_after(ctx, "jivo_onResizeCallback")?;
    expect_callbacks(
        &log,
        &state_change(Some("jivo_onClose"), "label"),
        "Escape in the chat window",
    )?;

    popup_port::agent_on(ctx, &url, AgentAction::SetOnline { online: false })?;
    ctx.wait_for("chatMode() offline", TIMEOUT, |b| {
        Ok((b.eval("return jivo_api.chatMode();")? == "offline").then_some(()))
    })?;
    clear_log(ctx)?;
    w.tab_in_after("#site-last")?;
    w.keys(&[ENTER])?;
    let log = log_after(ctx, "jivo_onResizeCallback")?;
    expect_callbacks(
        &log,
        &state_change(Some("jivo_onOpen"), "chat"),
        "opening the offline chat",
    )?;
    // The focus lands in the offline form's first field: Name, E-mail, Phone, Message, Send.
    clear_log(ctx)?;
    w.type_text("Bob")?;
    w.keys(&[TAB])?;
    w.type_text("bob@example.com")?;
    w.keys(&[TAB, TAB])?;
    w.type_text("Please call me tomorrow")?;
    w.keys(&[TAB, ENTER])?;
    let tabs = open_popup(ctx, &url)?;
    ctx.switch_to(&tabs.popup)?;
    popup_text(ctx, "#agent-conversation", |t| {
        t.contains("Please call me tomorrow")
    })?;
    ctx.switch_to(&tabs.page)?;
    let contact = ctx.eval("return jivo_api.getContactInfo();")?;
    ensure!(
        contact
            == json!({"client_name": "Bob", "email": "bob@example.com", "phone": null, "description": null}),
        "getContactInfo() after the offline form: {contact}"
    );
    let log = e2e::site::site_log(ctx)?;
    expect_callbacks(&log, &[], "the offline form")?;
    no_page_problems(ctx)?;
    Ok(())
}

/// Sites call the API from inside callbacks (close the menu as soon as it opens, recolour the
/// widget on open): each call is answered at once, and its own callbacks follow in order.
fn callbacks_call_the_api<const STRICT: bool>(ctx: &mut Ctx) -> Result<()> {
    let url = page_url(ctx, STRICT, "");
    load(ctx, &url)?;
    ctx.eval(
        "window.jivo_onChangeState = function (state) {\
           record('jivo_onChangeState', this, arguments);\
           if (state === 'menu') siteLog.push({name: 'closedFromCallback', returned: jivo_api.close()});\
         };\
         window.jivo_onOpen = function () {\
           record('jivo_onOpen', this, arguments);\
           siteLog.push({name: 'colouredFromCallback', returned: String(jivo_api.setWidgetColor('#c0ffee'))});\
         };\
         return null;",
    )?;
    clear_log(ctx)?;
    let got = ctx.eval("return jivo_api.open({start: 'menu'});")?;
    ensure!(got == json!({"result": "ok"}), "open(menu) returned {got}");
    ctx.wait_for("two resizes (menu, then label)", TIMEOUT, |b| {
        let log = e2e::site::site_log(b)?;
        let resizes = names(&log)
            .iter()
            .filter(|n| *n == "jivo_onResizeCallback")
            .count();
        Ok((resizes >= 2).then_some(()))
    })?;
    std::thread::sleep(SETTLE);
    let log = e2e::site::site_log(ctx)?;
    let mut expected = state_change(Some("jivo_onOpen"), "menu");
    expected.extend(state_change(Some("jivo_onClose"), "label"));
    expect_callbacks(
        &log,
        &expected,
        "open(menu) with a callback that closes the menu",
    )?;
    let closed = entry(&log, "closedFromCallback").context("closedFromCallback")?;
    ensure!(
        closed["returned"] == json!({"result": "ok"}),
        "close() inside jivo_onChangeState: {closed}"
    );
    let coloured = entry(&log, "colouredFromCallback").context("colouredFromCallback")?;
    ensure!(
        coloured["returned"] == "undefined",
        "setWidgetColor() inside jivo_onOpen: {coloured}"
    );
    let w = Widget::new(ctx);
    let rect = w.wait_rect("the label", TIMEOUT, |r| {
        r.height > 40.0 && r.height < 100.0
    })?;
    let want = Rgb::hex("#c0ffee").unwrap();
    let mut seen = Rgb(0, 0, 0);
    ctx.wait_for("the colour set from jivo_onOpen", TIMEOUT, |_| {
        seen = w.pixel(rect.width - 40.0, rect.height - 28.0)?;
        Ok(seen.near(want, 8).then_some(()))
    })
    .with_context(|| format!("the label is {seen:?}"))?;
    no_page_problems(ctx)?;
    Ok(())
}

/// The sandbox adds exactly `jivo_api`, `jivo_init` and `jivo_destroy` to the page's globals:
/// the same page without the extension's content scripts has every other name.
fn only_the_api_globals<const STRICT: bool>(ctx: &mut Ctx) -> Result<()> {
    const GLOBALS: &str = "return Object.getOwnPropertyNames(window).sort();";
    let url = page_url(ctx, STRICT, "");
    ctx.configure(json!({ "mode": "sandbox", "sites": ["http://127.0.0.1/elsewhere/*"] }))?;
    ctx.goto(&url)?;
    let plain = ctx.eval(GLOBALS)?;
    load(ctx, &url)?;
    let with = ctx.eval(GLOBALS)?;
    let list = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect()
    };
    let (plain, with) = (list(&plain), list(&with));
    let added: Vec<&String> = with.iter().filter(|n| !plain.contains(n)).collect();
    let removed: Vec<&String> = plain.iter().filter(|n| !with.contains(n)).collect();
    ensure!(
        added == ["jivo_api", "jivo_destroy", "jivo_init"] && removed.is_empty(),
        "globals added by the sandbox: {added:?}, gone: {removed:?}"
    );
    no_page_problems(ctx)?;
    Ok(())
}

/// Makes pages prefer a dark colour scheme until dropped: Chromium through DevTools media
/// emulation of the current tab, Firefox through its content colour-scheme override pref.
struct DarkScheme<'a>(&'a Ctx);

impl<'a> DarkScheme<'a> {
    fn set(ctx: &'a Ctx) -> Result<DarkScheme<'a>> {
        let guard = DarkScheme(ctx);
        guard.apply(true)?;
        Ok(guard)
    }

    fn apply(&self, dark: bool) -> Result<()> {
        self.0.set_dark_scheme(dark)
    }
}

impl Drop for DarkScheme<'_> {
    fn drop(&mut self) {
        let _ = self.apply(false);
    }
}

/// The open window follows the visitor's colour scheme: a light panel by default, a dark one
/// when the browser prefers dark.
fn dark_mode<const STRICT: bool>(ctx: &mut Ctx) -> Result<()> {
    let url = page_url(ctx, STRICT, "");
    load(ctx, &url)?;
    call_expect(
        ctx,
        "return jivo_api.open();",
        json!({"result": "ok"}),
        &state_change(Some("jivo_onOpen"), "chat"),
    )?;
    let w = Widget::new(ctx);
    let win = w.wait_rect("the chat window", TIMEOUT, |r| r.height > 300.0)?;
    // An empty stretch of the conversation, mid-window.
    let (x, y) = (win.width / 2.0, win.height / 2.0);
    let light = w.pixel(x, y)?;
    ensure!(
        light.near(Rgb(255, 255, 255), 4),
        "the window's panel in the light scheme is {light:?}"
    );
    let _dark = DarkScheme::set(ctx)?;
    let want = Rgb::hex("#1f2023").unwrap();
    let mut seen = light;
    ctx.wait_for("the dark panel", TIMEOUT, |_| {
        seen = w.pixel(x, y)?;
        Ok(seen.near(want, 6).then_some(()))
    })
    .with_context(|| format!("the window's panel in the dark scheme is {seen:?}"))?;
    no_page_problems(ctx)?;
    Ok(())
}
