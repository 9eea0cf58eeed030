// SPDX-License-Identifier: GPL-2.0

//! Reading a byte range of a file: the extent walk of fs/erofs/zdata.c
//! (and data.c for uncompressed inodes) that the kernel module and the
//! host tools share. They differ only in where decoded extents come from
//! (caches, buffer pools, decoders), which [`ReadCtx`] supplies.

use super::data::{map_blocks, map_dev, DeviceMode, Mapping};
use super::inode::{Inode, InodeLayout};
use super::super_block::SuperBlock;
use super::zmap::{self, ZExtent, ZInfo, ZKind};
use super::{read_exact, Error, Result, Source};

/// Fragments live in the packed inode, which could itself (in a corrupt
/// image) point at fragments: reads nest at most this deep.
const MAX_FRAGMENT_DEPTH: u32 = 2;

/// What a reader of file data provides.
pub trait ReadCtx {
    type Src: Source + ?Sized;
    fn src(&self) -> &Self::Src;
    fn sb(&self) -> &SuperBlock;
    fn device_mode(&self) -> DeviceMode;
    /// The map header of a compressed inode (a reader may cache it).
    fn zinfo(&self, inode: &InodeLayout) -> Result<ZInfo> {
        ZInfo::read(self.src(), self.sb(), inode)
    }
    /// The extent of inode `nid` holding byte `pos` when the reader
    /// already has it decoded (sequential reads then skip the mapping).
    fn cached_extent(&self, _nid: u64, _pos: u64) -> Option<ZExtent> {
        None
    }
    /// Copies bytes `[from, from + out.len())` of the decoded data of
    /// extent `ext` (never a fragment) of inode `nid` into `out`.
    fn copy_decoded(&mut self, nid: u64, ext: &ZExtent, from: usize, out: &mut [u8]) -> Result<()>;
}

/// Copies file bytes `[la, la + buf.len())` of `inode`, which must lie
/// within the file.
pub fn read_file<C: ReadCtx + ?Sized>(ctx: &mut C, inode: &InodeLayout, la: u64, buf: &mut [u8]) -> Result<()> {
    read_at_depth(ctx, inode, la, buf, 0)
}

fn read_at_depth<C: ReadCtx + ?Sized>(ctx: &mut C, inode: &InodeLayout, la: u64, buf: &mut [u8], depth: u32) -> Result<()> {
    let end = la.checked_add(buf.len() as u64).ok_or(Error::OutOfRange)?;
    if end > inode.size {
        return Err(Error::OutOfRange);
    }
    if buf.is_empty() {
        return Ok(());
    }
    if !inode.is_compressed() {
        return read_plain(ctx.src(), ctx.sb(), ctx.device_mode(), inode, la, buf);
    }
    let zi = ctx.zinfo(inode)?;
    let mut pos = la;
    while pos < end {
        let ext = match ctx.cached_extent(inode.nid, pos) {
            Some(ext) => ext,
            None => zmap::map(ctx.src(), ctx.sb(), inode, &zi, pos, true)?,
        };
        let ext_end = ext.la.checked_add(ext.llen).ok_or(Error::BadCompressedLayout)?;
        if ext.la > pos || ext_end <= pos {
            return Err(Error::BadCompressedLayout);
        }
        let n = (ext_end.min(end) - pos) as usize;
        let at = (pos - la) as usize;
        let out = buf.get_mut(at..at + n).ok_or(Error::BadCompressedLayout)?;
        if let ZKind::Fragment { offset } = ext.kind {
            if depth >= MAX_FRAGMENT_DEPTH {
                return Err(Error::BadCompressedLayout);
            }
            let nid = ctx.sb().packed_inode().ok_or(Error::BadCompressedLayout)?;
            let packed = Inode::read(ctx.src(), ctx.sb(), nid)?;
            let fpos = offset.checked_add(pos - ext.la).ok_or(Error::BadCompressedLayout)?;
            // A fragment past the packed inode's end is corruption of
            // this inode's map, not an out-of-range request.
            if fpos.checked_add(n as u64).map_or(true, |e| e > packed.size) {
                return Err(Error::BadCompressedLayout);
            }
            read_at_depth(ctx, &packed, fpos, out, depth + 1)?;
        } else if ext.kind == ZKind::Hole {
            out.fill(0);
        } else {
            ctx.copy_decoded(inode.nid, &ext, (pos - ext.la) as usize, out)?;
        }
        pos += n as u64;
    }
    Ok(())
}

/// Copies file bytes `[la, la + buf.len())` of an uncompressed inode.
pub fn read_plain<S: Source + ?Sized>(
    src: &S,
    sb: &SuperBlock,
    mode: DeviceMode,
    inode: &InodeLayout,
    la: u64,
    buf: &mut [u8],
) -> Result<()> {
    let blksz = sb.block_size();
    let mut done = 0usize;
    while done < buf.len() {
        let pos = la.checked_add(done as u64).ok_or(Error::OutOfRange)?;
        let ext = map_blocks(src, sb, inode, pos)?;
        let n = ext.len.min((buf.len() - done) as u64) as usize;
        if n == 0 {
            return Err(Error::BadSize);
        }
        let out = buf.get_mut(done..done + n).ok_or(Error::BadSize)?;
        match ext.map {
            Mapping::Hole => out.fill(0),
            Mapping::Inline { dev, pa } => read_exact(src, dev, pa, blksz, out)?,
            Mapping::Mapped { device_id, pa } => {
                let (dev, off) = map_dev(src, sb, mode, device_id, pa)?;
                read_exact(src, dev, off, blksz, out)?
            }
        }
        done += n;
    }
    Ok(())
}

/// Where the stored bytes of a (non-fragment) extent are: device and
/// offset. Inline pclusters sit in the metadata of their inode (on the
/// primary device or in the metabox); the others are mapped like block
/// addresses.
pub fn stored_location<S: Source + ?Sized>(src: &S, sb: &SuperBlock, mode: DeviceMode, ext: &ZExtent) -> Result<(u16, u64)> {
    if ext.inline {
        Ok((ext.inline_dev, ext.pa))
    } else {
        map_dev(src, sb, mode, 0, ext.pa)
    }
}
