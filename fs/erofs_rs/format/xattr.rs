// SPDX-License-Identifier: GPL-2.0

//! Extended attributes (fs/erofs/xattr.c): the inline ibody (header,
//! shared ids, entries), the shared xattr area, long name prefixes and the
//! name bloom filter; plus POSIX ACL value decoding.

use super::erofs_fs::*;
use super::inode::InodeLayout;
use super::super_block::SuperBlock;
use super::{read_exact, Error, Result, Source, METABOX};
use core::ops::ControlFlow;

/// The short prefix of a name index, as the VFS spells it.
pub fn index_prefix(index: u8) -> Option<&'static [u8]> {
    Some(match index {
        XATTR_INDEX_USER => b"user.",
        XATTR_INDEX_POSIX_ACL_ACCESS => b"system.posix_acl_access",
        XATTR_INDEX_POSIX_ACL_DEFAULT => b"system.posix_acl_default",
        XATTR_INDEX_TRUSTED => b"trusted.",
        XATTR_INDEX_LUSTRE => b"lustre.",
        XATTR_INDEX_SECURITY => b"security.",
        _ => return None,
    })
}

/// One long name prefix: a base (short) index and an infix.
#[derive(Clone, Copy)]
pub struct LongPrefix {
    pub base_index: u8,
    infix: [u8; NAME_LEN],
    infix_len: u8,
}

impl LongPrefix {
    pub fn infix(&self) -> &[u8] {
        self.infix.get(..self.infix_len as usize).unwrap_or(&[])
    }
}

impl core::fmt::Debug for LongPrefix {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LongPrefix").field("base_index", &self.base_index).field("infix", &self.infix()).finish()
    }
}

/// Parses the long prefix record at `*pos` of the prefix area (a le16
/// length, then base index and infix), advancing `*pos` past it. `read`
/// fetches bytes of the area: the packed inode's data when the image has
/// one, else the primary device.
pub fn read_long_prefix(mut read: impl FnMut(u64, &mut [u8]) -> Result<()>, pos: &mut u64) -> Result<LongPrefix> {
    *pos = pos.checked_add(3).ok_or(Error::BadXattr)? & !3;
    let mut lenb = [0u8; 2];
    read(*pos, &mut lenb)?;
    let len = u16::from_le_bytes(lenb) as usize;
    // A base index byte and an infix of at most 255 bytes.
    if len < 1 || len > 1 + NAME_LEN {
        return Err(Error::BadXattr);
    }
    let mut rec = [0u8; 1 + NAME_LEN];
    let body = rec.get_mut(..len).ok_or(Error::BadXattr)?;
    read(*pos + 2, body)?;
    *pos += 2 + len as u64;
    let mut p = LongPrefix { base_index: rec[0], infix: [0; NAME_LEN], infix_len: (len - 1) as u8 };
    p.infix.get_mut(..len - 1).ok_or(Error::BadXattr)?.copy_from_slice(rec.get(1..len).ok_or(Error::BadXattr)?);
    Ok(p)
}

/// The long prefix table, however the caller stores it.
pub trait LongPrefixes {
    fn prefix(&self, index: u8) -> Option<&LongPrefix>;
}

impl LongPrefixes for [LongPrefix] {
    fn prefix(&self, index: u8) -> Option<&LongPrefix> {
        self.get(index as usize)
    }
}

/// The inline xattr header of an inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XattrIbody {
    pub name_filter: u32,
    pub shared_count: u8,
}

impl XattrIbody {
    /// Reads the header; `Ok(None)` when the inode has no xattrs
    /// (erofs_init_inode_xattrs).
    pub fn read<S: Source + ?Sized>(src: &S, sb: &SuperBlock, inode: &InodeLayout) -> Result<Option<Self>> {
        if inode.xattr_isize == 0 {
            return Ok(None);
        }
        if inode.xattr_isize == XATTR_IBODY_HEADER_SIZE {
            return Err(Error::Unsupported("an xattr ibody with only a header"));
        }
        if inode.xattr_isize < XATTR_IBODY_HEADER_SIZE {
            return Err(Error::BadXattr);
        }
        let h = read_ibody_header(src, sb, inode)?;
        let ib = XattrIbody {
            name_filter: xattr_ibody_header::H_NAME_FILTER.get(&h)?,
            shared_count: xattr_ibody_header::H_SHARED_COUNT.get(&h)?,
        };
        if XATTR_IBODY_HEADER_SIZE + 4 * ib.shared_count as u32 > inode.xattr_isize {
            return Err(Error::BadXattr);
        }
        Ok(Some(ib))
    }
}

