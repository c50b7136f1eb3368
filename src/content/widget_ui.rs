//! The visitor's widget on the page: renders a [`WidgetView`] into a closed shadow root on a
//! `<jivo-sandbox-widget>` host and turns each visitor interaction into one [`VisitorAction`].
//!
//! The renderer keeps no widget state. Each [`WidgetUi::render`] rebuilds the shadow content
//! from the view (reusing the message list when messages were only appended) and carries over
//! only what the visitor is in the middle of: typed text, focus and caret, the list's scroll.
//! Text from the model goes in with `textContent` only. One listener on the shadow root handles
//! every event (delegation through `data-a`/`data-f`/`data-d` attributes), so rendering from
//! inside a handler is safe: no per-render closures exist to be dropped while running.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{
    Element, Event, HtmlElement, HtmlInputElement, KeyboardEvent, MouseEvent, MutationObserver,
    MutationObserverInit, Node, ShadowRoot, ShadowRootInit, ShadowRootMode,
};

use jwi_core::sandbox::{
    fill, Author, CallbackFormView, ChatPaneView, FormError, Geometry, Message, VisitorAction,
    WidgetState, WidgetView, WindowView, Words, DEFAULT_COLOR, MAX_WINDOW, MIN_WINDOW,
};

/// Every text field, by name: what the visitor typed in them survives re-renders.
const FIELDS: [&str; 9] = [
    "send.text",
    "contact.name",
    "contact.email",
    "contact.phone",
    "offline.name",
    "offline.email",
    "offline.phone",
    "offline.message",
    "callback.phone",
];
/// Watches `<html>`'s children (where the host lives) for the page removing the mounted host.
fn watch_removal(doc: &web_sys::Document, s: &Rc<Shared>, on_removed: fn()) {
    let Some(html) = doc.document_element() else {
        return;
    };
    let shared = s.clone();
    let callback = Closure::<dyn Fn()>::new(move || {
        if shared.mounted.get() && !shared.gone.get() && !shared.host.is_connected() {
            shared.gone.set(true);
            on_removed();
        }
    });
    let Ok(observer) = MutationObserver::new(callback.as_ref().unchecked_ref()) else {
        return;
    };
    // Both live as long as the page.
    callback.forget();
    let options = MutationObserverInit::new();
    options.set_child_list(true);
    let _ = observer.observe_with_options(&html, &options);
}

/// The one stylesheet of the shadow root (light and dark, narrow viewports).
const CSS: &str = include_str!("widget_ui/style.css");
/// Distance of the widget from the viewport's bottom-right corner at drag offset 0, in px.
const MARGIN: i64 = 16;

/// The visitor's widget: a host element with a closed shadow root, rendered from
/// [`WidgetView`]s. Create it once per page with [`WidgetUi::new`].
pub struct WidgetUi {
    s: Rc<Shared>,
    /// A polite live region that outlives re-renders: new agent and system lines are read out.
    live: Element,
    /// The rendered content (everything but the stylesheet and the live region).
    root: Option<Element>,
    /// The message list on screen, kept across renders while messages are only appended.
    list: Option<Element>,
    last: Option<WidgetView>,
}

/// What the event listener shares with the renderer.
struct Shared {
    on_action: fn(VisitorAction),
    host: HtmlElement,
    shadow: ShadowRoot,
    /// The rendered geometry: where a drag or resize starts from.
    geo: Cell<Geometry>,
    drag: Cell<Option<Drag>>,
    /// The form (`contact`, `offline`, `callback`) submitted since the last render: unless the
    /// new view shows an error for it, its fields start empty.
    submitted: Cell<Option<&'static str>>,
    /// The visitor clicked, typed or submitted since the last render: focus may follow them
    /// into the widget even where a click does not focus the button (Safari, macOS Firefox).
    acted: Cell<bool>,
    /// The host is meant to be on the page (the last view was mounted).
    mounted: Cell<bool>,
    /// The page took the mounted host off the document and `on_removed` was told (until the
    /// next render attaches it again).
    gone: Cell<bool>,
}

/// A pointer drag in progress: moving the widget by its header or resizing by the grip.
#[derive(Clone, Copy)]
struct Drag {
    resize: bool,
    x0: i32,
    y0: i32,
}

