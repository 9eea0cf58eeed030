// SPDX-License-Identifier: GPL-2.0

//! Name lookup (fs/erofs/namei.c).

use crate::dir::DirData;
use crate::format::dir::lookup as dir_lookup;
use crate::super_::{fs_error, Erofs};
use crate::vfs::Inode;
use kernel::prelude::*;

pub(crate) fn lookup(dir: &Inode<Erofs>, name: &[u8]) -> Result<Option<u64>> {
    let sb = dir.super_block();
    let sbi = sb.data()?;
    let di = dir.data();
    let mut blocks = DirData { sbi, di };
    match dir_lookup(&mut blocks, di.size, sbi.disk.block_size(), name) {
        Ok(found) => Ok(found.map(|(nid, _)| nid)),
        Err(e) => Err(fs_error(sb.id(), format_args!("lookup in nid {}", di.nid), e)),
    }
}
