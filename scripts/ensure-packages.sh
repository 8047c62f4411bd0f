#!/usr/bin/env bash
# Installs Debian packages that are missing. Arguments: PACKAGE:COMMAND, PACKAGE:PYTHON=MODULE or
# PACKAGE:lib=SONAME (a shared library the dynamic linker knows).
# Examples: redis-server:redis-server   python3-qpid-proton:/usr/bin/python3=proton   libjemalloc2:lib=libjemalloc.so.2
set -euo pipefail
missing=()
for spec in "$@"; do
  package=${spec%%:*}
  probe=${spec#*:}
  if [[ $probe == lib=* ]]; then
    /sbin/ldconfig -p | grep -qF "${probe#lib=} " || missing+=("$package")
  elif [[ $probe == *=* ]]; then
    "${probe%%=*}" -c "import ${probe#*=}" >/dev/null 2>&1 || missing+=("$package")
  else
    command -v "$probe" >/dev/null 2>&1 || missing+=("$package")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
echo "installing missing Debian packages: ${missing[*]}"
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "error: cannot install ${missing[*]} (need root and apt-get); install them with: apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/tmp/ensure-packages.log 2>&1; then
  tail -n 20 /tmp/ensure-packages.log >&2
  echo "error: could not install ${missing[*]}; install them with: apt-get install ${missing[*]}" >&2
  exit 1
fi
