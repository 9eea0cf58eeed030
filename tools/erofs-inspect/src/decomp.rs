//! Host implementations of the non-LZ4 algorithms: MicroLZMA through the
//! system liblzma, raw DEFLATE through miniz_oxide, Zstd through libzstd.

use erofs_format::decompress::Decompressor;
use erofs_format::erofs_fs::{COMPRESSION_DEFLATE, COMPRESSION_LZMA, COMPRESSION_ZSTD};
use erofs_format::{Error, Result};

pub struct HostDecompressor {
    /// The image's MicroLZMA dictionary size.
    pub lzma_dict_size: u32,
}

impl Decompressor for HostDecompressor {
    fn decompress(&mut self, algorithm: u8, input: &[u8], out: &mut [u8], partial: bool) -> Result<()> {
        match algorithm {
            COMPRESSION_LZMA => microlzma(input, out, partial, self.lzma_dict_size),
            COMPRESSION_DEFLATE => inflate_raw(input, out, partial),
            COMPRESSION_ZSTD => zstd_stream(input, out, partial),
            a => Err(Error::UnsupportedAlgorithm(a)),
        }
    }
}

fn inflate_raw(input: &[u8], out: &mut [u8], partial: bool) -> Result<()> {
    use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
    use miniz_oxide::inflate::TINFLStatus;
    let mut st = DecompressorOxide::new();
    let flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let (status, _, written) = decompress(&mut st, input, out, 0, flags);
    match status {
        TINFLStatus::Done if written == out.len() => Ok(()),
        TINFLStatus::HasMoreOutput if partial && written == out.len() => Ok(()),
        _ => Err(Error::BadCompressedData),
    }
}

fn zstd_stream(input: &[u8], out: &mut [u8], partial: bool) -> Result<()> {
    use zstd::stream::raw::{Decoder, InBuffer, Operation, OutBuffer};
    let mut d = Decoder::new().map_err(|_| Error::Io)?;
    let mut inb = InBuffer::around(input);
    let mut outb = OutBuffer::around(out);
    loop {
        let hint = d.run(&mut inb, &mut outb).map_err(|_| Error::BadCompressedData)?;
        let full = outb.pos() == outb.capacity();
        if hint == 0 || full {
            return if full && (partial || hint == 0) { Ok(()) } else { Err(Error::BadCompressedData) };
        }
        if inb.pos() == input.len() {
            return Err(Error::BadCompressedData);
        }
    }
}

#[repr(C)]
struct LzmaStream {
    next_in: *const u8,
    avail_in: usize,
    total_in: u64,
    next_out: *mut u8,
    avail_out: usize,
    total_out: u64,
    allocator: *const core::ffi::c_void,
    internal: *mut core::ffi::c_void,
    reserved_ptr: [*mut core::ffi::c_void; 4],
    reserved_int: [u64; 2],
    reserved_size: [usize; 2],
    reserved_enum: [u32; 2],
}

#[link(name = "lzma")]
extern "C" {
    fn lzma_microlzma_decoder(strm: *mut LzmaStream, comp_size: u64, uncomp_size: u64, exact: u8, dict_size: u32) -> u32;
    fn lzma_code(strm: *mut LzmaStream, action: u32) -> u32;
    fn lzma_end(strm: *mut LzmaStream);
}

fn microlzma(input: &[u8], out: &mut [u8], partial: bool, dict_size: u32) -> Result<()> {
    const LZMA_OK: u32 = 0;
    const LZMA_STREAM_END: u32 = 1;
    // SAFETY: an all-zero lzma_stream is LZMA_STREAM_INIT.
    let mut s: LzmaStream = unsafe { core::mem::zeroed() };
    // SAFETY: `s` is initialised; sizes describe the buffers below.
    let r = unsafe { lzma_microlzma_decoder(&mut s, input.len() as u64, out.len() as u64, u8::from(!partial), dict_size.max(4096)) };
    if r != LZMA_OK {
        return Err(Error::BadCompressedData);
    }
    s.next_in = input.as_ptr();
    s.avail_in = input.len();
    s.next_out = out.as_mut_ptr();
    s.avail_out = out.len();
    // SAFETY: the stream points into `input` and `out`, alive for the call.
    let r = unsafe { lzma_code(&mut s, 0) };
    let produced = out.len() - s.avail_out;
    // SAFETY: ends the decoder set up above.
    unsafe { lzma_end(&mut s) };
    match r {
        LZMA_STREAM_END | LZMA_OK if produced == out.len() => Ok(()),
        _ => Err(Error::BadCompressedData),
    }
}
