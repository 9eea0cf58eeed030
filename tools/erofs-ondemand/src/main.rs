// SPDX-License-Identifier: GPL-2.0
//! erofs-ondemand: the user daemon of EROFS fscache on-demand mounts.
//!
//! It binds a cachefiles cache in on-demand mode (`/dev/cachefiles`) and
//! answers the kernel's requests: OPEN (a blob is needed: say how big it
//! is), READ (a range is not cached yet: write it into the cache file) and
//! CLOSE. Blobs come from a local directory (`--blobs DIR`, blob NAME is
//! the file DIR/NAME) or over HTTP (`--url URL`, blob NAME is URL/NAME,
//! fetched range by range as it is read). What is written to the cache stays there: later
//! reads, also after a restart, never reach the daemon.
//!
//! The protocol is cachefiles' (Documentation/filesystems/caching/
//! cachefiles.rst, "On-demand Read"; include/uapi/linux/cachefiles.h).

use std::collections::HashMap;
use std::ffi::CString;
use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use erofs_ondemand::http;

const USAGE: &str = "usage: erofs-ondemand --cache DIR [--tag TAG] (--blobs DIR | --url URL [--prefetch BYTES])
                      [--device PATH] [--quiet]
                      [--supervise [--worker-pid FILE]] [--read-delay MS]

