// SPDX-License-Identifier: GPL-2.0

//! A device an image is read from — a block device or a regular file —
//! and its page cache: pages of it mapped for reading (what
//! erofs_read_metabuf does in C), readahead, and the block device for
//! bios. The EROFS side (which device, which offsets, bounds) is the
//! `MetaSource` of `data.rs`.

use super::bindings;
use super::super_block::{New, SuperBlock};
use super::{FileRef, FileSystem};
use core::marker::PhantomData;
use kernel::prelude::*;

/// The page size, in bytes.
const PAGE: u64 = bindings::PAGE_SIZE as u64;

/// One device of a mount.
///
/// # Invariants
///
/// `mapping` is the page cache of a block device or file that stays open
/// for as long as this value lives: the superblock's own block device
/// (which outlives the superblock's data, where devices are kept), or the
/// file or blob in `_holder`. `bdev` is NULL or that device's open block
/// device; `dax` is NULL or a reference we hold on the DAX device behind
/// `bdev`, whose memory starts at byte `dax_part_off` of the DAX device.
pub(crate) struct Device {
    mapping: *mut bindings::address_space,
    bdev: *mut bindings::block_device,
    dax: *mut bindings::dax_device,
    dax_part_off: u64,
    /// Where readahead stops, when before the end of the page cache's
    /// host (a blob's inode claims the largest file size; reading ahead
    /// past the blob's end would only make the cache fail requests).
    readahead_end: u64,
    /// Where the image starts on the device (`fsoffset=`): offsets given
    /// to and sizes returned by this type are the image's, from there.
    base: u64,
    _holder: Holder,
}

/// What keeps a device's page cache alive, besides the superblock. The
/// values are held for their `Drop` only.
#[allow(dead_code)]
enum Holder {
    /// The superblock's own block device.
    Superblock,
    File(FileRef),
    #[cfg(erofs_rs_fscache)]
    Blob(super::fscache::Blob),
    #[cfg(erofs_rs_fscache)]
    SharedBlob(super::fscache::SharedBlob),
}

impl Drop for Device {
    fn drop(&mut self) {
        if !self.dax.is_null() {
            // SAFETY: our reference on the DAX device (type invariant),
            // dropped once.
            unsafe { bindings::erofs_rs_dax_put(self.dax) };
        }
    }
}

// SAFETY: address spaces and block devices are shared kernel objects made
// for concurrent readers; we only read through them.
unsafe impl Send for Device {}
// SAFETY: as above; every access goes through kernel APIs that lock
// internally.
unsafe impl Sync for Device {}

/// A block device of the mount, for I/O that bypasses the page cache:
/// bios, or DAX access to its memory when it has DAX.
///
/// # Invariants
///
/// `bdev` is a non-NULL block device held open by the mount, `dax` NULL
/// or its DAX device, held by the mount too (see [`Device`]).
#[derive(Clone, Copy)]
pub(crate) struct Bdev {
    pub(super) bdev: *mut bindings::block_device,
    pub(super) dax: *mut bindings::dax_device,
    pub(super) dax_part_off: u64,
}

/// The DAX device behind `bdev`, with the offset of the block device's
/// memory in it; NULL when it has none (or the kernel has no FSDAX).
///
/// # Safety
///
/// `bdev` must be an open block device.
unsafe fn dax_of(bdev: *mut bindings::block_device) -> (*mut bindings::dax_device, u64) {
    let mut off = 0;
    // SAFETY: an open block device (caller); the reference taken is
    // dropped by `Device::drop`.
    let dax = unsafe { bindings::erofs_rs_dax_get(bdev, &mut off) };
    (dax, off)
}

impl Device {
    /// The primary device of `sb`: `backing`, the image file of a
    /// file-backed mount, or else the superblock's block device.
    pub(crate) fn primary<T: FileSystem>(sb: &SuperBlock<T, New>, backing: Option<FileRef>) -> Self {
        match backing {
            Some(f) => Self::extra(sb, f),
            // INVARIANT: the superblock's block device and its page cache
            // live until the superblock is killed, after its data.
            // SAFETY: `sb` is mounted on a block device (no backing file).
            None => unsafe {
                let bdev = bindings::erofs_rs_sb_bdev(sb.as_ptr());
                let (dax, dax_part_off) = dax_of(bdev);
                Self {
                    mapping: bindings::erofs_rs_bdev_mapping(sb.as_ptr()),
                    bdev,
                    dax,
                    dax_part_off,
                    readahead_end: u64::MAX,
                    base: 0,
                    _holder: Holder::Superblock,
                }
            },
        }
    }

