// SPDX-License-Identifier: GPL-2.0

//! Directory iteration (fs/erofs/dir.c) and the directory file
//! operations.

use crate::format;
use crate::format::dir::{iterate, DirBlocks};
use crate::format::erofs_fs::FT_DIR;
use crate::inode::ErofsInode;
use crate::super_::{fs_error, Erofs, ErofsSb};
use crate::vfs::file::{self, Ops};
use crate::vfs::{DirEmitter, Inode};
use kernel::prelude::*;

/// Directory blocks of an uncompressed directory, read in place from the
/// image's page cache.
pub(crate) struct DirData<'a> {
    pub(crate) sbi: &'a ErofsSb,
    pub(crate) di: &'a ErofsInode,
}

impl DirBlocks for DirData<'_> {
    fn with_block<R>(&mut self, index: u64, f: impl FnOnce(&[u8]) -> format::Result<R>) -> format::Result<R> {
        crate::data::with_block(self.sbi, self.di, index, f)
    }
}

pub(crate) fn readdir(dir: &Inode<Erofs>, emitter: &mut DirEmitter) -> Result {
    let sb = dir.super_block();
    let sbi = sb.data();
    let di = dir.data();
    let mut blocks = DirData { sbi, di };
    let start = emitter.pos();
    let mut last = start;
    let r = iterate(&mut blocks, di.size, sbi.disk.block_size(), start, |de, next| {
        if !emitter.emit(de.name, sbi.disk.nid_to_ino64(de.nid), de.file_type) {
            return false;
        }
        emitter.set_pos(next);
        last = next;
        true
    });
    match r {
        Ok(end) => {
            let end = end.max(last);
            emitter.set_pos(end);
            // A directory without a stored `.` entry lists it last, at
            // position i_size (7.x erofs_readdir).
            if di.dot_omitted && end == di.size && emitter.emit(b".", sbi.disk.nid_to_ino64(di.nid), FT_DIR) {
                emitter.set_pos(end + 1);
            }
            Ok(())
        }
        Err(e) => Err(fs_error(sb, format_args!("readdir nid {}", di.nid), e)),
    }
}

/// erofs_dir_fops.
struct DirFops;

pub(crate) static EROFS_DIR_FOPS: Ops<Erofs> = Ops::new::<DirFops>();

#[vtable]
impl file::Operations for DirFops {
    type FileSystem = Erofs;

    fn read_dir(dir: &Inode<Erofs>, emitter: &mut DirEmitter) -> Result {
        readdir(dir, emitter)
    }
}
