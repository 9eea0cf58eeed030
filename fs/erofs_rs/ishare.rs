// SPDX-License-Identifier: GPL-2.0

//! Page cache sharing (fs/erofs/ishare.c in 7.x): what may share. Regular
//! files of mounts with `inode_share,domain_id=D` whose images carry
//! content fingerprints (`mkfs.erofs --xattr-inode-digest`, the xattr the
//! superblock's `ishare_xattr_prefix_id` names) share one page cache when
//! their keys — the domain, a NUL, the fingerprint — are equal. How a
//! file reads through the shared cache is `vfs::ishare`.
//!
//! Trust: with `inode_share`, as in 7.x, a fingerprint is taken at its
//! word, so every image mounted in a domain must be trusted by the
//! others: an image claiming another file's fingerprint for other bytes
//! would change what that file reads as. `inode_share=verify` (not in
//! the C driver) checks a file's bytes against its fingerprint (SHA-256)
//! on its first open before it joins: a file whose bytes do not match is
//! refused, logged, and read from its own image through its own page
//! cache, so no image can change what another reads. The cost: each
//! shared file is read and hashed once per mount, on its first open,
//! through the device's page cache.

use crate::data::read_any;
use crate::format::super_block::SuperBlock as DiskSuper;
use crate::super_::{DaxMode, Erofs, MountOptions};
use crate::vfs::file::OpenFile;
use crate::vfs::ishare::Sha256;
use crate::vfs::printk::{erofs_info, erofs_warn};
use crate::vfs::super_block::New;
use crate::vfs::{FsContext, Inode, SuperBlock};
use kernel::c_str;
use kernel::prelude::*;

/// How a mount shares page cache.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ShareMode {
    /// `inode_share`: equal fingerprints in the domain share (7.x).
    Domain,
    /// `inode_share=verify`: as `Domain`, once the file's bytes were
    /// checked against its fingerprint.
    Verify,
}

/// What `mkfs.erofs --xattr-inode-digest` stores: "sha256:" and the
/// digest of the file's bytes.
const SHA256_TAG: &[u8] = b"sha256:";

/// The options 7.x refuses together (erofs_fc_fill_super).
pub(crate) fn check_options(fc: &FsContext, opts: &MountOptions) -> Result {
    if opts.inode_share.is_none() {
        return Ok(());
    }
    if opts.domain_id.is_none() {
        fc.error(c_str!("domain_id is needed when inode_share is on"));
        return Err(EINVAL);
    }
    if opts.dax == DaxMode::Always {
        fc.error(c_str!("FSDAX is not allowed when inode_share is on"));
        return Err(EINVAL);
    }
    Ok(())
}

/// An image without fingerprints mounts without sharing, as in 7.x.
pub(crate) fn check_feature(sb: &SuperBlock<Erofs, New>, disk: &DiskSuper, opts: &mut MountOptions) {
    if opts.inode_share.is_none() {
        return;
    }
    if !disk.has_ishare_xattrs() {
        erofs_info!(sb, "on-disk ishare xattrs not found. Turning off inode_share.\n");
        opts.inode_share = None;
    }
}

/// The open of a regular file: on a sharing mount, reads go through the
/// shared page cache of the file's key, if it has one (O_DIRECT is then
/// refused, as 7.x refuses it).
pub(crate) fn open(inode: &Inode<Erofs>, file: &mut OpenFile<'_, Erofs>) -> Result {
    let sbi = inode.super_block().data();
    let Some(mode) = sbi.opts.inode_share else { return Ok(()) };
    if file.share_page_cache(|| share_key(inode, mode))? && file.is_direct() {
        return Err(EINVAL);
    }
    Ok(())
}

/// The key of `inode` (domain, NUL, fingerprint), or `None` when it may
/// not share: no fingerprint, one that cannot be read, or (checking
/// mode) bytes that do not match it.
fn share_key(inode: &Inode<Erofs>, mode: ShareMode) -> Result<Option<KVec<u8>>> {
    let sb = inode.super_block();
    let sbi = sb.data();
    let Some(domain) = sbi.opts.domain_id.as_deref() else { return Ok(None) };
    let Some(prefix) = sbi.prefixes.get(sbi.disk.ishare_xattr_prefix_id as usize) else { return Ok(None) };
    let (index, name) = (prefix.base_index, prefix.infix());
    let len = match crate::xattr::get(inode, index, name, None) {
        Ok(n) => n,
        Err(e) if e == ENOMEM => return Err(e),
        // No fingerprint (or an unreadable one, already logged).
        Err(_) => return Ok(None),
    };
    // As 7.x: a fingerprint is at most a block.
    if len == 0 || len > sbi.disk.block_size() as usize {
        return Ok(None);
    }
    let mut key = KVec::from_elem(0u8, domain.len() + 1 + len, GFP_KERNEL)?;
    key[..domain.len()].copy_from_slice(domain);
    let value = &mut key[domain.len() + 1..];
    match crate::xattr::get(inode, index, name, Some(value)) {
        Ok(n) if n == len => {}
        Err(e) if e == ENOMEM => return Err(e),
        _ => return Ok(None),
    }
    if mode == ShareMode::Verify && !matches_fingerprint(inode, &key[domain.len() + 1..])? {
        return Ok(None);
    }
    Ok(Some(key))
}

/// Whether the bytes of `inode` hash to `fingerprint`; a fingerprint
/// that is not a SHA-256 one cannot be checked and never matches.
fn matches_fingerprint(inode: &Inode<Erofs>, fingerprint: &[u8]) -> Result<bool> {
    let sb = inode.super_block();
    let di = inode.data();
    let want = match fingerprint.strip_prefix(SHA256_TAG) {
        Some(d) if d.len() == 32 => d,
        _ => {
            erofs_warn!(sb, "nid {}: fingerprint is not SHA-256: not shared\n", di.nid);
            return Ok(false);
        }
    };
    const CHUNK: usize = 128 << 10;
    let size = inode.size();
    let mut buf = KVVec::from_elem(0u8, (size as usize).min(CHUNK), GFP_KERNEL)?;
    let mut hash = Sha256::new()?;
    let mut at = 0u64;
    while at < size {
        let n = ((size - at) as usize).min(CHUNK);
        if read_any(sb, sb.data(), di, at, &mut buf[..n]).is_err() {
            // Logged by read_any; unreadable data is not shared.
            return Ok(false);
        }
        hash.update(&buf[..n]);
        at += n as u64;
    }
    if hash.finish()[..] != want[..] {
        erofs_warn!(sb, "nid {}: content does not match its fingerprint: not shared\n", di.nid);
        return Ok(false);
    }
    Ok(true)
}
