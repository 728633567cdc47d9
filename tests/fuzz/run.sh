#!/usr/bin/env bash
# run.sh: runs every libFuzzer target $FUZZ_BUILD/fuzz_NAME for
# $FUZZ_SECONDS seconds on a scratch copy of its seed corpus
# tests/fuzz/corpus/NAME/ (the committed seeds are never modified), and
# prints one line per target.  Exits non-zero if any target crashes, leaks,
# times out or fails to run; the crashing input and the log are kept and
# named.  Targets run one after the other (the machine is shared).
set -u
cd "$(dirname "$0")/../.." || exit 1
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
FUZZ_MAX_LEN=${FUZZ_MAX_LEN:-1024}
# Undefined behaviour is a failure, not a warning; leaks are fatal too.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

work=$(mktemp -d /tmp/nflogmon-fuzz.XXXXXX) || exit 1
failed=0 ran=0

for bin in "$FUZZ_BUILD"/fuzz_*; do
	[ -f "$bin" ] && [ -x "$bin" ] || continue
	name=${bin##*/fuzz_}
	dir="$work/$name"
	mkdir -p "$dir/corpus" "$dir/artifacts"
	seeds=0
	if [ -d "tests/fuzz/corpus/$name" ]; then
		cp -R "tests/fuzz/corpus/$name/." "$dir/corpus/"
		seeds=$(find "$dir/corpus" -type f | wc -l)
	fi
	log="$dir/log"
	"$bin" -max_total_time="$FUZZ_SECONDS" -max_len="$FUZZ_MAX_LEN" \
	    -timeout=10 -print_final_stats=0 \
	    -artifact_prefix="$dir/artifacts/" "$dir/corpus" >"$log" 2>&1
	rc=$?
	ran=$((ran + 1))
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
	files=$(find "$dir/corpus" -type f | wc -l)
	if [ $rc -eq 0 ]; then
		printf 'ok    fuzz_%-10s %8s runs in %ss, corpus %d -> %d\n' \
		    "$name" "${runs:-?}" "$FUZZ_SECONDS" "$seeds" "$files"
	else
		failed=$((failed + 1))
		art=$(find "$dir/artifacts" -type f | head -n 1)
		printf 'FAIL  fuzz_%-10s rc=%d, input %s, log %s\n' \
		    "$name" $rc "${art:-none}" "$log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" |
		    head -n 5 | sed 's/^/    | /'
	fi
done

if [ $ran -eq 0 ]; then
	echo "fuzz: no targets in $FUZZ_BUILD"
	exit 1
fi
if [ $failed -eq 0 ]; then
	rm -rf "$work"
	echo "fuzz: $ran targets, all clean"
	exit 0
fi
echo "fuzz: $failed of $ran targets failed; kept $work"
exit 1
