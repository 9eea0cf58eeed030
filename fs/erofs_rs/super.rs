// SPDX-License-Identifier: GPL-2.0

//! Superblock and mount handling (fs/erofs/super.c).

use crate::vfs::{FileSystem, FsContext};
use kernel::c_str;
use kernel::prelude::*;

/// The `erofs_rs` filesystem type.
pub(crate) struct Erofs;

impl FileSystem for Erofs {
    const NAME: &'static CStr = c_str!("erofs_rs");

    fn get_tree(fc: &mut FsContext) -> Result {
        // Mounting lands with the uncompressed-mount issue; until then a
        // mount attempt fails with a message instead of pretending.
        fc.error(c_str!("mounting is not implemented yet"));
        Err(crate::vfs::error::eopnotsupp())
    }
}
