// SPDX-License-Identifier: GPL-2.0

//! fscache on-demand mode, the kernel side (fs/erofs/fscache.c in 6.12):
//! an image is a set of blobs kept by a cache (cachefiles), named by keys
//! in a volume; a blob that is not cached yet is fetched by a userspace
//! daemon when it is read. Each blob in use is a cookie plus an inode of a
//! private pseudo filesystem whose page cache holds the blob's bytes; the
//! filesystem reads images through that page cache as it reads a block
//! device's (see `device.rs`).
//!
//! What EROFS decides (the volume's name, which blobs, the messages) is in
//! `super.rs`; this file only speaks fscache.

use super::bindings;
use super::folio::RangeState;
use super::pseudo::PseudoFs;
use super::{FolioRange, LockedFolio, Readahead};
use core::ffi::{c_int, c_void};
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::c_str;
use kernel::prelude::*;

/// The pseudo filesystem holding the blobs' inodes ("pseudo_erofs" in
/// C): without a bdi of its own, as the blobs are read ahead by us.
pub(crate) static BLOBS_FS: PseudoFs = PseudoFs::new(c_str!("pseudo_erofs_rs"), false);

/// An fscache volume: the namespace of an image's blob keys.
///
/// # Invariants
///
/// `ptr` is a volume acquired by us and not yet relinquished.
pub(crate) struct Volume {
    ptr: *mut bindings::fscache_volume,
}

// SAFETY: fscache volumes are refcounted kernel objects usable from any
// thread; we only pass the pointer back to fscache.
unsafe impl Send for Volume {}
// SAFETY: as above.
unsafe impl Sync for Volume {}

impl Volume {
    /// Acquires the volume `key` in the cache named `cache` (its cachefiles
    /// tag), or in the first cache bound when `None`. `EBUSY` when the key
    /// is in use, `EOPNOTSUPP` when there is no cache.
    pub(crate) fn acquire(key: &CStr, cache: Option<&CStr>) -> Result<Self> {
        let cache = cache.map_or(core::ptr::null(), |c| c.as_char_ptr());
        // SAFETY: both are C strings alive for the call (fscache copies
        // them).
        let ptr = unsafe { bindings::erofs_rs_fscache_acquire_volume(key.as_char_ptr().cast(), cache.cast()) };
        let ptr = super::from_err_ptr(ptr)?;
        if ptr.is_null() {
            return Err(super::error::eopnotsupp());
        }
        // INVARIANT: acquired just above.
        Ok(Self { ptr })
    }
}

impl Drop for Volume {
    fn drop(&mut self) {
        // SAFETY: ours (type invariant), relinquished once; every cookie of
        // it was relinquished before (a `Blob` borrows its volume).
        unsafe { bindings::erofs_rs_fscache_relinquish_volume(self.ptr) };
    }
}

/// What the blob's inode points to (`i_private`): its cookie, and its name
/// for messages.
///
/// # Invariants
///
/// `cookie` is a cookie in use, acquired by us.
struct BlobState {
    cookie: *mut bindings::fscache_cookie,
    /// NUL-terminated.
    name: KVec<u8>,
}

impl BlobState {
    fn name(&self) -> &CStr {
        CStr::from_bytes_with_nul(&self.name).unwrap_or(c_str!("?"))
    }
}

/// One blob of an image in the cache: a cookie in use and the pseudo
/// filesystem's inode whose page cache holds the blob (erofs_fscache).
///
/// # Invariants
///
/// `inode` is an inode of the pseudo mount on which we hold a reference;
/// its `i_private` is `_state`, which stays at a stable address (boxed)
/// until the inode is released.
pub(crate) struct Blob {
    inode: *mut bindings::inode,
    /// Reached by the inode's reads through `i_private`.
    _state: KBox<BlobState>,
}

// SAFETY: the inode and cookie are kernel objects safe to use and release
// from any thread.
unsafe impl Send for Blob {}
// SAFETY: as above; we only read through them.
unsafe impl Sync for Blob {}

