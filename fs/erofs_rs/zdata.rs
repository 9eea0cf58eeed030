// SPDX-License-Identifier: GPL-2.0

//! Compressed data (fs/erofs/zdata.c): map a logical range through the
//! format core's zmap, read the pcluster, decode it and copy the part a
//! read needs.
//!
//! Unlike the C driver, which decompresses straight into the page-cache
//! folios a pcluster covers, this path decodes a whole extent into a
//! buffer and keeps the last few decoded extents per mount, so a
//! sequential reader decodes each pcluster once. That costs one copy and
//! up to `ZCACHE_BYTES` of memory per mount; the benchmark issue measures
//! it against the C driver.
//!
//! `cache_strategy=`: the C driver keeps compressed pages in a managed
//! cache unless it is `disabled`. Here compressed bytes are always read
//! through the device's page cache (reclaimable like any page cache), and
//! the strategy decides whether decoded extents are kept: `disabled`
//! decodes on every read, `readahead` and `readaround` keep them.

use crate::format::data::map_dev;
use crate::format::decompress::{decode_extent, Decompressor};
use crate::format::erofs_fs::{COMPRESSION_DEFLATE, COMPRESSION_LZMA, COMPRESSION_ZSTD};
use crate::vfs::compress::{Inflate, MicroLzma, Zstd};
use crate::format::inode::Inode as DiskInode;
use crate::format::zmap::{self, ZExtent, ZInfo, ZKind};
use crate::format::{self, read_exact};
use crate::super_::{CacheStrategy, ErofsSb};
use kernel::prelude::*;

/// How far past a pcluster the device is read ahead.
const PREFETCH_BYTES: u64 = 128 << 10;

/// Decoded bytes a mount keeps at most (one largest extent, 12 MiB, fits).
const ZCACHE_BYTES: usize = 16 << 20;

/// Decoded extents kept for reuse: (nid, logical start, data).
pub(crate) struct ZCache {
    slots: [Option<(u64, u64, KVVec<u8>)>; 4],
    next: usize,
}

impl ZCache {
    pub(crate) fn new() -> Self {
        Self { slots: [None, None, None, None], next: 0 }
    }
}

/// Decoders of the kernel's libraries, made on first use and reused for
/// the life of the mount; each is locked while it decodes.
pub(crate) struct KernelDecoders {
    inflate: Option<Inflate>,
    lzma: Option<MicroLzma>,
    zstd: Option<Zstd>,
}

impl KernelDecoders {
    pub(crate) fn new() -> Self {
        Self { inflate: None, lzma: None, zstd: None }
    }
}

/// The algorithms the format core does not decode itself.
struct KernelDecompressor<'a> {
    sbi: &'a ErofsSb,
}

impl Decompressor for KernelDecompressor<'_> {
    fn decompress(&mut self, algorithm: u8, input: &[u8], out: &mut [u8], partial: bool) -> format::Result<()> {
        let cfg = &self.sbi.disk.compression;
        let mut d = self.sbi.decoders.lock();
        let r = match algorithm {
            COMPRESSION_DEFLATE => {
                if d.inflate.is_none() {
                    d.inflate = Some(Inflate::new().map_err(|_| format::Error::Io)?);
                }
                d.inflate.as_mut().map(|x| x.decode(input, out, partial))
            }
            COMPRESSION_LZMA => {
                if d.lzma.is_none() {
                    d.lzma = Some(MicroLzma::new(cfg.lzma_dict_size).map_err(|_| format::Error::Io)?);
                }
                d.lzma.as_mut().map(|x| x.decode(input, out, partial))
            }
            COMPRESSION_ZSTD => {
                if d.zstd.is_none() {
                    // EROFS caps Zstd windows at 1 MiB (the superblock
                    // check refuses more); one workspace fits them all.
                    d.zstd = Some(Zstd::new(1 << 20).map_err(|_| format::Error::Io)?);
                }
                d.zstd.as_mut().map(|x| x.decode(input, out, partial))
            }
            a => return Err(format::Error::UnsupportedAlgorithm(a)),
        };
        match r {
            Some(Ok(())) => Ok(()),
            _ => Err(format::Error::BadCompressedData),
        }
    }
}

/// Nesting of fragment reads (the packed inode holding fragments could
/// itself point at fragments in a corrupt image).
const MAX_FRAGMENT_DEPTH: u32 = 2;

/// Why a compressed read failed: the image, or the kernel (memory).
pub(crate) enum ZError {
    Format(format::Error),
    Kernel(Error),
}

impl From<format::Error> for ZError {
    fn from(e: format::Error) -> Self {
        ZError::Format(e)
    }
}

/// Copies bytes `[la, la + buf.len())` of a compressed inode.
pub(crate) fn read(sbi: &ErofsSb, di: &DiskInode, la: u64, buf: &mut [u8]) -> core::result::Result<(), ZError> {
    read_at_depth(sbi, di, la, buf, 0)
}

