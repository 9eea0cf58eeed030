// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers over the C VFS, in the style of the Rust-for-Linux
//! `kernel` crate. Every `unsafe` block of the module lives in this layer;
//! the filesystem code above it is safe Rust.

pub(crate) mod compress;
pub(crate) mod dir;
pub(crate) mod error;
pub(crate) mod file;
pub(crate) mod folio;
pub(crate) mod fs_context;
pub(crate) mod inode;
pub(crate) mod iomap;
pub(crate) mod meta;
pub(crate) mod registration;
pub(crate) mod super_block;
pub(crate) mod xattr;

pub(crate) use dir::DirEmitter;
pub(crate) use file::FileRef;
pub(crate) use folio::{LockedFolio, Readahead};
pub(crate) use fs_context::FsContext;
pub(crate) use inode::{Inode, InodeKind, InodeParams, IoPath};
pub(crate) use iomap::IoMapping;
pub(crate) use meta::MetaSource;
pub(crate) use registration::{FiemapExtent, FiemapKind, FileSystem, Registration};
pub(crate) use super_block::{SeqFile, StatFs, SuperBlock};
pub(crate) use xattr::NameSink;

/// The page size of the running kernel.
pub(crate) const PAGE_SIZE: usize = crate::bindings::PAGE_SIZE;

/// How many CPUs the machine may bring online: the bound of per-CPU pools.
pub(crate) fn possible_cpus() -> usize {
    // SAFETY: reads the possible-CPU mask's weight, fixed after boot.
    unsafe { crate::bindings::erofs_rs_num_possible_cpus() as usize }
}
