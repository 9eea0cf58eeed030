// SPDX-License-Identifier: GPL-2.0

//! File-backed mounts (fs/erofs/fileio.c): the page cache of an
//! uncompressed inode whose image is a regular file is filled by copying
//! from the image file's own page cache (see `data::read_folio`), since
//! there is no block device for iomap's bios.

use crate::super_::Erofs;
use crate::vfs::address_space::{self, Ops};
use crate::vfs::{Inode, LockedFolio, Readahead};
use kernel::prelude::*;

/// erofs_fileio_aops.
struct FileIoAops;

pub(crate) static EROFS_FILEIO_AOPS: Ops<Erofs> = Ops::new::<FileIoAops>();

#[vtable]
impl address_space::Operations for FileIoAops {
    type FileSystem = Erofs;
    // O_DIRECT reads of uncompressed files are served by read_iter.
    const DIRECT_IO: bool = true;

    fn read_folio(inode: &Inode<Erofs>, folio: LockedFolio) -> Result {
        crate::data::read_folio(inode, folio)
    }

    fn readahead(inode: &Inode<Erofs>, ra: &mut Readahead) {
        crate::data::readahead(inode, ra)
    }
}
