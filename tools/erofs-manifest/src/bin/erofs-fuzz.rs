//! erofs-fuzz: the in-guest corrupted-image fuzzer's loop, in one process
//! (a shell loop spent most of each image starting programs under TCG).
//!
//!   erofs-fuzz [--modes M,...] [--file-dir DIR] [--pmem DEV,...] [--fscache-blobs DIR] [--coverage]
//!              [--corpus-in DEV] [--corpus-out DEV] ITER SEED WORKERS FSTYPE IMAGE...
//!   erofs-fuzz pack DIR OUT | unpack DISK DIR      (host: the corpus disks)
//!
//! Image i (1..=ITER) is a parent mutated with seed SEED * 1000000 + i
//! (erofs-mutate SEED*1000000+i PARENT OUT gives the same bytes). The
//! parent is seed image (i + SEED) % count, or with --coverage, every
//! other time, an image of the corpus. WORKERS threads take images in
//! turn; each writes its image to /tmp and mounts it read-only with
//! FSTYPE in one of the modes (taken in turn by seed), with one of a few
//! option sets (cache strategies, xattr and ACL switches):
//!
//! - `loop`: through the worker's own loop device;
//! - `file`: as a regular file (file-backed mount) in the --file-dir
//!   directory, which must be on a filesystem with read_folio (not tmpfs,
//!   which neither driver takes files from);
//! - `dax`: written onto the worker's pmem device (the Wth of --pmem,
//!   default /dev/pmemW, which tools/fuzz-kernel attaches) and mounted
//!   with dax=always (through a loop device if there is none);
//! - `multidev`: with `device=` loop devices of the seed's blobs
//!   (`NAME.blob1`, ... beside the seed, a quarter of the time with bytes
//!   flipped), or of another seed image when it has none;
//! - `share`: beside its parent (intact, or every other time mutated with
//!   seed ^ 0x55555555), both with `inode_share` (or `inode_share=verify`)
//!   in the worker's domain, so a corrupt image's files meet the
//!   fingerprints of other images;
//! - `fscache`: as a blob (with the seed's blobs as `device=` blobs) in
//!   the --fscache-blobs directory, which an erofs-ondemand daemon serves
//!   (fuzz-kernel.sh starts it), mounted with `fsid=` a name used once,
//!   every other time in a shared domain; a blob cut short is a daemon
//!   that returns less than the image needs.
//!
//! A mounted image is statfs'd, walked in full (lstat, readdir,
//! readlink, listxattr/getxattr, read of up to 1 MiB a file), every file
//! read through pread, readv, mmap, splice, sendfile and O_DIRECT, its
//! options read back from mountinfo, its paths' file handles decoded (a
//! quarter of the time with the dentry cache dropped) along with forged
//! ones, its directories FIEMAP'd, remounted and unmounted. A mode that
//! needs something of its image takes, three times in four, a seed that
//! has it: fingerprints for `share`, blobs for `multidev`. At the end,
//! "mode M: N images, K mounted" for each mode.
//!
//! With --coverage each worker traces its own system calls through KCOV
//! (the debug kernel instruments erofs_rs alone): the corpus images are
//! replayed first, then an image whose trace holds an edge of erofs_rs no
//! earlier image reached joins the corpus, appended to --corpus-out with
//! its parent, seed and mode. Every minute, and at the end, a line
//! "cov SECONDS images N edges E blocks B corpus C" reports progress; at
//! the end, the functions of erofs_rs never reached, one "unreached NAME"
//! line each.
//!
//! Before an image it prints "iter I seed S image NAME mode M worker W"
//! (seed 0: a corpus image replayed as it is), so the host knows what
//! each worker had in hand if the guest dies. The main thread follows
//! /dev/kmsg and stops everything at the first sign of a kernel bug (the
//! patterns of selftests/lib.sh check_dmesg), printing "CRASH", the report
//! and the images in flight; a worker on one image for over a minute is
//! reported as "HANG" and no more images are started, so the host's
//! watchdog (no output for 60 s) ends the guest. At the end it prints
//! "fuzz: done ITER images, M mounted".

use erofs_inspect::layout::Layout;
use erofs_inspect::mutate::{mutate_with_layout, Rng};
use erofs_manifest::corpus::{self, Record};
use erofs_manifest::handle::FileHandle;
use erofs_manifest::kcov::{Coverage, Kcov, ModuleText};
use erofs_manifest::{manifest, readcheck};
use sha2::{Digest, Sha256};
use std::ffi::CString;
use std::fs::File;
use std::io::Write;
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
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

/// Words of each worker's KCOV buffer (16 MiB): drained after every line
/// the walks write, so one file's reads must fit.
const KCOV_WORDS: usize = 1 << 21;

