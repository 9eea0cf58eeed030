// SPDX-License-Identifier: GPL-2.0

//! `struct inode`: our slab of inodes with per-inode data, `iget`, and
//! the inode operations (`inode_operations`).

use super::bindings;
use super::fs_type::FileSystem;
use super::super_block::SuperBlock;
use super::{address_space, file, ARef, AlwaysRefCounted, NameSink};
use core::ffi::{c_char, c_int, c_uint};
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use kernel::error::VTABLE_DEFAULT_ERROR;
use kernel::prelude::*;
use kernel::types::Opaque;

/// What a new inode is set up with (the attributes and operation tables
/// that erofs_fill_inode assigns in C).
pub(crate) struct InodeParams<T: FileSystem> {
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
    /// `i_op`.
    pub(crate) iops: &'static Ops<T>,
    /// `i_fop`, for directories and regular files.
    pub(crate) fops: Option<&'static file::Ops<T>>,
    /// `i_mapping->a_ops`, for inodes with data in the page cache.
    pub(crate) aops: Option<&'static address_space::Ops<T>>,
    /// A symlink target known now (`i_link`, read by `simple_get_link`).
    pub(crate) link: Option<KVec<u8>>,
    /// The page cache of the inode must not use highmem (directories
    /// and symlinks, whose pages are read through page addresses).
    pub(crate) nohighmem: bool,
    /// Data read and mapped straight from the device's memory (S_DAX).
    pub(crate) dax: bool,
    /// The page cache of the inode may hold folios of more than one
    /// page (`mapping_set_large_folios`): its `aops` fill folios of any
    /// size.
    pub(crate) large_folios: bool,
    /// The inode certainly has no POSIX ACL: the VFS records that
    /// (`cache_no_acl`) instead of asking `get_acl` on the first
    /// permission check, which also keeps path walks in RCU mode.
    pub(crate) no_acl: bool,
}

/// One allocation of our inode slab: the VFS inode first, so a pointer
/// to one is a pointer to the other.
#[repr(C)]
pub(super) struct Container<T: FileSystem> {
    vfs: bindings::inode,
    data: MaybeUninit<T::INodeData>,
    has_data: bool,
    /// `i_link` holds a fast symlink's target, NUL-terminated, in a
    /// kmalloc buffer of ours (freed with the inode, as erofs_free_inode
    /// does).
    has_link: bool,
    /// Page cache sharing: the shared inode this inode joined (see
    /// `ishare.rs`).
    share: AtomicUsize,
}

/// The slab all our inodes come from (one filesystem type per module).
pub(super) static INODE_CACHE: AtomicPtr<bindings::kmem_cache> = AtomicPtr::new(core::ptr::null_mut());

/// An inode of filesystem `T`.
///
/// # Invariants
///
/// Lives in a `Container<T>` from our slab and is only referenced while
/// the VFS holds it (a callback's argument or a counted reference). Its
/// data is initialised before the inode is unlocked as new, and its
/// superblock is ready (`s_fs_info` set) by then.
#[repr(transparent)]
pub(crate) struct Inode<T: FileSystem>(Opaque<bindings::inode>, PhantomData<T>);

impl<T: FileSystem> Inode<T> {
    /// # Safety
    ///
    /// `ptr` must be a live, initialised inode of `T`, alive for `'a`.
    pub(super) unsafe fn from_raw<'a>(ptr: *mut bindings::inode) -> &'a Self {
        // SAFETY: transparent wrapper of the C struct.
        unsafe { &*ptr.cast() }
    }

    pub(super) fn as_ptr(&self) -> *mut bindings::inode {
        self.0.get()
    }

    /// The filesystem's data of this inode.
    pub(crate) fn data(&self) -> &T::INodeData {
        let c = self.as_ptr().cast::<Container<T>>();
        // SAFETY: the inode lives in a `Container<T>` whose data was
        // initialised before the inode became visible (type invariant).
        unsafe { (*c).data.assume_init_ref() }
    }

    pub(crate) fn super_block(&self) -> &SuperBlock<T> {
        // SAFETY: an inode's superblock outlives it and is ready (type
        // invariant).
        unsafe { SuperBlock::from_raw((*self.as_ptr()).i_sb) }
    }

    /// `i_size`.
    pub(crate) fn size(&self) -> u64 {
        // SAFETY: reads `i_size` of a live inode; it never changes on a
        // read-only filesystem once the inode is set up.
        unsafe { (*self.as_ptr()).i_size as u64 }
    }

