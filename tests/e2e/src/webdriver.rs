//! A minimal, synchronous W3C WebDriver client, plus the few vendor endpoints of chromedriver
//! and geckodriver the harness needs.
//!
//! Every error names the command, the HTTP status and the driver's own error code and message,
//! e.g. `WebDriver POST /session/…/element (find element "#page-status"): HTTP 404 no such
//! element: Unable to locate element`.
//!
//! ```no_run
//! use e2e::webdriver::Session;
//! use serde_json::json;
//!
//! let session = Session::new("http://127.0.0.1:9515", json!({"browserName": "chrome"}))?;
//! session.navigate("http://127.0.0.1:8000/plain.html")?;
//! let title = session.title()?;
//! # Ok::<(), anyhow::Error>(())
//! ```

use std::fmt;
use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _, Result};
use serde_json::{json, Value};

/// The key W3C WebDriver uses for element references in JSON.
pub const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long one HTTP exchange with the driver may take at most. Commands that wait inside the
/// driver (page loads, async scripts) are bounded by the session timeouts, set lower than this.
const HTTP_TIMEOUT: Duration = Duration::from_secs(120);

/// An error reply from the driver.
#[derive(Debug, Clone)]
pub struct WebDriverError {
    /// What the harness was doing, e.g. `POST /session/…/url (navigate to http://…)`.
    pub command: String,
    /// The HTTP status of the reply.
    pub status: u16,
    /// The WebDriver error code, e.g. `no such element`, `javascript error`.
    pub error: String,
    /// The driver's message.
    pub message: String,
}

impl fmt::Display for WebDriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "WebDriver {}: HTTP {} {}: {}",
            self.command, self.status, self.error, self.message
        )
    }
}

impl std::error::Error for WebDriverError {}

impl WebDriverError {
    /// Whether `err` is a WebDriver error reply with error code `code` (e.g. `"no such element"`).
    pub fn is(err: &anyhow::Error, code: &str) -> bool {
        err.chain()
            .filter_map(|e| e.downcast_ref::<WebDriverError>())
            .any(|e| e.error == code)
    }
}

/// A reference to an element in the current page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    /// The driver's element id.
    pub id: String,
}

impl Element {
    /// The JSON form, for passing the element as a script argument.
    pub fn to_json(&self) -> Value {
        json!({ ELEMENT_KEY: self.id })
    }

    fn from_json(value: &Value) -> Result<Element> {
        value
            .get(ELEMENT_KEY)
            .and_then(Value::as_str)
            .map(|id| Element { id: id.to_string() })
            .ok_or_else(|| anyhow!("not an element reference: {value}"))
    }
}

/// An HTTP connection to a driver, without a session (for `/status` and creating sessions).
#[derive(Clone)]
pub struct Client {
    base: String,
    agent: ureq::Agent,
}

impl Client {
    /// A client for the driver listening at `base`, e.g. `http://127.0.0.1:9515`.
    pub fn new(base: &str) -> Client {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(HTTP_TIMEOUT))
            .timeout_connect(Some(Duration::from_secs(5)))
            .proxy(None)
            .build();
        Client {
            base: base.trim_end_matches('/').to_string(),
            agent: config.into(),
        }
    }

    /// `GET /status`: whether the driver says it is ready for a new session.
    pub fn ready(&self) -> Result<bool> {
        let value = self.request("GET", "/status", None, "status")?;
        Ok(value.get("ready").and_then(Value::as_bool).unwrap_or(false))
    }

    /// Sends one command and returns the reply's `value`, or a [`WebDriverError`].
    pub fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        what: &str,
    ) -> Result<Value> {
        let url = format!("{}{}", self.base, path);
        let command = if what.is_empty() {
            format!("{method} {path}")
        } else {
            format!("{method} {path} ({what})")
        };
        let reply = match method {
            "GET" => self.agent.get(&url).call(),
            "DELETE" => self.agent.delete(&url).call(),
            "POST" => {
                let body = body.cloned().unwrap_or_else(|| json!({})).to_string();
                self.agent
                    .post(&url)
                    .header("Content-Type", "application/json; charset=utf-8")
                    .send(body)
            }
            _ => bail!("WebDriver {command}: unsupported HTTP method"),
        };
        let mut reply = reply.with_context(|| format!("WebDriver {command}: no reply"))?;
        let status = reply.status().as_u16();
        let text = reply
            .body_mut()
            .with_config()
            .limit(256 * 1024 * 1024)
            .read_to_string()
            .with_context(|| format!("WebDriver {command}: reading the reply"))?;
        let json: Value = serde_json::from_str(&text).with_context(|| {
            format!(
                "WebDriver {command}: HTTP {status}, reply is not JSON: {}",
                clip(&text, 500)
            )
        })?;
        let value = json.get("value").cloned().unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            return Ok(value);
        }
        let field = |name: &str| {
            value
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        Err(WebDriverError {
            command,
            status,
            error: field("error"),
            message: clip(&field("message"), 2000),
        }
        .into())
    }
}