/// How often a "cov" progress line is printed.
const COV_EVERY: Duration = Duration::from_secs(60);

/// Kernel log lines that mean a kernel bug: one fixed string a line, the
/// same file selftests/lib.sh's check_dmesg greps with.
const BUG_PATTERNS: &str = include_str!("../../../../selftests/kernel-bug-patterns");

/// Whether a kernel log line reports a kernel bug.
fn is_kernel_bug(line: &str) -> bool {
    BUG_PATTERNS.lines().filter(|p| !p.is_empty()).any(|p| line.contains(p))
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    Loop,
    File,
    Dax,
    Multidev,
    Share,
    Fscache,
}

impl Mode {
    const ALL: [Mode; 6] = [Mode::Loop, Mode::File, Mode::Dax, Mode::Multidev, Mode::Share, Mode::Fscache];

    fn name(self) -> &'static str {
        match self {
            Mode::Loop => "loop",
            Mode::File => "file",
            Mode::Dax => "dax",
            Mode::Multidev => "multidev",
            Mode::Share => "share",
            Mode::Fscache => "fscache",
        }
    }

    fn parse(s: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.name() == s)
    }
}

/// A seed image with the blobs of its extra devices, if any.
struct Seed {
    name: String,
    bytes: Vec<u8>,
    layout: Layout,
    blobs: Vec<Vec<u8>>,
}

/// An image of the corpus: on the disk the host packed, or on the one we
/// append to.
#[derive(Clone)]
struct Entry {
    record: Record,
    on_out: bool,
}

impl Entry {
    fn name(&self) -> &str {
        self.record.get("name").unwrap_or("?")
    }
}

/// What --coverage adds: the module's map, what all images reached, the
/// corpus and its disks.
struct Guide {
    text: ModuleText,
    total: Mutex<Coverage>,
    corpus: Mutex<Vec<Entry>>,
    corpus_in: Option<File>,
    /// The disk new corpus images are appended to, and the offset after
    /// the last record.
    corpus_out: Option<Mutex<(File, u64)>>,
    /// The corpus as the host gave it, replayed before any mutation.
    replays: Vec<Entry>,
    next_replay: AtomicUsize,
    /// Traces that filled a worker's buffer (their tail was lost).
    overflows: AtomicU64,
    images: AtomicU64,
}

struct Shared {
    seeds: Vec<Seed>,
    iter: u64,
    base: u64,
    fstype: CString,
    modes: Vec<Mode>,
    /// Each worker's pmem device, for `dax`.
    pmem: Vec<String>,
    /// Where `fscache` puts the blobs the daemon serves.
    blob_dir: Option<String>,
    /// Where `file` puts the images it mounts.
    file_dir: String,
    /// Numbers the fscache blobs: each name is used once, so no cached
    /// data of an earlier image is read for it.
    blob_serial: AtomicU64,
    next: AtomicU64,
    mounted: AtomicU64,
    /// Images and mounts per mode (indexed as Mode::ALL).
    per_mode: [(AtomicU64, AtomicU64); 6],
    /// Set when a worker hangs: the others take no more images, so the
    /// output stops and the host's watchdog ends the guest.
    stop: AtomicBool,
    /// The image each worker is on and since when, for the crash report
    /// and the hang check.
    in_flight: Mutex<Vec<(String, Instant)>>,
    out: Mutex<()>,
    guide: Option<Guide>,
}

impl Shared {
    fn say(&self, line: &str) {
        let _guard = self.out.lock();
        println!("{line}");
        let _ = std::io::stdout().flush();
    }
}

fn fail(msg: String) -> ! {
    eprintln!("erofs-fuzz: {msg}");
    std::process::exit(2)
}

fn cstr(p: &Path) -> CString {
    CString::new(p.as_os_str().as_encoded_bytes()).unwrap_or_default()
}

/// The blobs beside a seed image: NAME.blob1, NAME.blob2, ... in order.
fn blobs_of(path: &Path) -> Vec<Vec<u8>> {
    (1..).map_while(|k| std::fs::read(path.with_extension(format!("blob{k}"))).ok()).collect()
}

