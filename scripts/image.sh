#!/usr/bin/env bash
# Build the control plane's image with podman, on a Debian base made locally.
#
#   scripts/image.sh IMAGE [SUITE] [PYTHON]     e.g. localhost/import-control-plane:dev bookworm python3.11
#
# 1. The base: a minimal Debian root filesystem with Python and CA certificates,
#    made by mmdebstrap from the Debian mirror this machine's apt already uses,
#    imported as localhost/icp-base:SUITE.  Built once; later runs reuse it.
# 2. The image: the Containerfile with that base as BASE_IMAGE and this
#    checkout's uv binary as the `uv` build context.  podman caches the layers,
#    so a rebuild after a code change only redoes the last ones.
# Production builds the same Containerfile with a registry base instead.
set -euo pipefail

IMAGE=${1:?usage: scripts/image.sh IMAGE [SUITE] [PYTHON]}
SUITE=${2:-bookworm}
PYTHON=${3:-python3.11}
BASE_IMAGE="localhost/icp-base:${SUITE}"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK="${ROOT}/${ICP_STACK_STATE_DIR:-.stack}/image"
export CONTAINERS_CONF="${CONTAINERS_CONF:-${ROOT}/container/containers.conf}"
PODMAN=(podman --runtime runc)

need() {
    command -v "$1" >/dev/null && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing $2 with apt-get"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null
    else
        echo "error: $1 is missing; install the Debian package $2" >&2
        exit 2
    fi
}

debian_mirror() {
    local found
    found=$(grep -hoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null \
        | grep -v security | head -n 1 | tr -d ' ' || true)
    echo "${found:-http://deb.debian.org/debian}"
}

build_base() {
    if "${PODMAN[@]}" image exists "${BASE_IMAGE}"; then
        echo "base ${BASE_IMAGE}: cached"
        return
    fi
    need mmdebstrap mmdebstrap
    local mirror
    mirror=$(debian_mirror)
    echo "base ${BASE_IMAGE}: mmdebstrap ${SUITE} with ${PYTHON} from ${mirror}"
    mkdir -p "${WORK}"
    mmdebstrap --variant=minbase --include="${PYTHON},ca-certificates" \
        --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        "${SUITE}" "${WORK}/base-${SUITE}.tar" "${mirror}"
    "${PODMAN[@]}" import --change 'CMD ["/bin/bash"]' "${WORK}/base-${SUITE}.tar" "${BASE_IMAGE}" >/dev/null
    rm -f "${WORK}/base-${SUITE}.tar"
}

stage_uv() {
    # The real binary, not a version manager's shim script.
    local uv_bin
    uv_bin=$(command -v uv)
    if ! head -c 4 "${uv_bin}" | grep -q ELF; then
        uv_bin=$(pyenv which uv)
    fi
    mkdir -p "${WORK}/uv"
    cp "${uv_bin}" "${WORK}/uv/uv"
}

ca_bundle() {
    # A TLS-inspecting proxy's CA, if this host trusts one through SSL_CERT_FILE; else an empty file.
    mkdir -p "${WORK}"
    if [ -n "${SSL_CERT_FILE:-}" ] && [ -r "${SSL_CERT_FILE}" ]; then
        cp "${SSL_CERT_FILE}" "${WORK}/ca-bundle.pem"
    else
        : >"${WORK}/ca-bundle.pem"
    fi
}

need podman podman
need runc runc
build_base
stage_uv
ca_bundle
"${PODMAN[@]}" build --format docker --network host \
    --build-arg BASE_IMAGE="${BASE_IMAGE}" --build-arg PYTHON="/usr/bin/${PYTHON}" \
    --build-context uv="${WORK}/uv" --secret id=ca_bundle,src="${WORK}/ca-bundle.pem" \
    --tag "${IMAGE}" --file "${ROOT}/Containerfile" "${ROOT}"
size=$("${PODMAN[@]}" image inspect --format '{{.Size}}' "${IMAGE}")
echo "image ${IMAGE}: $((size / 1000000)) MB (base $(( $("${PODMAN[@]}" image inspect --format '{{.Size}}' "${BASE_IMAGE}") / 1000000 )) MB)"
