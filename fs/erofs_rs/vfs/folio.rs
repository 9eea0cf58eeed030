// SPDX-License-Identifier: GPL-2.0

//! Locked page-cache folios being filled by `read_folio` and readahead.

use super::bindings;
use super::{FileSystem, Inode};
use core::marker::PhantomData;
use core::ptr::NonNull;
#[cfg(erofs_rs_fscache)]
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::prelude::*;

/// A locked folio that `read_folio` must fill and then unlock; dropped
/// without `end`, its read fails (it is unlocked, not uptodate).
///
/// # Invariants
///
/// `ptr` is a locked, not-uptodate folio of the inode being read, handed
/// to `read_folio`; it is ended (unlocked) exactly once, by `end` or on
/// drop.
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

    /// Calls `f` with all the bytes of the folio, writable, when they can
    /// be addressed as one slice (its pages follow each other in the
    /// kernel's direct map: always, unless the kernel has highmem);
    /// `None` without calling it otherwise.
    pub(crate) fn with_bytes<R>(&mut self, f: impl FnOnce(&mut [u8]) -> R) -> Option<R> {
        // SAFETY: the folio is live and locked (type invariant).
        let p = unsafe { bindings::erofs_rs_folio_address(self.ptr) } as *mut u8;
        if p.is_null() {
            return None;
        }
        // Without highmem a folio's pages are contiguous in the direct
        // map; while it is locked and not uptodate, nobody else reads or
        // writes them.
        // SAFETY: `p` addresses the folio's `size()` bytes, ours alone.
        let bytes = unsafe { core::slice::from_raw_parts_mut(p, self.size()) };
        Some(f(bytes))
    }

    /// Marks the folio uptodate when `ok` and unlocks it.
    pub(crate) fn end(self, ok: bool) {
        let ptr = self.ptr;
        core::mem::forget(self);
        // SAFETY: ends the read of the locked folio we were given, once
        // (`self` is consumed without running its drop).
        unsafe { bindings::erofs_rs_folio_end_read(ptr, ok) };
    }

    /// Hands the folio over to a [`FolioRange`] read.
    #[cfg(erofs_rs_fscache)]
    pub(crate) fn into_range(self) -> Result<FolioRange> {
        // SAFETY: the folio is live and locked (type invariant).
        let (mapping, pos, size) = unsafe {
            (
                (*bindings::erofs_rs_folio_inode(self.ptr)).i_mapping,
                bindings::erofs_rs_folio_pos(self.ptr),
                bindings::erofs_rs_folio_size(self.ptr),
            )
        };
        // On failure `self` drops, failing the folio's read.
        let range = FolioRange::alloc(mapping, pos, size)?;
        core::mem::forget(self);
        // INVARIANT: the range's one folio is locked and now the range's
        // to end.
        Ok(range)
    }
}

// SAFETY: a folio's lock is not the locking task's: the folio may be
// filled and unlocked from any context, as bio completions do.
unsafe impl Send for LockedFolio {}

impl Drop for LockedFolio {
    fn drop(&mut self) {
        // SAFETY: the locked folio we were given, not ended yet (`end`
        // forgets `self`), ended once here.
        unsafe { bindings::erofs_rs_folio_end_read(self.ptr, false) };
    }
}

/// A readahead request: the locked folios it brought into the page cache,
/// handed out one at a time.
///
/// # Invariants
///
/// `ptr` is the `readahead_control` passed to `->readahead`, live for the
/// call; folios it has not handed out are unlocked by the VFS afterwards.
/// `owner`, when not null, is the inode whose page cache the request
/// fills, and the inode `->readahead` was handed for it (null for a
/// shared inode, which is read through a member of another mapping).
pub(crate) struct Readahead {
    ptr: *mut bindings::readahead_control,
    owner: *mut bindings::inode,
}

impl Readahead {
    /// # Safety
    ///
    /// `ptr` must be the request passed to `->readahead`, and the value
    /// must not outlive that call. `owner` is null or the inode of the
    /// request's mapping.
    pub(super) unsafe fn from_raw(ptr: *mut bindings::readahead_control, owner: *mut bindings::inode) -> Self {
        // INVARIANT: guaranteed by the caller.
        Self { ptr, owner }
    }

    /// Takes every folio of the request, to be filled and ended later,
    /// elsewhere ([`FolioBatch::spawn`]); `None` when it is not `inode`'s
    /// own request, has no folio, or there is no memory (the folios are
    /// then left to [`Readahead::next_folio`]).
    pub(crate) fn take_batch<T: FileSystem>(&mut self, inode: &Inode<T>) -> Option<FolioBatch<T>> {
        let owner = NonNull::new(self.owner).filter(|o| o.as_ptr() == inode.as_ptr())?;
        // SAFETY: the request is live (type invariant).
        let count = unsafe { bindings::erofs_rs_readahead_count(self.ptr) } as usize;
        // kvmalloc: a request grown to a big extent holds thousands of
        // folios, more than kmalloc should be asked for (it warns when it
        // cannot give them; kvmalloc falls back to vmalloc quietly).
        let mut folios = KVVec::with_capacity(count, GFP_KERNEL).ok()?;
        let mut last = self.next_folio()?;
        while let Some(folio) = self.next_folio() {
            // Within the capacity (the request's page count bounds its
            // folio count), so never allocating; on failure the folio
            // pushed is dropped, which ends it unread.
            folios.push(core::mem::replace(&mut last, folio), GFP_KERNEL).ok()?;
        }
        // INVARIANT: `last` is a locked folio of `owner`'s page cache
        // (the request's mapping is the owner's).
        Some(FolioBatch { inode: owner, folios, last, _type: PhantomData })
    }

