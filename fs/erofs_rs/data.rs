// SPDX-License-Identifier: GPL-2.0

//! File data (fs/erofs/data.c): mapping logical ranges of uncompressed
//! inodes to the image (iomap, fiemap), filling page-cache folios, and
//! the regular-file operations (erofs_file_read_iter with O_DIRECT).

use crate::format::data::{map_blocks, map_chunk_run, map_dev, Mapping};
use crate::format::zdata::read_file;
use crate::format::{self, Source};
use crate::inode::ErofsInode;
use crate::super_::{fs_error, Erofs, ErofsSb};
use crate::vfs::compat::c_erofs;
use crate::vfs::file::{self, IovIter, Kiocb, OpenFile};
use crate::vfs::super_block::New;
use crate::vfs::{
    self, address_space, fiemap, iomap, Bdev, Device, FiemapInfo, FileRef, Inode, IoMapping, LockedFolio, MappedBytes, MappedRun,
};
use crate::vfs::{Readahead, SuperBlock};
use crate::zdata::ZReader;
use kernel::prelude::*;
#[cfg(erofs_rs_fscache)]
use vfs::fscache::BlobSource;

/// The devices of a mount, as the format core reads them
/// (erofs_read_metabuf): device 0 is the primary device (the block
/// device, or the image file of a file-backed mount), then the extra
/// devices in device-table order.
pub(crate) struct MetaSource {
    devices: KVec<Device>,
    /// The decoded data of the metabox inode, on METABOX images.
    metabox: Option<KVVec<u8>>,
    /// Where an fscache-backed mount's blobs come from, released after
    /// them (fields drop in order).
    #[cfg(erofs_rs_fscache)]
    _blobs: Option<BlobSource>,
}

/// The page size, in bytes.
const PAGE: u64 = vfs::PAGE_SIZE as u64;

impl MetaSource {
    /// The primary device of `sb` (or `backing`) and the `extra` ones.
    pub(crate) fn new(sb: &SuperBlock<Erofs, New>, backing: Option<FileRef>, extra: KVec<FileRef>) -> Result<Self> {
        let mut devices = KVec::with_capacity(extra.len() + 1, GFP_KERNEL)?;
        devices.push(Device::primary(sb, backing), GFP_KERNEL)?;
        for f in extra {
            devices.push(Device::extra(sb, f), GFP_KERNEL)?;
        }
        Ok(Self {
            devices,
            metabox: None,
            #[cfg(erofs_rs_fscache)]
            _blobs: None,
        })
    }

    /// The primary blob of an fscache-backed mount, `primary` of
    /// `blobs`, which must be the mount's own; extra blobs follow with
    /// `add_blob`.
    #[cfg(erofs_rs_fscache)]
    pub(crate) fn fscache(blobs: BlobSource, primary: &[u8]) -> Result<Self> {
        let mut devices = KVec::new();
        devices.push(blobs.device(primary, true)?, GFP_KERNEL)?;
        Ok(Self { devices, metabox: None, _blobs: Some(blobs) })
    }

    /// The filesystem starts `bytes` into the primary device (`fsoffset=`).
    pub(crate) fn set_fsoffset(&mut self, bytes: u64) {
        if let Some(d) = self.devices.get_mut(0) {
            d.set_base(bytes);
        }
    }

    /// Where device `dev`'s image bytes start on the device itself: what
    /// addresses handed to the block layer or DAX add.
    pub(crate) fn base(&self, dev: u16) -> u64 {
        self.devices.get(dev as usize).map_or(0, Device::base)
    }

    /// Serves [`format::METABOX`] from `data`, the whole metabox.
    pub(crate) fn set_metabox(&mut self, data: KVVec<u8>) {
        self.metabox = Some(data);
    }

    /// Readahead of device `dev` stops at `bytes`.
    #[cfg(erofs_rs_fscache)]
    pub(crate) fn set_readahead_end(&mut self, dev: u16, bytes: u64) {
        if let Some(d) = self.devices.get_mut(dev as usize) {
            d.set_readahead_end(bytes);
        }
    }

