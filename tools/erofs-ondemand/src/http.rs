// SPDX-License-Identifier: GPL-2.0
//! Blobs over HTTP: `--url http://HOST:PORT/PATH` serves blob NAME from
//! URL/NAME with HEAD (its size) and `Range` GETs (the bytes a READ
//! request needs). Plain HTTP/1.1, one connection per request; a request
//! that fails or stalls is retried, then reported.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// How long a request may go without progress before it is abandoned.
const TIMEOUT: Duration = Duration::from_secs(5);
/// Tries per request (the first and the retries).
const TRIES: u32 = 4;

pub struct HttpBlobs {
    /// `host:port`.
    authority: String,
    /// The path the blob names are appended to, ending in '/'.
    base: String,
}

/// What one request got: the status and the body's length.
struct Response {
    status: u32,
    length: Option<u64>,
    reader: BufReader<TcpStream>,
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

impl HttpBlobs {
    /// `http://host[:port][/path]`.
    pub fn new(url: &str) -> Result<Self, String> {
        let rest = url.strip_prefix("http://").ok_or_else(|| format!("{url}: only http:// URLs are supported"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if authority.is_empty() {
            return Err(format!("{url}: no host"));
        }
        let authority = if authority.contains(':') { authority.to_string() } else { format!("{authority}:80") };
        let mut base = path.to_string();
        if !base.ends_with('/') {
            base.push('/');
        }
        Ok(Self { authority, base })
    }

    fn request(&self, method: &str, name: &str, range: Option<(u64, u64)>) -> io::Result<Response> {
        let addr = self.authority.to_socket_addrs()?.next().ok_or_else(|| invalid(format!("{}: no address", self.authority)))?;
        let s = TcpStream::connect_timeout(&addr, TIMEOUT)?;
        s.set_read_timeout(Some(TIMEOUT))?;
        s.set_write_timeout(Some(TIMEOUT))?;
        let mut req = format!("{method} {}{name} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", self.base, self.authority);
        if let Some((start, end)) = range {
            req.push_str(&format!("Range: bytes={start}-{}\r\n", end - 1));
        }
        req.push_str("\r\n");
        (&s).write_all(req.as_bytes())?;
        let mut reader = BufReader::new(s);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let status =
            line.split_whitespace().nth(1).and_then(|c| c.parse().ok()).ok_or_else(|| invalid(format!("bad status line {line:?}")))?;
        let mut length = None;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.trim().eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().ok();
                }
            }
        }
        Ok(Response { status, length, reader })
    }

    /// Runs `f` until it succeeds, at most TRIES times, backing off.
    fn retry<T>(&self, what: &str, mut f: impl FnMut() -> io::Result<T>) -> io::Result<T> {
        let mut wait = Duration::from_millis(100);
        let mut last = None;
        for attempt in 1..=TRIES {
            match f() {
                Ok(v) => return Ok(v),
                Err(e) => {
                    eprintln!("erofs-ondemand: {what}: {e} (try {attempt} of {TRIES})");
                    last = Some(e);
                }
            }
            if attempt < TRIES {
                std::thread::sleep(wait);
                wait *= 2;
            }
        }
        Err(last.unwrap_or_else(|| invalid(what.to_string())))
    }

    /// The size of blob `name` (HEAD).
    pub fn size(&self, name: &str) -> io::Result<u64> {
        self.retry(&format!("HEAD {name}"), || {
            let r = self.request("HEAD", name, None)?;
            match r.status {
                200 => r.length.ok_or_else(|| invalid(format!("{name}: no Content-Length"))),
                404 => Err(io::Error::from_raw_os_error(libc::ENOENT)),
                s => Err(invalid(format!("{name}: HTTP status {s}"))),
            }
        })
    }

    /// Bytes `[off, off + buf.len())` of blob `name` (a Range GET).
    pub fn read_at(&self, name: &str, buf: &mut [u8], off: u64) -> io::Result<()> {
        let end = off + buf.len() as u64;
        self.retry(&format!("GET {name} {off}+{}", buf.len()), || {
            let mut r = self.request("GET", name, Some((off, end)))?;
            if r.status != 206 {
                return Err(invalid(format!("{name}: HTTP status {} for a range", r.status)));
            }
            if r.length != Some(buf.len() as u64) {
                return Err(invalid(format!("{name}: {:?} bytes for a range of {}", r.length, buf.len())));
            }
            r.reader.read_exact(buf)
        })
    }
}
