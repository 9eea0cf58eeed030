# After the whole suite: kmemleak finds no unreferenced object that
# erofs_rs allocated (debug kernel only).
echo scan >/sys/kernel/debug/kmemleak
sleep 5
echo scan >/sys/kernel/debug/kmemleak
cat /sys/kernel/debug/kmemleak >/tmp/leaks
if grep -q "erofs_rs\|erofs" /tmp/leaks; then
	cat /tmp/leaks
	exit 1
fi
echo "kmemleak: $(grep -c unreferenced /tmp/leaks) unreferenced objects, none from erofs"
