# Readahead of compressed files is decoded on erofs_rs's workqueue after
# the reader has gone on: readers killed mid-file leave decoding queued,
# and the unmount right after must wait for it (the locked folios hold
# the inodes), then rmmod must wait for the queue's last job. Afterwards
# every file still reads as the C erofs reads it. A use after free, a
# busy inode at unmount or a leftover job shows in the kernel log, which
# the runner checks.
. /selftests/lib.sh
modprobe erofs
modprobe erofs_rs
mkdir -p /mnt/x
for img in z-lz4hc-1m z-lz4 z-zstd; do
	dev=$(disk_of "$img")
	mount -t erofs -o ro "$dev" /mnt/x
	(cd /mnt/x && find . -type f -size +32k | sort | head -n 24) >/tmp/ra-files
	[ -s /tmp/ra-files ]
	(cd /mnt/x && xargs md5sum </tmp/ra-files) >/tmp/ra-want
	umount /mnt/x
	i=0
	while [ $i -lt 8 ]; do
		mount -t erofs_rs -o ro "$dev" /mnt/x
		echo 3 >/proc/sys/vm/drop_caches
		pids=""
		while read -r f; do
			cat "/mnt/x/$f" >/dev/null &
			pids="$pids $!"
		done </tmp/ra-files
		# Stop the readers at different points of their files.
		sleep "0.0$i"
		kill $pids 2>/dev/null || true
		wait $pids 2>/dev/null || true
		if [ $((i % 4)) = 2 ]; then
			# What the workers filled, read back on the same mount.
			(cd /mnt/x && xargs md5sum </tmp/ra-files) >/tmp/ra-got
			cmp /tmp/ra-want /tmp/ra-got
		fi
		umount /mnt/x
		if [ $((i % 2)) = 1 ]; then
			rmmod erofs_rs
			modprobe erofs_rs
		fi
		i=$((i + 1))
	done
	mount -t erofs_rs -o ro "$dev" /mnt/x
	(cd /mnt/x && xargs md5sum </tmp/ra-files) >/tmp/ra-got
	umount /mnt/x
	cmp /tmp/ra-want /tmp/ra-got
	echo "$img: $(wc -l </tmp/ra-files) files, 8 interrupted reads each, equal to the C erofs"
done
rmmod erofs_rs
