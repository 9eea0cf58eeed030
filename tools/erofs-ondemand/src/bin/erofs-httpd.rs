// SPDX-License-Identifier: GPL-2.0
//! erofs-httpd: a small HTTP/1.1 file server for tests of erofs-ondemand
//! --url (a stand-in for a registry, on the guest's loopback).
//!
//! Serves GET and HEAD of the files (or block devices) in its root
//! directory, honouring single `Range: bytes=A-B` requests (206), and can
//! delay, fail or stall requests on purpose. Every request is counted:
//! `--stats FILE` holds "requests N", "bytes N" (body bytes sent) and
//! "failed N" after each one.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const USAGE: &str = "usage: erofs-httpd --root DIR [--listen ADDR:PORT] [--stats FILE]
                   [--delay MS] [--fail-every N] [--stall-every N]

Serves the files of DIR over HTTP/1.1 with byte ranges (default listen
address 127.0.0.1:8080). --delay waits MS milliseconds before each answer;
--fail-every N answers every Nth request with 503; --stall-every N
accepts every Nth request and never answers it (the client must time out).
Prints \"listening on ADDRESS\" (the port bound, when given as 0) once it
accepts connections.";

struct Config {
    root: PathBuf,
    stats: Option<PathBuf>,
    delay: Duration,
    fail_every: u64,
    stall_every: u64,
}

#[derive(Default)]
struct Stats {
    requests: AtomicU64,
    bytes: AtomicU64,
    failed: AtomicU64,
}

impl Stats {
    fn write(&self, path: &Path) {
        let text = format!(
            "requests {}\nbytes {}\nfailed {}\n",
            self.requests.load(Ordering::SeqCst),
            self.bytes.load(Ordering::SeqCst),
            self.failed.load(Ordering::SeqCst)
        );
        // Written whole, then renamed: readers never see half a file.
        let tmp = path.with_extension("tmp");
        if std::fs::write(&tmp, text).and_then(|_| std::fs::rename(&tmp, path)).is_err() {
            eprintln!("erofs-httpd: cannot write {}", path.display());
        }
    }
}

/// `bytes=A-B`, `bytes=A-` or `bytes=-N` of a file of `size` bytes, as an
/// inclusive range; `None` if it is not satisfiable.
fn parse_range(spec: &str, size: u64) -> Option<(u64, u64)> {
    let spec = spec.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (start, end) = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        (size.checked_sub(n.min(size))?, size.checked_sub(1)?)
    } else {
        let start: u64 = a.parse().ok()?;
        let end = if b.is_empty() { size.checked_sub(1)? } else { b.parse::<u64>().ok()?.min(size.checked_sub(1)?) };
        (start, end)
    };
    (start <= end && end < size).then_some((start, end))
}

fn respond(s: &mut TcpStream, status: &str, headers: &[String]) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())
}

