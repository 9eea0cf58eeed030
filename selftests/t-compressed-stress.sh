# Compressed files under pressure: eight readers hash every compressed
# image's tree at once while caches are dropped; each reader must see what
# the C erofs shows. Run in a guest with little free memory so reclaim
# takes the page cache away under the readers.
. /selftests/lib.sh
modprobe erofs
modprobe erofs_rs
mkdir -p /mnt/c /mnt/rs
for img in z-lz4hc-1m z-lzma z-zstd z-deflate; do
	dev=$(disk_of "$img")
	mount -t erofs -o ro "$dev" /mnt/c
	erofs-manifest /mnt/c >/tmp/want
	umount /mnt/c
	mount -t erofs_rs -o ro "$dev" /mnt/rs
	for i in 1 2 3 4 5 6 7 8; do
		(erofs-manifest /mnt/rs >/tmp/got.$i; echo $? >/tmp/rc.$i) &
	done
	for k in 1 2 3 4; do echo 3 >/proc/sys/vm/drop_caches; sleep 1; done
	wait
	for i in 1 2 3 4 5 6 7 8; do
		[ "$(cat /tmp/rc.$i)" = 0 ]
		cmp /tmp/want /tmp/got.$i
	done
	umount /mnt/rs
	echo "$img: 8 parallel readers agree with the C erofs"
done
rmmod erofs_rs
