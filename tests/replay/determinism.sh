#!/usr/bin/env bash
# The fixture generator is deterministic: regenerating every capture into a
# temporary directory gives files byte-identical to the committed ones.
set -eu
cd "$(dirname "$0")/../.."
gen=${BUILD:-build}/pcaps/gen-pcaps
[ -x "$gen" ] || { echo "determinism: $gen not built (make pcaps)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$gen" "$tmp"
n=0
for f in "$tmp"/*.pcap "$tmp"/*.pcapng; do
	name=$(basename "$f")
	cmp "$f" "pcaps/$name" || { echo "determinism: $name differs from pcaps/$name"; exit 1; }
	n=$((n + 1))
done
committed=$(ls pcaps/*.pcap pcaps/*.pcapng | wc -l)
[ "$n" -eq "$committed" ] || { echo "determinism: generated $n files, $committed committed"; exit 1; }
[ "$n" -ge 12 ] || { echo "determinism: only $n captures"; exit 1; }
echo "determinism: $n captures identical"
