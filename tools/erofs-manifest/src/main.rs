//! erofs-manifest: one line per entry of a tree with everything `lstat`,
//! `readlink`, `getxattr` and `read` can see, so two views of the same
//! tree (a source directory, an image mounted by the C erofs, by erofs_rs,
//! or extracted by a tool) can be compared with `diff`.
//!
//!   erofs-manifest [--no-mtime] [--mtime-seconds] [--no-dir-size] [--ino] [--readdir-order]
//!                  [--statx] [--max-read=BYTES] DIR
//!
//! Fields: path type mode uid gid nlink size mtime rdev target xattrs sha256;
//! --ino adds the inode number, --statx statx's attributes (DAX, ...) and
//! the device numbers.
//! Entries are sorted by path unless --readdir-order, which keeps each
//! directory's own order (to compare two drivers reading one image).

use erofs_manifest::manifest::{self, Opts};
use std::io::Write;
use std::path::PathBuf;

fn main() {
    let mut opts = Opts::default();
    let mut root = None;
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--no-mtime" => opts.mtime = false,
            "--mtime-seconds" => opts.mtime_seconds = true,
            "--no-dir-size" => opts.dir_size = false,
            "--ino" => opts.ino = true,
            "--no-ino" => opts.ino = false,
            "--readdir-order" => opts.readdir_order = true,
            "--statx" => opts.statx = true,
            _ if a.starts_with("--max-read=") => opts.max_read = a["--max-read=".len()..].parse().unwrap_or_else(|_| usage()),
            _ if root.is_none() => root = Some(PathBuf::from(a)),
            _ => usage(),
        }
    }
    let root = root.unwrap_or_else(|| usage());
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let errors = manifest::write(&root, &opts, &mut out);
    let _ = out.flush();
    if errors > 0 {
        std::process::exit(1);
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: erofs-manifest [--no-mtime] [--mtime-seconds] [--no-dir-size] [--ino] [--readdir-order] [--statx] [--max-read=BYTES] DIR"
    );
    std::process::exit(2)
}
