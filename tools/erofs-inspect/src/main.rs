//! erofs-inspect: read EROFS images on the host with the erofs-rs format
//! core (the same code the kernel module runs).
//!
//!   erofs-inspect info IMAGE
//!   erofs-inspect ls IMAGE [PATH]
//!   erofs-inspect stat IMAGE PATH
//!   erofs-inspect cat IMAGE PATH
//!   erofs-inspect extract IMAGE DIR [--device FILE]...
//!   erofs-inspect fsck IMAGE [--device FILE]...

use erofs_format::erofs_fs::*;
use erofs_format::inode::{FileType, Inode};
use erofs_inspect::{walk, Image};
use std::collections::HashMap;
use std::ffi::{CString, OsStr};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage:
  erofs-inspect info IMAGE
  erofs-inspect ls IMAGE [PATH]
  erofs-inspect stat IMAGE PATH
  erofs-inspect cat IMAGE PATH
  erofs-inspect extract IMAGE DIR [--device FILE]...
  erofs-inspect fsck IMAGE [--device FILE]...
Extra devices are given in device-table order; without them, blobs are
read through the image (flat addressing).";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("erofs-inspect: {e}");
            ExitCode::FAILURE
        }
    }
}

type R<T> = std::result::Result<T, String>;

fn run(args: &[String]) -> R<()> {
    let mut pos = Vec::new();
    let mut devices = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--device" {
            devices.push(PathBuf::from(it.next().ok_or("--device needs a file")?));
        } else if a == "-h" || a == "--help" {
            println!("{USAGE}");
            return Ok(());
        } else {
            pos.push(a.as_str());
        }
    }
    let (cmd, image) = match pos.as_slice() {
        [c, i, ..] => (*c, Path::new(i)),
        _ => return Err(USAGE.into()),
    };
    let img = Image::open(image, &devices)?;
    match (cmd, &pos[2..]) {
        ("info", []) => info(&img),
        ("ls", rest) if rest.len() <= 1 => ls(&img, rest.first().copied().unwrap_or("/")),
        ("stat", [p]) => stat(&img, p),
        ("cat", [p]) => cat(&img, p),
        ("extract", [d]) => extract(&img, Path::new(d)),
        ("fsck", []) => fsck(&img),
        _ => Err(USAGE.into()),
    }
}

