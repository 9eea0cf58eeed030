// SPDX-License-Identifier: GPL-2.0

//! File handles (`struct export_operations`): what `name_to_handle_at`,
//! `open_by_handle_at`, overlayfs's `index=on`/`nfs_export=on` and nfsd
//! use to name an inode without a path. A handle holds a 64-bit id the
//! filesystem chooses (`FileSystem::handle_id`) and the inode's
//! generation, and the parent's too when asked for: the C erofs's
//! FILEID_INO64_GEN(_PARENT) layout, so handles of either driver mean the
//! same thing.

use super::bindings;
use super::fs_type::FileSystem;
use super::inode::{into_raw, Inode};
use super::super_block::SuperBlock;
use core::ffi::c_int;

/// The handle types (include/linux/exportfs.h, enum fid_type; part of the
/// handles' ABI).
const FILEID_INO64_GEN: c_int = 0x81;
const FILEID_INO64_GEN_PARENT: c_int = 0x82;
const FILEID_INVALID: c_int = 0xff;

/// The export operations of `T`.
pub(super) struct Ops<T>(core::marker::PhantomData<T>);

impl<T: FileSystem> Ops<T> {
    pub(super) const TABLE: bindings::export_operations = bindings::export_operations {
        encode_fh: Some(encode_fh::<T>),
        fh_to_dentry: Some(fh_to_dentry::<T>),
        fh_to_parent: Some(fh_to_parent::<T>),
        get_parent: Some(get_parent::<T>),
        // SAFETY: the other members are optional function pointers and
        // flags: zero is None and no flags.
        ..unsafe { core::mem::zeroed() }
    };
}

/// `export_operations::encode_fh`: id (two words) and generation of the
/// inode, then of the parent if given.
///
/// # Safety
///
/// Called by exportfs with a live inode of ours (and parent, or NULL),
/// `fh` writable for `*max_len` words.
unsafe extern "C" fn encode_fh<T: FileSystem>(
    inode: *mut bindings::inode,
    fh: *mut u32,
    max_len: *mut c_int,
    parent: *mut bindings::inode,
) -> c_int {
    let len = if parent.is_null() { 3 } else { 6 };
    // SAFETY: the caller's length, readable and writable.
    unsafe {
        if *max_len < len {
            *max_len = len;
            return FILEID_INVALID;
        }
    }
    // SAFETY: `fh` has room for `len` words (checked above).
    let words = unsafe { core::slice::from_raw_parts_mut(fh, len as usize) };
    let mut put = |at: usize, ptr: *mut bindings::inode| {
        // SAFETY: a live inode of ours (caller).
        let ino = unsafe { Inode::<T>::from_raw(ptr) };
        let id = T::handle_id(ino);
        words[at] = (id >> 32) as u32;
        words[at + 1] = id as u32;
        // SAFETY: as above; the generation is fixed once set up.
        words[at + 2] = unsafe { (*ptr).i_generation };
    };
    put(0, inode);
    if !parent.is_null() {
        put(3, parent);
    }
    // SAFETY: the caller's length.
    unsafe { *max_len = len };
    if parent.is_null() {
        FILEID_INO64_GEN
    } else {
        FILEID_INO64_GEN_PARENT
    }
}

/// A dentry for the inode a handle id names (d_obtain_alias: connected
/// later by exportfs through `get_parent`).
fn dentry_of<T: FileSystem>(sb: &SuperBlock<T>, id: u64) -> *mut bindings::dentry {
    match T::iget_by_handle(sb, id) {
        // SAFETY: d_obtain_alias takes our inode reference.
        Ok(inode) => unsafe { bindings::d_obtain_alias(into_raw(inode)) },
        Err(e) => super::err_ptr(e),
    }
}

/// The id at word `at` of a handle of `len` words, if it has one there.
///
/// # Safety
///
/// `fid` points to a handle of `len` readable words.
unsafe fn id_at(fid: *mut bindings::fid, len: c_int, at: usize) -> Option<u64> {
    if len < 0 || (len as usize) < at + 3 {
        return None;
    }
    // SAFETY: `len` readable words (caller), checked to cover `at..at+2`.
    let w = unsafe { core::slice::from_raw_parts(fid.cast::<u32>(), len as usize) };
    Some((w[at] as u64) << 32 | w[at + 1] as u64)
}

/// `export_operations::fh_to_dentry`.
///
/// # Safety
///
/// Called by exportfs with a ready superblock of ours and a handle of
/// `fh_len` words.
unsafe extern "C" fn fh_to_dentry<T: FileSystem>(
    sb: *mut bindings::super_block,
    fid: *mut bindings::fid,
    fh_len: c_int,
    fh_type: c_int,
) -> *mut bindings::dentry {
    if fh_type != FILEID_INO64_GEN && fh_type != FILEID_INO64_GEN_PARENT {
        return core::ptr::null_mut();
    }
    // SAFETY: the caller's handle.
    let Some(id) = (unsafe { id_at(fid, fh_len, 0) }) else { return core::ptr::null_mut() };
    // SAFETY: a mounted (ready) superblock of ours (caller).
    dentry_of(unsafe { SuperBlock::<T>::from_raw(sb) }, id)
}

/// `export_operations::fh_to_parent`.
///
/// # Safety
///
/// As `fh_to_dentry`.
unsafe extern "C" fn fh_to_parent<T: FileSystem>(
    sb: *mut bindings::super_block,
    fid: *mut bindings::fid,
    fh_len: c_int,
    fh_type: c_int,
) -> *mut bindings::dentry {
    if fh_type != FILEID_INO64_GEN_PARENT {
        return core::ptr::null_mut();
    }
    // SAFETY: the caller's handle.
    let Some(id) = (unsafe { id_at(fid, fh_len, 3) }) else { return core::ptr::null_mut() };
    // SAFETY: a mounted (ready) superblock of ours (caller).
    dentry_of(unsafe { SuperBlock::<T>::from_raw(sb) }, id)
}

/// `export_operations::get_parent`: the directory that holds directory
/// `child`.
///
/// # Safety
///
/// Called by exportfs with a positive directory dentry of ours.
unsafe extern "C" fn get_parent<T: FileSystem>(child: *mut bindings::dentry) -> *mut bindings::dentry {
    // SAFETY: a positive dentry of ours (caller): its inode is live.
    let dir = unsafe { Inode::<T>::from_raw(bindings::erofs_rs_d_inode(child)) };
    match T::get_parent(dir) {
        // SAFETY: d_obtain_alias takes our inode reference.
        Ok(inode) => unsafe { bindings::d_obtain_alias(into_raw(inode)) },
        Err(e) => super::err_ptr(e),
    }
}
