# erofs_rs loads and registers the filesystem type "erofs_rs".
modprobe erofs_rs
grep -qw erofs_rs /proc/filesystems
grep -q '^erofs_rs ' /proc/modules
dmesg | grep -q 'erofs_rs: filesystem type registered'
rmmod erofs_rs