fn info(img: &Image) -> R<()> {
    let sb = &img.sb;
    let features = |bits: u32, names: &[(u32, &str)]| -> String {
        let mut v: Vec<String> = names.iter().filter(|(b, _)| bits & b != 0).map(|(_, n)| n.to_string()).collect();
        let known: u32 = names.iter().map(|(b, _)| b).fold(0, |a, b| a | b);
        if bits & !known != 0 {
            v.push(format!("{:#x}", bits & !known));
        }
        v.join(" ")
    };
    println!("block size:        {}", sb.block_size());
    println!("blocks:            {}", sb.blocks);
    println!("inodes:            {}", sb.inos);
    println!("root nid:          {}", sb.root_nid);
    println!("meta blkaddr:      {}", sb.meta_blkaddr);
    println!("xattr blkaddr:     {}", sb.xattr_blkaddr);
    println!("packed nid:        {}", sb.packed_nid);
    if sb.has_metabox() {
        println!("metabox nid:       {}", sb.metabox_nid);
    }
    println!("epoch:             {}.{:09}", sb.epoch, sb.fixed_nsec);
    println!("build time:        {}", sb.epoch.wrapping_add(sb.build_time as u64));
    println!("uuid:              {}", sb.uuid.iter().map(|b| format!("{b:02x}")).collect::<String>());
    println!("volume name:       {}", String::from_utf8_lossy(sb.volume_name_str()));
    println!(
        "compat features:   {}",
        features(
            sb.feature_compat,
            &[
                (FEATURE_COMPAT_SB_CHKSUM, "sb_csum"),
                (FEATURE_COMPAT_MTIME, "mtime"),
                (FEATURE_COMPAT_XATTR_FILTER, "xattr_filter"),
                (FEATURE_COMPAT_SHARED_EA_IN_METABOX, "shared_ea_in_metabox"),
                (FEATURE_COMPAT_PLAIN_XATTR_PFX, "plain_xattr_pfx"),
                (FEATURE_COMPAT_ISHARE_XATTRS, "ishare_xattrs"),
            ]
        )
    );
    println!(
        "incompat features: {}",
        features(
            sb.feature_incompat,
            &[
                (FEATURE_INCOMPAT_ZERO_PADDING, "0padding"),
                (FEATURE_INCOMPAT_COMPR_CFGS, "compr_cfgs/big_pcluster"),
                (FEATURE_INCOMPAT_CHUNKED_FILE, "chunked_file"),
                (FEATURE_INCOMPAT_DEVICE_TABLE, "device_table/compr_head2"),
                (FEATURE_INCOMPAT_ZTAILPACKING, "ztailpacking"),
                (FEATURE_INCOMPAT_FRAGMENTS, "fragments/dedupe"),
                (FEATURE_INCOMPAT_XATTR_PREFIXES, "xattr_prefixes"),
                (FEATURE_INCOMPAT_48BIT, "48bit"),
                (FEATURE_INCOMPAT_METABOX, "metabox"),
            ]
        )
    );
    let algs = ["lz4", "lzma", "deflate", "zstd"];
    let used: Vec<&str> = (0..4).filter(|i| sb.compression.available_algs & (1 << i) != 0).map(|i| algs[i]).collect();
    println!("compression algs:  {}", used.join(" "));
    println!("extra devices:     {}", sb.extra_device_count());
    for i in 0..sb.extra_device_count() {
        let d = sb.device_slot(&img.src, i).map_err(|e| e.to_string())?;
        println!(
            "  device {}: tag {:?} blocks {} mapped_blkaddr {}",
            i + 1,
            String::from_utf8_lossy(d.tag_str()),
            d.blocks,
            d.mapped_blkaddr
        );
    }
    println!("xattr prefixes:    {}", img.prefixes.len());
    for (i, p) in img.prefixes.iter().enumerate() {
        let base = erofs_format::xattr::index_prefix(p.base_index).unwrap_or(b"?");
        println!("  {i}: {}{}", String::from_utf8_lossy(base), String::from_utf8_lossy(p.infix()));
    }
    Ok(())
}

fn lookup(img: &Image, path: &str) -> R<Inode> {
    img.resolve(path).map_err(|e| format!("{path}: {e}"))
}

fn type_char(t: FileType) -> char {
    match t {
        FileType::Regular => '-',
        FileType::Directory => 'd',
        FileType::Symlink => 'l',
        FileType::CharDevice => 'c',
        FileType::BlockDevice => 'b',
        FileType::Fifo => 'p',
        FileType::Socket => 's',
    }
}

fn ls(img: &Image, path: &str) -> R<()> {
    let dir = lookup(img, path)?;
    let entries = img.read_dir(&dir).map_err(|e| format!("{path}: {e}"))?;
    let mut out = std::io::stdout().lock();
    for (name, nid, _) in entries {
        let ino = img.inode(nid).map_err(|e| format!("{}: {e}", String::from_utf8_lossy(&name)))?;
        let _ = writeln!(
            out,
            "{}{:04o} {:>5} {:>5} {:>5} {:>10} {}",
            type_char(ino.file_type()),
            ino.permissions(),
            ino.nlink,
            ino.uid,
            ino.gid,
            ino.size,
            String::from_utf8_lossy(&name)
        );
    }
    Ok(())
}

