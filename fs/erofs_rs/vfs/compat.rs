// SPDX-License-Identifier: GPL-2.0

//! What differs between the kernels erofs_rs builds for (6.12 LTS and
//! 7.x; tested on 6.12.117 and 7.3.4), on the Rust side. The C side of
//! the same differences is in `helpers.c`. Each `erofs_rs_*` cfg is set
//! by `Kbuild` when the kernel being built against has the newer
//! interface; the rest of the module sees one.

use kernel::prelude::*;

/// The bytes of a C string, without its NUL. 6.12's `kernel::str::CStr`
/// calls this `as_bytes`; later kernels use `core::ffi::CStr`, where it is
/// `to_bytes`.
#[cfg(not(erofs_rs_core_cstr))]
pub(crate) fn cstr_bytes(s: &CStr) -> &[u8] {
    s.as_bytes()
}

/// The bytes of a C string, without its NUL (see above).
#[cfg(erofs_rs_core_cstr)]
pub(crate) fn cstr_bytes(s: &CStr) -> &[u8] {
    s.to_bytes()
}

/// `module!` with one author: 6.12's macro takes `author: "..."`, later
/// kernels a list, `authors: ["..."]`.
macro_rules! module_with_author {
    (type: $type:ident, name: $name:tt, author: $author:tt, description: $desc:tt,
     license: $license:tt, alias: [$($alias:tt),*] $(,)?) => {
        #[cfg(not(erofs_rs_module_authors))]
        kernel::prelude::module! {
            type: $type,
            name: $name,
            author: $author,
            description: $desc,
            license: $license,
            alias: [$($alias),*],
        }
        #[cfg(erofs_rs_module_authors)]
        kernel::prelude::module! {
            type: $type,
            name: $name,
            authors: [$author],
            description: $desc,
            license: $license,
            alias: [$($alias),*],
        }
    };
}
pub(crate) use module_with_author;

#[cfg(erofs_rs_sync_aref)]
pub(crate) use kernel::sync::aref::{ARef, AlwaysRefCounted};
/// Reference counting of kernel objects: `kernel::types` in 6.12,
/// `kernel::sync::aref` in later kernels.
#[cfg(not(erofs_rs_sync_aref))]
pub(crate) use kernel::types::{ARef, AlwaysRefCounted};

/// Later kernels print through `kernel::fmt::Display` (a copy of
/// `core::fmt::Display` that the kernel can implement for foreign types);
/// the format core's errors implement the core one.
#[cfg(erofs_rs_kernel_fmt)]
impl kernel::fmt::Display for crate::format::Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(self, f)
    }
}

/// What the C erofs of the kernel we are built for does where it changed
/// between 6.12 and 7.x: erofs_rs reads images as the C driver of the
/// same kernel does. (Kbuild sets `erofs_rs_c_erofs_7` for 7.0 and later;
/// the exact release of each change is not pinned down, the tested
/// kernels are 6.12 and 7.3.)
pub(crate) mod c_erofs {
    /// O_DIRECT reads go through iomap_dio_rw (7.x) instead of being
    /// checked for alignment first (6.12); see `data::read_iter`.
    pub(crate) const DIO_THROUGH_IOMAP: bool = cfg!(erofs_rs_c_erofs_7);
    /// erofs_read_inode also takes "no POSIX ACL" from the xattr name
    /// filter (7.x; see `format::xattr::has_no_acl`). 6.12 asks get_acl,
    /// whose lookup the same filter answers: only what is cached differs.
    pub(crate) const NOACL_FROM_NAME_FILTER: bool = cfg!(erofs_rs_c_erofs_7);
    /// fiemap reports the byte address of inline data (7.x) instead of 0.
    pub(crate) const FIEMAP_INLINE_ADDRESS: bool = cfg!(erofs_rs_c_erofs_7);
    /// Chunk-based inodes map to runs of contiguous chunks (7.x) instead
    /// of one chunk at a time; fiemap shows the runs.
    pub(crate) const CHUNK_RUNS: bool = cfg!(erofs_rs_c_erofs_7);
    /// `st_blocks` of a compressed inode is its compressed block count
    /// even when that is 0 (7.x), instead of falling back to the size.
    pub(crate) const COMPRESSED_BLOCKS_AS_STORED: bool = cfg!(erofs_rs_c_erofs_7);
    /// SEEK_DATA/SEEK_HOLE find holes through the file's mappings (7.x,
    /// iomap_seek_data/hole) instead of treating the whole file as data
    /// (6.12, generic_file_llseek).
    pub(crate) const SEEK_HOLES_BY_MAPPING: bool = cfg!(erofs_rs_c_erofs_7);
}
