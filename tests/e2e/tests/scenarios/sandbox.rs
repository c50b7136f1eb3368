//! The sandbox widget as a site's own integration sees it: `tests/fixtures/site-integration.*`
//! defines all 13 callbacks and calls the API from `jivo_onLoadCallback`, on a normal page and
//! under a strict CSP. The agent is driven through the protocol, as the popup does.

use std::time::Duration;

use anyhow::{ensure, Context as _, Result};
use e2e::popup_port;
use e2e::runner::{Ctx, Scenario};
use e2e::scenario;
use jwi_core::sandbox::AgentAction;
use serde_json::{json, Value};

pub const SCENARIOS: &[Scenario] = &[
    scenario!(loads_and_answers_the_site),
    scenario!(loads_under_strict_csp),
    scenario!(open_and_close_fire_callbacks),
    scenario!(agent_messages_reach_the_site),
    scenario!(visitor_number_persists_per_site),
    scenario!(wrong_arguments_never_throw),
];

const SITES: [&str; 2] = [
    "http://127.0.0.1/site-integration*",
    "http://127.0.0.1/strict/*",
];
const TIMEOUT: Duration = Duration::from_secs(5);

fn use_sandbox(ctx: &Ctx) -> Result<()> {
    ctx.configure(json!({ "mode": "sandbox", "sites": SITES }))
}

/// The site's log, once it has an entry named `name`.
fn site_log_with(ctx: &Ctx, name: &str) -> Result<Vec<Value>> {
    e2e::site::site_log_with(ctx, name, TIMEOUT)
}

fn entry<'a>(log: &'a [Value], name: &str) -> Option<&'a Value> {
    log.iter().find(|e| e["name"] == name)
}

fn names(log: &[Value]) -> Vec<String> {
    log.iter()
        .filter_map(|e| e["name"].as_str().map(str::to_owned))
        .collect()
}

fn check_loaded_site(ctx: &Ctx) -> Result<()> {
    let log = site_log_with(ctx, "isCallbackEnabled")?;
    let load = entry(&log, "jivo_onLoadCallback").context("jivo_onLoadCallback")?;
    ensure!(
        load["thisIsWindow"] == true,
        "jivo_onLoadCallback ran with this !== window"
    );
    let calls = &entry(&log, "calls").context("the site's API calls")?["results"];
    ensure!(
        calls["chatMode"] == "online",
        "chatMode(): {}",
        calls["chatMode"]
    );
    ensure!(
        calls["unread"] == 0,
        "getUnreadMessagesCount(): {}",
        calls["unread"]
    );
    for key in ["source", "medium", "campaign", "content", "term"] {
        ensure!(
            calls["utm"].get(key).is_some(),
            "getUtm() lacks {key}: {}",
            calls["utm"]
        );
    }
    ensure!(
        calls["contact"]
            == json!({"client_name": null, "email": null, "phone": null, "description": null}),
        "getContactInfo(): {}",
        calls["contact"]
    );
    ensure!(
        calls["badColor"].is_null(),
        "setWidgetColor('red') returned {}",
        calls["badColor"]
    );
    let number = entry(&log, "getVisitorNumber").context("getVisitorNumber callback")?;
    ensure!(
        number["err"].is_null() && number["number"].as_u64().unwrap_or(0) >= 1,
        "getVisitorNumber: {number}"
    );
    let enabled = entry(&log, "isCallbackEnabled").context("isCallbackEnabled callback")?;
    ensure!(
        enabled["result"] == json!({"result": "ok"}),
        "isCallbackEnabled: {enabled}"
    );
    Ok(())
}

fn loads_and_answers_the_site(ctx: &mut Ctx) -> Result<()> {
    use_sandbox(ctx)?;
    ctx.goto(&ctx.url("/site-integration.html"))?;
    check_loaded_site(ctx)
}

fn loads_under_strict_csp(ctx: &mut Ctx) -> Result<()> {
    use_sandbox(ctx)?;
    ctx.goto(&ctx.url("/strict/site-integration.html"))?;
    check_loaded_site(ctx)
}

