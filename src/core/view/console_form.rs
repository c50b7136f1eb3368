//! The API console's forms, without the DOM: which fields each entry point has, and how the
//! values typed into them become a validated [`RawCall`] (or the [`ArgError`] shown next to the
//! field it is about).

use serde_json::Value;

use crate::api::call::{
    function_marker, ApiCall, ArgError, ContactInfo, CustomDataField, HexColor, NonEmptyText,
    OfflineMessage, OpenStart, Phone, Problem, RawCall,
};
use crate::api::Method;

/// How a field is edited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A one-line text input.
    Text,
    /// A checkbox (`"true"` when checked).
    Check,
    /// A multi-line text area.
    Area,
    /// A choice among fixed values.
    Select(&'static [&'static str]),
}

/// One input of a method's form; its element id is `api-arg-<name>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// The argument's documented name.
    pub name: &'static str,
    /// How it is edited.
    pub kind: Kind,
    /// An example value shown in the empty input.
    pub placeholder: &'static str,
}

const fn text(name: &'static str, placeholder: &'static str) -> Field {
    Field {
        name,
        kind: Kind::Text,
        placeholder,
    }
}

const CONTACT: [Field; 4] = [
    text("name", "Alex"),
    text("email", "alex@example.com"),
    text("phone", "+15551234567"),
    text("description", ""),
];

/// The names of a custom-data row's inputs (`api-arg-fields-<row>-<name>`), in display order.
pub const CUSTOM_FIELD_PARTS: [&str; 4] = ["title", "key", "content", "link"];

/// The fixed fields of `method`'s form (`setCustomData` has rows instead, see
/// [`CUSTOM_FIELD_PARTS`]).
pub fn fields(method: Method) -> Vec<Field> {
    match method {
        Method::Open => vec![Field {
            name: "start",
            kind: Kind::Select(&["chat", "call", "menu"]),
            placeholder: "",
        }],
        Method::ShowProactiveInvitation => vec![
            text("invitation_text", "Can we help you?"),
            text("department_id", "optional number"),
        ],
        Method::SetWidgetColor => vec![text("color", "#1a2b3c"), text("color2", "optional")],
        Method::StartCall => vec![text("phone", "+15551234567")],
        Method::SendOfflineMessage => {
            let mut v = CONTACT.to_vec();
            v.push(Field {
                name: "message",
                kind: Kind::Area,
                placeholder: "",
            });
            v
        }
        Method::SendPageTitle => vec![
            text("title", "Checkout"),
            Field {
                name: "fromApi",
                kind: Kind::Check,
                placeholder: "",
            },
            text("url", "optional"),
        ],
        Method::SetContactInfo => CONTACT.to_vec(),
        Method::SetUserToken => vec![text("token", "user-42")],
        Method::SetRules => vec![Field {
            name: "rules",
            kind: Kind::Area,
            placeholder: "{\"greeting\": \"Hi\"}",
        }],
        _ => Vec::new(),
    }
}

/// The element id an error about `field` is shown in: `fields[1].content` → `fields-1-content`.
pub fn error_slot(field: &str) -> String {
    field
        .chars()
        .filter(|c| *c != ']')
        .map(|c| if matches!(c, '[' | '.' | ' ') { '-' } else { c })
        .collect()
}

