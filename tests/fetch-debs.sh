#!/usr/bin/env bash
# Unpacks Debian packages from Debian's registry under DEST/root without touching the
# system: a private apt configuration (one suite only), `apt-get download`, `dpkg-deb -x`.
# Usage: fetch-debs.sh SUITE DEST PACKAGE...   (used by nginx/ and promtool/'s fetch scripts)
set -euo pipefail
suite=${1:?usage: fetch-debs.sh SUITE DEST PACKAGE...}
dest=${2:?usage: fetch-debs.sh SUITE DEST PACKAGE...}
shift 2
[ $# -gt 0 ] || { echo "fetch-debs.sh: no package named" >&2; exit 2; }
command -v apt-get >/dev/null || { echo "apt-get not found: cannot fetch Debian's $*" >&2; exit 2; }
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/parts" "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
touch "$work/status"
cat >"$work/parts/$suite.sources" <<SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
apt=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work/parts"
     -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
     -o "Dir::Cache::Archives=$work/cache/archives"
     -o "Dir::State::status=$work/status" -o APT::Architecture=amd64 -o APT::Sandbox::User=root)
apt-get "${apt[@]}" -qq update
(cd "$work/debs" && apt-get "${apt[@]}" -qq download "$@")
rm -rf "$dest/root"
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$dest/root"; done
