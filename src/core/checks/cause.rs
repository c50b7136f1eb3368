//! [`Cause`]: what exactly a finding saw, typed, so a surface can say it in its reader's
//! language ([`Cause::phrase`]) and a file can keep it ([`Finding::detail`] is its English).
//!
//! [`Finding::detail`]: super::Finding::detail

use core::fmt;

use serde::{Deserialize, Serialize};

use super::checker::{Removal, MIN_TOKEN_CHARS};
use crate::api::call::ArgError;
use crate::api::{Callback, Method};
use crate::phrase::{Part, Phrase};

/// What a finding's first occurrence was. Serialises externally tagged with camelCase names,
/// e.g. `{"calledBeforeLoad":{"method":"open"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Cause {
    /// The page's handler for `callback` threw `message`.
    HandlerThrew {
        /// The callback.
        callback: Callback,
        /// What it threw, as the log has it.
        message: String,
    },
    /// A `jivo_api` method called before `jivo_onLoadCallback` fired on the page.
    CalledBeforeLoad {
        /// The method.
        method: Method,
    },
    /// A `jivo_api` method called after `jivo_destroy()`, before the widget loaded again.
    CalledAfterDestroy {
        /// The method.
        method: Method,
    },
    /// `jivo_onLoadCallback` fired twice with no `jivo_destroy()` between.
    LoadedTwice {
        /// The first firing's log entry.
        first: u64,
        /// The second's.
        second: u64,
    },
    /// `startCall` with no `isCallbackEnabled` before it on the page.
    StartCallUnchecked,
    /// A page call with valid arguments threw.
    CallThrew {
        /// The method.
        method: Method,
        /// What it threw.
        threw: String,
    },
    /// A page call with valid arguments returned `{result: 'fail', …}`.
    CallReturned {
        /// The method.
        method: Method,
        /// What it returned, as JSON.
        returned: String,
    },
    /// A page call whose arguments were refused.
    InvalidArguments {
        /// The method.
        method: Method,
        /// Why.
        error: ArgError,
    },
    /// `setUserToken` with a guessable token.
    GuessableToken {
        /// The token.
        token: String,
        /// Why it is guessable.
        guess: Guess,
    },
    /// `setCustomData` with markup in a field's content.
    CustomDataMarkup {
        /// Which field (from 0).
        index: usize,
        /// Its content.
        content: String,
    },
    /// The URL changed without a page load and nobody told the widget.
    UrlChangeUnreported {
        /// The `navigation` entry.
        entry: u64,
    },
    /// A handler defined after the widget loaded.
    DefinedLate {
        /// The callback.
        callback: Callback,
        /// The `jivo_onLoadCallback` entry it came after.
        load: u64,
    },
    /// A handler replaced by another script.
    Replaced {
        /// The callback.
        callback: Callback,
        /// The script that defined it first, if known.
        before: Option<String>,
        /// The script that replaced it, if known.
        after: Option<String>,
    },
    /// More than one JivoChat loader on the page.
    Loaders {
        /// Their `src` URLs.
        srcs: Vec<String>,
        /// The distinct widget ids among them, sorted.
        widget_ids: Vec<String>,
    },
    /// The widget was removed without `jivo_destroy()`.
    Removed {
        /// How.
        how: Removal,
    },
}

/// Why a user token is guessable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Guess {
    /// Only digits: a visitor or account number.
    Number,
    /// A short word and a number: `user42`, `id-1007`.
    SequentialId,
    /// An e-mail address.
    Email,
    /// Fewer than [`MIN_TOKEN_CHARS`] characters.
    Short,
}

impl Guess {
    /// The finding's subject: `number`, `sequential-id`, `email`, `short`.
    pub fn name(self) -> &'static str {
        match self {
            Guess::Number => "number",
            Guess::SequentialId => "sequential-id",
            Guess::Email => "email",
            Guess::Short => "short",
        }
    }

    /// Why, as a sentence.
    pub fn phrase(self) -> Phrase {
        match self {
            Guess::Number => Phrase::new(
                "guess_number",
                "a number, like a visitor or account id, is easy to guess",
                vec![],
            ),
            Guess::SequentialId => Phrase::new(
                "guess_sequential_id",
                "a word and a number make a sequential id, easy to guess",
                vec![],
            ),
            Guess::Email => Phrase::new(
                "guess_email",
                "an e-mail address is known to others and easy to guess",
                vec![],
            ),
            Guess::Short => Phrase::new(
                "guess_short",
                "shorter than $1 characters, it is easy to guess",
                vec![MIN_TOKEN_CHARS.to_string().into()],
            ),
        }
    }
}