fn open_and_close_fire_callbacks(ctx: &mut Ctx) -> Result<()> {
    use_sandbox(ctx)?;
    ctx.goto(&ctx.url("/site-integration.html"))?;
    site_log_with(ctx, "jivo_onLoadCallback")?;
    let opened = ctx.eval("siteLog.length = 0; return jivo_api.open({start: 'chat'});")?;
    ensure!(
        opened == json!({"result": "ok"}),
        "open() returned {opened}"
    );
    let log = site_log_with(ctx, "jivo_onResizeCallback")?;
    let seen = names(&log);
    ensure!(
        seen == ["jivo_onOpen", "jivo_onChangeState", "jivo_onResizeCallback"],
        "after open(): {seen:?}"
    );
    ensure!(
        entry(&log, "jivo_onChangeState").unwrap()["args"] == json!(["chat"]),
        "state: {log:?}"
    );
    ensure!(
        log.iter().all(|e| e["thisIsWindow"] == true),
        "a callback ran with this !== window"
    );
    let closed = ctx.eval("siteLog.length = 0; return jivo_api.close();")?;
    ensure!(
        closed == json!({"result": "ok"}),
        "close() returned {closed}"
    );
    let log = site_log_with(ctx, "jivo_onResizeCallback")?;
    ensure!(
        names(&log)[0] == "jivo_onClose",
        "after close(): {:?}",
        names(&log)
    );
    Ok(())
}

fn agent_messages_reach_the_site(ctx: &mut Ctx) -> Result<()> {
    use_sandbox(ctx)?;
    let url = ctx.url("/site-integration.html");
    ctx.goto(&url)?;
    site_log_with(ctx, "jivo_onLoadCallback")?;
    ctx.eval("siteLog.length = 0;")?;
    popup_port::agent_on(
        ctx,
        &url,
        AgentAction::SendMessage {
            text: "Hello from the agent".into(),
        },
    )?;
    let log = site_log_with(ctx, "jivo_onMessageReceived")?;
    ensure!(
        names(&log).contains(&"jivo_onAccept".to_owned()),
        "no jivo_onAccept: {:?}",
        names(&log)
    );
    let unread = ctx.eval("return jivo_api.getUnreadMessagesCount();")?;
    ensure!(
        unread == 1,
        "unread after one agent message while minimised: {unread}"
    );
    popup_port::agent_on(ctx, &url, AgentAction::SetOnline { online: false })?;
    ctx.wait_for("chatMode() offline", TIMEOUT, |b| {
        Ok((b.eval("return jivo_api.chatMode();")? == "offline").then_some(()))
    })?;
    Ok(())
}

fn visitor_number_persists_per_site(ctx: &mut Ctx) -> Result<()> {
    use_sandbox(ctx)?;
    let number = |ctx: &Ctx| -> Result<Value> {
        let log = site_log_with(ctx, "getVisitorNumber")?;
        Ok(entry(&log, "getVisitorNumber").unwrap()["number"].clone())
    };
    ctx.goto(&ctx.url("/site-integration.html"))?;
    let first = number(ctx)?;
    ctx.goto(&ctx.url("/site-integration.html?again"))?;
    let second = number(ctx)?;
    ensure!(
        first == second,
        "visitor number changed on reload: {first} then {second}"
    );
    ctx.eval("jivo_api.clearHistory();")?;
    ctx.goto(&ctx.url("/site-integration.html?after-clear"))?;
    let third = number(ctx)?;
    ensure!(third != first, "clearHistory kept visitor number {first}");
    Ok(())
}

fn wrong_arguments_never_throw(ctx: &mut Ctx) -> Result<()> {
    use_sandbox(ctx)?;
    ctx.goto(&ctx.url("/site-integration.html"))?;
    site_log_with(ctx, "jivo_onLoadCallback")?;
    let results = ctx.eval(
        "const out = {};\
         const calls = {\
           startCall: () => jivo_api.startCall('not a phone'),\
           offline: () => jivo_api.sendOfflineMessage(42),\
           open: () => jivo_api.open({start: 'nowhere'}),\
           rules: () => jivo_api.setRules('not json'),\
           invitation: () => jivo_api.showProactiveInvitation(''),\
           data: () => jivo_api.setCustomData({nope: true}),\
           title: () => jivo_api.sendPageTitle(),\
         };\
         for (const k in calls) { try { out[k] = calls[k](); if (out[k] === undefined) out[k] = 'undefined'; } catch (e) { out[k] = 'THREW ' + e; } }\
         return out;",
    )?;
    for (k, v) in results.as_object().context("results")? {
        ensure!(
            !v.as_str().unwrap_or("").starts_with("THREW"),
            "{k} threw: {v}"
        );
    }
    ensure!(
        results["startCall"]["result"] == "fail",
        "startCall('not a phone'): {}",
        results["startCall"]
    );
    ensure!(
        results["offline"]["result"] == "fail" && results["offline"].get("error").is_some(),
        "sendOfflineMessage(42): {}",
        results["offline"]
    );
    ensure!(
        results["open"]["result"] == "fail",
        "open(nowhere): {}",
        results["open"]
    );
    Ok(())
}
