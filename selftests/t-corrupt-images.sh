# Corrupt images never crash the kernel: 250 seeded mutations of the seed
# images (superblock, inode, dirent, xattr, index and data bytes;
# truncation), each mounted with erofs_rs through a loop device and, when
# the mount succeeds, walked and read in full. Every outcome must be a
# clean error or success; the kernel log must stay free of oopses, BUGs
# and warnings (checked after every image). Reproduce a failure on the
# host with: erofs-mutate SEED SEEDIMAGE OUT.
. /selftests/lib.sh
modprobe erofs_rs
mkdir -p /mnt/bad
rounds=${ROUNDS:-25}
seeds=${SEEDS:-/selftests/seeds/*.img}
n=0 mounted=0 refused=0
# Mounts IMAGE through a loop device and walks it when it mounts; the
# kernel log must stay clean.
try_image() {
	dev=$(losetup -f)
	losetup "$dev" "$1"
	if mount -t erofs_rs -o ro "$dev" /mnt/bad 2>/dev/null; then
		timeout 60 erofs-manifest --max-read=1048576 /mnt/bad >/dev/null 2>&1 || true
		umount /mnt/bad
		mounted=$((mounted + 1))
	else
		refused=$((refused + 1))
	fi
	losetup -d "$dev"
	check_dmesg
}
for img in $seeds; do
	n=$((n + 1))
	for i in $(seq 1 "$rounds"); do
		seed=$((${SEED_BASE:-0} + n * 100000 + i))
		erofs-mutate "$seed" "$img" /tmp/bad.img >/tmp/what
		try_image /tmp/bad.img || { echo "after erofs-mutate $seed $(basename "$img"): $(cat /tmp/what)"; exit 1; }
	done
done
# Images that once crashed the kernel (selftests/regressions), as they are.
for img in /selftests/regressions/*.img; do
	[ -f "$img" ] || continue
	try_image "$img" || { echo "after regression image $(basename "$img")"; exit 1; }
done
echo "$((mounted + refused)) corrupt images: $mounted mounted and walked, $refused refused"
rmmod erofs_rs
