//! One headless browser with the extension loaded, and the helpers scenarios use.
//!
//! [`Browser::launch`] starts the driver (chromedriver or geckodriver) on a free port in its own
//! process group, creates a headless session with the extension loaded, and learns the
//! extension's URL host. Dropping the [`Browser`] ends the session and kills the driver's whole
//! process group, browser included, and deletes the temporary profile.
//!
//! Extension APIs (`storage`, `tabs`, …) are reached through a *helper tab*: a tab showing an
//! extension page, opened on first use and kept for the browser's lifetime. Helpers such as
//! [`Browser::storage_set`] switch to it, run a script, and switch back; the helper tab is left
//! out of [`Browser::tabs`].
//!
//! ```no_run
//! use e2e::browser::{Browser, BrowserKind};
//! use std::{path::Path, time::Duration};
//!
//! let browser = Browser::launch(BrowserKind::Firefox, Path::new("dist/firefox"))?;
//! browser.set_settings(serde_json::json!({"mode": "sandbox", "sites": ["http://127.0.0.1/*"]}))?;
//! browser.goto("http://127.0.0.1:8000/plain.html")?;
//! let tab = browser.tab_id_of("http://127.0.0.1:8000/plain.html")?;
//! browser.open_extension_page(&format!("popup.html?tab={tab}"))?;
//! browser.wait_for_attr("#page-status", "data-state", "connected", Duration::from_secs(5))?;
//! # Ok::<(), anyhow::Error>(())
//! ```

use std::cell::RefCell;
use std::fmt;
use std::fs::{self, File};
use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _, Result};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use crate::reaper;
use crate::webdriver::{clip, Client, Element, Session, WebDriverError};

/// The moz-extension:// UUID the harness gives the add-on in Firefox (pref
/// `extensions.webextensions.uuids`), so extension URLs are known before launch.
pub const FIREFOX_EXTENSION_UUID: &str = "6f3c2b1a-e2e0-4a11-9c6d-0123456789ab";

/// The extension page the helper tab shows: one that runs none of the extension's code, so it
/// holds no port to the background (manifest.json, shown as text in the extension's origin,
/// where the extension APIs are available all the same).
const HELPER_PAGE: &str = "manifest.json";

/// Poll interval of [`Browser::wait_for`].
pub const POLL_INTERVAL: Duration = Duration::from_millis(25);

/// How long a WebDriver page load or async script may take before the driver gives up.
const DRIVER_TIMEOUT: Duration = Duration::from_secs(30);

/// Window size for every session, so screenshots and layout are the same everywhere.
const WINDOW_SIZE: (u32, u32) = (1280, 900);
/// The page-load timeout of a new browser's first command ([`DRIVER_TIMEOUT`] after it).
const FIRST_COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// Which browser.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BrowserKind {
    /// Chromium through chromedriver.
    Chromium,
    /// Firefox (ESR) through geckodriver.
    Firefox,
}

impl BrowserKind {
    /// Both browsers, in run order.
    pub const ALL: [BrowserKind; 2] = [BrowserKind::Chromium, BrowserKind::Firefox];

    /// `"chromium"` or `"firefox"`.
    pub fn name(self) -> &'static str {
        match self {
            BrowserKind::Chromium => "chromium",
            BrowserKind::Firefox => "firefox",
        }
    }

    /// Parses `"chromium"`/`"chrome"` or `"firefox"`.
    pub fn parse(name: &str) -> Result<BrowserKind> {
        match name.to_ascii_lowercase().as_str() {
            "chromium" | "chrome" => Ok(BrowserKind::Chromium),
            "firefox" => Ok(BrowserKind::Firefox),
            other => bail!("unknown browser {other:?} (expected chromium or firefox)"),
        }
    }
}

impl fmt::Display for BrowserKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A running browser with the extension loaded. All helpers take `&self`.
pub struct Browser {
    kind: BrowserKind,
    session: Session,
    /// The extension's URL host: Chromium's extension id or Firefox's UUID.
    host: String,
    /// The add-on id from the manifest (Firefox) or the extension id (Chromium).
    extension_id: String,
    extension_dir: PathBuf,
    manifest: Value,
    helper_tab: RefCell<Option<String>>,
    driver_base: String,
    driver: Option<Child>,
    group: Option<reaper::Group>,
    /// The profile directory (Chromium) or geckodriver's profile root (Firefox); removed after
    /// the browser is gone.
    temp_dir: Option<TempDir>,
}

impl Browser {
    /// Starts `kind` headless with the unpacked extension at `extension_dir` loaded.
    ///
    /// Fails (never skips) when the browser or driver binary is missing, saying how to install
    /// it, and when the extension is missing or does not load.
    pub fn launch(kind: BrowserKind, extension_dir: &Path) -> Result<Browser> {
        Browser::launch_mapped(kind, extension_dir, None)
    }

    /// [`Browser::launch`], with JivoChat's loader hosts ([`MAPPED_HOSTS`](crate::server::MAPPED_HOSTS))
    /// served by the fixture server on `127.0.0.1:port` (over http): Chromium resolves them
    /// there (`--host-resolver-rules`), Firefox sends every request for another host than
    /// `127.0.0.1`/`localhost` to it as its HTTP proxy.
    pub fn launch_mapped(
        kind: BrowserKind,
        extension_dir: &Path,
        map_to_port: Option<u16>,
    ) -> Result<Browser> {
        Browser::launch_with(kind, extension_dir, map_to_port, None)
    }

    /// [`Browser::launch_mapped`] with the browser's own UI in `ui_locale` (such as `"ru"`), so
    /// the extension's pages use `_locales/<ui_locale>` as a person with that browser sees
    /// them:
    ///
    /// - **Chromium** takes its UI language on Linux from the environment: chromedriver (and so
    ///   Chromium) runs with `LANGUAGE=<ui_locale>`, plus `--lang` and `--accept-lang`. The
    ///   language's `.pak` must be installed (Debian: `chromium-l10n`), else Chromium falls
    ///   back to English.
    /// - **Firefox**: the prefs `intl.locale.requested` and `intl.accept_languages`; the
    ///   language pack must be installed (Debian: `firefox-esr-l10n-<ui_locale>`).
    ///
    /// Fails (never silently runs in English) when the extension's `i18n.getUILanguage()` is
    /// not `ui_locale` after the launch, saying which package is missing.
    pub fn launch_localized(
        kind: BrowserKind,
        extension_dir: &Path,
        map_to_port: Option<u16>,
        ui_locale: &str,
    ) -> Result<Browser> {
        let browser = Browser::launch_with(kind, extension_dir, map_to_port, Some(ui_locale))?;
        let language = browser
            .ext_eval("return api.i18n.getUILanguage();", vec![])
            .context("read the extension's UI language")?;
        let language = language.as_str().unwrap_or_default();
        if language != ui_locale && !language.starts_with(&format!("{ui_locale}-")) {
            let package = match kind {
                BrowserKind::Chromium => "chromium-l10n".to_string(),
                BrowserKind::Firefox => format!("firefox-esr-l10n-{ui_locale}"),
            };
            bail!(
                "{kind} launched for the {ui_locale:?} UI runs in {language:?}: is its language \
                 installed? (./build.sh installs it, or: apt-get install -y {package})"
            );
        }
        Ok(browser)
    }

