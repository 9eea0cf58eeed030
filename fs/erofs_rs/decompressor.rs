// SPDX-License-Identifier: GPL-2.0

//! Decompressors (fs/erofs/decompressor.c and decompressor_{deflate,
//! lzma,zstd}.c): LZ4 is decoded by the format core itself; DEFLATE,
//! MicroLZMA and Zstd by the kernel's libraries (`vfs::compress`), whose
//! workspaces each mount pools here.

use crate::format;
use crate::format::decompress::Decompressor;
use crate::format::erofs_fs::{COMPRESSION_DEFLATE, COMPRESSION_LZMA, COMPRESSION_ZSTD};
use crate::vfs::compress::{Inflate, MicroLzma, Zstd};
use kernel::prelude::*;
use kernel::sync::{new_condvar, new_mutex, CondVar, Mutex};

/// Workspaces of one kernel decompressor, made on demand up to one per
/// possible CPU and reused; readers beyond that wait for one to be given
/// back (as the C driver's LZMA and DEFLATE stream pools do).
#[pin_data]
struct WorkspacePool<W> {
    #[pin]
    state: Mutex<PoolState<W>>,
    #[pin]
    returned: CondVar,
}

struct PoolState<W> {
    /// One slot per workspace that may exist (`limit` of them).
    free: KVec<Option<W>>,
    made: usize,
}

impl<W> WorkspacePool<W> {
    fn new(limit: usize) -> impl PinInit<Self, Error> {
        let mut free = KVec::with_capacity(limit, GFP_KERNEL);
        if let Ok(f) = &mut free {
            for _ in 0..limit {
                // Within the capacity just reserved: cannot fail.
                let _ = f.push(None, GFP_KERNEL);
            }
        }
        try_pin_init!(Self {
            state <- new_mutex!(PoolState { free: free?, made: 0 }),
            returned <- new_condvar!(),
        })
    }

    /// Runs `f` with a workspace, made by `make` if none is free and the
    /// limit allows.
    fn with<R>(&self, make: impl FnOnce() -> Result<W>, f: impl FnOnce(&mut W) -> R) -> Result<R> {
        let mut w = self.take(make)?;
        let r = f(&mut w);
        let mut st = self.state.lock();
        // At most `limit` workspaces exist, so a slot is free.
        if let Some(slot) = st.free.iter_mut().find(|x| x.is_none()) {
            *slot = Some(w);
        }
        drop(st);
        self.returned.notify_one();
        Ok(r)
    }

    fn take(&self, make: impl FnOnce() -> Result<W>) -> Result<W> {
        let mut st = self.state.lock();
        loop {
            if let Some(w) = st.free.iter_mut().find_map(Option::take) {
                return Ok(w);
            }
            if st.made < st.free.len() {
                st.made += 1;
                drop(st);
                let w = make();
                if w.is_err() {
                    self.state.lock().made -= 1;
                    self.returned.notify_one();
                }
                return w;
            }
            self.returned.wait(&mut st);
        }
    }
}

/// The decompressor workspaces of one mount, up to one per possible CPU
/// per algorithm.
#[pin_data]
pub(crate) struct Decompressors {
    #[pin]
    inflate: WorkspacePool<Inflate>,
    #[pin]
    lzma: WorkspacePool<MicroLzma>,
    #[pin]
    zstd: WorkspacePool<Zstd>,
}

impl Decompressors {
    pub(crate) fn new() -> impl PinInit<Self, Error> {
        let cpus = crate::vfs::possible_cpus().max(1);
        try_pin_init!(Self {
            inflate <- WorkspacePool::new(cpus),
            lzma <- WorkspacePool::new(cpus),
            zstd <- WorkspacePool::new(cpus),
        })
    }
}

/// The algorithms the format core does not decode itself.
pub(crate) struct KernelDecompressor<'a> {
    pools: &'a Decompressors,
    /// The image's MicroLZMA dictionary size (its compression config).
    lzma_dict_size: u32,
}

impl<'a> KernelDecompressor<'a> {
    pub(crate) fn new(pools: &'a Decompressors, lzma_dict_size: u32) -> Self {
        Self { pools, lzma_dict_size }
    }
}

impl Decompressor for KernelDecompressor<'_> {
    fn decompress(&mut self, algorithm: u8, input: &[u8], out: &mut [u8], partial: bool) -> format::Result<()> {
        let z = self.pools;
        let dict = self.lzma_dict_size;
        let r = match algorithm {
            COMPRESSION_DEFLATE => z.inflate.with(Inflate::new, |d| d.decode(input, out, partial)),
            COMPRESSION_LZMA => z.lzma.with(|| MicroLzma::new(dict), |d| d.decode(input, out, partial)),
            // EROFS caps Zstd windows at 1 MiB (the superblock check
            // refuses more); one workspace size fits them all.
            COMPRESSION_ZSTD => z.zstd.with(|| Zstd::new(1 << 20), |d| d.decode(input, out, partial)),
            a => return Err(format::Error::UnsupportedAlgorithm(a)),
        };
        match r {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(format::Error::BadCompressedData),
            Err(_) => Err(format::Error::NoMemory),
        }
    }
}