fn main() {
    let mut a: Vec<String> = std::env::args().skip(1).collect();
    match a.first().map(String::as_str) {
        Some("pack") if a.len() == 3 => {
            let n = corpus::pack(Path::new(&a[1]), Path::new(&a[2])).unwrap_or_else(|e| fail(format!("pack: {e}")));
            println!("{n} corpus images packed");
            return;
        }
        Some("unpack") if a.len() == 3 => {
            let n = corpus::unpack(Path::new(&a[1]), Path::new(&a[2])).unwrap_or_else(|e| fail(format!("unpack: {e}")));
            println!("{n} new corpus images");
            return;
        }
        _ => {}
    }
    let (mut modes, mut coverage, mut corpus_in, mut corpus_out, mut pmem, mut blob_dir) = (None, false, None, None, Vec::new(), None);
    let mut file_dir = "/tmp".to_string();
    while a.first().is_some_and(|f| f.starts_with("--")) {
        let flag = a.remove(0);
        let mut value = || if a.is_empty() { fail(format!("{flag} needs a value")) } else { a.remove(0) };
        match flag.as_str() {
            "--modes" => {
                let v = value();
                modes = Some(v.split(',').map(|m| Mode::parse(m).unwrap_or_else(|| fail(format!("unknown mode {m}")))).collect::<Vec<_>>())
            }
            "--pmem" => pmem = value().split(',').map(str::to_string).collect(),
            "--fscache-blobs" => blob_dir = Some(value()),
            "--file-dir" => file_dir = value(),
            "--coverage" => coverage = true,
            "--corpus-in" => corpus_in = Some(value()),
            "--corpus-out" => corpus_out = Some(value()),
            _ => fail(format!("unknown option {flag}")),
        }
    }
    if a.len() < 5 {
        fail("usage: erofs-fuzz [--modes M,...] [--file-dir DIR] [--pmem DEV,...] [--fscache-blobs DIR] [--coverage] [--corpus-in DEV] [--corpus-out DEV] ITER SEED WORKERS FSTYPE IMAGE...".into());
    }
    let num = |s: &str| s.parse::<u64>().unwrap_or_else(|_| fail(format!("not a number: {s}")));
    let (iter, base, workers) = (num(&a[0]), num(&a[1]), num(&a[2]).clamp(1, 8));
    if pmem.is_empty() {
        pmem = (0..workers).map(|w| format!("/dev/pmem{w}")).collect();
    }
    let seeds: Vec<Seed> = a[4..]
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).unwrap_or_else(|e| fail(format!("{p}: {e}")));
            let layout = Layout::of(&bytes);
            let name = Path::new(p).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            Seed { name, bytes, layout, blobs: blobs_of(Path::new(p)) }
        })
        .collect();
    if seeds.is_empty() {
        fail("no seed images".into());
    }
    let modes = modes.unwrap_or_else(|| vec![Mode::Loop, Mode::File]);
    if modes.contains(&Mode::Fscache) && blob_dir.is_none() {
        fail("mode fscache needs --fscache-blobs".into());
    }
    let guide = coverage.then(|| {
        let text = ModuleText::of(&a[3]).unwrap_or_else(|e| fail(format!("coverage: {e}")));
        let open_rw = |p: &str| std::fs::OpenOptions::new().read(true).write(true).open(p).unwrap_or_else(|e| fail(format!("{p}: {e}")));
        let corpus_in = corpus_in.as_deref().map(open_rw);
        let replays: Vec<Entry> = match &corpus_in {
            Some(f) => corpus::scan(f).unwrap_or_else(|e| fail(format!("corpus: {e}"))).0,
            None => Vec::new(),
        }
        .into_iter()
        .map(|record| Entry { record, on_out: false })
        .collect();
        let corpus_out = corpus_out.as_deref().map(|p| {
            let f = open_rw(p);
            // Appended after what an earlier run of the same disk left.
            let end = corpus::scan(&f).unwrap_or_else(|e| fail(format!("{p}: {e}"))).1;
            Mutex::new((f, end))
        });
        println!("coverage: {} functions of {}, {} corpus images to replay", text.function_count(), a[3], replays.len());
        Guide {
            text,
            total: Mutex::new(Coverage::default()),
            corpus: Mutex::new(Vec::new()),
            corpus_in,
            corpus_out,
            replays,
            next_replay: AtomicUsize::new(0),
            overflows: AtomicU64::new(0),
            images: AtomicU64::new(0),
        }
    });
    let shared = Shared {
        seeds,
        iter,
        base,
        fstype: CString::new(a[3].as_str()).unwrap_or_default(),
        modes,
        pmem,
        blob_dir,
        file_dir,
        blob_serial: AtomicU64::new(0),
        next: AtomicU64::new(1),
        mounted: AtomicU64::new(0),
        per_mode: Default::default(),
        stop: AtomicBool::new(false),
        in_flight: Mutex::new(vec![(String::new(), Instant::now()); workers as usize]),
        out: Mutex::new(()),
        guide,
    };
    let kmsg = Kmsg::open();
    let started = Instant::now();
    let mut last_cov = Instant::now();
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
            // Once a worker hangs, nothing more is printed: the host's
            // watchdog (no output for 60 s) ends the guest.
            if let Some(g) = shared.guide.as_ref().filter(|_| !shared.stop.load(Ordering::Relaxed)) {
                if last_cov.elapsed() >= COV_EVERY {
                    last_cov = Instant::now();
                    shared.say(&cov_line(g, started));
                }
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
                    shared.say(&format!("HANG: worker {w} has been on one image for {} s: {img}", HANG.as_secs()));
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    if let Some(g) = &shared.guide {
        println!("{}", cov_line(g, started));
        let total = g.total.lock().unwrap_or_else(|e| e.into_inner());
        let unreached = g.text.unreached(total.blocks.iter());
        let all = g.text.function_count();
        println!(
            "functions: {} of {all} reached, {} never ({:.1} %); {} traces overflowed",
            all - unreached.len(),
            unreached.len(),
            100.0 * unreached.len() as f64 / all.max(1) as f64,
            g.overflows.load(Ordering::Relaxed)
        );
        for f in unreached {
            println!("unreached {f}");
        }
    }
    for (m, (n, mounted)) in Mode::ALL.iter().zip(&shared.per_mode) {
        let n = n.load(Ordering::Relaxed);
        if n > 0 {
            println!("mode {}: {n} images, {} mounted", m.name(), mounted.load(Ordering::Relaxed));
        }
    }
    println!("fuzz: done {iter} images, {} mounted", shared.mounted.load(Ordering::Relaxed));
}