    /// The file range the request covers: (offset, length) in bytes.
    pub(crate) fn range(&self) -> (u64, u64) {
        let (mut pos, mut len) = (0, 0);
        // SAFETY: the request is live (type invariant).
        unsafe { bindings::erofs_rs_readahead_range(self.ptr, &mut pos, &mut len) };
        (pos as u64, len as u64)
    }

    /// Grows the request to cover `[start, start + len)`
    /// (readahead_expand): folios of that range not in the page cache are
    /// added to it, on each side up to the first one that is there. Call
    /// before taking any folio. The folios added are locked and part of
    /// the request like the others: handed out by `next_folio`, or
    /// unlocked by the VFS when not taken.
    pub(crate) fn expand(&mut self, start: u64, len: u64) {
        let (Ok(start), Ok(len)) = (i64::try_from(start), usize::try_from(len)) else { return };
        // SAFETY: the request is live (type invariant).
        unsafe { bindings::readahead_expand(self.ptr, start, len) };
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

    /// Takes every folio of the request, to be read as one
    /// [`FolioRange`]; `None` when it has none or there is no memory
    /// (the folios are then left to the VFS, to be read one by one).
    #[cfg(erofs_rs_fscache)]
    pub(crate) fn into_range(&mut self) -> Option<FolioRange> {
        let (pos, len) = self.range();
        if len == 0 {
            return None;
        }
        // SAFETY: the request is live (type invariant).
        let mapping = unsafe { (*self.ptr).mapping };
        let range = FolioRange::alloc(mapping, pos as i64, len as usize).ok()?;
        // The folios stay locked, and in the page cache, until the range
        // ends them.
        // SAFETY: the request is live (type invariant).
        while !unsafe { bindings::erofs_rs_readahead_folio(self.ptr) }.is_null() {}
        // INVARIANT: the request's folios cover the range it reported and
        // are now the range's to end.
        Some(range)
    }
}

/// What a [`FolioRange`] points to, shared with the asynchronous reads
/// filling it; freed by the last of them.
#[cfg(erofs_rs_fscache)]
pub(super) struct RangeState {
    mapping: *mut bindings::address_space,
    start: i64,
    len: usize,
    refs: AtomicU32,
    failed: AtomicBool,
}

/// The locked folios covering `[start, start + len)` of a page cache,
/// filled piece by piece — bytes copied or zeroed in place, or read into
/// them asynchronously (a blob read from the cache, in `fscache.rs`) —
/// and ended, uptodate unless a piece failed, when the filler has dropped
/// this value and every read under way has completed
/// (erofs_fscache_rq in C).
///
/// # Invariants
///
/// `state` was made by `alloc` and holds one reference for this value;
/// the folios of its range are locked, not uptodate, and ended exactly
/// once, by whoever drops the last reference.
#[cfg(erofs_rs_fscache)]
pub(crate) struct FolioRange {
    state: *mut RangeState,
}

#[cfg(erofs_rs_fscache)]
impl FolioRange {
    /// A range of `mapping`, whose folios the caller hands over (see the
    /// type invariant) once this succeeds.
    pub(super) fn alloc(mapping: *mut bindings::address_space, start: i64, len: usize) -> Result<Self> {
        let state = KBox::new(RangeState { mapping, start, len, refs: AtomicU32::new(1), failed: AtomicBool::new(false) }, GFP_KERNEL)?;
        Ok(Self { state: KBox::into_raw(state) })
    }

    fn state(&self) -> &RangeState {
        // SAFETY: live while we hold our reference (type invariant).
        unsafe { &*self.state }
    }

    /// Position of the range in its file, in bytes.
    pub(crate) fn start(&self) -> u64 {
        self.state().start as u64
    }

    /// Length in bytes (whole folios).
    pub(crate) fn len(&self) -> usize {
        self.state().len
    }

    /// Checks that `[at, at + len)` lies in the range; its file position.
    fn locate(&self, at: usize, len: usize) -> Result<i64> {
        if at.checked_add(len).map_or(true, |end| end > self.len()) {
            return Err(EINVAL);
        }
        Ok(self.state().start + at as i64)
    }

    /// Zeroes bytes `[at, at + len)` of the range.
    pub(crate) fn zero(&mut self, at: usize, len: usize) -> Result {
        let pos = self.locate(at, len)?;
        // SAFETY: the folios of the range are locked for us (type
        // invariant): nobody else reads or writes them.
        let done = unsafe { bindings::erofs_rs_mapping_zero(self.state().mapping, pos, len) };
        if done != len {
            return Err(EIO);
        }
        Ok(())
    }

