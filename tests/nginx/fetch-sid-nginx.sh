#!/usr/bin/env bash
# Puts Debian sid's nginx (1.27+ line, as the charm's image runs; bookworm's 1.22 is too old
# for `resolve` and `http2 on`) with its own glibc and libraries under DEST, without touching
# the system (tests/fetch-debs.sh). DEST/nginx then runs it through sid's own loader:
# `DEST/nginx -t -c FILE`.
# These are Debian's binaries from Debian's registry. Sid moves: the versions are whatever sid
# has today (1.30.6-2 when this was written); the tests check for 1.27 or newer.
set -euo pipefail
dest=${1:?usage: fetch-sid-nginx.sh DEST}
"$(dirname "$0")/../fetch-debs.sh" sid "$dest" \
  nginx nginx-common libssl3t64 libpcre2-8-0 libcrypt1 zlib1g libzstd1 libc6
cat >"$dest/nginx" <<'WRAPPER'
#!/bin/sh
# sid's nginx through sid's own loader and libraries (its libssl needs glibc >= 2.38).
root=$(dirname "$0")/root
exec "$root/usr/lib64/ld-linux-x86-64.so.2" --library-path "$root/usr/lib/x86_64-linux-gnu" "$root/usr/sbin/nginx" "$@"
WRAPPER
chmod +x "$dest/nginx"
"$dest/nginx" -v
