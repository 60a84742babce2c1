//! Minimal blocking HTTP/1.1 client over `std::net::TcpStream`: keep-alive, `TCP_NODELAY`,
//! `Content-Length` request framing, and responses framed by `Content-Length`, chunked encoding
//! or connection close. Enough to drive a node from a benchmark without an HTTP stack.

use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// One parsed HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// Header names lowercased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_slice(&self.body)
            .with_context(|| format!("response is not JSON: {}", preview(&self.body)))
    }

    /// Whether the server will close the connection after this response.
    fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// The first 300 characters of a body, for error messages.
pub fn preview(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(body);
    match s.char_indices().nth(300) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.into_owned(),
    }
}

/// Reads one response from `r`. `head_request` is true for a response to `HEAD` (no body).
pub fn read_response<R: BufRead>(r: &mut R, head_request: bool) -> Result<Response> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        bail!("connection closed before a response");
    }
    let status_line = line.trim_end();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        bail!("malformed status line [{status_line}]");
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("malformed status line [{status_line}]"))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            bail!("connection closed inside the response headers");
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            break;
        }
        let (name, value) = l
            .split_once(':')
            .with_context(|| format!("malformed header line [{l}]"))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let mut resp = Response {
        status,
        headers,
        body: Vec::new(),
    };
    if head_request || status == 204 || status == 304 || (100..200).contains(&status) {
        return Ok(resp);
    }
    if resp
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        resp.body = read_chunked(r)?;
    } else if let Some(len) = resp.header("content-length") {
        let len: usize = len
            .parse()
            .with_context(|| format!("bad Content-Length [{len}]"))?;
        resp.body = vec![0; len];
        r.read_exact(&mut resp.body)
            .context("connection closed inside the response body")?;
    } else {
        r.read_to_end(&mut resp.body)?;
    }
    Ok(resp)
}

fn read_chunked<R: BufRead>(r: &mut R) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        r.read_line(&mut line)?;
        let size_str = line.trim().split(';').next().unwrap_or_default();
        let size = usize::from_str_radix(size_str, 16)
            .with_context(|| format!("bad chunk size [{}]", line.trim()))?;
        if size == 0 {
            // Trailers until the empty line.
            loop {
                line.clear();
                if r.read_line(&mut line)? == 0 || line.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        r.read_exact(&mut body[start..])
            .context("connection closed inside a chunk")?;
        line.clear();
        r.read_line(&mut line)?;
    }
}

/// A keep-alive connection to one node; reconnects when the server closed it.
pub struct Client {
    addr: SocketAddr,
    conn: Option<(TcpStream, BufReader<TcpStream>)>,
    timeout: Duration,
}

impl Client {
    pub fn new(addr: SocketAddr, timeout: Duration) -> Self {
        Client {
            addr,
            conn: None,
            timeout,
        }
    }

    fn connect(&mut self) -> Result<&mut (TcpStream, BufReader<TcpStream>)> {
        if self.conn.is_none() {
            let stream = TcpStream::connect_timeout(&self.addr, self.timeout)?;
            stream.set_nodelay(true)?;
            stream.set_read_timeout(Some(self.timeout))?;
            stream.set_write_timeout(Some(self.timeout))?;
            let reader = BufReader::with_capacity(64 * 1024, stream.try_clone()?);
            self.conn = Some((stream, reader));
        }
        self.conn.as_mut().context("connection just opened")
    }

    /// Sends one request and reads its response. A failure on a reused connection is retried
    /// once on a fresh one only when nothing of the response arrived (the server closed an idle
    /// keep-alive connection); connection errors are returned as [`std::io::Error`] causes.
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> Result<Response> {
        let reused = self.conn.is_some();
        match self.try_request(method, path, content_type, body) {
            Ok(r) => Ok(r),
            Err(e) if reused && is_stale_connection(&e) => {
                self.conn = None;
                self.try_request(method, path, content_type, body)
            }
            Err(e) => {
                self.conn = None;
                Err(e)
            }
        }
    }