    /// Whether the mount reads its blobs through fscache.
    #[cfg(erofs_rs_fscache)]
    pub(crate) fn is_fscache(&self) -> bool {
        self._blobs.is_some()
    }

    /// Starts reading `len` bytes at `pos` of blob `dev` into bytes
    /// `[at, at + len)` of `range` (see `Device::read_into`).
    #[cfg(erofs_rs_fscache)]
    pub(crate) fn read_into(&self, dev: u16, range: &mut vfs::FolioRange, at: usize, len: usize, pos: u64) -> Result {
        match self.devices.get(dev as usize) {
            Some(d) => d.read_into(range, at, len, pos),
            None => {
                range.fail();
                Err(EINVAL)
            }
        }
    }

    /// Adds the blob `name` as the next device.
    #[cfg(erofs_rs_fscache)]
    pub(crate) fn add_blob(&mut self, name: &[u8]) -> Result {
        let blobs = self._blobs.as_ref().ok_or(EINVAL)?;
        self.devices.push(blobs.device(name, false)?, GFP_KERNEL)?;
        Ok(())
    }

    /// Starts reading `[offset, offset + len)` of device `dev` into its
    /// page cache without waiting, so the page-by-page reads that follow
    /// find one large I/O under way instead of issuing many small ones.
    pub(crate) fn prefetch(&self, dev: u16, offset: u64, len: u64) {
        let Some(d) = self.devices.get(dev as usize) else { return };
        d.readahead(offset, len);
    }

    /// Device `dev`'s bytes `[offset, offset + len)` mapped as one run
    /// (`Device::map_run`), for a pcluster of several blocks.
    pub(crate) fn map_run(&self, dev: u16, offset: u64, len: usize) -> Result<MappedRun<'_>> {
        self.devices.get(dev as usize).ok_or(EINVAL)?.map_run(offset, len)
    }

    /// The block device of device `dev`, when the mount has one.
    pub(crate) fn bdev(&self, dev: u16) -> Option<Bdev> {
        self.devices.get(dev as usize)?.bdev()
    }

    /// Whether device `dev` is DAX-capable.
    pub(crate) fn has_dax(&self, dev: u16) -> bool {
        self.devices.get(dev as usize).is_some_and(Device::has_dax)
    }

    /// Size in bytes of device `dev`.
    pub(crate) fn device_size(&self, dev: u16) -> Option<u64> {
        self.devices.get(dev as usize).map(Device::size)
    }
}

impl Source for MetaSource {
    type Bytes<'a> = MappedBytes<'a>;

    fn bytes(&self, dev: u16, offset: u64, len: usize) -> format::Result<MappedBytes<'_>> {
        if dev == format::METABOX {
            let m = self.metabox.as_ref().ok_or(format::Error::BadDeviceId(dev))?;
            let start = usize::try_from(offset).map_err(|_| format::Error::OutOfRange)?;
            let end = start.checked_add(len).ok_or(format::Error::OutOfRange)?;
            return m.get(start..end).map(MappedBytes::borrowed).ok_or(format::Error::OutOfRange);
        }
        let d = self.devices.get(dev as usize).ok_or(format::Error::BadDeviceId(dev))?;
        let end = offset.checked_add(len as u64).ok_or(format::Error::OutOfRange)?;
        // The format core never crosses a block boundary, and the device
        // offset (`base`) is a whole number of blocks: one page serves.
        let at = offset.checked_add(d.base()).ok_or(format::Error::OutOfRange)?;
        if len == 0 || at % PAGE + len as u64 > PAGE || end > d.size() {
            return Err(format::Error::OutOfRange);
        }
        d.map(offset, len).map_err(|_| format::Error::Io)
    }
}

/// A reader of file data for `inode`, with its cached map header.
fn reader<'a>(sbi: &'a ErofsSb, inode: &ErofsInode) -> ZReader<'a> {
    ZReader::new(sbi, inode.zinfo.map(|zi| (inode.nid, zi)))
}