/// A WebDriver session. It is *not* ended on drop: call [`Session::quit`].
pub struct Session {
    client: Client,
    id: String,
    capabilities: Value,
}

impl Session {
    /// Creates a session on the driver at `base` with `capabilities` as `alwaysMatch`.
    pub fn new(base: &str, capabilities: Value) -> Result<Session> {
        let client = Client::new(base);
        let body = json!({ "capabilities": { "alwaysMatch": capabilities } });
        let value = client.request("POST", "/session", Some(&body), "new session")?;
        let id = value
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("new session: no sessionId in reply {value}"))?
            .to_string();
        let capabilities = value.get("capabilities").cloned().unwrap_or(Value::Null);
        Ok(Session {
            client,
            id,
            capabilities,
        })
    }

    /// The session id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The capabilities the driver returned for the session.
    pub fn capabilities(&self) -> &Value {
        &self.capabilities
    }

    /// Sends a command below `/session/{id}`; `path` starts with `/` (or is empty).
    pub fn cmd(&self, method: &str, path: &str, body: Option<Value>, what: &str) -> Result<Value> {
        let path = format!("/session/{}{}", self.id, path);
        self.client.request(method, &path, body.as_ref(), what)
    }

    /// Ends the session (the driver closes the browser).
    pub fn quit(&self) -> Result<()> {
        self.cmd("DELETE", "", None, "end session").map(drop)
    }

    /// Sets the session timeouts: script, page load and implicit wait.
    pub fn set_timeouts(&self, script: Duration, page_load: Duration) -> Result<()> {
        let body = json!({
            "script": script.as_millis() as u64,
            "pageLoad": page_load.as_millis() as u64,
            "implicit": 0,
        });
        self.cmd("POST", "/timeouts", Some(body), "set timeouts")
            .map(drop)
    }

    // ----- navigation -----

    /// Navigates the current tab to `url` and waits for the load (page load strategy).
    pub fn navigate(&self, url: &str) -> Result<()> {
        let what = format!("navigate to {url}");
        self.cmd("POST", "/url", Some(json!({ "url": url })), &what)
            .map(drop)
    }

    /// The current tab's URL.
    pub fn current_url(&self) -> Result<String> {
        as_string(self.cmd("GET", "/url", None, "current url")?)
    }

    /// The current tab's title.
    pub fn title(&self) -> Result<String> {
        as_string(self.cmd("GET", "/title", None, "title")?)
    }

    /// Reloads the current tab.
    pub fn refresh(&self) -> Result<()> {
        self.cmd("POST", "/refresh", None, "refresh").map(drop)
    }

    // ----- scripts -----

    /// Runs `script` (a function body; use `return`) with `args`, returning its result.
    /// A returned promise is awaited by the driver.
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        let what = format!("execute script `{}`", clip(script, 200));
        let body = json!({ "script": script, "args": args });
        self.cmd("POST", "/execute/sync", Some(body), &what)
    }

    /// Runs `script` (a function body) with `args` plus a callback as the last argument, and
    /// returns the value the script passes to that callback.
    pub fn execute_async(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        let what = format!("execute async script `{}`", clip(script, 200));
        let body = json!({ "script": script, "args": args });
        self.cmd("POST", "/execute/async", Some(body), &what)
    }

    // ----- elements -----

    /// The first element matching the CSS selector.
    pub fn find(&self, css: &str) -> Result<Element> {
        let body = json!({ "using": "css selector", "value": css });
        let what = format!("find element {css:?}");
        Element::from_json(&self.cmd("POST", "/element", Some(body), &what)?)
    }

    /// All elements matching the CSS selector (possibly none).
    pub fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        let body = json!({ "using": "css selector", "value": css });
        let what = format!("find elements {css:?}");
        match self.cmd("POST", "/elements", Some(body), &what)? {
            Value::Array(items) => items.iter().map(Element::from_json).collect(),
            other => bail!("find elements {css:?}: not a list: {other}"),
        }
    }

    /// The element's rendered text.
    pub fn element_text(&self, element: &Element) -> Result<String> {
        let path = format!("/element/{}/text", element.id);
        as_string(self.cmd("GET", &path, None, "element text")?)
    }

    /// The element's attribute `name`, or `None` if it has none.
    pub fn element_attribute(&self, element: &Element, name: &str) -> Result<Option<String>> {
        let path = format!("/element/{}/attribute/{name}", element.id);
        let what = format!("element attribute {name:?}");
        Ok(self
            .cmd("GET", &path, None, &what)?
            .as_str()
            .map(str::to_string))
    }

    /// The element's DOM property `name` (JSON; `null` if undefined).
    pub fn element_property(&self, element: &Element, name: &str) -> Result<Value> {
        let path = format!("/element/{}/property/{name}", element.id);
        let what = format!("element property {name:?}");
        self.cmd("GET", &path, None, &what)
    }

    /// Clicks the element.
    pub fn click(&self, element: &Element) -> Result<()> {
        let path = format!("/element/{}/click", element.id);
        self.cmd("POST", &path, None, "element click").map(drop)
    }

    /// Types `text` into the element.
    pub fn send_keys(&self, element: &Element, text: &str) -> Result<()> {
        let path = format!("/element/{}/value", element.id);
        self.cmd(
            "POST",
            &path,
            Some(json!({ "text": text })),
            "element send keys",
        )
        .map(drop)
    }

    /// Clears an input or textarea.
    pub fn clear(&self, element: &Element) -> Result<()> {
        let path = format!("/element/{}/clear", element.id);
        self.cmd("POST", &path, None, "element clear").map(drop)
    }

    // ----- windows and tabs -----

    /// The current window (tab) handle.
    pub fn window_handle(&self) -> Result<String> {
        as_string(self.cmd("GET", "/window", None, "window handle")?)
    }

    /// All window (tab) handles.
    pub fn window_handles(&self) -> Result<Vec<String>> {
        match self.cmd("GET", "/window/handles", None, "window handles")? {
            Value::Array(items) => items.into_iter().map(as_string).collect(),
            other => bail!("window handles: not a list: {other}"),
        }
    }

    /// Opens a new tab (without switching to it) and returns its handle.
    pub fn new_window(&self) -> Result<String> {
        let value = self.cmd(
            "POST",
            "/window/new",
            Some(json!({"type": "tab"})),
            "new tab",
        )?;
        value
            .get("handle")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| anyhow!("new tab: no handle in reply {value}"))
    }

    /// Makes `handle` the current window (tab).
    pub fn switch_to_window(&self, handle: &str) -> Result<()> {
        let what = format!("switch to window {handle}");
        self.cmd("POST", "/window", Some(json!({ "handle": handle })), &what)
            .map(drop)
    }

    /// Closes the current window (tab); returns the handles that remain.
    pub fn close_window(&self) -> Result<Vec<String>> {
        match self.cmd("DELETE", "/window", None, "close window")? {
            Value::Array(items) => items.into_iter().map(as_string).collect(),
            other => bail!("close window: not a list: {other}"),
        }
    }

    /// Sets the current window's size in CSS pixels.
    pub fn set_window_size(&self, width: u32, height: u32) -> Result<()> {
        let body = json!({ "width": width, "height": height });
        self.cmd("POST", "/window/rect", Some(body), "set window rect")
            .map(drop)
    }

    /// A PNG screenshot of the current tab's viewport.
    pub fn screenshot(&self) -> Result<Vec<u8>> {
        let encoded = as_string(self.cmd("GET", "/screenshot", None, "screenshot")?)?;
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .context("screenshot: invalid base64")
    }

    /// Saves a PNG screenshot of the current tab to `path`.
    pub fn screenshot_to(&self, path: &Path) -> Result<()> {
        let png = self.screenshot()?;
        std::fs::write(path, png).with_context(|| format!("write {}", path.display()))
    }

    // ----- vendor endpoints -----

    /// chromedriver: runs the Chrome DevTools Protocol command `cmd` with `params` in the
    /// current tab's DevTools session and returns its result.
    pub fn cdp(&self, cmd: &str, params: Value) -> Result<Value> {
        let body = json!({ "cmd": cmd, "params": params });
        let what = format!("CDP {cmd}");
        self.cmd("POST", "/goog/cdp/execute", Some(body), &what)
    }

    /// geckodriver: installs the add-on at `path` (a directory or an .xpi) temporarily and
    /// returns its id.
    pub fn install_addon(&self, path: &Path) -> Result<String> {
        let body = json!({ "path": path.to_string_lossy(), "temporary": true });
        let what = format!("install add-on {}", path.display());
        as_string(self.cmd("POST", "/moz/addon/install", Some(body), &what)?)
    }

    /// geckodriver: switches script execution between `"content"` and `"chrome"` (privileged
    /// browser UI; needs geckodriver's `--allow-system-access`).
    pub fn set_context(&self, context: &str) -> Result<()> {
        let what = format!("set context {context}");
        self.cmd(
            "POST",
            "/moz/context",
            Some(json!({ "context": context })),
            &what,
        )
        .map(drop)
    }
}

fn as_string(value: Value) -> Result<String> {
    match value {
        Value::String(s) => Ok(s),
        other => bail!("expected a string, got {other}"),
    }
}

/// At most `max` characters of `text`, marked when cut.
pub(crate) fn clip(text: &str, max: usize) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_marks_cuts() {
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("abcd", 3), "abc…");
    }
}
