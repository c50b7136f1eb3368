//! The typed argument values of [`ApiCall`](super::ApiCall): validated newtypes for colours,
//! phones, e-mail addresses and non-empty text, and the structured arguments of
//! `sendOfflineMessage`, `setContactInfo` and `setCustomData`.
//!
//! Every parser exists twice in spirit but once in code: the JSON path used by
//! [`ApiCall::from_args`](super::ApiCall::from_args) and the string path used by the popup
//! console's form fields (`HexColor::parse("#fff")`) share the same checks and the same
//! [`ArgError`] messages.

use core::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::phrase::{Part, Phrase};

/// The longest free text accepted (invitation text, messages, descriptions, custom data, titles,
/// URLs, tokens), in characters.
pub const MAX_TEXT_CHARS: usize = 10_000;
/// The longest name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// The longest e-mail address accepted, in characters (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;
/// The fewest digits a phone number may have.
pub const MIN_PHONE_DIGITS: usize = 5;
/// The most digits a phone number may have.
pub const MAX_PHONE_DIGITS: usize = 20;
/// The most fields `setCustomData` accepts.
pub const MAX_CUSTOM_FIELDS: usize = 100;

/// The key of the JSON object the page shim sends in place of a function argument:
/// `{"$function": true}`.
pub const FUNCTION_MARKER_KEY: &str = "$function";

/// The JSON value that stands for a function the page passed (`{"$function": true}`).
pub fn function_marker() -> Value {
    let mut m = Map::new();
    m.insert(FUNCTION_MARKER_KEY.into(), Value::Bool(true));
    Value::Object(m)
}

/// Whether `v` is the shim's stand-in for a function argument.
pub fn is_function_marker(v: &Value) -> bool {
    matches!(v, Value::Object(m) if m.get(FUNCTION_MARKER_KEY) == Some(&Value::Bool(true)))
}

/// Why arguments were refused: which argument (or field of one) and what was wrong with it.
///
/// Displayed as one sentence, e.g. `color must be a hex colour like #1a2b3c, got "red"` or
/// `fields[1].content is required`: the English of its [`ArgError::phrase`]. The page gets that
/// as the `reason`/`error` of the documented failure shape where the method has one; the
/// extension's surfaces say the phrase in their reader's language. Serialises as
/// `{"field":"color","problem":{"notHexColor":{"text":"red"}}}` (a finding's cause keeps it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArgError {
    field: String,
    problem: Problem,
}

impl ArgError {
    /// An error about `field` (`"color"`, `"fields[1].content"`, `"callback"`…).
    pub fn new(field: impl Into<String>, problem: Problem) -> ArgError {
        ArgError {
            field: field.into(),
            problem,
        }
    }

    /// The argument or field the error is about.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// What is wrong with it.
    pub fn problem(&self) -> &Problem {
        &self.problem
    }

    /// The whole sentence in English: `"{field} {problem}"`.
    pub fn message(&self) -> String {
        self.phrase().english()
    }

    /// The sentence, for a surface to say in its reader's language.
    pub fn phrase(&self) -> Phrase {
        self.problem.phrase(&self.field)
    }

    /// The same error about a field nested in `outer` (`fields[1]` + `content` →
    /// `fields[1].content`).
    pub fn within(self, outer: &str) -> ArgError {
        ArgError {
            field: format!("{outer}.{}", self.field),
            problem: self.problem,
        }
    }

