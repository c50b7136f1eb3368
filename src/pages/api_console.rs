//! The API console (`#api`): a form per entry point built from
//! [`console_form`](jwi_core::view::console_form), validated before it is sent, and the answer
//! shown. Shared by the popup and the DevTools panel; each page gives it the way to send.
//!
//! When the form is refused, "send anyway" (`#api-anyway`, with `#api-anyway-hint`) appears:
//! it sends what was typed, unchecked ([`console_form::build_unchecked`]), so a widget's
//! failure path can be tried; the call goes out marked `anyway` and its log entry says so.

use std::cell::RefCell;

use serde_json::Value;
use wasm_bindgen::JsCast;
use web_sys::Element;

use jwi_browser::dom::{self, append, el, on, set_value, value_of};
use jwi_browser::i18n::{self, t};
use jwi_core::api::call::RawCall;
use jwi_core::api::call::Reply;
use jwi_core::api::Method;
use jwi_core::view::console_form::{self, Kind};

/// A page's way to send a call: its request id, the call, and whether it is sent anyway.
type Send = Box<dyn Fn(u32, RawCall, bool)>;

struct Console {
    send: Option<Send>,
    next_id: u32,
    /// The id of the last call sent; only its answer is shown.
    pending: Option<u32>,
    /// How many custom-data rows the `setCustomData` form has.
    rows: usize,
}

thread_local! {
    static CONSOLE: RefCell<Console> = const { RefCell::new(Console {
        send: None, next_id: 1, pending: None, rows: 1,
    }) };
}

fn clear(id: &str) -> Option<Element> {
    let e = dom::by_id(id)?;
    e.set_text_content(None);
    Some(e)
}

/// Wires the console's controls; `send` posts a call with its request id (validated, or sent
/// anyway when the last argument is true).
pub fn setup(send: impl Fn(u32, RawCall, bool) + 'static) {
    CONSOLE.with(|c| c.borrow_mut().send = Some(Box::new(send)));
    if let Some(select) = dom::by_id("api-method") {
        for m in Method::ALL {
            let opt = el("option", "", m.name());
            let _ = opt.set_attribute("value", m.name());
            append(&select, &opt);
        }
    }
    build_fields();
    on("api-method", "change", |_| {
        CONSOLE.with(|c| c.borrow_mut().rows = 1);
        build_fields();
    });
    on("api-call", "click", |_| call_api());
    on("api-anyway", "click", |_| send_anyway());
}

fn show_anyway(show: bool) {
    dom::set_hidden("api-anyway", !show);
    dom::set_hidden("api-anyway-hint", !show);
}

/// "Send anyway": the form's values as typed, unchecked.
fn send_anyway() {
    let method = selected_method();
    let rows = CONSOLE.with(|c| c.borrow().rows);
    let get = |name: &str| value_of(&format!("api-arg-{name}"));
    let call = console_form::build_unchecked(method, &get, rows);
    show_anyway(false);
    dom::focus("api-call");
    send(call, true);
}

fn selected_method() -> Method {
    Method::from_name(&value_of("api-method")).unwrap_or(Method::Open)
}

/// Builds the selected method's inputs into `#api-args`.
fn build_fields() {
    let method = selected_method();
    let Some(box_) = clear("api-args") else {
        return;
    };
    clear_errors();
    show_anyway(false);
    dom::set_text("api-result", "");
    dom::set_attr("api-result", "data-kind", "none");
    for f in console_form::fields(method) {
        append(&box_, &field_row(f.name, f.kind, f.placeholder));
    }
    if method == Method::SetCustomData {
        let rows = CONSOLE.with(|c| c.borrow().rows);
        let list = el("div", "cd-rows", "");
        list.set_id("api-arg-fields");
        for row in 0..rows {
            let fs = el("fieldset", "cd-row", "");
            append(&fs, &el("legend", "", &format!("fields[{row}]")));
            for part in console_form::CUSTOM_FIELD_PARTS {
                append(
                    &fs,
                    &field_row(&format!("fields-{row}-{part}"), Kind::Text, ""),
                );
            }
            append(&list, &fs);
        }
        append(&box_, &list);
        let add = el("button", "", &t("popup_api_add_field", &[]));
        add.set_id("api-arg-fields-add");
        let _ = add.set_attribute("type", "button");
        append(&box_, &add);
        on("api-arg-fields-add", "click", |_| {
            // Keep what was typed: read the rows, rebuild with one more, write them back.
            let rows = CONSOLE.with(|c| c.borrow().rows);
            let saved: Vec<(String, String)> = (0..rows)
                .flat_map(|r| console_form::CUSTOM_FIELD_PARTS.map(|p| format!("fields-{r}-{p}")))
                .map(|n| {
                    let v = value_of(&format!("api-arg-{n}"));
                    (n, v)
                })
                .collect();
            CONSOLE.with(|c| c.borrow_mut().rows = (rows + 1).min(20));
            build_fields();
            for (n, v) in saved {
                set_value(&format!("api-arg-{n}"), &v);
            }
        });
    }
    if console_form::fields(method).is_empty() && method != Method::SetCustomData {
        append(&box_, &el("p", "hint", &t("popup_api_no_args", &[])));
    }
}

