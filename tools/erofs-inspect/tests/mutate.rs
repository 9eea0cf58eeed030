//! Deterministic mutation test: real mkfs.erofs images (the committed
//! seeds) are corrupted in many seeded ways (superblock, inode, dirent,
//! xattr, index and data bytes; truncation) and read end to end. Every
//! outcome must be a typed error or success: a panic fails the test.

use erofs_inspect::layout::Layout;
use erofs_inspect::mutate::mutate_with_layout;
use erofs_inspect::{check_all, Image};
use std::path::{Path, PathBuf};

fn seeds() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fs/erofs_rs/format/tests/images");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "img"))
        .collect();
    v.sort();
    assert!(v.len() >= 5, "seed images missing in {}", dir.display());
    v
}

/// The extra devices of a seed image: NAME.blob1, ... beside it.
fn blobs(seed: &Path) -> Vec<PathBuf> {
    (1..).map(|k| seed.with_extension(format!("blob{k}"))).take_while(|p| p.exists()).collect()
}

fn read_everything(bytes: &[u8], tmp: &Path, devices: &[PathBuf]) -> Result<(), String> {
    std::fs::write(tmp, bytes).map_err(|e| e.to_string())?;
    let img = Image::open(tmp, devices)?;
    check_all(&img, 8 << 20, &mut |_| {}).map(|_| ())
}

#[test]
fn uncorrupted_seeds_read_back() {
    let tmp = std::env::temp_dir().join(format!("erofs-seed-{}.img", std::process::id()));
    for seed in seeds() {
        let bytes = std::fs::read(&seed).unwrap();
        let name = seed.file_name().unwrap().to_string_lossy().into_owned();
        if let Err(e) = read_everything(&bytes, &tmp, &blobs(&seed)) {
            panic!("{name}: {e}");
        }
    }
    let _ = std::fs::remove_file(tmp);
}

#[test]
fn mutated_seeds_fail_cleanly() {
    let tmp = std::env::temp_dir().join(format!("erofs-mut-{}.img", std::process::id()));
    let (mut ok, mut errors) = (0, 0);
    for (i, seed) in seeds().into_iter().enumerate() {
        let orig = std::fs::read(&seed).unwrap();
        let layout = Layout::of(&orig);
        // A compressed metabox holds every inode: only the metabox inode
        // and its indexes are structures in place.
        let min = if seed.to_string_lossy().contains("metabox-lz4") { 2 } else { 10 };
        assert!(layout.regions.len() >= min, "{}: the layout walk found no structures", seed.display());
        for round in 0..100u64 {
            let mut img = orig.clone();
            let what = mutate_with_layout(&mut img, &layout, 0x9E37_79B9_7F4A_7C15 ^ ((i as u64) << 32 | round));
            let name = seed.file_name().unwrap().to_string_lossy().into_owned();
            let r = std::panic::catch_unwind(|| read_everything(&img, &tmp, &blobs(&seed)));
            match r {
                Ok(Ok(())) => ok += 1,
                Ok(Err(_)) => errors += 1,
                Err(_) => panic!("{name} round {round}: panic after mutations {what:?}"),
            }
        }
    }
    let _ = std::fs::remove_file(tmp);
    eprintln!("mutations: {ok} read back, {errors} clean errors");
    assert!(errors > 0, "no mutation was detected: the test would not notice corruption");
}
