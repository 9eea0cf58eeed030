#!/bin/sh
# Guest half of tools/bench-fscache, not a test: erofs_rs and the C erofs
# reading the same images through fscache on-demand mode, blobs served by
# erofs-ondemand from the disks. For each image, workload and driver in
# turn, REPS times:
#   cold: a fresh cache (every byte comes through the daemon), page
#         cache dropped;
#   warm: the cache filled by the cold run, page cache dropped (the
#         bytes come from the cache files, the daemon is not asked).
# Prints   R IMAGE WORKLOAD-cold|warm DRIVER REP NANOSECONDS UNITS
. /selftests/lib.sh
reps=$1
modprobe erofs
modprobe erofs_rs
have_fscache || { echo "bench-fscache: no fscache on-demand mode in this kernel"; exit 1; }
mkdir -p /mnt/b /tmp/blobs
# The cache holds a whole image per driver.
cache_fs 400
for img in fs-plain fs-lz4; do
	ln -sf "$(disk_of $img)" /tmp/blobs/$img
done

workload() { # name -> command
	case "$1" in
	seq-128k) echo "erofs-workload seqread /mnt/b/big 131072" ;;
	rand-4k) echo "erofs-workload randread /mnt/b/big 4096 2000 42" ;;
	esac
}

for img in fs-plain fs-lz4; do
	for wl in seq-128k rand-4k; do
		for rep in $(seq 1 "$reps"); do
			for drv in erofs erofs_rs; do
				start_daemon "$drv" --blobs /tmp/blobs --quiet
				for mode in cold warm; do
					mount -t $drv -o fsid=$img none /mnt/b
					sync
					echo 3 >/proc/sys/vm/drop_caches
					r=$($(workload $wl)) || { echo "E $img $wl-$mode $drv failed"; umount /mnt/b; continue; }
					echo "R $img $wl-$mode $drv $rep $r"
					umount /mnt/b
				done
				stop_daemon
			done
		done
	done
done
echo "bench: done"
