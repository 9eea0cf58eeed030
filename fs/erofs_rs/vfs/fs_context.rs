// SPDX-License-Identifier: GPL-2.0

//! `struct fs_context`: the state of one mount attempt, and its
//! operations (`fs_context_operations`): option parsing, `get_tree` for a
//! block device or a regular file, and `fill_super`.

use super::bindings;
use super::fs_type::{FileSystem, FS_TYPE};
use super::super_block::{self, New, SuperBlock};
use super::FileRef;
use core::ffi::c_int;
use kernel::prelude::*;
use kernel::types::ForeignOwnable;

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
    unsafe fn from_raw(ptr: *mut bindings::fs_context) -> Self {
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

    /// Our state in `fs_private`.
    ///
    /// # Safety
    ///
    /// The context must be one of `T`'s, between `init_fs_context` and
    /// `free`, and no other reference to the state may be live.
    unsafe fn private<T: FileSystem>(&self) -> &mut Private<T> {
        // SAFETY: `fs_private` holds the box set by `init_fs_context`
        // until `free` (caller); the reference is unique (caller).
        unsafe { &mut *(*self.ptr).fs_private.cast::<Private<T>>() }
    }
}

/// A mount parameter: `key` or `key=value`.
struct Param<'a> {
    key: &'a [u8],
    /// `None` for a flag (`key` alone).
    value: Option<&'a [u8]>,
}

impl<'a> Param<'a> {
    /// Reads a parameter passed to `parse_param`.
    ///
    /// # Safety
    ///
    /// `p` must point to a live `fs_parameter` for `'a`.
    unsafe fn from_raw(p: *mut bindings::fs_parameter) -> Self {
        // SAFETY: `p` is live (caller); `key` is always a C string.
        let key = super::compat::cstr_bytes(unsafe { CStr::from_char_ptr((*p).key.cast()) });
        // SAFETY: `p` is live; the helper reads its type and string.
        let v = unsafe { bindings::erofs_rs_param_string(p) };
        let value = if v.is_null() {
            None
        } else {
            // SAFETY: a non-NULL string value is a C string owned by the
            // parameter, alive for `'a`.
            Some(super::compat::cstr_bytes(unsafe { CStr::from_char_ptr(v.cast()) }))
        };
        Self { key, value }
    }
}

/// What a mount attempt carries in `fs_context.fs_private`.
struct Private<T: FileSystem> {
    opts: T::Options,
    /// The image file of a file-backed mount, once `get_tree` opened it.
    file: Option<FileRef>,
}

/// The context operations of `T`.
struct Ops<T>(core::marker::PhantomData<T>);

impl<T: FileSystem> Ops<T> {
    const TABLE: bindings::fs_context_operations = bindings::fs_context_operations {
        free: Some(free::<T>),
        dup: None,
        parse_param: Some(parse_param::<T>),
        parse_monolithic: None,
        get_tree: Some(get_tree::<T>),
        reconfigure: Some(reconfigure::<T>),
    };
}

