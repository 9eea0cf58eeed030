// SPDX-License-Identifier: GPL-2.0

//! An LZ4 block decoder, safe on hostile input: every length and offset is
//! checked, every copy is bounds-checked, and a bad stream ends in an error,
//! never a panic or an out-of-bounds access.
//!
//! Two forms share one decoding loop: input and output in separate
//! buffers, and in place, with the compressed bytes at the tail of the
//! output buffer (as the C driver decompresses when the pcluster's pages
//! are the file's own pages). In place, output that would overwrite input
//! not yet read is reported as corruption instead of decoding garbage.

use super::{Error, Result};

/// Input and output of one decoding run.
trait Io {
    fn in_end(&self) -> usize;
    fn out_end(&self) -> usize;
    fn byte(&self, ip: usize) -> Option<u8>;
    /// Copies `n` literals from input `ip` to output `op` (both checked).
    fn literals(&mut self, ip: usize, op: usize, n: usize) -> Result<()>;
    /// Copies `n` bytes from `op - offset` to `op`, overlapping as LZ4
    /// matches do (checked by the caller).
    fn matched(&mut self, op: usize, offset: usize, n: usize) -> Result<()>;
    /// In place: the output must not run past the input still unread.
    fn check_overrun(&self, _op: usize, _ip: usize) -> Result<()> {
        Ok(())
    }
}

fn copy_match(buf: &mut [u8], op: usize, offset: usize, n: usize) -> Result<()> {
    let from = op.checked_sub(offset).ok_or(Error::BadCompressedData)?;
    if op + n > buf.len() {
        return Err(Error::BadCompressedData);
    }
    if offset >= n {
        buf.copy_within(from..from + n, op);
        return Ok(());
    }
    // Overlapping: the match repeats the last `offset` bytes. Each copy
    // takes everything written so far since `from`, which never overlaps
    // its destination, so the chunk doubles every round.
    let mut copied = 0;
    while copied < n {
        let k = (offset + copied).min(n - copied);
        buf.copy_within(from..from + k, op + copied);
        copied += k;
    }
    Ok(())
}

struct Separate<'a> {
    src: &'a [u8],
    dst: &'a mut [u8],
}

/// Copies 16 bytes within `buf` from `from` to `to` (callers check both
/// ranges are inside `buf` and do not overlap).
#[inline(always)]
fn copy16(buf: &mut [u8], from: usize, to: usize) {
    let mut t = [0u8; 16];
    if let Some(s) = buf.get(from..from + 16) {
        t.copy_from_slice(s);
    }
    if let Some(d) = buf.get_mut(to..to + 16) {
        d.copy_from_slice(&t);
    }
}

impl Io for Separate<'_> {
    #[inline(always)]
    fn in_end(&self) -> usize {
        self.src.len()
    }
    #[inline(always)]
    fn out_end(&self) -> usize {
        self.dst.len()
    }
    #[inline(always)]
    fn byte(&self, ip: usize) -> Option<u8> {
        self.src.get(ip).copied()
    }
    #[inline(always)]
    fn literals(&mut self, ip: usize, op: usize, n: usize) -> Result<()> {
        // Short runs: copy a fixed 16 bytes when both buffers have room.
        // The bytes past the run are rewritten by what follows, so this
        // "wild" copy changes nothing that is returned.
        if n <= 16 && ip + 16 <= self.src.len() && op + 16 <= self.dst.len() {
            if let (Some(s), Some(d)) = (self.src.get(ip..ip + 16), self.dst.get_mut(op..op + 16)) {
                d.copy_from_slice(s);
                return Ok(());
            }
        }
        let s = self.src.get(ip..ip + n).ok_or(Error::BadCompressedData)?;
        self.dst.get_mut(op..op + n).ok_or(Error::BadCompressedData)?.copy_from_slice(s);
        Ok(())
    }
    #[inline(always)]
    fn matched(&mut self, op: usize, offset: usize, n: usize) -> Result<()> {
        // Matches from at least 16 bytes back: 16-byte chunks, which never
        // overlap their source, may run up to 15 bytes past the match
        // (rewritten later, as with literals) while the buffer has room.
        if offset >= 16 && offset <= op && op + n + 16 <= self.dst.len() {
            let from = op - offset;
            let mut i = 0;
            while i < n {
                copy16(self.dst, from + i, op + i);
                i += 16;
            }
            return Ok(());
        }
        copy_match(self.dst, op, offset, n)
    }
}

/// One buffer: output at `[0, out_len)`, input at `[in_start, buf.len())`.
struct InPlace<'a> {
    buf: &'a mut [u8],
    in_start: usize,
    out_len: usize,
}

