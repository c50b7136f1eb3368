use serde_json::{json, Value};

use super::cause::Guess;
use super::checker::guessable_token;
use super::*;
use crate::api::call::Reply;
use crate::api::{Callback, Method};
use crate::event_log::{Entry, Event, Origin};
use crate::spa::UrlCause;

/// One input: a log entry (it gets the next id), or a shell fact (with the id of a status
/// entry recorded for it when `logged`).
enum Step {
    E(Event),
    Fact(PageFact),
    LoggedFact(PageFact),
}
use Step::{Fact, LoggedFact, E};

/// Feeds `steps` with ids 1, 2, 3…
fn run(steps: Vec<Step>) -> Checker {
    let mut checker = Checker::new();
    let mut id = 0;
    let mut next = || {
        id += 1;
        id
    };
    for step in steps {
        match step {
            E(event) => {
                checker.push(&Entry {
                    id: next(),
                    at: 0.0,
                    event,
                });
            }
            Fact(fact) => {
                checker.observe(&fact, None);
            }
            LoggedFact(fact) => {
                // The shell logs a fact as a status entry that carries it; the checker
                // observes it from there (so a replayed or imported log has it too).
                checker.push(&Entry {
                    id: next(),
                    at: 0.0,
                    event: Event::fact(format!("{fact:?}"), fact),
                });
            }
        }
    }
    checker
}

fn load() -> Step {
    E(Event::PageLoad {
        url: "https://shop.example/".into(),
        title: "Shop".into(),
    })
}

fn cb(name: Callback) -> Step {
    E(Event::Callback { name, args: vec![] })
}

fn onload() -> Step {
    cb(Callback::OnLoadCallback)
}

fn call_with(method: Method, args: Vec<Value>, origin: Origin, outcome: Reply) -> Step {
    E(Event::ApiCall {
        method,
        args,
        origin,
        outcome,
        note: None,
    })
}

fn call(method: Method, args: Vec<Value>) -> Step {
    call_with(method, args, Origin::Page, Reply::default())
}

fn returning(method: Method, args: Vec<Value>, returned: Value) -> Step {
    call_with(
        method,
        args,
        Origin::Page,
        Reply {
            returned: Some(returned),
            ..Reply::default()
        },
    )
}

fn popup(method: Method, args: Vec<Value>) -> Step {
    call_with(method, args, Origin::Popup, Reply::default())
}

fn nav(cause: Option<UrlCause>, reported: bool) -> Step {
    E(Event::Navigation {
        url: "https://shop.example/cart".into(),
        title: "Cart".into(),
        cause,
        reported,
        reason: None,
    })
}

fn defined(name: Callback, script: Option<&str>) -> Step {
    LoggedFact(PageFact::HandlerDefined {
        name,
        script: script.map(Into::into),
    })
}

fn spa(enabled: bool) -> Step {
    Fact(PageFact::SpaTracking { enabled })
}

fn loaders(srcs: &[&str]) -> Step {
    LoggedFact(PageFact::Loaders {
        srcs: srcs.iter().map(|s| s.to_string()).collect(),
    })
}

fn removed(how: Removal) -> Step {
    LoggedFact(PageFact::WidgetRemoved { how })
}

const LOADER_A: &str = "https://code.jivosite.com/widget/AbC123";
const LOADER_B: &str = "https://code.jivosite.com/widget/XyZ789";

/// A table case: `steps` must make a finding of `check` with exactly `evidence`
/// (`Some`), or none of `check` (`None`).
struct Case {
    name: &'static str,
    check: CheckId,
    steps: Vec<Step>,
    evidence: Option<&'static [u64]>,
}

fn fires(name: &'static str, check: CheckId, evidence: &'static [u64], steps: Vec<Step>) -> Case {
    Case {
        name,
        check,
        steps,
        evidence: Some(evidence),
    }
}

fn quiet(name: &'static str, check: CheckId, steps: Vec<Step>) -> Case {
    Case {
        name,
        check,
        steps,
        evidence: None,
    }
}

