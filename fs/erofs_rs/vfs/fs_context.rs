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
        // The helper only formats `msg` with "%s".
        // SAFETY: `self.ptr` is a live context (type invariant); `msg` is
        // a NUL-terminated string that outlives the call.
        unsafe { bindings::erofs_rs_errorfc(self.ptr, msg.as_char_ptr().cast()) };
    }
}

/// A mount parameter: `key` or `key=value`.
pub(crate) struct Param<'a> {
    pub(crate) key: &'a [u8],
    /// `None` for a flag (`key` alone).
    pub(crate) value: Option<&'a [u8]>,
}

impl<'a> Param<'a> {
    /// Reads a parameter passed to `parse_param`.
    ///
    /// # Safety
    ///
    /// `p` must point to a live `fs_parameter` for `'a`.
    pub(crate) unsafe fn from_raw(p: *mut bindings::fs_parameter) -> Self {
        // SAFETY: `p` is live (caller); `key` is always a C string.
        let key = unsafe { CStr::from_char_ptr((*p).key.cast()) }.as_bytes();
        // SAFETY: `p` is live; the helper reads its type and string.
        let v = unsafe { bindings::erofs_rs_param_string(p) };
        let value = if v.is_null() {
            None
        } else {
            // SAFETY: a non-NULL string value is a C string owned by the
            // parameter, alive for `'a`.
            Some(unsafe { CStr::from_char_ptr(v.cast()) }.as_bytes())
        };
        Self { key, value }
    }
}