/// The inline xattr header of `inode` as stored, right after the inode.
fn read_ibody_header<S: Source + ?Sized>(src: &S, sb: &SuperBlock, inode: &InodeLayout) -> Result<[u8; XATTR_IBODY_HEADER_SIZE as usize]> {
    let pos = inode.iloc(sb)?.checked_add(inode.inode_isize as u64).ok_or(Error::BadXattr)?;
    let mut h = [0u8; XATTR_IBODY_HEADER_SIZE as usize];
    read_exact(src, inode.meta_dev, pos, sb.block_size(), &mut h)?;
    Ok(h)
}

/// Whether the name filter `name_filter` of an inode's xattr header says
/// the inode has no xattr `name` of prefix `index` (a set bit means
/// absent; a filter has no false "absent"). Only where the superblock
/// says its filters are valid.
fn filter_rules_out(sb: &SuperBlock, name_filter: u32, index: u8, name: &[u8]) -> bool {
    if !sb.has_xattr_filter() || sb.xattr_filter_reserved != 0 {
        return false;
    }
    let bit = xxh32(name, XATTR_FILTER_SEED.wrapping_add(index as u32)) & (XATTR_FILTER_BITS - 1);
    name_filter & (1 << bit) != 0
}

/// Whether `inode` certainly has no POSIX ACL (erofs_inode_has_noacl),
/// so that the VFS may cache "no ACL" rather than ask on the first
/// permission check (which leaves RCU path walk): it has no xattrs, or,
/// with `use_filter`, its xattr header's name filter rules out both ACL
/// names. As in C, the header counts only where it lies within one block,
/// and it is taken as stored: a header the xattr code would refuse still
/// rules ACLs out, and a read error says "not certain" (the ACL lookup
/// that follows reports it).
pub fn has_no_acl<S: Source + ?Sized>(src: &S, sb: &SuperBlock, inode: &InodeLayout, use_filter: bool) -> bool {
    if inode.xattr_isize < XATTR_IBODY_HEADER_SIZE {
        return true;
    }
    if !use_filter || !sb.has_xattr_filter() || sb.xattr_filter_reserved != 0 {
        return false;
    }
    let Ok(iloc) = inode.iloc(sb) else { return false };
    let blksz = sb.block_size() as u64;
    // Where the header starts within its block: an extended inode across
    // a block boundary ends in the next block; one that ends a block
    // leaves no room for the header in it (erofs_read_inode's `ofs`).
    let mut ofs = iloc % blksz + inode.inode_isize as u64;
    if ofs > blksz {
        ofs -= blksz;
    }
    if ofs + XATTR_IBODY_HEADER_SIZE as u64 > blksz {
        return false;
    }
    let Ok(h) = read_ibody_header(src, sb, inode) else { return false };
    let Ok(filter) = xattr_ibody_header::H_NAME_FILTER.get(&h) else { return false };
    [XATTR_INDEX_POSIX_ACL_ACCESS, XATTR_INDEX_POSIX_ACL_DEFAULT].iter().all(|&index| filter_rules_out(sb, filter, index, b""))
}

/// Where one xattr entry's parts are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XattrEntry {
    pub name_index: u8,
    pub name_len: u8,
    pub value_size: u16,
    /// The device holding the entry: the primary device or the metabox.
    pub dev: u16,
    /// Byte offset of the name suffix on `dev`.
    pub name_pos: u64,
    /// Byte offset of the value on `dev`.
    pub value_pos: u64,
    /// True for an entry in the shared area.
    pub shared: bool,
}

