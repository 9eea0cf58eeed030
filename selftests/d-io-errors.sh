# I/O errors (debug kernel, fail_make_request): while every bio to the
# image's disk fails, reads through erofs_rs end in EIO, never in wrong
# bytes or a crash; once the disk works again the same files read back
# intact, and the filesystem unmounts. Uncompressed (iomap) and
# compressed images.
. /selftests/lib.sh
modprobe erofs_rs
mkdir -p /mnt/rs
F=/sys/kernel/debug/fail_make_request
[ -d $F ] || { echo "no fail_make_request in this kernel"; exit 1; }
echo 0 >$F/verbose
echo 100 >$F/probability
echo -1 >$F/times
echo 0 >$F/space
echo 1 >$F/interval
for img in u-4k z-lz4hc-1m z-zstd z-fragments; do
	dev=$(disk_of "$img")
	blk=/sys/block/${dev#/dev/}
	mount -t erofs_rs -o ro "$dev" /mnt/rs
	(cd /mnt/rs && find . -type f | head -n 150 >/tmp/files)
	(cd /mnt/rs && while read -r f; do md5sum "$f"; done </tmp/files) >/tmp/want
	echo 3 >/proc/sys/vm/drop_caches
	trap 'echo 0 >$blk/make-it-fail' EXIT
	echo 1 >$blk/make-it-fail
	failed=0 intact=0
	while read -r f; do
		if sum=$(cd /mnt/rs && md5sum "$f" 2>/tmp/err); then
			# Whatever still reads (an inline tail, say) must be right.
			grep -qxF "$sum" /tmp/want
			intact=$((intact + 1))
		else
			grep -q "Input/output error" /tmp/err
			failed=$((failed + 1))
		fi
	done </tmp/files
	echo 0 >$blk/make-it-fail
	[ $failed -gt 0 ]
	(cd /mnt/rs && while read -r f; do md5sum "$f"; done </tmp/files) >/tmp/got
	cmp /tmp/want /tmp/got
	umount /mnt/rs
	echo "$img: $failed reads failed with EIO, $intact read intact while the disk failed; all intact afterwards"
done
rmmod erofs_rs
