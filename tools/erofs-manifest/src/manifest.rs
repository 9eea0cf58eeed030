//! The manifest of a tree: one line per entry with everything `lstat`,
//! `readlink`, `getxattr` and `read` can see (see the erofs-manifest
//! binary for the fields).

use sha2::{Digest, Sha256};
use std::ffi::CString;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

/// What a manifest shows.
pub struct Opts {
    /// Hash at most this many bytes of each file.
    pub max_read: u64,
    pub mtime: bool,
    /// Modification times to the second (images whose compact inodes
    /// keep no nanoseconds: erofs-utils 1.9's 48-bit layout).
    pub mtime_seconds: bool,
    pub dir_size: bool,
    pub ino: bool,
    pub readdir_order: bool,
    /// statx's attributes (those the filesystem reports in its mask, e.g.
    /// DAX) and the device numbers, to compare two mounts of one device.
    pub statx: bool,
}

impl Default for Opts {
    fn default() -> Self {
        Opts { max_read: u64::MAX, mtime: true, mtime_seconds: false, dir_size: true, ino: false, readdir_order: false, statx: false }
    }
}

/// Writes the manifest of `root` to `out`; returns how many entries could
/// not be read (each is an ERROR line).
pub fn write(root: &Path, o: &Opts, out: &mut impl Write) -> u32 {
    let mut errors = 0;
    walk(root, Path::new("."), o, out, &mut errors);
    errors
}

fn walk(root: &Path, rel: &Path, o: &Opts, out: &mut impl Write, errors: &mut u32) {
    let full = root.join(rel);
    let line = match entry_line(&full, rel, o) {
        Ok(l) => l,
        Err(e) => {
            *errors += 1;
            format!("{} ERROR {e}", rel.display())
        }
    };
    let _ = writeln!(out, "{line}");
    let Ok(md) = std::fs::symlink_metadata(&full) else { return };
    if !md.is_dir() {
        return;
    }
    let mut names: Vec<std::ffi::OsString> = match std::fs::read_dir(&full) {
        Ok(rd) => rd
            .filter_map(|e| match e {
                Ok(e) => Some(e.file_name()),
                Err(err) => {
                    *errors += 1;
                    let _ = writeln!(out, "{} ERROR readdir: {err}", rel.display());
                    None
                }
            })
            .collect(),
        Err(e) => {
            *errors += 1;
            let _ = writeln!(out, "{} ERROR readdir: {e}", rel.display());
            return;
        }
    };
    if o.readdir_order {
        let _ = writeln!(
            out,
            "{} READDIR {}",
            rel.display(),
            names.iter().map(|n| n.to_string_lossy().into_owned()).collect::<Vec<_>>().join("/")
        );
    }
    names.sort();
    for n in names {
        // A name that does not name an entry (a corrupt image's, starting
        // with NUL) would name this directory again, forever.
        if !crate::readcheck::usable_name(&n) {
            *errors += 1;
            let _ = writeln!(out, "{} ERROR readdir: unusable name {:?}", rel.display(), n);
            continue;
        }
        walk(root, &rel.join(n), o, out, errors);
    }
}

/// `sx=ATTRS/MASK,dev=MAJ:MIN` from statx (without following a symlink).
fn statx_fields(full: &Path) -> std::io::Result<String> {
    let c = CString::new(full.as_os_str().as_bytes())?;
    // SAFETY: an all-zero statx is a valid buffer for the call to fill.
    let mut sx: libc::statx = unsafe { std::mem::zeroed() };
    // SAFETY: a NUL-terminated path and a buffer of the right type.
    let r = unsafe { libc::statx(libc::AT_FDCWD, c.as_ptr(), libc::AT_SYMLINK_NOFOLLOW, libc::STATX_BASIC_STATS, &mut sx) };
    if r != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(format!(
        "sx={:x}/{:x},dev={}:{}",
        sx.stx_attributes & sx.stx_attributes_mask,
        sx.stx_attributes_mask,
        sx.stx_dev_major,
        sx.stx_dev_minor
    ))
}

