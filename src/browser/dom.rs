//! The DOM builder and helpers every extension page uses. Text goes in with `textContent`
//! only; nothing here parses markup.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::HtmlTextAreaElement;
use web_sys::{Element, EventTarget, HtmlElement, HtmlInputElement, HtmlSelectElement};

/// The page's document.
pub fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

/// The element with this id, if the page has it.
pub fn by_id(id: &str) -> Option<Element> {
    document()?.get_element_by_id(id)
}

/// A new element with `class` (if not empty) and `text` (if not empty), set as text.
pub fn el(tag: &str, class: &str, text: &str) -> Element {
    let e = document()
        .and_then(|d| d.create_element(tag).ok())
        .expect("an extension page has a document and tag names are valid");
    if !class.is_empty() {
        e.set_class_name(class);
    }
    if !text.is_empty() {
        e.set_text_content(Some(text));
    }
    e
}

/// Appends `child` to `parent`.
pub fn append(parent: &Element, child: &Element) {
    let _ = parent.append_child(child);
}

/// Sets an element's text (never HTML).
pub fn set_text(id: &str, text: &str) {
    if let Some(el) = by_id(id) {
        el.set_text_content(Some(text));
    }
}

/// Puts `text` into `el` as text, with each `` `…` `` part (how the core quotes keys, patterns
/// and characters in its messages) as a `<code>` element. Never HTML.
pub fn set_rich_text(el: &Element, text: &str) {
    el.set_text_content(None);
    let parts = text.split('`').count();
    for (i, part) in text.split('`').enumerate() {
        if part.is_empty() {
            continue;
        }
        // An odd part is inside backticks, unless the text ends before its closing one.
        if i % 2 == 1 && parts > i + 1 {
            let code = self::el("code", "", part);
            append(el, &code);
        } else {
            let _ = el.insert_adjacent_text("beforeend", part);
        }
    }
}

/// Sets an attribute of an element.
pub fn set_attr(id: &str, name: &str, value: &str) {
    if let Some(el) = by_id(id) {
        let _ = el.set_attribute(name, value);
    }
}

/// Adds an event listener to `target` that lives as long as the page.
pub fn listen(target: &EventTarget, event: &str, f: impl FnMut(web_sys::Event) + 'static) {
    let closure = Closure::<dyn FnMut(web_sys::Event)>::new(f);
    let _ = target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
    closure.forget();
}

/// Adds an event listener to the element with this id (if the page has it) for the page's life.
pub fn on(id: &str, event: &str, f: impl FnMut(web_sys::Event) + 'static) {
    if let Some(el) = by_id(id) {
        listen(&el, event, f);
    }
}

/// The `<input>` with this id.
pub fn input(id: &str) -> Option<HtmlInputElement> {
    by_id(id)?.dyn_into().ok()
}

/// Whether the checkbox or radio button `id` is checked.
pub fn checked(id: &str) -> bool {
    input(id).is_some_and(|i| i.checked())
}

/// The value of an input, select or text area (`"true"`/`""` for a checkbox; `""` if none).
pub fn value_of(id: &str) -> String {
    let Some(el) = by_id(id) else {
        return String::new();
    };
    if let Some(i) = el.dyn_ref::<HtmlInputElement>() {
        if i.type_() == "checkbox" {
            return if i.checked() {
                "true".into()
            } else {
                String::new()
            };
        }
        return i.value();
    }
    if let Some(s) = el.dyn_ref::<HtmlSelectElement>() {
        return s.value();
    }
    if let Some(a) = el.dyn_ref::<HtmlTextAreaElement>() {
        return a.value();
    }
    String::new()
}

/// Sets the value of the text input `id`.
pub fn set_value(id: &str, value: &str) {
    if let Some(i) = input(id) {
        i.set_value(value);
    }
}

/// Checks or unchecks a checkbox.
pub fn set_checked(id: &str, checked: bool) {
    if let Some(i) = input(id) {
        i.set_checked(checked);
    }
}

/// Enables or disables a control.
pub fn set_disabled(id: &str, disabled: bool) {
    if let Some(el) = by_id(id) {
        let _ = el.toggle_attribute_with_force("disabled", disabled);
    }
}

/// Shows or hides an element (the `hidden` attribute).
pub fn set_hidden(id: &str, hidden: bool) {
    if let Some(el) = by_id(id).and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
        el.set_hidden(hidden);
    }
}

/// Moves keyboard focus to an element.
pub fn focus(id: &str) {
    if let Some(el) = by_id(id).and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
        let _ = el.focus();
    }
}

/// A new, empty document fragment: rows are built into it and added to the page at once.
pub fn fragment() -> web_sys::DocumentFragment {
    document()
        .map(|d| d.create_document_fragment())
        .expect("an extension page has a document")
}
