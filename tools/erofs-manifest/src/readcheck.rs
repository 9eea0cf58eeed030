//! Reads of every file and directory of a tree through the system calls
//! programs use, as digest lines to compare two mounts (the
//! erofs-readcheck binary), or to drive every read path of a mount of a
//! corrupt image (the guest fuzzer, with a cap on the bytes per file).

use sha2::{Digest, Sha256};
use std::ffi::CString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn hex(h: Sha256) -> String {
    h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Writes one line per file and directory below `root` to `out`. At
/// most `cap` bytes of a file are read by each whole-file method (mmap,
/// splice, sendfile, O_DIRECT), so a corrupt size cannot make it endless.
pub fn write(root: &Path, seed: u64, cap: u64, out: &mut impl Write) {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut paths = Vec::new();
    collect(root, &mut paths);
    paths.sort();
    for p in paths {
        let rel = p.strip_prefix(root).unwrap_or(&p).display().to_string();
        let md = match std::fs::symlink_metadata(&p) {
            Ok(m) => m,
            Err(e) => {
                let _ = writeln!(out, "{rel} ERROR {e}");
                continue;
            }
        };
        if md.is_file() {
            let _ = writeln!(out, "{rel} {}", file_line(&p, md.len(), cap, &mut rng));
        } else if md.is_dir() {
            let _ = writeln!(out, "{rel} {}", dir_line(&p));
        }
    }
}

/// Whether a directory entry's name can be joined to its directory's path
/// to name the entry (not empty, no slash).
pub fn usable_name(name: &std::ffi::OsStr) -> bool {
    use std::os::unix::ffi::OsStrExt;
    !name.is_empty() && !name.as_bytes().contains(&b'/')
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    out.push(dir.to_path_buf());
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        // A corrupt image's name may start with a NUL (getdents shows it
        // empty): joined, it would name this directory again, forever.
        if !usable_name(&e.file_name()) {
            continue;
        }
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => collect(&p, out),
            Ok(_) => out.push(p),
            Err(_) => {}
        }
    }
}

