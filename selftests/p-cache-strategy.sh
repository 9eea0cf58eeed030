# group: compressed
# Each cache_strategy reads the same bytes as the C erofs: seeded random
# preads, readv, mmap and splice over the largest files of the tree (3 MiB
# of random bytes, 1 MiB of text, zero runs), through both drivers
# mounted with the same strategy, caches dropped in between.
. /selftests/lib.sh
img=$1
dev=$(prepare_pair "$img")
seed=11
for s in disabled readahead readaround; do
	seed=$((seed + 1))
	mount -t erofs -o ro,cache_strategy=$s "$dev" /mnt/c
	erofs-readcheck --seed $seed /mnt/c/sizes >/tmp/c.read
	umount /mnt/c
	echo 3 >/proc/sys/vm/drop_caches
	mount -t erofs_rs -o ro,cache_strategy=$s "$dev" /mnt/rs
	erofs-readcheck --seed $seed /mnt/rs/sizes >/tmp/rs.read
	# A second pass over warm caches (decoded extents kept or not).
	erofs-readcheck --seed $((seed + 100)) /mnt/rs/sizes >/tmp/rs2.read
	umount /mnt/rs
	not grep ERROR /tmp/rs.read /tmp/rs2.read
	diff -u /tmp/c.read /tmp/rs.read
	mount -t erofs -o ro,cache_strategy=$s "$dev" /mnt/c
	erofs-readcheck --seed $((seed + 100)) /mnt/c/sizes >/tmp/c2.read
	umount /mnt/c
	diff -u /tmp/c2.read /tmp/rs2.read
	echo "cache_strategy=$s: $(wc -l </tmp/rs.read) files agree with the C erofs"
done