/// Copies file bytes `[la, la + buf.len())` of any inode, logging and
/// converting errors for the VFS.
pub(crate) fn read_any(sb: &SuperBlock<Erofs>, sbi: &ErofsSb, inode: &ErofsInode, la: u64, buf: &mut [u8]) -> Result {
    read_file(&mut reader(sbi, inode), inode, la, buf).map_err(|e| fs_error(sb, format_args!("read nid {} @ {}", inode.nid, la), e))
}

/// Calls `f` with the valid bytes of data block `index` of an
/// uncompressed inode, straight from the image's page cache.
pub(crate) fn with_block<R>(sbi: &ErofsSb, di: &ErofsInode, index: u64, f: impl FnOnce(&[u8]) -> format::Result<R>) -> format::Result<R> {
    let bsz = sbi.disk.block_size() as u64;
    let start = index.checked_mul(bsz).ok_or(format::Error::BadSize)?;
    if start >= di.size {
        return Err(format::Error::BadSize);
    }
    let len = bsz.min(di.size - start);
    if di.is_compressed() {
        // Compressed directories: decode the block into a buffer.
        let mut buf = KVec::from_elem(0u8, len as usize, GFP_KERNEL).map_err(|_| format::Error::NoMemory)?;
        read_file(&mut reader(sbi, di), di, start, &mut buf)?;
        return f(&buf);
    }
    let ext = map_blocks(&sbi.src, &sbi.disk, di, start)?;
    if ext.len < len {
        return Err(format::Error::BadSize);
    }
    let (dev, off) = match ext.map {
        Mapping::Inline { dev, pa } => (dev, pa),
        Mapping::Mapped { device_id, pa } => map_dev(&sbi.src, &sbi.disk, sbi.devices, device_id, pa)?,
        // A hole in a directory or symlink cannot hold its data.
        Mapping::Hole => return Err(format::Error::BadDirent),
    };
    let bytes = sbi.src.bytes(dev, off, len as usize)?;
    f(&bytes)
}

/// Fills and ends one folio.
pub(crate) fn read_folio(inode: &Inode<Erofs>, mut folio: LockedFolio) -> Result {
    let sb = inode.super_block();
    let sbi = sb.data();
    let di = inode.data();
    let mut r = reader(sbi, di);
    if di.is_compressed() {
        r.prefetch_pclusters(di, folio.pos(), folio.size() as u64);
    }
    let r = fill_folio(sb, di, &mut r, &mut folio);
    folio.end(r.is_ok());
    r
}

/// Starts reading the image blocks behind `[start, start + len)` of an
/// uncompressed inode into the devices' page cache, an extent per I/O:
/// the folios are then filled page by page from what is under way. (A
/// block-device mount reads uncompressed files through iomap instead.)
fn prefetch_plain(sbi: &ErofsSb, di: &ErofsInode, start: u64, len: u64) {
    let end = start.saturating_add(len).min(di.size);
    let mut la = start;
    while la < end {
        let Ok(ext) = map_blocks(&sbi.src, &sbi.disk, di, la) else { return };
        let Some(skip) = la.checked_sub(ext.la) else { return };
        let n = ext.la.saturating_add(ext.len).min(end).saturating_sub(la);
        if n == 0 {
            return;
        }
        if let Mapping::Mapped { device_id, pa } = ext.map {
            if let Ok((dev, off)) = map_dev(&sbi.src, &sbi.disk, sbi.devices, device_id, pa.saturating_add(skip)) {
                sbi.src.prefetch(dev, off, n);
            }
        }
        la += n;
    }
}

