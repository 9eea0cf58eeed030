// SPDX-License-Identifier: GPL-2.0

//! An LZ4 block decoder, safe on hostile input: every length and offset is
//! checked, every copy is bounds-checked, and a bad stream ends in an error,
//! never a panic or an out-of-bounds access.
//!
//! Speed comes from the shape of real streams: most sequences have short
//! literal runs and short matches. While both buffers have room to spare,
//! those are copied as a fixed 16-byte chunk (literals) and 8+8+2 bytes
//! (a match of up to 18) that may run past the sequence; the bytes past it
//! are rewritten by the sequences that follow, so these "wild" copies
//! change nothing returned. Fixed-size copies compile to plain loads and
//! stores with one bounds check each, where a `copy_from_slice` of a
//! variable length is a call. Match chunks are copied between the two
//! halves of the output split at the destination (the source lies wholly
//! before it), so no chunk passes through a temporary on the stack; and
//! short chunks keep loads from spanning several recent stores, which
//! store forwarding cannot serve.

use super::{Error, Result};

/// Room the fast path needs: on the input side the token, a 16-byte
/// literal copy and the offset; on the output side up to 14 literals and
/// a match of up to 18 bytes.
const FAST_IN_MARGIN: usize = 32;
const FAST_OUT_MARGIN: usize = 64;

/// Copies 16 bytes from `src[ip..]` to `dst[op..]`.
#[inline(always)]
fn copy16(src: &[u8], ip: usize, dst: &mut [u8], op: usize) -> Option<()> {
    dst.get_mut(op..op + 16)?.copy_from_slice(src.get(ip..ip + 16)?);
    Some(())
}

/// Copies `N` bytes from `from` to `to` within `buf`, for a source that
/// ends at or before `to` (a match at least `N` bytes back): the buffer
/// splits between the two, and a constant-size slice copy compiles to
/// plain loads and stores.
#[inline(always)]
fn copy_back<const N: usize>(buf: &mut [u8], from: usize, to: usize) -> Option<()> {
    if from.checked_add(N)? > to || to > buf.len() {
        return None;
    }
    let (head, tail) = buf.split_at_mut(to);
    tail.get_mut(..N)?.copy_from_slice(head.get(from..from + N)?);
    Some(())
}

/// Copies an `n`-byte match from `offset` bytes back. Overlapping matches
/// (offset < n) repeat the last `offset` bytes.
#[inline(always)]
fn copy_match(buf: &mut [u8], op: usize, offset: usize, n: usize) -> Option<()> {
    let from = op.checked_sub(offset)?;
    if op.checked_add(n)? > buf.len() {
        return None;
    }
    if offset >= n {
        buf.copy_within(from..from + n, op);
        return Some(());
    }
    if offset >= 8 && op + n + 8 <= buf.len() {
        // Each 8-byte chunk reads bytes written before it.
        let mut i = 0;
        while i < n {
            copy_back::<8>(buf, from + i, op + i)?;
            i += 8;
        }
        return Some(());
    }
    // Short periods: each copy takes everything written since `from`,
    // which never overlaps its destination, so the chunk doubles.
    let mut copied = 0;
    while copied < n {
        let k = (offset + copied).min(n - copied);
        buf.copy_within(from..from + k, op + copied);
        copied += k;
    }
    Some(())
}

#[inline(always)]
fn read_length(src: &[u8], ip: &mut usize, mut len: usize) -> Result<usize> {
    loop {
        let b = *src.get(*ip).ok_or(Error::BadCompressedData)?;
        *ip += 1;
        len = len.checked_add(b as usize).ok_or(Error::BadCompressedData)?;
        if b != 255 {
            return Ok(len);
        }
    }
}