    /// The same problem, said of `field` instead.
    pub fn about(self, field: impl Into<String>) -> ArgError {
        ArgError {
            field: field.into(),
            problem: self.problem,
        }
    }
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// What was wrong with an argument: the rest of the sentence that starts with its name.
/// Serialises externally tagged with camelCase names (`"required"`, `{"notString":"array"}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum Problem {
    /// It is missing (`content is required`).
    Required,
    /// It is blank.
    Empty,
    /// It is not a string.
    NotString(Got),
    /// It is not a number.
    NotNumber(Got),
    /// It is a number, but not a whole one of 0 or more (the number as the page gave it).
    NotWholeNumber(String),
    /// It is not a function.
    NotFunction(Got),
    /// It is not an object of the shape shown (`{start: 'chat' | 'call' | 'menu'}`).
    NotObjectLike(String, Got),
    /// It is not a JSON object.
    NotJsonObject(Got),
    /// The text typed is not JSON (the parser's reason).
    NotJson(String),
    /// Longer than this many characters (and how many it had, where it is said).
    TooLong {
        /// The most characters allowed.
        max: usize,
        /// How many it had.
        got: Option<usize>,
    },
    /// Not a hex colour.
    NotHexColor(Got),
    /// Not a phone number.
    NotPhone(Got),
    /// Not an e-mail address.
    NotEmail(Got),
    /// An e-mail address longer than [`MAX_EMAIL_CHARS`].
    EmailTooLong,
    /// Not one of `open`'s starts.
    NotOpenStart(Got),
    /// Not a link the widget shows.
    NotLink(Got),
    /// Not an array of custom-data fields.
    NotFieldList(Got),
    /// More custom-data fields than [`MAX_CUSTOM_FIELDS`] (how many it had).
    TooManyFields(usize),
    /// Neither an e-mail address nor a phone was given.
    NoWayToAnswer,
}

impl Problem {
    /// The sentence about `field`.
    pub fn phrase(&self, field: &str) -> Phrase {
        let f = Part::from(field);
        let (key, english, mut parts): (_, _, Vec<Part>) = match self {
            Problem::Required => ("arg_required", "$1 is required", vec![]),
            Problem::Empty => ("arg_empty", "$1 must not be empty", vec![]),
            Problem::NotString(got) => (
                "arg_not_string",
                "$1 must be a string, got $2",
                vec![got.phrase().into()],
            ),
            Problem::NotNumber(got) => (
                "arg_not_number",
                "$1 must be a number, got $2",
                vec![got.phrase().into()],
            ),
            Problem::NotWholeNumber(n) => (
                "arg_not_whole_number",
                "$1 must be a whole number of 0 or more, got $2",
                vec![n.as_str().into()],
            ),
            Problem::NotFunction(got) => (
                "arg_not_function",
                "$1 must be a function, got $2",
                vec![got.phrase().into()],
            ),
            Problem::NotObjectLike(shape, got) => (
                "arg_not_object_like",
                "$1 must be an object like $2, got $3",
                vec![shape.as_str().into(), got.phrase().into()],
            ),
            Problem::NotJsonObject(got) => (
                "arg_not_json_object",
                "$1 must be a JSON object, got $2",
                vec![got.phrase().into()],
            ),
            Problem::NotJson(why) => (
                "arg_not_json",
                "$1 must be a JSON object: $2",
                vec![why.as_str().into()],
            ),
            Problem::TooLong { max, got: None } => (
                "arg_too_long",
                "$1 must be at most $2 characters",
                vec![max.to_string().into()],
            ),
            Problem::TooLong { max, got: Some(n) } => (
                "arg_too_long_got",
                "$1 must be at most $2 characters, got $3",
                vec![max.to_string().into(), n.to_string().into()],
            ),
            Problem::NotHexColor(got) => (
                "arg_not_hex_color",
                "$1 must be a hex colour like #1a2b3c, got $2",
                vec![got.phrase().into()],
            ),
            Problem::NotPhone(got) => (
                "arg_not_phone",
                "$1 must be $2–$3 digits with an optional leading +, got $4",
                vec![
                    MIN_PHONE_DIGITS.to_string().into(),
                    MAX_PHONE_DIGITS.to_string().into(),
                    got.phrase().into(),
                ],
            ),
            Problem::NotEmail(got) => (
                "arg_not_email",
                "$1 is not a valid address, got $2",
                vec![got.phrase().into()],
            ),
            Problem::EmailTooLong => (
                "arg_email_too_long",
                "$1 is not a valid address: longer than $2 characters",
                vec![MAX_EMAIL_CHARS.to_string().into()],
            ),
            Problem::NotOpenStart(got) => (
                "arg_not_open_start",
                "$1 must be one of \"chat\", \"call\", \"menu\", got $2",
                vec![got.phrase().into()],
            ),
            Problem::NotLink(got) => (
                "arg_not_link",
                "$1 must be an http(s), mailto: or tel: URL or a relative one, got $2",
                vec![got.phrase().into()],
            ),
            Problem::NotFieldList(got) => (
                "arg_not_field_list",
                "$1 must be an array of {content, title, link, key} objects, got $2",
                vec![got.phrase().into()],
            ),
            Problem::TooManyFields(n) => (
                "arg_too_many_fields",
                "$1 must have at most $2 entries, got $3",
                vec![MAX_CUSTOM_FIELDS.to_string().into(), n.to_string().into()],
            ),
            Problem::NoWayToAnswer => (
                "arg_no_way_to_answer",
                "$1 is required so that an agent can answer",
                vec![],
            ),
        };
        parts.insert(0, f);
        Phrase::new(key, english, parts)
    }
}

