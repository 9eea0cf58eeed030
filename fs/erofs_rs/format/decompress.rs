// SPDX-License-Identifier: GPL-2.0

//! Turning a mapped extent's stored bytes into file data
//! (fs/erofs/decompressor.c): 0-padding, LZ4 by our decoder, the other
//! algorithms through a [`Decompressor`] the caller provides, and the
//! shifted and interlaced layouts of plain pclusters.

use super::erofs_fs::*;
use super::lz4;
use super::super_block::SuperBlock;
use super::zmap::{ZExtent, ZKind};
use super::{Error, Result};

/// MicroLZMA, raw DEFLATE and Zstd: the kernel implements this with its
/// own libraries, the host tools with crates.
pub trait Decompressor {
    /// Decodes `input` (the compressed stream, padding removed) into
    /// `out`. Without `partial` the stream must produce exactly
    /// `out.len()` bytes; with it, decoding may stop once `out` is full.
    fn decompress(&mut self, algorithm: u8, input: &[u8], out: &mut [u8], partial: bool) -> Result<()>;
}

/// Skips the zeros that pad a compressed stream to the end of its
/// pcluster (z_erofs_fixup_insize). `pageofs` is the stream's offset in
/// its block; only the first block is searched, as in the C driver.
pub fn strip_zero_padding(input: &[u8], pageofs: u32, blksz: u32) -> Result<&[u8]> {
    let window = input.len().min(blksz.saturating_sub(pageofs) as usize);
    let head = input.get(..window).ok_or(Error::BadCompressedData)?;
    let skip = head.iter().position(|&b| b != 0).ok_or(Error::BadCompressedData)?;
    input.get(skip..).ok_or(Error::BadCompressedData)
}

/// Decodes the stored bytes of `ext` (`stored`, `ext.plen` long) into
/// `out`, the first `out.len()` bytes of the extent's data. `out` may be
/// shorter than the extent (a read of its head): decoding is then partial.
pub fn decode_extent<D: Decompressor + ?Sized>(sb: &SuperBlock, ext: &ZExtent, stored: &[u8], out: &mut [u8], dec: &mut D) -> Result<()> {
    let blksz = sb.block_size();
    if out.len() as u64 > ext.llen {
        return Err(Error::BadCompressedLayout);
    }
    match ext.kind {
        ZKind::Shifted => {
            let src = stored.get(..out.len()).ok_or(Error::BadCompressedLayout)?;
            out.copy_from_slice(src);
            Ok(())
        }
        ZKind::Interlaced => {
            // The head of the extent sits at the end of the stored bytes
            // (up to the block boundary), the rest from their start.
            let cur = (blksz - (ext.la % blksz as u64) as u32) as usize;
            let insize = stored.len();
            if insize < cur || insize < out.len() {
                return Err(Error::BadCompressedLayout);
            }
            let first = cur.min(out.len());
            let tail = stored.get(insize - cur..insize - cur + first).ok_or(Error::BadCompressedLayout)?;
            let (a, b) = out.split_at_mut(first);
            a.copy_from_slice(tail);
            let rest = stored.get(..b.len()).ok_or(Error::BadCompressedLayout)?;
            b.copy_from_slice(rest);
            Ok(())
        }
        ZKind::Compressed { algorithm } => {
            let partial = ext.partial_ref || (out.len() as u64) < ext.llen;
            let pageofs = (ext.pa % blksz as u64) as u32;
            let zero_padding = sb.has_zero_padding();
            let input = if zero_padding { strip_zero_padding(stored, pageofs, blksz)? } else { stored };
            if algorithm == COMPRESSION_LZ4 {
                // Legacy (unpadded) images may compress extra data into a
                // pcluster: always decode those partially.
                let n = lz4::decompress(input, out, partial || !zero_padding)?;
                if n != out.len() {
                    return Err(Error::BadCompressedData);
                }
                Ok(())
            } else {
                dec.decompress(algorithm, input, out, partial)
            }
        }
        ZKind::Hole => {
            out.fill(0);
            Ok(())
        }
        ZKind::Fragment { .. } => Err(Error::WrongFileType),
    }
}
