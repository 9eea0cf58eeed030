# Mount options are parsed, shown and refused as the C driver does them.
. /selftests/lib.sh
modprobe erofs_rs
dev=$(disk_of basic)
mkdir -p /mnt/rs
mount -t erofs_rs -o ro "$dev" /mnt/rs
grep " /mnt/rs erofs_rs ro,relatime,user_xattr,acl,cache_strategy=readaround 0 0" /proc/mounts
umount /mnt/rs
mount -t erofs_rs -o ro,nouser_xattr,noacl,cache_strategy=disabled "$dev" /mnt/rs
grep " /mnt/rs erofs_rs ro,relatime,nouser_xattr,noacl,cache_strategy=disabled 0 0" /proc/mounts
# Remounting read-write leaves it read-only.
mount -o remount,rw /mnt/rs || true
grep -q " /mnt/rs erofs_rs ro," /proc/mounts
not touch /mnt/rs/new-file
umount /mnt/rs
not mount -t erofs_rs -o ro,cache_strategy=bogus "$dev" /mnt/rs
not mount -t erofs_rs -o ro,no_such_option "$dev" /mnt/rs
# fscache mode with no cache bound fails cleanly (on a kernel without
# on-demand cachefiles, fsid= is refused, saying why).
not mount -t erofs_rs -o ro,fsid=x "$dev" /mnt/rs
dmesg | grep -Eq "blob x: no cache to read it from|fscache mode needs a kernel"
rmmod erofs_rs
