//! Seeded corruption of images, shared by the cargo mutation test and the
//! `erofs-mutate` tool the guest uses to feed corrupt images to the kernel.

/// xorshift64*: small, seeded, reproducible.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
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
    // Earlier mutations may have truncated the image below the superblock:
    // pad it back so every mutation below stays in bounds.
    if img.len() < 1024 + 128 + 8 {
        img.resize(1024 + 128 + 8, 0);
    }
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


/// Applies 1..=4 mutations chosen by `seed`; returns what was done.
pub fn mutate_with_seed(img: &mut Vec<u8>, seed: u64) -> Vec<String> {
    let mut rng = Rng(seed | 1);
    let mut what = Vec::new();
    for _ in 0..=rng.below(3) {
        if img.is_empty() {
            break;
        }
        what.push(mutate(img, &mut rng));
    }
    what
}
