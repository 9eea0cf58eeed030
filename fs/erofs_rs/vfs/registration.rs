// SPDX-License-Identifier: GPL-2.0

//! Registering a filesystem type, and the C callbacks that lead from the
//! VFS into a [`FileSystem`] implementation.

use super::fs_context::Param;
use super::inode::{self, iget, ARefInode, Tables, INODE_CACHE};
use super::xattr::{self as vx, Handlers};
use super::{DirEmitter, FsContext, Inode, InodeParams, LockedFolio, NameSink, Readahead, SeqFile, StatFs, SuperBlock};
use crate::bindings;
use core::ffi::{c_int, c_uint};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::c_str;
use kernel::error::to_result;
use kernel::prelude::*;
use kernel::types::Opaque;

/// A filesystem implementation, as the VFS sees it.
pub(crate) trait FileSystem: Sized + 'static {
    /// The name under which the type appears in `/proc/filesystems`.
    const NAME: &'static CStr;
    /// `statfs.f_type` and `s_magic`.
    const MAGIC: u64;
    /// Mount options being parsed for one mount attempt.
    type Options: Default + Send;
    /// Per-mount data (`s_fs_info`).
    type Data: Send + Sync;
    /// Per-inode data, kept in the inode's slab object.
    type INodeData: Send + Sync;

    /// Takes one mount parameter; `ENOPARAM` for keys it does not know
    /// (the VFS then handles `source`).
    fn parse_param(fc: &FsContext, opts: &mut Self::Options, key: &[u8], value: Option<&[u8]>) -> Result;
    /// Reads the image and returns the mount's data. The superblock's
    /// block size and flags are set here.
    fn fill_super(sb: &SuperBlock<Self>, fc: &FsContext, opts: Self::Options) -> Result<Self::Data>;
    /// The inode number of the root directory.
    fn root_ino(data: &Self::Data) -> u64;
    /// Reads inode `ino` for a new VFS inode.
    fn read_inode(sb: &SuperBlock<Self>, ino: u64) -> Result<(InodeParams, Self::INodeData)>;
    /// Finds `name` in `dir`: its inode number, or `None`.
    fn lookup(dir: &Inode<Self>, name: &[u8]) -> Result<Option<u64>>;
    /// Emits the entries of `dir` from the emitter's position on.
    fn readdir(dir: &Inode<Self>, emitter: &mut DirEmitter) -> Result;
    /// Maps the file range at `pos` for iomap (inodes set up with
    /// `IoPath::Iomap`).
    fn iomap_begin<'a>(inode: &'a Inode<Self>, pos: u64, length: u64) -> Result<super::IoMapping<'a>>;
    /// Copies file bytes `[pos, pos + buf.len())` for a direct read.
    fn read_direct(inode: &Inode<Self>, pos: u64, buf: &mut [u8]) -> Result;
    /// Fills a locked page-cache folio of `inode` with its data.
    fn read_folio(inode: &Inode<Self>, folio: &mut LockedFolio) -> Result;
    /// Fills the folios of a readahead request (inodes set up with
    /// `IoPath::Copy`); each folio taken from `ra` must be ended. Folios
    /// left in `ra` are dropped from the page cache by the VFS, to be
    /// read again by `read_folio` when needed.
    fn readahead(inode: &Inode<Self>, ra: &mut Readahead);
    /// The value of xattr (`index`, `name`): its size, copied into `buf`
    /// when given. `ENODATA` when absent, `ERANGE` when `buf` is short.
    fn xattr_get(inode: &Inode<Self>, index: u8, name: &[u8], buf: Option<&mut [u8]>) -> Result<usize>;
    /// Pushes every visible xattr name of `inode` into `sink`.
    fn xattr_list(inode: &Inode<Self>, sink: &mut NameSink<'_>) -> Result;
    /// `statx` attribute bits of `inode` (set, supported).
    fn statx_attributes(inode: &Inode<Self>) -> (u64, u64);
    /// The extent of `inode` at byte `pos` for fiemap (the request spans
    /// `len` bytes from `pos`).
    fn fiemap_extent(inode: &Inode<Self>, pos: u64, len: u64) -> Result<FiemapExtent>;
    fn statfs(sb: &SuperBlock<Self>) -> Result<StatFs>;
    fn show_options(sb: &SuperBlock<Self>, seq: &mut SeqFile) -> Result;
}

