# Page cache sharing (inode_share,domain_id=): two versions of the same
# part of /usr (Debian 13 and 14, fingerprints by erofs-utils 1.9), plain
# and lz4hc, mounted in one domain. Each mount reads as its own source
# tree, and every way erofs-readcheck reads as without sharing and as the
# C erofs without sharing (O_DIRECT aside: a shared file refuses it, as
# in 7.x); the files both hold are cached once: reading
# the second tree after the first adds about the pages of its own
# contents (tools/mkimages counts them), where without sharing it adds
# all of them. The options are checked as 7.x checks them. A forged
# fingerprint (i-forged's "evil" claims the digest of i-13's largest file)
# shows what the checking mode is for: with plain inode_share the forged
# file reads as the victim (7.x's trust model), with inode_share=verify
# each image reads its own bytes.
. /selftests/lib.sh
modprobe erofs_rs
mkdir -p /mnt/a /mnt/b
data=/selftests/data
read -r total unique shared <$data/i-14.pages

cached() { awk '/^Cached:/ { print $2 }' /proc/meminfo; }
read_all() { find "$1" -type f -exec cat {} + >/dev/null; }
no_odirect() { sed 's/ odirect=[^ ]*//' "$@"; }

# Options, as 7.x: inode_share needs domain_id and excludes dax=always;
# an image without fingerprints mounts without sharing.
not mount -t erofs_rs -o ro,inode_share "$(disk_of i-13)" /mnt/a 2>/dev/null
dmesg | grep -q "domain_id is needed when inode_share is on"
not mount -t erofs_rs -o ro,inode_share,domain_id=t,dax=always "$(disk_of i-13)" /mnt/a 2>/dev/null
dmesg | grep -q "FSDAX is not allowed when inode_share is on"
not mount -t erofs_rs -o ro,inode_share=maybe,domain_id=t "$(disk_of i-13)" /mnt/a 2>/dev/null
mount -t erofs_rs -o ro,inode_share,domain_id=t "$(disk_of u-4k)" /mnt/a
dmesg | grep -q "on-disk ishare xattrs not found. Turning off inode_share."
not grep -q inode_share /proc/mounts
umount /mnt/a

# Mounts image pair $3 $4 with driver $1 and options $2, reads both trees
# fully after a cache drop and prints the page cache (KiB) the second one
# added, then how much of it (KiB of its files' pages) was resident before
# it was read.
second_growth() {
	mount -t "$1" -o "ro$2" "$(disk_of "$3")" /mnt/a
	mount -t "$1" -o "ro$2" "$(disk_of "$4")" /mnt/b
	sync
	echo 3 >/proc/sys/vm/drop_caches
	read_all /mnt/a
	resident=$(erofs-resident /mnt/b | cut -d' ' -f1)
	c1=$(cached)
	read_all /mnt/b
	c2=$(cached)
	echo $((c2 - c1)) "$resident"
}

for pair in "i-13 i-14" "i-13-lz4hc i-14-lz4hc"; do
	set -- $pair
	for opts in "" ",inode_share,domain_id=t" ",inode_share=verify,domain_id=t"; do
		read -r grown resident <<-EOF
		$(second_growth erofs_rs "$opts" "$1" "$2")
		EOF
		echo "$1 + $2 [${opts#,}]: $resident KiB of the second tree resident before it was read (it has $shared KiB of contents the first has); reading it added $grown KiB of page cache (its files: $total KiB, its contents the first does not have: $unique KiB)"
		if [ -z "$opts" ]; then
			[ "$resident" = 0 ]
			[ "$grown" -ge $((total * 9 / 10)) ]
		else
			grep -q "inode_share" /proc/mounts
			[ "$resident" = "$shared" ]
			# Its own contents, plus directories and slack for what
			# else the system caches meanwhile.
			[ "$grown" -le $((unique + 1024)) ]
		fi
		erofs-manifest --no-dir-size /mnt/a >/tmp/a.man
		erofs-manifest --no-dir-size /mnt/b >/tmp/b.man
		diff -u $data/"$1".src /tmp/a.man
		diff -u $data/"$2".src /tmp/b.man
		case "$opts" in
		"" | ,inode_share,*) erofs-readcheck --seed 3 /mnt/b >/tmp/b.read."${opts:+shared}" ;;
		esac
		umount /mnt/a /mnt/b
		[ "$opts" != ",inode_share,domain_id=t" ] || echo "$grown" >/tmp/"$2".grown
	done
	cp /tmp/b.read.shared /tmp/"$2".read
	not grep ERROR /tmp/b.read.shared
	no_odirect /tmp/b.read. >/tmp/b.read.own
	no_odirect /tmp/b.read.shared | diff -u /tmp/b.read.own -
	# A shared file refuses O_DIRECT, an unshared uncompressed one does
	# not (compressed files never take it, as in the C erofs).
	grep -q "odirect=refused:22" /tmp/b.read.shared
	[ "$1" != i-13 ] || not grep -q "odirect=refused:22" /tmp/b.read.
