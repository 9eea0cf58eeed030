# nouser_xattr hides and refuses user.* names; trusted.* needs
# CAP_SYS_ADMIN to be listed; both as the C erofs does.
. /selftests/lib.sh
dev=$(disk_of u-4k)
modprobe erofs
modprobe erofs_rs
mkdir -p /mnt/x
for fs in erofs erofs_rs; do
	mount -t $fs -o ro,nouser_xattr "$dev" /mnt/x
	erofs-manifest /mnt/x/xattr >/tmp/$fs.nouser || true
	umount /mnt/x
	mount -t $fs -o ro "$dev" /mnt/x
	su -s /bin/sh stranger -c "erofs-manifest /mnt/x/xattr" >/tmp/$fs.unpriv || true
	umount /mnt/x
done
diff -u /tmp/erofs.nouser /tmp/erofs_rs.nouser
diff -u /tmp/erofs.unpriv /tmp/erofs_rs.unpriv
not grep -q "x:user\." /tmp/erofs_rs.nouser
grep -q "x:trusted\." /tmp/erofs_rs.nouser
not grep -q "x:trusted\." /tmp/erofs_rs.unpriv
grep -q "x:user\." /tmp/erofs_rs.unpriv
