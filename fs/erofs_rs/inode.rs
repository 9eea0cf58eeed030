// SPDX-License-Identifier: GPL-2.0

//! Reading inodes (fs/erofs/inode.c): the on-disk inode becomes the VFS
//! inode's attributes, and its type picks its operations.

use crate::format;
use crate::format::inode::{FileType, Inode as DiskInode};
use crate::format::zmap::ZInfo;
use crate::super_::{fs_error, Erofs};
use crate::vfs::{InodeKind, InodeParams, IoPath, SuperBlock};
use kernel::prelude::*;

/// What our inodes keep besides the VFS inode: the on-disk inode and, for
/// compressed ones, the map header, read once when the inode is loaded
/// (z_erofs_fill_inode_lazy reads it on the first map instead). A bad
/// header is kept as the error that reads of the inode then return, so
/// `stat` still works on it as with the C driver.
pub(crate) struct ErofsInode {
    pub(crate) disk: DiskInode,
    pub(crate) zinfo: Option<format::Result<ZInfo>>,
}

impl core::ops::Deref for ErofsInode {
    type Target = DiskInode;
    fn deref(&self) -> &DiskInode {
        &self.disk
    }
}

pub(crate) fn read_inode(sb: &SuperBlock<Erofs>, nid: u64) -> Result<(InodeParams, ErofsInode)> {
    let sbi = sb.data()?;
    let disk = &sbi.disk;
    let di = DiskInode::read(&sbi.src, disk, nid).map_err(|e| fs_error(sb.id(), format_args!("nid {}", nid), e))?;
    let kind = match di.file_type() {
        FileType::Directory => InodeKind::Directory,
        // O_DIRECT is offered for uncompressed files, as in the C driver.
        FileType::Regular => InodeKind::Regular { direct_io: !di.is_compressed() },
        FileType::Symlink if di.is_fast_symlink(disk) => {
            // The target sits right after the inode and its xattrs, inside
            // the block; keep a NUL-terminated copy for get_link.
            let len = di.size as usize;
            let mut target = KVec::from_elem(0u8, len + 1, GFP_KERNEL)?;
            let at = di.tail_offset().map_err(|e| fs_error(sb.id(), format_args!("nid {}", nid), e))?;
            crate::format::read_exact(&sbi.src, 0, at, disk.block_size(), &mut target[..len])
                .map_err(|e| fs_error(sb.id(), format_args!("symlink nid {}", nid), e))?;
            InodeKind::FastSymlink(target)
        }
        FileType::Symlink => InodeKind::Symlink,
        _ => InodeKind::Special,
    };
    // iomap for uncompressed data on block devices, as the C driver.
    let io = if di.is_compressed() || sb.is_file_backed() { IoPath::Copy } else { IoPath::Iomap };
    let params = InodeParams {
        io,
        mode: di.mode,
        uid: di.uid,
        gid: di.gid,
        nlink: di.nlink,
        size: di.size,
        blocks: di.blocks_512,
        mtime: di.mtime as i64,
        mtime_nsec: di.mtime_nsec,
        rdev_major: di.rdev_major,
        rdev_minor: di.rdev_minor,
        kind,
    };
    let zinfo = (di.is_compressed() && di.size > 0).then(|| ZInfo::read(&sbi.src, disk, &di));
    Ok((params, ErofsInode { disk: di, zinfo }))
}

/// STATX_ATTR_COMPRESSED and STATX_ATTR_IMMUTABLE, as erofs_getattr sets
/// them: every inode is immutable, compressed ones say so.
pub(crate) fn statx_attributes(inode: &crate::vfs::Inode<Erofs>) -> (u64, u64) {
    const COMPRESSED: u64 = 0x4;
    const IMMUTABLE: u64 = 0x10;
    let attrs = if inode.data().is_compressed() { COMPRESSED | IMMUTABLE } else { IMMUTABLE };
    (attrs, COMPRESSED | IMMUTABLE)
}