impl WidgetUi {
    /// Creates the host element (not yet attached) with a closed shadow root; `on_action`
    /// receives every visitor action. `None` without a document or when the host cannot get a
    /// shadow root (for instance, a page that defined the element name itself).
    ///
    /// `on_removed` is told when the page removes the mounted host from the document (the
    /// widget removed by its nodes rather than `jivo_destroy()`), once per removal.
    pub fn new(on_action: fn(VisitorAction), on_removed: fn()) -> Option<WidgetUi> {
        let doc = web_sys::window()?.document()?;
        let host: HtmlElement = doc
            .create_element("jivo-sandbox-widget")
            .ok()?
            .unchecked_into();
        let shadow = host
            .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Closed))
            .ok()?;
        add(&shadow, "style", "", CSS)?;
        let live = add(&shadow, "div", "sr", "")?;
        set(&live, &[("aria-live", "polite")]);
        let geo = Geometry {
            width: 0,
            height: 0,
            x: 0,
            y: 0,
        };
        let s = Rc::new(Shared {
            on_action,
            host,
            shadow,
            geo: Cell::new(geo),
            drag: Cell::new(None),
            submitted: Cell::new(None),
            acted: Cell::new(false),
            mounted: Cell::new(false),
            gone: Cell::new(false),
        });
        watch_removal(&doc, &s, on_removed);
        let shared = s.clone();
        let listener = Closure::<dyn Fn(Event)>::new(move |e: Event| {
            if let Some(action) = action_of(&shared, &e) {
                let moved = matches!(
                    action,
                    VisitorAction::Drag { .. } | VisitorAction::Resize { .. }
                );
                shared.acted.set(!moved);
                (shared.on_action)(action);
            }
        });
        for kind in [
            "click",
            "submit",
            "keydown",
            "keyup",
            "keypress",
            "pointerdown",
            "pointermove",
            "pointerup",
            "pointercancel",
        ] {
            let _ = s
                .shadow
                .add_event_listener_with_callback(kind, listener.as_ref().unchecked_ref());
        }
        // Lives as long as the page: the listener must survive whatever the owner does with
        // this value while an event is being handled.
        listener.forget();
        Some(WidgetUi {
            s,
            live,
            root: None,
            list: None,
            last: None,
        })
    }

    /// Shows `view`: attaches the host to `documentElement` while `view.mounted` (again, if the
    /// page removed it) and removes it otherwise. An unchanged view on an attached host costs
    /// nothing; otherwise the content is rebuilt, keeping typed text, focus and scroll.
    pub fn render(&mut self, view: &WidgetView) {
        let s = &self.s;
        let acted = s.acted.replace(false);
        s.mounted.set(view.mounted);
        if !view.mounted {
            s.host.remove();
            return;
        }
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let Some(html) = doc.document_element() else {
            return;
        };
        let attached = s
            .host
            .parent_node()
            .is_some_and(|p| p.is_same_node(Some(&html)));
        if !attached {
            let _ = html.append_child(&s.host);
            s.gone.set(false);
        }
        if attached && self.root.is_some() && self.last.as_ref() == Some(view) {
            return;
        }
        s.drag.set(None);
        s.geo.set(view.geometry);
        set(&s.host, &[("style", &host_style(view.geometry, 0, 0))]);

        // What the visitor is in the middle of.
        let active = s.shadow.active_element();
        let focus_key = active.as_ref().and_then(key_of);
        let caret = active.as_ref().and_then(|a| {
            let f = text_field(a);
            Some((f.selection_start().ok()??, f.selection_end().ok()??))
        });
        let scroll = self.root.as_ref().and_then(|r| find(r, ".bd")).map(|b| {
            let top = b.scroll_top();
            (top, top + b.client_height() + 8 >= b.scroll_height())
        });
        let done = s.submitted.take().filter(|f| form_error(view, f).is_none());
        let mut typed = Vec::new();
        if let Some(old) = &self.root {
            for name in FIELDS {
                if done.is_some_and(|f| name.starts_with(f)) {
                    continue;
                }
                if let Some(e) = find(old, &format!("[name=\"{name}\"]")) {
                    typed.push((name, text_field(&e).value()));
                }
            }
            old.remove();
        }

        // The message list to extend, if the new messages only add to the old ones.
        let old_msgs = self.last.as_ref().and_then(messages);
        let new_msgs = messages(view);
        let reuse = match (self.list.take(), old_msgs, new_msgs) {
            (Some(l), Some(o), Some(n)) if n.starts_with(o) => Some((l, o.len())),
            _ => None,
        };
        self.announce(view, old_msgs, new_msgs);
        let Some(root) = add(&s.shadow, "div", "r", "") else {
            return;
        };
        set(
            &root,
            &[("style", &colours(view)), ("lang", view.lang.tag())],
        );
        self.list = build(&root, view, reuse);
        self.root = Some(root.clone());
        self.last = Some(view.clone());

        for (name, value) in typed {
            if let Some(e) = find(&root, &format!("[name=\"{name}\"]")) {
                text_field(&e).set_value(&value);
            }
        }
        if let Some(b) = find(&root, ".bd") {
            match scroll {
                Some((top, false)) => b.set_scroll_top(top),
                _ => b.set_scroll_top(b.scroll_height()),
            }
        }
        // Focus stays on the same control; if it went away while the visitor was using the
        // widget, it moves to the natural next one (the message input when the window opens,
        // the label when it closes). Never taken from something else on the page.
        let page_idle = doc.active_element().is_none_or(|a| a.tag_name() == "BODY");
        let using = active.is_some() || (acted && page_idle);
        let same = focus_key.and_then(|k| find(&root, &format!("[name=\"{k}\"],[data-a=\"{k}\"]")));
        let next = same.clone().or_else(|| {
            using.then_some(())?;
            [
                "[name=\"send.text\"]",
                "input,textarea",
                ".bd button",
                "button",
            ]
            .iter()
            .find_map(|q| find(&root, q))
        });
        if let Some(e) = next {
            let _ = e.unchecked_ref::<HtmlElement>().focus();
            if let (Some(_), Some((a, b))) = (same, caret) {
                let _ = text_field(&e).set_selection_range(a, b);
            }
        }
    }

    /// Reads out what is new for someone who cannot see it: the last new agent or system line,
    /// or a grown unread count on the label.
    fn announce(&self, view: &WidgetView, old: Option<&[Message]>, new: Option<&[Message]>) {
        let Some(last) = &self.last else {
            return;
        };
        let unread = |v: &WidgetView| v.label.as_ref().map_or(0, |l| l.unread);
        let wd = view.lang.words();
        let text = match (old, new.and_then(|n| n.last())) {
            (Some(o), Some(m)) if m.author != Author::Visitor && o.last() != Some(m) => {
                format!("{}{}", who(wd, m.author), m.text)
            }
            _ if unread(view) > unread(last) => {
                fill(wd.unread_announce, &[&unread(view).to_string()])
            }
            _ => return,
        };
        self.live.set_text_content(Some(&text));
    }
}

