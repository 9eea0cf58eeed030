# Allocation failures (debug kernel, failslab): mounts and full walks of
# compressed and uncompressed images by a task whose slab allocations fail
# at random end in clean errors (ENOMEM and the like) or success, never a
# crash; afterwards every image still mounts and reads as the C erofs
# does. Leaks are caught by d-kmemleak.sh, which runs after this.
. /selftests/lib.sh
modprobe erofs
modprobe erofs_rs
mkdir -p /mnt/c /mnt/rs
F=/sys/kernel/debug/failslab
[ -d $F ] || { echo "no failslab in this kernel"; exit 1; }
echo 0 >$F/verbose
echo -1 >$F/times
echo 1 >$F/interval
echo Y >$F/task-filter
echo N >$F/ignore-gfp-wait
ok=0 failed=0
for p in 1 3 10; do
	echo $p >$F/probability
	for img in basic z-lz4 z-lzma z-deflate z-zstd z-fragments u-chunk-idx; do
		dev=$(disk_of "$img")
		# Only this subshell (and what it runs) has allocations fail.
		if sh -c 'echo 1 >/proc/self/make-it-fail &&
			mount -t erofs_rs -o ro "$1" /mnt/rs &&
			erofs-manifest --max-read=262144 /mnt/rs >/dev/null' sh "$dev" 2>/dev/null; then
			ok=$((ok + 1))
		else
			failed=$((failed + 1))
		fi
		grep -q ' /mnt/rs ' /proc/mounts && umount /mnt/rs
		echo 3 >/proc/sys/vm/drop_caches
	done
done
echo 0 >$F/probability
for img in basic z-lz4 z-zstd; do
	dev=$(disk_of "$img")
	mount -t erofs -o ro "$dev" /mnt/c
	erofs-manifest /mnt/c >/tmp/want
	umount /mnt/c
	mount -t erofs_rs -o ro "$dev" /mnt/rs
	erofs-manifest /mnt/rs >/tmp/got
	umount /mnt/rs
	cmp /tmp/want /tmp/got
done
[ $failed -gt 0 ]
echo "failslab: $ok walks completed, $failed ended in an error; no crash, images intact"
rmmod erofs_rs
