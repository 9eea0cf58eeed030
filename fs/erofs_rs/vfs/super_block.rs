// SPDX-License-Identifier: GPL-2.0

//! `struct super_block`, statfs and show_options.

use super::registration::SbState;
use super::FileSystem;
use crate::bindings;
use core::marker::PhantomData;
use kernel::prelude::*;
use kernel::types::Opaque;

/// A superblock of filesystem `T`.
///
/// # Invariants
///
/// Only referenced while the VFS keeps the superblock alive (inside its
/// callbacks or while an inode or dentry of it is held). `s_fs_info` is
/// either NULL (early in `fill_super`) or a `KBox<SbState<T>>` set by the
/// registration code and freed only in `kill_sb`.
#[repr(transparent)]
pub(crate) struct SuperBlock<T: FileSystem>(Opaque<bindings::super_block>, PhantomData<T>);

impl<T: FileSystem> SuperBlock<T> {
    /// # Safety
    ///
    /// `ptr` must be a live superblock of `T`, alive for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::super_block) -> &'a Self {
        // SAFETY: `SuperBlock<T>` is a transparent wrapper of the C struct.
        unsafe { &*ptr.cast() }
    }

    pub(crate) fn as_ptr(&self) -> *mut bindings::super_block {
        self.0.get()
    }

    fn state(&self) -> Option<&SbState<T>> {
        // SAFETY: reading a field of a live superblock (type invariant).
        let p = unsafe { (*self.as_ptr()).s_fs_info } as *const SbState<T>;
        // SAFETY: non-NULL `s_fs_info` is our `KBox<SbState<T>>` (type
        // invariant), alive until `kill_sb`, after every user of `&self`.
        (!p.is_null()).then(|| unsafe { &*p })
    }

    /// The filesystem's data for this mount (set once `fill_super` is done).
    pub(crate) fn data(&self) -> Result<&T::Data> {
        self.state().and_then(|s| s.data.as_ref()).ok_or(EINVAL)
    }

    /// The image file of a file-backed mount.
    pub(crate) fn backing_file(&self) -> Option<&super::FileRef> {
        self.state().and_then(|s| s.backing.as_ref())
    }

    /// Opens an extra device: a block device, or a regular file when the
    /// mount itself is file-backed (as the C driver does for `device=`).
    pub(crate) fn open_device(&self, path: &CStr) -> Result<super::FileRef> {
        if self.is_file_backed() {
            let f = super::FileRef::open(path)?;
            if !f.is_readable_regular() {
                return Err(EINVAL);
            }
            return Ok(f);
        }
        // SAFETY: `s_type` of a live superblock is our registered type, a
        // stable holder for the exclusive open.
        let holder = unsafe { (*self.as_ptr()).s_type } as *mut core::ffi::c_void;
        match super::FileRef::open_bdev(path, holder) {
            Err(e) if e == ENOTBLK => Err(EINVAL),
            r => r,
        }
    }

    /// Whether the mount is file-backed.
    pub(crate) fn is_file_backed(&self) -> bool {
        self.backing_file().is_some()
    }

    /// The device name ("vda", "loop0") for messages.
    pub(crate) fn id(&self) -> &CStr {
        // SAFETY: `s_id` is a NUL-terminated array in the live superblock.
        unsafe { CStr::from_char_ptr(bindings::erofs_rs_sb_id(self.as_ptr()).cast()) }
    }

    /// Sets the block size (sb_set_blocksize on a block device); false if
    /// the device cannot. A file-backed mount takes any power of two.
    pub(crate) fn set_blocksize(&self, size: u32) -> bool {
        if !size.is_power_of_two() {
            return false;
        }
        if self.is_file_backed() {
            // SAFETY: the superblock is being set up by `fill_super`, which
            // owns it exclusively.
            unsafe { bindings::erofs_rs_sb_set_blocksize_raw(self.as_ptr(), size.trailing_zeros()) };
            return true;
        }
        // SAFETY: as above.
        unsafe { bindings::sb_set_blocksize(self.as_ptr(), size as i32) != 0 }
    }

    /// The device number of the backing block device, 0 if none.
    pub(crate) fn dev(&self) -> u32 {
        // SAFETY: live superblock; the helper reads s_bdev->bd_dev.
        unsafe { bindings::erofs_rs_bdev_dev(self.as_ptr()) }
    }

    /// Turns POSIX ACL enforcement (SB_POSIXACL) on or off.
    pub(crate) fn set_posix_acl(&self, on: bool) {
        // SAFETY: written during `fill_super`, which owns the superblock.
        unsafe {
            if on {
                (*self.as_ptr()).s_flags |= bindings::SB_POSIXACL as core::ffi::c_ulong;
            } else {
                (*self.as_ptr()).s_flags &= !(bindings::SB_POSIXACL as core::ffi::c_ulong);
            }
        }
    }

    /// Sets `s_uuid` (visible to statfs and FS_IOC_GETFSUUID).
    pub(crate) fn set_uuid(&self, uuid: &[u8; 16]) {
        // SAFETY: written during `fill_super`, which owns the superblock.
        unsafe {
            (*self.as_ptr()).s_uuid.b = *uuid;
            (*self.as_ptr()).s_uuid_len = 16;
        }
    }
}

/// What `statfs` reports.
pub(crate) struct StatFs {
    pub(crate) magic: u64,
    pub(crate) bsize: u64,
    pub(crate) blocks: u64,
    pub(crate) files: u64,
    pub(crate) ffree: u64,
    pub(crate) namelen: u64,
    pub(crate) uuid: [u8; 16],
    /// Device number used for the fsid when the uuid is null.
    pub(crate) dev: u64,
}

/// A `seq_file` being filled by `show_options`.
///
/// # Invariants
///
/// `ptr` is the live seq_file passed to `show_options`.
pub(crate) struct SeqFile {
    ptr: *mut bindings::seq_file,
}

impl SeqFile {
    /// # Safety
    ///
    /// `ptr` must be the seq_file of the current `show_options` call.
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::seq_file) -> Self {
        // INVARIANT: guaranteed by the caller.
        Self { ptr }
    }

    pub(crate) fn puts(&mut self, s: &CStr) {
        // SAFETY: live seq_file (type invariant), NUL-terminated string.
        unsafe { bindings::__seq_puts(self.ptr, s.as_char_ptr().cast()) };
    }
}
