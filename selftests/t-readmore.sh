# One 4 KiB read of a compressed file leaves the same pages in the page
# cache with erofs_rs as with the C erofs: the pages of the extents that
# the read decoded (z_erofs_pcluster_readmore), not only the page asked
# for. Each read is done on a fresh mount, once as a plain read (the
# VFS's readahead window, grown to the end of its last extent) and once
# after POSIX_FADV_RANDOM (read_folio: the whole pcluster around it).
# Images with 4 KiB, 16 KiB (fragments, dedupe), 64 KiB (tail-packed,
# LZMA), 128 KiB (Zstd) and 1 MiB pclusters.
. /selftests/lib.sh
modprobe erofs
modprobe erofs_rs
mkdir -p /mnt/c /mnt/rs
compared=0
for img in z-lz4 z-fragments z-lz4hc-64k-tail z-lzma z-zstd z-lz4hc-1m; do
	dev=$(disk_of "$img")
	mount -t erofs -o ro "$dev" /mnt/c
	# The three largest regular files of at least 64 KiB.
	(cd /mnt/c && find . -type f -size +64k -exec stat -c '%s %n' {} +) | sort -k1,1nr -k2 | sed -n 1,3p >/tmp/files
	umount /mnt/c
	while read -r size f; do
		last=$(((size - 1) / 4096 * 4096))
		for off in 0 $((size / 2 / 4096 * 4096)) $((size / 3 / 4096 * 4096 + 4096)) $last; do
			for how in plain random; do
				# A pair that differs is read again, twice at most: the
				# C driver's readahead once came out short (one page
				# where every later run gave the window's four).
				for try in 1 2 3; do
					for drv in erofs erofs_rs; do
						mnt=/mnt/c
						[ $drv = erofs_rs ] && mnt=/mnt/rs
						mount -t $drv -o ro "$dev" $mnt
						if [ $how = random ]; then
							erofs-resident --read "$mnt/$f" $off random >/tmp/res.$drv
						else
							erofs-resident --read "$mnt/$f" $off >/tmp/res.$drv
						fi
						umount $mnt
					done
					cmp -s /tmp/res.erofs /tmp/res.erofs_rs && break
				done
				if ! cmp -s /tmp/res.erofs /tmp/res.erofs_rs; then
					echo "$img $f ($size bytes) @ $off, $how read: resident pages differ"
					echo "  C erofs:  $(cat /tmp/res.erofs)"
					echo "  erofs_rs: $(cat /tmp/res.erofs_rs)"
					exit 1
				fi
				compared=$((compared + 1))
			done
		done
	done </tmp/files
	echo "$img: $(cat /tmp/res.erofs_rs) (last read)"
done
echo "reads compared: $compared"
[ "$compared" -ge 100 ]
