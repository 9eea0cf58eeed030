# Shared domains: two images mounted with the same domain_id share the
# blobs they have in common. Two bootstraps (fsid a and b, the same
# multi-device image under two names) use one data blob: the daemon opens
# its cache file once, both mounts read the source tree, and a primary
# blob already in the domain is refused as the C erofs refuses it. The
# domain outlives each mount but the last, then goes (rmmod succeeds).
. /selftests/lib.sh
need_fscache
modprobe erofs_rs
img=u-blob-dev
blobs=/tmp/blobs
rm -rf $blobs && mkdir -p $blobs
ln -s "$(disk_of $img)" $blobs/a
ln -s "$(disk_of $img)" $blobs/b
ln -s "$(disk_of $img-blob)" $blobs/data
mkdir -p /mnt/a /mnt/b /mnt/x
start_daemon domains --blobs $blobs
mount -t erofs_rs -o fsid=a,domain_id=d1,device=data none /mnt/a
mount -t erofs_rs -o fsid=b,domain_id=d1,device=data none /mnt/b
grep " /mnt/b erofs_rs " /proc/mounts | grep -q ",fsid=b,domain_id=d1"
erofs-manifest --no-dir-size /mnt/a >/tmp/a.src
erofs-manifest --no-dir-size /mnt/b >/tmp/b.src
diff -u /selftests/data/$img.src /tmp/a.src
diff -u /selftests/data/$img.src /tmp/b.src
# One volume, one cookie for the shared blob: opened once.
[ "$(grep -c '^erofs-ondemand: open erofs,d1 / data:' /tmp/daemon-domains.log)" = 1 ]
grep -q '^erofs-ondemand: open erofs,d1 / a:' /tmp/daemon-domains.log
grep -q '^erofs-ondemand: open erofs,d1 / b:' /tmp/daemon-domains.log
# fsid a is the primary blob of a mount of the domain already.
not mount -t erofs_rs -o fsid=a,domain_id=d1,device=data none /mnt/x
dmesg | grep -q "a already exists in domain d1"
# The domain stays with its last mount, and the shared blob with it.
umount /mnt/a
echo 3 >/proc/sys/vm/drop_caches
erofs-manifest --no-dir-size /mnt/b >/tmp/b2.src
diff -u /selftests/data/$img.src /tmp/b2.src
umount /mnt/b
# A mount of the domain after it went: a new volume, the blobs again.
mount -t erofs_rs -o fsid=b,domain_id=d1,device=data none /mnt/b
erofs-manifest --no-dir-size /mnt/b >/tmp/b3.src
diff -u /selftests/data/$img.src /tmp/b3.src
umount /mnt/b
stop_daemon
rmmod erofs_rs
