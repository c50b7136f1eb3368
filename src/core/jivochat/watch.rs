//! The real widget's state in JivoChat mode, for the popup's Widget section and the toolbar
//! badge: what the sandbox tab shows (loaded, chat mode, state, visitor number, unread count,
//! contact info, UTM), read through the documented API at the moments that change it.
//!
//! [`StateWatch`] decides **when to read what**; the shell makes the calls (through the page
//! shim, recorded in the log as the extension's own, note "widget state") and feeds the answers
//! back. It reads only after something that can change a value:
//!
//! | the widget called            | read                                                  |
//! |------------------------------|-------------------------------------------------------|
//! | `jivo_onLoadCallback`        | everything: `chatMode()`, `getUnreadMessagesCount()`, `getContactInfo()`, `getUtm()`, `getVisitorNumber(cb)` |
//! | `jivo_onMessageReceived`     | `getUnreadMessagesCount()`                            |
//! | `jivo_onOpen`, `jivo_onClose`| `getUnreadMessagesCount()` (opening the chat reads the messages) |
//! | `jivo_onIntroduction`        | `getContactInfo()`                                    |
//! | `jivo_onAccept`              | `chatMode()` (an agent answered)                      |
//! | `jivo_onChangeState(state)`  | nothing: the state is its argument                    |
//! | `jivo_onWidgetDestroy`       | nothing: the widget is gone                           |
//!
//! Nothing is read before `jivo_onLoadCallback` or after `jivo_onWidgetDestroy`, and a read
//! is never asked for while the same one is still out: a change meanwhile makes it be read
//! once more when the answer arrives (its answer may predate the change).
//!
//! ```
//! use jwi_core::api::Callback;
//! use jwi_core::jivochat::{StateRead, StateWatch};
//! use jwi_core::api::call::Reply;
//! use serde_json::json;
//! let mut w = StateWatch::default();
//! assert!(w.callback(Callback::OnMessageReceived, &[]).reads.is_empty()); // not loaded yet
//! assert_eq!(w.callback(Callback::OnLoadCallback, &[]).reads.len(), 5);
//! let unread = Reply { returned: Some(json!(2)), ..Reply::default() };
//! assert!(w.answered(StateRead::UnreadCount, &unread).changed);
//! assert_eq!(w.facts().unread, 2);
//! ```

use serde_json::{json, Value};

use crate::api::call::ContactInfo;
use crate::api::call::Reply;
use crate::api::{Callback, Method};
use crate::sandbox::{ChatMode, Utm, WidgetFacts, WidgetState};

/// One value the watch reads from the widget.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StateRead {
    /// `jivo_api.chatMode()`.
    ChatMode,
    /// `jivo_api.getUnreadMessagesCount()`.
    UnreadCount,
    /// `jivo_api.getContactInfo()`.
    ContactInfo,
    /// `jivo_api.getUtm()`.
    Utm,
    /// `jivo_api.getVisitorNumber(callback)`.
    VisitorNumber,
}

impl StateRead {
    /// Every read, in the order they are made after `jivo_onLoadCallback`.
    pub const ALL: [StateRead; 5] = [
        StateRead::ChatMode,
        StateRead::UnreadCount,
        StateRead::ContactInfo,
        StateRead::Utm,
        StateRead::VisitorNumber,
    ];

    /// The entry point it calls (the shim adds the callback of `getVisitorNumber`).
    pub fn method(self) -> Method {
        match self {
            StateRead::ChatMode => Method::ChatMode,
            StateRead::UnreadCount => Method::GetUnreadMessagesCount,
            StateRead::ContactInfo => Method::GetContactInfo,
            StateRead::Utm => Method::GetUtm,
            StateRead::VisitorNumber => Method::GetVisitorNumber,
        }
    }

    /// The read a method makes, if it is one of the watch's.
    pub fn of(method: Method) -> Option<StateRead> {
        StateRead::ALL.into_iter().find(|r| r.method() == method)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// What one input gave: the reads to make now, and whether the facts changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WatchStep {
    /// Calls to make, in order.
    pub reads: Vec<StateRead>,
    /// Whether [`StateWatch::facts`] changed (send them to the popup and the badge).
    pub changed: bool,
}

/// The real widget's state as last read; see the [module documentation](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateWatch {
    facts: WidgetFacts,
    /// Reads out (bit per [`StateRead`]).
    pending: u8,
    /// Reads out whose answer may be stale: read again when it arrives.
    stale: u8,
}

impl Default for StateWatch {
    fn default() -> Self {
        StateWatch {
            facts: WidgetFacts {
                loaded: false,
                chat_mode: ChatMode::Offline,
                state: None,
                visitor_number: 0,
                unread: 0,
                utm: Utm::default(),
                contact_info: ContactInfo::default(),
            },
            pending: 0,
            stale: 0,
        }
    }
}

