# Lazy pull over HTTP: erofs-ondemand --url fetches only the ranges that
# are read. A walk that reads 100 small files of an image fetches a small
# part of it (the ratio is printed); the files read back right. The cache
# persists: with the server gone and the daemon restarted on the same
# cache, the same files read back without one request. A server that
# fails every other request is retried through; one that is gone gives
# the reader EIO, not a hang.
. /selftests/lib.sh
need_fscache
modprobe erofs_rs
img=u-4k
ip link set lo up
mkdir -p /tmp/www /mnt/bd /mnt/fs
ln -sf "$(disk_of $img)" /tmp/www/$img
size=$(blockdev --getsize64 "$(disk_of $img)")

start_httpd() { # options
	erofs-httpd --root /tmp/www --listen 127.0.0.1:8080 --stats /tmp/http.stats "$@" 2>/tmp/httpd.log &
	httpd=$!
	for _ in $(seq 50); do grep -q listening /tmp/httpd.log && return 0; sleep 0.1; done
	return 1
}
stat_of() { sed -n "s/^$1 //p" /tmp/http.stats; }

# The files to read, and their bytes, from the block-device mount.
mount -t erofs_rs "$(disk_of $img)" /mnt/bd
(cd /mnt/bd && find ./wide -type f -size -8k | sort | head -n 100) >/tmp/files
[ "$(wc -l </tmp/files)" = 100 ]
(cd /mnt/bd && xargs md5sum </tmp/files) >/tmp/want.md5
read_bytes=$(cd /mnt/bd && xargs cat </tmp/files | wc -c)
umount /mnt/bd

start_httpd
start_daemon http --url http://127.0.0.1:8080/
mount -t erofs_rs -o fsid=$img none /mnt/fs
(cd /mnt/fs && md5sum -c /tmp/want.md5 >/dev/null)
fetched=$(stat_of bytes)
echo "lazy pull: read $read_bytes bytes of 100 files, fetched $fetched of the $size-byte image"
[ "$fetched" -lt $((size / 2)) ]
umount /mnt/fs
stop_daemon
kill $httpd

# Offline: the same cache, no server.
echo 3 >/proc/sys/vm/drop_caches
erofs-ondemand --cache /mnt/cache/http --url http://127.0.0.1:8080/ 2>/tmp/daemon-offline.log &
daemon=$!
for _ in $(seq 50); do grep -q ' bound' /tmp/daemon-offline.log && break; sleep 0.1; done
mount -t erofs_rs -o fsid=$img none /mnt/fs
(cd /mnt/fs && md5sum -c /tmp/want.md5 >/dev/null)
not grep -q "^erofs-ondemand: read " /tmp/daemon-offline.log
umount /mnt/fs
stop_daemon

# A flaky server: every other request fails, and is retried.
start_httpd --fail-every 2
start_daemon flaky --url http://127.0.0.1:8080/
mount -t erofs_rs -o fsid=$img none /mnt/fs
(cd /mnt/fs && md5sum -c /tmp/want.md5 >/dev/null)
[ "$(stat_of failed)" -gt 0 ]
umount /mnt/fs
stop_daemon

# The server goes away after the mount: readers get EIO.
start_daemon gone --url http://127.0.0.1:8080/
mount -t erofs_rs -o fsid=$img none /mnt/fs
kill $httpd
wait $httpd 2>/dev/null || true
not cat /mnt/fs/sizes/random-3M >/dev/null 2>/tmp/cat.err
grep -q "Input/output error" /tmp/cat.err
umount /mnt/fs
stop_daemon