fn cases() -> Vec<Case> {
    use CheckId as C;
    use Method as M;
    vec![
        // 1. jivo_api before jivo_onLoadCallback.
        fires(
            "api before load",
            C::ApiBeforeLoad,
            &[2],
            vec![load(), call(M::Open, vec![]), onload()],
        ),
        fires(
            "api after jivo_destroy",
            C::ApiBeforeLoad,
            &[4],
            vec![
                load(),
                onload(),
                call(M::JivoDestroy, vec![]),
                call(M::Close, vec![]),
            ],
        ),
        fires(
            "api after jivo_onWidgetDestroy",
            C::ApiBeforeLoad,
            &[4],
            vec![
                load(),
                onload(),
                cb(Callback::OnWidgetDestroy),
                call(M::ChatMode, vec![]),
            ],
        ),
        quiet(
            "api after load",
            C::ApiBeforeLoad,
            vec![load(), onload(), call(M::Open, vec![])],
        ),
        quiet(
            "api after a reload's load",
            C::ApiBeforeLoad,
            vec![load(), onload(), load(), onload(), call(M::Open, vec![])],
        ),
        quiet(
            "jivo_init before load is how to load",
            C::ApiBeforeLoad,
            vec![load(), call(M::JivoInit, vec![]), onload()],
        ),
        quiet(
            "the console is not the page",
            C::ApiBeforeLoad,
            vec![load(), popup(M::Open, vec![])],
        ),
        quiet(
            "page start not seen",
            C::ApiBeforeLoad,
            vec![call(M::Open, vec![])],
        ),
        // 2. Invalid arguments, or {result: 'fail'}.
        fires(
            "invalid arguments",
            C::InvalidArguments,
            &[3],
            vec![
                load(),
                onload(),
                call(M::ShowProactiveInvitation, vec![json!("  ")]),
            ],
        ),
        fires(
            "invalid arguments without a page start",
            C::InvalidArguments,
            &[1],
            vec![call(M::StartCall, vec![json!("call me")])],
        ),
        quiet(
            "valid arguments",
            C::InvalidArguments,
            vec![
                load(),
                onload(),
                call(M::ShowProactiveInvitation, vec![json!("Hi"), json!(3)]),
            ],
        ),
        quiet(
            "invalid console call",
            C::InvalidArguments,
            vec![
                load(),
                onload(),
                popup(M::ShowProactiveInvitation, vec![json!("")]),
            ],
        ),
        fires(
            "returned fail",
            C::CallFailed,
            &[3],
            vec![
                load(),
                onload(),
                returning(
                    M::Open,
                    vec![],
                    json!({"result": "fail", "reason": "Widget is hidden"}),
                ),
            ],
        ),
        fires(
            "threw",
            C::CallFailed,
            &[3],
            vec![
                load(),
                onload(),
                call_with(
                    M::Close,
                    vec![],
                    Origin::Page,
                    Reply {
                        threw: Some("TypeError: x is undefined".into()),
                        ..Reply::default()
                    },
                ),
            ],
        ),
        quiet(
            "returned ok",
            C::CallFailed,
            vec![
                load(),
                onload(),
                returning(M::Open, vec![], json!({"result": "ok"})),
            ],
        ),
        quiet(
            "a callback answer is not a failure",
            C::CallFailed,
            vec![
                load(),
                onload(),
                call_with(
                    M::IsCallbackEnabled,
                    vec![json!({"$function": true})],
                    Origin::Page,
                    Reply {
                        callback_args: Some(vec![
                            json!({"result": "fail", "reason": "Callback disabled"}),
                        ]),
                        ..Reply::default()
                    },
                ),
            ],
        ),
        quiet(
            "a refused invalid call fails as invalid arguments only",
            C::CallFailed,
            vec![
                load(),
                onload(),
                returning(
                    M::StartCall,
                    vec![json!("x")],
                    json!({"result": "fail", "reason": "phone must be …"}),
                ),
            ],
        ),
        // 3. More than one loader or widget.
        fires(
            "two loaders",
            C::DuplicateWidget,
            &[2],
            vec![load(), loaders(&[LOADER_A, LOADER_B])],
        ),
        fires(
            "the same loader twice",
            C::DuplicateWidget,
            &[2],
            vec![
                load(),
                loaders(&[LOADER_A, LOADER_A]),
                loaders(&[LOADER_A, LOADER_A, LOADER_B]),
            ],
        ),
        fires(
            "jivo_onLoadCallback twice",
            C::DuplicateWidget,
            &[2, 3],
            vec![load(), onload(), onload()],
        ),
        quiet(
            "one loader",
            C::DuplicateWidget,
            vec![load(), loaders(&[LOADER_A]), onload()],
        ),
        quiet(
            "reloaded after jivo_destroy",
            C::DuplicateWidget,
            vec![
                load(),
                onload(),
                call(M::JivoDestroy, vec![]),
                call(M::JivoInit, vec![]),
                onload(),
            ],
        ),
        quiet(
            "one load per page",
            C::DuplicateWidget,
            vec![load(), onload(), load(), onload()],
        ),
        // 4. Handlers defined late or replaced.
        fires(
            "handler after load",
            C::HandlerDefinedLate,
            &[2, 3],
            vec![
                load(),
                onload(),
                defined(Callback::OnOpen, Some("https://shop.example/app.js")),
            ],
        ),
        fires(
            "jivo_onLoadCallback after load",
            C::HandlerDefinedLate,
            &[2, 3],
            vec![load(), onload(), defined(Callback::OnLoadCallback, None)],
        ),
        quiet(
            "handler before load",
            C::HandlerDefinedLate,
            vec![load(), defined(Callback::OnOpen, None), onload()],
        ),
        fires(
            "handler replaced by another script",
            C::HandlerReplaced,
            &[3],
            vec![
                load(),
                defined(Callback::OnOpen, Some("https://shop.example/app.js")),
                defined(Callback::OnOpen, Some("https://ads.example/tag.js")),
            ],
        ),
        quiet(
            "handler redefined by the same script",
            C::HandlerReplaced,
            vec![
                load(),
                defined(Callback::OnOpen, Some("https://shop.example/app.js")),
                defined(Callback::OnOpen, Some("https://shop.example/app.js")),
                defined(Callback::OnClose, Some("https://ads.example/tag.js")),
            ],
        ),
        quiet(
            "the same handler on the next page",
            C::HandlerReplaced,
            vec![
                load(),
                defined(Callback::OnOpen, Some("https://shop.example/a.js")),
                load(),
                defined(Callback::OnOpen, Some("https://shop.example/b.js")),
            ],
        ),
        // 5. A handler threw.
        fires(
            "handler threw",
            C::HandlerThrew,
            &[3],
            vec![
                load(),
                cb(Callback::OnOpen),
                E(Event::CallbackThrew {
                    name: Callback::OnOpen,
                    message: "boom".into(),
                }),
            ],
        ),
        quiet(
            "handler ran",
            C::HandlerThrew,
            vec![load(), cb(Callback::OnOpen)],
        ),
        // 6. Guessable user token (more tokens in `guessable_tokens`).
        fires(
            "numeric token",
            C::GuessableUserToken,
            &[3],
            vec![load(), onload(), call(M::SetUserToken, vec![json!(1007)])],
        ),
        fires(
            "e-mail token",
            C::GuessableUserToken,
            &[3],
            vec![
                load(),
                onload(),
                call(M::SetUserToken, vec![json!("ann@example.com")]),
            ],
        ),
        quiet(
            "random token",
            C::GuessableUserToken,
            vec![
                load(),
                onload(),
                call(
                    M::SetUserToken,
                    vec![json!("5b0e8c3a-9f1d-4c2e-8a7b-2d6f0e9c1b34")],
                ),
            ],
        ),
        // 7. setCustomData markup or a field without content.
        fires(
            "markup in content",
            C::CustomDataMarkup,
            &[3],
            vec![
                load(),
                onload(),
                call(
                    M::SetCustomData,
                    vec![json!([{"content": "ok"}, {"content": "<b>VIP</b>"}])],
                ),
            ],
        ),
        quiet(
            "angle brackets that are not tags",
            C::CustomDataMarkup,
            vec![
                load(),
                onload(),
                call(
                    M::SetCustomData,
                    vec![json!([{"content": "a < b and c > d", "title": "<i>"}])],
                ),
            ],
        ),
        fires(
            "field without content",
            C::CustomDataNoContent,
            &[3],
            vec![
                load(),
                onload(),
                call(
                    M::SetCustomData,
                    vec![json!([{"content": "x"}, {"title": "Actions", "link": "/a"}])],
                ),
            ],
        ),
        fires(
            "field with blank content",
            C::CustomDataNoContent,
            &[3],
            vec![
                load(),
                onload(),
                call(M::SetCustomData, vec![json!([{"content": "  "}])]),
            ],
        ),
        quiet(
            "content of the wrong type is invalid arguments",
            C::CustomDataNoContent,
            vec![
                load(),
                onload(),
                call(M::SetCustomData, vec![json!([{"content": 5}])]),
            ],
        ),
        quiet(
            "fields with content",
            C::CustomDataNoContent,
            vec![
                load(),
                onload(),
                call(
                    M::SetCustomData,
                    vec![json!([{"content": "User balance: $56"}])],
                ),
            ],
        ),
        // 8. setWidgetColor not hex.
        fires(
            "colour name",
            C::WidgetColorNotHex,
            &[3],
            vec![
                load(),
                onload(),
                call(M::SetWidgetColor, vec![json!("red")]),
            ],
        ),
        fires(
            "second colour not hex",
            C::WidgetColorNotHex,
            &[3],
            vec![
                load(),
                onload(),
                call(M::SetWidgetColor, vec![json!("#fff"), json!("rgb(0,0,0)")]),
            ],
        ),
        quiet(
            "hex colours",
            C::WidgetColorNotHex,
            vec![
                load(),
                onload(),
                call(M::SetWidgetColor, vec![json!("#ffffff"), json!("#000")]),
            ],
        ),
        // 9. startCall without isCallbackEnabled.
        fires(
            "startCall unchecked",
            C::StartCallUnchecked,
            &[3],
            vec![
                load(),
                onload(),
                call(M::StartCall, vec![json!("+14084987855")]),
            ],
        ),
        fires(
            "checked on the previous page only",
            C::StartCallUnchecked,
            &[5],
            vec![
                load(),
                onload(),
                call(M::IsCallbackEnabled, vec![json!({"$function": true})]),
                load(),
                call(M::StartCall, vec![json!("+14084987855")]),
            ],
        ),
        quiet(
            "startCall after isCallbackEnabled",
            C::StartCallUnchecked,
            vec![
                load(),
                onload(),
                call(M::IsCallbackEnabled, vec![json!({"$function": true})]),
                call(M::StartCall, vec![json!("+14084987855")]),
            ],
        ),
        quiet(
            "checked from the console",
            C::StartCallUnchecked,
            vec![
                load(),
                onload(),
                popup(M::StartCall, vec![json!("+14084987855")]),
            ],
        ),
        // 10. SPA navigation nobody reported.
        fires(
            "unreported navigation, tracking off",
            C::SpaNotReported,
            &[3, 4],
            vec![
                load(),
                spa(false),
                onload(),
                nav(Some(UrlCause::Push), false),
                nav(Some(UrlCause::Pop), false),
            ],
        ),
        fires(
            "tracking told after the navigation",
            C::SpaNotReported,
            &[2],
            vec![load(), nav(Some(UrlCause::Hash), false), spa(false)],
        ),
        fires(
            "the tracker's own sendPageTitle does not count",
            C::SpaNotReported,
            &[4],
            vec![
                load(),
                spa(false),
                onload(),
                call_with(
                    M::SendPageTitle,
                    vec![json!("Cart")],
                    Origin::SpaTracker,
                    Reply::default(),
                ),
                nav(Some(UrlCause::Push), false),
            ],
        ),
        quiet(
            "tracking on",
            C::SpaNotReported,
            vec![
                load(),
                spa(true),
                onload(),
                nav(Some(UrlCause::Push), false),
            ],
        ),
        quiet(
            "tracking unknown",
            C::SpaNotReported,
            vec![load(), onload(), nav(Some(UrlCause::Push), false)],
        ),
        quiet(
            "reported navigation",
            C::SpaNotReported,
            vec![
                load(),
                spa(false),
                onload(),
                nav(Some(UrlCause::Push), true),
            ],
        ),
        quiet(
            "title-only change",
            C::SpaNotReported,
            vec![load(), spa(false), onload(), nav(None, false)],
        ),
        quiet(
            "the page reports itself",
            C::SpaNotReported,
            vec![
                load(),
                spa(false),
                onload(),
                call(M::SendPageTitle, vec![json!("Home"), json!(true)]),
                nav(Some(UrlCause::Push), false),
            ],
        ),
        quiet(
            "the page reports after navigating",
            C::SpaNotReported,
            vec![
                load(),
                spa(false),
                onload(),
                nav(Some(UrlCause::Push), false),
                call(
                    M::SendPageTitle,
                    vec![
                        json!("Cart"),
                        json!(true),
                        json!("https://shop.example/cart"),
                    ],
                ),
            ],
        ),
        // 11. Widget removed without jivo_destroy().
        fires(
            "nodes removed",
            C::RemovedWithoutDestroy,
            &[3],
            vec![load(), onload(), removed(Removal::Nodes)],
        ),
        fires(
            "globals deleted",
            C::RemovedWithoutDestroy,
            &[3],
            vec![load(), onload(), removed(Removal::Globals)],
        ),
        quiet(
            "globals replaced before the widget loaded",
            C::RemovedWithoutDestroy,
            vec![load(), removed(Removal::Globals), onload()],
        ),
        quiet(
            "removed by jivo_destroy",
            C::RemovedWithoutDestroy,
            vec![
                load(),
                onload(),
                call(M::JivoDestroy, vec![]),
                removed(Removal::Nodes),
            ],
        ),
        quiet(
            "removed by the console's jivo_destroy",
            C::RemovedWithoutDestroy,
            vec![
                load(),
                onload(),
                popup(M::JivoDestroy, vec![]),
                cb(Callback::OnWidgetDestroy),
                removed(Removal::Nodes),
            ],
        ),
    ]
}

