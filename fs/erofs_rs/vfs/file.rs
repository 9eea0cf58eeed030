// SPDX-License-Identifier: GPL-2.0

//! File operations (`file_operations`) of our inodes, and the objects a
//! read works on: `struct kiocb` and `struct iov_iter`.

use super::bindings;
use super::fs_type::FileSystem;
use super::inode::Inode;
use super::{iomap, DirEmitter};
use core::ffi::c_int;
use core::marker::PhantomData;
use kernel::error::VTABLE_DEFAULT_ERROR;
use kernel::prelude::*;

/// File operations; each is optional. `llseek` is `generic_file_llseek`
/// and `setlease` `generic_setlease` in every table, as in the C erofs
/// (7.x refuses leases on files without `setlease`).
#[vtable]
pub(crate) trait Operations {
    type FileSystem: FileSystem;
    /// Regular files read through the page cache: `mmap` read-only from
    /// it and `splice_read` from it (`filemap_splice_read`).
    const PAGE_CACHE_FILE: bool = false;

    /// `llseek`'s SEEK_DATA (`data`) or SEEK_HOLE from `offset` (below
    /// `i_size`): the position found; other seeks are
    /// `generic_file_llseek`'s.
    fn seek_data_hole(_inode: &Inode<Self::FileSystem>, _offset: u64, _data: bool) -> Result<u64> {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `open` of a regular file: may point the file at a shared page
    /// cache ([`OpenFile::share_page_cache`]).
    fn open(_inode: &Inode<Self::FileSystem>, _file: &mut OpenFile<'_, Self::FileSystem>) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `read_iter`: reads from `iocb`'s position into `to`; the bytes read.
    fn read_iter(_iocb: &mut Kiocb<'_, Self::FileSystem>, _to: &mut IovIter<'_>) -> Result<usize> {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `iterate_shared`: emits the entries of directory `dir` from the
    /// emitter's position on (`read` is then `generic_read_dir`).
    fn read_dir(_dir: &Inode<Self::FileSystem>, _emitter: &mut DirEmitter) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// A `file_operations` table, built from an [`Operations`]
/// implementation; kept in a `static` so its address is stable.
pub(crate) struct Ops<T: FileSystem>(pub(super) bindings::file_operations, PhantomData<T>);

// SAFETY: the table is immutable after its constant initialisation and
// only holds function pointers, which any thread may call.
unsafe impl<T: FileSystem> Sync for Ops<T> {}

impl<T: FileSystem> Ops<T> {
    pub(crate) const fn new<U: Operations<FileSystem = T>>() -> Self {
        Self(
            bindings::file_operations {
                llseek: if U::HAS_SEEK_DATA_HOLE { Some(llseek::<U>) } else { Some(bindings::generic_file_llseek) },
                open: if U::HAS_OPEN { Some(open::<U>) } else { None },
                read: if U::HAS_READ_DIR { Some(bindings::generic_read_dir) } else { None },
                read_iter: if U::HAS_READ_ITER { Some(read_iter::<U>) } else { None },
                iterate_shared: if U::HAS_READ_DIR { Some(iterate_shared::<U>) } else { None },
                #[cfg(not(erofs_rs_mmap_prepare))]
                mmap: if U::PAGE_CACHE_FILE { Some(bindings::generic_file_readonly_mmap) } else { None },
                #[cfg(erofs_rs_mmap_prepare)]
                mmap_prepare: if U::PAGE_CACHE_FILE { Some(bindings::generic_file_readonly_mmap_prepare) } else { None },
                splice_read: if U::PAGE_CACHE_FILE { Some(bindings::filemap_splice_read) } else { None },
                // Without file locking the kernel has no leases (and
                // generic_setlease is an inline stub).
                #[cfg(CONFIG_FILE_LOCKING)]
                setlease: Some(bindings::generic_setlease),
                // The remaining members are optional pointers and flags,
                // for which zero means "not provided".
                // SAFETY: all-zero is a valid `file_operations` (above).
                ..unsafe { core::mem::zeroed() }
            },
            PhantomData,
        )
    }

    /// The table of `U`'s operations for regular files that may be DAX
    /// inodes, whose mmap faults go through `D`'s mapping.
    pub(crate) const fn with_dax<U: Operations<FileSystem = T>, D: iomap::Operations<FileSystem = T>>() -> Self {
        let mut ops = Self::new::<U>();
        #[cfg(not(erofs_rs_mmap_prepare))]
        {
            ops.0.mmap = Some(iomap::dax_mmap::<D>);
        }
        #[cfg(erofs_rs_mmap_prepare)]
        {
            ops.0.mmap_prepare = Some(iomap::dax_mmap_prepare::<D>);
        }
        ops
    }
}

/// A file of `T` being opened.
///
/// # Invariants
///
/// `ptr` is the file of the current `open` call, whose inode is `inode`.
pub(crate) struct OpenFile<'a, T: FileSystem> {
    ptr: *mut bindings::file,
    inode: &'a Inode<T>,
}

impl<T: FileSystem> OpenFile<'_, T> {
    /// Opened with O_DIRECT.
    pub(crate) fn is_direct(&self) -> bool {
        // SAFETY: the file being opened (type invariant).
        unsafe { bindings::erofs_rs_file_is_direct(self.ptr) }
    }

    /// Points the file at the page cache shared by the files whose key
    /// is the inode's (see `ishare.rs`), if the inode joins it. `key` is
    /// asked for on the inode's first open only and may refuse (`None`);
    /// the answer holds for the inode's life in memory. Returns whether
    /// the file reads through a shared cache.
    pub(crate) fn share_page_cache(&mut self, key: impl FnOnce() -> Result<Option<KVec<u8>>>) -> Result<bool> {
        match super::ishare::join(self.inode, key)? {
            super::ishare::Share::No => Ok(false),
            super::ishare::Share::Member(shared) => {
                // The inode's slot holds a reference to `shared` for as
                // long as the inode lives, which the file keeps alive.
                // SAFETY: so the page cache outlives the file and its maps.
                unsafe { bindings::erofs_rs_file_set_mapping(self.ptr, (*shared).i_mapping) };
                Ok(true)
            }
        }
    }
}

/// `file_operations::llseek` of files whose holes the filesystem finds.
///
/// # Safety
///
/// Called by the VFS with an open regular file of ours.
unsafe extern "C" fn llseek<U: Operations>(file: *mut bindings::file, offset: i64, whence: c_int) -> i64 {
    let data = match whence as u32 {
        bindings::SEEK_DATA => true,
        bindings::SEEK_HOLE => false,
        // SAFETY: the caller's live arguments.
        _ => return unsafe { bindings::generic_file_llseek(file, offset, whence) },
    };
    // The file's own inode (its `f_mapping` may be a shared inode's).
    // SAFETY: an open file of ours: its inode is live.
    let inode = unsafe { Inode::<U::FileSystem>::from_raw(bindings::erofs_rs_file_inode(file)) };
    if offset < 0 || offset as u64 >= inode.size() {
        return ENXIO.to_errno() as i64;
    }
    match U::seek_data_hole(inode, offset as u64, data) {
        // SAFETY: the caller's file; vfs_setpos checks the position
        // against the superblock's limit.
        Ok(pos) => unsafe { bindings::vfs_setpos(file, pos as i64, (*(*inode.as_ptr()).i_sb).s_maxbytes) },
        Err(e) => e.to_errno() as i64,
    }
}

/// `file_operations::open`.
///
/// # Safety
///
/// Called by the VFS with a regular file of ours being opened.
unsafe extern "C" fn open<U: Operations>(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    // SAFETY: the inode of the file being opened is live (caller).
    let inode = unsafe { Inode::<U::FileSystem>::from_raw(inode) };
    // INVARIANT: the arguments of this call.
    let mut f = OpenFile { ptr: file, inode };
    match U::open(inode, &mut f) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// A read request (`struct kiocb`) on an open file of `T`.
///
/// # Invariants
///
/// `ptr` is the live kiocb of the current `read_iter` call, whose file is
/// an open regular file of `T`.
pub(crate) struct Kiocb<'a, T: FileSystem> {
    ptr: *mut bindings::kiocb,
    _call: PhantomData<(&'a mut bindings::kiocb, T)>,
}

impl<T: FileSystem> Kiocb<'_, T> {
    /// The inode of the file being read.
    pub(crate) fn inode(&self) -> &Inode<T> {
        // SAFETY: the file of a live kiocb is open, so its inode of `T`
        // is live (type invariant).
        unsafe { Inode::from_raw(bindings::erofs_rs_file_inode((*self.ptr).ki_filp)) }
    }

    /// The file position the read starts at.
    pub(crate) fn pos(&self) -> u64 {
        // SAFETY: live kiocb (type invariant).
        unsafe { (*self.ptr).ki_pos as u64 }
    }

    /// Moves the file position on by `n` bytes read.
    pub(crate) fn advance(&mut self, n: usize) {
        // SAFETY: live kiocb, ours to update during read_iter.
        unsafe { (*self.ptr).ki_pos += n as i64 };
    }

    /// An O_DIRECT read.
    pub(crate) fn is_direct(&self) -> bool {
        // SAFETY: live kiocb (type invariant).
        unsafe { bindings::erofs_rs_iocb_is_direct(self.ptr) }
    }

    /// A read of a DAX inode straight from the device's memory
    /// (dax_iomap_rw), mapped by `D`; moves the position itself.
    pub(crate) fn dax_read<D: iomap::Operations<FileSystem = T>>(&mut self, to: &mut IovIter<'_>) -> Result<usize> {
        if !self.inode().is_dax() {
            return Err(EINVAL);
        }
        // SAFETY: the live arguments of this read_iter call, on a DAX
        // inode of ours (checked above).
        let r = unsafe { iomap::dax_read::<D>(self.ptr, to.ptr) };
        if r < 0 {
            return Err(Error::from_errno(r as i32));
        }
        Ok(r as usize)
    }

    /// A buffered read through the page cache (filemap_read), which
    /// moves the position itself.
    pub(crate) fn filemap_read(&mut self, to: &mut IovIter<'_>) -> Result<usize> {
        // SAFETY: the live arguments of this read_iter call.
        let r = unsafe { bindings::filemap_read(self.ptr, to.ptr, 0) };
        if r < 0 {
            return Err(Error::from_errno(r as i32));
        }
        Ok(r as usize)
    }
}

/// The destination of a read (`struct iov_iter`).
///
/// # Invariants
///
/// `ptr` is the live destination iterator of the current `read_iter`.
pub(crate) struct IovIter<'a> {
    ptr: *mut bindings::iov_iter,
    _call: PhantomData<&'a mut bindings::iov_iter>,
}

impl IovIter<'_> {
    /// Bytes left to fill.
    pub(crate) fn count(&self) -> usize {
        // SAFETY: live iterator (type invariant).
        unsafe { bindings::erofs_rs_iov_iter_count(self.ptr) }
    }

