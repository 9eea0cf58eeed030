// SPDX-License-Identifier: GPL-2.0

//! fscache-backed mounts (fs/erofs/fscache.c): `fsid=` names the image's
//! primary blob in a cache (cachefiles in on-demand mode, filled by a user
//! daemon as blobs are read), `device=` or the device table the others,
//! `domain_id=` a domain whose mounts share their common blobs, and
//! `cache_tag=` (ours) the cache. Metadata and compressed data are read
//! through the blobs' page cache, as file-backed images are (`fileio.rs`);
//! uncompressed file data goes from the cache straight into the file's
//! page cache (erofs_fscache_access_aops).

use crate::data::MetaSource;
use crate::format::data::{map_blocks, map_dev, DeviceMode, Mapping};
use crate::format::{self, super_block::SuperBlock as DiskSuper, Source};
use crate::inode::ErofsInode;
use crate::super_::{check_device_count, finish_fill, fs_error, Erofs, ErofsSb, MountOptions};
use crate::vfs::address_space::{self, Ops};
use crate::vfs::fscache::{BlobSource, Domain, Volume};
use crate::vfs::printk::erofs_err;
use crate::vfs::super_block::New;
use crate::vfs::{self, FolioRange, FsContext, Inode, LockedFolio, Readahead, SuperBlock};
use kernel::c_str;
use kernel::prelude::*;

/// The volume of the mount's blobs: `erofs,<domain_id or fsid>`, as
/// the C driver names it (so the same daemon serves both).
fn volume_key(name: &[u8]) -> Result<KVec<u8>> {
    let mut key = KVec::with_capacity(name.len() + 7, GFP_KERNEL)?;
    key.extend_from_slice(b"erofs,", GFP_KERNEL)?;
    key.extend_from_slice(name, GFP_KERNEL)?;
    key.push(0, GFP_KERNEL)?;
    Ok(key)
}

/// The mount's volume, or its share of its domain's
/// (erofs_fscache_register_volume / _register_domain).
fn blob_source(sb: &SuperBlock<Erofs, New>, opts: &MountOptions, fsid: &[u8]) -> Result<BlobSource> {
    let key = volume_key(opts.domain_id.as_deref().unwrap_or(fsid))?;
    let key = CStr::from_bytes_with_nul(&key).map_err(|_| EINVAL)?;
    let cache = match &opts.cache_tag {
        Some(t) => Some(CStr::from_bytes_with_nul(t).map_err(|_| EINVAL)?),
        None => None,
    };
    let source = match &opts.domain_id {
        Some(d) => Domain::join(d, key, cache).map(BlobSource::Domain),
        None => Volume::acquire(key, cache).map(BlobSource::Volume),
    };
    source.inspect_err(|_| erofs_err!(sb, "failed to register volume for {}\n", key))
}

pub(crate) fn fill_super(sb: &SuperBlock<Erofs, New>, fc: &FsContext, mut opts: MountOptions) -> Result<ErofsSb> {
    let fsid = opts.fsid.as_deref().ok_or(EINVAL)?;
    // The page cache of a blob is read a page at a time.
    if !sb.set_blocksize(vfs::PAGE_SIZE as u32) {
        return Err(EINVAL);
    }
    let blobs = blob_source(sb, &opts, fsid)?;
    let mut src = MetaSource::fscache(blobs, fsid).inspect_err(|e| {
        if *e == EEXIST {
            let domain = opts.domain_id.as_deref().unwrap_or(&[]);
            erofs_err!(sb, "{} already exists in domain {}\n", BlobName(fsid), BlobName(domain));
        } else {
            erofs_err!(sb, "failed to get cookie for {}\n", BlobName(fsid));
        }
    })?;
    let disk = DiskSuper::read(&src).map_err(|e| fs_error(sb, format_args!("superblock"), e))?;
    if disk.block_size() as usize != vfs::PAGE_SIZE {
        fc.error(c_str!("unsupported blksize for fscache mode"));
        return Err(EINVAL);
    }
    check_device_count(sb, &disk, opts.devices.len())?;
    // A blob's size is the cache's; its image says how much of it is the
    // image's, and readahead (prefetch) goes no further.
    let bsz = disk.block_size() as u64;
    src.set_readahead_end(0, (disk.blocks as u64).saturating_mul(bsz));
    // Each extra blob: named by `device=`, or else by its slot's tag.
    let mut total_blocks = disk.blocks as u64;
    for i in 0..disk.extra_device_count() {
        let slot = disk.device_slot(&src, i).map_err(|e| fs_error(sb, format_args!("device table"), e))?;
        let name = match opts.devices.get(i as usize) {
            Some(path) => &path[..path.len() - 1],
            None => slot.tag_str(),
        };
        if name.is_empty() {
            let pos = (disk.devt_slotoff as u64 + i as u64) * format::erofs_fs::DEVT_SLOT_SIZE;
            erofs_err!(sb, "empty device tag @ pos {}\n", pos);
            return Err(EINVAL);
        }
        src.add_blob(name).inspect_err(|_| erofs_err!(sb, "failed to get cookie for {}\n", BlobName(name)))?;
        src.set_readahead_end(i + 1, (slot.blocks as u64).saturating_mul(bsz));
        total_blocks += slot.blocks as u64;
    }
    sb.set_uuid(&disk.uuid);
    sb.set_posix_acl(opts.acl);
    opts.devices = KVec::new();
    finish_fill(sb, disk, src, opts, DeviceMode::Separate, total_blocks)
}

