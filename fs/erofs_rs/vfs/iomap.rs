// SPDX-License-Identifier: GPL-2.0

//! iomap (`struct iomap_ops`): how uncompressed files on block devices
//! are read, as the C driver reads them (erofs_iomap_begin/end): the
//! filesystem maps a file range, iomap builds the bios into the page
//! cache (read_folio, readahead), or, for DAX inodes, reads and maps the
//! device's memory directly (dax_iomap_rw, dax_iomap_fault).

use super::bindings;
use super::device::{Bdev, MappedBytes};
use super::fs_type::FileSystem;
use super::inode::Inode;
use core::ffi::{c_int, c_uint};
use core::marker::PhantomData;
use kernel::prelude::*;

/// How a file range is stored, for iomap.
pub(crate) enum IoMapping<'a> {
    /// Zeros (a hole, or past EOF); a length of 0 means "what was asked".
    Hole { offset: u64, length: u64 },
    /// On `bdev` at byte `addr` (for DAX, at that byte of its memory).
    Mapped { offset: u64, length: u64, bdev: Bdev, addr: u64 },
    /// Inline in a metadata block, mapped in `bytes`.
    Inline { offset: u64, length: u64, bytes: MappedBytes<'a> },
}

/// The mapping operation iomap calls back into.
pub(crate) trait Operations {
    type FileSystem: FileSystem;

    /// Maps the file range of `length` bytes at `pos` (`iomap_begin`).
    fn begin<'a>(inode: &'a Inode<Self::FileSystem>, pos: u64, length: u64) -> Result<IoMapping<'a>>;
}

/// `iomap_ops::iomap_begin`.
///
/// # Safety
///
/// Called by iomap with a live inode of ours or a shared inode, and the
/// iomap to fill.
unsafe extern "C" fn iomap_begin<U: Operations>(
    inode: *mut bindings::inode,
    pos: i64,
    length: i64,
    flags: c_uint,
    iomap: *mut bindings::iomap,
    _srcmap: *mut bindings::iomap,
) -> c_int {
    let dax = flags & bindings::IOMAP_DAX != 0;
    // A shared inode's range is mapped through a member, held for the
    // call (iomap submits the bios before iomap_end).
    // SAFETY: a live inode of ours or a shared inode (caller).
    let host = match unsafe { super::ishare::host::<U::FileSystem>(inode) } {
        Ok(h) => h,
        Err(e) => return e.to_errno(),
    };
    let ino = host.inode();
    let m = match U::begin(ino, pos as u64, length as u64) {
        Ok(m) => m,
        Err(e) => return e.to_errno(),
    };
    // An inline mapping's page (kmapped, with its folio reference) is
    // handed to `iomap_end` through `private`.
    // SAFETY: filling the caller's iomap; iomap leaves those two alone.
    unsafe {
        (*iomap).flags = 0;
        (*iomap).private = core::ptr::null_mut();
        (*iomap).bdev = bindings::erofs_rs_sb_bdev((*ino.as_ptr()).i_sb);
        match m {
            IoMapping::Hole { offset, length: l } => {
                (*iomap).type_ = bindings::IOMAP_HOLE as u16;
                (*iomap).addr = bindings::IOMAP_NULL_ADDR as u64;
                (*iomap).offset = offset as i64;
                (*iomap).length = if l == 0 { length as u64 } else { l };
            }
            IoMapping::Mapped { offset, length, bdev, addr } => {
                (*iomap).type_ = bindings::IOMAP_MAPPED as u16;
                (*iomap).addr = addr;
                (*iomap).offset = offset as i64;
                (*iomap).length = length;
                (*iomap).bdev = bdev.bdev;
                if dax {
                    // A DAX inode on a device without DAX cannot be
                    // (the filesystem turns DAX off then): refuse rather
                    // than hand dax a NULL device.
                    if bdev.dax.is_null() {
                        return EIO.to_errno();
                    }
                    (*iomap).dax_dev = bdev.dax;
                    // Blocks may back several files (mkfs.erofs dedupes
                    // chunks), and this filesystem never writes: have DAX
                    // count each page's mappers (the reflink scheme)
                    // instead of tying it to one file, which warns when a
                    // second file maps it (dax_associate_entry; the C
                    // erofs hits that warning).
                    (*iomap).flags |= bindings::IOMAP_F_SHARED as u16;
                    (*iomap).addr = match addr.checked_add(bdev.dax_part_off) {
                        Some(a) => a,
                        None => return EIO.to_errno(),
                    };
                }
            }
            IoMapping::Inline { offset, length, bytes } => {
                let (page, ptr) = bytes.into_raw();
                (*iomap).type_ = bindings::IOMAP_INLINE as u16;
                (*iomap).addr = bindings::IOMAP_NULL_ADDR as u64;
                (*iomap).offset = offset as i64;
                (*iomap).length = length;
                (*iomap).inline_data = ptr as *mut _;
                (*iomap).private = page.cast();
            }
        }
    }
    0
}