/// Decodes `src` into `dst`. Without `partial` the stream must fill `dst`
/// exactly and end with the input; with it, decoding stops once `dst` is
/// full (LZ4_decompress_safe_partial). Returns the number of bytes written.
pub fn decompress(src: &[u8], dst: &mut [u8], partial: bool) -> Result<usize> {
    let bad = Error::BadCompressedData;
    let (iend, oend) = (src.len(), dst.len());
    if iend == 0 {
        return Err(bad);
    }
    let (mut ip, mut op) = (0usize, 0usize);
    loop {
        let token = *src.get(ip).ok_or(bad)?;
        ip += 1;
        let mut lit = (token >> 4) as usize;
        // Fast path: short literals and a short match (no length bytes),
        // far from the ends of both buffers: fixed-size chunk copies that
        // may run past the sequence.
        if lit < 15 && ip + FAST_IN_MARGIN <= iend && op + FAST_OUT_MARGIN <= oend {
            copy16(src, ip, dst, op).ok_or(bad)?;
            ip += lit;
            op += lit;
            let offset = u16::from_le_bytes([*src.get(ip).ok_or(bad)?, *src.get(ip + 1).ok_or(bad)?]) as usize;
            ip += 2;
            let mlen = (token & 15) as usize;
            if mlen < 15 && offset >= 8 && offset <= op {
                let from = op - offset;
                copy_back::<8>(dst, from, op).ok_or(bad)?;
                copy_back::<8>(dst, from + 8, op + 8).ok_or(bad)?;
                copy_back::<2>(dst, from + 16, op + 16).ok_or(bad)?;
                op += mlen + 4;
                continue;
            }
            let mlen = if mlen == 15 { read_length(src, &mut ip, mlen)? } else { mlen };
            if let Some(n) = finish_match(dst, &mut op, offset, mlen.saturating_add(4), partial)? {
                return Ok(n);
            }
            if ip >= iend {
                return Err(bad);
            }
            continue;
        }
        if lit == 15 {
            lit = read_length(src, &mut ip, lit)?;
        }
        if lit > iend - ip {
            return Err(bad);
        }
        if lit > oend - op {
            if !partial {
                return Err(bad);
            }
            let n = oend - op;
            dst.get_mut(op..).ok_or(bad)?.copy_from_slice(src.get(ip..ip + n).ok_or(bad)?);
            return Ok(oend);
        }
        if lit <= 16 && ip + 16 <= iend && op + 16 <= oend {
            copy16(src, ip, dst, op).ok_or(bad)?;
        } else {
            dst.get_mut(op..op + lit).ok_or(bad)?.copy_from_slice(src.get(ip..ip + lit).ok_or(bad)?);
        }
        ip += lit;
        op += lit;
        if ip == iend {
            // The last sequence holds literals only.
            return Ok(op);
        }
        if partial && op == oend {
            return Ok(op);
        }
        let lo = *src.get(ip).ok_or(bad)?;
        let hi = *src.get(ip + 1).ok_or(bad)?;
        ip += 2;
        let offset = u16::from_le_bytes([lo, hi]) as usize;
        let mut mlen = (token & 15) as usize;
        if mlen == 15 {
            mlen = read_length(src, &mut ip, mlen)?;
        }
        if let Some(n) = finish_match(dst, &mut op, offset, mlen.saturating_add(4), partial)? {
            return Ok(n);
        }
        if ip >= iend {
            return Err(bad);
        }
    }
}

