// SPDX-License-Identifier: GPL-2.0

//! Page cache sharing, the kernel side (fs/erofs/ishare.c in 7.x): files
//! of different mounts whose content keys are equal read through one
//! page cache, that of a *shared inode* on a private pseudo filesystem.
//! What a key is (domain and fingerprint) and whether a file may share
//! (the mount options, the checking mode) is decided in `ishare.rs`.
//!
//! How it works, on 6.12 and 7.x alike:
//! - A real inode joins on its first open (7.x joins when it reads the
//!   inode, which costs an xattr lookup on every `stat`): the shared inode
//!   of its key is found or made (`iget5_locked` on the pseudo
//!   superblock, hashed by xxh32 of the key), and the real inode holds a
//!   reference to it until it is evicted. A shared inode whose last real
//!   inode is evicted is dropped with its page cache: the shared cache
//!   lives as long as some mount has the file in memory.
//! - An open file of a joined inode has its `f_mapping` pointed at the
//!   shared inode's page cache, as a block device file's `f_mapping` is
//!   the device inode's. `read`, `splice`, `sendfile`, `mmap` faults and
//!   fadvise all go through `f_mapping`, so they are served from the
//!   shared cache with no operation of our own. 7.x opens a second
//!   "backing" file on the shared inode and forwards each operation to it;
//!   6.12 has no stable way to do that (its `backing_file_open` serves
//!   overlayfs's write paths), while `f_mapping` redirection behaves the
//!   same on both.
//! - The shared cache is filled through the operations of the real
//!   inodes: read_folio/readahead (and iomap's mapping callback) of a
//!   folio whose host is a shared inode take a reference on any member
//!   and map the data through it, as `erofs_real_inode` does in C. Only
//!   inodes with the same page cache operations, size and block size
//!   share an inode, so any member reads any folio the same way.

use super::bindings;
use super::fs_type::FileSystem;
use super::inode::Inode;
use super::pseudo::{PseudoFs, PseudoOps, SuperOps};
use super::ARef;
use core::ffi::{c_int, c_void};
use core::ptr::NonNull;
use core::sync::atomic::{AtomicUsize, Ordering};
use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::{new_mutex, Mutex};

/// The pseudo filesystem of the shared inodes. It has a bdi of its own:
/// `f_mapping`'s host decides a file's readahead window and fadvise.
pub(crate) static SHARED_FS: PseudoFs = PseudoFs::new(c_str!("erofs_rs_ishare"), true);

/// What a real inode's share slot holds besides a shared inode pointer.
const NOT_TRIED: usize = 0;
const REFUSED: usize = 1;

/// What a shared inode's `i_private` points to.
///
/// # Invariants
///
/// The non-zero entries of `members` are the addresses of the real
/// inodes that joined and are not yet evicted; each leaves (zeroing its
/// entry, under the lock) before its memory goes. Zero entries are free
/// slots (the kernel's vector has no removal on every kernel we build
/// for).
#[pin_data]
struct SharedState {
    key: KVec<u8>,
    #[pin]
    members: Mutex<KVec<usize>>,
}

impl SharedState {
    fn new(key: &[u8]) -> Result<Pin<KBox<Self>>> {
        let mut k = KVec::with_capacity(key.len(), GFP_KERNEL)?;
        k.extend_from_slice(key, GFP_KERNEL)?;
        KBox::pin_init(try_pin_init!(Self { key: k, members <- new_mutex!(KVec::new()) }? Error), GFP_KERNEL)
    }
}

/// The shared inodes' superblock operations: a shared inode is dropped
/// as soon as nobody holds it (its members hold it), and its state goes
/// with it.
struct SharedSops;

static SHARED_SOPS: SuperOps = SuperOps(bindings::super_operations {
    statfs: Some(bindings::simple_statfs),
    drop_inode: Some(bindings::erofs_rs_drop_inode_always),
    free_inode: Some(free_shared_inode),
    // SAFETY: the other members are optional function pointers: zero is
    // None.
    ..unsafe { core::mem::zeroed() }
});

impl PseudoOps for SharedSops {
    const SOPS: &'static SuperOps = &SHARED_SOPS;
}