/// Fills `range` of an uncompressed inode (erofs_fscache_data_read):
/// bytes on blobs are read from the cache straight into the range, holes
/// and what lies past EOF are zeroed, an inline tail is copied from the
/// metadata. Each piece ends on a page boundary: extents end on block
/// boundaries (a block is a page here) except at EOF, whose block is read
/// whole, as the C driver and iomap read it.
fn read_range(sb: &SuperBlock<Erofs>, sbi: &ErofsSb, di: &ErofsInode, range: &mut FolioRange) -> Result {
    let page = vfs::PAGE_SIZE;
    let (start, len) = (range.start(), range.len());
    let err = |la: u64| move |e| fs_error(sb, format_args!("read nid {} @ {}", di.nid, la), e);
    let mut at = 0usize;
    while at < len {
        let la = start.saturating_add(at as u64);
        let left = len - at;
        if la >= di.size {
            return range.zero(at, left);
        }
        let ext = map_blocks(&sbi.src, &sbi.disk, di, la).map_err(err(la))?;
        let in_ext = (ext.la + ext.len).checked_sub(la).filter(|&n| n > 0).ok_or_else(|| err(la)(format::Error::BadSize))?;
        let n = (in_ext.min(left as u64) as usize).next_multiple_of(page).min(left);
        match ext.map {
            Mapping::Hole => range.zero(at, n)?,
            Mapping::Inline { dev, pa } => {
                let bytes = sbi.src.bytes(dev, pa, in_ext as usize).map_err(err(la))?;
                range.copy(at, &bytes)?;
                range.zero(at + bytes.len(), n.saturating_sub(bytes.len()))?;
            }
            Mapping::Mapped { device_id, pa } => {
                let (dev, off) = map_dev(&sbi.src, &sbi.disk, sbi.devices, device_id, pa).map_err(err(la))?;
                sbi.src.read_into(dev, range, at, n, off)?;
            }
        }
        at += n;
    }
    Ok(())
}

/// Reads `range` of `inode`; on error its folios end not uptodate.
fn read_inode_range(inode: &Inode<Erofs>, mut range: FolioRange) -> Result {
    let sb = inode.super_block();
    let r = read_range(sb, sb.data(), inode.data(), &mut range);
    if r.is_err() {
        range.fail();
    }
    r
}

/// erofs_fscache_access_aops: uncompressed inodes of fscache-backed
/// mounts. No O_DIRECT, as in the C driver.
struct FscacheAccessAops;

pub(crate) static EROFS_FSCACHE_ACCESS_AOPS: Ops<Erofs> = Ops::new::<FscacheAccessAops>();

#[vtable]
impl address_space::Operations for FscacheAccessAops {
    type FileSystem = Erofs;

    fn read_folio(inode: &Inode<Erofs>, folio: LockedFolio) -> Result {
        read_inode_range(inode, folio.into_range()?)
    }

    fn readahead(inode: &Inode<Erofs>, ra: &mut Readahead) {
        if let Some(range) = ra.into_range() {
            let _ = read_inode_range(inode, range);
        }
    }
}

/// A blob name (bytes from a mount option or the device table) for
/// messages.
struct BlobName<'a>(&'a [u8]);

impl core::fmt::Display for BlobName<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for &b in self.0 {
            if b.is_ascii_graphic() {
                write!(f, "{}", b as char)?;
            } else {
                write!(f, "\\x{:02x}", b)?;
            }
        }
        Ok(())
    }
}
