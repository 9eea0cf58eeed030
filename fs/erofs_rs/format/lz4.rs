// SPDX-License-Identifier: GPL-2.0

//! An LZ4 block decoder, safe on hostile input: every length and offset is
//! checked, every copy is bounds-checked, and a bad stream ends in an error,
//! never a panic or an out-of-bounds access.
//!
//! Speed comes from the shape of real streams (measured on lz4hc
//! pclusters: about 80 % of sequences have fewer than 15 literals and a
//! match of at most 18 bytes from at least 8 back) and from giving the
//! compiler limits it can see:
//! - the fast path (`fast_sequences`, out of line so its loop keeps its
//!   indexes and limits in registers) runs while the input has 32 bytes
//!   left and the output 64, limits computed once and compared without
//!   wrapping; it reads a sequence's token, literals and offset from a
//!   fixed 32-byte window of the input, copies short literal runs as one
//!   16-byte chunk and short matches as 8 + 8 + 2 bytes, "wild" copies
//!   that may run past the sequence (the bytes past it are rewritten by
//!   the sequences that follow, so they change nothing returned);
//! - its branches follow what a branch predictor can learn: one path for
//!   every short match from 8 or more back, whether or not it overlaps
//!   its source (which is not predictable, and cost more in mispredicted
//!   branches than the one chunk it saved);
//! - long literal runs are copied as one 64-byte chunk (a loop only past
//!   it), long matches from at least 16 back as four 16-byte chunks
//!   (likewise), in slices bounded once: one branch whatever the length
//!   up to 64 and whether or not a match overlaps its source; matches
//!   with a period under 8 get their first 8 bytes one by one, which
//!   makes the rest a copy from at least 8 back; rarer shapes go out of
//!   line;
//! - near the ends of the buffers a careful path copies exact lengths
//!   (short sequences with room still the fast path's way, as liblz4's
//!   shortcut does); a sequence the fast path cannot finish is left
//!   whole to it;
//! - partial and whole decodes are separate copies of the careful loop.
//!
//! `tools/erofs-inspect/tests/lz4.rs` holds it to liblz4 on real and
//! corrupted streams; `cargo bench` times the two.

use super::{Error, Result};

/// Room the fast path keeps: on the input side the token, a 16-byte
/// literal copy and the offset; on the output side up to 14 literals and
/// a match of up to 18 bytes with the slack of its wild copies (a long
/// literal run keeps this room after it; a long match needs 64 bytes, or
/// its length and 32).
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

