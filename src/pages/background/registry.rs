//! Keeps the registered content scripts in line with the site rules: pages that match no rule
//! get nothing (not even a check), as in uBlock Origin Lite's scripting manager.

use serde_json::{json, Value};

use jwi_browser::ext;
use jwi_core::content_build::registered_file;
use jwi_core::protocol::Mode;
use jwi_core::settings::Settings;

const SHIM_ID: &str = "jwi-shim";
const CHANNEL_ID: &str = "jwi-channel";
const CONTENT_ID: &str = "jwi-content";

/// The registrations the settings call for.
fn wanted(settings: &Settings) -> Vec<Value> {
    let matches = settings.sites().patterns();
    if matches.is_empty() {
        return Vec::new();
    }
    vec![
        json!({
            "id": SHIM_ID, "js": ["shim.js"], "matches": matches, "runAt": "document_start",
            "world": "MAIN", "allFrames": false, "persistAcrossSessions": true,
        }),
        // Takes the page channel at document_start, before any page script can watch the
        // handshake, and keeps it for the content bundle (same isolated world).
        json!({
            "id": CHANNEL_ID, "js": ["channel.js"], "matches": matches, "runAt": "document_start",
            "allFrames": false, "persistAcrossSessions": true,
        }),
        // The content bundle runs once the document is parsed, not before the page's first
        // script: compiling it is the largest cost a matched page pays, and the shim (at
        // document_start) holds what happens until then (docs/architecture.md, "What a matched
        // page pays"). Each mode has its file: in Firefox's package the bundle itself, without
        // the sandbox in JivoChat mode; in Chromium's, the loader, which has the background
        // inject the build the page's CSP allows (`content_loader`).
        json!({
            "id": CONTENT_ID, "js": [registered_file(settings.mode())], "matches": matches,
            "runAt": "document_idle",
            "allFrames": false, "persistAcrossSessions": true,
        }),
    ]
}

/// Whether a registered script already equals the wanted one (ids, files, matches, world and
/// when it runs: a registration persisted by an older version is replaced).
fn same(registered: &[Value], wanted: &[Value]) -> bool {
    let key = |v: &Value| {
        (
            v.get("id").cloned(),
            v.get("js").cloned(),
            v.get("matches").cloned(),
            v.get("world").cloned(),
            v.get("runAt").cloned(),
        )
    };
    let mut a: Vec<_> = registered.iter().map(key).collect();
    let mut b: Vec<_> = wanted.iter().map(key).collect();
    // Chromium omits "world" for the isolated world; Firefox reports "ISOLATED".
    for k in a.iter_mut().chain(b.iter_mut()) {
        if k.3.as_ref().and_then(|w| w.as_str()) == Some("ISOLATED") {
            k.3 = None;
        }
    }
    a.sort_by_key(|k| format!("{:?}", k.0));
    b.sort_by_key(|k| format!("{:?}", k.0));
    a == b
}

/// Registers exactly the content scripts the settings call for.
pub async fn sync(settings: &Settings) {
    let wanted = wanted(settings);
    let registered = ext::call(ext::get_registered_content_scripts())
        .await
        .map(|v| ext::from_js(&v))
        .unwrap_or(Value::Null);
    let registered: Vec<Value> = registered.as_array().cloned().unwrap_or_default();
    if same(&registered, &wanted) {
        return;
    }
    if !registered.is_empty() {
        let ids: Vec<Value> = registered
            .iter()
            .filter_map(|r| r.get("id").cloned())
            .collect();
        let _ = ext::call(ext::unregister_content_scripts(&ext::to_js(
            &json!({ "ids": ids }),
        )))
        .await;
    }
    if !wanted.is_empty() {
        if let Err(e) = ext::call(ext::register_content_scripts(&ext::to_js(&Value::Array(
            wanted,
        ))))
        .await
        {
            web_sys::console::warn_1(
                &format!("Jivo Widget Injector: could not register content scripts: {e}").into(),
            );
        }
    }
}

