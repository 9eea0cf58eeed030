// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers over the kernel's decompression libraries that EROFS
//! images use besides LZ4: raw DEFLATE (lib/zlib_inflate), MicroLZMA
//! (lib/xz) and Zstd (lib/zstd). Each decoder owns its workspace, made
//! once and reused for every pcluster it decodes.

use super::bindings;
use kernel::prelude::*;

/// Why a decode failed: the stream is bad or does not give the size asked.
#[derive(Debug)]
pub(crate) struct BadStream;

/// A raw-DEFLATE inflater.
///
/// # Invariants
///
/// `strm.workspace` points into `ws`, which is never resized or moved.
pub(crate) struct Inflate {
    strm: KBox<bindings::z_stream_s>,
    ws: KVVec<u8>,
}

// SAFETY: the stream and its workspace are plain memory owned by us.
unsafe impl Send for Inflate {}

impl Inflate {
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: a pure size query.
        let size = unsafe { bindings::zlib_inflate_workspacesize() } as usize;
        let mut ws = KVVec::from_elem(0u8, size, GFP_KERNEL)?;
        let mut strm = KBox::new(bindings::z_stream_s::default(), GFP_KERNEL)?;
        strm.workspace = ws.as_mut_ptr().cast();
        // INVARIANT: the workspace pointer refers to `ws`, owned alongside.
        Ok(Self { strm, ws })
    }

    /// Inflates `input` into `out`. Without `partial` the stream must end
    /// exactly when `out` is full.
    pub(crate) fn decode(&mut self, input: &[u8], out: &mut [u8], partial: bool) -> core::result::Result<(), BadStream> {
        let _ = &self.ws;
        let s = &mut *self.strm;
        // SAFETY: the stream's workspace is ours (type invariant); raw
        // DEFLATE is selected with negative window bits.
        if unsafe { bindings::zlib_inflateInit2(s, -(bindings::MAX_WBITS as i32)) } != bindings::Z_OK as i32 {
            return Err(BadStream);
        }
        s.next_in = input.as_ptr();
        s.avail_in = input.len() as _;
        s.next_out = out.as_mut_ptr();
        s.avail_out = out.len() as _;
        let ok = loop {
            // SAFETY: the stream points at `input` and `out`, both alive
            // and of the lengths given, for the whole loop.
            let r = unsafe { bindings::zlib_inflate(s, bindings::Z_SYNC_FLUSH as i32) };
            if s.avail_out == 0 {
                break r == bindings::Z_STREAM_END as i32 || partial;
            }
            if r != bindings::Z_OK as i32 {
                break false;
            }
            if s.avail_in == 0 {
                break false;
            }
        };
        // SAFETY: ends the stream started above.
        unsafe { bindings::zlib_inflateEnd(s) };
        if ok {
            Ok(())
        } else {
            Err(BadStream)
        }
    }
}

/// A MicroLZMA decoder whose dictionary is the output buffer itself
/// (XZ_SINGLE: a pcluster is decoded in one call, into one buffer), so
/// nothing is copied out of a dictionary and none is allocated. (The C
/// driver decodes page by page, through a preallocated dictionary.)
///
/// # Invariants
///
/// `s` came from `xz_dec_microlzma_alloc` and is freed only in `drop`.
pub(crate) struct MicroLzma {
    s: *mut bindings::xz_dec_microlzma,
}

// SAFETY: the decoder state is plain memory owned by us.
unsafe impl Send for MicroLzma {}

impl MicroLzma {
    pub(crate) fn new(dict_size: u32) -> Result<Self> {
        // SAFETY: allocates a decoder state; NULL on failure. In
        // XZ_SINGLE mode the size only bounds what the stream may ask.
        let s = unsafe { bindings::xz_dec_microlzma_alloc(bindings::xz_mode_XZ_SINGLE, dict_size.max(4096)) };
        if s.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: freshly allocated.
        Ok(Self { s })
    }

    pub(crate) fn decode(&mut self, input: &[u8], out: &mut [u8], partial: bool) -> core::result::Result<(), BadStream> {
        let (Ok(insize), Ok(outsize)) = (u32::try_from(input.len()), u32::try_from(out.len())) else {
            return Err(BadStream);
        };
        // SAFETY: `s` is live (type invariant); sizes describe the buffers.
        unsafe { bindings::xz_dec_microlzma_reset(self.s, insize, outsize, !partial as i32) };
        let mut b = bindings::xz_buf {
            in_: input.as_ptr(),
            in_pos: 0,
            in_size: input.len(),
            out: out.as_mut_ptr(),
            out_pos: 0,
            out_size: out.len(),
        };
        // XZ_SINGLE allows more calls only with the same output buffer;
        // this decode makes one.
        // SAFETY: `b` points at `input` and `out`, alive for the call.
        let r = unsafe { bindings::xz_dec_microlzma_run(self.s, &mut b) };
        let full = b.out_pos == out.len();
        if full && (r == bindings::xz_ret_XZ_STREAM_END || (partial && r == bindings::xz_ret_XZ_OK)) {
            Ok(())
        } else {
            Err(BadStream)
        }
    }
}

impl Drop for MicroLzma {
    fn drop(&mut self) {
        // SAFETY: frees the state allocated in `new` (type invariant).
        unsafe { bindings::xz_dec_microlzma_end(self.s) };
    }
}

/// A Zstd streaming decoder.
///
/// # Invariants
///
/// `ws` holds `zstd_dstream_workspace_bound(max_window)` bytes.
pub(crate) struct Zstd {
    ws: KVVec<u8>,
    max_window: usize,
}

impl Zstd {
    pub(crate) fn new(max_window: usize) -> Result<Self> {
        // SAFETY: a pure size query.
        let size = unsafe { bindings::zstd_dstream_workspace_bound(max_window) };
        let ws = KVVec::from_elem(0u8, size, GFP_KERNEL)?;
        // INVARIANT: sized as the library asks.
        Ok(Self { ws, max_window })
    }

    pub(crate) fn decode(&mut self, input: &[u8], out: &mut [u8], partial: bool) -> core::result::Result<(), BadStream> {
        // SAFETY: the workspace is ours and large enough (type invariant);
        // the stream lives inside it for this call only.
        let stream = unsafe { bindings::zstd_init_dstream(self.max_window, self.ws.as_mut_ptr().cast(), self.ws.len()) };
        if stream.is_null() {
            return Err(BadStream);
        }
        let mut inb = bindings::ZSTD_inBuffer_s { src: input.as_ptr().cast(), size: input.len(), pos: 0 };
        let mut outb = bindings::ZSTD_outBuffer_s { dst: out.as_mut_ptr().cast(), size: out.len(), pos: 0 };
        loop {
            // SAFETY: the buffers describe `input` and `out`, both alive.
            let r = unsafe { bindings::zstd_decompress_stream(stream, &mut outb, &mut inb) };
            // SAFETY: a pure check of a return code.
            if unsafe { bindings::zstd_is_error(r) } != 0 {
                return Err(BadStream);
            }
            if outb.pos == outb.size {
                // Full: done if the frame ended or partial output is fine.
                return if r == 0 || partial { Ok(()) } else { Err(BadStream) };
            }
            if r == 0 || inb.pos == inb.size {
                return Err(BadStream);
            }
        }
    }
}
