//! Seeded corruption of images, shared by the cargo mutation test and the
//! `erofs-mutate` tool the guest uses to feed corrupt images to the kernel.

use crate::layout::{Kind, Layout, Region};

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

/// Applies one mutation chosen by `rng` to `img`: half of them edit a
/// field of a structure `layout` located, the others are blind.
pub fn mutate(img: &mut Vec<u8>, layout: &Layout, rng: &mut Rng) -> String {
    if !layout.regions.is_empty() && rng.below(2) == 0 {
        // A kind first, then a region of it: inodes outnumber directory
        // blocks a hundred to one, and dirents deserve their share.
        let kinds = layout.kinds();
        let kind = kinds[rng.below(kinds.len() as u64) as usize];
        let of_kind: Vec<&Region> = layout.regions.iter().filter(|r| r.kind == kind).collect();
        let r = *of_kind[rng.below(of_kind.len() as u64) as usize];
        if r.off.saturating_add(r.len) <= img.len() as u64 {
            return mutate_structure(img, layout, r, rng);
        }
    }
    mutate_blind(img, rng)
}

/// Writes the low `width` bytes of `v` at `off` (little endian, as EROFS).
fn put(img: &mut [u8], off: usize, width: usize, v: u64) {
    if let Some(dst) = img.get_mut(off..off + width) {
        dst.copy_from_slice(&v.to_le_bytes()[..width]);
    }
}

fn get(img: &[u8], off: usize, width: usize) -> u64 {
    let mut b = [0u8; 8];
    if let Some(src) = img.get(off..off + width) {
        b[..width].copy_from_slice(src);
    }
    u64::from_le_bytes(b)
}

/// A new value for a `width`-byte field that held `old`: an interesting
/// constant, a near neighbour (off-by-a-few bugs), or random bits.
fn new_value(old: u64, width: usize, rng: &mut Rng) -> u64 {
    match rng.below(3) {
        0 => INTERESTING[rng.below(INTERESTING.len() as u64) as usize],
        1 => {
            let d = 1 + rng.below(16);
            if rng.below(2) == 0 {
                old.wrapping_add(d)
            } else {
                old.wrapping_sub(d)
            }
        }
        _ => rng.next() >> (64 - 8 * width as u32),
    }
}

/// Edits one field of the structure in region `r`.
fn mutate_structure(img: &mut [u8], layout: &Layout, r: Region, rng: &mut Rng) -> String {
    let base = r.off as usize;
    let (off, width, what) = match r.kind {
        Kind::Inode => {
            // (offset, width) of i_format, i_xattr_icount, i_mode, i_nlink
            // (compact) / reserved, i_size, i_u, i_ino, i_uid, i_gid, and
            // for extended inodes i_mtime, i_mtime_nsec, i_nlink.
            const COMPACT: [(usize, usize); 9] = [(0, 2), (2, 2), (4, 2), (6, 2), (8, 4), (16, 4), (20, 4), (24, 2), (26, 2)];
            const EXTENDED: [(usize, usize); 11] =
                [(0, 2), (2, 2), (4, 2), (8, 8), (16, 4), (20, 4), (24, 4), (28, 4), (32, 8), (40, 4), (44, 4)];
            let fields: &[(usize, usize)] = if r.len >= 64 { &EXTENDED } else { &COMPACT };
            let (o, w) = fields[rng.below(fields.len() as u64) as usize];
            (base + o, w, "inode field")
        }
        Kind::XattrBody => {
            // The header's name filter, shared count, then any id or entry
            // byte (name length, index, value size).
            let o = match rng.below(3) {
                0 => 0,
                1 => 4,
                _ => rng.below(r.len) as usize,
            };
            let w = if o == 0 {
                4
            } else if o == 4 {
                1
            } else {
                [1usize, 2][rng.below(2) as usize]
            };
            (base + o, w, "xattr field")
        }
        Kind::DirBlock => {
            // A dirent of the table the first nameoff bounds: its nid (often
            // another real inode), nameoff or file type.
            let table = get(img, base + 8, 2).min(r.len);
            let entries = (table / 12).max(1);
            let e = base + 12 * rng.below(entries) as usize;
            match rng.below(4) {
                0 if !layout.nids.is_empty() => {
                    let nid = layout.nids[rng.below(layout.nids.len() as u64) as usize];
                    put(img, e, 8, nid);
                    return format!("dirent nid -> {nid} at {e}");
                }
                0 | 1 => (e, 8, "dirent nid"),
                2 => (e + 8, 2, "dirent nameoff"),
                _ => (e + 10, 1, "dirent type"),
            }
        }
        Kind::ZIndexes => {
            // The map header's advise, algorithms and cluster bits, or a
            // 2/4-byte field of an index (type, offset, block address).
            if rng.below(3) == 0 {
                let (o, w) = [(0usize, 4usize), (4, 2), (6, 1), (7, 1)][rng.below(4) as usize];
                (base + o, w, "z map header")
            } else {
                let w = [2usize, 4][rng.below(2) as usize];
                let o = 8 + (rng.below(r.len.saturating_sub(8) / w as u64) as usize) * w;
                (base + o, w, "z index")
            }
        }
        Kind::ChunkIndexes => {
            let w = [2usize, 4][rng.below(2) as usize];
            let o = (rng.below(r.len / w as u64) as usize) * w;
            (base + o, w, "chunk index")
        }
    };
    let v = new_value(get(img, off, width), width, rng);
    put(img, off, width, v);
    format!("{what} at {off} = {v:#x}")
}

/// A mutation that knows only the superblock's place.
fn mutate_blind(img: &mut Vec<u8>, rng: &mut Rng) -> String {
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
    let layout = Layout::of(img);
    mutate_with_layout(img, &layout, seed)
}

/// As [`mutate_with_seed`], with the layout of the intact image already
/// mapped (the guest fuzzer maps each seed image once).
pub fn mutate_with_layout(img: &mut Vec<u8>, layout: &Layout, seed: u64) -> Vec<String> {
    let mut rng = Rng(seed | 1);
    let mut what = Vec::new();
    for _ in 0..=rng.below(3) {
        if img.is_empty() {
            break;
        }
        what.push(mutate(img, layout, &mut rng));
    }
    what
}