/// Fills the folios of a readahead request in order with one reader, so
/// that a decoded extent serves every folio it covers.
pub(crate) fn readahead(inode: &Inode<Erofs>, ra: &mut Readahead) {
    let sb = inode.super_block();
    let sbi = sb.data();
    let di = inode.data();
    let (start, len) = ra.range();
    if !di.is_compressed() {
        prefetch_plain(sbi, di, start, len);
        fill_in_order(sb, di, &mut reader(sbi, di).whole_extents(len), core::iter::from_fn(|| ra.next_folio()));
        return;
    }
    // Every request reads its own pclusters, all at once, before any is
    // decoded (`ZReader::prefetch_pclusters`). The VFS asks for a lone
    // page only for a read it takes as random: such a request decodes
    // what it needs of them. Unlike C, it is not grown to whole extents:
    // the pages around it would be decoded into our buffer and copied,
    // and under TCG those copies cost more than the page cache hits they
    // bring (docs/compressed-reads-2026-12-07.md). Longer requests are.
    if len > vfs::PAGE_SIZE as u64 {
        readmore(sbi, di, ra, start, len);
    }
    let (start, len) = ra.range();
    let mut r = reader(sbi, di).whole_extents(len);
    r.prefetch_pclusters(di, start, len);
    // Compressed readahead of more than a few pages is decoded on the
    // module's workqueue, as the C driver decodes it once its bios
    // complete (z_erofs_decompress_kickoff): a sequential reader goes on
    // copying the window before while the next one is decoded on another
    // CPU. Smaller requests (up to Z_EROFS_MAX_SYNC_DECOMPRESS_BYTES,
    // which C decodes in the caller) stay here.
    if len > ASYNC_DECOMPRESS_MIN_BYTES {
        if let Some(batch) = ra.take_batch(inode) {
            batch.spawn(fill_batch);
            return;
        }
    }
    fill_in_order(sb, di, &mut r, core::iter::from_fn(|| ra.next_folio()));
}

/// z_erofs_pcluster_readmore: grows a compressed readahead request to the
/// pages wholly inside the extents its first and last bytes lie in. Those
/// pages are decoded anyway (a pcluster decodes from its start, and
/// readahead decodes whole extents), so they are kept as page cache
/// rather than decoded again by the next request, which then starts at an
/// extent's start. Unlike C, a page across the last extent's end is not
/// added: it would read the next pcluster too.
fn readmore(sbi: &ErofsSb, di: &ErofsInode, ra: &mut Readahead, start: u64, len: u64) {
    let page = vfs::PAGE_SIZE as u64;
    let Some(last) = start.checked_add(len).and_then(|end| end.checked_sub(1)) else { return };
    let r = reader(sbi, di);
    if let Some((_, ext_end)) = r.extent_of(di, last) {
        let end = if ext_end >= di.size { di.size.checked_next_multiple_of(page) } else { Some(ext_end / page * page) };
        let end = end.map(|end| end.min(last.saturating_add(1 + READMORE_MAX_BYTES)));
        if let Some(end) = end.filter(|&end| end > last + 1) {
            ra.expand(start, end - start);
        }
    }
    // The leading edge second: readahead_expand stops at the first page
    // it finds cached, before it grows the trailing edge.
    if let Some((head, _)) = r.extent_of(di, start) {
        let first = head.checked_next_multiple_of(page).unwrap_or(u64::MAX).max(start.saturating_sub(READMORE_MAX_BYTES));
        if first < start {
            let (_, now) = ra.range();
            ra.expand(first, start - first + now);
        }
    }
}

/// How far readmore grows a request on each side at most: more than any
/// extent of 64 KiB pclusters, a bound on what a big-pcluster extent (or
/// a corrupt map) adds to one request. A request cut short of its
/// extent's end leaves the rest to the next one, which decodes the
/// extent again.
const READMORE_MAX_BYTES: u64 = 2 << 20;

/// Fills and ends `folios` in order with one reader, up to the first that
/// fails; returns whether all were filled. The folios not taken are left
/// to read_folio, which reports the error to whoever needs the data.
fn fill_in_order(sb: &SuperBlock<Erofs>, di: &ErofsInode, r: &mut ZReader<'_>, folios: impl IntoIterator<Item = LockedFolio>) -> bool {
    for mut folio in folios {
        let ok = fill_folio(sb, di, r, &mut folio).is_ok();
        folio.end(ok);
        if !ok {
            return false;
        }
    }
    true
}

