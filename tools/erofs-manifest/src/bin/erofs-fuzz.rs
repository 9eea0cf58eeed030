//! erofs-fuzz: the in-guest corrupted-image fuzzer's loop, in one process
//! (a shell loop spent most of each image starting programs under TCG).
//!
//!   erofs-fuzz ITER SEED WORKERS FSTYPE IMAGE...
//!
//! Image i (1..=ITER) is seed image (i + SEED) % count mutated with seed
//! SEED * 1000000 + i (erofs-mutate SEED*1000000+i IMAGE OUT gives the same
//! bytes). WORKERS threads take images in turn; each writes its image to
//! /tmp, mounts it read-only with FSTYPE — through its own loop device
//! (/dev/loopW), as a regular file for every fourth seed (file-backed
//! mounts), or, for another fourth when EROFS_FUZZ_PMEM=1 says the pmem
//! devices are the fuzzer's (/dev/pmemW, one per worker, which
//! tools/fuzz-kernel attaches), written onto that device and mounted with
//! dax=always — with one of a few option sets; calls statfs, walks the mount
//! in full (lstat, readdir, readlink, listxattr/getxattr, read of up to
//! 1 MiB a file), reads every file through pread, readv, mmap, splice,
//! sendfile and O_DIRECT, and unmounts.
//!
//! Before an image it prints "iter I seed S image NAME worker W", so the
//! host knows what each worker had in hand if the guest dies. The main
//! thread follows /dev/kmsg and stops everything at the first sign of a
//! kernel bug (the patterns of selftests/lib.sh check_dmesg), printing
//! "CRASH", the report and the images in flight; a worker on one image for
//! over a minute is reported as "HANG" and no more images are started, so
//! the host's watchdog (no output for 60 s) ends the guest. At the end it prints
//! "fuzz: done ITER images, M mounted".

