// SPDX-License-Identifier: GPL-2.0

//! Image bytes through the page cache of the backing devices
//! (erofs_read_metabuf): the kernel's implementation of the format core's
//! `Source`.

use super::bindings;
use super::super_block::{New, SuperBlock};
use super::{FileRef, FileSystem};
use crate::format::{Error as FmtError, Result as FmtResult, Source};
use kernel::prelude::*;

/// The page caches of the primary device and any extra devices.
///
/// # Invariants
///
/// Every pointer is the `address_space` of a block device or file that
/// stays open (and referenced) for as long as this value lives: the
/// superblock's own device, or files this value holds open in `_files`.
pub(crate) struct MetaSource {
    mappings: KVec<*mut bindings::address_space>,
    /// The block device of each device; NULL for file-backed mounts.
    bdevs: KVec<*mut bindings::block_device>,
    _files: KVec<FileRef>,
}

/// A block device of the mount, for I/O that bypasses the page cache.
///
/// # Invariants
///
/// A non-NULL block device held open by the mount (see `MetaSource`).
#[derive(Clone, Copy)]
pub(crate) struct Bdev(pub(super) *mut bindings::block_device);

// SAFETY: address spaces are shared kernel objects designed for concurrent
// readers; we only read through them.
unsafe impl Send for MetaSource {}
// SAFETY: as above, all access is read-only through kernel APIs that lock
// internally.
unsafe impl Sync for MetaSource {}

impl MetaSource {
    /// A source over the primary device of `sb` (its block device, or
    /// `backing`, the image file of a file-backed mount) and the extra
    /// devices `extra` (in device-table order); it keeps the files open.
    pub(crate) fn new<T: FileSystem>(sb: &SuperBlock<T, New>, backing: Option<FileRef>, extra: KVec<FileRef>) -> Result<Self> {
        let mut mappings = KVec::new();
        let mut bdevs = KVec::new();
        let mut files = KVec::with_capacity(extra.len() + 1, GFP_KERNEL)?;
        match backing {
            Some(f) => {
                mappings.push(f.mapping(), GFP_KERNEL)?;
                bdevs.push(core::ptr::null_mut(), GFP_KERNEL)?;
                files.push(f, GFP_KERNEL)?;
            }
            None => {
                // SAFETY: `sb` is mounted on a block device; its bdev, and
                // so the mapping, lives until the superblock is killed.
                mappings.push(unsafe { bindings::erofs_rs_bdev_mapping(sb.as_ptr()) }, GFP_KERNEL)?;
                // SAFETY: as above.
                bdevs.push(unsafe { bindings::erofs_rs_sb_bdev(sb.as_ptr()) }, GFP_KERNEL)?;
            }
        }
        let file_backed = !sb.has_bdev();
        for f in extra {
            mappings.push(f.mapping(), GFP_KERNEL)?;
            let b = if file_backed {
                core::ptr::null_mut()
            } else {
                // SAFETY: an open block-device file; its bdev lives as long
                // as the file, which `_files` holds.
                unsafe { bindings::file_bdev(f.as_ptr()) }
            };
            bdevs.push(b, GFP_KERNEL)?;
            files.push(f, GFP_KERNEL)?;
        }
        // INVARIANT: the bdev outlives the mounted superblock, which
        // outlives `s_fs_info` holding this source; the files are held
        // by `_files`.
        Ok(Self { mappings, bdevs, _files: files })
    }
}

impl MetaSource {
    fn mapping_size(mapping: *mut bindings::address_space) -> i64 {
        // SAFETY: `mapping` is one of ours, live (type invariant).
        unsafe { bindings::erofs_rs_mapping_size(mapping) }
    }

    /// Starts reading `[offset, offset + len)` of device `dev` into its
    /// page cache without waiting, so the page-by-page reads that follow
    /// find one large I/O under way instead of issuing many small ones.
    pub(crate) fn prefetch(&self, dev: u16, offset: u64, len: u64) {
        let Some(&mapping) = self.mappings.get(dev as usize) else { return };
        let size = Self::mapping_size(mapping) as u64;
        let end = offset.saturating_add(len).min(size);
        if end <= offset {
            return;
        }
        let first = offset / PAGE;
        let nr = (end - 1) / PAGE - first + 1;
        // SAFETY: `mapping` is live (type invariant); the range is inside
        // the device; readahead only adds pages to the page cache.
        unsafe { bindings::erofs_rs_mapping_readahead(mapping, first, nr) };
    }

