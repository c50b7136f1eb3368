//! Typed, validated calls: one [`ApiCall`] variant per entry point, with typed arguments, so
//! that a wrong call cannot be represented.
//!
//! Calls arrive as a [`Method`] and the JSON values the page passed (the page shim serialises
//! them; a function argument arrives as `{"$function": true}`, `undefined` as `null` or not at
//! all). [`ApiCall::from_args`] validates them into an [`ApiCall`] or explains, in one human
//! sentence ([`ArgError`]), what is wrong; [`ApiCall::to_args`] turns a call back into the
//! arguments a page would pass, and `from_args(to_args(c)) == Ok(c)` for every call.
//!
//! ```
//! use jwi_core::api::{Method, call::{ApiCall, HexColor}};
//! use serde_json::json;
//!
//! let call = ApiCall::from_args(Method::SetWidgetColor, &[json!("#FFF"), json!("#000000")]);
//! assert_eq!(
//!     call,
//!     Ok(ApiCall::SetWidgetColor {
//!         color: HexColor::parse("#fff").unwrap(),
//!         color2: Some(HexColor::parse("#000000").unwrap()),
//!     })
//! );
//! let err = ApiCall::from_args(Method::SetWidgetColor, &[json!("red")]).unwrap_err();
//! assert_eq!(err.to_string(), r##"color must be a hex colour like #1a2b3c, got "red""##);
//! ```
//!
//! Lenient where the reference is: optional arguments may be absent, `null` or (for strings) empty;
//! extra arguments are ignored, as JavaScript ignores them; `sendPageTitle(title)` alone is fine;
//! `setUserToken` accepts a whole number and uses its decimal text. Strict where the widget must
//! be: colours, phones, e-mail addresses, required text, the custom-data shape and link schemes,
//! the `rules` object, and length limits ([`MAX_TEXT_CHARS`], [`MAX_CUSTOM_FIELDS`]…).
//!
//! [`ApiResult`] and [`Reply`] are the exact values the page receives back.

mod result;
mod values;

#[cfg(test)]
pub(crate) mod tests;

pub use result::{failure_field, ApiResult, FailureField, Reply, CALLBACK_DISABLED};
pub use values::{
    function_marker, is_function_marker, parse_custom_data, ArgError, ContactInfo, CustomDataField,
    Email, Got, HexColor, NonEmptyText, OfflineMessage, OpenStart, Phone, Problem,
    FUNCTION_MARKER_KEY, MAX_CUSTOM_FIELDS, MAX_EMAIL_CHARS, MAX_NAME_CHARS, MAX_PHONE_DIGITS,
    MAX_TEXT_CHARS, MIN_PHONE_DIGITS,
};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Method;
use values::{object_arg, optional_text, required_str};