fn cov_line(g: &Guide, started: Instant) -> String {
    let total = g.total.lock().unwrap_or_else(|e| e.into_inner());
    let corpus = g.corpus.lock().map(|c| c.len()).unwrap_or(0);
    format!(
        "cov {} images {} edges {} blocks {} corpus {corpus}",
        started.elapsed().as_secs(),
        g.images.load(Ordering::Relaxed),
        total.edges.len(),
        total.blocks.len()
    )
}

/// One image to mount: its bytes, what it came from, and how to mount it.
struct Job {
    /// For the "iter" line and the corpus record.
    i: u64,
    seed: u64,
    parent: String,
    bytes: Vec<u8>,
    /// The parent as it was (the second image of `share`).
    original: Vec<u8>,
    blobs: Vec<Vec<u8>>,
    mode: Mode,
    options: String,
    /// A corpus image replayed as it is.
    replay: bool,
}

/// The next image for a worker, or None when there are no more.
fn next_job(sh: &Shared) -> Option<Job> {
    if let Some(g) = &sh.guide {
        let r = g.next_replay.fetch_add(1, Ordering::Relaxed);
        if let Some(e) = g.replays.get(r) {
            let bytes = read_entry(g, e)?;
            let root = e.record.get("root").unwrap_or("");
            let mode = e.record.get("mode").and_then(Mode::parse).filter(|m| sh.modes.contains(m)).unwrap_or(sh.modes[0]);
            let seed = seed_named(sh, root);
            return Some(Job {
                i: 0,
                seed: 0,
                parent: format!("corpus:{}", e.name()),
                original: bytes.clone(),
                bytes,
                blobs: seed.map(|s| s.blobs.clone()).unwrap_or_default(),
                mode,
                options: e.record.get("opts").unwrap_or("").replace('+', ","),
                replay: true,
            });
        }
    }
    let i = sh.next.fetch_add(1, Ordering::Relaxed);
    if i > sh.iter {
        return None;
    }
    let seed = sh.base.wrapping_mul(1_000_000).wrapping_add(i);
    let mut rng = Rng(seed.wrapping_mul(0xD6E8_FEB8_6659_FD93) | 1);
    let mode = sh.modes[(seed % sh.modes.len() as u64) as usize];
    let options = MOUNT_OPTIONS[((seed / sh.modes.len() as u64) % MOUNT_OPTIONS.len() as u64) as usize].to_string();
    // Every other image of a guided run starts from the corpus.
    let from_corpus = sh.guide.as_ref().and_then(|g| {
        let c = g.corpus.lock().ok()?;
        (!c.is_empty() && rng.below(2) == 0).then(|| c[rng.below(c.len() as u64) as usize].clone())
    });
    let (parent, original, layout, blobs) = match from_corpus.and_then(|e| Some((read_entry(sh.guide.as_ref()?, &e)?, e))) {
        Some((bytes, e)) => {
            let blobs = e.record.get("root").and_then(|r| seed_named(sh, r)).map(|s| s.blobs.clone()).unwrap_or_default();
            (format!("corpus:{}", e.name()), bytes.clone(), Layout::of(&bytes), blobs)
        }
        None => {
            // Three times in four, a mode that needs something of its
            // image (fingerprints for share, blobs for multidev) takes a
            // seed that has it.
            let fitting: Vec<&Seed> = sh.seeds.iter().filter(|s| seed_fits(s, mode)).collect();
            let s = if !fitting.is_empty() && rng.below(4) != 0 {
                fitting[rng.below(fitting.len() as u64) as usize]
            } else {
                &sh.seeds[((i + sh.base) % sh.seeds.len() as u64) as usize]
            };
            (s.name.clone(), s.bytes.clone(), s.layout.clone(), s.blobs.clone())
        }
    };
    let mut bytes = original.clone();
    // As erofs-mutate does with the same seed.
    mutate_with_layout(&mut bytes, &layout, seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    Some(Job { i, seed, parent, bytes, original, blobs, mode, options, replay: false })
}

/// Whether a seed has what `mode` exercises beyond a plain mount.
fn seed_fits(s: &Seed, mode: Mode) -> bool {
    match mode {
        Mode::Share => s.name.contains("digest"),
        Mode::Multidev => !s.blobs.is_empty(),
        _ => false,
    }
}

fn seed_named<'a>(sh: &'a Shared, name: &str) -> Option<&'a Seed> {
    sh.seeds.iter().find(|s| s.name == name)
}

