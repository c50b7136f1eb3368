//! The fixture server: a small HTTP server on `127.0.0.1` inside the test process.
//!
//! - Files under `tests/fixtures/` are served by their path: `/plain.html`.
//! - Any path under `/strict/` serves the same thing as the path without that prefix, plus the
//!   header `Content-Security-Policy: default-src 'none'; script-src 'self'` (see [`STRICT_CSP`]).
//! - Routes registered at run time with [`Server::route`] take precedence over files; they are
//!   how tests fake widget loaders, errors and slow responses.
//! - Every request is logged; [`Server::requests_for`] counts them by path.
//!
//! Each request is answered on its own thread, so a slow route never holds up other requests.
//!
//! ```no_run
//! use e2e::server::{Response, Server};
//! use std::time::Duration;
//!
//! let server = Server::start()?;
//! server.route("/loader/slow.js", Response::js("window.loaded = 1").delay(Duration::from_secs(10)));
//! let url = server.url("/strict/strict.html");
//! # Ok::<(), anyhow::Error>(())
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context as _, Result};

/// The policy sent with every response under `/strict/`.
pub const STRICT_CSP: &str = "default-src 'none'; script-src 'self'";

/// The path prefix that adds [`STRICT_CSP`].
pub const STRICT_PREFIX: &str = "/strict/";

/// JivoChat's loader hosts, served by this server when the browser maps them to it
/// (Chromium: `--host-resolver-rules`; Firefox: this server as its HTTP proxy). See
/// `tests/e2e/README.md`, "Host mapping". Over http only.
pub const MAPPED_HOSTS: [&str; 4] = [
    "code.jivosite.com",
    "code.jivo.ru",
    "code.jivochat.com",
    "code-eu1.jivosite.com",
];

/// The fake widget loader (`tests/fixtures/fake-loader.js`), as served for a loader path on a
/// mapped host.
pub fn fake_loader() -> String {
    std::fs::read_to_string(fixtures_dir().join("fake-loader.js")).unwrap_or_default()
}

/// Whether `path` is one of JivoChat's loader paths (`/widget/<id>`, `/script/widget/<id>`,
/// `/script/geo-widget/<id>`, `/widget.js`).
fn is_loader_path(path: &str) -> bool {
    let one_segment = |rest: &str| !rest.is_empty() && !rest.contains('/');
    path == "/widget.js"
        || path.strip_prefix("/widget/").is_some_and(one_segment)
        || path
            .strip_prefix("/script/widget/")
            .is_some_and(one_segment)
        || path
            .strip_prefix("/script/geo-widget/")
            .is_some_and(one_segment)
}

/// The directory the server serves files from: `tests/fixtures/` of the repository.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// A canned response for a programmatic route.
#[derive(Clone, Debug)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Value of the `Content-Type` header.
    pub content_type: String,
    /// Extra headers, sent as given.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// How long to wait before answering (only this request's thread waits).
    pub delay: Duration,
}

impl Default for Response {
    fn default() -> Self {
        Response {
            status: 200,
            content_type: "text/plain; charset=utf-8".into(),
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
        }
    }
}

impl Response {
    /// A `200` JavaScript response.
    pub fn js(body: impl Into<String>) -> Self {
        Response {
            content_type: "text/javascript; charset=utf-8".into(),
            body: body.into().into_bytes(),
            ..Response::default()
        }
    }

    /// A `200` HTML response.
    pub fn html(body: impl Into<String>) -> Self {
        Response {
            content_type: "text/html; charset=utf-8".into(),
            body: body.into().into_bytes(),
            ..Response::default()
        }
    }

    /// An empty response with the given status, e.g. `Response::status(404)`.
    pub fn status(status: u16) -> Self {
        Response {
            status,
            ..Response::default()
        }
    }

