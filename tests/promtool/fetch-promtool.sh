#!/usr/bin/env bash
# Puts Debian's promtool (the `promtool` package, split from `prometheus` since 2.53) under DEST, without touching the
# system: a private apt configuration (Debian stable only), `apt-get download`,
# `dpkg-deb -x`. DEST/promtool then runs it: `DEST/promtool check rules FILE`.
# promtool is a Go binary needing only glibc; the version is whatever Debian stable has today.
set -euo pipefail
dest=${1:?usage: fetch-promtool.sh DEST}
command -v apt-get >/dev/null || { echo "apt-get not found: cannot fetch Debian's promtool" >&2; exit 2; }
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/parts" "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
touch "$work/status"
cat >"$work/parts/stable.sources" <<SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: stable
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
apt=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work/parts"
     -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
     -o "Dir::Cache::Archives=$work/cache/archives"
     -o "Dir::State::status=$work/status" -o APT::Architecture=amd64 -o APT::Sandbox::User=root)
apt-get "${apt[@]}" -qq update
(cd "$work/debs" && apt-get "${apt[@]}" -qq download promtool)
rm -rf "$dest/root"
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$dest/root"; done
ln -sf root/usr/bin/promtool "$dest/promtool"
"$dest/promtool" --version
