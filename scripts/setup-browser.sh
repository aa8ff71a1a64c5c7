#!/usr/bin/env bash
# Install what the real-browser tests need: Debian's chromium and a CJK font (posts show Chinese
# class names, and the browser, not matplotlib, draws SVG text). Safe to run again: it installs
# only what is missing. Playwright drives this chromium; its own browser download is not used.
set -euo pipefail
need=()
# Debian's chromium; GitHub's Ubuntu runners ship Google Chrome, which serves as well.
command -v chromium >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "setup-browser: need ${need[*]} (apt-get as root); or set JOURNAL_SKIP_BROWSER=1" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig >/dev/null
