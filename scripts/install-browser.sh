#!/usr/bin/env bash
# Installs Debian's Chromium, which dtd serve's page test (dtd-cli ServePageIT) drives headless, when it is missing.
# `mvn verify` runs this before dtd-cli's end-to-end tests (so .ci/run and the README's test command do); it does
# nothing when /usr/bin/chromium is there. Needs root or password-less sudo to install.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  sudo=()
elif sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "install-browser: /usr/bin/chromium is missing and this user cannot install packages;" \
    "run: sudo apt-get install chromium" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "install-browser: installing Debian's chromium for the page test (once)"
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core > /dev/null
/usr/bin/chromium --version
