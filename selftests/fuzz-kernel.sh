#!/bin/sh
# In-guest corrupted-image fuzzer (run by tools/fuzz-kernel, not by the
# test runner): ITER seeded mutations of the seed images (and of the
# regression images), mounted with erofs_rs and read every way by
# erofs-fuzz, one worker per CPU. erofs-fuzz prints an "iter" line before
# each image, so the host knows what each worker was trying when the guest
# stops (oops, panic_on_warn, hang), and stops itself at the first kernel
# report. Afterwards: rmmod, and on the debug kernel a kmemleak scan that
# must find nothing erofs allocated.
#
#   fuzz-kernel.sh ITER SEED
. /selftests/lib.sh
iter=$1 base=$2
modprobe erofs_rs
imgs=""
for f in /selftests/seeds/*.img /selftests/regressions/*.img; do
	[ -f "$f" ] && imgs="$imgs $f"
done
# shellcheck disable=SC2086 # the image list is split on purpose
# The pmem devices tools/fuzz-kernel attached are the fuzzer's: a share
# of the images goes onto them, mounted with dax=always.
EROFS_FUZZ_PMEM=1 erofs-fuzz "$iter" "$base" "$(nproc)" erofs_rs $imgs || exit 1
rmmod erofs_rs || { echo "rmmod erofs_rs failed"; exit 1; }
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
if [ -e /sys/kernel/debug/kmemleak ]; then
	sh /selftests/d-kmemleak.sh || exit 1
fi
check_dmesg || exit 1
