use super::*;
use crate::api::Method;
use proptest::prelude::*;
use serde_json::json;

fn err(method: Method, args: &[Value]) -> String {
    match ApiCall::from_args(method, args) {
        Ok(c) => panic!("expected an error, got {c:?}"),
        Err(e) => e.to_string(),
    }
}

fn ok(method: Method, args: &[Value]) -> ApiCall {
    match ApiCall::from_args(method, args) {
        Ok(c) => c,
        Err(e) => panic!("expected a call, got {e}"),
    }
}

#[test]
fn open_defaults_to_chat_and_checks_start() {
    for args in [
        vec![],
        vec![Value::Null],
        vec![json!({})],
        vec![json!({"start": null})],
    ] {
        assert_eq!(
            ok(Method::Open, &args),
            ApiCall::Open {
                start: OpenStart::Chat
            }
        );
    }
    assert_eq!(
        ok(Method::Open, &[json!({"start": "call"})]),
        ApiCall::Open {
            start: OpenStart::Call
        }
    );
    assert_eq!(
        ok(Method::Open, &[json!({"start": "menu"})]),
        ApiCall::Open {
            start: OpenStart::Menu
        }
    );
    assert_eq!(
        err(Method::Open, &[json!({"start": "phone"})]),
        r#"start must be one of "chat", "call", "menu", got "phone""#
    );
    assert_eq!(
        err(Method::Open, &[json!("call")]),
        r#"argument must be an object like {start: 'chat' | 'call' | 'menu'}, got "call""#
    );
    assert_eq!(
        err(Method::Open, &[json!({"start": 3})]),
        r#"start must be one of "chat", "call", "menu", got the number 3"#
    );
}