/// Readahead requests of compressed files larger than this are decoded
/// on the module's workqueue (`Z_EROFS_MAX_SYNC_DECOMPRESS_BYTES` in C).
const ASYNC_DECOMPRESS_MIN_BYTES: u64 = 12288;

/// Fills the folios of a readahead batch in order with one reader, on the
/// module's workqueue: every folio but `last` is ended as soon as it is
/// filled; `last` is the caller's to end, with what this returns.
fn fill_batch(inode: &Inode<Erofs>, folios: KVVec<LockedFolio>, last: &mut LockedFolio) -> bool {
    let sb = inode.super_block();
    let sbi = sb.data();
    let di = inode.data();
    let first = folios.first().unwrap_or(&*last).pos();
    let len = (last.pos() + last.size() as u64).saturating_sub(first);
    // The reader gives its buffers back to the mount when dropped, before
    // `last` is ended (which lets an unmount go ahead).
    let mut r = reader(sbi, di).whole_extents(len);
    // After a failure the folios left are dropped unread, and `last` is
    // ended unread by the caller.
    fill_in_order(sb, di, &mut r, folios) && fill_folio(sb, di, &mut r, last).is_ok()
}

/// Fills one folio, zeroing what lies past EOF: as one range when its
/// bytes can be addressed at once (a large folio is then one read, and
/// the extents inside it are decoded straight into it), else page by
/// page.
fn fill_folio(sb: &SuperBlock<Erofs>, di: &ErofsInode, r: &mut ZReader<'_>, folio: &mut LockedFolio) -> Result {
    let pos = folio.pos();
    if let Some(done) = folio.with_bytes(|buf| fill_bytes(sb, di, r, pos, buf)) {
        return done;
    }
    let page = vfs::PAGE_SIZE;
    let mut off = 0;
    while off < folio.size() {
        folio.with_page(off, |buf| fill_bytes(sb, di, r, pos + off as u64, buf))?;
        off += page;
    }
    Ok(())
}

/// Fills `buf` with file bytes from `start` on, zeros past EOF.
fn fill_bytes(sb: &SuperBlock<Erofs>, di: &ErofsInode, r: &mut ZReader<'_>, start: u64, buf: &mut [u8]) -> Result {
    let valid = if start >= di.size { 0 } else { (di.size - start).min(buf.len() as u64) as usize };
    let (data, tail) = buf.split_at_mut(valid);
    read_file(r, di, start, data).map_err(|e| fs_error(sb, format_args!("read nid {} @ {}", di.nid, start), e))?;
    tail.fill(0);
    Ok(())
}

/// One extent as fiemap reports it (an iomap in the C driver).
struct FiemapExtent {
    /// Logical start; at or before the position asked for.
    offset: u64,
    len: u64,
    kind: FiemapKind,
}

enum FiemapKind {
    /// Not reported.
    Hole,
    /// Data at this physical byte address (0 when it has none).
    Mapped(u64),
    /// Data stored inline with metadata, at this byte address of the
    /// primary device.
    Inline(u64),
}

/// erofs_fiemap: reports the extents of a file as iomap_fiemap does for
/// the C driver: each mapping as its own extent, holes skipped, the last
/// one flagged.
pub(crate) fn fiemap(inode: &Inode<Erofs>, fi: &mut FiemapInfo<'_>, start: u64, len: u64) -> Result {
    let mut len = len;
    fi.prep(start, &mut len)?;
    let end = start.saturating_add(len);
    let mut fill = |e: &FiemapExtent, last: bool| -> Result<bool> {
        let (phys, mut flags) = match e.kind {
            FiemapKind::Mapped(p) => (p, 0),
            // The C erofs of 6.12 reports no address for inline data,
            // that of 7.x the data's byte address.
            FiemapKind::Inline(pa) => (if c_erofs::FIEMAP_INLINE_ADDRESS { pa } else { 0 }, fiemap::EXTENT_DATA_INLINE),
            FiemapKind::Hole => return Ok(false),
        };
        if last {
            flags |= fiemap::EXTENT_LAST;
        }
        fi.fill_next_extent(e.offset, phys, e.len, flags)
    };
    let mut prev: Option<FiemapExtent> = None;
    let mut pos = start;
    while pos < end {
        let e = fiemap_extent(inode, pos, end - pos)?;
        let next = e.offset.saturating_add(e.len).min(end);
        if next <= pos {
            break;
        }
        if !matches!(e.kind, FiemapKind::Hole) {
            if let Some(p) = prev.take() {
                if fill(&p, false)? {
                    return Ok(()); // the caller's array is full
                }
            }
            prev = Some(e);
        }
        pos = next;
    }
    if let Some(p) = prev {
        fill(&p, true)?;
    }
    Ok(())
}

