#!/usr/bin/env bash
# Installs the Debian package as a user would and checks it works, then removes it:
#   1. builds it (packaging/build-deb.sh, same environment variables);
#   2. `dpkg -i` (dependencies completed by `apt-get -f install` when some are missing);
#   3. from an empty folder elsewhere: `cartosol --version` (version and data vintages of the
#      installed sample), `cartosol --summary` finds /usr/share/cartosol's sample by itself,
#      `cartosol render` of the installed sample writes a real PNG and nothing in /usr/share;
#   4. the desktop entry is valid (desktop-file-validate when installed) and the triggers made
#      *.cartosol.json a known MIME type opened by cartosol.desktop;
#   5. `dpkg -r` removes it (also when a check fails).
# Must run as root (CI does). A cartosol package already installed is replaced, then removed.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "test-deb.sh : à lancer en root (dpkg -i)" >&2; exit 1; }

fail() { echo "ÉCHEC test-deb : $*" >&2; exit 1; }

start=$SECONDS
deb=$(packaging/build-deb.sh | tail -n 1)
echo "paquet construit en $((SECONDS - start)) s : $deb ($(du -h "$deb" | cut -f1))"
version=$(dpkg-deb -f "$deb" Version)
upstream=${version%-*}

echo "--- contenu du paquet"
listing=$(dpkg -c "$deb")
awk '{print $1, $3, $6}' <<<"$listing"
grep -q ' ./usr/share/cartosol/sample_data/essonne.cartosol.json$' <<<"$listing" ||
  fail "le projet d'exemple manque au paquet"

trap 'dpkg -r cartosol >/dev/null 2>&1 || true' EXIT
if ! dpkg -i "$deb"; then
  echo "dépendances manquantes : apt-get -f install les installe"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -f install -y -qq
fi
[ "$(dpkg-query -W -f='${Status}' cartosol)" = "install ok installed" ] || fail "paquet non installé"
[ "$(command -v cartosol)" = /usr/bin/cartosol ] || fail "cartosol n'est pas sur le PATH"

work=$(mktemp -d)
before=$(find /usr/share/cartosol -print | sort)
cd "$work"
# Nothing that would point at the source tree: the installed binary must find its own data.
run() { env -u CARGO_MANIFEST_DIR -u CARTOSOL_DATA_DIR "$@"; }

echo "--- cartosol --version (depuis $work)"
run cartosol --version | tee version.txt
head -n 1 version.txt | grep -qx "cartosol $upstream" || fail "--version ne donne pas « cartosol $upstream »"
grep -q '(/usr/share/cartosol/sample_data/essonne.cartosol.json)' version.txt ||
  fail "--version ne lit pas l'exemple installé"
grep -q 'Millésime' version.txt || fail "--version ne donne aucun millésime"

echo "--- cartosol --summary (projet d'exemple trouvé sans chemin)"
run cartosol --summary | tee summary.txt
head -n 1 summary.txt | grep -q '(/usr/share/cartosol/sample_data/essonne.cartosol.json)$' ||
  fail "--summary n'a pas ouvert l'exemple installé"

echo "--- cartosol render de l'exemple installé"
run cartosol render /usr/share/cartosol/sample_data/essonne.cartosol.json \
  --preset diapo --date 01/01/2026 --out "$work/carte.png"
[ "$(head -c 8 carte.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
  fail "carte.png n'est pas un PNG"
# IHDR: width and height, big-endian, at bytes 16–23.
size=$(od -An -tu1 -j16 -N8 carte.png | awk '{print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8}')
[ "$size" = 1920x1080 ] || fail "carte.png mesure $size au lieu de 1920x1080"
bytes=$(stat -c %s carte.png)
[ "$bytes" -gt 100000 ] || fail "carte.png ne pèse que $bytes octets"
echo "carte.png : $size, $bytes octets"
[ "$(find /usr/share/cartosol -print | sort)" = "$before" ] ||
  fail "un fichier a été écrit dans /usr/share/cartosol"

echo "--- entrée de menu et type MIME"
if command -v desktop-file-validate >/dev/null 2>&1; then
  desktop-file-validate /usr/share/applications/cartosol.desktop || fail "cartosol.desktop invalide"
  grep -q '^application/x-cartosol-project=.*cartosol\.desktop' /usr/share/applications/mimeinfo.cache ||
    fail "cartosol.desktop n'est pas associé à application/x-cartosol-project"
  echo "cartosol.desktop valide, associé à application/x-cartosol-project"
else
  echo "(desktop-file-validate absent : apt-get install desktop-file-utils)"
fi
grep -q '^[0-9]*:application/x-cartosol-project:\*\.cartosol\.json' /usr/share/mime/globs2 ||
  fail "*.cartosol.json n'est pas enregistré dans la base MIME"
echo "type MIME application/x-cartosol-project (*.cartosol.json) enregistré"

cd /
if [ -n "${CARTOSOL_DEB_KEEP_PNG:-}" ]; then cp "$work/carte.png" "$CARTOSOL_DEB_KEEP_PNG"; fi
rm -rf "$work"
trap - EXIT
dpkg -r cartosol
[ ! -e /usr/bin/cartosol ] || fail "/usr/bin/cartosol reste après dpkg -r"
echo "test-deb : paquet $version installé, vérifié et retiré en $((SECONDS - start)) s"