/// The inline style of the host: page stylesheets cannot override it (inline `!important`),
/// and inherited properties start from `initial`, except the text spacing a person may set
/// for every page (WCAG 1.4.12, axe's `avoid-inline-spacing`): letter and word spacing are
/// inherited from the page, so a user's text-spacing override reaches the widget's text.
/// The offset moves the widget from its home corner but never off screen.
fn host_style(g: Geometry, dx: i32, dy: i32) -> String {
    format!(
        "all:initial!important;letter-spacing:inherit!important;word-spacing:inherit!important;\
         direction:ltr!important;display:block!important;\
         position:fixed!important;z-index:2147483647!important;\
         right:clamp(0px,{}px,calc(100vw - {}px))!important;\
         bottom:clamp(0px,{}px,calc(100vh - {}px))!important",
        MARGIN - i64::from(g.x) - i64::from(dx),
        g.width,
        MARGIN - i64::from(g.y) - i64::from(dy),
        g.height
    )
}

/// The conversation on screen, if the chat pane is.
fn messages(v: &WidgetView) -> Option<&[Message]> {
    Some(v.window.as_ref()?.chat.as_ref()?.messages.as_slice())
}

/// The error a form shows in `v`.
fn form_error<'a>(v: &'a WidgetView, form: &str) -> Option<&'a FormError> {
    let w = v.window.as_ref()?;
    match form {
        "contact" => w.chat.as_ref()?.contact_form.as_ref()?.error.as_ref(),
        "offline" => w.chat.as_ref()?.offline_form.as_ref()?.error.as_ref(),
        _ => w.callback_form.as_ref()?.error.as_ref(),
    }
}