    /// Copies `bytes` into the range at `at`.
    pub(crate) fn copy(&mut self, at: usize, bytes: &[u8]) -> Result {
        let pos = self.locate(at, bytes.len())?;
        // SAFETY: as in `zero`; `bytes` is readable for its length.
        let done = unsafe { bindings::erofs_rs_mapping_copy(self.state().mapping, pos, bytes.as_ptr().cast(), bytes.len()) };
        if done != bytes.len() {
            return Err(EIO);
        }
        Ok(())
    }

    /// The read of the range fails: its folios end not uptodate.
    pub(crate) fn fail(&mut self) {
        self.state().failed.store(true, Ordering::Release);
    }

    /// A new reference for an asynchronous read of `[at, at + len)`: its
    /// page cache, file position, and the state to pass to `put` when the
    /// read is done.
    pub(super) fn share(&self, at: usize, len: usize) -> Result<(*mut bindings::address_space, i64, *mut RangeState)> {
        let pos = self.locate(at, len)?;
        self.state().refs.fetch_add(1, Ordering::AcqRel);
        Ok((self.state().mapping, pos, self.state))
    }
}

#[cfg(erofs_rs_fscache)]
impl RangeState {
    /// Drops a reference taken by [`FolioRange::share`], marking the range
    /// failed unless `ok`; the last one ends the folios and frees `state`.
    ///
    /// # Safety
    ///
    /// `state` must come from `share`, each of its references dropped once.
    pub(super) unsafe fn put(state: *mut RangeState, ok: bool) {
        // SAFETY: live while the caller's reference is (caller).
        let s = unsafe { &*state };
        if !ok {
            s.failed.store(true, Ordering::Release);
        }
        if s.refs.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        // SAFETY: the last reference: nobody else touches the state.
        let s = unsafe { KBox::from_raw(state) };
        let ok = !s.failed.load(Ordering::Acquire);
        // SAFETY: the folios of the range, locked for it (FolioRange
        // invariant), ended once here by the last reference.
        unsafe { bindings::erofs_rs_mapping_end_read(s.mapping, s.start, s.len, ok) };
    }
}

#[cfg(erofs_rs_fscache)]
impl Drop for FolioRange {
    fn drop(&mut self) {
        // SAFETY: our own reference (type invariant), dropped once.
        unsafe { RangeState::put(self.state, true) };
    }
}

/// The folios of a readahead request, taken to be filled on the module's
/// workqueue (as the C driver decodes readahead in `z_erofs_workqueue`).
///
/// # Invariants
///
/// `inode` is an inode of `T`, and `last` a locked folio of its page
/// cache, locked until the batch is consumed. A locked folio keeps its
/// inode, and with it the superblock, alive: eviction (and so unmounting)
/// waits for it in truncate_inode_pages_final. `folios` are locked
/// folios of the same page cache, before `last` in file order.
pub(crate) struct FolioBatch<T: FileSystem> {
    inode: NonNull<bindings::inode>,
    folios: KVVec<LockedFolio>,
    last: LockedFolio,
    _type: PhantomData<fn() -> T>,
}

// SAFETY: the folios may be ended from any context (`LockedFolio` is
// Send), and the inode is only used through a shared reference while
// `last` keeps it alive; an inode of `T` is shared between tasks by the
// VFS anyway (its data is `Sync`, required by `FileSystem`).
unsafe impl<T: FileSystem> Send for FolioBatch<T> {}

/// What fills a [`FolioBatch`]: given the inode, every folio but the
/// last, to be ended as they are filled, and the last one, to be filled
/// only; it returns whether the last one was filled.
pub(crate) type BatchFill<T> = fn(&Inode<T>, KVVec<LockedFolio>, &mut LockedFolio) -> bool;

impl<T: FileSystem> FolioBatch<T> {
    /// Fills the batch with `fill` on the module's workqueue, or, when the
    /// queue cannot take it, leaves its folios unread (the VFS reads them
    /// one by one when they are wanted).
    pub(crate) fn spawn(self, fill: BatchFill<T>) {
        // On failure the job is dropped with the batch, which ends every
        // folio unread.
        let _ = super::workqueue::spawn(move || self.fill_here(fill));
    }

    /// Fills the batch with `fill` in this context.
    pub(crate) fn fill_here(mut self, fill: BatchFill<T>) {
        let folios = core::mem::replace(&mut self.folios, KVVec::new());
        // `fill` cannot keep the reference beyond its call.
        // SAFETY: `last` stays locked until `end` below: the inode lives.
        let inode = unsafe { Inode::<T>::from_raw(self.inode.as_ptr()) };
        let ok = fill(inode, folios, &mut self.last);
        // `fill` may have swapped `last` with another folio of the batch,
        // still locked: whichever is here is the one ended last.
        let Self { last, .. } = self;
        last.end(ok);
    }
}