fn to_errno(r: Result) -> c_int {
    match r {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `file_system_type::init_fs_context`.
///
/// # Safety
///
/// Called by the VFS with a new context of our type that it owns.
pub(super) unsafe extern "C" fn init_fs_context<T: FileSystem>(fc: *mut bindings::fs_context) -> c_int {
    let private = match KBox::new(Private::<T> { opts: T::Options::default(), file: None }, GFP_KERNEL) {
        Ok(p) => p,
        Err(_) => return ENOMEM.to_errno(),
    };
    // `fs_private` is ours until `free`; the operations table is a
    // promoted `'static`, outliving every context (each holds a module ref).
    // SAFETY: the context is live and exclusively owned during this call.
    unsafe {
        (*fc).fs_private = KBox::into_raw(private).cast();
        (*fc).ops = &Ops::<T>::TABLE;
    }
    0
}

/// `fs_context_operations::free`.
///
/// # Safety
///
/// Called by the VFS once, when a context of ours is released.
unsafe extern "C" fn free<T: FileSystem>(fc: *mut bindings::fs_context) {
    // SAFETY: the context is live during the call.
    let p = unsafe { (*fc).fs_private.cast::<Private<T>>() };
    if !p.is_null() {
        // SAFETY: the box set by `init_fs_context`, released once here.
        drop(unsafe { KBox::from_raw(p) });
        // SAFETY: as above; nothing reads `fs_private` after `free`.
        unsafe { (*fc).fs_private = core::ptr::null_mut() };
    }
}

/// `fs_context_operations::parse_param`.
///
/// # Safety
///
/// Called by the VFS with a live context of ours and one parameter.
unsafe extern "C" fn parse_param<T: FileSystem>(fc: *mut bindings::fs_context, param: *mut bindings::fs_parameter) -> c_int {
    // SAFETY: the VFS passes a live context and parameter.
    let (ctx, p) = unsafe { (FsContext::from_raw(fc), Param::from_raw(param)) };
    // SAFETY: a context of `T` during parsing; no other borrow of it.
    let private = unsafe { ctx.private::<T>() };
    to_errno(T::parse_param(&ctx, &mut private.opts, p.key, p.value))
}

/// `fs_context_operations::reconfigure`.
///
/// # Safety
///
/// Called by the VFS with a live context of a remount.
unsafe extern "C" fn reconfigure<T: FileSystem>(fc: *mut bindings::fs_context) -> c_int {
    // A read-only filesystem stays read-only whatever remount asks for,
    // as the C erofs does.
    // SAFETY: live context passed by the VFS.
    unsafe { (*fc).sb_flags |= bindings::SB_RDONLY };
    0
}

/// `fs_context_operations::get_tree`: a block device first; when the
/// source is not one, a regular file (file-backed mount), as the C erofs
/// does with CONFIG_EROFS_FS_BACKED_BY_FILE.
///
/// # Safety
///
/// Called by the VFS with a live context of ours.
unsafe extern "C" fn get_tree<T: FileSystem>(fc: *mut bindings::fs_context) -> c_int {
    // SAFETY: live context of `T`; no other borrow of its state.
    let ctx = unsafe { FsContext::from_raw(fc) };
    // SAFETY: as above.
    if T::needs_no_source(&unsafe { ctx.private::<T>() }.opts) {
        // SAFETY: live context; an anonymous superblock, nothing opened.
        return unsafe { bindings::get_tree_nodev(fc, Some(fill_super::<T>)) };
    }
    // SAFETY: live context; `fill_super::<T>` matches the callback type.
    let ret = unsafe { bindings::get_tree_bdev_flags(fc, Some(fill_super::<T>), bindings::GET_TREE_BDEV_QUIET_LOOKUP) };
    if ret != ENOTBLK.to_errno() {
        return ret;
    }
    // SAFETY: `source` of a live context is NULL or a C string.
    let src = unsafe { (*fc).source };
    if src.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: a non-NULL source is a valid C string owned by the context.
    let path = unsafe { CStr::from_char_ptr(src.cast()) };
    let file = match FileRef::open(path) {
        Ok(f) => f,
        Err(e) => return e.to_errno(),
    };
    if !file.is_readable_regular() {
        return ENOTBLK.to_errno();
    }
    // Refuse to stack a file-backed mount on another one of ours: nested
    // reads could recurse without bound. The superblock's type tells
    // whether it is ours.
    if file.host_sb_type() == FS_TYPE.as_ptr() && !file.host_sb_has_bdev() {
        pr_err!("file-backed mounts cannot be applied to stacked fses\n");
        return ENOTBLK.to_errno();
    }
    // SAFETY: live context of `T`; no other borrow of its state.
    unsafe { ctx.private::<T>() }.file = Some(file);
    // SAFETY: live context; an anonymous superblock for the file.
    unsafe { bindings::get_tree_nodev(fc, Some(fill_super::<T>)) }
}

/// The `fill_super` callback of `get_tree_bdev`/`get_tree_nodev`: sets up
/// the superblock (`New`), lets `T` read the image, hands its data to
/// `s_fs_info` (the superblock is `Ready` from then on) and makes the root.
///
/// # Safety
///
/// Called by the VFS with a new superblock of our type, exclusively ours
/// while it runs, and the mount's context.
unsafe extern "C" fn fill_super<T: FileSystem>(sb: *mut bindings::super_block, fc: *mut bindings::fs_context) -> c_int {
    // SAFETY: live context of `T`; no other borrow of its state.
    let ctx = unsafe { FsContext::from_raw(fc) };
    // SAFETY: as above.
    let private = unsafe { ctx.private::<T>() };
    let opts = core::mem::take(&mut private.opts);
    let backing = private.file.take();
    // SAFETY: a new superblock being filled, ours alone (caller).
    let new = unsafe { SuperBlock::<T, New>::from_raw(sb) };
    if let Err(e) = super_block::init::<T>(new) {
        return e.to_errno();
    }
    let data = match T::fill_super(new, &ctx, opts, backing) {
        Ok(d) => d,
        Err(e) => return e.to_errno(),
    };
    let data = match KBox::new(data, GFP_KERNEL) {
        Ok(d) => d,
        Err(_) => return ENOMEM.to_errno(),
    };
    // SAFETY: `s_fs_info` is ours; `kill_sb` takes it back, also when
    // the rest of the mount fails.
    unsafe { (*sb).s_fs_info = data.into_foreign() as _ };
    // SAFETY: `s_fs_info` now holds `T::Data`: the superblock is ready.
    let ready = unsafe { SuperBlock::<T>::from_raw(sb) };
    match T::init_root(ready) {
        Ok(root) => {
            // SAFETY: the root dentry of the superblock we are filling;
            // the superblock owns its reference from now on.
            unsafe { (*sb).s_root = root.into_raw() };
            0
        }
        Err(e) => e.to_errno(),
    }
}
