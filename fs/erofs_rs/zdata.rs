// SPDX-License-Identifier: GPL-2.0

//! Compressed data (fs/erofs/zdata.c): the extent walk of the format core
//! (`format::zdata`) fed with decoded extents from buffers of this mount.
//!
//! A [`ZReader`] serves one `read_folio` or one readahead batch (decoded
//! on the module's workqueue when larger than a few pages, as the C
//! driver decodes readahead after its bios complete; see
//! `data::readahead`). It keeps the extent it decoded last, so the folios
//! of a readahead batch that share an extent are filled from one
//! decompression; the page locks of those folios make concurrent readers
//! of the same range wait for it rather than decode again.
//!
//! The C driver decompresses straight into the page-cache folios a
//! pcluster covers (vmapping them, with bounce pages for the parts of an
//! extent outside the request). Here an extent that lies wholly inside
//! one folio being read (regular files have large folios, addressed as
//! one slice) is decoded straight into it; any other is decoded into a
//! buffer of the mount and copied out, which keeps the format core free
//! of page handling and maps nothing (under TCG a `vm_map_ram` teardown
//! cost more than the copy, docs/compressed-reads-2026-11-29.md).
//! Buffers come from a small per-mount pool, so steady reading allocates
//! nothing.
//!
//! `cache_strategy=`: the C driver keeps compressed pages in a managed
//! cache unless it is `disabled`. Here compressed bytes are always read
//! through the device's page cache (reclaimable like any page cache; the
//! pclusters of a request are read at once before any is decoded), and
//! the strategy decides what
//! happens to the decoded extent a reader ends with: `disabled` drops it;
//! `readahead` and `readaround` keep it among the last few (at most
//! [`ZCACHE_BYTES`]), so the next batch or a nearby random read that
//! starts inside it does not decode it again.

use crate::data::MetaSource;
use crate::decompressor::{Decompressors, KernelDecompressor};
use crate::format::decompress::decode_extent;
use crate::format::inode::InodeLayout;
use crate::format::zdata::{self as fz, ReadCtx};
use crate::format::zmap::{self, ZExtent, ZInfo, ZKind};
use crate::format::{self, data::DeviceMode, read_exact, Source};
use crate::super_::{CacheStrategy, Erofs, ErofsSb};
use crate::vfs::address_space::{self, Ops};
use crate::vfs::{Inode, LockedFolio, Readahead};
use kernel::prelude::*;
use kernel::sync::{new_mutex, Mutex};

/// Decoded bytes a mount keeps at most (one largest extent, 12 MiB, fits).
const ZCACHE_BYTES: usize = 16 << 20;

/// Free buffers a mount keeps for reuse, and the largest it keeps: larger
/// ones (extents of big pclusters) are freed after use.
const FREE_BUFFERS: usize = 8;
const FREE_BUFFER_MAX: usize = 1 << 20;

/// Decoded extents kept in the cache (see the module comment).
const CACHED_EXTENTS: usize = 4;

/// A decoded extent `ext` of inode `nid`: bytes `[ext.la, ext.la + len)`
/// of the file in `buf[..len]`.
struct Decoded {
    nid: u64,
    ext: ZExtent,
    len: usize,
    buf: KVVec<u8>,
}

impl Decoded {
    fn is(&self, nid: u64, ext: &ZExtent) -> bool {
        self.nid == nid && self.ext == *ext
    }
}

/// Decoded extents kept after their reader ended, and free buffers.
struct Buffers {
    cached: [Option<Decoded>; CACHED_EXTENTS],
    next: usize,
    free: [Option<KVVec<u8>>; FREE_BUFFERS],
}

impl Buffers {
    /// Takes the cached extent `ext` of `nid`, if any.
    fn take_cached(&mut self, nid: u64, ext: &ZExtent) -> Option<Decoded> {
        self.cached.iter_mut().find(|d| matches!(d, Some(d) if d.is(nid, ext)))?.take()
    }

    /// A buffer of at least `len` bytes: a free one or a new one.
    fn take_free(&mut self, len: usize) -> Option<KVVec<u8>> {
        self.free.iter_mut().find(|b| matches!(b, Some(b) if b.len() >= len))?.take()
    }

    fn give_back(&mut self, buf: KVVec<u8>) {
        // With no free slot, or when large, the buffer is simply freed.
        if buf.len() <= FREE_BUFFER_MAX {
            if let Some(slot) = self.free.iter_mut().find(|b| b.is_none()) {
                *slot = Some(buf);
            }
        }
    }

