#!/bin/sh
# In-guest corrupted-image fuzzer (run by tools/fuzz-kernel, not by the
# test runner): ITER seeded mutations of the seed images, each mounted
# with erofs_rs through a loop device and, when it mounts, walked in full
# (stat, readdir, read, readlink, listxattr/getxattr) and read through
# pread, readv, mmap, splice and sendfile. Prints one "iter" line before
# each image, so the host knows which image was being tried when the
# guest stops (oops, panic_on_warn, hang), and stops itself at the first
# kernel report.
#
#   fuzz-kernel.sh ITER SEED
. /selftests/lib.sh
iter=$1 base=$2
modprobe erofs_rs
mkdir -p /mnt/fuzz
set -- /selftests/seeds/*.img /selftests/regressions/*.img
imgs=""
for f in "$@"; do [ -f "$f" ] && imgs="$imgs $f"; done
count=$(echo $imgs | wc -w)
i=0 mounted=0
while [ $i -lt "$iter" ]; do
	i=$((i + 1))
	img=$(echo $imgs | cut -d' ' -f$(((i + base) % count + 1)))
	seed=$((base * 1000000 + i))
	echo "iter $i seed $seed image $(basename "$img")"
	erofs-mutate "$seed" "$img" /tmp/fuzz.img >/tmp/what
	dev=$(losetup -f)
	losetup "$dev" /tmp/fuzz.img
	if mount -t erofs_rs -o ro "$dev" /mnt/fuzz 2>/dev/null; then
		mounted=$((mounted + 1))
		timeout 20 erofs-manifest --max-read=1048576 /mnt/fuzz >/dev/null 2>&1
		timeout 20 erofs-readcheck --seed "$seed" /mnt/fuzz >/dev/null 2>&1
		umount /mnt/fuzz
	fi
	losetup -d "$dev"
	if ! check_dmesg >/tmp/report; then
		echo "CRASH seed $seed image $(basename "$img"): $(cat /tmp/what)"
		cat /tmp/report
		exit 1
	fi
done
rmmod erofs_rs
echo "fuzz: done $iter images, $mounted mounted"