Binds the cachefiles cache in DIR (on a filesystem with xattrs and
sync_fs, such as ext4; not tmpfs) in on-demand mode and serves blob NAME
from the file (or block device) NAME of the --blobs directory as the
kernel asks for it. With --url, blob NAME is fetched from URL/NAME
(http://) with Range requests: only the ranges read, in 64 KiB-aligned
pieces, plus --prefetch bytes ahead of reads that continue the previous
one (default 1 MiB). --tag names the cache (default: cachefiles' own,
\"CacheFiles\"). Runs until killed; the cache is unbound when the daemon
exits.

--supervise: failover. This process keeps the cache bound and serves
requests in a worker process; when the worker dies (crash, kill -9), a
new one takes over, has cachefiles resend what the old one left
unanswered (\"restore\") and goes on: readers see no error. --worker-pid
writes the current worker's pid to FILE. --read-delay answers each READ
request MS milliseconds late, as a slow network would (for tests).";

/// Request opcodes (enum cachefiles_opcode).
const OP_OPEN: u32 = 0;
const OP_CLOSE: u32 = 1;
const OP_READ: u32 = 2;
/// Largest request the kernel sends (CACHEFILES_MSG_MAX_SIZE).
const MSG_MAX: usize = 1024;
/// _IOW(0x98, 1, int): a READ request is answered.
const IOC_READ_COMPLETE: libc::c_ulong = (1 << 30) | (4 << 16) | (0x98 << 8) | 1;
/// Cache files are written with direct I/O: buffers and offsets aligned.
const ALIGN: usize = 4096;
/// How much of a READ request is copied at a time.
const CHUNK: usize = 1 << 20;

struct Options {
    cache: PathBuf,
    tag: Option<String>,
    source: Source,
    prefetch: u64,
    device: PathBuf,
    quiet: bool,
    supervise: bool,
    worker_pid: Option<PathBuf>,
    read_delay: std::time::Duration,
}

fn parse_args() -> Result<Options, String> {
    let mut args = std::env::args_os().skip(1);
    let (mut cache, mut tag, mut blobs, mut device, mut quiet) = (None, None, None, PathBuf::from("/dev/cachefiles"), false);
    let (mut supervise, mut worker_pid, mut read_delay) = (false, None, std::time::Duration::ZERO);
    let mut prefetch = 1 << 20;
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{} needs a value", a.to_string_lossy()));
        match a.to_str() {
            Some("--cache") => cache = Some(PathBuf::from(value()?)),
            Some("--tag") => tag = Some(value()?.to_string_lossy().into_owned()),
            Some("--blobs") => blobs = Some(Source::Dir(PathBuf::from(value()?))),
            Some("--url") => blobs = Some(Source::Http(http::HttpBlobs::new(&value()?.to_string_lossy())?)),
            Some("--prefetch") => {
                let v = value()?;
                prefetch = v.to_str().and_then(|v| v.parse().ok()).ok_or("--prefetch takes a byte count")?;
            }
            Some("--device") => device = PathBuf::from(value()?),
            Some("--quiet") => quiet = true,
            Some("--supervise") => supervise = true,
            Some("--read-delay") => {
                let v = value()?;
                let ms = v.to_str().and_then(|v| v.parse().ok()).ok_or("--read-delay takes milliseconds")?;
                read_delay = std::time::Duration::from_millis(ms);
            }
            Some("--worker-pid") => worker_pid = Some(PathBuf::from(value()?)),
            Some("-h" | "--help") => return Err(String::new()),
            _ => return Err(format!("unknown argument {}", a.to_string_lossy())),
        }
    }
    Ok(Options {
        cache: cache.ok_or("--cache is required")?,
        tag,
        source: blobs.ok_or("--blobs or --url is required")?,
        prefetch,
        device,
        quiet,
        supervise,
        worker_pid,
        read_delay,
    })
}

/// The filesystem magic of tmpfs, which cachefiles cannot cache on.
const TMPFS_MAGIC: libc::c_long = 0x0102_1994;

/// Refuses a cache directory cachefiles cannot use, saying why, before the
/// kernel answers with a bare errno.
fn check_cache_dir(dir: &Path) -> Result<(), String> {
    let c = CString::new(dir.as_os_str().as_bytes()).map_err(|_| "cache path contains NUL".to_string())?;
    // SAFETY: a valid C string and a zeroed statfs buffer for the call.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
        return Err(format!("cache directory {}: {}", dir.display(), io::Error::last_os_error()));
    }
    if st.f_type as libc::c_long == TMPFS_MAGIC {
        return Err(format!(
            "cache directory {} is on tmpfs, which cachefiles cannot use (no sync_fs): put it on ext4, xfs or btrfs",
            dir.display()
        ));
    }
    Ok(())
}

/// One cachefiles command: each write is one command.
fn command(dev: &File, cmd: &str) -> io::Result<()> {
    let mut d = dev;
    d.write(cmd.as_bytes()).map(|_| ())
}

/// Blob sizes by "volume/name", in a file of "size key" lines.
struct Sizes {
    path: PathBuf,
    known: HashMap<String, u64>,
}

impl Sizes {
    fn load(path: PathBuf) -> Self {
        let mut known = HashMap::new();
        if let Ok(text) = std::fs::read_to_string(&path) {
            for line in text.lines() {
                if let Some((size, key)) = line.split_once(' ') {
                    if let Ok(size) = size.parse() {
                        known.insert(key.to_string(), size);
                    }
                }
            }
        }
        Sizes { path, known }
    }

    fn get(&self, key: &str) -> Option<u64> {
        self.known.get(key).copied()
    }

    fn record(&mut self, key: &str, size: u64) {
        if key.contains('\n') {
            return;
        }
        self.known.insert(key.to_string(), size);
        let line = format!("{size} {key}\n");
        let written = File::options().create(true).append(true).open(&self.path).and_then(|mut f| f.write_all(line.as_bytes()));
        if let Err(e) = written {
            eprintln!("erofs-ondemand: {}: {e}", self.path.display());
        }
    }
}

/// Where blobs come from.
enum Source {
    Dir(PathBuf),
    Http(http::HttpBlobs),
}

/// A blob's bytes: an open file, or a name on the HTTP server.
enum BlobData {
    File(File),
    Http(String),
}

/// Alignment of the ranges fetched over HTTP.
const HTTP_ALIGN: u64 = 64 << 10;

/// A blob being served: the cache file's anonymous fd and the source.
struct Object {
    name: String,
    fd: OwnedFd,
    blob: BlobData,
    size: u64,
    /// Where the last READ request ended: a request starting there is
    /// sequential, and worth fetching ahead of.
    next: u64,
}

struct Daemon {
    dev: File,
    source: Source,
    prefetch: u64,
    objects: HashMap<u32, Object>,
    /// The sizes of the blobs opened so far (a blob never changes), kept
    /// in the cache directory: a daemon restarted on the cache answers
    /// OPEN without the network, and cached ranges never reach it.
    sizes: Sizes,
    quiet: bool,
    read_delay: std::time::Duration,
    /// Bytes written into the cache, for the log.
    served: u64,
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// A buffer at a 4 KiB-aligned address, for direct I/O.
struct Aligned {
    storage: Vec<u8>,
    start: usize,
}

impl Aligned {
    fn new(len: usize) -> Self {
        let storage = vec![0u8; len + ALIGN];
        let start = storage.as_ptr().align_offset(ALIGN);
        Aligned { storage, start }
    }

    fn get(&mut self, len: usize) -> &mut [u8] {
        &mut self.storage[self.start..self.start + len]
    }
}

impl Daemon {
    fn log(&self, msg: std::fmt::Arguments<'_>) {
        if !self.quiet {
            eprintln!("erofs-ondemand: {msg}");
        }
    }

    /// OPEN: the kernel needs blob `cookie key` of `volume key`; answer
    /// with its size, or with an error.
    fn open(&mut self, msg_id: u32, object_id: u32, payload: &[u8]) -> io::Result<()> {
        let (Some(vsize), Some(csize), Some(fd)) = (le32(payload, 0), le32(payload, 4), le32(payload, 8)) else {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "short OPEN request"));
        };
        // SAFETY: the kernel installed this fd in our table for us.
        let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
        let keys = payload.get(16..).unwrap_or(&[]);
        let volume = keys.get(..vsize as usize).unwrap_or(&[]);
        let volume = String::from_utf8_lossy(volume.strip_suffix(&[0]).unwrap_or(volume)).into_owned();
        let cookie = keys.get(vsize as usize..(vsize + csize) as usize).unwrap_or(&[]);
        let name = String::from_utf8_lossy(cookie).into_owned();
        let answer = match self.open_blob(&volume, cookie) {
            Ok((blob, size)) => {
                self.log(format_args!("open {volume} / {name}: {size} bytes"));
                self.objects.insert(object_id, Object { name, fd, blob, size, next: u64::MAX });
                size as i64
            }
            Err(e) => {
                eprintln!("erofs-ondemand: open {volume} / {name}: {e}");
                -(e.raw_os_error().unwrap_or(libc::ENOENT) as i64)
            }
        };
        command(&self.dev, &format!("copen {msg_id},{answer}"))
    }

    fn open_blob(&mut self, volume: &str, name: &[u8]) -> io::Result<(BlobData, u64)> {
        // A cookie key is a name, never a path.
        if name.is_empty() || name.contains(&b'/') || name == b"." || name == b".." || name.contains(&0) {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        match &self.source {
            Source::Dir(dir) => {
                let mut f = File::open(dir.join(std::ffi::OsStr::from_bytes(name)))?;
                // The end, not the metadata: a blob may be a block device.
                let size = f.seek(SeekFrom::End(0))?;
                Ok((BlobData::File(f), size))
            }
            Source::Http(h) => {
                let name = std::str::from_utf8(name).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
                let key = format!("{volume}/{name}");
                let size = match self.sizes.get(&key) {
                    Some(size) => size,
                    None => {
                        let size = h.size(name)?;
                        self.sizes.record(&key, size);
                        size
                    }
                };
                Ok((BlobData::Http(name.to_string()), size))
            }
        }
    }

    /// READ: copy `[off, off + len)` of the blob (up to its end) into the
    /// cache file, then tell the kernel it is there.
    fn read(&mut self, msg_id: u32, object_id: u32, payload: &[u8]) -> io::Result<()> {
        let (Some(off), Some(len)) = (le64(payload, 0), le64(payload, 8)) else {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "short READ request"));
        };
        let Some(obj) = self.objects.get_mut(&object_id) else {
            return Err(io::Error::new(io::ErrorKind::NotFound, format!("READ for unknown object {object_id}")));
        };
        std::thread::sleep(self.read_delay);
        let end = off.saturating_add(len).min(obj.size);
        // What to fetch: the request; over HTTP, whole aligned pieces and,
        // when the request continues the previous one, more ahead of it.
        let (mut pos, mut stop) = (off, end);
        if matches!(obj.blob, BlobData::Http(_)) {
            pos = off - off % HTTP_ALIGN;
            stop = end.div_ceil(HTTP_ALIGN).saturating_mul(HTTP_ALIGN);
            if off == obj.next {
                stop = stop.saturating_add(self.prefetch);
            }
            stop = stop.min(obj.size);
        }
        obj.next = end;
        let mut result = Ok(());
        let mut buf = Aligned::new(CHUNK);
        while pos < stop {
            let n = ((stop - pos) as usize).min(CHUNK);
            let chunk = buf.get(n);
            let got = match (&obj.blob, &self.source) {
                (BlobData::File(f), _) => f.read_exact_at(chunk, pos),
                (BlobData::Http(name), Source::Http(h)) => h.read_at(name, chunk, pos),
                (BlobData::Http(_), Source::Dir(_)) => Err(io::Error::from_raw_os_error(libc::EINVAL)),
            };
            if let Err(e) = got {
                result = Err(e);
                break;
            }
            // The cache file is written with direct I/O, and read in
            // pages: a short last page is padded with zeros (the cache's
            // size says where the blob ends).
            let padded = n.next_multiple_of(ALIGN);
            let chunk = buf.get(padded);
            chunk[n..].fill(0);
            // SAFETY: a valid fd and buffer for the call.
            let w = unsafe { libc::pwrite(obj.fd.as_raw_fd(), chunk.as_ptr().cast(), padded, pos as i64) };
            if w != padded as isize {
                result = Err(if w < 0 { io::Error::last_os_error() } else { io::Error::new(io::ErrorKind::WriteZero, "short write") });
                break;
            }
            self.served += n as u64;
            pos += n as u64;
        }
        let name = obj.name.clone();
        // Answered in every case: a reader waits for it. Without the data,
        // the kernel sees the range still missing and fails the read.
        // SAFETY: a valid fd; the argument is the request's id.
        let r = unsafe { libc::ioctl(obj.fd.as_raw_fd(), IOC_READ_COMPLETE, msg_id as libc::c_ulong) };
        match result {
            Ok(()) => self.log(format_args!("read {name} {off}+{len}")),
            Err(e) => eprintln!("erofs-ondemand: read {name} {off}+{len}: {e}"),
        }
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    fn handle(&mut self, msg: &[u8]) -> io::Result<()> {
        let (Some(msg_id), Some(opcode), Some(len), Some(object_id)) = (le32(msg, 0), le32(msg, 4), le32(msg, 8), le32(msg, 12)) else {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "short message"));
        };
        let payload = msg.get(16..(len as usize).min(msg.len())).unwrap_or(&[]);
        match opcode {
            OP_OPEN => self.open(msg_id, object_id, payload),
            OP_READ => self.read(msg_id, object_id, payload),
            OP_CLOSE => {
                if let Some(o) = self.objects.remove(&object_id) {
                    self.log(format_args!("close {}", o.name));
                }
                Ok(())
            }
            _ => Err(io::Error::new(io::ErrorKind::InvalidData, format!("unknown opcode {opcode}"))),
        }
    }

    fn run(&mut self) -> io::Result<()> {
        let mut buf = [0u8; MSG_MAX];
        loop {
            let mut pfd = libc::pollfd { fd: self.dev.as_raw_fd(), events: libc::POLLIN, revents: 0 };
            // SAFETY: one valid pollfd.
            if unsafe { libc::poll(&mut pfd, 1, -1) } < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            // SAFETY: a valid fd and buffer.
            let n = unsafe { libc::read(self.dev.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n < 0 {
                let e = io::Error::last_os_error();
                // Nothing pending after all (another reader took it).
                if matches!(e.raw_os_error(), Some(libc::EAGAIN) | Some(libc::EINTR)) {
                    continue;
                }
                return Err(e);
            }
            if n == 0 {
                continue;
            }
            if let Err(e) = self.handle(&buf[..n as usize]) {
                eprintln!("erofs-ondemand: {e}");
            }
        }
    }
}

fn main() -> ExitCode {
    let opts = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("erofs-ondemand: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = check_cache_dir(&opts.cache) {
        eprintln!("erofs-ondemand: {e}");
        return ExitCode::from(1);
    }
    let dev = match File::options().read(true).write(true).open(&opts.device) {
        Ok(f) => f,
        Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
            eprintln!(
                "erofs-ondemand: {}: another process has /dev/cachefiles open (cachefiles serves one daemon, and one cache, at a time)",
                opts.device.display()
            );
            return ExitCode::from(1);
        }
        Err(e) => {
            eprintln!("erofs-ondemand: {}: {e} (is the cachefiles module loaded?)", opts.device.display());
            return ExitCode::from(1);
        }
    };
    let mut cmds = vec![format!("dir {}", opts.cache.display())];
    if let Some(t) = &opts.tag {
        cmds.push(format!("tag {t}"));
    }
    cmds.push("bind ondemand".to_string());
    for c in &cmds {
        if let Err(e) = command(&dev, c) {
            eprintln!("erofs-ondemand: cachefiles refused \"{c}\": {e}");
            return ExitCode::from(1);
        }
    }
    eprintln!("erofs-ondemand: cache {} bound{}", opts.cache.display(), opts.tag.as_ref().map(|t| format!(" as {t}")).unwrap_or_default());
    // Beside cachefiles' own cache/ and graveyard/ directories.
    let sizes = Sizes::load(opts.cache.join(".erofs-ondemand-sizes"));
    let mut d = Daemon {
        dev,
        sizes,
        source: opts.source,
        prefetch: opts.prefetch,
        objects: HashMap::new(),
        quiet: opts.quiet,
        read_delay: opts.read_delay,
        served: 0,
    };
    if opts.supervise {
        return supervise(&mut d, opts.worker_pid.as_deref());
    }
    serve(&mut d)
}