/// What the page gave instead, as an error message says it: `"red"`, `null`, `the number 5`,
/// `an array`, `a function`… Serialises externally tagged with camelCase names (`"nothing"`,
/// `{"text":"red"}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Got {
    /// No argument at all.
    Nothing,
    /// `null` (or `undefined`, which the shim sends as `null`).
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as JSON writes it.
    Number(String),
    /// A string, cut to 40 characters.
    Text(String),
    /// An array.
    Array,
    /// A function.
    Function,
    /// Another object.
    Object,
}

impl Got {
    /// What `v` is.
    pub fn of(v: Option<&Value>) -> Got {
        match v {
            None => Got::Nothing,
            Some(Value::Null) => Got::Null,
            Some(Value::Bool(b)) => Got::Bool(*b),
            Some(Value::Number(n)) => Got::Number(n.to_string()),
            Some(Value::String(s)) => Got::text(s),
            Some(Value::Array(_)) => Got::Array,
            Some(v) if is_function_marker(v) => Got::Function,
            Some(Value::Object(_)) => Got::Object,
        }
    }

    /// The string `s`, cut to 40 characters.
    pub fn text(s: &str) -> Got {
        const MAX: usize = 40;
        let mut cut: String = s.chars().take(MAX).collect();
        if s.chars().nth(MAX).is_some() {
            cut.push('…');
        }
        Got::Text(cut)
    }

    /// How an error message says it.
    pub fn phrase(&self) -> Phrase {
        let (key, english, parts): (_, _, Vec<Part>) = match self {
            Got::Nothing => ("got_nothing", "nothing", vec![]),
            Got::Null => ("got_null", "null", vec![]),
            Got::Bool(b) => ("got_value", "$1", vec![b.to_string().into()]),
            Got::Number(n) => ("got_number", "the number $1", vec![n.as_str().into()]),
            Got::Text(s) => (
                "got_value",
                "$1",
                vec![serde_json::to_string(s)
                    .unwrap_or_else(|_| "a string".into())
                    .into()],
            ),
            Got::Array => ("got_array", "an array", vec![]),
            Got::Function => ("got_function", "a function", vec![]),
            Got::Object => ("got_object", "an object", vec![]),
        };
        Phrase::new(key, english, parts)
    }
}

/// Checks a string's length in characters.
fn check_len(field: &str, s: &str, max: usize) -> Result<(), ArgError> {
    let n = s.chars().count();
    if n > max {
        Err(ArgError::new(field, Problem::TooLong { max, got: Some(n) }))
    } else {
        Ok(())
    }
}

/// A required string argument, or an error naming the expected type.
pub(crate) fn required_str<'a>(field: &str, v: Option<&'a Value>) -> Result<&'a str, ArgError> {
    match v {
        Some(Value::String(s)) => Ok(s),
        other => Err(ArgError::new(field, Problem::NotString(Got::of(other)))),
    }
}