    /// The same response with status `status`.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// The same response with one more header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The same response, sent after `delay`.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// One request the server received.
#[derive(Clone, Debug)]
pub struct RequestRecord {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path without the query string, e.g. `/strict/strict.html`; for a mapped host
    /// ([`MAPPED_HOSTS`]) `//host/path`, e.g. `//code.jivosite.com/widget/AbC123`.
    pub path: String,
    /// The request target as sent, query included.
    pub url: String,
    /// When it arrived.
    pub at: Instant,
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Response>,
    log: Vec<RequestRecord>,
}

/// A running fixture server. Dropping it stops accepting requests.
pub struct Server {
    http: Arc<tiny_http::Server>,
    state: Arc<Mutex<State>>,
    port: u16,
    acceptor: Option<thread::JoinHandle<()>>,
}

impl Server {
    /// Starts a server on `127.0.0.1` on a free port, serving [`fixtures_dir`].
    pub fn start() -> Result<Server> {
        let root = fixtures_dir()
            .canonicalize()
            .with_context(|| format!("fixtures directory {}", fixtures_dir().display()))?;
        let http = tiny_http::Server::http("127.0.0.1:0")
            .map_err(|e| anyhow!("fixture server: cannot listen on 127.0.0.1: {e}"))?;
        let port = http
            .server_addr()
            .to_ip()
            .ok_or_else(|| anyhow!("fixture server: not listening on an IP address"))?
            .port();
        let http = Arc::new(http);
        let state = Arc::new(Mutex::new(State::default()));
        let acceptor = {
            let http = Arc::clone(&http);
            let state = Arc::clone(&state);
            thread::Builder::new()
                .name(format!("fixture-server-{port}"))
                .spawn(move || {
                    for request in http.incoming_requests() {
                        let state = Arc::clone(&state);
                        let root = root.clone();
                        // One thread per request: a delayed route must not block the others.
                        let _ = thread::Builder::new()
                            .name("fixture-request".into())
                            .spawn(move || answer(request, &root, &state));
                    }
                })
                .context("fixture server: spawn the acceptor thread")?
        };
        Ok(Server {
            http,
            state,
            port,
            acceptor: Some(acceptor),
        })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The origin, `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The absolute URL of `path` (which starts with `/`) on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.origin(), path)
    }

    /// Registers (or replaces) a route for exactly `path` (query strings are ignored when
    /// matching). The route is also reachable under `/strict/`, with the strict CSP added.
    /// `//code.jivosite.com/widget/x` routes a path on a mapped host ([`MAPPED_HOSTS`]), where
    /// every loader path serves [`fake_loader`] unless routed otherwise.
    pub fn route(&self, path: &str, response: Response) {
        self.lock().routes.insert(path.to_string(), response);
    }

    /// Removes a route registered with [`Server::route`].
    pub fn unroute(&self, path: &str) {
        self.lock().routes.remove(path);
    }

    /// How many requests arrived for `path` (compared without the query string).
    pub fn requests_for(&self, path: &str) -> usize {
        self.lock().log.iter().filter(|r| r.path == path).count()
    }

    /// Every request received since the start or the last [`Server::reset`].
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.lock().log.clone()
    }

