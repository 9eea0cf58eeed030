// SPDX-License-Identifier: GPL-2.0

//! `struct super_block` and its operations (`super_operations`).
//!
//! A superblock is [`New`] while `fill_super` sets it up and [`Ready`]
//! once the filesystem's data is in `s_fs_info`; only a ready one hands
//! out that data, so `data()` cannot fail.

use super::bindings;
use super::fs_type::{FileSystem, FS_TYPE};
use super::{inode, FileRef};
use core::ffi::c_int;
use core::marker::PhantomData;
use kernel::prelude::*;
use kernel::types::{ForeignOwnable, Opaque};

/// Typestate of a superblock being filled: no data yet.
pub(crate) struct New;
/// Typestate of a superblock whose `s_fs_info` holds the filesystem's data.
pub(crate) struct Ready;

/// The typestates of [`SuperBlock`].
pub(crate) trait State: private::Sealed {}
impl State for New {}
impl State for Ready {}
mod private {
    pub(crate) trait Sealed {}
    impl Sealed for super::New {}
    impl Sealed for super::Ready {}
}

/// A superblock of filesystem `T` in state `S`.
///
/// # Invariants
///
/// Only referenced while the VFS keeps the superblock alive (inside its
/// callbacks, or while an inode or dentry of it is held). Its `s_type` is
/// our registered type. In state [`New`] it is being filled by our
/// `fill_super`, which owns it exclusively. In state [`Ready`],
/// `s_fs_info` is a `KBox<T::Data>` handed over with `into_foreign`,
/// freed only by `kill_sb`.
#[repr(transparent)]
pub(crate) struct SuperBlock<T: FileSystem, S: State = Ready>(Opaque<bindings::super_block>, PhantomData<(T, S)>);

impl<T: FileSystem, S: State> SuperBlock<T, S> {
    /// # Safety
    ///
    /// `ptr` must be a live superblock of `T` in state `S` for `'a`.
    pub(super) unsafe fn from_raw<'a>(ptr: *mut bindings::super_block) -> &'a Self {
        // SAFETY: `SuperBlock` is a transparent wrapper of the C struct.
        unsafe { &*ptr.cast() }
    }

    pub(super) fn as_ptr(&self) -> *mut bindings::super_block {
        self.0.get()
    }

    /// Logs a message about this superblock, as the C erofs does
    /// ("erofs_rs (device vda): ..."; see `printk.rs`).
    pub(crate) fn log(&self, level: super::printk::Level, args: core::fmt::Arguments<'_>) {
        // SAFETY: `s_id` is a NUL-terminated array of the live superblock.
        let id = unsafe { &(*self.as_ptr()).s_id };
        // SAFETY: c_char and u8 have the same layout.
        let bytes = unsafe { core::slice::from_raw_parts(id.as_ptr().cast::<u8>(), id.len()) };
        let len = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        super::printk::log(&bytes[..len], level, args);
    }

    /// Whether the superblock sits on a block device (not a regular file).
    pub(crate) fn has_bdev(&self) -> bool {
        // SAFETY: reads `s_bdev` of a live superblock, set before fill.
        unsafe { bindings::erofs_rs_sb_has_bdev(self.as_ptr()) }
    }

    /// The device number of the backing block device, 0 if none.
    pub(crate) fn dev(&self) -> u32 {
        // SAFETY: live superblock; the helper reads s_bdev->bd_dev.
        unsafe { bindings::erofs_rs_bdev_dev(self.as_ptr()) }
    }

    /// The logical block size of the block device, if there is one: the
    /// alignment O_DIRECT needs.
    pub(crate) fn bdev_logical_block_size(&self) -> Option<u32> {
        // SAFETY: `s_bdev` of a live superblock is NULL or its device,
        // open as long as the superblock.
        let bdev = unsafe { bindings::erofs_rs_sb_bdev(self.as_ptr()) };
        // SAFETY: a live block device (above).
        (!bdev.is_null()).then(|| unsafe { bindings::erofs_rs_bdev_logical_block_size(bdev) })
    }
}

