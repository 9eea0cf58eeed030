//! erofs-workload: the timed workloads of `make bench`, run in the guest
//! over a mounted tree. Each prints one line, "<ns> <units>": the wall
//! time of the workload in nanoseconds and how much it did (bytes read,
//! entries seen, files read), so the driver script computes medians and
//! ratios without depending on the shell's clock.
//!
//!   erofs-workload seqread FILE BS            read FILE in BS-byte preads
//!   erofs-workload randread FILE BS COUNT SEED  COUNT preads at random BS-aligned offsets
//!   erofs-workload mmapread FILE              map FILE read-only and touch every page
//!                                             (page faults; the units are pages)
//!   erofs-workload walk DIR                   readdir + lstat of every entry below DIR
//!                                             (what `tar cf /dev/null` does with GNU tar)
//!   erofs-workload readdir DIR                list one directory
//!   erofs-workload lookup DIR COUNT SEED      stat COUNT random names of DIR
//!   erofs-workload catfiles DIR LIST          read every file named in LIST (relative to DIR)
//!   erofs-workload mountcycle TYPE DEV DIR COUNT  mount(2) read-only + umount(2), COUNT times
//!   erofs-workload pick DIR COUNT SEED        print COUNT random regular files below DIR
//!   erofs-workload largest DIR dax|nodax      print the size and path of the largest regular
//!                                             file below DIR with (without) statx's DAX attribute

use std::fs::{self, File};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// xorshift64*: seeded and reproducible, the same on every run.
struct Rng(u64);
impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

fn fail(msg: String) -> ! {
    eprintln!("erofs-workload: {msg}");
    std::process::exit(1)
}

fn num(s: &str) -> u64 {
    s.parse().unwrap_or_else(|_| fail(format!("not a number: {s}")))
}

fn open(p: &Path) -> File {
    File::open(p).unwrap_or_else(|e| fail(format!("{}: {e}", p.display())))
}

fn seqread(path: &Path, bs: usize) -> u64 {
    let f = open(path);
    let mut buf = vec![0u8; bs];
    let mut pos = 0u64;
    loop {
        match f.read_at(&mut buf, pos) {
            Ok(0) => return pos,
            Ok(n) => pos += n as u64,
            Err(e) => fail(format!("{}: {e}", path.display())),
        }
    }
}

/// Whether statx reports the DAX attribute for `path`.
fn is_dax(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap_or_else(|_| fail(format!("{}: NUL in name", path.display())));
    // SAFETY: an all-zero statx is a valid buffer for the call to fill.
    let mut sx: libc::statx = unsafe { std::mem::zeroed() };
    // SAFETY: a NUL-terminated path and a buffer of the right type.
    if unsafe { libc::statx(libc::AT_FDCWD, c.as_ptr(), libc::AT_SYMLINK_NOFOLLOW, libc::STATX_BASIC_STATS, &mut sx) } != 0 {
        fail(format!("{}: statx: {}", path.display(), std::io::Error::last_os_error()));
    }
    sx.stx_attributes & libc::STATX_ATTR_DAX as u64 != 0
}

fn mmapread(path: &Path) -> u64 {
    use std::os::fd::AsRawFd;
    let f = open(path);
    let len = f.metadata().map(|m| m.len()).unwrap_or(0) as usize;
    if len == 0 {
        return 0;
    }
    // SAFETY: a read-only private mapping of an open file, unmapped below;
    // nothing else maps it in this process.
    let p = unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ, libc::MAP_PRIVATE, f.as_raw_fd(), 0) };
    if p == libc::MAP_FAILED {
        fail(format!("{}: mmap: {}", path.display(), std::io::Error::last_os_error()));
    }
    let page = 4096;
    let mut sum = 0u8;
    let mut pages = 0;
    for off in (0..len).step_by(page) {
        // SAFETY: `off` is inside the mapping.
        sum = sum.wrapping_add(unsafe { std::ptr::read_volatile(p.cast::<u8>().add(off)) });
        pages += 1;
    }
    std::hint::black_box(sum);
    // SAFETY: the mapping made above.
    unsafe { libc::munmap(p, len) };
    pages
}

fn randread(path: &Path, bs: usize, count: u64, seed: u64) -> u64 {
    let f = open(path);
    let blocks = f.metadata().map(|m| m.len()).unwrap_or(0) / bs as u64;
    let mut rng = Rng::new(seed);
    let mut buf = vec![0u8; bs];
    let mut total = 0;
    for _ in 0..count {
        let at = rng.below(blocks) * bs as u64;
        total += f.read_at(&mut buf, at).unwrap_or_else(|e| fail(format!("{}: {e}", path.display()))) as u64;
    }
    total
}

fn walk(dir: &Path) -> u64 {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = fs::read_dir(&d).unwrap_or_else(|e| fail(format!("{}: {e}", d.display())));
        for e in rd {
            let e = e.unwrap_or_else(|e| fail(format!("{}: {e}", d.display())));
            let p = e.path();
            let md = fs::symlink_metadata(&p).unwrap_or_else(|e| fail(format!("{}: {e}", p.display())));
            n += 1;
            if md.is_dir() {
                stack.push(p);
            }
        }
    }
    n
}

