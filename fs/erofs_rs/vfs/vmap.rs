// SPDX-License-Identifier: GPL-2.0

//! Pages mapped as one run of bytes, so that a decoder writes a
//! pcluster's output straight into the page cache (erofs_vm_map_ram and
//! the bounce pages of z_erofs_oneshot_prepare_dstpages in C): pages of
//! the locked folios being read, and bounce pages of our own for the
//! parts of an extent no such folio holds.

use super::bindings;
use super::folio::LockedFolio;
use core::marker::PhantomData;
use kernel::prelude::*;

/// A run of pages to be mapped contiguously.
///
/// # Invariants
///
/// Every entry of `pages` is either a page of a folio borrowed for `'a`
/// (locked and not uptodate, so ours alone to write: `LockedFolio`'s
/// invariant) or, where `bounce` says so, a page we allocated and free on
/// drop. `mapped` is null or the mapping of all of `pages` made by `map`,
/// of `pages.len()` pages (by `vm_map_ram`, or `kmap_local_page` for one).
pub(crate) struct PageRun<'a> {
    pages: KVec<*mut bindings::page>,
    bounce: KVec<bool>,
    mapped: *mut u8,
    _folios: PhantomData<&'a LockedFolio>,
}

impl<'a> PageRun<'a> {
    /// An empty run with room for `n` pages.
    pub(crate) fn with_capacity(n: usize) -> Result<Self> {
        Ok(Self {
            pages: KVec::with_capacity(n, GFP_KERNEL)?,
            bounce: KVec::with_capacity(n, GFP_KERNEL)?,
            mapped: core::ptr::null_mut(),
            _folios: PhantomData,
        })
    }

    /// Appends the page at byte `offset` (a multiple of the page size)
    /// of `folio`.
    pub(crate) fn push_folio_page(&mut self, folio: &'a LockedFolio, offset: usize) -> Result {
        if offset >= folio.size() || offset % bindings::PAGE_SIZE as usize != 0 || !self.mapped.is_null() {
            return Err(EINVAL);
        }
        self.pages.reserve(1, GFP_KERNEL)?;
        self.bounce.reserve(1, GFP_KERNEL)?;
        // SAFETY: the folio is live and locked while borrowed; the page
        // lies inside it (checked above).
        let page = unsafe { bindings::erofs_rs_folio_page(folio.as_ptr(), offset) };
        // Within the capacity reserved above: cannot fail.
        let _ = self.pages.push(page, GFP_KERNEL);
        let _ = self.bounce.push(false, GFP_KERNEL);
        Ok(())
    }

    /// Appends a bounce page: a page of ours whose bytes are thrown away.
    pub(crate) fn push_bounce(&mut self) -> Result {
        if !self.mapped.is_null() {
            return Err(EINVAL);
        }
        self.pages.reserve(1, GFP_KERNEL)?;
        self.bounce.reserve(1, GFP_KERNEL)?;
        // SAFETY: allocates one page; NULL when there is no memory.
        let page = unsafe { bindings::erofs_rs_alloc_page() };
        if page.is_null() {
            return Err(ENOMEM);
        }
        // Within the capacity reserved above: cannot fail.
        let _ = self.pages.push(page, GFP_KERNEL);
        let _ = self.bounce.push(true, GFP_KERNEL);
        Ok(())
    }

    /// The pages as one writable run of bytes (mapped once, then reused).
    pub(crate) fn map(&mut self) -> Result<&mut [u8]> {
        let n = self.pages.len();
        if n == 0 {
            return Err(EINVAL);
        }
        if self.mapped.is_null() {
            let count = u32::try_from(n).map_err(|_| EINVAL)?;
            self.mapped = if n == 1 {
                // SAFETY: a live page of the run (type invariant).
                unsafe { bindings::erofs_rs_kmap_local_page(self.pages[0]) }.cast()
            } else {
                // SAFETY: `pages` holds `count` live pages (type
                // invariant); NULL when no address space is free.
                unsafe { bindings::erofs_rs_vm_map_ram(self.pages.as_mut_ptr(), count) }.cast()
            };
            if self.mapped.is_null() {
                return Err(ENOMEM);
            }
        }
        let len = n * bindings::PAGE_SIZE as usize;
        // SAFETY: `mapped` maps the `n` pages (type invariant), which are
        // ours alone to write while the run lives (the folios are locked
        // and not uptodate; the bounce pages are private).
        Ok(unsafe { core::slice::from_raw_parts_mut(self.mapped, len) })
    }
}

impl Drop for PageRun<'_> {
    fn drop(&mut self) {
        if !self.mapped.is_null() {
            if self.pages.len() == 1 {
                // SAFETY: undoes the kmap_local_page of `map`.
                unsafe { bindings::erofs_rs_kunmap_local(self.mapped.cast()) };
            } else {
                // SAFETY: undoes the vm_map_ram of `map`, of as many pages.
                unsafe { bindings::erofs_rs_vm_unmap_ram(self.mapped.cast(), self.pages.len() as u32) };
            }
        }
        for (&page, &ours) in self.pages.iter().zip(self.bounce.iter()) {
            if ours {
                // SAFETY: a page `push_bounce` allocated, freed once.
                unsafe { bindings::erofs_rs_free_page(page) };
            }
        }
    }
}
