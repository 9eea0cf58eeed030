// SPDX-License-Identifier: GPL-2.0

//! Locked page-cache folios being filled by `read_folio` and readahead.

use super::bindings;

/// A locked folio that `read_folio` must fill and then unlock.
///
/// # Invariants
///
/// `ptr` is a locked, not-uptodate folio of the inode being read, handed
/// to `read_folio`; it is ended (unlocked) exactly once, by `end`.
pub(crate) struct LockedFolio {
    ptr: *mut bindings::folio,
}

impl LockedFolio {
    /// # Safety
    ///
    /// `ptr` must be the locked folio passed to `read_folio`.
    pub(super) unsafe fn from_raw(ptr: *mut bindings::folio) -> Self {
        // INVARIANT: guaranteed by the caller.
        Self { ptr }
    }

    /// Byte position of the folio in its file.
    pub(crate) fn pos(&self) -> u64 {
        // SAFETY: the folio is live and locked (type invariant).
        unsafe { bindings::erofs_rs_folio_pos(self.ptr) as u64 }
    }

    /// Size of the folio in bytes.
    pub(crate) fn size(&self) -> usize {
        // SAFETY: the folio is live and locked (type invariant).
        unsafe { bindings::erofs_rs_folio_size(self.ptr) }
    }

    /// Calls `f` with the bytes of the page at `page_offset` (a multiple of
    /// the page size) of the folio, writable.
    pub(crate) fn with_page<R>(&mut self, page_offset: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
        let page = bindings::PAGE_SIZE as usize;
        let off = page_offset.min(self.size().saturating_sub(page)) / page * page;
        // SAFETY: the offset is a page inside the folio; while locked and
        // not uptodate, nobody else reads or writes its contents.
        let p = unsafe { bindings::erofs_rs_kmap_local_folio(self.ptr, off) } as *mut u8;
        // SAFETY: `p` maps one whole page that we own exclusively (above).
        let bytes = unsafe { core::slice::from_raw_parts_mut(p, page) };
        let r = f(bytes);
        // SAFETY: unmaps the mapping made above; `bytes` is no longer used.
        unsafe { bindings::erofs_rs_kunmap_local(p.cast()) };
        r
    }

    /// Marks the folio uptodate when `ok` and unlocks it.
    pub(crate) fn end(self, ok: bool) {
        // SAFETY: ends the read of the locked folio we were given, once
        // (this consumes `self`).
        unsafe { bindings::erofs_rs_folio_end_read(self.ptr, ok) };
    }
}

/// A readahead request: the locked folios it brought into the page cache,
/// handed out one at a time.
///
/// # Invariants
///
/// `ptr` is the `readahead_control` passed to `->readahead`, live for the
/// call; folios it has not handed out are unlocked by the VFS afterwards.
pub(crate) struct Readahead {
    ptr: *mut bindings::readahead_control,
}

impl Readahead {
    /// # Safety
    ///
    /// `ptr` must be the request passed to `->readahead`, and the value
    /// must not outlive that call.
    pub(super) unsafe fn from_raw(ptr: *mut bindings::readahead_control) -> Self {
        // INVARIANT: guaranteed by the caller.
        Self { ptr }
    }

    /// The file range the request covers: (offset, length) in bytes.
    pub(crate) fn range(&self) -> (u64, u64) {
        let (mut pos, mut len) = (0, 0);
        // SAFETY: the request is live (type invariant).
        unsafe { bindings::erofs_rs_readahead_range(self.ptr, &mut pos, &mut len) };
        (pos as u64, len as u64)
    }

    /// The next folio of the request, locked and not uptodate; it must be
    /// ended with [`LockedFolio::end`].
    pub(crate) fn next_folio(&mut self) -> Option<LockedFolio> {
        // readahead_folio drops the reference the request held; the page
        // cache keeps its own while the folio stays locked.
        // SAFETY: the request is live (type invariant).
        let f = unsafe { bindings::erofs_rs_readahead_folio(self.ptr) };
        // SAFETY: a locked folio of the request, ours to fill and end.
        (!f.is_null()).then(|| unsafe { LockedFolio::from_raw(f) })
    }
}