/// A labelled input for one field, with its error slot `api-err-<name>`.
fn field_row(name: &str, kind: Kind, placeholder: &str) -> Element {
    let row = el("div", "arg", "");
    let id = format!("api-arg-{name}");
    let label = el("label", "", name.rsplit('-').next().unwrap_or(name));
    let _ = label.set_attribute("for", &id);
    let input = match kind {
        Kind::Text => {
            let i = el("input", "", "");
            let _ = i.set_attribute("type", "text");
            i
        }
        Kind::Check => {
            let i = el("input", "", "");
            let _ = i.set_attribute("type", "checkbox");
            i
        }
        Kind::Area => {
            let a = el("textarea", "", "");
            let _ = a.set_attribute("rows", "3");
            a
        }
        Kind::Select(options) => {
            let s = el("select", "", "");
            for o in options {
                let opt = el("option", "", o);
                let _ = opt.set_attribute("value", o);
                append(&s, &opt);
            }
            s
        }
    };
    input.set_id(&id);
    if !placeholder.is_empty() {
        let _ = input.set_attribute("placeholder", placeholder);
    }
    let err_id = format!("api-err-{name}");
    let _ = input.set_attribute("aria-describedby", &err_id);
    append(&row, &label);
    append(&row, &input);
    let err = el("span", "field-error", "");
    err.set_id(&err_id);
    let _ = err.set_attribute("role", "alert");
    append(&row, &err);
    row
}

fn clear_errors() {
    if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
        if let Ok(list) = doc.query_selector_all(".field-error") {
            for i in 0..list.length() {
                if let Some(n) = list.item(i) {
                    n.set_text_content(None);
                }
            }
        }
        if let Ok(list) = doc.query_selector_all("[aria-invalid]") {
            for i in 0..list.length() {
                if let Some(e) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                    let _ = e.remove_attribute("aria-invalid");
                }
            }
        }
    }
    dom::set_text("api-error", "");
}

fn call_api() {
    clear_errors();
    let method = selected_method();
    let rows = CONSOLE.with(|c| c.borrow().rows);
    let get = |name: &str| value_of(&format!("api-arg-{name}"));
    match console_form::build_call(method, &get, rows) {
        Err(e) => {
            let slot = console_form::error_slot(e.field());
            let target = format!("api-err-{slot}");
            let why = i18n::say(&e.phrase());
            if dom::by_id(&target).is_some() {
                dom::set_text(&target, &why);
                dom::set_attr(&format!("api-arg-{slot}"), "aria-invalid", "true");
            } else {
                dom::set_text("api-error", &why);
            }
            dom::set_text("api-result", "");
            dom::set_attr("api-result", "data-kind", "refused");
            show_anyway(true);
        }
        Ok(call) => {
            show_anyway(false);
            send(call, false);
        }
    }
}

/// Sends a call under the next request id and waits for its answer.
fn send(call: RawCall, anyway: bool) {
    let id = CONSOLE.with(|c| {
        let mut c = c.borrow_mut();
        let id = c.next_id;
        c.next_id += 1;
        c.pending = Some(id);
        id
    });
    dom::set_text("api-result", &t("popup_api_waiting", &[]));
    dom::set_attr("api-result", "data-kind", "pending");
    dom::set_attr("api-result", "data-id", &id.to_string());
    dom::set_attr("api-result", "data-anyway", &anyway.to_string());
    CONSOLE.with(|c| {
        if let Some(send) = &c.borrow().send {
            send(id, call, anyway);
        }
    });
}

/// Shows the answer to the last call made (answers to earlier ones are ignored).
pub fn show_result(id: u32, outcome: &Reply) {
    if CONSOLE.with(|c| c.borrow().pending) != Some(id) {
        return;
    }
    let compact = |v: &Value| serde_json::to_string(v).unwrap_or_default();
    let (kind, text) = if let Some(threw) = &outcome.threw {
        ("threw", format!("{}: {threw}", t("popup_api_threw", &[])))
    } else if let Some(args) = &outcome.callback_args {
        (
            "callback",
            format!(
                "{} {}",
                t("popup_api_callback", &[]),
                compact(&Value::Array(args.clone()))
            ),
        )
    } else if let Some(v) = &outcome.returned {
        (
            "returned",
            format!("{} {}", t("popup_api_returned", &[]), compact(v)),
        )
    } else {
        ("returned", t("popup_api_undefined", &[]))
    };
    dom::set_text("api-result", &text);
    dom::set_attr("api-result", "data-kind", kind);
    let value = outcome
        .callback_args
        .as_ref()
        .map(|a| Value::Array(a.clone()))
        .or_else(|| outcome.returned.clone())
        .map(|v| compact(&v))
        .unwrap_or_default();
    dom::set_attr("api-result", "data-value", &value);
}
