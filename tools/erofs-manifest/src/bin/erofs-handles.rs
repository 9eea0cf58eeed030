//! erofs-handles: file handles of every path of a tree, and back.
//!
//!   erofs-handles save DIR         print "PATH TYPE HEX-HANDLE" for every
//!                                  path (name_to_handle_at)
//!   erofs-handles check DIR FILE   open every handle of FILE (saved from
//!                                  this or another mount of the same
//!                                  image) with open_by_handle_at on DIR's
//!                                  mount, and check it is the inode the
//!                                  path names there (device, inode number,
//!                                  mode, size, and the first bytes of
//!                                  regular files); prints one line per
//!                                  mismatch and a count
//!
//! Needs CAP_DAC_READ_SEARCH (open_by_handle_at) and a kernel with
//! CONFIG_FHANDLE.

use erofs_manifest::handle::FileHandle;
use std::io::{BufRead, Read};
use std::os::unix::fs::MetadataExt;
use std::os::unix::io::{AsRawFd, FromRawFd};
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    out.push(dir.to_path_buf());
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => collect(&p, out),
            Ok(_) => out.push(p),
            Err(_) => {}
        }
    }
}

fn rel(root: &Path, p: &Path) -> String {
    let r = p.strip_prefix(root).unwrap_or(p).display().to_string();
    if r.is_empty() {
        ".".into()
    } else {
        r
    }
}

fn save(root: &Path) -> i32 {
    let mut paths = Vec::new();
    collect(root, &mut paths);
    paths.sort();
    let mut bad = 0;
    for p in paths {
        // AT_SYMLINK_NOFOLLOW: symlinks get handles of their own.
        let h = match FileHandle::of(&p) {
            Ok(h) => h,
            Err(e) => {
                println!("{} ERROR {e}", rel(root, &p));
                bad += 1;
                continue;
            }
        };
        let hex: String = h.data().iter().map(|b| format!("{b:02x}")).collect();
        println!("{} {:#x} {}", rel(root, &p), h.kind, hex);
    }
    i32::from(bad != 0)
}

fn check(root: &Path, list: &Path) -> i32 {
    let mnt = std::fs::File::open(root).expect("the mount's root");
    let lines = std::io::BufReader::new(std::fs::File::open(list).expect("the handle list"));
    let (mut ok, mut bad) = (0u64, 0u64);
    for line in lines.lines() {
        let line = line.expect("a line");
        let mut it = line.rsplitn(3, ' ');
        let (Some(hex), Some(kind), Some(path)) = (it.next(), it.next(), it.next()) else { continue };
        let Ok(kind) = i32::from_str_radix(kind.trim_start_matches("0x"), 16) else {
            println!("{path}: no handle in the list: {line}");
            bad += 1;
            continue;
        };
        let mut h = FileHandle::new(kind, hex.len() / 2);
        for (i, b) in h.f.iter_mut().take(hex.len() / 2).enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0);
        }
        let want = root.join(path);
        let Ok(md) = std::fs::symlink_metadata(&want) else {
            println!("{path}: not in the tree");
            bad += 1;
            continue;
        };
        // O_PATH opens every file type, symlinks included.
        let fd = match h.open(mnt.as_raw_fd(), libc::O_PATH | libc::O_NOFOLLOW) {
            Ok(fd) => fd,
            Err(e) => {
                println!("{path}: open_by_handle_at: {e}");
                bad += 1;
                continue;
            }
        };
        // SAFETY: a descriptor we own.
        let f = unsafe { std::fs::File::from_raw_fd(fd) };
        let proc = format!("/proc/self/fd/{fd}");
        let got = std::fs::symlink_metadata(&proc).ok().and(f.metadata().ok());
        let same =
            got.as_ref().is_some_and(|g| g.dev() == md.dev() && g.ino() == md.ino() && g.mode() == md.mode() && g.size() == md.size());
        let mut content_ok = true;
        if same && md.is_file() {
            // Read through the handle (a regular open of the O_PATH fd).
            let (mut a, mut b) = (vec![0u8; 8192], vec![0u8; 8192]);
            let na = std::fs::File::open(&proc).and_then(|mut x| x.read(&mut a)).unwrap_or(usize::MAX);
            let nb = std::fs::File::open(&want).and_then(|mut x| x.read(&mut b)).unwrap_or(usize::MAX - 1);
            content_ok = na == nb && a == b;
        }
        if same && content_ok {
            ok += 1;
        } else {
            println!("{path}: the handle opens another inode");
            bad += 1;
        }
    }
    println!("handles: {ok} ok, {bad} bad");
    i32::from(bad != 0 || ok == 0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let code = match args.get(1).map(String::as_str) {
        Some("save") if args.len() == 3 => save(Path::new(&args[2])),
        Some("check") if args.len() == 4 => check(Path::new(&args[2]), Path::new(&args[3])),
        _ => {
            eprintln!("usage: erofs-handles save DIR | erofs-handles check DIR FILE");
            2
        }
    };
    std::process::exit(code);
}
