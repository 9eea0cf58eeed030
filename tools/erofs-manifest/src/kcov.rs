//! Kernel code coverage of one thread through KCOV
//! (Documentation/dev-tools/kcov.rst), for the guided fuzzer: which
//! basic blocks of a module the system calls of this thread reached, and
//! in which order (edges).
//!
//! The debug test kernel instruments only erofs_rs
//! (`CONFIG_KCOV_INSTRUMENT_ALL` off, `KCOV_INSTRUMENT` in our Kbuild), so
//! every recorded PC is the module's; [`ModuleText`] still drops any other
//! and turns addresses into offsets from the module's first function,
//! which do not change with where the module was loaded.

use std::collections::HashSet;
use std::io;
use std::os::unix::io::AsRawFd;
use std::sync::atomic::{AtomicU64, Ordering};

/// `_IOR('c', 1, unsigned long)`: sizes the trace buffer, in words.
const KCOV_INIT_TRACE: libc::c_ulong = 0x8008_6301;
/// `_IO('c', 100)`: starts collecting for the calling thread.
const KCOV_ENABLE: libc::c_ulong = 0x6364;
/// `_IO('c', 101)`.
const KCOV_DISABLE: libc::c_ulong = 0x6365;
/// Collect PCs (not comparison operands).
const KCOV_TRACE_PC: libc::c_ulong = 0;

/// The coverage buffer of the thread that opened it.
///
/// # Invariants
///
/// `area` is a shared mapping of `words` u64 words of the KCOV file
/// `file`, alive until drop; word 0 is the count the kernel advances,
/// words 1.. the PCs.
pub struct Kcov {
    file: std::fs::File,
    area: *mut u64,
    words: usize,
}