/// `iomap_ops::iomap_end`.
///
/// # Safety
///
/// Called by iomap with the iomap our `iomap_begin` filled.
unsafe extern "C" fn iomap_end(
    _inode: *mut bindings::inode,
    _pos: i64,
    _length: i64,
    written: isize,
    _flags: c_uint,
    iomap: *mut bindings::iomap,
) -> c_int {
    // SAFETY: the iomap our `iomap_begin` filled; an inline mapping's
    // page is released exactly once, here.
    unsafe {
        if (*iomap).type_ == bindings::IOMAP_INLINE as u16 && !(*iomap).private.is_null() {
            MappedBytes::release_raw((*iomap).private.cast());
            (*iomap).private = core::ptr::null_mut();
        }
    }
    written as c_int
}

/// `read_folio` of an iomap address space.
///
/// # Safety
///
/// Called by the VFS with a locked folio of one of our inodes.
pub(super) unsafe extern "C" fn read_folio<U: Operations>(_file: *mut bindings::file, folio: *mut bindings::folio) -> c_int {
    // SAFETY: a locked folio of our inode; the ops table is a promoted
    // constant.
    unsafe { bindings::erofs_rs_iomap_read_folio(folio, &Ops::<U>::TABLE) }
}

/// `readahead` of an iomap address space.
///
/// # Safety
///
/// Called by the VFS with a readahead request for one of our inodes.
pub(super) unsafe extern "C" fn readahead<U: Operations>(rac: *mut bindings::readahead_control) {
    // SAFETY: the VFS's request for our inode; promoted ops table.
    unsafe { bindings::erofs_rs_iomap_readahead(rac, &Ops::<U>::TABLE) }
}

/// Reads through DAX (dax_iomap_rw): from the device's memory straight
/// into the caller's buffer, without the page cache.
///
/// # Safety
///
/// `iocb` and `to` must be the live arguments of a `read_iter` call on a
/// DAX inode of ours.
pub(super) unsafe fn dax_read<U: Operations>(iocb: *mut bindings::kiocb, to: *mut bindings::iov_iter) -> isize {
    // SAFETY: the caller's live arguments; promoted ops table.
    unsafe { bindings::erofs_rs_dax_read_iter(iocb, to, &Ops::<U>::TABLE) }
}

/// `vm_operations_struct::huge_fault` of a DAX mapping.
///
/// # Safety
///
/// Called by the MM with a fault on a mapping our `dax_mmap` set up.
unsafe extern "C" fn dax_huge_fault<U: Operations>(vmf: *mut bindings::vm_fault, order: c_uint) -> bindings::vm_fault_t {
    // SAFETY: a live fault on a DAX inode of ours; promoted ops table.
    unsafe { bindings::erofs_rs_dax_fault(vmf, order, &Ops::<U>::TABLE) }
}

/// `vm_operations_struct::fault` of a DAX mapping: a page-sized fault.
///
/// # Safety
///
/// As `dax_huge_fault`.
unsafe extern "C" fn dax_fault<U: Operations>(vmf: *mut bindings::vm_fault) -> bindings::vm_fault_t {
    // SAFETY: as above.
    unsafe { dax_huge_fault::<U>(vmf, 0) }
}

/// `file_operations::mmap` of regular files that may be DAX: DAX inodes
/// fault from the device's memory, mapped by `U`; the others map their
/// page cache read-only.
///
/// # Safety
///
/// Called by the MM with an open file of ours and the area being mapped.
#[cfg(not(erofs_rs_mmap_prepare))]
pub(super) unsafe extern "C" fn dax_mmap<U: Operations>(file: *mut bindings::file, vma: *mut bindings::vm_area_struct) -> c_int {
    // SAFETY: the caller's live arguments; promoted table.
    unsafe { bindings::erofs_rs_dax_mmap(file, vma, &Ops::<U>::DAX_VM_OPS) }
}

/// `file_operations::mmap_prepare`, as `dax_mmap`.
///
/// # Safety
///
/// Called by the MM with the description of an area of an open file of
/// ours being mapped.
#[cfg(erofs_rs_mmap_prepare)]
pub(super) unsafe extern "C" fn dax_mmap_prepare<U: Operations>(desc: *mut bindings::vm_area_desc) -> c_int {
    // SAFETY: the caller's live argument; promoted table.
    unsafe { bindings::erofs_rs_dax_mmap_prepare(desc, &Ops::<U>::DAX_VM_OPS) }
}

struct Ops<U>(PhantomData<U>);

impl<U: Operations> Ops<U> {
    /// The faults of a DAX mapping (erofs_dax_vm_ops).
    const DAX_VM_OPS: bindings::vm_operations_struct = bindings::vm_operations_struct {
        fault: Some(dax_fault::<U>),
        huge_fault: Some(dax_huge_fault::<U>),
        // SAFETY: the other members are optional function pointers and
        // names: zero is None.
        ..unsafe { core::mem::zeroed() }
    };

    const TABLE: bindings::iomap_ops = bindings::iomap_ops {
        iomap_begin: Some(iomap_begin::<U>),
        iomap_end: Some(iomap_end),
        // Members added by later kernels (7.x's `iomap_next`, which iomap
        // calls instead of begin/end when set) are left absent.
        // SAFETY: they are optional function pointers: zero is None.
        ..unsafe { core::mem::zeroed() }
    };
}
