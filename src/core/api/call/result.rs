//! What the page receives back from a call: the documented `{result: 'ok'}` /
//! `{result: 'fail', reason | error}` objects and the [`Reply`] that carries a synchronous return
//! value, the arguments for a page-supplied callback or the exception a call threw.
//!
//! One definition for both modes: the sandbox model answers with these, and the JivoChat-mode
//! bridge uses them to answer calls it refuses before they reach the real widget.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::values::ArgError;
use crate::api::Method;

/// The reason the reference documents for an unavailable callback: `'Callback disabled'`.
pub const CALLBACK_DISABLED: &str = "Callback disabled";

/// Which key a method's documented failure object uses for its explanation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FailureField {
    /// `{result: 'fail', reason}`: `open`, `close`, `startCall`, `isCallbackEnabled`, and
    /// `jivo_onCallEnd`'s argument.
    Reason,
    /// `{result: 'fail', error}`: `sendOfflineMessage`.
    Error,
}

impl FailureField {
    /// The JSON key: `reason` or `error`.
    pub fn key(self) -> &'static str {
        match self {
            FailureField::Reason => "reason",
            FailureField::Error => "error",
        }
    }
}

/// The failure key `method` documents, or `None` when it has no `{result}` object (it returns
/// `undefined` or a plain value).
pub fn failure_field(method: Method) -> Option<FailureField> {
    match method {
        Method::Open | Method::Close | Method::StartCall | Method::IsCallbackEnabled => {
            Some(FailureField::Reason)
        }
        Method::SendOfflineMessage => Some(FailureField::Error),
        _ => None,
    }
}

/// A documented result object: `{result: 'ok'}` or `{result: 'fail', reason | error: …}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiResult {
    /// `{result: 'ok'}`.
    Ok,
    /// `{result: 'fail', <field>: why}`.
    Fail {
        /// `reason` or `error`.
        field: FailureField,
        /// The explanation, e.g. `Callback disabled`.
        why: String,
    },
}

impl ApiResult {
    /// `{result: 'fail', reason: why}`.
    pub fn fail_reason(why: impl Into<String>) -> ApiResult {
        ApiResult::Fail {
            field: FailureField::Reason,
            why: why.into(),
        }
    }

    /// `{result: 'fail', error: why}`.
    pub fn fail_error(why: impl Into<String>) -> ApiResult {
        ApiResult::Fail {
            field: FailureField::Error,
            why: why.into(),
        }
    }

    /// The failure `method` documents (`error` for `sendOfflineMessage`, else `reason`).
    pub fn fail_for(method: Method, why: impl Into<String>) -> ApiResult {
        ApiResult::Fail {
            field: failure_field(method).unwrap_or(FailureField::Reason),
            why: why.into(),
        }
    }

    /// Whether this is `{result: 'ok'}`.
    pub fn is_ok(&self) -> bool {
        matches!(self, ApiResult::Ok)
    }

    /// The exact JSON the page receives.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        match self {
            ApiResult::Ok => {
                m.insert("result".into(), Value::String("ok".into()));
            }
            ApiResult::Fail { field, why } => {
                m.insert("result".into(), Value::String("fail".into()));
                m.insert(field.key().into(), Value::String(why.clone()));
            }
        }
        Value::Object(m)
    }

    /// Reads a result object back (as a real widget returned it); `None` if `v` is not one.
    /// A `fail` without a string `reason`/`error` reads as an empty reason.
    pub fn from_value(v: &Value) -> Option<ApiResult> {
        let m = v.as_object()?;
        match m.get("result")?.as_str()? {
            "ok" => Some(ApiResult::Ok),
            "fail" => {
                for field in [FailureField::Reason, FailureField::Error] {
                    if let Some(Value::String(s)) = m.get(field.key()) {
                        return Some(ApiResult::Fail {
                            field,
                            why: s.clone(),
                        });
                    }
                }
                Some(ApiResult::fail_reason(""))
            }
            _ => None,
        }
    }
}

