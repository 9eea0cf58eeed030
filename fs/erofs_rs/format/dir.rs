// SPDX-License-Identifier: GPL-2.0

//! Directories (fs/erofs/dir.c and namei.c): blocks of 12-byte dirents
//! followed by their names, sorted by name within and across blocks.

use super::erofs_fs::*;
use super::{Error, Result};
use core::cmp::Ordering;

/// One directory entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dirent<'a> {
    pub nid: u64,
    /// `FT_*` type as stored.
    pub file_type: u8,
    pub name: &'a [u8],
}

/// A checked view of one directory block.
#[derive(Debug, Clone, Copy)]
pub struct DirBlock<'a> {
    /// The valid bytes of the block: min(block size, i_size - block start).
    data: &'a [u8],
    count: usize,
}

impl<'a> DirBlock<'a> {
    /// `data` holds the valid bytes of the block (the last block of a
    /// directory may be shorter than a block). `blksz` is the block size.
    pub fn new(data: &'a [u8], blksz: u32) -> Result<Self> {
        let nameoff0 = dirent::NAMEOFF.get(data).map_err(|_| Error::BadDirent)? as usize;
        if data.len() < DIRENT_SIZE || nameoff0 == 0 || nameoff0 >= blksz as usize || nameoff0 % DIRENT_SIZE != 0 || nameoff0 > data.len() {
            return Err(Error::BadDirent);
        }
        Ok(Self { data, count: nameoff0 / DIRENT_SIZE })
    }

    /// Number of entries in the block.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Entry `i` (0-based), with its name checked as erofs_fill_dentries
    /// does.
    pub fn entry(&self, i: usize) -> Result<Dirent<'a>> {
        if i >= self.count {
            return Err(Error::BadDirent);
        }
        let off = i * DIRENT_SIZE;
        let d = self.data.get(off..).ok_or(Error::BadDirent)?;
        let nid = dirent::NID.get(d)?;
        let nameoff = dirent::NAMEOFF.get(d)? as usize;
        let file_type = dirent::FILE_TYPE.get(d)?;
        let maxsize = self.data.len();
        let namelen = if i + 1 < self.count {
            let next = dirent::NAMEOFF.get(d.get(DIRENT_SIZE..).ok_or(Error::BadDirent)?)? as usize;
            next.checked_sub(nameoff).ok_or(Error::BadDirent)?
        } else {
            if maxsize <= nameoff {
                return Err(Error::BadDirent);
            }
            let tail = self.data.get(nameoff..).ok_or(Error::BadDirent)?;
            tail.iter().position(|&c| c == 0).unwrap_or(tail.len())
        };
        if namelen == 0 || namelen > NAME_LEN || nameoff + namelen > maxsize {
            return Err(Error::BadDirent);
        }
        let name = self.data.get(nameoff..nameoff + namelen).ok_or(Error::BadDirent)?;
        Ok(Dirent { nid, file_type, name })
    }

    /// The entry called `name`, by binary search (find_target_dirent).
    pub fn find(&self, name: &[u8]) -> Result<Option<Dirent<'a>>> {
        let (mut lo, mut hi) = (0usize, self.count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let de = self.entry(mid)?;
            match name.cmp(de.name) {
                Ordering::Equal => return Ok(Some(de)),
                Ordering::Greater => lo = mid + 1,
                Ordering::Less => hi = mid,
            }
        }
        Ok(None)
    }
}

/// Access to a directory's data one block at a time. Uncompressed
/// directories map straight onto the image; compressed ones are
/// decompressed by the caller.
pub trait DirBlocks {
    /// Calls `f` with the valid bytes of block `index` of the directory.
    fn with_block<R>(&mut self, index: u64, f: impl FnOnce(&[u8]) -> Result<R>) -> Result<R>;
}

/// Looks `name` up in a directory of `size` bytes: a binary search over
/// blocks by their first name, then within the candidate block
/// (erofs_namei). Returns the entry's nid and `FT_*` type.
pub fn lookup<D: DirBlocks>(dir: &mut D, size: u64, blksz: u32, name: &[u8]) -> Result<Option<(u64, u8)>> {
    if name.is_empty() || name.len() > NAME_LEN {
        return Ok(None);
    }
    let nblocks = size.div_ceil(blksz as u64);
    let (mut lo, mut hi) = (0u64, nblocks);
    // The last block whose first name sorts before `name` is the only
    // block that can hold it.
    enum Probe {
        Found(u64, u8),
        Before,
        After,
    }
    let mut candidate = None;
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let probe = dir.with_block(mid, |data| {
            let blk = DirBlock::new(data, blksz)?;
            let first = blk.entry(0)?;
            Ok(match name.cmp(first.name) {
                Ordering::Equal => Probe::Found(first.nid, first.file_type),
                Ordering::Less => Probe::Before,
                Ordering::Greater => Probe::After,
            })
        })?;
        match probe {
            Probe::Found(nid, ft) => return Ok(Some((nid, ft))),
            Probe::After => {
                candidate = Some(mid);
                lo = mid + 1;
            }
            Probe::Before => hi = mid,
        }
    }
    let Some(block) = candidate else { return Ok(None) };
    dir.with_block(block, |data| {
        let blk = DirBlock::new(data, blksz)?;
        Ok(blk.find(name)?.map(|de| (de.nid, de.file_type)))
    })
}

/// Position-resumable iteration: calls `emit(entry, next_pos)` for every
/// entry at or after byte position `pos` (a multiple of 12 within a block,
/// or a block boundary) until `emit` returns false. Returns the position
/// to resume from; `size` when the directory is exhausted.
pub fn iterate<D: DirBlocks>(
    dir: &mut D,
    size: u64,
    blksz: u32,
    mut pos: u64,
    mut emit: impl FnMut(&Dirent<'_>, u64) -> bool,
) -> Result<u64> {
    let bsz = blksz as u64;
    // At or past the end nothing is read (and the position stays: an
    // omitted `.` is listed at the end, erofs_readdir).
    if pos >= size {
        return Ok(pos);
    }
    // Round a position inside a block up to a dirent boundary, as readdir
    // does for arbitrary seeks.
    let ofs = pos % bsz;
    pos = pos - ofs + ofs.div_ceil(DIRENT_SIZE as u64) * DIRENT_SIZE as u64;
    while pos < size {
        let block = pos / bsz;
        let start = block * bsz;
        let first = ((pos - start) / DIRENT_SIZE as u64) as usize;
        let (next, stop) = dir.with_block(block, |data| {
            let blk = DirBlock::new(data, blksz)?;
            let end_pos = start + data.len() as u64;
            for i in first..blk.count() {
                let de = blk.entry(i)?;
                let after = if i + 1 < blk.count() { start + ((i + 1) * DIRENT_SIZE) as u64 } else { end_pos };
                if !emit(&de, after) {
                    return Ok((start + (i * DIRENT_SIZE) as u64, true));
                }
            }
            Ok((end_pos, false))
        })?;
        if stop {
            return Ok(next);
        }
        pos = next;
    }
    Ok(pos.max(size))
}
