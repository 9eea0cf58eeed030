# Daemon failover (cachefiles "restore", 6.8+): a supervisor keeps the
# cache bound while its worker serves slow requests; the worker is killed
# (SIGKILL) five times while a large file is read. The reader sees no
# error and the right bytes (the block-device mount's md5), and each new
# worker restored the requests the dead one left. Without a supervisor,
# a daemon's death fails the readers instead of hanging them.
. /selftests/lib.sh
need_fscache
modprobe erofs_rs
img=u-4k
dev=$(disk_of $img)
mkdir -p /tmp/blobs /mnt/bd /mnt/fs
ln -sf "$dev" /tmp/blobs/$img
mount -t erofs_rs "$dev" /mnt/bd
big=sizes/random-3M
want=$(md5sum "/mnt/bd/$big" | cut -d' ' -f1)
umount /mnt/bd

start_daemon failover --blobs /tmp/blobs --supervise --worker-pid /tmp/worker.pid --read-delay 150
mount -t erofs_rs -o fsid=$img none /mnt/fs
md5sum "/mnt/fs/$big" >/tmp/md5.out 2>&1 &
reader=$!
for _ in 1 2 3 4 5; do
	sleep 0.4
	kill -9 "$(cat /tmp/worker.pid)"
done
wait $reader
[ "$(cut -d' ' -f1 /tmp/md5.out)" = "$want" ]
[ "$(grep -c 'restored the pending requests' /tmp/daemon-failover.log)" -ge 5 ]
umount /mnt/fs
stop_daemon

# No supervisor: the daemon dies in the middle of a read.
start_daemon alone --blobs /tmp/blobs --read-delay 300
mount -t erofs_rs -o fsid=$img none /mnt/fs
md5sum "/mnt/fs/$big" >/tmp/md5.out 2>&1 &
reader=$!
sleep 0.5
kill -9 $daemon
not wait $reader
umount /mnt/fs