    fn launch_with(
        kind: BrowserKind,
        extension_dir: &Path,
        map_to_port: Option<u16>,
        ui_locale: Option<&str>,
    ) -> Result<Browser> {
        let extension_dir = extension_dir.canonicalize().with_context(|| {
            format!(
                "extension directory {} does not exist: build it with ./build.sh \
                 (or point JWI_EXTENSION_DIR at an unpacked extension)",
                extension_dir.display()
            )
        })?;
        let manifest_path = extension_dir.join("manifest.json");
        let manifest: Value = serde_json::from_str(
            &fs::read_to_string(&manifest_path)
                .with_context(|| format!("read {}", manifest_path.display()))?,
        )
        .with_context(|| format!("parse {}", manifest_path.display()))?;
        let once = || match kind {
            BrowserKind::Chromium => {
                launch_chromium(&extension_dir, manifest.clone(), map_to_port, ui_locale)
            }
            BrowserKind::Firefox => {
                launch_firefox(&extension_dir, manifest.clone(), map_to_port, ui_locale)
            }
        };
        // A launch can time out on a busy machine (Chromium's first window sometimes never
        // answers): once more before giving up, for the tests and the benchmarks alike.
        once()
            .or_else(|first| {
                println!("{kind:<8} launch failed, retrying: {first:#}");
                once()
            })
            .with_context(|| format!("launch {kind} with {}", extension_dir.display()))
    }

    /// Which browser this is.
    pub fn kind(&self) -> BrowserKind {
        self.kind
    }

    /// Makes pages prefer the dark colour scheme (or no longer): Chromium through DevTools media
    /// emulation of the current tab, Firefox through its content colour-scheme override pref.
    pub fn set_dark_scheme(&self, dark: bool) -> Result<()> {
        match self.kind {
            BrowserKind::Chromium => {
                let features = if dark {
                    json!([{"name": "prefers-color-scheme", "value": "dark"}])
                } else {
                    json!([])
                };
                self.session
                    .cdp(
                        "Emulation.setEmulatedMedia",
                        json!({ "features": features }),
                    )
                    .map(drop)
            }
            BrowserKind::Firefox => {
                self.session.set_context("chrome")?;
                let r = self.session.execute(
                    "const p = 'layout.css.prefers-color-scheme.content-override';\
                     if (arguments[0]) Services.prefs.setIntPref(p, 0); else Services.prefs.clearUserPref(p);\
                     return null;",
                    vec![json!(dark)],
                );
                self.session.set_context("content")?;
                r.map(drop)
            }
        }
    }

    /// The WebDriver session, for anything the helpers do not cover.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The extension's id: Chromium's 32-letter id, or the Gecko add-on id from the manifest.
    pub fn extension_id(&self) -> &str {
        &self.extension_id
    }

    /// The unpacked extension directory (absolute).
    pub fn extension_dir(&self) -> &Path {
        &self.extension_dir
    }

    /// The extension's parsed manifest.json.
    pub fn manifest(&self) -> &Value {
        &self.manifest
    }

    /// `chrome-extension://ID/path` or `moz-extension://UUID/path`.
    pub fn extension_url(&self, path: &str) -> String {
        let scheme = match self.kind {
            BrowserKind::Chromium => "chrome-extension",
            BrowserKind::Firefox => "moz-extension",
        };
        format!("{scheme}://{}/{}", self.host, path.trim_start_matches('/'))
    }

    // ----- navigation and scripts -----

    /// Navigates the current tab to `url` and waits for its load event
    /// (`document.readyState == "complete"`), at most 30 s.
    pub fn goto(&self, url: &str) -> Result<()> {
        self.session.navigate(url)?;
        self.wait_for_load().with_context(|| format!("load {url}"))
    }

    /// Navigates the current tab to `url` and returns once the new document is parsed
    /// (DOMContentLoaded), without waiting for its load event: for pages whose subresources
    /// (a slow loader script, say) hold the load event back.
    ///
    /// Sessions use the `eager` page load strategy, so no later command waits for the load event
    /// either (a `normal` chromedriver session would hold every command until it fires).
    pub fn goto_nowait(&self, url: &str) -> Result<()> {
        self.session.navigate(url)
    }

    /// Reloads the current tab and waits for its load event.
    pub fn reload(&self) -> Result<()> {
        self.session.refresh()?;
        self.wait_for_load()
    }

    /// Waits until the current document's `readyState` is `complete` (at most 30 s).
    pub fn wait_for_load(&self) -> Result<()> {
        self.wait_for_js("return document.readyState === 'complete'", DRIVER_TIMEOUT)
            .map(drop)
    }

    /// Opens the extension page `path` (e.g. `"popup.html?tab=3"`) in the current tab and waits
    /// for it to load. Works in Firefox too, where WebDriver refuses moz-extension:// URLs.
    pub fn open_extension_page(&self, path: &str) -> Result<()> {
        let url = self.extension_url(path);
        match self.kind {
            BrowserKind::Chromium => self.goto(&url),
            BrowserKind::Firefox => {
                // Load it from the privileged browser UI with the system principal, then come
                // back; the tab is then an extension page and normal commands work in it.
                self.session.set_context("chrome")?;
                let loaded = self.session.execute(
                    "gBrowser.selectedBrowser.fixupAndLoadURIString(arguments[0], \
                     {triggeringPrincipal: Services.scriptSecurityManager.getSystemPrincipal()});",
                    vec![json!(url)],
                );
                self.session.set_context("content")?;
                loaded.with_context(|| format!("open extension page {url}"))?;
                let what = format!("extension page {url} to load");
                self.wait_for_noting(&what, DRIVER_TIMEOUT, |b, seen| {
                    let now = b.session.current_url().unwrap_or_default();
                    if now != url {
                        *seen = format!("the tab at {now}");
                        return Ok(None);
                    }
                    // The document may still be replaced while it loads: errors mean "not yet".
                    let state = b.eval("return document.readyState").unwrap_or(Value::Null);
                    *seen = format!("readyState {state}");
                    Ok((state == "complete").then_some(()))
                })
            }
        }
    }

