//! Name server list lookup over HTTP (Java `common/namesrv/DefaultTopAddressing.java`,
//! `MixAll.getWSAddr`; the 2.x C++ client's `TopAddressing.cpp`): one `GET` whose body is the
//! list, `"host:port;host:port"`. Used when no name server address is set; the client instance
//! looks it up again every [`ClientOptions::namesrv_lookup_interval`](crate::ClientOptions)
//! (2 minutes, as Java) and keeps the last good list when a lookup fails.
//!
//! A minimal HTTP/1.1 client over a tokio TCP stream: the answer is a few bytes of text from a
//! server inside the operator's network, so an HTTP library (and its dependency tree) buys
//! nothing. Plain `http://` only, like Java's `HttpTinyClient` for this URL.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::{Error, ErrorKind, Result};

/// Java `MixAll.getWSAddr`: port 8080 when the domain has none.
const DEFAULT_PORT: u16 = 8080;
/// Java `rocketmq.namesrv.domain.subgroup` default: the path is `/rocketmq/nsaddr`.
const DEFAULT_PATH: &str = "/rocketmq/nsaddr";
/// A name server list is a few hundred bytes; anything much larger is not one.
const MAX_RESPONSE: usize = 64 * 1024;

/// Where the list is fetched from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupUrl {
    /// Host to connect to (and to send in `Host:`).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Path and query.
    pub path: String,
}

impl LookupUrl {
    /// A domain as Java's `rocketmq.namesrv.domain` (`host` → `http://host:8080/rocketmq/nsaddr`,
    /// `host:port` → `http://host:port/rocketmq/nsaddr`) or a full `http://host[:port]/path`
    /// URL as the C++ client's `setNamesrvDomain` takes. A unit name appends
    /// `-<unit>?nofix=1` (Java `DefaultTopAddressing.fetchNSAddr`).
    pub fn parse(domain: &str, unit_name: Option<&str>) -> Result<LookupUrl> {
        let domain = domain.trim();
        let bad = |why: &str| Error::config(format!("invalid name server domain {domain:?}: {why}"));
        if domain.starts_with("https://") {
            return Err(bad("only http:// lookups are supported (as Java's TopAddressing)"));
        }
        let (authority, path) = match domain.strip_prefix("http://") {
            Some(rest) => match rest.find('/') {
                Some(i) => (&rest[..i], rest[i..].to_owned()),
                None => (rest, "/".to_owned()),
            },
            None => (domain, DEFAULT_PATH.to_owned()),
        };
        if authority.is_empty() || authority.contains(['/', '?', '#', '@', ' ']) {
            return Err(bad("expected a host name, host:port, or http://host[:port]/path"));
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (host, port.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| bad("bad port"))?),
            None => (authority, DEFAULT_PORT),
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let mut path = path;
        if let Some(unit) = unit_name.map(str::trim).filter(|u| !u.is_empty()) {
            path = format!("{path}-{unit}?nofix=1");
        }
        Ok(LookupUrl { host: host.to_owned(), port, path })
    }

    /// `http://host:port/path`.
    pub fn url(&self) -> String {
        format!("http://{}:{}{}", self.host, self.port, self.path)
    }
}

/// GET the list: the body's first line, trimmed (Java `clearNewLine`), checked as a name
/// server list. Any failure (connect, timeout, status other than 200, empty or malformed
/// list) is an error; the caller keeps its last list.
pub async fn fetch(url: &LookupUrl, timeout: Duration) -> Result<Vec<String>> {
    let body = tokio::time::timeout(timeout, get(url))
        .await
        .map_err(|_| Error::new(ErrorKind::Timeout, format!("name server lookup at {} timed out", url.url())))??;
    let text = String::from_utf8_lossy(&body);
    let line = first_line(&text);
    if line.is_empty() {
        return Err(Error::new(
            ErrorKind::Protocol,
            format!("name server lookup at {} returned no address", url.url()),
        ));
    }
    crate::options::parse_namesrv_addrs(line).map_err(|e| e.context(format!("name server lookup at {}", url.url())))
}

/// Java `DefaultTopAddressing.clearNewLine`: trimmed, cut at the first CR or LF.
fn first_line(text: &str) -> &str {
    let text = text.trim();
    let end = text.find(['\r', '\n']).unwrap_or(text.len());
    &text[..end]
}

