// SPDX-License-Identifier: GPL-2.0

//! `struct dentry`: the root dentry of a superblock.

use super::bindings;
use super::fs_type::FileSystem;
use super::inode::{self, Inode};
use super::ARef;
use core::marker::PhantomData;
use kernel::prelude::*;

/// The root dentry of a superblock being filled; the superblock takes it
/// over when the mount succeeds.
///
/// # Invariants
///
/// `ptr` is a dentry made by `d_make_root` on which we hold the reference.
pub(crate) struct Root<T: FileSystem> {
    ptr: *mut bindings::dentry,
    _t: PhantomData<T>,
}

impl<T: FileSystem> Root<T> {
    /// Makes the root dentry of `inode` (d_make_root, which consumes the
    /// inode reference, also on failure).
    pub(crate) fn try_new(inode: ARef<Inode<T>>) -> Result<Self> {
        // SAFETY: d_make_root takes over our inode reference.
        let ptr = unsafe { bindings::d_make_root(inode::into_raw(inode)) };
        if ptr.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: d_make_root returned a referenced dentry.
        Ok(Self { ptr, _t: PhantomData })
    }

    /// Gives the reference to the superblock (`s_root`).
    pub(super) fn into_raw(self) -> *mut bindings::dentry {
        let ptr = self.ptr;
        core::mem::forget(self);
        ptr
    }
}

impl<T: FileSystem> Drop for Root<T> {
    fn drop(&mut self) {
        // SAFETY: drops the reference we hold (type invariant).
        unsafe { bindings::dput(self.ptr) };
    }
}
