//! A raw HTTP/1.1 client over a TCP stream, so that tests can send exactly the
//! bytes an attacker would: lying lengths, endless chunked bodies, one byte a
//! second, headers that never end. Answers are parsed by hand (status line,
//! headers, a `Content-Length`, chunked or close-delimited body).

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// Longest header block read from the server.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Largest body read from the server (`/metrics` stays far below).
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// How long any ordinary answer may take.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(15);

/// A parsed HTTP answer.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers in order, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// The body as JSON; panics with the body when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("answer {} is not JSON ({error}): {}", self.status, self.text()))
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// `error.code` of an error answer.
    pub fn error_code(&self) -> String {
        let json = self.json();
        json["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("answer {} has no error.code: {json}", self.status))
            .to_owned()
    }

    /// `accepted` and `dropped` of a 202.
    pub fn accepted_dropped(&self) -> (u64, u64) {
        assert_eq!(self.status, 202, "expected 202, got {} {}", self.status, self.text());
        let json = self.json();
        let field = |name: &str| json[name].as_u64().unwrap_or_else(|| panic!("202 without `{name}`: {json}"));
        (field("accepted"), field("dropped"))
    }

    /// Asserts an error answer: status and `error.code`.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "status; body: {}", self.text());
        assert_eq!(self.error_code(), code, "error code; body: {}", self.text());
    }
}

/// The bytes of a request. `Host` is added; `Connection: close` unless `headers` set a
/// `Connection`; `Content-Length` unless they set a length or a transfer encoding.
pub fn request_bytes(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("connection")) {
        head.push_str("Connection: close\r\n");
    }
    let framed = headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("transfer-encoding"));
    if !framed {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Sends `bytes` on a fresh connection and reads the answer.
pub async fn send(addr: SocketAddr, bytes: &[u8]) -> Response {
    let mut connection = RawConnection::open(addr).await;
    connection.write(bytes).await.expect("send the request");
    connection.read_response(ANSWER_TIMEOUT).await
}

/// One TCP connection to the server.
#[derive(Debug)]
pub struct RawConnection {
    stream: TcpStream,
    /// Bytes received but not yet parsed (the start of a next answer).
    buffer: Vec<u8>,
}

impl RawConnection {
    /// Connects to `addr`.
    pub async fn open(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connect to the test server");
        stream.set_nodelay(true).expect("set TCP_NODELAY");
        Self { stream, buffer: Vec::new() }
    }

    /// Writes and flushes `bytes`.
    pub async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }

    /// Reads one answer; panics when none arrives `within`.
    pub async fn read_response(&mut self, within: Duration) -> Response {
        read_response_from(&mut self.stream, &mut self.buffer, within).await
    }

    /// Reads one answer, or `None` when the server closes the connection first;
    /// panics when neither happens `within`.
    pub async fn next_response(&mut self, within: Duration) -> Option<Response> {
        tokio::time::timeout(within, next_response_from(&mut self.stream, &mut self.buffer))
            .await
            .unwrap_or_else(|_| panic!("neither an answer nor a close within {within:?}"))
    }

    /// True when the server closes the connection within `within` (reads until end of
    /// stream or a reset, discarding anything sent meanwhile).
    pub async fn closed_within(&mut self, within: Duration) -> bool {
        wait_closed(&mut self.stream, within).await
    }

    /// Separate halves, to write a body while waiting for the answer.
    pub fn split(self) -> (ResponseReader, OwnedWriteHalf) {
        let (read, write) = self.stream.into_split();
        (ResponseReader { read, buffer: self.buffer }, write)
    }
}

/// The reading half of a split connection.
#[derive(Debug)]
pub struct ResponseReader {
    read: OwnedReadHalf,
    buffer: Vec<u8>,
}

impl ResponseReader {
    /// Reads one answer; panics when none arrives `within`.
    pub async fn read_response(&mut self, within: Duration) -> Response {
        read_response_from(&mut self.read, &mut self.buffer, within).await
    }

    /// True when the server closes the connection within `within`.
    pub async fn closed_within(&mut self, within: Duration) -> bool {
        wait_closed(&mut self.read, within).await
    }
}

async fn wait_closed<R: AsyncRead + Unpin>(reader: &mut R, within: Duration) -> bool {
    let drain = async {
        let mut chunk = [0u8; 4096];
        loop {
            match reader.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(within, drain).await.is_ok()
}

async fn read_response_from<R: AsyncRead + Unpin>(reader: &mut R, buffer: &mut Vec<u8>, within: Duration) -> Response {
    let response = tokio::time::timeout(within, next_response_from(reader, buffer))
        .await
        .unwrap_or_else(|_| panic!("no answer within {within:?}"));
    response.unwrap_or_else(|| {
        panic!("connection ended without a complete answer; got {:?}", String::from_utf8_lossy(buffer))
    })
}

/// The next answer, or `None` when the connection ends first.
async fn next_response_from<R: AsyncRead + Unpin>(reader: &mut R, buffer: &mut Vec<u8>) -> Option<Response> {
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        if let Some(response) = parse(buffer, false) {
            return Some(response);
        }
        // A reset right after the answer (the server closed with unread body bytes)
        // is an end of stream for our purposes: what arrived before it counts.
        let read = reader.read(&mut chunk).await.unwrap_or(0);
        if read == 0 {
            return parse(buffer, true);
        }
        buffer.extend_from_slice(&chunk[..read]);
        assert!(buffer.len() <= MAX_HEAD_BYTES + MAX_BODY_BYTES, "answer too large");
    }
}

/// Parses a complete answer at the start of `buffer` (and removes it), or `None` when
/// more bytes are needed. `eof`: the connection ended, so a body without a length is complete.
fn parse(buffer: &mut Vec<u8>, eof: bool) -> Option<Response> {
    let head_end = buffer.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&buffer[..head_end]).expect("answer headers are UTF-8");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap_or_else(|| panic!("bad header line {line:?}"));
            (name.trim().to_ascii_lowercase(), value.trim().to_owned())
        })
        .collect();
    let find = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let rest = &buffer[head_end + 4..];
    let (body, consumed) = if let Some(length) = find("content-length") {
        let length: usize = length.parse().expect("numeric content-length");
        if rest.len() < length {
            return None;
        }
        (rest[..length].to_vec(), length)
    } else if find("transfer-encoding").is_some_and(|te| te.eq_ignore_ascii_case("chunked")) {
        dechunk(rest)?
    } else if status == 204 || status == 304 || (100..200).contains(&status) {
        (Vec::new(), 0)
    } else if eof {
        (rest.to_vec(), rest.len())
    } else {
        return None;
    };
    buffer.drain(..head_end + 4 + consumed);
    Some(Response { status, headers, body })
}

/// A complete chunked body at the start of `bytes`: the body and the bytes it took.
fn dechunk(bytes: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let line_end = at + bytes[at..].windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&bytes[at..line_end]).expect("chunk size is text");
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16).expect("hex chunk size");
        let data_start = line_end + 2;
        if size == 0 {
            // No trailers from our server: the last chunk ends with an empty line.
            let end = data_start + 2;
            return (bytes.len() >= end).then_some((body, end));
        }
        let data_end = data_start + size;
        if bytes.len() < data_end + 2 {
            return None;
        }
        body.extend_from_slice(&bytes[data_start..data_end]);
        at = data_end + 2;
    }
}
