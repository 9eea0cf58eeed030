// SPDX-License-Identifier: GPL-2.0

//! Inodes: our slab of `struct inode` plus per-inode data, `iget`, and
//! the attributes a new inode is initialised with.

use super::{FileSystem, SuperBlock};
use crate::bindings;
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::prelude::*;
use kernel::types::Opaque;

/// What kind of inode a new inode becomes (which operations it gets).
pub(crate) enum InodeKind {
    Directory,
    /// A regular file; `direct_io` when it may be opened with O_DIRECT.
    Regular {
        direct_io: bool,
    },
    /// A symlink whose target is known now (kept in the inode).
    FastSymlink(KVec<u8>),
    /// A symlink whose target is read as file data.
    Symlink,
    /// Device node, fifo or socket.
    Special,
}

/// How an inode's data reaches the page cache.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum IoPath {
    /// iomap bios from the block device (uncompressed, block-device mounts).
    Iomap,
    /// `read_folio` fills each folio itself (compressed data, file-backed).
    Copy,
}

/// Attributes of a new inode.
pub(crate) struct InodeParams {
    pub(crate) io: IoPath,
    pub(crate) mode: u16,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) nlink: u32,
    pub(crate) size: u64,
    pub(crate) blocks: u64,
    pub(crate) mtime: i64,
    pub(crate) mtime_nsec: u32,
    pub(crate) rdev_major: u32,
    pub(crate) rdev_minor: u32,
    pub(crate) kind: InodeKind,
}

/// One allocation of our inode slab: the VFS inode first, so a pointer
/// to one is a pointer to the other.
#[repr(C)]
pub(crate) struct Container<T: FileSystem> {
    vfs: bindings::inode,
    data: MaybeUninit<T::INodeData>,
    has_data: bool,
    /// A fast symlink's target, NUL-terminated; `i_link` points into it.
    link: MaybeUninit<KVec<u8>>,
    has_link: bool,
}

/// The slab all our inodes come from (one filesystem type per module).
pub(crate) static INODE_CACHE: AtomicPtr<bindings::kmem_cache> = AtomicPtr::new(core::ptr::null_mut());

/// An inode of filesystem `T`.
///
/// # Invariants
///
/// Lives in a `Container<T>` from our slab, and is only referenced while
/// the VFS holds it (a callback's argument or a counted reference). Its
/// data is initialised before the inode is unlocked as new.
#[repr(transparent)]
pub(crate) struct Inode<T: FileSystem>(Opaque<bindings::inode>, PhantomData<T>);

impl<T: FileSystem> Inode<T> {
    /// # Safety
    ///
    /// `ptr` must be a live, initialised inode of `T`, alive for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::inode) -> &'a Self {
        // SAFETY: transparent wrapper of the C struct.
        unsafe { &*ptr.cast() }
    }

    pub(crate) fn as_ptr(&self) -> *mut bindings::inode {
        self.0.get()
    }

    pub(crate) fn data(&self) -> &T::INodeData {
        let c = self.as_ptr().cast::<Container<T>>();
        // SAFETY: the inode lives in a `Container<T>` whose data was
        // initialised before the inode became visible (type invariant).
        unsafe { (*c).data.assume_init_ref() }
    }

    pub(crate) fn super_block(&self) -> &SuperBlock<T> {
        // SAFETY: an inode's superblock outlives it.
        unsafe { SuperBlock::from_raw((*self.as_ptr()).i_sb) }
    }
}

/// A counted reference to an inode; dropped with `iput`.
///
/// # Invariants
///
/// `ptr` is a live inode of `T` on which we hold one reference.
pub(crate) struct ARefInode<T: FileSystem> {
    ptr: *mut bindings::inode,
    _t: PhantomData<T>,
}

impl<T: FileSystem> ARefInode<T> {
    pub(crate) fn get(&self) -> &Inode<T> {
        // SAFETY: we hold a reference (type invariant).
        unsafe { Inode::from_raw(self.ptr) }
    }

    /// Gives the reference away (to d_splice_alias or d_make_root).
    pub(crate) fn into_raw(self) -> *mut bindings::inode {
        let p = self.ptr;
        core::mem::forget(self);
        p
    }
}

impl<T: FileSystem> Drop for ARefInode<T> {
    fn drop(&mut self) {
        // SAFETY: drops the reference we hold (type invariant).
        unsafe { bindings::iput(self.ptr) };
    }
}

/// Operation tables for the inodes of `T`, chosen by kind.
pub(crate) struct Tables {
    pub(crate) dir_iops: &'static bindings::inode_operations,
    pub(crate) dir_fops: &'static bindings::file_operations,
    pub(crate) file_iops: &'static bindings::inode_operations,
    pub(crate) fast_symlink_iops: &'static bindings::inode_operations,
    pub(crate) symlink_iops: &'static bindings::inode_operations,
    pub(crate) aops: &'static bindings::address_space_operations,
    pub(crate) dio_aops: &'static bindings::address_space_operations,
    pub(crate) iomap_aops: &'static bindings::address_space_operations,
    pub(crate) file_fops: &'static bindings::file_operations,
}