impl Io for InPlace<'_> {
    #[inline(always)]
    fn in_end(&self) -> usize {
        self.buf.len() - self.in_start
    }
    #[inline(always)]
    fn out_end(&self) -> usize {
        self.out_len
    }
    #[inline(always)]
    fn byte(&self, ip: usize) -> Option<u8> {
        self.buf.get(self.in_start + ip).copied()
    }
    #[inline(always)]
    fn literals(&mut self, ip: usize, op: usize, n: usize) -> Result<()> {
        let from = self.in_start + ip;
        if from + n > self.buf.len() || op + n > self.out_len {
            return Err(Error::BadCompressedData);
        }
        self.buf.copy_within(from..from + n, op);
        Ok(())
    }
    #[inline(always)]
    fn matched(&mut self, op: usize, offset: usize, n: usize) -> Result<()> {
        copy_match(self.buf, op, offset, n)
    }
    #[inline(always)]
    fn check_overrun(&self, op: usize, ip: usize) -> Result<()> {
        if op > self.in_start + ip {
            return Err(Error::BadCompressedData);
        }
        Ok(())
    }
}

#[inline(always)]
fn read_length<I: Io>(io: &I, ip: &mut usize, mut len: usize) -> Result<usize> {
    loop {
        let b = io.byte(*ip).ok_or(Error::BadCompressedData)?;
        *ip += 1;
        len = len.checked_add(b as usize).ok_or(Error::BadCompressedData)?;
        if b != 255 {
            return Ok(len);
        }
    }
}

/// The decoding loop. With `partial`, stops as soon as the output is full
/// (LZ4_decompress_safe_partial); otherwise the input must end exactly
/// after a literal run. Returns the number of bytes produced.
fn run<I: Io>(io: &mut I, partial: bool) -> Result<usize> {
    let (iend, oend) = (io.in_end(), io.out_end());
    let (mut ip, mut op) = (0usize, 0usize);
    loop {
        let token = io.byte(ip).ok_or(Error::BadCompressedData)?;
        ip += 1;
        let mut lit = (token >> 4) as usize;
        if lit == 15 {
            lit = read_length(io, &mut ip, lit)?;
        }
        if lit > iend - ip {
            return Err(Error::BadCompressedData);
        }
        if lit > oend - op {
            if !partial {
                return Err(Error::BadCompressedData);
            }
            let n = oend - op;
            io.literals(ip, op, n)?;
            return Ok(oend);
        }
        io.literals(ip, op, lit)?;
        ip += lit;
        op += lit;
        io.check_overrun(op, ip)?;
        if ip == iend {
            // The last sequence holds literals only.
            return Ok(op);
        }
        if partial && op == oend {
            return Ok(op);
        }
        let lo = io.byte(ip).ok_or(Error::BadCompressedData)?;
        let hi = io.byte(ip + 1).ok_or(Error::BadCompressedData)?;
        ip += 2;
        let offset = u16::from_le_bytes([lo, hi]) as usize;
        if offset == 0 || offset > op {
            return Err(Error::BadCompressedData);
        }
        let mut mlen = (token & 15) as usize;
        if mlen == 15 {
            mlen = read_length(io, &mut ip, mlen)?;
        }
        mlen += 4;
        if mlen > oend - op {
            if !partial {
                return Err(Error::BadCompressedData);
            }
            mlen = oend - op;
        }
        io.matched(op, offset, mlen)?;
        op += mlen;
        io.check_overrun(op, ip)?;
        if partial && op == oend {
            return Ok(op);
        }
        if ip >= iend {
            return Err(Error::BadCompressedData);
        }
    }
}

/// Decodes `src` into `dst`. Without `partial` the stream must fill `dst`
/// exactly and end with the input; with it, decoding stops once `dst` is
/// full. Returns the number of bytes written.
pub fn decompress(src: &[u8], dst: &mut [u8], partial: bool) -> Result<usize> {
    if src.is_empty() {
        return Err(Error::BadCompressedData);
    }
    run(&mut Separate { src, dst }, partial)
}

/// Decodes in place: `buf[in_start..]` holds the compressed stream, the
/// result is written to `buf[..out_len]`. The stream must leave enough
/// margin that output never overtakes unread input.
pub fn decompress_in_place(buf: &mut [u8], in_start: usize, out_len: usize, partial: bool) -> Result<usize> {
    if in_start >= buf.len() || out_len > buf.len() {
        return Err(Error::BadCompressedData);
    }
    run(&mut InPlace { buf, in_start, out_len }, partial)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn in_place_matches_separate() {
        let mut buf = [0u8; 24];
        buf[24 - STREAM.len()..].copy_from_slice(STREAM);
        assert_eq!(decompress_in_place(&mut buf, 24 - STREAM.len(), 12, false), Ok(12));
        assert_eq!(&buf[..12], b"abcdabcdabxy");
    }

    #[test]
    fn in_place_overrun_is_an_error() {
        // Input starting right at the output: the first literal run would
        // overwrite bytes not yet read.
        let mut buf = [0u8; 12];
        buf[2..2 + STREAM.len()].copy_from_slice(STREAM);
        assert!(decompress_in_place(&mut buf, 2, 12, false).is_err());
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
}