    fn keep(&mut self, d: Decoded) {
        let n = self.cached.len();
        let slot = self.next % n;
        if let Some(old) = self.cached[slot].take() {
            self.give_back(old.buf);
        }
        // Evict the oldest entries until the new one fits the budget.
        let mut i = 1;
        while self.cached.iter().flatten().map(|e| e.len).sum::<usize>() + d.len > ZCACHE_BYTES && i < n {
            if let Some(old) = self.cached[(slot + i) % n].take() {
                self.give_back(old.buf);
            }
            i += 1;
        }
        self.cached[slot] = Some(d);
        self.next = slot + 1;
    }
}

/// Per-mount state of compressed reads.
#[pin_data]
pub(crate) struct ZState {
    #[pin]
    buffers: Mutex<Buffers>,
    #[pin]
    decompressors: Decompressors,
}

impl ZState {
    pub(crate) fn new() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            buffers <- new_mutex!(Buffers {
                cached: [const { None }; CACHED_EXTENTS],
                next: 0,
                free: [const { None }; FREE_BUFFERS],
            }),
            decompressors <- Decompressors::new(),
        })
    }
}

/// Reads of one `read_folio` or readahead batch (see the module comment).
pub(crate) struct ZReader<'a> {
    sbi: &'a ErofsSb,
    /// The map header of the inode being read, read when it was loaded.
    zinfo: Option<(u64, format::Result<ZInfo>)>,
    last: Option<Decoded>,
    /// Decode whole extents (readahead) rather than what a read needs.
    whole: bool,
    /// The buffer multi-block pclusters are read into.
    stored: Option<KVVec<u8>>,
    /// Device and byte range of the last device read this reader
    /// started.
    prefetched: (u16, u64, u64),
}

impl<'a> ZReader<'a> {
    pub(crate) fn new(sbi: &'a ErofsSb, inode_zinfo: Option<(u64, format::Result<ZInfo>)>) -> Self {
        Self { sbi, zinfo: inode_zinfo, last: None, whole: false, stored: None, prefetched: (0, 0, 0) }
    }

    /// A reader for a readahead batch of `batch_len` bytes. Batches of
    /// more than a page, which the VFS makes for sequential reads, decode
    /// whole extents: readahead fills every folio of an extent, and keeps
    /// what passes the batch's end for the next one. A one-page batch (a
    /// random read) decodes what it needs, as `read_folio` does.
    pub(crate) fn whole_extents(mut self, batch_len: u64) -> Self {
        self.whole = batch_len > crate::vfs::PAGE_SIZE as u64;
        self
    }

    /// The file range `[la, la + llen)` of the extent holding byte `pos`
    /// of compressed `inode` (to the next pcluster), `None` when it
    /// cannot be mapped (the read that follows reports why).
    pub(crate) fn extent_of(&self, inode: &InodeLayout, pos: u64) -> Option<(u64, u64)> {
        let zi = self.zinfo(inode).ok()?;
        let ext = zmap::map(&self.sbi.src, &self.sbi.disk, inode, &zi, pos, true).ok()?;
        Some((ext.la, ext.la.checked_add(ext.llen)?))
    }

    /// Starts the device reads of every pcluster behind file bytes
    /// `[start, start + len)` of `inode` before any of them is decoded,
    /// pclusters that follow each other on the device in one read: a
    /// request then waits for one round of I/O rather than one per
    /// pcluster (a page across an extent boundary spans two, common with
    /// 4 KiB pclusters), as the C driver submits every bio of a request
    /// before it decodes (z_erofs_runqueue). Nothing past the request is
    /// read: the VFS's readahead window says how far ahead a reader
    /// wants. Errors are left to the decode that follows.
    pub(crate) fn prefetch_pclusters(&mut self, inode: &InodeLayout, start: u64, len: u64) {
        /// Extents a request walks at most (a bound on a corrupt map; a
        /// request is at most a readahead window, a few hundred pages).
        const MAX_EXTENTS: usize = 1024;
        let sbi = self.sbi;
        let Ok(zi) = self.zinfo(inode) else { return };
        let end = start.saturating_add(len).min(inode.size);
        let mut pos = start;
        // The run of adjacent pclusters not started yet: device, range.
        let mut run: Option<(u16, u64, u64)> = None;
        for _ in 0..MAX_EXTENTS {
            if pos >= end {
                break;
            }
            let Ok(ext) = zmap::map(&sbi.src, &sbi.disk, inode, &zi, pos, true) else { break };
            let ext_end = ext.la.saturating_add(ext.llen);
            if ext.la > pos || ext_end <= pos {
                break;
            }
            pos = ext_end;
            if ext.inline || matches!(ext.kind, ZKind::Fragment { .. } | ZKind::Hole) {
                continue;
            }
            let Ok((dev, off)) = fz::stored_location(&sbi.src, &sbi.disk, sbi.devices, &ext) else { break };
            let pend = off.saturating_add(ext.plen);
            run = match run {
                Some((d, s, e)) if d == dev && e == off => Some((d, s, pend)),
                // Deduplicated pclusters may be shared or out of order.
                Some((d, s, e)) if d == dev && off >= s && pend <= e => Some((d, s, e)),
                other => {
                    self.start_read(other);
                    Some((dev, off, pend))
                }
            };
        }
        self.start_read(run);
    }