    /// The current tab's URL.
    pub fn current_url(&self) -> Result<String> {
        self.session.current_url()
    }

    /// The current tab's title.
    pub fn title(&self) -> Result<String> {
        self.session.title()
    }

    /// Runs `js` in the current tab as a function body (use `return`) and returns the result as
    /// JSON. A returned promise is awaited.
    pub fn eval(&self, js: &str) -> Result<Value> {
        self.session.execute(js, Vec::new())
    }

    /// Like [`Browser::eval`], with `args` available as `arguments[0]`, `arguments[1]`, …
    pub fn eval_with(&self, js: &str, args: Vec<Value>) -> Result<Value> {
        self.session.execute(js, args)
    }

    /// Runs `js` as an async function body in the current tab: it gets a callback named `done`
    /// (also the last argument) and the result is the value passed to `done`.
    ///
    /// `b.eval_async("setTimeout(() => done(document.title), 100)")`
    pub fn eval_async(&self, js: &str) -> Result<Value> {
        self.eval_async_with(js, Vec::new())
    }

    /// Like [`Browser::eval_async`], with `args` available as `arguments[0]`, … (`done` last).
    pub fn eval_async_with(&self, js: &str, args: Vec<Value>) -> Result<Value> {
        let script = format!("const done = arguments[arguments.length - 1];\n{js}");
        self.session.execute_async(&script, args)
    }

    // ----- waiting -----

