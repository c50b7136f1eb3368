//! Where the sandbox keeps its visitors: one record per site in `storage.local`
//! (`sandbox:<origin>`), and a profile-wide counter that numbers new visitors 1, 2, 3…

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::protocol::runtime::SandboxSeed;
use crate::sandbox::{AgentState, VisitorRecord};
use crate::shell::ext;

const COUNTER_KEY: &str = "sandboxVisitors";

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    record: VisitorRecord,
    agent: AgentState,
}

fn key(origin: &str) -> String {
    format!("sandbox:{origin}")
}

/// `scheme://host[:port]` of a page URL.
pub fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let authority = authority
        .rsplit_once('@')
        .map(|(_, a)| a)
        .unwrap_or(authority);
    format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        authority.to_ascii_lowercase()
    )
}

/// What the sandbox on a page of `url` starts from: the site's record, or a new visitor number.
pub async fn seed(url: &str) -> SandboxSeed {
    let key = key(&origin_of(url));
    let keys = ext::to_js(&json!([key, COUNTER_KEY]));
    let stored = ext::call(ext::storage_local_get(&keys))
        .await
        .map(|v| ext::from_js(&v))
        .unwrap_or(Value::Null);
    let saved: Option<Stored> = stored
        .get(&key)
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    let counter = stored.get(COUNTER_KEY).and_then(Value::as_u64).unwrap_or(0);
    let (record, agent) = match saved {
        Some(saved) => (Some(saved.record), saved.agent),
        None => (None, AgentState::default()),
    };
    // A record without a number is a visitor whose history was cleared: a new visitor.
    let known = record.as_ref().and_then(|r| r.visitor_number);
    let visitor_number = match known {
        Some(n) => n,
        None => {
            let number = counter + 1;
            let _ = ext::call(ext::storage_local_set(&ext::to_js(
                &json!({ COUNTER_KEY: number }),
            )))
            .await;
            number
        }
    };
    SandboxSeed {
        record,
        visitor_number,
        agent,
    }
}

/// Stores a site's record and agent state (after `clearHistory`, the record of a new visitor).
pub async fn save(origin: String, record: VisitorRecord, agent: AgentState) {
    let value = serde_json::to_value(Stored { record, agent }).unwrap_or(Value::Null);
    let _ = ext::call(ext::storage_local_set(&ext::to_js(
        &json!({ key(&origin): value }),
    )))
    .await;
}
