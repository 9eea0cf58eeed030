//! erofs-resident: how many pages of the regular files under a directory
//! are in the page cache, by mmap + mincore (which looks at the page
//! cache an open file reads through, without reading anything). With
//! page cache sharing, a file whose content another mount has read is
//! resident before it is ever read.
//!
//!   erofs-resident DIR
//!
//! Prints "RESIDENT_KIB TOTAL_KIB" for the whole tree (4 KiB pages).

use std::os::unix::io::AsRawFd;
use std::path::Path;

const PAGE: u64 = 4096;

/// Resident and total pages of one file.
fn file_pages(p: &Path) -> std::io::Result<(u64, u64)> {
    let f = std::fs::File::open(p)?;
    let size = f.metadata()?.len();
    let pages = size.div_ceil(PAGE);
    if size == 0 {
        return Ok((0, 0));
    }
    // SAFETY: a read-only shared mapping of an open file, of its size;
    // unmapped below and never touched (mincore does not fault it in).
    let m = unsafe { libc::mmap(std::ptr::null_mut(), size as usize, libc::PROT_READ, libc::MAP_SHARED, f.as_raw_fd(), 0) };
    if m == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    let mut vec = vec![0u8; pages as usize];
    // SAFETY: `m` maps `size` bytes; `vec` has one byte per page.
    let r = unsafe { libc::mincore(m, size as usize, vec.as_mut_ptr()) };
    let err = std::io::Error::last_os_error();
    // SAFETY: the mapping made above.
    unsafe { libc::munmap(m, size as usize) };
    if r != 0 {
        return Err(err);
    }
    Ok((vec.iter().filter(|&&b| b & 1 != 0).count() as u64, pages))
}

fn walk(dir: &Path, acc: &mut (u64, u64)) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        let md = std::fs::symlink_metadata(&p)?;
        if md.is_dir() {
            walk(&p, acc)?;
        } else if md.file_type().is_file() {
            let (r, t) = file_pages(&p)?;
            acc.0 += r;
            acc.1 += t;
        }
    }
    Ok(())
}

fn main() {
    let Some(root) = std::env::args().nth(1) else {
        eprintln!("usage: erofs-resident DIR");
        std::process::exit(2)
    };
    let mut acc = (0, 0);
    if let Err(e) = walk(Path::new(&root), &mut acc) {
        eprintln!("erofs-resident: {root}: {e}");
        std::process::exit(1)
    }
    println!("{} {}", acc.0 * PAGE / 1024, acc.1 * PAGE / 1024);
}