/// SEEK_DATA (`data`) / SEEK_HOLE from `pos` (below `i_size`), as the C
/// driver of this kernel answers: 7.x walks the same mappings as fiemap
/// (iomap_seek_data/hole over erofs_iomap_ops, or
/// z_erofs_iomap_report_ops for compressed files: holes are unmapped
/// ranges, everything else data); 6.12 uses generic_file_llseek, for
/// which the whole file is data.
fn seek_data_hole(inode: &Inode<Erofs>, pos: u64, data: bool) -> Result<u64> {
    let size = inode.size();
    if !c_erofs::SEEK_HOLES_BY_MAPPING {
        return Ok(if data { pos } else { size });
    }
    let mut at = pos;
    while at < size {
        let e = fiemap_extent(inode, at, size - at)?;
        if matches!(e.kind, FiemapKind::Hole) != data {
            return Ok(at);
        }
        let next = e.offset.saturating_add(e.len);
        if next <= at {
            // A mapping that does not move on: corrupt metadata.
            return Err(vfs::error::efscorrupted());
        }
        at = next;
    }
    if data {
        Err(ENXIO)
    } else {
        Ok(size)
    }
}

/// The extent at `pos` as the C driver's iomap ops report it for fiemap:
/// erofs_iomap_begin for uncompressed inodes (flat ranges start at `pos`,
/// chunks at their chunk start), z_erofs_iomap_begin_report for compressed
/// ones (whole decompressed extents; fragments have no address).
fn fiemap_extent(inode: &Inode<Erofs>, pos: u64, len: u64) -> Result<FiemapExtent> {
    use crate::format::erofs_fs::INODE_CHUNK_BASED;
    use crate::format::zmap::{self, ZInfo, ZKind};
    let sb = inode.super_block();
    let sbi = sb.data();
    let di = inode.data();
    if pos >= di.size {
        return Ok(FiemapExtent { offset: pos, len, kind: FiemapKind::Hole });
    }
    let err = |e| fs_error(sb, format_args!("fiemap nid {} @ {}", di.nid, pos), e);
    if di.is_compressed() {
        let zi = di.zinfo.unwrap_or_else(|| ZInfo::read(&sbi.src, &sbi.disk, di)).map_err(err)?;
        let ext = zmap::map(&sbi.src, &sbi.disk, di, &zi, pos, true).map_err(err)?;
        // The C driver reports compressed extents at their image offset
        // (without `fsoffset=`).
        let kind = match ext.kind {
            ZKind::Fragment { .. } => FiemapKind::Mapped(0),
            ZKind::Hole => FiemapKind::Hole,
            _ => FiemapKind::Mapped(ext.pa),
        };
        return Ok(FiemapExtent { offset: ext.la, len: ext.llen, kind });
    }
    if di.datalayout == INODE_CHUNK_BASED && c_erofs::CHUNK_RUNS {
        let ext = map_chunk_run(&sbi.src, &sbi.disk, di, pos).map_err(err)?;
        let kind = match ext.map {
            Mapping::Mapped { device_id, pa } => {
                let (dev, off) = map_dev(&sbi.src, &sbi.disk, sbi.devices, device_id, pa).map_err(err)?;
                FiemapKind::Mapped(off + sbi.src.base(dev))
            }
            _ => FiemapKind::Hole,
        };
        return Ok(FiemapExtent { offset: ext.la, len: ext.len, kind });
    }
    let ext = map_blocks(&sbi.src, &sbi.disk, di, pos).map_err(err)?;
    // Chunk mappings start at their chunk, as erofs_map_blocks reports.
    let back = if di.datalayout == INODE_CHUNK_BASED { pos - ((pos >> di.chunkbits) << di.chunkbits) } else { 0 };
    let (offset, elen) = (pos - back, ext.len + back);
    let kind = match ext.map {
        Mapping::Hole => FiemapKind::Hole,
        // Inline data in the metabox has no device address: iomap
        // reports 0 (IOMAP_NULL_ADDR).
        Mapping::Inline { dev: format::METABOX, .. } => FiemapKind::Inline(0),
        Mapping::Inline { dev, pa } => FiemapKind::Inline(pa + sbi.src.base(dev)),
        Mapping::Mapped { device_id, pa } => {
            let (dev, off) = map_dev(&sbi.src, &sbi.disk, sbi.devices, device_id, pa - back).map_err(err)?;
            FiemapKind::Mapped(off + sbi.src.base(dev))
        }
    };
    Ok(FiemapExtent { offset, len: elen, kind })
}