    /// Calls `poll` every [`POLL_INTERVAL`] until it returns `Ok(Some(value))`, and returns that
    /// value. An `Err` from `poll` ends the wait at once. After `timeout` the error says
    /// "timed out after …s waiting for {what}".
    pub fn wait_for<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut poll: impl FnMut(&Browser) -> Result<Option<T>>,
    ) -> Result<T> {
        self.wait_for_noting(what, timeout, |b, _| poll(b))
    }

    /// Like [`Browser::wait_for`], but `poll` may write what it saw into its `String`
    /// argument; the timeout error ends with "last seen: …" from the last poll.
    pub fn wait_for_noting<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut poll: impl FnMut(&Browser, &mut String) -> Result<Option<T>>,
    ) -> Result<T> {
        let start = Instant::now();
        let mut seen = String::new();
        loop {
            seen.clear();
            if let Some(value) =
                poll(self, &mut seen).with_context(|| format!("while waiting for {what}"))?
            {
                return Ok(value);
            }
            if start.elapsed() >= timeout {
                let seen = if seen.is_empty() {
                    String::new()
                } else {
                    format!("; last seen: {}", clip(&seen, 1000))
                };
                bail!(
                    "{}: timed out after {:.1}s waiting for {what}{seen}",
                    self.kind,
                    timeout.as_secs_f64()
                );
            }
            thread::sleep(POLL_INTERVAL);
        }
    }

    /// Waits until `js` (a function body, run in the current tab) returns something other than
    /// `null`, `undefined`, `false`, `0` or `""`, and returns it. Script errors count as "not
    /// yet" (the page may be loading); the last result or error is reported on timeout.
    pub fn wait_for_js(&self, js: &str, timeout: Duration) -> Result<Value> {
        let what = format!("`{}` to be truthy", clip(js, 120));
        self.wait_for_noting(&what, timeout, |b, seen| {
            match b.eval(js) {
                Ok(value) if truthy(&value) => return Ok(Some(value)),
                Ok(value) => *seen = value.to_string(),
                Err(err) => *seen = format!("error: {err:#}"),
            }
            Ok(None)
        })
    }

    /// Waits until an element matches `css`, and returns it.
    pub fn wait_for_element(&self, css: &str, timeout: Duration) -> Result<Element> {
        let what = format!("an element matching {css:?}");
        self.wait_for(&what, timeout, |b| {
            Ok(b.session.find_all(css)?.into_iter().next())
        })
    }

    /// Waits until the first element matching `css` has attribute `name` equal to `expected`.
    /// On timeout the error says what the attribute was last (or that nothing matched).
    pub fn wait_for_attr(
        &self,
        css: &str,
        name: &str,
        expected: &str,
        timeout: Duration,
    ) -> Result<()> {
        let what = format!("{css}[{name}={expected:?}]");
        self.wait_for_noting(&what, timeout, |b, seen| {
            let Some(element) = b.session.find_all(css)?.into_iter().next() else {
                *seen = format!("no element matches {css:?}");
                return Ok(None);
            };
            match b.session.element_attribute(&element, name) {
                Ok(Some(value)) if value == expected => return Ok(Some(())),
                Ok(Some(value)) => *seen = format!("{name}={value:?}"),
                Ok(None) => *seen = format!("no attribute {name}"),
                // The element may be replaced between the two commands.
                Err(err) if WebDriverError::is(&err, "stale element reference") => {}
                Err(err) => return Err(err),
            }
            Ok(None)
        })
    }

    // ----- elements -----

    /// The first element matching `css` (no waiting).
    pub fn find(&self, css: &str) -> Result<Element> {
        self.session.find(css)
    }

    /// All elements matching `css` (no waiting).
    pub fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        self.session.find_all(css)
    }

    /// The rendered text of the first element matching `css`.
    pub fn text(&self, css: &str) -> Result<String> {
        let element = self.find(css)?;
        self.session.element_text(&element)
    }

    /// Attribute `name` of the first element matching `css` (`None` if absent).
    pub fn attr(&self, css: &str, name: &str) -> Result<Option<String>> {
        let element = self.find(css)?;
        self.session.element_attribute(&element, name)
    }

    /// DOM property `name` of the first element matching `css`.
    pub fn prop(&self, css: &str, name: &str) -> Result<Value> {
        let element = self.find(css)?;
        self.session.element_property(&element, name)
    }

    /// Clicks the first element matching `css`.
    pub fn click(&self, css: &str) -> Result<()> {
        let element = self.find(css)?;
        self.session.click(&element)
    }

    /// Chooses `value` in the `<select>` matching `css` as a person's choice reaches the page
    /// (its value, then `change`), once the select offers it (a page may fill its options as it
    /// starts); waits up to `timeout` for the option and for it to be chosen.
    pub fn select(&self, css: &str, value: &str, timeout: Duration) -> Result<()> {
        self.wait_for_element(&format!("{css} option[value='{value}']"), timeout)?;
        self.eval_with(
            "const s = document.querySelector(arguments[0]); s.value = arguments[1];\
             s.dispatchEvent(new Event('change', {bubbles: true})); return null;",
            vec![json!(css), json!(value)],
        )?;
        self.wait_for_element(&format!("{css} option[value='{value}']:checked"), timeout)?;
        Ok(())
    }

    /// Clears the first input matching `css` and types `text` into it.
    pub fn type_into(&self, css: &str, text: &str) -> Result<()> {
        let element = self.find(css)?;
        self.session.clear(&element)?;
        self.session.send_keys(&element, text)
    }

    /// Presses keys as a person does, one after another, wherever the focus is (WebDriver
    /// actions: real key events, so Tab moves the focus). Each key is one character or a
    /// WebDriver key code such as `"\u{E004}"` (Tab); see [`keys`].
    pub fn press_keys(&self, keys: &[&str]) -> Result<()> {
        let mut actions = Vec::new();
        for k in keys {
            actions.push(json!({"type": "keyDown", "value": k}));
            actions.push(json!({"type": "keyUp", "value": k}));
        }
        let body = json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]});
        self.session
            .cmd("POST", "/actions", Some(body), "perform key actions")?;
        self.session
            .cmd("DELETE", "/actions", None, "release actions")
            .map(drop)
    }

    /// Opens the popup for the tab showing `url` in a new tab, runs `f` in it, closes it and
    /// switches back (also when `f` fails).
    pub fn with_popup<T>(&self, url: &str, f: impl FnOnce(&Browser) -> Result<T>) -> Result<T> {
        let page = self.current_tab()?;
        let tab = self.tab_id_of(url)?;
        self.new_tab()?;
        let result = self
            .open_extension_page(&format!("popup.html?tab={tab}"))
            .and_then(|_| f(self));
        self.close_tab()?;
        self.switch_to(&page)?;
        result
    }

    /// Chooses `file` in the file input at `css`, as a person picking it would.
    pub fn choose_file(&self, css: &str, file: &TempFile) -> Result<()> {
        let input = self.find(css)?;
        self.session()
            .send_keys(&input, &file.path().to_string_lossy())
            .with_context(|| format!("choose {} in {css}", file.path().display()))
    }

    /// Saves a PNG screenshot of the current tab to `path` (parent directories are created).
    pub fn screenshot(&self, path: &Path) -> Result<()> {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).with_context(|| format!("create {}", parent.display()))?;
        }
        self.session.screenshot_to(path)
    }

    // ----- tabs -----

    /// The current tab's handle.
    pub fn current_tab(&self) -> Result<String> {
        self.session.window_handle()
    }

    /// The handles of all tabs except the harness's helper tab.
    pub fn tabs(&self) -> Result<Vec<String>> {
        let helper = self.helper_tab.borrow().clone();
        let mut handles = self.session.window_handles()?;
        handles.retain(|h| Some(h) != helper.as_ref());
        Ok(handles)
    }

    /// Opens a new blank tab, switches to it and returns its handle.
    pub fn new_tab(&self) -> Result<String> {
        let handle = self.session.new_window()?;
        self.session.switch_to_window(&handle)?;
        Ok(handle)
    }

    /// Makes the tab `handle` current (and selected in the browser's UI).
    pub fn switch_to(&self, handle: &str) -> Result<()> {
        self.session.switch_to_window(handle)
    }

    /// Closes the current tab and switches to the most recent remaining one (opening a blank
    /// tab first if it was the last, so the session never ends by accident).
    pub fn close_tab(&self) -> Result<()> {
        let closing = self.current_tab()?;
        if self.tabs()?.len() <= 1 {
            self.new_tab()?;
            self.switch_to(&closing)?;
        }
        self.session.close_window()?;
        if self.helper_tab.borrow().as_deref() == Some(closing.as_str()) {
            *self.helper_tab.borrow_mut() = None;
        }
        let last = self
            .tabs()?
            .pop()
            .ok_or_else(|| anyhow!("no tab left after closing {closing}"))?;
        self.switch_to(&last)
    }

    /// Closes every tab except the helper and leaves one fresh blank tab current (the runner
    /// does this before each scenario).
    pub fn fresh_tab(&self) -> Result<String> {
        let fresh = self.new_tab()?;
        for handle in self.tabs()? {
            if handle != fresh {
                self.switch_to(&handle)?;
                self.session.close_window()?;
            }
        }
        self.switch_to(&fresh)?;
        Ok(fresh)
    }

    /// The state each scenario starts from: every tab but the helper closed, `storage.local`
    /// cleared (default settings), and one new blank tab, which is current.
    ///
    /// Faster than [`Browser::fresh_tab`] plus [`Browser::restore_defaults`]: the tabs are
    /// closed and the storage cleared by one script in the helper tab.
    pub fn reset(&self) -> Result<String> {
        self.in_helper_tab(
            "return api.tabs.getCurrent()\n\
             .then(me => api.tabs.query({}).then(all =>\n\
               api.tabs.remove(all.filter(t => t.id !== me.id).map(t => t.id))))\n\
             .then(() => api.storage.local.clear())\n\
             .then(() => null);",
            vec![],
        )
        .context("close the tabs and clear storage.local from the helper tab")?;
        self.new_tab()
    }

    // ----- extension APIs (through the helper tab) -----

    /// Runs `js` (a function body; a returned promise is awaited) in an extension page, with
    /// `api` bound to `browser` or `chrome` and `args` as `arguments[0]`, … . The current tab
    /// stays current.
    ///
    /// `b.ext_eval("return api.runtime.getManifest().version", vec![])`
    pub fn ext_eval(&self, js: &str, args: Vec<Value>) -> Result<Value> {
        let back = self.current_tab()?;
        let result = self.in_helper_tab(js, args);
        let switched = self.switch_to(&back);
        let value = result?;
        switched.context("switch back from the helper tab")?;
        Ok(value)
    }

    fn in_helper_tab(&self, js: &str, args: Vec<Value>) -> Result<Value> {
        let script = format!("const api = globalThis.browser || globalThis.chrome;\n{js}");
        let existing = self.helper_tab.borrow().clone();
        if let Some(handle) = existing {
            match self.switch_to(&handle) {
                Ok(()) => return self.eval_with(&script, args),
                Err(err) if WebDriverError::is(&err, "no such window") => {}
                Err(err) => return Err(err),
            }
        }
        let handle = self.new_tab()?;
        *self.helper_tab.borrow_mut() = Some(handle);
        self.open_extension_page(HELPER_PAGE)
            .context("open the helper tab")?;
        self.eval_with(&script, args)
    }

    /// `storage[area].set(items)` (area: `local`, `session`, `sync`).
    pub fn storage_set(&self, area: &str, items: Value) -> Result<()> {
        self.ext_eval(
            "return api.storage[arguments[0]].set(arguments[1]).then(() => null);",
            vec![json!(area), items],
        )
        .with_context(|| format!("storage.{area}.set"))
        .map(drop)
    }

    /// `storage[area].get(key)[key]`, or `null` when absent.
    pub fn storage_get(&self, area: &str, key: &str) -> Result<Value> {
        self.ext_eval(
            "return api.storage[arguments[0]].get(arguments[1]).then(r => \
             r[arguments[1]] === undefined ? null : r[arguments[1]]);",
            vec![json!(area), json!(key)],
        )
        .with_context(|| format!("storage.{area}.get({key:?})"))
    }

    /// `storage[area].clear()`.
    pub fn storage_clear(&self, area: &str) -> Result<()> {
        self.ext_eval(
            "return api.storage[arguments[0]].clear().then(() => null);",
            vec![json!(area)],
        )
        .with_context(|| format!("storage.{area}.clear"))
        .map(drop)
    }

    /// Writes the settings document: `storage.local.set({settings})`.
    pub fn set_settings(&self, settings: Value) -> Result<()> {
        self.storage_set("local", json!({ "settings": settings }))
    }

    /// Writes the settings document and waits until the background has registered content
    /// scripts for exactly its `sites` (so the next page load is injected, or not).
    pub fn configure(&self, settings: Value) -> Result<()> {
        let mut sites: Vec<Value> = settings["sites"].as_array().cloned().unwrap_or_default();
        sites.sort_by_key(|v| v.to_string());
        self.set_settings(settings)?;
        let mut seen = Value::Null;
        self.wait_for(
            "content scripts registered for the configured sites",
            Duration::from_secs(15),
            |b| {
                seen = b.ext_eval(
                    "return api.scripting.getRegisteredContentScripts()\
                 .then(l => (l.find(s => s.id === 'jwi-content') || {matches: []}).matches);",
                    vec![],
                )?;
                let mut now: Vec<Value> = seen.as_array().cloned().unwrap_or_default();
                now.sort_by_key(|v| v.to_string());
                Ok((now == sites).then_some(()))
            },
        )
        .with_context(|| format!("registered matches: {seen}"))
    }

    /// Restores default settings by clearing `storage.local` (the extension's first-run state).
    /// The runner does this before each scenario.
    pub fn restore_defaults(&self) -> Result<()> {
        self.storage_clear("local")
    }

    /// The ids and URLs of tabs matching `url_pattern` (`tabs.query({url})`); an error if none
    /// does.
    ///
    /// Match patterns cannot carry a port, so a port in `url_pattern` is dropped: a plain
    /// `server.url("/plain.html")` works.
    pub fn tabs_matching(&self, url_pattern: &str) -> Result<Vec<(i64, String)>> {
        let pattern = strip_port(url_pattern);
        let found = self
            .ext_eval(
                "return api.tabs.query({url: arguments[0]}).then(tabs => \
                 tabs.map(t => [t.id, t.url || '']));",
                vec![json!(pattern)],
            )
            .with_context(|| format!("tabs.query({{url: {pattern:?}}})"))?;
        let list = found.as_array().cloned().unwrap_or_default();
        if list.is_empty() {
            let all = self.ext_eval("return api.tabs.query({}).then(t => t.length);", vec![])?;
            bail!(
                "no tab matches {pattern:?} ({all} tabs open; to see tab URLs the extension needs \
                 the \"tabs\" permission or a host permission for the page)"
            );
        }
        list.iter()
            .map(|pair| {
                let id = pair.get(0).and_then(Value::as_i64);
                let url = pair.get(1).and_then(Value::as_str);
                match (id, url) {
                    (Some(id), Some(url)) => Ok((id, url.to_string())),
                    _ => bail!("tabs.query: unexpected entry {pair}"),
                }
            })
            .collect()
    }

    /// Which content build runs in the one tab matching `url_pattern`: the file stem its glue
    /// names in the isolated world (`globalThis.jwiContentBuild`: `wasm`, `wasm2js`,
    /// `jivochat-wasm`, `jivochat-wasm2js`), or null before one has started.
    pub fn content_build_of(&self, url_pattern: &str) -> Result<Value> {
        let tab = self.tab_id_of(url_pattern)?;
        self.ext_eval(
            "return api.scripting.executeScript({ target: { tabId: arguments[0] },\
               func: () => globalThis.jwiContentBuild ?? null }).then(r => r[0].result);",
            vec![json!(tab)],
        )
        .context("read the tab's content build")
    }

    /// The id (as the extension sees it) of the one tab matching `url_pattern`; an error if none
    /// or several match. See [`Browser::tabs_matching`] for the pattern.
    pub fn tab_id_of(&self, url_pattern: &str) -> Result<i64> {
        let tabs = self.tabs_matching(url_pattern)?;
        match tabs.as_slice() {
            [(id, _)] => Ok(*id),
            many => bail!(
                "{} tabs match {:?}: {many:?}",
                many.len(),
                strip_port(url_pattern)
            ),
        }
    }

    // ----- background lifecycle -----

    /// Whether the extension's background is running: Chromium's service worker target exists,
    /// or Firefox's background page is running.
    pub fn background_running(&self) -> Result<bool> {
        match self.kind {
            BrowserKind::Chromium => Ok(self.service_worker_target()?.is_some()),
            BrowserKind::Firefox => {
                let state = self.in_chrome_context(
                    "const p = WebExtensionPolicy.getByID(arguments[0]);\n\
                     if (!p || !p.extension) throw new Error('add-on not running');\n\
                     return String(p.extension.backgroundState);",
                    vec![json!(self.extension_id)],
                )?;
                Ok(state == "running")
            }
        }
    }

    /// Chromium: stops the extension's service worker (as the browser does when it is idle)
    /// through CDP and waits until it is gone. Returns whether one was running.
    pub fn stop_service_worker(&self) -> Result<bool> {
        if self.kind != BrowserKind::Chromium {
            bail!("stop_service_worker is Chromium-only; use stop_background");
        }
        let Some(target) = self.service_worker_target()? else {
            return Ok(false);
        };
        self.session
            .cdp("Target.closeTarget", json!({ "targetId": target }))
            .context("stop the extension service worker")?;
        // Gone, or already a new worker: a page that keeps messaging (a scenario's traffic)
        // may start the next one before we look.
        self.wait_for("the service worker to stop", Duration::from_secs(5), |b| {
            Ok((b.service_worker_target()?.as_ref() != Some(&target)).then_some(()))
        })?;
        Ok(true)
    }

    /// Stops the extension's background as the browser does when it is idle: Chromium's
    /// service worker ([`Browser::stop_service_worker`]) or Firefox's event page. The next
    /// event for the background (a message, a port, a storage change it listens to) starts it
    /// again.
    pub fn stop_background(&self) -> Result<()> {
        match self.kind {
            BrowserKind::Chromium => self.stop_service_worker().map(drop),
            BrowserKind::Firefox => {
                self.in_chrome_context(
                    "const p = WebExtensionPolicy.getByID(arguments[0]);\n\
                     if (!p || !p.extension) throw new Error('add-on not running');\n\
                     return p.extension.terminateBackground({ disableResetIdleForTest: true }).then(() => null);",
                    vec![json!(self.extension_id)],
                )
                .context("stop the extension's background page")?;
                Ok(())
            }
        }
    }

    /// Chromium: the CDP target id of the extension's service worker, if it is running.
    pub fn service_worker_target(&self) -> Result<Option<String>> {
        let prefix = self.extension_url("");
        let targets = self.session.cdp("Target.getTargets", json!({}))?;
        Ok(targets
            .get("targetInfos")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|t| {
                t.get("type").and_then(Value::as_str) == Some("service_worker")
                    && t.get("url")
                        .and_then(Value::as_str)
                        .is_some_and(|u| u.starts_with(&prefix))
            })
            .and_then(|t| t.get("targetId").and_then(Value::as_str))
            .map(str::to_string))
    }

    /// Firefox: runs `js` in the privileged browser context (then returns to content).
    fn in_chrome_context(&self, js: &str, args: Vec<Value>) -> Result<Value> {
        self.session.set_context("chrome")?;
        let result = self.session.execute(js, args);
        self.session.set_context("content")?;
        result
    }

    /// Ends the session and kills the driver's process group now (also done on drop).
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(mut driver) = self.driver.take() {
            // Ask politely (the driver closes the browser), but never wait long for it.
            let (tx, rx) = mpsc::channel();
            let path = format!("/session/{}", self.session.id());
            let client = Client::new(&self.driver_base);
            thread::spawn(move || {
                let _ = client.request("DELETE", &path, None, "end session");
                let _ = tx.send(());
            });
            let _ = rx.recv_timeout(Duration::from_secs(10));
            if let Some(group) = self.group.take() {
                group.kill();
            }
            let _ = driver.kill();
            let _ = driver.wait();
        }
        drop(self.temp_dir.take());
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.stop();
    }
}
// ----- launching -----

