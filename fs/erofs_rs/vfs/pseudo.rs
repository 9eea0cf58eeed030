// SPDX-License-Identifier: GPL-2.0

//! Private pseudo filesystems (`init_pseudo` + `kern_mount`): superblocks
//! that are never mounted in any namespace and only own inodes whose
//! page cache the module fills itself: the blobs of fscache mode
//! (`fscache.rs`) and the shared inodes of page cache sharing
//! (`ishare.rs`). Each is mounted for the life of the module.

use super::bindings;
use super::fs_type::FsTypeSlot;
use core::ffi::c_int;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::prelude::*;

/// One pseudo filesystem type and its mount, kept in a `static`.
///
/// # Invariants
///
/// `mnt` is null or a mount made by `kern_mount` of `ty`, unmounted only
/// by the [`PseudoMount`] that made it; one `PseudoMount` exists per
/// `PseudoFs` at a time. `ty` is written only while `mnt` is null and
/// no mount of it is being made.
pub(crate) struct PseudoFs {
    ty: FsTypeSlot,
    mnt: AtomicPtr<bindings::vfsmount>,
    name: &'static CStr,
    /// Whether the superblock gets a backing device info of its own
    /// (`super_setup_bdi`): without one, files whose page cache lives
    /// here get no readahead (`ra_pages` 0) and fadvise does nothing.
    bdi: bool,
}

// SAFETY: `mnt` is atomic; `ty` is only written before the mount exists
// (type invariant) and read by the VFS afterwards.
unsafe impl Sync for PseudoFs {}

/// A `super_operations` table for a pseudo filesystem.
pub(crate) struct SuperOps(pub(super) bindings::super_operations);

// SAFETY: an immutable table of function pointers.
unsafe impl Sync for SuperOps {}

/// The magic of every pseudo superblock of ours: EROFS's, as the C
/// driver's pseudo filesystems have.
const MAGIC: u64 = crate::format::erofs_fs::SUPER_MAGIC_V1 as u64;

impl PseudoFs {
    pub(crate) const fn new(name: &'static CStr, bdi: bool) -> Self {
        Self { ty: FsTypeSlot::new(), mnt: AtomicPtr::new(core::ptr::null_mut()), name, bdi }
    }

    /// The superblock of the mount, or null when it is not mounted.
    pub(super) fn sb(&self) -> *mut bindings::super_block {
        let mnt = self.mnt.load(Ordering::Acquire);
        if mnt.is_null() {
            return core::ptr::null_mut();
        }
        // SAFETY: a live mount (type invariant); its superblock is fixed.
        unsafe { (*mnt).mnt_sb }
    }
}

/// `init_fs_context` of a pseudo filesystem whose operations are libfs's
/// (the fscache blobs', which exist with fscache only).
///
/// # Safety
///
/// Called by the VFS with a new context of a pseudo type of ours.
#[cfg(erofs_rs_fscache)]
unsafe extern "C" fn init_simple(fc: *mut bindings::fs_context) -> c_int {
    // SAFETY: a live context (caller).
    if unsafe { bindings::init_pseudo(fc, MAGIC as _) }.is_null() {
        return ENOMEM.to_errno();
    }
    0
}

/// `init_fs_context` of a pseudo filesystem with operations of its own.
///
/// # Safety
///
/// As `init_simple`.
unsafe extern "C" fn init_with<S: PseudoOps>(fc: *mut bindings::fs_context) -> c_int {
    // SAFETY: a live context (caller).
    let ctx = unsafe { bindings::init_pseudo(fc, MAGIC as _) };
    if ctx.is_null() {
        return ENOMEM.to_errno();
    }
    // SAFETY: the context init_pseudo just made; the table is a static.
    unsafe { (*ctx).ops = &S::SOPS.0 };
    0
}

/// A pseudo filesystem with its own `super_operations`.
pub(crate) trait PseudoOps {
    const SOPS: &'static SuperOps;
}

/// A pseudo filesystem mounted for the life of the module.
///
/// # Invariants
///
/// `fs.mnt` holds the mount this value made until `drop`.
pub(crate) struct PseudoMount {
    fs: &'static PseudoFs,
}

impl PseudoMount {
    /// Mounts `fs`, with libfs's superblock operations.
    #[cfg(erofs_rs_fscache)]
    pub(crate) fn new(fs: &'static PseudoFs) -> Result<Self> {
        Self::mount(fs, init_simple)
    }

    /// Mounts `fs`, with `S`'s superblock operations.
    pub(crate) fn new_with<S: PseudoOps>(fs: &'static PseudoFs) -> Result<Self> {
        Self::mount(fs, init_with::<S>)
    }

    fn mount(fs: &'static PseudoFs, init: unsafe extern "C" fn(*mut bindings::fs_context) -> c_int) -> Result<Self> {
        if !fs.mnt.load(Ordering::Acquire).is_null() {
            return Err(EBUSY);
        }
        let ty = fs.ty.as_ptr();
        // No owner: a superblock holds a reference to its type's module,
        // and this one lives as long as the module, so with one the module
        // could never be unloaded. The mount goes in our exit, before the
        // module's memory does.
        // SAFETY: nobody reads the slot while it is unmounted (type
        // invariant) and module init runs once.
        unsafe {
            ty.write(bindings::file_system_type::default());
            (*ty).name = fs.name.as_char_ptr().cast();
            (*ty).owner = core::ptr::null_mut();
            (*ty).init_fs_context = Some(init);
            (*ty).kill_sb = Some(bindings::kill_anon_super);
        }
        // SAFETY: a fully initialised type in static storage.
        let mnt = super::from_err_ptr(unsafe { bindings::kern_mount(ty) })?;
        if fs.bdi {
            // SAFETY: the superblock of the mount just made, which nothing
            // else uses yet.
            let r = unsafe { bindings::super_setup_bdi((*mnt).mnt_sb) };
            if r != 0 {
                // SAFETY: the mount made above, unmounted once.
                unsafe { bindings::kern_unmount(mnt) };
                return Err(Error::from_errno(r));
            }
        }
        // INVARIANT: the mount just made.
        fs.mnt.store(mnt, Ordering::Release);
        Ok(Self { fs })
    }
}

impl Drop for PseudoMount {
    fn drop(&mut self) {
        let mnt = self.fs.mnt.swap(core::ptr::null_mut(), Ordering::AcqRel);
        // The module is going away: no superblock of ours, so no user of
        // this one's inodes, is left.
        // SAFETY: the mount made in `new` (type invariant), unmounted once.
        unsafe { bindings::kern_unmount(mnt) };
        // Inodes with `free_inode` of ours are freed after an RCU grace
        // period: wait for those callbacks before the module's code goes.
        // SAFETY: no locks held; may sleep (module exit).
        unsafe { bindings::rcu_barrier() };
    }
}
