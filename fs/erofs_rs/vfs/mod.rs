// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers over the C VFS, shaped like the Rust-for-Linux VFS
//! abstractions (Wedson Almeida Filho's series, `tarfs`): a filesystem
//! type, a superblock with a `New`/`Ready` typestate, reference-counted
//! inodes, and one file per C operation table, each built from a
//! `#[vtable]` trait whose operations are optional. Every `unsafe` block
//! of the module lives in this layer; the filesystem above it is safe
//! Rust and never touches `bindings`.
//!
//! What differs between the kernels the module builds for is in
//! [`compat`] (and `helpers.c` on the C side).

// The raw bindings are private to this layer: the filesystem above
// cannot name them (the compiler enforces it).
#[path = "../bindings/mod.rs"]
mod bindings;

pub(crate) mod address_space;
pub(crate) mod compat;
pub(crate) mod compress;
pub(crate) mod dentry;
pub(crate) mod device;
pub(crate) mod dir;
pub(crate) mod error;
pub(crate) mod export;
pub(crate) mod fiemap;
pub(crate) mod file;
pub(crate) mod file_ref;
pub(crate) mod folio;
pub(crate) mod fs_context;
pub(crate) mod fs_type;
#[cfg(erofs_rs_fscache)]
pub(crate) mod fscache;
pub(crate) mod inode;
pub(crate) mod iomap;
pub(crate) mod ishare;
pub(crate) mod printk;
pub(crate) mod pseudo;
pub(crate) mod super_block;
pub(crate) mod workqueue;
pub(crate) mod xattr;

pub(crate) use compat::{ARef, AlwaysRefCounted};
pub(crate) use device::{Bdev, Device, MappedBytes, MappedRun};
pub(crate) use dir::DirEmitter;
pub(crate) use fiemap::FiemapInfo;
pub(crate) use file_ref::FileRef;
#[cfg(erofs_rs_fscache)]
pub(crate) use folio::FolioRange;
pub(crate) use folio::{LockedFolio, Readahead};
pub(crate) use fs_context::FsContext;
pub(crate) use fs_type::{FileSystem, Registration};
pub(crate) use inode::{Inode, InodeParams};
pub(crate) use iomap::IoMapping;
pub(crate) use super_block::{SeqFile, StatFs, SuperBlock};
pub(crate) use xattr::NameSink;

/// The page size of the running kernel.
pub(crate) const PAGE_SIZE: usize = bindings::PAGE_SIZE;

/// How many CPUs the machine may bring online: the bound of per-CPU pools.
pub(crate) fn possible_cpus() -> usize {
    // SAFETY: reads the possible-CPU mask's weight, fixed after boot.
    unsafe { bindings::erofs_rs_num_possible_cpus() as usize }
}

/// Whether the current task may administer the system (CAP_SYS_ADMIN),
/// which `trusted.` xattrs require.
pub(crate) fn capable_sys_admin() -> bool {
    // SAFETY: checks the current task's credentials; no other state.
    unsafe { bindings::erofs_rs_capable_sys_admin() }
}

/// Turns a kernel error-or-pointer value into a `Result`.
fn from_err_ptr<P>(ptr: *mut P) -> kernel::error::Result<*mut P> {
    // SAFETY: IS_ERR only compares the pointer value with the errno range.
    if unsafe { bindings::erofs_rs_is_err(ptr.cast()) } {
        // SAFETY: an error pointer encodes a negative errno.
        let errno = unsafe { bindings::erofs_rs_ptr_err(ptr.cast()) };
        return Err(kernel::error::Error::from_errno(errno as i32));
    }
    Ok(ptr)
}

/// Encodes `e` as an error pointer (ERR_PTR) for a C caller.
fn err_ptr<P>(e: kernel::error::Error) -> *mut P {
    // SAFETY: ERR_PTR only turns the negative errno into a pointer value.
    unsafe { bindings::erofs_rs_err_ptr(e.to_errno() as _) }.cast()
}

// The text section of the LZ4 fast loop (`format::lz4::fast_sequences`,
// which the kernel build places there), aligned to a page: the loop,
// about 2 KiB, then never straddles one. Under QEMU's TCG, where the test
// kernels run, a jump to another guest page is not chained to its target
// but looked up again each time it is taken, and a loop split over two
// pages cost 40 % more than one on a single page
// (docs/compressed-reads-2026-12-07-late.md).
core::arch::global_asm!(".pushsection .text.erofs_rs_lz4,\"ax\",@progbits", ".p2align 12", ".popsection");