fn serve(d: &mut Daemon) -> ExitCode {
    match d.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("erofs-ondemand: {} (after serving {} bytes)", e, d.served);
            ExitCode::from(1)
        }
    }
}

/// Failover: workers serve the requests one after the other while this
/// process holds the cache bound (its `/dev/cachefiles` stays open, so
/// the cache and its pending requests survive a worker's death).
fn supervise(d: &mut Daemon, pid_file: Option<&Path>) -> ExitCode {
    let mut generation = 0u64;
    loop {
        // SAFETY: this process has one thread; the child only runs our
        // own code and exits.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            eprintln!("erofs-ondemand: fork: {}", io::Error::last_os_error());
            return ExitCode::from(1);
        }
        if pid == 0 {
            // A worker does not outlive its supervisor (which a stop
            // signal ends): the cache must be unbound then.
            // SAFETY: plain prctl on ourselves.
            unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
            if generation > 0 {
                // The requests the dead worker had taken and not answered
                // are marked new again; objects whose files it held open
                // are reopened (new OPEN requests) before their reads.
                if let Err(e) = command(&d.dev, "restore") {
                    eprintln!("erofs-ondemand: cachefiles refused \"restore\": {e}");
                    std::process::exit(1);
                }
                eprintln!("erofs-ondemand: worker {generation} restored the pending requests");
            }
            std::process::exit(if serve(d) == ExitCode::SUCCESS { 0 } else { 1 });
        }
        if let Some(f) = pid_file {
            if let Err(e) = std::fs::write(f, format!("{pid}\n")) {
                eprintln!("erofs-ondemand: {}: {e}", f.display());
            }
        }
        let mut status = 0;
        // SAFETY: waits for our own child.
        while unsafe { libc::waitpid(pid, &mut status, 0) } < 0 {
            if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                return ExitCode::from(1);
            }
        }
        if libc::WIFSIGNALED(status) {
            eprintln!("erofs-ondemand: worker {generation} (pid {pid}) killed by signal {}; starting another", libc::WTERMSIG(status));
        } else {
            eprintln!("erofs-ondemand: worker {generation} (pid {pid}) exited with {}; starting another", libc::WEXITSTATUS(status));
        }
        generation += 1;
    }
}
