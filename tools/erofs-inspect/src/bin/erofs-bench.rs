//! Host benchmarks of the format core, printed as ratios.
//!
//!   erofs-bench lz4 IMAGE      our LZ4 decoder against liblz4 on every
//!                              LZ4 pcluster of IMAGE (best of 5 rounds)

use erofs_format::decompress::strip_zero_padding;
use erofs_format::erofs_fs::COMPRESSION_LZ4;
use erofs_format::zmap::{self, ZInfo, ZKind};
use erofs_inspect::{walk, Image};
use std::path::Path;
use std::time::Instant;

#[link(name = "lz4")]
extern "C" {
    fn LZ4_decompress_safe_partial(src: *const u8, dst: *mut u8, src_size: i32, target: i32, cap: i32) -> i32;
    fn LZ4_decompress_safe(src: *const u8, dst: *mut u8, src_size: i32, cap: i32) -> i32;
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    match a.get(1).map(String::as_str) {
        Some("lz4") if a.len() == 3 => lz4(Path::new(&a[2])),
        _ => {
            eprintln!("usage: erofs-bench lz4 IMAGE");
            std::process::exit(2)
        }
    }
}

/// (stored stream, decoded length, partial) of every LZ4 pcluster.
fn pclusters(img: &Image) -> Vec<(Vec<u8>, usize, bool)> {
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
                        out.push((s.to_vec(), ext.llen as usize, ext.partial_ref || !img.sb.has_zero_padding()));
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

fn lz4(path: &Path) {
    let img = Image::open(path, &[]).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1)
    });
    let pcs = pclusters(&img);
    let total: usize = pcs.iter().map(|p| p.1).sum();
    let mut out = vec![0u8; 12 << 20];
    let mut theirs = vec![0u8; 12 << 20];
    // Both decoders must agree before their speed means anything.
    for (s, n, partial) in &pcs {
        let ours = erofs_format::lz4::decompress(s, &mut out[..*n], *partial).expect("our decoder failed on a valid pcluster");
        // SAFETY: buffers of the sizes given.
        let r = unsafe { LZ4_decompress_safe_partial(s.as_ptr(), theirs.as_mut_ptr(), s.len() as i32, *n as i32, *n as i32) };
        assert_eq!((ours, r as usize), (*n, *n), "decoded lengths differ");
        assert!(out[..*n] == theirs[..*n], "decoded bytes differ");
    }
    let mut best = [f64::MAX; 2];
    for _round in 0..5 {
        let t = Instant::now();
        for (s, n, partial) in &pcs {
            erofs_format::lz4::decompress(s, &mut out[..*n], *partial).expect("our decoder failed on a valid pcluster");
        }
        best[0] = best[0].min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        for (s, n, partial) in &pcs {
            // SAFETY: buffers of the sizes given.
            let r = unsafe {
                if *partial {
                    LZ4_decompress_safe_partial(s.as_ptr(), out.as_mut_ptr(), s.len() as i32, *n as i32, *n as i32)
                } else {
                    LZ4_decompress_safe(s.as_ptr(), out.as_mut_ptr(), s.len() as i32, *n as i32)
                }
            };
            assert_eq!(r as usize, *n, "liblz4 failed on a pcluster");
        }
        best[1] = best[1].min(t.elapsed().as_secs_f64());
    }
    let mb = total as f64 / (1 << 20) as f64;
    println!("lz4 pclusters: {} ({:.1} MiB decoded)", pcs.len(), mb);
    println!("erofs-rs lz4:  {:.1} MiB/s", mb / best[0]);
    println!("liblz4:        {:.1} MiB/s", mb / best[1]);
    println!("ratio liblz4 time / ours: {:.2}", best[1] / best[0]);
}