fn entry_at<S: Source + ?Sized>(src: &S, sb: &SuperBlock, dev: u16, pos: u64, shared: bool) -> Result<XattrEntry> {
    let mut e = [0u8; 4];
    read_exact(src, dev, pos, sb.block_size(), &mut e)?;
    let name_len = xattr_entry::E_NAME_LEN.get(&e)?;
    let name_pos = pos.checked_add(4).ok_or(Error::BadXattr)?;
    let value_pos = name_pos.checked_add(name_len as u64).ok_or(Error::BadXattr)?;
    Ok(XattrEntry {
        name_index: xattr_entry::E_NAME_INDEX.get(&e)?,
        name_len,
        value_size: xattr_entry::E_VALUE_SIZE.get(&e)?,
        dev,
        name_pos,
        value_pos,
        shared,
    })
}

/// Calls `f` for every xattr entry of `inode`: inline entries first, then
/// shared ones, as the C driver walks them. Stops early when `f` breaks.
pub fn for_each_entry<S: Source + ?Sized>(
    src: &S,
    sb: &SuperBlock,
    inode: &InodeLayout,
    mut f: impl FnMut(&XattrEntry) -> Result<ControlFlow<()>>,
) -> Result<()> {
    let Some(ib) = XattrIbody::read(src, sb, inode)? else { return Ok(()) };
    let blksz = sb.block_size();
    let ibody = inode.iloc(sb)?.checked_add(inode.inode_isize as u64).ok_or(Error::BadXattr)?;
    let header = XATTR_IBODY_HEADER_SIZE + 4 * ib.shared_count as u32;
    let mut remaining = inode.xattr_isize - header;
    let mut pos = ibody + header as u64;
    while remaining > 0 {
        let e = entry_at(src, sb, inode.meta_dev, pos, false)?;
        let size = (XATTR_ENTRY_SIZE + e.name_len as u32 + e.value_size as u32).div_ceil(4) * 4;
        if remaining < size {
            return Err(Error::BadXattr);
        }
        if f(&e)?.is_break() {
            return Ok(());
        }
        remaining -= size;
        pos += size as u64;
    }
    let shared_base = sb.block_offset(sb.xattr_blkaddr as u64)?;
    let shared_dev = if sb.has_shared_ea_in_metabox() { METABOX } else { 0 };
    for i in 0..ib.shared_count as u64 {
        let mut idb = [0u8; 4];
        read_exact(src, inode.meta_dev, ibody + XATTR_IBODY_HEADER_SIZE as u64 + 4 * i, blksz, &mut idb)?;
        let id = u32::from_le_bytes(idb) as u64;
        let pos = shared_base.checked_add(id * 4).ok_or(Error::BadXattr)?;
        let e = entry_at(src, sb, shared_dev, pos, true)?;
        if f(&e)?.is_break() {
            return Ok(());
        }
    }
    Ok(())
}

/// A little-endian 32-bit lane of xxHash (`w` holds 4 bytes).
fn lane(w: &[u8]) -> u32 {
    w.iter().rev().fold(0, |acc, &b| (acc << 8) | b as u32)
}

/// xxHash32 of `data` with `seed`, as the kernel's `xxh32()`.
pub fn xxh32(data: &[u8], seed: u32) -> u32 {
    const P1: u32 = 0x9E37_79B1;
    const P2: u32 = 0x85EB_CA77;
    const P3: u32 = 0xC2B2_AE3D;
    const P4: u32 = 0x27D4_EB2F;
    const P5: u32 = 0x1656_67B1;
    let round = |acc: u32, lane: u32| acc.wrapping_add(lane.wrapping_mul(P2)).rotate_left(13).wrapping_mul(P1);
    let mut chunks = data.chunks_exact(16);
    let mut h = if data.len() >= 16 {
        let (mut v1, mut v2, mut v3, mut v4) = (seed.wrapping_add(P1).wrapping_add(P2), seed.wrapping_add(P2), seed, seed.wrapping_sub(P1));
        for c in &mut chunks {
            let mut lanes = c.chunks_exact(4).map(lane);
            let mut next = || lanes.next().unwrap_or(0);
            v1 = round(v1, next());
            v2 = round(v2, next());
            v3 = round(v3, next());
            v4 = round(v4, next());
        }
        v1.rotate_left(1).wrapping_add(v2.rotate_left(7)).wrapping_add(v3.rotate_left(12)).wrapping_add(v4.rotate_left(18))
    } else {
        seed.wrapping_add(P5)
    };
    h = h.wrapping_add(data.len() as u32);
    let rest = chunks.remainder();
    let mut words = rest.chunks_exact(4);
    for w in &mut words {
        h = h.wrapping_add(lane(w).wrapping_mul(P3)).rotate_left(17).wrapping_mul(P4);
    }
    for &b in words.remainder() {
        h = h.wrapping_add((b as u32).wrapping_mul(P5)).rotate_left(11).wrapping_mul(P1);
    }
    h ^= h >> 15;
    h = h.wrapping_mul(P2);
    h ^= h >> 13;
    h = h.wrapping_mul(P3);
    h ^= h >> 16;
    h
}

