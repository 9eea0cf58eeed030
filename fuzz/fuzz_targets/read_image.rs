//! Parse, walk and read a whole image (every inode, directory, file,
//! symlink and xattr, compressed data included) with the format core.
//! Any panic, overflow or sanitizer report is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(img) = erofs_inspect::Image::from_bytes(data.to_vec()) {
        // Bound per-file reads: a corrupt size can describe terabytes of
        // holes, which is valid to read but not useful to fuzz.
        let _ = erofs_inspect::check_all(&img, 1 << 20, &mut |_| {});
    }
});
