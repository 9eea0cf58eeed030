# POSIX ACLs are enforced as by the C erofs, and ignored with noacl: the
# same users get the same answers reading and listing the same files. On
# u-1k, made with xattr name filters, inodes whose filter rules ACLs out
# get "no ACL" cached when they are read (as the 7.x C driver does), so
# a filter read wrongly would drop acl/file's ACL.
. /selftests/lib.sh
modprobe erofs
modprobe erofs_rs
mkdir -p /mnt/x
probe() { # fstype options
	mount -t "$1" -o "ro,$2" "$dev" /mnt/x
	for u in acluser stranger nobody; do
		for f in acl/file acl/dir modes/none owners/u1234; do
			# Reading a file needs read permission; listing a directory too.
			if [ -d "/mnt/x/$f" ]; then cmd="ls /mnt/x/$f/"; else cmd="cat /mnt/x/$f"; fi
			if su -s /bin/sh "$u" -c "$cmd" >/dev/null 2>&1; then r=yes; else r=no; fi
			echo "$2 $u $f $r"
		done
	done
	umount /mnt/x
}
for img in u-4k u-1k; do
	dev=$(disk_of $img)
	for o in acl noacl; do
		probe erofs "$o" >/tmp/c.$o
		probe erofs_rs "$o" >/tmp/rs.$o
		diff -u /tmp/c.$o /tmp/rs.$o
	done
	# The ACL grants acluser read access that the mode bits alone do not.
	grep -q "^acl acluser acl/file yes" /tmp/rs.acl
	grep -q "^noacl acluser acl/file no" /tmp/rs.noacl
	grep -q "^acl stranger acl/file no" /tmp/rs.acl
done
