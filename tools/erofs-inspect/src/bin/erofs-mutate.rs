//! erofs-mutate: write a seeded corruption of an image.
//!
//!   erofs-mutate SEED IN OUT
//!
//! Prints what was changed. The same SEED and IN always give the same OUT,
//! so a failure seen in the guest can be reproduced on the host.

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 4 {
        eprintln!("usage: erofs-mutate SEED IN OUT");
        std::process::exit(2);
    }
    let seed: u64 = match a[1].parse() {
        Ok(s) => s,
        Err(_) => {
            eprintln!("erofs-mutate: SEED must be a number");
            std::process::exit(2);
        }
    };
    let mut img = match std::fs::read(&a[2]) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("erofs-mutate: {}: {e}", a[2]);
            std::process::exit(1);
        }
    };
    let what = erofs_inspect::mutate::mutate_with_seed(&mut img, seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    if let Err(e) = std::fs::write(&a[3], &img) {
        eprintln!("erofs-mutate: {}: {e}", a[3]);
        std::process::exit(1);
    }
    println!("{}", what.join("; "));
}