    /// Whether the inode's data is read and mapped with DAX (`IS_DAX`).
    pub(crate) fn is_dax(&self) -> bool {
        // SAFETY: reads `i_flags` of a live inode, set before it was
        // unlocked.
        unsafe { bindings::erofs_rs_inode_is_dax(self.as_ptr()) }
    }

    /// Its page cache sharing slot (`ishare.rs`).
    pub(super) fn share_slot(&self) -> &AtomicUsize {
        let c = self.as_ptr().cast::<Container<T>>();
        // SAFETY: the inode lives in a `Container<T>` (type invariant),
        // whose slot `alloc_inode` initialised.
        unsafe { &(*c).share }
    }

    /// The block size of the inode (`i_blocksize`).
    pub(crate) fn block_size(&self) -> u32 {
        // SAFETY: reads `i_blkbits` of a live inode.
        1 << unsafe { (*self.as_ptr()).i_blkbits }
    }
}

// SAFETY: the VFS reference count (`i_count`) keeps an inode alive;
// `ihold` takes a reference, `iput` drops one and frees the inode at zero.
unsafe impl<T: FileSystem> AlwaysRefCounted for Inode<T> {
    fn inc_ref(&self) {
        // SAFETY: the inode is live (we hold a reference to call this).
        unsafe { bindings::ihold(self.as_ptr()) };
    }

    /// # Safety
    ///
    /// The caller owns a reference to `obj`, which it gives up.
    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: the caller gives up a reference it holds.
        unsafe { bindings::iput(obj.as_ptr().cast()) };
    }
}

/// Gives a counted inode reference to a C function that takes it over.
pub(super) fn into_raw<T: FileSystem>(inode: ARef<Inode<T>>) -> *mut bindings::inode {
    let ptr = inode.as_ptr();
    core::mem::forget(inode);
    ptr
}

/// See [`SuperBlock::iget`].
pub(super) fn iget<T: FileSystem>(sb: &SuperBlock<T>, ino: u64) -> Result<ARef<Inode<T>>> {
    // SAFETY: live superblock; iget_locked returns a referenced inode.
    let ptr = unsafe { bindings::iget_locked(sb.as_ptr(), ino) };
    if ptr.is_null() {
        return Err(ENOMEM);
    }
    // SAFETY: `ptr` is a live inode we hold a reference to.
    if unsafe { bindings::erofs_rs_inode_is_new(ptr) } {
        match T::read_inode(sb, ino) {
            // SAFETY: the inode is new and locked (I_NEW): only we touch it.
            Ok((params, data)) => unsafe { setup_new::<T>(ptr, params, data) },
            Err(e) => {
                // iget_failed marks the inode bad, unlocks it and drops
                // our reference.
                // SAFETY: a new, locked inode that failed to initialise.
                unsafe { bindings::iget_failed(ptr) };
                return Err(e);
            }
        }
        // SAFETY: publishes the fully initialised inode.
        unsafe { bindings::unlock_new_inode(ptr) };
    }
    // SAFETY: a referenced, initialised inode of `T`, whose reference
    // the `ARef` now owns.
    Ok(unsafe { ARef::from_raw(NonNull::new_unchecked(ptr.cast::<Inode<T>>())) })
}

/// # Safety
///
/// `ptr` must be a new (I_NEW, locked) inode in a `Container<T>`.
unsafe fn setup_new<T: FileSystem>(ptr: *mut bindings::inode, p: InodeParams<T>, data: T::INodeData) {
    let c = ptr.cast::<Container<T>>();
    // SAFETY: the inode is ours alone until unlocked (caller); the
    // tables are statics.
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
        (*ptr).i_op = &p.iops.0;
        if let Some(fops) = p.fops {
            bindings::erofs_rs_inode_set_fop(ptr, &fops.0);
        }
        if let Some(aops) = p.aops {
            (*(*ptr).i_mapping).a_ops = &aops.0;
        }
        if let Some(link) = p.link {
            // The buffer now belongs to the inode (freed in free_inode).
            let (target, _, _) = link.into_raw_parts();
            bindings::erofs_rs_inode_set_link(ptr, target.cast::<c_char>());
            (*c).has_link = true;
        }
        if p.nohighmem {
            bindings::inode_nohighmem(ptr);
        }
        if p.dax {
            bindings::erofs_rs_inode_set_dax(ptr);
        }
        if p.large_folios {
            bindings::erofs_rs_inode_set_large_folios(ptr);
        }
        if p.no_acl {
            bindings::erofs_rs_inode_cache_no_acl(ptr);
        }
        let fmt = p.mode as u32 & bindings::S_IFMT;
        if matches!(fmt, bindings::S_IFCHR | bindings::S_IFBLK | bindings::S_IFIFO | bindings::S_IFSOCK) {
            bindings::init_special_inode(ptr, p.mode, (*ptr).i_rdev);
        }
    }
}