    /// Starts reading a run of pclusters (see `prefetch_pclusters`).
    fn start_read(&mut self, run: Option<(u16, u64, u64)>) {
        if let Some((dev, start, end)) = run {
            self.sbi.src.prefetch(dev, start, end - start);
            self.prefetched = (dev, start, end);
        }
    }

    /// A buffer of at least `len` bytes, reusing `spare` when it is large
    /// enough.
    fn buffer(&self, len: usize, spare: Option<KVVec<u8>>) -> format::Result<KVVec<u8>> {
        if let Some(b) = spare {
            if b.len() >= len {
                return Ok(b);
            }
            self.sbi.z.buffers.lock().give_back(b);
        }
        if let Some(b) = self.sbi.z.buffers.lock().take_free(len) {
            return Ok(b);
        }
        // New buffers are made a power of two long, at least a page, so
        // that the pool's buffers serve extents of other sizes (made to
        // each extent's own size, a buffer fits only the extents no
        // longer than the one it was made for).
        let size = len.max(4096).checked_next_power_of_two().unwrap_or(len);
        KVVec::from_elem(0u8, size, GFP_KERNEL).map_err(|_| format::Error::NoMemory)
    }

    /// Decodes the first `len` bytes of extent `ext` into a buffer.
    fn decode(&mut self, nid: u64, ext: &ZExtent, len: usize, spare: Option<KVVec<u8>>) -> format::Result<Decoded> {
        let mut out = self.buffer(len, spare)?;
        let r = match out.get_mut(..len) {
            Some(o) => self.decode_to(ext, o),
            None => Err(format::Error::NoMemory),
        };
        match r {
            Ok(()) => Ok(Decoded { nid, ext: *ext, len, buf: out }),
            Err(e) => {
                self.sbi.z.buffers.lock().give_back(out);
                Err(e)
            }
        }
    }

    /// Decodes the first `out.len()` bytes of extent `ext` into `out`.
    fn decode_to(&mut self, ext: &ZExtent, out: &mut [u8]) -> format::Result<()> {
        let sbi = self.sbi;
        let plen = usize::try_from(ext.plen).map_err(|_| format::Error::BadCompressedLayout)?;
        let (dev, off) = fz::stored_location(&sbi.src, &sbi.disk, sbi.devices, ext)?;
        let end = off.saturating_add(ext.plen);
        let (pdev, pstart, pend) = self.prefetched;
        if !ext.inline && !(pdev == dev && off >= pstart && end <= pend) {
            // One I/O for the whole pcluster rather than one per page
            // (unless `prefetch_pclusters` started it with the others of
            // the request).
            sbi.src.prefetch(dev, off, ext.plen);
            self.prefetched = (dev, off, end);
        }
        self.decode_into(ext, dev, off, plen, out)
    }

    /// Decodes the pcluster of `ext` (`plen` bytes at `off` on `dev`)
    /// into `out`.
    fn decode_into(&mut self, ext: &ZExtent, dev: u16, off: u64, plen: usize, out: &mut [u8]) -> format::Result<()> {
        let sbi = self.sbi;
        let blksz = sbi.disk.block_size();
        let dec = &mut KernelDecompressor::new(&sbi.z.decompressors, sbi.disk.compression.lzma_dict_size);
        if plen > 0 && off % blksz as u64 + plen as u64 <= blksz as u64 {
            // Within one block: decode from the device's page cache
            // rather than from a copy.
            let stored = sbi.src.bytes(dev, off, plen)?;
            return decode_extent(&sbi.disk, ext, &stored, out, dec);
        }
        // Larger pclusters are decoded where the page cache holds them,
        // mapped as one run, as C maps them (z_erofs_lz4_handle_overlap);
        // when that cannot be done (too many pages, no address space),
        // they are gathered into this reader's buffer, kept for the next
        // one.
        if let Ok(run) = sbi.src.map_run(dev, off, plen) {
            return decode_extent(&sbi.disk, ext, &run, out, dec);
        }
        let mut stored = match self.stored.take() {
            Some(b) if b.len() >= plen => b,
            other => {
                if let Some(b) = other {
                    sbi.z.buffers.lock().give_back(b);
                }
                self.buffer(plen, None)?
            }
        };
        let r = match stored.get_mut(..plen) {
            Some(s) => read_exact(&sbi.src, dev, off, blksz, s).and_then(|()| decode_extent(&sbi.disk, ext, s, out, dec)),
            None => Err(format::Error::NoMemory),
        };
        self.stored = Some(stored);
        r
    }
}