// ---- building -------------------------------------------------------------------------------

/// Builds the content for `v` into `root`; returns the message list, if shown.
fn build(root: &Element, v: &WidgetView, reuse: Option<(Element, usize)>) -> Option<Element> {
    let wd = v.lang.words();
    let Some(w) = &v.window else {
        notices(root, v);
        label(root, v);
        return None;
    };
    let win = add(root, "section", "win", "")?;
    let (width, height) = (v.geometry.width, v.geometry.height);
    set(
        &win,
        &[
            ("role", "dialog"),
            ("aria-label", &w.header),
            ("style", &format!("width:{width}px;height:{height}px")),
        ],
    );
    let hd = add(&win, "header", "hd c", "")?;
    set(&hd, &[("data-d", "move")]);
    let title = add(&hd, "div", "t", "")?;
    add(&title, "h2", "", &w.header)?;
    if let Some(c) = &w.chat {
        let status = match (c.online, c.agent_joined) {
            (false, _) => wd.status_offline,
            (true, false) => wd.status_online,
            (true, true) => wd.status_joined,
        };
        add(&title, "p", "st", status)?;
    }
    set(
        &button(&hd, "x", "\u{2013}", "min")?,
        &[("aria-label", wd.minimise)],
    );
    if v.state == WidgetState::Chat {
        let grip = add(&win, "div", "gr", "")?;
        set(&grip, &[("data-d", "size"), ("aria-hidden", "true")]);
    }
    notices(&win, v);
    let body = add(&win, "div", "bd", "")?;
    if let Some(m) = &w.menu {
        let menu = add(&body, "div", "menu", "")?;
        if m.chat {
            button(&menu, "b c", wd.menu_chat, "chat")?;
        }
        if m.call {
            button(&menu, "b c", wd.request_call, "call")?;
        }
    }
    let list = match &w.chat {
        Some(c) => Some(chat(&body, wd, c, reuse)?),
        None => None,
    };
    if let Some(f) = &w.callback_form {
        callback(&body, wd, f, w, v.state)?;
    }
    if let Some(c) = &w.chat {
        footer(&win, wd, c, v.state)?;
    }
    list
}

/// The invitation bubble and the call indicator.
fn notices(parent: &Element, v: &WidgetView) -> Option<()> {
    let wd = v.lang.words();
    if let Some(i) = &v.invitation {
        let inv = add(parent, "div", "inv", "")?;
        set(&inv, &[("role", "status")]);
        set(&add(&inv, "p", "", &i.text)?, &[("dir", "auto")]);
        let close = button(&inv, "x", "\u{d7}", "inv")?;
        set(&close, &[("aria-label", wd.close_invitation)]);
    }
    if let Some(c) = &v.call {
        let text = fill(wd.calling_back, &[c.phone.as_str()]);
        set(&add(parent, "p", "call", &text)?, &[("role", "status")]);
    }
    Some(())
}

/// The launcher label: the last message's preview, the text and the unread badge.
fn label(parent: &Element, v: &WidgetView) -> Option<()> {
    let l = v.label.as_ref()?;
    let b = button(parent, "lb", "", "label")?;
    set(&b, &[("style", &format!("width:{}px", v.geometry.width))]);
    if let Some(p) = &l.preview {
        set(&add(&b, "span", "pv", p)?, &[("dir", "auto")]);
    }
    let bar = add(&b, "span", "bar c", "")?;
    add(&bar, "span", "", &l.text)?;
    if l.unread > 0 {
        let n = add(&bar, "span", "n", &l.unread.to_string())?;
        add(&n, "span", "sr", v.lang.words().unread_suffix)?;
    }
    Some(())
}

