//! Host benchmarks of the format core, printed as ratios.
//!
//!   erofs-bench lz4 IMAGE      our LZ4 decoder against liblz4 on every
//!                              LZ4 pcluster of IMAGE (best of 5 rounds)
//!   erofs-bench lz4-decode ours|liblz4 IMAGE ROUNDS
//!                              decodes every LZ4 pcluster of IMAGE ROUNDS
//!                              times with one decoder and prints the bytes
//!                              decoded: for counting instructions under
//!                              cachegrind (tools/bench-format), which the
//!                              host's load does not change

use erofs_inspect::bench::{liblz4_decode, lz4_pclusters, lz4_speed};
use erofs_inspect::Image;
use std::path::Path;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    match a.get(1).map(String::as_str) {
        Some("lz4") if a.len() == 3 => lz4(Path::new(&a[2])),
        Some("lz4-decode") if a.len() == 5 && (a[2] == "ours" || a[2] == "liblz4") => {
            let rounds = a[4].parse().unwrap_or_else(|_| {
                eprintln!("erofs-bench: bad ROUNDS");
                std::process::exit(2)
            });
            lz4_decode(a[2] == "ours", Path::new(&a[3]), rounds)
        }
        _ => {
            eprintln!("usage: erofs-bench lz4 IMAGE | erofs-bench lz4-decode ours|liblz4 IMAGE ROUNDS");
            std::process::exit(2)
        }
    }
}

fn lz4(path: &Path) {
    let img = Image::open(path, &[]).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1)
    });
    let pcs = lz4_pclusters(&img);
    let total: usize = pcs.iter().map(|p| p.len).sum();
    let (ours, theirs) = lz4_speed(&pcs, 5, 1);
    println!("lz4 pclusters: {} ({:.1} MiB decoded)", pcs.len(), total as f64 / (1 << 20) as f64);
    println!("erofs-rs lz4:  {ours:.1} MiB/s");
    println!("liblz4:        {theirs:.1} MiB/s");
    println!("ratio liblz4 time / ours: {:.2}", ours / theirs);
}

fn lz4_decode(ours: bool, path: &Path, rounds: usize) {
    let img = Image::open(path, &[]).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1)
    });
    let pcs = lz4_pclusters(&img);
    let mut out = vec![0u8; pcs.iter().map(|p| p.len).max().unwrap_or(0)];
    let mut bytes = 0usize;
    for _ in 0..rounds {
        for p in &pcs {
            let n = if ours {
                erofs_format::lz4::decompress(&p.stream, &mut out[..p.len], p.partial).unwrap_or(0)
            } else {
                liblz4_decode(p, &mut out)
            };
            if n != p.len {
                eprintln!("erofs-bench: a pcluster did not decode");
                std::process::exit(1)
            }
            bytes += n;
        }
    }
    println!("{bytes}");
}
