// SPDX-License-Identifier: GPL-2.0

//! The module's workqueue (`z_erofs_workqueue` in C), where readahead of
//! compressed files is decoded while the reader goes on with what is
//! already in the page cache.
//!
//! The queue is the module's own rather than a system one so that
//! unloading can wait for it: a job may still be returning through our
//! code after it unlocked the last folio it held, which is what lets an
//! unmount, and then `rmmod`, go ahead.

use super::bindings;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::prelude::*;

/// The queue, between [`Workqueue::new`] and its drop; null otherwise.
static QUEUE: AtomicPtr<bindings::workqueue_struct> = AtomicPtr::new(ptr::null_mut());

/// Owns the module's workqueue; held by the module for its lifetime.
pub(crate) struct Workqueue(());

impl Workqueue {
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: allocates a workqueue named by a NUL-terminated string
        // that lives forever; returns NULL on failure.
        let wq = unsafe { bindings::erofs_rs_alloc_workqueue(c"erofs_rs_worker".as_ptr()) };
        if wq.is_null() {
            return Err(ENOMEM);
        }
        QUEUE.store(wq, Ordering::Release);
        Ok(Self(()))
    }
}

impl Drop for Workqueue {
    fn drop(&mut self) {
        let wq = QUEUE.swap(ptr::null_mut(), Ordering::AcqRel);
        if !wq.is_null() {
            // destroy_workqueue first runs every job queued, so none
            // outlives the module's code.
            // SAFETY: the queue made by `new`, destroyed once (swapped out).
            unsafe { bindings::destroy_workqueue(wq) };
        }
    }
}

/// Runs `job` on the module's queue. Without memory for the work item
/// (or outside the module's lifetime) the job is dropped unrun, and the
/// error returned.
pub(crate) fn spawn<F: FnOnce() + Send + 'static>(job: F) -> Result {
    let wq = QUEUE.load(Ordering::Acquire);
    if wq.is_null() {
        return Err(ENODEV);
    }
    // The queue is destroyed only at unload, after every caller of
    // `spawn` (a filesystem operation of ours) has returned.
    // SAFETY: a live workqueue; both bindings name the same C type.
    let queue = unsafe { kernel::workqueue::Queue::from_raw(wq.cast::<kernel::bindings::workqueue_struct>()) };
    queue.try_spawn(GFP_KERNEL, job).map_err(|_| ENOMEM)
}
