// SPDX-License-Identifier: GPL-2.0

//! Compressed data (fs/erofs/zdata.c).
//!
//! Page-cache reads (`read_folio`, `readahead`) work as the C driver's:
//! - a readahead request grows to the end of the extent holding its last
//!   byte, and a lone folio takes along the pages to the end of its
//!   extent, when they can be had without waiting (LZMA, DEFLATE and Zstd
//!   extents; LZ4 and stored ones are decoded only as far as needed); both
//!   take the pages of their first extent before them
//!   (z_erofs_pcluster_readmore). What is decoded anyway then becomes page
//!   cache, and the next read finds it;
//! - each extent is decoded once, straight into the pages of the locked
//!   folios, mapped as one run ([`PageRun`]) with bounce pages for the
//!   pages of the extent that are not being read (cached already, or
//!   before the read);
//! - the page locks make concurrent readers of the same range wait for
//!   one decode rather than decode again.
//!
//! Other reads of compressed data (directories, symlinks, fragments in
//! the packed inode, `inode_share=verify`) go through the format core's
//! extent walk (`format::zdata`), which a [`ZReader`] feeds with extents
//! decoded into buffers of the mount, kept in a small per-mount pool so
//! that steady reading allocates nothing.
//!
//! `cache_strategy=`: the C driver keeps compressed pages in a managed
//! cache unless it is `disabled`. Here compressed bytes are always read
//! through the device's page cache (reclaimable like any page cache, and
//! read ahead 128 KiB past each pcluster for sequential reads), and the
//! strategy decides what happens to the decoded extent a buffered reader
//! ends with: `disabled` drops it; `readahead` and `readaround` keep it
//! among the last few (at most [`ZCACHE_BYTES`]), so that a nearby read
//! does not decode it again.

use crate::data::MetaSource;
use crate::decompressor::{Decompressors, KernelDecompressor};
use crate::format::decompress::decode_extent;
use crate::format::erofs_fs::{COMPRESSION_DEFLATE, COMPRESSION_LZMA, COMPRESSION_ZSTD};
use crate::format::inode::InodeLayout;
use crate::format::zdata::read_file;
use crate::format::zdata::{self as fz, ReadCtx};
use crate::format::zmap::{ZExtent, ZInfo, ZKind};
use crate::format::{self, data::DeviceMode, read_exact, Source};
use crate::inode::ErofsInode;
use crate::super_::{fs_error, CacheStrategy, Erofs, ErofsSb};
use crate::vfs::address_space::{self, Ops};
use crate::vfs::compat::c_erofs;
use crate::vfs::vmap::PageRun;
use crate::vfs::{Inode, LockedFolio, Readahead, SuperBlock};
use kernel::prelude::*;
use kernel::sync::{new_mutex, Mutex};

/// How far past a pcluster the device is read ahead.
const PREFETCH_BYTES: u64 = 128 << 10;

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
    /// Device and end offset of the last prefetch started.
    prefetched: (u16, u64),
    /// Read the device ahead of the pclusters decoded: for readahead
    /// batches of more than a page, which the VFS makes for sequential
    /// reads, not for a lone random read (a one-page batch) or
    /// `read_folio`.
    read_ahead: bool,
}

impl<'a> ZReader<'a> {
    pub(crate) fn new(sbi: &'a ErofsSb, inode_zinfo: Option<(u64, format::Result<ZInfo>)>) -> Self {
        Self { sbi, zinfo: inode_zinfo, last: None, whole: false, stored: None, prefetched: (0, 0), read_ahead: false }
    }

    /// A reader for a read of `batch_len` bytes (a folio, or a readahead
    /// request as the VFS sized it). It decodes whole extents, whose
    /// pages the read fills all (see `data::readmore`), and keeps what
    /// passes the batch's end for the next one. Batches of more than a
    /// page, which the VFS makes for sequential reads, also read the
    /// device ahead; a one-page batch (a random read) reads only the
    /// pclusters it decodes.
    pub(crate) fn for_batch(mut self, batch_len: u64) -> Self {
        self.whole = true;
        self.read_ahead = batch_len > crate::vfs::PAGE_SIZE as u64;
        self
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
        // New buffers are made at least a page long, so that buffers
        // of small extents serve each other.
        KVVec::from_elem(0u8, len.max(4096), GFP_KERNEL).map_err(|_| format::Error::NoMemory)
    }

    /// Decodes the first `len` bytes of extent `ext`.
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

