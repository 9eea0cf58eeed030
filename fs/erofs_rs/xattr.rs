// SPDX-License-Identifier: GPL-2.0

//! Extended attributes (fs/erofs/xattr.c): lookups and listing through the
//! format core, long name prefixes loaded at mount.

use crate::format::inode::Inode as DiskInode;
use crate::format::xattr::{self, LongPrefix};
use crate::format::{self, read_exact};
use crate::super_::{fs_error, Erofs, ErofsSb};
use crate::vfs::{self, xattr::can_list, Inode, NameSink, SuperBlock};
use core::ops::ControlFlow;
use kernel::prelude::*;

/// Reads the long xattr name prefix table (erofs_xattr_prefixes_init):
/// from the packed inode when the image has one, else from the metadata.
pub(crate) fn read_prefixes(sb: &SuperBlock<Erofs>, sbi: &ErofsSb) -> Result<KVec<LongPrefix>> {
    let disk = &sbi.disk;
    let mut out = KVec::new();
    if disk.xattr_prefix_count == 0 {
        return Ok(out);
    }
    let packed = match disk.packed_inode() {
        Some(nid) => Some(DiskInode::read(&sbi.src, disk, nid).map_err(|e| fs_error(sb.id(), format_args!("packed inode"), e))?),
        None => None,
    };
    let mut pos = (disk.xattr_prefix_start as u64) << 2;
    for _ in 0..disk.xattr_prefix_count {
        let p = xattr::read_long_prefix(
            |at, buf| match &packed {
                Some(ino) => {
                    let end = at.checked_add(buf.len() as u64).ok_or(format::Error::BadXattr)?;
                    if end > ino.size {
                        return Err(format::Error::BadXattr);
                    }
                    crate::format::zdata::read_file(&mut crate::zdata::ZReader::new(sbi, None), ino, at, buf)
                }
                None => read_exact(&sbi.src, 0, at, disk.block_size(), buf),
            },
            &mut pos,
        )
        .map_err(|e| fs_error(sb.id(), format_args!("long xattr prefixes"), e))?;
        out.push(p, GFP_KERNEL)?;
    }
    Ok(out)
}

pub(crate) fn get(inode: &Inode<Erofs>, index: u8, name: &[u8], buf: Option<&mut [u8]>) -> Result<usize> {
    let sb = inode.super_block();
    let sbi = sb.data()?;
    if index == vfs::xattr::INDEX_USER && !sbi.opts.user_xattr {
        return Err(vfs::error::eopnotsupp());
    }
    let di = inode.data();
    xattr::get(&sbi.src, &sbi.disk, di, &sbi.prefixes[..], index, name, buf)
        .map_err(|e| fs_error(sb.id(), format_args!("xattrs of nid {}", di.nid), e))
}

pub(crate) fn list(inode: &Inode<Erofs>, sink: &mut NameSink<'_>) -> Result {
    let sb = inode.super_block();
    let sbi = sb.data()?;
    let di = inode.data();
    let mut failed = None;
    let r = xattr::list(&sbi.src, &sbi.disk, di, &sbi.prefixes[..], |base, infix, suffix| {
        if !can_list(base, sbi.opts.user_xattr) {
            return Ok(ControlFlow::Continue(()));
        }
        let Some(prefix) = xattr::index_prefix(base) else { return Ok(ControlFlow::Continue(())) };
        if let Err(e) = sink.push(&[prefix, infix, suffix]) {
            failed = Some(e);
            return Ok(ControlFlow::Break(()));
        }
        Ok(ControlFlow::Continue(()))
    });
    if let Some(e) = failed {
        return Err(e);
    }
    r.map_err(|e| fs_error(sb.id(), format_args!("xattrs of nid {}", di.nid), e))
}
