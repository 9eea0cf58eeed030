# rmmod unregisters the type and leaves nothing behind; a reload works.
. /selftests/lib.sh
modprobe erofs_rs
rmmod erofs_rs
not grep -qw erofs_rs /proc/filesystems
not grep -q '^erofs_rs ' /proc/modules
modprobe erofs_rs
grep -qw erofs_rs /proc/filesystems
rmmod erofs_rs
not grep -qw erofs_rs /proc/filesystems