fn read_entry(g: &Guide, e: &Entry) -> Option<Vec<u8>> {
    if e.on_out {
        let out = g.corpus_out.as_ref()?.lock().ok()?;
        corpus::read(&out.0, &e.record).ok()
    } else {
        corpus::read(g.corpus_in.as_ref()?, &e.record).ok()
    }
}

/// The seed image a corpus image descends from (its blobs are that
/// seed's).
fn root_of(sh: &Shared, parent: &str) -> String {
    match parent.strip_prefix("corpus:") {
        Some(name) => sh
            .guide
            .as_ref()
            .and_then(|g| {
                let c = g.corpus.lock().ok()?;
                let e = c.iter().find(|e| e.name() == name)?;
                e.record.get("root").map(str::to_string)
            })
            .unwrap_or_default(),
        None => parent.to_string(),
    }
}

fn worker(sh: &Shared, w: usize) {
    let kcov = sh.guide.as_ref().map(|_| Kcov::open(KCOV_WORDS).unwrap_or_else(|e| fail(format!("KCOV: {e}"))));
    let mut cov = Coverage::default();
    while !sh.stop.load(Ordering::Relaxed) {
        let Some(job) = next_job(sh) else { break };
        let line = format!("iter {} seed {} image {} mode {} worker {w}", job.i, job.seed, job.parent, job.mode.name());
        sh.say(&line);
        if let Ok(mut v) = sh.in_flight.lock() {
            v[w] = (line, Instant::now());
        }
        let mut tracer = kcov.as_ref().zip(sh.guide.as_ref()).map(|(k, g)| Tracer { kcov: k, guide: g, cov: &mut cov });
        if let Some(t) = tracer.as_mut() {
            t.cov.clear();
            t.drain();
        }
        let stats = &sh.per_mode[Mode::ALL.iter().position(|m| *m == job.mode).unwrap_or(0)];
        stats.0.fetch_add(1, Ordering::Relaxed);
        if run_job(sh, w, &job, tracer.as_mut()) {
            sh.mounted.fetch_add(1, Ordering::Relaxed);
            stats.1.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(mut t) = tracer {
            t.drain();
            keep_if_new(sh, t.guide, &job, t.cov);
        }
    }
}

/// Drains a worker's KCOV buffer into the current image's coverage.
struct Tracer<'a> {
    kcov: &'a Kcov,
    guide: &'a Guide,
    cov: &'a mut Coverage,
}

