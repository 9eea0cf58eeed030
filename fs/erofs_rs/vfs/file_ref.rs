// SPDX-License-Identifier: GPL-2.0

//! Open files the filesystem reads images from: a regular file for
//! file-backed mounts, and extra block devices (or files) for `device=`.

use super::bindings;
use kernel::prelude::*;

/// A file reference we hold; `fput` on drop.
///
/// # Invariants
///
/// `ptr` is an open file on which we hold one reference.
pub(crate) struct FileRef {
    ptr: *mut bindings::file,
}

// SAFETY: a `struct file` reference may be used and dropped from any
// thread; we only read through it.
unsafe impl Send for FileRef {}
// SAFETY: as above.
unsafe impl Sync for FileRef {}

fn from_result(p: *mut bindings::file) -> Result<FileRef> {
    let p = super::from_err_ptr(p)?;
    if p.is_null() {
        return Err(ENOMEM);
    }
    // INVARIANT: filp_open / bdev_file_open_by_path returned a reference.
    Ok(FileRef { ptr: p })
}

impl FileRef {
    /// Opens `path` read-only (filp_open with O_LARGEFILE).
    pub(crate) fn open(path: &CStr) -> Result<Self> {
        // SAFETY: `path` is a valid C string for the call.
        from_result(unsafe { bindings::erofs_rs_open_file(path.as_char_ptr().cast()) })
    }

    /// Opens the block device at `path` read-only, held by `holder`.
    pub(super) fn open_bdev(path: &CStr, holder: *mut core::ffi::c_void) -> Result<Self> {
        // SAFETY: valid C string; the holder is our filesystem type, a
        // stable address for the life of the module.
        from_result(unsafe { bindings::erofs_rs_open_bdev(path.as_char_ptr().cast(), holder) })
    }

    /// A regular file whose page cache can be read.
    pub(crate) fn is_readable_regular(&self) -> bool {
        // SAFETY: `ptr` is an open file (type invariant).
        unsafe { bindings::erofs_rs_file_is_readable_reg(self.ptr) }
    }

    /// The type of the filesystem the file lives on.
    pub(super) fn host_sb_type(&self) -> *mut bindings::file_system_type {
        // SAFETY: `ptr` is an open file (type invariant), so its inode's
        // superblock is live.
        unsafe { (*bindings::erofs_rs_file_sb(self.ptr)).s_type }
    }

    /// Whether the filesystem the file lives on has a block device.
    pub(super) fn host_sb_has_bdev(&self) -> bool {
        // SAFETY: as above.
        unsafe { bindings::erofs_rs_sb_has_bdev(bindings::erofs_rs_file_sb(self.ptr)) }
    }

    pub(super) fn as_ptr(&self) -> *mut bindings::file {
        self.ptr
    }

    pub(super) fn mapping(&self) -> *mut bindings::address_space {
        // SAFETY: `ptr` is an open file (type invariant); its mapping lives
        // as long as the file.
        unsafe { bindings::erofs_rs_file_mapping(self.ptr) }
    }
}

impl Drop for FileRef {
    fn drop(&mut self) {
        // SAFETY: drops the reference we hold (type invariant).
        unsafe { bindings::fput(self.ptr) };
    }
}
