# Naming the cache (not in the C erofs): a daemon binds its cache with a
# tag, and an image mounted with cache_tag=TAG is read from that cache;
# cache_tag shows in /proc/mounts. A tag no cache has fails the mount
# cleanly. cachefiles lets one process at a time open /dev/cachefiles
# (6.12: cachefiles_daemon_open), so a second daemon is refused, and says
# why.
. /selftests/lib.sh
need_fscache
modprobe erofs_rs
mkdir -p /tmp/blobs1 /mnt/one /mnt/two
ln -sf "$(disk_of z-lz4)" /tmp/blobs1/z-lz4
start_daemon one --blobs /tmp/blobs1 --tag one
first=$daemon
mount -t erofs_rs -o fsid=z-lz4,cache_tag=one none /mnt/one
grep " /mnt/one erofs_rs " /proc/mounts | grep -q ",fsid=z-lz4,cache_tag=one"
erofs-manifest --no-dir-size $(src_opts z-lz4) /mnt/one >/tmp/one.src
diff -u /selftests/data/z-lz4.src /tmp/one.src
grep -q '^erofs-ondemand: open erofs,z-lz4 / z-lz4:' /tmp/daemon-one.log
[ -n "$(ls /mnt/cache/one/cache)" ]
umount /mnt/one
not mount -t erofs_rs -o fsid=z-lz4,cache_tag=nosuchcache none /mnt/two
dmesg | grep -q "erofs_rs: blob z-lz4: no cache to read it from"
not start_daemon two --blobs /tmp/blobs1 --tag two
grep -q "another process has /dev/cachefiles open" /tmp/daemon-two.log
daemon=$first stop_daemon
