# erofs_rs and the C erofs are loaded at the same time, in either order.
modprobe erofs
modprobe erofs_rs
grep -qw erofs /proc/filesystems
grep -qw erofs_rs /proc/filesystems
rmmod erofs_rs
grep -qw erofs /proc/filesystems
modprobe erofs_rs
rmmod erofs
grep -qw erofs_rs /proc/filesystems
rmmod erofs_rs