/// erofs_iomap_begin: where the file range at `pos` lives, for iomap.
fn iomap_begin<'a>(inode: &'a Inode<Erofs>, pos: u64, length: u64) -> Result<IoMapping<'a>> {
    let sb = inode.super_block();
    let sbi = sb.data();
    let di = inode.data();
    if pos >= di.size {
        // Leave post-EOF ranges unmapped, as erofs_map_blocks does.
        return Ok(IoMapping::Hole { offset: pos, length });
    }
    let err = |e| fs_error(sb, format_args!("map nid {} @ {}", di.nid, pos), e);
    let ext = map_blocks(&sbi.src, &sbi.disk, di, pos).map_err(err)?;
    Ok(match ext.map {
        Mapping::Hole => IoMapping::Hole { offset: ext.la, length: ext.len },
        Mapping::Inline { dev, pa } => {
            let bytes = sbi.src.bytes(dev, pa, ext.len as usize).map_err(err)?;
            IoMapping::Inline { offset: ext.la, length: ext.len, bytes }
        }
        Mapping::Mapped { device_id, pa } => {
            let (dev, addr) = map_dev(&sbi.src, &sbi.disk, sbi.devices, device_id, pa).map_err(err)?;
            let bdev = sbi.src.bdev(dev).ok_or(EIO)?;
            let dev_size = sbi.src.device_size(dev).unwrap_or(0);
            if addr.checked_add(ext.len).map_or(true, |end| end > dev_size) {
                return Err(err(crate::format::Error::BadBlockAddress(addr / sbi.disk.block_size() as u64)));
            }
            // The device's own address: past `fsoffset=` on the primary.
            IoMapping::Mapped { offset: ext.la, length: ext.len, bdev, addr: addr + sbi.src.base(dev) }
        }
    })
}

/// erofs_iomap_ops.
struct IomapOps;

impl iomap::Operations for IomapOps {
    type FileSystem = Erofs;

    fn begin<'a>(inode: &'a Inode<Erofs>, pos: u64, length: u64) -> Result<IoMapping<'a>> {
        iomap_begin(inode, pos, length)
    }
}

/// erofs_aops: uncompressed inodes on block devices, read with bios
/// that iomap builds.
pub(crate) static EROFS_AOPS: address_space::Ops<Erofs> = address_space::Ops::iomap::<IomapOps>();

/// How many bytes an O_DIRECT read copies at a time.
const DIRECT_CHUNK: usize = 128 << 10;

