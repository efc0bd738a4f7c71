#!/usr/bin/env bash
# System packages for the app (Qt offscreen/X11, fonts) and for the real servers the
# integration tests start (Dovecot, nginx, gnome-keyring on a private D-Bus, PostgreSQL).
# See docs/testing.md, "Real servers". Safe to run again.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
PKGS=(
  libglib2.0-0 libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 fonts-dejavu-core
  # Every market's script, the table's symbols and emoji (docs/fonts.md): 148 MB installed.
  fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji
  xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0
  libxcb-render0 libxcb-shape0 libxcb-util1 libxcb-xkb1 libxkbcommon-x11-0
  dovecot-imapd nginx-light gnome-keyring dbus-daemon dbus-x11
  python3-venv binutils
  xdotool at-spi2-core
  # pdftoppm: the post-mortem PDF export test renders the first page (docs/postmortem-editor.md)
  poppler-utils
  # The team hub's store on a real PostgreSQL: tests/peers/postgres.py runs initdb and
  # postgres from /usr/lib/postgresql/<major>/bin in a temp dir (docs/hub.md)
  postgresql
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
