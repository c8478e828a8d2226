#!/usr/bin/env bash
# Puts Debian's promtool (the `promtool` package, split from `prometheus` since 2.53) under
# DEST, without touching the system (tests/fetch-debs.sh, Debian stable).
# DEST/promtool then runs it: `DEST/promtool check rules FILE`.
# promtool is a Go binary needing only glibc; the version is whatever Debian stable has today.
set -euo pipefail
dest=${1:?usage: fetch-promtool.sh DEST}
"$(dirname "$0")/../fetch-debs.sh" stable "$dest" promtool
ln -sf root/usr/bin/promtool "$dest/promtool"
"$dest/promtool" --version
