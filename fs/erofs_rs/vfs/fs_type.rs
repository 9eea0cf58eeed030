// SPDX-License-Identifier: GPL-2.0

//! `struct file_system_type`: a filesystem implementation and its
//! registration with the VFS.

use super::bindings;
use super::dentry::Root;
use super::fs_context::{self, FsContext};
use super::inode::{self, InodeParams, INODE_CACHE};
use super::super_block::{New, StatFs, SuperBlock};
use super::{ARef, FileRef, NameSink, SeqFile};
use core::ffi::c_uint;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::c_str;
use kernel::error::to_result;
use kernel::error::VTABLE_DEFAULT_ERROR;
use kernel::prelude::*;
use kernel::types::{ForeignOwnable, Opaque};

/// A filesystem implementation, as the VFS sees it: the type, its mount
/// options, and the superblock-level operations (`super_operations` and
/// the xattr handlers' `get`). Optional operations are left out of the
/// C tables when not implemented.
#[vtable]
pub(crate) trait FileSystem: Sized + 'static {
    /// The name under which the type appears in `/proc/filesystems`.
    const NAME: &'static CStr;
    /// `s_magic`.
    const MAGIC: u64;
    /// The xattr handlers (`s_xattr`), when the filesystem has xattrs.
    const XATTR_HANDLERS: Option<&'static super::xattr::HandlerTable> = None;
    /// Mount options being parsed for one mount attempt.
    type Options: Default + Send;
    /// Per-mount data (`s_fs_info`), set when `fill_super` succeeds.
    type Data: Send + Sync;
    /// Per-inode data, kept in the inode's slab object.
    type INodeData: Send + Sync;

    /// Whether a mount with these options reads no block device or file
    /// named by its source (fscache mode): `get_tree` then makes an
    /// anonymous superblock and opens nothing.
    fn needs_no_source(_opts: &Self::Options) -> bool {
        false
    }

    /// Takes one mount parameter; `ENOPARAM` for keys it does not know
    /// (the VFS then handles `source`).
    fn parse_param(fc: &FsContext, opts: &mut Self::Options, key: &[u8], value: Option<&[u8]>) -> Result;

    /// Reads the image and returns the mount's data. `backing` is the
    /// image file of a file-backed mount (the superblock has no block
    /// device then).
    fn fill_super(sb: &SuperBlock<Self, New>, fc: &FsContext, opts: Self::Options, backing: Option<FileRef>) -> Result<Self::Data>;

    /// Makes the root dentry of a superblock that `fill_super` set up.
    fn init_root(sb: &SuperBlock<Self>) -> Result<Root<Self>>;

    /// Reads inode `ino` for a new VFS inode.
    fn read_inode(sb: &SuperBlock<Self>, ino: u64) -> Result<(InodeParams<Self>, Self::INodeData)>;

    /// `super_operations::statfs`.
    fn statfs(_sb: &SuperBlock<Self>) -> Result<StatFs> {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `super_operations::show_options`: appends `,option` strings.
    fn show_options(_sb: &SuperBlock<Self>, _seq: &mut SeqFile) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// An xattr handler's `get`: the value of (`index`, `name`), where
    /// `index` is the handler's `flags`. Its size, copied into `buf` when
    /// given; `ENODATA` when absent, `ERANGE` when `buf` is short.
    fn xattr_get(_inode: &inode::Inode<Self>, _index: i32, _name: &[u8], _buf: Option<&mut [u8]>) -> Result<usize> {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Lists the xattr names of `inode` (`inode_operations::listxattr`).
    fn listxattr(_inode: &inode::Inode<Self>, _sink: &mut NameSink<'_>) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// File handles (`export_operations`, see `export.rs`): the id a
    /// handle names `inode` by. With it, `iget_by_handle` and
    /// `get_parent` must be implemented too.
    fn handle_id(_inode: &inode::Inode<Self>) -> u64 {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The inode a handle's id names.
    fn iget_by_handle(_sb: &SuperBlock<Self>, _id: u64) -> Result<ARef<inode::Inode<Self>>> {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The directory that holds directory `dir` (its `..`).
    fn get_parent(_dir: &inode::Inode<Self>) -> Result<ARef<inode::Inode<Self>>> {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// The one `file_system_type` of this module. It must live in static
/// storage: lockdep only accepts the lock class keys it embeds (s_umount,
/// i_mutex, ...) there, which rules out a heap allocation.
pub(super) struct FsTypeSlot(Opaque<bindings::file_system_type>);

// SAFETY: the slot is written only by `Registration::new` before it is
// registered and read by the VFS afterwards; `IN_USE` lets one
// registration exist at a time.
unsafe impl Sync for FsTypeSlot {}

pub(super) static FS_TYPE: FsTypeSlot = FsTypeSlot::new();
static IN_USE: AtomicBool = AtomicBool::new(false);

impl FsTypeSlot {
    /// An empty slot, filled before the type is registered or mounted.
    pub(super) const fn new() -> Self {
        Self(Opaque::uninit())
    }

    /// The address of our `file_system_type`, which `s_type` of each of
    /// our superblocks holds.
    pub(super) fn as_ptr(&self) -> *mut bindings::file_system_type {
        self.0.get()
    }
}

/// A registered filesystem type; unregistered when dropped.
///
/// # Invariants
///
/// `FS_TYPE` holds a type registered with `register_filesystem` until
/// `drop`, and `IN_USE` is set; the inode slab in `INODE_CACHE` exists for
/// as long.
pub(crate) struct Registration {
    _private: (),
}

impl Registration {
    /// Registers `T` as a filesystem type owned by `module`.
    pub(crate) fn new<T: FileSystem>(module: &'static ThisModule) -> Result<Self> {
        if IN_USE.swap(true, Ordering::AcqRel) {
            return Err(EBUSY);
        }
        // SAFETY: creates a slab of `Container<T>` objects; the name is a
        // static string and the constructor initialises the VFS inode.
        let cache = unsafe {
            bindings::erofs_rs_inode_cache_create(
                c_str!("erofs_rs_inode").as_char_ptr().cast(),
                core::mem::size_of::<inode::Container<T>>() as c_uint,
                core::mem::align_of::<inode::Container<T>>() as c_uint,
                Some(inode::init_once::<T>),
            )
        };
        if cache.is_null() {
            IN_USE.store(false, Ordering::Release);
            return Err(ENOMEM);
        }
        INODE_CACHE.store(cache, Ordering::Release);
        let fs_type = FS_TYPE.as_ptr();
        // SAFETY: `IN_USE` gives us the slot; it is not registered, so
        // nobody else reads it while we fill it.
        unsafe {
            fs_type.write(bindings::file_system_type::default());
            (*fs_type).name = T::NAME.as_char_ptr().cast();
            (*fs_type).owner = module.as_ptr().cast();
            (*fs_type).fs_flags = (bindings::FS_REQUIRES_DEV | bindings::FS_ALLOW_IDMAP) as _;
            (*fs_type).init_fs_context = Some(fs_context::init_fs_context::<T>);
            (*fs_type).kill_sb = Some(kill_sb::<T>);
        }
        // SAFETY: a fully initialised type in static storage whose name is
        // a static string.
        let ret = unsafe { bindings::register_filesystem(fs_type) };
        if let Err(e) = to_result(ret) {
            destroy_inode_cache();
            IN_USE.store(false, Ordering::Release);
            return Err(e);
        }
        // INVARIANT: registered just above, slab created before.
        Ok(Self { _private: () })
    }
}

fn destroy_inode_cache() {
    // The RCU-delayed `free_inode` calls of the last superblocks free into
    // `INODE_CACHE`: it must still be set while they run. (Cleared first,
    // they freed into a null cache, which SLUB ignores: the objects stayed
    // and kmem_cache_destroy reported them, on SMP debug guests.)
    // SAFETY: rcu_barrier only waits for queued RCU callbacks to finish;
    // we hold no lock they could need.
    unsafe { bindings::rcu_barrier() };
    let cache = INODE_CACHE.swap(core::ptr::null_mut(), Ordering::AcqRel);
    if !cache.is_null() {
        // SAFETY: no superblock of ours exists any more and every
        // delayed free has run (above): the slab is empty and unused.
        unsafe { bindings::kmem_cache_destroy(cache) };
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // Every superblock holds a module reference, so no mount exists
        // when the module (and so this registration) goes away.
        // SAFETY: `FS_TYPE` is registered (type invariant).
        unsafe { bindings::unregister_filesystem(FS_TYPE.as_ptr()) };
        destroy_inode_cache();
        IN_USE.store(false, Ordering::Release);
    }
}

/// `file_system_type::kill_sb`.
///
/// # Safety
///
/// Called by the VFS once per superblock of `T`, when it is shut down.
unsafe extern "C" fn kill_sb<T: FileSystem>(sb: *mut bindings::super_block) {
    // Not "has s_bdev": a block mount whose device failed to open has
    // none, and its number is not an anonymous one (found by failslab in
    // make check-debug).
    // SAFETY: `sb` is live until the kill function below returns.
    let anon = unsafe { bindings::erofs_rs_sb_is_anon(sb) };
    if anon {
        // SAFETY: a superblock of get_tree_nodev, killed once.
        unsafe { bindings::kill_anon_super(sb) };
    } else {
        // SAFETY: a superblock of get_tree_bdev, killed once.
        unsafe { bindings::kill_block_super(sb) };
    }
    // Every inode is gone now (the kill functions evicted them), so
    // nothing can borrow the data any more.
    // SAFETY: `s_fs_info` stays readable after the kill functions, which
    // do not free the superblock.
    let info = unsafe { (*sb).s_fs_info };
    if !info.is_null() {
        // SAFETY: a non-NULL `s_fs_info` is the `KBox<T::Data>` that
        // `fill_super` handed over with `into_foreign`, taken back once.
        drop(unsafe { KBox::<T::Data>::from_foreign(info as _) });
    }
}