impl Blob {
    /// Acquires the blob `name` of `volume`, to be read in blocks of
    /// `1 << blkbits` bytes.
    fn acquire(volume: &Volume, name: &[u8], blkbits: u32) -> Result<Self> {
        let sb = BLOBS_FS.sb();
        if sb.is_null() {
            return Err(super::error::eopnotsupp());
        }
        let mut owned = KVec::with_capacity(name.len() + 1, GFP_KERNEL)?;
        owned.extend_from_slice(name, GFP_KERNEL)?;
        owned.push(0, GFP_KERNEL)?;
        // SAFETY: a live volume (its invariant); fscache copies the key.
        let cookie = unsafe { bindings::erofs_rs_fscache_acquire_cookie(volume.ptr, name.as_ptr().cast(), name.len()) };
        if cookie.is_null() {
            return Err(EINVAL);
        }
        // INVARIANT: the cookie just acquired.
        let state = match KBox::new(BlobState { cookie, name: owned }, GFP_KERNEL) {
            Ok(s) => s,
            Err(e) => {
                // SAFETY: acquired above, dropped once.
                unsafe { bindings::erofs_rs_fscache_drop_cookie(cookie) };
                return Err(e.into());
            }
        };
        let private = (&*state as *const BlobState).cast_mut().cast::<c_void>();
        // The pseudo mount lives as long as the module, so as long as any
        // superblock of ours, which holds the blob.
        // SAFETY: a live superblock; the operations table is a static.
        let inode = unsafe { bindings::erofs_rs_blob_inode(sb, &BLOB_AOPS.0, blkbits, private) };
        if inode.is_null() {
            // `state` drops its cookie.
            return Err(ENOMEM);
        }
        // INVARIANT: our reference from new_inode; `i_private` is the box.
        Ok(Self { inode, _state: state })
    }

    /// The page cache holding the blob.
    pub(super) fn mapping(&self) -> *mut bindings::address_space {
        // SAFETY: we hold a reference on the inode (type invariant).
        unsafe { (*self.inode).i_mapping }
    }
}

impl Drop for Blob {
    fn drop(&mut self) {
        // Eviction waits for reads in flight (they hold their folios
        // locked), so nothing uses `state` after this.
        // SAFETY: our reference (type invariant), dropped once.
        unsafe { bindings::iput(self.inode) };
    }
}

impl Drop for BlobState {
    fn drop(&mut self) {
        // SAFETY: the cookie in use (type invariant), dropped once, after
        // the inode whose reads used it (`Blob::drop` runs first).
        unsafe { bindings::erofs_rs_fscache_drop_cookie(self.cookie) };
    }
}

/// The blobs' `address_space_operations` (erofs_fscache_meta_aops, with
/// readahead: a window is one request to the cache, not one per page).
struct BlobAops(bindings::address_space_operations);

// SAFETY: an immutable table of function pointers.
unsafe impl Sync for BlobAops {}

static BLOB_AOPS: BlobAops = BlobAops(bindings::address_space_operations {
    read_folio: Some(blob_read_folio),
    readahead: Some(blob_readahead),
    // SAFETY: all-zero is a valid table: the other members are optional
    // function pointers.
    ..unsafe { core::mem::zeroed() }
});

/// One read from the cache into part of a [`FolioRange`]: its own cache
/// operation over the blob's cookie, freed by the last of the submitter
/// and the completions of the cache reads it is split into
/// (erofs_fscache_io in C).
///
/// # Invariants
///
/// `range` holds a reference on the range being filled (from
/// `FolioRange::share`), dropped once, when `refs` drops to zero.
struct CacheRead {
    cres: bindings::netfs_cache_resources,
    iter: bindings::iov_iter,
    range: *mut RangeState,
    refs: AtomicU32,
    failed: AtomicBool,
}

/// Drops one reference to `io`; the last ends the cache operation, drops
/// the range reference, and frees `io`.
///
/// # Safety
///
/// `io` must come from `KBox::into_raw` in `read_blob`, and the caller
/// must own one of its references.
unsafe fn put(io: *mut CacheRead) {
    // SAFETY: `io` is live while we own a reference (caller).
    if unsafe { (*io).refs.fetch_sub(1, Ordering::AcqRel) } != 1 {
        return;
    }
    // SAFETY: the last reference: nobody else touches `io` any more.
    let mut io = unsafe { KBox::from_raw(io) };
    // SAFETY: `cres` was zeroed or set up by begin_read; end_operation
    // does nothing for one that was not.
    unsafe { bindings::erofs_rs_fscache_end_operation(&mut io.cres) };
    let ok = !io.failed.load(Ordering::Acquire);
    // SAFETY: our range reference (type invariant), dropped once.
    unsafe { RangeState::put(io.range, ok) };
}

/// The completion of one `fscache_read` (netfs_io_terminated_t).
///
/// # Safety
///
/// Called by the cache once per read submitted by `read_from_cache`, with
/// the `CacheRead` whose reference that read holds.
unsafe extern "C" fn read_done(private: *mut c_void, transferred_or_error: isize, _was_async: bool) {
    let io = private.cast::<CacheRead>();
    if transferred_or_error < 0 {
        // SAFETY: live: this read's reference is not dropped yet.
        unsafe { (*io).failed.store(true, Ordering::Release) };
    }
    // SAFETY: drops this read's reference.
    unsafe { put(io) };
}