/// An optional string argument: absent, `null` and `""` (after trimming) are `None`.
/// The result is trimmed and length-checked.
pub(crate) fn optional_text(
    field: &str,
    v: Option<&Value>,
    max: usize,
) -> Result<Option<String>, ArgError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => optional_text_str(field, s, max),
        other => Err(ArgError::new(field, Problem::NotString(Got::of(other)))),
    }
}

/// The string form of [`optional_text`]: empty after trimming is `None`.
pub(crate) fn optional_text_str(
    field: &str,
    s: &str,
    max: usize,
) -> Result<Option<String>, ArgError> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    check_len(field, t, max)?;
    Ok(Some(t.to_string()))
}

macro_rules! string_newtype_serde {
    ($t:ident) => {
        impl TryFrom<String> for $t {
            type Error = ArgError;
            fn try_from(s: String) -> Result<$t, ArgError> {
                $t::parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

/// A CSS hex colour, `#rgb` or `#rrggbb`, stored trimmed and lower-cased (`#1A2B3C` → `#1a2b3c`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HexColor(String);

impl HexColor {
    /// Parses a colour typed as `color`; see [`HexColor::parse_field`].
    pub fn parse(s: &str) -> Result<HexColor, ArgError> {
        HexColor::parse_field("color", s)
    }

    /// Parses `#rgb` or `#rrggbb` (surrounding spaces ignored, any case); errors name `field`.
    pub fn parse_field(field: &str, s: &str) -> Result<HexColor, ArgError> {
        let t = s.trim();
        let ok = t.strip_prefix('#').is_some_and(|h| {
            (h.len() == 3 || h.len() == 6) && h.bytes().all(|b| b.is_ascii_hexdigit())
        });
        if ok {
            Ok(HexColor(t.to_ascii_lowercase()))
        } else {
            Err(ArgError::new(field, Problem::NotHexColor(Got::text(s))))
        }
    }

    /// The colour as text, e.g. `#1a2b3c`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The red, green and blue components (`#abc` is `#aabbcc`).
    pub fn rgb(&self) -> (u8, u8, u8) {
        let h = self.0.trim_start_matches('#').as_bytes();
        let nib = |b: u8| match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            _ => 0,
        };
        let at = |i: usize| h.get(i).copied().map(nib).unwrap_or(0);
        if h.len() == 3 {
            (at(0) * 17, at(1) * 17, at(2) * 17)
        } else {
            (at(0) * 16 + at(1), at(2) * 16 + at(3), at(4) * 16 + at(5))
        }
    }
}
string_newtype_serde!(HexColor);

/// A phone number: 5–20 digits with an optional leading `+`. Spaces, dashes, dots and
/// parentheses between digits are accepted and dropped (`+1 (408) 498-7855` → `+14084987855`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    /// Parses a number typed as `phone`; see [`Phone::parse_field`].
    pub fn parse(s: &str) -> Result<Phone, ArgError> {
        Phone::parse_field("phone", s)
    }

    /// Parses a phone number; errors name `field`.
    pub fn parse_field(field: &str, s: &str) -> Result<Phone, ArgError> {
        let err = || ArgError::new(field, Problem::NotPhone(Got::text(s)));
        let t = s.trim();
        let (plus, rest) = match t.strip_prefix('+') {
            Some(r) => (true, r),
            None => (false, t),
        };
        let mut out = String::with_capacity(rest.len() + 1);
        if plus {
            out.push('+');
        }
        let mut digits = 0usize;
        for c in rest.chars() {
            match c {
                '0'..='9' => {
                    digits += 1;
                    out.push(c);
                }
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(err()),
            }
        }
        if (MIN_PHONE_DIGITS..=MAX_PHONE_DIGITS).contains(&digits) {
            Ok(Phone(out))
        } else {
            Err(err())
        }
    }

    /// The normalised number, e.g. `+14084987855`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
string_newtype_serde!(Phone);

/// An e-mail address: `local@domain.tld`, no spaces, at most 254 characters, a domain of at
/// least two dot-separated labels of letters, digits and inner hyphens. Stored trimmed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses an address typed as `email`; see [`Email::parse_field`].
    pub fn parse(s: &str) -> Result<Email, ArgError> {
        Email::parse_field("email", s)
    }

    /// Parses an e-mail address; errors name `field`.
    pub fn parse_field(field: &str, s: &str) -> Result<Email, ArgError> {
        let t = s.trim();
        if t.chars().count() > MAX_EMAIL_CHARS {
            return Err(ArgError::new(field, Problem::EmailTooLong));
        }
        if Email::looks_valid(t) {
            Ok(Email(t.to_string()))
        } else {
            Err(ArgError::new(field, Problem::NotEmail(Got::text(s))))
        }
    }

    fn looks_valid(t: &str) -> bool {
        let Some((local, domain)) = t.rsplit_once('@') else {
            return false;
        };
        let local_ok = !local.is_empty()
            && local.chars().count() <= 64
            && !local.contains('@')
            && local
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[],;:\\\"".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.chars().count() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
            && labels.last().is_some_and(|tld| {
                tld.chars().count() >= 2 && !tld.chars().all(|c| c.is_ascii_digit())
            });
        local_ok && domain_ok
    }

    /// The address as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
string_newtype_serde!(Email);

/// Text that is not empty or only whitespace, at most [`MAX_TEXT_CHARS`] characters; stored
/// trimmed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NonEmptyText(String);

impl NonEmptyText {
    /// Parses text typed as `text`; see [`NonEmptyText::parse_field`].
    pub fn parse(s: &str) -> Result<NonEmptyText, ArgError> {
        NonEmptyText::parse_field("text", s)
    }

    /// Parses non-empty text; errors name `field`.
    pub fn parse_field(field: &str, s: &str) -> Result<NonEmptyText, ArgError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(ArgError::new(field, Problem::Empty));
        }
        check_len(field, t, MAX_TEXT_CHARS)?;
        Ok(NonEmptyText(t.to_string()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
string_newtype_serde!(NonEmptyText);

/// Where `open({start})` opens the widget.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OpenStart {
    /// `chat`, the default: the chat window.
    #[default]
    Chat,
    /// `call`: the window with the callback request form.
    Call,
    /// `menu`: the (mobile) menu for choosing a communication channel.
    Menu,
}

impl OpenStart {
    /// The documented value: `chat`, `call` or `menu`.
    pub fn as_str(self) -> &'static str {
        match self {
            OpenStart::Chat => "chat",
            OpenStart::Call => "call",
            OpenStart::Menu => "menu",
        }
    }

    /// Parses `chat`, `call` or `menu` (exactly, as the widget compares them).
    pub fn parse(s: &str) -> Result<OpenStart, ArgError> {
        match s {
            "chat" => Ok(OpenStart::Chat),
            "call" => Ok(OpenStart::Call),
            "menu" => Ok(OpenStart::Menu),
            _ => Err(ArgError::new("start", Problem::NotOpenStart(Got::text(s)))),
        }
    }
}

/// The object argument of a method, or an error showing the expected shape.
pub(crate) fn object_arg<'a>(
    v: Option<&'a Value>,
    shape: &'static str,
) -> Result<&'a Map<String, Value>, ArgError> {
    match v {
        Some(Value::Object(m)) if m.get(FUNCTION_MARKER_KEY) != Some(&Value::Bool(true)) => Ok(m),
        other => Err(ArgError::new(
            "argument",
            Problem::NotObjectLike(shape.to_owned(), Got::of(other)),
        )),
    }
}

fn optional_email(field: &str, v: Option<&Value>) -> Result<Option<Email>, ArgError> {
    optional_text(field, v, MAX_TEXT_CHARS)?
        .map(|s| Email::parse_field(field, &s))
        .transpose()
}

fn optional_phone(field: &str, v: Option<&Value>) -> Result<Option<Phone>, ArgError> {
    optional_text(field, v, MAX_TEXT_CHARS)?
        .map(|s| Phone::parse_field(field, &s))
        .transpose()
}

fn optional_email_str(field: &str, s: &str) -> Result<Option<Email>, ArgError> {
    optional_text_str(field, s, MAX_TEXT_CHARS)?
        .map(|s| Email::parse_field(field, &s))
        .transpose()
}

fn optional_phone_str(field: &str, s: &str) -> Result<Option<Phone>, ArgError> {
    optional_text_str(field, s, MAX_TEXT_CHARS)?
        .map(|s| Phone::parse_field(field, &s))
        .transpose()
}

fn put(m: &mut Map<String, Value>, key: &str, v: Option<&str>) {
    if let Some(v) = v {
        m.insert(key.into(), Value::String(v.into()));
    }
}

/// The argument of `sendOfflineMessage`: the offline form, filled in by the page.
///
/// `message` is required; so is at least one of `email` and `phone` (an agent must be able to
/// answer). `name` and `description` are optional. Empty strings count as absent (the reference's
/// own example passes `"email": ""`). Present values are validated like the form's fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfflineMessage {
    /// The client's name.
    pub name: Option<String>,
    /// The client's e-mail address.
    pub email: Option<Email>,
    /// The client's phone number.
    pub phone: Option<Phone>,
    /// Additional information about the client.
    pub description: Option<String>,
    /// The offline message text.
    pub message: NonEmptyText,
}

