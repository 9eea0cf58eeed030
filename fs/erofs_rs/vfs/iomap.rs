// SPDX-License-Identifier: GPL-2.0

//! iomap: how uncompressed files on block devices are read, as the C
//! driver reads them (erofs_iomap_begin/end): the filesystem maps a file
//! range, iomap builds the bios into the page cache (read_folio,
//! readahead).

use super::meta::{Bdev, MappedBytes};
use super::{FileSystem, Inode};
use crate::bindings;
use core::ffi::{c_int, c_uint};

/// How a file range is stored, for iomap.
pub(crate) enum IoMapping<'a> {
    /// Zeros (a hole, or past EOF).
    Hole { offset: u64, length: u64 },
    /// On `bdev` at byte `addr`.
    Mapped { offset: u64, length: u64, bdev: Bdev, addr: u64 },
    /// Inline in a metadata block, mapped in `bytes`.
    Inline { offset: u64, length: u64, bytes: MappedBytes<'a> },
}

const IOMAP_HOLE: u16 = 0;
const IOMAP_MAPPED: u16 = 2;
const IOMAP_INLINE: u16 = 4;
const IOMAP_NULL_ADDR: u64 = u64::MAX;

pub(crate) unsafe extern "C" fn iomap_begin<T: FileSystem>(
    inode: *mut bindings::inode,
    pos: i64,
    length: i64,
    _flags: c_uint,
    iomap: *mut bindings::iomap,
    _srcmap: *mut bindings::iomap,
) -> c_int {
    // SAFETY: a live inode of ours; `iomap` is the caller's to fill.
    let ino = unsafe { Inode::<T>::from_raw(inode) };
    let m = match T::iomap_begin(ino, pos as u64, length as u64) {
        Ok(m) => m,
        Err(e) => return e.to_errno(),
    };
    // An inline mapping's folio reference and kmap are handed to
    // `iomap_end` through `private` and `inline_data`.
    // SAFETY: filling the caller's iomap; iomap leaves those two alone.
    unsafe {
        (*iomap).flags = 0;
        (*iomap).private = core::ptr::null_mut();
        (*iomap).bdev = bindings::erofs_rs_sb_bdev((*inode).i_sb);
        match m {
            IoMapping::Hole { offset, length: l } => {
                (*iomap).type_ = IOMAP_HOLE;
                (*iomap).addr = IOMAP_NULL_ADDR;
                (*iomap).offset = offset as i64;
                (*iomap).length = if l == 0 { length as u64 } else { l };
            }
            IoMapping::Mapped { offset, length, bdev, addr } => {
                (*iomap).type_ = IOMAP_MAPPED;
                (*iomap).addr = addr;
                (*iomap).offset = offset as i64;
                (*iomap).length = length;
                (*iomap).bdev = bdev.0;
            }
            IoMapping::Inline { offset, length, bytes } => {
                let (folio, ptr) = bytes.into_raw();
                (*iomap).type_ = IOMAP_INLINE;
                (*iomap).addr = IOMAP_NULL_ADDR;
                (*iomap).offset = offset as i64;
                (*iomap).length = length;
                (*iomap).inline_data = ptr as *mut _;
                (*iomap).private = folio.cast();
            }
        }
    }
    0
}

pub(crate) unsafe extern "C" fn iomap_end(
    _inode: *mut bindings::inode,
    _pos: i64,
    _length: i64,
    written: isize,
    _flags: c_uint,
    iomap: *mut bindings::iomap,
) -> c_int {
    // SAFETY: the iomap our `iomap_begin` filled; an inline mapping's
    // folio and kmap are released exactly once, here.
    unsafe {
        if (*iomap).type_ == IOMAP_INLINE && !(*iomap).private.is_null() {
            MappedBytes::release_raw((*iomap).private.cast(), (*iomap).inline_data as *const u8);
            (*iomap).private = core::ptr::null_mut();
        }
    }
    written as c_int
}

pub(crate) unsafe extern "C" fn read_folio<T: FileSystem>(_file: *mut bindings::file, folio: *mut bindings::folio) -> c_int {
    // SAFETY: a locked folio of one of our inodes; the ops table is a
    // promoted constant.
    unsafe { bindings::iomap_read_folio(folio, &Ops::<T>::IOMAP) }
}

pub(crate) unsafe extern "C" fn readahead<T: FileSystem>(rac: *mut bindings::readahead_control) {
    // SAFETY: the VFS's readahead request for one of our inodes.
    unsafe { bindings::iomap_readahead(rac, &Ops::<T>::IOMAP) }
}

struct Ops<T>(core::marker::PhantomData<T>);

impl<T: FileSystem> Ops<T> {
    const IOMAP: bindings::iomap_ops = bindings::iomap_ops { iomap_begin: Some(iomap_begin::<T>), iomap_end: Some(iomap_end) };
}