#[test]
fn colours() {
    assert_eq!(HexColor::parse(" #ABC ").unwrap().as_str(), "#abc");
    assert_eq!(HexColor::parse("#abc").unwrap().rgb(), (0xaa, 0xbb, 0xcc));
    assert_eq!(
        HexColor::parse("#1a2B3c").unwrap().rgb(),
        (0x1a, 0x2b, 0x3c)
    );
    for bad in [
        "red", "#12", "#12345", "#1234567", "123456", "#ggg", "", "#",
    ] {
        assert!(HexColor::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(
        err(Method::SetWidgetColor, &[json!("red")]),
        r##"color must be a hex colour like #1a2b3c, got "red""##
    );
    assert_eq!(
        err(Method::SetWidgetColor, &[]),
        "color must be a hex colour like #1a2b3c, got nothing"
    );
    assert_eq!(
        err(Method::SetWidgetColor, &[json!("#fff"), json!("blue")]),
        r##"color2 must be a hex colour like #1a2b3c, got "blue""##
    );
    assert_eq!(
        err(Method::SetWidgetColor, &[json!("#fff"), json!(5)]),
        "color2 must be a hex colour like #1a2b3c, got the number 5"
    );
    for none in [Value::Null, json!(""), json!("  ")] {
        assert_eq!(
            ok(Method::SetWidgetColor, &[json!("#fff"), none]),
            ApiCall::SetWidgetColor {
                color: HexColor::parse("#fff").unwrap(),
                color2: None
            }
        );
    }
}

#[test]
fn phones() {
    assert_eq!(
        Phone::parse("+1 (408) 498-7855").unwrap().as_str(),
        "+14084987855"
    );
    assert_eq!(Phone::parse("12345").unwrap().as_str(), "12345");
    assert_eq!(
        Phone::parse("8.800.555.35.35").unwrap().as_str(),
        "88005553535"
    );
    for bad in [
        "1234",
        "123456789012345678901",
        "++12345",
        "12345+",
        "phone",
        "",
        "12 34a5",
        "+",
    ] {
        assert_eq!(
            Phone::parse(bad).unwrap_err().to_string(),
            format!(
                "phone must be 5–20 digits with an optional leading +, got {}",
                serde_json::to_string(bad).unwrap()
            )
        );
    }
    assert_eq!(
        err(Method::StartCall, &[]),
        "phone must be 5–20 digits with an optional leading +, got nothing"
    );
    assert_eq!(
        err(Method::StartCall, &[json!(14084987855u64)]),
        "phone must be 5–20 digits with an optional leading +, got the number 14084987855"
    );
    assert_eq!(
        ok(Method::StartCall, &[json!("+14084987855")]),
        ApiCall::StartCall {
            phone: Phone::parse("+14084987855").unwrap()
        }
    );
}

#[test]
fn emails() {
    for good in [
        "a@b.co",
        "john.smith+tag@example.com",
        "x@sub.domain.org",
        "ivan@пример.рф",
    ] {
        assert!(Email::parse(good).is_ok(), "{good}");
    }
    for bad in [
        "",
        "plain",
        "@example.com",
        "a@",
        "a@b",
        "a@b.",
        "a@.com",
        "a b@c.com",
        "a@b c.com",
        "a@-b.com",
        "a@b.c",
        "a@1.2",
        "a@@b.com",
    ] {
        let e = Email::parse(bad).unwrap_err().to_string();
        assert!(e.starts_with("email is not a valid address"), "{bad}: {e}");
    }
    let long = format!("{}@example.com", "a".repeat(250));
    assert_eq!(
        Email::parse(&long).unwrap_err().to_string(),
        "email is not a valid address: longer than 254 characters"
    );
}

#[test]
fn non_empty_text_and_invitation() {
    assert_eq!(
        NonEmptyText::parse("  ").unwrap_err().to_string(),
        "text must not be empty"
    );
    assert_eq!(NonEmptyText::parse(" hi ").unwrap().as_str(), "hi");
    let long = "x".repeat(MAX_TEXT_CHARS + 1);
    assert_eq!(
        NonEmptyText::parse(&long).unwrap_err().to_string(),
        "text must be at most 10000 characters, got 10001"
    );
    assert!(NonEmptyText::parse(&"é".repeat(MAX_TEXT_CHARS)).is_ok());
    assert_eq!(
        ok(
            Method::ShowProactiveInvitation,
            &[json!("How can I help you?"), json!(3)]
        ),
        ApiCall::ShowProactiveInvitation {
            text: NonEmptyText::parse("How can I help you?").unwrap(),
            department_id: Some(3)
        }
    );
    assert_eq!(
        ok(Method::ShowProactiveInvitation, &[json!("Hi"), json!(3.0)]),
        ApiCall::ShowProactiveInvitation {
            text: NonEmptyText::parse("Hi").unwrap(),
            department_id: Some(3)
        }
    );
    assert_eq!(
        err(Method::ShowProactiveInvitation, &[json!("")]),
        "invitation_text must not be empty"
    );
    assert_eq!(
        err(Method::ShowProactiveInvitation, &[]),
        "invitation_text must be a string, got nothing"
    );
    assert_eq!(
        err(Method::ShowProactiveInvitation, &[json!("Hi"), json!(-1)]),
        "department_id must be a whole number of 0 or more, got -1"
    );
    assert_eq!(
        err(Method::ShowProactiveInvitation, &[json!("Hi"), json!(1.5)]),
        "department_id must be a whole number of 0 or more, got 1.5"
    );
    assert_eq!(
        err(Method::ShowProactiveInvitation, &[json!("Hi"), json!("3")]),
        r#"department_id must be a number, got "3""#
    );
}

#[test]
fn offline_message() {
    let m = ok(
        Method::SendOfflineMessage,
        &[json!({
            "name": "John Smith", "email": "", "phone": "+14084987855",
            "description": "Description text", "message": "Offline message"
        })],
    );
    assert_eq!(
        m,
        ApiCall::SendOfflineMessage(OfflineMessage {
            name: Some("John Smith".into()),
            email: None,
            phone: Some(Phone::parse("+14084987855").unwrap()),
            description: Some("Description text".into()),
            message: NonEmptyText::parse("Offline message").unwrap(),
        })
    );
    assert_eq!(
        err(Method::SendOfflineMessage, &[json!({"email": "a@b.co"})]),
        "message is required"
    );
    assert_eq!(
        err(
            Method::SendOfflineMessage,
            &[json!({"email": "a@b.co", "message": " "})]
        ),
        "message must not be empty"
    );
    assert_eq!(
        err(Method::SendOfflineMessage, &[json!({"message": "hi"})]),
        "email or phone is required so that an agent can answer"
    );
    assert_eq!(
        err(
            Method::SendOfflineMessage,
            &[json!({"email": "nope", "message": "hi"})]
        ),
        r#"email is not a valid address, got "nope""#
    );
    assert_eq!(
        err(
            Method::SendOfflineMessage,
            &[json!({"email": "a@b.co", "message": "hi", "name": 5})]
        ),
        "name must be a string, got the number 5"
    );
    assert_eq!(
        err(Method::SendOfflineMessage, &[]),
        "argument must be an object like {name, email, phone, description, message}, got nothing"
    );
    assert_eq!(
        OfflineMessage::from_form("", "", "", "", "hi")
            .unwrap_err()
            .to_string(),
        "email or phone is required so that an agent can answer"
    );
    assert!(OfflineMessage::from_form("Jo", "jo@x.io", "", "", "hi").is_ok());
}

#[test]
fn contact_info() {
    let c = ok(
        Method::SetContactInfo,
        &[
            json!({"name": "John Smith", "email": "", "phone": "+14084987855", "description": "VIP"}),
        ],
    );
    let ApiCall::SetContactInfo(info) = c else {
        panic!("not contact info")
    };
    assert_eq!(info.email, None);
    assert_eq!(
        info.to_contact_info_result(),
        json!({"client_name": "John Smith", "email": null, "phone": "+14084987855", "description": "VIP"})
    );
    assert_eq!(
        ContactInfo::default().to_contact_info_result(),
        json!({"client_name": null, "email": null, "phone": null, "description": null})
    );
    assert_eq!(
        err(Method::SetContactInfo, &[json!({"phone": "abc"})]),
        r#"phone must be 5–20 digits with an optional leading +, got "abc""#
    );
    assert_eq!(
        err(Method::SetContactInfo, &[json!(["x"])]),
        "argument must be an object like {name, email, phone, description}, got an array"
    );
    assert_eq!(
        err(Method::SetContactInfo, &[json!({"name": "x".repeat(201)})]),
        "name must be at most 200 characters, got 201"
    );
    let mut a = ContactInfo::from_form("Ann", "ann@x.io", "", "").unwrap();
    a.merge(&ContactInfo::from_form("", "", "12345", "note").unwrap());
    assert_eq!(a.name.as_deref(), Some("Ann"));
    assert_eq!(a.phone.as_ref().map(Phone::as_str), Some("12345"));
    assert_eq!(a.description.as_deref(), Some("note"));
}

#[test]
fn custom_data() {
    let c = ok(
        Method::SetCustomData,
        &[json!([
            {"content": "User balance: $56"},
            {"content": "Open customer profile", "link": "https://crm.example/1"},
            {"title": "Actions", "content": "Add contact", "link": "/contacts/new", "key": "Do"}
        ])],
    );
    let ApiCall::SetCustomData(fields) = c else {
        panic!("not custom data")
    };
    assert_eq!(fields.len(), 3);
    assert_eq!(fields[2].title.as_deref(), Some("Actions"));
    assert_eq!(fields[2].key.as_deref(), Some("Do"));
    assert_eq!(
        err(
            Method::SetCustomData,
            &[json!([{"content": "a"}, {"title": "b"}])]
        ),
        "fields[1].content is required"
    );
    assert_eq!(
        err(Method::SetCustomData, &[json!([{"content": 5}])]),
        "fields[0].content must be a string, got the number 5"
    );
    assert_eq!(
        err(Method::SetCustomData, &[json!(["x"])]),
        r#"fields[0] must be an object like {content, title, link, key}, got "x""#
    );
    assert_eq!(
        err(
            Method::SetCustomData,
            &[json!([{"content": "a", "link": "javascript:alert(1)"}])]
        ),
        r#"fields[0].link must be an http(s), mailto: or tel: URL or a relative one, got "javascript:alert(1)""#
    );
    for good in [
        "mailto:a@b.co",
        "tel:+123",
        "HTTPS://x.y",
        "page?a=b:c",
        "#x:y",
    ] {
        assert!(
            CustomDataField::from_form("c", "", good, "").is_ok(),
            "{good}"
        );
    }
    assert_eq!(
        err(Method::SetCustomData, &[json!({"content": "a"})]),
        "fields must be an array of {content, title, link, key} objects, got an object"
    );
    let many: Vec<Value> = (0..=MAX_CUSTOM_FIELDS)
        .map(|i| json!({"content": i.to_string()}))
        .collect();
    assert_eq!(
        err(Method::SetCustomData, &[Value::Array(many)]),
        "fields must have at most 100 entries, got 101"
    );
    assert_eq!(
        ok(Method::SetCustomData, &[json!([])]),
        ApiCall::SetCustomData(vec![])
    );
}

#[test]
fn page_title_token_rules() {
    assert_eq!(
        ok(Method::SendPageTitle, &[json!("Only a title")]),
        ApiCall::SendPageTitle {
            title: "Only a title".into(),
            from_api: false,
            url: None
        }
    );
    assert_eq!(
        ok(
            Method::SendPageTitle,
            &[json!("T"), json!("yes"), json!("https://x.y/p")]
        ),
        ApiCall::SendPageTitle {
            title: "T".into(),
            from_api: true,
            url: Some("https://x.y/p".into())
        }
    );
    assert_eq!(
        ok(Method::SendPageTitle, &[json!(""), json!(0), json!("")]),
        ApiCall::SendPageTitle {
            title: "".into(),
            from_api: false,
            url: None
        }
    );
    assert_eq!(
        err(Method::SendPageTitle, &[]),
        "title must be a string, got nothing"
    );
    assert_eq!(
        err(Method::SendPageTitle, &[json!("T"), json!(true), json!(5)]),
        "url must be a string, got the number 5"
    );

    assert_eq!(
        ok(Method::SetUserToken, &[json!("abc")]),
        ApiCall::SetUserToken("abc".into())
    );
    assert_eq!(
        ok(Method::SetUserToken, &[json!(12345)]),
        ApiCall::SetUserToken("12345".into())
    );
    assert_eq!(
        err(Method::SetUserToken, &[json!("")]),
        "token must not be empty"
    );
    assert_eq!(
        err(Method::SetUserToken, &[json!(1.5)]),
        "token must be a string, got the number 1.5"
    );

    assert_eq!(
        ok(Method::SetRules, &[json!({"rules": []})]),
        ApiCall::SetRules(json!({"rules": []}).as_object().unwrap().clone())
    );
    for bad in [json!([]), json!("x"), Value::Null, function_marker()] {
        assert!(err(Method::SetRules, &[bad]).starts_with("rules must be a JSON object, got"));
    }
    assert_eq!(
        err(Method::SetRules, &[]),
        "rules must be a JSON object, got nothing"
    );
}

#[test]
fn callbacks_must_be_functions() {
    assert_eq!(
        ok(Method::GetVisitorNumber, &[function_marker()]),
        ApiCall::GetVisitorNumber
    );
    assert_eq!(
        ok(Method::IsCallbackEnabled, &[json!({"$function": true})]),
        ApiCall::IsCallbackEnabled
    );
    assert_eq!(
        err(Method::GetVisitorNumber, &[]),
        "callback must be a function, got nothing"
    );
    assert_eq!(
        err(Method::IsCallbackEnabled, &[json!({"$function": false})]),
        "callback must be a function, got an object"
    );
    assert_eq!(
        err(Method::IsCallbackEnabled, &[json!("f")]),
        r#"callback must be a function, got "f""#
    );
}

#[test]
fn argument_free_methods_ignore_extra_arguments() {
    for (m, c) in [
        (Method::Close, ApiCall::Close),
        (Method::ChatMode, ApiCall::ChatMode),
        (Method::GetContactInfo, ApiCall::GetContactInfo),
        (
            Method::GetUnreadMessagesCount,
            ApiCall::GetUnreadMessagesCount,
        ),
        (Method::GetUtm, ApiCall::GetUtm),
        (Method::ClearHistory, ApiCall::ClearHistory),
        (Method::JivoInit, ApiCall::JivoInit),
        (Method::JivoDestroy, ApiCall::JivoDestroy),
    ] {
        assert_eq!(ok(m, &[]), c);
        assert_eq!(ok(m, &[json!(1), json!("x")]), c);
        assert_eq!(c.method(), m);
        assert!(c.to_args().is_empty());
    }
}

#[test]
fn errors_quote_long_values_briefly() {
    let e = HexColor::parse(&"z".repeat(100)).unwrap_err().to_string();
    assert!(e.ends_with(&format!("\"{}…\"", "z".repeat(40))), "{e}");
    assert_eq!(
        ArgError::new("content", Problem::Required)
            .within("fields[3]")
            .field(),
        "fields[3].content"
    );
}

/// Every problem and every kind of value is said in both locales with the core's English, and
/// the English is the sentence the page gets.
#[test]
fn every_problem_is_said_in_both_locales() {
    let gots = [
        Got::Nothing,
        Got::Null,
        Got::Bool(true),
        Got::Number("1.5".into()),
        Got::text("red"),
        Got::Array,
        Got::Function,
        Got::Object,
    ];
    let mut problems = vec![
        Problem::Required,
        Problem::Empty,
        Problem::NotWholeNumber("1.5".into()),
        Problem::NotJson("expected value at line 1 column 1".into()),
        Problem::TooLong { max: 10, got: None },
        Problem::TooLong {
            max: 10,
            got: Some(11),
        },
        Problem::EmailTooLong,
        Problem::TooManyFields(101),
        Problem::NoWayToAnswer,
    ];
    for got in gots {
        problems.extend([
            Problem::NotString(got.clone()),
            Problem::NotNumber(got.clone()),
            Problem::NotFunction(got.clone()),
            Problem::NotObjectLike("{start}".into(), got.clone()),
            Problem::NotJsonObject(got.clone()),
            Problem::NotHexColor(got.clone()),
            Problem::NotPhone(got.clone()),
            Problem::NotEmail(got.clone()),
            Problem::NotOpenStart(got.clone()),
            Problem::NotLink(got.clone()),
            Problem::NotFieldList(got),
        ]);
    }
    for p in problems {
        crate::phrase::assert_in_locales(&ArgError::new("field", p).phrase());
    }
    assert_eq!(
        ArgError::new("color", Problem::NotHexColor(Got::text("red"))).to_string(),
        "color must be a hex colour like #1a2b3c, got \"red\""
    );
    assert_eq!(
        ArgError::new("phone", Problem::NotPhone(Got::of(None))).to_string(),
        "phone must be 5–20 digits with an optional leading +, got nothing"
    );
}

#[test]
fn api_result_shapes() {
    assert_eq!(ApiResult::Ok.to_value(), json!({"result": "ok"}));
    assert_eq!(
        ApiResult::fail_reason(CALLBACK_DISABLED).to_value(),
        json!({"result": "fail", "reason": "Callback disabled"})
    );
    assert_eq!(
        ApiResult::fail_for(Method::SendOfflineMessage, "x").to_value(),
        json!({"result": "fail", "error": "x"})
    );
    assert_eq!(
        ApiResult::fail_for(Method::StartCall, "x").to_value(),
        json!({"result": "fail", "reason": "x"})
    );
    for r in [
        ApiResult::Ok,
        ApiResult::fail_reason("a"),
        ApiResult::fail_error("b"),
    ] {
        assert_eq!(ApiResult::from_value(&r.to_value()), Some(r.clone()));
        let s = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<ApiResult>(&s).unwrap(), r);
    }
    assert_eq!(ApiResult::from_value(&json!({"result": "maybe"})), None);
    assert_eq!(ApiResult::from_value(&json!(5)), None);
    assert_eq!(failure_field(Method::Open), Some(FailureField::Reason));
    assert_eq!(failure_field(Method::Close), Some(FailureField::Reason));
    assert_eq!(
        failure_field(Method::IsCallbackEnabled),
        Some(FailureField::Reason)
    );
    assert_eq!(
        failure_field(Method::SendOfflineMessage),
        Some(FailureField::Error)
    );
    assert_eq!(failure_field(Method::GetUtm), None);
}

#[test]
fn refusal_replies_use_the_documented_shapes() {
    let e = ApiCall::from_args(Method::StartCall, &[json!("x")]).unwrap_err();
    let r = Reply::invalid(Method::StartCall, &e);
    assert_eq!(
        r.returned,
        Some(json!({"result": "fail", "reason": e.to_string()}))
    );
    assert_eq!(r.note, Some(e.to_string()));

    let e = ApiCall::from_args(Method::SendOfflineMessage, &[]).unwrap_err();
    let r = Reply::invalid(Method::SendOfflineMessage, &e);
    assert_eq!(
        r.returned,
        Some(json!({"result": "fail", "error": e.to_string()}))
    );

    let e = ApiCall::from_args(Method::SetRules, &[json!(1)]).unwrap_err();
    let r = Reply::invalid(Method::SetRules, &e);
    assert_eq!(r.returned, None);
    assert_eq!(
        r.note.as_deref(),
        Some("rules must be a JSON object, got the number 1")
    );

    let e = ApiCall::from_args(Method::IsCallbackEnabled, &[]).unwrap_err();
    let r = Reply::invalid(Method::IsCallbackEnabled, &e);
    assert_eq!((r.returned, r.callback_args), (None, None));

    let r = Reply::refused(Method::IsCallbackEnabled, "gone", true);
    assert_eq!(
        r.callback_args,
        Some(vec![json!({"result": "fail", "reason": "gone"})])
    );
    let r = Reply::refused(Method::GetVisitorNumber, "gone", true);
    assert_eq!(r.callback_args, Some(vec![json!("gone"), Value::Null]));
    let r = Reply::refused(Method::GetUtm, "gone", true);
    assert_eq!((r.returned, r.callback_args), (None, None));

    let s = serde_json::to_value(Reply::undefined()).unwrap();
    assert_eq!(s, json!({}));
}

#[test]
fn newtypes_serialise_as_strings_and_validate_on_the_way_in() {
    let c = HexColor::parse("#ABCDEF").unwrap();
    assert_eq!(serde_json::to_value(&c).unwrap(), json!("#abcdef"));
    assert!(serde_json::from_value::<HexColor>(json!("nope")).is_err());
    assert!(serde_json::from_value::<Phone>(json!("123")).is_err());
    assert!(serde_json::from_value::<Email>(json!("a@b.co")).is_ok());
    assert!(serde_json::from_value::<NonEmptyText>(json!("")).is_err());
}

#[test]
fn api_call_serde_goes_through_validation() {
    let c = ApiCall::Open {
        start: OpenStart::Menu,
    };
    let v = serde_json::to_value(&c).unwrap();
    assert_eq!(v, json!({"method": "open", "args": [{"start": "menu"}]}));
    assert_eq!(serde_json::from_value::<ApiCall>(v).unwrap(), c);
    assert!(serde_json::from_value::<ApiCall>(
        json!({"method": "setWidgetColor", "args": ["red"]})
    )
    .is_err());
    assert_eq!(
        serde_json::from_value::<ApiCall>(json!({"method": "jivo_destroy"})).unwrap(),
        ApiCall::JivoDestroy
    );
}

// ---- properties ------------------------------------------------------------------------------

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Zа-я0-9 .,!?]{0,30}"
}

