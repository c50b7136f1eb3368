//! Small DOM helpers for extension pages. Text goes in with `textContent` only.

/// The element with this id, if the page has it.
pub fn by_id(id: &str) -> Option<web_sys::Element> {
    web_sys::window()?.document()?.get_element_by_id(id)
}

/// Sets an element's text (never HTML).
pub fn set_text(id: &str, text: &str) {
    if let Some(el) = by_id(id) {
        el.set_text_content(Some(text));
    }
}

/// Sets an attribute of an element.
pub fn set_attr(id: &str, name: &str, value: &str) {
    if let Some(el) = by_id(id) {
        let _ = el.set_attribute(name, value);
    }
}