/// `super_operations::alloc_inode`.
///
/// # Safety
///
/// Called by the VFS for a superblock of `T`, while `T` is registered.
pub(super) unsafe extern "C" fn alloc_inode<T: FileSystem>(_sb: *mut bindings::super_block) -> *mut bindings::inode {
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
        core::ptr::addr_of_mut!((*c).share).write(AtomicUsize::new(0));
        core::ptr::addr_of_mut!((*c).vfs)
    }
}

/// `super_operations::free_inode` (after an RCU grace period).
///
/// # Safety
///
/// Called by the VFS once per inode from `alloc_inode`, when nobody can
/// reach it any more.
pub(super) unsafe extern "C" fn free_inode<T: FileSystem>(inode: *mut bindings::inode) {
    let c = inode.cast::<Container<T>>();
    // SAFETY: the inode is unreachable (caller); it came from
    // `alloc_inode`, whose flags say what was initialised.
    unsafe {
        if (*c).has_data {
            (*c).data.assume_init_drop();
        }
        if (*c).has_link {
            // `i_link` is the KVec buffer of `setup_new`, whose allocator
            // is kmalloc: kfree releases it.
            bindings::erofs_rs_inode_free_link(inode);
        }
        bindings::kmem_cache_free(INODE_CACHE.load(Ordering::Acquire), c.cast());
    }
}

/// `super_operations::evict_inode`: leaves the inode's shared inode,
/// then what evict() does without one (after DAX's part on 7.x).
///
/// # Safety
///
/// Called by the VFS once per inode of `T` being evicted.
pub(super) unsafe extern "C" fn evict_inode<T: FileSystem>(inode: *mut bindings::inode) {
    // SAFETY: a live inode of ours in a `Container<T>` (caller), evicted
    // once; it was allocated by `alloc_inode`, so its slot is set.
    unsafe {
        let c = inode.cast::<Container<T>>();
        super::ishare::leave(inode, &(*c).share);
        bindings::erofs_rs_evict_inode(inode);
    }
}

/// Slab constructor: runs once per object, not per allocation.
///
/// # Safety
///
/// Called by the slab allocator with a new object of our cache.
pub(super) unsafe extern "C" fn init_once<T: FileSystem>(p: *mut core::ffi::c_void) {
    // SAFETY: `p` is an object of our slab, laid out as `Container<T>`.
    unsafe { bindings::inode_init_once(core::ptr::addr_of_mut!((*p.cast::<Container<T>>()).vfs)) };
}

/// How `get_link` finds a symlink's target.
pub(crate) enum GetLink {
    /// Not a symlink.
    None,
    /// In `i_link` (`simple_get_link`): set from `InodeParams::link`.
    InodeLink,
    /// In the page cache of the inode (`page_get_link`).
    PageCache,
}

/// Which POSIX ACL `get_inode_acl` asks for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum AclType {
    Access,
    Default,
}

/// Inode operations (`inode_operations`); each is optional.
#[vtable]
pub(crate) trait Operations {
    type FileSystem: FileSystem;
    /// Symlinks: where the target is.
    const GET_LINK: GetLink = GetLink::None;

