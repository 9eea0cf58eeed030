# Corrupt images never crash the kernel: 250 seeded mutations of the seed
# images (byte and bit flips, truncation, and field edits of superblock,
# inodes, xattr bodies, dirents, compressed and chunk indexes) by
# erofs-fuzz, one worker per CPU, each mounted with erofs_rs in one of the
# fuzzer's modes in turn: through a loop device, as a regular file, on a
# pmem device with dax=always (the two blank fuzz-pmem devices), with the
# multi-device seed's blobs (or another image) as device=, and beside its
# intact parent with inode_share, and (where the kernel has on-demand
# cachefiles) as a blob served by erofs-ondemand. When the mount succeeds, the image is
# walked and read every way (stat, readdir, readlink, xattrs, read,
# pread, readv, mmap, splice, sendfile, O_DIRECT). Every outcome must be
# a clean error or success; erofs-fuzz follows the kernel log and stops
# at the first oops, BUG or warning. Reproduce a failure on the host with:
# erofs-mutate SEED SEEDIMAGE OUT (the seed is on the "iter" line).
. /selftests/lib.sh
modprobe erofs_rs
modes=loop,file,multidev,share
# File-backed images on ext4 (tmpfs has no read_folio: neither driver
# takes files on it).
cache_fs
mkdir -p /mnt/cache/fuzz-files
pmem=""
if p0=$(pmem_of fuzz-pmem0 2>/dev/null) && p1=$(pmem_of fuzz-pmem1 2>/dev/null); then
	modes=$modes,dax pmem="--pmem $p0,$p1"
fi
fscache=""
if have_fscache; then
	mkdir -p /tmp/fuzz-blobs
	start_daemon fuzz --blobs /tmp/fuzz-blobs --quiet
	modes=$modes,fscache fscache="--fscache-blobs /tmp/fuzz-blobs"
fi
# Modes a caller's seeds cannot serve (SKIP_MODES, comma-separated).
for m in $(echo "${SKIP_MODES:-}" | tr , ' '); do
	modes=$(echo ",$modes," | sed "s/,$m,/,/; s/^,//; s/,\$//")
done
# shellcheck disable=SC2086 # image and option lists are split on purpose
erofs-fuzz --modes "${MODES:-$modes}" --file-dir /mnt/cache/fuzz-files $pmem $fscache "${COUNT:-250}" "${FUZZ_SEED:-7}" "$(nproc)" erofs_rs ${SEEDS:-/selftests/seeds/*.img} >/tmp/fuzz.log ||
	{ tail -n 40 /tmp/fuzz.log; exit 1; }
# Each mode had its share of the images, and mounted some of them.
grep '^mode ' /tmp/fuzz.log
for m in $(echo "${MODES:-$modes}" | tr , ' '); do
	grep -q "^mode $m: [1-9][0-9]* images, [1-9][0-9]* mounted" /tmp/fuzz.log ||
		{ echo "mode $m: no image mounted"; exit 1; }
done
[ -z "$fscache" ] || stop_daemon
tail -n 1 /tmp/fuzz.log
# Images that once crashed the kernel (selftests/regressions), as they
# are, through a loop device and as a regular file.
mkdir -p /mnt/bad
kept=0
for img in /selftests/regressions/*.img; do
	[ -f "$img" ] || continue
	dev=$(losetup -f)
	losetup "$dev" "$img"
	for src in "$dev" "$img"; do
		if erofs-mount erofs_rs "$src" /mnt/bad 2>/dev/null; then
			erofs-manifest --max-read=1048576 /mnt/bad >/dev/null 2>&1 || true
			erofs-readcheck /mnt/bad >/dev/null 2>&1 || true
			umount /mnt/bad
		fi
		check_dmesg || { echo "after regression image $(basename "$img") from $src"; exit 1; }
	done
	losetup -d "$dev"
	kept=$((kept + 1))
done
echo "$kept regression images mounted"
rmmod erofs_rs
