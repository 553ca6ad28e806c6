#!/usr/bin/env bash
# `make image`: an OCI image of the AOT binary built with Debian's buildah from an empty base (scratch), so no
# registry is needed. Its tree holds only: the binary; the shared libraries it is linked against (ldd) and their
# loader; OpenSSL's libssl/libcrypto, which .NET loads with dlopen (so ldd cannot see them) for all its cryptography:
# TLS to PostgreSQL and S3, and the HMAC-SHA256 of every JWT, so they are not optional (an image without them exits at
# start with "No usable version of libssl was found", measured 2026-12-06); the CA certificates; /etc/passwd and
# /etc/group naming the non-root user 10001; /tmp; and the /data volume (storage and scratch) owned by that user.
# The same layout as Dockerfile.aot's runtime stage. Usage: scripts/image.sh [tag]   (default madbase-edge:latest)
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-madbase-edge:latest}
bin=${BIN:-artifacts/publish/madbase-edge} # BIN= another build of the binary (size comparisons)
[ -x "$bin" ] || { echo "image.sh: $bin missing: run make publish"; exit 1; }

need() { command -v "$1" >/dev/null || missing="$missing $2"; }
missing=""
need buildah buildah; need podman podman
[ -f /etc/ssl/certs/ca-certificates.crt ] || missing="$missing ca-certificates"
if [ -n "$missing" ]; then
  echo "image.sh: installing$missing (Debian packages)"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

root=$(pwd)/artifacts/image/rootfs
rm -rf "$root" && mkdir -p "$root/usr/local/bin" "$root/etc/ssl/certs" "$root/tmp" "$root/data/storage" "$root/data/scratch"
cp "$bin" "$root/usr/local/bin/madbase-edge"

# Libraries: what ldd resolves for the binary (and for OpenSSL), copied to the same paths.
libs() { ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'; }
{
  libs "$bin"
  for so in libssl.so.3 libcrypto.so.3; do
    path=$(ldconfig -p | awk -v so="$so" '$1 == so && /x86-64/ && !found { print $NF; found = 1 }') # reads all: no SIGPIPE under pipefail
    [ -n "$path" ] || { echo "image.sh: $so not found (apt-get install libssl3)"; exit 1; }
    echo "$path"; libs "$path"
  done
} | sort -u | while read -r lib; do cp -L --parents "$lib" "$root"; done

cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
echo 'madbase:x:10001:10001:MadBase Edge:/data:/nonexistent' >"$root/etc/passwd"
echo 'madbase:x:10001:' >"$root/etc/group"
chmod 1777 "$root/tmp"

previous=$(podman image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
ctr=$(buildah from scratch)
trap 'buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
buildah copy --quiet "$ctr" "$root" / >/dev/null # owned by root: the user cannot change its own binary or libraries
buildah copy --quiet --chown 10001:10001 "$ctr" "$root/data" /data >/dev/null
buildah config \
  --user 10001:10001 --workingdir /data --volume /data --port 54321 --stop-signal SIGTERM \
  --env MADBASE_LISTEN=http://0.0.0.0:54321 --env MADBASE_STORAGE_DIR=/data/storage --env MADBASE_SCRATCH_DIR=/data/scratch \
  --entrypoint '["/usr/local/bin/madbase-edge"]' --cmd '' \
  --label org.opencontainers.image.title=madbase-edge "$ctr"
buildah commit --quiet --rm "$ctr" "$tag" >/dev/null
trap - EXIT
# The tag moved to the new image: drop the one it left (unless a container still uses it).
if [ -n "$previous" ] && [ "$previous" != "$(podman image inspect --format '{{.Id}}' "$tag")" ]; then
  podman rmi "$previous" >/dev/null 2>&1 || true
fi

bytes=$(podman image inspect --format '{{.Size}}' "$tag")
echo "image $tag: $bytes bytes ($(du -sb "$root" | cut -f1) bytes of files: $(find "$root" -type f | sed "s|^$root||" | sort | tr '\n' ' '))"
