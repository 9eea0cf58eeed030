// SPDX-License-Identifier: GPL-2.0

//! Address space operations (`address_space_operations`): how the page
//! cache of an inode is filled.

use super::bindings;
use super::fs_type::FileSystem;
use super::inode::Inode;
use super::{iomap, ishare, LockedFolio, Readahead};
use core::ffi::c_int;
use core::marker::PhantomData;
use kernel::error::VTABLE_DEFAULT_ERROR;
use kernel::prelude::*;

/// Page-cache operations; each is optional.
#[vtable]
pub(crate) trait Operations {
    type FileSystem: FileSystem;
    /// O_DIRECT may be asked for on open (the reads themselves go through
    /// `read_iter`): `direct_IO` is `noop_direct_IO`.
    const DIRECT_IO: bool = false;

    /// Fills a locked folio of `inode` and ends its read, now or when the
    /// I/O started for it completes (a folio dropped unended fails).
    fn read_folio(_inode: &Inode<Self::FileSystem>, _folio: LockedFolio) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Fills the folios of a readahead request; each folio taken from `ra`
    /// must be ended. Folios left in `ra` are dropped from the page cache
    /// by the VFS, to be read again by `read_folio` when needed.
    fn readahead(_inode: &Inode<Self::FileSystem>, _ra: &mut Readahead) {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// An `address_space_operations` table; kept in a `static` so its
/// address is stable.
pub(crate) struct Ops<T: FileSystem>(pub(super) bindings::address_space_operations, PhantomData<T>);

// SAFETY: the table is immutable after its constant initialisation and
// only holds function pointers, which any thread may call.
unsafe impl<T: FileSystem> Sync for Ops<T> {}

impl<T: FileSystem> Ops<T> {
    /// The table of `U`'s operations.
    pub(crate) const fn new<U: Operations<FileSystem = T>>() -> Self {
        Self(
            bindings::address_space_operations {
                read_folio: if U::HAS_READ_FOLIO { Some(read_folio::<U>) } else { None },
                readahead: if U::HAS_READAHEAD { Some(readahead::<U>) } else { None },
                direct_IO: if U::DIRECT_IO { Some(bindings::noop_direct_IO) } else { None },
                // SAFETY: all-zero is a valid table: the remaining
                // members are optional function pointers.
                ..unsafe { core::mem::zeroed() }
            },
            PhantomData,
        )
    }

    /// The table of a page cache that iomap fills with bios from the
    /// block device, mapped by `U` (erofs_aops in C): iomap's own
    /// read_folio/readahead, and its release/invalidate for the per-folio
    /// state it attaches when blocks are smaller than a folio.
    pub(crate) const fn iomap<U: iomap::Operations<FileSystem = T>>() -> Self {
        Self(
            bindings::address_space_operations {
                read_folio: Some(iomap::read_folio::<U>),
                readahead: Some(iomap::readahead::<U>),
                direct_IO: Some(bindings::noop_direct_IO),
                release_folio: Some(bindings::iomap_release_folio),
                invalidate_folio: Some(bindings::iomap_invalidate_folio),
                // SAFETY: as above.
                ..unsafe { core::mem::zeroed() }
            },
            PhantomData,
        )
    }
}

/// `address_space_operations::read_folio`.
///
/// # Safety
///
/// Called by the VFS with a locked folio of one of our inodes or of a
/// shared inode.
unsafe extern "C" fn read_folio<U: Operations>(_file: *mut bindings::file, folio: *mut bindings::folio) -> c_int {
    // SAFETY: the locked folio handed to read_folio, ended by `U` (or
    // failed when dropped).
    let f = unsafe { LockedFolio::from_raw(folio) };
    // SAFETY: a folio of our inode's or a shared inode's page cache: its
    // host is live during the call.
    let host = match unsafe { ishare::host::<U::FileSystem>(bindings::erofs_rs_folio_inode(folio)) } {
        Ok(h) => h,
        Err(e) => return e.to_errno(),
    };
    match U::read_folio(host.inode(), f) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `address_space_operations::readahead`.
///
/// # Safety
///
/// Called by the VFS with a readahead request for one of our inodes or
/// a shared inode.
unsafe extern "C" fn readahead<U: Operations>(rac: *mut bindings::readahead_control) {
    // SAFETY: reads the host of the live request's mapping (caller).
    let mapping_inode = unsafe { bindings::erofs_rs_readahead_inode(rac) };
    // SAFETY: the request's mapping belongs to a live inode of ours or a
    // shared inode (caller).
    let Ok(host) = (unsafe { ishare::host::<U::FileSystem>(mapping_inode) }) else {
        // Folios left in the request are dropped unread by the VFS.
        return;
    };
    // Only an inode's own folios keep it alive (see `FolioBatch`).
    let owner = if matches!(host, ishare::Host::Own(_)) { mapping_inode } else { core::ptr::null_mut() };
    // SAFETY: the request of this call, which `ra` does not outlive;
    // `owner` is null or the request mapping's inode.
    let mut ra = unsafe { Readahead::from_raw(rac, owner) };
    U::readahead(host.inode(), &mut ra);
}