/// What a mount attempt carries in `fs_context.fs_private`.
pub(crate) struct Ctx<T: FileSystem> {
    opts: T::Options,
    /// The backing file of a file-backed mount, once `get_tree` opened it.
    file: Option<super::FileRef>,
}

/// What a superblock carries in `s_fs_info`. `data` is dropped before
/// `backing`, which its readers use.
pub(crate) struct SbState<T: FileSystem> {
    pub(crate) data: Option<T::Data>,
    pub(crate) backing: Option<super::FileRef>,
}

/// One extent as fiemap reports it (an iomap in the C driver).
pub(crate) struct FiemapExtent {
    /// Logical start; at or before the position asked for.
    pub(crate) offset: u64,
    pub(crate) len: u64,
    pub(crate) kind: FiemapKind,
}

pub(crate) enum FiemapKind {
    /// Not reported.
    Hole,
    /// Data at this physical byte address (0 when it has none).
    Mapped(u64),
    /// Data stored inline with metadata.
    Inline,
}

/// The one `file_system_type` of this module. It must live in static
/// storage: lockdep only accepts the lock class keys it embeds (s_umount,
/// i_mutex, ...) there, which rules out a heap allocation.
struct FsTypeSlot(Opaque<bindings::file_system_type>);

// SAFETY: the slot is written only by `Registration::new` before it is
// registered and read by the VFS afterwards; `IN_USE` lets one
// registration exist at a time.
unsafe impl Sync for FsTypeSlot {}

static FS_TYPE: FsTypeSlot = FsTypeSlot(Opaque::uninit());
static IN_USE: AtomicBool = AtomicBool::new(false);

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
        let fs_type = FS_TYPE.0.get();
        // SAFETY: `IN_USE` gives us the slot; it is not registered, so
        // nobody else reads it while we fill it.
        unsafe {
            fs_type.write(bindings::file_system_type::default());
            (*fs_type).name = T::NAME.as_char_ptr().cast();
            (*fs_type).owner = module.as_ptr().cast();
            (*fs_type).fs_flags = (bindings::FS_REQUIRES_DEV | bindings::FS_ALLOW_IDMAP) as _;
            (*fs_type).init_fs_context = Some(init_fs_context::<T>);
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
        unsafe { bindings::unregister_filesystem(FS_TYPE.0.get()) };
        destroy_inode_cache();
        IN_USE.store(false, Ordering::Release);
    }
}

/// The constant operation tables of `T`. Each is promoted to a `'static`.
struct Ops<T>(core::marker::PhantomData<T>);

