//! erofs-mount: mount(2) without a mount(8) in between, so a regular file
//! reaches the filesystem as it is (busybox mount would set up a loop
//! device for it). Used to test file-backed mounts.
//!
//!   erofs-mount FSTYPE SOURCE TARGET [OPTIONS]

use std::ffi::CString;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 4 || a.len() > 5 {
        eprintln!("usage: erofs-mount FSTYPE SOURCE TARGET [OPTIONS]");
        std::process::exit(2);
    }
    let c = |s: &str| CString::new(s).unwrap_or_default();
    let (fstype, src, target) = (c(&a[1]), c(&a[2]), c(&a[3]));
    let opts = c(a.get(4).map(String::as_str).unwrap_or(""));
    // SAFETY: valid C strings for the call; flags request a read-only mount.
    let r = unsafe { libc::mount(src.as_ptr(), target.as_ptr(), fstype.as_ptr(), libc::MS_RDONLY, opts.as_ptr().cast()) };
    if r != 0 {
        eprintln!("erofs-mount: {}: {}", a[2], std::io::Error::last_os_error());
        std::process::exit(1);
    }
}