/// One validated call of an entry point: the 18 `jivo_api` methods, `jivo_init` and
/// `jivo_destroy`.
///
/// Serialises as a [`RawCall`] (`{"method": "open", "args": [{"start": "call"}]}`) and
/// deserialises through [`ApiCall::from_args`], so a deserialised call is always valid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawCall", into = "RawCall")]
pub enum ApiCall {
    /// `jivo_api.open({start})`: open the window in the chat, callback-form or menu state.
    Open {
        /// Where to open; `chat` when not given.
        start: OpenStart,
    },
    /// `jivo_api.close()`: minimise the window.
    Close,
    /// `jivo_api.showProactiveInvitation(invitation_text, department_id)`.
    ShowProactiveInvitation {
        /// The invitation text.
        text: NonEmptyText,
        /// The department the invitation comes from.
        department_id: Option<u64>,
    },
    /// `jivo_api.setWidgetColor(color, color2)`: one colour, or a gradient with two.
    SetWidgetColor {
        /// The widget colour.
        color: HexColor,
        /// The gradient's second colour.
        color2: Option<HexColor>,
    },
    /// `jivo_api.chatMode()`: `"online"` or `"offline"`.
    ChatMode,
    /// `jivo_api.startCall(phone)`: request a return call.
    StartCall {
        /// The number to call.
        phone: Phone,
    },
    /// `jivo_api.sendOfflineMessage({name, email, phone, description, message})`.
    SendOfflineMessage(OfflineMessage),
    /// `jivo_api.sendPageTitle(title, fromApi, url)`: report the current page to the agent.
    SendPageTitle {
        /// The page title (may be empty, as a document's title may be).
        title: String,
        /// The `fromApi` flag (JavaScript truthiness of whatever was passed; `false` if absent).
        from_api: bool,
        /// The page URL; `None` when not given (the current URL applies).
        url: Option<String>,
    },
    /// `jivo_api.setContactInfo({name, email, phone, description})`.
    SetContactInfo(ContactInfo),
    /// `jivo_api.setCustomData(fields)`: the fields, in display order.
    SetCustomData(Vec<CustomDataField>),
    /// `jivo_api.setUserToken(token)`.
    SetUserToken(String),
    /// `jivo_api.setRules(rules)`: any JSON object.
    SetRules(Map<String, Value>),
    /// `jivo_api.getContactInfo()`.
    GetContactInfo,
    /// `jivo_api.getVisitorNumber(callback)`; the callback was passed.
    GetVisitorNumber,
    /// `jivo_api.getUnreadMessagesCount()`.
    GetUnreadMessagesCount,
    /// `jivo_api.getUtm()`.
    GetUtm,
    /// `jivo_api.isCallbackEnabled(callback)`; the callback was passed.
    IsCallbackEnabled,
    /// `jivo_api.clearHistory()`.
    ClearHistory,
    /// `jivo_init()`.
    JivoInit,
    /// `jivo_destroy()`.
    JivoDestroy,
}

impl ApiCall {
    /// Validates the arguments a page passed to `method`.
    pub fn from_args(method: Method, args: &[Value]) -> Result<ApiCall, ArgError> {
        let a = |i: usize| args.get(i);
        Ok(match method {
            Method::Open => ApiCall::Open {
                start: parse_open(a(0))?,
            },
            Method::Close => ApiCall::Close,
            Method::ShowProactiveInvitation => ApiCall::ShowProactiveInvitation {
                text: NonEmptyText::parse_field(
                    "invitation_text",
                    required_str("invitation_text", a(0))?,
                )?,
                department_id: parse_department(a(1))?,
            },
            Method::SetWidgetColor => ApiCall::SetWidgetColor {
                color: match a(0) {
                    Some(Value::String(s)) => HexColor::parse_field("color", s)?,
                    other => {
                        return Err(ArgError::new("color", Problem::NotHexColor(Got::of(other))))
                    }
                },
                color2: match a(1) {
                    None | Some(Value::Null) => None,
                    Some(Value::String(s)) if s.trim().is_empty() => None,
                    Some(Value::String(s)) => Some(HexColor::parse_field("color2", s)?),
                    other => {
                        return Err(ArgError::new(
                            "color2",
                            Problem::NotHexColor(Got::of(other)),
                        ))
                    }
                },
            },
            Method::ChatMode => ApiCall::ChatMode,
            Method::StartCall => ApiCall::StartCall {
                phone: match a(0) {
                    Some(Value::String(s)) => Phone::parse_field("phone", s)?,
                    other => return Err(ArgError::new("phone", Problem::NotPhone(Got::of(other)))),
                },
            },
            Method::SendOfflineMessage => {
                ApiCall::SendOfflineMessage(OfflineMessage::from_value(a(0))?)
            }
            Method::SendPageTitle => {
                let title = required_str("title", a(0))?;
                if title.chars().count() > MAX_TEXT_CHARS {
                    return Err(ArgError::new(
                        "title",
                        Problem::TooLong {
                            max: MAX_TEXT_CHARS,
                            got: None,
                        },
                    ));
                }
                ApiCall::SendPageTitle {
                    title: title.to_string(),
                    from_api: a(1).is_some_and(js_truthy),
                    url: optional_text("url", a(2), MAX_TEXT_CHARS)?,
                }
            }
            Method::SetContactInfo => ApiCall::SetContactInfo(ContactInfo::from_value(a(0))?),
            Method::SetCustomData => ApiCall::SetCustomData(parse_custom_data(a(0))?),
            Method::SetUserToken => ApiCall::SetUserToken(parse_token(a(0))?),
            Method::SetRules => match a(0) {
                Some(v @ Value::Object(m)) if !is_function_marker(v) => {
                    ApiCall::SetRules(m.clone())
                }
                other => {
                    return Err(ArgError::new(
                        "rules",
                        Problem::NotJsonObject(Got::of(other)),
                    ))
                }
            },
            Method::GetContactInfo => ApiCall::GetContactInfo,
            Method::GetVisitorNumber => {
                require_callback(a(0))?;
                ApiCall::GetVisitorNumber
            }
            Method::GetUnreadMessagesCount => ApiCall::GetUnreadMessagesCount,
            Method::GetUtm => ApiCall::GetUtm,
            Method::IsCallbackEnabled => {
                require_callback(a(0))?;
                ApiCall::IsCallbackEnabled
            }
            Method::ClearHistory => ApiCall::ClearHistory,
            Method::JivoInit => ApiCall::JivoInit,
            Method::JivoDestroy => ApiCall::JivoDestroy,
        })
    }