impl<T: FileSystem> Ops<T> {
    const CONTEXT: bindings::fs_context_operations = bindings::fs_context_operations {
        free: Some(fc_free::<T>),
        dup: None,
        parse_param: Some(parse_param::<T>),
        parse_monolithic: None,
        get_tree: Some(get_tree::<T>),
        reconfigure: Some(reconfigure::<T>),
    };
    const SUPER: bindings::super_operations = bindings::super_operations {
        alloc_inode: Some(inode::alloc_inode::<T>),
        free_inode: Some(inode::free_inode::<T>),
        statfs: Some(statfs::<T>),
        show_options: Some(show_options::<T>),
        // SAFETY: all-zero is a valid `super_operations`: every other
        // member is an optional function pointer (None).
        ..unsafe { core::mem::zeroed() }
    };
    const DIR_IOPS: bindings::inode_operations = bindings::inode_operations {
        lookup: Some(lookup::<T>),
        listxattr: Some(vx::listxattr::<T>),
        get_inode_acl: Some(vx::get_inode_acl::<T>),
        getattr: Some(getattr::<T>),
        fiemap: Some(fiemap::<T>),
        // SAFETY: as above, the remaining members are optional pointers.
        ..unsafe { core::mem::zeroed() }
    };
    const FILE_IOPS: bindings::inode_operations = bindings::inode_operations {
        listxattr: Some(vx::listxattr::<T>),
        get_inode_acl: Some(vx::get_inode_acl::<T>),
        getattr: Some(getattr::<T>),
        fiemap: Some(fiemap::<T>),
        // SAFETY: as above.
        ..unsafe { core::mem::zeroed() }
    };
    const FAST_SYMLINK_IOPS: bindings::inode_operations = bindings::inode_operations {
        get_link: Some(bindings::simple_get_link),
        listxattr: Some(vx::listxattr::<T>),
        get_inode_acl: Some(vx::get_inode_acl::<T>),
        getattr: Some(getattr::<T>),
        // SAFETY: as above.
        ..unsafe { core::mem::zeroed() }
    };
    const SYMLINK_IOPS: bindings::inode_operations = bindings::inode_operations {
        get_link: Some(bindings::page_get_link),
        listxattr: Some(vx::listxattr::<T>),
        get_inode_acl: Some(vx::get_inode_acl::<T>),
        getattr: Some(getattr::<T>),
        // SAFETY: as above.
        ..unsafe { core::mem::zeroed() }
    };
    const DIR_FOPS: bindings::file_operations = bindings::file_operations {
        llseek: Some(bindings::generic_file_llseek),
        read: Some(bindings::generic_read_dir),
        iterate_shared: Some(iterate_shared::<T>),
        // SAFETY: the remaining members are optional pointers and flags,
        // for which zero means "not provided".
        ..unsafe { core::mem::zeroed() }
    };
    const AOPS: bindings::address_space_operations = bindings::address_space_operations {
        read_folio: Some(read_folio::<T>),
        readahead: Some(readahead::<T>),
        // SAFETY: as above.
        ..unsafe { core::mem::zeroed() }
    };
    /// Regular files that allow O_DIRECT: open() checks for `direct_IO`;
    /// the reads themselves go through `read_iter`.
    const DIO_AOPS: bindings::address_space_operations = bindings::address_space_operations {
        read_folio: Some(read_folio::<T>),
        readahead: Some(readahead::<T>),
        direct_IO: Some(bindings::noop_direct_IO),
        // SAFETY: as above.
        ..unsafe { core::mem::zeroed() }
    };
    /// Uncompressed inodes on block devices: bios built by iomap.
    const IOMAP_AOPS: bindings::address_space_operations = bindings::address_space_operations {
        read_folio: Some(super::iomap::read_folio::<T>),
        readahead: Some(super::iomap::readahead::<T>),
        direct_IO: Some(bindings::noop_direct_IO),
        // SAFETY: as above.
        ..unsafe { core::mem::zeroed() }
    };
    const FILE_FOPS: bindings::file_operations = bindings::file_operations {
        llseek: Some(bindings::generic_file_llseek),
        read_iter: Some(read_iter::<T>),
        mmap: Some(bindings::generic_file_readonly_mmap),
        splice_read: Some(bindings::filemap_splice_read),
        // SAFETY: as above.
        ..unsafe { core::mem::zeroed() }
    };
    const TABLES: Tables = Tables {
        dir_iops: &Self::DIR_IOPS,
        dir_fops: &Self::DIR_FOPS,
        file_iops: &Self::FILE_IOPS,
        fast_symlink_iops: &Self::FAST_SYMLINK_IOPS,
        symlink_iops: &Self::SYMLINK_IOPS,
        aops: &Self::AOPS,
        dio_aops: &Self::DIO_AOPS,
        iomap_aops: &Self::IOMAP_AOPS,
        file_fops: &Self::FILE_FOPS,
    };
}

/// Finds or creates inode `ino` of a mounted `T`.
pub(crate) fn iget_inode<T: FileSystem>(sb: &SuperBlock<T>, ino: u64) -> Result<ARefInode<T>> {
    iget(sb, ino, &Ops::<T>::TABLES)
}

