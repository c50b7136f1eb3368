//! The sandbox agent's seat as the popup and the side panel both offer it: the reply box
//! (`#agent-message`, sent with `#agent-send` or Enter), ending a call (`#agent-call-ok`,
//! `#agent-call-fail` with `#agent-call-reason`), the state words, which controls are usable,
//! and the conversation (`#agent-conversation`).

use wasm_bindgen::JsCast;
use web_sys::Element;

use jwi_browser::dom::{self, append, el, on, set_disabled, set_value, value_of};
use jwi_browser::i18n::t;
use jwi_core::sandbox::{AgentAction, AgentView, Author, CallEnd, Message};

/// Sends the reply in `#agent-message` and empties the box; whether there was one to send
/// (only white space is none).
pub fn send_reply(agent: fn(AgentAction)) -> bool {
    let text = value_of("agent-message");
    if text.trim().is_empty() {
        return false;
    }
    agent(AgentAction::SendMessage { text });
    set_value("agent-message", "");
    true
}

/// Wires `#agent-send` and Enter in `#agent-message` (not while composing) to `send`.
pub fn wire_reply(send: impl Fn() + Clone + 'static) {
    let click = send.clone();
    on("agent-send", "click", move |_| click());
    on("agent-message", "keydown", move |e| {
        let enter = e
            .dyn_ref::<web_sys::KeyboardEvent>()
            .is_some_and(|k| k.key() == "Enter" && !k.is_composing());
        if enter {
            e.prevent_default();
            send();
        }
    });
}

/// Wires ending a call: `#agent-call-ok`, and `#agent-call-fail` with `#agent-call-reason`.
pub fn wire_call_end(agent: fn(AgentAction)) {
    on("agent-call-ok", "click", move |_| {
        agent(AgentAction::EndCall {
            outcome: CallEnd::Ok,
        })
    });
    on("agent-call-fail", "click", move |_| {
        agent(AgentAction::EndCall {
            outcome: CallEnd::Fail {
                reason: value_of("agent-call-reason"),
            },
        })
    });
}

/// "Online"/"Offline" and "Accepted"/"Not accepted", for the summary line.
pub fn state_words(a: &AgentView) -> (String, String) {
    (
        if a.online {
            t("popup_agent_online", &[])
        } else {
            t("popup_agent_offline", &[])
        },
        if a.accepted {
            t("popup_agent_accepted", &[])
        } else {
            t("popup_agent_not_accepted", &[])
        },
    )
}

/// Enables what the agent can do now: accept and send while online, end a call during one.
pub fn enable_controls(a: &AgentView) {
    set_disabled("agent-accept", a.accepted || !a.online);
    set_disabled("agent-send", !a.online);
    let in_call = a.call.is_some();
    set_disabled("agent-call-ok", !in_call);
    set_disabled("agent-call-fail", !in_call);
    set_disabled("agent-call-reason", !in_call);
}

/// Shows the conversation in `#agent-conversation`, scrolled to the newest: a `li.msg
/// .msg-<author>` a message with its author's word (`who`) and its text, then whatever `more`
/// adds to it; "No messages" when there are none.
pub fn render_conversation(
    conversation: &[Message],
    who: impl Fn(Author) -> String,
    more: impl Fn(&Message, &Element),
) {
    let Some(list) = dom::by_id("agent-conversation") else {
        return;
    };
    list.set_text_content(None);
    for m in conversation {
        let class = match m.author {
            Author::Visitor => "visitor",
            Author::Agent => "agent",
            Author::System => "system",
        };
        let li = el("li", &format!("msg msg-{class}"), "");
        append(&li, &el("span", "msg-author", &who(m.author)));
        append(&li, &el("span", "msg-text", &m.text));
        more(m, &li);
        append(&list, &li);
    }
    if conversation.is_empty() {
        append(
            &list,
            &el("li", "empty", &t("popup_agent_no_messages", &[])),
        );
    }
    list.set_scroll_top(list.scroll_height());
}