/// Mounts the shared inodes' pseudo filesystem for the module's life.
pub(crate) fn mount() -> Result<super::pseudo::PseudoMount> {
    super::pseudo::PseudoMount::new_with::<SharedSops>(&SHARED_FS)
}

/// `super_operations::free_inode` of shared inodes (after RCU).
///
/// # Safety
///
/// Called by the VFS once per inode of the pseudo superblock, when
/// nobody can reach it any more.
unsafe extern "C" fn free_shared_inode(inode: *mut bindings::inode) {
    // SAFETY: the inode is unreachable (caller); `i_private` is null or
    // the state `join` gave it, whose box we take back once.
    unsafe {
        let state = (*inode).i_private.cast::<SharedState>();
        if !state.is_null() {
            drop(Pin::new_unchecked(KBox::from_raw(state)));
        }
        bindings::free_inode_nonrcu(inode);
    }
}

/// `iget5_locked`'s test: is this the shared inode of key `data`?
///
/// # Safety
///
/// Called under the inode hash lock with an inode of the pseudo
/// superblock, whose `i_private` was set by `set_state` under that lock,
/// and with the `SharedState` that `join` passed.
unsafe extern "C" fn test_state(inode: *mut bindings::inode, data: *mut c_void) -> c_int {
    // SAFETY: both states are live (caller): the inode's is freed after
    // it leaves the hash, ours is the caller's.
    let (have, want) = unsafe { (&*(*inode).i_private.cast::<SharedState>(), &*data.cast::<SharedState>()) };
    (have.key[..] == want.key[..]) as c_int
}

/// `iget5_locked`'s set: a new shared inode takes the state `data`.
///
/// # Safety
///
/// Called under the inode hash lock with a new inode and `join`'s state.
unsafe extern "C" fn set_state(inode: *mut bindings::inode, data: *mut c_void) -> c_int {
    // SAFETY: a new inode only we see (caller).
    unsafe { (*inode).i_private = data };
    0
}

/// A real inode's membership: the shared inode it joined, or why not.
pub(super) enum Share {
    /// Not a member: never tried, or refused.
    No,
    /// A member of this shared inode (`inode`'s slot holds a reference).
    Member(*mut bindings::inode),
}

/// The slot of a real inode, as `Share`.
fn slot_state(slot: &AtomicUsize) -> Option<Share> {
    match slot.load(Ordering::Acquire) {
        NOT_TRIED => None,
        REFUSED => Some(Share::No),
        p => Some(Share::Member(p as *mut bindings::inode)),
    }
}