fn non_empty() -> impl Strategy<Value = NonEmptyText> {
    "[a-zA-Z0-9][a-zA-Z0-9 ]{0,20}".prop_filter_map("non-empty", |s| NonEmptyText::parse(&s).ok())
}

fn colour() -> impl Strategy<Value = HexColor> {
    prop_oneof!["#[0-9a-fA-F]{3}", "#[0-9a-fA-F]{6}"]
        .prop_filter_map("colour", |s| HexColor::parse(&s).ok())
}

fn phone() -> impl Strategy<Value = Phone> {
    "\\+?[0-9]{5,20}".prop_filter_map("phone", |s| Phone::parse(&s).ok())
}

fn email() -> impl Strategy<Value = Email> {
    "[a-z0-9.+]{1,10}@[a-z]{1,8}\\.[a-z]{2,4}".prop_filter_map("email", |s| Email::parse(&s).ok())
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[a-zA-Z][a-zA-Z ]{0,10}[a-z]".prop_map(|s| s))
}

fn contact() -> impl Strategy<Value = ContactInfo> {
    (
        opt_text(),
        proptest::option::of(email()),
        proptest::option::of(phone()),
        opt_text(),
    )
        .prop_map(|(name, email, phone, description)| ContactInfo {
            name,
            email,
            phone,
            description,
        })
}