fn read_at_depth(sbi: &ErofsSb, di: &DiskInode, la: u64, buf: &mut [u8], depth: u32) -> core::result::Result<(), ZError> {
    let end = la.checked_add(buf.len() as u64).ok_or(format::Error::OutOfRange)?;
    if end > di.size {
        return Err(format::Error::OutOfRange.into());
    }
    if buf.is_empty() {
        return Ok(());
    }
    let zi = ZInfo::read(&sbi.src, &sbi.disk, di)?;
    let mut pos = la;
    while pos < end {
        let ext = zmap::map(&sbi.src, &sbi.disk, di, &zi, pos, true)?;
        let ext_end = ext.la.checked_add(ext.llen).ok_or(format::Error::BadCompressedLayout)?;
        if ext.la > pos || ext_end <= pos {
            return Err(format::Error::BadCompressedLayout.into());
        }
        let n = (ext_end.min(end) - pos) as usize;
        let at = (pos - la) as usize;
        let out = buf.get_mut(at..at + n).ok_or(format::Error::BadCompressedLayout)?;
        if let ZKind::Fragment { offset } = ext.kind {
            if depth >= MAX_FRAGMENT_DEPTH {
                return Err(format::Error::BadCompressedLayout.into());
            }
            let nid = sbi.disk.packed_inode().ok_or(format::Error::BadCompressedLayout)?;
            let packed = DiskInode::read(&sbi.src, &sbi.disk, nid)?;
            let fpos = offset.checked_add(pos - ext.la).ok_or(format::Error::BadCompressedLayout)?;
            if packed.is_compressed() {
                read_at_depth(sbi, &packed, fpos, out, depth + 1)?;
            } else {
                let fend = fpos.checked_add(n as u64).ok_or(format::Error::BadCompressedLayout)?;
                if fend > packed.size {
                    return Err(format::Error::BadCompressedLayout.into());
                }
                crate::data::read_range(sbi, &packed, fpos, out)?;
            }
        } else {
            copy_decoded(sbi, di.nid, &ext, pos - ext.la, out)?;
        }
        pos += n as u64;
    }
    Ok(())
}

/// Copies `out.len()` bytes from offset `from` of the decoded extent,
/// decoding it unless a recent read left it in the cache.
fn copy_decoded(sbi: &ErofsSb, nid: u64, ext: &ZExtent, from: u64, out: &mut [u8]) -> core::result::Result<(), ZError> {
    let from = from as usize;
    {
        let cache = sbi.zcache.lock();
        for (n, la, data) in cache.slots.iter().flatten() {
            if *n == nid && *la == ext.la && data.len() as u64 == ext.llen {
                let src = data.get(from..from + out.len()).ok_or(format::Error::BadCompressedLayout)?;
                out.copy_from_slice(src);
                return Ok(());
            }
        }
    }
    let blksz = sbi.disk.block_size();
    let mut stored = KVVec::from_elem(0u8, ext.plen as usize, GFP_KERNEL).map_err(|_| ZError::Kernel(ENOMEM))?;
    if ext.inline {
        read_exact(&sbi.src, 0, ext.pa, blksz, &mut stored)?;
    } else {
        let (dev, off) = map_dev(&sbi.src, &sbi.disk, sbi.devices, 0, ext.pa)?;
        // One I/O for the whole pcluster rather than one per page, and
        // ahead of it: the pclusters of a file are mostly laid out in
        // order, so the next reads find their data under way.
        sbi.src.prefetch(dev, off, ext.plen.max(PREFETCH_BYTES));
        read_exact(&sbi.src, dev, off, blksz, &mut stored)?;
    }
    let mut data = KVVec::from_elem(0u8, ext.llen as usize, GFP_KERNEL).map_err(|_| ZError::Kernel(ENOMEM))?;
    decode_extent(&sbi.disk, ext, &stored, &mut data, &mut KernelDecompressor { sbi })?;
    let src = data.get(from..from + out.len()).ok_or(format::Error::BadCompressedLayout)?;
    out.copy_from_slice(src);
    if sbi.opts.cache_strategy == CacheStrategy::Disabled || data.len() > ZCACHE_BYTES {
        return Ok(());
    }
    let mut cache = sbi.zcache.lock();
    let n = cache.slots.len();
    let slot = cache.next % n;
    cache.slots[slot] = None;
    // Evict the oldest entries until the new one fits the budget.
    let mut i = 1;
    while cache.slots.iter().flatten().map(|e| e.2.len()).sum::<usize>() + data.len() > ZCACHE_BYTES && i < n {
        cache.slots[(slot + i) % n] = None;
        i += 1;
    }
    cache.slots[slot] = Some((nid, ext.la, data));
    cache.next = slot + 1;
    Ok(())
}