/// Makes `inode` a member of the shared inode of `key`, if it has not
/// tried yet (`key` is only asked for then; `None` refuses). Returns the
/// shared inode it is a member of.
pub(super) fn join<T: FileSystem>(inode: &Inode<T>, key: impl FnOnce() -> Result<Option<KVec<u8>>>) -> Result<Share> {
    let slot = inode.share_slot();
    if let Some(s) = slot_state(slot) {
        return Ok(s);
    }
    let refuse = || {
        // A concurrent opener may have joined meanwhile: keep that.
        let _ = slot.compare_exchange(NOT_TRIED, REFUSED, Ordering::AcqRel, Ordering::Acquire);
        Ok(slot_state(slot).unwrap_or(Share::No))
    };
    let key = match key() {
        Ok(Some(k)) => k,
        Ok(None) => return refuse(),
        Err(e) => return Err(e),
    };
    let sb = SHARED_FS.sb();
    if sb.is_null() {
        return refuse();
    }
    let state = SharedState::new(&key)?;
    // SAFETY: we give the box to the inode if `set_state` takes it (then
    // `free_shared_inode` frees it) and take it back below otherwise.
    let state_ptr = unsafe { KBox::into_raw(Pin::into_inner_unchecked(state)) };
    let hash = crate::format::xattr::xxh32(&key, 0);
    // SAFETY: a live superblock of the module's pseudo mount; the
    // callbacks match iget5_locked's contract (see each).
    let shared = unsafe { bindings::iget5_locked(sb, hash as _, Some(test_state), Some(set_state), state_ptr.cast()) };
    if shared.is_null() {
        // SAFETY: iget5_locked made no inode, so `set_state` did not run.
        drop(unsafe { KBox::from_raw(state_ptr) });
        return Err(ENOMEM);
    }
    let real = inode.as_ptr();
    // SAFETY: `shared` is a referenced inode of the pseudo superblock;
    // while it is new (locked) only we set it up. The real inode is live.
    unsafe {
        if (*shared).i_private.cast::<SharedState>() != state_ptr {
            // An existing shared inode: our state was not used.
            drop(KBox::from_raw(state_ptr));
        }
        if bindings::erofs_rs_inode_is_new(shared) {
            bindings::erofs_rs_inode_set_attrs(shared, 0o100444, 0, 0, 1, (*real).i_size, 0, 0, 0, 0, 0);
            (*shared).i_blkbits = (*real).i_blkbits;
            (*(*shared).i_mapping).a_ops = (*(*real).i_mapping).a_ops;
            bindings::unlock_new_inode(shared);
        } else if (*(*shared).i_mapping).a_ops != (*(*real).i_mapping).a_ops
            || (*shared).i_blkbits != (*real).i_blkbits
            || (*shared).i_size != (*real).i_size
        {
            // Equal keys but data that cannot be read the same way (one
            // image compresses the file, the other does not), or a size
            // that contradicts the key: not shared (as 7.x).
            if (*shared).i_size != (*real).i_size {
                let (have, want) = ((*real).i_size, (*shared).i_size);
                super::printk::erofs_warn!(inode.super_block(), "i_size mismatch ({} != {}) for the same fingerprint\n", have, want);
            }
            bindings::iput(shared);
            return refuse();
        }
    }
    // SAFETY: a live shared inode of ours: its state lives until it is
    // freed, after our reference goes.
    let st = unsafe { &*(*shared).i_private.cast::<SharedState>() };
    // Nothing is allocated under the members lock: an allocation may
    // reclaim inodes, and evicting a member takes that lock (`leave`). A
    // larger list is made outside it when the list is full.
    let mut spare: Option<KVec<usize>> = None;
    let old = loop {
        let mut members = st.members.lock();
        if slot.load(Ordering::Acquire) != NOT_TRIED {
            // Another opener decided first.
            drop(members);
            // SAFETY: the reference iget5_locked gave us.
            unsafe { bindings::iput(shared) };
            return Ok(slot_state(slot).unwrap_or(Share::No));
        }
        let mut old = None;
        if let Some(free) = members.iter_mut().find(|m| **m == 0) {
            *free = real as usize;
        } else if members.len() < members.capacity() {
            // Within the capacity: push does not allocate.
            let _ = members.push(real as usize, GFP_KERNEL);
        } else if let Some(mut bigger) = spare.take().filter(|b| b.capacity() > members.len()) {
            // Within its capacity: no allocation either.
            let _ = bigger.extend_from_slice(&members, GFP_KERNEL);
            let _ = bigger.push(real as usize, GFP_KERNEL);
            old = Some(core::mem::replace(&mut *members, bigger));
        } else {
            let want = members.len() * 2 + 4;
            drop(members);
            match KVec::with_capacity(want, GFP_KERNEL) {
                Ok(v) => spare = Some(v),
                Err(_) => {
                    // SAFETY: the reference iget5_locked gave us.
                    unsafe { bindings::iput(shared) };
                    return Err(ENOMEM);
                }
            }
            continue;
        }
        // Under the members lock, which every joiner of `inode` takes
        // before its slot check: nobody set the slot since that check.
        slot.store(shared as usize, Ordering::Release);
        break old;
    };
    // The replaced list (if any) is freed after the lock is dropped.
    drop(old);
    // INVARIANT: `real` is listed until `leave` in its eviction.
    Ok(Share::Member(shared))
}