fn file_line(p: &Path, size: u64, cap: u64, rng: &mut Rng) -> String {
    let f = match std::fs::File::open(p) {
        Ok(f) => f,
        Err(e) => return format!("ERROR open {e}"),
    };
    let fd = f.as_raw_fd();
    let mut out = Vec::new();
    // pread at random offsets, some past EOF.
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 70000];
    for _ in 0..24 {
        let off = if size == 0 { 0 } else { rng.next() % (size + 100) };
        let len = (rng.next() % 70000) as usize;
        // SAFETY: `buf` holds at least `len` bytes.
        let n = unsafe { libc::pread(fd, buf.as_mut_ptr().cast(), len, off as i64) };
        h.update(off.to_le_bytes());
        h.update((n as i64).to_le_bytes());
        if n > 0 {
            h.update(&buf[..n as usize]);
        }
    }
    out.push(format!("pread={}", hex(h)));
    // readv with three odd-sized buffers from the start.
    let (mut a, mut b, mut c) = (vec![0u8; 1], vec![0u8; 4095], vec![0u8; 9000]);
    let iov = [
        libc::iovec { iov_base: a.as_mut_ptr().cast(), iov_len: a.len() },
        libc::iovec { iov_base: b.as_mut_ptr().cast(), iov_len: b.len() },
        libc::iovec { iov_base: c.as_mut_ptr().cast(), iov_len: c.len() },
    ];
    // SAFETY: the iovecs point at live buffers of their lengths.
    let n = unsafe { libc::preadv(fd, iov.as_ptr(), 3, 0) };
    let mut h = Sha256::new();
    h.update((n as i64).to_le_bytes());
    h.update(&a);
    h.update(&b);
    h.update(&c);
    out.push(format!("readv={}", hex(h)));
    // mmap, shared and private, of the first `cap` bytes; but a page that
    // cannot be read kills the reader with SIGBUS, so only the pages read
    // just before without an error are touched (an image reads the same
    // way twice), and the line says where reading stopped.
    let readable = readable_prefix(fd, size.min(cap), &mut buf);
    let mapped = if readable < size.min(cap) { readable & !4095 } else { readable };
    if readable < size.min(cap) {
        out.push(format!("read-error-at={readable}"));
    }
    for (name, flags) in [("mmap", libc::MAP_SHARED), ("mmap-private", libc::MAP_PRIVATE)] {
        if mapped == 0 {
            out.push(format!("{name}=empty"));
            continue;
        }
        // SAFETY: maps `mapped` bytes of an open file read-only.
        let m = unsafe { libc::mmap(std::ptr::null_mut(), mapped as usize, libc::PROT_READ, flags, fd, 0) };
        if m == libc::MAP_FAILED {
            out.push(format!("{name}=ERROR {}", std::io::Error::last_os_error()));
            continue;
        }
        // SAFETY: the mapping covers `mapped` readable bytes.
        let s = unsafe { std::slice::from_raw_parts(m as *const u8, mapped as usize) };
        let mut h = Sha256::new();
        h.update(s);
        out.push(format!("{name}={}", hex(h)));
        // SAFETY: unmaps what we mapped.
        unsafe { libc::munmap(m, mapped as usize) };
    }
    // splice into a pipe, then sendfile to /dev/null for the count.
    let mut fds = [0; 2];
    // SAFETY: `fds` receives two descriptors.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } == 0 {
        let mut h = Sha256::new();
        let mut off: i64 = 0;
        while (off as u64) < cap {
            // SAFETY: valid descriptors and offset pointer.
            let n = unsafe { libc::splice(fd, &mut off, fds[1], std::ptr::null_mut(), 65536, 0) };
            if n <= 0 {
                h.update((n as i64).to_le_bytes());
                break;
            }
            let mut got = 0;
            while got < n as usize {
                // SAFETY: reading into `buf` from our pipe.
                let r = unsafe { libc::read(fds[0], buf.as_mut_ptr().cast(), (n as usize - got).min(buf.len())) };
                if r <= 0 {
                    break;
                }
                h.update(&buf[..r as usize]);
                got += r as usize;
            }
        }
        // SAFETY: closing our pipe.
        unsafe {
            libc::close(fds[0]);
            libc::close(fds[1]);
        }
        out.push(format!("splice={}", hex(h)));
    }
    if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
        let mut off: i64 = 0;
        let mut total = 0i64;
        while (total as u64) < cap {
            // SAFETY: valid descriptors and offset.
            let n = unsafe { libc::sendfile(null.as_raw_fd(), fd, &mut off, 1 << 20) };
            if n <= 0 {
                break;
            }
            total += n as i64;
        }
        out.push(format!("sendfile={total}"));
    }
    // SAFETY: plain lseek on our descriptor.
    let end = unsafe { libc::lseek(fd, 0, libc::SEEK_END) };
    out.push(format!("seek_end={end}"));
    out.push(seek_data_hole(fd, size));
    out.push(fiemap(fd));
    out.push(statx_attrs(p));
    out.push(odirect(p, cap));
    out.join(" ")
}

/// SEEK_DATA and SEEK_HOLE from every offset class: block and sub-block
/// offsets near the start, evenly spread ones, and around the end. The
/// line has the digest of every answer (position or errno) and, readable,
/// the first data and hole positions.
fn seek_data_hole(fd: i32, size: u64) -> String {
    let mut offsets = Vec::new();
    for k in 0..66u64 {
        offsets.extend([k * 4096, k * 4096 + 1, (k * 4096).wrapping_sub(1)]);
    }
    for k in 0..=32u64 {
        offsets.push(size / 32 * k);
    }
    offsets.extend([size.wrapping_sub(1), size, size + 1, size + 4096]);
    offsets.retain(|&o| o <= size + 4096);
    offsets.sort_unstable();
    offsets.dedup();
    let seek = |off: u64, whence| -> i64 {
        // SAFETY: lseek on our descriptor.
        let r = unsafe { libc::lseek(fd, off as i64, whence) };
        if r < 0 {
            -(std::io::Error::last_os_error().raw_os_error().unwrap_or(0) as i64)
        } else {
            r
        }
    };
    let mut h = Sha256::new();
    for &o in &offsets {
        h.update(o.to_le_bytes());
        h.update(seek(o, libc::SEEK_DATA).to_le_bytes());
        h.update(seek(o, libc::SEEK_HOLE).to_le_bytes());
    }
    format!("seek_data_hole={}:{}:{}", seek(0, libc::SEEK_DATA), seek(0, libc::SEEK_HOLE), hex(h))
}