/// Builds the call from the form: `get(name)` reads the input `api-arg-<name>` (`""` when
/// absent), `rows` is the number of custom-data rows. Every value is checked with the same
/// parsers the widget uses, then the whole call with [`ApiCall::from_args`].
pub fn build_call(
    method: Method,
    get: &dyn Fn(&str) -> String,
    rows: usize,
) -> Result<RawCall, ArgError> {
    let s = |v: &str| Value::String(v.to_owned());
    let args: Vec<Value> = match method {
        Method::Open => {
            let start = OpenStart::parse(&get("start"))?;
            ApiCall::Open { start }.to_args()
        }
        Method::ShowProactiveInvitation => {
            let text = NonEmptyText::parse_field("invitation_text", &get("invitation_text"))?;
            let mut v = vec![s(text.as_str())];
            let dep = get("department_id");
            let dep = dep.trim();
            if !dep.is_empty() {
                let n: u64 = dep.parse().map_err(|_| {
                    ArgError::new(
                        "department_id",
                        Problem::NotWholeNumber(format!("\"{dep}\"")),
                    )
                })?;
                v.push(Value::from(n));
            }
            v
        }
        Method::SetWidgetColor => {
            let color = HexColor::parse_field("color", &get("color"))?;
            let mut v = vec![s(color.as_str())];
            let c2 = get("color2");
            if !c2.trim().is_empty() {
                v.push(s(HexColor::parse_field("color2", &c2)?.as_str()));
            }
            v
        }
        Method::StartCall => vec![s(Phone::parse_field("phone", &get("phone"))?.as_str())],
        Method::SendOfflineMessage => vec![OfflineMessage::from_form(
            &get("name"),
            &get("email"),
            &get("phone"),
            &get("description"),
            &get("message"),
        )?
        .to_value()],
        Method::SendPageTitle => {
            let mut v = vec![s(&get("title")), Value::Bool(get("fromApi") == "true")];
            let url = get("url");
            if !url.trim().is_empty() {
                v.push(s(url.trim()));
            }
            v
        }
        Method::SetContactInfo => vec![ContactInfo::from_form(
            &get("name"),
            &get("email"),
            &get("phone"),
            &get("description"),
        )?
        .to_value()],
        Method::SetCustomData => {
            let mut out = Vec::new();
            for row in 0..rows {
                let part = |p: &str| get(&format!("fields-{row}-{p}"));
                let [title, key, content, link] = CUSTOM_FIELD_PARTS.map(part);
                if [&title, &key, &content, &link]
                    .iter()
                    .all(|v| v.trim().is_empty())
                {
                    continue;
                }
                let field = CustomDataField::from_form(&content, &title, &link, &key)
                    .map_err(|e| e.within(&format!("fields[{row}]")))?;
                out.push(field.to_value());
            }
            vec![Value::Array(out)]
        }
        Method::SetUserToken => {
            vec![s(
                NonEmptyText::parse_field("token", &get("token"))?.as_str()
            )]
        }
        Method::SetRules => {
            let text = get("rules");
            let v: Value = serde_json::from_str(&text)
                .map_err(|e| ArgError::new("rules", Problem::NotJson(e.to_string())))?;
            vec![v]
        }
        Method::GetVisitorNumber | Method::IsCallbackEnabled => vec![function_marker()],
        _ => Vec::new(),
    };
    Ok(ApiCall::from_args(method, &args)?.to_raw())
}