    /// An open file of the mount: an extra block device (`device=`), or a
    /// regular file of a file-backed mount.
    pub(crate) fn extra<T: FileSystem>(sb: &SuperBlock<T, New>, file: FileRef) -> Self {
        let (bdev, (dax, dax_part_off)) = if sb.has_bdev() {
            // SAFETY: extra devices of a block-device mount are opened as
            // block devices; the bdev lives as long as the file.
            let bdev = unsafe { bindings::file_bdev(file.as_ptr()) };
            // SAFETY: `bdev` is open (above).
            (bdev, unsafe { dax_of(bdev) })
        } else {
            (core::ptr::null_mut(), (core::ptr::null_mut(), 0))
        };
        // INVARIANT: the mapping and bdev belong to `file`, kept open here;
        // the DAX reference is ours.
        Self { mapping: file.mapping(), bdev, dax, dax_part_off, readahead_end: u64::MAX, base: 0, _holder: Holder::File(file) }
    }

    /// A blob of an fscache-backed mount: its page cache is filled from
    /// the cache, on demand. Its size is unbounded; reads past the blob's
    /// end fail in the cache.
    #[cfg(erofs_rs_fscache)]
    pub(crate) fn blob(blob: super::fscache::Blob) -> Self {
        // INVARIANT: the blob's inode, and so its page cache, is held by
        // the blob kept here.
        Self::of_blob(blob.mapping(), Holder::Blob(blob))
    }

    /// A blob of a shared domain (see `blob`).
    #[cfg(erofs_rs_fscache)]
    pub(crate) fn shared_blob(blob: super::fscache::SharedBlob) -> Self {
        // INVARIANT: the registry keeps the blob's inode while `blob` counts
        // as one of its users.
        Self::of_blob(blob.mapping(), Holder::SharedBlob(blob))
    }

    /// A blob's page cache `mapping`, kept alive by `holder`: no block
    /// device, no DAX.
    #[cfg(erofs_rs_fscache)]
    fn of_blob(mapping: *mut bindings::address_space, holder: Holder) -> Self {
        Self {
            mapping,
            bdev: core::ptr::null_mut(),
            dax: core::ptr::null_mut(),
            dax_part_off: 0,
            readahead_end: u64::MAX,
            base: 0,
            _holder: holder,
        }
    }

    /// Size in bytes, from the image's start.
    pub(crate) fn size(&self) -> u64 {
        // SAFETY: `mapping` is live (type invariant).
        let whole = unsafe { bindings::erofs_rs_mapping_size(self.mapping) as u64 };
        whole.saturating_sub(self.base)
    }

    /// The image starts `bytes` into the device from now on.
    pub(crate) fn set_base(&mut self, bytes: u64) {
        self.base = bytes;
    }

    /// Where the image starts on the device.
    pub(crate) fn base(&self) -> u64 {
        self.base
    }

    /// Readahead stops at `bytes` from now on (what the image says the
    /// device holds, for a blob whose own size only the cache knows).
    #[cfg(erofs_rs_fscache)]
    pub(crate) fn set_readahead_end(&mut self, bytes: u64) {
        self.readahead_end = bytes;
    }

    /// Whether this is a blob of an fscache-backed mount.
    #[cfg(erofs_rs_fscache)]
    pub(crate) fn is_blob(&self) -> bool {
        matches!(self._holder, Holder::Blob(_) | Holder::SharedBlob(_))
    }

    /// Starts reading `len` bytes at `pos` of this blob from the cache
    /// straight into bytes `[at, at + len)` of `range`, not through the
    /// blob's page cache (erofs_fscache_data_read_slice). `EINVAL` for a
    /// device that is not a blob; the range fails on any error.
    #[cfg(erofs_rs_fscache)]
    pub(crate) fn read_into(&self, range: &mut super::FolioRange, at: usize, len: usize, pos: u64) -> Result {
        if !self.is_blob() {
            range.fail();
            return Err(EINVAL);
        }
        // SAFETY: a blob's page cache, whose inode `_holder` keeps for as
        // long as the mount's inodes (and so the range's folios) exist.
        unsafe { super::fscache::read_blob(self.mapping, range, at, len, pos) }
    }

    /// The block device, when it is one.
    pub(crate) fn bdev(&self) -> Option<Bdev> {
        // INVARIANT: a non-NULL `bdev` is held open, `dax` with it (type
        // invariant).
        (!self.bdev.is_null()).then_some(Bdev { bdev: self.bdev, dax: self.dax, dax_part_off: self.dax_part_off })
    }

    /// Whether the device's memory can be accessed directly (FSDAX).
    pub(crate) fn has_dax(&self) -> bool {
        !self.dax.is_null()
    }

