# Shared settings for the harness scripts. Sourced, not run.
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
TARBALL=${TARBALL:-/usr/src/linux-source-6.12.tar.xz}
PRISTINE=$BUILD/pristine
SRC=$BUILD/src
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-10G}

# The paths of the kernel tree this project owns. Directories are mirrored
# exactly (files we do not have are removed from the build tree); single
# files replace the stock ones.
OWNED_DIRS="drivers/connector samples/connector tools/testing/selftests/connector"
OWNED_FILES="include/linux/connector.h include/uapi/linux/connector.h include/linux/cn_proc.h include/uapi/linux/cn_proc.h Documentation/driver-api/connector.rst"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
# Paths in compiler command lines are made relative to the build directory
# so that another checkout (CI's fresh clone) hits the same cache entries.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$BUILD}
export CCACHE_NOHASHDIR=1