/// The call the form describes *without* checking it, for "send anyway": the console's way to
/// exercise a widget's failure paths (`{result: 'fail'}`, a thrown error) with arguments
/// [`build_call`] refuses. Texts go as typed (trimmed only where `build_call` trims), empty
/// optional fields are left out, a number field that is not a number goes as text, and
/// `rules` that are not JSON go as the text typed.
pub fn build_unchecked(method: Method, get: &dyn Fn(&str) -> String, rows: usize) -> RawCall {
    let s = |v: &str| Value::String(v.to_owned());
    let object = |names: &[&str]| {
        let mut m = serde_json::Map::new();
        for name in names {
            let v = get(name);
            if !v.is_empty() {
                m.insert((*name).to_owned(), s(&v));
            }
        }
        Value::Object(m)
    };
    let args: Vec<Value> = match method {
        Method::Open => {
            let mut m = serde_json::Map::new();
            m.insert("start".into(), s(&get("start")));
            vec![Value::Object(m)]
        }
        Method::ShowProactiveInvitation => {
            let mut v = vec![s(&get("invitation_text"))];
            let dep = get("department_id");
            let dep = dep.trim();
            if !dep.is_empty() {
                v.push(dep.parse::<i64>().map_or_else(|_| s(dep), Value::from));
            }
            v
        }
        Method::SetWidgetColor => {
            let mut v = vec![s(&get("color"))];
            let c2 = get("color2");
            if !c2.is_empty() {
                v.push(s(&c2));
            }
            v
        }
        Method::StartCall => vec![s(&get("phone"))],
        Method::SendOfflineMessage => {
            vec![object(&[
                "name",
                "email",
                "phone",
                "description",
                "message",
            ])]
        }
        Method::SendPageTitle => {
            let mut v = vec![s(&get("title")), Value::Bool(get("fromApi") == "true")];
            let url = get("url");
            if !url.trim().is_empty() {
                v.push(s(url.trim()));
            }
            v
        }
        Method::SetContactInfo => vec![object(&["name", "email", "phone", "description"])],
        Method::SetCustomData => {
            let mut out = Vec::new();
            for row in 0..rows {
                let mut m = serde_json::Map::new();
                for part in CUSTOM_FIELD_PARTS {
                    let v = get(&format!("fields-{row}-{part}"));
                    if !v.is_empty() {
                        m.insert(part.to_owned(), s(&v));
                    }
                }
                if !m.is_empty() {
                    out.push(Value::Object(m));
                }
            }
            vec![Value::Array(out)]
        }
        Method::SetUserToken => vec![s(&get("token"))],
        Method::SetRules => {
            let text = get("rules");
            vec![serde_json::from_str(&text).unwrap_or_else(|_| s(&text))]
        }
        Method::GetVisitorNumber | Method::IsCallbackEnabled => vec![function_marker()],
        _ => Vec::new(),
    };
    RawCall { method, args }
}

/// The start of the log note of a console call sent on purpose with invalid arguments.
pub const SENT_ANYWAY: &str = "sent anyway with invalid arguments";

/// Why a console call's arguments are invalid (the [`ArgError`](crate::api::call::ArgError)'s
/// sentence), or `None` when they are valid. A callback-style method is judged with the
/// function the shim adds. The background judges every console call once, before it goes to
/// the content script ([`ToContent::CallApi`](crate::protocol::runtime::ToContent::CallApi)).
pub fn invalid_args(call: &RawCall) -> Option<String> {
    let mut checked = call.clone();
    if call.method.answers_through_callback()
        && !call.args.iter().any(crate::api::call::is_function_marker)
    {
        checked.args.push(function_marker());
    }
    ApiCall::from_raw(&checked).err().map(|e| e.to_string())
}

