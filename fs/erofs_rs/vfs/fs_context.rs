// SPDX-License-Identifier: GPL-2.0

//! `struct fs_context`: the state of one mount attempt.

use crate::bindings;
use kernel::prelude::*;

/// A borrowed mount context, valid for the duration of a callback.
///
/// # Invariants
///
/// `ptr` points to a live `struct fs_context` that the VFS owns and does
/// not free while this wrapper exists (it is only created inside the
/// `fs_context_operations` callbacks, which run with the context held).
pub(crate) struct FsContext {
    ptr: *mut bindings::fs_context,
}

impl FsContext {
    /// Wraps the context passed to a VFS callback.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a live `fs_context` for the lifetime of the
    /// returned value.
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::fs_context) -> Self {
        // INVARIANT: the caller guarantees `ptr` is live.
        Self { ptr }
    }

    /// Reports an error to the mount's log (visible to `fsconfig` users and
    /// printed to dmesg), as the C `errorfc()` does.
    pub(crate) fn error(&self, msg: &CStr) {
        // SAFETY: `self.ptr` is a live context (type invariant) and `msg`
        // is a NUL-terminated string that outlives the call; the helper
        // only formats it with "%s".
        unsafe { bindings::erofs_rs_errorfc(self.ptr, msg.as_char_ptr().cast()) };
    }
}