fn stat(img: &Image, path: &str) -> R<()> {
    let ino = lookup(img, path)?;
    println!("nid:      {}", ino.nid);
    println!("type:     {:?}", ino.file_type());
    println!("mode:     {:o}", ino.mode);
    println!("layout:   {} ({} inode)", ino.datalayout, if ino.inode_isize == 64 { "extended" } else { "compact" });
    println!("size:     {}", ino.size);
    println!("blocks:   {}", ino.blocks_512);
    println!("nlink:    {}", ino.nlink);
    println!("uid/gid:  {}/{}", ino.uid, ino.gid);
    println!("mtime:    {}.{:09}", ino.mtime, ino.mtime_nsec);
    if matches!(ino.file_type(), FileType::CharDevice | FileType::BlockDevice) {
        println!("rdev:     {}:{}", ino.rdev_major, ino.rdev_minor);
    }
    if ino.file_type() == FileType::Symlink {
        let t = img.read_all(&ino).map_err(|e| format!("{path}: {e}"))?;
        println!("target:   {}", String::from_utf8_lossy(&t));
    }
    for (n, v) in img.xattrs(&ino).map_err(|e| format!("{path}: {e}"))? {
        println!("xattr:    {}={}", String::from_utf8_lossy(&n), hex(&v));
    }
    Ok(())
}

fn hex(v: &[u8]) -> String {
    if v.iter().all(|&c| (0x20..0x7f).contains(&c)) {
        format!("\"{}\"", String::from_utf8_lossy(v))
    } else {
        format!("0x{}", v.iter().map(|b| format!("{b:02x}")).collect::<String>())
    }
}

fn cat(img: &Image, path: &str) -> R<()> {
    let ino = lookup(img, path)?;
    if ino.file_type() != FileType::Regular {
        return Err(format!("{path}: not a regular file"));
    }
    let mut out = std::io::stdout().lock();
    let mut off = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    while off < ino.size {
        let n = (ino.size - off).min(buf.len() as u64) as usize;
        img.read_data(&ino, off, &mut buf[..n]).map_err(|e| format!("{path}: {e}"))?;
        out.write_all(&buf[..n]).map_err(|e| e.to_string())?;
        off += n as u64;
    }
    Ok(())
}

/// Progress on stderr, only when it is a terminal.
struct Progress {
    on: bool,
    total: u64,
    done: u64,
    last: std::time::Instant,
}

impl Progress {
    fn new(total: u64) -> Self {
        // SAFETY: isatty only inspects the descriptor number.
        let on = unsafe { libc::isatty(2) } == 1;
        Progress { on, total, done: 0, last: std::time::Instant::now() }
    }
    fn step(&mut self, n: u64) {
        self.done += n;
        if self.on && self.last.elapsed().as_millis() >= 100 {
            self.last = std::time::Instant::now();
            self.draw();
        }
    }
    fn draw(&self) {
        let pct = if self.total == 0 { 100 } else { self.done * 100 / self.total };
        let bar = (pct / 4) as usize;
        eprint!("\r[{}{}] {:3}% {}/{} inodes", "#".repeat(bar), " ".repeat(25 - bar.min(25)), pct, self.done, self.total);
    }
    fn finish(&self) {
        if self.on {
            self.draw();
            eprintln!();
        }
    }
}

fn fsck(img: &Image) -> R<()> {
    let mut progress = Progress::new(img.sb.inos);
    let stats = erofs_inspect::check_all(img, u64::MAX, &mut |_| progress.step(1))?;
    progress.finish();
    println!("ok: {} entries, {} bytes of data", stats.entries, stats.bytes);
    Ok(())
}

fn cpath(p: &Path) -> R<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| format!("{}: NUL in path", p.display()))
}

fn check(ret: libc::c_int, what: &str, p: &Path) -> R<()> {
    if ret != 0 {
        return Err(format!("{what} {}: {}", p.display(), std::io::Error::last_os_error()));
    }
    Ok(())
}

