//! Host benchmarks of the format core, printed as ratios.
//!
//!   erofs-bench lz4 IMAGE      our LZ4 decoder against liblz4 on every
//!                              LZ4 pcluster of IMAGE (best of 5 rounds)

use erofs_inspect::bench::{lz4_pclusters, lz4_speed};
use erofs_inspect::Image;
use std::path::Path;

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
