//! Driving the sandbox widget the way a visitor does.
//!
//! The widget renders into a *closed* shadow root on a `<jivo-sandbox-widget>` host, so neither
//! WebDriver nor page scripts can find the elements inside it (which is the point: a page must
//! not read the conversation). Tests therefore use what a visitor has: the keyboard (WebDriver
//! key actions go to whatever has focus, also inside a closed shadow root), the pointer at
//! coordinates relative to the host's rectangle, and the screen (an element screenshot of the
//! host, read back pixel by pixel).
//!
//! ```no_run
//! # fn demo(b: &e2e::browser::Browser) -> anyhow::Result<()> {
//! use e2e::widget::{Widget, ENTER};
//! let w = Widget::new(b);
//! w.tab_in_after("#site-last")?; // the label has focus
//! w.keys(&[ENTER])?; // opens the chat; focus moves to the message input
//! w.type_text("Hello\u{E007}")?; // sends a message
//! # Ok(()) }
//! ```

use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use serde_json::{json, Value};

use crate::browser::Browser;
use crate::webdriver::Element;

/// WebDriver's code point for Tab.
pub const TAB: &str = "\u{E004}";
/// WebDriver's code point for Enter.
pub const ENTER: &str = "\u{E007}";
/// WebDriver's code point for Escape.
pub const ESCAPE: &str = "\u{E00C}";
/// WebDriver's code point for (left) Shift.
pub const SHIFT: &str = "\u{E008}";

/// The host element's tag name.
pub const HOST: &str = "jivo-sandbox-widget";

/// The host element's rectangle in the viewport, in CSS pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

/// An RGB colour read from the screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// Parses `#rrggbb`.
    pub fn hex(s: &str) -> Option<Rgb> {
        let h = s.strip_prefix('#')?;
        let n = u32::from_str_radix(h, 16).ok().filter(|_| h.len() == 6)?;
        Some(Rgb((n >> 16) as u8, (n >> 8) as u8, n as u8))
    }

    /// Whether every channel is within `tolerance` of `other`'s.
    pub fn near(self, other: Rgb, tolerance: u8) -> bool {
        let d = |a: u8, b: u8| a.abs_diff(b) <= tolerance;
        d(self.0, other.0) && d(self.1, other.1) && d(self.2, other.2)
    }
}

/// The visitor's hands and eyes on the sandbox widget of the current tab.
pub struct Widget<'a> {
    b: &'a Browser,
}

impl<'a> Widget<'a> {
    /// The widget of `browser`'s current tab.
    pub fn new(browser: &'a Browser) -> Widget<'a> {
        Widget { b: browser }
    }

    /// The host's rectangle, `None` while the widget is not on the page.
    pub fn rect(&self) -> Result<Option<Rect>> {
        let v = self.b.eval(
            "const h = document.querySelector('jivo-sandbox-widget');\
             if (!h || !h.isConnected) return null;\
             const r = h.getBoundingClientRect();\
             return [r.x, r.y, r.width, r.height];",
        )?;
        let Some(a) = v.as_array() else {
            return Ok(None);
        };
        let n = |i: usize| a.get(i).and_then(Value::as_f64).unwrap_or(0.0);
        Ok(Some(Rect {
            x: n(0),
            y: n(1),
            width: n(2),
            height: n(3),
        }))
    }

    /// Waits until the host is on the page with a size that `pred` accepts (the widget renders
    /// after the model answers, so the size tells which state is on screen).
    pub fn wait_rect(
        &self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(Rect) -> bool,
    ) -> Result<Rect> {
        let mut last = None;
        self.b
            .wait_for(what, timeout, |_| {
                last = self.rect()?;
                Ok(last.filter(|r| pred(*r)))
            })
            .with_context(|| format!("the widget host's rect was {last:?}"))
    }

    /// Waits until the host has left the page (`jivo_destroy()`).
    pub fn wait_gone(&self, timeout: Duration) -> Result<()> {
        let mut last = None;
        self.b
            .wait_for("the widget to leave the page", timeout, |_| {
                last = self.rect()?;
                Ok(last.is_none().then_some(()))
            })
            .with_context(|| format!("the widget host is still there at {last:?}"))
    }

    /// Focuses the page's control `css` (the last focusable control before the widget in
    /// document order) and presses Tab once, so that the widget's first control has focus.
    pub fn tab_in_after(&self, css: &str) -> Result<()> {
        let focused = self.b.eval_with(
            "const e = document.querySelector(arguments[0]); if (!e) return false;\
             e.focus(); return document.activeElement === e;",
            vec![json!(css)],
        )?;
        if focused != true {
            bail!("could not focus the page's {css} before tabbing into the widget");
        }
        self.keys(&[TAB])?;
        let inside = self.b.eval_with(
            "return document.activeElement && document.activeElement.localName === arguments[0];",
            vec![json!(HOST)],
        )?;
        if inside != true {
            bail!("Tab after {css} did not move the focus into the widget");
        }
        Ok(())
    }

    /// Presses each key in turn (a WebDriver key code such as [`TAB`] or one character).
    pub fn keys(&self, keys: &[&str]) -> Result<()> {
        let mut actions = Vec::new();
        for k in keys {
            actions.push(json!({"type": "keyDown", "value": k}));
            actions.push(json!({"type": "keyUp", "value": k}));
        }
        self.perform(json!([{"type": "key", "id": "keyboard", "actions": actions}]))
    }

    /// Presses Shift+Tab `n` times.
    pub fn shift_tab(&self, n: usize) -> Result<()> {
        let mut actions = vec![json!({"type": "keyDown", "value": SHIFT})];
        for _ in 0..n {
            actions.push(json!({"type": "keyDown", "value": TAB}));
            actions.push(json!({"type": "keyUp", "value": TAB}));
        }
        actions.push(json!({"type": "keyUp", "value": SHIFT}));
        self.perform(json!([{"type": "key", "id": "keyboard", "actions": actions}]))
    }

    /// Types `text` into whatever has focus, character by character (WebDriver key codes
    /// such as `\u{E007}` for Enter included).
    pub fn type_text(&self, text: &str) -> Result<()> {
        let mut buf = [0u8; 4];
        let chars: Vec<String> = text
            .chars()
            .map(|c| c.encode_utf8(&mut buf).to_owned())
            .collect();
        let keys: Vec<&str> = chars.iter().map(String::as_str).collect();
        self.keys(&keys)
    }

    /// Clicks at `(dx, dy)` from the host's top-left corner.
    pub fn click_at(&self, dx: f64, dy: f64) -> Result<()> {
        let r = self
            .rect()?
            .context("click: the widget is not on the page")?;
        let (x, y) = ((r.x + dx).round() as i64, (r.y + dy).round() as i64);
        self.perform(json!([{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": [
                {"type": "pointerMove", "x": x, "y": y, "origin": "viewport", "duration": 0},
                {"type": "pointerDown", "button": 0},
                {"type": "pointerUp", "button": 0},
            ],
        }]))
    }

