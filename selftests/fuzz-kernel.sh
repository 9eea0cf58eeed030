#!/bin/sh
# In-guest corrupted-image fuzzer (run by tools/fuzz-kernel, not by the
# test runner): ITER seeded mutations of the seed images (and of the
# regression images), mounted with erofs_rs in the MODES given (loop,
# file, dax, multidev, share, fscache) and read every way by erofs-fuzz, one
# worker per CPU. erofs-fuzz prints an "iter" line before each image, so
# the host knows what each worker was trying when the guest stops (oops,
# panic_on_warn, hang), and stops itself at the first kernel report.
# With "coverage", KCOV guides it: the corpus the host packed on /dev/vda
# is replayed and mutated from, and images reaching new edges of erofs_rs
# are appended to /dev/vdb. The file-backed images and fscache's cache
# live on an ext4 on /dev/vdc; fscache mode's blobs are served by
# erofs-ondemand (on kernels with on-demand cachefiles; the mode is
# dropped elsewhere). Afterwards: rmmod, and on the debug kernel
# a kmemleak scan that must find nothing erofs allocated.
#
#   fuzz-kernel.sh ITER SEED MODES [coverage]
. /selftests/lib.sh
iter=$1 base=$2 modes=$3
modprobe erofs_rs
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
imgs=""
for f in /selftests/seeds/*.img /selftests/regressions/*.img; do
	[ -f "$f" ] && imgs="$imgs $f"
done
guide=""
if [ "${4:-}" = coverage ]; then
	[ -e /sys/kernel/debug/kcov ] || { echo "no /sys/kernel/debug/kcov: this kernel has no KCOV"; exit 1; }
	guide="--coverage --corpus-in /dev/vda --corpus-out /dev/vdb"
fi
# /dev/vdc: ext4 for the file-backed images (tmpfs has no read_folio)
# and fscache's cache.
mke2fs -q /dev/vdc >/dev/null
mkdir -p /mnt/cache
mount -t ext4 /dev/vdc /mnt/cache
mkdir -p /mnt/cache/fuzz-files
fscache=""
case ",$modes," in
*,fscache,*)
	if have_fscache; then
		mkdir -p /tmp/fuzz-blobs
		start_daemon fuzz --blobs /tmp/fuzz-blobs --quiet || exit 1
		fscache="--fscache-blobs /tmp/fuzz-blobs"
	else
		echo "no fscache on-demand mode in this kernel: mode fscache dropped"
		modes=$(echo ",$modes," | sed 's/,fscache,/,/; s/^,//; s/,$//')
	fi
	;;
esac
# The pmem devices tools/fuzz-kernel attached are the fuzzer's (dax mode).
# shellcheck disable=SC2086 # the image and option lists are split on purpose
erofs-fuzz --modes "$modes" --file-dir /mnt/cache/fuzz-files $guide $fscache "$iter" "$base" "$(nproc)" erofs_rs $imgs || exit 1
[ -z "$fscache" ] || stop_daemon
umount /mnt/cache
rmmod erofs_rs || { echo "rmmod erofs_rs failed"; exit 1; }
if [ -e /sys/kernel/debug/kmemleak ]; then
	sh /selftests/d-kmemleak.sh || exit 1
fi
check_dmesg || exit 1
