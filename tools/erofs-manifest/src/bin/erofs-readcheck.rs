//! erofs-readcheck: read every file and directory of a tree through the
//! system calls programs use, and print digests to compare two mounts:
//! pread at seeded random offsets and lengths, readv, mmap (shared and
//! private), splice through a pipe, sendfile, lseek(SEEK_END), and
//! getdents64 with a tiny buffer (many resumes) plus seekdir/telldir.
//!
//!   erofs-readcheck [--seed N] DIR

use erofs_manifest::readcheck;
use std::io::Write;
use std::path::Path;

fn main() {
    let mut seed = 1u64;
    let mut root = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--seed" {
            seed = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
        } else {
            root = Some(a);
        }
    }
    let Some(root) = root else {
        eprintln!("usage: erofs-readcheck [--seed N] DIR");
        std::process::exit(2)
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    readcheck::write(Path::new(&root), seed, u64::MAX, &mut out);
    let _ = out.flush();
}