/// Reads `buf.len()` bytes at `pos` of device `dev`.
fn read_at<S: Source + ?Sized>(src: &S, sb: &SuperBlock, dev: u16, pos: u64, buf: &mut [u8]) -> Result<()> {
    read_exact(src, dev, pos, sb.block_size(), buf)
}

/// Looks up the xattr (`index`, `name`) where `name` is the part after the
/// short prefix (erofs_getxattr). With `value` it copies the value and
/// returns its size; without, it returns the size only. Errors:
/// [`Error::NoXattr`] when absent, [`Error::BufferTooSmall`] when `value`
/// cannot hold it.
pub fn get<S: Source + ?Sized, P: LongPrefixes + ?Sized>(
    src: &S,
    sb: &SuperBlock,
    inode: &InodeLayout,
    prefixes: &P,
    index: u8,
    name: &[u8],
    mut value: Option<&mut [u8]>,
) -> Result<usize> {
    if name.len() > NAME_LEN {
        return Err(Error::BufferTooSmall);
    }
    let Some(ib) = XattrIbody::read(src, sb, inode)? else { return Err(Error::NoXattr) };
    if filter_rules_out(sb, ib.name_filter, index, name) {
        return Err(Error::NoXattr);
    }
    let mut result = Err(Error::NoXattr);
    for_each_entry(src, sb, inode, |e| {
        // Match the index and the infix of a long prefix, then the suffix.
        let suffix = if e.name_index & XATTR_LONG_PREFIX != 0 {
            let Some(p) = prefixes.prefix(e.name_index & XATTR_LONG_PREFIX_MASK) else {
                return Ok(ControlFlow::Continue(()));
            };
            if p.base_index != index || !name.starts_with(p.infix()) {
                return Ok(ControlFlow::Continue(()));
            }
            name.get(p.infix().len()..).unwrap_or(&[])
        } else {
            if e.name_index != index {
                return Ok(ControlFlow::Continue(()));
            }
            name
        };
        if suffix.len() != e.name_len as usize {
            return Ok(ControlFlow::Continue(()));
        }
        let mut stored = [0u8; NAME_LEN];
        let stored = stored.get_mut(..suffix.len()).ok_or(Error::BadXattr)?;
        read_at(src, sb, e.dev, e.name_pos, stored)?;
        if stored != suffix {
            return Ok(ControlFlow::Continue(()));
        }
        let size = e.value_size as usize;
        result = match value.as_deref_mut() {
            None => Ok(size),
            Some(buf) if buf.len() < size => Err(Error::BufferTooSmall),
            Some(buf) => {
                read_at(src, sb, e.dev, e.value_pos, buf.get_mut(..size).ok_or(Error::BufferTooSmall)?)?;
                Ok(size)
            }
        };
        Ok(ControlFlow::Break(()))
    })?;
    result
}