/// How many bytes from the start of the file read without an error, up
/// to `limit`.
fn readable_prefix(fd: i32, limit: u64, buf: &mut [u8]) -> u64 {
    let mut off = 0u64;
    while off < limit {
        let want = (limit - off).min(buf.len() as u64) as usize;
        // SAFETY: `buf` holds at least `want` bytes.
        let n = unsafe { libc::pread(fd, buf.as_mut_ptr().cast(), want, off as i64) };
        if n <= 0 {
            break;
        }
        off += n as u64;
    }
    off
}

/// FS_IOC_FIEMAP: every extent (logical, physical, length, flags).
fn fiemap(fd: i32) -> String {
    const FS_IOC_FIEMAP: libc::c_ulong = 0xC020_660B;
    const MAX: usize = 512;
    // struct fiemap header (32 bytes) then MAX extents of 56 bytes.
    let mut buf = vec![0u64; (32 + MAX * 56) / 8];
    buf[1] = u64::MAX; // fm_length
                       // fm_flags = FIEMAP_FLAG_SYNC (1) at byte 16; fm_extent_count at 24.
    let b = unsafe { std::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<u8>(), buf.len() * 8) };
    b[16..20].copy_from_slice(&1u32.to_ne_bytes());
    b[24..28].copy_from_slice(&(MAX as u32).to_ne_bytes());
    // SAFETY: the buffer holds a fiemap header and MAX extents.
    let r = unsafe { libc::ioctl(fd, FS_IOC_FIEMAP, buf.as_mut_ptr()) };
    if r != 0 {
        return format!("fiemap=ERROR {}", std::io::Error::last_os_error());
    }
    let b = unsafe { std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), buf.len() * 8) };
    let n = u32::from_ne_bytes(b[20..24].try_into().unwrap_or([0; 4])) as usize;
    let mut h = Sha256::new();
    for i in 0..n.min(MAX) {
        let e = &b[32 + i * 56..32 + (i + 1) * 56];
        h.update(&e[0..24]); // logical, physical, length
        h.update(&e[40..44]); // flags
    }
    format!("fiemap={}x{}", n, hex(h))
}

/// O_DIRECT: whether open allows it, the whole content read with aligned
/// 64 KiB requests, and the errno of a misaligned read.
fn odirect(p: &Path, cap: u64) -> String {
    let c = CString::new(p.as_os_str().as_bytes()).unwrap_or_default();
    // SAFETY: opening a path read-only with O_DIRECT.
    let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_DIRECT) };
    if fd < 0 {
        return format!("odirect=refused:{}", std::io::Error::last_os_error().raw_os_error().unwrap_or(0));
    }
    let mut mem: *mut libc::c_void = std::ptr::null_mut();
    // SAFETY: asks for a 4096-aligned 64 KiB buffer.
    if unsafe { libc::posix_memalign(&mut mem, 4096, 65536) } != 0 {
        // SAFETY: closing our descriptor.
        unsafe { libc::close(fd) };
        return "odirect=nomem".into();
    }
    let mut h = Sha256::new();
    let mut off = 0i64;
    let mut err = 0;
    while (off as u64) < cap {
        // SAFETY: the buffer holds 64 KiB.
        let n = unsafe { libc::pread(fd, mem, 65536, off) };
        if n < 0 {
            err = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
            break;
        }
        if n == 0 {
            break;
        }
        // SAFETY: `n` bytes were read into the buffer.
        h.update(unsafe { std::slice::from_raw_parts(mem as *const u8, n as usize) });
        off += n as i64;
    }
    // SAFETY: a deliberately misaligned offset.
    let bad = unsafe { libc::pread(fd, mem, 4096, 1) };
    let bad = if bad < 0 { std::io::Error::last_os_error().raw_os_error().unwrap_or(0) } else { 0 };
    // SAFETY: freeing the buffer and closing the descriptor.
    unsafe {
        libc::free(mem);
        libc::close(fd);
    }
    format!("odirect={}:{}:{}:{}", off, err, bad, hex(h))
}