/// The Firefox prefs for every session: known extension UUID, no background network traffic.
fn firefox_prefs(addon_id: &str) -> Value {
    json!({
        "extensions.webextensions.uuids": json!({ addon_id: FIREFOX_EXTENSION_UUID }).to_string(),
        // Nothing may reach out to the (closed) network on its own.
        "app.update.disabledForTesting": true,
        "app.normandy.enabled": false,
        "app.shield.optoutstudies.enabled": false,
        "browser.discovery.enabled": false,
        "browser.newtabpage.enabled": false,
        "browser.ping-centre.telemetry": false,
        "browser.region.network.url": "",
        "browser.region.update.enabled": false,
        "browser.safebrowsing.blockedURIs.enabled": false,
        "browser.safebrowsing.downloads.enabled": false,
        "browser.safebrowsing.malware.enabled": false,
        "browser.safebrowsing.phishing.enabled": false,
        "browser.safebrowsing.provider.mozilla.updateURL": "",
        "browser.search.update": false,
        "browser.shell.checkDefaultBrowser": false,
        "browser.startup.homepage": "about:blank",
        "browser.startup.page": 0,
        "captivedetect.canonicalURL": "",
        "datareporting.healthreport.uploadEnabled": false,
        "devtools.jsonview.enabled": false,
        "datareporting.policy.dataSubmissionEnabled": false,
        "extensions.blocklist.enabled": false,
        "extensions.getAddons.cache.enabled": false,
        "extensions.update.enabled": false,
        "geo.provider.network.url": "",
        "media.gmp-manager.updateEnabled": false,
        "messaging-system.rsexperimentloader.enabled": false,
        "nimbus.rollouts.enabled": false,
        "network.captive-portal-service.enabled": false,
        "network.connectivity-service.enabled": false,
        "network.dns.disablePrefetch": true,
        "network.prefetch-next": false,
        "services.settings.server": "http://127.0.0.1:9/",
        "toolkit.telemetry.enabled": false,
        "toolkit.telemetry.server": "",
        "toolkit.telemetry.unified": false,
    })
}