#[test]
fn every_check_fires_and_stays_quiet_as_the_table_says() {
    let cases = cases();
    for check in CheckId::ALL {
        let of = |fire: bool| {
            cases
                .iter()
                .any(|c| c.check == check && c.evidence.is_some() == fire)
        };
        assert!(
            of(true) && of(false),
            "{check:?} needs a firing and a quiet case"
        );
    }
    for case in cases {
        let checker = run(case.steps);
        let found: Vec<&Finding> = checker
            .findings()
            .iter()
            .filter(|f| f.check == case.check)
            .collect();
        match case.evidence {
            Some(evidence) => {
                assert_eq!(found.len(), 1, "{}: {:#?}", case.name, checker.findings());
                assert_eq!(found[0].evidence, evidence, "{}", case.name);
                assert_eq!(found[0].severity, case.check.severity(), "{}", case.name);
                assert!(!found[0].detail.is_empty(), "{}", case.name);
            }
            None => assert!(found.is_empty(), "{}: {found:#?}", case.name),
        }
    }
}

#[test]
fn details_show_reasons_and_values_whole() {
    let reason = "the widget is not loaded yet; try again in jivo_onLoadCallback".repeat(20);
    let checker = run(vec![
        load(),
        onload(),
        returning(
            Method::Open,
            vec![],
            json!({"result": "fail", "reason": reason}),
        ),
        call(Method::SetWidgetColor, vec![json!("red")]),
        call(Method::SetCustomData, vec![json!([{"title": "x"}])]),
        call(Method::SetUserToken, vec![json!("ann@example.com")]),
        E(Event::CallbackThrew {
            name: Callback::OnChangeState,
            message: "boom".into(),
        }),
    ]);
    let detail = |check| {
        checker
            .findings()
            .iter()
            .find(|f| f.check == check)
            .map(|f| f.detail.clone())
            .unwrap()
    };
    assert_eq!(
        detail(CheckId::CallFailed),
        format!(r#"open returned {{"reason":"{reason}","result":"fail"}}"#)
    );
    assert_eq!(
        detail(CheckId::WidgetColorNotHex),
        r#"setWidgetColor: color must be a hex colour like #1a2b3c, got "red""#
    );
    assert_eq!(
        detail(CheckId::CustomDataNoContent),
        "setCustomData: fields[0].content is required"
    );
    assert_eq!(
        detail(CheckId::GuessableUserToken),
        r#"setUserToken("ann@example.com"): an e-mail address is known to others and easy to guess"#
    );
    assert_eq!(
        detail(CheckId::HandlerThrew),
        "jivo_onChangeState threw: boom"
    );
}

#[test]
fn guessable_tokens() {
    for (token, guess) in [
        ("0", Some(Guess::Number)),
        ("42", Some(Guess::Number)),
        ("-7", Some(Guess::Number)),
        ("1000234567", Some(Guess::Number)),
        ("user42", Some(Guess::SequentialId)),
        ("id-1007", Some(Guess::SequentialId)),
        ("CUST_000123", Some(Guess::SequentialId)),
        ("ann@example.com", Some(Guess::Email)),
        ("abc", Some(Guess::Short)),
        ("x9k2", Some(Guess::Short)),
        ("5b0e8c3a-9f1d-4c2e-8a7b-2d6f0e9c1b34", None),
        ("k3J9xQ2mZp7Lw", None),
        ("averyveryverylongword12", None),
        ("-", Some(Guess::Short)),
    ] {
        assert_eq!(guessable_token(token), guess, "{token}");
    }
}

#[test]
fn repeats_add_occurrences_and_evidence_to_one_finding_across_pages() {
    let checker = run(vec![
        load(),
        call(Method::Open, vec![]),
        call(Method::Open, vec![]),
        call(Method::Close, vec![]),
        load(),
        call(Method::Open, vec![]),
    ]);
    let f = checker.findings();
    assert_eq!(f.len(), 2);
    assert_eq!((f[0].subject.as_str(), f[0].occurrences), ("open", 3));
    assert_eq!(f[0].evidence, [2, 3, 6]);
    assert_eq!((f[1].subject.as_str(), f[1].occurrences), ("close", 1));
}

#[test]
fn evidence_keeps_the_newest_ids() {
    let mut steps = vec![load()];
    steps.extend((0..100).map(|_| call(Method::Open, vec![])));
    let checker = run(steps);
    let f = &checker.findings()[0];
    assert_eq!(f.occurrences, 100);
    assert_eq!(f.evidence.len(), MAX_EVIDENCE);
    assert_eq!(f.evidence.first(), Some(&(101 - MAX_EVIDENCE as u64 + 1)));
    assert_eq!(f.evidence.last(), Some(&101));
}

#[test]
fn findings_are_bounded() {
    let mut steps = vec![load(), onload()];
    steps.extend(
        (0..MAX_FINDINGS + 10)
            .map(|i| call(Method::SetWidgetColor, vec![json!(format!("colour {i}"))])),
    );
    let checker = run(steps);
    assert_eq!(checker.findings().len(), MAX_FINDINGS);
    assert_eq!(checker.overflow(), 10);
}

#[test]
fn a_page_that_reports_itself_takes_back_only_its_own_spa_occurrences() {
    let mut checker = run(vec![
        load(),
        spa(false),
        nav(Some(UrlCause::Push), false),
        load(),
        spa(false),
        nav(Some(UrlCause::Push), false),
    ]);
    assert_eq!(checker.findings()[0].occurrences, 2);
    let changed = checker.push(&Entry {
        id: 5,
        at: 0.0,
        event: Event::ApiCall {
            method: Method::SendPageTitle,
            args: vec![json!("Cart")],
            origin: Origin::Page,
            outcome: Reply::default(),
            note: None,
        },
    });
    assert!(changed);
    let f = &checker.findings()[0];
    assert_eq!((f.occurrences, f.evidence.as_slice()), (1, &[2][..]));
}

#[test]
fn push_says_whether_the_findings_changed() {
    let mut checker = Checker::new();
    let entry = |id, event| Entry { id, at: 0.0, event };
    let load = Event::PageLoad {
        url: "https://shop.example/".into(),
        title: "Shop".into(),
    };
    assert!(!checker.push(&entry(1, load)));
    let early = Event::ApiCall {
        method: Method::Open,
        args: vec![],
        origin: Origin::Page,
        outcome: Reply::default(),
        note: None,
    };
    assert!(checker.push(&entry(2, early)));
    assert!(!checker.push(&entry(3, Event::status("connected"))));
    assert!(!checker.observe(&PageFact::SpaTracking { enabled: true }, None));
}

#[test]
fn check_is_the_checker_over_a_whole_log() {
    let entries: Vec<Entry> = [
        Event::PageLoad {
            url: "https://shop.example/".into(),
            title: "Shop".into(),
        },
        Event::CallbackThrew {
            name: Callback::OnOpen,
            message: "boom".into(),
        },
    ]
    .into_iter()
    .enumerate()
    .map(|(i, event)| Entry {
        id: i as u64 + 1,
        at: 0.0,
        event,
    })
    .collect();
    let findings = check(&entries);
    let mut checker = Checker::new();
    entries.iter().for_each(|e| {
        checker.push(e);
    });
    assert_eq!(findings, checker.findings());
    assert_eq!(findings[0].check, CheckId::HandlerThrew);
}

#[test]
fn errors_are_counted_and_their_evidence_known() {
    let checker = run(vec![
        load(),
        onload(),
        call(Method::SetWidgetColor, vec![json!("red")]), // error, 3
        call(Method::StartCall, vec![json!("+14084987855")]), // note, 4
        call(Method::SetUserToken, vec![json!(42)]),      // warning, 5
        E(Event::CallbackThrew {
            name: Callback::OnOpen,
            message: "boom".into(),
        }), // error, 6
    ]);
    assert_eq!(checker.findings().len(), 4);
    assert_eq!(checker.error_count(), 2);
    assert_eq!(error_count(checker.findings()), 2);
    assert_eq!(
        checker.error_evidence().into_iter().collect::<Vec<_>>(),
        [3, 6]
    );
    assert_eq!(error_evidence(checker.findings()), checker.error_evidence());
    for id in 1..=6 {
        assert_eq!(checker.is_error_evidence(id), [3, 6].contains(&id), "{id}");
    }
}

#[test]
fn severities_order_from_note_to_error() {
    assert!(Severity::Note < Severity::Warning && Severity::Warning < Severity::Error);
    let mut all = vec![Severity::Error, Severity::Note, Severity::Warning];
    all.sort();
    assert_eq!(all, [Severity::Note, Severity::Warning, Severity::Error]);
}

#[test]
fn every_check_has_a_stable_id_and_its_texts() {
    let mut ids: Vec<&str> = CheckId::ALL.iter().map(|c| c.id()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), CheckId::ALL.len());
    for check in CheckId::ALL {
        assert_eq!(CheckId::from_id(check.id()), Some(check));
        assert_eq!(
            serde_json::to_value(check).unwrap(),
            Value::String(check.id().into())
        );
        assert!(
            check
                .id()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-'),
            "{}",
            check.id()
        );
        for text in [check.title(), check.advice(), check.quote()] {
            assert!(
                !text.is_empty() && !text.contains("  "),
                "{check:?}: {text:?}"
            );
        }
    }
    assert_eq!(CheckId::from_id("nonsense"), None);
}

