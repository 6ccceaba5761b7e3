#!/bin/bash
# The test command: build, boot and test every kernel the suite covers, then
# print the tally. Host-side checks print CNRESULT lines into host.log.
. "$(dirname "$0")/lib.sh"
"$TOP/scripts/deps.sh"
"$TOP/scripts/prepare-tree.sh"
logs=$BUILD/logs
rm -rf "$logs" && mkdir -p "$logs"
host=$logs/host.log
: > "$host"
result() { echo "CNRESULT $*" | tee -a "$host"; }

# guest NAME FRAGMENTS...: build and boot one kernel in test mode.
guest() {
	local name=$1; shift
	if ! "$TOP/scripts/build-kernel.sh" "$name" "$SRC" "$@" >>"$logs/build-$name.log" 2>&1 ||
	   ! "$TOP/scripts/build-guest.sh" "$name" "$SRC" >>"$logs/build-$name.log" 2>&1; then
		tail -n 40 "$logs/build-$name.log"
		result FAIL "$name: kernel and guest build"
		return
	fi
	result PASS "$name: kernel and guest build"
	if "$TOP/scripts/boot.sh" "$name" test "$logs/guest-$name.log" "${GUEST_LIMIT:-1500}"; then
		result PASS "$name: guest finished with a clean kernel log"
	else
		result FAIL "$name: guest finished with a clean kernel log"
	fi
}

# host NAME COMMAND...: a check that runs on the build machine.
host() {
	local name=$1; shift
	if "$@" >"$logs/host-${name//[^a-zA-Z0-9]/_}.log" 2>&1; then
		result PASS "$name"
	else
		cat "$logs/host-${name//[^a-zA-Z0-9]/_}.log"
		result FAIL "$name"
	fi
}

host "uapi ABI identical to stock 6.12" "$TOP/scripts/abi-check.sh"
host "checkpatch --strict clean" "$TOP/scripts/checkpatch-files.sh"
host "documentation builds, kernel-doc clean" "$TOP/scripts/check-docs.sh"

guest base "$TOP/configs/base.config"
host "sparse (C=2) and W=1 clean" "$TOP/scripts/check-static.sh"
host "series: git am, checkpatch per patch, builds after every patch" "$TOP/scripts/check-series.sh"
# The whole suite again under KASAN, lockdep, PROVE_RCU, kmemleak, UBSAN,
# DEBUG_OBJECTS and DEBUG_LIST: any report fails the run.
GUEST_APPEND="cn.stress=1" guest debug "$TOP/configs/base.config" "$TOP/configs/debug.config"
# drivers/w1, dm-log-userspace, uvesafb and hv_utils, unchanged, as
# modules; w1 and dm-log-userspace are loaded and w1 is spoken to.
GUEST_APPEND="cn.users=1" guest users "$TOP/configs/base.config" "$TOP/configs/users.config"
users_built() {
	local m missing=0
	for m in wire dm-log-userspace uvesafb hv_utils; do
		find "$BUILD/obj-users/modroot" -name "$m.ko" | grep -q . ||
			{ echo "$m.ko was not built"; missing=1; }
	done
	return $missing
}
host "in-tree users built unchanged as modules (w1, dm-log-userspace, uvesafb, hv_utils)" users_built
GUEST_APPEND="cn.modular=1" guest modular "$TOP/configs/base.config" "$TOP/configs/modular.config"

echo
"$TOP/scripts/summarize.sh" "$host" "$logs"/guest-*.log
