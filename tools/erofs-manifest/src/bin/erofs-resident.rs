//! erofs-resident: how many pages of the regular files under a directory
//! are in the page cache, by mmap + mincore (which looks at the page
//! cache an open file reads through, without reading anything). With
//! page cache sharing, a file whose content another mount has read is
//! resident before it is ever read.
//!
//!   erofs-resident DIR
//!   erofs-resident --read FILE OFFSET [random]
//!
//! The first prints "RESIDENT_KIB TOTAL_KIB" for the whole tree (4 KiB
//! pages). The second reads 4 KiB of FILE at OFFSET (with
//! POSIX_FADV_RANDOM first when asked: no readahead window) and prints
//! which pages of FILE are then in the page cache, as ranges of page
//! indexes ("0-15 32 40-47"): what a driver decoded around one read.

use std::os::unix::io::AsRawFd;
use std::path::Path;

const PAGE: u64 = 4096;

/// Resident and total pages of one file.
fn file_pages(p: &Path) -> std::io::Result<(u64, u64)> {
    let f = std::fs::File::open(p)?;
    let vec = residency(&f)?;
    Ok((vec.iter().filter(|&&b| b & 1 != 0).count() as u64, vec.len() as u64))
}

/// mincore's byte per page of an open file.
fn residency(f: &std::fs::File) -> std::io::Result<Vec<u8>> {
    let size = f.metadata()?.len();
    let pages = size.div_ceil(PAGE);
    if size == 0 {
        return Ok(Vec::new());
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
    Ok(vec)
}

/// `--read FILE OFFSET [random]`: see the module comment.
fn read_one(path: &str, offset: u64, random: bool) -> std::io::Result<String> {
    use std::os::unix::fs::FileExt;
    let f = std::fs::File::open(path)?;
    if random {
        // SAFETY: advice on an open descriptor; no memory is passed.
        unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_RANDOM) };
    }
    let mut buf = vec![0u8; PAGE as usize];
    f.read_at(&mut buf, offset)?;
    let vec = residency(&f)?;
    let mut out = Vec::new();
    let mut i = 0;
    while i < vec.len() {
        if vec[i] & 1 == 0 {
            i += 1;
            continue;
        }
        let first = i;
        while i < vec.len() && vec[i] & 1 != 0 {
            i += 1;
        }
        out.push(if i - 1 == first { format!("{first}") } else { format!("{first}-{}", i - 1) });
    }
    Ok(out.join(" "))
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
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--read") && (4..=5).contains(&args.len()) {
        let random = args.get(4).map(String::as_str) == Some("random");
        match args[3].parse().map_err(std::io::Error::other).and_then(|off| read_one(&args[2], off, random)) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("erofs-resident: {}: {e}", args[2]);
                std::process::exit(1)
            }
        }
        return;
    }
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
