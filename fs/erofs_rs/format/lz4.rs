// SPDX-License-Identifier: GPL-2.0

//! An LZ4 block decoder, safe on hostile input: every length and offset is
//! checked, every copy is bounds-checked, and a bad stream ends in an error,
//! never a panic or an out-of-bounds access.
//!
//! Speed comes from the shape of real streams (measured on lz4hc
//! pclusters: 80 % of sequences have fewer than 15 literals, a match of
//! at most 18 bytes and an offset past the sequence's own output) and from
//! giving the compiler fixed sizes:
//! - the fast path takes a sequence's token, literals and offset from a
//!   32-byte window of the input and writes its output into a 64-byte
//!   window, both fixed-size arrays whose indexes need no checks; the
//!   literals are copied as one 16-byte chunk and the match as one
//!   18-byte chunk, "wild" copies that may run past the sequence (the
//!   bytes past it are rewritten by the sequences that follow, so they
//!   change nothing returned);
//! - long literal runs and matches are copied in 16-byte chunks within
//!   one span bounded once, short-period matches by storing a 16-byte
//!   pattern of the period; only near the ends of the buffers does a copy
//!   stop at its exact length;
//! - index sums that the loop's invariants keep far from overflow use
//!   wrapping arithmetic, which spares the overflow checks the kernel
//!   builds with (a wrapped index would fail the bounds check anyway);
//! - partial and whole decodes are separate copies of the loop.
//!
//! `tools/erofs-inspect/tests/lz4.rs` holds it to liblz4 on real and
//! corrupted streams; `cargo bench` times the two.

use super::{Error, Result};

/// Room the fast path needs: on the input side the token, a 16-byte
/// literal copy and the offset; on the output side up to 14 literals and
/// a match of up to 18 bytes, with its last chunk's slack.
const FAST_IN_MARGIN: usize = 32;
const FAST_OUT_MARGIN: usize = 64;

/// Slack past a copy's end that allows the chunked ("wild") copies of
/// [`copy_literals`] and [`copy_match_wild`] to run over it.
const WILD_SLACK: usize = 32;

/// Copies `N` bytes from `src[ip..]` to `dst[op..]`. The chunk passes
/// through a register-sized array, not memory.
#[inline(always)]
fn copy_n<const N: usize>(src: &[u8], ip: usize, dst: &mut [u8], op: usize) -> Option<()> {
    let chunk: &[u8; N] = src.get(ip..ip.wrapping_add(N))?.try_into().ok()?;
    dst.get_mut(op..op.wrapping_add(N))?.copy_from_slice(chunk);
    Some(())
}

/// Copies `N` bytes from `from` to `to` within `buf` through a register:
/// a match chunk whose source ends at or before `to` (at least `N` bytes
/// back), which keeps the LZ77 meaning of a copy that overlaps.
#[inline(always)]
fn move_n<const N: usize>(buf: &mut [u8], from: usize, to: usize) -> Option<()> {
    let chunk: [u8; N] = buf.get(from..from.wrapping_add(N))?.try_into().ok()?;
    buf.get_mut(to..to.wrapping_add(N))?.copy_from_slice(&chunk);
    Some(())
}

/// Copies `n` literals in 16-byte chunks that may run up to 15 bytes past
/// the end on both sides (the caller leaves [`WILD_SLACK`] of room).
#[inline(always)]
fn copy_literals(src: &[u8], ip: usize, dst: &mut [u8], op: usize, n: usize) -> Option<()> {
    let mut i = 0;
    while i < n {
        copy_n::<16>(src, ip + i, dst, op + i)?;
        i += 16;
    }
    Some(())
}