fn field() -> impl Strategy<Value = CustomDataField> {
    (
        "[a-z][a-z ]{0,10}[a-z]",
        opt_text(),
        proptest::option::of("https://[a-z]{1,8}\\.com/[a-z]{0,5}"),
        opt_text(),
    )
        .prop_map(|(content, title, link, key)| CustomDataField {
            content,
            title,
            link,
            key,
        })
}

/// Every valid call (with small arguments).
pub(crate) fn any_call() -> impl Strategy<Value = ApiCall> {
    prop_oneof![
        prop_oneof![
            Just(OpenStart::Chat),
            Just(OpenStart::Call),
            Just(OpenStart::Menu)
        ]
        .prop_map(|start| ApiCall::Open { start }),
        Just(ApiCall::Close),
        (non_empty(), proptest::option::of(0u64..1000)).prop_map(|(text, department_id)| {
            ApiCall::ShowProactiveInvitation {
                text,
                department_id,
            }
        }),
        (colour(), proptest::option::of(colour()))
            .prop_map(|(color, color2)| ApiCall::SetWidgetColor { color, color2 }),
        Just(ApiCall::ChatMode),
        phone().prop_map(|phone| ApiCall::StartCall { phone }),
        (
            opt_text(),
            email(),
            proptest::option::of(phone()),
            opt_text(),
            non_empty()
        )
            .prop_map(|(name, email, phone, description, message)| {
                ApiCall::SendOfflineMessage(OfflineMessage {
                    name,
                    email: Some(email),
                    phone,
                    description,
                    message,
                })
            }),
        (
            text(),
            any::<bool>(),
            proptest::option::of("https://[a-z]{1,8}\\.com/[a-z]{0,5}")
        )
            .prop_map(|(title, from_api, url)| ApiCall::SendPageTitle {
                title,
                from_api,
                url
            }),
        contact().prop_map(ApiCall::SetContactInfo),
        proptest::collection::vec(field(), 0..4).prop_map(ApiCall::SetCustomData),
        "[a-zA-Z0-9]{1,12}".prop_map(ApiCall::SetUserToken),
        proptest::collection::btree_map("[a-z]{1,5}", any::<i32>(), 0..3).prop_map(|m| {
            ApiCall::SetRules(m.into_iter().map(|(k, v)| (k, Value::from(v))).collect())
        }),
        Just(ApiCall::GetContactInfo),
        Just(ApiCall::GetVisitorNumber),
        Just(ApiCall::GetUnreadMessagesCount),
        Just(ApiCall::GetUtm),
        Just(ApiCall::IsCallbackEnabled),
        Just(ApiCall::ClearHistory),
        Just(ApiCall::JivoInit),
        Just(ApiCall::JivoDestroy),
    ]
}