done

# fscache mode (which the C driver cannot combine with inode_share): the
# two images as blobs of one domain, fetched by our daemon.
if have_fscache; then
	blobs=/tmp/blobs
	rm -rf $blobs && mkdir -p $blobs
	ln -s "$(disk_of i-13)" $blobs/v13
	ln -s "$(disk_of i-14)" $blobs/v14
	start_daemon ishare --blobs $blobs
	mount -t erofs_rs -o fsid=v13,domain_id=f,inode_share none /mnt/a
	mount -t erofs_rs -o fsid=v14,domain_id=f,inode_share none /mnt/b
	read_all /mnt/a
	resident=$(erofs-resident /mnt/b | cut -d' ' -f1)
	erofs-manifest --no-dir-size /mnt/a >/tmp/a.man
	erofs-manifest --no-dir-size /mnt/b >/tmp/b.man
	diff -u $data/i-13.src /tmp/a.man
	diff -u $data/i-14.src /tmp/b.man
	umount /mnt/a /mnt/b
	stop_daemon
	echo "fscache mode: $resident KiB of i-14 resident before it was read"
	[ "$resident" = "$shared" ]
fi

# The C erofs without sharing reads the second image of each pair as
# erofs_rs does with sharing (O_DIRECT aside).
modprobe erofs
for img in i-14 i-14-lz4hc; do
	mount -t erofs -o ro "$(disk_of $img)" /mnt/b
	erofs-readcheck --seed 3 /mnt/b | no_odirect >/tmp/c.read
	umount /mnt/b
	no_odirect /tmp/$img.read | diff -u /tmp/c.read -
done

# The C erofs with inode_share (7.x built with EROFS_FS_PAGE_CACHE_SHARE)
# on the same pairs: the same bytes every way, and its page cache.
if mount -t erofs -o ro,inode_share,domain_id=c "$(disk_of i-13)" /mnt/a 2>/dev/null; then
	umount /mnt/a
	for pair in "i-13 i-14" "i-13-lz4hc i-14-lz4hc"; do
		set -- $pair
		read -r grown resident <<-EOF
		$(second_growth erofs ",inode_share,domain_id=c" "$1" "$2")
		EOF
		erofs-readcheck --seed 3 /mnt/b >/tmp/c.read
		umount /mnt/a /mnt/b
		diff -u /tmp/c.read /tmp/"$2".read
		echo "$1 + $2 with inode_share: the second tree added $grown KiB on the C erofs ($resident KiB resident before), $(cat /tmp/"$2".grown) KiB on erofs_rs; both read the same"
	done
else
	echo "the C erofs of $(uname -r) has no inode_share"
fi
rmmod erofs

# The forged fingerprint. The victim is read first, so it fills the
# shared cache, then the file claiming its fingerprint is opened.
victim=$(cat $data/ishare.victim)
for mode in inode_share inode_share=verify; do
	dmesg -c >/dev/null
	mount -t erofs_rs -o "ro,$mode,domain_id=t" "$(disk_of i-13)" /mnt/a
	mount -t erofs_rs -o "ro,$mode,domain_id=t" "$(disk_of i-forged)" /mnt/b
	want_victim=$(sha256sum </mnt/a/"$victim")
	want_evil=$(head -c "$(stat -c %s /mnt/b/evil)" /dev/zero | tr '\0' E | sha256sum)
	got_evil=$(sha256sum </mnt/b/evil)
	got_victim=$(sha256sum </mnt/a/"$victim")
	[ "$got_victim" = "$want_victim" ]
	if [ $mode = inode_share ]; then
		# Trusting the domain: the forged file reads as the victim.
		[ "$got_evil" = "$want_victim" ]
		echo "inode_share: the forged file reads as $victim (7.x's trust model)"
	else
		[ "$got_evil" = "$want_evil" ]
		dmesg | grep -q "content does not match its fingerprint: not shared"
		echo "inode_share=verify: the forged file reads as itself, $victim as itself"
	fi
	# The honest file of the forged image still reads right.
	[ "$(sha256sum </mnt/b/honest)" = "$(sha256sum </mnt/a/share/perl5/Debconf/Log.pm)" ]
	umount /mnt/a /mnt/b
done
# Checking mode, the forged file opened first: the victim still reads as
# itself.
mount -t erofs_rs -o ro,inode_share=verify,domain_id=t "$(disk_of i-forged)" /mnt/b
mount -t erofs_rs -o ro,inode_share=verify,domain_id=t "$(disk_of i-13)" /mnt/a
cat /mnt/b/evil >/dev/null
[ "$(sha256sum </mnt/a/"$victim")" = "$want_victim" ]
umount /mnt/a /mnt/b
rmmod erofs_rs