    /// The block device of device `dev`, when the mount has one.
    pub(crate) fn bdev(&self, dev: u16) -> Option<Bdev> {
        let b = *self.bdevs.get(dev as usize)?;
        // INVARIANT: non-NULL entries are held-open block devices.
        (!b.is_null()).then_some(Bdev(b))
    }

    /// Size in bytes of device `dev`.
    pub(crate) fn device_size(&self, dev: u16) -> Option<u64> {
        self.mappings.get(dev as usize).map(|&m| Self::mapping_size(m) as u64)
    }
}

impl MappedBytes<'_> {
    /// Gives up ownership of the mapping: (folio, mapped pointer). The
    /// caller must later call `release_raw` with both.
    pub(super) fn into_raw(self) -> (*mut bindings::folio, *const u8) {
        let r = (self.folio, self.ptr);
        core::mem::forget(self);
        r
    }

    /// Undoes `into_raw`.
    ///
    /// # Safety
    ///
    /// `folio` and `ptr` must come from one `into_raw` call, released once.
    pub(super) unsafe fn release_raw(folio: *mut bindings::folio, ptr: *const u8) {
        // SAFETY: per the contract, a live mapping and folio reference.
        unsafe {
            bindings::erofs_rs_kunmap_local(ptr.cast());
            bindings::erofs_rs_folio_put(folio);
        }
    }
}

/// A mapped piece of a page-cache folio; unmapped and released on drop.
///
/// # Invariants
///
/// `folio` holds a reference taken by `read_mapping_folio`, `ptr` is its
/// `kmap_local_folio` mapping, valid for `len` bytes.
pub(crate) struct MappedBytes<'a> {
    folio: *mut bindings::folio,
    ptr: *const u8,
    len: usize,
    _src: core::marker::PhantomData<&'a MetaSource>,
}

impl core::ops::Deref for MappedBytes<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // Page-cache pages of a read-only mount are not written while mapped.
        // SAFETY: `ptr` maps `len` readable bytes of an uptodate folio we
        // hold a reference to (type invariant).
        unsafe { core::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl Drop for MappedBytes<'_> {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from kmap_local_folio and `folio` holds our
        // reference (type invariant); unmapping precedes the release.
        unsafe {
            bindings::erofs_rs_kunmap_local(self.ptr.cast());
            bindings::erofs_rs_folio_put(self.folio);
        }
    }
}

const PAGE: u64 = bindings::PAGE_SIZE as u64;

impl Source for MetaSource {
    type Bytes<'a> = MappedBytes<'a>;

    fn bytes(&self, dev: u16, offset: u64, len: usize) -> FmtResult<MappedBytes<'_>> {
        let mapping = *self.mappings.get(dev as usize).ok_or(FmtError::BadDeviceId(dev))?;
        let end = offset.checked_add(len as u64).ok_or(FmtError::OutOfRange)?;
        // The format core never crosses a 4 KiB boundary; one page serves.
        if len == 0 || (offset % PAGE) + len as u64 > PAGE {
            return Err(FmtError::OutOfRange);
        }
        let size = Self::mapping_size(mapping);
        if end > size as u64 {
            return Err(FmtError::OutOfRange);
        }
        // SAFETY: `mapping` is live; the index is within the device.
        let folio = unsafe { bindings::erofs_rs_read_mapping_folio(mapping, offset / PAGE) };
        // SAFETY: checks an error-or-pointer value.
        if folio.is_null() || unsafe { bindings::erofs_rs_is_err(folio.cast()) } {
            return Err(FmtError::Io);
        }
        // SAFETY: `folio` is a referenced, uptodate folio covering `offset`.
        let pos = unsafe { bindings::erofs_rs_folio_pos(folio) } as u64;
        // SAFETY: as above.
        let fsize = unsafe { bindings::erofs_rs_folio_size(folio) } as u64;
        if offset < pos || end > pos + fsize {
            // SAFETY: drop the reference read_mapping_folio gave us.
            unsafe { bindings::erofs_rs_folio_put(folio) };
            return Err(FmtError::Io);
        }
        // SAFETY: the offset lies inside the folio; the mapping covers the
        // page holding it, and the range stays inside that page.
        let ptr = unsafe { bindings::erofs_rs_kmap_local_folio(folio, (offset - pos) as usize) };
        // INVARIANT: referenced folio, mapped pointer, `len` bytes in page.
        Ok(MappedBytes { folio, ptr: ptr as *const u8, len, _src: core::marker::PhantomData })
    }
}