/// Arbitrary JSON values, nested a little.
pub(crate) fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        prop_oneof![
            "#[0-9a-f]{3}",
            "\\+?[0-9 ()-]{3,22}",
            "[a-z]{1,5}@[a-z]{1,5}\\.[a-z]{2}"
        ]
        .prop_map(Value::String),
        Just(function_marker()),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("start".to_string()),
                    Just("content".to_string()),
                    Just("message".to_string()),
                    Just("email".to_string()),
                    Just("phone".to_string()),
                    Just("link".to_string()),
                    "[a-z]{1,6}"
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn to_args_round_trips_through_from_args(call in any_call()) {
        let args = call.to_args();
        prop_assert_eq!(ApiCall::from_args(call.method(), &args), Ok(call.clone()));
        let json = serde_json::to_string(&call).unwrap();
        prop_assert_eq!(serde_json::from_str::<ApiCall>(&json).unwrap(), call);
    }

    #[test]
    fn from_args_never_panics_and_valid_results_round_trip(
        m in 0usize..Method::ALL.len(),
        args in proptest::collection::vec(any_json(), 0..4),
    ) {
        let method = Method::ALL[m];
        match ApiCall::from_args(method, &args) {
            Ok(call) => {
                prop_assert_eq!(call.method(), method);
                prop_assert_eq!(ApiCall::from_args(method, &call.to_args()), Ok(call));
            }
            Err(e) => {
                prop_assert!(!e.field().is_empty());
                prop_assert!(e.to_string().len() > e.field().len() + 1);
                crate::phrase::assert_in_locales(&e.phrase());
                let r = Reply::invalid(method, &e);
                prop_assert_eq!(r.note, Some(e.to_string()));
            }
        }
    }

    #[test]
    fn string_parsers_never_panic(s in ".{0,40}") {
        let _ = HexColor::parse(&s);
        let _ = Phone::parse(&s);
        let _ = Email::parse(&s);
        let _ = NonEmptyText::parse(&s);
        let _ = OpenStart::parse(&s);
        let _ = CustomDataField::from_form(&s, &s, &s, &s);
        if let Ok(c) = HexColor::parse(&s) { let _ = c.rgb(); }
    }
}
