// SPDX-License-Identifier: GPL-2.0

//! Extended attributes as the VFS asks for them: xattr handlers
//! (`struct xattr_handler`, the `s_xattr` table) and the buffer
//! `listxattr` fills.

use super::bindings;
use super::fs_type::FileSystem;
use super::inode::Inode;
use core::ffi::{c_char, c_int};
use kernel::prelude::*;

/// Where `listxattr` writes names (or, without a buffer, only counts).
pub(crate) struct NameSink<'a> {
    buf: Option<&'a mut [u8]>,
    len: usize,
}

impl<'a> NameSink<'a> {
    pub(super) fn new(buf: Option<&'a mut [u8]>) -> Self {
        Self { buf, len: 0 }
    }

    /// Bytes written (or needed) so far.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Appends `parts` concatenated and a NUL; ERANGE when it does not fit.
    pub(crate) fn push(&mut self, parts: &[&[u8]]) -> Result {
        let n: usize = parts.iter().map(|p| p.len()).sum::<usize>() + 1;
        if let Some(buf) = self.buf.as_deref_mut() {
            let dst = buf.get_mut(self.len..self.len + n).ok_or(ERANGE)?;
            let mut at = 0;
            for p in parts {
                dst[at..at + p.len()].copy_from_slice(p);
                at += p.len();
            }
            dst[at] = 0;
        }
        self.len += n;
        Ok(())
    }
}

/// One xattr handler: names under `prefix` are looked up with
/// `FileSystem::xattr_get` and the handler's `flags` (an index of the
/// filesystem's choosing). Kept in a `static`.
#[repr(transparent)]
pub(crate) struct Handler(bindings::xattr_handler);

// SAFETY: the handler is immutable after its constant initialisation; it
// holds a static string and a function pointer.
unsafe impl Sync for Handler {}

impl Handler {
    /// A handler of `T` for `prefix` (NUL-terminated, e.g. `b"user.\0"`).
    pub(crate) const fn new<T: FileSystem>(prefix: &'static [u8], flags: i32) -> Self {
        Self(bindings::xattr_handler {
            prefix: prefix.as_ptr().cast(),
            flags: flags as c_int,
            get: Some(get::<T>),
            // SAFETY: the remaining members (name, list, set) are
            // optional; zero means absent.
            ..unsafe { core::mem::zeroed() }
        })
    }
}

/// The handler list of `s_xattr`: handlers, then `None`.
///
/// # Invariants
///
/// The last entry is `None`. `Option<&Handler>` is a nullable pointer to
/// a transparent `xattr_handler`, so the slice is the NULL-terminated
/// array of pointers the VFS walks.
pub(crate) struct HandlerTable(&'static [Option<&'static Handler>]);

impl HandlerTable {
    /// The table of `list`, which must end with `None` (checked when the
    /// constant is evaluated, at build time).
    pub(crate) const fn new(list: &'static [Option<&'static Handler>]) -> Self {
        assert!(matches!(list.last(), Some(None)), "an xattr handler table ends with None");
        // INVARIANT: checked just above.
        Self(list)
    }

    pub(super) fn as_ptr(&self) -> *const *const bindings::xattr_handler {
        self.0.as_ptr().cast()
    }
}

/// `xattr_handler::get`.
///
/// # Safety
///
/// Called by the VFS with one of our handlers, a live inode of `T`, a C
/// string name, and a buffer that is NULL or writable for `size` bytes.
unsafe extern "C" fn get<T: FileSystem>(
    handler: *const bindings::xattr_handler,
    _dentry: *mut bindings::dentry,
    inode: *mut bindings::inode,
    name: *const c_char,
    buffer: *mut core::ffi::c_void,
    size: usize,
) -> c_int {
    let buf = if buffer.is_null() {
        None
    } else {
        // SAFETY: writable for `size` bytes during the call (caller).
        Some(unsafe { core::slice::from_raw_parts_mut(buffer.cast::<u8>(), size) })
    };
    // SAFETY: one of our handlers (caller).
    let index = unsafe { (*handler).flags };
    // SAFETY: a live inode of `T` (caller).
    let inode = unsafe { Inode::<T>::from_raw(inode) };
    // SAFETY: a C string, live during the call (caller).
    let name = super::compat::cstr_bytes(unsafe { CStr::from_char_ptr(name.cast()) });
    match T::xattr_get(inode, index, name, buf) {
        Ok(n) => n as c_int,
        Err(e) => e.to_errno(),
    }
}