/// Keeps the `declarativeNetRequest` rules that hold a site's own JivoChat loader back while
/// the sandbox stands in for it ([`stand_in_rules`](jwi_core::jivochat::stand_in_rules)) in
/// line with the settings: the extension's rules are replaced only when they differ.
pub async fn sync_stand_in(settings: &Settings) {
    use jwi_core::jivochat::{stand_in_rules, STAND_IN_RULE_IDS};
    let wanted = stand_in_rules(settings);
    let current = ext::call(ext::dnr_get_dynamic_rules())
        .await
        .map(|v| ext::from_js(&v))
        .unwrap_or(Value::Null);
    let ours: Vec<Value> = current
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|r| {
            r["id"]
                .as_u64()
                .is_some_and(|id| STAND_IN_RULE_IDS.contains(&(id as u32)))
        })
        .collect();
    let key = |r: &Value| (r["id"].clone(), r["condition"]["initiatorDomains"].clone());
    let mut have: Vec<_> = ours.iter().map(key).collect();
    let mut want: Vec<_> = wanted.iter().map(key).collect();
    have.sort_by_key(|k| k.0.to_string());
    want.sort_by_key(|k| k.0.to_string());
    if have == want {
        return;
    }
    let update = json!({ "removeRuleIds": STAND_IN_RULE_IDS, "addRules": wanted });
    if let Err(e) = ext::call(ext::dnr_update_dynamic_rules(&ext::to_js(&update))).await {
        web_sys::console::warn_1(
            &format!("Jivo Widget Injector: could not update the hold-back rules: {e}").into(),
        );
    }
}

/// Injects the shim and the content script into one tab now ("inject into this tab"): the
/// page need not match a site rule. Uses the `scripting` permission with the tab's host
/// permission (or `activeTab`, granted by the popup click). Whether both were injected.
pub async fn inject_into_tab(tab: i32, mode: Mode) -> bool {
    let shim = json!({ "target": { "tabId": tab }, "files": ["shim.js"], "world": "MAIN", "injectImmediately": true });
    let content = json!({ "target": { "tabId": tab }, "files": [registered_file(mode)], "injectImmediately": true });
    for injection in [shim, content] {
        if let Err(e) = ext::call(ext::execute_script(&ext::to_js(&injection))).await {
            web_sys::console::warn_1(
                &format!("Jivo Widget Injector: could not inject into tab {tab}: {e}").into(),
            );
            return false;
        }
    }
    true
}

/// Keeps the hold-back session rules ("use my widget here", see
/// `jwi_core::jivochat::hold_back_rules`) in line with the settings: every rule from
/// `FIRST_RULE_ID` up is replaced. Where the browser has no `declarativeNetRequest`, nothing
/// is held back and the page says so in its log.
pub async fn sync_hold_back(settings: &Settings) {
    use jwi_core::jivochat::{hold_back_rules, FIRST_RULE_ID};
    let own = settings.jivochat_loader_url();
    let wanted = hold_back_rules(&settings.site_widget().use_mine_on, own.as_deref());
    let Ok(current) = ext::dnr_get_session_rules() else {
        return;
    };
    let current = ext::call(current)
        .await
        .map(|v| ext::from_js(&v))
        .unwrap_or(Value::Null);
    let remove: Vec<u64> = current
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("id").and_then(Value::as_u64))
        .filter(|id| *id >= u64::from(FIRST_RULE_ID))
        .collect();
    if wanted.is_empty() && remove.is_empty() {
        return;
    }
    let wanted = serde_json::to_value(&wanted).unwrap_or(Value::Null);
    let update = json!({ "removeRuleIds": remove, "addRules": wanted });
    let Ok(promise) = ext::dnr_update_session_rules(&ext::to_js(&update)) else {
        return;
    };
    if let Err(e) = ext::call(promise).await {
        web_sys::console::warn_1(
            &format!("Jivo Widget Injector: could not set the hold-back rules: {e}").into(),
        );
    }
}