/// The log note of a console call sent with "send anyway" whose arguments are invalid because
/// of `why` ([`invalid_args`]): `sent anyway with invalid arguments: <why>`.
pub fn sent_anyway_note(why: &str) -> String {
    format!("{SENT_ANYWAY}: {why}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> String + 'a {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
                .unwrap_or_default()
        }
    }

    #[test]
    fn valid_forms_become_calls() {
        let call = build_call(Method::Open, &form(&[("start", "menu")]), 0).unwrap();
        assert_eq!(call.args, vec![json!({"start": "menu"})]);
        let call = build_call(
            Method::SetWidgetColor,
            &form(&[("color", " #ABC "), ("color2", "")]),
            0,
        )
        .unwrap();
        assert_eq!(call.args, vec![json!("#abc")]);
        let call = build_call(Method::GetVisitorNumber, &form(&[]), 0).unwrap();
        assert_eq!(call.args, vec![function_marker()]);
        let call = build_call(
            Method::SetCustomData,
            &form(&[
                ("fields-0-content", "2 items"),
                ("fields-0-key", "Cart"),
                ("fields-2-content", "x"),
            ]),
            3,
        )
        .unwrap();
        assert_eq!(
            call.args,
            vec![json!([{"content": "2 items", "key": "Cart"}, {"content": "x"}])]
        );
        let call = build_call(Method::SetRules, &form(&[("rules", r#"{"a": 1}"#)]), 0).unwrap();
        assert_eq!(call.args, vec![json!({"a": 1})]);
    }

    #[test]
    fn invalid_forms_name_the_field() {
        let err = build_call(Method::SetWidgetColor, &form(&[("color", "red")]), 0).unwrap_err();
        assert_eq!(error_slot(err.field()), "color");
        let err =
            build_call(Method::SetCustomData, &form(&[("fields-1-title", "t")]), 2).unwrap_err();
        assert_eq!(err.to_string(), "fields[1].content is required");
        assert_eq!(error_slot(err.field()), "fields-1-content");
        let err = build_call(Method::SetRules, &form(&[("rules", "[1]")]), 0).unwrap_err();
        assert_eq!(err.field(), "rules");
        let err = build_call(Method::StartCall, &form(&[("phone", "12")]), 0).unwrap_err();
        assert_eq!(err.field(), "phone");
        let err = build_call(
            Method::ShowProactiveInvitation,
            &form(&[("invitation_text", "hi"), ("department_id", "-1")]),
            0,
        )
        .unwrap_err();
        assert_eq!(err.field(), "department_id");
    }

    #[test]
    fn every_method_has_a_form() {
        for m in Method::ALL {
            let _ = fields(m);
        }
        assert_eq!(fields(Method::SendOfflineMessage).len(), 5);
    }

    #[test]
    fn send_anyway_sends_what_was_typed_and_says_so() {
        let call = build_unchecked(Method::SetWidgetColor, &form(&[("color", "red")]), 0);
        assert_eq!(call.args, vec![json!("red")]);
        assert_eq!(
            invalid_args(&call)
                .map(|why| sent_anyway_note(&why))
                .as_deref(),
            Some(
                r#"sent anyway with invalid arguments: color must be a hex colour like #1a2b3c, got "red""#
            )
        );
        let call = build_unchecked(
            Method::SetContactInfo,
            &form(&[("name", "Ann"), ("email", "not an e-mail")]),
            0,
        );
        assert_eq!(
            call.args,
            vec![json!({"name": "Ann", "email": "not an e-mail"})]
        );
        assert!(sent_anyway_note(&invalid_args(&call).unwrap()).starts_with(SENT_ANYWAY));
        let call = build_unchecked(Method::Open, &form(&[("start", "nonsense")]), 0);
        assert_eq!(call.args, vec![json!({"start": "nonsense"})]);
        let call = build_unchecked(
            Method::SetCustomData,
            &form(&[("fields-0-title", "t"), ("fields-1-key", "")]),
            2,
        );
        assert_eq!(call.args, vec![json!([{"title": "t"}])]);
        assert!(invalid_args(&call).is_some());
        let call = build_unchecked(Method::SetRules, &form(&[("rules", "not json")]), 0);
        assert_eq!(call.args, vec![json!("not json")]);
        let call = build_unchecked(
            Method::ShowProactiveInvitation,
            &form(&[("invitation_text", ""), ("department_id", "x")]),
            0,
        );
        assert_eq!(call.args, vec![json!(""), json!("x")]);
        // Valid after all: an ordinary call, no note; the same call `build_call` makes.
        let get = form(&[("color", "#abc")]);
        let call = build_unchecked(Method::SetWidgetColor, &get, 0);
        assert_eq!(invalid_args(&call), None);
        assert_eq!(build_call(Method::SetWidgetColor, &get, 0).unwrap(), call);
        let call = build_unchecked(Method::IsCallbackEnabled, &form(&[]), 0);
        assert_eq!(invalid_args(&call), None);
        for m in Method::ALL {
            let _ = invalid_args(&build_unchecked(m, &form(&[]), 1));
        }
    }
}