/// The Chromium flags from docs (toolchain notes, section 4), for a profile in `profile`.
fn chromium_args(extension_dir: &Path, profile: &Path) -> Vec<String> {
    let dir = extension_dir.display();
    vec![
        "--headless".into(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--disable-dev-shm-usage".into(),
        format!("--disable-extensions-except={dir}"),
        format!("--load-extension={dir}"),
        format!("--user-data-dir={}", profile.display()),
    ]
}

fn launch_chromium(
    extension_dir: &Path,
    manifest: Value,
    map_to: Option<u16>,
    ui_locale: Option<&str>,
) -> Result<Browser> {
    let chromium = binary(
        "JWI_CHROMIUM",
        "/usr/lib/chromium/chromium",
        "chromium",
        "apt-get install -y chromium chromium-driver",
    )?;
    let chromedriver = binary(
        "JWI_CHROMEDRIVER",
        "/usr/bin/chromedriver",
        "chromedriver",
        "apt-get install -y chromium-driver",
    )?;
    let profile = TempDir::new("chromium-profile")?;
    let port = free_port()?;
    let driver = Driver::spawn(
        BrowserKind::Chromium,
        &chromedriver,
        &[format!("--port={port}"), "--enable-chrome-logs".into()],
        ui_locale.map(|l| ("LANGUAGE", l)),
        port,
    )?;
    let mut args = chromium_args(extension_dir, profile.path());
    if let Some(locale) = ui_locale {
        args.push(format!("--lang={locale}"));
        args.push(format!("--accept-lang={locale}"));
    }
    if let Some(port) = map_to {
        let rules: Vec<String> = crate::server::MAPPED_HOSTS
            .iter()
            .map(|host| format!("MAP {host} 127.0.0.1:{port}"))
            // Fresh site names for the benchmark's cold loads (`bench page`); Firefox sends
            // them to the fixture server as its proxy.
            .chain(std::iter::once(format!("MAP *.test 127.0.0.1:{port}")))
            .collect();
        args.push(format!("--host-resolver-rules={}", rules.join(", ")));
    }
    let capabilities = json!({
        "browserName": "chrome",
        "pageLoadStrategy": "eager",
        "goog:chromeOptions": {
            "binary": chromium.to_string_lossy(),
            "args": args,
        },
    });
    let session =
        Session::new(&driver.base, capabilities).with_context(|| driver.log_tail("new session"))?;
    let id = chromium_extension_id(extension_dir);
    let log_path = driver.log.clone();
    let browser = Browser::assemble(
        BrowserKind::Chromium,
        session,
        id.clone(),
        id,
        extension_dir,
        manifest,
        driver,
        Some(profile),
    )?;
    // Unpacked extensions that fail to load are simply missing: make sure it is there.
    if browser.manifest["background"]["service_worker"].is_string() {
        let started = browser.wait_for(
            "the extension's service worker to start",
            Duration::from_secs(10),
            |b| Ok(b.service_worker_target()?.map(drop)),
        );
        if let Err(err) = started {
            let log = fs::read_to_string(&log_path).unwrap_or_default();
            let errors: Vec<&str> = log
                .lines()
                .filter(|line| line.contains("Extension error") || line.contains("load_error"))
                .collect();
            bail!(
                "the extension did not load ({err:#}); Chromium says: {}",
                if errors.is_empty() {
                    format!("nothing; see {}", log_path.display())
                } else {
                    errors.join("\n")
                }
            );
        }
    }
    Ok(browser)
}

fn launch_firefox(
    extension_dir: &Path,
    manifest: Value,
    map_to: Option<u16>,
    ui_locale: Option<&str>,
) -> Result<Browser> {
    let firefox = binary(
        "JWI_FIREFOX",
        "/usr/lib/firefox-esr/firefox-esr",
        "Firefox ESR",
        "apt-get install -y firefox-esr",
    )?;
    let geckodriver = find_geckodriver()?;
    let addon_id = manifest["browser_specific_settings"]["gecko"]["id"]
        .as_str()
        .ok_or_else(|| anyhow!("manifest.json has no browser_specific_settings.gecko.id"))?
        .to_string();
    let profile_root = TempDir::new("firefox-profiles")?;
    let port = free_port()?;
    let websocket_port = free_port()?;
    let driver = Driver::spawn(
        BrowserKind::Firefox,
        &geckodriver,
        &[
            "--host".into(),
            "127.0.0.1".into(),
            "--port".into(),
            port.to_string(),
            "--websocket-port".into(),
            websocket_port.to_string(),
            "--allow-system-access".into(),
            "--profile-root".into(),
            profile_root.path().to_string_lossy().into_owned(),
            "--log".into(),
            "warn".into(),
        ],
        ui_locale.map(|l| ("LANGUAGE", l)),
        port,
    )?;
    let mut prefs = firefox_prefs(&addon_id);
    if let (Some(locale), Some(map)) = (ui_locale, prefs.as_object_mut()) {
        map.insert("intl.locale.requested".into(), json!(locale));
        map.insert("intl.accept_languages".into(), json!(locale));
    }
    if let (Some(port), Some(map)) = (map_to, prefs.as_object_mut()) {
        // The fixture server is also an HTTP proxy: the mapped hosts reach it.
        map.insert("network.proxy.type".into(), json!(1));
        map.insert("network.proxy.http".into(), json!("127.0.0.1"));
        map.insert("network.proxy.http_port".into(), json!(port));
        map.insert(
            "network.proxy.no_proxies_on".into(),
            json!("localhost, 127.0.0.1"),
        );
        map.insert(
            "network.proxy.allow_hijacking_localhost".into(),
            json!(false),
        );
    }
    let capabilities = json!({
        "browserName": "firefox",
        "pageLoadStrategy": "eager",
        "moz:firefoxOptions": {
            "binary": firefox.to_string_lossy(),
            "args": ["-headless"],
            "prefs": prefs,
        },
    });
    let session =
        Session::new(&driver.base, capabilities).with_context(|| driver.log_tail("new session"))?;
    let installed = session.install_addon(extension_dir);
    let browser = Browser::assemble(
        BrowserKind::Firefox,
        session,
        FIREFOX_EXTENSION_UUID.to_string(),
        addon_id.clone(),
        extension_dir,
        manifest,
        driver,
        Some(profile_root),
    )?;
    let installed = installed.context("install the extension as a temporary add-on")?;
    if installed != addon_id {
        bail!("installed add-on id {installed:?} differs from the manifest's {addon_id:?}");
    }
    Ok(browser)
}

impl Browser {
    #[allow(clippy::too_many_arguments)]
    fn assemble(
        kind: BrowserKind,
        session: Session,
        host: String,
        extension_id: String,
        extension_dir: &Path,
        manifest: Value,
        mut driver: Driver,
        temp_dir: Option<TempDir>,
    ) -> Result<Browser> {
        let browser = Browser {
            kind,
            session,
            host,
            extension_id,
            extension_dir: extension_dir.to_path_buf(),
            manifest,
            helper_tab: RefCell::new(None),
            driver_base: driver.base.clone(),
            driver: driver.child.take(),
            group: driver.group.take(),
            temp_dir,
        };
        // The first command waits on the first tab's renderer, which in Chromium sometimes
        // never answers: give it a short page-load timeout, so the launch fails in 10 s
        // and is retried, rather than after the 30 s every later command may take.
        browser
            .session
            .set_timeouts(DRIVER_TIMEOUT, FIRST_COMMAND_TIMEOUT)?;
        browser
            .session
            .set_window_size(WINDOW_SIZE.0, WINDOW_SIZE.1)?;
        browser
            .session
            .set_timeouts(DRIVER_TIMEOUT, DRIVER_TIMEOUT)?;
        Ok(browser)
    }
}

/// A driver process while it is being set up; killed (with its group) if dropped.
struct Driver {
    base: String,
    log: PathBuf,
    child: Option<Child>,
    group: Option<reaper::Group>,
}

impl Driver {
    /// Spawns `program` in its own process group, logging to `artifacts/KIND-driver.log`
    /// (`KIND-VALUE-driver.log` with an `env` variable, so a second browser keeps its own; the
    /// runner's thread name, such as `firefox-2`, in place of KIND for its second shard), and
    /// waits until its `/status` says ready.
    /// `env`: one more environment variable for the driver (and the browser it starts).
    fn spawn(
        kind: BrowserKind,
        program: &Path,
        args: &[String],
        env: Option<(&str, &str)>,
        port: u16,
    ) -> Result<Driver> {
        let artifacts = crate::artifacts_dir();
        fs::create_dir_all(&artifacts)
            .with_context(|| format!("create {}", artifacts.display()))?;
        let who = std::thread::current()
            .name()
            .filter(|name| name.starts_with(kind.name()))
            .map_or_else(|| kind.name().to_owned(), str::to_owned);
        let name = match env {
            Some((_, value)) => format!("{who}-{value}-driver.log"),
            None => format!("{who}-driver.log"),
        };
        let log = artifacts.join(name);
        let out = File::create(&log).with_context(|| format!("create {}", log.display()))?;
        let err = out.try_clone()?;
        let mut command = Command::new(program);
        if let Some((key, value)) = env {
            command.env(key, value);
        }
        let child = command
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .with_context(|| format!("start {}", program.display()))?;
        let group = reaper::Group::register(child.id());
        let mut driver = Driver {
            base: format!("http://127.0.0.1:{port}"),
            log,
            child: Some(child),
            group: Some(group),
        };
        let client = Client::new(&driver.base);
        let start = Instant::now();
        loop {
            if let Some(status) = driver.child.as_mut().and_then(|c| c.try_wait().ok()?) {
                bail!(driver.log_tail(&format!("{} exited with {status}", program.display())));
            }
            if client.ready().unwrap_or(false) {
                return Ok(driver);
            }
            if start.elapsed() > Duration::from_secs(20) {
                bail!(driver.log_tail(&format!("{} not ready after 20 s", program.display())));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// `what`, followed by the end of the driver's log.
    fn log_tail(&self, what: &str) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(20)..].join("\n");
        format!("{what}; end of {}:\n{tail}", self.log.display())
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(group) = self.group.take() {
            group.kill();
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A directory `jwi-e2e-PID-N-LABEL` under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> Result<TempDir> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        if n == 0 {
            remove_stale_temp_dirs();
        }
        let name = format!("jwi-e2e-{}-{n}-{label}", std::process::id());
        let dir = std::env::temp_dir().join(name);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
        Ok(TempDir(dir))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        remove_dir_eventually(&self.0);
    }
}

/// Removes the temp dirs of earlier runs that were killed (their process is gone).
fn remove_stale_temp_dirs() {
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("jwi-e2e-"))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<i32>().ok())
        else {
            continue;
        };
        // SAFETY: kill with signal 0 only checks whether the process exists.
        let alive = unsafe { libc::kill(pid, 0) } == 0
            || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
        if !alive {
            remove_dir_eventually(&entry.path());
        }
    }
}