/// Calls `f(base_index, infix, suffix)` for every xattr name of `inode`,
/// in on-disk order (inline, then shared). Entries whose long prefix index
/// is beyond the table are skipped, as in the C driver. Which base indexes
/// are visible (user_xattr, trusted for admins, ACLs) is the caller's
/// policy.
pub fn list<S: Source + ?Sized, P: LongPrefixes + ?Sized>(
    src: &S,
    sb: &SuperBlock,
    inode: &InodeLayout,
    prefixes: &P,
    mut f: impl FnMut(u8, &[u8], &[u8]) -> Result<ControlFlow<()>>,
) -> Result<()> {
    for_each_entry(src, sb, inode, |e| {
        let (base, infix) = if e.name_index & XATTR_LONG_PREFIX != 0 {
            match prefixes.prefix(e.name_index & XATTR_LONG_PREFIX_MASK) {
                Some(p) => (p.base_index, p.infix()),
                None => return Ok(ControlFlow::Continue(())),
            }
        } else {
            (e.name_index, &[][..])
        };
        let mut name = [0u8; NAME_LEN];
        let name = name.get_mut(..e.name_len as usize).ok_or(Error::BadXattr)?;
        read_at(src, sb, e.dev, e.name_pos, name)?;
        f(base, infix, name)
    })
}

/// Reads the value of an entry found by [`for_each_entry`] into `buf`
/// (which must hold `value_size` bytes).
pub fn read_value<S: Source + ?Sized>(src: &S, sb: &SuperBlock, e: &XattrEntry, buf: &mut [u8]) -> Result<()> {
    let v = buf.get_mut(..e.value_size as usize).ok_or(Error::BufferTooSmall)?;
    read_at(src, sb, e.dev, e.value_pos, v)
}

/// POSIX ACL values, stored as the VFS xattr format: a 4-byte header
/// (version 2) and 8-byte entries {tag, perm, id}.
pub mod acl {
    use super::super::erofs_fs::{acl_entry, acl_header};
    use super::super::{Error, Result};

    pub const ACL_XATTR_VERSION: u32 = 2;
    pub const ACL_USER_OBJ: u16 = 0x01;
    pub const ACL_USER: u16 = 0x02;
    pub const ACL_GROUP_OBJ: u16 = 0x04;
    pub const ACL_GROUP: u16 = 0x08;
    pub const ACL_MASK: u16 = 0x10;
    pub const ACL_OTHER: u16 = 0x20;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct AclEntry {
        pub tag: u16,
        pub perm: u16,
        /// uid or gid for ACL_USER / ACL_GROUP; otherwise undefined.
        pub id: u32,
    }

    /// Checks an ACL value and returns its number of entries.
    pub fn count(value: &[u8]) -> Result<usize> {
        if value.len() < acl_header::SIZE
            || (value.len() - acl_header::SIZE) % acl_entry::SIZE != 0
            || acl_header::VERSION.get(value).map_err(|_| Error::BadAcl)? != ACL_XATTR_VERSION
        {
            return Err(Error::BadAcl);
        }
        let n = (value.len() - 4) / 8;
        for i in 0..n {
            let e = entry(value, i)?;
            if !matches!(e.tag, ACL_USER_OBJ | ACL_USER | ACL_GROUP_OBJ | ACL_GROUP | ACL_MASK | ACL_OTHER) || e.perm > 7 {
                return Err(Error::BadAcl);
            }
        }
        Ok(n)
    }

    /// Entry `i` of an ACL value.
    pub fn entry(value: &[u8], i: usize) -> Result<AclEntry> {
        let off = i.checked_mul(8).and_then(|o| o.checked_add(4)).ok_or(Error::BadAcl)?;
        let e = value.get(off..off + 8).ok_or(Error::BadAcl)?;
        Ok(AclEntry { tag: acl_entry::E_TAG.get(e)?, perm: acl_entry::E_PERM.get(e)?, id: acl_entry::E_ID.get(e)? })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn xxh32_vectors() {
        // Reference values of XXH32.
        assert_eq!(super::xxh32(b"", 0), 0x02CC_5D05);
        assert_eq!(super::xxh32(b"a", 0), 0x550D_7456);
        assert_eq!(super::xxh32(b"abc", 0), 0x32D1_53FF);
        assert_eq!(super::xxh32(b"Nobody inspects the spammish repetition", 0), 0xE229_3B2F);
    }
}