impl Tracer<'_> {
    fn drain(&mut self) {
        if !self.cov.add_trace(self.kcov, &self.guide.text) {
            self.guide.overflows.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The walks' output: dropped, but each line drains the trace, so the
/// buffer holds one file's reads at most.
impl Write for Tracer<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.drain();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Adds an image's coverage to the run's; an image that reached a new
/// edge joins the corpus (a replayed one is in it already).
fn keep_if_new(sh: &Shared, g: &Guide, job: &Job, cov: &Coverage) {
    g.images.fetch_add(1, Ordering::Relaxed);
    let new = {
        let Ok(mut total) = g.total.lock() else { return };
        total.merge(cov)
    };
    if job.replay {
        if let Some(e) = g.replays.iter().find(|e| job.parent.strip_prefix("corpus:") == Some(e.name())) {
            if let Ok(mut c) = g.corpus.lock() {
                c.push(e.clone());
            }
        }
        return;
    }
    if new == 0 {
        return;
    }
    let name: String = Sha256::digest(&job.bytes).iter().take(8).map(|b| format!("{b:02x}")).collect();
    let opts = if job.options.is_empty() { "-".to_string() } else { job.options.replace(',', "+") };
    let meta = format!(
        "name={name} parent={} root={} seed={} mode={} opts={opts} new_edges={new}",
        job.parent,
        root_of(sh, &job.parent),
        job.seed,
        job.mode.name()
    );
    let record = match &g.corpus_out {
        Some(out) => {
            let Ok(mut out) = out.lock() else { return };
            let pos = out.1;
            match corpus::append(&out.0, pos, &meta, &job.bytes) {
                Ok((r, end)) => {
                    out.1 = end;
                    Entry { record: r, on_out: true }
                }
                Err(e) => fail(format!("corpus disk: {e}")),
            }
        }
        // No disk to keep it on: the corpus lives in this run only, as
        // records of the image it came from cannot be read back; skip.
        None => return,
    };
    if let Ok(mut c) = g.corpus.lock() {
        c.push(record);
    }
}

/// Mounts `job` as its mode says, walks what mounted and unmounts;
/// whether the image mounted.
fn run_job(sh: &Shared, w: usize, job: &Job, mut tracer: Option<&mut Tracer>) -> bool {
    let img_path = format!("/tmp/fuzz-{w}.img");
    let mnt = format!("/mnt/fuzz-{w}");
    let _ = std::fs::create_dir_all(&mnt);
    if let Err(e) = std::fs::write(&img_path, &job.bytes) {
        fail(format!("{img_path}: {e}"));
    }
    let mut options = job.options.clone();
    let add = |options: &mut String, o: &str| {
        if !options.is_empty() {
            options.push(',');
        }
        options.push_str(o);
    };
    let mut attached = Vec::new();
    let mut blob_files = Vec::new();
    let source = match job.mode {
        Mode::File => {
            let path = format!("{}/fuzz-{w}.img", sh.file_dir);
            if let Err(e) = std::fs::write(&path, &job.bytes) {
                fail(format!("{path}: {e}"));
            }
            path
        }
        Mode::Dax if sh.pmem.get(w).is_some_and(|d| write_device(d, &job.bytes)) => {
            add(&mut options, "dax=always");
            sh.pmem[w].clone()
        }
        Mode::Multidev => {
            let (l, dev) = LoopDev::attach(&img_path);
            attached.push(l);
            let mut rng = Rng(job.seed | 1);
            let blobs: Vec<Vec<u8>> = if job.blobs.is_empty() {
                // No blobs: another seed as the extra device, for the
                // device table a mutated superblock may claim.
                vec![sh.seeds[(job.seed % sh.seeds.len() as u64) as usize].bytes.clone()]
            } else {
                job.blobs.clone()
            };
            for (k, mut blob) in blobs.into_iter().enumerate().take(3) {
                if !blob.is_empty() && rng.below(4) == 0 {
                    for _ in 0..=rng.below(16) {
                        let at = rng.below(blob.len() as u64) as usize;
                        blob[at] = rng.next() as u8;
                    }
                }
                let path = format!("/tmp/fuzz-{w}.blob{}", k + 1);
                if let Err(e) = std::fs::write(&path, &blob) {
                    fail(format!("{path}: {e}"));
                }
                let (l, bdev) = LoopDev::attach(&path);
                attached.push(l);
                add(&mut options, &format!("device={bdev}"));
            }
            dev
        }
        Mode::Share => {
            let share = if job.seed % 2 == 0 { "inode_share" } else { "inode_share=verify" };
            add(&mut options, &format!("{share},domain_id=fuzz{w}"));
            let (l, dev) = LoopDev::attach(&img_path);
            attached.push(l);
            dev
        }
        Mode::Fscache => {
            let dir = sh.blob_dir.as_deref().unwrap_or("/tmp");
            let name = format!("fuzz-{w}-{}", sh.blob_serial.fetch_add(1, Ordering::Relaxed));
            // An eighth of the time the daemon has less than the image:
            // the blob ends at a random point.
            let mut rng = Rng(job.seed.wrapping_mul(0xA076_1D64_78BD_642F) | 1);
            let cut = if rng.below(8) == 0 { rng.below(job.bytes.len() as u64 + 1) as usize } else { job.bytes.len() };
            write_blob(dir, &name, &job.bytes[..cut], &mut blob_files);
            add(&mut options, &format!("fsid={name}"));
            if job.seed % 2 == 1 {
                add(&mut options, "domain_id=fuzz");
            }
            for (k, blob) in job.blobs.iter().enumerate().take(3) {
                let bname = format!("{name}.blob{}", k + 1);
                write_blob(dir, &bname, blob, &mut blob_files);
                add(&mut options, &format!("device={bname}"));
            }
            "none".to_string()
        }
        Mode::Loop | Mode::Dax => {
            let (l, dev) = LoopDev::attach(&img_path);
            attached.push(l);
            dev
        }
    };
    // share: the parent as it was, in the same domain, mounted first so
    // the corrupt image's files meet shared inodes already made.
    let mut second = None;
    if job.mode == Mode::Share {
        let path = format!("/tmp/fuzz-{w}.orig");
        // Every other time the second image is a mutation too.
        let mut other = job.original.clone();
        if (job.seed / 2) % 2 == 1 {
            let layout = Layout::of(&other);
            mutate_with_layout(&mut other, &layout, (job.seed ^ 0x5555_5555).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        }
        if let Err(e) = std::fs::write(&path, &other) {
            fail(format!("{path}: {e}"));
        }
        let (l, dev) = LoopDev::attach(&path);
        attached.push(l);
        let mnt2 = format!("/mnt/fuzz-{w}b");
        let _ = std::fs::create_dir_all(&mnt2);
        if mount(&dev, &mnt2, &sh.fstype, &options) {
            walk(&mnt2, job.seed, tracer.as_deref_mut());
            second = Some(mnt2);
        }
    }
    let mounted = mount(&source, &mnt, &sh.fstype, &options);
    if let Some(t) = tracer.as_deref_mut() {
        t.drain();
    }
    if mounted {
        walk(&mnt, job.seed, tracer.as_deref_mut());
        remount(&mnt, &sh.fstype, &options);
        if let Some(m2) = &second {
            // Again, now that both are mounted: reads of shared inodes
            // the corrupt image's files may have joined.
            walk(m2, job.seed ^ 1, tracer.as_deref_mut());
        }
        umount(&mnt);
    }
    if let Some(m2) = second {
        umount(&m2);
    }
    drop(attached);
    for f in blob_files {
        // The daemon opened it when the kernel asked; its name is not
        // used again.
        let _ = std::fs::remove_file(f);
    }
    mounted
}

/// Writes blob `name` into the daemon's directory.
fn write_blob(dir: &str, name: &str, bytes: &[u8], written: &mut Vec<String>) {
    let path = format!("{dir}/{name}");
    if let Err(e) = std::fs::write(&path, bytes) {
        fail(format!("{path}: {e}"));
    }
    written.push(path);
}

/// statfs, a full walk and every read path of a mounted image, then what
/// else a mount offers: its options in mountinfo, a remount, file handles
/// (every path's, and forged ones, as an NFS client may send), FIEMAP of
/// directories.
fn walk(mnt: &str, seed: u64, mut tracer: Option<&mut Tracer>) {
    walk_reads(mnt, seed, tracer.as_deref_mut());
    let _ = std::fs::read_to_string("/proc/self/mountinfo");
    handles(Path::new(mnt), seed);
    if let Some(t) = tracer {
        t.drain();
    }
}

/// Every path's handle decoded again (a quarter of the time after the
/// dentry cache was dropped, so decoding must find the inode and its
/// parents from the handle alone), then handles with forged inode numbers
/// and generations, and directory FIEMAP.
fn handles(root: &Path, seed: u64) {
    let mut rng = Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1);
    // Nothing but directories is opened: a fifo would block, and a
    // corrupt image's device nodes may name any device.
    let mut paths = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        if paths.len() >= 256 {
            break;
        }
        paths.push(d.clone());
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        if let Ok(f) = File::open(&d) {
            fiemap_of(&f);
        }
        for e in rd.flatten().take(64) {
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(_) => paths.push(e.path()),
                Err(_) => {}
            }
        }
    }
    let Ok(mount_fd) = File::open(root) else { return };
    let mut got: Vec<FileHandle> = paths.iter().filter_map(|p| FileHandle::of(p).ok()).collect();
    if rng.below(4) == 0 {
        let _ = std::fs::write("/proc/sys/vm/drop_caches", "2");
    }
    // O_PATH: the handle is decoded in full, and what it names (a fifo, a
    // device node) is not opened.
    let open = |h: &mut FileHandle| {
        if let Ok(fd) = h.open(mount_fd.as_raw_fd(), libc::O_PATH) {
            // SAFETY: the fd was just returned to us and is ours to close.
            unsafe { libc::close(fd) };
        }
    };
    for h in got.iter_mut() {
        open(h);
    }
    // Forged: a real handle's inode number and generation (the first 12
    // bytes: a 64-bit nid, a 32-bit generation) replaced, or its type.
    for _ in 0..16 {
        let Some(real) = got.get(rng.below(got.len().max(1) as u64) as usize) else { break };
        let mut h = real.clone();
        match rng.below(4) {
            0 => h.f[..8].copy_from_slice(&rng.next().to_le_bytes()),
            1 => h.f[..8].copy_from_slice(&(rng.below(1 << 20)).to_le_bytes()),
            2 => h.f[8..12].copy_from_slice(&(rng.next() as u32).to_le_bytes()),
            _ => {
                h.kind = [0x81, 0x82, 1, 2][rng.below(4) as usize];
                h.bytes = [8, 12, 20, 24][rng.below(4) as usize];
                for b in h.f[..24].iter_mut() {
                    *b = rng.next() as u8;
                }
            }
        }
        open(&mut h);
    }
}