    /// Starts reading the pages behind image bytes `[offset, offset +
    /// len)` into the page cache without waiting.
    pub(crate) fn readahead(&self, offset: u64, len: u64) {
        let end = offset.saturating_add(len).min(self.size());
        if end <= offset {
            return;
        }
        let first = (offset + self.base) / PAGE;
        let last = (end - 1 + self.base) / PAGE;
        let pages = (self.size() + self.base).min(self.readahead_end).div_ceil(PAGE);
        let end = last.saturating_add(1).min(pages);
        if end <= first {
            return;
        }
        // SAFETY: `mapping` is live (type invariant); the pages lie inside
        // the device; readahead only adds pages to the page cache.
        unsafe { bindings::erofs_rs_mapping_readahead(self.mapping, first, end - first) };
    }

    /// Maps `len` bytes at `offset`, which must lie inside one page of
    /// the device, reading the page in if needed. `EINVAL` for a range
    /// that is not, `EIO` when the page cannot be read.
    pub(crate) fn map(&self, offset: u64, len: usize) -> Result<MappedBytes<'_>> {
        let end = offset.checked_add(len as u64).ok_or(EINVAL)?;
        if end > self.size() {
            return Err(EINVAL);
        }
        // From here on, device offsets.
        let offset = offset + self.base;
        if len == 0 || offset % PAGE + len as u64 > PAGE {
            return Err(EINVAL);
        }
        let (folio, pos) = self.read_page(offset / PAGE)?;
        let mut ptr = core::ptr::null_mut();
        // The folio reference passes to the returned page's owner.
        // SAFETY: the offset lies inside the folio, so does its page.
        let page = unsafe { bindings::erofs_rs_kmap_folio_page(folio, (offset - pos) as usize, &mut ptr) };
        // INVARIANT: the page of a referenced folio, kmapped at `ptr`,
        // `len` bytes in the page.
        Ok(MappedBytes { page, ptr: ptr as *const u8, len, _dev: PhantomData })
    }
}

impl Device {
    /// Maps the `len` bytes at `offset`, across at most [`MAX_RUN_PAGES`]
    /// pages of the device, as one run of bytes (erofs_vm_map_ram in
    /// C): a pcluster is then decoded where the page cache holds it
    /// rather than gathered into a buffer first. Reads the pages in if
    /// needed. `EINVAL` for a range outside the device or over more
    /// pages, `EIO` when a page cannot be read, `ENOMEM` when no address
    /// space is free; the caller can still gather the bytes page by page.
    pub(crate) fn map_run(&self, offset: u64, len: usize) -> Result<MappedRun<'_>> {
        let end = offset.checked_add(len as u64).ok_or(EINVAL)?;
        if len == 0 || end > self.size() {
            return Err(EINVAL);
        }
        // From here on, device offsets.
        let (offset, end) = (offset + self.base, end + self.base);
        let first = offset / PAGE;
        let count = (end - 1) / PAGE - first + 1;
        if count > MAX_RUN_PAGES as u64 {
            return Err(EINVAL);
        }
        let mut run = MappedRun {
            pages: [core::ptr::null_mut(); MAX_RUN_PAGES],
            count: 0,
            base: core::ptr::null_mut(),
            ptr: core::ptr::null(),
            len,
            _dev: PhantomData,
        };
        for (slot, index) in run.pages.iter_mut().zip(first..first + count) {
            let (folio, pos) = self.read_page(index)?;
            // INVARIANT: the folio reference now belongs to the run, which
            // drops it.
            // SAFETY: page `index` lies inside the folio (`read_page`).
            *slot = unsafe { bindings::erofs_rs_folio_page(folio, (index * PAGE - pos) as usize) };
            run.count += 1;
        }
        // SAFETY: `pages` starts with `count` referenced pages (above); NULL
        // when no address space is free.
        let base = unsafe { bindings::erofs_rs_vm_map_ram(run.pages.as_mut_ptr(), run.count as u32) };
        if base.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: the pages are mapped at `base`, the range starts
        // `offset % PAGE` into the first and ends inside the last.
        run.base = base;
        run.ptr = base.cast::<u8>().wrapping_add((offset % PAGE) as usize);
        Ok(run)
    }
}

impl Device {
    /// The uptodate page-cache folio holding page `index` (a device
    /// page number, `base` included) and its byte position, with a
    /// reference the caller must drop; `EIO` when it cannot be read.
    fn read_page(&self, index: u64) -> Result<(*mut bindings::folio, u64)> {
        // SAFETY: `mapping` is live (type invariant); callers pass pages
        // within the device.
        let folio = unsafe { bindings::erofs_rs_read_mapping_folio(self.mapping, index) };
        let folio = super::from_err_ptr(folio).map_err(|_| EIO)?;
        if folio.is_null() {
            return Err(EIO);
        }
        // SAFETY: `folio` is a referenced, uptodate folio.
        let (pos, size) = unsafe { (bindings::erofs_rs_folio_pos(folio) as u64, bindings::erofs_rs_folio_size(folio) as u64) };
        let at = index * PAGE;
        if at < pos || at + PAGE > pos + size {
            // SAFETY: drop the reference read_mapping_folio gave us.
            unsafe { bindings::erofs_rs_folio_put(folio) };
            return Err(EIO);
        }
        Ok((folio, pos))
    }
}