impl Serialize for ApiResult {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for ApiResult {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ApiResult, D::Error> {
        let v = Value::deserialize(d)?;
        ApiResult::from_value(&v)
            .ok_or_else(|| serde::de::Error::custom("expected {result: 'ok' | 'fail', …}"))
    }
}

/// What one call of an entry point produced, as the page sees it: the one type for a call's
/// answer on every channel (the sandbox's reply to the page, the page's answer to a console
/// call, the log's record of a call).
///
/// `returned` is the synchronous return value (`None` is `undefined`); `callback_args`, when
/// present, are the arguments for the function the page passed (`getVisitorNumber`,
/// `isCallbackEnabled`), to be called asynchronously; `threw` is the exception a real widget's
/// method threw (or why a console call could not be made).
///
/// `note` says why a call failed or was ignored, for the event log and the popup console. It is
/// the extension's own and never crosses a channel: it is not serialised, so the page never
/// sees one and cannot forge one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reply {
    /// The return value; `None` means `undefined`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returned: Option<Value>,
    /// Arguments to call the page's callback with, if the method answers through one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_args: Option<Vec<Value>>,
    /// The exception the call threw, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threw: Option<String>,
    /// Why the call failed or was ignored (never serialised).
    #[serde(skip)]
    pub note: Option<String>,
}

impl Reply {
    /// Returns `undefined`.
    pub fn undefined() -> Reply {
        Reply::default()
    }

    /// Returns `v`.
    pub fn value(v: Value) -> Reply {
        Reply {
            returned: Some(v),
            ..Reply::default()
        }
    }

    /// The call threw `message` (or could not be made, for that reason).
    pub fn threw(message: impl Into<String>) -> Reply {
        Reply {
            threw: Some(message.into()),
            ..Reply::default()
        }
    }

    /// The same reply without its note: what crosses a channel (the note is never
    /// serialised; this says so for a value kept in memory, such as a log entry's outcome).
    pub fn without_note(mut self) -> Reply {
        self.note = None;
        self
    }

    /// Returns a documented result object; a failure also becomes the note.
    pub fn result(r: ApiResult) -> Reply {
        let note = match &r {
            ApiResult::Ok => None,
            ApiResult::Fail { why, .. } => Some(why.clone()),
        };
        Reply {
            returned: Some(r.to_value()),
            note,
            ..Reply::default()
        }
    }

    /// Returns `undefined` and calls the page's callback with `args`.
    pub fn callback(args: Vec<Value>) -> Reply {
        Reply {
            callback_args: Some(args),
            ..Reply::default()
        }
    }

    /// The same reply with a note for the log.
    pub fn with_note(mut self, note: impl Into<String>) -> Reply {
        self.note = Some(note.into());
        self
    }

    /// The reply to a call refused for `why` (invalid arguments, widget not loaded…): the
    /// documented failure shape where `method` has one, else `undefined`; the note says why.
    ///
    /// `isCallbackEnabled` answers through its callback, `[{result: 'fail', reason}]`, when
    /// `callback_known` (the page did pass a function); `getVisitorNumber` likewise gets
    /// `[why, null]`.
    pub fn refused(method: Method, why: &str, callback_known: bool) -> Reply {
        match method {
            Method::IsCallbackEnabled if callback_known => {
                Reply::callback(vec![ApiResult::fail_reason(why).to_value()]).with_note(why)
            }
            Method::GetVisitorNumber if callback_known => {
                Reply::callback(vec![Value::String(why.into()), Value::Null]).with_note(why)
            }
            _ if method.answers_through_callback() => Reply::undefined().with_note(why),
            _ => match failure_field(method) {
                Some(_) => Reply::result(ApiResult::fail_for(method, why)),
                None => Reply::undefined().with_note(why),
            },
        }
    }

    /// The reply to a call whose arguments [`ApiCall::from_args`](super::ApiCall::from_args)
    /// refused: [`Reply::refused`] with the error's sentence. Methods that answer through a
    /// callback were refused because the callback is missing, so nothing is called back.
    pub fn invalid(method: Method, err: &ArgError) -> Reply {
        Reply::refused(method, &err.message(), false)
    }
}