    /// Validates a [`RawCall`].
    pub fn from_raw(raw: &RawCall) -> Result<ApiCall, ArgError> {
        ApiCall::from_args(raw.method, &raw.args)
    }

    /// The entry point this call is for.
    pub fn method(&self) -> Method {
        match self {
            ApiCall::Open { .. } => Method::Open,
            ApiCall::Close => Method::Close,
            ApiCall::ShowProactiveInvitation { .. } => Method::ShowProactiveInvitation,
            ApiCall::SetWidgetColor { .. } => Method::SetWidgetColor,
            ApiCall::ChatMode => Method::ChatMode,
            ApiCall::StartCall { .. } => Method::StartCall,
            ApiCall::SendOfflineMessage(_) => Method::SendOfflineMessage,
            ApiCall::SendPageTitle { .. } => Method::SendPageTitle,
            ApiCall::SetContactInfo(_) => Method::SetContactInfo,
            ApiCall::SetCustomData(_) => Method::SetCustomData,
            ApiCall::SetUserToken(_) => Method::SetUserToken,
            ApiCall::SetRules(_) => Method::SetRules,
            ApiCall::GetContactInfo => Method::GetContactInfo,
            ApiCall::GetVisitorNumber => Method::GetVisitorNumber,
            ApiCall::GetUnreadMessagesCount => Method::GetUnreadMessagesCount,
            ApiCall::GetUtm => Method::GetUtm,
            ApiCall::IsCallbackEnabled => Method::IsCallbackEnabled,
            ApiCall::ClearHistory => Method::ClearHistory,
            ApiCall::JivoInit => Method::JivoInit,
            ApiCall::JivoDestroy => Method::JivoDestroy,
        }
    }

    /// The arguments a page would pass for this call (functions as `{"$function": true}`);
    /// [`ApiCall::from_args`] turns them back into this call.
    pub fn to_args(&self) -> Vec<Value> {
        let s = |v: &str| Value::String(v.into());
        match self {
            ApiCall::Open { start } => {
                let mut m = Map::new();
                m.insert("start".into(), s(start.as_str()));
                vec![Value::Object(m)]
            }
            ApiCall::ShowProactiveInvitation {
                text,
                department_id,
            } => {
                let mut v = vec![s(text.as_str())];
                if let Some(d) = department_id {
                    v.push(Value::from(*d));
                }
                v
            }
            ApiCall::SetWidgetColor { color, color2 } => {
                let mut v = vec![s(color.as_str())];
                if let Some(c) = color2 {
                    v.push(s(c.as_str()));
                }
                v
            }
            ApiCall::StartCall { phone } => vec![s(phone.as_str())],
            ApiCall::SendOfflineMessage(m) => vec![m.to_value()],
            ApiCall::SendPageTitle {
                title,
                from_api,
                url,
            } => {
                let mut v = vec![s(title), Value::Bool(*from_api)];
                if let Some(u) = url {
                    v.push(s(u));
                }
                v
            }
            ApiCall::SetContactInfo(c) => vec![c.to_value()],
            ApiCall::SetCustomData(fields) => vec![Value::Array(
                fields.iter().map(CustomDataField::to_value).collect(),
            )],
            ApiCall::SetUserToken(t) => vec![s(t)],
            ApiCall::SetRules(r) => vec![Value::Object(r.clone())],
            ApiCall::GetVisitorNumber | ApiCall::IsCallbackEnabled => vec![function_marker()],
            ApiCall::Close
            | ApiCall::ChatMode
            | ApiCall::GetContactInfo
            | ApiCall::GetUnreadMessagesCount
            | ApiCall::GetUtm
            | ApiCall::ClearHistory
            | ApiCall::JivoInit
            | ApiCall::JivoDestroy => Vec::new(),
        }
    }