/// The chat pane's scrolling part (the conversation and the contact or offline form); returns
/// the message list.
fn chat(
    body: &Element,
    wd: &Words,
    c: &ChatPaneView,
    reuse: Option<(Element, usize)>,
) -> Option<Element> {
    let (list, from) = match reuse {
        Some((l, n)) => {
            body.append_child(&l).ok()?;
            (l, n)
        }
        None => {
            let l = add(body, "ol", "msgs", "")?;
            set(&l, &[("aria-label", wd.conversation)]);
            (l, 0)
        }
    };
    for m in c.messages.get(from..).unwrap_or_default() {
        message(&list, wd, m)?;
    }
    if let Some(f) = &c.contact_form {
        let fm = form(body, "contact", wd.contact_heading)?;
        field(&fm, wd.field_name, "contact.name", "text", "name")?;
        field(&fm, wd.field_email, "contact.email", "email", "email")?;
        field(&fm, wd.field_phone, "contact.phone", "tel", "tel")?;
        error(&fm, "contact", f.error.as_ref())?;
        submit(&fm, "contact", wd.contact_send)?;
    }
    if let Some(f) = &c.offline_form {
        let fm = form(body, "offline", wd.offline_heading)?;
        if f.sent {
            let ok = add(&fm, "p", "ok", wd.offline_sent)?;
            set(&ok, &[("role", "status")]);
        }
        field(&fm, wd.field_name, "offline.name", "text", "name")?;
        field(&fm, wd.field_email, "offline.email", "email", "email")?;
        field(&fm, wd.field_phone, "offline.phone", "tel", "tel")?;
        field(&fm, wd.field_message, "offline.message", "textarea", "off")?;
        error(&fm, "offline", f.error.as_ref())?;
        submit(&fm, "offline", wd.offline_send)?;
    }
    Some(list)
}

/// The chat pane's fixed bottom: the message input and the way to the callback form.
fn footer(win: &Element, wd: &Words, c: &ChatPaneView, state: WidgetState) -> Option<()> {
    let call = c.can_request_call && state == WidgetState::Chat;
    if !c.can_send && !call {
        return Some(());
    }
    let ft = add(win, "div", "ft", "")?;
    if c.can_send {
        let fm = form(&ft, "send", "")?;
        set(&fm, &[("class", "fm snd")]);
        let input = add(&fm, "input", "", "")?;
        set(
            &input,
            &[
                ("name", "send.text"),
                ("aria-label", wd.input_name),
                ("placeholder", wd.input_placeholder),
                ("autocomplete", "off"),
            ],
        );
        submit(&fm, "send", wd.send)?;
    }
    if call {
        button(&ft, "lk", wd.request_call, "call")?;
    }
    Some(())
}

/// One line of the conversation, with who wrote it for screen readers and the time.
fn message(list: &Element, wd: &Words, m: &Message) -> Option<()> {
    let class = match m.author {
        Author::Visitor => "m v c",
        Author::Agent => "m a",
        Author::System => "m s",
    };
    let li = add(list, "li", class, "")?;
    add(&li, "span", "sr", who(wd, m.author))?;
    set(&add(&li, "span", "", &m.text)?, &[("dir", "auto")]);
    let t = js_sys::Date::new(&JsValue::from_f64(m.time_ms as f64));
    let mut meta = format!("{:02}:{:02}", t.get_hours(), t.get_minutes());
    if m.offline {
        meta.push_str(" \u{b7} ");
        meta.push_str(wd.offline_message);
    }
    add(&li, "span", "tm", &meta)?;
    Some(())
}

/// The spoken prefix of a message.
fn who(wd: &Words, a: Author) -> &'static str {
    match a {
        Author::Visitor => wd.you,
        Author::Agent => wd.agent,
        Author::System => "",
    }
}

/// The callback form: the phone field while a call can be requested, how the last call ended,
/// and the way back.
fn callback(
    body: &Element,
    wd: &Words,
    f: &CallbackFormView,
    w: &WindowView,
    state: WidgetState,
) -> Option<()> {
    let heading = if w.chat.is_some() {
        wd.request_call
    } else {
        ""
    };
    let fm = form(body, "callback", heading)?;
    if let Some(end) = &f.last_call {
        let phone = end.phone.as_str();
        // The agent's reason is for the page's `jivo_onCallEnd`, not the visitor's words.
        let text = fill(
            if end.ok {
                wd.call_ended
            } else {
                wd.call_failed
            },
            &[phone],
        );
        set(&add(&fm, "p", "ok", &text)?, &[("role", "status")]);
    }
    if !f.available {
        add(&fm, "p", "", wd.callback_unavailable)?;
    } else if f.call.is_none() {
        field(&fm, wd.callback_phone, "callback.phone", "tel", "tel")?;
    }
    error(&fm, "callback", f.error.as_ref())?;
    if f.available && f.call.is_none() {
        submit(&fm, "callback", wd.callback_send)?;
    }
    let back = if state == WidgetState::ChatCall {
        wd.back_to_chat
    } else {
        wd.close
    };
    button(&fm, "b b2", back, "back")?;
    Some(())
}

