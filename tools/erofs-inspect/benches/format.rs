//! `cargo bench -p erofs-inspect --bench format`: microbenchmarks of the
//! format core on the committed seed images. Prints, never fails on time:
//!   - LZ4 decoding, ours against liblz4 (MiB/s and the ratio);
//!   - directory lookup of every name of every directory (ns per lookup);
//!   - compressed extent mapping at every 4 KiB of every compressed file,
//!     and uncompressed block mapping likewise (ns per map).

use erofs_format::data::map_blocks;
use erofs_format::zmap::{self, ZInfo};
use erofs_inspect::bench::{lz4_speed, lz4hc_pclusters};
use erofs_inspect::{walk, Image};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn seeds() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fs/erofs_rs/format/tests/images")
}

fn open(name: &str) -> Image {
    Image::open(&seeds().join(name), &[]).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Runs `f` (which does `n` operations) until 0.3 s have passed; ns per
/// operation of the fastest run.
fn per_op(n: usize, mut f: impl FnMut()) -> f64 {
    let (mut best, start) = (f64::MAX, Instant::now());
    while start.elapsed().as_secs_f64() < 0.3 {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    best * 1e9 / n.max(1) as f64
}

fn main() {
    // Real-world bytes without fetching anything: this benchmark's own
    // executable (machine code, tables, strings) and the repository's
    // sources, cut into 4 KiB and 64 KiB pclusters as mkfs.erofs would.
    let mut data = std::fs::read(std::env::current_exe().unwrap()).unwrap();
    for dir in ["fs/erofs_rs", "fs/erofs_rs/format", "fs/erofs_rs/vfs", "tools/erofs-inspect/src"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(dir);
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            if e.path().extension().is_some_and(|x| x == "rs") {
                data.extend(std::fs::read(e.path()).unwrap());
            }
        }
    }
    for chunk in [4096, 65536] {
        let pcs = lz4hc_pclusters(&data, chunk);
        let (ours, theirs) = lz4_speed(&pcs, 5, 3);
        println!(
            "lz4 decode ({} KiB pclusters, {:.1} MiB): ours {ours:.0} MiB/s, liblz4 {theirs:.0} MiB/s, ratio {:.2}",
            chunk >> 10,
            data.len() as f64 / (1 << 20) as f64,
            ours / theirs
        );
    }

    for name in ["chunk-indexes.img", "compact-1k.img"] {
        let img = open(name);
        let mut dirs = Vec::new();
        walk(&img, &mut |_, _, ino| {
            if ino.is_dir() {
                dirs.push(ino.clone());
            }
            Ok(())
        })
        .unwrap();
        let names: Vec<(usize, Vec<u8>)> =
            dirs.iter().enumerate().flat_map(|(i, d)| img.read_dir(d).unwrap().into_iter().map(move |(n, _, _)| (i, n))).collect();
        let ns = per_op(names.len(), || {
            for (i, n) in &names {
                assert!(img.lookup(&dirs[*i], n).unwrap().is_some());
            }
        });
        println!("dir lookup ({name}, {} names): {ns:.0} ns each", names.len());
    }

    for name in ["lz4.img", "lz4hc-bigpcluster.img", "zstd-allfrag.img", "chunk-indexes.img", "plain-4k.img"] {
        let img = open(name);
        let mut files = Vec::new();
        walk(&img, &mut |_, _, ino| {
            if ino.file_type() == erofs_format::inode::FileType::Regular && ino.size > 0 {
                files.push(ino.clone());
            }
            Ok(())
        })
        .unwrap();
        let points: usize = files.iter().map(|f| f.size.div_ceil(4096) as usize).sum();
        let ns = per_op(points, || {
            for f in &files {
                let zi = f.is_compressed().then(|| ZInfo::read(&img.src, &img.sb, f).unwrap());
                for pos in (0..f.size).step_by(4096) {
                    match &zi {
                        Some(zi) => drop(zmap::map(&img.src, &img.sb, f, zi, pos, true).unwrap()),
                        None => drop(map_blocks(&img.src, &img.sb, f, pos).unwrap()),
                    }
                }
            }
        });
        println!("extent map ({name}, {points} offsets): {ns:.0} ns each");
    }
}