fn serve(cfg: &Config, stats: &Stats, mut s: TcpStream) -> io::Result<()> {
    let mut reader = BufReader::new(s.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mut range = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.trim().eq_ignore_ascii_case("range") {
                range = Some(v.trim().to_string());
            }
        }
    }
    let n = stats.requests.fetch_add(1, Ordering::SeqCst) + 1;
    std::thread::sleep(cfg.delay);
    if cfg.stall_every != 0 && n % cfg.stall_every == 0 {
        eprintln!("erofs-httpd: {method} {target}: stalled on purpose");
        std::thread::sleep(Duration::from_secs(3600));
        return Ok(());
    }
    if cfg.fail_every != 0 && n % cfg.fail_every == 0 {
        stats.failed.fetch_add(1, Ordering::SeqCst);
        eprintln!("erofs-httpd: {method} {target}: 503 on purpose");
        return respond(&mut s, "503 Service Unavailable", &["Content-Length: 0".into()]);
    }
    let name = target.trim_start_matches('/');
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return respond(&mut s, "404 Not Found", &["Content-Length: 0".into()]);
    }
    let mut f = match File::open(cfg.root.join(name)) {
        Ok(f) => f,
        Err(_) => return respond(&mut s, "404 Not Found", &["Content-Length: 0".into()]),
    };
    // The end, not the metadata: a file here may be a block device.
    let size = f.seek(SeekFrom::End(0))?;
    let (status, start, end) = match &range {
        None => ("200 OK", 0, size),
        Some(r) => match parse_range(r, size) {
            Some((a, b)) => ("206 Partial Content", a, b + 1),
            None => {
                return respond(
                    &mut s,
                    "416 Range Not Satisfiable",
                    &[format!("Content-Range: bytes */{size}"), "Content-Length: 0".into()],
                );
            }
        },
    };
    let mut headers = vec![format!("Content-Length: {}", end - start), "Accept-Ranges: bytes".to_string()];
    if range.is_some() {
        headers.push(format!("Content-Range: bytes {}-{}/{size}", start, end - 1));
    }
    respond(&mut s, status, &headers)?;
    if method == "HEAD" {
        return Ok(());
    }
    let mut buf = vec![0u8; 1 << 16];
    let mut pos = start;
    while pos < end {
        let k = ((end - pos) as usize).min(buf.len());
        f.read_exact_at(&mut buf[..k], pos)?;
        s.write_all(&buf[..k])?;
        stats.bytes.fetch_add(k as u64, Ordering::SeqCst);
        pos += k as u64;
    }
    Ok(())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut root, mut listen, mut stats_path) = (None, "127.0.0.1:8080".to_string(), None);
    let (mut delay, mut fail_every, mut stall_every) = (0u64, 0u64, 0u64);
    while let Some(a) = args.next() {
        let v = args.next();
        let num = |v: &Option<String>| v.as_deref().and_then(|v| v.parse::<u64>().ok());
        let ok = match a.as_str() {
            "--root" => v.as_ref().map(|v| root = Some(PathBuf::from(v))).is_some(),
            "--listen" => v.as_ref().map(|v| listen = v.clone()).is_some(),
            "--stats" => v.as_ref().map(|v| stats_path = Some(PathBuf::from(v))).is_some(),
            "--delay" => num(&v).map(|n| delay = n).is_some(),
            "--fail-every" => num(&v).map(|n| fail_every = n).is_some(),
            "--stall-every" => num(&v).map(|n| stall_every = n).is_some(),
            _ => false,
        };
        if !ok {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    }
    let Some(root) = root else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let cfg = Arc::new(Config { root, stats: stats_path, delay: Duration::from_millis(delay), fail_every, stall_every });
    let stats = Arc::new(Stats::default());
    let listener = match TcpListener::bind(&listen) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("erofs-httpd: {listen}: {e}");
            return ExitCode::from(1);
        }
    };
    if let Some(p) = &cfg.stats {
        stats.write(p);
    }
    // The address bound, so that a port of 0 (any free one) is known.
    match listener.local_addr() {
        Ok(a) => eprintln!("erofs-httpd: listening on {a}"),
        Err(_) => eprintln!("erofs-httpd: listening on {listen}"),
    }
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let (cfg, stats) = (cfg.clone(), stats.clone());
        std::thread::spawn(move || {
            if let Err(e) = serve(&cfg, &stats, conn) {
                eprintln!("erofs-httpd: {e}");
            }
            if let Some(p) = &cfg.stats {
                stats.write(p);
            }
        });
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-99", 1000), Some((0, 99)));
        assert_eq!(parse_range("bytes=900-", 1000), Some((900, 999)));
        assert_eq!(parse_range("bytes=-100", 1000), Some((900, 999)));
        assert_eq!(parse_range("bytes=990-2000", 1000), Some((990, 999)));
        assert_eq!(parse_range("bytes=1000-", 1000), None);
        assert_eq!(parse_range("bytes=5-1", 1000), None);
        assert_eq!(parse_range("bytes=0-1,5-6", 1000), None);
        assert_eq!(parse_range("bytes=0-0", 0), None);
    }
}