fn extract(img: &Image, dest: &Path) -> R<()> {
    std::fs::create_dir_all(dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    let mut progress = Progress::new(img.sb.inos);
    let mut seen: HashMap<u64, PathBuf> = HashMap::new();
    let mut dirs: Vec<(PathBuf, Inode)> = Vec::new();
    walk(img, &mut |rel, _, ino| {
        let out = dest.join(rel);
        let err = |e: erofs_format::Error| format!("/{}: {e}", rel.display());
        progress.step(1);
        if ino.is_dir() {
            if !rel.as_os_str().is_empty() {
                std::fs::create_dir(&out).map_err(|e| format!("{}: {e}", out.display()))?;
            }
            dirs.push((out, ino.clone()));
            return Ok(());
        }
        if ino.nlink > 1 {
            if let Some(first) = seen.get(&ino.nid) {
                return std::fs::hard_link(first, &out).map_err(|e| format!("{}: {e}", out.display()));
            }
            seen.insert(ino.nid, out.clone());
        }
        let c = cpath(&out)?;
        match ino.file_type() {
            FileType::Regular => {
                let mut f = std::fs::File::create(&out).map_err(|e| format!("{}: {e}", out.display()))?;
                let mut off = 0;
                let mut buf = vec![0u8; 1 << 20];
                while off < ino.size {
                    let n = (ino.size - off).min(buf.len() as u64) as usize;
                    img.read_data(ino, off, &mut buf[..n]).map_err(err)?;
                    f.write_all(&buf[..n]).map_err(|e| format!("{}: {e}", out.display()))?;
                    off += n as u64;
                }
            }
            FileType::Symlink => {
                let target = img.read_all(ino).map_err(err)?;
                std::os::unix::fs::symlink(OsStr::from_bytes(&target), &out).map_err(|e| format!("{}: {e}", out.display()))?;
            }
            t => {
                let kind = match t {
                    FileType::CharDevice => libc::S_IFCHR,
                    FileType::BlockDevice => libc::S_IFBLK,
                    FileType::Fifo => libc::S_IFIFO,
                    _ => libc::S_IFSOCK,
                };
                let dev = libc::makedev(ino.rdev_major, ino.rdev_minor);
                // SAFETY: `c` is a valid NUL-terminated path.
                check(unsafe { libc::mknod(c.as_ptr(), kind | 0o600, dev) }, "mknod", &out)?;
            }
        }
        set_meta(img, &out, ino)
    })?;
    // Directories last, deepest first, so their times stick.
    for (out, ino) in dirs.iter().rev() {
        set_meta(img, out, ino)?;
    }
    progress.finish();
    Ok(())
}

fn set_meta(img: &Image, out: &Path, ino: &Inode) -> R<()> {
    let c = cpath(out)?;
    for (name, value) in img.xattrs(ino).map_err(|e| format!("{}: {e}", out.display()))? {
        let n = CString::new(name).map_err(|_| "NUL in xattr name".to_string())?;
        // SAFETY: valid C strings and a value buffer of the given length.
        let r = unsafe { libc::lsetxattr(c.as_ptr(), n.as_ptr(), value.as_ptr().cast(), value.len(), 0) };
        check(r, "lsetxattr", out)?;
    }
    // SAFETY: valid path; ids are plain numbers.
    check(unsafe { libc::lchown(c.as_ptr(), ino.uid, ino.gid) }, "lchown", out)?;
    if ino.file_type() != FileType::Symlink {
        // After chown, which clears set-id bits.
        // SAFETY: valid path.
        check(unsafe { libc::chmod(c.as_ptr(), (ino.mode & 0o7777) as libc::mode_t) }, "chmod", out)?;
    }
    let t = libc::timespec { tv_sec: ino.mtime as libc::time_t, tv_nsec: ino.mtime_nsec as libc::c_long };
    let times = [t, t];
    // SAFETY: valid path and a two-element timespec array.
    let r = unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), times.as_ptr(), libc::AT_SYMLINK_NOFOLLOW) };
    check(r, "utimensat", out)
}