impl StateWatch {
    /// What is known, in the sandbox's shape.
    pub fn facts(&self) -> &WidgetFacts {
        &self.facts
    }

    /// The widget called a page callback with these arguments.
    pub fn callback(&mut self, callback: Callback, args: &[Value]) -> WatchStep {
        let mut step = WatchStep::default();
        let wanted: &[StateRead] = match callback {
            Callback::OnLoadCallback => {
                step.changed = !self.facts.loaded;
                self.facts.loaded = true;
                &StateRead::ALL
            }
            Callback::OnWidgetDestroy => {
                let before = self.facts.clone();
                self.facts.loaded = false;
                self.facts.state = None;
                self.facts.unread = 0;
                step.changed = before != self.facts;
                return step;
            }
            Callback::OnChangeState => {
                let state = args
                    .first()
                    .and_then(|v| serde_json::from_value::<WidgetState>(v.clone()).ok());
                if self.facts.loaded && state.is_some() && state != self.facts.state {
                    self.facts.state = state;
                    step.changed = true;
                }
                return step;
            }
            Callback::OnMessageReceived | Callback::OnOpen | Callback::OnClose => {
                &[StateRead::UnreadCount]
            }
            Callback::OnIntroduction => &[StateRead::ContactInfo],
            Callback::OnAccept => &[StateRead::ChatMode],
            _ => &[],
        };
        if self.facts.loaded {
            for &read in wanted {
                self.ask(read, &mut step.reads);
            }
        }
        step
    }

    /// A read was answered (or failed: `threw`, or no answer).
    pub fn answered(&mut self, read: StateRead, outcome: &Reply) -> WatchStep {
        let mut step = WatchStep::default();
        self.pending &= !read.bit();
        if outcome.threw.is_none() && self.facts.loaded {
            let before = self.facts.clone();
            self.apply(read, outcome);
            step.changed = before != self.facts;
        }
        if self.stale & read.bit() != 0 {
            self.stale &= !read.bit();
            if self.facts.loaded {
                self.ask(read, &mut step.reads);
            }
        }
        step
    }

    fn ask(&mut self, read: StateRead, reads: &mut Vec<StateRead>) {
        if self.pending & read.bit() != 0 {
            self.stale |= read.bit();
        } else {
            self.pending |= read.bit();
            reads.push(read);
        }
    }

