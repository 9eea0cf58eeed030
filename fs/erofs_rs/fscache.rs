// SPDX-License-Identifier: GPL-2.0

//! fscache-backed mounts (fs/erofs/fscache.c): `fsid=` names the image's
//! primary blob in a cache (cachefiles in on-demand mode, filled by a user
//! daemon as blobs are read), `device=` or the device table the others,
//! `domain_id=` a domain whose mounts share their common blobs, and
//! `cache_tag=` (ours) the cache. Blobs are read through their page cache
//! as file-backed images are (`fileio.rs`).

use crate::data::MetaSource;
use crate::format::data::DeviceMode;
use crate::format::{self, super_block::SuperBlock as DiskSuper};
use crate::super_::{check_device_count, finish_fill, fs_error, Erofs, ErofsSb, MountOptions};
use crate::vfs::fscache::{BlobSource, Domain, Volume};
use crate::vfs::super_block::New;
use crate::vfs::{self, FsContext, SuperBlock};
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
    source.inspect_err(|_| pr_err!("{}: failed to register volume for {}\n", sb.id(), key))
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
            pr_err!("{}: {} already exists in domain {}\n", sb.id(), BlobName(fsid), BlobName(domain));
        } else {
            pr_err!("{}: failed to get cookie for {}\n", sb.id(), BlobName(fsid));
        }
    })?;
    let disk = DiskSuper::read(&src).map_err(|e| fs_error(sb.id(), format_args!("superblock"), e))?;
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
        let slot = disk.device_slot(&src, i).map_err(|e| fs_error(sb.id(), format_args!("device table"), e))?;
        let name = match opts.devices.get(i as usize) {
            Some(path) => &path[..path.len() - 1],
            None => slot.tag_str(),
        };
        if name.is_empty() {
            let pos = (disk.devt_slotoff as u64 + i as u64) * format::erofs_fs::DEVT_SLOT_SIZE;
            pr_err!("{}: empty device tag @ pos {}\n", sb.id(), pos);
            return Err(EINVAL);
        }
        src.add_blob(name).inspect_err(|_| pr_err!("{}: failed to get cookie for {}\n", sb.id(), BlobName(name)))?;
        src.set_readahead_end(i + 1, (slot.blocks as u64).saturating_mul(bsz));
        total_blocks += slot.blocks as u64;
    }
    sb.set_uuid(&disk.uuid);
    sb.set_posix_acl(opts.acl);
    opts.devices = KVec::new();
    finish_fill(sb, disk, src, opts, DeviceMode::Separate, total_blocks)
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
