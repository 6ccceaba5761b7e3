#!/bin/bash
# build-kernel.sh NAME TREE FRAGMENT...
# Configure (tinyconfig + fragments) and build a kernel out of tree in
# build/obj-NAME with ccache: bzImage, modules (installed into
# build/obj-NAME/modroot) and the uapi headers (build/obj-NAME/usr/include).
# OBJ overrides the object directory. BASE_CONFIG, a configuration made
# from the same fragments for a later tree (the series steps), replaces
# tinyconfig and the merge: olddefconfig drops what this tree lacks, and
# the check below still holds every fragment option to its value.
. "$(dirname "$0")/lib.sh"

name=$1 tree=$2
shift 2
obj=${OBJ:-$BUILD/obj-$name}
mkdir -p "$obj"
JOBS=${JOBS:-$(nproc)}
mk() { make -s -C "$tree" O="$obj" CC="ccache gcc" HOSTCC="ccache gcc" -j"$JOBS" "$@"; }

# Reconfigure only when a fragment changed, so rebuilds stay incremental.
stamp=$obj/.fragments
want=$(cat "$@" | sha256sum | cut -d' ' -f1)
if [ ! -f "$obj/.config" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	log "configuring $name"
	if [ -n "${BASE_CONFIG:-}" ]; then
		cp "$BASE_CONFIG" "$obj/.config"
	else
		mk tinyconfig >/dev/null
		"$tree/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$@" >"$obj/merge.log"
	fi
	mk olddefconfig >/dev/null
	# Every option the fragments set (a later fragment overriding an
	# earlier one) must survive olddefconfig: a silently dropped option
	# would test a different kernel than we think.
	declare -A want_opt
	for frag in "$@"; do
		while IFS= read -r line; do
			case "$line" in CONFIG_*=*) want_opt[${line%%=*}]=${line#*=} ;; esac
		done < "$frag"
	done
	missing=0
	for opt in "${!want_opt[@]}"; do
		val=${want_opt[$opt]}
		if [ "$val" = n ]; then
			grep -q "^$opt=" "$obj/.config" && { log "$opt should be unset"; missing=1; }
		elif ! grep -qx "$opt=$val" "$obj/.config"; then
			# A tree in the middle of the series may not have an option
			# yet (the KUnit suite); ALLOW_UNKNOWN accepts that, but not
			# an option the tree has with another value.
			if [ -n "${ALLOW_UNKNOWN:-}" ] && ! grep -q "^$opt=\|^# $opt is not set" "$obj/.config" &&
			   ! grep -rqs "^config ${opt#CONFIG_}\$" --include='Kconfig*' "$tree"; then
				log "$opt: not in this tree yet"
			else
				log "$opt=$val did not stick"; missing=1
			fi
		fi
	done
	[ $missing = 0 ] || die "kernel configuration $name is not what the fragments ask for"
	echo "$want" > "$stamp"
fi

log "building kernel $name (this takes a few minutes from scratch)"
mk bzImage modules headers
rm -rf "$obj/modroot"
mk INSTALL_MOD_PATH="$obj/modroot" modules_install >/dev/null
log "kernel $name ready: $obj/arch/x86/boot/bzImage"