impl OfflineMessage {
    const SHAPE: &'static str = "{name, email, phone, description, message}";

    /// Parses the JSON object the page passed.
    pub fn from_value(v: Option<&Value>) -> Result<OfflineMessage, ArgError> {
        let m = object_arg(v, OfflineMessage::SHAPE)?;
        let name = optional_text("name", m.get("name"), MAX_NAME_CHARS)?;
        let email = optional_email("email", m.get("email"))?;
        let phone = optional_phone("phone", m.get("phone"))?;
        let description = optional_text("description", m.get("description"), MAX_TEXT_CHARS)?;
        let message = match m.get("message") {
            None | Some(Value::Null) => return Err(ArgError::new("message", Problem::Required)),
            Some(Value::String(s)) => NonEmptyText::parse_field("message", s)?,
            other => return Err(ArgError::new("message", Problem::NotString(Got::of(other)))),
        };
        OfflineMessage::finish(name, email, phone, description, message)
    }

    /// Builds the message from form fields (empty fields are absent); same rules and messages
    /// as [`OfflineMessage::from_value`].
    pub fn from_form(
        name: &str,
        email: &str,
        phone: &str,
        description: &str,
        message: &str,
    ) -> Result<OfflineMessage, ArgError> {
        let name = optional_text_str("name", name, MAX_NAME_CHARS)?;
        let email = optional_email_str("email", email)?;
        let phone = optional_phone_str("phone", phone)?;
        let description = optional_text_str("description", description, MAX_TEXT_CHARS)?;
        let message = NonEmptyText::parse_field("message", message)?;
        OfflineMessage::finish(name, email, phone, description, message)
    }