/// Copies an `n`-byte match from `offset` bytes back in chunks that may
/// write up to 15 bytes past its end (the caller leaves [`WILD_SLACK`]).
#[inline(always)]
fn copy_match_wild(buf: &mut [u8], op: usize, offset: usize, n: usize) -> Option<()> {
    let from = op.checked_sub(offset)?;
    if offset >= 16 {
        // Each chunk reads only bytes written before it. The copy's span
        // is bounded once; in it the source starts at 0, the match at
        // `offset`.
        let span = buf.get_mut(from..op.checked_add(n)?.checked_add(16)?)?;
        let mut i = 0;
        while i < n {
            move_n::<16>(span, i, offset.wrapping_add(i))?;
            i = i.wrapping_add(16);
        }
        return Some(());
    }
    // A short period repeats: a 16-byte pattern of it is stored again
    // and again, each time advanced by a whole number of periods.
    let mut pattern = [0u8; 16];
    let period = buf.get(from..op)?;
    let mut j = 0;
    for p in pattern.iter_mut() {
        *p = *period.get(j)?;
        j += 1;
        if j == offset {
            j = 0;
        }
    }
    let step = 16 - 16 % offset;
    let mut i = 0;
    while i < n {
        buf.get_mut(op + i..op + i + 16)?.copy_from_slice(&pattern);
        i += step;
    }
    Some(())
}

/// Copies an `n`-byte match from `offset` bytes back, writing nothing
/// past it. Overlapping matches (offset < n) repeat the last `offset`
/// bytes.
fn copy_match_exact(buf: &mut [u8], op: usize, offset: usize, n: usize) -> Option<()> {
    let from = op.checked_sub(offset)?;
    if op.checked_add(n)? > buf.len() {
        return None;
    }
    if offset >= n {
        buf.copy_within(from..from + n, op);
        return Some(());
    }
    // Each copy takes everything written since `from`, which never
    // overlaps its destination, so the chunk doubles.
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
    // One copy of the loop per mode keeps the flag out of its registers.
    if partial {
        decode::<true>(src, dst)
    } else {
        decode::<false>(src, dst)
    }
}