/// Submits the reads that fill `io`'s iterator from bytes at `pos` of the
/// blob: one per piece the cache can serve in one go
/// (erofs_fscache_read_io_async).
///
/// # Safety
///
/// `io` must be live with a reference owned by the caller, its `iter` set
/// to the bytes to fill; `state` must be the state of a live blob.
unsafe fn read_from_cache(io: *mut CacheRead, state: &BlobState, mut pos: i64) -> Result {
    // SAFETY: live (caller); the cookie is in use (BlobState invariant).
    let ret = unsafe { bindings::erofs_rs_fscache_begin_read(&mut (*io).cres, state.cookie) };
    if ret != 0 {
        pr_err!("blob {}: no cache to read it from ({})\n", state.name(), ret);
        return Err(EIO);
    }
    loop {
        // SAFETY: live (caller); only the submitter uses `iter`.
        let left = unsafe { bindings::erofs_rs_iov_iter_count(&mut (*io).iter) };
        if left == 0 {
            return Ok(());
        }
        let mut len = left;
        // SAFETY: `cres` was set up by begin_read above.
        if !unsafe { bindings::erofs_rs_fscache_prepare_read(&mut (*io).cres, pos, &mut len) } || len > left {
            pr_err!("blob {}: the cache cannot supply {} bytes at {}\n", state.name(), left, pos);
            return Err(EIO);
        }
        // SAFETY: as above.
        unsafe { bindings::erofs_rs_iov_iter_truncate(&mut (*io).iter, len) };
        // SAFETY: live; the reference is handed to `read_done`.
        unsafe { (*io).refs.fetch_add(1, Ordering::AcqRel) };
        // SAFETY: `io` outlives the read (the reference just taken);
        // `read_done` matches netfs_io_terminated_t.
        let ret = unsafe { bindings::erofs_rs_fscache_read(&mut (*io).cres, pos, &mut (*io).iter, Some(read_done), io.cast()) };
        if ret != 0 {
            // `read_done` was called and dropped the read's reference.
            pr_err!("blob {}: reading {} bytes at {} from the cache failed ({})\n", state.name(), len, pos, ret);
            return Err(Error::from_errno(ret));
        }
        // SAFETY: as above.
        if unsafe { bindings::erofs_rs_iov_iter_count(&mut (*io).iter) } != 0 {
            return Err(EIO);
        }
        // SAFETY: as above.
        unsafe { bindings::erofs_rs_iov_iter_reexpand(&mut (*io).iter, left - len) };
        pos += len as i64;
    }
}

/// Starts filling bytes `[at, at + len)` of `range` with the bytes at
/// `pos` of the blob whose page cache is `blob`, asking the daemon for
/// what is not cached yet; the range's folios end when this and its
/// other pieces are done. On error the range fails.
///
/// # Safety
///
/// `blob` must be a blob inode's page cache, the inode held until the
/// range's folios are ended (a mount's blobs outlive its inodes' page
/// cache, which eviction waits on).
pub(super) unsafe fn read_blob(blob: *mut bindings::address_space, range: &mut FolioRange, at: usize, len: usize, pos: u64) -> Result {
    let pos = i64::try_from(pos).map_err(|_| EINVAL)?;
    let (mapping, file_pos, shared) = match range.share(at, len) {
        Ok(s) => s,
        Err(e) => {
            range.fail();
            return Err(e);
        }
    };
    let io = match KBox::new(
        CacheRead {
            cres: Default::default(),
            iter: Default::default(),
            range: shared,
            refs: AtomicU32::new(1),
            failed: AtomicBool::new(false),
        },
        GFP_KERNEL,
    ) {
        // INVARIANT: the reference just shared.
        Ok(io) => KBox::into_raw(io),
        Err(_) => {
            // SAFETY: the reference just shared, dropped once.
            unsafe { RangeState::put(shared, false) };
            return Err(ENOMEM);
        }
    };
    // SAFETY: a blob inode's page cache (caller), whose `i_private` is its
    // live state (Blob invariant: the inode is held while it is read).
    let state = unsafe { &*(*(*blob).host).i_private.cast::<BlobState>() };
    // SAFETY: `io` is ours (one reference) and live; the range's folios
    // are locked for it.
    unsafe { bindings::erofs_rs_iov_iter_mapping(&mut (*io).iter, mapping, file_pos, len) };
    // SAFETY: `io` is live with our reference; `state` is a live blob's.
    let ret = unsafe { read_from_cache(io, state, pos) };
    if ret.is_err() {
        // SAFETY: live while we hold our reference.
        unsafe { (*io).failed.store(true, Ordering::Release) };
    }
    // SAFETY: drops our reference.
    unsafe { put(io) };
    ret
}