/// Copies a match of up to 18 bytes (written as 18) from `offset` (at
/// least 8) back, `span` starting at its source: 8 + 8 + 2 bytes, each
/// chunk reading only bytes written before it, so one path serves
/// matches that overlap their source and matches that do not.
#[inline(always)]
fn copy_short_match(span: &mut [u8], offset: usize) -> Option<()> {
    move_n::<8>(span, 0, offset)?;
    move_n::<8>(span, 8, offset + 8)?;
    move_n::<2>(span, 16, offset + 16)
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
    // Invariants of the loop: ip <= iend and op <= oend, both at the start
    // of a sequence.
    let (mut ip, mut op) = (0usize, 0usize);
    // Where the fast path stops (its room, see `fast_sequences`): once
    // past them, the careful path takes every sequence left without
    // calling it again (a call that returns at once costs its prologue).
    let fast_until = (iend.saturating_sub(FAST_IN_MARGIN), oend.saturating_sub(FAST_OUT_MARGIN));
    loop {
        if ip <= fast_until.0 && op <= fast_until.1 {
            fast_sequences(src, &mut ip, dst, &mut op)?;
        }
        // The careful path: one sequence near the ends of the buffers, or
        // one the fast path left (a literal run or match too long for the
        // room it keeps). A short one with room for the fast path's wild
        // copies is copied as there (liblz4's shortcut): with 4 KiB of
        // output the careful path takes about one sequence in twenty.
        if let Some((i, o)) = short_sequence(src, ip, dst, op) {
            (ip, op) = (i, o);
            continue;
        }
        let token = *src.get(ip).ok_or(bad)?;
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

/// Room [`short_sequence`] needs: the token, a 16-byte literal copy and
/// (within those) the offset; 16 literal bytes and an 18-byte match
/// written from up to 14 bytes on.
const SHORT_IN: usize = 17;
const SHORT_OUT: usize = 32;

/// Decodes the sequence at `ip` into `dst` at `op` the fast path's way
/// when it is short (up to 14 literals, a match of up to 18 bytes from at
/// least 8 back) and both buffers have the room of its wild copies;
/// returns where the next sequence starts. `None` leaves it to the
/// careful code. With 17 bytes of input left after the token a run of
/// under 15 literals cannot end the stream, so an offset follows.
#[inline(always)]
fn short_sequence(src: &[u8], ip: usize, dst: &mut [u8], op: usize) -> Option<(usize, usize)> {
    let input = src.get(ip..)?.first_chunk::<SHORT_IN>()?;
    let token = input[0];
    let (lit, mlen) = ((token >> 4) as usize, (token & 15) as usize);
    if lit == 15 || mlen == 15 || dst.len().checked_sub(op)? < SHORT_OUT {
        return None;
    }
    let offset = u16::from_le_bytes([input[lit + 1], input[lit + 2]]) as usize;
    let to = op + lit;
    if offset < 8 || offset > to {
        return None;
    }
    dst.get_mut(op..op + 16)?.copy_from_slice(&input[1..17]);
    let span = dst.get_mut(to - offset..to + 18)?;
    copy_short_match(span, offset)?;
    Some((ip + lit + 3, to + mlen + 4))
}

/// The fast path: decodes sequences while the input has [`FAST_IN_MARGIN`]
/// bytes left and the output [`FAST_OUT_MARGIN`], copying in fixed-size
/// chunks that may run past a sequence (the bytes past it are rewritten by
/// the sequences that follow, so these "wild" copies change nothing
/// returned). Returns with `ip` and `op` at the start of a sequence it
/// leaves to the careful path; a sequence it cannot finish is left whole
/// (what it wrote of it is written again, alike).
///
/// The limits are computed once and compared without wrapping, so the
/// compiler knows the room most copies need and drops their bounds
/// checks. Kept out of line: alone, its loop keeps every index and limit
/// in a register (inlined into the careful loop, they were spilled).
///
/// In the kernel it sits in a text section of its own, which the module
/// aligns to a page (see `vfs`): where the test kernels run, under QEMU's
/// TCG, a loop that straddles two pages costs a lookup per jump between
/// them. Only where the code lies changes (hence the `unsafe_code` lint,
/// which flags any `link_section`, allowed here).
#[inline(never)]
#[cfg_attr(CONFIG_RUST, allow(unsafe_code), link_section = ".text.erofs_rs_lz4")]
fn fast_sequences(src: &[u8], ip: &mut usize, dst: &mut [u8], op: &mut usize) -> Result<()> {
    let bad = Error::BadCompressedData;
    let (Some(ilimit), Some(olimit)) = (src.len().checked_sub(FAST_IN_MARGIN), dst.len().checked_sub(FAST_OUT_MARGIN)) else {
        return Ok(());
    };
    let (mut i, mut o) = (*ip, *op);
    while i <= ilimit && o <= olimit {
        let (seq_i, seq_o) = (i, o);
        let input = src.get(i..).and_then(|s| s.first_chunk::<FAST_IN_MARGIN>()).ok_or(bad)?;
        let token = input[0];
        let lit = (token >> 4) as usize;
        let offset;
        if lit < 15 {
            // Up to 14 literals as one 16-byte chunk; the offset follows
            // them within the input window.
            dst.get_mut(o..o + 16).ok_or(bad)?.copy_from_slice(&input[1..17]);
            offset = u16::from_le_bytes([input[lit + 1], input[lit + 2]]) as usize;
            i += lit + 3;
            let mlen = (token & 15) as usize;
            if mlen < 15 && offset >= 8 {
                // The commonest sequence: a match of up to 18 bytes from
                // at least 8 back (an offset that points before the
                // output fails), copied as 8-byte chunks, each reading
                // only bytes written before it. One branch for all of
                // them: which of them overlap their source is not
                // predictable.
                let to = o + lit;
                let span = dst.get_mut(to.checked_sub(offset).ok_or(bad)?..to + 18).ok_or(bad)?;
                copy_short_match(span, offset).ok_or(bad)?;
                o = to + mlen + 4;
                continue;
            }
            o += lit;
        } else {
            // Most long runs have one length byte, in the window.
            let (p, lit) = if input[1] != 255 {
                (i + 2, 15 + input[1] as usize)
            } else {
                let mut p = i + 1;
                let lit = read_length(src, &mut p, lit)?;
                (p, lit)
            };
            // After the run both buffers must still have the fast path's
            // room, for the offset and the match.
            if p > ilimit || lit > ilimit - p || lit > olimit - o {
                break;
            }
            // Most long runs are at most 64 bytes: one 64-byte copy, and
            // a loop only for what is past it (a loop from the start
            // mispredicted its exit on most runs; a 32-byte copy
            // mispredicted its `lit > 32` on a quarter of them, 1 in 9 of
            // all mispredicts at 4 KiB pclusters). The output has the
            // room (`olimit`); near the input's end, 32 bytes.
            if p + 64 <= src.len() {
                copy_n::<64>(src, p, dst, o).ok_or(bad)?;
                if lit > 64 {
                    let run = round_up_16(lit);
                    copy_chunks_16(dst.get_mut(o + 64..o + run).ok_or(bad)?, src.get(p + 64..p + run).ok_or(bad)?);
                }
            } else {
                copy_n::<32>(src, p, dst, o).ok_or(bad)?;
                if lit > 32 {
                    let run = round_up_16(lit);
                    copy_chunks_16(dst.get_mut(o + 32..o + run).ok_or(bad)?, src.get(p + 32..p + run).ok_or(bad)?);
                }
            }
            i = p + lit;
            o += lit;
            offset = u16::from_le_bytes(*src.get(i..).and_then(|s| s.first_chunk::<2>()).ok_or(bad)?) as usize;
            i += 2;
        }
        // An offset that points before the output (or is 0) is corrupt.
        if offset == 0 || offset > o {
            return Err(bad);
        }
        let from = o - offset;
        let mlen = (token & 15) as usize;
        if mlen < 15 {
            // A match of 4-18 bytes, written as 18; `o` is within 14 bytes
            // past `olimit`, so 32 bytes are there.
            if offset >= 8 {
                // As in the short path: one branch whether or not the
                // match overlaps its source (after a long literal run it
                // mostly does not; telling the two apart mispredicted).
                let span = dst.get_mut(from..).and_then(|s| s.get_mut(..offset + 18)).ok_or(bad)?;
                copy_short_match(span, offset).ok_or(bad)?;
            } else {
                copy_short_period_18(dst, o, offset).ok_or(bad)?;
            }
            o += mlen + 4;
            continue;
        }
        let mut p = i;
        let mlen = read_length(src, &mut p, mlen)?.checked_add(4).ok_or(bad)?;
        // Room for the match's chunks (64 bytes at least), else the
        // careful path takes the whole sequence.
        if mlen.max(32).saturating_add(32) > dst.len() - o {
            i = seq_i;
            o = seq_o;
            break;
        }
        i = p;
        if offset >= 16 {
            // Up to 64 bytes as four 16-byte chunks, each reading only
            // bytes written before it: one branch for every long match
            // up to 64 bytes, whether or not it overlaps its source
            // (telling lengths or overlaps apart mispredicted). The span
            // is sliced to its exact length, which bounds every chunk.
            let span = dst.get_mut(from..).and_then(|s| s.get_mut(..offset + 64)).ok_or(bad)?;
            move_n::<16>(span, 0, offset).ok_or(bad)?;
            move_n::<16>(span, 16, offset + 16).ok_or(bad)?;
            move_n::<16>(span, 32, offset + 32).ok_or(bad)?;
            move_n::<16>(span, 48, offset + 48).ok_or(bad)?;
            if mlen > 64 {
                copy_overlapping::<16>(dst, o + 64, offset, mlen - 64).ok_or(bad)?;
            }
        } else if offset >= 8 {
            copy_overlapping::<8>(dst, o, offset, mlen).ok_or(bad)?;
        } else {
            copy_short_period(dst, o, offset, mlen).ok_or(bad)?;
        }
        o += mlen;
    }
    *ip = i;
    *op = o;
    Ok(())
}

/// `n` rounded up to a whole number of 16-byte chunks (`n` is far below
/// the top of `usize`: a length read from a stream no longer than memory).
#[inline(always)]
fn round_up_16(n: usize) -> usize {
    n.wrapping_add(15) & !15
}

/// Copies `src` into `dst` (of equal length, a multiple of 16) in 16-byte
/// chunks; the lengths are checked once, by the slicing that made them.
#[inline(always)]
fn copy_chunks_16(dst: &mut [u8], src: &[u8]) {
    let (d, _) = dst.as_chunks_mut::<16>();
    let (s, _) = src.as_chunks::<16>();
    for (d, s) in d.iter_mut().zip(s) {
        *d = *s;
    }
}

/// Copies an `n`-byte match from `dist` (at least `N`) bytes back in
/// `N`-byte chunks, each reading only bytes written before it; writes up
/// to `N - 1` bytes past the match. Out of line: long runs of a short
/// period are rare, and inlined its loop costs the fast path registers.
#[inline(never)]
fn copy_overlapping<const N: usize>(buf: &mut [u8], op: usize, dist: usize, n: usize) -> Option<()> {
    let span = buf.get_mut(op.checked_sub(dist)?..op.checked_add(n)?.checked_add(N)?)?;
    let mut s = 0;
    while s < n {
        let chunk: [u8; N] = span.get(s..s + N)?.try_into().ok()?;
        span.get_mut(s + dist..s + dist + N)?.copy_from_slice(&chunk);
        s += N;
    }
    Some(())
}

/// The distance over which a match of period `p` (under 8, the index)
/// repeats with at least 8 bytes: the smallest multiple of `p` of at
/// least 8.
const PERIOD_DISTANCE: [usize; 8] = [8, 8, 8, 9, 8, 10, 12, 14];

/// Copies a match of up to 18 bytes whose offset is under 8, as
/// [`copy_short_period`] does but in line, without a loop: the first 8
/// bytes one by one, then two 8-byte chunks from the period's distance
/// back. Writes up to 6 bytes past the 18 (the fast path's room).
#[inline(always)]
fn copy_short_period_18(buf: &mut [u8], op: usize, offset: usize) -> Option<()> {
    let offset = offset & 7;
    let from = op.checked_sub(offset)?;
    // Every index below is under 32: offset + 24 at most.
    let w: &mut [u8; 32] = buf.get_mut(from..from.checked_add(32)?)?.try_into().ok()?;
    for k in 0..8 {
        w[offset + k] = w[k];
    }
    let back = PERIOD_DISTANCE[offset];
    // `back` is at most `offset + 8`: no wrap.
    move_n::<8>(w, (offset + 8).wrapping_sub(back), offset + 8)?;
    move_n::<8>(w, (offset + 16).wrapping_sub(back), offset + 16)
}

/// The largest multiple of a period `p` (under 8, the index) of at most
/// 16: how far a 16-byte pattern of the period advances.
const PERIOD_STEP: [usize; 8] = [16, 16, 16, 15, 16, 15, 12, 14];

/// Copies an `n`-byte match (at least 16) whose offset is under 8 (a
/// short period repeated, mostly runs of one byte): its first 16 bytes
/// one by one, then that 16-byte pattern stored again and again from a
/// register, each time advanced by a whole number of periods. Writes up
/// to 15 bytes past the match. Out of line: rare, and long.
#[inline(never)]
fn copy_short_period(buf: &mut [u8], op: usize, offset: usize, n: usize) -> Option<()> {
    let offset = offset & 7;
    let from = op.checked_sub(offset)?;
    let w: &mut [u8; 32] = buf.get_mut(from..from.checked_add(32)?)?.try_into().ok()?;
    for k in 0..16 {
        w[offset + k] = w[k];
    }
    let pattern: [u8; 16] = *w[offset..].first_chunk::<16>()?;
    let step = PERIOD_STEP[offset];
    let span = buf.get_mut(op..op.checked_add(n)?.checked_add(16)?)?;
    let mut i = step;
    while i < n {
        span.get_mut(i..i + 16)?.copy_from_slice(&pattern);
        i += step;
    }
    Some(())
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

    /// A stream of `count` pseudo-random sequences with literal runs of
    /// up to `max_lit` bytes, matches of up to `max_mlen` and offsets of up
    /// to `max_offset` (all past the first 64 bytes of output), ending in
    /// five literals.
    fn random_stream(seed: u32, count: usize, max_lit: usize, max_mlen: usize, max_offset: usize) -> Vec<u8> {
        fn push_length(src: &mut Vec<u8>, mut rest: usize) {
            while rest >= 255 {
                src.push(255);
                rest -= 255;
            }
            src.push(rest as u8);
        }
        let mut src = vec![0xf0, 64 - 15];
        src.extend((0..64u8).map(|i| i.wrapping_mul(37)));
        src.extend_from_slice(&[1, 0]);
        let mut produced = 64 + 4;
        let mut seed = seed;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (seed >> 8) as usize % n
        };
        for _ in 0..count {
            let lit = next(max_lit + 1);
            let mlen = next(max_mlen - 3) + 4;
            produced += lit;
            let offset = 1 + next(max_offset.min(produced));
            produced += mlen;
            let (tl, tm) = (lit.min(15), (mlen - 4).min(15));
            src.push(((tl as u8) << 4) | tm as u8);
            if tl == 15 {
                push_length(&mut src, lit - 15);
            }
            for _ in 0..lit {
                src.push(next(256) as u8);
            }
            src.extend_from_slice(&(offset as u16).to_le_bytes());
            if tm == 15 {
                push_length(&mut src, mlen - 4 - 15);
            }
        }
        src.extend_from_slice(&[0x50, 1, 2, 3, 4, 5]);
        src
    }

    #[test]
    fn every_copy_path_matches_reference() {
        // Short and long literal runs and matches, offsets below and above
        // every chunk size the copies use, whole and partial decodes.
        for (seed, max_lit, max_mlen, max_offset) in
            [(1, 14, 18, 8), (2, 20, 40, 20), (3, 40, 100, 40), (4, 300, 600, 64), (5, 3, 300, 17), (6, 60, 70, 2000)]
        {
            let src = random_stream(seed, 3000, max_lit, max_mlen, max_offset);
            let want = reference(&src);
            let mut out = vec![0u8; want.len()];
            assert_eq!(decompress(&src, &mut out, false), Ok(want.len()), "seed {seed}");
            assert!(out == want, "seed {seed}");
            for cut in [1, 63, 64, 65, 1000, want.len() / 2, want.len() - 3, want.len() - 1] {
                let mut part = vec![0u8; cut];
                assert_eq!(decompress(&src, &mut part, true), Ok(cut), "seed {seed} cut {cut}");
                assert!(part[..] == want[..cut], "seed {seed} cut {cut}");
            }
            // A stream cut anywhere fails or decodes a prefix; never panics.
            for n in (0..src.len()).step_by(97) {
                let _ = decompress(&src[..n], &mut out, false);
                let _ = decompress(&src[..n], &mut out, true);
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