async fn get(url: &LookupUrl) -> Result<Vec<u8>> {
    let connect_err = |e: std::io::Error| {
        Error::new(ErrorKind::Connect, format!("name server lookup: cannot reach {}: {e}", url.url()))
    };
    let mut stream = tokio::net::TcpStream::connect((url.host.as_str(), url.port)).await.map_err(connect_err)?;
    let host = if url.port == 80 { url.host.clone() } else { format!("{}:{}", url.host, url.port) };
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {host}\r\nAccept: text/plain, */*\r\nUser-Agent: rocketmq-py\r\nConnection: close\r\n\r\n",
        url.path
    );
    stream.write_all(request.as_bytes()).await.map_err(connect_err)?;
    let mut response = Vec::new();
    (&mut stream).take(MAX_RESPONSE as u64 + 1).read_to_end(&mut response).await.map_err(connect_err)?;
    if response.len() > MAX_RESPONSE {
        return Err(Error::new(ErrorKind::Protocol, format!("name server lookup at {}: answer too large", url.url())));
    }
    parse_response(&response)
        .map_err(|why| Error::new(ErrorKind::Protocol, format!("name server lookup at {}: {why}", url.url())))
}

/// The body of a complete HTTP/1.x response read until the server closed: status 200
/// required; `Content-Length`, chunked encoding, or read-to-close bodies.
fn parse_response(response: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let head_end = find(response, b"\r\n\r\n").ok_or("incomplete HTTP response")?;
    let head = String::from_utf8_lossy(&response[..head_end]);
    let body = &response[head_end + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line.split(' ').nth(1).and_then(|s| s.parse::<u16>().ok());
    if !status_line.starts_with("HTTP/1.") || status.is_none() {
        return Err(format!("not an HTTP response ({status_line:?})"));
    }
    if status != Some(200) {
        return Err(format!("HTTP status {}", status.unwrap_or_default()));
    }
    let mut content_length = None;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            content_length = Some(value.parse::<usize>().map_err(|_| "bad Content-Length")?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") && value.to_ascii_lowercase().contains("chunked") {
            chunked = true;
        }
    }
    if chunked {
        return dechunk(body);
    }
    match content_length {
        Some(n) if body.len() < n => Err("connection closed before the whole body arrived".to_owned()),
        Some(n) => Ok(body[..n].to_vec()),
        None => Ok(body.to_vec()),
    }
}

fn dechunk(mut body: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = find(body, b"\r\n").ok_or("truncated chunk")?;
        let size_text = String::from_utf8_lossy(&body[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| "bad chunk size")?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if body.len() < size + 2 {
            return Err("truncated chunk".to_owned());
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(domain: &str, unit: Option<&str>) -> Option<String> {
        LookupUrl::parse(domain, unit).ok().map(|u| u.url())
    }

    #[test]
    fn urls_follow_java_get_ws_addr_and_the_cpp_form() {
        // MixAll.getWSAddr: a bare domain gets port 8080 and /rocketmq/nsaddr.
        assert_eq!(url("jmenv.tbsite.net", None).as_deref(), Some("http://jmenv.tbsite.net:8080/rocketmq/nsaddr"));
        // ... a domain with a port keeps it.
        assert_eq!(url("127.0.0.1:9000", None).as_deref(), Some("http://127.0.0.1:9000/rocketmq/nsaddr"));
        // The C++ client takes a whole URL.
        assert_eq!(
            url("http://ns.example:8080/rocketmq/nsaddr", None).as_deref(),
            Some("http://ns.example:8080/rocketmq/nsaddr")
        );
        assert_eq!(url("http://ns.example/list", None).as_deref(), Some("http://ns.example:8080/list"));
        // DefaultTopAddressing.fetchNSAddr: a unit name appends -unit?nofix=1.
        assert_eq!(
            url("jmenv.tbsite.net", Some("u1")).as_deref(),
            Some("http://jmenv.tbsite.net:8080/rocketmq/nsaddr-u1?nofix=1")
        );
        for bad in ["", "https://x/y", "host:0", "host:x", ":80", "a b"] {
            assert!(LookupUrl::parse(bad, None).is_err(), "{bad:?} is refused");
        }
    }

    #[test]
    fn responses_are_parsed_in_their_three_body_forms() {
        let plain = b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\na:1;b:2\r\nextra";
        assert_eq!(parse_response(plain).ok().as_deref(), Some(&b"a:1;b:2\r\n"[..]));
        let to_close = b"HTTP/1.0 200 OK\r\n\r\na:1";
        assert_eq!(parse_response(to_close).ok().as_deref(), Some(&b"a:1"[..]));
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\na:1\r\n4;x=y\r\n;b:2\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked).ok().as_deref(), Some(&b"a:1;b:2"[..]));
        assert!(parse_response(b"HTTP/1.1 404 Not Found\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort").is_err());
        assert!(parse_response(b"garbage").is_err());
        assert_eq!(first_line("  a:1;b:2\r\nc:3\n"), "a:1;b:2");
    }
}
