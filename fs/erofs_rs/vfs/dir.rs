// SPDX-License-Identifier: GPL-2.0

//! `struct dir_context`: where readdir sends entries.

use super::bindings;

/// The position and callback of one readdir call.
///
/// # Invariants
///
/// `ctx` is the live `dir_context` passed to `iterate_shared`.
pub(crate) struct DirEmitter {
    ctx: *mut bindings::dir_context,
}

impl DirEmitter {
    /// # Safety
    ///
    /// `ctx` must be the context passed to the current `iterate_shared`.
    pub(super) unsafe fn from_raw(ctx: *mut bindings::dir_context) -> Self {
        // INVARIANT: guaranteed by the caller.
        Self { ctx }
    }

    /// The directory position to resume from.
    pub(crate) fn pos(&self) -> u64 {
        // SAFETY: the context is live (type invariant).
        unsafe { (*self.ctx).pos as u64 }
    }

    pub(crate) fn set_pos(&mut self, pos: u64) {
        // SAFETY: the context is live and ours to update (type invariant).
        unsafe { (*self.ctx).pos = pos as i64 };
    }

    /// Emits one entry with an `FT_*` type. Returns false when the
    /// caller's buffer is full (the entry was not taken).
    pub(crate) fn emit(&mut self, name: &[u8], ino: u64, ftype: u8) -> bool {
        // SAFETY: plain table lookup.
        let dtype = unsafe { bindings::fs_ftype_to_dtype(ftype as _) };
        // SAFETY: the context is live; `name` is valid for its length
        // during the call (dir_emit copies it).
        unsafe { bindings::erofs_rs_dir_emit(self.ctx, name.as_ptr().cast(), name.len() as i32, ino, dtype as u32) }
    }
}