#[test]
fn findings_and_facts_serialise_with_stable_names() {
    let mut finding = Finding::new(
        CheckId::ApiBeforeLoad,
        "open",
        Cause::CalledBeforeLoad {
            method: Method::Open,
        },
    );
    finding.evidence = vec![2, 5];
    finding.occurrences = 2;
    let v = serde_json::to_value(&finding).unwrap();
    assert_eq!(
        v,
        json!({
            "check": "api-before-load",
            "severity": "error",
            "subject": "open",
            "evidence": [2, 5],
            "occurrences": 2,
            "detail": "jivo_api.open was called before jivo_onLoadCallback fired",
            "cause": {"calledBeforeLoad": {"method": "open"}},
        })
    );
    assert_eq!(
        serde_json::from_value::<Finding>(v.clone()).unwrap(),
        finding
    );
    // A file exported before causes existed: the detail is all there is.
    let mut old = v;
    old.as_object_mut().unwrap().remove("cause");
    let old: Finding = serde_json::from_value(old).unwrap();
    assert_eq!((old.cause, old.detail), (None, finding.detail.clone()));
    assert!(serde_json::from_value::<Finding>(json!({
        "check": "api-before-load", "severity": "error", "subject": "", "evidence": [],
        "occurrences": 0, "detail": "", "extra": 1,
    }))
    .is_err());

    for (fact, json) in [
        (
            PageFact::Loaders {
                srcs: vec![LOADER_A.into()],
            },
            json!({"fact": "loaders", "srcs": [LOADER_A]}),
        ),
        (
            PageFact::HandlerDefined {
                name: Callback::OnOpen,
                script: None,
            },
            json!({"fact": "handlerDefined", "name": "jivo_onOpen"}),
        ),
        (
            PageFact::WidgetRemoved {
                how: Removal::Globals,
            },
            json!({"fact": "widgetRemoved", "how": "globals"}),
        ),
        (
            PageFact::SpaTracking { enabled: false },
            json!({"fact": "spaTracking", "enabled": false}),
        ),
    ] {
        assert_eq!(serde_json::to_value(&fact).unwrap(), json);
        assert_eq!(serde_json::from_value::<PageFact>(json).unwrap(), fact);
    }
}