    fn finish(
        name: Option<String>,
        email: Option<Email>,
        phone: Option<Phone>,
        description: Option<String>,
        message: NonEmptyText,
    ) -> Result<OfflineMessage, ArgError> {
        if email.is_none() && phone.is_none() {
            return Err(ArgError::new("email or phone", Problem::NoWayToAnswer));
        }
        Ok(OfflineMessage {
            name,
            email,
            phone,
            description,
            message,
        })
    }

    /// The JSON object form, with only the present fields.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        put(&mut m, "name", self.name.as_deref());
        put(&mut m, "email", self.email.as_ref().map(Email::as_str));
        put(&mut m, "phone", self.phone.as_ref().map(Phone::as_str));
        put(&mut m, "description", self.description.as_deref());
        put(&mut m, "message", Some(self.message.as_str()));
        Value::Object(m)
    }
}

/// The visitor's contact details: the argument of `setContactInfo`, and what the contact form
/// and `getContactInfo()` deal in. Every field is optional; empty strings count as absent;
/// present e-mail and phone values are validated.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactInfo {
    /// The client's name (`client_name` in `getContactInfo()`).
    #[serde(default)]
    pub name: Option<String>,
    /// The client's e-mail address.
    #[serde(default)]
    pub email: Option<Email>,
    /// The client's phone number.
    #[serde(default)]
    pub phone: Option<Phone>,
    /// Additional information about the client.
    #[serde(default)]
    pub description: Option<String>,
}