impl<T: FileSystem> SuperBlock<T, New> {
    /// Opens an extra device: a block device, or a regular file when the
    /// mount itself is file-backed (as the C driver does for `device=`).
    pub(crate) fn open_device(&self, path: &CStr) -> Result<FileRef> {
        if !self.has_bdev() {
            let f = FileRef::open(path)?;
            if !f.is_readable_regular() {
                return Err(EINVAL);
            }
            return Ok(f);
        }
        // Our registered type is a stable holder for the exclusive open.
        match FileRef::open_bdev(path, FS_TYPE.as_ptr().cast()) {
            Err(e) if e == ENOTBLK => Err(EINVAL),
            r => r,
        }
    }

    /// Sets the block size (sb_set_blocksize on a block device); false if
    /// the device cannot. A file-backed superblock takes any power of two.
    pub(crate) fn set_blocksize(&self, size: u32) -> bool {
        if !size.is_power_of_two() {
            return false;
        }
        if !self.has_bdev() {
            // SAFETY: the superblock is being filled, exclusively ours
            // (type invariant).
            unsafe { bindings::erofs_rs_sb_set_blocksize_raw(self.as_ptr(), size.trailing_zeros()) };
            return true;
        }
        // SAFETY: as above.
        unsafe { bindings::sb_set_blocksize(self.as_ptr(), size as i32) != 0 }
    }

    /// Turns POSIX ACL enforcement (SB_POSIXACL) on or off.
    pub(crate) fn set_posix_acl(&self, on: bool) {
        let flag = bindings::SB_POSIXACL as core::ffi::c_ulong;
        // SAFETY: the superblock is being filled, exclusively ours.
        unsafe {
            if on {
                (*self.as_ptr()).s_flags |= flag;
            } else {
                (*self.as_ptr()).s_flags &= !flag;
            }
        }
    }

    /// Sets `s_uuid` (visible to statfs and FS_IOC_GETFSUUID).
    pub(crate) fn set_uuid(&self, uuid: &[u8; 16]) {
        // SAFETY: the superblock is being filled, exclusively ours.
        unsafe {
            (*self.as_ptr()).s_uuid.b = *uuid;
            (*self.as_ptr()).s_uuid_len = 16;
        }
    }
}

impl<T: FileSystem> SuperBlock<T, Ready> {
    /// The filesystem's data for this mount.
    pub(crate) fn data(&self) -> &T::Data {
        // `kill_sb` frees it only after every user of `&self` is gone.
        // SAFETY: a ready superblock's `s_fs_info` is our `KBox<T::Data>`.
        unsafe { KBox::<T::Data>::borrow((*self.as_ptr()).s_fs_info as _) }
    }

    /// Finds or reads inode `ino` (iget_locked): a new one is read with
    /// `T::read_inode` and set up before anyone else can see it.
    pub(crate) fn iget(&self, ino: u64) -> Result<super::ARef<inode::Inode<T>>> {
        inode::iget(self, ino)
    }
}

/// Sets up a new superblock before `T::fill_super` reads the image.
pub(super) fn init<T: FileSystem>(sb: &SuperBlock<T, New>) -> Result {
    let ptr = sb.as_ptr();
    if !sb.has_bdev() {
        // A superblock without a block device (file-backed, fscache)
        // needs its own bdi for readahead.
        // SAFETY: the superblock is being filled, exclusively ours.
        kernel::error::to_result(unsafe { bindings::super_setup_bdi(ptr) })?;
    }
    let handlers = match T::XATTR_HANDLERS {
        Some(h) => h.as_ptr(),
        None => core::ptr::null(),
    };
    // SAFETY: the superblock is being filled, exclusively ours; the
    // tables are statics.
    unsafe {
        (*ptr).s_magic = T::MAGIC as _;
        (*ptr).s_flags |= (bindings::SB_RDONLY | bindings::SB_NOATIME) as core::ffi::c_ulong;
        (*ptr).s_maxbytes = bindings::MAX_LFS_FILESIZE as _;
        (*ptr).s_op = &Ops::<T>::TABLE;
        (*ptr).s_time_gran = 1;
        (*ptr).s_xattr = handlers;
        if T::HAS_HANDLE_ID {
            (*ptr).s_export_op = &super::export::Ops::<T>::TABLE;
        }
    }
    Ok(())
}