fn decode<const PARTIAL: bool>(src: &[u8], dst: &mut [u8]) -> Result<usize> {
    let bad = Error::BadCompressedData;
    let (iend, oend) = (src.len(), dst.len());
    if iend == 0 {
        return Err(bad);
    }
    // Invariants of the loop: ip <= iend and op <= oend.
    let (mut ip, mut op) = (0usize, 0usize);
    loop {
        // Fast path: far from the ends of both buffers, a sequence with
        // short literals and a short match is copied as fixed-size chunks
        // that may run past it (the bytes past it are rewritten by the
        // sequences that follow, so these "wild" copies change nothing
        // returned). The token, literals and offset lie in a 32-byte
        // window of the input and the sequence's output in a 64-byte
        // window: fixed arrays, whose indexes need no checks.
        // (The loop's invariants make these differences and the index sums
        // below free of overflow: wrapping arithmetic spares the checks.)
        let token = if iend.wrapping_sub(ip) >= FAST_IN_MARGIN && oend.wrapping_sub(op) >= FAST_OUT_MARGIN {
            let input = src.get(ip..).and_then(|s| s.first_chunk::<FAST_IN_MARGIN>()).ok_or(bad)?;
            let token = input[0];
            let lit = (token >> 4) as usize;
            let mlen = (token & 15) as usize;
            if lit < 15 {
                let (done, ahead) = dst.split_at_mut_checked(op).ok_or(bad)?;
                let ahead = ahead.first_chunk_mut::<FAST_OUT_MARGIN>().ok_or(bad)?;
                ahead[..16].copy_from_slice(&input[1..17]);
                let offset = input[lit + 1..lit + 3].try_into().map_or(0, u16::from_le_bytes) as usize;
                ip = ip.wrapping_add(lit + 3);
                if mlen < 15 && offset >= lit + 18 {
                    // The match's source lies wholly in what was decoded
                    // before this sequence (an offset that points before
                    // the output fails the lookup).
                    let from = op.wrapping_add(lit).checked_sub(offset).ok_or(bad)?;
                    let source = done.get(from..).and_then(|s| s.first_chunk::<18>()).ok_or(bad)?;
                    ahead[lit..lit + 18].copy_from_slice(source);
                    op = op.wrapping_add(lit + mlen + 4);
                    continue;
                }
                op = op.wrapping_add(lit);
                if mlen < 15 && offset >= 8 && offset <= op {
                    // Each 8-byte chunk reads only bytes written before it.
                    let from = op - offset;
                    move_n::<8>(dst, from, op).ok_or(bad)?;
                    move_n::<8>(dst, from + 8, op.wrapping_add(8)).ok_or(bad)?;
                    move_n::<2>(dst, from + 16, op.wrapping_add(16)).ok_or(bad)?;
                    op = op.wrapping_add(mlen + 4);
                    continue;
                }
                if let Some(n) = copy_match::<PARTIAL>(src, &mut ip, dst, &mut op, offset, mlen)? {
                    return Ok(n);
                }
                continue;
            }
            token
        } else {
            *src.get(ip).ok_or(bad)?
        };
        // The careful path: long literal runs and the ends of the buffers.
        ip += 1;
        let mut lit = (token >> 4) as usize;
        if lit == 15 {
            lit = read_length(src, &mut ip, lit)?;
        }
        if lit > iend - ip {
            if !PARTIAL {
                return Err(bad);
            }
            // A partial decode takes what there is of a run the input cuts
            // short, as LZ4_decompress_safe_partial does: enough if it
            // fills the output, an error (short output) if not.
            lit = iend - ip;
        }
        if lit > oend - op {
            if !PARTIAL {
                return Err(bad);
            }
            let n = oend - op;
            dst.get_mut(op..).ok_or(bad)?.copy_from_slice(src.get(ip..ip + n).ok_or(bad)?);
            return Ok(oend);
        }
        if iend - ip - lit >= WILD_SLACK && oend - op - lit >= WILD_SLACK {
            copy_literals(src, ip, dst, op, lit).ok_or(bad)?;
        } else {
            dst.get_mut(op..op + lit).ok_or(bad)?.copy_from_slice(src.get(ip..ip + lit).ok_or(bad)?);
        }
        ip += lit;
        op += lit;
        if ip == iend {
            // The last sequence holds literals only.
            return Ok(op);
        }
        if PARTIAL && op == oend {
            return Ok(op);
        }
        let offset = u16::from_le_bytes([*src.get(ip).ok_or(bad)?, *src.get(ip + 1).ok_or(bad)?]) as usize;
        ip += 2;
        if let Some(n) = copy_match::<PARTIAL>(src, &mut ip, dst, &mut op, offset, (token & 15) as usize)? {
            return Ok(n);
        }
    }
}

/// Copies the match of a sequence whose token gave `mlen` (15: longer,
/// with length bytes at `ip`): checks the offset, copies in chunks when
/// there is room and exactly near the end, and truncates the match to the
/// output in partial mode. Returns the output length when decoding is
/// over (partial output full).
#[inline(always)]
fn copy_match<const PARTIAL: bool>(
    src: &[u8],
    ip: &mut usize,
    dst: &mut [u8],
    op: &mut usize,
    offset: usize,
    mlen: usize,
) -> Result<Option<usize>> {
    let bad = Error::BadCompressedData;
    let mut mlen = if mlen == 15 { read_length(src, ip, mlen)? } else { mlen };
    mlen = mlen.checked_add(4).ok_or(bad)?;
    let oend = dst.len();
    if offset == 0 || offset > *op {
        return Err(bad);
    }
    let room = oend - *op;
    if mlen < room && room - mlen >= WILD_SLACK {
        copy_match_wild(dst, *op, offset, mlen).ok_or(bad)?;
        *op += mlen;
    } else {
        if mlen > room {
            if !PARTIAL {
                return Err(bad);
            }
            mlen = room;
        }
        copy_match_exact(dst, *op, offset, mlen).ok_or(bad)?;
        *op += mlen;
        if PARTIAL && *op == oend {
            return Ok(Some(*op));
        }
    }
    // A match is always followed by another sequence.
    if *ip >= src.len() {
        return Err(bad);
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