/// A form that never navigates (`method=dialog` outside a dialog does nothing, and the
/// listener cancels the submit anyway); the model validates, so the browser does not.
fn form(parent: &Element, kind: &str, heading: &str) -> Option<Element> {
    let fm = add(parent, "form", "fm", "")?;
    set(
        &fm,
        &[("data-f", kind), ("method", "dialog"), ("novalidate", "")],
    );
    if !heading.is_empty() {
        add(&fm, "h3", "", heading)?;
        set(&fm, &[("aria-label", heading)]);
    }
    Some(fm)
}

/// A labelled text field (`kind` is an input type, or `textarea`).
fn field(fm: &Element, label: &str, name: &str, kind: &str, autocomplete: &str) -> Option<()> {
    let l = add(fm, "label", "", "")?;
    add(&l, "span", "", label)?;
    let tag = if kind == "textarea" { kind } else { "input" };
    let input = add(&l, tag, "", "")?;
    set(&input, &[("name", name), ("autocomplete", autocomplete)]);
    if tag == "input" {
        set(&input, &[("type", kind)]);
    }
    Some(())
}

/// A form's validation error, announced when it appears and tied to the field it is about
/// (`aria-invalid`, `aria-describedby`, `aria-errormessage`).
fn error(fm: &Element, kind: &str, error: Option<&FormError>) -> Option<()> {
    if let Some(e) = error {
        let id = format!("{kind}-err");
        set(
            &add(fm, "p", "err", &e.text)?,
            &[("role", "alert"), ("id", &id)],
        );
        let input = e
            .field
            .as_ref()
            .and_then(|f| find(fm, &format!("[name=\"{kind}.{f}\"]")));
        if let Some(input) = input {
            set(
                &input,
                &[
                    ("aria-invalid", "true"),
                    ("aria-describedby", &id),
                    ("aria-errormessage", &id),
                ],
            );
        }
    }
    Some(())
}

/// A form's submit button.
fn submit(fm: &Element, kind: &str, text: &str) -> Option<()> {
    let b = add(fm, "button", "b c", text)?;
    set(&b, &[("type", "submit"), ("name", &format!("{kind}.go"))]);
    Some(())
}

/// A button that performs the action named `action` (see [`click_action`]).
fn button(parent: &Element, class: &str, text: &str, action: &str) -> Option<Element> {
    let b = add(parent, "button", class, text)?;
    set(&b, &[("type", "button"), ("data-a", action)]);
    Some(b)
}

/// The widget colours as CSS variables: the background (colour or 135° gradient) and the text
/// colour (white or near-black, whichever contrasts more with the worse of the two colours).
/// Colours are re-checked as hex here, so nothing but `#` and hex digits reaches the style.
fn colours(v: &WidgetView) -> String {
    let a = &v.appearance;
    let (c1, l1) = match rgb(&a.color) {
        Some(l) => (a.color.as_str(), l),
        None => (DEFAULT_COLOR, rgb(DEFAULT_COLOR).unwrap_or(0.0)),
    };
    let second = a.color2.as_deref().and_then(|c| Some((c, rgb(c)?)));
    let bg = match second {
        Some((c2, _)) => format!("linear-gradient(135deg,{c1},{c2})"),
        None => c1.to_string(),
    };
    let (lo, hi) = second.map_or((l1, l1), |(_, l2)| (l1.min(l2), l1.max(l2)));
    // Contrast ratios (WCAG) of white against the lightest stop and of #111 (L ≈ 0.0056)
    // against the darkest.
    let white = 1.05 / (hi + 0.05);
    let dark = (lo + 0.05) / 0.0556;
    let fg = if white >= dark { "#fff" } else { "#111" };
    format!("--bg:{bg};--fg:{fg}")
}

