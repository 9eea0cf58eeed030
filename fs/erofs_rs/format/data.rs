// SPDX-License-Identifier: GPL-2.0

//! Block mapping of uncompressed data: flat (plain and tail-inline) and
//! chunk-based inodes (fs/erofs/data.c, erofs_map_blocks / erofs_map_dev).

use super::erofs_fs::*;
use super::inode::InodeLayout;
use super::super_block::SuperBlock;
use super::{Error, Result, Source};

/// Where a logical range of a file lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mapping {
    /// Zeros: beyond EOF (only when asked) or a hole chunk.
    Hole,
    /// Bytes at `pa` on device `device_id` (0 = primary; ids as the chunk
    /// index says, before device mapping).
    Mapped { device_id: u16, pa: u64 },
    /// The tail of a FLAT_INLINE inode, in the metadata block right after
    /// the inode: on the inode's metadata device `dev` (the primary
    /// device or the metabox).
    Inline { dev: u16, pa: u64 },
}

/// The mapping of `[la, la + len)` of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extent {
    pub la: u64,
    pub len: u64,
    pub map: Mapping,
}

/// Maps the byte at `la` of an uncompressed inode to the largest extent
/// that starts there and is contiguous on disk (erofs_map_blocks).
/// `la` must be below the file size.
pub fn map_blocks<S: Source + ?Sized>(src: &S, sb: &SuperBlock, inode: &InodeLayout, la: u64) -> Result<Extent> {
    if la >= inode.size {
        return Err(Error::OutOfRange);
    }
    let blksz = sb.block_size() as u64;
    match inode.datalayout {
        INODE_FLAT_PLAIN | INODE_FLAT_INLINE => {
            let inline = inode.datalayout == INODE_FLAT_INLINE;
            let nblocks = inode.data_blocks(sb);
            let lastblk = if inline { nblocks.saturating_sub(1) } else { nblocks };
            let flat_end = lastblk * blksz;
            if la < flat_end {
                // A plain inode whose start block is NULL_ADDR has no
                // blocks: it reads as zeros (7.x).
                let Some(startblk) = inode.startblk() else {
                    return Ok(Extent { la, len: flat_end - la, map: Mapping::Hole });
                };
                let base = sb.block_offset(startblk)?;
                let pa = base.checked_add(la).ok_or(Error::BadBlockAddress(startblk))?;
                // The whole flat range must be addressable.
                base.checked_add(flat_end).ok_or(Error::BadBlockAddress(startblk))?;
                return Ok(Extent { la, len: flat_end - la, map: Mapping::Mapped { device_id: 0, pa } });
            }
            if !inline {
                return Err(Error::BadSize);
            }
            let pa = inode.tail_offset(sb)?.checked_add(la % blksz).ok_or(Error::BadInlineData)?;
            let len = inode.size - la;
            // Inline data must sit inside the metadata block.
            if pa % blksz + len > blksz {
                return Err(Error::BadInlineData);
            }
            Ok(Extent { la, len, map: Mapping::Inline { dev: inode.meta_dev, pa } })
        }
        INODE_CHUNK_BASED => {
            let (indexes, unit) = chunk_index_unit(inode);
            let chunknr = la >> inode.chunkbits;
            let pos = chunk_index_pos(sb, inode, unit, chunknr)?;
            let chunk_start = chunknr << inode.chunkbits;
            let chunk_len = (1u64 << inode.chunkbits).min((inode.size - chunk_start).div_ceil(blksz) * blksz);
            let skip = la - chunk_start;
            let Some((device_id, blkaddr)) = chunk_entry(src, sb, inode, indexes, pos)? else {
                return Ok(Extent { la, len: chunk_len - skip, map: Mapping::Hole });
            };
            let pa = sb.block_offset(blkaddr)?.checked_add(skip).ok_or(Error::BadBlockAddress(blkaddr))?;
            Ok(Extent { la, len: chunk_len - skip, map: Mapping::Mapped { device_id, pa } })
        }
        INODE_COMPRESSED_FULL | INODE_COMPRESSED_COMPACT => Err(Error::Unsupported("compressed data through map_blocks")),
        other => Err(Error::UnsupportedDataLayout(other)),
    }
}

/// The chunk index or block map entry at `pos` of the inode's metadata
/// device (erofs_map_chunks): (device id, start block), `None` for a
/// hole. Indexes of the 48-bit chunk format add `startblk_hi`.
fn chunk_entry<S: Source + ?Sized>(src: &S, sb: &SuperBlock, inode: &InodeLayout, indexes: bool, pos: u64) -> Result<Option<(u16, u64)>> {
    let unit = if indexes { CHUNK_INDEX_SIZE } else { BLOCK_MAP_ENTRY_SIZE };
    let bytes = src.bytes(inode.meta_dev, pos, unit as usize)?;
    let b: &[u8] = &bytes;
    if !indexes {
        let blkaddr = block_map_entry::BLKADDR.get(b)?;
        return Ok((blkaddr != NULL_ADDR).then_some((0, blkaddr as u64)));
    }
    let mask = if inode.chunkformat & CHUNK_FORMAT_48BIT != 0 { BLKADDR_48BIT_MASK } else { u32::MAX as u64 };
    let blkaddr = ((chunk_index::STARTBLK_HI.get(b)? as u64) << 32 | chunk_index::STARTBLK_LO.get(b)? as u64) & mask;
    if blkaddr == mask {
        return Ok(None);
    }
    Ok(Some((chunk_index::DEVICE_ID.get(b)? & device_id_mask(sb), blkaddr)))
}