    fn apply(&mut self, read: StateRead, outcome: &Reply) {
        let returned = outcome.returned.as_ref();
        match read {
            StateRead::ChatMode => match returned.and_then(Value::as_str) {
                Some("online") => self.facts.chat_mode = ChatMode::Online,
                Some("offline") => self.facts.chat_mode = ChatMode::Offline,
                _ => {}
            },
            StateRead::UnreadCount => {
                if let Some(n) = returned.and_then(Value::as_u64) {
                    self.facts.unread = n.min(u32::MAX as u64) as u32;
                }
            }
            StateRead::ContactInfo => {
                if let Some(info) = returned.and_then(Value::as_object) {
                    let field = |k: &str| info.get(k).cloned().unwrap_or(Value::Null);
                    let shaped = json!({
                        "name": field("client_name"),
                        "email": field("email"),
                        "phone": field("phone"),
                        "description": field("description"),
                    });
                    // A value the reference's rules refuse (a malformed e-mail) is left out
                    // rather than losing the rest.
                    self.facts.contact_info = ContactInfo::from_value(Some(&shaped))
                        .unwrap_or_else(|_| {
                            let mut lenient = shaped.clone();
                            lenient["email"] = Value::Null;
                            lenient["phone"] = Value::Null;
                            ContactInfo::from_value(Some(&lenient)).unwrap_or_default()
                        });
                }
            }
            StateRead::Utm => {
                if let Some(utm) =
                    returned.and_then(|v| serde_json::from_value::<Utm>(v.clone()).ok())
                {
                    self.facts.utm = utm;
                }
            }
            StateRead::VisitorNumber => {
                // `callback(error, number)`: the first number passed.
                if let Some(n) = outcome
                    .callback_args
                    .iter()
                    .flatten()
                    .find_map(Value::as_u64)
                {
                    self.facts.visitor_number = n;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn returned(v: Value) -> Reply {
        Reply {
            returned: Some(v),
            ..Reply::default()
        }
    }

    fn loaded() -> StateWatch {
        let mut w = StateWatch::default();
        let step = w.callback(Callback::OnLoadCallback, &[]);
        assert!(step.changed);
        assert_eq!(step.reads, StateRead::ALL.to_vec());
        for read in StateRead::ALL {
            let _ = w.answered(read, &Reply::default());
        }
        w
    }

    #[test]
    fn nothing_is_read_before_load_or_after_destroy() {
        let mut w = StateWatch::default();
        for cb in [
            Callback::OnMessageReceived,
            Callback::OnOpen,
            Callback::OnClose,
            Callback::OnIntroduction,
            Callback::OnAccept,
        ] {
            assert_eq!(w.callback(cb, &[]), WatchStep::default(), "{cb:?}");
        }
        let mut w = loaded();
        assert!(w.callback(Callback::OnWidgetDestroy, &[]).changed);
        assert!(!w.facts().loaded);
        assert!(w
            .callback(Callback::OnMessageReceived, &[])
            .reads
            .is_empty());
    }

    #[test]
    fn each_callback_reads_only_what_it_can_change() {
        let mut w = loaded();
        for (cb, want) in [
            (Callback::OnMessageReceived, vec![StateRead::UnreadCount]),
            (Callback::OnOpen, vec![StateRead::UnreadCount]),
            (Callback::OnClose, vec![StateRead::UnreadCount]),
            (Callback::OnIntroduction, vec![StateRead::ContactInfo]),
            (Callback::OnAccept, vec![StateRead::ChatMode]),
            (Callback::OnChangeState, vec![]),
            (Callback::OnResizeCallback, vec![]),
            (Callback::OnMessageSent, vec![]),
            (Callback::OnCallStart, vec![]),
        ] {
            let step = w.callback(cb, &[]);
            assert_eq!(step.reads, want, "{cb:?}");
            for read in want {
                let _ = w.answered(read, &Reply::default());
            }
        }
    }

    #[test]
    fn a_read_out_is_not_asked_twice_but_read_again_if_stale() {
        let mut w = loaded();
        assert_eq!(
            w.callback(Callback::OnMessageReceived, &[]).reads,
            vec![StateRead::UnreadCount]
        );
        // Two more messages while the read is out: no new call yet.
        assert!(w
            .callback(Callback::OnMessageReceived, &[])
            .reads
            .is_empty());
        assert!(w
            .callback(Callback::OnMessageReceived, &[])
            .reads
            .is_empty());
        // The answer comes; it may predate them, so one more read.
        let step = w.answered(StateRead::UnreadCount, &returned(json!(1)));
        assert!(step.changed);
        assert_eq!(step.reads, vec![StateRead::UnreadCount]);
        let step = w.answered(StateRead::UnreadCount, &returned(json!(3)));
        assert!(step.changed && step.reads.is_empty());
        assert_eq!(w.facts().unread, 3);
        // The same answer again changes nothing.
        let _ = w.callback(Callback::OnOpen, &[]);
        assert!(
            !w.answered(StateRead::UnreadCount, &returned(json!(3)))
                .changed
        );
    }

    #[test]
    fn answers_fill_the_facts() {
        let mut w = loaded();
        let _ = w.callback(Callback::OnLoadCallback, &[]);
        let _ = w.answered(StateRead::ChatMode, &returned(json!("online")));
        let _ = w.answered(StateRead::UnreadCount, &returned(json!(4)));
        let _ = w.answered(
            StateRead::ContactInfo,
            &returned(json!({"client_name": "Ann", "email": "not an address", "phone": null, "description": "VIP"})),
        );
        let _ = w.answered(
            StateRead::Utm,
            &returned(json!({"source": "news", "medium": null, "campaign": null, "content": null, "term": null})),
        );
        let _ = w.answered(
            StateRead::VisitorNumber,
            &Reply {
                callback_args: Some(vec![Value::Null, json!(17)]),
                ..Reply::default()
            },
        );
        let step = w.callback(Callback::OnChangeState, &[json!("chat")]);
        assert!(step.changed && step.reads.is_empty());
        let f = w.facts();
        assert!(f.loaded);
        assert_eq!(f.chat_mode, ChatMode::Online);
        assert_eq!(f.unread, 4);
        assert_eq!(f.contact_info.name.as_deref(), Some("Ann"));
        assert_eq!(f.contact_info.description.as_deref(), Some("VIP"));
        assert!(f.contact_info.email.is_none());
        assert_eq!(f.utm.source.as_deref(), Some("news"));
        assert_eq!(f.visitor_number, 17);
        assert_eq!(f.state, Some(WidgetState::Chat));
        // A failed read keeps what was known; an unknown state is ignored.
        let _ = w.callback(Callback::OnMessageReceived, &[]);
        let failed = Reply {
            threw: Some("boom".into()),
            ..Reply::default()
        };
        assert!(!w.answered(StateRead::UnreadCount, &failed).changed);
        assert_eq!(w.facts().unread, 4);
        assert!(
            !w.callback(Callback::OnChangeState, &[json!("weird")])
                .changed
        );
    }

    #[test]
    fn reads_name_their_methods() {
        for read in StateRead::ALL {
            assert_eq!(StateRead::of(read.method()), Some(read));
        }
        assert_eq!(StateRead::of(Method::Open), None);
    }
}
