//! Deterministic mutation test: real mkfs.erofs images (the committed
//! seeds) are corrupted in many seeded ways (superblock, inode, dirent,
//! xattr, index and data bytes; truncation) and read end to end. Every
//! outcome must be a typed error or success: a panic fails the test.

use erofs_inspect::{check_all, Image};
use std::path::{Path, PathBuf};

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

const INTERESTING: [u64; 10] = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fff_ffff, 0xffff_ffff, 1 << 32, u64::MAX];

/// Applies one mutation chosen by `rng` to `img`.
pub fn mutate(img: &mut Vec<u8>, rng: &mut Rng) -> String {
    let len = img.len() as u64;
    let blksz = 1u64 << img.get(1024 + 12).copied().unwrap_or(12).clamp(9, 12);
    match rng.below(7) {
        0 => {
            // Superblock field bytes.
            let off = 1024 + rng.below(128) as usize;
            img[off] = rng.next() as u8;
            format!("sb byte {off}")
        }
        1 => {
            // A bit anywhere in the metadata-heavy first blocks.
            let off = rng.below(len.min(64 * blksz)) as usize;
            img[off] ^= 1 << rng.below(8);
            format!("bit flip at {off}")
        }
        2 => {
            // An interesting 16/32/64-bit value at an aligned offset.
            let width = [2usize, 4, 8][rng.below(3) as usize];
            let off = (rng.below(len / width as u64) as usize) * width;
            let v = INTERESTING[rng.below(INTERESTING.len() as u64) as usize].to_le_bytes();
            img[off..off + width].copy_from_slice(&v[..width]);
            format!("{width}-byte value at {off}")
        }
        3 => {
            // Truncation.
            let n = rng.below(len) as usize;
            img.truncate(n.max(1));
            format!("truncate to {n}")
        }
        4 => {
            // A run of random bytes.
            let off = rng.below(len) as usize;
            let n = (rng.below(64) as usize).min(img.len() - off);
            for b in &mut img[off..off + n] {
                *b = rng.next() as u8;
            }
            format!("{n} random bytes at {off}")
        }
        5 => {
            // Superblock numbers that steer everything else.
            let fields = [(14usize, 2usize), (36, 4), (40, 4), (44, 4), (84, 2), (86, 2), (88, 2), (91, 1), (92, 4), (96, 8)];
            let (off, w) = fields[rng.below(fields.len() as u64) as usize];
            let v = INTERESTING[rng.below(INTERESTING.len() as u64) as usize].to_le_bytes();
            img[1024 + off..1024 + off + w].copy_from_slice(&v[..w]);
            format!("sb field {off}")
        }
        _ => {
            // Clear the checksum feature so later mutations reach parsing.
            img[1024 + 8] &= !1;
            let off = rng.below(len) as usize;
            img[off] = rng.next() as u8;
            format!("no-csum + byte {off}")
        }
    }
}

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

fn read_everything(bytes: &[u8], tmp: &Path) -> Result<(), String> {
    std::fs::write(tmp, bytes).map_err(|e| e.to_string())?;
    let img = Image::open(tmp, &[])?;
    check_all(&img, 8 << 20, &mut |_| {}).map(|_| ())
}

#[test]
fn uncorrupted_seeds_read_back() {
    let tmp = std::env::temp_dir().join(format!("erofs-seed-{}.img", std::process::id()));
    for seed in seeds() {
        let bytes = std::fs::read(&seed).unwrap();
        let name = seed.file_name().unwrap().to_string_lossy().into_owned();
        if let Err(e) = read_everything(&bytes, &tmp) {
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
        for round in 0..100u64 {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((i as u64) << 32 | round) | 1);
            let mut img = orig.clone();
            let mut what = Vec::new();
            for _ in 0..=rng.below(3) {
                what.push(mutate(&mut img, &mut rng));
            }
            let name = seed.file_name().unwrap().to_string_lossy().into_owned();
            let r = std::panic::catch_unwind(|| read_everything(&img, &tmp));
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