    /// Presses the pointer at `(dx, dy)` from the host's top-left corner, moves it by
    /// `(by_x, by_y)` in a few steps and releases it.
    pub fn drag(&self, dx: f64, dy: f64, by_x: i64, by_y: i64) -> Result<()> {
        let r = self
            .rect()?
            .context("drag: the widget is not on the page")?;
        let (x, y) = ((r.x + dx).round() as i64, (r.y + dy).round() as i64);
        let mut actions = vec![
            json!({"type": "pointerMove", "x": x, "y": y, "origin": "viewport", "duration": 0}),
            json!({"type": "pointerDown", "button": 0}),
        ];
        for step in 1..=4 {
            actions.push(
                json!({"type": "pointerMove", "origin": "viewport", "duration": 50,
                "x": x + by_x * step / 4, "y": y + by_y * step / 4}),
            );
        }
        actions.push(json!({"type": "pointerUp", "button": 0}));
        self.perform(json!([{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": actions,
        }]))
    }

    /// The colour on screen at `(dx, dy)` from the host's top-left corner, read from an
    /// element screenshot of the host.
    pub fn pixel(&self, dx: f64, dy: f64) -> Result<Rgb> {
        let r = self
            .rect()?
            .context("pixel: the widget is not on the page")?;
        let host: Element = self.b.session().find(HOST)?;
        let path = format!("/element/{}/screenshot", host.id);
        let png = self
            .b
            .session()
            .cmd("GET", &path, None, "widget screenshot")?;
        self.decode_pixel(&png, dx, dy, r.width, r.height)
    }

    /// The colour on screen at `(x, y)` of the viewport (for parts of the widget that are
    /// positioned outside the host's box, such as the full-width window on narrow screens).
    pub fn screen_pixel(&self, x: f64, y: f64) -> Result<Rgb> {
        let size = self
            .b
            .eval("return [document.documentElement.clientWidth, window.innerHeight];")?;
        let n = |i: usize| size.get(i).and_then(Value::as_f64).unwrap_or(1.0);
        let png = self
            .b
            .session()
            .cmd("GET", "/screenshot", None, "screenshot")?;
        self.decode_pixel(&png, x, y, n(0), n(1))
    }

    /// Decodes one pixel of a base64 PNG showing a `width`×`height` CSS-pixel area. In the
    /// current tab: switching tabs to decode elsewhere would undo a zoom the test set (Firefox
    /// re-applies the site's zoom when a tab is selected), and decoding a `Blob` is not a fetch,
    /// so the page's CSP does not apply.
    fn decode_pixel(&self, png: &Value, x: f64, y: f64, width: f64, height: f64) -> Result<Rgb> {
        let png = png.as_str().context("the screenshot is not base64 text")?;
        let v = self.b.eval_with(
            "const bin = atob(arguments[0]); const bytes = new Uint8Array(bin.length);\
             for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);\
             return createImageBitmap(new Blob([bytes], {type: 'image/png'})).then(bmp => {\
               const c = new OffscreenCanvas(bmp.width, bmp.height).getContext('2d');\
               c.drawImage(bmp, 0, 0);\
               const sx = bmp.width / arguments[3], sy = bmp.height / arguments[4];\
               const d = c.getImageData(Math.round(arguments[1] * sx), Math.round(arguments[2] * sy), 1, 1).data;\
               return [d[0], d[1], d[2]]; });",
            vec![json!(png), json!(x), json!(y), json!(width), json!(height)],
        )?;
        let c = |i: usize| v.get(i).and_then(Value::as_u64).unwrap_or(0) as u8;
        Ok(Rgb(c(0), c(1), c(2)))
    }

    fn perform(&self, actions: Value) -> Result<()> {
        let s = self.b.session();
        s.cmd(
            "POST",
            "/actions",
            Some(json!({ "actions": actions })),
            "perform actions",
        )?;
        s.cmd("DELETE", "/actions", None, "release actions")
            .map(drop)
    }
}
