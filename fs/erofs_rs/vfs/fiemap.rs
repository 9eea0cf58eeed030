// SPDX-License-Identifier: GPL-2.0

//! `struct fiemap_extent_info`: the extents a FS_IOC_FIEMAP call collects.

use super::bindings;
use core::marker::PhantomData;
use kernel::prelude::*;

/// `FIEMAP_EXTENT_LAST`: the last extent of the file.
pub(crate) const EXTENT_LAST: u32 = bindings::FIEMAP_EXTENT_LAST;
/// `FIEMAP_EXTENT_DATA_INLINE`: data stored with metadata.
pub(crate) const EXTENT_DATA_INLINE: u32 = bindings::FIEMAP_EXTENT_DATA_INLINE;

/// A fiemap request being answered.
///
/// # Invariants
///
/// `fi` and `inode` are the live arguments of the current `fiemap` call.
pub(crate) struct FiemapInfo<'a> {
    fi: *mut bindings::fiemap_extent_info,
    inode: *mut bindings::inode,
    _call: PhantomData<&'a mut bindings::fiemap_extent_info>,
}

impl FiemapInfo<'_> {
    /// # Safety
    ///
    /// `fi` and `inode` must be the arguments of the current `fiemap`
    /// call, and the value must not outlive it.
    pub(super) unsafe fn from_raw(fi: *mut bindings::fiemap_extent_info, inode: *mut bindings::inode) -> Self {
        // INVARIANT: guaranteed by the caller.
        Self { fi, inode, _call: PhantomData }
    }

    /// Checks the request's flags (none are supported) and clamps `len`
    /// to the largest file size (fiemap_prep).
    pub(crate) fn prep(&mut self, start: u64, len: &mut u64) -> Result {
        // SAFETY: the live arguments of this call (type invariant).
        kernel::error::to_result(unsafe { bindings::fiemap_prep(self.inode, self.fi, start, len, 0) })
    }

    /// Adds one extent; `Ok(true)` when the caller's array is now full.
    pub(crate) fn fill_next_extent(&mut self, logical: u64, physical: u64, len: u64, flags: u32) -> Result<bool> {
        // SAFETY: fills the caller's extent array, which the function
        // bounds by its size (type invariant: live request).
        let r = unsafe { bindings::fiemap_fill_next_extent(self.fi, logical, physical, len, flags) };
        kernel::error::to_result(r).map(|()| r == 1)
    }
}