    /// Decodes the first `out.len()` bytes of extent `ext` into `out`
    /// (page-cache pages, for `fill_in_place`).
    pub(crate) fn decode_to(&mut self, ext: &ZExtent, out: &mut [u8]) -> format::Result<()> {
        let sbi = self.sbi;
        let plen = usize::try_from(ext.plen).map_err(|_| format::Error::BadCompressedLayout)?;
        let (dev, off) = fz::stored_location(&sbi.src, &sbi.disk, sbi.devices, ext)?;
        let end = off.saturating_add(ext.plen);
        if !ext.inline && (self.prefetched.0 != dev || end > self.prefetched.1 || off.saturating_add(PREFETCH_BYTES) < self.prefetched.1) {
            // One I/O for the whole pcluster rather than one per page, and,
            // for sequential reads, ahead of it: the pclusters of a file are
            // mostly laid out in order, so the next reads find their data
            // under way. Started again only once a pcluster leaves the
            // window (each start looks up every page of the window).
            let len = if self.read_ahead { ext.plen.max(PREFETCH_BYTES) } else { ext.plen };
            sbi.src.prefetch(dev, off, len);
            self.prefetched = (dev, off.saturating_add(len));
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
        // Larger pclusters are gathered into this reader's buffer, kept
        // for the next one.
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

/// The page size, in bytes.
const PAGE: u64 = crate::vfs::PAGE_SIZE as u64;

/// The folios of one compressed read, locked, in file order (with gaps
/// where a page was cached already), each with whether its fill failed.
type Folios = KVec<(LockedFolio, bool)>;

/// Adds `folio` to `folios`; without memory for it, its read fails now
/// (it is unlocked, not uptodate: a later read_folio reads it alone).
fn add(folios: &mut Folios, folio: LockedFolio) {
    let _ = folios.push((folio, false), GFP_KERNEL);
}

/// Whether readmore takes along the pages of an extent of this kind: not
/// of holes, and of fragments only where the C driver does (6.12).
fn readmore_kind(kind: ZKind) -> bool {
    match kind {
        ZKind::Hole => false,
        ZKind::Fragment { .. } => !c_erofs::READMORE_MAPPED_ONLY,
        _ => true,
    }
}

/// The extent of compressed inode `di` holding byte `pos`, with its
/// whole length, when readmore takes along its pages.
fn decoded_extent(sbi: &ErofsSb, di: &ErofsInode, pos: u64) -> Option<ZExtent> {
    let zi = di.zinfo.as_ref()?.as_ref().ok()?;
    let ext = crate::format::zmap::map(&sbi.src, &sbi.disk, di, zi, pos, true).ok()?;
    readmore_kind(ext.kind).then_some(ext)
}

/// The extent holding byte `pos` as readmore sees it (a
/// EROFS_GET_BLOCKS_READMORE mapping): to its end for the algorithms that
/// cannot stop early cheaply (LZMA, DEFLATE, Zstd), but for LZ4 and
/// stored data only to the end of the lcluster holding `pos`: those are
/// decoded as far as a read needs, no further, as in the C driver.
fn readmore_extent(sbi: &ErofsSb, di: &ErofsInode, pos: u64) -> Option<ZExtent> {
    let zi = di.zinfo.as_ref()?.as_ref().ok()?;
    let map = |full| crate::format::zmap::map(&sbi.src, &sbi.disk, di, zi, pos, full).ok();
    let ext = map(false)?;
    match ext.kind {
        kind if !readmore_kind(kind) => None,
        ZKind::Compressed { algorithm: COMPRESSION_LZMA | COMPRESSION_DEFLATE | COMPRESSION_ZSTD }
            if ext.llen >= sbi.disk.block_size() as u64 =>
        {
            map(true)
        }
        _ => Some(ext),
    }
}

/// Grabs, without waiting, the pages of the first extent of a read that
/// lie before its start `start` (the frontmost z_erofs_pcluster_readmore):
/// the decode fills them too. The page the extent shares with the
/// previous one is left to that one's reads.
fn grab_head(sbi: &ErofsSb, di: &ErofsInode, start: u64, folios: &mut Folios, grab: impl Fn(u64) -> Option<LockedFolio>) {
    let Some(ext) = decoded_extent(sbi, di, start) else { return };
    let Some(mut at) = ext.la.checked_next_multiple_of(PAGE) else { return };
    while at < start {
        if let Some(f) = grab(at) {
            add(folios, f);
        }
        at += PAGE;
    }
}

/// z_erofs_read_folio: fills and ends `folio` of compressed inode `di`,
/// with the other pages of the extents it needs that can be had without
/// waiting (z_erofs_pcluster_readmore), so that a random read of a big
/// pcluster leaves all of it in the page cache, as the C driver does,
/// rather than decoding it again for each page.
pub(crate) fn read_folio(sb: &SuperBlock<Erofs>, di: &ErofsInode, mut folio: LockedFolio) -> Result {
    let sbi = sb.data();
    let pos = folio.pos();
    let end = pos.saturating_add(folio.size() as u64);
    let mut r = crate::data::reader(sbi, di).for_batch(PAGE);
    let mut folios = Folios::new();
    grab_head(sbi, di, pos, &mut folios, |at| folio.grab_neighbour(at));
    let must = folios.len();
    if folios.reserve(1, GFP_KERNEL).is_err() {
        // No memory for the list: this folio alone, through a buffer (the
        // others' reads fail as they drop).
        drop(folios);
        let res = crate::data::fill_folio(sb, di, &mut r, &mut folio);
        folio.end(res.is_ok());
        return res;
    }
    // Within the capacity just reserved: cannot fail.
    let _ = folios.push((folio, false), GFP_KERNEL);
    // The tail: up to the page holding the last byte of the extent as
    // readmore maps it (its part of the next extent is decoded too, as in
    // C).
    if let Some(ext) = readmore_extent(sbi, di, end.saturating_sub(1)) {
        let to = ext.la.saturating_add(ext.llen).min(di.size).next_multiple_of(PAGE);
        let mut at = end;
        while at < to {
            let grabbed = folios.get(must).and_then(|(f, _)| f.grab_neighbour(at));
            if let Some(f) = grabbed {
                add(&mut folios, f);
            }
            at += PAGE;
        }
    }
    fill_folios(sb, di, &mut r, &mut folios);
    let ok = folios.get(must).is_some_and(|(_, failed)| !failed);
    for (f, failed) in folios {
        f.end(!failed);
    }
    if ok {
        Ok(())
    } else {
        Err(EIO)
    }
}

/// z_erofs_readahead: grows the request to the end of the extent holding
/// its last byte (the backmost z_erofs_pcluster_readmore; it stops at a
/// page cached already), so that sequential reads never decode an
/// extent twice, adds the pages of its first extent before it, and fills
/// them all.
pub(crate) fn readahead(sb: &SuperBlock<Erofs>, di: &ErofsInode, ra: &mut Readahead) {
    let sbi = sb.data();
    let (start, len) = ra.range();
    if let Some(ext) = (start + len).checked_sub(1).and_then(|last| readmore_extent(sbi, di, last)) {
        let end = ext.la.saturating_add(ext.llen).min(di.size).next_multiple_of(PAGE);
        if end > start + len {
            ra.expand(start, end - start);
        }
    }
    let mut folios = Folios::new();
    grab_head(sbi, di, start, &mut folios, |at| ra.grab(at));
    while let Some(f) = ra.next_folio() {
        add(&mut folios, f);
    }
    // The device is read ahead for the request as the VFS sized it, not
    // for what the expansion added.
    let mut r = crate::data::reader(sbi, di).for_batch(len);
    fill_folios(sb, di, &mut r, &mut folios);
    for (f, failed) in folios {
        f.end(!failed);
    }
}

/// Calls `f` for each page of `folios` that overlaps file range `[a, b)`
/// and did not fail: the folio, the page's offset in it, the bytes of
/// the page in the range and the file position of the first of them.
fn for_each_page(
    folios: &mut Folios,
    a: u64,
    b: u64,
    mut f: impl FnMut(&mut LockedFolio, usize, core::ops::Range<usize>, u64) -> format::Result<()>,
) -> format::Result<()> {
    for (folio, failed) in folios.iter_mut() {
        let (fpos, fend) = (folio.pos(), folio.pos().saturating_add(folio.size() as u64));
        if *failed || fend <= a || fpos >= b {
            continue;
        }
        let mut page = (a.max(fpos) - fpos) / PAGE * PAGE;
        while fpos + page < fend.min(b) {
            let p = fpos + page;
            let (from, to) = (a.max(p), b.min(p + PAGE));
            f(folio, page as usize, (from - p) as usize..(to - p) as usize, from)?;
            page += PAGE;
        }
    }
    Ok(())
}

/// Marks the folios overlapping `[a, b)` failed.
fn fail(folios: &mut Folios, a: u64, b: u64) {
    for (folio, failed) in folios.iter_mut() {
        if folio.pos() < b && folio.pos().saturating_add(folio.size() as u64) > a {
            *failed = true;
        }
    }
}

/// Decodes extent `ext` up to file position `upto` straight into the
/// pages of `folios`, mapped as one run with bounce pages for the pages
/// of the extent that are not among them (those before the read and
/// those cached already).
fn decode_in_place(r: &mut ZReader<'_>, folios: &Folios, ext: &ZExtent, upto: u64) -> format::Result<()> {
    let no_mem = |_| format::Error::NoMemory;
    let (first, last) = (ext.la / PAGE, upto.saturating_sub(1) / PAGE);
    let n = usize::try_from(last - first + 1).map_err(|_| format::Error::BadCompressedLayout)?;
    let mut run = PageRun::with_capacity(n).map_err(no_mem)?;
    let mut k = 0;
    for p in first..=last {
        let at = p * PAGE;
        while folios.get(k).is_some_and(|(f, _)| f.pos().saturating_add(f.size() as u64) <= at) {
            k += 1;
        }
        match folios.get(k) {
            Some((f, false)) if f.pos() <= at => run.push_folio_page(f, (at - f.pos()) as usize),
            _ => run.push_bounce(),
        }
        .map_err(no_mem)?;
    }
    let bytes = run.map().map_err(no_mem)?;
    let off = (ext.la % PAGE) as usize;
    let len = usize::try_from(upto - ext.la).map_err(|_| format::Error::BadCompressedLayout)?;
    let out = bytes.get_mut(off..off + len).ok_or(format::Error::BadCompressedLayout)?;
    r.decode_to(ext, out)
}

/// Fills `folios` of compressed inode `di` (z_erofs_runqueue): each
/// extent they touch is decoded once, straight into their pages; holes
/// are zeroed, fragments copied, and what lies past the end of the file
/// zeroed. A folio whose fill fails is marked failed (and the error
/// logged once); those after it are left failed too, to be read again
/// one by one by read_folio, which reports the error to whoever needs
/// the data.
fn fill_folios(sb: &SuperBlock<Erofs>, di: &ErofsInode, r: &mut ZReader<'_>, folios: &mut Folios) {
    let sbi = sb.data();
    let (Some((first, _)), Some((last, _))) = (folios.first(), folios.last()) else { return };
    let (start, end) = (first.pos(), last.pos().saturating_add(last.size() as u64));
    let data_end = end.min(di.size);
    let mut pos = start;
    while pos < data_end {
        let step = (|| -> format::Result<u64> {
            let zi = match &di.zinfo {
                Some(zi) => (*zi)?,
                None => return Err(format::Error::BadCompressedLayout),
            };
            let ext = r.cached_extent(di.nid, pos).map_or_else(|| crate::format::zmap::map(&sbi.src, &sbi.disk, di, &zi, pos, true), Ok)?;
            let ext_end = ext.la.checked_add(ext.llen).ok_or(format::Error::BadCompressedLayout)?;
            if ext.la > pos || ext_end <= pos {
                return Err(format::Error::BadCompressedLayout);
            }
            let upto = ext_end.min(data_end);
            match ext.kind {
                ZKind::Hole => for_each_page(folios, pos, upto, |f, page, bytes, _| {
                    f.with_page(page, |b| b.get_mut(bytes).map(|b| b.fill(0)).ok_or(format::Error::BadCompressedLayout))
                })?,
                ZKind::Fragment { .. } => copy(r, di, folios, pos, upto)?,
                _ => match decode_in_place(r, folios, &ext, upto) {
                    // Without memory for the page run: through a buffer.
                    Err(format::Error::NoMemory) => copy(r, di, folios, pos, upto)?,
                    res => res?,
                },
            }
            Ok(upto)
        })();
        match step {
            Ok(upto) => pos = upto,
            Err(e) => {
                let _ = fs_error(sb, format_args!("read nid {} @ {}", di.nid, pos), e);
                fail(folios, pos, end);
                return;
            }
        }
    }
    let _ = for_each_page(folios, data_end.max(start), end, |f, page, bytes, _| {
        f.with_page(page, |b| b.get_mut(bytes).map(|b| b.fill(0)).ok_or(format::Error::BadCompressedLayout))
    });
}

/// Copies file range `[a, b)` into the pages of `folios` through the
/// reader's buffers (fragments, and decodes that found no memory for a
/// page run).
fn copy(r: &mut ZReader<'_>, di: &ErofsInode, folios: &mut Folios, a: u64, b: u64) -> format::Result<()> {
    for_each_page(folios, a, b, |f, page, bytes, from| {
        f.with_page(page, |buf| read_file(r, di, from, buf.get_mut(bytes).ok_or(format::Error::BadCompressedLayout)?))
    })
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
