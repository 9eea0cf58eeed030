#!/bin/sh
# Stress run (tools/stress, not part of the test runner): 16 readers walk
# and hash a mixed set of erofs_rs mounts (uncompressed, LZ4HC big
# pclusters, LZMA, Zstd, fragments) for SECONDS, each walk compared with
# the C erofs's manifest of the same image, while caches are dropped every
# few seconds and another image is mounted and unmounted in a loop. Then
# everything is unmounted, the module removed, and kmemleak (when the
# kernel has it) must show nothing from erofs.
#
#   stress.sh SECONDS
. /selftests/lib.sh
secs=$1
# kmemleak lives in debugfs, which only the test runner mounted before.
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null || true
modprobe erofs
modprobe erofs_rs
imgs="u-4k z-lz4hc-1m z-lzma z-zstd z-fragments"
for img in $imgs; do
	dev=$(disk_of "$img")
	mkdir -p /mnt/c /mnt/$img
	mount -t erofs -o ro "$dev" /mnt/c
	erofs-manifest /mnt/c >/tmp/want.$img
	umount /mnt/c
	mount -t erofs_rs -o ro "$dev" /mnt/$img
done
rmmod erofs
end=$(($(cut -d. -f1 /proc/uptime) + secs))
reader() { # id
	n=0 k=$1
	while [ "$(cut -d. -f1 /proc/uptime)" -lt $end ]; do
		set -- $imgs
		shift $(((k + n) % 5))
		img=$1
		if ! erofs-manifest /mnt/$img >/tmp/got.$k || ! cmp -s /tmp/want.$img /tmp/got.$k; then
			echo "reader $k: walk $n of $img differs from the C erofs"
			return 1
		fi
		n=$((n + 1))
	done
	echo $n >/tmp/walks.$k
}
for k in $(seq 1 16); do
	(reader $k; echo $? >/tmp/rc.$k) &
done
cycles=0 other=$(disk_of u-chunk-idx)
mkdir -p /mnt/other
while [ "$(cut -d. -f1 /proc/uptime)" -lt $end ]; do
	mount -t erofs_rs -o ro "$other" /mnt/other
	ls -R /mnt/other >/dev/null
	umount /mnt/other
	cycles=$((cycles + 1))
	[ $((cycles % 5)) = 0 ] && echo 3 >/proc/sys/vm/drop_caches
done
wait
walks=0
for k in $(seq 1 16); do
	[ "$(cat /tmp/rc.$k)" = 0 ] || exit 1
	walks=$((walks + $(cat /tmp/walks.$k)))
done
for img in $imgs; do umount /mnt/$img; done
rmmod erofs_rs
check_dmesg || exit 1
if [ -e /sys/kernel/debug/kmemleak ]; then
	sh /selftests/d-kmemleak.sh || exit 1
fi
echo "stress: done, $walks tree walks by 16 readers, $cycles mount cycles of another image, in ${secs}s"
