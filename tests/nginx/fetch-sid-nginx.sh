#!/usr/bin/env bash
# Puts Debian sid's nginx (1.27+ line, as the charm's image runs; bookworm's 1.22 is too old
# for `resolve` and `http2 on`) with its own glibc and libraries under DEST, without touching
# the system: a private apt configuration (sid only), `apt-get download`, `dpkg-deb -x`.
# DEST/nginx then runs it through sid's own loader: `DEST/nginx -t -c FILE`.
# These are Debian's binaries from Debian's registry. Sid moves: the versions are whatever sid
# has today (1.30.6-2 when this was written); the tests check for 1.27 or newer.
set -euo pipefail
dest=${1:?usage: fetch-sid-nginx.sh DEST}
command -v apt-get >/dev/null || { echo "apt-get not found: cannot fetch Debian's nginx" >&2; exit 2; }
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/parts" "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
touch "$work/status"
cat >"$work/parts/sid.sources" <<SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
apt=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work/parts"
     -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
     -o "Dir::Cache::Archives=$work/cache/archives"
     -o "Dir::State::status=$work/status" -o APT::Architecture=amd64 -o APT::Sandbox::User=root)
apt-get "${apt[@]}" -qq update
(cd "$work/debs" && apt-get "${apt[@]}" -qq download \
  nginx nginx-common libssl3t64 libpcre2-8-0 libcrypt1 zlib1g libzstd1 libc6)
rm -rf "$dest/root"
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$dest/root"; done
cat >"$dest/nginx" <<'WRAPPER'
#!/bin/sh
# sid's nginx through sid's own loader and libraries (its libssl needs glibc >= 2.38).
root=$(dirname "$0")/root
exec "$root/usr/lib64/ld-linux-x86-64.so.2" --library-path "$root/usr/lib/x86_64-linux-gnu" "$root/usr/sbin/nginx" "$@"
WRAPPER
chmod +x "$dest/nginx"
"$dest/nginx" -v