/// The relative luminance of a `#rgb`/`#rrggbb` colour, `None` for anything else. Channels are
/// linearised by squaring (close to sRGB's curve, without pulling `pow` into the bundle).
fn rgb(hex: &str) -> Option<f64> {
    let h = hex.strip_prefix('#')?;
    let n = u32::from_str_radix(h, 16).ok()?;
    let (bits, scale) = match h.len() {
        3 => (4, 17),
        6 => (8, 1),
        _ => return None,
    };
    if !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mask = (1 << bits) - 1;
    let channel = |i: u32| {
        let v = f64::from(((n >> (bits * (2 - i))) & mask) * scale) / 255.0;
        v * v
    };
    Some(0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2))
}

// ---- events ---------------------------------------------------------------------------------

/// The one listener's logic: the action an event inside the shadow root stands for, if any.
fn action_of(s: &Shared, e: &Event) -> Option<VisitorAction> {
    // Events reaching a listener on our shadow root come from elements inside it.
    let t: Element = e.target()?.unchecked_into();
    let kind = e.type_();
    match kind.as_str() {
        "click" => click_action(&t.closest("[data-a]").ok()??.get_attribute("data-a")?),
        "submit" => {
            e.prevent_default();
            submit_action(s, &t)
        }
        "keydown" | "keyup" | "keypress" => {
            // Keys typed into the widget are not the page's shortcuts.
            e.stop_propagation();
            // Escape minimises while the focus is in the open window.
            let escape = e.unchecked_ref::<KeyboardEvent>().key() == "Escape";
            if kind != "keydown" || !escape {
                return None;
            }
            t.closest(".win").ok()??;
            e.prevent_default();
            Some(VisitorAction::Minimise)
        }
        _ => pointer(s, e, &t, &kind),
    }
}

/// The action of a `data-a` button.
fn click_action(name: &str) -> Option<VisitorAction> {
    Some(match name {
        "label" => VisitorAction::ClickLabel,
        "min" => VisitorAction::Minimise,
        "chat" => VisitorAction::OpenChat,
        "call" => VisitorAction::OpenCallbackForm,
        "back" => VisitorAction::CloseCallbackForm,
        "inv" => VisitorAction::CloseInvitation,
        _ => return None,
    })
}

/// The action of a submitted form, with its fields' text.
fn submit_action(s: &Shared, fm: &Element) -> Option<VisitorAction> {
    let kind = fm.get_attribute("data-f")?;
    let val = |name: &str| {
        find(fm, &format!("[name=\"{kind}.{name}\"]"))
            .map(|e| text_field(&e).value())
            .unwrap_or_default()
    };
    let (form, action) = match kind.as_str() {
        "send" => {
            let text = val("text");
            if let Some(e) = find(fm, "[name=\"send.text\"]") {
                text_field(&e).set_value("");
            }
            return Some(VisitorAction::SendMessage { text });
        }
        "contact" => (
            "contact",
            VisitorAction::SubmitContactForm {
                name: val("name"),
                email: val("email"),
                phone: val("phone"),
            },
        ),
        "offline" => (
            "offline",
            VisitorAction::SubmitOfflineForm {
                name: val("name"),
                email: val("email"),
                phone: val("phone"),
                message: val("message"),
            },
        ),
        "callback" => (
            "callback",
            VisitorAction::SubmitCallbackForm {
                phone: val("phone"),
            },
        ),
        _ => return None,
    };
    s.submitted.set(Some(form));
    Some(action)
}