/// FS_IOC_FIEMAP of `f` (the extents are not looked at).
fn fiemap_of(f: &File) {
    const FS_IOC_FIEMAP: libc::c_ulong = 0xC020_660B;
    // struct fiemap (32 bytes) and 8 extents of 56 bytes; fm_length (at
    // byte 8) all of the file, fm_extent_count (at 24) 8.
    let mut buf = [0u64; (32 + 8 * 56) / 8];
    buf[1] = u64::MAX;
    buf[3] = 8;
    // SAFETY: the buffer holds a fiemap header and the 8 extents it asks for.
    unsafe { libc::ioctl(f.as_raw_fd(), FS_IOC_FIEMAP, buf.as_mut_ptr()) };
}

/// A remount with the same options (the driver's reconfigure).
fn remount(mnt: &str, fstype: &CString, options: &str) {
    let t = cstr(Path::new(mnt));
    let o = CString::new(options).unwrap_or_default();
    // SAFETY: valid C strings; a read-only remount of our own mount.
    unsafe { libc::mount(std::ptr::null(), t.as_ptr(), fstype.as_ptr(), libc::MS_REMOUNT | libc::MS_RDONLY, o.as_ptr().cast()) };
}

fn walk_reads(mnt: &str, seed: u64, tracer: Option<&mut Tracer>) {
    let root = Path::new(mnt);
    let m = cstr(root);
    // SAFETY: statfs of our mount point into a zeroed struct.
    let _ = unsafe {
        let mut st: libc::statfs = std::mem::zeroed();
        libc::statfs(m.as_ptr(), &mut st)
    };
    let opts = manifest::Opts { max_read: READ_CAP, ..Default::default() };
    match tracer {
        Some(t) => {
            manifest::write(root, &opts, t);
            readcheck::write(root, seed, READ_CAP, t);
        }
        None => {
            manifest::write(root, &opts, &mut std::io::sink());
            readcheck::write(root, seed, READ_CAP, &mut std::io::sink());
        }
    }
}