/// erofs_file_read_iter: DAX inodes are read from the device's memory;
/// buffered reads go through the page cache;
/// O_DIRECT reads, aligned as the C driver requires, copy from the image
/// without filling the file's page cache. (The C driver issues bios
/// straight to the device; here the image is read through the device's
/// own page cache, so the data is the same but the device's cache is
/// used.)
///
/// The alignment rules are those of the C driver of the kernel we are
/// built for. 6.12 checks the whole request against the device's logical
/// block size (a file-backed mount's block size) before anything else.
/// 7.x hands O_DIRECT to iomap_dio_rw on block devices — nothing at or
/// past EOF, then alignment only where an extent is mapped to the device
/// (inline data and holes are copied at any alignment) — and reads
/// file-backed mounts through the page cache.
fn read_iter(iocb: &mut Kiocb<'_, Erofs>, to: &mut IovIter<'_>) -> Result<usize> {
    let count = to.count();
    if count == 0 {
        return Ok(0);
    }
    if iocb.inode().is_dax() {
        return iocb.dax_read::<IomapOps>(to);
    }
    if !iocb.is_direct() {
        return iocb.filemap_read(to);
    }
    let inode = iocb.inode();
    let sb = inode.super_block();
    let pos = iocb.pos();
    let size = inode.size();
    if c_erofs::DIO_THROUGH_IOMAP {
        let Some(align) = sb.bdev_logical_block_size() else { return iocb.filemap_read(to) };
        if pos >= size {
            return Ok(0);
        }
        check_dio_mapped_alignment(inode, pos, count as u64, to.alignment(), align as u64)?;
    } else {
        let align = sb.bdev_logical_block_size().unwrap_or_else(|| inode.block_size()) as u64;
        if (pos | count as u64 | to.alignment()) & (align - 1) != 0 {
            return Err(EINVAL);
        }
        if pos >= size {
            return Ok(0);
        }
    }
    let total = (count as u64).min(size - pos) as usize;
    let mut buf = KVVec::from_elem(0u8, total.min(DIRECT_CHUNK), GFP_KERNEL)?;
    let mut done = 0usize;
    while done < total {
        let n = (total - done).min(buf.len());
        if let Err(e) = read_any(sb, sb.data(), inode.data(), pos + done as u64, &mut buf[..n]) {
            if done == 0 {
                return Err(e);
            }
            break;
        }
        let copied = to.copy_to(&buf[..n]);
        done += copied;
        if copied < n {
            if done == 0 {
                return Err(EFAULT);
            }
            break;
        }
    }
    iocb.advance(done);
    Ok(done)
}

/// iomap's direct I/O rule (7.x): every extent of `[pos, pos + count)`
/// below EOF that is mapped to the device must start at an offset, and
/// the request have a length and memory (`mem_alignment`, the OR of the
/// buffers' addresses and lengths), aligned to `align`.
fn check_dio_mapped_alignment(inode: &Inode<Erofs>, pos: u64, count: u64, mem_alignment: u64, align: u64) -> Result {
    let sb = inode.super_block();
    let sbi = sb.data();
    let di = inode.data();
    let end = pos.saturating_add(count).min(di.size);
    let mut at = pos;
    while at < end {
        let ext = map_blocks(&sbi.src, &sbi.disk, di, at).map_err(|e| fs_error(sb, format_args!("map nid {} @ {}", di.nid, at), e))?;
        if matches!(ext.map, Mapping::Mapped { .. }) && (at | count | mem_alignment) & (align - 1) != 0 {
            return Err(EINVAL);
        }
        let next = ext.la.saturating_add(ext.len);
        if next <= at {
            break;
        }
        at = next;
    }
    Ok(())
}

/// erofs_file_fops.
struct FileFops;

pub(crate) static EROFS_FILE_FOPS: file::Ops<Erofs> = file::Ops::with_dax::<FileFops, IomapOps>();

#[vtable]
impl file::Operations for FileFops {
    type FileSystem = Erofs;
    const PAGE_CACHE_FILE: bool = true;

    fn open(inode: &Inode<Erofs>, file: &mut OpenFile<'_, Erofs>) -> Result {
        crate::ishare::open(inode, file)
    }

    fn seek_data_hole(inode: &Inode<Erofs>, offset: u64, data: bool) -> Result<u64> {
        seek_data_hole(inode, offset, data)
    }

    fn read_iter(iocb: &mut Kiocb<'_, Erofs>, to: &mut IovIter<'_>) -> Result<usize> {
        read_iter(iocb, to)
    }
}