/// Removes `dir`, retrying briefly while killed processes may still be writing into it.
fn remove_dir_eventually(dir: &Path) {
    for _ in 0..20 {
        match fs::remove_dir_all(dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                thread::sleep(Duration::from_millis(50))
            }
            _ => return,
        }
    }
}

/// Chromium's id for an unpacked extension: the first 32 hex digits of sha256 of its absolute
/// path, with the digits 0-f written as the letters a-p.
pub fn chromium_extension_id(absolute_dir: &Path) -> String {
    let digest = Sha256::digest(absolute_dir.as_os_str().as_encoded_bytes());
    digest
        .iter()
        .take(16)
        .flat_map(|byte| [byte >> 4, byte & 0xf])
        .map(|nibble| char::from(b'a' + nibble))
        .collect()
}

/// A TCP port that was free a moment ago.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("find a free port")?;
    Ok(listener.local_addr()?.port())
}

/// `$env_var` if set, else `default`; an error with install advice when it does not exist.
fn binary(env_var: &str, default: &str, name: &str, install: &str) -> Result<PathBuf> {
    let path = std::env::var_os(env_var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    if path.is_file() {
        Ok(path)
    } else {
        bail!(
            "{name} not found at {} (override with {env_var}): install it with ./build.sh, \
             or: {install}",
            path.display()
        )
    }
}

/// geckodriver from `$JWI_GECKODRIVER`, `PATH` or `~/.cargo/bin`.
fn find_geckodriver() -> Result<PathBuf> {
    if std::env::var_os("JWI_GECKODRIVER").is_some() {
        return binary(
            "JWI_GECKODRIVER",
            "",
            "geckodriver",
            "cargo install geckodriver",
        );
    }
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default();
    let cargo_bin = std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo/bin"));
    on_path
        .into_iter()
        .chain(cargo_bin)
        .map(|dir| dir.join("geckodriver"))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            anyhow!(
                "geckodriver not found on PATH or in ~/.cargo/bin (override with \
                 JWI_GECKODRIVER): install it with ./build.sh, or: cargo install geckodriver"
            )
        })
}