impl ContactInfo {
    const SHAPE: &'static str = "{name, email, phone, description}";

    /// Parses the JSON object the page passed to `setContactInfo`.
    pub fn from_value(v: Option<&Value>) -> Result<ContactInfo, ArgError> {
        let m = object_arg(v, ContactInfo::SHAPE)?;
        Ok(ContactInfo {
            name: optional_text("name", m.get("name"), MAX_NAME_CHARS)?,
            email: optional_email("email", m.get("email"))?,
            phone: optional_phone("phone", m.get("phone"))?,
            description: optional_text("description", m.get("description"), MAX_TEXT_CHARS)?,
        })
    }

    /// Builds contact info from form fields (empty fields are absent).
    pub fn from_form(
        name: &str,
        email: &str,
        phone: &str,
        description: &str,
    ) -> Result<ContactInfo, ArgError> {
        Ok(ContactInfo {
            name: optional_text_str("name", name, MAX_NAME_CHARS)?,
            email: optional_email_str("email", email)?,
            phone: optional_phone_str("phone", phone)?,
            description: optional_text_str("description", description, MAX_TEXT_CHARS)?,
        })
    }

    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.email.is_none()
            && self.phone.is_none()
            && self.description.is_none()
    }

    /// The fields of `other` that are set replace those of `self`; the others stay.
    pub fn merge(&mut self, other: &ContactInfo) {
        if other.name.is_some() {
            self.name.clone_from(&other.name);
        }
        if other.email.is_some() {
            self.email.clone_from(&other.email);
        }
        if other.phone.is_some() {
            self.phone.clone_from(&other.phone);
        }
        if other.description.is_some() {
            self.description.clone_from(&other.description);
        }
    }

    /// The `setContactInfo` argument form, with only the present fields.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        put(&mut m, "name", self.name.as_deref());
        put(&mut m, "email", self.email.as_ref().map(Email::as_str));
        put(&mut m, "phone", self.phone.as_ref().map(Phone::as_str));
        put(&mut m, "description", self.description.as_deref());
        Value::Object(m)
    }

    /// Exactly what `getContactInfo()` returns: `{client_name, email, phone, description}` with
    /// `null` for each field that is not set.
    pub fn to_contact_info_result(&self) -> Value {
        let s = |v: Option<&str>| v.map_or(Value::Null, |s| Value::String(s.into()));
        let mut m = Map::new();
        m.insert("client_name".into(), s(self.name.as_deref()));
        m.insert("email".into(), s(self.email.as_ref().map(Email::as_str)));
        m.insert("phone".into(), s(self.phone.as_ref().map(Phone::as_str)));
        m.insert("description".into(), s(self.description.as_deref()));
        Value::Object(m)
    }
}

/// One field of `setCustomData`, shown to the agent in the client's information panel.
///
/// `content` is required and not empty; `title`, `link` and `key` are optional. A `link` must
/// be an `http:`, `https:`, `mailto:` or `tel:` URL or a relative one (no `javascript:` links in
/// the agent's view).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomDataField {
    /// The field's content (shown as text; tags are not interpreted).
    pub content: String,
    /// The title shown above the field.
    #[serde(default)]
    pub title: Option<String>,
    /// The URL opened when the field is clicked.
    #[serde(default)]
    pub link: Option<String>,
    /// A label shown in bold before the content, followed by a colon.
    #[serde(default)]
    pub key: Option<String>,
}