fn umount(mnt: &str) {
    let m = cstr(Path::new(mnt));
    // SAFETY: unmounting our own mount point by a valid C path.
    if unsafe { libc::umount(m.as_ptr()) } != 0 {
        fail(format!("umount {mnt}: {}", std::io::Error::last_os_error()));
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
    let ok = unsafe { libc::mount(s.as_ptr(), t.as_ptr(), fstype.as_ptr(), libc::MS_RDONLY, o.as_ptr().cast()) == 0 };
    if !ok && std::env::var_os("EROFS_FUZZ_DEBUG").is_some() {
        eprintln!("mount {source} {target} -o {options}: {}", std::io::Error::last_os_error());
    }
    ok
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
    /// Binds `file` (read-only) to a free loop device; returns it and its
    /// path. Devices are taken as the kernel finds them free, not by
    /// number: tests hold loop devices of their own.
    fn attach(file: &str) -> (LoopDev, String) {
        const LOOP_CTL_GET_FREE: libc::c_ulong = 0x4C82;
        let ctl = File::open("/dev/loop-control").unwrap_or_else(|e| fail(format!("/dev/loop-control: {e}")));
        let f = File::open(file).unwrap_or_else(|e| fail(format!("{file}: {e}")));
        let mut cfg = LoopConfig { fd: f.as_raw_fd() as u32, block_size: 0, info: [0; 232], reserved: [0; 8] };
        cfg.info[52..56].copy_from_slice(&LO_FLAGS_READ_ONLY.to_ne_bytes());
        // Another worker may bind the device found free first: try again.
        for _ in 0..100 {
            // SAFETY: LOOP_CTL_GET_FREE takes no argument.
            let n = unsafe { libc::ioctl(ctl.as_raw_fd(), LOOP_CTL_GET_FREE) };
            if n < 0 {
                fail(format!("LOOP_CTL_GET_FREE: {}", std::io::Error::last_os_error()));
            }
            let dev = format!("/dev/loop{n}");
            let d = File::open(&dev).unwrap_or_else(|e| fail(format!("{dev}: {e}")));
            // SAFETY: LOOP_CONFIGURE reads a struct loop_config, which `cfg`
            // lays out; the backing fd stays open for the call.
            if unsafe { libc::ioctl(d.as_raw_fd(), LOOP_CONFIGURE, &cfg) } == 0 {
                return (LoopDev(d), dev);
            }
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EBUSY) {
                fail(format!("LOOP_CONFIGURE {dev}: {e}"));
            }
        }
        fail("no free loop device".into())
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
