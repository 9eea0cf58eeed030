#!/bin/sh
# Guest half of tools/bench-dax, not a test: erofs_rs and the C erofs
# mounting the image on /dev/pmem0 with dax=always, in turn, REPS times
# per workload, page cache dropped before each run.
# Prints   R WORKLOAD DRIVER REP NANOSECONDS UNITS
reps=$1
modprobe erofs
modprobe erofs_rs
mkdir -p /mnt/b
for drv in erofs erofs_rs; do
	mount -t $drv -o ro,dax=always /dev/pmem0 /mnt/b
	grep " /mnt/b $drv " /proc/mounts | grep -q "dax=always" || { echo "bench: $drv mounted without DAX"; exit 1; }
	umount /mnt/b
done
for wl in seq-128k rand-4k mmap; do
	for rep in $(seq 1 "$reps"); do
		for drv in erofs erofs_rs; do
			mount -t $drv -o ro,dax=always /dev/pmem0 /mnt/b
			sync
			echo 3 >/proc/sys/vm/drop_caches
			case $wl in
			seq-128k) r=$(erofs-workload seqread /mnt/b/big 131072) ;;
			rand-4k) r=$(erofs-workload randread /mnt/b/big 4096 20000 42) ;;
			mmap) r=$(erofs-workload mmapread /mnt/b/big) ;;
			esac
			echo "R $wl $drv $rep $r"
			umount /mnt/b
		done
	done
done
echo "bench: done"
