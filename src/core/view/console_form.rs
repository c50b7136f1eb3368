//! The API console's forms, without the DOM: which fields each entry point has, and how the
//! values typed into them become a validated [`RawCall`] (or the [`ArgError`] shown next to the
//! field it is about).

use serde_json::Value;

use crate::api::call::{
    function_marker, ApiCall, ArgError, ContactInfo, CustomDataField, HexColor, NonEmptyText,
    OfflineMessage, OpenStart, Phone, RawCall,
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
                        format!("must be a whole number of 0 or more, got \"{dep}\""),
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
                .map_err(|e| ArgError::new("rules", format!("must be a JSON object: {e}")))?;
            vec![v]
        }
        Method::GetVisitorNumber | Method::IsCallbackEnabled => vec![function_marker()],
        _ => Vec::new(),
    };
    Ok(ApiCall::from_args(method, &args)?.to_raw())
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
}