fn entry_line(full: &Path, rel: &Path, o: &Opts) -> std::io::Result<String> {
    let md = std::fs::symlink_metadata(full)?;
    let ft = md.file_type();
    let kind = if ft.is_file() {
        "f"
    } else if ft.is_dir() {
        "d"
    } else if ft.is_symlink() {
        "l"
    } else if ft.is_char_device() {
        "c"
    } else if ft.is_block_device() {
        "b"
    } else if ft.is_fifo() {
        "p"
    } else {
        "s"
    };
    let mut f = vec![
        rel.display().to_string(),
        kind.to_string(),
        format!("{:o}", md.mode() & 0o7777),
        md.uid().to_string(),
        md.gid().to_string(),
        md.nlink().to_string(),
    ];
    f.push(if ft.is_dir() && !o.dir_size { "-".into() } else { md.size().to_string() });
    let nsec = if o.mtime_seconds { 0 } else { md.mtime_nsec() };
    f.push(if o.mtime { format!("{}.{:09}", md.mtime(), nsec) } else { "-".into() });
    if o.ino {
        f.push(format!("ino={}", md.ino()));
    }
    if o.statx {
        f.push(statx_fields(full)?);
    }
    if ft.is_char_device() || ft.is_block_device() {
        f.push(format!("rdev={}:{}", libc::major(md.rdev()), libc::minor(md.rdev())));
    }
    if ft.is_symlink() {
        f.push(format!("->{}", hexify(std::fs::read_link(full)?.as_os_str().as_bytes())));
    }
    for (n, v) in xattrs(full)? {
        f.push(format!("x:{}={}", hexify(&n), hexify(&v)));
    }
    if ft.is_file() {
        let mut h = Sha256::new();
        let file = std::fs::File::open(full)?;
        let mut file = file.take(o.max_read);
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        f.push(h.finalize().iter().map(|b| format!("{b:02x}")).collect());
    }
    Ok(f.join(" "))
}

/// Printable bytes as they are; anything else as %XX.
fn hexify(b: &[u8]) -> String {
    let mut s = String::new();
    for &c in b {
        if c.is_ascii_graphic() && c != b'%' && c != b'=' {
            s.push(c as char);
        } else {
            s.push_str(&format!("%{c:02x}"));
        }
    }
    s
}

fn xattrs(p: &Path) -> std::io::Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let c = CString::new(p.as_os_str().as_bytes()).map_err(|_| std::io::ErrorKind::InvalidInput)?;
    // SAFETY: a NULL buffer with size 0 asks for the needed size.
    let n = unsafe { libc::llistxattr(c.as_ptr(), std::ptr::null_mut(), 0) };
    if n < 0 {
        let e = std::io::Error::last_os_error();
        return if e.raw_os_error() == Some(libc::EOPNOTSUPP) { Ok(Vec::new()) } else { Err(e) };
    }
    let mut names = vec![0u8; n as usize];
    // SAFETY: `names` has room for `names.len()` bytes.
    let n = unsafe { libc::llistxattr(c.as_ptr(), names.as_mut_ptr().cast(), names.len()) };
    if n < 0 {
        return Err(std::io::Error::last_os_error());
    }
    names.truncate(n as usize);
    let mut out = Vec::new();
    for name in names.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let cn = CString::new(name).map_err(|_| std::io::ErrorKind::InvalidData)?;
        // SAFETY: size query with a NULL buffer.
        let len = unsafe { libc::lgetxattr(c.as_ptr(), cn.as_ptr(), std::ptr::null_mut(), 0) };
        if len < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let mut v = vec![0u8; len as usize];
        // SAFETY: `v` has room for `v.len()` bytes.
        let len = unsafe { libc::lgetxattr(c.as_ptr(), cn.as_ptr(), v.as_mut_ptr().cast(), v.len()) };
        if len < 0 {
            return Err(std::io::Error::last_os_error());
        }
        v.truncate(len as usize);
        out.push((name.to_vec(), v));
    }
    out.sort();
    Ok(out)
}