    /// The OR of every segment's address and length, for alignment checks.
    pub(crate) fn alignment(&self) -> u64 {
        // SAFETY: live iterator (type invariant).
        unsafe { bindings::iov_iter_alignment(self.ptr) as u64 }
    }

    /// Copies `data` to the destination and advances it; the bytes copied
    /// (fewer when the destination faults or is full).
    pub(crate) fn copy_to(&mut self, data: &[u8]) -> usize {
        // SAFETY: `data` is readable for its length; the iterator is live.
        unsafe { bindings::_copy_to_iter(data.as_ptr().cast(), data.len(), self.ptr) }
    }
}

/// `file_operations::read_iter`.
///
/// # Safety
///
/// Called by the VFS with the kiocb of an open regular file of ours and
/// the destination iterator.
unsafe extern "C" fn read_iter<U: Operations>(iocb: *mut bindings::kiocb, to: *mut bindings::iov_iter) -> isize {
    // INVARIANT: the live arguments of this call.
    let mut k = Kiocb::<U::FileSystem> { ptr: iocb, _call: PhantomData };
    // INVARIANT: as above.
    let mut t = IovIter { ptr: to, _call: PhantomData };
    match U::read_iter(&mut k, &mut t) {
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// `file_operations::iterate_shared`.
///
/// # Safety
///
/// Called by the VFS with an open directory of ours and its context.
unsafe extern "C" fn iterate_shared<U: Operations>(file: *mut bindings::file, ctx: *mut bindings::dir_context) -> c_int {
    // SAFETY: an open directory of ours: its inode is live (caller).
    let dir = unsafe { Inode::<U::FileSystem>::from_raw(bindings::erofs_rs_file_inode(file)) };
    // SAFETY: the context of this call (caller).
    let mut e = unsafe { DirEmitter::from_raw(ctx) };
    match U::read_dir(dir, &mut e) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}
