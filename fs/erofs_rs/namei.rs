// SPDX-License-Identifier: GPL-2.0

//! Name lookup (fs/erofs/namei.c) and the directory inode operations.

use crate::dir::DirData;
use crate::format::dir::lookup as dir_lookup;
use crate::super_::{fs_error, Erofs};
use crate::vfs::inode::{self as vi, AclType, Kstat, Ops};
use crate::vfs::{ARef, FiemapInfo, Inode};
use crate::{data, inode, xattr};
use kernel::prelude::*;

/// erofs_lookup: the inode of `name` in `dir`, or `None`.
pub(crate) fn lookup(dir: &Inode<Erofs>, name: &[u8]) -> Result<Option<ARef<Inode<Erofs>>>> {
    let sb = dir.super_block();
    let sbi = sb.data();
    let di = dir.data();
    let mut blocks = DirData { sbi, di };
    match dir_lookup(&mut blocks, di.size, sbi.disk.block_size(), name) {
        Ok(Some((nid, _))) => Ok(Some(sb.iget(sb.data().disk.nid_to_ino64(nid))?)),
        Ok(None) => Ok(None),
        Err(e) => Err(fs_error(sb, format_args!("lookup in nid {}", di.nid), e)),
    }
}

/// erofs_dir_iops.
struct DirIops;

pub(crate) static EROFS_DIR_IOPS: Ops<Erofs> = Ops::new::<DirIops>();

#[vtable]
impl vi::Operations for DirIops {
    type FileSystem = Erofs;

    fn lookup(dir: &Inode<Erofs>, name: &[u8]) -> Result<Option<ARef<Inode<Erofs>>>> {
        lookup(dir, name)
    }

    fn getattr(inode: &Inode<Erofs>, stat: &mut Kstat<'_>) -> Result {
        inode::getattr(inode, stat)
    }

    fn get_acl_xattr(inode: &Inode<Erofs>, ty: AclType) -> Result<Option<KVec<u8>>> {
        xattr::get_acl_xattr(inode, ty)
    }

    fn fiemap(inode: &Inode<Erofs>, fi: &mut FiemapInfo<'_>, start: u64, len: u64) -> Result {
        data::fiemap(inode, fi, start, len)
    }
}
