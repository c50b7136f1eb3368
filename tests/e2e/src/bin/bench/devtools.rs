//! The least of HTTP and WebSocket (RFC 6455) to send DevTools commands to one Chromium target
//! (the session's `debuggerAddress`; chromedriver's own CDP endpoint reaches page targets only
//! and gives no events).
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use serde_json::{json, Value};

/// The body of `GET path` on `addr` (`host:port`); reads `Content-Length` bytes (the
/// DevTools server keeps the connection open).
pub fn http_get(addr: &str, path: &str) -> Result<String> {
    let mut stream = TcpStream::connect(addr).with_context(|| format!("connecting to {addr}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n")?;
    let mut reader = BufReader::new(stream);
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .context("reading the HTTP headers")?;
        if line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                len = value.trim().parse().context("Content-Length")?;
            }
        }
    }
    let mut body = vec![0u8; len];
    reader
        .read_exact(&mut body)
        .context("reading the HTTP body")?;
    Ok(String::from_utf8(body)?)
}

/// A client WebSocket to one DevTools target.
pub struct WebSocket {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    /// Events received so far (messages without an `id`), oldest first.
    pub events: Vec<Value>,
    next_id: u64,
}

/// The path of a target's `webSocketDebuggerUrl` (`ws://host:port/devtools/…`).
pub fn ws_path(url: &str) -> Result<String> {
    url.split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
        .with_context(|| format!("webSocketDebuggerUrl {url}"))
}

impl WebSocket {
    /// Opens `ws://addr/path` (no Origin header: DevTools accepts those).
    pub fn connect(addr: &str, path: &str) -> Result<WebSocket> {
        let mut writer =
            TcpStream::connect(addr).with_context(|| format!("connecting to {addr}"))?;
        writer.set_read_timeout(Some(Duration::from_secs(30)))?;
        write!(
            writer,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )?;
        let mut reader = BufReader::new(writer.try_clone()?);
        let mut status = String::new();
        reader.read_line(&mut status)?;
        if !status.contains(" 101 ") {
            bail!("WebSocket upgrade refused: {}", status.trim());
        }
        loop {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            if line.trim().is_empty() {
                break;
            }
        }
        Ok(WebSocket {
            reader,
            writer,
            events: Vec::new(),
            next_id: 1_000,
        })
    }

    /// Sends `{"id", "method"}` and returns the answer with that id.
    pub fn command(&mut self, id: u64, method: &str) -> Result<Value> {
        self.send(&json!({ "id": id, "method": method }).to_string())?;
        self.answer(id)
    }

    /// Sends `method` with `params` and returns the answer's `result`; events that arrive
    /// meanwhile are kept in [`WebSocket::events`].
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({ "id": id, "method": method, "params": params }).to_string())?;
        let answer = self.answer(id)?;
        if let Some(err) = answer.get("error") {
            bail!("{method}: {err}");
        }
        Ok(answer["result"].clone())
    }

    /// Reads events for `period` (or until the connection is quiet that long).
    pub fn collect(&mut self, period: Duration) -> Result<()> {
        let until = std::time::Instant::now() + period;
        while let Some(left) = until.checked_duration_since(std::time::Instant::now()) {
            self.writer
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))?;
            let ready = match self.reader.fill_buf() {
                Ok(buf) => !buf.is_empty(),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    false
                }
                Err(e) => return Err(e.into()),
            };
            self.writer
                .set_read_timeout(Some(Duration::from_secs(30)))?;
            if !ready {
                break;
            }
            let msg: Value = serde_json::from_str(&self.receive()?)?;
            if msg.get("id").is_none() {
                self.events.push(msg);
            }
        }
        Ok(())
    }

    fn answer(&mut self, id: u64) -> Result<Value> {
        loop {
            let msg: Value = serde_json::from_str(&self.receive()?)?;
            if msg["id"] == id {
                return Ok(msg);
            }
            if msg.get("id").is_none() {
                self.events.push(msg);
            }
        }
    }

    fn send(&mut self, text: &str) -> Result<()> {
        let payload = text.as_bytes();
        let mut frame = vec![0x81u8];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n <= 0xffff => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        // A client must mask; an all-zero key leaves the payload as it is.
        frame.extend_from_slice(&[0, 0, 0, 0]);
        frame.extend_from_slice(payload);
        self.writer.write_all(&frame)?;
        Ok(())
    }

    fn receive(&mut self) -> Result<String> {
        let mut message = Vec::new();
        loop {
            let mut head = [0u8; 2];
            self.reader.read_exact(&mut head)?;
            let len = match head[1] & 0x7f {
                126 => {
                    let mut b = [0u8; 2];
                    self.reader.read_exact(&mut b)?;
                    u64::from(u16::from_be_bytes(b))
                }
                127 => {
                    let mut b = [0u8; 8];
                    self.reader.read_exact(&mut b)?;
                    u64::from_be_bytes(b)
                }
                n => u64::from(n),
            };
            let mut payload = vec![0u8; usize::try_from(len)?];
            self.reader.read_exact(&mut payload)?;
            match head[0] & 0x0f {
                0x0 | 0x1 => message.extend_from_slice(&payload),
                0x8 => bail!("the DevTools connection closed"),
                _ => continue, // ping/pong/binary: not used by DevTools
            }
            if head[0] & 0x80 != 0 {
                return Ok(String::from_utf8(message)?);
            }
        }
    }
}