/// Dragging the header moves the widget, dragging the grip resizes the chat window; the page
/// follows the pointer and the release sends one `Drag` or `Resize`. Not on narrow screens,
/// where the window fills the width.
fn pointer(s: &Shared, e: &Event, t: &Element, kind: &str) -> Option<VisitorAction> {
    let m: &MouseEvent = e.unchecked_ref();
    let (x, y) = (m.client_x(), m.client_y());
    if kind == "pointerdown" {
        let handle = t.closest("[data-d]").ok()??;
        let narrow = web_sys::window()?.inner_width().ok()?.as_f64()? < 480.0;
        if m.button() != 0 || narrow || t.closest("button").ok()?.is_some() {
            return None;
        }
        let id = js_sys::Reflect::get(e, &"pointerId".into())
            .ok()?
            .as_f64()?;
        let _ = handle.set_pointer_capture(id as i32);
        e.prevent_default();
        let resize = handle.get_attribute("data-d").as_deref() == Some("size");
        s.drag.set(Some(Drag {
            resize,
            x0: x,
            y0: y,
        }));
        return None;
    }
    let d = s.drag.get()?;
    let g = s.geo.get();
    let (dx, dy) = if kind == "pointercancel" {
        (0, 0)
    } else {
        (x.saturating_sub(d.x0), y.saturating_sub(d.y0))
    };
    // Anchored at the bottom right, the window grows up and to the left.
    let clamp = |v: u32, d: i32, lo: u32, hi: u32| {
        (i64::from(v) - i64::from(d)).clamp(i64::from(lo), i64::from(hi)) as u32
    };
    let width = clamp(g.width, dx, MIN_WINDOW.0, MAX_WINDOW.0);
    let height = clamp(g.height, dy, MIN_WINDOW.1, MAX_WINDOW.1);
    let moving = kind == "pointermove";
    if d.resize {
        let (w, h) = if moving {
            (width, height)
        } else {
            (g.width, g.height)
        };
        // With the pointer captured, `t` is the grip.
        if let Some(win) = t.closest(".win").ok()? {
            set(&win, &[("style", &format!("width:{w}px;height:{h}px"))]);
        }
    } else {
        let (mx, my) = if moving { (dx, dy) } else { (0, 0) };
        set(&s.host, &[("style", &host_style(g, mx, my))]);
    }
    if moving {
        return None;
    }
    // Released (or cancelled): the view shows the model's geometry again until it answers.
    s.drag.set(None);
    if dx.unsigned_abs().saturating_add(dy.unsigned_abs()) < 3 {
        return None;
    }
    Some(if d.resize {
        VisitorAction::Resize { width, height }
    } else {
        VisitorAction::Drag {
            x: g.x.saturating_add(dx),
            y: g.y.saturating_add(dy),
        }
    })
}

// ---- DOM helpers ----------------------------------------------------------------------------

/// Appends a new `<tag class=…>` with `text` as its text (never markup) to `parent`.
fn add(parent: &Node, tag: &str, class: &str, text: &str) -> Option<Element> {
    let e = parent.owner_document()?.create_element(tag).ok()?;
    if !class.is_empty() {
        let _ = e.set_attribute("class", class);
    }
    if !text.is_empty() {
        e.set_text_content(Some(text));
    }
    parent.append_child(&e).ok()?;
    Some(e)
}

/// Sets attributes.
fn set(e: &Element, attrs: &[(&str, &str)]) {
    for (k, v) in attrs {
        let _ = e.set_attribute(k, v);
    }
}

/// The first element under `root` matching `selector`.
fn find(root: &Element, selector: &str) -> Option<Element> {
    root.query_selector(selector).ok().flatten()
}

/// What identifies a control across renders: its field name or its action.
fn key_of(e: &Element) -> Option<String> {
    e.get_attribute("name")
        .or_else(|| e.get_attribute("data-a"))
}

/// An `<input>` or `<textarea>`: both have `value` and the selection members, and web-sys
/// reaches them by name, so one typed view serves both.
fn text_field(e: &Element) -> &HtmlInputElement {
    e.unchecked_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luminance_reads_short_and_long_hex_only() {
        assert_eq!(rgb("#fff"), rgb("#ffffff"));
        assert!((rgb("#ffffff").unwrap() - 1.0).abs() < 1e-9);
        assert_eq!(rgb("#000"), Some(0.0));
        for bad in ["fff", "#ffff", "#gggggg", "#ff00ff;x", "", "#"] {
            assert_eq!(rgb(bad), None, "{bad}");
        }
    }

    #[test]
    fn host_style_keeps_the_widget_on_screen() {
        let g = Geometry {
            width: 240,
            height: 56,
            x: -20,
            y: i32::MIN,
        };
        let s = host_style(g, 0, 0);
        assert!(
            s.contains("right:clamp(0px,36px,calc(100vw - 240px))"),
            "{s}"
        );
        assert!(s.contains("all:initial!important"));
        // Text spacing is the person's (WCAG 1.4.12): inherited, after the reset.
        let reset = s.find("all:initial").unwrap();
        for p in [
            "letter-spacing:inherit!important",
            "word-spacing:inherit!important",
        ] {
            assert!(s.find(p).is_some_and(|i| i > reset), "{p} in {s}");
        }
    }
}