    /// The call as a [`RawCall`].
    pub fn to_raw(&self) -> RawCall {
        RawCall {
            method: self.method(),
            args: self.to_args(),
        }
    }
}

/// An unvalidated call: an entry point and the JSON arguments the page (or a console) passed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RawCall {
    /// The entry point.
    pub method: Method,
    /// The arguments, as JSON values.
    #[serde(default)]
    pub args: Vec<Value>,
}

impl TryFrom<RawCall> for ApiCall {
    type Error = ArgError;
    fn try_from(raw: RawCall) -> Result<ApiCall, ArgError> {
        ApiCall::from_raw(&raw)
    }
}

impl From<ApiCall> for RawCall {
    fn from(c: ApiCall) -> RawCall {
        c.to_raw()
    }
}

/// `open()`, `open(undefined)`, `open({})` → chat; `open({start})` → that start.
fn parse_open(v: Option<&Value>) -> Result<OpenStart, ArgError> {
    match v {
        None | Some(Value::Null) => Ok(OpenStart::Chat),
        Some(_) => {
            let m = object_arg(v, "{start: 'chat' | 'call' | 'menu'}")?;
            match m.get("start") {
                None | Some(Value::Null) => Ok(OpenStart::Chat),
                Some(Value::String(s)) => OpenStart::parse(s),
                other => Err(ArgError::new(
                    "start",
                    Problem::NotOpenStart(Got::of(other)),
                )),
            }
        }
    }
}

/// An optional whole, non-negative department id.
fn parse_department(v: Option<&Value>) -> Result<Option<u64>, ArgError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(u) = n.as_u64() {
                return Ok(Some(u));
            }
            match n.as_f64() {
                Some(f) if f >= 0.0 && f.fract() == 0.0 && f <= 9_007_199_254_740_991.0 => {
                    // A whole number within JavaScript's safe integers converts exactly.
                    Ok(Some(f as u64))
                }
                _ => Err(ArgError::new(
                    "department_id",
                    Problem::NotWholeNumber(n.to_string()),
                )),
            }
        }
        other => Err(ArgError::new(
            "department_id",
            Problem::NotNumber(Got::of(other)),
        )),
    }
}

/// A non-empty token string, or a whole number used as its decimal text.
fn parse_token(v: Option<&Value>) -> Result<String, ArgError> {
    match v {
        Some(Value::String(s)) => Ok(NonEmptyText::parse_field("token", s)?.as_str().to_string()),
        Some(Value::Number(n)) if n.is_u64() || n.is_i64() => Ok(n.to_string()),
        other => Err(ArgError::new("token", Problem::NotString(Got::of(other)))),
    }
}

fn require_callback(v: Option<&Value>) -> Result<(), ArgError> {
    match v {
        Some(v) if is_function_marker(v) => Ok(()),
        other => Err(ArgError::new(
            "callback",
            Problem::NotFunction(Got::of(other)),
        )),
    }
}

/// JavaScript truthiness of a serialised value (`fromApi`).
fn js_truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}