fn ret(r: Result) -> c_int {
    match r {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

unsafe extern "C" fn init_fs_context<T: FileSystem>(fc: *mut bindings::fs_context) -> c_int {
    let opts = match KBox::new(Ctx::<T> { opts: T::Options::default(), file: None }, GFP_KERNEL) {
        Ok(o) => o,
        Err(_) => return ENOMEM.to_errno(),
    };
    // `fs_private` is ours until `free`; the operations table is a
    // promoted `'static`, outliving every context (each holds a module ref).
    // SAFETY: the VFS calls this with a live, exclusively owned context.
    unsafe {
        (*fc).fs_private = KBox::into_raw(opts).cast();
        (*fc).ops = &Ops::<T>::CONTEXT;
    }
    0
}

unsafe extern "C" fn fc_free<T: FileSystem>(fc: *mut bindings::fs_context) {
    // SAFETY: `fs_private` is NULL or the box set by `init_fs_context`
    // (fill_super takes it out and NULLs it); `free` runs once.
    unsafe {
        let p = (*fc).fs_private.cast::<Ctx<T>>();
        if !p.is_null() {
            drop(KBox::from_raw(p));
            (*fc).fs_private = core::ptr::null_mut();
        }
    }
}

unsafe extern "C" fn parse_param<T: FileSystem>(fc: *mut bindings::fs_context, param: *mut bindings::fs_parameter) -> c_int {
    // SAFETY: the VFS passes a live context and parameter.
    let (ctx, p) = unsafe { (FsContext::from_raw(fc), Param::from_raw(param)) };
    // SAFETY: `fs_private` holds our options box for the whole parse.
    let c = unsafe { &mut *(*fc).fs_private.cast::<Ctx<T>>() };
    ret(T::parse_param(&ctx, &mut c.opts, p.key, p.value))
}

unsafe extern "C" fn reconfigure<T: FileSystem>(fc: *mut bindings::fs_context) -> c_int {
    // A read-only filesystem stays read-only whatever remount asks for,
    // as the C erofs does.
    // SAFETY: live context passed by the VFS.
    unsafe { (*fc).sb_flags |= bindings::SB_RDONLY };
    0
}

unsafe extern "C" fn get_tree<T: FileSystem>(fc: *mut bindings::fs_context) -> c_int {
    // A block device first; when the source is not one, a regular file
    // (file-backed mount), as the C erofs does with
    // CONFIG_EROFS_FS_BACKED_BY_FILE.
    // SAFETY: live context; `fill_super::<T>` matches the callback type.
    let ret = unsafe {
        bindings::get_tree_bdev_flags(fc, Some(fill_super::<T>), 1 /* QUIET_LOOKUP */)
    };
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
    let file = match super::FileRef::open(path) {
        Ok(f) => f,
        Err(e) => return e.to_errno(),
    };
    if !file.is_readable_regular() {
        return ENOTBLK.to_errno();
    }
    // Refuse to stack a file-backed mount on another one of ours: nested
    // reads could recurse without bound.
    // SAFETY: reading `s_op` of the live superblock the file lives on.
    if unsafe { (*file.host_sb()).s_op } == &Ops::<T>::SUPER as *const _ {
        // SAFETY: as above.
        if !unsafe { bindings::erofs_rs_sb_has_bdev(file.host_sb()) } {
            pr_err!("file-backed mounts cannot be applied to stacked fses\n");
            return ENOTBLK.to_errno();
        }
    }
    // SAFETY: `fs_private` holds our context state until `free`.
    unsafe { (*(*fc).fs_private.cast::<Ctx<T>>()).file = Some(file) };
    // SAFETY: live context; an anonymous superblock for the file.
    unsafe { bindings::get_tree_nodev(fc, Some(fill_super::<T>)) }
}

unsafe extern "C" fn fill_super<T: FileSystem>(sb: *mut bindings::super_block, fc: *mut bindings::fs_context) -> c_int {
    // SAFETY: `fill_super` owns the new superblock and the context.
    let (sbr, ctx) = unsafe { (SuperBlock::<T>::from_raw(sb), FsContext::from_raw(fc)) };
    // SAFETY: take the options (and any backing file) out of the context
    // state; the box stays for `free`.
    let (opts, backing) = unsafe {
        let p = (*fc).fs_private.cast::<Ctx<T>>();
        if p.is_null() {
            (T::Options::default(), None)
        } else {
            (core::mem::take(&mut (*p).opts), (*p).file.take())
        }
    };
    let file_backed = backing.is_some();
    let state = match KBox::new(SbState::<T> { data: None, backing }, GFP_KERNEL) {
        Ok(b) => b,
        Err(_) => return ENOMEM.to_errno(),
    };
    // SAFETY: `s_fs_info` is ours; `kill_sb` frees it, even when the rest
    // of `fill_super` fails.
    unsafe { (*sb).s_fs_info = KBox::into_raw(state).cast() };
    if file_backed {
        // SAFETY: a file-backed superblock needs its own bdi for readahead.
        let r = unsafe { bindings::super_setup_bdi(sb) };
        if r != 0 {
            return r;
        }
    }
    // SAFETY: setting up fields of the superblock we own during fill.
    unsafe {
        (*sb).s_magic = T::MAGIC as _;
        (*sb).s_flags |= (bindings::SB_RDONLY | bindings::SB_NOATIME) as core::ffi::c_ulong;
        (*sb).s_maxbytes = bindings::MAX_LFS_FILESIZE as _;
        (*sb).s_op = &Ops::<T>::SUPER;
        (*sb).s_time_gran = 1;
        let handlers: &'static [*const bindings::xattr_handler; 4] = &Handlers::<T>::ALL;
        (*sb).s_xattr = handlers.as_ptr();
    }
    let data = match T::fill_super(sbr, &ctx, opts) {
        Ok(d) => d,
        Err(e) => return e.to_errno(),
    };
    let root = T::root_ino(&data);
    // SAFETY: `s_fs_info` is the state set above; fill_super owns it.
    unsafe { (*(*sb).s_fs_info.cast::<SbState<T>>()).data = Some(data) };
    let inode = match iget_inode(sbr, root) {
        Ok(i) => i,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: reading the mode of a live inode.
    let mode = unsafe { (*inode.get().as_ptr()).i_mode } as u32;
    if mode & bindings::S_IFMT != bindings::S_IFDIR {
        pr_err!("{}: root inode {} is not a directory\n", sbr.id(), root);
        return EINVAL.to_errno();
    }
    // SAFETY: d_make_root consumes our inode reference, on failure too.
    let dentry = unsafe { bindings::d_make_root(inode.into_raw()) };
    if dentry.is_null() {
        return ENOMEM.to_errno();
    }
    // SAFETY: the root dentry of the superblock we are filling.
    unsafe { (*sb).s_root = dentry };
    0
}

unsafe extern "C" fn kill_sb<T: FileSystem>(sb: *mut bindings::super_block) {
    // SAFETY: the VFS calls `kill_sb` once. Afterwards no inode or
    // callback can use the state, so it is freed.
    unsafe {
        // Not "has s_bdev": a block mount whose device failed to open
        // has none, and its number is not an anonymous one (found by
        // failslab in make check-debug).
        if bindings::erofs_rs_sb_is_anon(sb) {
            bindings::kill_anon_super(sb);
        } else {
            bindings::kill_block_super(sb);
        }
        let p = (*sb).s_fs_info.cast::<SbState<T>>();
        if !p.is_null() {
            drop(KBox::from_raw(p));
            (*sb).s_fs_info = core::ptr::null_mut();
        }
    }
}

unsafe extern "C" fn statfs<T: FileSystem>(dentry: *mut bindings::dentry, buf: *mut bindings::kstatfs) -> c_int {
    // SAFETY: a live dentry of a mounted `T`.
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

unsafe extern "C" fn show_options<T: FileSystem>(seq: *mut bindings::seq_file, root: *mut bindings::dentry) -> c_int {
    // SAFETY: live seq_file and root dentry of a mounted `T`.
    let (sb, mut s) = unsafe { (SuperBlock::<T>::from_raw(bindings::erofs_rs_dentry_sb(root)), SeqFile::from_raw(seq)) };
    ret(T::show_options(sb, &mut s))
}

unsafe extern "C" fn lookup<T: FileSystem>(
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    _flags: c_uint,
) -> *mut bindings::dentry {
    // SAFETY: the VFS passes a live directory inode of ours and a dentry
    // whose name is stable during lookup.
    let (d, name) = unsafe {
        let mut len = 0;
        let p = bindings::erofs_rs_dentry_name(dentry, &mut len);
        (Inode::<T>::from_raw(dir), core::slice::from_raw_parts(p, len as usize))
    };
    let inode = match T::lookup(d, name) {
        Ok(Some(ino)) => match iget_inode(d.super_block(), ino) {
            Ok(i) => i.into_raw(),
            // SAFETY: encodes an errno as an error pointer.
            Err(e) => return unsafe { bindings::erofs_rs_err_ptr(e.to_errno() as _) }.cast(),
        },
        Ok(None) => core::ptr::null_mut(),
        // SAFETY: as above.
        Err(e) => return unsafe { bindings::erofs_rs_err_ptr(e.to_errno() as _) }.cast(),
    };
    // SAFETY: d_splice_alias takes our inode reference (or NULL for a
    // negative entry) and returns a dentry or an error pointer.
    unsafe { bindings::d_splice_alias(inode, dentry) }
}

unsafe extern "C" fn iterate_shared<T: FileSystem>(file: *mut bindings::file, ctx: *mut bindings::dir_context) -> c_int {
    // SAFETY: an open directory of ours and its readdir context.
    let (d, mut e) = unsafe { (Inode::<T>::from_raw(bindings::erofs_rs_file_inode(file)), DirEmitter::from_raw(ctx)) };
    ret(T::readdir(d, &mut e))
}

unsafe extern "C" fn read_folio<T: FileSystem>(_file: *mut bindings::file, folio: *mut bindings::folio) -> c_int {
    // SAFETY: a locked folio of one of our inodes, handed to read_folio.
    let (inode, mut f) = unsafe { (Inode::<T>::from_raw(bindings::erofs_rs_folio_inode(folio)), LockedFolio::from_raw(folio)) };
    let r = T::read_folio(inode, &mut f);
    f.end(r.is_ok());
    ret(r)
}

unsafe extern "C" fn readahead<T: FileSystem>(rac: *mut bindings::readahead_control) {
    // SAFETY: a readahead request for one of our inodes, live for this
    // call, which `ra` does not outlive.
    let (inode, mut ra) = unsafe { (Inode::<T>::from_raw(bindings::erofs_rs_readahead_inode(rac)), Readahead::from_raw(rac)) };
    T::readahead(inode, &mut ra);
}

unsafe extern "C" fn getattr<T: FileSystem>(
    idmap: *mut bindings::mnt_idmap,
    path: *const bindings::path,
    stat: *mut bindings::kstat,
    request_mask: u32,
    _query_flags: c_uint,
) -> c_int {
    // SAFETY: the VFS passes a live path to one of our inodes and the
    // caller's kstat to fill.
    unsafe {
        let inode = bindings::erofs_rs_d_inode((*path).dentry);
        let (attrs, mask) = T::statx_attributes(Inode::<T>::from_raw(inode));
        (*stat).attributes |= attrs;
        (*stat).attributes_mask |= mask;
        let mode = (*inode).i_mode as u32;
        if request_mask & bindings::STATX_DIOALIGN != 0 && mode & bindings::S_IFMT == bindings::S_IFREG {
            // Direct I/O is not offered yet: report no alignment, which
            // statx defines as "no direct I/O support".
            (*stat).result_mask |= bindings::STATX_DIOALIGN;
        }
        bindings::generic_fillattr(idmap, request_mask, inode, stat);
    }
    0
}

/// Reports the extents of a file as iomap_fiemap does for the C driver:
/// each mapping as its own extent, holes skipped, the last one flagged.
unsafe extern "C" fn fiemap<T: FileSystem>(
    inode: *mut bindings::inode,
    fi: *mut bindings::fiemap_extent_info,
    start: u64,
    len: u64,
) -> c_int {
    let mut len = len;
    // SAFETY: live inode and the caller's fiemap request.
    let r = unsafe { bindings::fiemap_prep(inode, fi, start, &mut len, 0) };
    if r != 0 {
        return r;
    }
    // SAFETY: a live inode of ours.
    let ino = unsafe { Inode::<T>::from_raw(inode) };
    let end = start.saturating_add(len);
    let fill = |e: &FiemapExtent, last: bool| -> c_int {
        let (phys, mut flags) = match e.kind {
            FiemapKind::Mapped(p) => (p, 0),
            FiemapKind::Inline => (0, bindings::FIEMAP_EXTENT_DATA_INLINE),
            FiemapKind::Hole => return 0,
        };
        if last {
            flags |= bindings::FIEMAP_EXTENT_LAST;
        }
        // SAFETY: fills the caller's extent array (bounded by the VFS).
        unsafe { bindings::fiemap_fill_next_extent(fi, e.offset, phys, e.len, flags) }
    };
    let mut prev: Option<FiemapExtent> = None;
    let mut pos = start;
    while pos < end {
        let e = match T::fiemap_extent(ino, pos, end - pos) {
            Ok(e) => e,
            Err(e) => return e.to_errno(),
        };
        let next = e.offset.saturating_add(e.len).min(end);
        if next <= pos {
            break;
        }
        if !matches!(e.kind, FiemapKind::Hole) {
            if let Some(p) = prev.take() {
                match fill(&p, false) {
                    0 => {}
                    1 => return 0, // the caller's array is full
                    r => return r,
                }
            }
            prev = Some(e);
        }
        pos = next;
    }
    match prev {
        Some(p) => match fill(&p, true) {
            r if r < 0 => r,
            _ => 0,
        },
        None => 0,
    }
}

/// `read_iter` of regular files (erofs_file_read_iter): buffered reads
/// through the page cache; O_DIRECT reads, once aligned as the C driver
/// requires, copy from the image without filling the file's page cache.
/// (The C driver issues bios straight to the device; here the image is
/// read through the device's own page cache, so the data is the same but
/// the device's cache is used.)
unsafe extern "C" fn read_iter<T: FileSystem>(iocb: *mut bindings::kiocb, to: *mut bindings::iov_iter) -> isize {
    // SAFETY: the VFS passes a live kiocb of an open file of ours and the
    // destination iterator.
    unsafe {
        let count = bindings::erofs_rs_iov_iter_count(to);
        if count == 0 {
            return 0;
        }
        if !bindings::erofs_rs_iocb_is_direct(iocb) {
            return bindings::filemap_read(iocb, to, 0);
        }
        let inode = bindings::erofs_rs_file_inode((*iocb).ki_filp);
        let mask = bindings::erofs_rs_dio_align_mask(inode) as u64;
        let pos = (*iocb).ki_pos as u64;
        if (pos | count as u64 | bindings::iov_iter_alignment(to) as u64) & mask != 0 {
            return EINVAL.to_errno() as isize;
        }
        let ino = Inode::<T>::from_raw(inode);
        let size = (*inode).i_size as u64;
        if pos >= size {
            return 0;
        }
        let total = (count as u64).min(size - pos) as usize;
        let chunk = total.min(128 << 10);
        let mut buf = match KVVec::from_elem(0u8, chunk, GFP_KERNEL) {
            Ok(b) => b,
            Err(_) => return ENOMEM.to_errno() as isize,
        };
        let mut done = 0usize;
        while done < total {
            let n = (total - done).min(chunk);
            if let Err(e) = T::read_direct(ino, pos + done as u64, &mut buf[..n]) {
                if done == 0 {
                    return e.to_errno() as isize;
                }
                break;
            }
            let copied = bindings::_copy_to_iter(buf.as_ptr().cast(), n, to);
            done += copied;
            if copied < n {
                if done == 0 {
                    return EFAULT.to_errno() as isize;
                }
                break;
            }
        }
        (*iocb).ki_pos += done as i64;
        done as isize
    }
}