#[test]
fn facts_travel_in_status_entries_so_a_whole_log_is_judged_alike() {
    let entry = |id, event| Entry { id, at: 0.0, event };
    let fact = |fact| Event::fact("seen", fact);
    let log = vec![
        entry(
            1,
            Event::PageLoad {
                url: "https://shop.example/".into(),
                title: "Shop".into(),
            },
        ),
        entry(
            2,
            fact(PageFact::HandlerDefined {
                name: Callback::OnOpen,
                script: Some("https://shop.example/".into()),
            }),
        ),
        entry(
            3,
            fact(PageFact::HandlerDefined {
                name: Callback::OnOpen,
                script: Some("https://shop.example/replace.js".into()),
            }),
        ),
        entry(
            4,
            Event::Callback {
                name: Callback::OnLoadCallback,
                args: vec![],
            },
        ),
        entry(
            5,
            fact(PageFact::HandlerDefined {
                name: Callback::OnClose,
                script: None,
            }),
        ),
        entry(
            6,
            fact(PageFact::WidgetRemoved {
                how: Removal::Globals,
            }),
        ),
        entry(
            7,
            fact(PageFact::WidgetRemoved {
                how: Removal::Nodes,
            }),
        ),
    ];
    let findings = check(&log);
    let found: Vec<(CheckId, &str, Vec<u64>)> = findings
        .iter()
        .map(|f| (f.check, f.subject.as_str(), f.evidence.clone()))
        .collect();
    assert_eq!(
        found,
        [
            (CheckId::HandlerReplaced, "jivo_onOpen", vec![3]),
            (CheckId::HandlerDefinedLate, "jivo_onClose", vec![4, 5]),
            (CheckId::RemovedWithoutDestroy, "globals", vec![6]),
            (CheckId::RemovedWithoutDestroy, "nodes", vec![7]),
        ]
    );
    // The entry keeps its fact through the log format.
    let json = serde_json::to_value(&log[5].event).unwrap();
    assert_eq!(
        json,
        json!({"kind": "status", "text": "seen", "fact": {"fact": "widgetRemoved", "how": "globals"}})
    );
    assert_eq!(serde_json::from_value::<Event>(json).unwrap(), log[5].event);
    let plain = serde_json::to_value(Event::status("connected")).unwrap();
    assert_eq!(plain, json!({"kind": "status", "text": "connected"}));
}