/// Pages a [`MappedRun`] maps at most: what `vm_map_ram` serves from its
/// per-CPU blocks (VMAP_MAX_ALLOC, one bit per page of a long), without
/// the global vmap lock and a TLB flush on every unmap. Larger pclusters
/// are gathered into a buffer.
pub(crate) const MAX_RUN_PAGES: usize = 64;

/// Bytes over several pages of a device's page cache, mapped as one run
/// of bytes (`Device::map_run`); unmapped and released on drop.
///
/// # Invariants
///
/// The first `count` entries of `pages` are pages of uptodate page-cache
/// folios on which we hold a reference taken by `read_mapping_folio`,
/// released on drop. `base` is NULL, or the `vm_map_ram` mapping of those
/// pages in order, and `ptr` then points into it, valid for `len` bytes.
/// (The page list lives in the value: mapping a pcluster allocates
/// nothing.)
pub(crate) struct MappedRun<'a> {
    pages: [*mut bindings::page; MAX_RUN_PAGES],
    count: usize,
    base: *mut core::ffi::c_void,
    ptr: *const u8,
    len: usize,
    _dev: PhantomData<&'a Device>,
}

impl core::ops::Deref for MappedRun<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        if self.base.is_null() {
            return &[];
        }
        // Page-cache pages of a read-only mount are not written while mapped.
        // SAFETY: `ptr` maps `len` readable bytes of uptodate folios we
        // hold references to (type invariant).
        unsafe { core::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl Drop for MappedRun<'_> {
    fn drop(&mut self) {
        if !self.base.is_null() {
            // SAFETY: undoes the vm_map_ram of `map_run`, of as many
            // pages (type invariant), once.
            unsafe { bindings::erofs_rs_vm_unmap_ram(self.base, self.count as u32) };
        }
        for &page in &self.pages[..self.count] {
            // SAFETY: a page whose folio holds our reference (type
            // invariant), dropped once.
            unsafe { bindings::erofs_rs_page_folio_put(page) };
        }
    }
}

/// A mapped piece of a page-cache folio; unmapped and released on drop.
/// The mapping is a `kmap` of the page, not a `kmap_local` one, so values
/// may be dropped in any order and kept across callbacks (iomap_begin to
/// iomap_end); short-lived mappings use `LockedFolio::with_page`, whose
/// `kmap_local` cannot outlive its closure. Or bytes of memory the mount
/// owns (the decoded metabox), borrowed.
///
/// # Invariants
///
/// Either `page` is a page of a folio on which we hold a reference taken
/// by `read_mapping_folio`, `kmap`ped, and `ptr` points into the mapping,
/// valid for `len` bytes; or `page` is NULL and `ptr` points to `len`
/// bytes borrowed for `'a`.
pub(crate) struct MappedBytes<'a> {
    page: *mut bindings::page,
    ptr: *const u8,
    len: usize,
    _dev: PhantomData<&'a Device>,
}

impl<'a> MappedBytes<'a> {
    /// Bytes the mount holds in memory, in place of a mapped page.
    pub(crate) fn borrowed(bytes: &'a [u8]) -> Self {
        // INVARIANT: no page; `ptr` borrows `bytes` for `'a`.
        Self { page: core::ptr::null_mut(), ptr: bytes.as_ptr(), len: bytes.len(), _dev: PhantomData }
    }
}

impl MappedBytes<'_> {
    /// Gives up ownership of the mapping: (page, mapped pointer). The
    /// caller must later call `release_raw` with a non-NULL page (a NULL
    /// one stands for borrowed bytes: nothing to release).
    pub(super) fn into_raw(self) -> (*mut bindings::page, *const u8) {
        let r = (self.page, self.ptr);
        core::mem::forget(self);
        r
    }

    /// Undoes `into_raw`.
    ///
    /// # Safety
    ///
    /// `page` must come from one `into_raw` call, released once.
    pub(super) unsafe fn release_raw(page: *mut bindings::page) {
        // SAFETY: per the contract, a kmapped page whose folio we hold a
        // reference to.
        unsafe { bindings::erofs_rs_kunmap_put_page(page) };
    }
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
        if self.page.is_null() {
            return;
        }
        // SAFETY: the page is kmapped and its folio holds our reference
        // (type invariant); both are released once, here.
        unsafe { bindings::erofs_rs_kunmap_put_page(self.page) };
    }
}
