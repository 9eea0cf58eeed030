//! Benchmark helpers shared by `erofs-bench` and `cargo bench`: the LZ4
//! pclusters of an image, and our LZ4 decoder timed against liblz4.

use crate::{walk, Image};
use erofs_format::decompress::strip_zero_padding;
use erofs_format::erofs_fs::COMPRESSION_LZ4;
use erofs_format::zmap::{self, ZInfo, ZKind};
use std::time::Instant;

#[link(name = "lz4")]
extern "C" {
    fn LZ4_decompress_safe_partial(src: *const u8, dst: *mut u8, src_size: i32, target: i32, cap: i32) -> i32;
    fn LZ4_decompress_safe(src: *const u8, dst: *mut u8, src_size: i32, cap: i32) -> i32;
    fn LZ4_compress_HC(src: *const u8, dst: *mut u8, src_size: i32, cap: i32, level: i32) -> i32;
    fn LZ4_compressBound(size: i32) -> i32;
}

/// `data` cut into `chunk`-byte pclusters compressed by liblz4 (HC,
/// level 9, as `mkfs.erofs -zlz4hc` does).
pub fn lz4hc_pclusters(data: &[u8], chunk: usize) -> Vec<Pcluster> {
    data.chunks(chunk)
        .map(|c| {
            // SAFETY: a pure size computation.
            let mut out = vec![0u8; unsafe { LZ4_compressBound(c.len() as i32) } as usize];
            // SAFETY: `out` has the bound's capacity; `c` is a slice.
            let n = unsafe { LZ4_compress_HC(c.as_ptr(), out.as_mut_ptr(), c.len() as i32, out.len() as i32, 9) };
            out.truncate(n.max(0) as usize);
            Pcluster { stream: out, len: c.len(), partial: false }
        })
        .collect()
}

/// One LZ4 pcluster: its stream (padding removed), decoded length, and
/// whether it is decoded partially.
pub struct Pcluster {
    pub stream: Vec<u8>,
    pub len: usize,
    pub partial: bool,
}

/// Every (non-inline) LZ4 pcluster of the image.
pub fn lz4_pclusters(img: &Image) -> Vec<Pcluster> {
    let mut out = Vec::new();
    let _ = walk(img, &mut |_, _, ino| {
        if !ino.is_compressed() {
            return Ok(());
        }
        let Ok(zi) = ZInfo::read(&img.src, &img.sb, ino) else { return Ok(()) };
        let mut pos = 0;
        while pos < ino.size {
            let Ok(ext) = zmap::map(&img.src, &img.sb, ino, &zi, pos, true) else { break };
            if ext.kind == (ZKind::Compressed { algorithm: COMPRESSION_LZ4 }) && !ext.inline {
                let mut stored = vec![0u8; ext.plen as usize];
                if erofs_format::read_exact(&img.src, 0, ext.pa, img.sb.block_size(), &mut stored).is_ok() {
                    if let Ok(s) = strip_zero_padding(&stored, 0, img.sb.block_size()) {
                        let partial = ext.partial_ref || !img.sb.has_zero_padding();
                        out.push(Pcluster { stream: s.to_vec(), len: ext.llen as usize, partial });
                    }
                }
            }
            if ext.llen == 0 {
                break;
            }
            pos = ext.la + ext.llen;
        }
        Ok(())
    });
    out
}

/// liblz4 decoding `p` into `out`: the decoded length, 0 on error.
pub fn liblz4_decode(p: &Pcluster, out: &mut [u8]) -> usize {
    // SAFETY: `out` holds at least `p.len` bytes; the stream is a slice.
    let r = unsafe {
        if p.partial {
            LZ4_decompress_safe_partial(p.stream.as_ptr(), out.as_mut_ptr(), p.stream.len() as i32, p.len as i32, p.len as i32)
        } else {
            LZ4_decompress_safe(p.stream.as_ptr(), out.as_mut_ptr(), p.stream.len() as i32, p.len as i32)
        }
    };
    r.max(0) as usize
}

/// Decoding speed of our decoder and liblz4 in MiB/s over `pcs`, best of
/// `rounds` rounds (each round decodes every pcluster `repeat` times).
/// Panics if the two decoders disagree on any pcluster.
pub fn lz4_speed(pcs: &[Pcluster], rounds: usize, repeat: usize) -> (f64, f64) {
    let max = pcs.iter().map(|p| p.len).max().unwrap_or(0);
    let (mut ours, mut theirs) = (vec![0u8; max], vec![0u8; max]);
    for p in pcs {
        let n = erofs_format::lz4::decompress(&p.stream, &mut ours[..p.len], p.partial).expect("our decoder failed on a valid pcluster");
        assert_eq!((n, liblz4_decode(p, &mut theirs)), (p.len, p.len), "decoded lengths differ");
        assert!(ours[..p.len] == theirs[..p.len], "decoded bytes differ");
    }
    let total: usize = pcs.iter().map(|p| p.len).sum::<usize>() * repeat;
    let mut best = [f64::MAX; 2];
    for _ in 0..rounds {
        let t = Instant::now();
        for _ in 0..repeat {
            for p in pcs {
                let _ = std::hint::black_box(erofs_format::lz4::decompress(&p.stream, &mut ours[..p.len], p.partial));
            }
        }
        best[0] = best[0].min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        for _ in 0..repeat {
            for p in pcs {
                std::hint::black_box(liblz4_decode(p, &mut theirs));
            }
        }
        best[1] = best[1].min(t.elapsed().as_secs_f64());
    }
    let mib = total as f64 / (1 << 20) as f64;
    (mib / best[0], mib / best[1])
}
