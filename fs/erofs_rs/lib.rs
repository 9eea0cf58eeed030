// SPDX-License-Identifier: GPL-2.0

//! erofs_rs: the EROFS read-only filesystem as a Rust kernel module.
//!
//! The filesystem type is `erofs_rs`, so the module loads beside a kernel
//! whose C `erofs` is built in or loaded. See DESIGN.md for the layers:
//! `format` (the on-disk format, kernel-independent), `vfs` (all `unsafe`),
//! and the filesystem files named after their `fs/erofs` counterparts.

use kernel::prelude::*;

// The filesystem: safe Rust on top of `vfs` (the compiler holds every
// module but `vfs` to that; `vfs` alone sees the raw bindings).
#[deny(unsafe_code)]
mod data;
#[deny(unsafe_code)]
mod decompressor;
#[deny(unsafe_code)]
mod dir;
#[deny(unsafe_code)]
mod fileio;
#[cfg(erofs_rs_fscache)]
#[deny(unsafe_code)]
mod fscache;
// The format core is shared with the host tools, which use all of it; the
// module uses what its read paths need.
#[allow(dead_code, unreachable_pub)]
#[deny(unsafe_code)]
mod format;
#[deny(unsafe_code)]
mod inode;
#[deny(unsafe_code)]
mod ishare;
#[deny(unsafe_code)]
mod namei;
#[deny(unsafe_code)]
#[path = "super.rs"]
mod super_;
mod vfs;
#[deny(unsafe_code)]
mod xattr;
#[deny(unsafe_code)]
mod zdata;

vfs::compat::module_with_author! {
    type: ErofsModule,
    name: "erofs_rs",
    author: "erofs-rs developers",
    description: "Enhanced Read-Only File System (Rust)",
    license: "GPL",
    alias: ["fs-erofs_rs"],
}

struct ErofsModule {
    _fs: vfs::Registration,
    /// Holds the inodes of fscache blobs, with EROFS's magic as in C
    /// (declared after the registration: unmounted once the type is
    /// gone).
    #[cfg(erofs_rs_fscache)]
    _blobs: vfs::pseudo::PseudoMount,
    /// Holds the shared inodes of page cache sharing (`inode_share`).
    _shared: vfs::pseudo::PseudoMount,
    /// Where readahead of compressed files is decoded; dropped last, which
    /// waits for every job queued.
    _workqueue: vfs::workqueue::Workqueue,
}

impl kernel::Module for ErofsModule {
    fn init(module: &'static ThisModule) -> Result<Self> {
        #[cfg(erofs_rs_fscache)]
        let blobs = vfs::pseudo::PseudoMount::new(&vfs::fscache::BLOBS_FS)?;
        let workqueue = vfs::workqueue::Workqueue::new()?;
        let shared = vfs::ishare::mount()?;
        let fs = vfs::Registration::new::<super_::Erofs>(module)?;
        pr_info!("filesystem type registered\n");
        Ok(Self {
            _fs: fs,
            #[cfg(erofs_rs_fscache)]
            _blobs: blobs,
            _shared: shared,
            _workqueue: workqueue,
        })
    }
}

impl Drop for ErofsModule {
    fn drop(&mut self) {
        pr_info!("unloading\n");
    }
}
