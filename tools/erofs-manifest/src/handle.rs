//! File handles (name_to_handle_at/open_by_handle_at), for the handle
//! tests (erofs-handles) and the fuzzer.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

pub const MAX_HANDLE_SZ: usize = 128;

/// struct file_handle with room for any handle.
#[repr(C)]
#[derive(Clone)]
pub struct FileHandle {
    pub bytes: u32,
    pub kind: i32,
    pub f: [u8; MAX_HANDLE_SZ],
}

impl FileHandle {
    /// An empty handle of `bytes` bytes of type `kind`.
    pub fn new(kind: i32, bytes: usize) -> FileHandle {
        FileHandle { bytes: bytes.min(MAX_HANDLE_SZ) as u32, kind, f: [0; MAX_HANDLE_SZ] }
    }

    /// The handle of `path` (a symlink's own, not its target's).
    pub fn of(path: &Path) -> std::io::Result<FileHandle> {
        let c = CString::new(path.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
        let mut h = FileHandle::new(0, MAX_HANDLE_SZ);
        let mut mount_id = 0i32;
        // SAFETY: a valid path and a handle buffer of MAX_HANDLE_SZ bytes.
        let r = unsafe {
            libc::syscall(libc::SYS_name_to_handle_at, libc::AT_FDCWD, c.as_ptr(), &mut h as *mut FileHandle, &mut mount_id as *mut i32, 0)
        };
        if r != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(h)
    }

    /// open_by_handle_at on the mount of `mount_fd`; the new fd.
    pub fn open(&mut self, mount_fd: i32, flags: i32) -> std::io::Result<i32> {
        self.bytes = self.bytes.min(MAX_HANDLE_SZ as u32);
        // SAFETY: a handle buffer of MAX_HANDLE_SZ bytes whose `bytes`
        // does not exceed it.
        let fd = unsafe { libc::syscall(libc::SYS_open_by_handle_at, mount_fd, self as *mut FileHandle, flags) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(fd as i32)
    }

    /// The handle's bytes.
    pub fn data(&self) -> &[u8] {
        &self.f[..(self.bytes as usize).min(MAX_HANDLE_SZ)]
    }
}