fn mountcycle(fstype: &str, dev: &str, dir: &str, count: u64) -> u64 {
    use std::ffi::CString;
    let c = |s: &str| CString::new(s).unwrap_or_else(|_| fail(format!("bad argument {s}")));
    let (t, d, m) = (c(fstype), c(dev), c(dir));
    for _ in 0..count {
        // SAFETY: NUL-terminated strings that outlive the calls.
        let r = unsafe { libc::mount(d.as_ptr(), m.as_ptr(), t.as_ptr(), libc::MS_RDONLY, std::ptr::null()) };
        if r != 0 {
            fail(format!("mount {dev}: {}", std::io::Error::last_os_error()));
        }
        // SAFETY: as above.
        if unsafe { libc::umount(m.as_ptr()) } != 0 {
            fail(format!("umount {dir}: {}", std::io::Error::last_os_error()));
        }
    }
    count
}

fn names(dir: &Path) -> Vec<PathBuf> {
    let rd = fs::read_dir(dir).unwrap_or_else(|e| fail(format!("{}: {e}", dir.display())));
    rd.map(|e| e.unwrap_or_else(|e| fail(format!("{}: {e}", dir.display()))).path()).collect()
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let args: Vec<&str> = a.iter().skip(1).map(String::as_str).collect();
    if let ["largest", dir, which] = args[..] {
        // Not timed: which file a DAX test reads.
        let want = which == "dax";
        let mut best: Option<(u64, PathBuf)> = None;
        let mut stack = vec![PathBuf::from(dir)];
        while let Some(d) = stack.pop() {
            for p in names(&d) {
                let md = fs::symlink_metadata(&p).unwrap_or_else(|e| fail(format!("{}: {e}", p.display())));
                if md.is_dir() {
                    stack.push(p);
                } else if md.is_file() && is_dax(&p) == want && best.as_ref().map_or(true, |(s, _)| md.len() > *s) {
                    best = Some((md.len(), p));
                }
            }
        }
        if let Some((size, p)) = best {
            println!("{size} {}", p.display());
        }
        return;
    }
    if let ["pick", dir, count, seed] = args[..] {
        // Not timed: which files `catfiles` reads.
        let mut files = Vec::new();
        let mut stack = vec![PathBuf::from(dir)];
        while let Some(d) = stack.pop() {
            let mut entries = names(&d);
            entries.sort();
            for p in entries {
                let md = fs::symlink_metadata(&p).unwrap_or_else(|e| fail(format!("{}: {e}", p.display())));
                if md.is_dir() {
                    stack.push(p);
                } else if md.is_file() {
                    files.push(p);
                }
            }
        }
        let mut rng = Rng::new(num(seed));
        for _ in 0..num(count) {
            let p = &files[rng.below(files.len() as u64) as usize];
            println!("{}", p.strip_prefix(dir).unwrap_or(p).display());
        }
        return;
    }
    let t = Instant::now();
    let units = match args[..] {
        ["seqread", file, bs] => seqread(Path::new(file), num(bs) as usize),
        ["mmapread", file] => mmapread(Path::new(file)),
        ["randread", file, bs, count, seed] => randread(Path::new(file), num(bs) as usize, num(count), num(seed)),
        ["walk", dir] => walk(Path::new(dir)),
        ["readdir", dir] => names(Path::new(dir)).len() as u64,
        ["mountcycle", fstype, dev, dir, count] => mountcycle(fstype, dev, dir, num(count)),
        ["lookup", dir, count, seed] => {
            // Names are taken from the directory before the clock starts.
            let all = names(Path::new(dir));
            let mut rng = Rng::new(num(seed));
            let picks: Vec<&PathBuf> = (0..num(count)).map(|_| &all[rng.below(all.len() as u64) as usize]).collect();
            let t = Instant::now();
            for p in &picks {
                fs::symlink_metadata(p).unwrap_or_else(|e| fail(format!("{}: {e}", p.display())));
            }
            println!("{} {}", t.elapsed().as_nanos(), picks.len());
            return;
        }
        ["catfiles", dir, list] => {
            let list = fs::read_to_string(list).unwrap_or_else(|e| fail(format!("{list}: {e}")));
            let t = Instant::now();
            let mut buf = Vec::new();
            let mut n = 0;
            for name in list.lines() {
                buf.clear();
                open(&Path::new(dir).join(name)).read_to_end(&mut buf).unwrap_or_else(|e| fail(format!("{name}: {e}")));
                n += 1;
            }
            println!("{} {}", t.elapsed().as_nanos(), n);
            return;
        }
        _ => {
            eprintln!("usage: see the header of tools/erofs-manifest/src/bin/erofs-workload.rs");
            std::process::exit(2)
        }
    };
    println!("{} {}", t.elapsed().as_nanos(), units);
}