/// Takes an evicted real inode out of its shared inode, dropping the
/// reference its slot held.
///
/// # Safety
///
/// `inode` is a real inode of ours being evicted.
pub(super) unsafe fn leave(inode: *mut bindings::inode, slot: &AtomicUsize) {
    let v = slot.swap(NOT_TRIED, Ordering::AcqRel);
    if v == NOT_TRIED || v == REFUSED {
        return;
    }
    let shared = v as *mut bindings::inode;
    {
        // SAFETY: the slot's reference keeps the shared inode and its
        // state alive.
        let st = unsafe { &*(*shared).i_private.cast::<SharedState>() };
        let mut members = st.members.lock();
        if let Some(m) = members.iter_mut().find(|m| **m == inode as usize) {
            *m = 0;
        }
    }
    // SAFETY: the slot's reference, given up once (swapped out above).
    unsafe { bindings::iput(shared) };
}

/// The inode whose operations fill a folio of `host`'s page cache:
/// `host` itself, or for a shared inode one of its members, referenced
/// for as long as the value lives.
pub(super) enum Host<'a, T: FileSystem> {
    Own(&'a Inode<T>),
    Member(ARef<Inode<T>>),
}

impl<T: FileSystem> Host<'_, T> {
    pub(super) fn inode(&self) -> &Inode<T> {
        match self {
            Host::Own(i) => i,
            Host::Member(i) => i,
        }
    }
}

/// Whether `inode` is a shared inode.
///
/// # Safety
///
/// `inode` is live.
pub(super) unsafe fn is_shared(inode: *mut bindings::inode) -> bool {
    // SAFETY: a live inode's superblock is fixed (caller).
    unsafe { (*inode).i_sb == SHARED_FS.sb() }
}

/// The inode that fills `host`'s page cache (see [`Host`]).
///
/// # Safety
///
/// `host` is a live inode of `T` or a shared inode, alive for `'a`.
pub(super) unsafe fn host<'a, T: FileSystem>(host: *mut bindings::inode) -> Result<Host<'a, T>> {
    // SAFETY: live (caller).
    if !unsafe { is_shared(host) } {
        // SAFETY: an inode of `T` alive for 'a (caller).
        return Ok(Host::Own(unsafe { Inode::from_raw(host) }));
    }
    // SAFETY: a live shared inode: its state lives as long.
    let st = unsafe { &*(*host).i_private.cast::<SharedState>() };
    let members = st.members.lock();
    for &m in members.iter().filter(|&&m| m != 0) {
        // Members leave under this lock before they are freed, so `m` is
        // live; igrab fails if it is being evicted.
        // SAFETY: a live inode (above).
        let r = unsafe { bindings::igrab(m as *mut bindings::inode) };
        if let Some(r) = NonNull::new(r) {
            // SAFETY: a referenced member, which is an inode of `T` (only
            // `T`'s inodes join), and the reference is ours.
            return Ok(Host::Member(unsafe { ARef::from_raw(r.cast::<Inode<T>>()) }));
        }
    }
    Err(EIO)
}

/// A SHA-256 computation (the kernel's SHA-256 library), for checking
/// file contents against their fingerprints.
///
/// # Invariants
///
/// `ctx` is a context from `erofs_rs_sha256_new`, not yet finished.
pub(crate) struct Sha256 {
    ctx: NonNull<c_void>,
}

impl Sha256 {
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: allocates and initialises a context, or returns NULL.
        let ctx = NonNull::new(unsafe { bindings::erofs_rs_sha256_new() }).ok_or(ENOMEM)?;
        // INVARIANT: just made.
        Ok(Self { ctx })
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        // SAFETY: a live context (type invariant); `data` is readable.
        unsafe { bindings::erofs_rs_sha256_update(self.ctx.as_ptr(), data.as_ptr(), data.len()) };
    }

    /// The digest of everything hashed.
    pub(crate) fn finish(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        let ctx = self.ctx.as_ptr();
        core::mem::forget(self);
        // SAFETY: a live context, finished and freed once (`self` is
        // consumed without its drop); `out` has room for the digest.
        unsafe { bindings::erofs_rs_sha256_finish(ctx, out.as_mut_ptr()) };
        out
    }
}

impl Drop for Sha256 {
    fn drop(&mut self) {
        // SAFETY: a live context (type invariant), freed once.
        unsafe { bindings::erofs_rs_sha256_finish(self.ctx.as_ptr(), core::ptr::null_mut()) };
    }
}