    fn try_request(
        &mut self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> Result<Response> {
        let host = self.addr;
        let (stream, reader) = self.connect()?;
        let mut head =
            format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n");
        if !body.is_empty() || method == "POST" || method == "PUT" {
            head.push_str(&format!(
                "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        stream.write_all(body)?;
        stream.flush()?;
        let resp = read_response(reader, method == "HEAD")?;
        if resp.closes() {
            self.conn = None;
        }
        Ok(resp)
    }

    pub fn get(&mut self, path: &str) -> Result<Response> {
        self.request("GET", path, "application/json", b"")
    }

    /// Sends a JSON body and returns the response, failing unless the status is 2xx.
    pub fn send_json_ok(
        &mut self,
        method: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value> {
        let bytes = serde_json::to_vec(body)?;
        let resp = self.request(method, path, "application/json", &bytes)?;
        if !(200..300).contains(&resp.status) {
            bail!(
                "{method} {path} answered {}: {}",
                resp.status,
                preview(&resp.body)
            );
        }
        if resp.body.is_empty() {
            return Ok(serde_json::Value::Null);
        }
        resp.json()
    }
}

/// Whether the error means the server closed a kept-alive connection before answering.
fn is_stale_connection(e: &anyhow::Error) -> bool {
    if e.to_string() == "connection closed before a response" {
        return true;
    }
    e.downcast_ref::<std::io::Error>().is_some_and(|io| {
        matches!(
            io.kind(),
            std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
        )
    })
}

/// Checks a `_bulk` response: fails with the first item's error when `errors` is not false.
/// The common case (`"errors":false` near the start) is checked without parsing the body.
pub fn check_bulk_response(resp: &Response) -> Result<()> {
    if !(200..300).contains(&resp.status) {
        bail!("_bulk answered {}: {}", resp.status, preview(&resp.body));
    }
    if errors_flag_is_false(&resp.body) {
        return Ok(());
    }
    let v = resp.json()?;
    match v.get("errors") {
        Some(serde_json::Value::Bool(false)) => Ok(()),
        Some(serde_json::Value::Bool(true)) => {
            let items = v
                .get("items")
                .and_then(|i| i.as_array())
                .map(Vec::as_slice)
                .unwrap_or_default();
            let failed = items
                .iter()
                .filter(|it| first_op(it).is_some_and(|op| op.get("error").is_some()))
                .count();
            let first = items
                .iter()
                .filter_map(first_op)
                .find(|op| op.get("error").is_some())
                .map(|op| serde_json::json!({ "status": op.get("status"), "error": op.get("error") }));
            bail!(
                "_bulk reported errors: {failed} of {} items failed; first failure: {}",
                items.len(),
                first
                    .map(|f| f.to_string())
                    .unwrap_or_else(|| "<none found>".into())
            )
        }
        _ => bail!(
            "_bulk response has no boolean \"errors\": {}",
            preview(&resp.body)
        ),
    }
}

fn first_op(item: &serde_json::Value) -> Option<&serde_json::Value> {
    item.as_object().and_then(|o| o.values().next())
}

/// Fast path: finds the top-level `"errors"` key in the first bytes and checks it is `false`.
fn errors_flag_is_false(body: &[u8]) -> bool {
    let window = &body[..body.len().min(256)];
    let key = b"\"errors\"";
    let Some(pos) = window.windows(key.len()).position(|w| w == key) else {
        return false;
    };
    // Only trust it at nesting depth 1, i.e. before any item object.
    if window[..pos]
        .iter()
        .filter(|&&c| c == b'{' || c == b'[')
        .count()
        != 1
    {
        return false;
    }
    let rest = &window[pos + key.len()..];
    let rest: Vec<u8> = rest
        .iter()
        .copied()
        .skip_while(|c| c.is_ascii_whitespace())
        .collect();
    let Some(rest) = rest.strip_prefix(b":") else {
        return false;
    };
    let rest: Vec<u8> = rest
        .iter()
        .copied()
        .skip_while(|c| c.is_ascii_whitespace())
        .collect();
    rest.starts_with(b"false")
}

#[cfg(test)]
#[path = "http_test.rs"]
mod http_test;