impl CustomDataField {
    /// Parses one field object; errors name the field inside it (`content is required`);
    /// [`parse_custom_data`] prefixes them with `fields[i]`.
    pub fn from_value(v: &Value) -> Result<CustomDataField, ArgError> {
        let Value::Object(m) = v else {
            return Err(ArgError::new(
                "field",
                Problem::NotObjectLike("{content, title, link, key}".to_owned(), Got::of(Some(v))),
            ));
        };
        let content = match optional_text("content", m.get("content"), MAX_TEXT_CHARS)? {
            Some(c) => c,
            None => return Err(ArgError::new("content", Problem::Required)),
        };
        let title = optional_text("title", m.get("title"), MAX_TEXT_CHARS)?;
        let link = optional_text("link", m.get("link"), MAX_TEXT_CHARS)?;
        if let Some(l) = &link {
            check_link("link", l)?;
        }
        let key = optional_text("key", m.get("key"), MAX_TEXT_CHARS)?;
        Ok(CustomDataField {
            content,
            title,
            link,
            key,
        })
    }

    /// Builds a field from form inputs (empty optional inputs are absent).
    pub fn from_form(
        content: &str,
        title: &str,
        link: &str,
        key: &str,
    ) -> Result<CustomDataField, ArgError> {
        let Some(content) = optional_text_str("content", content, MAX_TEXT_CHARS)? else {
            return Err(ArgError::new("content", Problem::Required));
        };
        let link = optional_text_str("link", link, MAX_TEXT_CHARS)?;
        if let Some(l) = &link {
            check_link("link", l)?;
        }
        Ok(CustomDataField {
            content,
            title: optional_text_str("title", title, MAX_TEXT_CHARS)?,
            link,
            key: optional_text_str("key", key, MAX_TEXT_CHARS)?,
        })
    }

    /// The JSON object form, with only the present fields.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        put(&mut m, "content", Some(&self.content));
        put(&mut m, "title", self.title.as_deref());
        put(&mut m, "link", self.link.as_deref());
        put(&mut m, "key", self.key.as_deref());
        Value::Object(m)
    }
}

/// Accepts `http:`, `https:`, `mailto:`, `tel:` and relative URLs.
fn check_link(field: &str, l: &str) -> Result<(), ArgError> {
    // A colon before any `/`, `?` or `#` ends a scheme; otherwise the URL is relative.
    let scheme = l
        .split_once(':')
        .map(|(s, _)| s)
        .filter(|s| !s.contains(['/', '?', '#']));
    match scheme.map(str::to_ascii_lowercase).as_deref() {
        None | Some("http" | "https" | "mailto" | "tel") => Ok(()),
        Some(_) => Err(ArgError::new(field, Problem::NotLink(Got::text(l)))),
    }
}

/// Parses the `fields` array of `setCustomData`: at most [`MAX_CUSTOM_FIELDS`] objects, order
/// kept. Errors name the field, e.g. `fields[1].content is required`.
pub fn parse_custom_data(v: Option<&Value>) -> Result<Vec<CustomDataField>, ArgError> {
    let Some(Value::Array(items)) = v else {
        return Err(ArgError::new("fields", Problem::NotFieldList(Got::of(v))));
    };
    if items.len() > MAX_CUSTOM_FIELDS {
        return Err(ArgError::new("fields", Problem::TooManyFields(items.len())));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            CustomDataField::from_value(item).map_err(|e| {
                let outer = format!("fields[{i}]");
                if e.field() == "field" {
                    e.about(outer)
                } else {
                    e.within(&outer)
                }
            })
        })
        .collect()
}