/// Reads a locked range of a blob's own page cache from the cache.
fn read_blob_range(mut range: FolioRange, blob: *mut bindings::address_space) -> Result {
    let (len, pos) = (range.len(), range.start());
    // SAFETY: the range is of the blob's own page cache, whose inode is
    // held while it is read (its folios are locked).
    unsafe { read_blob(blob, &mut range, 0, len, pos) }
}

/// `read_folio` of a blob (erofs_fscache_meta_read_folio).
///
/// # Safety
///
/// Called by the page cache with a locked folio of a blob inode.
unsafe extern "C" fn blob_read_folio(_file: *mut bindings::file, folio: *mut bindings::folio) -> c_int {
    // SAFETY: a locked folio, ours to end (caller).
    let locked = unsafe { LockedFolio::from_raw(folio) };
    // SAFETY: as above: a folio of a blob inode.
    let mapping = unsafe { (*bindings::erofs_rs_folio_inode(folio)).i_mapping };
    match locked.into_range().and_then(|r| read_blob_range(r, mapping)) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `readahead` of a blob: the whole window in one request.
///
/// # Safety
///
/// Called by the page cache with a readahead request on a blob inode.
unsafe extern "C" fn blob_readahead(rac: *mut bindings::readahead_control) {
    // SAFETY: the request of this call, which `ra` does not outlive; no
    // owner: blob folios are read as a range, never as a batch.
    let mut ra = unsafe { Readahead::from_raw(rac, core::ptr::null_mut()) };
    if let Some(range) = ra.into_range() {
        // SAFETY: the request's mapping is a blob inode's.
        let _ = read_blob_range(range, unsafe { (*rac).mapping });
    }
}

/// The shared domains of this module's mounts (erofs_domain_list and
/// erofs_domain_cookies_list in C): each domain is a volume that every
/// mount naming the domain uses, with its blobs shared by name, so two
/// images of a domain that use the same blob use one cookie and one page
/// cache for it. Entries are counted by their users and go when the last
/// one does.
struct Registry(core::cell::UnsafeCell<KVec<DomainEntry>>);

// SAFETY: the list is only touched with `erofs_rs_domains_mutex` held
// (`with_registry`).
unsafe impl Sync for Registry {}

static REGISTRY: Registry = Registry(core::cell::UnsafeCell::new(KVec::new()));

struct DomainEntry {
    id: KVec<u8>,
    /// Mounts of the domain (`Domain` values).
    users: usize,
    /// Dropped after `blobs` (field order): their cookies are in it.
    blobs: KVec<BlobEntry>,
    volume: Volume,
}

struct BlobEntry {
    name: KVec<u8>,
    /// `SharedBlob` values.
    users: usize,
    blob: Blob,
}

/// Runs `f` on the registry with its lock held.
fn with_registry<R>(f: impl FnOnce(&mut KVec<DomainEntry>) -> R) -> R {
    // SAFETY: a plain kernel mutex, taken in process context.
    unsafe { bindings::erofs_rs_domains_lock() };
    // SAFETY: the mutex makes this the only reference to the list.
    let r = f(unsafe { &mut *REGISTRY.0.get() });
    // SAFETY: taken above.
    unsafe { bindings::erofs_rs_domains_unlock() };
    r
}

/// Takes element `i` out of `v`, the last one taking its place (6.12's
/// `KVec` has no removal). An emptied `v` gives its buffer back: the
/// registry is a static, never dropped, so a buffer it kept would outlive
/// the module (kmemleak found them after rmmod).
fn swap_remove<T>(v: &mut KVec<T>, i: usize) -> T {
    let last = v.len() - 1;
    v.as_mut_slice().swap(i, last);
    // SAFETY: `last` is in bounds; its element is read out once, and the
    // length shrinks right after so it is never dropped or read again.
    let item = unsafe { v.as_ptr().add(last).read() };
    // SAFETY: the elements below `last` stay initialised.
    unsafe { v.set_len(last) };
    if v.is_empty() {
        *v = KVec::new();
    }
    item
}

fn copy(bytes: &[u8]) -> Result<KVec<u8>> {
    let mut v = KVec::with_capacity(bytes.len(), GFP_KERNEL)?;
    v.extend_from_slice(bytes, GFP_KERNEL)?;
    Ok(v)
}

/// A mount's use of a shared domain (erofs_fscache_register_domain).
///
/// # Invariants
///
/// The registry has an entry with `id`, whose `users` counts this value.
pub(crate) struct Domain {
    id: KVec<u8>,
}

impl Domain {
    /// Joins the domain `id`, whose volume is `key` in cache `cache`:
    /// acquired by the first mount of the domain, shared by the others.
    pub(crate) fn join(id: &[u8], key: &CStr, cache: Option<&CStr>) -> Result<Self> {
        let id = copy(id)?;
        with_registry(|domains| {
            if let Some(d) = domains.iter_mut().find(|d| d.id == id) {
                d.users += 1;
            } else {
                let volume = Volume::acquire(key, cache)?;
                domains.push(DomainEntry { id: copy(&id)?, users: 1, blobs: KVec::new(), volume }, GFP_KERNEL)?;
            }
            // INVARIANT: counted just above.
            Ok(Self { id })
        })
    }

    /// The blob `name` of the domain, shared with the other mounts using
    /// it; with `exclusive`, `EEXIST` if another mount uses it already (a
    /// primary blob belongs to one mount).
    pub(crate) fn blob(&self, name: &[u8], exclusive: bool, blkbits: u32) -> Result<SharedBlob> {
        let name = copy(name)?;
        with_registry(|domains| {
            let d = domains.iter_mut().find(|d| d.id == self.id).ok_or(EINVAL)?;
            let mapping = if let Some(b) = d.blobs.iter_mut().find(|b| b.name == name) {
                if exclusive {
                    return Err(EEXIST);
                }
                b.users += 1;
                b.blob.mapping()
            } else {
                let blob = Blob::acquire(&d.volume, &name, blkbits)?;
                let mapping = blob.mapping();
                d.blobs.push(BlobEntry { name: copy(&name)?, users: 1, blob }, GFP_KERNEL)?;
                mapping
            };
            // INVARIANT: counted just above, in this domain.
            Ok(SharedBlob { domain: copy(&self.id)?, name, mapping })
        })
    }
}

impl Drop for Domain {
    fn drop(&mut self) {
        with_registry(|domains| {
            let Some(i) = domains.iter().position(|d| d.id == self.id) else { return };
            domains[i].users -= 1;
            // The blobs of the domain's mounts went first (each mount
            // drops its blobs before its domain).
            if domains[i].users == 0 && domains[i].blobs.is_empty() {
                // The volume is relinquished with the lock held, as in C:
                // a mount joining now acquires a new one after it.
                drop(swap_remove(domains, i));
            }
        });
    }
}

/// A mount's use of a blob of its shared domain.
///
/// # Invariants
///
/// The registry's domain `domain` has a blob `name`, whose `users` counts
/// this value, and whose page cache is `mapping`.
pub(crate) struct SharedBlob {
    domain: KVec<u8>,
    name: KVec<u8>,
    mapping: *mut bindings::address_space,
}

// SAFETY: `mapping` is a page cache, usable from any thread; the rest is
// plain data.
unsafe impl Send for SharedBlob {}
// SAFETY: as above.
unsafe impl Sync for SharedBlob {}

impl SharedBlob {
    pub(super) fn mapping(&self) -> *mut bindings::address_space {
        self.mapping
    }
}

impl Drop for SharedBlob {
    fn drop(&mut self) {
        with_registry(|domains| {
            let Some(d) = domains.iter_mut().find(|d| d.id == self.domain) else { return };
            let Some(i) = d.blobs.iter().position(|b| b.name == self.name) else { return };
            d.blobs[i].users -= 1;
            if d.blobs[i].users == 0 {
                drop(swap_remove(&mut d.blobs, i));
            }
            // A domain whose mounts are gone goes with its last blob.
            if d.users == 0 && d.blobs.is_empty() {
                if let Some(i) = domains.iter().position(|d| d.id == self.domain) {
                    drop(swap_remove(domains, i));
                }
            }
        });
    }
}

/// Where a mount's blobs come from: a volume of its own, or its shared
/// domain.
pub(crate) enum BlobSource {
    Volume(Volume),
    Domain(Domain),
}

impl BlobSource {
    /// The device of blob `name`, read in pages; with `exclusive`, a
    /// blob another mount of the domain uses is refused (`EEXIST`).
    pub(crate) fn device(&self, name: &[u8], exclusive: bool) -> Result<super::Device> {
        let blkbits = bindings::PAGE_SHIFT;
        Ok(match self {
            Self::Volume(v) => super::Device::blob(Blob::acquire(v, name, blkbits)?),
            Self::Domain(d) => super::Device::shared_blob(d.blob(name, exclusive, blkbits)?),
        })
    }
}