/// Copies a match on the careful path: checks the offset, truncates it
/// to the output in partial mode. Returns the output length when decoding
/// is over (partial output full).
fn finish_match(dst: &mut [u8], op: &mut usize, offset: usize, mut mlen: usize, partial: bool) -> Result<Option<usize>> {
    let bad = Error::BadCompressedData;
    let oend = dst.len();
    if offset == 0 || offset > *op {
        return Err(bad);
    }
    if mlen > oend - *op {
        if !partial {
            return Err(bad);
        }
        mlen = oend - *op;
    }
    copy_match(dst, *op, offset, mlen).ok_or(bad)?;
    *op += mlen;
    if partial && *op == oend {
        return Ok(Some(*op));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::{vec, vec::Vec};

    /// A hand-made stream: literals "abcd", then a 6-byte match at offset
    /// 4 (token 0x42), then final literals "xy".
    const STREAM: &[u8] = &[0x42, b'a', b'b', b'c', b'd', 4, 0, 0x20, b'x', b'y'];

    #[test]
    fn decodes_overlapping_match() {
        let mut out = [0u8; 12];
        assert_eq!(decompress(STREAM, &mut out, false), Ok(12));
        assert_eq!(&out, b"abcdabcdabxy");
    }

    #[test]
    fn partial_stops_when_full() {
        let mut out = [0u8; 7];
        assert_eq!(decompress(STREAM, &mut out, true), Ok(7));
        assert_eq!(&out, b"abcdabc");
        assert!(decompress(STREAM, &mut out, false).is_err());
    }

    #[test]
    fn bad_offsets_and_truncation_fail() {
        let mut out = [0u8; 64];
        assert!(decompress(&[0x10, b'a', 5, 0], &mut out, false).is_err());
        assert!(decompress(&[0x10, b'a', 0, 0], &mut out, false).is_err());
        assert!(decompress(&[0xf0, 255, 255], &mut out, false).is_err());
        assert!(decompress(&[], &mut out, false).is_err());
        for n in 0..STREAM.len() {
            let _ = decompress(&STREAM[..n], &mut out, false);
            let _ = decompress(&STREAM[..n], &mut out, true);
        }
    }

    /// A token's 4-bit length, extended by the bytes that follow when 15.
    fn long_length(src: &[u8], ip: &mut usize, mut len: usize) -> usize {
        if len == 15 {
            while src[*ip] == 255 {
                len += 255;
                *ip += 1;
            }
            len += src[*ip] as usize;
            *ip += 1;
        }
        len
    }

    /// A byte-at-a-time decoder of well-formed streams, the reference the
    /// chunked fast path is checked against.
    fn reference(src: &[u8]) -> Vec<u8> {
        let (mut ip, mut out) = (0, Vec::new());
        loop {
            let token = src[ip];
            ip += 1;
            let lit = long_length(src, &mut ip, (token >> 4) as usize);
            out.extend_from_slice(&src[ip..ip + lit]);
            ip += lit;
            if ip == src.len() {
                return out;
            }
            let offset = u16::from_le_bytes([src[ip], src[ip + 1]]) as usize;
            ip += 2;
            let mlen = long_length(src, &mut ip, (token & 15) as usize);
            for _ in 0..mlen + 4 {
                out.push(out[out.len() - offset]);
            }
        }
    }

    #[test]
    fn fast_path_matches_reference() {
        // Sequences of every short literal and match length and offsets
        // from 1 to 40 (overlapping and not), some with length bytes.
        let mut src = vec![0xf0, 40 - 15];
        src.extend((0..40u8).map(|i| i.wrapping_mul(37)));
        src.extend_from_slice(&[1, 0]);
        let mut seed = 7u32;
        for _ in 0..2000 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let lit = (seed >> 8) as usize % 15;
            let mlen = (seed >> 12) as usize % 16;
            let offset = 1 + (seed >> 16) as usize % 40;
            src.push(((lit as u8) << 4) | mlen as u8);
            src.extend((0..lit).map(|i| (seed >> (i % 24)) as u8));
            src.extend_from_slice(&(offset as u16).to_le_bytes());
            if mlen == 15 {
                src.push((seed >> 20) as u8 % 40);
            }
        }
        src.extend_from_slice(&[0x50, 1, 2, 3, 4, 5]);
        let want = reference(&src);
        let mut out = vec![0u8; want.len()];
        assert_eq!(decompress(&src, &mut out, false), Ok(want.len()));
        assert!(out == want);
        for cut in [1, 17, 1000, want.len() - 3] {
            let mut part = vec![0u8; cut];
            assert_eq!(decompress(&src, &mut part, true), Ok(cut));
            assert!(part[..] == want[..cut]);
        }
    }
}
