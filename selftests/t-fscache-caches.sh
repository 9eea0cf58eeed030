# Several caches at once (not in the C erofs): two daemons bind two
# cachefiles caches with their own tags and cache directories, and each
# image names its cache with cache_tag=. Both mounts read their source
# trees, each daemon serves only its own image, and cache_tag shows in
# /proc/mounts.
. /selftests/lib.sh
need_fscache
modprobe erofs_rs
mkdir -p /tmp/blobs1 /tmp/blobs2 /mnt/one /mnt/two
ln -sf "$(disk_of u-4k)" /tmp/blobs1/u-4k
ln -sf "$(disk_of z-lz4)" /tmp/blobs2/z-lz4
start_daemon one --blobs /tmp/blobs1 --tag one
first=$daemon
start_daemon two --blobs /tmp/blobs2 --tag two
second=$daemon
mount -t erofs_rs -o fsid=u-4k,cache_tag=one none /mnt/one
mount -t erofs_rs -o fsid=z-lz4,cache_tag=two none /mnt/two
grep " /mnt/two erofs_rs " /proc/mounts | grep -q ",fsid=z-lz4,cache_tag=two"
erofs-manifest --no-dir-size $(src_opts u-4k) /mnt/one >/tmp/one.src
erofs-manifest --no-dir-size $(src_opts z-lz4) /mnt/two >/tmp/two.src
diff -u /selftests/data/u-4k.src /tmp/one.src
diff -u /selftests/data/z-lz4.src /tmp/two.src
grep -q '^erofs-ondemand: open erofs,u-4k / u-4k:' /tmp/daemon-one.log
grep -q '^erofs-ondemand: open erofs,z-lz4 / z-lz4:' /tmp/daemon-two.log
! grep -q 'z-lz4' /tmp/daemon-one.log
! grep -q 'u-4k' /tmp/daemon-two.log
# The blobs are in their own cache directories.
[ -n "$(ls -R /cache/one/cache)" ]
[ -n "$(ls -R /cache/two/cache)" ]
umount /mnt/one /mnt/two
daemon=$first stop_daemon
daemon=$second stop_daemon