/// What `statfs` reports.
pub(crate) struct StatFs {
    pub(crate) magic: u64,
    pub(crate) bsize: u64,
    pub(crate) blocks: u64,
    pub(crate) files: u64,
    pub(crate) ffree: u64,
    pub(crate) namelen: u64,
    /// The fsid is made from it, or from `dev` when it is all zeros.
    pub(crate) uuid: [u8; 16],
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
    pub(crate) fn puts(&mut self, s: &CStr) {
        // SAFETY: live seq_file (type invariant), NUL-terminated string.
        unsafe { bindings::__seq_puts(self.ptr, s.as_char_ptr().cast()) };
    }

    /// Writes `bytes` as they are (seq_write; seq_printf's "%s" in C).
    pub(crate) fn write(&mut self, bytes: &[u8]) {
        // SAFETY: live seq_file (type invariant); `bytes` is readable for
        // its length during the call.
        unsafe { bindings::seq_write(self.ptr, bytes.as_ptr().cast(), bytes.len()) };
    }
}

/// The `super_operations` of `T`.
struct Ops<T>(PhantomData<T>);

impl<T: FileSystem> Ops<T> {
    const TABLE: bindings::super_operations = bindings::super_operations {
        alloc_inode: Some(inode::alloc_inode::<T>),
        free_inode: Some(inode::free_inode::<T>),
        // Leaving a shared inode, what evict() does without one, and what
        // an FSDAX filesystem must do first (7.x).
        evict_inode: Some(inode::evict_inode::<T>),
        statfs: if T::HAS_STATFS { Some(statfs::<T>) } else { None },
        show_options: if T::HAS_SHOW_OPTIONS { Some(show_options::<T>) } else { None },
        // SAFETY: all-zero is a valid `super_operations`: every other
        // member is an optional function pointer (None).
        ..unsafe { core::mem::zeroed() }
    };
}

/// `super_operations::statfs`.
///
/// # Safety
///
/// Called by the VFS with a dentry of a mounted `T` and the caller's
/// buffer.
unsafe extern "C" fn statfs<T: FileSystem>(dentry: *mut bindings::dentry, buf: *mut bindings::kstatfs) -> c_int {
    // SAFETY: a live dentry of a mounted (ready) `T`.
    let sb = unsafe { SuperBlock::<T>::from_raw(bindings::erofs_rs_dentry_sb(dentry)) };
    match T::statfs(sb) {
        Ok(mut st) => {
            // SAFETY: `buf` is the caller's statfs buffer.
            unsafe {
                (*buf).f_type = st.magic as _;
                (*buf).f_bsize = st.bsize as _;
                (*buf).f_blocks = st.blocks;
                (*buf).f_bfree = 0;
                (*buf).f_bavail = 0;
                (*buf).f_files = st.files;
                (*buf).f_ffree = st.ffree;
                (*buf).f_namelen = st.namelen as _;
                bindings::erofs_rs_set_fsid(buf, st.uuid.as_mut_ptr(), st.dev);
            }
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// `super_operations::show_options`.
///
/// # Safety
///
/// Called by the VFS with a seq_file and the root of a mounted `T`.
unsafe extern "C" fn show_options<T: FileSystem>(seq: *mut bindings::seq_file, root: *mut bindings::dentry) -> c_int {
    // SAFETY: the root dentry of a mounted (ready) `T`.
    let sb = unsafe { SuperBlock::<T>::from_raw(bindings::erofs_rs_dentry_sb(root)) };
    // INVARIANT: the live seq_file of this call.
    let mut s = SeqFile { ptr: seq };
    match T::show_options(sb, &mut s) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}