use erofs_inspect::layout::Layout;
use erofs_inspect::mutate::mutate_with_layout;
use erofs_manifest::{manifest, readcheck};
use std::ffi::CString;
use std::io::Write;
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long one image may take before its worker counts as hung (the
/// slowest images take a few seconds on the debug kernel under TCG).
const HANG: Duration = Duration::from_secs(60);

/// Bytes read of each file by each whole-file read method.
const READ_CAP: u64 = 1 << 20;

/// Mount options taken in turn (by seed), so the cache strategies and the
/// xattr/ACL switches see corrupt images too.
const MOUNT_OPTIONS: [&str; 5] = ["", "cache_strategy=disabled", "cache_strategy=readaround", "noacl,nouser_xattr", "acl,user_xattr"];

/// Kernel log lines that mean a kernel bug: one fixed string a line, the
/// same file selftests/lib.sh's check_dmesg greps with.
const BUG_PATTERNS: &str = include_str!("../../../../selftests/kernel-bug-patterns");

/// Whether a kernel log line reports a kernel bug.
fn is_kernel_bug(line: &str) -> bool {
    BUG_PATTERNS.lines().filter(|p| !p.is_empty()).any(|p| line.contains(p))
}

struct Seed {
    name: String,
    bytes: Vec<u8>,
    layout: Layout,
}

struct Shared {
    seeds: Vec<Seed>,
    iter: u64,
    base: u64,
    fstype: CString,
    next: AtomicU64,
    mounted: AtomicU64,
    /// Set when a worker hangs: the others take no more images, so the
    /// output stops and the host's watchdog ends the guest.
    stop: AtomicBool,
    /// The image each worker is on and since when, for the crash report
    /// and the hang check.
    in_flight: Mutex<Vec<(String, Instant)>>,
    out: Mutex<()>,
    /// The pmem devices are the fuzzer's to write (EROFS_FUZZ_PMEM=1):
    /// elsewhere they may hold a test's images.
    pmem: bool,
}

fn fail(msg: String) -> ! {
    eprintln!("erofs-fuzz: {msg}");
    std::process::exit(2)
}

fn cstr(p: &Path) -> CString {
    CString::new(p.as_os_str().as_encoded_bytes()).unwrap_or_default()
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 6 {
        fail("usage: erofs-fuzz ITER SEED WORKERS FSTYPE IMAGE...".into());
    }
    let num = |s: &str| s.parse::<u64>().unwrap_or_else(|_| fail(format!("not a number: {s}")));
    let (iter, base, workers) = (num(&a[1]), num(&a[2]), num(&a[3]).clamp(1, 8));
    let seeds: Vec<Seed> = a[5..]
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).unwrap_or_else(|e| fail(format!("{p}: {e}")));
            let layout = Layout::of(&bytes);
            let name = Path::new(p).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            Seed { name, bytes, layout }
        })
        .collect();
    let shared = Shared {
        seeds,
        iter,
        base,
        fstype: CString::new(a[4].as_str()).unwrap_or_default(),
        next: AtomicU64::new(1),
        mounted: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        in_flight: Mutex::new(vec![(String::new(), Instant::now()); workers as usize]),
        out: Mutex::new(()),
        pmem: std::env::var("EROFS_FUZZ_PMEM").is_ok_and(|v| v == "1"),
    };
    let kmsg = Kmsg::open();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                s.spawn({
                    let shared = &shared;
                    move || worker(shared, w as usize)
                })
            })
            .collect();
        loop {
            let done = handles.iter().all(|h| h.is_finished());
            if let Some(report) = kmsg.bad_lines() {
                let _guard = shared.out.lock();
                println!("CRASH: the kernel log shows a problem");
                for l in report {
                    println!("  {l}");
                }
                for (w, (img, _)) in shared.in_flight.lock().map(|v| v.clone()).unwrap_or_default().iter().enumerate() {
                    println!("in flight on worker {w}: {img}");
                }
                let _ = std::io::stdout().flush();
                // The mounts are left as they are: the guest is done.
                std::process::exit(1);
            }
            if done {
                break;
            }
            if !shared.stop.load(Ordering::Relaxed) {
                let stuck = shared
                    .in_flight
                    .lock()
                    .map(|v| v.clone())
                    .unwrap_or_default()
                    .into_iter()
                    .enumerate()
                    .find(|(w, (img, since))| !img.is_empty() && !handles[*w].is_finished() && since.elapsed() > HANG);
                if let Some((w, (img, _))) = stuck {
                    shared.stop.store(true, Ordering::Relaxed);
                    let _guard = shared.out.lock();
                    println!("HANG: worker {w} has been on one image for {} s: {img}", HANG.as_secs());
                    let _ = std::io::stdout().flush();
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    println!("fuzz: done {iter} images, {} mounted", shared.mounted.load(Ordering::Relaxed));
}

fn worker(sh: &Shared, w: usize) {
    let img_path = format!("/tmp/fuzz-{w}.img");
    let mnt = format!("/mnt/fuzz-{w}");
    let _ = std::fs::create_dir_all(&mnt);
    let loop_dev = format!("/dev/loop{w}");
    let pmem_dev = format!("/dev/pmem{w}");
    while !sh.stop.load(Ordering::Relaxed) {
        let i = sh.next.fetch_add(1, Ordering::Relaxed);
        if i > sh.iter {
            break;
        }
        let seed_img = &sh.seeds[((i + sh.base) % sh.seeds.len() as u64) as usize];
        let seed = sh.base.wrapping_mul(1_000_000).wrapping_add(i);
        let line = format!("iter {i} seed {seed} image {} worker {w}", seed_img.name);
        {
            let _guard = sh.out.lock();
            println!("{line}");
            let _ = std::io::stdout().flush();
        }
        if let Ok(mut v) = sh.in_flight.lock() {
            v[w] = (line, Instant::now());
        }
        let mut bytes = seed_img.bytes.clone();
        // As erofs-mutate does with the same seed.
        mutate_with_layout(&mut bytes, &seed_img.layout, seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        if let Err(e) = std::fs::write(&img_path, &bytes) {
            fail(format!("{img_path}: {e}"));
        }
        let file_backed = seed % 4 == 3;
        let dax = sh.pmem && seed % 4 == 1 && write_device(&pmem_dev, &bytes);
        let attached = if file_backed || dax { None } else { Some(LoopDev::attach(&loop_dev, &img_path)) };
        let source = if dax {
            pmem_dev.clone()
        } else if file_backed {
            img_path.clone()
        } else {
            loop_dev.clone()
        };
        let base_options = MOUNT_OPTIONS[((seed / 4) % MOUNT_OPTIONS.len() as u64) as usize];
        let options = match (dax, base_options) {
            (true, "") => "dax=always".to_string(),
            (true, o) => format!("{o},dax=always"),
            (false, o) => o.to_string(),
        };
        if mount(&source, &mnt, &sh.fstype, &options) {
            sh.mounted.fetch_add(1, Ordering::Relaxed);
            let root = Path::new(&mnt);
            let m = cstr(root);
            // SAFETY: statfs of our mount point into a zeroed struct.
            let _ = unsafe {
                let mut st: libc::statfs = std::mem::zeroed();
                libc::statfs(m.as_ptr(), &mut st)
            };
            let opts = manifest::Opts { max_read: READ_CAP, ..Default::default() };
            manifest::write(root, &opts, &mut std::io::sink());
            readcheck::write(root, seed, READ_CAP, &mut std::io::sink());
            // SAFETY: unmounting our own mount point by a valid C path.
            if unsafe { libc::umount(m.as_ptr()) } != 0 {
                fail(format!("umount {mnt}: {}", std::io::Error::last_os_error()));
            }
        }
        drop(attached);
    }
}

/// Writes `bytes` onto the block device `dev` and zeroes the rest of it,
/// so that what the image does not cover reads the same every time; false
/// when there is no such device or the image does not fit.
fn write_device(dev: &str, bytes: &[u8]) -> bool {
    use std::io::{Seek, SeekFrom};
    let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(dev) else { return false };
    let Ok(size) = f.seek(SeekFrom::End(0)) else { return false };
    if bytes.len() as u64 > size || f.seek(SeekFrom::Start(0)).is_err() {
        return false;
    }
    if let Err(e) =
        f.write_all(bytes).and_then(|()| f.write_all(&vec![0u8; (size - bytes.len() as u64) as usize])).and_then(|()| f.sync_all())
    {
        fail(format!("{dev}: {e}"));
    }
    true
}

fn mount(source: &str, target: &str, fstype: &CString, options: &str) -> bool {
    let (s, t) = (cstr(Path::new(source)), cstr(Path::new(target)));
    let o = CString::new(options).unwrap_or_default();
    // SAFETY: valid C strings; a read-only mount.
    unsafe { libc::mount(s.as_ptr(), t.as_ptr(), fstype.as_ptr(), libc::MS_RDONLY, o.as_ptr().cast()) == 0 }
}

/// A loop device bound to a file for one image, unbound when dropped.
struct LoopDev(std::fs::File);

const LOOP_CLR_FD: libc::c_ulong = 0x4C01;
const LOOP_CONFIGURE: libc::c_ulong = 0x4C0A;
const LO_FLAGS_READ_ONLY: u32 = 1;

/// struct loop_config: the backing fd, block size, a struct loop_info64
/// (232 bytes; lo_flags at byte 52) and reserved words.
#[repr(C)]
struct LoopConfig {
    fd: u32,
    block_size: u32,
    info: [u8; 232],
    reserved: [u64; 8],
}

impl LoopDev {
    fn attach(dev: &str, file: &str) -> LoopDev {
        let d = std::fs::File::open(dev).unwrap_or_else(|e| fail(format!("{dev}: {e}")));
        let f = std::fs::File::open(file).unwrap_or_else(|e| fail(format!("{file}: {e}")));
        let mut cfg = LoopConfig { fd: f.as_raw_fd() as u32, block_size: 0, info: [0; 232], reserved: [0; 8] };
        cfg.info[52..56].copy_from_slice(&LO_FLAGS_READ_ONLY.to_ne_bytes());
        // SAFETY: LOOP_CONFIGURE reads a struct loop_config, which `cfg`
        // lays out; the backing fd stays open for the call.
        if unsafe { libc::ioctl(d.as_raw_fd(), LOOP_CONFIGURE, &cfg) } != 0 {
            fail(format!("LOOP_CONFIGURE {dev}: {}", std::io::Error::last_os_error()));
        }
        LoopDev(d)
    }
}

impl Drop for LoopDev {
    fn drop(&mut self) {
        // SAFETY: LOOP_CLR_FD takes no argument; the device is ours.
        unsafe { libc::ioctl(self.0.as_raw_fd(), LOOP_CLR_FD, 0) };
    }
}

/// The kernel log from the fuzzer's start on.
struct Kmsg(std::fs::File);

impl Kmsg {
    fn open() -> Kmsg {
        use std::os::unix::fs::OpenOptionsExt;
        let f = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open("/dev/kmsg")
            .unwrap_or_else(|e| fail(format!("/dev/kmsg: {e}")));
        // SAFETY: SEEK_END on /dev/kmsg skips to the next new record.
        unsafe { libc::lseek(f.as_raw_fd(), 0, libc::SEEK_END) };
        Kmsg(f)
    }

    /// Reads the records logged since the last call; returns them all if
    /// one shows a kernel bug.
    fn bad_lines(&self) -> Option<Vec<String>> {
        let mut lines = Vec::new();
        let mut bad = false;
        let mut buf = vec![0u8; 8192];
        loop {
            // SAFETY: one record per read into our buffer.
            let n = unsafe { libc::read(self.0.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n < 0 {
                let e = std::io::Error::last_os_error();
                match e.raw_os_error() {
                    // Records were overwritten before we read them: go on.
                    Some(libc::EPIPE) => continue,
                    _ => break,
                }
            }
            if n == 0 {
                break;
            }
            let rec = String::from_utf8_lossy(&buf[..n as usize]);
            let text = rec.split_once(';').map(|(_, t)| t).unwrap_or(&rec).trim_end().to_string();
            bad |= is_kernel_bug(&text);
            lines.push(text);
        }
        if bad {
            Some(lines)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_kernel_bug;

    #[test]
    fn kernel_bug_lines_are_told_from_driver_errors() {
        assert!(is_kernel_bug("WARNING: CPU: 1 PID: 231 at fs/super.c:1220 kill_block_super+0x3c/0x50"));
        assert!(is_kernel_bug("BUG: KASAN: slab-out-of-bounds in erofs_rs::dir::readdir"));
        assert!(is_kernel_bug("INFO: task erofs-fuzz:88 blocked for more than 30 seconds. hung_task"));
        // What a corrupt image should produce: an error line, not a bug.
        assert!(!is_kernel_bug("erofs_rs: (device loop0): bad inode 1234: i_format 0x7f"));
        assert!(!is_kernel_bug(""));
    }
}