impl ReadCtx for ZReader<'_> {
    type Src = MetaSource;
    fn src(&self) -> &MetaSource {
        &self.sbi.src
    }
    fn sb(&self) -> &format::super_block::SuperBlock {
        &self.sbi.disk
    }
    fn device_mode(&self) -> DeviceMode {
        self.sbi.devices
    }
    fn zinfo(&self, inode: &InodeLayout) -> format::Result<ZInfo> {
        match &self.zinfo {
            Some((nid, zi)) if *nid == inode.nid => *zi,
            _ => ZInfo::read(&self.sbi.src, &self.sbi.disk, inode),
        }
    }
    fn cached_extent(&self, nid: u64, pos: u64) -> Option<ZExtent> {
        let d = self.last.as_ref().filter(|d| d.nid == nid)?;
        (d.ext.la <= pos && pos - d.ext.la < d.len as u64).then_some(d.ext)
    }
    fn copy_decoded(&mut self, nid: u64, ext: &ZExtent, from: usize, out: &mut [u8]) -> format::Result<()> {
        let need = from.checked_add(out.len()).ok_or(format::Error::BadCompressedLayout)?;
        if !matches!(&self.last, Some(d) if d.is(nid, ext) && d.len >= need) {
            let cached = self.sbi.z.buffers.lock().take_cached(nid, ext);
            if cached.is_none() && from == 0 && out.len() as u64 == ext.llen {
                // The read wants the whole extent (it lies inside one
                // large folio): decoded straight into it, no buffer and
                // no copy, as the C driver decodes into the page cache.
                return self.decode_to(ext, out);
            }
            let d = match cached.or_else(|| self.last.take()) {
                Some(d) if d.is(nid, ext) && d.len >= need => d,
                other => {
                    // Decode again what a partial decode of this extent
                    // left short, in its buffer.
                    let (prev, spare) = match other {
                        Some(d) if d.is(nid, ext) => (d.len, Some(d.buf)),
                        Some(d) => {
                            self.finish(d);
                            (0, None)
                        }
                        None => (0, None),
                    };
                    // A whole extent for readahead; for single folios what
                    // the read needs, at least twice what an earlier
                    // partial decode gave (so a page-by-page reader does at
                    // most twice the work of one whole decode).
                    let llen = usize::try_from(ext.llen).map_err(|_| format::Error::BadCompressedLayout)?;
                    let target = if self.whole { llen } else { need.max(prev.saturating_mul(2)).min(llen) };
                    self.decode(nid, ext, target, spare)?
                }
            };
            if let Some(old) = self.last.replace(d) {
                self.finish(old);
            }
        }
        let d = self.last.as_ref().ok_or(format::Error::Io)?;
        let src = d.buf.get(from..from + out.len()).filter(|_| from + out.len() <= d.len);
        out.copy_from_slice(src.ok_or(format::Error::BadCompressedLayout)?);
        Ok(())
    }
}

impl ZReader<'_> {
    /// Keeps or frees an extent this reader is done with.
    fn finish(&self, d: Decoded) {
        let mut buffers = self.sbi.z.buffers.lock();
        if self.sbi.opts.cache_strategy == CacheStrategy::Disabled || d.len > ZCACHE_BYTES {
            buffers.give_back(d.buf);
        } else {
            buffers.keep(d);
        }
    }
}

impl Drop for ZReader<'_> {
    fn drop(&mut self) {
        if let Some(d) = self.last.take() {
            self.finish(d);
        }
        if let Some(b) = self.stored.take() {
            self.sbi.z.buffers.lock().give_back(b);
        }
    }
}

/// z_erofs_aops: compressed inodes, decoded into their page cache (by
/// `data::read_folio` and `data::readahead`, which read through a
/// [`ZReader`]). No O_DIRECT, as in the C driver.
struct ZAops;

pub(crate) static Z_EROFS_AOPS: Ops<Erofs> = Ops::new::<ZAops>();

#[vtable]
impl address_space::Operations for ZAops {
    type FileSystem = Erofs;

    fn read_folio(inode: &Inode<Erofs>, folio: LockedFolio) -> Result {
        crate::data::read_folio(inode, folio)
    }

    fn readahead(inode: &Inode<Erofs>, ra: &mut Readahead) {
        crate::data::readahead(inode, ra)
    }
}