impl Cause {
    /// The sentence a person reads (its English is [`Finding::detail`](super::Finding::detail)).
    pub fn phrase(&self) -> Phrase {
        let text = |s: &str| Part::from(s);
        let num = |n: u64| Part::Text(n.to_string());
        let script = |s: &Option<String>| match s {
            Some(s) => text(s),
            None => Phrase::new("cause_script_unknown", "an unknown script", vec![]).into(),
        };
        match self {
            Cause::HandlerThrew { callback, message } => Phrase::new(
                "cause_handler_threw",
                "$1 threw: $2",
                vec![text(callback.name()), text(message)],
            ),
            Cause::CalledBeforeLoad { method } => Phrase::new(
                "cause_called_before_load",
                "jivo_api.$1 was called before jivo_onLoadCallback fired",
                vec![text(method.name())],
            ),
            Cause::CalledAfterDestroy { method } => Phrase::new(
                "cause_called_after_destroy",
                "jivo_api.$1 was called after jivo_destroy(), before the widget loaded again",
                vec![text(method.name())],
            ),
            Cause::LoadedTwice { first, second } => Phrase::new(
                "cause_loaded_twice",
                "jivo_onLoadCallback fired twice (entries $1 and $2) with no jivo_destroy() \
                 between: two widgets run on the page",
                vec![num(*first), num(*second)],
            ),
            Cause::StartCallUnchecked => Phrase::new(
                "cause_start_call_unchecked",
                "startCall was called with no isCallbackEnabled before it on the page",
                vec![],
            ),
            Cause::CallThrew { method, threw } => Phrase::new(
                "cause_call_threw",
                "$1 threw: $2",
                vec![text(method.name()), text(threw)],
            ),
            Cause::CallReturned { method, returned } => Phrase::new(
                "cause_call_returned",
                "$1 returned $2",
                vec![text(method.name()), text(returned)],
            ),
            Cause::InvalidArguments { method, error } => Phrase::new(
                "cause_invalid_arguments",
                "$1: $2",
                vec![text(method.name()), error.phrase().into()],
            ),
            Cause::GuessableToken { token, guess } => Phrase::new(
                "cause_guessable_token",
                "setUserToken($1): $2",
                vec![Part::Text(format!("{token:?}")), guess.phrase().into()],
            ),
            Cause::CustomDataMarkup { index, content } => Phrase::new(
                "cause_custom_data_markup",
                "fields[$1].content contains markup, which the agent sees as text: $2",
                vec![num(*index as u64), Part::Text(format!("{content:?}"))],
            ),
            Cause::UrlChangeUnreported { entry } => Phrase::new(
                "cause_url_change_unreported",
                "the URL changed without a page load (entry $1) and the widget was not told: \
                 the page never called sendPageTitle and SPA tracking is off",
                vec![num(*entry)],
            ),
            Cause::DefinedLate {
                callback: Callback::OnLoadCallback,
                load,
            } => Phrase::new(
                "cause_load_handler_late",
                "jivo_onLoadCallback was defined after it had fired (entry $1): it does not run \
                 on this page",
                vec![num(*load)],
            ),
            Cause::DefinedLate { callback, load } => Phrase::new(
                "cause_defined_late",
                "$1 was defined after the widget loaded (entry $2): events before it were not \
                 handled",
                vec![text(callback.name()), num(*load)],
            ),
            Cause::Replaced {
                callback,
                before,
                after,
            } => Phrase::new(
                "cause_replaced",
                "$1 defined by $2 was replaced by $3",
                vec![text(callback.name()), script(before), script(after)],
            ),
            Cause::Loaders { srcs, widget_ids } => {
                let count = num(srcs.len() as u64);
                let list = Part::Text(srcs.join(", "));
                match widget_ids.as_slice() {
                    [] => Phrase::new(
                        "cause_loaders",
                        "$1 JivoChat loaders on the page: $2",
                        vec![count, list],
                    ),
                    [one] => Phrase::new(
                        "cause_loaders_one_id",
                        "$1 JivoChat loaders on the page: $2 (widget id $3 each time)",
                        vec![count, list, text(one)],
                    ),
                    many => Phrase::new(
                        "cause_loaders_ids",
                        "$1 JivoChat loaders on the page: $2 (widget ids $3)",
                        vec![count, list, Part::Text(many.join(", "))],
                    ),
                }
            }
            Cause::Removed {
                how: Removal::Nodes,
            } => Phrase::new(
                "cause_removed_nodes",
                "the widget's elements were removed from the document without jivo_destroy()",
                vec![],
            ),
            Cause::Removed {
                how: Removal::Globals,
            } => Phrase::new(
                "cause_removed_globals",
                "window.jivo_api was deleted or overwritten without jivo_destroy()",
                vec![],
            ),
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.phrase().english())
    }
}