    /// Forgets all routes and the request log (the runner does this before each scenario).
    pub fn reset(&self) {
        let mut state = self.lock();
        state.routes.clear();
        state.log.clear();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking request thread must not take the whole server down with it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.http.unblock();
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// Answers one request: route, else file, else 404.
fn answer(request: tiny_http::Request, root: &Path, state: &Mutex<State>) {
    let url = request.url().to_string();
    // A proxy request (Firefox) names the host in the URL; a mapped host (Chromium) in `Host`.
    let (host, target) = match url.strip_prefix("http://") {
        Some(rest) => {
            let split = rest.find('/').unwrap_or(rest.len());
            (rest[..split].to_string(), rest[split..].to_string())
        }
        None => (
            request
                .headers()
                .iter()
                .find(|h| h.field.equiv("Host"))
                .map(|h| h.value.as_str().to_string())
                .unwrap_or_default(),
            url.clone(),
        ),
    };
    let host = host.split(':').next().unwrap_or("").to_ascii_lowercase();
    if MAPPED_HOSTS.contains(&host.as_str()) {
        let path = target.split(['?', '#']).next().unwrap_or("").to_string();
        let key = format!("//{host}{path}");
        let route = {
            let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
            state.log.push(RequestRecord {
                method: request.method().to_string(),
                path: key.clone(),
                url: format!("//{host}{target}"),
                at: Instant::now(),
            });
            state.routes.get(&key).cloned()
        };
        let response = route.unwrap_or_else(|| {
            if is_loader_path(&path) {
                Response::js(fake_loader())
            } else {
                Response::status(404)
            }
        });
        respond(request, response);
        return;
    }
    let url = target;
    let path = url.split(['?', '#']).next().unwrap_or("").to_string();
    let strict_path = path
        .strip_prefix(STRICT_PREFIX)
        .map(|rest| format!("/{rest}"));
    let route = {
        let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
        state.log.push(RequestRecord {
            method: request.method().to_string(),
            path: path.clone(),
            url: url.clone(),
            at: Instant::now(),
        });
        state.routes.get(&path).cloned().or_else(|| {
            strict_path
                .as_ref()
                .and_then(|p| state.routes.get(p).cloned())
                .map(|r| r.header("Content-Security-Policy", STRICT_CSP))
        })
    };
    let response = route.unwrap_or_else(|| {
        let mut response = serve_file(root, strict_path.as_deref().unwrap_or(&path));
        if strict_path.is_some() {
            response = response.header("Content-Security-Policy", STRICT_CSP);
        }
        response
    });
    respond(request, response);
}

/// Sends `response` (after its delay).
fn respond(request: tiny_http::Request, response: Response) {
    if !response.delay.is_zero() {
        thread::sleep(response.delay);
    }
    let mut reply = tiny_http::Response::from_data(response.body)
        .with_status_code(response.status)
        .with_header(header("Content-Type", &response.content_type))
        .with_header(header("Cache-Control", "no-store"));
    for (name, value) in &response.headers {
        reply.add_header(header(name, value));
    }
    // The browser may have given up (navigated away); nothing to do about it then.
    let _ = request.respond(reply);
}

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes())
        .unwrap_or_else(|()| panic!("invalid header {name}: {value}"))
}

/// Reads `path` below `root`; 404 for anything missing or outside it.
fn serve_file(root: &Path, path: &str) -> Response {
    let relative = path.trim_start_matches('/');
    let is_safe = !relative.is_empty()
        && relative
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..");
    if !is_safe {
        return Response::status(404);
    }
    match std::fs::read(root.join(relative)) {
        Ok(body) => Response {
            content_type: content_type(relative).into(),
            body,
            ..Response::default()
        },
        Err(_) => Response::status(404),
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpStream;

    /// A raw HTTP/1.0 GET, returning (status line + headers, body).
    fn get(server: &Server, path: &str) -> (String, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
        write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        (head.to_string(), body.to_string())
    }

    #[test]
    fn serves_files_strict_routes_and_logs() {
        let server = Server::start().unwrap();
        let (head, body) = get(&server, "/plain.html?x=1");
        assert!(head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200"));
        assert!(!head.contains("Content-Security-Policy"));
        assert!(body.contains("<title>"));

        let (head, _) = get(&server, "/strict/strict.html");
        assert!(head.contains(STRICT_CSP), "{head}");

        let (head, _) = get(&server, "/../Cargo.toml");
        assert!(head.contains(" 404"), "{head}");

        server.route("/loader/x.js", Response::js("1").with_status(201));
        let (head, body) = get(&server, "/strict/loader/x.js");
        assert!(head.contains(" 201") && head.contains(STRICT_CSP), "{head}");
        assert_eq!(body, "1");

        assert_eq!(server.requests_for("/plain.html"), 1);
        assert_eq!(server.requests_for("/strict/loader/x.js"), 1);
        server.reset();
        assert_eq!(server.requests().len(), 0);
        let (head, _) = get(&server, "/loader/x.js");
        assert!(head.contains(" 404"), "{head}");
    }

    #[test]
    fn serves_mapped_hosts_by_host_header_and_as_a_proxy() {
        let server = Server::start().unwrap();
        let ask = |request: &str| {
            let mut stream = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
            stream.write_all(request.as_bytes()).unwrap();
            let mut text = String::new();
            stream.read_to_string(&mut text).unwrap();
            text
        };
        let mapped = ask("GET /widget/AbC?x=1 HTTP/1.0\r\nHost: code.jivosite.com\r\n\r\n");
        assert!(
            mapped.contains(" 200") && mapped.contains("fakeJivo"),
            "{mapped}"
        );
        let proxied = ask(
            "GET http://code.jivo.ru/script/geo-widget/AbC HTTP/1.0\r\nHost: code.jivo.ru\r\n\r\n",
        );
        assert!(
            proxied.contains(" 200") && proxied.contains("fakeJivo"),
            "{proxied}"
        );
        let other = ask("GET /js/bundle.js HTTP/1.0\r\nHost: code.jivosite.com\r\n\r\n");
        assert!(other.contains(" 404"), "{other}");
        server.route("//code.jivosite.com/widget/Gone", Response::status(404));
        let gone = ask("GET /widget/Gone HTTP/1.0\r\nHost: code.jivosite.com:80\r\n\r\n");
        assert!(gone.contains(" 404"), "{gone}");
        assert_eq!(server.requests_for("//code.jivosite.com/widget/AbC"), 1);
        assert_eq!(
            server.requests_for("//code.jivo.ru/script/geo-widget/AbC"),
            1
        );
        let local = ask("GET http://127.0.0.1/plain.html HTTP/1.0\r\n\r\n");
        assert!(local.contains(" 200"), "{local}");
    }

    #[test]
    fn slow_route_does_not_block_others() {
        let server = Server::start().unwrap();
        server.route(
            "/slow",
            Response::html("late").delay(Duration::from_secs(3)),
        );
        let port = server.port();
        let slow = thread::spawn(move || {
            let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
            write!(stream, "GET /slow HTTP/1.0\r\n\r\n").unwrap();
            let mut text = String::new();
            stream.read_to_string(&mut text).unwrap();
        });
        thread::sleep(Duration::from_millis(100));
        let started = Instant::now();
        get(&server, "/plain.html");
        assert!(started.elapsed() < Duration::from_secs(1));
        slow.join().unwrap();
    }
}
