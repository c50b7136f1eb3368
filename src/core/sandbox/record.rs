//! The persisted visitor record: what the sandbox widget remembers about one visitor of one
//! site between page loads (the extension keeps it in storage, per site).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::utm::{parse_utm, Utm};
use crate::api::call::{ContactInfo, CustomDataField, HexColor, MAX_CUSTOM_FIELDS};

/// The most messages a record keeps; older ones are dropped first.
pub const MAX_MESSAGES: usize = 500;
/// The most `sendPageTitle` reports a record keeps; older ones are dropped first.
pub const MAX_PAGES: usize = 50;

/// Who wrote a message in the conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Author {
    /// The visitor, in the chat window or through the offline form / `sendOfflineMessage`.
    Visitor,
    /// The agent (the extension popup).
    Agent,
    /// The widget itself: invitations, introductions, calls, the agent joining.
    System,
}

/// One line of the conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Who wrote it.
    pub author: Author,
    /// The text (shown as text, never as markup).
    pub text: String,
    /// When, in milliseconds since the Unix epoch.
    pub time_ms: u64,
    /// Whether it was left as an offline message (offline form or `sendOfflineMessage`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub offline: bool,
    /// For a system line the visitor also sees: what it says, so that the widget can say it in
    /// the visitor's language. System lines without one are for the agent only (`text` is the
    /// agent's English line, also in the log).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<VisitorNote>,
}

/// A system line shown to the visitor too (in the visitor's words).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum VisitorNote {
    /// An agent joined the chat.
    AgentJoined,
    /// A proactive invitation: the visitor sees its text as it was written.
    Invitation {
        /// The invitation's text.
        text: String,
    },
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A page the visitor was on, as `sendPageTitle` reported it to the widget (the SPA tracker's
/// [`PageReport`](crate::spa::PageReport) is such a report on its way out).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VisitedPage {
    /// The title passed.
    pub title: String,
    /// The URL passed, or the page's URL when none was.
    pub url: String,
    /// The `fromApi` flag.
    pub from_api: bool,
    /// When, in milliseconds since the Unix epoch.
    pub time_ms: u64,
}

/// The widget colour set by `setWidgetColor`: one colour, or a gradient with `color2`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetColor {
    /// The colour (the gradient's start).
    pub color: HexColor,
    /// The gradient's end, if any.
    #[serde(default)]
    pub color2: Option<HexColor>,
}

/// The page a visitor first arrived on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FirstVisit {
    /// Its URL.
    pub url: String,
    /// When, in milliseconds since the Unix epoch.
    pub time_ms: u64,
}

/// Everything the sandbox widget keeps about one visitor of one site across page loads.
///
/// Agent-side facts (online, callbacks enabled, chat accepted, a call in progress) are not
/// here: they belong to the agent, not to the visitor's browser. Unknown fields are ignored and
/// missing ones default, so older and newer records load; [`VisitorRecord::normalized`] enforces
/// the bounds on whatever was loaded.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct VisitorRecord {
    /// The visitor's number; `None` after `clearHistory()` until the next load assigns a new one.
    pub visitor_number: Option<u64>,
    /// The first page of the visit the UTM tags come from; `None` after `clearHistory()`.
    pub first_visit: Option<FirstVisit>,
    /// The UTM tags of the first page.
    pub utm: Utm,
    /// The conversation, oldest first, at most [`MAX_MESSAGES`].
    pub messages: Vec<Message>,
    /// The contact details (contact form, `setContactInfo`, offline messages).
    pub contact: ContactInfo,
    /// Whether the visitor has sent a chat message since the history began ("chat history
    /// exists"): `jivo_onMessageSent` fires only while this is false.
    pub has_chat_history: bool,
    /// `setCustomData` fields, in display order.
    pub custom_data: Vec<CustomDataField>,
    /// `setUserToken`.
    pub user_token: Option<String>,
    /// `setRules`.
    pub rules: Option<Map<String, Value>>,
    /// Agent messages the visitor has not seen yet.
    pub unread: u32,
    /// `setWidgetColor`.
    pub color: Option<WidgetColor>,
    /// `sendPageTitle` reports, oldest first, at most [`MAX_PAGES`].
    pub pages: Vec<VisitedPage>,
}

impl VisitorRecord {
    /// The record of a new visitor numbered `number`, arriving on `url` at `now_ms`: the UTM
    /// tags are read from `url`.
    pub fn new_visitor(number: u64, url: &str, now_ms: u64) -> VisitorRecord {
        VisitorRecord {
            visitor_number: Some(number),
            first_visit: Some(FirstVisit {
                url: url.to_string(),
                time_ms: now_ms,
            }),
            utm: parse_utm(url),
            ..VisitorRecord::default()
        }
    }

    /// What `clearHistory()` leaves: nothing but the widget colour (the page's appearance, not
    /// visitor data). No number, no first visit: the next load makes this a new visitor.
    pub fn cleared(&self) -> VisitorRecord {
        VisitorRecord {
            color: self.color.clone(),
            ..VisitorRecord::default()
        }
    }

    /// The record with its bounds enforced: at most [`MAX_MESSAGES`] messages, [`MAX_PAGES`]
    /// pages and [`MAX_CUSTOM_FIELDS`] custom fields (the newest kept), and an unread count no
    /// larger than the agent messages it could refer to.
    pub fn normalized(mut self) -> VisitorRecord {
        keep_last(&mut self.messages, MAX_MESSAGES);
        keep_last(&mut self.pages, MAX_PAGES);
        self.custom_data.truncate(MAX_CUSTOM_FIELDS);
        let agent_messages = self.agent_message_count();
        self.unread = self.unread.min(agent_messages);
        self
    }

    /// How many agent messages the conversation holds (saturating).
    pub fn agent_message_count(&self) -> u32 {
        let n = self
            .messages
            .iter()
            .filter(|m| m.author == Author::Agent)
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// Whether the conversation has a visitor or agent message (not only system lines): a
    /// minimised widget with a conversation is in the `chat/min` state.
    pub fn has_conversation(&self) -> bool {
        self.messages.iter().any(|m| m.author != Author::System)
    }

    /// Appends a message, dropping the oldest beyond [`MAX_MESSAGES`].
    pub fn push_message(&mut self, author: Author, text: &str, time_ms: u64, offline: bool) {
        self.messages.push(Message {
            author,
            text: text.to_string(),
            time_ms,
            offline,
            note: None,
        });
        keep_last(&mut self.messages, MAX_MESSAGES);
    }

    /// Appends a system line (`text` for the agent; `note`, if any, what the visitor sees).
    pub fn push_system(&mut self, text: &str, time_ms: u64, note: Option<VisitorNote>) {
        self.push_message(Author::System, text, time_ms, false);
        if let Some(m) = self.messages.last_mut() {
            m.note = note;
        }
    }

    /// Appends a visited page, dropping the oldest beyond [`MAX_PAGES`].
    pub fn push_page(&mut self, page: VisitedPage) {
        self.pages.push(page);
        keep_last(&mut self.pages, MAX_PAGES);
    }
}

fn keep_last<T>(v: &mut Vec<T>, max: usize) {
    if v.len() > max {
        let excess = v.len() - max;
        v.drain(..excess);
    }
}
