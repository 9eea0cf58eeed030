// SPDX-License-Identifier: GPL-2.0

//! The EROFS on-disk format: kernel-independent, `no_std`, no allocation.
//!
//! Compiled twice: as `mod format` of the module crate and as the host
//! crate `erofs-format` (see `lib.rs` next to this file). Every value read
//! from an image is untrusted: arithmetic on it is checked, slicing is
//! bounds-checked, and nothing here can panic on any input.
//!
//! File names follow `fs/erofs`: `erofs_fs.rs` has the raw layouts,
//! `super_block.rs` the superblock, `inode.rs`, `dir.rs`, `xattr.rs`,
//! `data.rs` (uncompressed block mapping), `zmap.rs` (compressed
//! extent mapping), `decompress.rs` and `zdata.rs` (reading file data).

pub mod crc32c;
pub mod data;
pub mod decompress;
pub mod dir;
pub mod erofs_fs;
pub mod error;
pub mod inode;
pub mod lz4;
pub mod super_block;
pub mod xattr;
pub mod zdata;
pub mod zmap;

pub use error::{Error, Result};

/// The pseudo device of [`Source::bytes`] whose bytes are the data of the
/// metabox inode (METABOX images keep inodes, inline data and indexes of
/// the nids with bit 63 there, and may compress it).
pub const METABOX: u16 = u16::MAX;

/// Where image bytes come from: "the bytes of device `dev` at `offset`".
///
/// Device 0 is the primary device (the image itself); 1.. are the extra
/// devices of the device table, in table order. The kernel implements it
/// over the page cache of the backing device or file, the host tools over
/// files.
pub trait Source {
    /// A borrowed view of image bytes.
    type Bytes<'a>: core::ops::Deref<Target = [u8]>
    where
        Self: 'a;

    /// The `len` bytes of device `dev` at `offset`. `dev` may also be
    /// [`METABOX`]: an offset into the metabox inode's data.
    ///
    /// Callers in this crate never ask for a range that crosses a 4096-byte
    /// boundary (block sizes are 512..4096 and ranges stay within a
    /// block), so an implementation may serve each request from one page.
    /// A range past the end of the device is an error
    /// ([`Error::OutOfRange`] or [`Error::Io`]), never a short slice.
    fn bytes(&self, dev: u16, offset: u64, len: usize) -> Result<Self::Bytes<'_>>;
}

/// Copies `buf.len()` bytes of device `dev` at `offset` into `buf`, in
/// pieces that never cross a block of `blksz` bytes.
pub fn read_exact<S: Source + ?Sized>(src: &S, dev: u16, offset: u64, blksz: u32, buf: &mut [u8]) -> Result<()> {
    let mut done = 0usize;
    while done < buf.len() {
        let pos = offset.checked_add(done as u64).ok_or(Error::OutOfRange)?;
        // (checked_rem: no division-by-zero panic path for a block size
        // the caller always makes non-zero.)
        let in_block = (blksz as u64 - pos.checked_rem(blksz as u64).ok_or(Error::OutOfRange)?) as usize;
        let n = in_block.min(buf.len() - done);
        let bytes = src.bytes(dev, pos, n)?;
        let part = bytes.get(..n).ok_or(Error::Io)?;
        buf.get_mut(done..done + n).ok_or(Error::Io)?.copy_from_slice(part);
        done += n;
    }
    Ok(())
}

/// Bit-packed little-endian data (compact lcluster indexes): the fields
/// of on-disk structures are read through `erofs_fs`'s typed layouts,
/// which fail out of range.
pub(crate) mod le {
    /// The 32 bits at byte `off` of `b`, bytes past the end read as zero:
    /// a packed value whose bits all lie inside `b` may start fewer than
    /// four bytes before its end.
    #[inline]
    pub(crate) fn le32_bits(b: &[u8], off: usize) -> u32 {
        let mut v = 0u32;
        for i in (0..4).rev() {
            v = (v << 8) | off.checked_add(i).and_then(|o| b.get(o)).copied().unwrap_or(0) as u32;
        }
        v
    }
}
