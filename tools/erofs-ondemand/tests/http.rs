// SPDX-License-Identifier: GPL-2.0
//! erofs-ondemand's HTTP blob client against erofs-httpd: sizes, ranges,
//! retries of failed requests, and a missing blob.

use erofs_ondemand::http::HttpBlobs;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// erofs-httpd on a free loopback port (it binds port 0 and says which
/// port it got: asking for a port found free beforehand races with the
/// other tests), serving `root`.
fn serve(root: &std::path::Path, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_erofs-httpd"))
        .args(["--root", root.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.as_mut().unwrap()).read_line(&mut line).unwrap();
    assert!(line.contains("listening"), "{line}");
    let port = line.trim().rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("no port in {line}"));
    Server { child, port }
}

fn blob_dir(tag: &str) -> (std::path::PathBuf, Vec<u8>) {
    let dir = std::env::temp_dir().join(format!("erofs-httpd-test-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data: Vec<u8> = (0..300_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(dir.join("blob"), &data).unwrap();
    (dir, data)
}

#[test]
fn ranges_and_sizes() {
    let (dir, data) = blob_dir("ranges");
    let s = serve(&dir, &[]);
    let h = HttpBlobs::new(&format!("http://127.0.0.1:{}/", s.port)).unwrap();
    assert_eq!(h.size("blob").unwrap(), data.len() as u64);
    for (off, len) in [(0usize, 1usize), (4096, 65536), (299_000, 1000), (123_457, 3)] {
        let mut buf = vec![0u8; len];
        h.read_at("blob", &mut buf, off as u64).unwrap();
        assert_eq!(buf, data[off..off + len]);
    }
    // Past the end: refused, not short.
    assert!(h.read_at("blob", &mut [0u8; 10], data.len() as u64 - 5).is_err());
    assert_eq!(h.size("missing").unwrap_err().raw_os_error(), Some(libc_enoent()));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn failed_requests_are_retried() {
    let (dir, data) = blob_dir("retry");
    // Every second request fails: each read needs a retry.
    let s = serve(&dir, &["--fail-every", "2"]);
    let h = HttpBlobs::new(&format!("http://127.0.0.1:{}", s.port)).unwrap();
    for off in [0usize, 100_000, 200_000] {
        let mut buf = vec![0u8; 4096];
        h.read_at("blob", &mut buf, off as u64).unwrap();
        assert_eq!(buf, data[off..off + 4096]);
    }
    std::fs::remove_dir_all(dir).unwrap();
}

fn libc_enoent() -> i32 {
    2
}