/// Finds or creates the inode `ino` (iget_locked); a new one is read with
/// `T::read_inode` and set up before anyone else can see it.
pub(crate) fn iget<T: FileSystem>(sb: &SuperBlock<T>, ino: u64, tables: &Tables) -> Result<ARefInode<T>> {
    // SAFETY: live superblock; iget_locked returns a referenced inode.
    let ptr = unsafe { bindings::iget_locked(sb.as_ptr(), ino) };
    if ptr.is_null() {
        return Err(ENOMEM);
    }
    // SAFETY: `ptr` is a live inode we hold a reference to.
    let is_new = unsafe { bindings::erofs_rs_inode_state(ptr) } & bindings::I_NEW as core::ffi::c_ulong != 0;
    if !is_new {
        // INVARIANT: referenced, initialised inode.
        return Ok(ARefInode { ptr, _t: PhantomData });
    }
    match T::read_inode(sb, ino) {
        Ok((params, data)) => {
            // SAFETY: the inode is new and locked (I_NEW): only we touch it.
            unsafe { setup_new::<T>(ptr, params, data, tables) };
            // SAFETY: publishes the fully initialised inode.
            unsafe { bindings::unlock_new_inode(ptr) };
            // INVARIANT: referenced, initialised inode.
            Ok(ARefInode { ptr, _t: PhantomData })
        }
        Err(e) => {
            // SAFETY: a new inode that failed to initialise; iget_failed
            // marks it bad, unlocks it and drops our reference.
            unsafe { bindings::iget_failed(ptr) };
            Err(e)
        }
    }
}

/// # Safety
///
/// `ptr` must be a new (I_NEW, locked) inode in a `Container<T>`.
unsafe fn setup_new<T: FileSystem>(ptr: *mut bindings::inode, p: InodeParams, data: T::INodeData, t: &Tables) {
    let c = ptr.cast::<Container<T>>();
    // SAFETY: the inode is ours alone until unlocked (caller).
    unsafe {
        (*c).data.write(data);
        (*c).has_data = true;
        bindings::erofs_rs_inode_set_attrs(
            ptr,
            p.mode,
            p.uid,
            p.gid,
            p.nlink,
            p.size as i64,
            p.blocks,
            p.mtime,
            p.mtime_nsec,
            p.rdev_major,
            p.rdev_minor,
        );
        let aops = if p.io == IoPath::Iomap { t.iomap_aops } else { t.aops };
        match p.kind {
            InodeKind::Directory => {
                (*ptr).i_op = t.dir_iops;
                (*ptr).__bindgen_anon_3.i_fop = t.dir_fops;
                (*(*ptr).i_mapping).a_ops = aops;
                bindings::inode_nohighmem(ptr);
            }
            InodeKind::Regular { direct_io } => {
                (*ptr).i_op = t.file_iops;
                (*ptr).__bindgen_anon_3.i_fop = t.file_fops;
                (*(*ptr).i_mapping).a_ops = match (p.io, direct_io) {
                    (IoPath::Iomap, _) => t.iomap_aops,
                    (IoPath::Copy, true) => t.dio_aops,
                    (IoPath::Copy, false) => t.aops,
                };
            }
            InodeKind::FastSymlink(target) => {
                (*c).link.write(target);
                (*c).has_link = true;
                (*ptr).__bindgen_anon_4.i_link = (*c).link.assume_init_ref().as_ptr() as *mut _;
                (*ptr).i_op = t.fast_symlink_iops;
                bindings::inode_nohighmem(ptr);
            }
            InodeKind::Symlink => {
                (*ptr).i_op = t.symlink_iops;
                (*(*ptr).i_mapping).a_ops = aops;
                bindings::inode_nohighmem(ptr);
            }
            InodeKind::Special => {
                (*ptr).i_op = t.file_iops;
                bindings::init_special_inode(ptr, p.mode, (*ptr).i_rdev);
            }
        }
    }
}

/// `super_operations::alloc_inode`.
pub(crate) unsafe extern "C" fn alloc_inode<T: FileSystem>(_sb: *mut bindings::super_block) -> *mut bindings::inode {
    let cache = INODE_CACHE.load(Ordering::Acquire);
    // SAFETY: the cache exists while the filesystem is registered, which
    // it is while any superblock asks for inodes.
    let c = unsafe { bindings::erofs_rs_inode_cache_alloc(cache) }.cast::<Container<T>>();
    if c.is_null() {
        return core::ptr::null_mut();
    }
    // SAFETY: fresh allocation; the slab constructor initialised `vfs`.
    unsafe {
        (*c).has_data = false;
        (*c).has_link = false;
        core::ptr::addr_of_mut!((*c).vfs)
    }
}

/// `super_operations::free_inode` (after an RCU grace period).
pub(crate) unsafe extern "C" fn free_inode<T: FileSystem>(inode: *mut bindings::inode) {
    let c = inode.cast::<Container<T>>();
    // SAFETY: the VFS frees each inode once, when nobody can reach it;
    // it came from `alloc_inode` above.
    unsafe {
        if (*c).has_data {
            (*c).data.assume_init_drop();
        }
        if (*c).has_link {
            (*c).link.assume_init_drop();
        }
        bindings::kmem_cache_free(INODE_CACHE.load(Ordering::Acquire), c.cast());
    }
}

/// Slab constructor: runs once per object, not per allocation.
pub(crate) unsafe extern "C" fn init_once<T: FileSystem>(p: *mut core::ffi::c_void) {
    // SAFETY: `p` is an object of our slab, laid out as `Container<T>`.
    unsafe { bindings::inode_init_once(core::ptr::addr_of_mut!((*p.cast::<Container<T>>()).vfs)) };
}