impl Kcov {
    /// Opens KCOV, maps a buffer of `words` words and starts collecting
    /// for the calling thread (only for it: each worker opens its own).
    pub fn open(words: usize) -> io::Result<Kcov> {
        let file = std::fs::OpenOptions::new().read(true).write(true).open("/sys/kernel/debug/kcov")?;
        let fd = file.as_raw_fd();
        // SAFETY: KCOV_INIT_TRACE takes the buffer size by value.
        if unsafe { libc::ioctl(fd, KCOV_INIT_TRACE, words as libc::c_ulong) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let bytes = words * std::mem::size_of::<u64>();
        // SAFETY: a new shared mapping of the KCOV file, of the size just
        // set; the kernel checks both.
        let area = unsafe { libc::mmap(std::ptr::null_mut(), bytes, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, fd, 0) };
        if area == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let kcov = Kcov { file, area: area.cast(), words };
        // SAFETY: KCOV_ENABLE takes the mode by value.
        if unsafe { libc::ioctl(fd, KCOV_ENABLE, KCOV_TRACE_PC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        kcov.count().store(0, Ordering::Relaxed);
        Ok(kcov)
    }

    fn count(&self) -> &AtomicU64 {
        // SAFETY: word 0 of the live mapping (type invariant), which the
        // kernel updates from this thread's system calls: an atomic view
        // of an aligned u64.
        unsafe { &*(self.area as *const AtomicU64) }
    }

    /// Calls `f` on each PC recorded since the last drain, in order, and
    /// empties the buffer. Returns false when the buffer had filled up
    /// (the kernel then drops what comes after).
    pub fn drain(&self, mut f: impl FnMut(u64)) -> bool {
        let n = (self.count().load(Ordering::Relaxed) as usize).min(self.words - 1);
        for i in 1..=n {
            // SAFETY: i < words, inside the live mapping; the kernel wrote
            // these words before it advanced the count past them, and does
            // not touch them again until the count is reset below.
            f(unsafe { std::ptr::read_volatile(self.area.add(i)) });
        }
        self.count().store(0, Ordering::Relaxed);
        n < self.words - 1
    }
}

impl Drop for Kcov {
    fn drop(&mut self) {
        // SAFETY: KCOV_DISABLE takes no argument; then the mapping made in
        // open() is undone once, as nothing borrows it past this point.
        unsafe {
            libc::ioctl(self.file.as_raw_fd(), KCOV_DISABLE, 0);
            libc::munmap(self.area.cast(), self.words * std::mem::size_of::<u64>());
        }
    }
}

/// A module's functions as /proc/kallsyms lists them, to turn recorded
/// PCs into load-independent offsets and to name what was never reached.
pub struct ModuleText {
    base: u64,
    end: u64,
    /// (offset from `base`, name), sorted by offset.
    functions: Vec<(u32, String)>,
}

impl ModuleText {
    /// Reads the text symbols of `module` (which must be loaded) from
    /// /proc/kallsyms; its size from /sys/module/MODULE/coresize.
    pub fn of(module: &str) -> io::Result<ModuleText> {
        let syms = std::fs::read_to_string("/proc/kallsyms")?;
        let tag = format!("[{module}]");
        let mut raw: Vec<(u64, String)> = syms
            .lines()
            .filter_map(|l| {
                let mut it = l.split_whitespace();
                let (addr, kind, name) = (it.next()?, it.next()?, it.next()?);
                if it.next() != Some(tag.as_str()) || !matches!(kind, "t" | "T") {
                    return None;
                }
                Some((u64::from_str_radix(addr, 16).ok()?, name.to_string()))
            })
            .collect();
        raw.sort();
        raw.dedup_by_key(|(a, _)| *a);
        let Some(&(base, _)) = raw.first() else {
            return Err(io::Error::other(format!("no text symbols of {module} in /proc/kallsyms (not loaded, or addresses hidden)")));
        };
        if base == 0 {
            return Err(io::Error::other("/proc/kallsyms hides addresses (kptr_restrict)"));
        }
        let size: u64 = std::fs::read_to_string(format!("/sys/module/{module}/coresize"))?
            .trim()
            .parse()
            .map_err(|_| io::Error::other("bad coresize"))?;
        let functions = raw.into_iter().map(|(a, n)| ((a - base) as u32, n)).collect();
        Ok(ModuleText { base, end: base.saturating_add(size), functions })
    }

    /// The offset of `pc` in the module, if it is the module's.
    pub fn offset(&self, pc: u64) -> Option<u32> {
        (pc >= self.base && pc < self.end).then(|| (pc - self.base) as u32)
    }

    /// How many functions the module has.
    pub fn function_count(&self) -> usize {
        self.functions.len()
    }

    /// The index of the function holding `offset`.
    pub fn function_of(&self, offset: u32) -> Option<usize> {
        self.functions.partition_point(|(o, _)| *o <= offset).checked_sub(1)
    }

    /// The names of the functions none of `offsets` falls in.
    pub fn unreached<'a>(&'a self, offsets: impl Iterator<Item = &'a u32>) -> Vec<&'a str> {
        let mut hit = vec![false; self.functions.len()];
        for &o in offsets {
            if let Some(f) = self.function_of(o) {
                hit[f] = true;
            }
        }
        self.functions.iter().zip(hit).filter(|(_, h)| !h).map(|((_, n), _)| n.as_str()).collect()
    }
}

/// The blocks (offsets) and edges (pairs of consecutive blocks, as
/// `from << 32 | to`; `from` is 0 at the start of a trace) a run reached.
#[derive(Default)]
pub struct Coverage {
    pub blocks: HashSet<u32>,
    pub edges: HashSet<u64>,
}

impl Coverage {
    /// Adds the trace that `kcov` holds, drained; false if the buffer had
    /// overflowed.
    pub fn add_trace(&mut self, kcov: &Kcov, text: &ModuleText) -> bool {
        let mut prev = 0u32;
        kcov.drain(|pc| {
            if let Some(o) = text.offset(pc) {
                self.blocks.insert(o);
                self.edges.insert(u64::from(prev) << 32 | u64::from(o));
                prev = o;
            }
        })
    }

    /// Merges `other` in; returns how many of its edges were new.
    pub fn merge(&mut self, other: &Coverage) -> usize {
        self.blocks.extend(other.blocks.iter().copied());
        other.edges.iter().filter(|e| self.edges.insert(**e)).count()
    }

    /// How many of `other`'s edges this does not have.
    pub fn new_edges(&self, other: &Coverage) -> usize {
        other.edges.iter().filter(|e| !self.edges.contains(e)).count()
    }

    pub fn clear(&mut self) {
        self.blocks.clear();
        self.edges.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text() -> ModuleText {
        ModuleText { base: 0x1000, end: 0x2000, functions: vec![(0, "a".into()), (0x100, "b".into()), (0x400, "c".into())] }
    }

    #[test]
    fn offsets_and_functions() {
        let t = text();
        assert_eq!(t.offset(0xfff), None);
        assert_eq!(t.offset(0x1000), Some(0));
        assert_eq!(t.offset(0x2000), None);
        assert_eq!(t.function_of(0), Some(0));
        assert_eq!(t.function_of(0xff), Some(0));
        assert_eq!(t.function_of(0x100), Some(1));
        assert_eq!(t.function_of(0x5000), Some(2));
        assert_eq!(t.unreached([0x10u32, 0x450].iter()), vec!["b"]);
    }

    #[test]
    fn merge_counts_new_edges_once() {
        let mut all = Coverage::default();
        let mut one = Coverage::default();
        one.edges.extend([1, 2, 3]);
        one.blocks.extend([7]);
        assert_eq!(all.new_edges(&one), 3);
        assert_eq!(all.merge(&one), 3);
        assert_eq!(all.merge(&one), 0);
        one.edges.insert(4);
        assert_eq!(all.new_edges(&one), 1);
        assert_eq!(all.blocks.len(), 1);
    }
}
