// SPDX-License-Identifier: GPL-2.0

//! Registering a filesystem type with the VFS.

use super::FsContext;
use crate::bindings;
use kernel::error::to_result;
use kernel::prelude::*;

/// A filesystem implementation, as the VFS sees it.
pub(crate) trait FileSystem {
    /// The name under which the type appears in `/proc/filesystems`.
    const NAME: &'static CStr;

    /// Creates the superblock of a new mount (`fs_context_operations::get_tree`).
    fn get_tree(fc: &mut FsContext) -> Result;
}

/// A registered filesystem type; unregistered when dropped.
///
/// # Invariants
///
/// `fs_type` came from `KBox::into_raw`, was registered with
/// `register_filesystem` and stays registered until `drop`.
pub(crate) struct Registration {
    fs_type: *mut bindings::file_system_type,
}

// SAFETY: the registration is only a handle to a heap object the VFS reads
// under its own locks; dropping it from another thread is fine.
unsafe impl Send for Registration {}
// SAFETY: `&Registration` exposes nothing.
unsafe impl Sync for Registration {}

impl Registration {
    /// Registers `T` as a filesystem type owned by `module`.
    pub(crate) fn new<T: FileSystem>(module: &'static ThisModule) -> Result<Self> {
        let mut fs_type = KBox::new(bindings::file_system_type::default(), GFP_KERNEL)?;
        fs_type.name = T::NAME.as_char_ptr().cast();
        fs_type.owner = module.as_ptr().cast();
        fs_type.fs_flags = (bindings::FS_REQUIRES_DEV | bindings::FS_ALLOW_IDMAP) as _;
        fs_type.init_fs_context = Some(init_fs_context::<T>);
        fs_type.kill_sb = Some(kill_sb);
        let fs_type = KBox::into_raw(fs_type);
        // SAFETY: `fs_type` is a fully initialised, heap-allocated type
        // descriptor whose name is a static string; it stays alive until
        // `unregister_filesystem` in `drop`.
        let ret = unsafe { bindings::register_filesystem(fs_type) };
        if let Err(e) = to_result(ret) {
            // SAFETY: registration failed, so the VFS holds no reference and
            // the box is ours to free again.
            drop(unsafe { KBox::from_raw(fs_type) });
            return Err(e);
        }
        // INVARIANT: registered just above.
        Ok(Self { fs_type })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: `fs_type` is registered (type invariant). The module
        // reference held by every superblock means no mount of it exists
        // when the module (and so this registration) goes away.
        unsafe { bindings::unregister_filesystem(self.fs_type) };
        // SAFETY: unregistered above, so the VFS no longer points to it; it
        // came from `KBox::into_raw` (type invariant).
        drop(unsafe { KBox::from_raw(self.fs_type) });
    }
}

/// The operations of every mount context of `T`.
struct ContextOps<T>(core::marker::PhantomData<T>);

impl<T: FileSystem> ContextOps<T> {
    const OPS: bindings::fs_context_operations = bindings::fs_context_operations {
        get_tree: Some(get_tree::<T>),
        ..const_default_context_ops()
    };
}

const fn const_default_context_ops() -> bindings::fs_context_operations {
    bindings::fs_context_operations {
        free: None,
        dup: None,
        parse_param: None,
        parse_monolithic: None,
        get_tree: None,
        reconfigure: None,
    }
}

unsafe extern "C" fn init_fs_context<T: FileSystem>(fc: *mut bindings::fs_context) -> core::ffi::c_int {
    // SAFETY: the VFS calls this with a live, exclusively owned context.
    // `ContextOps::<T>::OPS` is a constant promoted to a `'static`, so the
    // pointer stays valid for as long as the module is loaded, which the
    // context's reference on the module guarantees.
    unsafe { (*fc).ops = &ContextOps::<T>::OPS };
    0
}

unsafe extern "C" fn get_tree<T: FileSystem>(fc: *mut bindings::fs_context) -> core::ffi::c_int {
    // SAFETY: the VFS passes the live context this callback belongs to.
    let mut fc = unsafe { FsContext::from_raw(fc) };
    match T::get_tree(&mut fc) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

unsafe extern "C" fn kill_sb(sb: *mut bindings::super_block) {
    // SAFETY: the VFS calls `kill_sb` once for a superblock of this type;
    // every superblock we create is block-device backed.
    unsafe { bindings::kill_block_super(sb) };
}