    /// Finds `name` in directory `dir`; `None` when it is not there.
    fn lookup(_dir: &Inode<Self::FileSystem>, _name: &[u8]) -> Result<Option<ARef<Inode<Self::FileSystem>>>> {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Fills `stat` for `inode`.
    fn getattr(_inode: &Inode<Self::FileSystem>, _stat: &mut Kstat<'_>) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The value of the POSIX ACL xattr of kind `ty`, if the inode has one.
    fn get_acl_xattr(_inode: &Inode<Self::FileSystem>, _ty: AclType) -> Result<Option<KVec<u8>>> {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Reports the extents of `[start, start + len)` into `fi`.
    fn fiemap(_inode: &Inode<Self::FileSystem>, _fi: &mut super::fiemap::FiemapInfo<'_>, _start: u64, _len: u64) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// An `inode_operations` table, built from an [`Operations`]
/// implementation; kept in a `static` so its address is stable.
pub(crate) struct Ops<T: FileSystem>(bindings::inode_operations, PhantomData<T>);

// SAFETY: the table is immutable after its constant initialisation and
// only holds function pointers, which any thread may call.
unsafe impl<T: FileSystem> Sync for Ops<T> {}

impl<T: FileSystem> Ops<T> {
    /// The table of `U`'s operations; `listxattr` whenever `T` lists
    /// xattrs.
    pub(crate) const fn new<U: Operations<FileSystem = T>>() -> Self {
        Self(
            bindings::inode_operations {
                lookup: if U::HAS_LOOKUP { Some(lookup::<U>) } else { None },
                get_link: match U::GET_LINK {
                    GetLink::None => None,
                    GetLink::InodeLink => Some(bindings::simple_get_link),
                    GetLink::PageCache => Some(bindings::page_get_link),
                },
                getattr: if U::HAS_GETATTR { Some(getattr::<U>) } else { None },
                listxattr: if T::HAS_LISTXATTR { Some(listxattr::<T>) } else { None },
                get_inode_acl: if U::HAS_GET_ACL_XATTR { Some(get_inode_acl::<U>) } else { None },
                fiemap: if U::HAS_FIEMAP { Some(fiemap::<U>) } else { None },
                // SAFETY: all-zero is a valid `inode_operations`: the
                // remaining members are optional function pointers.
                ..unsafe { core::mem::zeroed() }
            },
            PhantomData,
        )
    }
}

/// `inode_operations::lookup`.
///
/// # Safety
///
/// Called by the VFS with a directory inode of ours and a negative
/// dentry whose name is stable during the call.
unsafe extern "C" fn lookup<U: Operations>(
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    _flags: c_uint,
) -> *mut bindings::dentry {
    let mut len = 0;
    // SAFETY: the dentry is live during the call (caller).
    let name = unsafe { bindings::erofs_rs_dentry_name(dentry, &mut len) };
    // SAFETY: the name stays valid and unchanged during lookup (caller).
    let name = unsafe { core::slice::from_raw_parts(name, len as usize) };
    // SAFETY: a live directory inode of ours (caller).
    let dir = unsafe { Inode::<U::FileSystem>::from_raw(dir) };
    let inode = match U::lookup(dir, name) {
        Ok(Some(i)) => into_raw(i),
        Ok(None) => core::ptr::null_mut(),
        Err(e) => return super::err_ptr(e),
    };
    // SAFETY: d_splice_alias takes our inode reference (or NULL for a
    // negative entry) and returns a dentry, NULL or an error pointer.
    unsafe { bindings::d_splice_alias(inode, dentry) }
}

/// `struct kstat` being filled by `getattr`.
///
/// # Invariants
///
/// The pointers are the live arguments of the current `getattr` call.
pub(crate) struct Kstat<'a> {
    idmap: *mut bindings::mnt_idmap,
    inode: *mut bindings::inode,
    stat: *mut bindings::kstat,
    request_mask: u32,
    _call: PhantomData<&'a mut bindings::kstat>,
}

/// `STATX_ATTR_COMPRESSED`: a file compressed by the filesystem.
pub(crate) const STATX_ATTR_COMPRESSED: u64 = bindings::STATX_ATTR_COMPRESSED as u64;
/// `STATX_ATTR_IMMUTABLE`: a file that cannot be modified.
pub(crate) const STATX_ATTR_IMMUTABLE: u64 = bindings::STATX_ATTR_IMMUTABLE as u64;
/// `STATX_DIOALIGN` in `request_mask`/`result_mask`.
pub(crate) const STATX_DIOALIGN: u32 = bindings::STATX_DIOALIGN;

impl Kstat<'_> {
    /// What the caller asked for (`STATX_*`).
    pub(crate) fn request_mask(&self) -> u32 {
        self.request_mask
    }

    /// Sets `attributes` bits and says which ones the filesystem supports.
    pub(crate) fn add_attributes(&mut self, set: u64, supported: u64) {
        // SAFETY: the caller's kstat (type invariant).
        unsafe {
            (*self.stat).attributes |= set;
            (*self.stat).attributes_mask |= supported;
        }
    }

    /// Marks `mask` (`STATX_*`) as filled in.
    pub(crate) fn add_result(&mut self, mask: u32) {
        // SAFETY: the caller's kstat (type invariant).
        unsafe { (*self.stat).result_mask |= mask };
    }

    /// Sets the O_DIRECT alignments of memory and file offsets
    /// (`dio_mem_align`, `dio_offset_align`; STATX_DIOALIGN).
    pub(crate) fn set_dio_align(&mut self, mem: u32, offset: u32) {
        // SAFETY: the caller's kstat (type invariant).
        unsafe {
            (*self.stat).dio_mem_align = mem;
            (*self.stat).dio_offset_align = offset;
        }
    }

    /// Fills the basic fields from the inode (generic_fillattr).
    pub(crate) fn fill_generic(&mut self) {
        // SAFETY: the live arguments of this getattr (type invariant).
        unsafe { bindings::generic_fillattr(self.idmap, self.request_mask, self.inode, self.stat) };
    }
}

/// `inode_operations::getattr`.
///
/// # Safety
///
/// Called by the VFS with a live path to an inode of ours and the
/// caller's kstat.
unsafe extern "C" fn getattr<U: Operations>(
    idmap: *mut bindings::mnt_idmap,
    path: *const bindings::path,
    stat: *mut bindings::kstat,
    request_mask: u32,
    _query_flags: c_uint,
) -> c_int {
    // SAFETY: the path and its dentry are live during the call (caller).
    let inode = unsafe { bindings::erofs_rs_d_inode((*path).dentry) };
    // INVARIANT: the live arguments of this call.
    let mut k = Kstat { idmap, inode, stat, request_mask, _call: PhantomData };
    // SAFETY: a live inode of ours (caller).
    let inode = unsafe { Inode::<U::FileSystem>::from_raw(inode) };
    match U::getattr(inode, &mut k) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `inode_operations::listxattr`.
///
/// # Safety
///
/// Called by the VFS with a positive dentry of ours and a buffer that is
/// NULL (size query) or writable for `size` bytes.
unsafe extern "C" fn listxattr<T: FileSystem>(dentry: *mut bindings::dentry, buffer: *mut c_char, size: usize) -> isize {
    let buf = if buffer.is_null() {
        None
    } else {
        // SAFETY: writable for `size` bytes during the call (caller).
        Some(unsafe { core::slice::from_raw_parts_mut(buffer.cast::<u8>(), size) })
    };
    // SAFETY: a live positive dentry of ours (caller).
    let inode = unsafe { Inode::<T>::from_raw(bindings::erofs_rs_d_inode(dentry)) };
    let mut sink = NameSink::new(buf);
    match T::listxattr(inode, &mut sink) {
        Ok(()) => sink.len() as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// `inode_operations::get_inode_acl`.
///
/// # Safety
///
/// Called by the VFS with a live inode of ours.
unsafe extern "C" fn get_inode_acl<U: Operations>(inode: *mut bindings::inode, acl_type: c_int, rcu: bool) -> *mut bindings::posix_acl {
    if rcu {
        // Reading the xattr may sleep: ask the VFS to retry outside RCU.
        return super::err_ptr(ECHILD);
    }
    let ty = match acl_type as u32 {
        bindings::ACL_TYPE_ACCESS => AclType::Access,
        bindings::ACL_TYPE_DEFAULT => AclType::Default,
        _ => return super::err_ptr(EINVAL),
    };
    // SAFETY: a live inode of ours (caller).
    let inode = unsafe { Inode::<U::FileSystem>::from_raw(inode) };
    match U::get_acl_xattr(inode, ty) {
        // SAFETY: `value` holds an ACL xattr value; the function checks
        // it and returns an ACL or an error pointer.
        Ok(Some(value)) => unsafe { bindings::erofs_rs_posix_acl_from_xattr(value.as_ptr().cast(), value.len()) },
        Ok(None) => core::ptr::null_mut(),
        Err(e) => super::err_ptr(e),
    }
}

/// `inode_operations::fiemap`.
///
/// # Safety
///
/// Called by the VFS with a live inode of ours and the caller's request.
unsafe extern "C" fn fiemap<U: Operations>(
    inode: *mut bindings::inode,
    fi: *mut bindings::fiemap_extent_info,
    start: u64,
    len: u64,
) -> c_int {
    // SAFETY: the caller's live request, for this call only.
    let mut info = unsafe { super::fiemap::FiemapInfo::from_raw(fi, inode) };
    // SAFETY: a live inode of ours (caller).
    let inode = unsafe { Inode::<U::FileSystem>::from_raw(inode) };
    match U::fiemap(inode, &mut info, start, len) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}
