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

use std::ffi::CString;
use std::io::{BufRead, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::os::unix::io::{AsRawFd, FromRawFd};
use std::path::{Path, PathBuf};

const MAX_HANDLE_SZ: usize = 128;

#[repr(C)]
struct FileHandle {
    bytes: u32,
    kind: i32,
    f: [u8; MAX_HANDLE_SZ],
}

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
        let c = CString::new(p.as_os_str().as_bytes()).expect("path without NUL");
        let mut h = FileHandle { bytes: MAX_HANDLE_SZ as u32, kind: 0, f: [0; MAX_HANDLE_SZ] };
        let mut mount_id = 0i32;
        // SAFETY: a valid path and a handle buffer of MAX_HANDLE_SZ bytes;
        // AT_SYMLINK_NOFOLLOW: symlinks get handles of their own.
        let r = unsafe {
            libc::syscall(libc::SYS_name_to_handle_at, libc::AT_FDCWD, c.as_ptr(), &mut h as *mut FileHandle, &mut mount_id as *mut i32, 0)
        };
        if r != 0 {
            println!("{} ERROR {}", rel(root, &p), std::io::Error::last_os_error());
            bad += 1;
            continue;
        }
        let hex: String = h.f[..h.bytes as usize].iter().map(|b| format!("{b:02x}")).collect();
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
        let mut h = FileHandle { bytes: (hex.len() / 2) as u32, kind, f: [0; MAX_HANDLE_SZ] };
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
        // SAFETY: the mount's fd and a handle built above.
        let fd = unsafe {
            libc::syscall(libc::SYS_open_by_handle_at, mnt.as_raw_fd(), &mut h as *mut FileHandle, libc::O_PATH | libc::O_NOFOLLOW)
        };
        if fd < 0 {
            println!("{path}: open_by_handle_at: {}", std::io::Error::last_os_error());
            bad += 1;
            continue;
        }
        // SAFETY: a descriptor we own.
        let f = unsafe { std::fs::File::from_raw_fd(fd as i32) };
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