/// Whether a chunk-based inode has chunk indexes (else a block map), and
/// the size of one entry.
fn chunk_index_unit(inode: &InodeLayout) -> (bool, u64) {
    let indexes = inode.chunkformat & CHUNK_FORMAT_INDEXES != 0;
    (indexes, if indexes { CHUNK_INDEX_SIZE } else { BLOCK_MAP_ENTRY_SIZE })
}

/// Byte address of the index entry of chunk `chunknr`: the entries start
/// after the inode and its xattrs, aligned to their size.
fn chunk_index_pos(sb: &SuperBlock, inode: &InodeLayout, unit: u64, chunknr: u64) -> Result<u64> {
    inode
        .tail_offset(sb)?
        .checked_add(unit - 1)
        .map(|p| p & !(unit - 1))
        .and_then(|p| p.checked_add(unit.checked_mul(chunknr)?))
        .ok_or(Error::BadNid(inode.nid))
}

/// The run of chunks from the chunk holding `la` on, as the 7.x C driver
/// maps chunk-based inodes (erofs_map_chunks): the chunks whose index
/// entries follow in the same metadata block join the run while they
/// continue it on disk (the next blocks of the same device) or are holes
/// after a hole. The extent starts at the first chunk and ends at the
/// run's end or the last block of the file. (6.12 maps one chunk at a
/// time; `map_blocks` does that.)
pub fn map_chunk_run<S: Source + ?Sized>(src: &S, sb: &SuperBlock, inode: &InodeLayout, la: u64) -> Result<Extent> {
    if inode.datalayout != INODE_CHUNK_BASED {
        return map_blocks(src, sb, inode, la);
    }
    if la >= inode.size {
        return Err(Error::OutOfRange);
    }
    let blksz = sb.block_size() as u64;
    let (indexes, unit) = chunk_index_unit(inode);
    let chunknr = la >> inode.chunkbits;
    let pos = chunk_index_pos(sb, inode, unit, chunknr)?;
    let endpos = (pos / blksz + 1) * blksz;
    // Entry `n` of the run: (device id, block address), None for a hole.
    let entry = |n: u64| -> Result<Option<(u16, u64)>> {
        let at = pos.checked_add(n * unit).ok_or(Error::BadNid(inode.nid))?;
        chunk_entry(src, sb, inode, indexes, at)
    };
    let chunk_blocks = (1u64 << inode.chunkbits) / blksz;
    let first = entry(0)?;
    let mut n = 1u64;
    while pos + n * unit < endpos {
        let expected = first.map(|(dev, blk)| (dev, blk + n * chunk_blocks));
        if entry(n)? != expected {
            break;
        }
        n += 1;
    }
    let start = chunknr << inode.chunkbits;
    let len = (n << inode.chunkbits).min((inode.size - start).div_ceil(blksz) * blksz);
    let map = match first {
        None => Mapping::Hole,
        Some((device_id, blk)) => Mapping::Mapped { device_id, pa: sb.block_offset(blk)? },
    };
    Ok(Extent { la: start, len, map })
}

/// The mask the C driver applies to chunk index device ids:
/// roundup_pow_of_two(extra_devices + 1) - 1.
pub fn device_id_mask(sb: &SuperBlock) -> u16 {
    let n = sb.extra_device_count() as u32 + 1;
    (n.next_power_of_two() - 1) as u16
}

/// How extra devices are addressed at read time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceMode {
    /// Each extra device is its own `Source` device (given with `device=`).
    Separate,
    /// No extra devices given: blobs are reached through the primary
    /// device at their `mapped_blkaddr` ("flat" addressing).
    Flat,
}

/// Resolves a mapped extent to (device, byte offset) the way
/// erofs_map_dev does.
pub fn map_dev<S: Source + ?Sized>(src: &S, sb: &SuperBlock, mode: DeviceMode, device_id: u16, pa: u64) -> Result<(u16, u64)> {
    let blksz = sb.block_size() as u64;
    if device_id != 0 {
        let slot = sb.device_slot(src, device_id - 1)?;
        return match mode {
            DeviceMode::Flat => {
                let base = (slot.mapped_blkaddr as u64) * blksz;
                Ok((0, pa.checked_add(base).ok_or(Error::BadBlockAddress(pa / blksz))?))
            }
            DeviceMode::Separate => Ok((device_id, pa)),
        };
    }
    if mode == DeviceMode::Separate {
        // A primary-device address inside a blob's mapped range is served
        // by that blob.
        for i in 0..sb.extra_device_count() {
            let slot = sb.device_slot(src, i)?;
            if slot.mapped_blkaddr == 0 {
                continue;
            }
            let start = slot.mapped_blkaddr as u64 * blksz;
            let len = slot.blocks as u64 * blksz;
            if pa >= start && pa - start < len {
                return Ok((i + 1, pa - start));
            }
        }
    }
    Ok((0, pa))
}