/// statx attributes and their mask.
fn statx_attrs(p: &Path) -> String {
    let c = CString::new(p.as_os_str().as_bytes()).unwrap_or_default();
    // SAFETY: statx fills the zeroed struct; the path is a valid C string.
    let mut st: libc::statx = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::statx(libc::AT_FDCWD, c.as_ptr(), libc::AT_SYMLINK_NOFOLLOW, libc::STATX_ALL, &mut st) };
    if r != 0 {
        return format!("statx=ERROR {}", std::io::Error::last_os_error());
    }
    format!("statx_attr={:x}/{:x}", st.stx_attributes, st.stx_attributes_mask)
}

fn dir_line(p: &Path) -> String {
    let c = CString::new(p.as_os_str().as_bytes()).unwrap_or_default();
    // SAFETY: opening a directory by a valid C path.
    let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY) };
    if fd < 0 {
        return format!("ERROR open {}", std::io::Error::last_os_error());
    }
    // getdents64 with a buffer that holds one or two entries at a time.
    let mut names = Vec::new();
    let mut offs = Vec::new();
    let mut buf = vec![0u8; 280];
    loop {
        // SAFETY: the buffer is writable for its length.
        let n = unsafe { libc::syscall(libc::SYS_getdents64, fd, buf.as_mut_ptr(), buf.len()) };
        if n < 0 {
            names.push(format!("ERROR {}", std::io::Error::last_os_error()));
            break;
        }
        if n == 0 {
            break;
        }
        let mut at = 0usize;
        while at < n as usize {
            let reclen = u16::from_ne_bytes([buf[at + 16], buf[at + 17]]) as usize;
            let d_off = i64::from_ne_bytes(buf[at + 8..at + 16].try_into().unwrap_or([0; 8]));
            let dtype = buf[at + 18];
            let name = &buf[at + 19..at + reclen];
            let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
            names.push(format!("{}:{dtype}@{d_off}", String::from_utf8_lossy(name)));
            offs.push(d_off);
            at += reclen;
        }
    }
    // Seek back to every returned offset and check the next entry.
    let mut h = Sha256::new();
    for (i, o) in offs.iter().enumerate().step_by(7) {
        // SAFETY: seeking our directory descriptor.
        unsafe { libc::lseek(fd, *o, libc::SEEK_SET) };
        // SAFETY: as above.
        let n = unsafe { libc::syscall(libc::SYS_getdents64, fd, buf.as_mut_ptr(), buf.len()) };
        h.update((i as u64).to_le_bytes());
        h.update((n as i64).to_le_bytes());
        if n > 0 {
            let reclen = u16::from_ne_bytes([buf[16], buf[17]]) as usize;
            h.update(&buf[19..reclen.min(n as usize)]);
        }
    }
    // SAFETY: closing our descriptor.
    unsafe { libc::close(fd) };
    let mut all = Sha256::new();
    all.update(names.join("/").as_bytes());
    format!("getdents={} n={} seekdir={} {} {}", hex(all), names.len(), hex(h), statx_attrs(p), {
        // SAFETY: opening a directory read-only for fiemap.
        let dfd = unsafe { libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY) };
        let s = fiemap(dfd);
        // SAFETY: closing it.
        unsafe { libc::close(dfd) };
        s
    })
}