/// `http://127.0.0.1:8000/x*` → `http://127.0.0.1/x*` (match patterns have no ports).
fn strip_port(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => authority,
    };
    format!("{scheme}://{host}{path}")
}

/// JavaScript truthiness of a JSON value.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// A file for a page's file input ([`Browser::choose_file`]): written to the temporary
/// directory under a name unique to this run and browser, removed when dropped.
pub struct TempFile(PathBuf);

impl TempFile {
    /// Writes `bytes` as `name`.
    pub fn new(browser: &Browser, name: &str, bytes: impl AsRef<[u8]>) -> Result<TempFile> {
        let path = std::env::temp_dir().join(format!(
            "jwi-e2e-{}-{}-{name}",
            std::process::id(),
            browser.kind()
        ));
        fs::write(&path, bytes).with_context(|| format!("write {}", path.display()))?;
        Ok(TempFile(path))
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_id_is_sha256_of_path_in_letters() {
        // sha256("/tmp/ext") = b259ee84… → b=l, 2=c, 5=f, 9=j, e=o, …
        let id = chromium_extension_id(Path::new("/tmp/ext"));
        assert_eq!(id, "lcfjooiecahccmjaipimfaidcnaihadb");
    }

    #[test]
    fn strip_port_keeps_everything_else() {
        assert_eq!(
            strip_port("http://127.0.0.1:8123/plain.html?x=1"),
            "http://127.0.0.1/plain.html?x=1"
        );
        assert_eq!(strip_port("http://127.0.0.1/*"), "http://127.0.0.1/*");
        assert_eq!(strip_port("*://*.example.com/*"), "*://*.example.com/*");
    }

    #[test]
    fn truthiness() {
        assert!(!truthy(&json!(null)) && !truthy(&json!(0)) && !truthy(&json!("")));
        assert!(truthy(&json!("x")) && truthy(&json!([])) && truthy(&json!(1)));
    }
}

/// WebDriver key codes for [`Browser::press_keys`].
pub mod keys {
    /// Tab.
    pub const TAB: &str = "\u{E004}";
    /// Enter.
    pub const ENTER: &str = "\u{E007}";
    /// Escape.
    pub const ESCAPE: &str = "\u{E00C}";
    /// Page Up.
    pub const PAGE_UP: &str = "\u{E00E}";
    /// Page Down.
    pub const PAGE_DOWN: &str = "\u{E00F}";
    /// End.
    pub const END: &str = "\u{E010}";
    /// Home.
    pub const HOME: &str = "\u{E011}";
    /// Arrow Up.
    pub const UP: &str = "\u{E013}";
    /// Arrow Down.
    pub const DOWN: &str = "\u{E015}";
}