#[test]
fn a_fact_says_in_plain_words_what_the_page_did() {
    let said = |fact: PageFact| fact.describe();
    assert_eq!(
        said(PageFact::HandlerDefined {
            name: Callback::OnOpen,
            script: Some("https://shop.example/app.js".into()),
        }),
        "the page defined jivo_onOpen (script https://shop.example/app.js)"
    );
    assert_eq!(
        said(PageFact::HandlerDefined {
            name: Callback::OnClose,
            script: None,
        }),
        "the page defined jivo_onClose (script unknown)"
    );
    assert_eq!(
        said(PageFact::WidgetRemoved {
            how: Removal::Globals
        }),
        "window.jivo_api was deleted or overwritten"
    );
    assert_eq!(
        said(PageFact::WidgetRemoved {
            how: Removal::Nodes
        }),
        "the widget's element was removed from the document"
    );
    assert_eq!(
        said(PageFact::Loaders {
            srcs: vec![LOADER_A.into(), LOADER_B.into()],
        }),
        format!("2 JivoChat loaders on the page: {LOADER_A}, {LOADER_B}")
    );
    assert_eq!(
        said(PageFact::SpaTracking { enabled: false }),
        "SPA tracking is off"
    );
}

/// Every cause is said in both locales with the core's English, which is the finding's detail.
#[test]
fn every_cause_is_said_in_both_locales() {
    use crate::api::call::{ArgError, Got, Problem};
    let causes = [
        Cause::HandlerThrew {
            callback: Callback::OnOpen,
            message: "boom".into(),
        },
        Cause::CalledBeforeLoad {
            method: Method::Open,
        },
        Cause::CalledAfterDestroy {
            method: Method::Open,
        },
        Cause::LoadedTwice {
            first: 1,
            second: 4,
        },
        Cause::StartCallUnchecked,
        Cause::CallThrew {
            method: Method::Open,
            threw: "boom".into(),
        },
        Cause::CallReturned {
            method: Method::StartCall,
            returned: r#"{"result":"fail"}"#.into(),
        },
        Cause::InvalidArguments {
            method: Method::SetWidgetColor,
            error: ArgError::new("color", Problem::NotHexColor(Got::text("red"))),
        },
        Cause::CustomDataMarkup {
            index: 0,
            content: "<b>x</b>".into(),
        },
        Cause::UrlChangeUnreported { entry: 9 },
        Cause::DefinedLate {
            callback: Callback::OnLoadCallback,
            load: 3,
        },
        Cause::DefinedLate {
            callback: Callback::OnOpen,
            load: 3,
        },
        Cause::Replaced {
            callback: Callback::OnOpen,
            before: Some("https://shop.example/a.js".into()),
            after: None,
        },
        Cause::Removed {
            how: Removal::Nodes,
        },
        Cause::Removed {
            how: Removal::Globals,
        },
    ];
    let guesses = [
        Guess::Number,
        Guess::SequentialId,
        Guess::Email,
        Guess::Short,
    ]
    .map(|guess| Cause::GuessableToken {
        token: "42".into(),
        guess,
    });
    let loaders = [
        vec![],
        vec!["abc".to_owned()],
        vec!["abc".into(), "def".into()],
    ]
    .map(|widget_ids| Cause::Loaders {
        srcs: vec![LOADER_A.into(), LOADER_A.into()],
        widget_ids,
    });
    // The example of docs/checks.md.
    assert_eq!(
        serde_json::to_value(&causes[7]).unwrap(),
        json!({"invalidArguments": {"method": "setWidgetColor", "error": {
            "field": "color", "problem": {"notHexColor": {"text": "red"}}}}})
    );
    for cause in causes.into_iter().chain(guesses).chain(loaders) {
        crate::phrase::assert_in_locales(&cause.phrase());
        let json = serde_json::to_value(&cause).unwrap();
        assert_eq!(serde_json::from_value::<Cause>(json).unwrap(), cause);
    }
}
